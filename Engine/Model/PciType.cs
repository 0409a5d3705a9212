namespace ScenarioEngine.Model;

/// <summary>
/// What a PCI function is: a PCI Express device/port type (the PCI Express Capability's
/// Device/Port Type field, include/uapi/linux/pci_regs.h PCI_EXP_TYPE_*, which the kernel reads with
/// pci_pcie_type), or a conventional PCI function without that capability (!pci_is_pcie): a device
/// or a PCI-to-PCI bridge (header type 1). The YAML names are lspci's words in kebab-case.
/// </summary>
public enum PciType
{
    /// <summary>PCI_EXP_TYPE_ENDPOINT (0x0): "Express Endpoint".</summary>
    Endpoint,
    /// <summary>PCI_EXP_TYPE_LEG_END (0x1): "Express Legacy Endpoint".</summary>
    LegacyEndpoint,
    /// <summary>PCI_EXP_TYPE_ROOT_PORT (0x4).</summary>
    RootPort,
    /// <summary>PCI_EXP_TYPE_UPSTREAM (0x5): a switch's upstream port.</summary>
    UpstreamPort,
    /// <summary>PCI_EXP_TYPE_DOWNSTREAM (0x6): a switch's downstream port.</summary>
    DownstreamPort,
    /// <summary>PCI_EXP_TYPE_PCI_BRIDGE (0x7): a PCIe-to-PCI/PCI-X bridge.</summary>
    PcieToPciBridge,
    /// <summary>PCI_EXP_TYPE_PCIE_BRIDGE (0x8): a PCI/PCI-X-to-PCIe bridge.</summary>
    PciToPcieBridge,
    /// <summary>PCI_EXP_TYPE_RC_END (0x9): a Root Complex integrated endpoint.</summary>
    RcEndpoint,
    /// <summary>PCI_EXP_TYPE_RC_EC (0xa): a Root Complex event collector.</summary>
    RcEventCollector,
    /// <summary>A conventional PCI (or PCI-X) function: no PCI Express capability.</summary>
    Conventional,
    /// <summary>A conventional PCI-to-PCI bridge (header type 1, no PCI Express capability).</summary>
    ConventionalBridge,
}

public static class PciTypes
{
    /// <summary>The YAML (and report) names, in enum order.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "endpoint", "legacy-endpoint", "root-port", "upstream-port", "downstream-port", "pcie-to-pci-bridge",
        "pci-to-pcie-bridge", "rc-endpoint", "rc-event-collector", "pci", "pci-bridge",
    ];

    public static string Name(this PciType t) => Names[(int)t];

    public static PciType? Parse(string name)
    {
        int i = Names.ToList().IndexOf(name);
        return i < 0 ? null : (PciType)i;
    }

    /// <summary>pci_is_pcie: the function has a PCI Express capability.</summary>
    public static bool IsPcie(this PciType t) => t is not (PciType.Conventional or PciType.ConventionalBridge);

    /// <summary>A bridge (header type 1): it has a secondary bus and a subordinate bus range.</summary>
    public static bool IsBridge(this PciType t) => t is PciType.RootPort or PciType.UpstreamPort or PciType.DownstreamPort
        or PciType.PcieToPciBridge or PciType.PciToPcieBridge or PciType.ConventionalBridge;

    /// <summary>pcie_downstream_port (drivers/pci/pci.h, Linux 7.0): Root Port, Downstream Port, PCI/PCI-X-to-PCIe bridge.</summary>
    public static bool IsPcieDownstreamPort(this PciType t) => t is PciType.RootPort or PciType.DownstreamPort or PciType.PciToPcieBridge;

    /// <summary>How the report names the type ("Root Port", "PCIe-to-PCI bridge" …).</summary>
    public static string Words(this PciType t) => t switch
    {
        PciType.Endpoint => "endpoint",
        PciType.LegacyEndpoint => "legacy endpoint",
        PciType.RootPort => "Root Port",
        PciType.UpstreamPort => "switch upstream port",
        PciType.DownstreamPort => "switch downstream port",
        PciType.PcieToPciBridge => "PCIe-to-PCI bridge",
        PciType.PciToPcieBridge => "PCI-to-PCIe bridge",
        PciType.RcEndpoint => "RC-integrated endpoint",
        PciType.RcEventCollector => "RC event collector",
        PciType.Conventional => "conventional PCI device",
        _ => "conventional PCI bridge",
    };
}
