using System.Diagnostics;
using System.Globalization;

namespace ScenarioEngine.Snapshots;

/// <summary>
/// One writer at a time in a snapshot folder: <c>scenario approve</c> holds this lock while it moves
/// received reports over verified ones, and a run holds it while it writes or removes one received
/// file, so neither sees the other's half-done work. The lock is an exclusive open of
/// <c>snapshots/.lock</c> (flock on Unix): it dies with its process, so a killed approve leaves
/// nothing to clean up. Waiting is bounded; the message names the holder's PID (<c>.lock.pid</c>).
/// </summary>
public sealed class SnapshotLock : IDisposable
{
    public const string FileName = ".lock";
    private readonly FileStream _file;

    private SnapshotLock(FileStream file) => _file = file;

    /// <summary>Takes the lock of a snapshot folder, waiting up to <paramref name="wait"/>; throws <see cref="IOException"/> with a clear message when it cannot.</summary>
    public static SnapshotLock Acquire(string snapshotsRoot, TimeSpan wait)
    {
        Directory.CreateDirectory(snapshotsRoot);
        var path = Path.Combine(snapshotsRoot, FileName);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var f = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 64, FileOptions.None);
                // The holder's PID goes beside the lock (the lock itself cannot be read while held).
                try { File.WriteAllText(path + ".pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
                return new SnapshotLock(f);
            }
            catch (IOException) when (clock.Elapsed < wait)
            {
                Thread.Sleep(20);
            }
            catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
            {
                string holder = "";
                try { holder = File.ReadAllText(path + ".pid").Trim(); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                throw new IOException($"another 'scenario approve' or run is writing {snapshotsRoot} (lock {FileName}{(holder.Length is > 0 and < 12 ? ", held by PID " + holder : "")}); try again when it has finished", e);
            }
        }
    }

    public void Dispose() => _file.Dispose();
}
