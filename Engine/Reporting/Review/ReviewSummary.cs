using System.Globalization;
using System.Text;
using ScenarioEngine.Model;
using ScenarioEngine.Record;

namespace ScenarioEngine.Reporting.Review;

/// <summary>
/// `scenario run --summary FILE` / `--comment FILE` (docs/ci.md, "The review summary"):
/// GitHub-flavoured Markdown for the reviewer of a pull request. In order: the counts; each failed
/// scenario with its error or failed expectations at file:line; each changed report with the
/// pictures that changed, before and after, and its diff verified → received; each new report's key
/// sections; dangling snapshots; how to approve. Cut to the limit of where it goes
/// (<see cref="SummaryLimit"/>) between blocks, never inside one, with a note that says what was left
/// out and where the whole received reports are. Deterministic: the same results give the same bytes.
/// </summary>
public static class ReviewSummary
{
    /// <summary>Where the received reports are, as the note at a cut and the closing lines say (default: beside the snapshots).</summary>
    public const string DefaultArtifact = "the received reports (`snapshots/**/*.received.md`) written by the run";

    public static string Render(IReadOnlyList<RunResult> results, IReadOnlyList<string> dangling, ReviewCollector blocks, SummaryLimit limit, string? artifact = null)
    {
        var where = Where(artifact);
        var head = new StringBuilder();
        if (limit.Marker is { } marker) head.Append(marker).Append('\n');
        int passed = results.Count(r => r.Passed), failed = results.Count - passed;
        int matched = results.Count(r => r.Snapshot == SnapshotStatus.Matched), changed = results.Count(r => r.Snapshot == SnapshotStatus.Changed);
        int fresh = results.Count(r => r.Snapshot == SnapshotStatus.New);
        bool ok = failed == 0 && changed == 0 && fresh == 0 && dangling.Count == 0 && matched == results.Count;
        head.Append("## Scenarios: ").Append(ok ? "all passed and matched" : string.Join(", ", new[]
        {
            failed > 0 ? Inv(failed) + " failed" : null,
            changed > 0 ? Inv(changed) + " changed" : null,
            fresh > 0 ? Inv(fresh) + " new" : null,
            dangling.Count > 0 ? Inv(dangling.Count) + " dangling" : null,
        }.Where(s => s is not null))).Append('\n');
        head.Append("\n| scenarios | passed | failed | matched | changed | new | dangling |\n|---:|---:|---:|---:|---:|---:|---:|\n");
        head.Append($"| {Inv(results.Count)} | {Inv(passed)} | {Inv(failed)} | {Inv(matched)} | {Inv(changed)} | {Inv(fresh)} | {Inv(dangling.Count)} |\n");

        var tail = new StringBuilder("\n---\n\n");
        if (changed + fresh > 0)
            tail.Append("Received reports: ").Append(where).Append(". To accept them once read: `scenario approve --from DIR` with the downloaded reports in DIR ")
                .Append("(or `scenario run` then `scenario approve` in a checkout of this change), then commit the `*.verified.md` files (docs/ci.md, \"From the review to approved snapshots\").\n");
        else tail.Append("Nothing to approve.\n");

        var sections = new List<(string Title, string Separator, IReadOnlyList<string> Blocks, int Dropped)>();
        void Section(string title, string separator, (IReadOnlyList<string> Blocks, int Dropped) part) => sections.Add((title, separator, part.Blocks, part.Dropped));
        Section("\n## Failed\n\n", "", blocks.Failures);
        Section("\n## Changed reports\n", "\n", blocks.Changed);
        Section("\n## New reports\n", "\n", blocks.New);
        sections.Add(("\n## Dangling snapshots\n\nVerified snapshots whose scenario no longer exists:\n\n", "",
            [.. dangling.Select(d => "- " + MarkdownText.Code(d) + "\n")], 0));

        var sb = new StringBuilder(head.ToString());
        long bytes = Encoding.UTF8.GetByteCount(head.ToString()), chars = head.Length;
        // Room kept for the longest cut note and the closing lines, so both always fit.
        var reserveNote = CutNote(limit, [int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue], where);
        long reserveBytes = Encoding.UTF8.GetByteCount(reserveNote) + Encoding.UTF8.GetByteCount(tail.ToString());
        long reserveChars = reserveNote.Length + tail.Length;
        var left = sections.Select(x => x.Blocks.Count + x.Dropped).ToArray();
        bool cut = false;
        for (int s = 0; s < sections.Count && !cut; s++)
        {
            var (title, separator, list, _) = sections[s];
            for (int i = 0; i < list.Count; i++)
            {
                // A section's title goes in only with its first block.
                var text = (i == 0 ? title : "") + separator + list[i];
                long b = Encoding.UTF8.GetByteCount(text);
                if (!limit.Fits(bytes + b + reserveBytes, chars + text.Length + reserveChars)) { cut = true; break; }
                sb.Append(text);
                bytes += b;
                chars += text.Length;
                left[s]--;
            }
            if (left[s] > 0) cut = true;
        }
        if (cut) sb.Append(CutNote(limit, left, where));
        sb.Append(tail);
        return sb.ToString();
    }

    private static string CutNote(SummaryLimit limit, int[] left, string where)
    {
        static string N(int n, string one, string many) => n == int.MaxValue ? "99999999 " + many : MarkdownText.Count(n, one, many);
        var parts = new List<string>();
        if (left[0] > 0) parts.Add(N(left[0], "failed scenario", "failed scenarios"));
        if (left[1] > 0) parts.Add(N(left[1], "changed report", "changed reports"));
        if (left[2] > 0) parts.Add(N(left[2], "new report", "new reports"));
        if (left[3] > 0) parts.Add(N(left[3], "dangling snapshot", "dangling snapshots"));
        var size = limit.MaxChars != long.MaxValue ? Inv(limit.MaxChars) + " characters" : Inv(limit.MaxBytes) + " bytes";
        return $"\n> [!NOTE]\n> This summary stops here to stay within the {size} of a {limit.Name}; not shown: {string.Join(", ", parts)}. " +
               $"The whole reports: {where}; `scenario run` in a checkout prints every diff.\n";
    }

    /// <summary>The pointer to the received reports: a link for an http(s) URL (the run's artefacts), else the text as code.</summary>
    internal static string Where(string? artifact)
    {
        if (artifact is null) return DefaultArtifact;
        bool url = (artifact.StartsWith("https://", StringComparison.Ordinal) || artifact.StartsWith("http://", StringComparison.Ordinal))
            && artifact.Length <= 2000 && artifact.All(c => c > ' ' && c < '\u007f' && c is not ('<' or '>' or '`' or '"' or '\\'));
        return url ? $"[the received reports, an artefact of this run](<{artifact}>)" : MarkdownText.Code(artifact, 500);
    }

    private static string Inv(long n) => n.ToString(CultureInfo.InvariantCulture);
}
