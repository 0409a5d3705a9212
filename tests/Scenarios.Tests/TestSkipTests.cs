using System.Text.RegularExpressions;
using Xunit.Sdk;

namespace ScenarioEngine.Tests;

/// <summary>
/// A test that cannot run is reported as skipped, never as passed (tests/Shared/Requires.cs): a missing
/// tool skips outside CI and fails under CI, and no test in tests/ returns early instead.
/// </summary>
public class TestSkipTests
{
    [Fact]
    public void A_missing_tool_is_a_skip_outside_CI_and_a_failure_under_CI()
    {
        Requires.Tool(true, "dtc", "apt-get install device-tree-compiler", underCi: true); // there: nothing happens
        var skip = Assert.Throws<Xunit.SkipException>(() => Requires.Tool(false, "dtc", "apt-get install device-tree-compiler", underCi: false));
        Assert.Contains("dtc is missing", skip.Message);
        var failure = Assert.ThrowsAny<XunitException>(() => Requires.Tool(false, "dtc", "apt-get install device-tree-compiler", underCi: true));
        Assert.Contains("dtc is missing: .ci/run installs it (apt-get install device-tree-compiler)", failure.Message);
    }

    /// <summary>Each test method's attribute and body in the test sources.</summary>
    private static IEnumerable<(string File, string Attribute, string Name, string Body)> Tests()
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoRoot.Path, "tests"), "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                              && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(file).Replace("\r\n", "\n");
            var heads = Regex.Matches(text, @"\[(Fact|Theory|SkippableFact|SkippableTheory)\b[^\]]*\]\s*(?:\[[^\]]*\][^\n]*\n\s*)*public (?:async )?\w+(?:<\w+>)? (\w+)\(");
            for (int i = 0; i < heads.Count; i++)
            {
                int end = i + 1 < heads.Count ? heads[i + 1].Index : text.Length;
                yield return (Path.GetRelativePath(RepoRoot.Path, file), heads[i].Groups[1].Value, heads[i].Groups[2].Value, text[heads[i].Index..end]);
            }
        }
    }

    [Fact]
    public void No_test_returns_early_off_Linux_or_without_a_tool_and_every_test_that_may_skip_can_report_a_skip()
    {
        var tests = Tests().ToList();
        Assert.True(tests.Count > 400, $"only {tests.Count} tests found: the scan is broken");
        var early = new Regex(@"if \((?:!OperatingSystem\.Is\w+\(\)|!Dtc\.\w+|!File\.Exists\(|!Directory\.Exists\(|!Available\(\)|Environment\.GetEnvironmentVariable)[^\n]*\)\s*(?:return;|\{(?:[^\n]*\n){1,4}?\s*return;)");
        Assert.Empty(tests.Where(t => early.IsMatch(t.Body)).Select(t => $"{t.File}: {t.Name} returns early instead of skipping (Requires.Linux / Requires.Tool)"));
        var skips = new Regex(@"\bRequires\.(Linux|Tool)\(|\bDtc\.Require\(\)|\bSkip\.(If|IfNot)\(|\bRequire\(\);");
        Assert.Empty(tests.Where(t => skips.IsMatch(t.Body) && !t.Attribute.StartsWith("Skippable", StringComparison.Ordinal) && t.Name != nameof(A_missing_tool_is_a_skip_outside_CI_and_a_failure_under_CI))
                          .Select(t => $"{t.File}: {t.Name} may skip but is a plain [{t.Attribute}], which reports a skip as a failure"));
    }
}
