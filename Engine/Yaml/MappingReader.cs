using ScenarioEngine.Model;

namespace ScenarioEngine.Yaml;

/// <summary>
/// Reads one YAML mapping strictly: every key must be declared by the caller (unknown keys are
/// SE1003 with a "did you mean" hint), required keys must be present (SE1005), values must have the
/// right shape (SE1004) and numbers the number syntax of docs/yaml-reference.md (SE1006).
/// </summary>
internal sealed class MappingReader
{
    private readonly YamlMapping _map;
    private readonly string _what;
    private readonly Dictionary<string, YamlNode> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    private MappingReader(YamlMapping map, string what)
    {
        _map = map;
        _what = what;
        foreach (var (k, v) in map.Entries) _values[k.Value] = v;
    }

    public SourceSpan Span => _map.Span;

    public static MappingReader Of(YamlNode node, string what, params string[] keys)
    {
        if (node is not YamlMapping map)
            throw YamlTree.Error(ErrorCode.WrongType, $"{what} must be a mapping, found {node.Kind}", node.Span);
        var r = new MappingReader(map, what);
        foreach (var k in keys) r._known.Add(k);
        foreach (var (k, _) in map.Entries)
        {
            if (r._known.Contains(k.Value)) continue;
            var hint = Suggest.Closest(k.Value, keys);
            var msg = $"unknown key '{k.Value}' in {what}" + (hint is null ? $"; expected one of: {string.Join(", ", keys)}" : $"; did you mean '{hint}'?");
            throw YamlTree.Error(ErrorCode.UnknownKey, msg, k.Span);
        }
        return r;
    }

    public bool Has(string key) => _values.ContainsKey(key);
    public YamlNode? Node(string key) => _values.GetValueOrDefault(key);
    public SourceSpan KeySpan(string key) => _map.Entries.First(e => e.Key.Value == key).Key.Span;

    public YamlNode Required(string key) =>
        _values.TryGetValue(key, out var n) ? n
        : throw YamlTree.Error(ErrorCode.MissingKey, $"{_what} needs the key '{key}'", _map.Span);

    public string String(string key) => AsString(Required(key), key);
    public string? OptString(string key) => _values.TryGetValue(key, out var n) ? AsString(n, key) : null;
    public ulong Number(string key) => AsNumber(Required(key), key);
    public ulong? OptNumber(string key) => _values.TryGetValue(key, out var n) ? AsNumber(n, key) : null;
    public bool? OptBool(string key) => _values.TryGetValue(key, out var n) ? AsBool(n, key) : null;

    public int OptInt(string key, int fallback, int min, int max)
    {
        if (!_values.TryGetValue(key, out var n)) return fallback;
        return AsInt(n, key, min, max);
    }

    public IReadOnlyList<YamlNode> List(string key) =>
        _values.TryGetValue(key, out var n) ? AsList(n, key) : [];

    public static string AsString(YamlNode n, string what) => n switch
    {
        YamlScalar s when !s.IsNull => s.Value,
        _ => throw YamlTree.Error(ErrorCode.WrongType, $"'{what}' must be a string, found {Kind(n)}", n.Span),
    };

    public static ulong AsNumber(YamlNode n, string what)
    {
        if (n is not YamlScalar s || s.IsNull)
            throw YamlTree.Error(ErrorCode.WrongType, $"'{what}' must be a number, found {Kind(n)}", n.Span);
        if (!Numbers.TryParse(s.Value, out var v))
            throw YamlTree.Error(ErrorCode.BadNumber, $"'{what}': '{s.Value}' is not a number (decimal, 0x hex with optional '_', or a size like 16MiB)", n.Span);
        return v;
    }

    public static int AsInt(YamlNode n, string what, int min, int max)
    {
        var v = AsNumber(n, what);
        if (v < (ulong)min || v > (ulong)max)
            throw YamlTree.Error(ErrorCode.OutOfRange, $"'{what}' is {v}; valid range is {min}..{max}", n.Span);
        return (int)v;
    }

    public static bool AsBool(YamlNode n, string what) => n switch
    {
        YamlScalar { Quoted: false, Value: "true" or "True" or "TRUE" } => true,
        YamlScalar { Quoted: false, Value: "false" or "False" or "FALSE" } => false,
        _ => throw YamlTree.Error(ErrorCode.WrongType, $"'{what}' must be true or false, found {Kind(n)}", n.Span),
    };

    public static IReadOnlyList<YamlNode> AsList(YamlNode n, string what) => n switch
    {
        YamlSequence q => q.Items,
        _ => throw YamlTree.Error(ErrorCode.WrongType, $"'{what}' must be a list, found {Kind(n)}", n.Span),
    };

    private static string Kind(YamlNode n) => n is YamlScalar s ? (s.IsNull ? "nothing" : $"'{s.Value}'") : n.Kind;
}

/// <summary>"Did you mean" suggestions by edit distance.</summary>
public static class Suggest
{
    /// <summary>Longest word a suggestion is looked for; beyond it a typo is not the likely story and the cost is quadratic.</summary>
    public const int MaxWord = 64;

    /// <summary>
    /// The candidate within edit distance max(2, |word|/3), or null. Linear in the number of
    /// candidates: words and candidates longer than <see cref="MaxWord"/> and candidates whose length
    /// alone rules them out are skipped, so each distance costs at most 64×64 steps.
    /// </summary>
    /// <summary>The <paramref name="count"/> candidates nearest to <paramref name="word"/> by edit distance (ties by name), however far.</summary>
    public static IReadOnlyList<string> Nearest(string word, IEnumerable<string> candidates, int count)
    {
        var w = word.Length > MaxWord ? word[..MaxWord] : word;
        return candidates.Where(c => c.Length <= MaxWord).Select(c => (c, d: Distance(w, c))).OrderBy(x => x.d).ThenBy(x => x.c, StringComparer.Ordinal)
            .Take(count).Select(x => x.c).ToList();
    }

    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        if (word.Length > MaxWord) return null;
        int limit = Math.Max(2, word.Length / 3);
        string? best = null;
        int bestD = int.MaxValue;
        foreach (var c in candidates)
        {
            if (c.Length > MaxWord || Math.Abs(c.Length - word.Length) > limit) continue;
            int d = Distance(word, c);
            if (d < bestD) { bestD = d; best = c; }
        }
        return best is not null && bestD <= Math.Max(2, word.Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
