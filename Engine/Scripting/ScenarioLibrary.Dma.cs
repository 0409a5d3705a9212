using KeraLua;
using ScenarioEngine.Dma;
using ScenarioEngine.Model;

namespace ScenarioEngine.Scripting;

/// <summary>dma.* and sim.advance of docs/lua-api.md over <see cref="DmaIommu"/>.</summary>
internal sealed partial class ScenarioLibrary
{
    private static bool TryDir(Lua l, int idx, out DmaDirection dir)
    {
        dir = DmaDirection.Bidirectional;
        if (l.IsNoneOrNil(idx)) return true;
        switch (LuaValues.Str(l, idx))
        {
            case "bidirectional": return true;
            case "to_device": dir = DmaDirection.ToDevice; return true;
            case "from_device": dir = DmaDirection.FromDevice; return true;
            default: return false;
        }
    }

    private static string DirText(DmaDirection d) => d switch
    {
        DmaDirection.ToDevice => "to_device",
        DmaDirection.FromDevice => "from_device",
        _ => "bidirectional",
    };

    private const string DirMisuse = "(\"to_device\", \"from_device\" or \"bidirectional\" expected)";

    [LuaName("dma_set_mask")]
    private int DmaSetMask(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var dev = Dev(l, 1);
        if (!LuaValues.TryU64(l, 2, out var bits) || bits < 12 || bits > 64)
            return Misuse(l, "bad argument #2 to 'set_mask' (mask width in bits, 12..64, expected)");
        var which = l.IsNoneOrNil(3) ? "both" : LuaValues.Str(l, 3);
        if (which is not ("both" or "streaming" or "coherent"))
            return Misuse(l, "bad argument #3 to 'set_mask' (\"both\", \"streaming\" or \"coherent\" expected)");
        _core.Dma.SetMask(dev, (int)bits, which != "coherent", which != "streaming");
        var call = which == "both" ? "dma_set_mask_and_coherent" : which == "streaming" ? "dma_set_mask" : "dma_set_coherent_mask";
        return Record(l, line, "dma.set_mask", $"{dev.Name}, {bits}" + (l.IsNoneOrNil(3) ? "" : $", \"{which}\""), Model.Outcome.Note(call));
    });

    [LuaName("dma_map_single")]
    private int DmaMapSingle(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var dev = Dev(l, 1);
        if (!Addr(l, 2, "map_single", 2, out var pa, out var m)) return m;
        if (!Addr(l, 3, "map_single", 3, out var size, out m)) return m;
        if (size == 0) return Misuse(l, "bad argument #3 to 'map_single' (size must be > 0)");
        if (!TryDir(l, 4, out var dir)) return Misuse(l, "bad argument #4 to 'map_single' " + DirMisuse);
        var r = _core.Dma.MapSingle(dev, pa, size, dir);
        var args = $"{dev.Name}, {Show(pa)}, {Show(size)}, \"{DirText(dir)}\"";
        if (!r.Ok) return Record(l, line, "dma.map_single", args, r.AsOutcome);
        _log.Step(line, "dma.map_single", args, "iova " + Show(r.Value), null, r.Why);
        return Values(l, r.Value);
    });

    [LuaName("dma_unmap_single")]
    private int DmaUnmapSingle(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var dev = Dev(l, 1);
        if (!Addr(l, 2, "unmap_single", 2, out var iova, out var m)) return m;
        if (!Addr(l, 3, "unmap_single", 3, out var size, out m)) return m;
        if (!TryDir(l, 4, out var dir)) return Misuse(l, "bad argument #4 to 'unmap_single' " + DirMisuse);
        return Record(l, line, "dma.unmap_single", $"{dev.Name}, {Show(iova)}, {Show(size)}, \"{DirText(dir)}\"", _core.Dma.Unmap(dev, iova, size));
    });

    [LuaName("dma_alloc_coherent")]
    private int DmaAllocCoherent(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var dev = Dev(l, 1);
        if (!Addr(l, 2, "alloc_coherent", 2, out var size, out var m)) return m;
        if (size == 0) return Misuse(l, "bad argument #2 to 'alloc_coherent' (size must be > 0)");
        var r = _core.Dma.AllocCoherent(dev, size);
        var args = $"{dev.Name}, {Show(size)}";
        if (!r.Ok) return Record(l, line, "dma.alloc_coherent", args, r.AsOutcome);
        _log.Step(line, "dma.alloc_coherent", args, $"iova {Show(r.Value.Iova)}, pa {Show(r.Value.Pa)}", null, r.Why);
        return Values(l, r.Value.Iova, r.Value.Pa);
    });

    [LuaName("dma_free_coherent")]
    private int DmaFreeCoherent(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var dev = Dev(l, 1);
        if (!Addr(l, 2, "free_coherent", 2, out var size, out var m)) return m;
        if (!Addr(l, 3, "free_coherent", 3, out var iova, out m)) return m;
        var o = _core.Dma.FreeCoherent(dev, size, iova);
        if (o.Errno == Model.Errno.EINVAL) return Misuse(l, "dma.free_coherent: " + o.Why);
        return Record(l, line, "dma.free_coherent", $"{dev.Name}, {Show(size)}, {Show(iova)}", o);
    });

    [LuaName("dma_map_sg")]
    private int DmaMapSg(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        var dev = Dev(l, 1);
        if (!l.IsTable(2)) return Misuse(l, "bad argument #2 to 'map_sg' (list of {pa, len} expected)");
        var sg = new List<(ulong, ulong)>();
        long n = l.RawLen(2);
        for (long i = 1; i <= n; i++)
        {
            l.RawGetInteger(2, i);
            bool ok = l.IsTable(-1);
            ulong pa = 0, len = 0;
            if (ok)
            {
                l.RawGetInteger(-1, 1);
                ok = LuaValues.TryU64(l, -1, out pa);
                l.Pop(1);
                l.RawGetInteger(-1, 2);
                ok = ok && LuaValues.TryU64(l, -1, out len) && len > 0;
                l.Pop(1);
            }
            l.Pop(1);
            if (!ok) return Misuse(l, $"bad argument #2 to 'map_sg' (entry {i} must be {{pa, len}} with len > 0)");
            sg.Add((pa, len));
        }
        if (sg.Count == 0) return Misuse(l, "bad argument #2 to 'map_sg' (at least one segment expected)");
        if (!TryDir(l, 3, out var dir)) return Misuse(l, "bad argument #3 to 'map_sg' " + DirMisuse);
        var r = _core.Dma.MapSg(dev, sg, dir);
        var args = $"{dev.Name}, {{{string.Join(", ", sg.Select(x => $"{{{Show(x.Item1)}, {Show(x.Item2)}}}"))}}}, \"{DirText(dir)}\"";
        if (!r.Ok) return Record(l, line, "dma.map_sg", args, r.AsOutcome);
        _log.Step(line, "dma.map_sg", args, $"iova {Show(r.Value.Iova)}, {r.Value.Nents} segment(s)", null, r.Why);
        return Values(l, r.Value.Iova, r.Value.Nents);
    });

    [LuaName("sim_advance")]
    private int SimAdvance(IntPtr s) => Guard(s, l =>
    {
        int line = Line(s);
        if (!LuaValues.TryU64(l, 1, out var ms) || ms > int.MaxValue) return Misuse(l, "bad argument #1 to 'advance' (milliseconds expected)");
        var fired = _core.Dma.Advance((long)ms);
        _log.Step(line, "sim.advance", ms.ToString(System.Globalization.CultureInfo.InvariantCulture),
            $"t = {_core.Dma.NowMs} ms", null, fired.Count == 0 ? null : string.Join("; ", fired));
        return Values(l, _core.Dma.NowMs);
    });
}
