using System.Security.Cryptography;
using ScenarioEngine.Snapshots;

namespace ScenarioEngine.Running;

/// <summary>
/// The state behind `scenario watch`, without any file-system events or timers (the Host feeds it):
/// a first full run, then <see cref="Apply"/> for the paths that changed. Content hashes skip saves
/// that changed nothing; <see cref="ChangeMap"/> picks the scenarios a change affects; every result is
/// compared with its snapshot, which writes received files and never a verified one. A scenario that
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

    /// <param name="scenariosRoot">The scenarios/ folder watched; its parent is the project (lua/, snapshots/).</param>
    public TreeWatcher(string scenariosRoot, RunOptions options)
    {
        _scenariosRoot = Path.GetFullPath(scenariosRoot).TrimEnd(Path.DirectorySeparatorChar);
        _projectRoot = Path.GetDirectoryName(_scenariosRoot)!;
        _options = options;
    }

    /// <summary>The folders whose files can affect a scenario: scenarios/ and lua/.</summary>
    public IReadOnlyList<string> WatchedFolders => [_scenariosRoot, Path.Combine(_projectRoot, "lua")];

    /// <summary>The latest result of every scenario, by full path.</summary>
    public IReadOnlyDictionary<string, RunResult> Latest => _latest;

    /// <summary>Hashes every watched file and runs every scenario (the start, and after a watcher overflow).</summary>
    public IReadOnlyList<RunResult> RunAll()
    {
        _hashes.Clear();
        foreach (var f in Files()) _hashes[f] = Hash(f);
        var scenarios = ScenarioRunner.Discover([_scenariosRoot]);
        foreach (var gone in _latest.Keys.Except(scenarios).ToList()) { _latest.Remove(gone); _map.Forget(gone); }
        return Run(scenarios);
    }

    /// <summary>
    /// A full rescan after lost events: files whose content differs from what was last seen (new,
    /// changed or deleted) are applied as changes.
    /// </summary>
    public IReadOnlyList<RunResult> Rescan()
    {
        var now = Files().ToHashSet(StringComparer.Ordinal);
        var changed = now.Concat(_hashes.Keys).Distinct(StringComparer.Ordinal).Where(f => !now.Contains(f) || Hash(f) != _hashes.GetValueOrDefault(f));
        return Apply(changed.ToList());
    }

    /// <summary>Re-runs exactly the scenarios the given changed paths affect; no-op saves are skipped.</summary>
    public IReadOnlyList<RunResult> Apply(IReadOnlyCollection<string> paths)
    {
        var affected = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var raw in paths)
        {
            var p = Path.GetFullPath(raw);
            var h = File.Exists(p) ? Hash(p) : null;
            if (_hashes.TryGetValue(p, out var old) ? old == h : h is null) continue;
            if (h is null) _hashes.Remove(p); else _hashes[p] = h;
            if (h is null && _latest.Remove(p)) { _map.Forget(p); continue; }
            affected.UnionWith(_map.Affected(p, IsScenario));
        }
        affected.RemoveWhere(s => !File.Exists(s));
        return Run(affected.ToList());
    }

    private IReadOnlyList<RunResult> Run(IReadOnlyList<string> scenarios)
    {
        var results = ScenarioRunner.RunAll(scenarios, _options);
        foreach (var r in results)
        {
            if (_options.Cancel.IsCancellationRequested && r.Error?.Code == Config.ErrorCode.Cancelled) continue;
            SnapshotStore.Compare(r, _options.SnapshotsDir);
            _latest[r.FullPath] = r;
            _map.Record(r.FullPath, r.Inputs);
        }
        return results;
    }

    private bool IsScenario(string full) =>
        full.StartsWith(_scenariosRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal) &&
        full.EndsWith(".yaml", StringComparison.Ordinal) &&
        !Path.GetRelativePath(_scenariosRoot, full).Replace('\\', '/').Split('/').Contains("socs");

    private IEnumerable<string> Files() =>
        WatchedFolders.Where(Directory.Exists).SelectMany(d => Directory.EnumerateFiles(d, "*", new EnumerationOptions
            { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System | FileAttributes.ReparsePoint, MaxRecursionDepth = 32 }))
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".lua", StringComparison.Ordinal))
            .Select(Path.GetFullPath);

    /// <summary>
    /// SHA-256 of the content; null when the file cannot be read (gone, or being replaced). A FIFO or
    /// device is never opened (a FIFO would block the service for good): it hashes as its kind, and
    /// the run reports it (SE1014). A file over the size limit hashes by its size and time alone.
    /// </summary>
    private static string? Hash(string path)
    {
        try
        {
            if (Config.InputFiles.IsSpecial(path)) return "special";
            var info = new FileInfo(path);
            if (info.Length > Config.InputFiles.MaxBytes)
                return $"large:{info.Length}:{info.LastWriteTimeUtc.Ticks}";
            return Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
