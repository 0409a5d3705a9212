namespace ScenarioEngine.Model;

/// <summary>
/// One PCI function as the SoC file (or an lspci capture) describes it: its address, IDs, type, the
/// bus range behind it when it is a bridge, and the capabilities the kernel reads (ACS, ATS, PRI,
/// PASID), with explicit DMA-alias quirks. Hardware facts only: what the kernel makes of them (header
/// fixups, pci_enable_acs, groups) is Engine/Pci and Engine/Kernel. Named by its BDF
/// ("0000:01:00.0") unless the SoC file names it.
/// </summary>
public sealed record PciFunction(string Name, PciAddress Address, PciType Type, SourceSpan Span)
{
    /// <summary>The host bridge (PciHostBridge.Name) the function sits below.</summary>
    public string HostBridge { get; init; } = "";
    /// <summary>The SoC file gave the function a name of its own (else the name is its BDF).</summary>
    public bool Named { get; init; }
    /// <summary>Vendor and device ID ("vendor:device" in the YAML, lspci's [vvvv:dddd]); null when not given (no ID quirk applies).</summary>
    public ushort? Vendor { get; init; }
    public ushort? Device { get; init; }
    /// <summary>Subsystem vendor and device ID (lspci's "Subsystem: … [vvvv:dddd]"); some quirks match on them.</summary>
    public ushort? SubVendor { get; init; }
    public ushort? SubDevice { get; init; }
    /// <summary>The class code (base class, subclass, programming interface: 0x060400 for a PCI bridge), when given.</summary>
    public uint? Class { get; init; }
    /// <summary>A bridge's secondary and subordinate bus numbers; -1 for a function that is not a bridge.</summary>
    public int Secondary { get; init; } = -1;
    public int Subordinate { get; init; } = -1;
    /// <summary>pdev->multifunction: the header type's multi-function bit of function 0, and every function past 0 (pci_scan_slot).</summary>
    public bool Multifunction { get; init; }
    /// <summary>The ACS extended capability, or null when the function has none.</summary>
    public PciAcsCapability? Acs { get; init; }
    /// <summary>The ATS extended capability (pci_ats_init finds it).</summary>
    public bool Ats { get; init; }
    /// <summary>The PRI extended capability.</summary>
    public bool Pri { get; init; }
    /// <summary>The PASID extended capability, or null.</summary>
    public PciPasidCapability? Pasid { get; init; }
    /// <summary>DMA aliases the SoC file adds by hand (pci_add_dma_alias devfns on the function's bus), beside the kernel's own quirks.</summary>
    public IReadOnlyList<int> DmaAliases { get; init; } = [];
    /// <summary>pci_dev_flags the SoC file sets by hand, beside the ones the kernel's quirk table sets by ID.</summary>
    public PciDevFlags DevFlags { get; init; }
    /// <summary>The VPD-free description the file gives, e.g. lspci's device name (reports only).</summary>
    public string? Description { get; init; }

    public bool IsBridge => Type.IsBridge();
    public string Bdf => Address.ToString();

    /// <summary>"10de:2204", or null when no ID is given.</summary>
    public string? IdText => Vendor is { } v && Device is { } d ? $"{v:x4}:{d:x4}" : null;
}

/// <summary>The ACS extended capability: the ACS Capability register and the ACS Control register as firmware left it, before Linux's pci_enable_acs.</summary>
public sealed record PciAcsCapability(AcsFlags Cap, AcsFlags Ctrl);

/// <summary>The PASID extended capability: Max PASID Width (pci_max_pasids is 1 &lt;&lt; width) and the Execute/Privileged Mode Supported bits.</summary>
public sealed record PciPasidCapability(int Width, bool Exec, bool Priv)
{
    public ulong MaxPasids => 1UL << Width;
}

/// <summary>
/// The pci_dev_flags that steer DMA aliasing (include/linux/pci.h, Linux 7.0): a conventional bridge
/// that aliases as a PCIe-to-PCI bridge would (PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS), the bridge where the
/// translation unit sits (PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT), a PCIe-to-PCI bridge that forwards the
/// requester ID unchanged (PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS).
/// </summary>
[Flags]
public enum PciDevFlags
{
    None = 0,
    PcieBridgeAlias = 1,
    BridgeXlateRoot = 2,
    PciBridgeNoAlias = 4,
}

public static class PciDevFlagNames
{
    public static readonly IReadOnlyList<(PciDevFlags Flag, string Name, string Kernel)> All =
    [
        (PciDevFlags.PcieBridgeAlias, "pcie-bridge-alias", "PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS"),
        (PciDevFlags.BridgeXlateRoot, "bridge-xlate-root", "PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT"),
        (PciDevFlags.PciBridgeNoAlias, "pci-bridge-no-alias", "PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS"),
    ];

    public static PciDevFlags? Parse(string name) => All.Where(f => f.Name == name).Select(f => (PciDevFlags?)f.Flag).FirstOrDefault();

    public static string Kernel(PciDevFlags flags) => string.Join(" | ", All.Where(f => (flags & f.Flag) != 0).Select(f => f.Kernel));
}
