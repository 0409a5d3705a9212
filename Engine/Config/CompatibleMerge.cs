using System.Collections.Concurrent;
using ScenarioEngine.Drivers;
using ScenarioEngine.Model;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Config;

/// <summary>
/// `compatible:` on an IOMMU: the family's catalogue entry for that device-tree compatible fills every
/// key the SoC file does not give; a key given beside it overrides the entry's (and is reported as
/// overridden). An unknown compatible is a located SE1009 naming the closest known ones; a key the
/// compatible cannot give (the hardware's ID registers do) is a located SE1005 when missing.
/// </summary>
internal static class CompatibleMerge
{
    /// <summary>How many close compatibles an unknown one's error names.</summary>
    public const int Hints = 3;

    private static readonly ConcurrentDictionary<string, YamlMapping> Parsed = new(StringComparer.Ordinal);

    /// <summary>The entry's keys as parsed YAML (an entry that does not parse is an engine bug: a test parses them all).</summary>
    internal static YamlMapping EntryKeys(CompatibleEntry entry) =>
        Parsed.GetOrAdd(entry.Compatible, _ => (YamlMapping)YamlTree.Parse(entry.Yaml, "catalogue: " + entry.Compatible));

    public static (YamlMapping Merged, CompatibleUse Use) Apply(YamlMapping user, YamlNode value)
    {
        if (value is not YamlScalar s)
            throw YamlTree.Error(ErrorCode.WrongType, $"compatible: a device-tree compatible string like {Families.AllCompatibles.FirstOrDefault()?.Compatible ?? "vendor,iommu"}", value.Span);
        var found = Families.FindCompatible(s.Value);
        if (found is null)
        {
            var near = Suggest.Nearest(s.Value, Families.AllCompatibles.Select(e => e.Compatible), Hints);
            throw YamlTree.Error(ErrorCode.UnknownReference,
                $"no modelled driver matches compatible '{Display.Clip(s.Value, 64)}'; closest: {string.Join(", ", near)} (docs/your-board.md lists every compatible)", s.Span);
        }
        var (family, entry) = found.Value;
        var given = user.Entries.ToDictionary(e => e.Key.Value, e => e.Key, StringComparer.Ordinal);
        if (given.TryGetValue("driver", out var driverKey) && user.Entries.First(e => e.Key.Value == "driver").Value is YamlScalar d && d.Value != family.Name)
            throw YamlTree.Error(ErrorCode.BadValue, $"compatible '{entry.Compatible}' is matched by the {family.Name} driver, not '{Display.Clip(d.Value, 64)}'", d.Span);
        foreach (var key in entry.Required)
            if (!given.ContainsKey(key))
                throw YamlTree.Error(ErrorCode.MissingKey,
                    $"compatible '{entry.Compatible}' does not give '{key}': the hardware's ID registers do ({family.RequiredSource(key)}); write it beside the compatible", s.Span);
        if (entry.Refusal is { } refusal && !entry.RefusalCuredBy.Any(given.ContainsKey))
            throw YamlTree.Error(ErrorCode.BadValue,
                $"compatible '{entry.Compatible}': {refusal}. To model a kernel where this is fixed, give {string.Join(" or ", entry.RefusalCuredBy)} beside the compatible", s.Span);

        var keys = EntryKeys(entry);
        var merged = new List<KeyValuePair<YamlScalar, YamlNode>>(user.Entries);
        var overridden = new List<string>();
        foreach (var e in keys.Entries)
        {
            // the entry's values are located at the compatible: an error they cause (an override that no
            // longer fits them) points at the line that brought them in
            if (!given.ContainsKey(e.Key.Value)) merged.Add(KeyValuePair.Create((YamlScalar)At(e.Key, s.Span), At(e.Value, s.Span)));
            else if (e.Key.Value != "driver") overridden.Add(e.Key.Value);
        }
        return (new YamlMapping(merged, user.Span), new CompatibleUse(entry.Compatible, entry.Source, overridden));
    }

    /// <summary>A catalogue node with every span moved to <paramref name="span"/> (catalogue entries are a few levels deep).</summary>
    private static YamlNode At(YamlNode node, SourceSpan span) => node switch
    {
        YamlScalar sc => sc with { Span = span },
        YamlMapping m => new YamlMapping(m.Entries.Select(e => KeyValuePair.Create((YamlScalar)At(e.Key, span), At(e.Value, span))).ToList(), span),
        YamlSequence q => q with { Items = q.Items.Select(i => At(i, span)).ToList(), Span = span },
        _ => node,
    };
}
