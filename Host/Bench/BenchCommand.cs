using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace ScenarioEngine.Host.Bench;

/// <summary>
/// `scenario bench`: micro-benchmarks of the engine's hot paths, printed beside the kernel's own figures
/// for the same workloads (<see cref="KernelReference"/>: reference data with its machine and date, not
/// measured here). Each workload runs in a process of its own, configured as `scenario run`'s workers
/// are, warms up, then times several rounds with a round of the plain-loop floor before each: a row
/// shows the median round with the spread (fastest and slowest round) and the floor's median, and a
/// row with a kernel figure is compared after dividing each side by its own floor: above 1.0 the row
/// is behind the kernel and is marked. Never used by tests: figures go in notes.
/// </summary>
internal static class BenchCommand
{
    /// <summary>The median and the spread of a measurement's timed rounds, per operation.</summary>
    internal readonly record struct Rounds(double Median, double Min, double Max)
    {
        public static Rounds Of(double value) => new(value, value, value);

        /// <summary>A measurement minus a baseline's median (the loop's own cost, the direct path).</summary>
        public static Rounds operator -(Rounds a, Rounds b) => new(a.Median - b.Median, a.Min - b.Median, a.Max - b.Median);

        public static Rounds operator /(Rounds a, double d) => new(a.Median / d, a.Min / d, a.Max / d);
    }

    internal sealed record Figure(string Name, Rounds Time, long Ops, string Target, double? TargetMaxNs)
    {
        public double NsPerOp => Time.Median;

        /// <summary>"ns" for timings; anything else is a plain ratio (no Mops/s).</summary>
        public string Unit { get; init; } = "ns";

        /// <summary>The plain-loop floor measured between this row's rounds, in its process (null where the row has no timed rounds).</summary>
        public Rounds? Floor { get; init; }
    }

    /// <summary>The plain loop both sides' figures are normalised with.</summary>
    internal const string FloorRow = "stream: physical limit, plain array lookups";

    /// <summary>
    /// What measured: the cores, the runtime and how its code was compiled — the JIT build with
    /// ReadyToRun code or not, and with dynamic PGO as the environment leaves it (the rows' processes
    /// get what `scenario run`'s workers get), or the NativeAOT tool (no JIT, no PGO).
    /// </summary>
    internal static string Machine
    {
        get
        {
            var compiled = System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeCompiled
                ? $"JIT ({(ReadyToRun ? "ReadyToRun code, then " : "")}tiered, dynamic PGO {(Environment.GetEnvironmentVariable("DOTNET_TieredPGO") == "0" ? "off" : "on")})"
                : "NativeAOT (no JIT, no PGO)";
            return $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {compiled}";
        }
    }

    /// <summary>Whether the engine's code came precompiled (ReadyToRun): the engine assembly carries a native header then.</summary>
    private static bool ReadyToRun
    {
        get
        {
            try
            {
                var path = Path.Combine(AppContext.BaseDirectory, "ScenarioEngine.dll"); // none beside a single-file or NativeAOT binary
                if (!File.Exists(path)) return false;
                using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(path));
                return pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
            }
            catch (IOException) { return false; }
            catch (BadImageFormatException) { return false; }
        }
    }

    /// <summary>(engine ÷ its floor) ÷ (kernel ÷ its floor): below 1.0 the engine is faster than the kernel; null without a kernel figure or a floor.</summary>
    internal static double? Normalised(Figure f, double? floorNs) =>
        f.Unit == "ns" && floorNs is > 0 && KernelReference.Rows.TryGetValue(f.Name, out var k) && f.Name != FloorRow
            ? f.NsPerOp / floorNs.Value / (k.Ns / k.FloorNs) : null;

    public static int Execute(bool json, string? only, bool inProcess, TextWriter stdout)
    {
        var all = IovaBench.All.Concat(PgtableBench.All).Concat(SmmuV3Bench.All).Concat(LuaBench.All).Concat(TrafficBench.All).Concat(TreeBench.All).Where(b => only is null || b.Item1.Contains(only, StringComparison.Ordinal)).ToList();
        var figures = new List<Figure>();
        foreach (var (name, run) in all)
            figures.Add(inProcess ? InProcess(run) : InChild(name) ?? InProcess(run));
        double? floorRow = figures.FirstOrDefault(f => f.Name == FloorRow)?.NsPerOp;
        // a row is normalised by the floor measured between its own rounds; a row without one by the floor row
        double? FloorOf(Figure f) => f.Floor?.Median ?? floorRow;
        if (json)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                w.WriteString("machine", Machine);
                w.WriteString("kernel_reference", "reference data, not measured in this run: Linux 7.0 drivers/iommu code compiled in userspace (docs/performance.md); each row gives its figure's floor and runs");
                w.WriteStartArray("benchmarks");
                foreach (var f in figures)
                {
                    w.WriteStartObject();
                    w.WriteString("name", f.Name);
                    if (f.Unit == "ns")
                    {
                        w.WriteNumber("ns_per_op", Math.Round(f.NsPerOp, 2));
                        w.WriteNumber("min_ns", Math.Round(f.Time.Min, 2));
                        w.WriteNumber("max_ns", Math.Round(f.Time.Max, 2));
                        w.WriteNumber("mops_per_s", Math.Round(1000.0 / f.NsPerOp, 2));
                        if (f.Floor is { } fl)
                        {
                            w.WriteNumber("floor_ns", Math.Round(fl.Median, 3));
                            w.WriteNumber("floor_min_ns", Math.Round(fl.Min, 3));
                            w.WriteNumber("floor_max_ns", Math.Round(fl.Max, 3));
                        }
                        if (KernelReference.Rows.TryGetValue(f.Name, out var k))
                        {
                            w.WriteNumber("kernel_ns", k.Ns);
                            w.WriteNumber("kernel_floor_ns", k.FloorNs);
                            w.WriteString("kernel_measured", k.Measured);
                        }
                        if (Normalised(f, FloorOf(f)) is { } n)
                        {
                            w.WriteNumber("vs_kernel_normalised", Math.Round(n, 3));
                            w.WriteBoolean("behind_kernel", n > 1.0);
                        }
                    }
                    else
                    {
                        w.WriteNumber("ratio", Math.Round(f.NsPerOp, 3));
                        w.WriteString("unit", f.Unit);
                    }
                    w.WriteNumber("ops", f.Ops);
                    w.WriteString("target", f.Target);
                    if (f.TargetMaxNs is { } t)
                    {
                        w.WriteNumber("target_max", t);
                        w.WriteBoolean("meets_target", f.NsPerOp <= t);
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            stdout.WriteLine(System.Text.Encoding.UTF8.GetString(ms.ToArray()));
        }
        else
        {
            // a row behind the kernel is red on a terminal and says BEHIND everywhere
            bool color = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
            stdout.WriteLine(Machine);
            stdout.WriteLine("kernel column: reference data, not measured in this run: Linux 7.0's own code in userspace, each figure with the floor of its runs");
            stdout.WriteLine($"  rows marked *: {KernelReference.Loaded}; the others: {KernelReference.Quiet}");
            stdout.WriteLine("vs kernel: (this row ÷ the floor measured between its rounds) ÷ (kernel ÷ its floor); above 1.00 the engine is behind");
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"benchmark",-60} {"median",9} {"spread (min-max)",17} {"floor",6} {"kernel",8} {"vs kernel",9}  target"));
            foreach (var f in figures)
            {
                var value = f.Unit == "ns" ? string.Create(CultureInfo.InvariantCulture, $"{f.NsPerOp,9:0.00} {$"{f.Time.Min:0.00}-{f.Time.Max:0.00}",17}")
                                           : string.Create(CultureInfo.InvariantCulture, $"{f.NsPerOp,8:0.000}{f.Unit} {"",17}");
                var floor = f.Floor is { } fl ? fl.Median.ToString("0.00", CultureInfo.InvariantCulture) : "—";
                var kernel = KernelReference.Rows.TryGetValue(f.Name, out var k) && f.Unit == "ns" && f.Name != FloorRow
                    ? k.Ns.ToString("0.00", CultureInfo.InvariantCulture) + (k.Measured == KernelReference.Loaded ? "*" : "") : "—";
                var n = Normalised(f, FloorOf(f));
                var vs = n is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + (r > 1.0 ? " BEHIND" : "") : "—";
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"{f.Name,-60} {value} {floor,6} {kernel,8} {vs,9}  {f.Target}{(f.TargetMaxNs is { } t ? (f.NsPerOp <= t ? "  (met)" : "  (NOT met)") : "")}");
                stdout.WriteLine(color && (n > 1.0 || (f.TargetMaxNs is { } tm && f.NsPerOp > tm)) ? "\u001b[31m" + line + "\u001b[0m" : line);
            }
        }
        return Cli.Ok;
    }

    /// <summary>A row run in this process, with the floor its rounds measured between them.</summary>
    private static Figure InProcess(Func<Figure> run)
    {
        FloorTimes = new List<double>();
        var f = run();
        var floor = FloorTimes.Count > 0 ? FromTimes([.. FloorTimes]) : (Rounds?)null;
        FloorTimes = null;
        return f.Floor is null && floor is not null ? f with { Floor = floor } : f;
    }

    /// <summary>
    /// Runs one benchmark in a fresh process, so its code is compiled with its own profile (tiered
    /// compilation optimises a method once, for whatever ran first), in the configuration `scenario
    /// run`'s workers have (the same tiering and PGO settings: what a scenario's run gets). Null when no
    /// child can be started.
    /// </summary>
    private static Figure? InChild(string name)
    {
        var exe = Environment.ProcessPath;
        if (exe is null) return null;
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet")
        {
            if (WorkerLauncher.AssemblyFile() is not { } dll) return null;
            psi.ArgumentList.Add(dll);
        }
        foreach (var a in new[] { "bench", "--only", name, "--json", "--in-process" }) psi.ArgumentList.Add(a);
        Running.WorkerPool.SingleCpuTiering(psi);
        Running.WorkerPool.ShortScriptsProfile(psi);
        using var p = Process.Start(psi);
        if (p is null) return null;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) return null;
        using var doc = JsonDocument.Parse(output);
        foreach (var b in doc.RootElement.GetProperty("benchmarks").EnumerateArray())
        {
            if (b.GetProperty("name").GetString() != name) continue;
            bool isNs = b.TryGetProperty("ns_per_op", out var ns);
            double value = isNs ? ns.GetDouble() : b.GetProperty("ratio").GetDouble();
            var time = isNs ? new Rounds(value, b.GetProperty("min_ns").GetDouble(), b.GetProperty("max_ns").GetDouble()) : Rounds.Of(value);
            double? max = b.TryGetProperty("target_max", out var tm) ? tm.GetDouble() : null;
            Rounds? floor = b.TryGetProperty("floor_ns", out var fl)
                ? new Rounds(fl.GetDouble(), b.GetProperty("floor_min_ns").GetDouble(), b.GetProperty("floor_max_ns").GetDouble()) : null;
            return new Figure(name, time, b.GetProperty("ops").GetInt64(), b.GetProperty("target").GetString()!, max)
            {
                Unit = isNs ? "ns" : b.TryGetProperty("unit", out var unit) ? unit.GetString()! : "×",
                Floor = floor,
            };
        }
        return null;
    }

    /// <summary>The floor rounds of the row running now (null outside a row).</summary>
    [ThreadStatic] private static List<double>? FloorTimes;

    private static readonly ulong[] FloorTable = Enumerable.Range(0, 16).Select(i => 0x4000_0000UL + ((ulong)i << 12)).ToArray();
    private static ulong FloorSink;

    /// <summary>One round of the floor loop between a row's rounds: long enough to time, short beside a round.</summary>
    internal static void FloorRound()
    {
        if (FloorTimes is null) return;
        const long n = 2_000_000;
        var sw = Stopwatch.StartNew();
        FloorSink += TrafficBench.Lookups(FloorTable, n);
        sw.Stop();
        FloorTimes.Add(sw.Elapsed.TotalNanoseconds / n);
    }

    /// <summary>
    /// The median and spread of <paramref name="rounds"/> timed runs of <paramref name="body"/>, each doing
    /// <paramref name="ops"/> operations, with a round of the floor loop before each (the floor the row
    /// is normalised by, measured under the same load as the row).
    /// </summary>
    internal static Rounds Measure(int rounds, long ops, Action setup, Action body)
    {
        // Warm up by time, not by count: tiered compilation waits for 100 ms without new methods
        // before promoting hot code, and its profile-guided tier needs a while after that.
        var warm = Stopwatch.StartNew();
        for (int w = 0; w < 3 || warm.ElapsedMilliseconds < 600; w++)
        {
            setup();
            body();
            if (w < 3) FloorRound(); // the floor loop's own warm-up, its first results dropped below
        }
        FloorTimes?.Clear();
        var times = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            setup();
            FloorRound();
            var sw = Stopwatch.StartNew();
            body();
            sw.Stop();
            times[r] = sw.Elapsed.TotalNanoseconds / ops;
        }
        FloorRound();
        return FromTimes(times);
    }

    /// <summary>The median (the mean of the middle two for an even count) and the extremes.</summary>
    internal static Rounds FromTimes(double[] times)
    {
        var sorted = times.Order().ToArray();
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new Rounds(median, sorted[0], sorted[^1]);
    }
}
