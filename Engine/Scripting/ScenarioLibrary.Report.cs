using ScenarioEngine.PageTables;
using KeraLua;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Scripting;

/// <summary>mem.*, sim.events, expect (recording) and report.* of docs/lua-api.md.</summary>
internal sealed partial class ScenarioLibrary
{
    [LuaName("mem_alloc")]
    private int MemAlloc(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        if (!Addr(l, 1, "alloc", 1, out var size, out var m)) return m;
        ulong align = 0x1000;
        if (!l.IsNoneOrNil(2) && !Addr(l, 2, "alloc", 2, out align, out m)) return m;
        if (size == 0) return Misuse(l, "bad argument #1 to 'alloc' (size must be > 0)");
        if (align == 0 || (align & (align - 1)) != 0) return Misuse(l, "bad argument #2 to 'alloc' (alignment must be a power of two)");
        if (size > (1UL << 52) || align > (1UL << 52))
            return Misuse(l, $"bad argument #{(size > (1UL << 52) ? 1 : 2)} to 'alloc' ({Show(size > (1UL << 52) ? size : align)} is beyond any physical address space; sizes and alignments are at most 2^52)");
        size = (size + 0xfff) & ~0xfffUL;
        var pa = _core.Machine.Pages.AllocUser(size, Math.Max(align, 0x1000));
        var args = l.IsNoneOrNil(2) ? Show(size) : $"{Show(size)}, {Show(align)}";
        if (pa is null) return Record(l, line, "mem.alloc", args, Model.Outcome.Fail(Errno.ENOMEM, "no free DRAM range of that size and alignment"));
        _log.Step(line, "mem.alloc", args, "pa " + Show(pa.Value), null, null);
        return Values(l, pa.Value);
    });

    [LuaName("mem_free")]
    private int MemFree(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        if (!Addr(l, 1, "free", 1, out var pa, out var m)) return m;
        if (!Addr(l, 2, "free", 2, out var size, out m)) return m;
        if (size > (1UL << 52)) return Misuse(l, $"bad argument #2 to 'free' ({Show(size)} is beyond any physical address space)");
        size = (size + 0xfff) & ~0xfffUL;
        if (!_core.Machine.Pages.FreeUser(pa, size)) return Misuse(l, $"mem.free: {Show(pa)} + {Show(size)} was not allocated by mem.alloc");
        return Record(l, line, "mem.free", $"{Show(pa)}, {Show(size)}", Model.Outcome.Success);
    });

    [LuaName("mem_carveout")]
    private int MemCarveout(IntPtr s) => Guard(s, l =>
    {
        var name = LuaValues.Str(l, 1);
        var r = _core.Soc.ReservedMemory.FirstOrDefault(x => x.Name == name);
        if (r is null) return Misuse(l, $"no reserved-memory node named '{name}' (nodes: {string.Join(", ", _core.Soc.ReservedMemory.Select(x => x.Name))})");
        if (r.Base is null) return Misuse(l, $"reserved-memory node '{name}' has no physical base (an IOVA-only reservation)");
        return Values(l, new LuaTable().Add("base", r.Base.Value).Add("size", r.Size));
    });

    [LuaName("sim_events")]
    private int SimEvents(IntPtr s) => Guard(s, l =>
        Values(l, _core.Machine.Log.Events.Select(e =>
        {
            // Every entry is {kind, line, device, domain, why, ...}: a fault's kind is "fault" and the fault
            // table itself (its own kind "translation" or "permission", the registers) is under `fault`.
            var row = new LuaTable().Add("kind", e.Kind.Name()).Add("line", e.Line).Add("device", e.Device).Add("domain", e.Domain).Add("why", e.Why);
            if (e.Kind == EventKind.Fault) row.Add("fault", FaultTable(e));
            if (e.Kind == EventKind.StaleTranslation) row.Add("iova", e.Iova).Add("write", e.Write).Add("pa", e.Pa).Add("unmap_line", e.UnmapLine);
            return row;
        }).ToList()));

    [LuaName("expect")]
    private int Expect(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        _log.Expect(line, LuaValues.Text(l, 2) ?? "", l.ToBoolean(1), LuaValues.Str(l, 3));
        l.PushBoolean(true);
        return 1;
    });

    [LuaName("report_note")]
    private int ReportNote(IntPtr s) => Guard(s, l =>
    {
        var text = LuaValues.Text(l, 1);
        if (text is null) return Misuse(l, $"bad argument #1 to 'note' (string expected, got {LuaValues.TypeOf(l, 1)})");
        _log.Note(Line(s), text);
        return Values(l);
    });

    [LuaName("report_section")]
    private int ReportSection(IntPtr s) => Guard(s, l =>
    {
        var text = LuaValues.Str(l, 1);
        if (text is null) return Misuse(l, $"bad argument #1 to 'section' (string expected, got {LuaValues.TypeOf(l, 1)})");
        _log.Section(Line(s), text);
        return Values(l);
    });

    [LuaName("report_mappings")]
    private int ReportMappings(IntPtr s) => Guard(s, l =>
    {
        var d = Dom(l, 1);
        var rows = Mappings(d).Select(m => new[] { Hex.Of(m.Iova), Hex.Of(m.Iova + m.Size - 1), Hex.Of(m.Pa), Hex.Size(m.Size), ProtText.Format(m.Prot) }).ToList();
        _log.Table(Line(s), $"Mappings of {d.Name} ({d.Type.Name()})", ["iova", "last", "pa", "size", "prot"], rows);
        return Values(l);
    });

    [LuaName("report_pagetable")]
    private int ReportPagetable(IntPtr s) => Guard(s, l =>
    {
        var d = Dom(l, 1);
        if (d.PageTable is null) return Misuse(l, $"report.pagetable: {d.Name} has no page table");
        ulong start = 0, size = ulong.MaxValue;
        if (!l.IsNoneOrNil(2) && !Addr(l, 2, "pagetable", 2, out start, out var m)) return m;
        if (!l.IsNoneOrNil(3) && !Addr(l, 3, "pagetable", 3, out size, out m)) return m;
        if (l.IsNoneOrNil(3) && !l.IsNoneOrNil(2)) size = 0x1000;
        var rows = PagetableRows(d.PageTable, start, size);
        _log.Table(Line(s), $"Page table of {d.Name} ({d.PageTable.Format}, TTBR {Hex.Of(d.PageTable.Ttbr)})", PagetableHeader, rows);
        return Values(l);
    });

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
                          pt.Fmt == IoPgtableFormat.ArmV7s ? $"0x{st.Pte:x8}" : $"0x{st.Pte:x16}", pt.Describe(st.Pte, st.Level),
                          isLeaf ? $"[{Hex.Of(leaf.Iova)}, {Hex.Of(leaf.Iova + leaf.Size - 1)}] → {Hex.Of(leaf.Pa)} {ProtText.Format(leaf.Prot)}" : ""]);
            }
            if (rows.Count > 512) break;
        }
        return rows;
    }
}
