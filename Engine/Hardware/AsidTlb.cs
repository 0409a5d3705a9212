namespace ScenarioEngine.Hardware;

/// <summary>
/// One ASID's entries of an SMMU's shared TLB: the ASID (at most 16 bits: an SMMU v2 bank index, an
/// SMMUv3 CD's ASID) sits above the 36-bit page number of a 48-bit IOVA, so lookups, fills and range
/// invalidations of one context never touch another's entries, while all contexts compete for the
/// same ways.
/// </summary>
public readonly struct AsidTlb(Iotlb tlb, int asid)
{
    private const int AsidShift = 40;
    private readonly ulong _tag = (ulong)asid << AsidShift;

    public bool Lookup(ulong vpn, out ulong pa, out int staleLine) => tlb.Lookup(_tag | vpn, out pa, out staleLine);
    public void Fill(ulong vpn, ulong pa) => tlb.Fill(_tag | vpn, pa);
    /// <summary>A by-VA invalidation over [first, last] for this ASID (SMMU v2 TLBIVA(L), SMMUv3 TLBI_NH_VA).</summary>
    public void InvalidateRange(ulong firstVpn, ulong lastVpn) => tlb.InvalidateRange(_tag | firstVpn, _tag | lastVpn);
    public void MarkStale(ulong firstVpn, ulong lastVpn, int line) => tlb.MarkStale(_tag | firstVpn, _tag | lastVpn, line);
    /// <summary>Every entry of this ASID (SMMU v2 TLBIASID, SMMUv3 TLBI_NH_ASID).</summary>
    public void InvalidateAsid() => tlb.InvalidateRange(_tag, _tag | ((1UL << AsidShift) - 1));
}
