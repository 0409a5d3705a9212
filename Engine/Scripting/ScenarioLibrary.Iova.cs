using KeraLua;
using ScenarioEngine.Dma;

namespace ScenarioEngine.Scripting;

/// <summary>The iova.* module of docs/lua-api.md: the kernel's allocator itself, for studying it.</summary>
internal sealed partial class ScenarioLibrary
{
    private readonly List<IovaAllocator> _iovads = new();

    private IovaAllocator Iovad(Lua l) => _iovads[(int)l.ToInteger(1)];
    private static string IovadName(int id) => $"iovad#{id + 1}";
    private string IovadArg(Lua l) => IovadName((int)l.ToInteger(1));

    private static LuaTable Range((ulong Lo, ulong Hi) r) => new LuaTable().Add("lo", r.Lo).Add("hi", r.Hi);

    [LuaName("iova_init")]
    private int IovaInit(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        if (!Addr(l, 1, "init_domain", 1, out var granule, out var m)) return m;
        if (!Addr(l, 2, "init_domain", 2, out var start, out m)) return m;
        if (granule == 0 || (granule & (granule - 1)) != 0 || granule > 0x10000)
            return Misuse(l, "bad argument #1 to 'init_domain' (granule must be a power of two up to 64 KiB; init_iova_domain BUG_ONs otherwise)");
        _iovads.Add(new IovaAllocator(granule, start));
        int id = _iovads.Count - 1;
        _log.Step(line, "iova.init_domain", $"{Show(granule)}, {Show(start)}", IovadName(id), null, null);
        return Values(l, id);
    });

    [LuaName("iova_alloc")]
    private int IovaAlloc(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var iovad = Iovad(l);
        if (!Addr(l, 2, "alloc", 2, out var size, out var m)) return m;
        if (!Addr(l, 3, "alloc", 3, out var limit, out m)) return m;
        bool aligned = l.ToBoolean(4);
        var r = iovad.Alloc(size, limit, aligned);
        _log.Step(line, "iova.alloc", $"{IovadArg(l)}, {Show(size)}, {Show(limit)}, {(aligned ? "true" : "false")}", r is null ? "nil" : Show(r.Value), null, null);
        return Values(l, r);
    });

    [LuaName("iova_free")]
    private int IovaFree(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var iovad = Iovad(l);
        if (!Addr(l, 2, "free", 2, out var pfn, out var m)) return m;
        if (pfn == IovaAllocator.Anchor) return Misuse(l, "iova.free: pfn ~0 is the anchor; freeing it breaks the domain for good (the kernel would do it)");
        iovad.Free(pfn);
        _log.Step(line, "iova.free", $"{IovadArg(l)}, {Show(pfn)}", "ok", null, null);
        return Values(l, true);
    });

    [LuaName("iova_reserve")]
    private int IovaReserve(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var iovad = Iovad(l);
        if (!Addr(l, 2, "reserve", 2, out var lo, out var m)) return m;
        if (!Addr(l, 3, "reserve", 3, out var hi, out m)) return m;
        if (hi < lo) return Misuse(l, "bad argument #3 to 'reserve' (pfn_hi below pfn_lo)");
        var r = iovad.Reserve(lo, hi);
        _log.Step(line, "iova.reserve", $"{IovadArg(l)}, {Show(lo)}, {Show(hi)}", r is null ? "nil" : $"[{Show(r.Value.Lo)}, {Show(r.Value.Hi)}]", null, r is null ? "a pfn is beyond the address space (reserve_iova WARN_ON)" : null);
        return Values(l, r is null ? null : Range(r.Value));
    });

    [LuaName("iova_alloc_fast")]
    private int IovaAllocFast(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var iovad = Iovad(l);
        if (!Addr(l, 2, "alloc_fast", 2, out var size, out var m)) return m;
        if (!Addr(l, 3, "alloc_fast", 3, out var limit, out m)) return m;
        bool flush = l.IsNoneOrNil(4) || l.ToBoolean(4);
        var r = iovad.AllocFast(size, limit, flush);
        _log.Step(line, "iova.alloc_fast", $"{IovadArg(l)}, {Show(size)}, {Show(limit)}, {(flush ? "true" : "false")}", Show(r), null, null);
        return Values(l, r);
    });

    [LuaName("iova_free_fast")]
    private int IovaFreeFast(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var iovad = Iovad(l);
        if (!Addr(l, 2, "free_fast", 2, out var pfn, out var m)) return m;
        if (!Addr(l, 3, "free_fast", 3, out var size, out m)) return m;
        iovad.FreeFast(pfn, size);
        _log.Step(line, "iova.free_fast", $"{IovadArg(l)}, {Show(pfn)}, {Show(size)}", "ok", null, null);
        return Values(l, true);
    });

    [LuaName("iova_find")]
    private int IovaFind(IntPtr s) => Guard(s, l =>
    {
        var iovad = Iovad(l);
        if (!Addr(l, 2, "find", 2, out var pfn, out var m)) return m;
        var r = iovad.Find(pfn);
        return Values(l, r is null ? null : Range(r.Value));
    });

    [LuaName("iova_flush")]
    private int IovaFlush(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var iovad = Iovad(l);
        bool global = l.ToBoolean(2);
        if (global) iovad.FlushGlobalRcache(); else iovad.FlushCpuRcache();
        _log.Step(line, global ? "iova.flush_global_rcache" : "iova.flush_cpu_rcache", IovadArg(l), "ok", null, null);
        return Values(l, true);
    });

    [LuaName("iova_dump")]
    private int IovaDump(IntPtr s) => Guard(s, l => Values(l, Iovad(l).Dump().Select(Range).ToList()));

    [LuaName("iova_state")]
    private int IovaState(IntPtr s) => Guard(s, l =>
    {
        var iovad = Iovad(l);
        var (cached, cached32) = iovad.CacheState;
        return Values(l, new LuaTable()
            .Add("cached_node", cached is null ? "anchor" : Range(cached.Value))
            .Add("cached32_node", cached32 is null ? "anchor" : Range(cached32.Value))
            .Add("max32_alloc_size", iovad.Max32AllocSize)
            .Add("dma_32bit_pfn", iovad.Dma32BitPfn));
    });
}
