using System.Text;
using ScenarioEngine.Config;
using ScenarioEngine.Running;

namespace ScenarioEngine.Snapshots;

/// <summary>
/// Verify-compatible snapshot files (ecosystem.md §a): scenarios/&lt;topic&gt;/&lt;case&gt;.yaml is approved
/// as snapshots/&lt;topic&gt;/&lt;case&gt;.verified.md. A mismatch or a new scenario writes .received.md beside it;
/// a match deletes a stale received file. A verified file is only ever written by <see cref="Approve"/>.
/// Files are UTF-8 without BOM, LF, written atomically (temp file in the same folder, then rename).
/// </summary>
public static class SnapshotStore
{
    public const string VerifiedSuffix = ".verified.md";
    public const string ReceivedSuffix = ".received.md";
    private static readonly UTF8Encoding Utf8 = new(false);

    public static (string Verified, string Received) PathsFor(string scenarioPath, string? snapshotsDir)
    {
        var layout = ProjectLayout.For(scenarioPath, snapshotsDir);
        var b = layout.SnapshotBase(scenarioPath);
        return (b + VerifiedSuffix, b + ReceivedSuffix);
    }

    /// <summary>Compares a result's report with its verified snapshot and writes or removes the received file.</summary>
    public static void Compare(RunResult result, string? snapshotsDir)
    {
        var (verified, received) = PathsFor(result.FullPath, snapshotsDir);
        var layout = ProjectLayout.For(result.FullPath, snapshotsDir);
        result.SnapshotPath = layout.Display(verified);
        if (File.Exists(verified))
        {
            var old = Normalize(File.ReadAllText(verified, Utf8));
            if (old == result.Report)
            {
                result.Snapshot = SnapshotStatus.Matched;
                if (File.Exists(received)) File.Delete(received);
                return;
            }
            result.Snapshot = SnapshotStatus.Changed;
            result.Diff = UnifiedDiff.Create(old, result.Report, layout.Display(verified), layout.Display(received));
        }
        else result.Snapshot = SnapshotStatus.New;
        WriteAtomic(received, result.Report);
    }

    /// <summary>received → verified for each scenario given; returns the verified files written.</summary>
    public static IReadOnlyList<string> Approve(IEnumerable<string> scenarioPaths, string? snapshotsDir)
    {
        var done = new List<string>();
        foreach (var s in scenarioPaths)
        {
            var (verified, received) = PathsFor(s, snapshotsDir);
            if (!File.Exists(received)) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(verified)!);
            File.Move(received, verified, overwrite: true);
            done.Add(verified);
        }
        return done;
    }

    /// <summary>Verified snapshots under the snapshot folder that no scenario produces any more.</summary>
    public static IReadOnlyList<string> Dangling(string scenariosRoot, string snapshotsRoot)
    {
        if (!Directory.Exists(snapshotsRoot)) return [];
        var list = new List<string>();
        foreach (var v in Directory.EnumerateFiles(snapshotsRoot, "*" + VerifiedSuffix, SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(snapshotsRoot, v);
            var scenario = Path.Combine(scenariosRoot, rel[..^VerifiedSuffix.Length] + ".yaml");
            if (!File.Exists(scenario)) list.Add(v);
        }
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    public static void WriteAtomic(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "." + Environment.CurrentManagedThreadId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".tmp";
        File.WriteAllText(tmp, text, Utf8);
        File.Move(tmp, path, overwrite: true);
    }

    private static string Normalize(string s) => (s.Length > 0 && s[0] == '\uFEFF' ? s[1..] : s).Replace("\r\n", "\n", StringComparison.Ordinal);
}
