using System.Globalization;
using System.Runtime.InteropServices;

namespace ScenarioEngine.Running;

/// <summary>
/// A process's resident memory, read from /proc (Linux; null elsewhere), and a worker's way of giving
/// memory back to the system after a scenario that used much of it: a compacting, decommitting
/// collection of the managed heap (GCCollectionMode.Aggressive) and glibc's malloc_trim, which returns
/// the free pages of every malloc arena (the Lua state's memory comes from malloc).
/// </summary>
internal static class ProcessMemory
{
    /// <summary>Resident set size of <paramref name="pid"/> ("self" when null), in bytes, from /proc/PID/statm.</summary>
    public static long? Resident(int? pid = null)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var statm = File.ReadAllText($"/proc/{(pid is { } p ? p.ToString(CultureInfo.InvariantCulture) : "self")}/statm");
            var parts = statm.Split(' ');
            return parts.Length > 1 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pages) ? pages * Environment.SystemPageSize : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Returns what the managed heap and malloc hold but do not use (blocking; tens of milliseconds on a large heap).</summary>
    public static void GiveBack()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        if (!OperatingSystem.IsLinux()) return;
        try { malloc_trim(0); }
        catch (EntryPointNotFoundException) { } // not glibc (musl has no malloc_trim)
        catch (DllNotFoundException) { }
    }

    [DllImport("libc")]
    private static extern int malloc_trim(nuint pad);
}
