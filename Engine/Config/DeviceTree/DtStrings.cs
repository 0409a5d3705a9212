using System.Text;

namespace ScenarioEngine.Config;

/// <summary>
/// String-list properties (NUL-separated, as `compatible`, `model`, `device_type`) read without
/// turning the whole list into strings: a crafted property of millions of entries costs a scan, not
/// millions of objects. Entries split exactly as <see cref="FdtNode.Strings"/> splits them (each NUL
/// ends one, a last one may lack it) and decode the same way (UTF-8, invalid bytes as U+FFFD).
/// </summary>
internal static class DtStrings
{
    /// <summary>Each entry as (start, length) in <paramref name="v"/>, in order.</summary>
    public static IEnumerable<(int Start, int Length)> Entries(byte[]? v)
    {
        if (v is null) yield break;
        int start = 0;
        for (int i = 0; i < v.Length; i++)
            if (v[i] == 0) { yield return (start, i - start); start = i + 1; }
        if (start < v.Length) yield return (start, v.Length - start);
    }

    /// <summary>How many entries there are.</summary>
    public static int Count(byte[]? v)
    {
        if (v is null) return 0;
        int n = v.AsSpan().Count((byte)0);
        return v.Length > 0 && v[^1] != 0 ? n + 1 : n;
    }

    /// <summary>Whether the first entry is <paramref name="ascii"/> (an ASCII string).</summary>
    public static bool FirstIs(byte[]? v, string ascii)
    {
        foreach (var (s, l) in Entries(v)) return Is(v!, s, l, ascii);
        return false;
    }

    /// <summary>Whether some entry is <paramref name="ascii"/>.</summary>
    public static bool Contains(byte[]? v, string ascii)
    {
        foreach (var (s, l) in Entries(v)) if (Is(v!, s, l, ascii)) return true;
        return false;
    }

    /// <summary>Whether there is exactly one entry and it is one of <paramref name="ascii"/>.</summary>
    public static bool OnlyOneOf(byte[]? v, params string[] ascii)
    {
        if (Count(v) != 1) return false;
        foreach (var (s, l) in Entries(v)) return ascii.Any(a => Is(v!, s, l, a));
        return false;
    }

    private static bool Is(byte[] v, int start, int length, string ascii)
    {
        if (length != ascii.Length) return false;
        for (int i = 0; i < length; i++) if (v[start + i] != ascii[i]) return false;
        return true;
    }

    /// <summary>
    /// One entry decoded: all of it, or, when it is longer, a part with more than its first
    /// <paramref name="maxChars"/> characters exactly as the whole gives them (a UTF-8 character is at
    /// most 4 bytes; a cut through one changes only characters past those).
    /// </summary>
    public static string Decode(byte[] v, int start, int length, int maxChars = int.MaxValue) =>
        Encoding.UTF8.GetString(v, start, (int)Math.Min(length, ((long)maxChars + 2) * 4));

    /// <summary>
    /// The entries joined by ", " as far as the first <paramref name="maxChars"/> characters go (the rest
    /// is cut, the result then longer than <paramref name="maxChars"/>): what a clipped display of the list
    /// shows, without decoding the rest.
    /// </summary>
    public static string JoinShown(byte[]? v, int maxChars)
    {
        var sb = new StringBuilder();
        bool first = true;
        foreach (var (s, l) in Entries(v))
        {
            if (!first) sb.Append(", ");
            first = false;
            sb.Append(Decode(v!, s, l, maxChars));
            if (sb.Length > maxChars) break;
        }
        return sb.ToString();
    }
}
