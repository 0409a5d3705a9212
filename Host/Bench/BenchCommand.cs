using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace ScenarioEngine.Host.Bench;

/// <summary>
/// `scenario bench`: micro-benchmarks of the engine's hot paths, measured here and printed with the
/// targets the issues name (the kernel's own code compiled in userspace on this machine). Each
/// workload runs a warm-up, then several timed rounds; the best round's time per operation is
/// reported (the least disturbed by the machine). Never used by tests: figures go in notes.
/// </summary>
internal static class BenchCommand
{
    internal sealed record Figure(string Name, double NsPerOp, long Ops, string Target, double? TargetMaxNs)
    {
        /// <summary>"ns" for timings; anything else is a plain ratio (no Mops/s).</summary>
        public string Unit { get; init; } = "ns";
    }

    public static int Execute(bool json, string? only, bool inProcess, TextWriter stdout)
    {
        var all = IovaBench.All.Concat(PgtableBench.All).Concat(LuaBench.All).Concat(TrafficBench.All).Where(b => only is null || b.Item1.Contains(only, StringComparison.Ordinal)).ToList();
        var figures = new List<Figure>();
        foreach (var (name, run) in all)
            figures.Add(inProcess || all.Count == 1 ? run() : InChild(name) ?? run());
        if (json)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                w.WriteStartObject();
                w.WriteString("machine", $"{Environment.ProcessorCount} cores, .NET {Environment.Version}");
                w.WriteStartArray("benchmarks");
                foreach (var f in figures)
                {
                    w.WriteStartObject();
                    w.WriteString("name", f.Name);
                    if (f.Unit == "ns")
                    {
                        w.WriteNumber("ns_per_op", Math.Round(f.NsPerOp, 2));
                        w.WriteNumber("mops_per_s", Math.Round(1000.0 / f.NsPerOp, 2));
                    }
                    else w.WriteNumber("ratio", Math.Round(f.NsPerOp, 3));
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
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"benchmark",-52} {"ns/op",9} {"Mops/s",9}  target"));
            foreach (var f in figures)
            {
                var value = f.Unit == "ns" ? string.Create(CultureInfo.InvariantCulture, $"{f.NsPerOp,9:0.00} {1000.0 / f.NsPerOp,9:0.00}")
                                           : string.Create(CultureInfo.InvariantCulture, $"{f.NsPerOp,8:0.000}{f.Unit} {"",9}");
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{f.Name,-52} {value}  {f.Target}{(f.TargetMaxNs is { } t ? (f.NsPerOp <= t ? "  (met)" : "  (NOT met)") : "")}"));
            }
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
            double? max = b.TryGetProperty("target_max", out var tm) ? tm.GetDouble() : null;
            return new Figure(name, value, b.GetProperty("ops").GetInt64(), b.GetProperty("target").GetString()!, max) { Unit = isNs ? "ns" : "×" };
        }
        return null;
    }

    /// <summary>Best of <paramref name="rounds"/> timed runs of <paramref name="body"/>, each doing <paramref name="ops"/> operations.</summary>
    internal static double BestNsPerOp(int rounds, long ops, Action setup, Action body)
    {
        // Warm up by time, not by count: tiered compilation waits for 100 ms without new methods
        // before promoting hot code, and its profile-guided tier needs a while after that.
        var warm = Stopwatch.StartNew();
        for (int w = 0; w < 3 || warm.ElapsedMilliseconds < 600; w++)
        {
            setup();
            body();
        }
        double best = double.MaxValue;
        for (int r = 0; r < rounds; r++)
        {
            setup();
            var sw = Stopwatch.StartNew();
            body();
            sw.Stop();
            best = Math.Min(best, sw.Elapsed.TotalNanoseconds / ops);
        }
        return best;
    }
}
