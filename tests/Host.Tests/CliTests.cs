using ScenarioEngine.Host;

namespace ScenarioEngine.Tests;

/// <summary>The `scenario` command: exit codes, received/verified handling, approve, validate (docs/ci.md).</summary>
public class CliTests
{
    internal static (int Code, string Out, string Err) Cli(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = ScenarioEngine.Host.Cli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void An_unknown_option_is_misuse_with_exit_code_2()
    {
        Assert.Equal(2, Cli("run", "--no-such-option").Code);
        Assert.Equal(2, Cli("run", "--format", "xml").Code);
    }

    [Fact]
    public void A_folder_without_scenarios_is_misuse_with_exit_code_2()
    {
        using var tree = new TestTree();
        var (code, _, err) = Cli("run", Path.Combine(tree.Root, "scenarios"));
        Assert.Equal(2, code);
        Assert.Contains("no scenarios found", err);
    }

    [Fact]
    public void A_new_scenario_writes_received_fails_then_approve_makes_it_match()
    {
        using var tree = new TestTree();
        var sc = tree.Scenario("a", "expect.eq(1, 1)");
        var (code, output, _) = Cli("run", sc);
        Assert.Equal(1, code);
        Assert.Contains("NEW", output);
        Assert.True(tree.Exists("snapshots/t/a.received.md"));
        Assert.False(tree.Exists("snapshots/t/a.verified.md"));

        Assert.Equal(0, Cli("approve", sc).Code);
        Assert.True(tree.Exists("snapshots/t/a.verified.md"));
        Assert.False(tree.Exists("snapshots/t/a.received.md"));

        var again = Cli("run", sc);
        Assert.Equal(0, again.Code);
        Assert.Contains("matched", again.Out);
    }

    [Fact]
    public void A_changed_report_prints_a_unified_diff_and_never_touches_the_verified_file()
    {
        using var tree = new TestTree();
        var sc = tree.Scenario("a", "report.note('one')");
        Cli("run", sc);
        Cli("approve", sc);
        var verified = tree.Read("snapshots/t/a.verified.md");
        tree.Scenario("a", "report.note('two')");
        var (code, output, _) = Cli("run", sc);
        Assert.Equal(1, code);
        Assert.Contains("CHANGED", output);
        Assert.Contains("-> one (line 4)", output);
        Assert.Contains("+> two (line 4)", output);
        Assert.Equal(verified, tree.Read("snapshots/t/a.verified.md"));
        Assert.True(tree.Exists("snapshots/t/a.received.md"));

        tree.Scenario("a", "report.note('one')");
        Assert.Equal(0, Cli("run", sc).Code);
        Assert.False(tree.Exists("snapshots/t/a.received.md"));
    }

    [Fact]
    public void A_dangling_snapshot_fails_a_whole_tree_run()
    {
        using var tree = new TestTree();
        var sc = tree.Scenario("a", "expect.eq(1, 1)");
        Cli("run", sc);
        Cli("approve", sc);
        tree.Write("snapshots/t/gone.verified.md", "# gone\n");
        var (code, output, _) = Cli("run", Path.Combine(tree.Root, "scenarios"));
        Assert.Equal(1, code);
        Assert.Contains("DANGLING", output);
    }

    [Fact]
    public void A_failed_expectation_or_a_script_error_is_exit_code_1_and_json_carries_the_error()
    {
        using var tree = new TestTree();
        var sc = tree.Scenario("bad", "local x = nil\nx.y = 1");
        var (code, json, _) = Cli("run", sc, "--format", "json");
        Assert.Equal(1, code);
        Assert.Contains("\"status\": \"failed\"", json);
        Assert.Contains("\"code\": \"SE2002\"", json);
        Assert.Contains("\"line\": 5", json);
        Assert.Contains("\"snapshot\": \"new\"", json);
        var (_, approved, _) = Cli("approve", sc);
        Assert.Contains("bad.verified.md — failed — error SE2002 at `scenarios/t/bad.yaml:5`: attempt to index a nil value", approved);
    }

    [Fact]
    public void Junit_output_has_one_testcase_per_scenario_with_errors_failures_and_diffs()
    {
        using var tree = new TestTree();
        var ok = tree.Scenario("ok", "expect.eq(1, 1)");
        tree.Scenario("bad", "local x = nil\nx.y = 1");
        tree.Scenario("fails", "expect.eq(1, 2, 'one is two')");
        Cli("run", ok);
        Cli("approve", ok);
        var (code, xml, _) = Cli("run", Path.Combine(tree.Root, "scenarios"), "--format", "junit");
        Assert.Equal(1, code);
        var doc = System.Xml.Linq.XDocument.Parse(xml);
        var cases = doc.Descendants("testcase").ToList();
        Assert.Equal(["bad", "fails", "ok"], cases.Select(c => (string)c.Attribute("name")!).ToList());
        Assert.All(cases, c => Assert.Equal("t", (string)c.Attribute("classname")!));
        Assert.Equal("SE2002", (string)cases[0].Element("error")!.Attribute("type")!);
        Assert.Contains(cases[1].Elements("failure"), f => (string)f.Attribute("type")! == "expectation" && f.Value.Contains("one is two"));
        Assert.Empty(cases[2].Elements());
        Assert.Equal("1", (string)doc.Root!.Attribute("errors")!);
        Assert.Equal("1", (string)doc.Root!.Attribute("failures")!);
        Assert.All(cases, c => Assert.True(double.Parse((string)c.Attribute("time")!, System.Globalization.CultureInfo.InvariantCulture) >= 0));
        Assert.NotNull(doc.Descendants("testsuite").Single().Attribute("time"));
        // the error and the failed expectation land on their own lines (the inline script starts at line 4)
        Assert.Equal(("scenarios/t/bad.yaml", "5"), ((string)cases[0].Attribute("file")!, (string)cases[0].Attribute("line")!));
        Assert.Equal(("scenarios/t/fails.yaml", "4"), ((string)cases[1].Attribute("file")!, (string)cases[1].Attribute("line")!));
        Assert.Equal(("scenarios/t/ok.yaml", null), ((string)cases[2].Attribute("file")!, (string?)cases[2].Attribute("line")));
    }

    [Fact]
    public void Junit_puts_an_expectation_that_fails_in_a_lua_file_on_that_file_and_a_changed_snapshot_on_its_first_changed_line()
    {
        using var tree = new TestTree();
        tree.Write("lua/t/check.lua", "-- a shared check\nreturn function() expect.eq(1, 2, 'in the module') end\n");
        tree.Write("lua/t/script.lua", "local check = require('t.check')\nreport.note('first')\ncheck()\n");
        tree.Write("scenarios/socs/tiny.yaml", TestTree.Soc);
        tree.Write("scenarios/t/mod.yaml", "scenario: mod\nsoc: ../socs/tiny.yaml\nscript: ../../lua/t/script.lua\n");
        tree.Write("lua/t/own.lua", "report.note('a')\n\nexpect.eq(1, 2, 'in the script file')\n");
        tree.Write("scenarios/t/own.yaml", "scenario: own\nsoc: ../socs/tiny.yaml\nscript: ../../lua/t/own.lua\n");
        var snap = tree.Scenario("snap", "report.note('before')");
        Cli("run", snap);
        Cli("approve", snap);
        tree.Scenario("snap", "report.note('after')");
        var (_, xml, _) = Cli("run", Path.Combine(tree.Root, "scenarios"), "--format", "junit");
        var cases = System.Xml.Linq.XDocument.Parse(xml).Descendants("testcase").ToDictionary(c => (string)c.Attribute("name")!);
        Assert.Equal(("lua/t/check.lua", "2"), ((string)cases["mod"].Attribute("file")!, (string)cases["mod"].Attribute("line")!));
        Assert.Contains("lua/t/check.lua:2: in the module", cases["mod"].Element("failure")!.Value);
        Assert.Equal(("lua/t/own.lua", "3"), ((string)cases["own"].Attribute("file")!, (string)cases["own"].Attribute("line")!));
        var verified = tree.Read("snapshots/t/snap.verified.md").Split('\n');
        var line = int.Parse((string)cases["snap"].Attribute("line")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("snapshots/t/snap.verified.md", (string)cases["snap"].Attribute("file")!);
        Assert.Contains("before", verified[line - 1]);
    }

    [Fact]
    public void Validate_reports_located_errors_without_running_scripts()
    {
        using var tree = new TestTree();
        tree.Scenario("ok", "while true do end");
        tree.Scenario("syntax", "local = 1");
        tree.Write("scenarios/t/typo.yaml", "scenario: x\nsoc: ../socs/tiny.yaml\nscirpt: a.lua\n");
        var (code, output, _) = Cli("validate", Path.Combine(tree.Root, "scenarios"));
        Assert.Equal(1, code);
        Assert.Contains("scenarios/t/syntax.yaml:4: error SE2001", output);
        Assert.Contains("scenarios/t/typo.yaml:3:1: error SE1003", output);
        Assert.Contains("did you mean 'script'", output);
        Assert.Contains("3 scenario(s) checked, 2 with errors.", output);
    }

    [Fact]
    public void Shards_partition_the_scenarios_and_filter_selects_by_path()
    {
        using var tree = new TestTree();
        for (int i = 0; i < 5; i++) tree.Scenario("s" + i, "expect.eq(1, 1)");
        var root = Path.Combine(tree.Root, "scenarios");
        var seen = new List<string>();
        for (int k = 1; k <= 2; k++)
        {
            var (_, output, _) = Cli("run", root, "--shard", $"{k}/2");
            seen.AddRange(output.Split('\n').Where(l => l.StartsWith("NEW", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
        }
        Assert.Equal(5, seen.Count);
        Assert.Equal(5, seen.Distinct().Count());
        var (_, filtered, _) = Cli("run", root, "--filter", "t/s3");
        Assert.Contains("scenarios/t/s3.yaml", filtered);
        Assert.DoesNotContain("scenarios/t/s1.yaml", filtered);
        Assert.Equal(2, Cli("run", root, "--shard", "3/2").Code);
    }

    [Fact]
    public void The_diff_tool_is_never_launched_under_ci()
    {
        var old = Environment.GetEnvironmentVariable("CI");
        try
        {
            Environment.SetEnvironmentVariable("CI", "true");
            Assert.False(DiffLauncher.Allowed);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CI", old);
        }
    }
}
