using System.Text.RegularExpressions;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Scripting;

/// <summary>
/// Finds, without running a script, the calls to a name the scenario library does not have
/// (`iommu.domain_aloc(…)`): every <c>lib.name</c> where <c>lib</c> is one of the library's globals
/// (soc, iommu, mem, sim, dma, iova, expect, pgtable, report) and <c>name</c> none of its functions
/// (soc: nor its fields). The names come from the API table and the prelude, so a new row is known
/// at once. A script that declares a local or parameter of a library's name, or assigns the global,
/// is not checked for that library; a name the script itself adds (<c>function iommu.mine()</c>,
/// <c>iommu.mine = …</c>) is known. Methods of handles (<c>dev:raed()</c>) are not checked: which
/// object a variable holds is known only when the script runs, which then names the nearest
/// (Prelude.lua, <c>unknown</c>). Comments and strings are skipped by a Lua lexer.
/// </summary>
internal static partial class ApiNameCheck
{
    public sealed record Finding(int Line, int Column, string Library, string Name, string Message);

    /// <summary>Each library global and its names, sorted ordinally.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Libraries { get; } = Build();

    [GeneratedRegex(@"(?m)^function expect\.(\w+)\(")]
    private static partial Regex ExpectFunction();

    private static Dictionary<string, IReadOnlyList<string>> Build()
    {
        var names = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var lib in new[] { "soc", "iommu", "mem", "sim", "dma", "iova", "expect", "pgtable", "report" })
            names[lib] = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var row in ScenarioLibrary.Api)
            if (row.Self is null && names.TryGetValue(row.Library, out var set) && row.Shape != ApiShape.Method) set.Add(row.Name);
        foreach (Match m in ExpectFunction().Matches(ScenarioLibrary.PreludeSource)) names["expect"].Add(m.Groups[1].Value);
        return names.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)e.Value.ToList(), StringComparer.Ordinal);
    }

    /// <summary>The message for a name <paramref name="library"/> lacks: the nearest names, as the prelude says it at run time.</summary>
    public static string Message(string library, string name)
    {
        var what = library == "soc" ? "soc has no function or field" : library + " has no function";
        var word = name.Length > Suggest.MaxWord ? name[..Suggest.MaxWord] : name;
        var near = Suggest.Nearest(word, Libraries[library], 3);
        if (near.Count == 0) return $"{what} '{word}'";
        if (Suggest.Closest(word, near.Take(1)) is { } close)
            return $"{what} '{word}'; did you mean '{close}'?" + (near.Count > 1 ? $" (also near: {string.Join(", ", near.Skip(1))})" : "");
        return $"{what} '{word}' (nearest: {string.Join(", ", near)})";
    }

    /// <summary>Every use of a name the library lacks in <paramref name="source"/>, in source order (lines count from 1).</summary>
    public static IReadOnlyList<Finding> Find(string source)
    {
        var tokens = LuaTokens.Read(source);
        var skipped = new HashSet<string>(StringComparer.Ordinal);
        var added = new HashSet<(string, string)>();
        bool IsLib(int i) => i >= 0 && i < tokens.Count && tokens[i].Kind == LuaTokens.Kind.Name && Libraries.ContainsKey(tokens[i].Text);
        bool Is(int i, string punct) => i >= 0 && i < tokens.Count && tokens[i].Kind == LuaTokens.Kind.Punct && tokens[i].Text == punct;
        bool IsName(int i) => i >= 0 && i < tokens.Count && tokens[i].Kind == LuaTokens.Kind.Name;
        bool IsWord(int i, string w) => IsName(i) && tokens[i].Text == w;
        // first pass: what the script declares or adds
        for (int i = 0; i < tokens.Count; i++)
        {
            if (IsWord(i, "local") || IsWord(i, "for"))
            {
                int j = i + 1;
                if (IsWord(j, "function")) j++;
                for (; IsName(j); j += 2)
                {
                    skipped.Add(tokens[j].Text);
                    if (!Is(j + 1, ",")) break;
                }
            }
            else if (IsWord(i, "function"))
            {
                int j = i + 1;
                while (j < tokens.Count && !Is(j, "(")) j++;
                for (j++; j < tokens.Count && !Is(j, ")"); j++)
                    if (IsName(j)) skipped.Add(tokens[j].Text);
            }
            else if (IsLib(i) && !Is(i - 1, ".") && !Is(i - 1, ":"))
            {
                if (Is(i + 1, "=")) skipped.Add(tokens[i].Text);
                else if (Is(i + 1, ".") && IsName(i + 2) && (Is(i + 3, "=") || IsWord(i - 1, "function"))) added.Add((tokens[i].Text, tokens[i + 2].Text));
            }
        }
        var found = new List<Finding>();
        for (int i = 0; i + 2 < tokens.Count; i++)
        {
            if (!IsLib(i) || Is(i - 1, ".") || Is(i - 1, ":") || !Is(i + 1, ".") || !IsName(i + 2)) continue;
            var lib = tokens[i].Text;
            var name = tokens[i + 2].Text;
            if (skipped.Contains(lib) || added.Contains((lib, name))) continue;
            if (Libraries[lib].Contains(name, StringComparer.Ordinal)) continue;
            found.Add(new Finding(tokens[i + 2].Line, tokens[i + 2].Column, lib, name, Message(lib, name)));
        }
        return found;
    }
}
