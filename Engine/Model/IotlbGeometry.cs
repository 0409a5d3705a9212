namespace ScenarioEngine.Model;

/// <summary>Size and associativity of one IOTLB (per MediaTek bank); YAML key <c>iotlb: {entries, ways}</c>.</summary>
public sealed record IotlbGeometry(int Entries, int Ways)
{
    /// <summary>
    /// Default: 64 entries, 4-way, LRU. MediaTek does not document the M4U's TLB geometry; this is a
    /// plausible small translation cache, and scenarios that depend on capacity should set it.
    /// </summary>
    public static IotlbGeometry Default => new(64, 4);
}
