using ScenarioEngine.Running;
using ScenarioEngine.Snapshots;

namespace ScenarioEngine.Tests;

/// <summary>
/// One data-driven test over the shipped tree: every scenario's report must equal its approved
/// snapshot byte for byte, and no snapshot may be left without a scenario. Read-only: this test
/// never writes received or verified files (the CLI does that).
/// </summary>
public class ShippedScenariosTests
{
    private static string ScenariosDir => Path.Combine(RepoRoot.Path, "scenarios");

    public static TheoryData<string> Scenarios()
    {
        var data = new TheoryData<string>();
        foreach (var f in ScenarioRunner.Discover([ScenariosDir]))
            data.Add(Path.GetRelativePath(ScenariosDir, f).Replace('\\', '/'));
        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void The_report_matches_its_approved_snapshot(string scenario)
    {
        var path = Path.Combine(ScenariosDir, scenario);
        var result = ScenarioRunner.Run(path, new RunOptions { Jobs = 1 });
        var (verified, _) = SnapshotStore.PathsFor(path, null);
        Assert.True(File.Exists(verified), $"no approved snapshot for {scenario}: run 'scenario run' and 'scenario approve' after reading the report");
        var approved = File.ReadAllText(verified).Replace("\r\n", "\n");
        if (approved != result.Report)
            Assert.Fail(UnifiedDiff.Create(approved, result.Report, "verified", "received"));
        Assert.True(result.Passed, $"{scenario} did not pass: {result.Error?.ToString() ?? $"{result.ExpectationsFailed} expectation(s) failed"}");
    }

    [Fact]
    public void No_approved_snapshot_is_left_without_its_scenario()
    {
        var dangling = SnapshotStore.Dangling(ScenariosDir, Path.Combine(RepoRoot.Path, "snapshots"));
        Assert.Empty(dangling);
    }

    [Fact]
    public void Every_shipped_scenario_keeps_its_script_in_a_lua_file_where_editors_check_it()
    {
        // inline `lua: |` stays supported, but the shipped scripts are the examples people copy, and
        // only files under lua/ are checked by the Lua Language Server (.luarc.json)
        var inline = ScenarioRunner.Discover([ScenariosDir])
            .Where(f => System.Text.RegularExpressions.Regex.IsMatch(File.ReadAllText(f), @"(?m)^lua:"))
            .Select(f => Path.GetRelativePath(RepoRoot.Path, f)).ToList();
        Assert.True(inline.Count == 0, "inline Lua: " + string.Join(", ", inline));
    }

    [Fact]
    public void The_shipped_tree_has_scenarios()
    {
        Assert.True(Scenarios().Count >= 5);
    }
}
