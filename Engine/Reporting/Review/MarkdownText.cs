using System.Text;
using ScenarioEngine.Model;

namespace ScenarioEngine.Reporting.Review;

/// <summary>
/// Text placed into the review summary, which GitHub and GitLab render as Markdown in a job summary
/// or a pull-request comment: user text only ever inside code spans and fenced blocks long enough
/// that nothing in it can close them, and report excerpts with their raw HTML and @mentions made
/// inert (a report note saying <c>&lt;/details&gt;</c> must not close the summary's fold, and a
/// scenario's title must not notify a user).
/// </summary>
public static class MarkdownText
{
    /// <summary>
    /// User text as one inline code span: control characters and line breaks escaped (<see cref="Display"/>),
    /// cut to <paramref name="max"/> characters, delimited by one more backtick than its longest run.
    /// Inside a code span nothing is emphasis, HTML, a link or a mention.
    /// </summary>
    public static string Code(string? text, int max = 300)
    {
        var s = Display.Clip(text ?? "", max);
        var fence = new string('`', LongestRun(s, '`') + 1);
        var pad = s.StartsWith('`') || s.EndsWith('`') || s.StartsWith(' ') && s.EndsWith(' ') && s.Trim().Length > 0 ? " " : "";
        return s.Length == 0 ? "` `" : fence + pad + s + pad + fence;
    }

    /// <summary>A fenced block of <paramref name="info"/> (diff, mermaid …) around text, its fence longer than any backtick run in it.</summary>
    public static string Fenced(string info, string body)
    {
        var fence = new string('`', Math.Max(3, LongestRun(body, '`') + 1));
        var sb = new StringBuilder(body.Length + 2 * fence.Length + info.Length + 4);
        sb.Append(fence).Append(info).Append('\n').Append(body);
        if (body.Length > 0 && !body.EndsWith('\n')) sb.Append('\n');
        return sb.Append(fence).Append('\n').ToString();
    }

    /// <summary>The longest run of <paramref name="c"/> in <paramref name="s"/>.</summary>
    public static int LongestRun(string s, char c)
    {
        int best = 0, run = 0;
        foreach (var x in s)
        {
            run = x == c ? run + 1 : 0;
            best = Math.Max(best, run);
        }
        return best;
    }

    /// <summary>
    /// One line of the engine's own report placed as Markdown outside a fence: its headings moved
    /// <paramref name="demote"/> levels down (under the summary's own), every '&lt;' that does not open
    /// the report's own <c>&lt;br&gt;</c> written as <c>&amp;lt;</c>, and an '@' before a name followed by a
    /// zero-width space so no user is notified. Code spans are left as they are (nothing in them is HTML
    /// or a mention; the report already keeps backticks out of its spans).
    /// </summary>
    public static string ReportLine(string line, int demote)
    {
        line = Display.Controls(line);
        if (line.StartsWith('#'))
        {
            int level = 0;
            while (level < line.Length && line[level] == '#') level++;
            if (level < line.Length && line[level] == ' ') line = new string('#', Math.Min(6, level + demote)) + line[level..];
        }
        var sb = new StringBuilder(line.Length + 8);
        // A line of user text (a description) that would open a fence or an indented code block: escaped.
        var trimmed = line.TrimStart(' ');
        if (trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal)) line = "\\" + trimmed;
        else if (line.Length - trimmed.Length >= 4) line = trimmed;
        for (int i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '`')
            {
                // A code span (CommonMark): a run of n backticks up to the next run of exactly n, kept as it is;
                // a run without its closing run is literal text.
                int n = 1;
                while (i + n < line.Length && line[i + n] == '`') n++;
                int close = ClosingRun(line, i + n, n);
                int end = close < 0 ? i + n : close + n;
                sb.Append(line, i, end - i);
                i = end - 1;
                continue;
            }
            if (c == '<' && !StartsWithAt(line, i, "<br>") && !StartsWithAt(line, i, "<br/>")) sb.Append("&lt;");
            else if (c == '@' && i + 1 < line.Length && (char.IsAsciiLetterOrDigit(line[i + 1]) || line[i + 1] is '-' or '_')) sb.Append("@&#8203;");
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static int ClosingRun(string s, int from, int n)
    {
        for (int i = from; i < s.Length; i++)
        {
            if (s[i] != '`') continue;
            int m = 1;
            while (i + m < s.Length && s[i + m] == '`') m++;
            if (m == n) return i;
            i += m - 1;
        }
        return -1;
    }

    private static bool StartsWithAt(string s, int at, string what) => string.CompareOrdinal(s, at, what, 0, what.Length) == 0;

    /// <summary>A count and a noun, "1 scenario" / "3 scenarios".</summary>
    public static string Count(int n, string one, string many) => n.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + (n == 1 ? one : many);
}
