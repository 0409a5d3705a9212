using System.Globalization;
using System.Text;
using ScenarioEngine.Advice;
using ScenarioEngine.Config;
using ScenarioEngine.Model;
using ScenarioEngine.Record;
using ScenarioEngine.Reporting;
using ScenarioEngine.Running;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Host;

/// <summary>
/// `scenario advise --soc FILE [--soc FILE …] --device NAME [--window NAME | --iova ADDR --size SIZE]
/// [--kernel KEY=VALUE …] [--format text|markdown|json] [-o FILE]` (docs/advise.md): every strategy for
/// the device's firmware window, run on each SoC. Exit 0 when on every SoC at least one strategy works
/// (with or without hazards), 1 when on some SoC none does, 2 on misuse (a bad option, a SoC file that
/// does not load, a device or window the SoC does not have). -o and --reports create their files whole
/// and never over anything (<see cref="NewFile"/>).
/// </summary>
internal static class AdviseCommand
{
    public sealed record Args(IReadOnlyList<string> Socs, string Device, string? Window, string? Iova, string? Size, IReadOnlyList<string> Kernel, string Format, string? Output)
    {
        /// <summary>--reports DIR: each strategy's generated Lua and its run's report, DIR/SOC/STRATEGY.{lua,md}.</summary>
        public string? Reports { get; init; }
    }

    public static int Execute(Args a, TextWriter stdout, TextWriter stderr)
    {
        if (a.Socs.Count == 0) return Misuse(stderr, "give at least one --soc");
        if (ParseKernel(a.Kernel, stderr) is not { } kernel) return Cli.Misuse;
        ulong? iova = null, size = null;
        if (a.Iova is not null)
        {
            if (!Numbers.TryParse(a.Iova, out var v)) return Misuse(stderr, $"--iova: '{Clean(a.Iova)}' is not a number (decimal, 0x hex, '_' separators)");
            iova = v;
        }
        if (a.Size is not null)
        {
            if (!Numbers.TryParse(a.Size, out var v)) return Misuse(stderr, $"--size: '{Clean(a.Size)}' is not a size (e.g. 256MiB, 0x1000_0000)");
            size = v;
        }
        if (a.Output is not null && NewFile.Exists(a.Output))
            return Misuse(stderr, $"{Clean(a.Output)} exists; not overwritten");
        if (a.Reports is not null && (File.Exists(a.Reports) || Directory.Exists(a.Reports) && Directory.EnumerateFileSystemEntries(a.Reports).Any()))
            return Misuse(stderr, $"--reports: {Clean(a.Reports)} exists and is not an empty folder; nothing is written over");
        var request = new AdviceRequest(a.Device, a.Window, iova, size);

        var parts = new List<AdviceMarkdown.Part>();
        var runs = new List<(string Soc, IReadOnlyList<StrategyRun> Runs)>();
        foreach (var socPath in a.Socs)
        {
            var layout = ProjectLayout.For(socPath);
            var display = layout.Display(socPath);
            try
            {
                if (!File.Exists(socPath)) return Misuse(stderr, $"no such SoC file: {Clean(socPath)}");
                var soc = SocLoader.LoadFile(Path.GetFullPath(socPath), display, layout.Root, new SourceSpan(display, 0, 0));
                var run = Advisor.Advise(soc, display, request, kernel, layout, new RunOptions(), new SourceSpan(display, 0, 0));
                parts.Add(new AdviceMarkdown.Part(run.Advice, run.Pictures));
                runs.Add((soc.Name, run.Runs));
            }
            catch (ScenarioLoadException e)
            {
                stderr.WriteLine($"advise: {Clean(e.Error.ToString())}");
                return Cli.Misuse;
            }
        }

        var text = a.Format switch
        {
            "json" => AdviceJson.Render(parts.Select(p => p.Advice).ToList()),
            "markdown" => AdviceMarkdown.Render(parts),
            _ => Text(parts.Select(p => p.Advice).ToList()),
        };
        if (a.Reports is not null && WriteReports(a.Reports, runs, stdout, stderr) is int failed) return failed;
        if (a.Output is null) stdout.Write(text);
        else
        {
            switch (NewFile.Create(a.Output, text, out var error))
            {
                case NewFile.Outcome.Exists: return Misuse(stderr, $"{Clean(a.Output)} exists (made while advise ran); not overwritten");
                case NewFile.Outcome.Failed: stderr.WriteLine($"advise: {Clean(a.Output)}: {Clean(error!)}"); return Cli.Failed;
            }
            stdout.WriteLine($"wrote {Clean(a.Output)}: {parts.Count} SoC(s), {parts.Sum(p => p.Advice.Strategies.Count(s => s.Verdict.Usable()))} working strategy run(s)");
        }
        return parts.All(p => p.Advice.Best is not null) ? Cli.Ok : Cli.Failed;
    }

    /// <summary>
    /// Each strategy's generated scenario as it ran: REPORTS/SOC/STRATEGY.lua and .md (a SoC named twice
    /// gets -2, -3 …), each file created new (<see cref="NewFile"/>); null when all were written, else the
    /// exit code after saying which one was not.
    /// </summary>
    private static int? WriteReports(string dir, IReadOnlyList<(string Soc, IReadOnlyList<StrategyRun> Runs)> runs, TextWriter stdout, TextWriter stderr)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        int files = 0;
        foreach (var (soc, list) in runs)
        {
            var name = new string(soc.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray()).TrimStart('.');
            if (name.Length == 0) name = "soc";
            var unique = name;
            for (int i = 2; !used.Add(unique); i++) unique = $"{name}-{i}";
            foreach (var r in list)
                foreach (var (file, text) in new[] { (Path.Combine(dir, unique, r.Id + ".lua"), r.Script), (Path.Combine(dir, unique, r.Id + ".md"), r.Report) })
                {
                    switch (NewFile.Create(file, text, out var error))
                    {
                        case NewFile.Outcome.Exists: return Misuse(stderr, $"--reports: {Clean(file)} exists (made while advise ran); not overwritten ({files} file(s) written before it)");
                        case NewFile.Outcome.Failed: stderr.WriteLine($"advise: --reports: {Clean(file)}: {Clean(error!)} ({files} file(s) written before it)"); return Cli.Failed;
                    }
                    files++;
                }
        }
        stdout.WriteLine($"wrote {files} file(s) under {Clean(dir)}: each strategy's generated Lua and its run's report");
        return null;
    }

    /// <summary>--kernel KEY=VALUE: iommu.strict, iommu.passthrough, iommu.forcedac (0/1/true/false) and fixes=ID[,ID] (docs/yaml-reference.md, kernel).</summary>
    internal static KernelKnobs? ParseKernel(IReadOnlyList<string> pairs, TextWriter stderr)
    {
        var k = KernelKnobs.Default;
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) { Misuse(stderr, $"--kernel: '{Clean(pair)}' is not KEY=VALUE"); return null; }
            var (key, value) = (pair[..eq].Trim(), pair[(eq + 1)..].Trim());
            bool? flag = value switch { "1" or "true" => true, "0" or "false" => false, _ => null };
            switch (key)
            {
                case "iommu.strict" when flag is { } f: k = k with { Strict = f }; break;
                case "iommu.passthrough" when flag is { } f: k = k with { Passthrough = f }; break;
                case "iommu.forcedac" when flag is { } f: k = k with { ForceDac = f }; break;
                case "fixes":
                    var ids = new List<string>();
                    foreach (var written in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (KernelFixes.Resolve(written) is not { } id)
                        {
                            Misuse(stderr, $"--kernel fixes: '{Clean(written)}' is not a fix the engine models; known: {string.Join(", ", KernelFixes.Known.Keys)}");
                            return null;
                        }
                        ids.Add(id);
                    }
                    k = k with { Fixes = ids.Distinct().Order(StringComparer.Ordinal).ToList() };
                    break;
                case "iommu.strict" or "iommu.passthrough" or "iommu.forcedac":
                    Misuse(stderr, $"--kernel {Clean(key)}: '{Clean(value)}' is not 0, 1, true or false"); return null;
                default:
                    Misuse(stderr, $"--kernel: unknown key '{Clean(key)}'; known: iommu.strict, iommu.passthrough, iommu.forcedac, fixes"); return null;
            }
        }
        return k;
    }

    /// <summary>The terminal form: with several SoCs a matrix of verdicts first; then per SoC one line per strategy, its hazards, and the best option.</summary>
    private static string Text(IReadOnlyList<SocAdvice> advice)
    {
        var sb = new StringBuilder();
        if (advice.Count > 1)
        {
            int idWidth = advice[0].Strategies.Max(s => s.Id.Length);
            var columns = advice.Select(a => Clean(a.Soc, 40)).ToList();
            int width = Math.Max(18, columns.Max(c => c.Length));
            sb.Append("strategies × SoCs\n  ").Append(new string(' ', idWidth));
            foreach (var c in columns) sb.Append("  ").Append(c.PadRight(width));
            sb.Append('\n');
            foreach (var id in advice[0].Strategies.Select(s => s.Id))
            {
                sb.Append("  ").Append(id.PadRight(idWidth));
                foreach (var a in advice) sb.Append("  ").Append(a.Strategies.First(s => s.Id == id).Verdict.Name().PadRight(width));
                sb.Append('\n');
            }
            sb.Append('\n');
        }
        foreach (var a in advice)
        {
            sb.Append(Clean($"{a.Soc} ({a.SocFile}): {a.Device}, window {a.Window} [{Hex.Of(a.Iova)}, {Hex.Of(a.Iova + a.Size - 1)}]; {a.Kernel}")).Append('\n');
            int width = a.Strategies.Max(s => s.Id.Length);
            foreach (var s in a.Strategies)
            {
                sb.Append("  ").Append(s.Id.PadRight(width)).Append("  ").Append(s.Verdict.Name().PadRight(18)).Append("  ");
                sb.Append(Clean((s.Errno is { } e ? $"-{e}: " : "") + s.Rule, 160)).Append('\n');
                foreach (var h in s.Hazards) sb.Append("  ").Append(new string(' ', width + 22)).Append(Clean($"{h.Kind}: {h.Text}", 160)).Append('\n');
            }
            sb.Append(a.Best is { } b ? $"  best: {b.Id} ({b.Verdict.Name()}" + (b.Hazards.Count > 0 ? ": " + string.Join(", ", b.Hazards.Select(h => h.Kind)) : "") + ")\n"
                                      : "  no strategy works\n");
        }
        return string.Join('\n', sb.ToString().Split('\n').Select(l => l.TrimEnd()));
    }

    private static int Misuse(TextWriter stderr, string message)
    {
        stderr.WriteLine("advise: " + message);
        return Cli.Misuse;
    }

    private static string Clean(string s, int max = 400) => Display.Clip(Display.Controls(s), max);
}
