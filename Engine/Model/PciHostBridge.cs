namespace ScenarioEngine.Model;

/// <summary>
/// A PCI host bridge (one DT node such as pcie@…, the kernel's pci_host_bridge): its domain
/// (segment), its bus range (the root bus is the first), how requester IDs map to IOMMU stream IDs
/// (iommu-map, iommu-map-mask) and to MSI device IDs (msi-map, msi-map-mask), whether the root
/// complex supports ATS (ats-supported), and the dma-ranges every function below it inherits.
/// </summary>
public sealed record PciHostBridge(string Name, int Segment, int BusStart, int BusEnd, SourceSpan Span)
{
    /// <summary>iommu-map entries (Documentation/devicetree/bindings/pci/pci-iommu.txt): &lt;rid-base &amp;iommu iommu-base length&gt;.</summary>
    public IReadOnlyList<IdMapEntry> IommuMap { get; init; } = [];
    /// <summary>iommu-map-mask, or null when absent (of_map_id then uses 0xffffffff).</summary>
    public uint? IommuMapMask { get; init; }
    /// <summary>msi-map entries: &lt;rid-base &amp;msi-controller msi-base length&gt;.</summary>
    public IReadOnlyList<IdMapEntry> MsiMap { get; init; } = [];
    public uint? MsiMapMask { get; init; }
    /// <summary>ats-supported: the root complex handles ATS (IOMMU_FWSPEC_PCI_RC_ATS, of_pci_check_device_ats).</summary>
    public bool AtsSupported { get; init; }
    /// <summary>The host bridge's dma-ranges: every function below it sees memory through them.</summary>
    public IReadOnlyList<DmaRange> DmaRanges { get; init; } = [];
    /// <summary>The functions below this host bridge, in the order the file lists them.</summary>
    public IReadOnlyList<PciFunction> Functions { get; init; } = [];
}

/// <summary>One iommu-map or msi-map entry: RIDs [RidBase, RidBase + Length) map to Target's IDs from OutBase.</summary>
public sealed record IdMapEntry(uint RidBase, string Target, uint OutBase, uint Length, SourceSpan Span);

/// <summary>The SoC's PCI topology: its host bridges (none for an SoC without PCI).</summary>
public sealed record PciTopology(IReadOnlyList<PciHostBridge> HostBridges)
{
    public static PciTopology Empty { get; } = new([]);

    public bool IsEmpty => HostBridges.Count == 0;

    public IEnumerable<PciFunction> Functions => HostBridges.SelectMany(h => h.Functions);
}
