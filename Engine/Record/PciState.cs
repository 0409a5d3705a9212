namespace ScenarioEngine.Record;

/// <summary>
/// The SoC's PCI topology as the kernel left it at the end of a run, as plain data for the report's
/// PCI section and its tree picture: the host bridges, and every function in enumeration order with
/// the facts the groups were decided by (type, ACS as pci_enable_acs left it and any quirk that
/// answers for it, DMA aliases, the IOMMU IDs of_iommu_configure gave it) and its group.
/// </summary>
public sealed record PciState(IReadOnlyList<PciBridgeState> HostBridges, IReadOnlyList<PciFunctionState> Functions)
{
    public static PciState None { get; } = new([], []);

    /// <summary>The p2p-across-groups hazards found at boot, and how many more there were than listed.</summary>
    public IReadOnlyList<PciHazardState> Hazards { get; init; } = [];
    public int HazardsOmitted { get; init; }
}

/// <summary>One p2p-across-groups hazard: the port (or function) requests come from and the one they reach (BDFs), both ways or not, the devices in the pairs, the ACS bits missing at the first, and the sentence.</summary>
public sealed record PciHazardState(string From, string To, bool BothWays, IReadOnlyList<string> Devices, string Missing, string Text);

/// <summary>A host bridge: its name, segment, bus range and the properties of its DT node, as lines.</summary>
public sealed record PciBridgeState(string Name, string Segment, string Buses, IReadOnlyList<string> Properties);

/// <summary>
/// One function: BDF and name, the BDF of the bridge above (null on a root bus) and the host bridge,
/// its type in words, vendor:device, the buses behind it (bridges), ACS (capability → control, or
/// "none"; the quirk deciding for it), capabilities (ATS, PRI, PASID), DMA aliases, its IOMMU and IDs
/// (or why it has none), its group, and what the header fixups and pci_enable_acs did.
/// </summary>
public sealed record PciFunctionState(
    string Bdf, string Name, string? Parent, string HostBridge, string Type, bool Bridge, string? Id, string? Buses,
    string Acs, string? AcsQuirk, string Caps, string Aliases, string Iommu, string? Group, IReadOnlyList<string> Notes);
