using ScenarioEngine.Yaml;
using ScenarioEngine.Running;
using ScenarioEngine.Scripting;

namespace ScenarioEngine.Tests;

/// <summary>
/// The supervisor of worker processes, against stand-in workers (small shell programs) that crash,
/// hang, grow or talk nonsense as a real worker would only through a bug: each case kills and
/// replaces the worker and fails its scenario with a located error; the pool goes on.
/// The real worker (the Host's `scenario worker`) is exercised by the Host tests.
/// </summary>
public class WorkerPoolTests
{
    private static readonly RunOptions Options = new() { Budgets = new Budgets(1_000_000, 1L << 20, TimeSpan.FromMilliseconds(300)), Jobs = 1 };

    private static WorkerPool Pool(string script, TimeSpan? grace = null, long? cap = null) =>
        new(new WorkerCommand("/bin/sh", ["-c", script]), 1, grace ?? TimeSpan.FromMilliseconds(200), cap);

    private static string Scenario(TestTree tree) => tree.Scenario("x", "x = 1");

    [SkippableFact]
    public void A_worker_killed_by_a_signal_fails_its_scenario_at_the_last_line_it_reported()
    {
        Requires.Linux("a worker killed by a POSIX signal");
        using var tree = new TestTree();
        using var pool = Pool("""read req; echo '{"at":{"chunk":"lua/lib/boom.lua","line":7}}'; echo 'malloc(): unaligned tcache chunk detected' >&2; kill -SEGV $$""");
        var r = pool.Run(Scenario(tree), Options);
        Assert.Equal(ErrorCode.WorkerDied, r.Error!.Code);
        Assert.Equal(("lua/lib/boom.lua", 7), (r.Error.Where.File, r.Error.Where.Line));
        Assert.Contains("killed by signal 11 (SIGSEGV)", r.Error.Message);
        Assert.Contains("malloc(): unaligned tcache chunk detected", r.Error.Message);
        Assert.Equal("scenarios/t/x.yaml", r.Path);
        Assert.Contains("error SE2008", r.Report);

        var again = pool.Run(Scenario(tree), Options);
        Assert.Equal(ErrorCode.WorkerDied, again.Error!.Code);
        Assert.Equal(2, pool.Started);
    }

    [Fact]
    public void A_worker_that_exits_without_answering_fails_its_scenario_at_the_scenario_file()
    {
        using var tree = new TestTree();
        using var pool = Pool("read req; exit 3");
        var r = pool.Run(Scenario(tree), Options);
        Assert.Equal(ErrorCode.WorkerDied, r.Error!.Code);
        Assert.Equal(("scenarios/t/x.yaml", 0), (r.Error.Where.File, r.Error.Where.Line));
        Assert.Contains("exit code 3", r.Error.Message);
    }

    [Fact]
    public void A_worker_that_hangs_past_the_wall_clock_and_the_grace_is_killed()
    {
        using var tree = new TestTree();
        using var pool = Pool("""read req; echo '{"at":{"chunk":"scenarios/t/x.yaml","line":4}}'; exec sleep 600""");
        var r = pool.Run(Scenario(tree), Options);
        Assert.Equal(ErrorCode.TimeBudget, r.Error!.Code);
        Assert.Equal(("scenarios/t/x.yaml", 4), (r.Error.Where.File, r.Error.Where.Line));
        Assert.Contains("the worker was killed", r.Error.Message);
    }

    [SkippableFact]
    public void A_worker_that_grows_past_its_memory_cap_is_killed()
    {
        Requires.Linux("a shell worker and its memory cap");
        using var tree = new TestTree();
        using var pool = Pool("""read req; exec awk 'BEGIN { s = "x"; while (1) s = s s }'""", TimeSpan.FromSeconds(30), 64L << 20);
        var r = pool.Run(Scenario(tree), Options with { Budgets = Options.Budgets with { WallClock = TimeSpan.FromSeconds(30) } });
        Assert.Equal(ErrorCode.MemoryBudget, r.Error!.Code);
        Assert.Contains("cap 64 MiB", r.Error.Message);
    }

    [Fact]
    public void A_worker_that_writes_something_other_than_result_lines_is_killed()
    {
        using var tree = new TestTree();
        using var pool = Pool("read req; echo 'hello, I am not a worker'; exec sleep 600");
        var r = pool.Run(Scenario(tree), Options);
        Assert.Equal(ErrorCode.WorkerDied, r.Error!.Code);
        Assert.Contains("not a result line", r.Error.Message);
    }

    [Fact]
    public void A_program_that_cannot_be_started_fails_each_scenario_and_nothing_throws()
    {
        using var tree = new TestTree();
        using var pool = new WorkerPool(new WorkerCommand("/no/such/program", []), 1);
        var r = pool.Run(Scenario(tree), Options);
        Assert.Equal(ErrorCode.WorkerDied, r.Error!.Code);
        Assert.Contains("could not run a worker process", r.Error.Message);
    }

    [Fact]
    public void A_worker_answers_requests_one_line_each_and_the_result_round_trips()
    {
        using var tree = new TestTree();
        var path = tree.Scenario("x", "local apu = soc.device('apu')\nexpect.eq(apu.name, 'apu', 'named')\nreport.note('\\27[1mbold')\nexpect.ok(false, 'fails')");
        var direct = ScenarioRunner.Run(path, Options with { Budgets = Budgets.Default });
        var input = new StringReader(new WorkerRequest(path, null, Budgets.Default).ToJson() + "\n");
        var output = new StringWriter();
        Assert.Equal(0, WorkerLoop.Serve(input, output));
        var line = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Single();
        using var doc = System.Text.Json.JsonDocument.Parse(line);
        var back = RunResultWire.Read(doc.RootElement.GetProperty("result"));
        Assert.Equal(direct.Report, back.Report);
        Assert.Equal(2, back.Svgs.Count); // the topology and the apu's IOVA map (its firmware window)
        Assert.Equal(direct.Svgs, back.Svgs);
        Assert.Equal(direct.Path, back.Path);
        Assert.Equal(direct.Inputs, back.Inputs);
        Assert.Equal((1, 1), (back.ExpectationsPassed, back.ExpectationsFailed));
        Assert.Equal(direct.Log.Items.OfType<Record.Step>().Select(s => (s.Number, s.Line, s.Name, s.Args, s.Result)),
                     back.Log.Items.OfType<Record.Step>().Select(s => (s.Number, s.Line, s.Name, s.Args, s.Result)));
        Assert.Equal(Reporting.JsonReport.Render([direct]), Reporting.JsonReport.Render([back]));
    }
}
