using ScenarioEngine.PageTables;
using KeraLua;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Scripting;

/// <summary>The mem.*, sim.events and report.* rows of the API table (docs/lua-api.md), and the host side of expect.</summary>
internal sealed partial class ScenarioLibrary
{
    private static ApiFunction[] ReportRows() =>
    [
        Fn("mem", "alloc", [Arg.Int("size"), Arg.Int("align", optional: true)], (lib, in c) => lib.MemAlloc(c)),
        Fn("mem", "free", [Arg.Int("pa"), Arg.Int("size")], (lib, in c) => lib.MemFree(c)),
        Fn("mem", "carveout", [Arg.Any("name")], (lib, in c) => lib.MemCarveout(c)) with { Records = false },
        Fn("sim", "events", [], (lib, in c) => lib.SimEvents(c)) with { Records = false },
        Fn("report", "note", [Arg.Text("text", "string expected, got {got}")], (lib, in c) =>
        {
            lib._log.Note(c.Line, c.Str(0)!);
            return Values(c.L);
        }),
        Fn("report", "section", [Arg.Str("title", "string expected, got {got}")], (lib, in c) =>
        {
            lib._log.Section(c.Line, c.Str(0)!);
            return Values(c.L);
        }),
        Fn("report", "mappings", [Arg.Domain()], (lib, in c) =>
        {
            var d = lib._domainIds[c.Id(0)];
            var rows = lib.Mappings(d).Select(m => new[] { Hex.Of(m.Iova), Hex.Of(m.Iova + m.Size - 1), Hex.Of(m.Pa), Hex.Size(m.Size), ProtText.Format(m.Prot) }).ToList();
            lib._log.Table(c.Line, $"Mappings of {d.Name} ({d.Type.Name()})", ["iova", "last", "pa", "size", "prot"], rows);
            return Values(c.L);
        }),
        Fn("report", "pagetable", [new ApiArg("target", ArgKind.DomainOrPgtable), Arg.Int("iova", optional: true), Arg.Int("size", optional: true)],
            (lib, in c) => (c.U64(0) & PgtableBit) != 0 ? lib.PgtableReport(c) : lib.ReportPagetable(c)),
    ];

    private int MemAlloc(in ApiCall c)
    {
        ulong size = c.U64(0), align = c.Has(1) ? c.U64(1) : 0x1000;
        if (size == 0) return Misuse(c.L, "bad argument #1 to 'alloc' (size must be > 0)");
        if (align == 0 || (align & (align - 1)) != 0) return Misuse(c.L, "bad argument #2 to 'alloc' (alignment must be a power of two)");
        if (size > (1UL << 52) || align > (1UL << 52))
            return Misuse(c.L, $"bad argument #{(size > (1UL << 52) ? 1 : 2)} to 'alloc' ({Show(size > (1UL << 52) ? size : align)} is beyond any physical address space; sizes and alignments are at most 2^52)");
        size = (size + 0xfff) & ~0xfffUL;
        var pa = _core.Machine.Pages.AllocUser(size, Math.Max(align, 0x1000));
        var args = c.Has(1) ? $"{Show(size)}, {Show(align)}" : Show(size);
        if (pa is null) return Record(c.L, c.Line, c.Fn.Call, args, Model.Outcome.Fail(Errno.ENOMEM, "no free DRAM range of that size and alignment"));
        return Step(c, args, "pa " + Show(pa.Value), null, null, null, null, pa.Value);
    }

    private int MemFree(in ApiCall c)
    {
        ulong pa = c.U64(0), size = c.U64(1);
        if (size > (1UL << 52)) return Misuse(c.L, $"bad argument #2 to 'free' ({Show(size)} is beyond any physical address space)");
        size = (size + 0xfff) & ~0xfffUL;
        if (!_core.Machine.Pages.FreeUser(pa, size)) return Misuse(c.L, $"mem.free: {Show(pa)} + {Show(size)} was not allocated by mem.alloc");
        return Record(c.L, c.Line, c.Fn.Call, $"{Show(pa)}, {Show(size)}", Model.Outcome.Success);
    }

    private int MemCarveout(in ApiCall c)
    {
        var name = LuaValues.Str(c.L, c.At(0));
        var r = _core.Soc.ReservedMemory.FirstOrDefault(x => x.Name == name);
        if (r is null) return Misuse(c.L, $"no reserved-memory node named '{name}' (nodes: {string.Join(", ", _core.Soc.ReservedMemory.Select(x => x.Name))})");
        if (r.Base is null) return Misuse(c.L, $"reserved-memory node '{name}' has no physical base (an IOVA-only reservation)");
        return Values(c.L, new LuaTable().Add("base", r.Base.Value).Add("size", r.Size));
    }

    private int SimEvents(in ApiCall c) =>
        Values(c.L, _core.Machine.Log.Events.Select(e =>
        {
            // Every entry is {kind, line, device, domain, why, ...}: a fault's kind is "fault" and the fault
            // table itself (its own kind "translation" or "permission", the registers) is under `fault`.
            var row = new LuaTable().Add("kind", e.Kind.Name()).Add("line", e.Line).Add("device", e.Device).Add("domain", e.Domain).Add("why", e.Why);
            if (e.Kind == EventKind.Fault) row.Add("fault", FaultTable(e));
            if (e.Kind is EventKind.StaleTranslation or EventKind.StaleAtc) row.Add("iova", e.Iova).Add("write", e.Write).Add("pa", e.Pa).Add("unmap_line", e.UnmapLine);
            return row;
        }).ToList());

    /// <summary>expect's record (the expect library itself is Lua, in the prelude): passed, text, detail.</summary>
    private int Expect(IntPtr s)
    {
        var l = State(s);
        try
        {
            int line = Site(s).Line;
            _log.Expect(line, LuaValues.Text(l, 2) ?? "", l.ToBoolean(1), LuaValues.Str(l, 3));
        }
        catch (Exception ex)
        {
            return Misuse(l, $"internal engine error: {ex.GetType().Name}: {ex.Message}");
        }
        l.PushBoolean(true);
        return 1;
    }

    /// <summary>report.pagetable's range: everything, or one page at iova, or [iova, iova + size).</summary>
    private static (ulong Start, ulong Size) ReportRange(in ApiCall c) =>
        (c.Has(1) ? c.U64(1) : 0, c.Has(2) ? c.U64(2) : c.Has(1) ? 0x1000 : ulong.MaxValue);

    private int ReportPagetable(in ApiCall c)
    {
        var d = _domainIds[c.Id(0)];
        if (d.PageTable is null) return Misuse(c.L, $"report.pagetable: {d.Name} has no page table");
        var (start, size) = ReportRange(c);
        var rows = PagetableRows(d.PageTable, start, size);
        _log.Table(c.Line, $"Page table of {d.Name} ({d.PageTable.Format}, TTBR {Hex.Of(d.PageTable.Ttbr)})", PagetableHeader, rows);
        return Values(c.L);
    }

    private static readonly string[] PagetableHeader = ["level", "index", "table", "descriptor", "fields", "maps"];

    /// <summary>Every descriptor on the way to each leaf in [start, start + size): level, index, table, raw value, decoded fields, range.</summary>
    private static List<string[]> PagetableRows(PageTables.IIoPageTable pt, ulong start, ulong size)
    {
        var rows = new List<string[]>();
        var seen = new HashSet<(int, ulong, ulong)>();
        foreach (var leaf in pt.Leaves())
        {
            if (leaf.Iova + leaf.Size <= start || (size != ulong.MaxValue && leaf.Iova >= start + size)) continue;
            var walk = pt.Walk(leaf.Iova);
            foreach (var st in walk)
            {
                if (!seen.Add((st.Level, st.Index, st.TablePa))) continue;
                bool isLeaf = st == walk[^1];
                rows.Add([$"L{st.Level}", st.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), Hex.Of(st.TablePa),
                          pt.Fmt.DescriptorBytes == 4 ? $"0x{st.Pte:x8}" : $"0x{st.Pte:x16}", pt.Describe(st.Pte, st.Level),
                          isLeaf ? $"[{Hex.Of(leaf.Iova)}, {Hex.Of(leaf.Iova + leaf.Size - 1)}] → {Hex.Of(leaf.Pa)} {ProtText.Format(leaf.Prot)}" : ""]);
            }
            if (rows.Count > 512) break;
        }
        return rows;
    }
}
