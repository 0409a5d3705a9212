using ScenarioEngine.Record;
using ScenarioEngine.Reporting;
using DiffEngine;
using ScenarioEngine.Running;
using ScenarioEngine.Snapshots;

namespace ScenarioEngine.Host;

/// <summary>
/// Opens the user's diff tool for changed snapshots, on a developer machine only: never when CI is
/// set, when DiffEngine detects a build server, or when output is redirected (scripts, tests).
/// </summary>
internal static class DiffLauncher
{
    public static bool Allowed =>
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")) &&
        !BuildServerDetector.Detected &&
        !DiffRunner.Disabled &&
        !Console.IsOutputRedirected;

    public static void MaybeLaunch(IReadOnlyList<RunResult> results)
    {
        if (!Allowed) return;
        foreach (var r in results.Where(r => r.Snapshot == SnapshotStatus.Changed).Take(5))
        {
            var (verified, received) = SnapshotStore.PathsFor(r.FullPath, null);
            DiffRunner.LaunchAsync(received, verified).GetAwaiter().GetResult();
        }
    }
}
