using ScenarioEngine.Record;
using ScenarioEngine.Reporting;
using ScenarioEngine.Model;
using ScenarioEngine.Running;

namespace ScenarioEngine.Host;

/// <summary>Plain-text output of `scenario run`: one line per scenario, a summary, diffs of changed snapshots.</summary>
internal static class TextSummary
{
    public static void Write(TextWriter o, IReadOnlyList<RunResult> results, IReadOnlyList<string> dangling)
    {
        // Everything a file or script wrote is escaped (Display): no escape sequence reaches the terminal
        // and no message can add a line that looks like the engine's own.
        int width = Math.Min(100, results.Max(r => Display.Controls(r.Path).Length));
        foreach (var r in results)
        {
            var snap = r.Snapshot switch
            {
                SnapshotStatus.Matched => "matched",
                SnapshotStatus.Changed => "CHANGED",
                SnapshotStatus.New => "NEW",
                _ => "-",
            };
            var status = r.Error is { } e ? $"FAILED  error {e.CodeText} at {Display.Clip(e.Where.ToString(), 300)}: {Display.Clip(e.Message, 2000)}"
                : r.Passed ? $"passed  {r.ExpectationsPassed} expectation(s)"
                : $"FAILED  {r.ExpectationsFailed} of {r.ExpectationsPassed + r.ExpectationsFailed} expectation(s) failed";
            o.WriteLine($"{snap,-8} {Display.Controls(r.Path).PadRight(width)}  {status}");
        }
        foreach (var d in dangling) o.WriteLine($"DANGLING {Display.Controls(d)}  (a verified snapshot whose scenario no longer exists)");
        o.WriteLine();
        int passed = results.Count(r => r.Passed);
        o.WriteLine($"{results.Count} scenario(s): {passed} passed, {results.Count - passed} failed; " +
                    $"{results.Count(r => r.Snapshot == SnapshotStatus.Matched)} matched, {results.Count(r => r.Snapshot == SnapshotStatus.Changed)} changed, " +
                    $"{results.Count(r => r.Snapshot == SnapshotStatus.New)} new" + (dangling.Count > 0 ? $", {dangling.Count} dangling snapshot(s)" : ""));
        foreach (var r in results.Where(r => r.Diff is not null))
        {
            o.WriteLine();
            o.Write(Display.Controls(r.Diff, keepNewlines: true));
        }
        if (results.Any(r => r.Snapshot is SnapshotStatus.Changed or SnapshotStatus.New))
        {
            o.WriteLine();
            o.WriteLine("Received reports were written beside the snapshots; review them and run 'scenario approve' to accept.");
        }
    }
}
