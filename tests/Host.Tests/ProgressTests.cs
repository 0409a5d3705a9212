using ScenarioEngine.Host;

namespace ScenarioEngine.Tests;

/// <summary>`scenario run` progress: rewritten in place on a terminal, absent from redirected output.</summary>
public class ProgressTests
{
    [Fact]
    public void Progress_rewrites_one_line_and_erases_it_at_the_end()
    {
        var err = new StringWriter();
        var p = new Progress(err, 2);
        p.Completed("scenarios/t/a.yaml");
        p.Completed("scenarios/t/b.yaml");
        p.Finish();
        Assert.Equal("\r\u001b[K[1/2] scenarios/t/a.yaml\r\u001b[K[2/2] scenarios/t/b.yaml\r\u001b[K", err.ToString());
    }

    [Fact]
    public void A_run_whose_output_is_not_the_terminal_prints_plain_lines_only()
    {
        using var tree = new TestTree();
        var sc = tree.Scenario("a", "expect.eq(1, 1)");
        var (_, output, err) = CliTests.Cli("run", sc);
        Assert.False(Progress.Interactive(new StringWriter()));
        Assert.DoesNotContain('\u001b', output + err);
        Assert.DoesNotContain('\r', output + err);
    }
}
