using System.Runtime.InteropServices;
using ScenarioEngine.Model;

namespace ScenarioEngine.Yaml;

/// <summary>
/// Every file a scenario names (its SoC file, its script) and the scenario file itself is read
/// through here: the path, with every symbolic link resolved, must stay inside the project tree; it
/// must be a regular file (not a FIFO, a device or a folder — a FIFO would block the read for good);
/// and it may hold at most <see cref="MaxBytes"/>. Each refusal is a located SE1014 (bad path) or
/// SE1008 (not found). On Linux the checks use realpath(3) and statx(2); elsewhere the file-system
/// API's link targets and attributes.
/// </summary>
public static class InputFiles
{
    public const long MaxBytes = 4 << 20;

    /// <summary>Reads a user file or throws a located <see cref="ScenarioLoadException"/>.</summary>
    /// <param name="what">how the message names the file ("SoC file 'x.yaml'")</param>
    public static string ReadText(string path, string root, string what, SourceSpan at)
    {
        var (refusal, real, length) = Check(path, root, MaxBytes);
        switch (refusal)
        {
            case Refusal.Missing: throw YamlTree.Error(ErrorCode.FileNotFound, $"{what} not found (resolved relative to this file)", at);
            case Refusal.Outside: throw YamlTree.Error(ErrorCode.BadPath, $"{what} resolves outside the project tree (the folder holding scenarios/); only files inside it are read", at);
            case Refusal.NotRegular: throw YamlTree.Error(ErrorCode.BadPath, $"{what} is not a regular file", at);
            case Refusal.TooBig: throw YamlTree.Error(ErrorCode.BadPath, $"{what} has {length} bytes; files are limited to {MaxBytes >> 20} MiB", at);
        }
        try { return ReadBounded(real, length, MaxBytes); }
        catch (InvalidDataException) { throw YamlTree.Error(ErrorCode.BadPath, $"{what} grew past {MaxBytes >> 20} MiB while it was read", at); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw YamlTree.Error(ErrorCode.FileNotFound, $"{what} cannot be read: {e.Message}", at);
        }
    }

    /// <summary>
    /// The same rules for a file the engine keeps rather than one a scenario names (a verified
    /// snapshot): a regular file whose real path is inside <paramref name="root"/>, at most
    /// <paramref name="maxBytes"/>; an <see cref="IOException"/> that says why not otherwise.
    /// </summary>
    public static string ReadInside(string path, string root, long maxBytes)
    {
        var (refusal, real, length) = Check(path, root, maxBytes);
        switch (refusal)
        {
            case Refusal.Missing: throw new FileNotFoundException($"{path} does not exist");
            case Refusal.Outside: throw new IOException($"{path} resolves outside {root}; only files inside it are read");
            case Refusal.NotRegular: throw new IOException($"{path} is not a regular file");
            case Refusal.TooBig: throw new IOException($"{path} has {length} bytes; the limit is {maxBytes >> 20} MiB");
        }
        try { return ReadBounded(real, length, maxBytes); }
        catch (InvalidDataException) { throw new IOException($"{path} grew past {maxBytes >> 20} MiB while it was read"); }
    }

    private enum Refusal { None, Missing, Outside, NotRegular, TooBig }

    private static (Refusal Refusal, string Real, long Length) Check(string path, string root, long maxBytes)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full) && !Directory.Exists(full) && !IsSpecial(full)) return (Refusal.Missing, full, 0);
        var real = RealPath(full) ?? full;
        if (!IsStrictlyWithin(real, RealPath(root) ?? Path.GetFullPath(root))) return (Refusal.Outside, real, 0);
        if (Directory.Exists(real) || IsSpecial(real)) return (Refusal.NotRegular, real, 0);
        var length = new FileInfo(real).Length;
        return (length > maxBytes ? Refusal.TooBig : Refusal.None, real, length);
    }

    /// <summary>Reads at most <paramref name="maxBytes"/> (UTF-8, BOM dropped); InvalidDataException when the file grew past it meanwhile.</summary>
    private static string ReadBounded(string real, long length, long maxBytes)
    {
        // No FileStream buffer: the file is read into one array of its size, so a second copy would only cost.
        using var stream = new FileStream(real, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0, FileOptions.SequentialScan);
        var buffer = new byte[Math.Min(maxBytes + 1, Math.Max(length, 0) + 1)];
        int n = 0, r;
        while (n < buffer.Length && (r = stream.Read(buffer, n, buffer.Length - n)) > 0) n += r;
        if (n > maxBytes) throw new InvalidDataException();
        var text = new System.Text.UTF8Encoding(false, false).GetString(buffer, 0, n);
        return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
    }

    /// <summary>Whether a resolved path lies below a resolved folder (not the folder itself).</summary>
    public static bool IsStrictlyWithin(string realPath, string realRoot) =>
        realPath.StartsWith(realRoot.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>
    /// The real path of the deepest existing part of <paramref name="path"/> with the rest appended:
    /// where a file or folder about to be made would end up once links are resolved.
    /// </summary>
    public static string Resolved(string path)
    {
        var full = Path.GetFullPath(path);
        var probe = full;
        while (!Directory.Exists(probe) && Path.GetDirectoryName(probe) is { } up) probe = up;
        var real = RealPath(probe) ?? probe;
        return probe == full ? real : Path.Combine(real, Path.GetRelativePath(probe, full));
    }

    /// <summary>True for anything that is neither a regular file nor a folder (FIFO, socket, device), links followed.</summary>
    public static bool IsSpecial(string path)
    {
        if (!OperatingSystem.IsLinux()) return false;
        var buf = new byte[256];
        // statx(AT_FDCWD, path, 0 = follow links, STATX_TYPE, buf): stx_mode is the u16 at offset 28.
        if (statx(-100, path, 0, 0x1, buf) != 0) return false;
        int type = BitConverter.ToUInt16(buf, 28) & 0xF000;
        return type != 0x8000 && type != 0x4000;
    }

    /// <summary>The canonical path (links resolved), or null when it cannot be resolved.</summary>
    public static string? RealPath(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            var p = realpath(path, IntPtr.Zero);
            if (p == IntPtr.Zero) return null;
            try { return Marshal.PtrToStringUTF8(p); }
            finally { free(p); }
        }
        try
        {
            var info = new FileInfo(path);
            return info.LinkTarget is null ? info.FullName : info.ResolveLinkTarget(true)?.FullName;
        }
        catch (IOException) { return null; }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buf);

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr p);
}
