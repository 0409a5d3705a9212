using ScenarioEngine.Model;
using ScenarioEngine.Record;
using System.Text;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Snapshots;

/// <summary>
/// Verify-compatible snapshot files (Verify's *.verified.* / *.received.* conventions): scenarios/&lt;topic&gt;/&lt;case&gt;.yaml is approved
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

    /// <summary>How long a run or an approve waits for the snapshot folder's lock.</summary>
    public static readonly TimeSpan LockWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Compares a result's report with its verified snapshot and writes or removes the received file.
    /// A file-system failure (a read-only folder, a folder in the file's place, a held lock) fails
    /// that scenario with SE3001; the run goes on.
    /// </summary>
    public static void Compare(RunResult result, string? snapshotsDir)
    {
        var (verified, received) = PathsFor(result.FullPath, snapshotsDir);
        var layout = ProjectLayout.For(result.FullPath, snapshotsDir);
        result.SnapshotPath = layout.Display(verified);
        try
        {
            // A match with no received file to remove writes nothing, so it needs no lock: the lock
            // keeps writers apart, and approve replaces a verified file by rename, so this read sees
            // one whole version or the other. Anything that writes re-reads under the lock.
            if (MatchesWithoutWriting(result, verified, received, layout)) return;
            using var held = SnapshotLock.Acquire(layout.SnapshotsRoot, LockWait);
            CompareLocked(result, verified, received, layout);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            result.Snapshot = SnapshotStatus.NotCompared;
            result.Diff = null;
            result.Error ??= new ScenarioError(ErrorCode.SnapshotIo,
                $"the report of this run could not be compared with or written beside {result.SnapshotPath}: {Model.Display.Clip(e.Message, 300)}",
                new Model.SourceSpan(result.Path, 0, 0));
        }
    }

    /// <summary>
    /// A scenario file is gone: its received report goes with it (a verified snapshot stays — it is
    /// the user's, and `scenario run` lists it as dangling). False when there was nothing to remove
    /// or it could not be removed.
    /// </summary>
    public static bool RemoveReceived(string scenarioFullPath, string? snapshotsDir)
    {
        var (_, received) = PathsFor(scenarioFullPath, snapshotsDir);
        try
        {
            if (!File.Exists(received) || File.GetAttributes(received).HasFlag(FileAttributes.ReparsePoint)) return false;
            EnsureInside(received, ProjectLayout.For(scenarioFullPath, snapshotsDir));
            using var held = SnapshotLock.Acquire(ProjectLayout.For(scenarioFullPath, snapshotsDir).SnapshotsRoot, LockWait);
            File.Delete(received);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private static bool MatchesWithoutWriting(RunResult result, string verified, string received, ProjectLayout layout)
    {
        if (!File.Exists(verified) || ReadVerified(verified, layout) != result.Report || File.Exists(received)) return false;
        result.Snapshot = SnapshotStatus.Matched;
        return true;
    }

    /// <summary>The largest verified snapshot read (reports are bounded by the run log's limits; this is far above them).</summary>
    public const long MaxSnapshotBytes = 64L << 20;

    /// <summary>
    /// A verified snapshot's text: a regular file inside the snapshot folder, links resolved (a FIFO in
    /// its place blocked the run for good; a link out of the folder would show another file in the
    /// diff), at most <see cref="MaxSnapshotBytes"/>. An IOException otherwise: the scenario gets SE3001.
    /// </summary>
    private static string ReadVerified(string verified, ProjectLayout layout) =>
        Normalize(InputFiles.ReadInside(verified, layout.SnapshotsRoot, MaxSnapshotBytes));

    private static void CompareLocked(RunResult result, string verified, string received, ProjectLayout layout)
    {
        if (File.Exists(verified))
        {
            var old = ReadVerified(verified, layout);
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
        EnsureInside(received, layout);
        WriteAtomic(received, result.Report);
    }

    /// <summary>
    /// A snapshot file is written only where it belongs once links are resolved: its folder inside the
    /// snapshot folder, and a project's own snapshot folder inside the project (a folder given with
    /// --snapshots may be anywhere). A tree may be hostile: `snapshots` or one of its folders linked
    /// elsewhere would have reports written, approved or removed there. An IOException otherwise
    /// (the scenario gets SE3001). Nothing is created before the check passes.
    /// </summary>
    internal static void EnsureInside(string file, ProjectLayout layout)
    {
        var root = InputFiles.Resolved(layout.SnapshotsRoot);
        if (!layout.SnapshotsOverridden && !InputFiles.IsStrictlyWithin(root, InputFiles.Resolved(layout.Root)))
            throw new IOException($"the snapshot folder {layout.SnapshotsRoot} resolves to {root}, outside the project; snapshots are written only inside it (give --snapshots to use another folder)");
        var dir = InputFiles.Resolved(Path.GetDirectoryName(Path.GetFullPath(file))!);
        if (dir != root && !InputFiles.IsStrictlyWithin(dir, root))
            throw new IOException($"{Path.GetDirectoryName(file)} resolves to {dir}, outside the snapshot folder {root}; nothing is written there");
    }

    /// <summary>
    /// received → verified for each scenario given, under each snapshot folder's lock (a concurrent
    /// approve or run waits, or gets a clear IOException); returns the verified files written. Throws
    /// the first failure's IOException after trying every scenario (<see cref="ApproveEach"/> lists them all).
    /// </summary>
    public static IReadOnlyList<string> Approve(IEnumerable<string> scenarioPaths, string? snapshotsDir, TimeSpan? lockWait = null)
    {
        var outcome = ApproveEach(scenarioPaths, snapshotsDir, lockWait);
        if (outcome.Failed.Count > 0) throw new IOException(outcome.Failed[0].Why);
        return [.. outcome.Approved.Select(a => a.Verified)];
    }

    /// <summary>Most received reports a --from folder is searched for (its walk is bounded; links are not followed).</summary>
    public const int MaxFromEntries = 100_000;

    /// <summary>
    /// Approves each scenario given and says what it did: every verified file replaced, every one that
    /// could not be (with why) while the others go on, and, with <paramref name="fromDir"/>, the
    /// reports there that belong to no scenario given. Without <paramref name="fromDir"/> a scenario's
    /// received file is moved over its verified one (an atomic rename); with it, the report is taken from
    /// <c>FROM/TOPIC/CASE.received.md</c> (the layout of the snapshot folder, as a CI artefact of
    /// <c>snapshots/**/*.received.md</c> keeps it) and written atomically, the local received file left alone.
    /// A report is taken only from a regular file (not a link, FIFO or device) inside its folder, at most
    /// <see cref="MaxSnapshotBytes"/>. Never throws for a file-system failure.
    /// </summary>
    public static ApproveOutcome ApproveEach(IEnumerable<string> scenarioPaths, string? snapshotsDir, TimeSpan? lockWait = null, string? fromDir = null)
    {
        var approved = new List<ApprovedSnapshot>();
        var failed = new List<NotApproved>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var from = fromDir is null ? null : Path.GetFullPath(fromDir);
        foreach (var group in scenarioPaths.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).GroupBy(s => ProjectLayout.For(s, snapshotsDir).SnapshotsRoot, StringComparer.Ordinal))
        {
            // Each scenario's report, where there is one to approve.
            var pending = new List<(string Scenario, string Verified, string Source)>();
            foreach (var s in group)
            {
                var layout = ProjectLayout.For(s, snapshotsDir);
                var (verified, received) = PathsFor(s, snapshotsDir);
                var source = from is null ? received : Path.Combine(from, Path.GetRelativePath(layout.SnapshotsRoot, received));
                if (from is not null) used.Add(source);
                if (!File.Exists(source)) continue;
                // Only a plain file the engine could have written is approved: not a link (the verified
                // file would point elsewhere), not a FIFO or a device (reading it blocks).
                if (File.GetAttributes(source).HasFlag(FileAttributes.ReparsePoint) || InputFiles.IsSpecial(source))
                {
                    failed.Add(new NotApproved(s, verified, $"{source} is a link or not a regular file; only a plain received report is approved"));
                    continue;
                }
                pending.Add((s, verified, source));
            }
            if (pending.Count == 0) continue;
            SnapshotLock held;
            try
            {
                // The folder is made (a --from approve into a project without snapshots yet) only where it belongs.
                EnsureInside(Path.Combine(group.Key, VerifiedSuffix), ProjectLayout.For(pending[0].Scenario, snapshotsDir));
                Directory.CreateDirectory(group.Key);
                held = SnapshotLock.Acquire(group.Key, lockWait ?? LockWait);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failed.AddRange(pending.Select(p => new NotApproved(p.Scenario, p.Verified, e.Message)));
                continue;
            }
            using (held)
                foreach (var (s, verified, source) in pending)
                {
                    try
                    {
                        EnsureInside(verified, ProjectLayout.For(s, snapshotsDir));
                        Directory.CreateDirectory(Path.GetDirectoryName(verified)!);
                        if (from is null)
                        {
                            try { File.Move(source, verified, overwrite: true); }
                            catch (FileNotFoundException) { continue; } // moved by someone else between the check and the move
                        }
                        else WriteAtomic(verified, Normalize(InputFiles.ReadInside(source, Path.GetDirectoryName(source)!, MaxSnapshotBytes)));
                        approved.Add(new ApprovedSnapshot(s, verified, source));
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        failed.Add(new NotApproved(s, verified, e.Message));
                    }
                }
        }
        return new ApproveOutcome(approved, failed, from is null ? [] : Unused(from, used));
    }

    /// <summary>The received reports under a --from folder that no scenario given asked for (sorted; the walk bounded, links not followed).</summary>
    private static IReadOnlyList<string> Unused(string from, HashSet<string> used)
    {
        var list = new List<string>();
        if (!Directory.Exists(from)) return list;
        var options = new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 16, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        int seen = 0;
        try
        {
            foreach (var f in Directory.EnumerateFiles(from, "*" + ReceivedSuffix, options))
            {
                if (++seen > MaxFromEntries) break;
                if (!used.Contains(f)) list.Add(f);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    /// <summary>
    /// Removes the temporary files of atomic writes (<c>*.received.md.PID.TID.tmp</c>) whose writing
    /// process no longer runs: a run killed during a write leaves one. Returns the files removed.
    /// </summary>
    public static IReadOnlyList<string> RemoveStaleTemps(string snapshotsRoot)
    {
        var removed = new List<string>();
        if (!Directory.Exists(snapshotsRoot)) return removed;
        try
        {
            // Links are not followed and the walk is bounded: --snapshots may name any folder (even /proc).
            var options = new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 16, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
            int seen = 0;
            foreach (var f in Directory.EnumerateFileSystemEntries(snapshotsRoot, "*", options))
            {
                if (++seen > 100_000) break;
                if (!f.EndsWith(".tmp", StringComparison.Ordinal)) continue;
                var parts = Path.GetFileName(f).Split('.');
                if (parts.Length < 4 || !f.Contains(ReceivedSuffix + ".", StringComparison.Ordinal)) continue;
                if (!int.TryParse(parts[^3], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid)) continue;
                if (pid == Environment.ProcessId || Alive(pid)) continue;
                try { File.Delete(f); removed.Add(f); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        removed.Sort(StringComparer.Ordinal);
        return removed;
    }

    private static bool Alive(int pid)
    {
        if (OperatingSystem.IsLinux()) return Directory.Exists("/proc/" + pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
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

    /// <summary>
    /// Writes <paramref name="path"/> through a temporary file beside it, then renames it into place
    /// (a reader sees the old file or the new one, never half of one). The temporary file is created
    /// exclusively (O_CREAT|O_EXCL: never through a link or over a file already there) under a name with
    /// a random part: a tree may be hostile, and a link planted at a predictable temporary name would
    /// otherwise have the write go wherever it points. Its name keeps the form
    /// <c>NAME.PID.TIDxRANDOM.tmp</c> that <see cref="RemoveStaleTemps"/> reads.
    /// </summary>
    public static void WriteAtomic(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = Utf8.GetBytes(text);
        for (int attempt = 0; ; attempt++)
        {
            var tmp = path + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "."
                + Environment.CurrentManagedThreadId.ToString(System.Globalization.CultureInfo.InvariantCulture)
                + "x" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6)).ToLowerInvariant() + ".tmp";
            FileStream created;
            try { created = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None); }
            catch (IOException) when (attempt < 8) { continue; } // taken (or planted, even as a dangling link): another name
            try
            {
                using (created) created.Write(bytes);
                File.Move(tmp, path, overwrite: true);
                return;
            }
            catch
            {
                try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                throw;
            }
        }
    }

    private static string Normalize(string s) => (s.Length > 0 && s[0] == '\uFEFF' ? s[1..] : s).Replace("\r\n", "\n", StringComparison.Ordinal);
}
