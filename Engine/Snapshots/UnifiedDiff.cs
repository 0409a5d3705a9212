using System.Text;

namespace ScenarioEngine.Snapshots;

/// <summary>A unified diff of two texts by lines (longest common subsequence, 3 lines of context).</summary>
public static class UnifiedDiff
{
    public static string Create(string oldText, string newText, string oldName, string newName, int context = 3)
    {
        var a = Split(oldText);
        var b = Split(newText);
        int pre = 0;
        while (pre < a.Length && pre < b.Length && a[pre] == b[pre]) pre++;
        int suf = 0;
        while (suf < a.Length - pre && suf < b.Length - pre && a[^(suf + 1)] == b[^(suf + 1)]) suf++;
        int n = a.Length - pre - suf, m = b.Length - pre - suf;
        // ops over the whole texts: ' ' keep, '-' delete, '+' insert
        var ops = new List<(char Op, int A, int B)>();
        for (int i = 0; i < pre; i++) ops.Add((' ', i, i));
        var lcs = new int[n + 1, m + 1];
        for (int i = n - 1; i >= 0; i--)
            for (int j = m - 1; j >= 0; j--)
                lcs[i, j] = a[pre + i] == b[pre + j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        int x = 0, y = 0;
        while (x < n || y < m)
        {
            if (x < n && y < m && a[pre + x] == b[pre + y]) { ops.Add((' ', pre + x, pre + y)); x++; y++; }
            else if (y < m && (x == n || lcs[x, y + 1] >= lcs[x + 1, y])) { ops.Add(('+', pre + x, pre + y)); y++; }
            else { ops.Add(('-', pre + x, pre + y)); x++; }
        }
        for (int i = 0; i < suf; i++) ops.Add((' ', a.Length - suf + i, b.Length - suf + i));

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

    private static string[] Split(string s)
    {
        if (s.Length == 0) return [];
        var lines = s.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        return s.EndsWith('\n') ? lines[..^1] : lines;
    }
}
