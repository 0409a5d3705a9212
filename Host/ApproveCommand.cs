using ScenarioEngine.Model;
using ScenarioEngine.Config;
using ScenarioEngine.Yaml;
using ScenarioEngine.Running;
using ScenarioEngine.Snapshots;

namespace ScenarioEngine.Host;

/// <summary>
/// `scenario approve`: the only way a verified snapshot is written. It tries every scenario given and
/// says what it did: each snapshot replaced (with the approved run's result line), each it could not
/// replace and why, and with --from the downloaded reports no scenario given asked for. Exit 1 when
/// any could not be approved, so a script never takes a half-done approve for a whole one.
/// </summary>
internal static class ApproveCommand
{
    public static int Execute(string[] paths, string? snapshots, TextWriter stdout, TextWriter stderr, TimeSpan? lockWait = null, string? from = null, string format = "text")
    {
        var roots = Cli.DefaultPaths(paths);
        foreach (var p in roots)
            if (!File.Exists(p) && !Directory.Exists(p)) { stderr.WriteLine($"scenario approve: no such file or folder: {Display.Clip(p, 200)}"); return Cli.Misuse; }
        if (from is not null && !Directory.Exists(from))
        {
            stderr.WriteLine($"scenario approve: --from {Display.Clip(from, 200)}: no such folder (unpack the downloaded received reports there)");
            return Cli.Misuse;
        }
        var files = ScenarioRunner.Discover(roots);
        if (files.Count == 0) { stderr.WriteLine("scenario approve: no scenarios found"); return Cli.Misuse; }
        var outcome = SnapshotStore.ApproveEach(files, snapshots, lockWait, from);
        var layout = ProjectLayout.For(files[0], snapshots);
        string Shown(string path) => Display.Controls(layout.Display(path));
        // A --from file as the user named its folder: FROM/TOPIC/CASE.received.md.
        string FromShown(string path) => Display.Controls(from is null ? path : Path.Join(from, Path.GetRelativePath(Path.GetFullPath(from), path)).Replace('\\', '/'));

        if (format == "json")
        {
            stdout.Write(Reporting.JsonText.Write(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("approved");
                foreach (var a in outcome.Approved)
                {
                    w.WriteStartObject();
                    w.WriteString("scenario", layout.Display(a.Scenario));
                    w.WriteString("verified", layout.Display(a.Verified));
                    if (from is not null) w.WriteString("from", FromShown(a.Source));
                    w.WriteString("result", ResultOf(a.Verified));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("failed");
                foreach (var f in outcome.Failed)
                {
                    w.WriteStartObject();
                    w.WriteString("scenario", layout.Display(f.Scenario));
                    w.WriteString("verified", layout.Display(f.Verified));
                    w.WriteString("error", Display.Clip(f.Why, 400));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("unused");
                foreach (var u in outcome.Unused) w.WriteStringValue(FromShown(u));
                w.WriteEndArray();
                w.WriteStartObject("summary");
                w.WriteNumber("approved", outcome.Approved.Count);
                w.WriteNumber("failed", outcome.Failed.Count);
                w.WriteNumber("unused", outcome.Unused.Count);
                w.WriteEndObject();
                w.WriteEndObject();
            }));
        }
        else
        {
            foreach (var a in outcome.Approved)
                stdout.WriteLine("approved " + Shown(a.Verified) + (from is null ? "" : " from " + FromShown(a.Source)) + ResultLine(a.Verified));
            foreach (var f in outcome.Failed)
                stderr.WriteLine($"scenario approve: NOT approved {Shown(f.Verified)}: {Display.Clip(f.Why, 400)}");
            foreach (var u in outcome.Unused)
                stdout.WriteLine($"not used {FromShown(u)}: no scenario given has this report");
            if (outcome.Failed.Count > 0)
                stdout.WriteLine($"{outcome.Approved.Count} snapshot(s) approved; {outcome.Failed.Count} NOT approved (their verified files are unchanged; see above).");
            else
                stdout.WriteLine(outcome.Approved.Count == 0 ? "Nothing to approve: no received reports." : $"{outcome.Approved.Count} snapshot(s) approved.");
        }
        return outcome.Complete ? Cli.Ok : Cli.Failed;
    }

    private static string ResultLine(string verified) => ResultOf(verified) is { Length: > 0 } r ? " — " + r : "";

    /// <summary>
    /// The approved report's result line, so approving the report of a failed run (say, a stale
    /// received file from before a fix) is visible at once: "failed — error SE2002 at …".
    /// </summary>
    private static string ResultOf(string verified)
    {
        // The result section is the report's last; user text earlier in the file cannot pose as it.
        string[] lines;
        try { lines = InputFiles.ReadInside(verified, Path.GetDirectoryName(verified)!, SnapshotStore.MaxSnapshotBytes).Split('\n'); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
        var at = Array.LastIndexOf(lines, "## Result");
        var result = lines.Skip(at + 1).FirstOrDefault(l => l.Length > 0);
        return at < 0 || result is null ? "" : Display.Clip(result.Replace("**", "", StringComparison.Ordinal), 400);
    }
}
