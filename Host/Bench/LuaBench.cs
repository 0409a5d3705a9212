using System.Diagnostics;
using System.Globalization;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.Record;
using ScenarioEngine.Scripting;

namespace ScenarioEngine.Host.Bench;

/// <summary>
/// The cost the Lua bridge adds to a call, measured as one interleaved experiment in one process: a
/// MediaTek (ARMv7s, 4 KiB) DMA domain of a booted core, a sandbox with the scenario library installed
/// as a run installs it (the count hook armed), and many short rounds, each of four parts in turn —
/// (a) a Lua loop of <see cref="Calls"/> iommu.map calls and one iommu.unmap of them all, (b) the same
/// IommuCore.Map calls and Unmap made directly from C#, (c) the same Lua loop calling a host function
/// that only returns (true, true) through a wrapper shaped like the prelude's iommu.map (the host-call
/// floor: no implementation of the binding's design can go below it), (d) the same loop computing the
/// same arguments with no call. Per round: overhead = ((a) − (d)) ÷ calls − (b) ÷ calls, floor = ((c) −
/// (d)) ÷ calls. The Lua parts are timed inside the script (a host function takes a timestamp before
/// and after the loop), so the hand-over to the script thread is not in them. A row shows the median
/// round and the spread; the target is the medians' ratio ≤ 2.0. Interleaving puts both figures under
/// the same load, round by round.
/// </summary>
internal static class LuaBench
{
    private const int Calls = 4096, Rounds = 151;
    private const string OverheadRow = "lua iommu.map overhead per call (v7s, 4K)";
    private const string FloorRow = "lua host-call floor per call (no-op host function)";

    private const string Soc = """
        soc: bench
        memory:
          - { name: dram, base: 0x4000_0000, size: 2GiB }
        iommus:
          - { name: m4u, driver: mediatek }
        devices:
          - { name: dev, ids: [ { iommu: m4u, larb: 0, port: 0 } ] }
        """;

    public static IEnumerable<(string, Func<BenchCommand.Figure>)> All =>
    [
        (OverheadRow, () => Measured.Value.Overhead),
        (FloorRow, () => Measured.Value.Floor),
    ];

    /// <summary>One experiment per process gives both rows (each row's own process runs it once).</summary>
    private static readonly Lazy<(BenchCommand.Figure Overhead, BenchCommand.Figure Floor)> Measured = new(Measure);

    private const string Script = """
        local raw = __se_noop
        __se_noop = nil
        local handle = {}
        local lib = { map = function(d, iova, pa, size, prot)
          local ok, a, b, c = raw(d, iova, pa, size, prot)
          if ok then return a, b, c end
          if b == "handle" then error("bad argument #1 to 'map'", 2) end
          error(a, 2)
        end }
        local d = soc.device('dev').group.default_domain
        local base = 0x40000000
        local mark = __se_mark
        __se_mark = nil
        function bench_map(n)
          mark()
          for i = 0, n - 1 do iommu.map(d, base + i * 4096, base + i * 4096, 4096, 'rw') end
          iommu.unmap(d, base, n * 4096)
          mark()
        end
        function bench_noop(n)
          mark()
          for i = 0, n - 1 do lib.map(handle, base + i * 4096, base + i * 4096, 4096, 'rw') end
          mark()
        end
        function bench_empty(n)
          mark()
          for i = 0, n - 1 do local _ = base + i * 4096 + base + i * 4096 end
          mark()
        end
        """;

    private static readonly long[] Marks = new long[2];
    private static int MarkCount;

    /// <summary>__se_mark(): a timestamp, taken on the script's own thread.</summary>
    private static int Mark(IntPtr l)
    {
        if (MarkCount < Marks.Length) Marks[MarkCount] = Stopwatch.GetTimestamp();
        MarkCount++;
        return 0;
    }

    private static (BenchCommand.Figure, BenchCommand.Figure) Measure()
    {
        var core = BenchSoc.Boot(Soc);
        var d = core.Devices[0].Group!.DefaultDomain!;
        var dir = Directory.CreateTempSubdirectory("scenario-bench-lua-").FullName; // the sandbox's project root: fresh and private
        try
        {
            var budgets = new Budgets(long.MaxValue / 4, 1L << 30, TimeSpan.FromMinutes(10));
            using var sandbox = new LuaSandbox(budgets, null, dir, CancellationToken.None);
            var library = new ScenarioLibrary(core, new RunLog(), sandbox);
            library.Install([], 1, "bench.lua");
            sandbox.Register("__se_noop", LuaFast.PushTrueTrue);
            sandbox.Register("__se_mark", Mark);
            if (sandbox.RunScript(Script, "bench.lua", 1) is { } f) throw new InvalidOperationException(f.Message);
            string map = $"bench_map({Calls})", noop = $"bench_noop({Calls})", empty = $"bench_empty({Calls})";
            // timed inside the script (two MarkCount around the loop): the hand-over to the script thread and
            // back, whose scheduling delay dwarfs a round on a loaded CPU, stays out of the figure
            double Lua(string chunk)
            {
                MarkCount = 0;
                if (sandbox.RunScript(chunk, "bench.lua", 1) is { } failure) throw new InvalidOperationException(failure.Message);
                if (MarkCount != 2) throw new InvalidOperationException("the bench loop did not mark its start and end");
                return Stopwatch.GetElapsedTime(Marks[0], Marks[1]).TotalNanoseconds;
            }
            double Direct()
            {
                var sw = Stopwatch.StartNew();
                for (ulong i = 0; i < Calls; i++) core.Map(d, 0x4000_0000 + (i << 12), 0x4000_0000 + (i << 12), 0x1000, Prot.Read | Prot.Write);
                core.Unmap(d, 0x4000_0000, (ulong)Calls << 12);
                return sw.Elapsed.TotalNanoseconds;
            }
            // warm up by time (tiered compilation), all four parts
            var warm = Stopwatch.StartNew();
            while (warm.ElapsedMilliseconds < 800) { Lua(map); Direct(); Lua(noop); Lua(empty); }
            var overhead = new double[Rounds];
            var floor = new double[Rounds];
            var ratio = new double[Rounds];
            for (int r = 0; r < Rounds; r++)
            {
                BenchCommand.FloorRound();
                double a = Lua(map), b = Direct(), c = Lua(noop), e = Lua(empty);
                overhead[r] = (a - e - b) / Calls;
                floor[r] = (c - e) / Calls;
                ratio[r] = overhead[r] / floor[r];
            }
            var o = BenchCommand.FromTimes(overhead);
            var fl = BenchCommand.FromTimes(floor);
            var q = BenchCommand.FromTimes(ratio);
            var target = string.Create(CultureInfo.InvariantCulture,
                $"≤ 2.0× the host-call floor, interleaved ({Rounds} rounds of {Calls} calls): {o.Median / fl.Median:0.00}× (floor {fl.Median:0.0} ns; per-round ratio {q.Median:0.00}, {q.Min:0.00}-{q.Max:0.00})");
            return (new BenchCommand.Figure(OverheadRow, o, (long)Calls * Rounds, target, 2.0 * fl.Median),
                    new BenchCommand.Figure(FloorRow, fl, (long)Calls * Rounds, "none: the wrapper, native boundary and count hook with no engine work (measured interleaved with the overhead row's rounds)", null));
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
