using KeraLua;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Scripting;

/// <summary>
/// The pgtable.* module of docs/lua-api.md: a page-table format itself, as include/linux/io-pgtable.h
/// exposes it (alloc_io_pgtable_ops and the ops table), with tables placed in the SoC's DRAM.
/// </summary>
internal sealed partial class ScenarioLibrary
{
    private readonly List<IIoPageTable> _pgtables = new();

    private static readonly (string Name, PgtableQuirks Quirk)[] QuirkNames =
    [
        ("arm-ns", PgtableQuirks.ArmNs), ("no-perms", PgtableQuirks.NoPerms), ("arm-ttbr1", PgtableQuirks.ArmTtbr1),
        ("arm-mtk-ext", PgtableQuirks.ArmMtkExt), ("arm-mtk-ttbr-ext", PgtableQuirks.ArmMtkTtbrExt),
        ("arm-outer-wbwa", PgtableQuirks.ArmOuterWbwa), ("arm-hd", PgtableQuirks.ArmHd), ("no-warn", PgtableQuirks.NoWarn),
        ("arm-s2fwb", PgtableQuirks.ArmS2Fwb),
    ];

    private IIoPageTable Pt(Lua l) => _pgtables[(int)l.ToInteger(1)];
    private static string PtName(int id) => $"pgtable#{id + 1}";

    private static bool Field(Lua l, int table, string key, out ulong value, out bool present)
    {
        LuaValues.RawField(l, table, key);
        present = !l.IsNil(-1);
        value = 0;
        bool ok = !present || LuaValues.TryU64(l, -1, out value);
        l.Pop(1);
        return ok;
    }

    [LuaName("pgtable_alloc")]
    private int PgtableAlloc(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var fmt = LuaValues.Str(l, 1);
        if (!IoPgtableFormats.TryParse(fmt, out var format))
            return Misuse(l, "bad argument #1 to 'alloc' (\"arm-v7s\", \"arm-lpae-s1\" or \"arm-lpae-s2\" expected)");
        if (!l.IsTable(2)) return Misuse(l, "bad argument #2 to 'alloc' (cfg table {ias, oas, pgsize_bitmap, quirks} expected)");
        if (!Field(l, 2, "ias", out var ias, out var hasIas) || !hasIas || !Field(l, 2, "oas", out var oas, out var hasOas) || !hasOas)
            return Misuse(l, "bad argument #2 to 'alloc' (cfg.ias and cfg.oas must be integers)");
        if (!Field(l, 2, "pgsize_bitmap", out var bitmap, out var hasBitmap))
            return Misuse(l, "bad argument #2 to 'alloc' (cfg.pgsize_bitmap must be an integer)");
        if (!hasBitmap) bitmap = format.DefaultPgsizeBitmap();
        var quirks = PgtableQuirks.None;
        var names = new List<string>();
        LuaValues.RawField(l, 2, "quirks");
        if (l.IsTable(-1))
        {
            long n = l.RawLen(-1);
            for (long i = 1; i <= n; i++)
            {
                l.RawGetInteger(-1, i);
                var q = LuaValues.Str(l, -1);
                l.Pop(1);
                var found = QuirkNames.FirstOrDefault(x => x.Name == q);
                if (found.Name is null)
                {
                    l.Pop(1);
                    return Misuse(l, $"bad argument #2 to 'alloc' (unknown quirk '{q}'; known: {string.Join(", ", QuirkNames.Select(x => x.Name))})");
                }
                quirks |= found.Quirk;
                names.Add(found.Name);
            }
        }
        l.Pop(1);
        if (ias > 64 || oas > 64) return Misuse(l, "bad argument #2 to 'alloc' (ias/oas are address widths in bits)");
        var cfg = new IoPgtableCfg((int)ias, (int)oas, bitmap, quirks);
        var pt = IoPgtableFormats.Alloc(format, cfg, _core.Machine.Memory, _core.Machine.Pages);
        var args = $"\"{fmt}\", {{ias = {ias}, oas = {oas}, pgsize_bitmap = {Show(bitmap)}" + (names.Count > 0 ? $", quirks = {{{string.Join(", ", names)}}}" : "") + "}";
        if (pt is null)
            return Record(l, line, "pgtable.alloc", args, Model.Outcome.Fail(Model.Errno.EINVAL,
                $"alloc_io_pgtable_ops returns NULL for this configuration ({(fmt == "arm-v7s" ? "arm_v7s_alloc_pgtable: ias ≤ 32 (34 with arm-mtk-ext), oas ≤ 32 (35), arm-mtk-ext needs no-perms, arm-mtk-ttbr-ext needs arm-mtk-ext" : "arm_lpae_alloc_pgtable: a 4K/16K/64K granule in the bitmap, the stage's quirks only, and an oas (once clamped to 48, or 52 with 64K) that TCR.IPS/VTCR.PS encode: 32, 36, 40, 42, 44, 48 or 52")})"));
        _pgtables.Add(pt);
        int id = _pgtables.Count - 1;
        var clamped = (ulong)pt.Cfg.Ias != ias || (ulong)pt.Cfg.Oas != oas ? $", ias/oas clamped to {pt.Cfg.Ias}/{pt.Cfg.Oas} (arm_lpae_restrict_pgsizes)" : "";
        _log.Step(line, "pgtable.alloc", args, PtName(id), null, $"{pt.Format}: pgsize_bitmap {Show(pt.Cfg.PgsizeBitmap)}{clamped}, TTBR {Show(pt.Ttbr)}");
        return Values(l, id);
    });

    [LuaName("pgtable_info")]
    private int PgtableInfo(IntPtr s) => Guard(s, l =>
    {
        var pt = Pt(l);
        var cfg = new LuaTable().Add("ias", pt.Cfg.Ias).Add("oas", pt.Cfg.Oas).Add("pgsize_bitmap", pt.Cfg.PgsizeBitmap)
            .Add("quirks", QuirkNames.Where(q => (pt.Cfg.Quirks & q.Quirk) != 0).Select(q => (object?)q.Name).ToList());
        LuaValues.Push(l, new LuaTable().Add("cfg", cfg).Add("warnings", pt.Warnings).Add("format", pt.Format).Add("ttbr", pt.Ttbr).Add("table_bytes", pt.TableBytes));
        return 1;
    });

    [LuaName("pgtable_map")]
    private int PgtableMap(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var pt = Pt(l);
        if (!Addr(l, 2, "map_pages", 2, out var iova, out var m)) return m;
        if (!Addr(l, 3, "map_pages", 3, out var pa, out m)) return m;
        if (!Addr(l, 4, "map_pages", 4, out var pgsize, out m)) return m;
        if (!Addr(l, 5, "map_pages", 5, out var count, out m)) return m;
        var ps = LuaValues.Str(l, 6);
        if (ps is null || !ProtText.TryParse(ps, out var prot)) return Misuse(l, "bad argument #6 to 'map_pages' (prot like \"rw\" expected)");
        if (!_sandbox.TryPay(count)) return Misuse(l, $"map_pages: {count} pages exceed the instruction budget left (each page counts as one instruction)");
        var o = pt.MapPages(iova, pa, pgsize, count, prot, out var mapped);
        var args = $"{PtName((int)l.ToInteger(1))}, {Show(iova)}, {Show(pa)}, {Show(pgsize)}, {count}, \"{ps}\"";
        _log.Step(line, "pgtable.map_pages", args, o.Ok ? $"mapped {Show(mapped)}" : $"mapped {Show(mapped)}, -{o.Errno}", o.Ok ? null : o.Errno.ToString(), o.Why, iova, iova + pgsize * count - 1);
        return Values(l, mapped, o.Ok ? null : o.Errno.ToString(), o.Why);
    });

    [LuaName("pgtable_unmap")]
    private int PgtableUnmap(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var pt = Pt(l);
        if (!Addr(l, 2, "unmap_pages", 2, out var iova, out var m)) return m;
        if (!Addr(l, 3, "unmap_pages", 3, out var pgsize, out m)) return m;
        if (!Addr(l, 4, "unmap_pages", 4, out var count, out m)) return m;
        int warnings = pt.Warnings;
        ulong n = pt.UnmapPages(iova, pgsize, count);
        _log.Step(line, "pgtable.unmap_pages", $"{PtName((int)l.ToInteger(1))}, {Show(iova)}, {Show(pgsize)}, {count}", Show(n) + " bytes", null,
            pt.Warnings > warnings ? "the format WARNed (an empty entry, or a partial unmap of a larger entry)" : null, iova, iova + pgsize * Math.Max(count, 1) - 1);
        return Values(l, n);
    });

    [LuaName("pgtable_iova_to_phys")]
    private int PgtableIovaToPhys(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var pt = Pt(l);
        if (!Addr(l, 2, "iova_to_phys", 2, out var iova, out var m)) return m;
        ulong pa = pt.IovaToPhys(iova);
        _log.Step(line, "pgtable.iova_to_phys", $"{PtName((int)l.ToInteger(1))}, {Show(iova)}", Show(pa), null, null, iova, iova);
        return Values(l, pa);
    });

    [LuaName("pgtable_walk")]
    private int PgtableWalk(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var pt = Pt(l);
        if (!Addr(l, 2, "walk", 2, out var iova, out var m)) return m;
        var steps = pt.Walk(iova);
        _log.Step(line, "pgtable.walk", $"{PtName((int)l.ToInteger(1))}, {Show(iova)}", string.Join(" → ", steps.Select(st => $"L{st.Level}[{st.Index}] = {Hex.Of(st.Pte)}")), null, null);
        return Values(l, steps.Select(st => new LuaTable().Add("level", st.Level).Add("index", st.Index).Add("pte", st.Pte).Add("table_pa", st.TablePa).Add("fields", pt.Describe(st.Pte, st.Level))).ToList());
    });

    [LuaName("pgtable_report")]
    private int PgtableReport(IntPtr s) => Guard(s, l =>
    {
        var pt = Pt(l);
        ulong start = 0, size = ulong.MaxValue;
        if (!l.IsNoneOrNil(2) && !Addr(l, 2, "pagetable", 2, out start, out var m)) return m;
        if (!l.IsNoneOrNil(3) && !Addr(l, 3, "pagetable", 3, out size, out m)) return m;
        if (l.IsNoneOrNil(3) && !l.IsNoneOrNil(2)) size = 0x1000;
        _log.Table(Line(s), $"Page table {PtName((int)l.ToInteger(1))} ({pt.Format}, TTBR {Hex.Of(pt.Ttbr)}, {pt.Warnings} WARN(s))", PagetableHeader, PagetableRows(pt, start, size));
        return Values(l);
    });
}
