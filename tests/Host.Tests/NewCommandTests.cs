namespace ScenarioEngine.Tests;

/// <summary>`scenario new soc` / `scenario new scenario`: scaffolds validate and run as written, and never overwrite.</summary>
public class NewCommandTests
{
    private static (int Code, string Out, string Err) Cli(params string[] args) => CliTests.Cli(args);

    [Fact]
    public void A_scaffolded_soc_and_scenario_validate_run_pass_and_match_once_approved()
    {
        using var tree = new TestTree();
        var socs = Path.Combine(tree.Root, "scenarios", "socs");
        var scenarios = Path.Combine(tree.Root, "scenarios");
        Assert.Equal(0, Cli("new", "soc", "board", "--dir", socs).Code);
        var (code, output, err) = Cli("new", "scenario", "first/attach", "--soc", Path.Combine(socs, "board.yaml"), "--dir", scenarios);
        Assert.True(code == 0, err);
        Assert.Contains("device display of board", output);
        var scenario = Path.Combine(scenarios, "first", "attach.yaml");
        Assert.Contains("soc: ../socs/board.yaml", File.ReadAllText(scenario));
        // the script is a file of lua/, where the editor's Lua Language Server checks it; none inline
        Assert.Contains("script: ../../lua/first/attach.lua\n", File.ReadAllText(scenario));
        Assert.DoesNotContain("lua:", File.ReadAllText(scenario));
        Assert.StartsWith("-- The library: docs/lua-api.md.", tree.Read("lua/first/attach.lua"));
        Assert.Matches(@"and its script \S*lua/first/attach\.lua \(device display of board\)", output);

        Assert.Equal(0, Cli("validate", scenarios).Code);
        var first = Cli("run", scenario, "--jobs", "1");
        Assert.Equal(1, first.Code);
        Assert.Contains("NEW", first.Out);
        Assert.Contains("passed  2 expectation(s)", first.Out);
        var report = tree.Read("snapshots/first/attach.received.md");
        Assert.Contains("| 4 | 15 | `iommu.attach_device(domain#2, display)` | **-EINVAL** |", report);
        var approve = Cli("approve", scenario);
        Assert.Equal(0, approve.Code);
        Assert.Contains("attach.verified.md — passed — 2 expectations held, 0 failed.", approve.Out);
        Assert.Equal(0, Cli("run", scenario, "--jobs", "1").Code);
    }

    [Fact]
    public void New_never_overwrites_an_existing_file()
    {
        using var tree = new TestTree();
        var socs = Path.Combine(tree.Root, "scenarios", "socs");
        var path = tree.Write("scenarios/socs/board.yaml", "soc: mine\n");
        var (code, _, err) = Cli("new", "soc", "board", "--dir", socs);
        Assert.Equal(2, code);
        Assert.Contains("exists; not overwritten", err);
        Assert.Equal("soc: mine\n", File.ReadAllText(path));
    }

    [Fact]
    public void A_scenario_whose_script_file_exists_is_not_scaffolded_at_all()
    {
        using var tree = new TestTree();
        var socs = Path.Combine(tree.Root, "scenarios", "socs");
        Assert.Equal(0, Cli("new", "soc", "board", "--dir", socs).Code);
        tree.Write("lua/mine.lua", "-- mine\n");
        var (code, _, err) = Cli("new", "scenario", "mine", "--soc", Path.Combine(socs, "board.yaml"), "--dir", Path.Combine(tree.Root, "scenarios"));
        Assert.Equal(2, code);
        Assert.Contains("lua/mine.lua exists; not overwritten", err);
        Assert.Equal("-- mine\n", tree.Read("lua/mine.lua"));
        Assert.False(tree.Exists("scenarios/mine.yaml"));
    }

    [Fact]
    public void A_scenario_for_a_broken_soc_file_is_refused_with_the_located_error()
    {
        using var tree = new TestTree();
        var soc = tree.Write("scenarios/socs/bad.yaml", "soc: bad\nmemroy: []\n");
        var (code, _, err) = Cli("new", "scenario", "x", "--soc", soc, "--dir", Path.Combine(tree.Root, "scenarios"));
        Assert.Equal(2, code);
        Assert.Contains(":2:1: error SE", err);
        Assert.Contains("did you mean 'memory'", err);
        Assert.False(tree.Exists("scenarios/x.yaml"));
    }

    [Fact]
    public void A_name_with_capitals_or_dots_is_refused()
    {
        using var tree = new TestTree();
        Assert.Equal(2, Cli("new", "soc", "../Evil", "--dir", tree.Root).Code);
        Assert.Equal(2, Cli("new", "soc", "My.Soc", "--dir", tree.Root).Code);
    }

    [Fact]
    public void Scaffolds_name_the_schema_found_above_them_for_the_editor()
    {
        using var tree = new TestTree();
        tree.Write("schema/soc.schema.json", "{}");
        tree.Write("schema/scenario.schema.json", "{}");
        var socs = Path.Combine(tree.Root, "scenarios", "socs");
        Assert.Equal(0, Cli("new", "soc", "board", "--dir", socs).Code);
        Assert.Equal(0, Cli("new", "scenario", "deep/er/one", "--soc", Path.Combine(socs, "board.yaml"), "--dir", Path.Combine(tree.Root, "scenarios")).Code);
        Assert.StartsWith("# yaml-language-server: $schema=../../schema/soc.schema.json\n", tree.Read("scenarios/socs/board.yaml"));
        Assert.StartsWith("# yaml-language-server: $schema=../../../schema/scenario.schema.json\n", tree.Read("scenarios/deep/er/one.yaml"));
        Assert.Equal(0, Cli("validate", Path.Combine(tree.Root, "scenarios")).Code);
    }
}
