using ScenarioEngine.Record;
using ScenarioEngine.Reporting;
using ScenarioEngine.Yaml;
using ScenarioEngine.Running;
using ScenarioEngine.Scripting;

namespace ScenarioEngine.Tests;

/// <summary>The watch service's core: exactly the affected scenarios re-run, no-op saves skipped, verified files untouched.</summary>
public class TreeWatcherTests
{
    private static (TestTree Tree, TreeWatcher Watcher, string A, string B) Setup(Budgets? budgets = null)
    {
        var tree = new TestTree();
        tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        tree.Write("scenarios/socs/other.yaml", TestTree.Soc.Replace("soc: tiny", "soc: other"));
        var a = tree.Write("scenarios/t/a.yaml", "scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq(soc.name, 'tiny')\n");
        var b = tree.Write("scenarios/t/b.yaml", "scenario: b\nsoc: ../socs/other.yaml\nlua: |\n  expect.eq(soc.name, 'other')\n");
        var w = new TreeWatcher(Path.Combine(tree.Root, "scenarios"), new RunOptions { Jobs = 1, Budgets = budgets ?? Budgets.Default });
        return (tree, w, a, b);
    }

    private static string[] Ran(IReadOnlyList<RunResult> results) => results.Select(r => r.Path).ToArray();

    [Fact]
    public void The_first_run_writes_received_files_and_never_a_verified_one()
    {
        var (tree, w, _, _) = Setup();
        using var _t = tree;
        var first = w.RunAll();
        Assert.Equal(["scenarios/t/a.yaml", "scenarios/t/b.yaml"], Ran(first));
        Assert.All(first, r => Assert.Equal(SnapshotStatus.New, r.Snapshot));
        Assert.True(tree.Exists("snapshots/t/a.received.md"));
        Assert.False(tree.Exists("snapshots/t/a.verified.md"));
    }

    [Fact]
    public void Editing_a_soc_file_reruns_exactly_the_scenarios_using_it_and_a_no_op_save_reruns_nothing()
    {
        var (tree, w, _, _) = Setup();
        using var _t = tree;
        w.RunAll();
        var soc = tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        Assert.Empty(w.Apply([soc]));
        tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc + "# a comment\n");
        Assert.Equal(["scenarios/t/a.yaml"], Ran(w.Apply([soc])));
        var other = tree.Write("scenarios/socs/other.yaml", TestTree.Soc.Replace("soc: tiny", "soc: renamed"));
        var rerun = w.Apply([other]);
        Assert.Equal(["scenarios/t/b.yaml"], Ran(rerun));
        Assert.Equal(1, rerun[0].ExpectationsFailed);
    }

    [Fact]
    public void A_matched_snapshot_is_never_rewritten_and_a_change_writes_only_received()
    {
        var (tree, w, a, _) = Setup();
        using var _t = tree;
        w.RunAll();
        File.Move(Path.Combine(tree.Root, "snapshots/t/a.received.md"), Path.Combine(tree.Root, "snapshots/t/a.verified.md"));
        var verified = tree.Read("snapshots/t/a.verified.md");
        tree.Write("scenarios/t/a.yaml", "scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  expect.eq(soc.name, 'tiny', 'changed')\n");
        var r = Assert.Single(w.Apply([a]));
        Assert.Equal(SnapshotStatus.Changed, r.Snapshot);
        Assert.Equal(verified, tree.Read("snapshots/t/a.verified.md"));
        Assert.True(tree.Exists("snapshots/t/a.received.md"));
    }

    [Fact]
    public void A_runaway_scenario_is_stopped_by_its_budget_and_the_others_go_on()
    {
        var (tree, w, a, _) = Setup(new Budgets(100_000, 64 << 20, TimeSpan.FromSeconds(20)));
        using var _t = tree;
        w.RunAll();
        tree.Write("scenarios/t/a.yaml", "scenario: a\nsoc: ../socs/tiny.yaml\nlua: |\n  while true do end\n");
        var r = Assert.Single(w.Apply([a]));
        Assert.Equal(ErrorCode.InstructionBudget, r.Error!.Code);
        Assert.True(w.Latest[Path.GetFullPath(Path.Combine(tree.Root, "scenarios/t/b.yaml"))].Passed);
    }

    [Fact]
    public void A_deleted_scenario_is_forgotten_and_a_new_one_runs()
    {
        var (tree, w, a, _) = Setup();
        using var _t = tree;
        w.RunAll();
        File.Delete(a);
        Assert.Empty(w.Apply([a]));
        Assert.DoesNotContain(Path.GetFullPath(a), w.Latest.Keys);
        var c = tree.Write("scenarios/t/c.yaml", "scenario: c\nsoc: ../socs/tiny.yaml\nlua: |\n  local x = 1\n");
        Assert.Equal(["scenarios/t/c.yaml"], Ran(w.Apply([c])));
    }

    [Fact]
    public void A_rescan_finds_what_changed_while_events_were_lost()
    {
        var (tree, w, _, _) = Setup();
        using var _t = tree;
        w.RunAll();
        tree.Write("scenarios/socs/other.yaml", TestTree.Soc.Replace("soc: tiny", "soc: other") + "# edited\n");
        tree.Write("scenarios/t/c.yaml", "scenario: c\nsoc: ../socs/tiny.yaml\nlua: |\n  local x = 1\n");
        Assert.Equal(["scenarios/t/b.yaml", "scenarios/t/c.yaml"], Ran(w.Rescan()));
        Assert.Empty(w.Rescan());
    }
}
