using System.Text.RegularExpressions;

namespace ScenarioEngine.Scripting;

/// <summary>
/// Lua's own syntax messages that a scenario author meets because YAML writes a thing differently,
/// completed with how Lua writes it. Today one: a number with YAML's `_` separators or an IEC size
/// suffix (`0x1000_0000`, `16MiB`), which Lua reads as "malformed number near '0x1000_'". The whole
/// literal is taken from the source line the message names when the source is at hand.
/// </summary>
internal static partial class LuaSyntaxHints
{
    [GeneratedRegex(@"malformed number near '([^'\r\n]{1,64})'")]
    private static partial Regex Malformed();

    [GeneratedRegex(@":(\d{1,9}): malformed number near")]
    private static partial Regex LineNumber();

    [GeneratedRegex(@"^(?:0[xX][0-9a-fA-F]+|[0-9]+)$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^([0-9]+)\s*([KMG])i?B?$")]
    private static partial Regex Size();

    /// <summary>
    /// <paramref name="message"/> with a hint appended when it is Lua's malformed-number error;
    /// <paramref name="source"/> is the chunk's text as loaded (line 1 first), or null.
    /// </summary>
    public static string Explain(string message, string? source)
    {
        var m = Malformed().Match(message);
        if (!m.Success) return message;
        var near = m.Groups[1].Value;
        var literal = WholeLiteral(near, message, source) ?? near;
        var digits = literal.Replace("_", "", StringComparison.Ordinal);
        string hint;
        if (literal.Contains('_') && Integer().IsMatch(digits) && literal != near)
            hint = $"Lua numbers take no '_' separators: write {digits}, or the string \"{literal}\" where the API takes a number (it reads YAML's forms)";
        else if (literal.Contains('_'))
            hint = "Lua numbers take no '_' separators: write the digits without them, or the YAML form as a string where the API takes a number";
        else if (Size().Match(literal) is { Success: true } s)
            hint = $"Lua has no size suffixes: write {s.Groups[1].Value} * {s.Groups[2].Value}iB, or the string \"{literal}\" where the API takes a number";
        else
            hint = "Lua numbers are decimal or 0x hex digits only (no '_' separators, no size suffixes); YAML's forms go in a string where the API takes a number";
        return message + "; " + hint;
    }

    /// <summary>The numeral on the message's line that starts with what Lua read, up to the first character no numeral or size has.</summary>
    private static string? WholeLiteral(string near, string message, string? source)
    {
        if (source is null) return null;
        var ln = LineNumber().Match(message);
        if (!ln.Success || !int.TryParse(ln.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture, out var line) || line < 1) return null;
        int start = 0;
        for (int i = 1; i < line; i++)
        {
            start = source.IndexOf('\n', start);
            if (start < 0) return null;
            start++;
        }
        int end = source.IndexOf('\n', start);
        var text = end < 0 ? source[start..] : source[start..end];
        int at = text.IndexOf(near, StringComparison.Ordinal);
        if (at < 0) return null;
        int stop = at + near.Length;
        while (stop < text.Length && stop - at < 64 && (char.IsAsciiLetterOrDigit(text[stop]) || text[stop] == '_')) stop++;
        return text[at..stop];
    }
}
