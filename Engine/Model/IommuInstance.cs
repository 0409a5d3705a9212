namespace ScenarioEngine.Model;

/// <summary>
/// One IOMMU instance (one DT node): the keys every family has, and the family's own part
/// (<see cref="Config"/>, a record in the family's folder: MtkConfig, SmmuConfig). Flags are the
/// driver's names in kebab-case.
/// </summary>
public sealed record IommuInstance(
    string Name,
    string Driver,
    string Type,
    string Pgtable,
    int Ias,
    int Oas,
    int Banks,
    IReadOnlySet<string> Flags,
    SourceSpan Span)
{
    public bool HasFlag(string flag) => Flags.Contains(flag);

    /// <summary>IOTLB size and associativity (YAML <c>iotlb: {entries, ways}</c>).</summary>
    public IotlbGeometry Iotlb { get; init; } = IotlbGeometry.Default;

    /// <summary>The catalogue entry the YAML's `compatible:` filled this instance from, if any.</summary>
    public CompatibleUse? Compatible { get; init; }

    /// <summary>What the family's own keys gave (its IommuFamily.ReadSpecific).</summary>
    public FamilyConfig Config { get; init; } = FamilyConfig.None;
}

/// <summary>The part of an IOMMU instance only its family reads; each family derives its own record.</summary>
public abstract record FamilyConfig
{
    /// <summary>A family with no keys of its own.</summary>
    public static FamilyConfig None { get; } = new NoConfig();

    private sealed record NoConfig : FamilyConfig;
}

/// <summary>A set of port numbers 0..63 (a u64 mask), or "all ports".</summary>
public readonly record struct PortSet(ulong Mask, bool All)
{
    public static PortSet Everything => new(ulong.MaxValue, true);
    public bool Contains(int port) => All || (port is >= 0 and < 64 && (Mask & (1UL << port)) != 0);
    public bool ContainsAll(ulong mask) => All || (mask & ~Mask) == 0;
    public bool Intersects(ulong mask) => All ? mask != 0 : (Mask & mask) != 0;

    public override string ToString()
    {
        if (All) return "all";
        var parts = new List<string>();
        int p = 0;
        while (p < 64)
        {
            if ((Mask & (1UL << p)) == 0) { p++; continue; }
            int q = p;
            while (q + 1 < 64 && (Mask & (1UL << (q + 1))) != 0) q++;
            parts.Add(q == p ? p.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{p}-{q}");
            p = q + 1;
        }
        return "[" + string.Join(", ", parts) + "]";
    }
}
