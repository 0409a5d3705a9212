using System.Globalization;
using System.Text;

namespace ScenarioEngine.Model;

/// <summary>
/// User text (names, paths, messages, notes) as the engine prints it anywhere: control characters,
/// line and paragraph separators and bidirectional overrides become visible escapes (<c>\x1b</c>,
/// <c>\u202e</c>), so nothing a file or script writes can move a terminal's cursor, colour its
/// output, add a line that looks like the engine's own, or reorder what a reviewer reads.
/// </summary>
public static class Display
{
    public static bool IsUnsafe(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' or '\u200e' or '\u200f' or '\u061c' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');

    /// <summary>Escapes every unsafe character; newlines too unless <paramref name="keepNewlines"/>.</summary>
    public static string Controls(string? s, bool keepNewlines = false)
    {
        if (s is null) return "";
        int i = 0;
        while (i < s.Length && !(IsUnsafe(s[i]) && !(keepNewlines && s[i] == '\n'))) i++;
        if (i == s.Length) return s;
        var sb = new StringBuilder(s.Length + 16).Append(s, 0, i);
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (!IsUnsafe(c) || keepNewlines && c == '\n') sb.Append(c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\t') sb.Append("\\t");
            else if (c == '\r') sb.Append("\\r");
            else if (c < 0x100) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>Escaped and cut to at most <paramref name="max"/> characters (with "…" and the full length) for messages that quote user text.</summary>
    public static string Clip(string? s, int max)
    {
        var e = Controls(s);
        return e.Length <= max ? e : e[..max] + $"… ({e.Length.ToString(CultureInfo.InvariantCulture)} characters)";
    }

    /// <summary>
    /// Appends the character at <paramref name="i"/> for text another format will carry (XML, Mermaid):
    /// a surrogate pair whole (advancing past its second half), a lone surrogate or a noncharacter
    /// (U+FFFE, U+FFFF) as U+FFFD, anything else as it is.
    /// </summary>
    public static void AppendScalar(StringBuilder sb, string text, ref int i)
    {
        var c = text[i];
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) sb.Append(c).Append(text[++i]);
        else sb.Append(char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF' ? '\uFFFD' : c);
    }
}
