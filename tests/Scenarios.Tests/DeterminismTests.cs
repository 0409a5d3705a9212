using ScenarioEngine.Running;

namespace ScenarioEngine.Tests;

/// <summary>The same inputs give byte-identical reports at any --jobs and in any order.</summary>
public class DeterminismTests
{
    [Fact]
    public void Two_runs_at_different_job_counts_and_orders_give_identical_bytes()
    {
        var files = ScenarioRunner.Discover([Path.Combine(RepoRoot.Path, "scenarios")]);
        var one = ScenarioRunner.RunAll(files, new RunOptions { Jobs = 1 });
        var reversed = ScenarioRunner.RunAll(files.Reverse().ToList(), new RunOptions { Jobs = 4 });
        var byPath = reversed.ToDictionary(r => r.Path, r => r.Report);
        foreach (var r in one)
            Assert.Equal(r.Report, byPath[r.Path]);
    }

    [Fact]
    public void Reports_hold_no_absolute_paths_and_only_lf_line_ends()
    {
        var root = RepoRoot.Path;
        foreach (var r in ScenarioRunner.RunAll(ScenarioRunner.Discover([Path.Combine(root, "scenarios")]), new RunOptions { Jobs = 2 }))
        {
            Assert.DoesNotContain(root, r.Report);
            Assert.DoesNotContain(Path.GetTempPath(), r.Report);
            Assert.DoesNotContain("\r", r.Report);
        }
    }
}
