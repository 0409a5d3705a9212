namespace ScenarioEngine.Scripting;

/// <summary>
/// A Lua 5.4 lexer reduced to what a static look at a script needs: names (keywords included) and
/// punctuation with their line and column; comments, strings (short and long) and numerals are
/// skipped. It never fails: an unterminated string or comment runs to the end, and anything else is
/// one-character punctuation. Linear in the source; nothing recursive.
/// </summary>
internal static class LuaTokens
{
    public enum Kind { Name, Punct }

    public readonly record struct Token(Kind Kind, string Text, int Line, int Column);

    public static List<Token> Read(string s)
    {
        var tokens = new List<Token>();
        int i = 0, line = 1, lineStart = 0;
        void Advance(int to)
        {
            for (; i < to && i < s.Length; i++)
                if (s[i] == '\n') { line++; lineStart = i + 1; }
        }
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '\n' || char.IsWhiteSpace(c)) { Advance(i + 1); continue; }
            if (c == '-' && At(s, i + 1) == '-')
            {
                int level = LongBracket(s, i + 2);
                if (level >= 0) Advance(CloseLong(s, i + 2 + level + 2, level));
                else { int nl = s.IndexOf('\n', i); Advance(nl < 0 ? s.Length : nl); }
                continue;
            }
            if (c == '[')
            {
                int level = LongBracket(s, i);
                if (level >= 0) { Advance(CloseLong(s, i + level + 2, level)); continue; }
            }
            if (c == '"' || c == '\'')
            {
                int j = i + 1;
                while (j < s.Length && s[j] != c && s[j] != '\n')
                {
                    if (s[j] == '\\' && j + 1 < s.Length)
                    {
                        // \z skips the following white space, line breaks included
                        if (s[j + 1] == 'z') { j += 2; while (j < s.Length && char.IsWhiteSpace(s[j])) j++; continue; }
                        j += 2;
                        continue;
                    }
                    j++;
                }
                Advance(Math.Min(s.Length, j + 1));
                continue;
            }
            if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(At(s, i + 1))))
            {
                int j = i + 1;
                while (j < s.Length && (char.IsAsciiLetterOrDigit(s[j]) || s[j] == '.' || s[j] == '_'
                    || ((s[j] == '+' || s[j] == '-') && s[j - 1] is 'e' or 'E' or 'p' or 'P'))) j++;
                Advance(j);
                continue;
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                int j = i + 1;
                while (j < s.Length && (char.IsAsciiLetterOrDigit(s[j]) || s[j] == '_')) j++;
                tokens.Add(new Token(Kind.Name, s[i..j], line, i - lineStart + 1));
                Advance(j);
                continue;
            }
            int len = s.AsSpan(i).StartsWith("...") ? 3 : i + 1 < s.Length && TwoChar.Contains(s.Substring(i, 2)) ? 2 : 1;
            tokens.Add(new Token(Kind.Punct, s.Substring(i, len), line, i - lineStart + 1));
            Advance(i + len);
        }
        return tokens;
    }

    private static readonly HashSet<string> TwoChar = new(StringComparer.Ordinal) { "..", "==", "~=", "<=", ">=", "//", "<<", ">>", "::" };

    private static char At(string s, int i) => i < s.Length ? s[i] : '\0';

    /// <summary>The level of a long bracket opening at <paramref name="i"/> ([[ is 0, [==[ is 2), or -1.</summary>
    private static int LongBracket(string s, int i)
    {
        if (At(s, i) != '[') return -1;
        int j = i + 1;
        while (At(s, j) == '=') j++;
        return At(s, j) == '[' ? j - i - 1 : -1;
    }

    /// <summary>The index after the long bracket of <paramref name="level"/> closing at or after <paramref name="from"/>, or the end.</summary>
    private static int CloseLong(string s, int from, int level)
    {
        var close = "]" + new string('=', level) + "]";
        int k = s.IndexOf(close, from, StringComparison.Ordinal);
        return k < 0 ? s.Length : k + close.Length;
    }
}
