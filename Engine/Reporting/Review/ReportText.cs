using System.Globalization;
using System.Text;

namespace ScenarioEngine.Reporting.Review;

/// <summary>
/// Reading a report (docs/ci.md, "The report") back: its sections by heading, its Mermaid pictures
/// keyed by the heading they sit under, and the verified text a unified diff was made from.
/// Reports are the engine's own Markdown: a heading is a line starting with "## " or "### " outside a
/// fence, a picture a <c>```mermaid</c> fence closed by <c>```</c>.
/// </summary>
public static class ReportText
{
    /// <summary>A picture: the heading above it ("Topology (at the end of the run)", an IOVA map's domain) and its Mermaid source.</summary>
    public sealed record Picture(string Key, string Source);

    /// <summary>The lines of a report (LF; a final newline ends the last line, it does not start another).</summary>
    public static string[] Lines(string text)
    {
        if (text.Length == 0) return [];
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    /// <summary>Every Mermaid block, in order, keyed by the nearest heading above it (a second block under one heading gets " (2)").</summary>
    public static IReadOnlyList<Picture> Pictures(string report)
    {
        var list = new List<Picture>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        string heading = "";
        var lines = Lines(report);
        for (int i = 0; i < lines.Length; i++)
        {
            var l = lines[i];
            if (l.StartsWith("```", StringComparison.Ordinal))
            {
                int end = i + 1;
                while (end < lines.Length && lines[end] != "```") end++;
                if (l == "```mermaid")
                {
                    var key = heading;
                    var n = seen[key] = seen.GetValueOrDefault(key) + 1;
                    if (n > 1) key += string.Create(CultureInfo.InvariantCulture, $" ({n})");
                    list.Add(new Picture(key, string.Join('\n', lines[(i + 1)..Math.Min(end, lines.Length)]) + "\n"));
                }
                i = end;
                continue;
            }
            if (l.StartsWith("## ", StringComparison.Ordinal) || l.StartsWith("### ", StringComparison.Ordinal)) heading = l.TrimStart('#').Trim();
        }
        return list;
    }

    /// <summary>
    /// The sections of a report whose "## " heading starts with one of <paramref name="names"/>, with the
    /// report's head (title to the first section) first; each as its lines, fences kept whole.
    /// </summary>
    public static IReadOnlyList<(string Heading, string[] Lines)> Sections(string report, IReadOnlyList<string> names)
    {
        var result = new List<(string, string[])>();
        var lines = Lines(report);
        int start = 0;
        string current = "";
        bool inFence = false;
        void Close(int end)
        {
            if (current.Length == 0 || names.Any(n => current.StartsWith(n, StringComparison.Ordinal)))
                result.Add((current, lines[start..end]));
        }
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("```", StringComparison.Ordinal))
            {
                if (!inFence) inFence = true;
                else if (lines[i] == "```") inFence = false;
                continue;
            }
            if (inFence || !lines[i].StartsWith("## ", StringComparison.Ordinal)) continue;
            Close(i);
            start = i;
            current = lines[i][3..];
        }
        Close(lines.Length);
        return result;
    }

    /// <summary>
    /// The old text of a unified diff (the snapshot store's UnifiedDiff, which lists every change)
    /// given its new text: each hunk's '+' lines replaced by its '-' lines. Null when the diff does not
    /// fit the new text (then no picture "before" is claimed).
    /// </summary>
    public static string? OldText(string newText, string diff)
    {
        var now = Lines(newText);
        var old = new List<string>(now.Length);
        int at = 0; // next line of the new text not yet copied
        var hunk = Lines(diff);
        for (int i = 0; i < hunk.Length; i++)
        {
            var h = hunk[i];
            if (!h.StartsWith("@@ -", StringComparison.Ordinal)) continue;
            var plus = h.IndexOf(" +", StringComparison.Ordinal);
            var comma = plus < 0 ? -1 : h.IndexOf(',', plus);
            if (comma < 0 || !int.TryParse(h.AsSpan(plus + 2, comma - plus - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var bStart)) return null;
            int from = Math.Max(0, bStart - 1);
            // A hunk whose new side is empty starts after line bStart, not at it.
            if (h.Contains(",0 @@", StringComparison.Ordinal)) from = bStart;
            if (from < at || from > now.Length) return null;
            while (at < from) old.Add(now[at++]);
            for (i++; i < hunk.Length && !hunk[i].StartsWith("@@", StringComparison.Ordinal); i++)
            {
                var l = hunk[i];
                if (l.Length == 0) return null;
                switch (l[0])
                {
                    case ' ':
                        if (at >= now.Length || now[at] != l[1..]) return null;
                        old.Add(now[at++]);
                        break;
                    case '-': old.Add(l[1..]); break;
                    case '+':
                        if (at >= now.Length || now[at] != l[1..]) return null;
                        at++;
                        break;
                    default: return null;
                }
            }
            i--;
        }
        while (at < now.Length) old.Add(now[at++]);
        var sb = new StringBuilder();
        foreach (var l in old) sb.Append(l).Append('\n');
        return sb.ToString();
    }
}
