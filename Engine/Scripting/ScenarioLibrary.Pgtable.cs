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

    private static string PtName(int id) => $"pgtable#{id + 1}";

    /// <summary>The registry's format names as a misuse message lists them: "a", "b" or "c".</summary>
    private static readonly string FormatNames = IoPgtableFormats.All.Count == 1 ? $"\"{IoPgtableFormats.All[0].Name}\""
        : string.Join(", ", IoPgtableFormats.All.SkipLast(1).Select(f => $"\"{f.Name}\"")) + $" or \"{IoPgtableFormats.All[^1].Name}\"";

    private static ApiFunction[] PgtableRows() =>
    [
        Fn("pgtable", "alloc", [Arg.Any("fmt", string.Join("|", IoPgtableFormats.All.Select(f => $"\"{f.Name}\""))),
            Arg.Table("cfg", "{ias: integer, oas: integer, pgsize_bitmap: integer?, quirks: string[]?}", "cfg table {ias, oas, pgsize_bitmap, quirks} expected")],
            (lib, in c) => lib.PgtableAlloc(c)) with { Returns = HandleKind.Pgtable },
        Fn("pgtable", "map_pages", [Arg.Pgtable(), Arg.Int("iova"), Arg.Int("pa"), Arg.Int("pgsize"), Arg.Count("pgcount"), Arg.Prot("prot", "prot like \"rw\" expected")],
            (lib, in c) => lib.PgtableMap(c)),
        Fn("pgtable", "unmap_pages", [Arg.Pgtable(), Arg.Int("iova"), Arg.Int("pgsize"), Arg.Count("pgcount")], (lib, in c) =>
        {
            var pt = lib._pgtables[c.Id(0)];
            ulong iova = c.U64(1), pgsize = c.U64(2), count = c.U64(3);
            int warnings = pt.Warnings;
            ulong n = pt.UnmapPages(iova, pgsize, count);
            return lib.Step(c, lib.ArgsText(c), Show(n) + " bytes", null,
                pt.Warnings > warnings ? "the format WARNed (an empty entry, or a partial unmap of a larger entry)" : null, iova, iova + pgsize * Math.Max(count, 1) - 1, n);
        }),
        Fn("pgtable", "iova_to_phys", [Arg.Pgtable(), Arg.Int("iova")], (lib, in c) =>
        {
            ulong iova = c.U64(1);
            ulong pa = lib._pgtables[c.Id(0)].IovaToPhys(iova);
            return lib.Step(c, lib.ArgsText(c), Show(pa), null, null, iova, iova, pa);
        }),
        Fn("pgtable", "walk", [Arg.Pgtable(), Arg.Int("iova")], (lib, in c) =>
        {
            var pt = lib._pgtables[c.Id(0)];
            var steps = pt.Walk(c.U64(1));
            return lib.Step(c, lib.ArgsText(c), string.Join(" → ", steps.Select(st => $"L{st.Level}[{st.Index}] = {Hex.Of(st.Pte)}")), null, null, null, null,
                steps.Select(st => new LuaTable().Add("level", st.Level).Add("index", st.Index).Add("pte", st.Pte).Add("table_pa", st.TablePa).Add("fields", pt.Describe(st.Pte, st.Level))).ToList());
        }),
        Field(HandleKind.Pgtable, "name", (lib, in c) => Push(c.L, PtName(c.Self))),
        Field(HandleKind.Pgtable, "cfg", (lib, in c) =>
        {
            var pt = lib._pgtables[c.Self];
            return Push(c.L, new LuaTable().Add("ias", pt.Cfg.Ias).Add("oas", pt.Cfg.Oas).Add("pgsize_bitmap", pt.Cfg.PgsizeBitmap)
                .Add("quirks", QuirkNames.Where(q => (pt.Cfg.Quirks & q.Quirk) != 0).Select(q => (object?)q.Name).ToList()));
        }),
        Field(HandleKind.Pgtable, "warnings", (lib, in c) => Push(c.L, lib._pgtables[c.Self].Warnings)),
        Field(HandleKind.Pgtable, "format", (lib, in c) => Push(c.L, lib._pgtables[c.Self].Format)),
        Field(HandleKind.Pgtable, "ttbr", (lib, in c) => Push(c.L, lib._pgtables[c.Self].Ttbr)),
    ];

    private static bool CfgField(Lua l, int table, string key, out ulong value, out bool present)
    {
        LuaValues.RawField(l, table, key);
        present = !l.IsNil(-1);
        value = 0;
        bool ok = !present || LuaValues.TryU64(l, -1, out value);
        l.Pop(1);
        return ok;
    }

    private int PgtableAlloc(in ApiCall c)
    {
        var l = c.L;
        int line = c.Line;
        var fmt = LuaValues.Str(l, 1);
        if (!IoPgtableFormats.TryParse(fmt, out var format))
            return Misuse(l, $"bad argument #1 to 'alloc' ({FormatNames} expected)");
        if (!CfgField(l, 2, "ias", out var ias, out var hasIas) || !hasIas || !CfgField(l, 2, "oas", out var oas, out var hasOas) || !hasOas)
            return Misuse(l, "bad argument #2 to 'alloc' (cfg.ias and cfg.oas must be integers)");
        if (!CfgField(l, 2, "pgsize_bitmap", out var bitmap, out var hasBitmap))
            return Misuse(l, "bad argument #2 to 'alloc' (cfg.pgsize_bitmap must be an integer)");
        if (!hasBitmap) bitmap = format.DefaultPgsizeBitmap;
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
        var pt = format.Alloc(cfg, _core.Machine.Memory, _core.Machine.Pages);
        var args = $"\"{fmt}\", {{ias = {ias}, oas = {oas}, pgsize_bitmap = {Show(bitmap)}" + (names.Count > 0 ? $", quirks = {{{string.Join(", ", names)}}}" : "") + "}";
        if (pt is null)
            return Record(l, line, "pgtable.alloc", args, Model.Outcome.Fail(Model.Errno.EINVAL,
                $"alloc_io_pgtable_ops returns NULL for this configuration ({format.AllocRules})"));
        _pgtables.Add(pt);
        int id = _pgtables.Count - 1;
        var clamped = (ulong)pt.Cfg.Ias != ias || (ulong)pt.Cfg.Oas != oas ? $", ias/oas clamped to {pt.Cfg.Ias}/{pt.Cfg.Oas} (arm_lpae_restrict_pgsizes)" : "";
        _log.Step(line, "pgtable.alloc", args, PtName(id), null, $"{pt.Format}: pgsize_bitmap {Show(pt.Cfg.PgsizeBitmap)}{clamped}, TTBR {Show(pt.Ttbr)}");
        return Values(l, id);
    }

    private int PgtableMap(in ApiCall c)
    {
        var pt = _pgtables[c.Id(0)];
        ulong iova = c.U64(1), pa = c.U64(2), pgsize = c.U64(3), count = c.U64(4);
        if (!_sandbox.TryPay(count)) return Misuse(c.L, $"map_pages: {count} pages exceed the instruction budget left (each page counts as one instruction)");
        var o = pt.MapPages(iova, pa, pgsize, count, (Prot)c.U64(5), out var mapped);
        return Step(c, ArgsText(c), o.Ok ? $"mapped {Show(mapped)}" : $"mapped {Show(mapped)}, -{o.Errno}", o.Ok ? null : o.Errno.ToString(), o.Why, iova, iova + pgsize * count - 1,
            mapped, o.Ok ? null : o.Errno.ToString(), o.Why);
    }
    private int PgtableReport(in ApiCall c)
    {
        var pt = _pgtables[c.Id(0)];
        var (start, size) = ReportRange(c);
        _log.Table(c.Line, $"Page table {PtName(c.Id(0))} ({pt.Format}, TTBR {Hex.Of(pt.Ttbr)}, {pt.Warnings} WARN(s))", PagetableHeader, PagetableRows(pt, start, size));
        return Values(c.L);
    }
}
