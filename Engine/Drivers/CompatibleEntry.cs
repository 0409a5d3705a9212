namespace ScenarioEngine.Drivers;

/// <summary>
/// One entry of a family's catalogue: what a device-tree compatible string makes the driver use.
/// <see cref="Yaml"/> holds it as the SoC file's own IOMMU keys (a flow mapping), so a `compatible:`
/// fills exactly what the user could have written, and any key written beside it overrides the
/// entry's. <see cref="Source"/> names where the values come from (file, symbol, kernel version);
/// <see cref="Required"/> are the keys the compatible cannot give (the hardware's ID registers do) and
/// the YAML must. <see cref="Refusal"/>, when set, is why Linux 7.0 cannot probe this entry as it is.
/// </summary>
public sealed record CompatibleEntry(string Compatible, string Source, string Yaml)
{
    public IReadOnlyList<string> Required { get; init; } = [];

    /// <summary>What a reader of the catalogue should know beyond the values (shown in docs/your-board.md).</summary>
    public string? Note { get; init; }

    /// <summary>Linux 7.0 fails to probe this entry as written; the loader refuses it with this text unless the YAML overrides one of <see cref="RefusalCuredBy"/>.</summary>
    public string? Refusal { get; init; }

    public IReadOnlyList<string> RefusalCuredBy { get; init; } = [];
}
