namespace ScenarioEngine.Model;

public enum Bus { Platform, Pci }

/// <summary>A bus master behind an IOMMU, as the SoC YAML describes it.</summary>
public sealed record DeviceSpec(
    string Name,
    IReadOnlyList<DeviceId> Ids,
    Bus Bus,
    int DmaMask,
    bool DriverBound,
    IReadOnlyList<FirmwareWindow> Firmware,
    SourceSpan Span)
{
    /// <summary>The DT memory-region phandles: reserved-memory node names (of_iommu_get_resv_regions walks only these).</summary>
    public IReadOnlyList<string> MemoryRegion { get; init; } = [];
    /// <summary>Where each memory-region entry was written (located errors).</summary>
    public IReadOnlyList<SourceSpan> MemoryRegionSpans { get; init; } = [];
    /// <summary>
    /// The dma-ranges of the bus the device sits on (of_dma_get_range reads them from its nearest DMA
    /// parent): empty when the bus has none, so DMA addresses are physical addresses, unlimited.
    /// </summary>
    public IReadOnlyList<DmaRange> DmaRanges { get; init; } = [];
    /// <summary>The PCI function this master is (its ids come from its host bridge's iommu-map), or null for a platform master or a PCI master without a described topology.</summary>
    public PciFunction? Pci { get; init; }
}

/// <summary>One dma-ranges window (struct bus_dma_region): CPU physical [Cpu, Cpu + Size) is seen by the device at bus address Bus.</summary>
public sealed record DmaRange(ulong Cpu, ulong Bus, ulong Size);

/// <summary>
/// One IOMMU specifier of the device ("iommus = &lt;&amp;m4u ID&gt;"): which instance, and how the
/// family names the master there — each family derives its own record (MediaTek's larb and port,
/// Arm SMMU's stream ID and SMR mask).
/// </summary>
public abstract record DeviceId(string Iommu);

/// <summary>An address window the device's firmware was linked for, and the accesses it makes at boot.</summary>
public sealed record FirmwareWindow(string Name, ulong Iova, ulong Size, IReadOnlyList<BootAccess> Boot);

public sealed record BootAccess(ulong Iova, ulong Size, bool Write);
