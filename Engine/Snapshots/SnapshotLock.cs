using System.Diagnostics;
using System.Globalization;

namespace ScenarioEngine.Snapshots;

/// <summary>
/// One writer at a time in a snapshot folder: <c>scenario approve</c> holds this lock while it moves
/// received reports over verified ones, and a run holds it while it writes or removes one received
/// file, so neither sees the other's half-done work. The lock is an exclusive open (flock on Unix)
/// of a file in the system's temp folder named after the snapshot folder's canonical path, so
/// nothing is added to the user's tree; it dies with its process, so a killed approve leaves
/// nothing to clean up. Waiting is bounded; the message names the holder's PID.
/// </summary>
public sealed class SnapshotLock : IDisposable
{
    private readonly FileStream _file;

    private SnapshotLock(FileStream file) => _file = file;

    /// <summary>Takes the lock of a snapshot folder, waiting up to <paramref name="wait"/>; throws <see cref="IOException"/> with a clear message when it cannot.</summary>
    public static SnapshotLock Acquire(string snapshotsRoot, TimeSpan wait)
    {
        Directory.CreateDirectory(snapshotsRoot);
        var canonical = Yaml.InputFiles.RealPath(snapshotsRoot) ?? Path.GetFullPath(snapshotsRoot);
        var key = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical)))[..24].ToLowerInvariant();
        // Per user and private: in the shared temporary folder another user could otherwise plant a link
        // at the lock's path, and the PID written below would go through it.
        var folder = Yaml.InputFiles.PrivateTempFolder("scenario-snapshot-locks");
        var path = Path.Combine(folder, key + ".lock");
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
                // Read as any file the engine keeps: a regular file inside the folder, a few bytes (a FIFO
                // planted there would otherwise block this message for good).
                try { holder = Yaml.InputFiles.ReadInside(path + ".pid", folder, 64).Trim(); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                throw new IOException($"another 'scenario approve' or run is writing {snapshotsRoot} (lock {path}{(holder.Length is > 0 and < 12 ? ", held by PID " + holder : "")}); try again when it has finished", e);
            }
        }
    }

    public void Dispose() => _file.Dispose();
}
