using System.Text;
using CsCheck;
using ScenarioEngine.Reporting.Pictures;
using ScenarioEngine.Reporting.Review;
using ScenarioEngine.Snapshots;

namespace ScenarioEngine.Tests;

/// <summary>The review summary's readers and writers of text: a report's old text from its diff, code spans, report excerpts, wide topologies.</summary>
public class ReviewTextTests
{
    private static readonly Gen<string> Text = Gen.OneOf(Gen.Const("a"), Gen.Const("b"), Gen.Const("```"), Gen.Const(""), Gen.Const("## x"), Gen.Const("c\rd"))
        .Array[0, 50].Select(lines => string.Concat(lines.Select(l => l + "\n")));

    [Fact]
    public void The_verified_text_is_rebuilt_exactly_from_the_received_text_and_the_diff()
    {
        Gen.Select(Text, Text).Sample((old, @new) =>
        {
            var diff = UnifiedDiff.Create(old, @new, "v", "r");
            Assert.Equal(old, ReportText.OldText(@new, diff));
        }, iter: 5000);
    }

    [Fact]
    public void A_diff_that_does_not_fit_the_text_gives_no_old_text_and_never_throws()
    {
        Assert.Null(ReportText.OldText("a\nb\n", "--- v\n+++ r\n@@ -1,1 +1,1 @@\n-x\n+zz\n"));
        Assert.Null(ReportText.OldText("a\n", "--- v\n+++ r\n@@ -1,1 +9,1 @@\n-x\n+a\n"));
        Gen.Select(Text, Gen.String[0, 200]).Sample((text, garbage) => { ReportText.OldText(text, "@@ -1,2 +1,2 @@\n" + garbage); }, iter: 5000);
    }

    [Fact]
    public void A_picture_is_keyed_by_the_heading_above_it()
    {
        var report = "# t\n\n## Topology (at the end of the run)\n\n```mermaid\nflowchart LR\n  a\n```\n\n## IOVA maps\n\n### dom (dma)\n\n```mermaid\nflowchart TB\n  b\n```\n\n```mermaid\nflowchart TB\n  c\n```\n";
        var pictures = ReportText.Pictures(report);
        Assert.Equal(["Topology (at the end of the run)", "dom (dma)", "dom (dma) (2)"], pictures.Select(p => p.Key));
        Assert.Equal("flowchart TB\n  b\n", pictures[1].Source);
    }

    [Fact]
    public void A_code_span_holds_any_text_on_one_line_and_nothing_in_it_can_close_it()
    {
        Gen.String[0, 80].Sample(s =>
        {
            var code = MarkdownText.Code(s);
            Assert.DoesNotContain('\n', code);
            Assert.DoesNotContain('\r', code);
            int fence = 0;
            while (fence < code.Length && code[fence] == '`') fence++;
            Assert.True(fence > MarkdownText.LongestRun(code[fence..^fence], '`'));
            Assert.EndsWith(new string('`', fence), code);
        }, iter: 5000);
        Assert.Equal("`` `a` ``", MarkdownText.Code("`a`"));
    }

    [Fact]
    public void A_report_line_placed_as_markdown_opens_no_html_fence_or_mention()
    {
        Assert.Equal("&lt;/details> a<br>b", MarkdownText.ReportLine("</details> a<br>b", 2));
        Assert.Equal("\\```", MarkdownText.ReportLine("```", 2));
        Assert.Equal("code", MarkdownText.ReportLine("        code", 2));
        Assert.Equal("#### Boot", MarkdownText.ReportLine("## Boot", 2));
        Assert.Equal("ping @&#8203;team, `@team <b>` stays", MarkdownText.ReportLine("ping @team, `@team <b>` stays", 2));
        Assert.Equal("`` unclosed &lt;b>", MarkdownText.ReportLine("`` unclosed <b>", 2));
        Gen.String[0, 80].Sample(s =>
        {
            var line = MarkdownText.ReportLine(s, 2);
            Assert.False(line.TrimStart(' ').StartsWith("```", StringComparison.Ordinal) || line.TrimStart(' ').StartsWith("~~~", StringComparison.Ordinal));
            Assert.DoesNotContain('\n', line);
        }, iter: 5000);
    }

    [Fact]
    public void An_instance_whose_masters_all_lost_their_group_stacks_them_in_one_column()
    {
        var loose = Enumerable.Range(0, 25).Select(i => new TopoLoose($"dev{i}", "smmu's registration failed: -ENOSPC")).ToList();
        var failed = new TopologyPicture([new TopoInstance("smmu", "arm-smmu", [], loose)], [], [], 0);
        var sb = new StringBuilder();
        MermaidWriter.Topology(sb, failed);
        Assert.StartsWith("```mermaid\nflowchart LR\n  subgraph i0[\"smmu · arm-smmu\"]\n    direction LR\n    d0[", sb.ToString());
        // An instance with a group links out of its subgraph (Mermaid ignores a direction there): unchanged.
        var grouped = new TopologyPicture([new TopoInstance("m4u", "mediatek", [new TopoSlot("bank 0", [new TopoGroup(0, "group0", ["a"], null, null)])], loose)], [], [], 0);
        sb.Clear();
        MermaidWriter.Topology(sb, grouped);
        Assert.DoesNotContain("direction", sb.ToString());
        // One master alone draws the same either way: no line added.
        sb.Clear();
        MermaidWriter.Topology(sb, new TopologyPicture([new TopoInstance("smmu", "arm-smmu", [], loose[..1])], [], [], 0));
        Assert.DoesNotContain("direction", sb.ToString());
    }
}
