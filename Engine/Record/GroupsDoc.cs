namespace ScenarioEngine.Record;

/// <summary>
/// `scenario groups`: a SoC's IOMMU groups at boot under the kernel asked for (docs/cli.md): each
/// group with its devices (a PCI function by its BDF, a platform master by its name), the name the
/// SoC file gives each, and per device why ops->device_group put it there (long and short), then
/// the p2p-across-groups hazards, and the masters left without a group with why.
/// </summary>
public sealed record GroupsDoc(string Soc, string SocFile, string Kernel, IReadOnlyList<GroupsDoc.Group> Groups, IReadOnlyList<GroupsDoc.Hazard> Hazards, IReadOnlyList<GroupsDoc.Loose> Ungrouped)
{
    /// <summary>What the PCI core printed while setting ACS up (pci_enable_acs with the pci= parameter), in order.</summary>
    public IReadOnlyList<string> PciLog { get; init; } = [];

    public sealed record Group(int Id, string Iommu, IReadOnlyList<string> Devices, IReadOnlyList<string> Names, IReadOnlyList<string> Why, IReadOnlyList<string> Short);

    public sealed record Hazard(string Kind, IReadOnlyList<string> Devices, string Text);

    public sealed record Loose(string Device, string Why);
}
