using System.Globalization;
using System.Text;

namespace ScenarioEngine.Config;

/// <summary>
/// Names for the SoC file made from node names (<see cref="Ident"/>): the name without its unit
/// address, with it when two collide, then "-2", "-3", … when they still collide. Each name wanted
/// remembers how far its numbering got, so ten thousand nodes that share their first 48 characters
/// cost ten thousand tries, not fifty million (a name once taken stays taken, so the numbers skipped
/// could not be free: the names are the ones trying from 2 each time would give).
/// </summary>
internal sealed class DtNames(ImportBudget budget)
{
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _next = new(StringComparer.Ordinal);

    /// <summary>Names tried so far (each a step of the import's work).</summary>
    public long Tries { get; private set; }

    public string Take(FdtNode n)
    {
        var plain = Ident(n.BaseName);
        if (Try(plain)) return plain;
        return TakeName(plain + (n.UnitAddress is { } u ? "-" + Ident(u) : ""));
    }

    public string TakeName(string wanted)
    {
        var name = Ident(wanted);
        if (!_next.TryGetValue(name, out int i))
        {
            if (Try(name)) return name;
            i = 2;
        }
        while (true)
        {
            var numbered = name + "-" + i.ToString(CultureInfo.InvariantCulture);
            i++;
            if (Try(numbered))
            {
                _next[name] = i;
                return numbered;
            }
        }
    }

    private bool Try(string name)
    {
        Tries++;
        budget.Spend(1);
        return _taken.Add(name);
    }

    /// <summary>A name the SoC file can carry: lowercase letters, digits, '-' and '_', at most 48 characters.</summary>
    internal static string Ident(string s)
    {
        var sb = new StringBuilder();
        foreach (var ch in s.ToLowerInvariant())
        {
            if (sb.Length >= 48) break;
            sb.Append(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' ? ch : '-');
        }
        var r = sb.ToString().Trim('-');
        return r.Length == 0 || !char.IsAsciiLetterOrDigit(r[0]) ? "n" + r : r;
    }
}
