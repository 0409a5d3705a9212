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
    internal sealed record Figure(string Name, double NsPerOp, long Ops, string Target, double? TargetMaxNs);

    public static int Execute(bool json, string? only, TextWriter stdout)
    {
        var figures = new List<Figure>();
        foreach (var (name, run) in IovaBench.All)
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
                    w.WriteNumber("ns_per_op", Math.Round(f.NsPerOp, 2));
                    w.WriteNumber("mops_per_s", Math.Round(1000.0 / f.NsPerOp, 2));
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
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"benchmark",-44} {"ns/op",9} {"Mops/s",9}  target"));
            foreach (var f in figures)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{f.Name,-44} {f.NsPerOp,9:0.00} {1000.0 / f.NsPerOp,9:0.00}  {f.Target}{(f.TargetMaxNs is { } t ? (f.NsPerOp <= t ? "  (met)" : "  (NOT met)") : "")}"));
        }
        return Cli.Ok;
    }

    /// <summary>Best of <paramref name="rounds"/> timed runs of <paramref name="body"/>, each doing <paramref name="ops"/> operations.</summary>
    internal static double BestNsPerOp(int rounds, long ops, Action setup, Action body)
    {
        double best = double.MaxValue;
        for (int r = 0; r < rounds + 1; r++)
        {
            setup();
            var sw = Stopwatch.StartNew();
            body();
            sw.Stop();
            if (r == 0) continue; // warm-up (JIT tiering)
            best = Math.Min(best, sw.Elapsed.TotalNanoseconds / ops);
        }
        return best;
    }
}
