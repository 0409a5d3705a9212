using ScenarioEngine.Dma;
using ScenarioEngine.Model;

namespace ScenarioEngine.Scripting;

/// <summary>The dma.* and sim.advance rows of the API table (docs/lua-api.md) over <see cref="DmaIommu"/>.</summary>
internal sealed partial class ScenarioLibrary
{
    private const string DirBad = "\"to_device\", \"from_device\" or \"bidirectional\" expected";

    private static ApiArg DirArg() => Arg.Enum("dir", ["bidirectional", "to_device", "from_device"], DirBad, optional: true, annotation: "DmaDir");

    private static ApiFunction[] DmaRows() =>
    [
        Fn("dma", "set_mask", [Arg.Device(), Arg.Int("bits", "mask width in bits, 12..64, expected"),
            Arg.Enum("which", ["both", "streaming", "coherent"], "\"both\", \"streaming\" or \"coherent\" expected", optional: true, annotation: "\"both\"|\"streaming\"|\"coherent\"")],
            (lib, in c) => lib.DmaSetMask(c)),
        Fn("dma", "alloc_coherent", [Arg.Device(), Arg.Int("size")], (lib, in c) => lib.DmaAllocCoherent(c)),
        Fn("dma", "free_coherent", [Arg.Device(), Arg.Int("size"), Arg.Int("iova")], (lib, in c) =>
        {
            var o = lib._core.Dma.FreeCoherent(lib.Dev(c.Id(0)), c.U64(1), c.U64(2), c.Site);
            return o.Errno == Model.Errno.EINVAL ? Misuse(c.L, "dma.free_coherent: " + o.Why) : lib.Record(c, o);
        }),
        Fn("dma", "map_single", [Arg.Device(), Arg.Int("pa"), Arg.Int("size"), DirArg()], (lib, in c) => lib.DmaMapSingle(c)),
        Fn("dma", "unmap_single", [Arg.Device(), Arg.Int("iova"), Arg.Int("size"), DirArg()], (lib, in c) =>
        {
            var dev = lib.Dev(c.Id(0));
            return lib.Record(c.L, c.Line, c.Fn.Call, $"{dev.Name}, {Show(c.U64(1))}, {Show(c.U64(2))}, \"{c.Choice(3, "bidirectional")}\"",
                lib._core.Dma.Unmap(dev, c.U64(1), c.U64(2), c.Site));
        }),
        Fn("dma", "map_sg", [Arg.Device(), Arg.Table("sg", "{[1]: Int, [2]: Int}[]", "list of {pa, len} expected"), DirArg()], (lib, in c) => lib.DmaMapSg(c)),
        Fn("sim", "advance", [Arg.Int("ms", "milliseconds expected")], (lib, in c) => lib.SimAdvance(c)),
    ];

    private static DmaDirection Dir(in ApiCall c, int i) => c.Choice(i, "bidirectional") switch
    {
        "to_device" => DmaDirection.ToDevice,
        "from_device" => DmaDirection.FromDevice,
        _ => DmaDirection.Bidirectional,
    };

    private int DmaSetMask(in ApiCall c)
    {
        var dev = Dev(c.Id(0));
        ulong bits = c.U64(1);
        if (bits < 12 || bits > 64) return Misuse(c.L, "bad argument #2 to 'set_mask' (mask width in bits, 12..64, expected)");
        var which = c.Choice(2, "both");
        _core.Dma.SetMask(dev, (int)bits, which != "coherent", which != "streaming");
        var call = which == "both" ? "dma_set_mask_and_coherent" : which == "streaming" ? "dma_set_mask" : "dma_set_coherent_mask";
        return Record(c, Model.Outcome.Note(call));
    }

    private int DmaMapSingle(in ApiCall c)
    {
        var dev = Dev(c.Id(0));
        ulong pa = c.U64(1), size = c.U64(2);
        if (size == 0) return Misuse(c.L, "bad argument #3 to 'map_single' (size must be > 0)");
        var r = _core.Dma.MapSingle(dev, pa, size, Dir(c, 3), c.Site);
        var args = $"{dev.Name}, {Show(pa)}, {Show(size)}, \"{c.Choice(3, "bidirectional")}\"";
        if (!r.Ok) return Record(c.L, c.Line, c.Fn.Call, args, r.AsOutcome);
        return Step(c, args, "iova " + Show(r.Value), null, r.Why, null, null, r.Value);
    }

    private int DmaAllocCoherent(in ApiCall c)
    {
        var dev = Dev(c.Id(0));
        ulong size = c.U64(1);
        if (size == 0) return Misuse(c.L, "bad argument #2 to 'alloc_coherent' (size must be > 0)");
        var r = _core.Dma.AllocCoherent(dev, size, c.Site);
        if (!r.Ok) return Record(c, r.AsOutcome);
        return Step(c, ArgsText(c), $"iova {Show(r.Value.Iova)}, pa {Show(r.Value.Pa)}", null, r.Why, null, null, r.Value.Iova, r.Value.Pa);
    }

    private int DmaMapSg(in ApiCall c)
    {
        var l = c.L;
        var dev = Dev(c.Id(0));
        int table = c.At(1);
        var sg = new List<(ulong, ulong)>();
        long n = l.RawLen(table);
        for (long i = 1; i <= n; i++)
        {
            l.RawGetInteger(table, i);
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
        var r = _core.Dma.MapSg(dev, sg, Dir(c, 2), c.Site);
        var args = $"{dev.Name}, {{{string.Join(", ", sg.Select(x => $"{{{Show(x.Item1)}, {Show(x.Item2)}}}"))}}}, \"{c.Choice(2, "bidirectional")}\"";
        if (!r.Ok) return Record(l, c.Line, c.Fn.Call, args, r.AsOutcome);
        return Step(c, args, $"iova {Show(r.Value.Iova)}, {r.Value.Nents} segment(s)", null, r.Why, null, null, r.Value.Iova, r.Value.Nents);
    }

    private int SimAdvance(in ApiCall c)
    {
        ulong ms = c.U64(0);
        if (ms > int.MaxValue) return Misuse(c.L, "bad argument #1 to 'advance' (milliseconds expected)");
        var fired = _core.Dma.Advance((long)ms);
        return Step(c, ms.ToString(System.Globalization.CultureInfo.InvariantCulture), $"t = {_core.Dma.NowMs} ms", null,
            fired.Count == 0 ? null : string.Join("; ", fired), null, null, _core.Dma.NowMs);
    }
}
