using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace ScenarioEngine.Host.Bench;

/// <summary>
/// `scenario bench`: micro-benchmarks of the engine's hot paths, measured here and printed with the
/// kernel's own figures (the kernel's io-pgtable-arm(-v7s).c and iova.c compiled in userspace on this
/// machine, <see cref="KernelReference"/>). Each workload runs a warm-up, then several timed rounds;
/// the median round is reported with the spread (fastest and slowest round). A row with a kernel
/// figure is also compared after normalising both sides by the plain-loop floor of their own run
/// (the engine's "stream: physical limit, plain array lookups" row; the kernel's C loop took
/// 0.81 ns): above 1.0 the row is behind the kernel and is marked. Never used by tests: figures go
/// in notes.
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
    }

    /// <summary>The plain loop the kernel figures were normalised with, and what it took in C (-O2) on this machine.</summary>
    internal const string FloorRow = "stream: physical limit, plain array lookups";
    internal const double KernelFloorNs = 0.81;

    /// <summary>
    /// The kernel's own code on this machine, ns per operation (medians of three interleaved runs,
    /// io-pgtable-arm(-v7s).c and iova.c built with gcc -O2 in userspace, the same workloads as the
    /// rows; issue "Faster than the kernel on every row").
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, double> KernelReference = new Dictionary<string, double>
    {
        ["iova alloc_iova: grow the tree to 10^6 ranges"] = 76.5,
        ["iova alloc+free steady, 4096 live, 1-256 pages"] = 361.6,
        ["iova rcache alloc_fast+free_fast, 1-32 pages"] = 5.15,
        ["v7s map, one call per page, fresh tables"] = 10.44,
        ["v7s map, one call per page, existing tables"] = 10.40,
        ["v7s map_pages of 1 GiB, per page"] = 7.39,
        ["v7s iova_to_phys, per page"] = 5.50,
        ["v7s unmap, one call per page"] = 11.74,
        ["v7s unmap_pages of 1 GiB, per page"] = 9.51,
        ["lpae-s1-4k map, one call per page, fresh tables"] = 15.75,
        ["lpae-s1-4k map, one call per page, existing tables"] = 15.58,
        ["lpae-s1-4k map_pages of 1 GiB, per page"] = 1.17,
        ["lpae-s1-4k iova_to_phys, per page"] = 24.66,
        ["lpae-s1-4k unmap, one call per page"] = 13.14,
        ["lpae-s1-4k unmap_pages of 1 GiB, per page"] = 0.96,
        [FloorRow] = KernelFloorNs,
    };

    /// <summary>
    /// What measured: the cores, the runtime and how its code was compiled. The kernel comparison was
    /// made with the JIT build (tiered, dynamic PGO); the NativeAOT tool has no PGO, and its tight
    /// loops are up to 3× slower (docs/performance.md), while whole runs are faster.
    /// </summary>
    internal static string Machine =>
        $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
        (System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeCompiled ? "JIT (tiered, dynamic PGO)" : "NativeAOT (no JIT: the kernel comparison is made with the JIT build)");

    /// <summary>(engine ÷ its floor) ÷ (kernel ÷ its floor): below 1.0 the engine is faster than the kernel; null without a kernel figure or a floor.</summary>
    internal static double? Normalised(Figure f, double? floorNs) =>
        f.Unit == "ns" && floorNs is > 0 && KernelReference.TryGetValue(f.Name, out var k) ? f.NsPerOp / floorNs.Value / (k / KernelFloorNs) : null;

    public static int Execute(bool json, string? only, bool inProcess, TextWriter stdout)
    {
        var all = IovaBench.All.Concat(PgtableBench.All).Concat(SmmuV3Bench.All).Concat(LuaBench.All).Concat(TrafficBench.All).Concat(TreeBench.All).Where(b => only is null || b.Item1.Contains(only, StringComparison.Ordinal)).ToList();
        var figures = new List<Figure>();
        foreach (var (name, run) in all)
            figures.Add(inProcess ? run() : InChild(name) ?? run());
        double? floor = figures.FirstOrDefault(f => f.Name == FloorRow)?.NsPerOp;
        if (json)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                w.WriteString("machine", Machine);
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
                        if (KernelReference.TryGetValue(f.Name, out var k)) w.WriteNumber("kernel_ns", k);
                        if (Normalised(f, floor) is { } n)
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
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"benchmark",-52} {"median",9} {"spread (min-max)",17} {"kernel",8} {"vs kernel",9}  target"));
            foreach (var f in figures)
            {
                var value = f.Unit == "ns" ? string.Create(CultureInfo.InvariantCulture, $"{f.NsPerOp,9:0.00} {$"{f.Time.Min:0.00}-{f.Time.Max:0.00}",17}")
                                           : string.Create(CultureInfo.InvariantCulture, $"{f.NsPerOp,8:0.000}{f.Unit} {"",17}");
                var kernel = KernelReference.TryGetValue(f.Name, out var k) && f.Unit == "ns" ? k.ToString("0.00", CultureInfo.InvariantCulture) : "—";
                var n = Normalised(f, floor);
                var vs = n is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + (r > 1.0 ? " BEHIND" : "") : "—";
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"{f.Name,-52} {value} {kernel,8} {vs,9}  {f.Target}{(f.TargetMaxNs is { } t ? (f.NsPerOp <= t ? "  (met)" : "  (NOT met)") : "")}");
                stdout.WriteLine(color && (n > 1.0 || (f.TargetMaxNs is { } tm && f.NsPerOp > tm)) ? "\u001b[31m" + line + "\u001b[0m" : line);
            }
            if (floor is null && figures.Any(f => KernelReference.ContainsKey(f.Name) && f.Name != FloorRow))
                stdout.WriteLine($"(no '{FloorRow}' row in this run: the comparison with the kernel needs it)");
        }
        return Cli.Ok;
    }

    /// <summary>
    /// Runs one benchmark in a fresh process, so its code is compiled with its own profile (tiered
    /// compilation optimises a method once, for whatever ran first). Null when no child can be started.
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
        Running.WorkerPool.SingleCpuTiering(psi); // as the engine starts its workers: measured as scenarios run
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
            return new Figure(name, time, b.GetProperty("ops").GetInt64(), b.GetProperty("target").GetString()!, max)
            {
                Unit = isNs ? "ns" : b.TryGetProperty("unit", out var unit) ? unit.GetString()! : "×",
            };
        }
        return null;
    }

    /// <summary>The median and spread of <paramref name="rounds"/> timed runs of <paramref name="body"/>, each doing <paramref name="ops"/> operations.</summary>
    internal static Rounds Measure(int rounds, long ops, Action setup, Action body)
    {
        // Warm up by time, not by count: tiered compilation waits for 100 ms without new methods
        // before promoting hot code, and its profile-guided tier needs a while after that.
        var warm = Stopwatch.StartNew();
        for (int w = 0; w < 3 || warm.ElapsedMilliseconds < 600; w++)
        {
            setup();
            body();
        }
        var times = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            setup();
            var sw = Stopwatch.StartNew();
            body();
            sw.Stop();
            times[r] = sw.Elapsed.TotalNanoseconds / ops;
        }
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
