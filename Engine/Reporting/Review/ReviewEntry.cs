using System.Globalization;
using System.Text;
using ScenarioEngine.Model;
using ScenarioEngine.Record;

namespace ScenarioEngine.Reporting.Review;

/// <summary>
/// What the review summary keeps of one scenario that failed, changed or is new, taken while its
/// report is still in memory (the run lets go of it right after): up to three Markdown blocks, each
/// placed whole or not at all. A scenario that passed and matched leaves none.
/// </summary>
public sealed record ReviewEntry(string Path, string? Failure, string? Changed, string? New)
{
    /// <summary>Most failed expectations listed for one scenario (the report lists them all).</summary>
    public const int MaxExpectations = 10;
    /// <summary>A diff longer than this many lines is folded in a &lt;details&gt; element.</summary>
    public const int FoldLines = 40;
    /// <summary>Most diff lines and characters shown for one report (the received report holds the rest).</summary>
    public const int MaxDiffLines = 600, MaxDiffChars = 60_000;
    /// <summary>Most characters of one diff line or one excerpt line.</summary>
    public const int MaxLineChars = 400;
    /// <summary>Most lines of one section of a new report.</summary>
    public const int MaxSectionLines = 40;
    /// <summary>The sections of a new report the summary shows (after its head): what boot did, what went wrong, what was expected.</summary>
    public static readonly IReadOnlyList<string> NewSections = ["Boot", "Faults and hazards", "Expectations", "Result"];

    public static ReviewEntry? From(RunResult r)
    {
        var failure = r.Passed ? null : FailureBlock(r);
        var changed = r.Snapshot == SnapshotStatus.Changed ? ChangedBlock(r) : null;
        var @new = r.Snapshot == SnapshotStatus.New ? NewBlock(r) : null;
        return failure is null && changed is null && @new is null ? null : new ReviewEntry(r.Path, failure, changed, @new);
    }

    /// <summary>The received report beside a verified snapshot's display path (the snapshot store's naming, docs/ci.md).</summary>
    private static string? Received(string? verified) =>
        verified is not null && verified.EndsWith(".verified.md", StringComparison.Ordinal) ? verified[..^".verified.md".Length] + ".received.md" : null;

    private static string Inv(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>One list item: the error at file:line:column, or each failed expectation at its own file:line.</summary>
    private static string FailureBlock(RunResult r)
    {
        var sb = new StringBuilder();
        sb.Append("- ").Append(MarkdownText.Code(r.Path));
        if (r.Error is { } e)
        {
            sb.Append(" — error **").Append(e.CodeText).Append("** at ").Append(MarkdownText.Code(e.Where.ToString()))
              .Append(": ").Append(MarkdownText.Code(e.Message, 1000)).Append('\n');
            return sb.ToString();
        }
        int total = r.ExpectationsPassed + r.ExpectationsFailed;
        sb.Append(" — ").Append(Inv(r.ExpectationsFailed)).Append(" of ").Append(MarkdownText.Count(total, "expectation", "expectations")).Append(" failed:\n");
        var failed = r.Log.Expectations.Where(x => !x.Passed).ToList();
        foreach (var x in failed.Take(MaxExpectations))
        {
            sb.Append("  - ").Append(MarkdownText.Code($"{JunitReport.ExpectationFile(r, x)}:{Inv(x.Line)}")).Append(": ").Append(MarkdownText.Code(x.Text));
            if (x.Detail is not null) sb.Append(" — ").Append(MarkdownText.Code(x.Detail, 600));
            sb.Append('\n');
        }
        // Failed expectations beyond the run log's cap are counted, not kept.
        int more = r.ExpectationsFailed - Math.Min(failed.Count, MaxExpectations);
        if (more > 0) sb.Append("  - … and ").Append(Inv(more)).Append(" more (the report lists them)\n");
        return sb.ToString();
    }

    /// <summary>The changed pictures before and after, then the diff verified → received (folded when long, cut when very long).</summary>
    private static string ChangedBlock(RunResult r)
    {
        var sb = new StringBuilder();
        var received = Received(r.SnapshotPath);
        sb.Append("### ").Append(MarkdownText.Code(r.Path)).Append(" changed\n\n");
        sb.Append("The report differs from ").Append(MarkdownText.Code(r.SnapshotPath ?? "")).Append(received is null ? "" : " (received: " + MarkdownText.Code(received) + ")").Append(".\n");
        var diff = r.Diff ?? "";
        if (r.Report.Length > 0 && ReportText.OldText(r.Report, diff) is { } old) Pictures(sb, ReportText.Pictures(old), ReportText.Pictures(r.Report));
        var lines = ReportText.Lines(diff);
        int plus = lines.Count(l => l.StartsWith('+') && !l.StartsWith("+++ ", StringComparison.Ordinal));
        int minus = lines.Count(l => l.StartsWith('-') && !l.StartsWith("--- ", StringComparison.Ordinal));
        var body = new StringBuilder();
        int shown = 0;
        foreach (var l in lines)
        {
            if (shown == MaxDiffLines || body.Length > MaxDiffChars) break;
            body.Append(Display.Clip(l, MaxLineChars)).Append('\n');
            shown++;
        }
        var fenced = MarkdownText.Fenced("diff", body.ToString());
        var what = $"{Inv(plus)} line{(plus == 1 ? "" : "s")} added, {Inv(minus)} removed";
        sb.Append('\n');
        if (lines.Length > FoldLines)
            sb.Append("<details><summary>The diff: ").Append(what).Append(" (").Append(Inv(lines.Length)).Append(" lines)</summary>\n\n").Append(fenced);
        else sb.Append("The diff (").Append(what).Append("):\n\n").Append(fenced);
        if (shown < lines.Length)
            sb.Append("\n… ").Append(Inv(lines.Length - shown)).Append(" more lines of this diff are not shown: the received report holds them all.\n");
        if (lines.Length > FoldLines) sb.Append("\n</details>\n");
        return sb.ToString();
    }

    /// <summary>Each picture whose Mermaid source differs, before and after (a picture only on one side is shown on that side).</summary>
    private static void Pictures(StringBuilder sb, IReadOnlyList<ReportText.Picture> before, IReadOnlyList<ReportText.Picture> after)
    {
        var old = before.ToDictionary(p => p.Key, p => p.Source, StringComparer.Ordinal);
        var now = after.ToDictionary(p => p.Key, p => p.Source, StringComparer.Ordinal);
        var keys = after.Select(p => p.Key).Concat(before.Select(p => p.Key).Where(k => !now.ContainsKey(k))).ToList();
        foreach (var key in keys)
        {
            old.TryGetValue(key, out var a);
            now.TryGetValue(key, out var b);
            if (a == b) continue;
            sb.Append("\n#### ").Append(MarkdownText.ReportLine(key, 0)).Append(" — before and after\n\n");
            sb.Append("Before:\n\n").Append(a is null ? "(no such picture)\n" : MarkdownText.Fenced("mermaid", a));
            sb.Append("\nAfter:\n\n").Append(b is null ? "(no such picture)\n" : MarkdownText.Fenced("mermaid", b));
        }
    }

    /// <summary>A new report's head (title, scenario, script, SoC, kernel), its topology picture and its key sections.</summary>
    private static string NewBlock(RunResult r)
    {
        var sb = new StringBuilder();
        var received = Received(r.SnapshotPath) ?? r.SnapshotPath ?? "";
        sb.Append("### ").Append(MarkdownText.Code(r.Path)).Append(" is new\n\n");
        sb.Append("No approved snapshot yet; the report was received as ").Append(MarkdownText.Code(received)).Append(". Its key sections:\n\n");
        if (r.Report.Length == 0) return sb.ToString();
        var topology = ReportText.Pictures(r.Report).FirstOrDefault(p => p.Key.StartsWith("Topology", StringComparison.Ordinal));
        foreach (var (heading, lines) in ReportText.Sections(r.Report, NewSections))
        {
            // These sections hold no fence of the engine's own; a line of user text that looks like one is escaped (ReportLine).
            foreach (var line in lines.Take(MaxSectionLines)) sb.Append(MarkdownText.ReportLine(Display.Clip(line, MaxLineChars), 2)).Append('\n');
            if (lines.Length > MaxSectionLines)
                sb.Append("\n… ").Append(Inv(lines.Length - MaxSectionLines)).Append(" more lines of this section in the received report\n");
            if (heading.Length == 0 && topology is not null)
                sb.Append("\n#### ").Append(MarkdownText.ReportLine(topology.Key, 0)).Append("\n\n").Append(MarkdownText.Fenced("mermaid", topology.Source));
        }
        return sb.ToString();
    }
}
