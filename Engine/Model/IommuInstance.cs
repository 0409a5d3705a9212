namespace ScenarioEngine.Model;

/// <summary>
/// One IOMMU instance (one DT node). Driver-family specific fields are kept generic; the driver
/// (Engine/Drivers) interprets them. Flags are the driver's names in kebab-case.
/// </summary>
public sealed record IommuInstance(
    string Name,
    string Driver,
    string Type,
    string Pgtable,
    int Ias,
    int Oas,
    int Banks,
    IReadOnlyList<int> BanksEnabled,
    IReadOnlyDictionary<int, PortSet> BankPorts,
    IReadOnlyList<IovaRegion> Regions,
    IReadOnlyDictionary<int, IReadOnlyDictionary<int, PortSet>> RegionPorts,
    IReadOnlySet<string> Flags,
    IReadOnlyList<string> SharesPgtableWith,
    SourceSpan Span)
{
    public bool HasFlag(string flag) => Flags.Contains(flag);

    /// <summary>IOTLB size and associativity (YAML <c>iotlb: {entries, ways}</c>).</summary>
    public IotlbGeometry Iotlb { get; init; } = IotlbGeometry.Default;

    /// <summary>
    /// MediaTek larbid_remap[common][sub-common] → larb, used to decode the fault INT_ID register
    /// (YAML <c>larbid-remap</c>, a list per common id). Null: linear (common id i → larb i).
    /// </summary>
    public IReadOnlyList<IReadOnlyList<int>>? LarbIdRemap { get; init; }

    /// <summary>Arm SMMU: the number of stream-match registers (SMMU_IDR0.NUMSMRG; YAML <c>smrs</c>).</summary>
    public int Smrs { get; init; }
    /// <summary>arm-smmu: stage-2-only context banks (SMMU_IDR1.NUMS2CB); stage-1 contexts start after them.</summary>
    public int S2Banks { get; init; }
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
