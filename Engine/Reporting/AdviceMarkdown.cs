using System.Text;
using ScenarioEngine.Model;
using ScenarioEngine.Record;
using ScenarioEngine.Reporting.Pictures;

namespace ScenarioEngine.Reporting;

/// <summary>
/// The advice as Markdown (docs/advise.md, the output): per SoC one table (strategy | verdict | errno
/// and rule | hazards | change needed), a paragraph on the best option and why, the changes as YAML
/// diffs, and the pictures of the SoC's plain boot (topology; the IOVA map holding the window). Several
/// SoCs start with a matrix of strategies × SoCs. Every user string is escaped as the scenario report escapes it.
/// </summary>
public static class AdviceMarkdown
{
    /// <summary>An advice for one SoC and the pictures of its boot.</summary>
    public sealed record Part(SocAdvice Advice, ReportPictures Pictures);

    /// <param name="title">The document's title (a scenario's), or null for the generated one.</param>
    /// <param name="description">A scenario's description, or null.</param>
    /// <param name="scenarioPath">The scenario file when the advice is a scenario's report, or null.</param>
    public static string Render(IReadOnlyList<Part> parts, string? title = null, string? description = null, string? scenarioPath = null)
    {
        var sb = new StringBuilder();
        var first = parts[0].Advice;
        sb.Append("# ").Append(MarkdownReport.Escape(title ?? (parts.Count == 1
            ? $"Advice: {first.Device}'s firmware window '{first.Window}' on {first.Soc}"
            : $"Advice: {first.Device}'s firmware window on {parts.Count} SoCs"))).Append("\n\n");
        if (!string.IsNullOrWhiteSpace(description)) sb.Append(Display.Controls(description.Trim(), keepNewlines: true)).Append("\n\n");
        if (scenarioPath is not null) sb.Append("- Scenario: `").Append(MarkdownReport.Code(scenarioPath)).Append("`\n");
        sb.Append("- Kernel: ").Append(MarkdownReport.Escape(first.Kernel)).Append('\n');
        sb.Append("- Each strategy ran as a generated scenario on a fresh boot of the SoC; its verdict is what that run showed: the firmware's boot accesses replayed, the other masters' DMA checked (docs/advise.md).\n\n");
        if (parts.Count > 1) Matrix(sb, parts);
        foreach (var p in parts) One(sb, p, parts.Count > 1);
        return sb.ToString();
    }

    private static void Matrix(StringBuilder sb, IReadOnlyList<Part> parts)
    {
        sb.Append("## Strategies × SoCs\n\n").Append(MatrixTable(parts.Select(p => p.Advice).ToList())).Append('\n');
    }

    /// <summary>
    /// The strategies × SoCs table: a verdict per cell (with the failed call's errno, the number of
    /// hazards), and the best option per SoC. The README's table of strategies is this table.
    /// </summary>
    public static string MatrixTable(IReadOnlyList<SocAdvice> advice)
    {
        var sb = new StringBuilder("| strategy |");
        foreach (var a in advice) sb.Append(' ').Append(MarkdownReport.Escape($"{a.Soc} ({a.Device}, {a.Window})")).Append(" |");
        sb.Append("\n|---|").Append(string.Concat(advice.Select(_ => "---|"))).Append('\n');
        foreach (var id in advice[0].Strategies.Select(s => s.Id))
        {
            sb.Append("| `").Append(id).Append("` |");
            foreach (var a in advice)
            {
                var s = a.Strategies.First(x => x.Id == id);
                sb.Append(' ').Append(s.Verdict.Usable() ? "**" + s.Verdict.Name() + "**" : s.Verdict.Name()).Append(s.Errno is { } e ? $" (-{e})" : "")
                  .Append(s.Hazards.Count > 0 ? ": " + string.Join(", ", s.Hazards.Select(h => h.Kind)) : "").Append(" |");
            }
            sb.Append('\n');
        }
        sb.Append("| best |");
        foreach (var a in advice) sb.Append(' ').Append(a.Best is { } b ? $"`{b.Id}`" : "none works").Append(" |");
        return sb.Append('\n').ToString();
    }

    private static void One(StringBuilder sb, Part part, bool several)
    {
        var a = part.Advice;
        var h = several ? "###" : "##";
        if (several) sb.Append("## ").Append(MarkdownReport.Escape(a.Soc)).Append("\n\n");
        sb.Append("- SoC: **").Append(MarkdownReport.Escape(a.Soc)).Append("** (`").Append(MarkdownReport.Code(a.SocFile)).Append("`)\n");
        sb.Append("- Device: ").Append(MarkdownReport.Escape(a.Device)).Append(", firmware window ").Append(MarkdownReport.Escape(a.Window))
          .Append(" [").Append(Hex.Of(a.Iova)).Append(", ").Append(Hex.Of(a.Iova + a.Size - 1)).Append("] (").Append(Hex.Size(a.Size)).Append(")\n\n");
        sb.Append("| strategy | verdict | errno and rule | hazards | change needed |\n|---|---|---|---|---|\n");
        foreach (var s in a.Strategies)
        {
            sb.Append("| `").Append(s.Id).Append("` | ").Append(s.Verdict.Usable() ? "**" + s.Verdict.Name() + "**" : s.Verdict.Name()).Append(" | ");
            sb.Append(s.Errno is { } e ? $"-{e}: " : "").Append(MarkdownReport.Escape(s.Rule)).Append(" | ");
            sb.Append(s.Hazards.Count == 0 ? "—" : string.Join("<br>", s.Hazards.Select(z => $"{z.Kind}: {MarkdownReport.Escape(z.Text)}"))).Append(" | ");
            sb.Append(s.Change is null ? "—" : $"{s.Change.KindName}: {MarkdownReport.Escape(s.Change.Summary)}").Append(" |\n");
        }
        sb.Append('\n');
        Best(sb, a);
        var diffs = a.Strategies.Where(s => s.Change is { Diff.Count: > 0 }).ToList();
        if (diffs.Count > 0)
        {
            sb.Append(h).Append(" Changes\n\n");
            foreach (var s in diffs)
            {
                sb.Append("`").Append(s.Id).Append("` (").Append(s.Change!.KindName).Append("), as YAML (`kernel:` in a scenario file, the rest in the SoC file):\n\n```diff\n");
                foreach (var line in s.Change.Diff) sb.Append(Display.Controls(line.Replace("```", "'''", StringComparison.Ordinal))).Append('\n');
                sb.Append("```\n\n");
            }
        }
        var notes = a.Strategies.Where(s => s.Note is not null).ToList();
        foreach (var s in notes) sb.Append("- `").Append(s.Id).Append("`: ").Append(MarkdownReport.Escape(s.Note!)).Append('\n');
        if (notes.Count > 0) sb.Append('\n');
        var drawn = Drawn(part);
        if (drawn.Topology is { } topo)
        {
            sb.Append(h).Append(" The SoC as it boots\n\n");
            MermaidWriter.Topology(sb, topo);
            sb.Append('\n');
        }
        foreach (var map in drawn.IovaMaps)
        {
            sb.Append(h).Append(" The window in ").Append(MarkdownReport.Escape(map.Domain)).Append("\n\n");
            MermaidWriter.IovaMap(sb, map);
            sb.Append('\n');
        }
    }

    /// <summary>The pictures the advice draws, in its order: the boot's topology, and the IOVA maps that hold the window.</summary>
    public static ReportPictures Drawn(Part part)
    {
        var label = $"{part.Advice.Device} firmware '{part.Advice.Window}'";
        return new ReportPictures(part.Pictures.Topology,
            part.Pictures.IovaMaps.Where(m => m.Segments.Any(s => s.Labels.Any(l => l.Contains(label, StringComparison.Ordinal)))).ToList());
    }

    /// <summary>Every picture of a document of several parts, in its order.</summary>
    public static IEnumerable<ReportPictures> Drawn(IEnumerable<Part> parts) => parts.Select(Drawn);

    private static void Best(StringBuilder sb, SocAdvice a)
    {
        if (a.Best is not { } b)
        {
            sb.Append("**No strategy works on ").Append(MarkdownReport.Escape(a.Soc)).Append(".** ");
            var nearest = a.Strategies.Where(s => s.Hazards.Any(z => z.Kind == HazardKinds.NeedsKernelFix)).ToList();
            sb.Append(nearest.Count > 0
                ? $"With an upstream fix: {string.Join("; ", nearest.Select(s => $"`{s.Id}` {MarkdownReport.Escape(s.Hazards.First(z => z.Kind == HazardKinds.NeedsKernelFix).Text)}"))}."
                : "Every one either faults on the window or is not applicable here; the table says by which rule.").Append("\n\n");
            return;
        }
        sb.Append("**Best option: `").Append(b.Id).Append("`** — ").Append(b.Verdict.Name());
        if (b.Hazards.Count > 0) sb.Append(": ").Append(string.Join(", ", b.Hazards.Select(z => z.Kind)));
        sb.Append(". ");
        var others = a.Strategies.Where(s => s.Verdict.Usable() && s != b).ToList();
        if (others.Count > 0)
            sb.Append("Of the ").Append(others.Count + 1).Append(" strategies that work it ranks first (no hazards before hazards, lighter hazards first, then the smaller change; docs/advise.md, choosing); the others: ")
              .Append(string.Join("; ", others.Select(s => $"`{s.Id}` ({(s.Hazards.Count == 0 ? "no hazards" : string.Join(", ", s.Hazards.Select(z => z.Kind)))}; {s.Change?.KindName ?? "runtime"})")))
              .Append(". ");
        sb.Append(b.Change is null || b.Change.Kind == ChangeKind.None ? "It needs no change to the platform." : $"It needs a {b.Change.KindName} change: {MarkdownReport.Escape(b.Change.Summary)}.");
        sb.Append(" Rule: ").Append(MarkdownReport.Escape(b.Rule)).Append(b.Rule.EndsWith('.') ? "" : ".").Append("\n\n");
    }

}
