using ScenarioEngine.Dma;

namespace ScenarioEngine.Scripting;

/// <summary>The iova.* rows of the API table (docs/lua-api.md): the kernel's allocator itself, for studying it.</summary>
internal sealed partial class ScenarioLibrary
{
    private readonly List<IovaAllocator> _iovads = new();

    private static string IovadName(int id) => $"iovad#{id + 1}";

    private static LuaTable Range((ulong Lo, ulong Hi) r) => new LuaTable().Add("lo", r.Lo).Add("hi", r.Hi);

    private static ApiFunction[] IovaRows() =>
    [
        Fn("iova", "init_domain", [Arg.Int("granule"), Arg.Int("start_pfn")], (lib, in c) => lib.IovaInit(c)) with { Returns = HandleKind.Iovad },
        Fn("iova", "alloc", [Arg.Iovad(), Arg.Int("size"), Arg.Int("limit_pfn"), Arg.Bool("size_aligned")], (lib, in c) =>
        {
            ulong size = c.U64(1), limit = c.U64(2);
            bool aligned = c.Bool(3);
            var r = lib._iovads[c.Id(0)].Alloc(size, limit, aligned);
            return lib.Step(c, $"{IovadName(c.Id(0))}, {Show(size)}, {Show(limit)}, {(aligned ? "true" : "false")}", r is null ? "nil" : Show(r.Value), null, null, null, null, r);
        }),
        Fn("iova", "free", [Arg.Iovad(), Arg.Int("pfn")], (lib, in c) =>
        {
            if (c.U64(1) == IovaAllocator.Anchor) return Misuse(c.L, "iova.free: pfn ~0 is the anchor; freeing it breaks the domain for good (the kernel would do it)");
            lib._iovads[c.Id(0)].Free(c.U64(1));
            return lib.Step(c, lib.ArgsText(c), "ok", null, null, null, null, true);
        }),
        Fn("iova", "reserve", [Arg.Iovad(), Arg.Int("lo"), Arg.Int("hi")], (lib, in c) =>
        {
            ulong lo = c.U64(1), hi = c.U64(2);
            if (hi < lo) return Misuse(c.L, "bad argument #3 to 'reserve' (pfn_hi below pfn_lo)");
            var r = lib._iovads[c.Id(0)].Reserve(lo, hi);
            return lib.Step(c, lib.ArgsText(c), r is null ? "nil" : $"[{Show(r.Value.Lo)}, {Show(r.Value.Hi)}]", null,
                r is null ? "a pfn is beyond the address space (reserve_iova WARN_ON)" : null, null, null, r is null ? null : Range(r.Value));
        }),
        Fn("iova", "alloc_fast", [Arg.Iovad(), Arg.Int("size"), Arg.Int("limit_pfn"), Arg.Bool("flush_rcache")], (lib, in c) =>
        {
            ulong size = c.U64(1), limit = c.U64(2);
            bool flush = !c.Has(3) || c.Bool(3);
            var r = lib._iovads[c.Id(0)].AllocFast(size, limit, flush);
            return lib.Step(c, $"{IovadName(c.Id(0))}, {Show(size)}, {Show(limit)}, {(flush ? "true" : "false")}", Show(r), null, null, null, null, r);
        }),
        Fn("iova", "free_fast", [Arg.Iovad(), Arg.Int("pfn"), Arg.Int("size")], (lib, in c) =>
        {
            lib._iovads[c.Id(0)].FreeFast(c.U64(1), c.U64(2));
            return lib.Step(c, lib.ArgsText(c), "ok", null, null, null, null, true);
        }),
        Fn("iova", "find", [Arg.Iovad(), Arg.Int("pfn")], (lib, in c) => lib._iovads[c.Id(0)].Find(c.U64(1)) is { } r ? Values(c.L, Range(r)) : Values(c.L, [null]))
            with { Records = false },
        Fn("iova", "flush_cpu_rcache", [Arg.Iovad()], (lib, in c) =>
        {
            lib._iovads[c.Id(0)].FlushCpuRcache();
            return lib.Step(c, lib.ArgsText(c), "ok", null, null, null, null, true);
        }),
        Fn("iova", "flush_global_rcache", [Arg.Iovad()], (lib, in c) =>
        {
            lib._iovads[c.Id(0)].FlushGlobalRcache();
            return lib.Step(c, lib.ArgsText(c), "ok", null, null, null, null, true);
        }),
        Fn("iova", "dump", [Arg.Iovad()], (lib, in c) => Values(c.L, lib._iovads[c.Id(0)].Dump().Select(Range).ToList())) with { Records = false },
        Fn("iova", "state", [Arg.Iovad()], (lib, in c) =>
        {
            var iovad = lib._iovads[c.Id(0)];
            var (cached, cached32) = iovad.CacheState;
            return Values(c.L, new LuaTable()
                .Add("cached_node", cached is null ? "anchor" : Range(cached.Value))
                .Add("cached32_node", cached32 is null ? "anchor" : Range(cached32.Value))
                .Add("max32_alloc_size", iovad.Max32AllocSize)
                .Add("dma_32bit_pfn", iovad.Dma32BitPfn));
        }) with { Records = false },
        Field(HandleKind.Iovad, "name", (lib, in c) => Push(c.L, IovadName(c.Self))),
    ];

    private int IovaInit(in ApiCall c)
    {
        ulong granule = c.U64(0), start = c.U64(1);
        if (granule == 0 || (granule & (granule - 1)) != 0 || granule > 0x10000)
            return Misuse(c.L, "bad argument #1 to 'init_domain' (granule must be a power of two up to 64 KiB; init_iova_domain BUG_ONs otherwise)");
        _iovads.Add(new IovaAllocator(granule, start));
        int id = _iovads.Count - 1;
        return Step(c, ArgsText(c), IovadName(id), null, null, null, null, id);
    }
}
