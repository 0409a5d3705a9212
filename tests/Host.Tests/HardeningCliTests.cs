using System.Xml.Linq;
using ScenarioEngine.Yaml;
using ScenarioEngine.Host;
using ScenarioEngine.Running;
using ScenarioEngine.Scripting;
using ScenarioEngine.Snapshots;

namespace ScenarioEngine.Tests;

/// <summary>
/// The `scenario` command under hostile options, files and scripts: every command-line value is
/// checked (exit 2 with a message), snapshot files fail one scenario at most, output is escaped,
/// and runs go through real worker processes.
/// </summary>
public class HardeningCliTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => CliTests.Cli(args);

    [Theory]
    [InlineData("--shard", "99999999999/99999999999")]
    [InlineData("--shard", "0/3")]
    [InlineData("--max-memory-mib", "0")]
    [InlineData("--max-memory-mib", "-1")]
    [InlineData("--max-memory-mib", "9223372036854775807")]
    [InlineData("--max-instructions", "0")]
    [InlineData("--max-seconds", "0")]
    [InlineData("--max-seconds", "NaN")]
    [InlineData("--jobs", "0")]
    [InlineData("--jobs", "100000")]
    public void A_bad_option_value_is_misuse_with_a_message_and_exit_code_2(string option, string value)
    {
        using var tree = new TestTree();
        var sc = tree.Scenario("a", "expect.eq(1, 1)");
        var (code, _, err) = Cli("run", sc, option, value);
        Assert.Equal(2, code);
        Assert.StartsWith("scenario", err);
    }

    [Fact]
    public void A_snapshots_option_that_names_a_file_is_misuse()
    {
        using var tree = new TestTree();
        var sc = tree.Scenario("a", "expect.eq(1, 1)");
        var file = tree.Write("not-a-folder", "x");
        var (code, _, err) = Cli("run", sc, "--snapshots", file);
        Assert.Equal(2, code);
        Assert.Contains("--snapshots must be a folder", err);
    }

    [Fact]
    public void A_folder_where_the_received_file_belongs_fails_that_scenario_with_SE3001_and_the_run_goes_on()
    {
        using var tree = new TestTree();
        var a = tree.Scenario("a", "expect.eq(1, 1)");
        var b = tree.Scenario("b", "expect.eq(2, 2)");
        Directory.CreateDirectory(Path.Combine(tree.Root, "snapshots", "t", "a.received.md"));
        var (code, output, _) = Cli("run", a, b, "--format", "json");
        Assert.Equal(1, code);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        var scenarios = doc.RootElement.GetProperty("scenarios").EnumerateArray().ToList();
        Assert.Equal("SE3001", scenarios[0].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("new", scenarios[1].GetProperty("snapshot").GetString());
        Assert.True(tree.Exists("snapshots/t/b.received.md"));
    }

    [Theory]
    [InlineData("snapshots")]
    [InlineData("snapshots/t")]
    public void A_snapshot_folder_linked_out_of_the_project_gets_nothing_written_and_its_scenarios_fail_with_SE3001(string linked)
    {
        using var tree = new TestTree();
        var a = tree.Scenario("a", "expect.eq(1, 1)");
        var elsewhere = Directory.CreateTempSubdirectory("se-elsewhere-").FullName;
        try
        {
            var at = Path.Combine(tree.Root, linked);
            Directory.CreateDirectory(Path.GetDirectoryName(at)!);
            Directory.CreateSymbolicLink(at, elsewhere);
            var (code, output, _) = Cli("run", a, "--format", "json");
            Assert.Equal(1, code);
            using var doc = System.Text.Json.JsonDocument.Parse(output);
            var error = doc.RootElement.GetProperty("scenarios")[0].GetProperty("error");
            Assert.Equal("SE3001", error.GetProperty("code").GetString());
            Assert.Contains("resolves to", error.GetProperty("message").GetString());
            Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere, "*", SearchOption.AllDirectories));
            // a folder given with --snapshots may be anywhere: that is the user's own choice
            var chosen = Path.Combine(elsewhere, "chosen");
            var (given, _, err) = Cli("run", a, "--snapshots", chosen);
            Assert.True(given == 1, err); // new snapshot: exit 1 until approved
            Assert.True(File.Exists(Path.Combine(chosen, "t", "a.received.md")));
        }
        finally { Directory.Delete(elsewhere, true); }
    }

    [SkippableFact]
    public void Snapshots_under_proc_fail_each_scenario_and_nothing_crashes()
    {
        Requires.Linux("/proc as the snapshot folder");
        using var tree = new TestTree();
        var a = tree.Scenario("a", "expect.eq(1, 1)");
        var (code, output, _) = Cli("run", a, "--snapshots", "/proc");
        Assert.Equal(1, code);
        Assert.Contains("SE3001", output);
    }

    [Fact]
    public void An_approve_waits_for_the_snapshot_lock_and_says_so_when_it_cannot_have_it()
    {
        using var tree = new TestTree();
        var sc = tree.Scenario("a", "expect.eq(1, 1)");
        Cli("run", sc);
        var snapshots = Path.Combine(tree.Root, "snapshots");
        using (SnapshotLock.Acquire(snapshots, TimeSpan.Zero))
        {
            var o = new StringWriter();
            var e = new StringWriter();
            Assert.Equal(1, ApproveCommand.Execute([sc], null, o, e, TimeSpan.FromMilliseconds(100)));
            Assert.Contains("another 'scenario approve' or run is writing", e.ToString());
            Assert.Contains("held by PID " + Environment.ProcessId, e.ToString());
            Assert.True(tree.Exists("snapshots/t/a.received.md"));
        }
        Assert.Equal(0, Cli("approve", sc).Code);
        Assert.True(tree.Exists("snapshots/t/a.verified.md"));
    }

    [Fact]
    public void A_report_that_matches_its_snapshot_is_compared_while_approve_holds_the_lock_since_it_writes_nothing()
    {
        using var tree = new TestTree();
        var sc = tree.Scenario("a", "expect.eq(1, 1)");
        Cli("run", sc);
        Assert.Equal(0, Cli("approve", sc).Code);
        using (SnapshotLock.Acquire(Path.Combine(tree.Root, "snapshots"), TimeSpan.Zero))
        {
            // Waiting for the lock would take the full lock wait and end in SE3001.
            var (code, output, _) = Cli("run", sc, "--format", "json");
            Assert.Equal(0, code);
            using var doc = System.Text.Json.JsonDocument.Parse(output);
            Assert.Equal("matched", doc.RootElement.GetProperty("scenarios")[0].GetProperty("snapshot").GetString());
        }
    }

    internal static void MakeFifo(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var mk = System.Diagnostics.Process.Start("mkfifo", path)!;
        mk.WaitForExit();
        Assert.Equal(0, mk.ExitCode);
    }

    [SkippableFact]
    public async Task A_FIFO_in_place_of_a_verified_snapshot_fails_its_scenario_with_SE3001_instead_of_blocking_the_run()
    {
        Requires.Linux("a FIFO (mkfifo)");
        using var tree = new TestTree();
        var a = tree.Scenario("a", "expect.eq(1, 1)");
        var b = tree.Scenario("b", "expect.eq(2, 2)");
        MakeFifo(Path.Combine(tree.Root, "snapshots", "t", "a.verified.md"));
        // A read of the FIFO would wait for a writer for good: bounded here, so a regression fails instead of hanging.
        var (code, output, _) = await Task.Run(() => Cli("run", a, b, "--format", "json")).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, code);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        var scenarios = doc.RootElement.GetProperty("scenarios").EnumerateArray().ToList();
        Assert.Equal("SE3001", scenarios[0].GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("not a regular file", scenarios[0].GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("new", scenarios[1].GetProperty("snapshot").GetString());
    }

    [SkippableFact]
    public void A_verified_snapshot_linked_out_of_the_snapshot_folder_is_not_read_into_the_diff()
    {
        Requires.Linux("symbolic links as a Unix file system has them");
        using var tree = new TestTree();
        var a = tree.Scenario("a", "expect.eq(1, 1)");
        var secret = tree.Write("secret.txt", "TOPSECRET the CI token\n");
        Directory.CreateDirectory(Path.Combine(tree.Root, "snapshots", "t"));
        File.CreateSymbolicLink(Path.Combine(tree.Root, "snapshots", "t", "a.verified.md"), secret);
        var (code, output, err) = Cli("run", a, "--format", "json");
        Assert.Equal(1, code);
        Assert.Contains("SE3001", output);
        Assert.Contains("outside", output);
        Assert.DoesNotContain("TOPSECRET", output + err);
    }

    [SkippableFact]
    public async Task Approve_leaves_a_FIFO_or_a_link_in_place_of_a_received_report_alone()
    {
        Requires.Linux("a FIFO (mkfifo)");
        using var tree = new TestTree();
        var a = tree.Scenario("a", "expect.eq(1, 1)");
        var b = tree.Scenario("b", "expect.eq(2, 2)");
        MakeFifo(Path.Combine(tree.Root, "snapshots", "t", "a.received.md"));
        var elsewhere = tree.Write("elsewhere.md", "not a report\n");
        File.CreateSymbolicLink(Path.Combine(tree.Root, "snapshots", "t", "b.received.md"), elsewhere);
        var (code, output, err) = await Task.Run(() => Cli("approve", a, b)).WaitAsync(TimeSpan.FromSeconds(60));
        // Left alone, and said: neither is approved, and approve does not claim it did everything.
        Assert.Equal(1, code);
        Assert.Contains("NOT approved snapshots/t/a.verified.md", err);
        Assert.Contains("NOT approved snapshots/t/b.verified.md", err);
        Assert.Contains("0 snapshot(s) approved; 2 NOT approved", output);
        Assert.False(tree.Exists("snapshots/t/a.verified.md"));
        Assert.False(tree.Exists("snapshots/t/b.verified.md"));
    }

    [Fact]
    public void Two_approves_at_once_move_each_received_file_exactly_once()
    {
        using var tree = new TestTree();
        var paths = Enumerable.Range(0, 12).Select(i => tree.Scenario("s" + i, $"expect.eq({i}, {i})")).ToArray();
        Cli(["run", .. paths]);
        var results = new (int Code, string Out, string Err)[2];
        Parallel.For(0, 2, i => results[i] = Cli(["approve", .. paths]));
        Assert.All(results, r => Assert.Equal(0, r.Code));
        int approved = results.Sum(r => r.Out.Split('\n').Count(l => l.StartsWith("approved ", StringComparison.Ordinal)));
        Assert.Equal(12, approved);
        Assert.All(paths, p => Assert.True(File.Exists(Path.Combine(tree.Root, "snapshots", "t", Path.GetFileNameWithoutExtension(p) + ".verified.md"))));
    }

    [Fact]
    public void A_link_planted_at_a_temporary_file_name_is_never_written_through()
    {
        // A hostile tree can hold links named as the writer's temporary files (NAME.PID.TID.tmp was
        // predictable: in a fresh container the PID is too). The writer creates its temporary file
        // exclusively under a random name, so the link's target keeps its content.
        using var tree = new TestTree();
        var victim = tree.Write("outside/victim.txt", "keep me");
        var target = Path.Combine(tree.Root, "snapshots", "t", "a.received.md");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        for (int tid = 1; tid < 64; tid++)
            File.CreateSymbolicLink($"{target}.{Environment.ProcessId}.{tid}.tmp", victim);
        SnapshotStore.WriteAtomic(target, "the report");
        Assert.Equal("keep me", File.ReadAllText(victim));
        Assert.Equal("the report", File.ReadAllText(target));
        Assert.Null(new FileInfo(target).LinkTarget);
        // and a new file's temporary name still names its writer's PID for the stale-temp sweep
        var stale = $"{target}.4194001.3x0123456789ab.tmp";
        File.WriteAllText(stale, "half");
        SnapshotStore.RemoveStaleTemps(Path.Combine(tree.Root, "snapshots"));
        Assert.False(File.Exists(stale));
    }

    [Fact]
    public void A_temporary_file_left_by_a_killed_run_is_removed_by_the_next_run_and_a_live_writers_is_kept()
    {
        using var tree = new TestTree();
        var sc = tree.Scenario("a", "expect.eq(1, 1)");
        var dead = tree.Write("snapshots/t/a.received.md.4194000.7.tmp", "half a report");
        var live = tree.Write($"snapshots/t/b.received.md.{Environment.ProcessId}.9.tmp", "being written");
        var (_, _, err) = Cli("run", sc);
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live));
        Assert.Contains("a temporary file left by a run that was killed while writing", err);
    }

    [Fact]
    public void Escape_sequences_and_fake_lines_a_script_writes_reach_the_terminal_escaped()
    {
        using var tree = new TestTree();
        var sc = tree.Scenario("a", "error('\\27[2J\\27[32mpassed\\nmatched  scenarios/t/other.yaml  passed')");
        var (code, output, _) = Cli("run", sc);
        Assert.Equal(1, code);
        Assert.DoesNotContain('\u001b', output);
        Assert.Contains("\\x1b[2J", output);
        Assert.DoesNotContain("\nmatched  scenarios/t/other.yaml", output);
    }

    [Fact]
    public void JUnit_output_with_control_characters_in_messages_is_well_formed_XML()
    {
        using var tree = new TestTree();
        var sc = tree.Scenario("a", "expect.ok(false, 'bell \\7 and esc \\27 and nul \\0 end')\nerror('\\1\\2\\3')");
        var (code, output, _) = Cli("run", sc, "--format", "junit");
        Assert.Equal(1, code);
        var xml = XDocument.Parse(output);
        Assert.Contains("\\u0001\\u0002\\u0003", xml.Root!.ToString());
    }

    [Fact]
    public void A_script_stuck_inside_a_C_pattern_match_is_stopped_by_the_wall_clock_and_the_run_goes_on()
    {
        using var tree = new TestTree();
        var stuck = tree.Scenario("stuck", "local s = string.rep('a', 40000)\nlocal i = s:find(string.rep('a*', 30) .. 'b')");
        var fine = tree.Scenario("fine", "expect.eq(1, 1)");
        var (code, output, _) = Cli("run", stuck, fine, "--max-seconds", "1", "--format", "json");
        Assert.Equal(1, code);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        var s = doc.RootElement.GetProperty("scenarios").EnumerateArray().ToDictionary(x => x.GetProperty("path").GetString()!);
        Assert.Equal("SE2005", s["scenarios/t/stuck.yaml"].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(5, s["scenarios/t/stuck.yaml"].GetProperty("error").GetProperty("line").GetInt32());
        Assert.Equal("passed", s["scenarios/t/fine.yaml"].GetProperty("status").GetString());
    }

    [Fact]
    public void Worker_processes_give_byte_identical_reports_to_the_in_process_runner()
    {
        var files = ScenarioRunner.Discover([Path.Combine(RepoRoot.Path, "scenarios")]);
        var direct = ScenarioRunner.RunAll(files, new RunOptions { Jobs = 2 });
        using var pool = new WorkerPool(WorkerLauncher.Command(), 2);
        var isolated = ScenarioRunner.RunAll(files, new RunOptions { Jobs = 2, Pool = pool });
        Assert.Equal(direct.Select(r => r.Report), isolated.Select(r => r.Report));
        Assert.Equal(Reporting.JsonReport.Render(direct), Reporting.JsonReport.Render(isolated));
        Assert.InRange(pool.Started, 1, 2);
    }
}
