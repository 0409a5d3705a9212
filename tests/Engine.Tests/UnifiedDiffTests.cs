using CsCheck;
using ScenarioEngine.Snapshots;

namespace ScenarioEngine.Tests;

/// <summary>The snapshot diff reads like `diff -u` and `git diff`, and patching the old text with it gives the new one.</summary>
public class UnifiedDiffTests
{
    [Fact]
    public void A_changed_line_prints_its_old_version_before_its_new_one_with_three_lines_of_context()
    {
        var old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        var @new = "a\nb\nc\nd\nE\nf\ng\nh\n";
        Assert.Equal("--- verified\n+++ received\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n",
            UnifiedDiff.Create(old, @new, "verified", "received"));
    }

    [Fact]
    public void An_empty_side_is_one_hunk_of_deletions_or_insertions()
    {
        Assert.Equal("--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n", UnifiedDiff.Create("", "x\ny\n", "a", "b"));
        Assert.Equal("--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n", UnifiedDiff.Create("x\ny\n", "", "a", "b"));
        Assert.Equal("--- a\n+++ b\n", UnifiedDiff.Create("same\n", "same\n", "a", "b"));
    }

    [Fact]
    public void A_line_holding_a_carriage_return_is_one_line()
    {
        var d = UnifiedDiff.Create("a\rb\nc\n", "a\rb\nC\n", "a", "b");
        Assert.Equal("--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\rb\n-c\n+C\n", d);
    }

    [Fact]
    public void Two_long_reports_with_one_change_diff_without_a_quadratic_table()
    {
        // 200 000 lines each: a table of their lengths' product would need 160 GB.
        var lines = Enumerable.Range(0, 200_000).Select(i => $"| {i} | row |").ToArray();
        var old = string.Join("\n", lines) + "\n";
        lines[123_456] = "| changed |";
        var d = UnifiedDiff.Create(old, string.Join("\n", lines) + "\n", "a", "b");
        Assert.Contains("@@ -123454,7 +123454,7 @@\n", d);
        Assert.Contains("-| 123456 | row |\n+| changed |\n", d);
    }

    [Fact]
    public void Applying_the_diff_to_the_old_text_gives_the_new_text()
    {
        var text = Gen.OneOf(Gen.Const("a"), Gen.Const("b"), Gen.Const("c"), Gen.Const(""), Gen.Const("d\re")).Array[0, 40]
            .Select(ls => ls.Length == 0 ? "" : string.Join("\n", ls) + "\n");
        Gen.Select(text, text).Sample((old, @new) =>
        {
            var d = UnifiedDiff.Create(old, @new, "a", "b");
            Assert.Equal(@new, Patch(old, d));
            // old lines before new ones inside every change
            var body = d.Split('\n').Where(l => l.Length > 0 && l[0] is '-' or '+' && !l.StartsWith("--- ", StringComparison.Ordinal) && !l.StartsWith("+++ ", StringComparison.Ordinal)).ToList();
            for (int i = 1; i < body.Count; i++) Assert.False(body[i - 1][0] == '+' && body[i][0] == '-' && Adjacent(d, body[i - 1], body[i]));
        }, iter: 2000);
    }

    private static bool Adjacent(string diff, string first, string second) => diff.Contains(first + "\n" + second + "\n", StringComparison.Ordinal);

    /// <summary>A minimal `patch`: copies untouched lines, checks context and deletions, applies insertions.</summary>
    private static string Patch(string old, string diff)
    {
        var a = old.Length == 0 ? [] : old[..^1].Split('\n');
        var result = new List<string>();
        int next = 0; // index in a of the next line not yet copied
        foreach (var line in diff.Split('\n').Skip(2))
        {
            if (line.StartsWith("@@ -", StringComparison.Ordinal))
            {
                var spec = line[4..line.IndexOf(' ', 4)].Split(',');
                int start = int.Parse(spec[0], System.Globalization.CultureInfo.InvariantCulture), len = int.Parse(spec[1], System.Globalization.CultureInfo.InvariantCulture);
                int from = len == 0 ? start : start - 1;
                while (next < from) result.Add(a[next++]);
                continue;
            }
            if (line.Length == 0) continue;
            switch (line[0])
            {
                case ' ': Assert.Equal(a[next], line[1..]); result.Add(a[next++]); break;
                case '-': Assert.Equal(a[next], line[1..]); next++; break;
                case '+': result.Add(line[1..]); break;
            }
        }
        while (next < a.Length) result.Add(a[next++]);
        return result.Count == 0 ? "" : string.Join("\n", result) + "\n";
    }
}
