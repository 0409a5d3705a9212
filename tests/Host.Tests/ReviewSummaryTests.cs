using System.Text;
using System.Text.RegularExpressions;
using ScenarioEngine.Reporting.Review;
using static ScenarioEngine.Tests.CliTests;

namespace ScenarioEngine.Tests;

/// <summary>`scenario run --summary/--comment/--junit/--json FILE`: sizes, cuts, determinism, hostile text (docs/ci.md).</summary>
public class ReviewSummaryTests
{
    private static int Count(string text, string what) => Regex.Matches(text, Regex.Escape(what)).Count;

    /// <summary>Fences are balanced: every opening fence line has its closing line of the same length.</summary>
    private static void FencesClose(string markdown)
    {
        string? open = null;
        foreach (var line in markdown.Split('\n'))
        {
            var m = Regex.Match(line, "^(`{3,})(.*)$");
            if (!m.Success) continue;
            if (open is null) open = m.Groups[1].Value;
            else if (m.Groups[1].Value.Length >= open.Length && m.Groups[2].Value.Trim().Length == 0) open = null;
        }
        Assert.Null(open);
    }

    [Fact]
    public void A_summary_of_many_large_changes_is_cut_between_blocks_within_both_limits_and_says_where_the_rest_is()
    {
        using var tree = new TestTree();
        var notes = "for i = 1, 700 do report.note(string.rep('{0}', 90) .. ' ' .. i) end";
        for (int i = 0; i < 30; i++) tree.Scenario($"big{i:00}", string.Format(notes, "a"));
        var root = Path.Combine(tree.Root, "scenarios");
        Cli("run", root);
        Assert.Equal(0, Cli("approve", root).Code);
        for (int i = 0; i < 30; i++) tree.Scenario($"big{i:00}", string.Format(notes, "b"));
        var summary = Path.Combine(tree.Root, "summary.md");
        var comment = Path.Combine(tree.Root, "comment.md");
        var (code, _, _) = Cli("run", root, "--summary", summary, "--comment", comment, "--summary-artifact", "https://ci.example/run/1#artifacts");
        Assert.Equal(1, code);
        var s = File.ReadAllText(summary);
        var c = File.ReadAllText(comment);
        long bytes = new FileInfo(summary).Length;
        Assert.True(bytes <= SummaryLimit.JobSummaryBytes, $"{bytes} bytes");
        Assert.True(bytes > SummaryLimit.JobSummaryBytes - 80_000, $"{bytes} bytes: the summary should fill most of its room");
        Assert.True(c.Length <= SummaryLimit.CommentChars, $"{c.Length} characters");
        foreach (var text in new[] { s, c })
        {
            Assert.Contains("> This summary stops here to stay within the ", text);
            Assert.Matches(@"not shown: \d+ changed reports\. The whole reports: \[the received reports, an artefact of this run\]\(<https://ci\.example/run/1#artifacts>\)", text);
            Assert.EndsWith("then commit the `*.verified.md` files (docs/ci.md, \"From the review to approved snapshots\").\n", text);
            FencesClose(text);
            Assert.Equal(Count(text, "<details>"), Count(text, "</details>"));
            // The cut falls between two changed reports: every report shown is shown whole.
            Assert.Equal(Count(text, " changed\n\nThe report differs"), Count(text, "\n</details>\n"));
        }
        Assert.Contains("1048576 bytes of a job summary", s);
        Assert.Contains("65536 characters of a pull-request comment", c);
        int shown = Count(c, " changed\n\nThe report differs");
        Assert.Contains($"not shown: {30 - shown} changed reports", c);
    }

    [Fact]
    public void The_summary_is_byte_identical_at_any_jobs_and_on_every_run()
    {
        using var tree = new TestTree();
        var root = Path.Combine(tree.Root, "scenarios");
        for (int i = 0; i < 6; i++) tree.Scenario($"s{i}", $"report.note('one {i}')\nexpect.eq({i % 2}, 0)");
        Cli("run", root);
        Cli("approve", root);
        for (int i = 0; i < 6; i++) tree.Scenario($"s{i}", $"report.note('two {i}')\nexpect.eq({i % 3}, 0)");
        tree.Scenario("fresh", "expect.ok(true)");
        string Summary(string jobs)
        {
            var file = Path.Combine(tree.Root, $"summary-{jobs}.md");
            Cli("run", root, "--jobs", jobs, "--summary", file);
            return File.ReadAllText(file);
        }
        var one = Summary("1");
        Assert.Equal(one, Summary("3"));
        Assert.Equal(one, Summary("2"));
        Assert.StartsWith("## Scenarios: 4 failed, 6 changed, 1 new\n", one);
    }

    [Fact]
    public void Text_from_files_and_scripts_cannot_close_a_fold_open_a_fence_run_html_or_mention_anyone()
    {
        using var tree = new TestTree();
        var root = Path.Combine(tree.Root, "scenarios");
        var hostile = "@octocat </details> <script>x</script> ``` ~~~ [link](javascript:1) \\u{1b}[31m";
        tree.Write("scenarios/t/evil.yaml", $"scenario: \"{hostile.Replace("\\", "\\\\")}\"\ndescription: \"```\\n</details>\\n@team\"\nsoc: ../socs/tiny.yaml\nlua: |\n  report.note(\"{hostile.Replace("\\", "\\\\").Replace("\"", "\\\"")}\")\n  expect.eq(1, 2, \"{hostile.Replace("\\", "\\\\").Replace("\"", "\\\"")}\")\n");
        tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        var summary = Path.Combine(tree.Root, "summary.md");
        Cli("run", root, "--summary", summary);
        var s = File.ReadAllText(summary);
        Assert.Contains("### `scenarios/t/evil.yaml` is new", s);
        Assert.DoesNotContain("\u001b", s);
        FencesClose(s);
        // Outside code spans every @name is broken, every '<' escaped; inside them nothing is live anyway.
        var outside = Regex.Replace(s, "(`+)(?:(?!\\1).)*?\\1", "", RegexOptions.Singleline);
        Assert.DoesNotMatch(@"@[A-Za-z0-9]", outside);
        Assert.DoesNotContain("<script>", outside);
        Assert.Contains("&lt;script>", outside); // the new report's excerpt, escaped
        Assert.Equal(Count(outside, "<details>"), Count(outside, "</details>"));
        Assert.DoesNotMatch("<(?!br>|br/>|details>|/details>|summary>|/summary>|https://)", outside);
    }

    [Fact]
    public void The_output_files_are_the_format_forms_and_the_console_keeps_its_lines()
    {
        using var tree = new TestTree();
        var root = Path.Combine(tree.Root, "scenarios");
        tree.Scenario("ok", "expect.eq(1, 1)");
        tree.Scenario("bad", "expect.eq(1, 2)");
        Cli("run", root);
        Cli("approve", root);
        var junit = Path.Combine(tree.Root, "r.xml");
        var json = Path.Combine(tree.Root, "r.json");
        var (code, console, _) = Cli("run", root, "--junit", junit, "--json", json);
        Assert.Equal(1, code);
        Assert.Contains("matched  scenarios/t/bad.yaml  FAILED  1 of 1 expectation(s) failed", console);
        Assert.Equal(Cli("run", root, "--format", "json").Out, File.ReadAllText(json));
        static string NoTime(string xml) => Regex.Replace(xml, "time=\"[0-9.]+\"", "time=\"\"");
        Assert.Equal(NoTime(Cli("run", root, "--format", "junit").Out), NoTime(File.ReadAllText(junit)));
    }

    [Fact]
    public void An_output_file_that_cannot_be_written_is_misuse_before_anything_runs()
    {
        using var tree = new TestTree();
        var sc = tree.Scenario("a", "expect.eq(1, 1)");
        var (code, _, err) = Cli("run", sc, "--summary", Path.Combine(tree.Root, "no-such-folder", "s.md"));
        Assert.Equal(2, code);
        Assert.Contains("--summary", err);
        Assert.Contains("its folder does not exist", err);
        Assert.False(tree.Exists("snapshots/t/a.received.md")); // nothing ran
        Assert.Equal(2, Cli("run", sc, "--json", tree.Root).Code); // a folder
        var same = Path.Combine(tree.Root, "x");
        var twice = Cli("run", sc, "--json", same, "--junit", same);
        Assert.Equal(2, twice.Code);
        Assert.Contains("name the same file", twice.Err);
        Assert.Equal(2, Cli("run", sc, "--summary-artifact", "a\nb").Code);
    }
}
