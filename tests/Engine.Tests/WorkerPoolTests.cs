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

    [SkippableFact]
    public void The_memory_cap_counts_what_a_scenario_adds_to_its_worker_not_what_the_worker_kept_from_earlier_ones()
    {
        Requires.Linux("a shell worker's resident memory from /proc");
        using var tree = new TestTree();
        var path = Scenario(tree);
        var result = Path.Combine(tree.Root, "result.json");
        File.WriteAllText(result, RunResultWire.Write(ScenarioRunner.Run(path, Options)) + "\n");
        // Each request takes about 30 MB more and keeps it (a shell variable per request): alone each
        // stays well under the 80 MiB cap, but the third request's worker holds three times that.
        using var pool = Pool($$"""i=0; while read req; do i=$((i+1)); echo '{{WorkerLoop.Ack}}'; eval "x$i=\$(head -c 30000000 /dev/zero | tr '\\0' y)"; cat '{{result}}'; done""",
            TimeSpan.FromSeconds(30), 80L << 20);
        var options = Options with { Budgets = Options.Budgets with { WallClock = TimeSpan.FromSeconds(30) } };
        for (int i = 0; i < 3; i++)
        {
            var r = pool.Run(path, options);
            Assert.Null(r.Error);
        }
        Assert.Equal(1, pool.Started);
    }

    [Fact]
    public void A_worker_that_dies_before_it_takes_its_scenario_is_replaced_and_the_scenario_runs_on_a_fresh_one()
    {
        using var tree = new TestTree();
        var path = Scenario(tree);
        var result = Path.Combine(tree.Root, "result.json");
        File.WriteAllText(result, RunResultWire.Write(ScenarioRunner.Run(path, Options)) + "\n");
        var marker = Path.Combine(tree.Root, "first");
        // The first worker dies as it reads the request (as one killed while idle would); the second answers.
        using var pool = Pool($$"""if [ ! -e '{{marker}}' ]; then : > '{{marker}}'; read req; exit 9; fi; while read req; do echo '{{WorkerLoop.Ack}}'; cat '{{result}}'; done""");
        var r = pool.Run(path, Options);
        Assert.Null(r.Error);
        Assert.Equal(2, pool.Started);
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
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(WorkerLoop.Ack, lines[0]); // taken before it runs
        var line = lines.Skip(1).Single();
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
