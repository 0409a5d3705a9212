using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using ScenarioEngine.Model;

namespace ScenarioEngine.Snapshots;

/// <summary>
/// One writer at a time in a snapshot folder: <c>scenario approve</c> holds this lock while it moves
/// received reports over verified ones, and a run holds it while it writes or removes one received
/// file, so neither sees the other's half-done work. The lock is an exclusive open (flock on Unix) of
/// <see cref="FileName"/> inside the snapshot folder itself, created mode 0600: only someone who may
/// write the snapshots can make it, so another user of the machine can no longer take it first and
/// block every approve for good, as a lock in the shared temporary folder allowed (and whoever can
/// write the folder can remove a stray one). Every process agrees on where it is, whatever its
/// environment. The holder removes the file when it lets go, so nothing stays in the tree; a waiter
/// that got the lock of a file removed meanwhile takes it again. It dies with its process, so a
/// killed approve leaves at most the empty file. Waiting is bounded; the message says who holds it
/// (its PID, from /proc/locks) or why it cannot be taken.
/// </summary>
public sealed class SnapshotLock : IDisposable
{
    /// <summary>The lock file's name inside the snapshot folder.</summary>
    public const string FileName = ".scenario.lock";

    private readonly FileStream _file;
    private readonly string _path;

    private SnapshotLock(FileStream file, string path)
    {
        _file = file;
        _path = path;
    }

    /// <summary>
    /// Takes the lock of a snapshot folder, waiting up to <paramref name="wait"/>; throws an
    /// <see cref="IOException"/> that says why when it cannot (paths shown relative to
    /// <paramref name="layout"/>'s project when given). The caller has checked that the folder is one
    /// snapshots may be written in (<see cref="SnapshotStore.EnsureRootInside"/>).
    /// </summary>
    public static SnapshotLock Acquire(string snapshotsRoot, TimeSpan wait, ProjectLayout? layout = null)
    {
        string Show(string p) => layout?.Display(p) ?? p;
        var path = Path.Combine(snapshotsRoot, FileName);
        try { Directory.CreateDirectory(snapshotsRoot); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"the snapshot folder {Show(snapshotsRoot)} cannot be created, so its lock cannot be taken: {layout?.Relative(e.Message) ?? e.Message}", e);
        }
        var clock = Stopwatch.StartNew();
        while (true)
        {
            // A link or a FIFO planted at the lock's path (a hostile tree) is refused, never opened.
            if (new FileInfo(path) is { LinkTarget: not null } || Yaml.InputFiles.IsSpecial(path))
                throw new IOException($"the lock {Show(path)} is a link or not a regular file; remove it and run again");
            FileStream f;
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 0 };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                f = new FileStream(path, options);
            }
            catch (IOException e) when (Held(e))
            {
                if (clock.Elapsed < wait) { Thread.Sleep(20); continue; }
                var holder = Holder(path) is { } pid ? $", held by PID {pid}" : "";
                throw new IOException($"another 'scenario approve' or run is writing {Show(snapshotsRoot)} (its lock {Show(path)}{holder}); try again when it has finished", e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"the lock {Show(path)} cannot be taken: {layout?.Relative(e.Message) ?? e.Message} (the snapshot folder must be writable, and a lock file left by another user must be removed)", e);
            }
            // The holder before us may have removed the file as it let go: then this lock is of a file
            // nobody else will open, and the lock is taken again on the file now at the path.
            if (SameFile(f, path)) return new SnapshotLock(f, path);
            f.Dispose();
        }
    }

    /// <summary>An exclusive open refused because another open holds the file (flock's EWOULDBLOCK; a sharing violation on Windows).</summary>
    private static bool Held(IOException e) => e.HResult is 11 or 35 or unchecked((int)0x80070020) && e is not FileNotFoundException and not DirectoryNotFoundException;

    public void Dispose()
    {
        // Removed while still held, so a waiter sees either the held file or none at all.
        if (OperatingSystem.IsLinux() && SameFile(_file, _path))
            try { File.Delete(_path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        _file.Dispose();
    }

    /// <summary>Whether the open file is still the one at <paramref name="path"/> (device and inode; elsewhere than on Linux, assumed).</summary>
    private static bool SameFile(FileStream f, string path)
    {
        if (!OperatingSystem.IsLinux()) return true;
        var open = new byte[256];
        var named = new byte[256];
        // statx(fd, "", AT_EMPTY_PATH) for the open file; statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW) for the name.
        if (statx((int)f.SafeFileHandle.DangerousGetHandle(), "", 0x1000, 0x100, open) != 0) return false;
        if (statx(-100, path, 0x100, 0x100, named) != 0) return false;
        return Id(open) == Id(named);
    }

    /// <summary>stx_ino (u64 at 32), stx_dev_major and stx_dev_minor (u32 at 136 and 140).</summary>
    private static (ulong Inode, uint Major, uint Minor) Id(byte[] statx) =>
        (BitConverter.ToUInt64(statx, 32), BitConverter.ToUInt32(statx, 136), BitConverter.ToUInt32(statx, 140));

    /// <summary>The PID holding a flock on the file at <paramref name="path"/>, from /proc/locks (Linux); null when unknown.</summary>
    private static int? Holder(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var buf = new byte[256];
        if (statx(-100, path, 0x100, 0x100, buf) != 0) return null;
        var (inode, major, minor) = Id(buf);
        try
        {
            // "1: FLOCK  ADVISORY  WRITE 1234 fe:00:5326609 0 EOF": pid, then MAJ:MIN (hex) and the inode.
            foreach (var line in File.ReadLines("/proc/locks"))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 6 || f[1] != "FLOCK") continue;
                var id = f[5].Split(':');
                if (id.Length == 3 && ulong.TryParse(id[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ino) && ino == inode
                    && uint.TryParse(id[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var ma) && ma == major
                    && uint.TryParse(id[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mi) && mi == minor
                    && int.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                    return pid;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return null;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buf);
}
