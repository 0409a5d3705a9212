using System.Runtime.InteropServices;
using System.Text;

namespace ScenarioEngine.Host;

/// <summary>
/// Every file a command writes for the user (`import -o`, `advise -o` and `--reports`, `new soc`, `new
/// scenario`) is created here, never over anything: the text is written whole to a temporary file
/// beside the name, which is then linked to the name with link(2) — and link fails with EEXIST when the
/// name is taken, whatever took it (a file, a folder, a link, even a dangling one). So a reader never
/// sees half a file, nothing is overwritten however late it appeared, and of two commands writing the
/// same name at once exactly one wins; the other is told the file exists. (On Windows, File.Move
/// without overwrite is MoveFileEx without MOVEFILE_REPLACE_EXISTING, equally atomic.) A name without
/// a folder ("out.yaml") is in the current folder; missing folders are made.
/// </summary>
internal static class NewFile
{
    public enum Outcome { Created, Exists, Failed }

    private static readonly UTF8Encoding Utf8 = new(false);

    /// <summary>Whether something is at <paramref name="path"/> already (a file, a folder, a link, dangling or not): the early check before a command does its work.</summary>
    public static bool Exists(string path)
    {
        var full = Path.GetFullPath(path);
        return File.Exists(full) || Directory.Exists(full) || new FileInfo(full).LinkTarget is not null;
    }

    /// <summary>Creates <paramref name="path"/> holding <paramref name="text"/>, or says why not (<paramref name="error"/> when Failed).</summary>
    public static Outcome Create(string path, string text, out string? error)
    {
        error = null;
        string full = Path.GetFullPath(path), dir = Path.GetDirectoryName(full)!, tmp = "";
        try
        {
            Directory.CreateDirectory(dir);
            tmp = Path.Combine(dir, $"{Path.GetFileName(full)}.{Environment.ProcessId}.{Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6)).ToLowerInvariant()}.tmp");
            using (var s = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
                s.Write(Utf8.GetBytes(text));
            if (OperatingSystem.IsWindows())
            {
                try { File.Move(tmp, full, overwrite: false); }
                catch (IOException) when (Exists(full)) { return Outcome.Exists; }
                return Outcome.Created;
            }
            if (link(tmp, full) == 0) return Outcome.Created;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EEXIST) return Outcome.Exists;
            error = $"cannot create it (errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)})";
            return Outcome.Failed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the message names the path as the user gave it, not where it resolved
            error = (tmp.Length > 0 ? e.Message.Replace(tmp, path, StringComparison.Ordinal) : e.Message).Replace(full, path, StringComparison.Ordinal).Replace(dir, Path.GetDirectoryName(path) is { Length: > 0 } d ? d : ".", StringComparison.Ordinal);
            return Outcome.Failed;
        }
        finally
        {
            if (tmp.Length > 0)
                try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private const int EEXIST = 17;

    [DllImport("libc", SetLastError = true)]
    private static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string oldpath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newpath);
}
