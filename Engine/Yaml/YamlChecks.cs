using ScenarioEngine.Model;

namespace ScenarioEngine.Yaml;

/// <summary>Checks every loader shares (the SoC loader and the families' own keys): each failure is a located error.</summary>
internal static class YamlChecks
{
    internal static YamlMapping AsMap(YamlNode node, string what) => node as YamlMapping
        ?? throw YamlTree.Error(ErrorCode.WrongType, $"'{what}' must be a mapping, found {node.Kind}", node.Span);

    internal static ulong NonZero(MappingReader r, string key)
    {
        var v = r.Number(key);
        if (v == 0) throw YamlTree.Error(ErrorCode.OutOfRange, $"'{key}' must not be 0", r.Node(key)!.Span);
        return v;
    }

    internal static void CheckNoWrap(ulong b, ulong size, MappingReader r)
    {
        if (size != 0 && b + (size - 1) < b)
            throw YamlTree.Error(ErrorCode.OutOfRange, $"range {Hex.Of(b)} + {Hex.Of(size)} wraps past 2^64", r.Span);
    }

    internal static void CheckDisjoint(List<(ulong B, ulong E, SourceSpan S, string N)> spans, string what)
    {
        for (int i = 0; i < spans.Count; i++)
            for (int j = 0; j < i; j++)
                if (spans[i].B < spans[j].E && spans[j].B < spans[i].E)
                    throw YamlTree.Error(ErrorCode.OverlappingRanges, $"{what} '{spans[i].N}' and '{spans[j].N}' overlap", spans[i].S);
    }

    internal static void CheckUnique(List<(string Name, SourceSpan Span)> items, string what, string file)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (n, s) in items)
            if (!seen.Add(n))
                throw YamlTree.Error(ErrorCode.DuplicateName, $"two {what}s are named '{n}'", s.Line > 0 ? s : new SourceSpan(file, 0, 0));
    }
}
