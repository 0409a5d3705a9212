using ScenarioEngine.Record;
using ScenarioEngine.Reporting;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ScenarioEngine.Running;

namespace ScenarioEngine.Host.Watch;

/// <summary>
/// The `scenario watch` background service: runs the tree once, then re-runs what each change affects
/// (<see cref="TreeWatcher"/>). Changes arrive from one FileSystemWatcher per watched folder, or from
/// a poll of content hashes when <see cref="WatchOptions.Poll"/> is set; each path waits for
/// <see cref="WatchOptions.Debounce"/> of quiet before it is acted on; a watcher overflow or error
/// triggers a full rescan. Stopping cancels the running scripts (SE2007) and returns.
/// Event ids: docs/service.md.
/// </summary>
/// <summary>When a scenario last ran (UTC) and what made it run.</summary>
public readonly record struct LastRun(DateTimeOffset At, string Trigger);

public sealed class WatchWorker(WatchOptions options, ILogger<WatchWorker> log) : BackgroundService
{
    public static readonly EventId Started = new(1, "WatchStarted");
    public static readonly EventId ScenarioRan = new(2, "ScenarioRan");
    public static readonly EventId Rescanning = new(3, "Rescan");
    public static readonly EventId WatcherFailed = new(4, "WatcherError");
    public static readonly EventId Stopping = new(5, "WatchStopping");
    public static readonly EventId BatchDone = new(6, "BatchDone");
    public static readonly EventId BatchFailed = new(7, "BatchFailed");
    public static readonly EventId StaleTemp = new(10, "StaleTempRemoved");

    private const string RescanSignal = "";
    private readonly Channel<string> _changes = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Raised after the first run and after each batch of re-runs (tests await it; no sleeps).</summary>
    public event Action<IReadOnlyList<RunResult>>? BatchCompleted;

    /// <summary>The latest results, by full path (read-only for the web view; replaced per batch).</summary>
    public IReadOnlyDictionary<string, RunResult> Latest { get; private set; } = new Dictionary<string, RunResult>();

    /// <summary>When each scenario (by full path) last ran, UTC, and what made it run (the web view's "last run"; never in a report).</summary>
    public IReadOnlyDictionary<string, LastRun> Runs => _runs;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, LastRun> _runs = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        await Task.Yield();
        // Every scenario runs in a supervised worker process: nothing a script does can stop the service.
        using var pool = options.InProcess ? null : new WorkerPool(WorkerLauncher.Command(), options.Jobs);
        var tree = new TreeWatcher(options.ScenariosRoot, new RunOptions
        {
            Budgets = options.Budgets, Jobs = options.Jobs, SnapshotsDir = options.SnapshotsDir, Cancel = stop, Pool = pool,
        });
        var watchers = new List<FileSystemWatcher>();
        try
        {
            var snapshotsRoot = Model.ProjectLayout.For(Path.Combine(options.ScenariosRoot, "x.yaml"), options.SnapshotsDir).SnapshotsRoot;
            // the runs write received reports there anyway; it exists now so that approves are seen from the start
            try { Directory.CreateDirectory(snapshotsRoot); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            if (options.Poll is null)
                foreach (var folder in tree.WatchedFolders.Where(Directory.Exists))
                    watchers.Add(Watch(folder));
            var layout = Model.ProjectLayout.For(Path.Combine(options.ScenariosRoot, "x.yaml"), options.SnapshotsDir);
            foreach (var stale in Snapshots.SnapshotStore.RemoveStaleTemps(snapshotsRoot))
                log.LogWarning(StaleTemp, "removed {File}, a temporary file left by a run that was killed while writing", Model.Display.Controls(layout.Display(stale)));
            var first = await Task.Run(tree.RunAll, stop);
            log.LogInformation(Started, "watching {Root} ({Mode}): {Count} scenario(s), {Failed} failed",
                options.ScenariosRoot, options.Poll is { } p ? $"polling every {p.TotalMilliseconds:0} ms" : "file-system events",
                first.Count, first.Count(r => !r.Passed));
            Publish(tree, first, _ => "start of watch");

            if (options.Poll is { } interval) await PollLoop(tree, interval, stop);
            else await EventLoop(tree, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        finally
        {
            foreach (var w in watchers) w.Dispose();
            log.LogInformation(Stopping, "watch stopping");
        }
    }

    private FileSystemWatcher Watch(string folder)
    {
        var w = new FileSystemWatcher(folder)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            InternalBufferSize = 64 * 1024,
        };
        w.Changed += (_, e) => _changes.Writer.TryWrite(e.FullPath);
        w.Created += (_, e) => _changes.Writer.TryWrite(e.FullPath);
        w.Deleted += (_, e) => _changes.Writer.TryWrite(e.FullPath);
        w.Renamed += (_, e) => { _changes.Writer.TryWrite(e.OldFullPath); _changes.Writer.TryWrite(e.FullPath); };
        w.Error += (_, e) =>
        {
            log.LogWarning(WatcherFailed, e.GetException(), "file watcher lost events in {Folder}; rescanning", folder);
            _changes.Writer.TryWrite(RescanSignal);
        };
        w.EnableRaisingEvents = true;
        return w;
    }

    /// <summary>
    /// Polls content hashes. As with events, a changed path is acted on once it has been quiet for the
    /// debounce time: here, once polls at least that far apart found the same content, so a poll that
    /// lands inside a save does not run the half-written file.
    /// </summary>
    private async Task PollLoop(TreeWatcher tree, TimeSpan interval, CancellationToken stop)
    {
        var seen = new Dictionary<string, (string? Hash, DateTime Since)>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stop))
        {
            var differences = await Guarded<IReadOnlyList<(string Path, string? Hash)>>(tree.Differences, [], stop);
            var now = DateTime.UtcNow;
            var due = new List<string>();
            foreach (var (path, hash) in differences)
            {
                if (!seen.TryGetValue(path, out var s) || s.Hash != hash) seen[path] = s = (hash, now);
                if (now - s.Since >= options.Debounce) due.Add(path);
            }
            // a path back to its applied content, or applied now, starts afresh next time
            foreach (var settled in seen.Keys.Except(differences.Select(d => d.Path), StringComparer.Ordinal).Concat(due).ToList()) seen.Remove(settled);
            if (due.Count == 0) continue;
            var results = await Guarded(() => tree.Apply(due), stop);
            if (results.Count > 0 || tree.Version != _published) Publish(tree, results, r => Trigger(r, tree.LastChanged));
        }
    }

    /// <summary>Per-path debounce: a path is applied once it has been quiet for the debounce time.</summary>
    private async Task EventLoop(TreeWatcher tree, CancellationToken stop)
    {
        var pending = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        bool rescan = false;
        while (!stop.IsCancellationRequested)
        {
            while (_changes.Reader.TryRead(out var path))
            {
                if (path == RescanSignal) rescan = true;
                else if (path.EndsWith(".yaml", StringComparison.Ordinal) || path.EndsWith(".lua", StringComparison.Ordinal) || path.EndsWith(Snapshots.SnapshotStore.VerifiedSuffix, StringComparison.Ordinal)
                         || Directory.Exists(path) || !Path.HasExtension(path))
                    pending[path] = DateTime.UtcNow + options.Debounce;
            }
            if (rescan)
            {
                rescan = false;
                pending.Clear();
                log.LogInformation(Rescanning, "rescanning {Root}", options.ScenariosRoot);
                Publish(tree, await Guarded(tree.Rescan, stop), r => Trigger(r, tree.LastChanged));
                continue;
            }
            var now = DateTime.UtcNow;
            var due = pending.Where(p => p.Value <= now).Select(p => p.Key).ToList();
            if (due.Count > 0)
            {
                foreach (var d in due) pending.Remove(d);
                // A renamed or deleted folder reports only the folder: rescan its files' hashes instead,
                // but leave the files still waiting for their quiet time (a save in progress) to it.
                if (due.Any(d => !Path.HasExtension(d)))
                {
                    var differences = await Guarded<IReadOnlyList<(string Path, string? Hash)>>(tree.Differences, [], stop);
                    var quiet = differences.Select(d => d.Path).Where(p => !pending.ContainsKey(p)).ToList();
                    Publish(tree, await Guarded(() => tree.Apply(quiet), stop), r => Trigger(r, tree.LastChanged));
                    continue;
                }
                var results = await Guarded(() => tree.Apply(due), stop);
                if (results.Count > 0 || tree.Version != _published) Publish(tree, results, r => Trigger(r, tree.LastChanged));
                continue;
            }
            if (pending.Count == 0) await _changes.Reader.WaitToReadAsync(stop);
            else
            {
                var wait = pending.Values.Min() - DateTime.UtcNow;
                if (wait > TimeSpan.Zero)
                {
                    using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    var read = _changes.Reader.WaitToReadAsync(cts.Token).AsTask();
                    var finished = await Task.WhenAny(read, Task.Delay(wait, stop));
                    cts.Cancel();
                    if (finished != read) stop.ThrowIfCancellationRequested();
                    try { await read; } catch (OperationCanceledException) when (!stop.IsCancellationRequested) { }
                }
            }
        }
    }

    /// <summary>
    /// Runs a batch off the host's thread. An engine bug in one batch is logged and the service goes
    /// on (bad input and misbehaving scripts never get here: they are failed results).
    /// </summary>
    private Task<IReadOnlyList<RunResult>> Guarded(Func<IReadOnlyList<RunResult>> batch, CancellationToken stop) => Guarded(batch, [], stop);

    private async Task<T> Guarded<T>(Func<T> batch, T failed, CancellationToken stop)
    {
        try { return await Task.Run(batch, stop); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(BatchFailed, e, "a batch of runs failed inside the engine; the service goes on");
            return failed;
        }
    }

    private long _published = -1;

    /// <summary>The edited files among a result's own inputs (the scenario, its SoC file, script, modules, snapshot), as project paths.</summary>
    internal static string Trigger(RunResult r, IReadOnlyList<string> changed)
    {
        var layout = Model.ProjectLayout.For(r.FullPath);
        var snapshot = Snapshots.SnapshotStore.PathsFor(r.FullPath, null).Verified;
        var mine = changed.Where(c => c == r.FullPath || r.Inputs.Contains(c) || c == snapshot || c == r.SnapshotPath)
            .Select(c => Model.Display.Clip(layout.Display(c), 200)).Distinct().Order(StringComparer.Ordinal).ToList();
        if (mine.Count == 0) return "a change to files it reads";
        return "edit of " + string.Join(", ", mine.Take(3)) + (mine.Count > 3 ? $" and {mine.Count - 3} more" : "");
    }

    private void Publish(TreeWatcher tree, IReadOnlyList<RunResult> results, Func<RunResult, string> trigger)
    {
        foreach (var r in results)
            log.LogInformation(ScenarioRan, "{Snapshot} {Scenario} {Status}", r.Snapshot.ToString().ToLowerInvariant(), Model.Display.Controls(r.Path),
                r.Error is { } e ? $"failed: error {e.CodeText} at {Model.Display.Clip(e.Where.ToString(), 300)}: {Model.Display.Clip(e.Message, 1000)}" : r.Passed ? "passed" : $"failed: {r.ExpectationsFailed} expectation(s)");
        var now = DateTimeOffset.UtcNow;
        foreach (var r in results) _runs[r.FullPath] = new LastRun(now, trigger(r));
        // unchanged (a folder event that changed no file): the same object, so the served documents are not rendered again
        if (results.Count > 0 || tree.Version != _published) Latest = new Dictionary<string, RunResult>(tree.Latest, StringComparer.Ordinal);
        _published = tree.Version;
        log.LogDebug(BatchDone, "{Count} scenario(s) ran", results.Count);
        BatchCompleted?.Invoke(results);
    }
}
