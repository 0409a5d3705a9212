using System.Globalization;

namespace ScenarioEngine.Yaml;

/// <summary>
/// Integer syntax shared by YAML and Lua (the number syntax of docs/yaml-reference.md): decimal, 0x hex, '_' separators anywhere
/// between digits, or a decimal/hex count with an IEC suffix (KiB, MiB, GiB, TiB).
/// </summary>
public static class Numbers
{
    private static readonly (string Suffix, int Shift)[] Iec = [("KiB", 10), ("MiB", 20), ("GiB", 30), ("TiB", 40)];

    public static bool TryParse(string text, out ulong value)
    {
        value = 0;
        var s = text.Trim();
        int shift = 0;
        foreach (var (suffix, sh) in Iec)
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal))
            {
                s = s[..^suffix.Length].TrimEnd();
                shift = sh;
                break;
            }
        }
        if (s.Length == 0 || s[0] == '_' || s[^1] == '_' || s.Contains("__", StringComparison.Ordinal)) return false;
        ulong v;
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            var digits = s[2..].Replace("_", "", StringComparison.Ordinal);
            if (digits.Length == 0 || s[2] == '_' ||
                !ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out v))
                return false;
        }
        else
        {
            var digits = s.Replace("_", "", StringComparison.Ordinal);
            if (digits.Any(c => c is < '0' or > '9') ||
                !ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out v))
                return false;
        }
        if (shift > 0)
        {
            if (v > (ulong.MaxValue >> shift)) return false;
            v <<= shift;
        }
        value = v;
        return true;
    }
}
