namespace ScenarioEngine.Model;

/// <summary>
/// An SoC as the YAML describes it (docs/yaml-reference.md, SoC files): immutable data. Adding an SoC never touches Engine/.
/// Every record keeps the <see cref="SourceSpan"/> it came from so later checks can point at it.
/// </summary>
public sealed record Soc(
    string Name,
    string? Description,
    IReadOnlyList<MemoryRange> Memory,
    IReadOnlyList<ReservedMemory> ReservedMemory,
    IReadOnlyList<IommuInstance> Iommus,
    IReadOnlyList<DeviceSpec> Devices,
    string SourceFile)
{
    public IommuInstance? FindIommu(string name) => Iommus.FirstOrDefault(i => i.Name == name);

    /// <summary>The instance's position in the SoC file (instances are unique by name), -1 when it is not this SoC's.</summary>
    public int IommuIndex(IommuInstance inst)
    {
        for (int i = 0; i < Iommus.Count; i++)
            if (ReferenceEquals(Iommus[i], inst)) return i;
        return -1;
    }
    public DeviceSpec? FindDevice(string name) => Devices.FirstOrDefault(d => d.Name == name);

    /// <summary>The PCI host bridges and functions (the key <c>pci</c>); the functions behind an IOMMU are also in <see cref="Devices"/>.</summary>
    public PciTopology Pci { get; init; } = PciTopology.Empty;
}

/// <summary>A DRAM bank: CPU physical addresses [Base, Base + Size).</summary>
public sealed record MemoryRange(string Name, ulong Base, ulong Size)
{
    public ulong End => Base + Size;
    public bool Contains(ulong pa, ulong size) => pa >= Base && size <= Size && pa - Base <= Size - size;
}

/// <summary>A reserved-memory node: optional physical "reg" and the DT "iommu-addresses" entries.</summary>
public sealed record ReservedMemory(string Name, ulong? Base, ulong Size, IReadOnlyList<IommuAddress> IommuAddresses, SourceSpan Span);

/// <summary>One &lt;&amp;device iova size&gt; tuple of the DT "iommu-addresses" property.</summary>
public sealed record IommuAddress(string Device, ulong Iova, ulong Size);

/// <summary>An IOVA region (MediaTek <c>mtk_iommu_iova_region</c>): [Base, Base + Size).</summary>
public sealed record IovaRegion(string Name, ulong Base, ulong Size, SourceSpan Span)
{
    public ulong Last => Base + Size - 1;
    public bool Contains(IovaRegion other) => other.Base >= Base && other.Last <= Last;
}
