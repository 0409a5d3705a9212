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

    public static int Execute(bool json, string? only, TextWriter stdout)
    {
        var figures = new List<Figure>();
        foreach (var (name, run) in IovaBench.All.Concat(PgtableBench.All).Concat(LuaBench.All))
        {
            if (only is not null && !name.Contains(only, StringComparison.Ordinal)) continue;
            figures.Add(run());
        }
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
                    if (f.TargetMaxNs is { } t) w.WriteBoolean("meets_target", f.NsPerOp <= t);
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

    /// <summary>Best of <paramref name="rounds"/> timed runs of <paramref name="body"/>, each doing <paramref name="ops"/> operations.</summary>
    internal static double BestNsPerOp(int rounds, long ops, Action setup, Action body)
    {
        const int warmups = 3; // let tiered compilation (and its profile-guided tier) settle first
        double best = double.MaxValue;
        for (int r = 0; r < rounds + warmups; r++)
        {
            setup();
            var sw = Stopwatch.StartNew();
            body();
            sw.Stop();
            if (r < warmups) continue;
            best = Math.Min(best, sw.Elapsed.TotalNanoseconds / ops);
        }
        return best;
    }
}
