using ScenarioEngine.Record;
using ScenarioEngine.Yaml;
using System.Runtime.InteropServices;
using ScenarioEngine.Host;
using ScenarioEngine.Running;
using ScenarioEngine.Scripting;

namespace ScenarioEngine.Tests;

/// <summary>
/// Real worker processes (the Host's `scenario worker`) reused across scenarios: a verdict never
/// depends on what ran before in the same worker, a worker killed while idle costs no scenario, and a
/// killed worker leaves nothing behind in the temporary folder. The memory figures are resident
/// bytes, not time; the only clocks are the budgets' generous safety nets.
/// </summary>
public class WorkerHistoryTests
{
    private static readonly RunOptions Options = new() { Budgets = Budgets.Default with { WallClock = TimeSpan.FromSeconds(60) }, Jobs = 1 };

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [SkippableFact]
    public void A_scenario_gets_the_same_verdict_and_report_alone_and_after_a_memory_heavy_one_in_the_same_worker()
    {
        Requires.Linux("/proc, signals and file modes");
        using var tree = new TestTree();
        // Host-side records (managed memory the worker keeps after the run), then Lua strings (malloc).
        var heavy = tree.Scenario("a-heavy", "local s = string.rep('x', 60000)\nfor i = 1, 1000 do report.note(s) end\nexpect.eq(1, 1)");
        var light = tree.Scenario("b-light", "local t = {}\nfor i = 1, 150 do t[i] = string.rep(string.char(65 + i % 26), 1 << 20) end\nexpect.eq(#t, 150)");
        const long cap = 300L << 20;
        RunResult alone;
        using (var own = new WorkerPool(WorkerLauncher.Command(), 1, memoryCap: cap)) alone = own.Run(light, Options);
        using var shared = new WorkerPool(WorkerLauncher.Command(), 1, memoryCap: cap);
        var first = shared.Run(heavy, Options);
        var after = shared.Run(light, Options);
        Assert.Null(alone.Error);
        Assert.Null(first.Error);
        Assert.Null(after.Error);
        Assert.Equal(alone.Report, after.Report);
    }

    [Fact]
    public void The_shipped_scenarios_give_the_same_verdicts_and_reports_in_either_order_and_at_any_jobs_in_reused_workers()
    {
        var files = ScenarioRunner.Discover([Path.Combine(RepoRoot.Path, "scenarios")]);
        Dictionary<string, (bool, string?, string)> Run(IReadOnlyList<string> order, int jobs)
        {
            using var pool = new WorkerPool(WorkerLauncher.Command(), jobs);
            return ScenarioRunner.RunAll(order, new RunOptions { Jobs = jobs, Pool = pool })
                .ToDictionary(r => r.Path, r => (r.Passed, r.Error?.CodeText, r.Report));
        }
        var forward = Run(files, 1);                            // each scenario after those before it, in one worker
        var backward = Run([.. files.Reverse()], 1);            // after those after it
        var wide = Run(files, 3);                               // spread over three workers
        Assert.Equal(files.Count, forward.Count);
        foreach (var (path, outcome) in forward)
        {
            Assert.Equal(outcome, backward[path]);
            Assert.Equal(outcome, wide[path]);
        }
    }

    [SkippableFact]
    public void A_worker_killed_at_its_memory_cap_is_located_at_the_line_where_the_script_grew()
    {
        Requires.Linux("/proc, signals and file modes");
        using var tree = new TestTree();
        // Lua strings (malloc, outside the managed heap and its hard limit), a mebibyte a step
        var grows = tree.Scenario("grows", "local t = {}\nfor i = 1, 600 do t[i] = string.rep(string.rep(string.char(65 + i % 26), 4096), 256); for _ = 1, 200 do end end\nexpect.eq(#t, 600)");
        using var pool = new WorkerPool(WorkerLauncher.Command(), 1, memoryCap: 200L << 20);
        var r = pool.Run(grows, Options with { Budgets = Options.Budgets with { MemoryBytes = 1L << 30 } });
        Assert.Equal(ErrorCode.MemoryBudget, r.Error!.Code);
        Assert.Equal(("scenarios/t/grows.yaml", 5), (r.Error.Where.File, r.Error.Where.Line));
        Assert.Contains("cap 200 MiB", r.Error.Message);
    }

    [SkippableFact]
    public void A_worker_killed_while_idle_costs_no_scenario_the_next_one_runs_on_a_fresh_worker()
    {
        Requires.Linux("/proc, signals and file modes");
        using var tree = new TestTree();
        var a = tree.Scenario("a", "expect.eq(1, 1)");
        var b = tree.Scenario("b", "expect.eq(2, 2)");
        using var pool = new WorkerPool(WorkerLauncher.Command(), 1);
        for (int round = 0; round < 3; round++)
        {
            Assert.Null(pool.Run(a, Options).Error);
            var idle = Assert.Single(pool.WorkerIds);
            Assert.Equal(0, kill(idle, 9));
            var r = pool.Run(b, Options);
            Assert.Null(r.Error);
            Assert.Equal(1, r.ExpectationsPassed);
        }
        Assert.Equal(4, pool.Started);
    }

    [SkippableFact]
    public void A_killed_worker_leaves_no_runtime_files_in_the_temporary_folder()
    {
        Requires.Linux("/proc, signals and file modes");
        using var tree = new TestTree();
        var a = tree.Scenario("a", "expect.eq(1, 1)");
        using var pool = new WorkerPool(WorkerLauncher.Command(), 1);
        Assert.Null(pool.Run(a, Options).Error);
        var pid = Assert.Single(pool.WorkerIds);
        var tmp = Path.GetTempPath();
        string[] Left() => Directory.EnumerateFiles(tmp, $"*-{pid}-*").Select(Path.GetFileName).Where(n => n!.StartsWith("clr-debug-pipe-", StringComparison.Ordinal) || n.StartsWith("dotnet-diagnostic-", StringComparison.Ordinal)).ToArray()!;
        Assert.Empty(Left());
        Assert.Equal(0, kill(pid, 9));
        Assert.Null(pool.Run(a, Options).Error); // the pool notices the dead worker and starts another
        Assert.Empty(Left());
    }
}
