using ScenarioEngine.Model;
using ScenarioEngine.Config;
using ScenarioEngine.Yaml;
using ScenarioEngine.Running;
using ScenarioEngine.Snapshots;

namespace ScenarioEngine.Host;

/// <summary>`scenario approve`: the only way a verified snapshot is written.</summary>
internal static class ApproveCommand
{
    public static int Execute(string[] paths, string? snapshots, TextWriter stdout, TextWriter stderr, TimeSpan? lockWait = null)
    {
        var roots = Cli.DefaultPaths(paths);
        foreach (var p in roots)
            if (!File.Exists(p) && !Directory.Exists(p)) { stderr.WriteLine($"scenario approve: no such file or folder: {p}"); return Cli.Misuse; }
        var files = ScenarioRunner.Discover(roots);
        if (files.Count == 0) { stderr.WriteLine("scenario approve: no scenarios found"); return Cli.Misuse; }
        IReadOnlyList<string> done;
        try { done = SnapshotStore.Approve(files, snapshots, lockWait); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine("scenario approve: " + Model.Display.Clip(e.Message, 400));
            return Cli.Failed;
        }
        foreach (var v in done)
            stdout.WriteLine("approved " + Model.Display.Controls(ProjectLayout.For(files[0], snapshots).Display(v)) + ResultOf(v));
        stdout.WriteLine(done.Count == 0 ? "Nothing to approve: no received reports." : $"{done.Count} snapshot(s) approved.");
        return Cli.Ok;
    }

    /// <summary>
    /// The approved report's result line, so approving the report of a failed run (say, a stale
    /// received file from before a fix) is visible at once: " — failed — error SE2002 at …".
    /// </summary>
    private static string ResultOf(string verified)
    {
        // The result section is the report's last; user text earlier in the file cannot pose as it.
        string[] lines;
        try { lines = InputFiles.ReadInside(verified, Path.GetDirectoryName(verified)!, SnapshotStore.MaxSnapshotBytes).Split('\n'); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
        var at = Array.LastIndexOf(lines, "## Result");
        var result = lines.Skip(at + 1).FirstOrDefault(l => l.Length > 0);
        return at < 0 || result is null ? "" : " — " + Model.Display.Clip(result.Replace("**", "", StringComparison.Ordinal), 400);
    }
}
