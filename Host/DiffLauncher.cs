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
        !Console.IsOutputRedirected &&
        DiffEngineSays();

    /// <summary>DiffEngine's own checks; if they cannot run here (its detectors read every loaded assembly's name), no diff tool is opened — the run's result stands.</summary>
    private static bool DiffEngineSays()
    {
        try { return !BuildServerDetector.Detected && !DiffRunner.Disabled; }
        catch (TypeInitializationException) { return false; }
    }

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
