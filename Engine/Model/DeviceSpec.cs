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
}

/// <summary>
/// One IOMMU specifier of the device ("iommus = &lt;&amp;m4u ID&gt;"). MediaTek uses larb+port
/// (ID = larb &lt;&lt; 5 | port, include/dt-bindings/memory/mtk-memory-port.h); Arm SMMU and DART use a stream.
/// </summary>
public sealed record DeviceId(string Iommu, int Larb, int Port, uint? Stream)
{
    /// <summary>Arm SMMU: the SMR mask of the specifier's second cell (#iommu-cells = 2); 0 = exact match.</summary>
    public uint Mask { get; init; }

    public override string ToString() => Stream is { } s ? $"{Iommu} stream 0x{s:x}" + (Mask != 0 ? $"/0x{Mask:x}" : "") : $"{Iommu} larb{Larb} port{Port}";
}

/// <summary>An address window the device's firmware was linked for, and the accesses it makes at boot.</summary>
public sealed record FirmwareWindow(string Name, ulong Iova, ulong Size, IReadOnlyList<BootAccess> Boot);

public sealed record BootAccess(ulong Iova, ulong Size, bool Write);
