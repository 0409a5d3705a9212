namespace ScenarioEngine.Hardware;

/// <summary>The outcome of one device access as the hardware performs it; ReportedDomain names the domain the driver reports a fault against.</summary>
public readonly record struct Translation(bool Ok, ulong Pa, string Kind, string Why, string? ReportedDomain)
{
    public FaultRegisters? Registers { get; init; }
    /// <summary>Non-zero when the translation came from a stale IOTLB entry: the line that changed the mapping.</summary>
    public int StaleLine { get; init; }
    /// <summary>The translation came from the device's own ATC (PCIe ATS), not the IOMMU's TLB.</summary>
    public bool FromAtc { get; init; }
}

/// <summary>The hot path of a stream of accesses; anything it cannot answer goes to the driver's Translate.</summary>
public interface IDeviceTranslator
{
    /// <summary>True with the physical address (and stale line, 0 if fresh) when the IOTLB or bypass answers.</summary>
    bool TryFast(ulong iova, out ulong pa, out int staleLine);
}
