using ScenarioEngine.Running;

namespace ScenarioEngine.Tests;

/// <summary>What a run read (RunResult.Inputs) and which scenarios a changed file affects (ChangeMap).</summary>
public class ChangeMapTests
{
    private static string Full(TestTree t, string rel) => Path.GetFullPath(Path.Combine(t.Root, rel));

    [Fact]
    public void A_run_records_its_scenario_soc_script_and_every_module_it_looked_for()
    {
        using var tree = new TestTree();
        tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        tree.Write("lua/lib/util.lua", "return { two = 2 }\n");
        tree.Write("lua/main.lua", "local u = require('lib.util')\nlocal ok = pcall(require, 'lib.missing')\nexpect.eq(u.two, 2)\n");
        var sc = tree.Write("scenarios/t/a.yaml", "scenario: a\nsoc: ../socs/tiny.yaml\nscript: ../../lua/main.lua\n");
        var r = ScenarioRunner.Run(sc, new RunOptions { Jobs = 1 });
        Assert.True(r.Passed, r.Error?.ToString());
        Assert.Equal(
            new[] { "lua/lib/missing.lua", "lua/lib/util.lua", "lua/main.lua", "scenarios/socs/tiny.yaml", "scenarios/t/a.yaml" }.Select(p => Full(tree, p)),
            r.Inputs);
    }

    [Fact]
    public void A_scenario_that_failed_to_load_still_records_the_file_it_could_not_read()
    {
        using var tree = new TestTree();
        var sc = tree.Write("scenarios/t/a.yaml", "scenario: a\nsoc: ../socs/later.yaml\nlua: |\n  local a = 1\n");
        var r = ScenarioRunner.Run(sc, new RunOptions { Jobs = 1 });
        Assert.False(r.Passed);
        Assert.Contains(Full(tree, "scenarios/socs/later.yaml"), r.Inputs);
    }

    [Fact]
    public void A_changed_file_affects_exactly_the_scenarios_that_read_it()
    {
        using var tree = new TestTree();
        tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        tree.Write("scenarios/socs/other.yaml", TestTree.Soc.Replace("soc: tiny", "soc: other"));
        tree.Write("lua/lib/util.lua", "return 1\n");
        var a = tree.Write("scenarios/t/a.yaml", "scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  require('lib.util')\n");
        var b = tree.Write("scenarios/t/b.yaml", "scenario: b\nsoc: ../socs/other.yaml\nlua: |\n  local x = 1\n");
        var c = tree.Write("scenarios/t/c.yaml", "scenario: c\nsoc: ../socs/tiny.yaml\nlua: |\n  local x = 1\n");
        var map = new ChangeMap();
        foreach (var r in ScenarioRunner.RunAll([a, b, c], new RunOptions { Jobs = 1 })) map.Record(r.FullPath, r.Inputs);
        bool IsScenario(string p) => p.StartsWith(Full(tree, "scenarios/t/"), StringComparison.Ordinal);

        Assert.Equal([a, c], map.Affected(Full(tree, "scenarios/socs/tiny.yaml"), IsScenario));
        Assert.Equal([b], map.Affected(Full(tree, "scenarios/socs/other.yaml"), IsScenario));
        Assert.Equal([a], map.Affected(Full(tree, "lua/lib/util.lua"), IsScenario));
        Assert.Equal([c], map.Affected(c, IsScenario));
        Assert.Empty(map.Affected(Full(tree, "lua/lib/unused.lua"), IsScenario));
        var d = Full(tree, "scenarios/t/d.yaml");
        Assert.Equal([d], map.Affected(d, IsScenario));

        map.Forget(c);
        Assert.Equal([a], map.Affected(Full(tree, "scenarios/socs/tiny.yaml"), IsScenario));
        map.Record(a, [a]);
        Assert.Empty(map.Affected(Full(tree, "lua/lib/util.lua"), IsScenario));
    }
}
