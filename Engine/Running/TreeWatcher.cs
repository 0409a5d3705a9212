using ScenarioEngine.Record;
using System.Security.Cryptography;
using ScenarioEngine.Snapshots;

namespace ScenarioEngine.Running;

/// <summary>
/// The state behind `scenario watch`, without any file-system events or timers (the Host feeds it):
/// a first full run, then <see cref="Apply"/> for the paths that changed. Content hashes skip saves
/// that changed nothing; <see cref="ChangeMap"/> picks the scenarios a change affects; every result is
/// compared with its snapshot, which writes received files and never a verified one. A verified
/// snapshot that changes (an approve, an edit) is compared again without a run; a deleted scenario
/// leaves <see cref="Latest"/> at once, with its received file. A scenario that
/// misbehaves is stopped by its budget and comes back as a failed result; nothing here throws for it.
/// Not thread-safe: one loop calls it.
/// </summary>
public sealed class TreeWatcher
{
    private readonly string _scenariosRoot;
    private readonly string _projectRoot;
    private readonly RunOptions _options;
    private readonly ChangeMap _map = new();
    private readonly Dictionary<string, string?> _hashes = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, RunResult> _latest = new(StringComparer.Ordinal);
    private readonly string _snapshotsRoot;

    /// <summary>Counts every change of <see cref="Latest"/> (runs, re-comparisons, removals): the service publishes when it moves.</summary>
    public long Version { get; private set; }

    /// <param name="scenariosRoot">The scenarios/ folder watched; its parent is the project (lua/, snapshots/).</param>
    public TreeWatcher(string scenariosRoot, RunOptions options)
    {
        _scenariosRoot = Path.GetFullPath(scenariosRoot).TrimEnd(Path.DirectorySeparatorChar);
        _projectRoot = Path.GetDirectoryName(_scenariosRoot)!;
        _options = options;
        _snapshotsRoot = Model.ProjectLayout.For(Path.Combine(_scenariosRoot, "x.yaml"), options.SnapshotsDir).SnapshotsRoot;
    }

    /// <summary>The folders whose files can affect a scenario or its verdict: scenarios/, lua/ and the snapshots.</summary>
    public IReadOnlyList<string> WatchedFolders => [_scenariosRoot, Path.Combine(_projectRoot, "lua"), _snapshotsRoot];

    /// <summary>The latest result of every scenario, by full path.</summary>
    public IReadOnlyDictionary<string, RunResult> Latest => _latest;

    /// <summary>Hashes every watched file and runs every scenario (the start, and after a watcher overflow).</summary>
    public IReadOnlyList<RunResult> RunAll()
    {
        _hashes.Clear();
        foreach (var f in Files()) _hashes[f] = Hash(f);
        var scenarios = ScenarioRunner.Discover([_scenariosRoot]);
        foreach (var gone in _latest.Keys.Except(scenarios).ToList()) { _latest.Remove(gone); _map.Forget(gone); Version++; }
        return Run(scenarios);
    }

    /// <summary>
    /// A full rescan after lost events: files whose content differs from what was last seen (new,
    /// changed or deleted) are applied as changes.
    /// </summary>
    /// <summary>The tracked files whose content the last <see cref="Apply"/> or <see cref="Rescan"/> found changed, new or gone (full paths).</summary>
    public IReadOnlyList<string> LastChanged { get; private set; } = [];

    public IReadOnlyList<RunResult> Rescan() => Apply(Differences().Select(d => d.Path).ToList());

    /// <summary>
    /// The tracked files whose content differs from what was last applied (new, changed or gone), each
    /// with its content hash now (null: gone or unreadable). Applies nothing: a poller uses it to see
    /// whether a file has stayed the same for the debounce time before it calls <see cref="Apply"/>.
    /// </summary>
    public IReadOnlyList<(string Path, string? Hash)> Differences()
    {
        var now = Files().ToHashSet(StringComparer.Ordinal);
        var differences = new List<(string, string?)>();
        foreach (var f in now.Concat(_hashes.Keys).Distinct(StringComparer.Ordinal))
        {
            var h = now.Contains(f) ? Hash(f) : null;
            if (_hashes.TryGetValue(f, out var old) ? old != h : h is not null) differences.Add((f, h));
        }
        return differences;
    }

    /// <summary>Re-runs exactly the scenarios the given changed paths affect; no-op saves are skipped.</summary>
    public IReadOnlyList<RunResult> Apply(IReadOnlyCollection<string> paths)
    {
        var changed = new List<string>();
        LastChanged = changed;
        var affected = new SortedSet<string>(StringComparer.Ordinal);
        var verdicts = new List<RunResult>();
        foreach (var raw in paths)
        {
            var p = Path.GetFullPath(raw);
            if (!Tracked(p)) continue; // received reports, temp files, anything else in the folders
            var h = File.Exists(p) ? Hash(p) : null;
            if (_hashes.TryGetValue(p, out var old) ? old == h : h is null) continue;
            if (h is null) _hashes.Remove(p); else _hashes[p] = h;
            changed.Add(p);
            if (IsVerified(p))
            {
                verdicts.AddRange(_latest.Values.Where(r => SnapshotStore.PathsFor(r.FullPath, _options.SnapshotsDir).Verified == p));
                continue;
            }
            if (h is null && _latest.Remove(p))
            {
                _map.Forget(p);
                SnapshotStore.RemoveReceived(p, _options.SnapshotsDir);
                Version++;
                continue;
            }
            affected.UnionWith(_map.Affected(p, IsScenario));
        }
        affected.RemoveWhere(s => !File.Exists(s));
        var ran = Run(affected.ToList());
        // an approve or an edit of a verified snapshot: the latest report is compared again, not re-run
        var compared = verdicts.Where(r => !affected.Contains(r.FullPath)).Distinct().ToList();
        foreach (var r in compared) SnapshotStore.Compare(r, _options.SnapshotsDir);
        if (compared.Count > 0) Version++;
        return [.. ran, .. compared];
    }

    private IReadOnlyList<RunResult> Run(IReadOnlyList<string> scenarios)
    {
        var results = ScenarioRunner.RunAll(scenarios, _options);
        foreach (var r in results)
        {
            if (_options.Cancel.IsCancellationRequested && r.Error?.Code == Yaml.ErrorCode.Cancelled) continue;
            SnapshotStore.Compare(r, _options.SnapshotsDir);
            _latest[r.FullPath] = r;
            _map.Record(r.FullPath, r.Inputs);
            Version++;
        }
        return results;
    }

    private bool IsScenario(string full) =>
        full.StartsWith(_scenariosRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal) &&
        full.EndsWith(".yaml", StringComparison.Ordinal) &&
        !Path.GetRelativePath(_scenariosRoot, full).Replace('\\', '/').Split('/').Contains("socs");

    private bool IsVerified(string full) =>
        full.StartsWith(_snapshotsRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal) && full.EndsWith(SnapshotStore.VerifiedSuffix, StringComparison.Ordinal);

    /// <summary>The files whose content matters: YAML and Lua under scenarios/ and lua/, verified snapshots.</summary>
    private bool Tracked(string full) =>
        IsVerified(full) ||
        ((full.EndsWith(".yaml", StringComparison.Ordinal) || full.EndsWith(".lua", StringComparison.Ordinal)) &&
         !full.StartsWith(_snapshotsRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal));

    private IEnumerable<string> Files() =>
        WatchedFolders.Where(Directory.Exists).Distinct(StringComparer.Ordinal).SelectMany(d => Directory.EnumerateFiles(d, "*", new EnumerationOptions
            { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System | FileAttributes.ReparsePoint, MaxRecursionDepth = 32 }))
            .Select(Path.GetFullPath)
            .Where(Tracked);

    /// <summary>
    /// SHA-256 of the content; null when the file cannot be read (gone, or being replaced). A FIFO or
    /// device is never opened (a FIFO would block the service for good): it hashes as its kind, and
    /// the run reports it (SE1014). A file over the size limit hashes by its size and time alone.
    /// </summary>
    private static string? Hash(string path)
    {
        try
        {
            if (Yaml.InputFiles.IsSpecial(path)) return "special";
            var info = new FileInfo(path);
            if (info.Length > Yaml.InputFiles.MaxBytes)
                return $"large:{info.Length}:{info.LastWriteTimeUtc.Ticks}";
            return Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
