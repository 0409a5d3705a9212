using System.Text;

namespace ScenarioEngine.Snapshots;

/// <summary>
/// A unified diff of two texts by lines, as `diff -u` and `git diff` print it: 3 lines of context, and
/// within a change the old ('-') lines before the new ('+') ones. The line matching is DiffPlex's
/// (Myers' O(ND) algorithm: time and memory grow with the size of the change, not with the product
/// of the two lengths, so two large reports never exhaust memory).
/// </summary>
public static class UnifiedDiff
{
    public static string Create(string oldText, string newText, string oldName, string newName, int context = 3)
    {
        var a = Split(oldText);
        var b = Split(newText);
        // ops over the whole texts: ' ' keep, '-' delete, '+' insert
        var ops = new List<(char Op, int A, int B)>(a.Length + b.Length);
        int x = 0, y = 0;
        foreach (var block in Blocks(a, b))
        {
            while (x < block.DeleteStartA) ops.Add((' ', x++, y++));
            for (int i = 0; i < block.DeleteCountA; i++) ops.Add(('-', x++, y));
            for (int i = 0; i < block.InsertCountB; i++) ops.Add(('+', x, y++));
        }
        while (x < a.Length) ops.Add((' ', x++, y++));

        var sb = new StringBuilder();
        sb.Append("--- ").Append(oldName).Append('\n').Append("+++ ").Append(newName).Append('\n');
        int k = 0;
        while (k < ops.Count)
        {
            if (ops[k].Op == ' ') { k++; continue; }
            int start = Math.Max(0, k - context);
            int end = k;
            while (end < ops.Count)
            {
                if (ops[end].Op != ' ') { end++; continue; }
                int run = 0;
                while (end + run < ops.Count && ops[end + run].Op == ' ') run++;
                if (end + run >= ops.Count || run > 2 * context) { end = Math.Min(ops.Count, end + context); break; }
                end += run;
            }
            int aStart = ops[start].A, bStart = ops[start].B;
            int aLen = 0, bLen = 0;
            for (int i = start; i < end; i++)
            {
                if (ops[i].Op != '+') aLen++;
                if (ops[i].Op != '-') bLen++;
            }
            sb.Append($"@@ -{aStart + (aLen > 0 ? 1 : 0)},{aLen} +{bStart + (bLen > 0 ? 1 : 0)},{bLen} @@\n");
            for (int i = start; i < end; i++)
            {
                var (op, ia, ib) = ops[i];
                sb.Append(op).Append(op == '+' ? b[ib] : a[ia]).Append('\n');
            }
            k = end;
        }
        return sb.ToString();
    }

    /// <summary>The changed blocks, in order; an empty side needs no matching.</summary>
    private static IEnumerable<DiffPlex.Model.DiffBlock> Blocks(string[] a, string[] b)
    {
        if (a.Length == 0 || b.Length == 0)
            return a.Length + b.Length == 0 ? [] : [new DiffPlex.Model.DiffBlock(0, a.Length, 0, b.Length)];
        // Each distinct line becomes a number, so DiffPlex's line chunker sees exactly one piece per line
        // (a line holding a lone '\r' would otherwise split in two) and compares lines exactly.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        string Numbers(string[] lines) => string.Join('\n', lines.Select(l => ids.TryGetValue(l, out var id) ? id : ids[l] = ids.Count));
        return DiffPlex.Differ.Instance.CreateLineDiffs(Numbers(a), Numbers(b), ignoreWhitespace: false).DiffBlocks;
    }

    private static string[] Split(string s)
    {
        if (s.Length == 0) return [];
        var lines = s.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        return s.EndsWith('\n') ? lines[..^1] : lines;
    }
}
