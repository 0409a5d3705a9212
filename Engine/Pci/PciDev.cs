using ScenarioEngine.Model;

namespace ScenarioEngine.Pci;

/// <summary>
/// struct pci_dev as the IOMMU core and the ACS code read it (include/linux/pci.h, Linux 7.0): the
/// function's bus and subordinate bus, its PCIe type after set_pcie_port_type's correction,
/// multifunction, the ACS capability after pci_disable_broken_acs_cap and the ACS Control register
/// as it is now (firmware's, then pci_enable_acs), dev_flags and dma_alias_mask after the header
/// fixups (PciHeaderQuirks). Built by <see cref="PciHost"/>; only ACS Control changes after that.
/// </summary>
public sealed class PciDev
{
    internal PciDev(PciFunction function, PciBus bus, int index)
    {
        Function = function;
        Bus = bus;
        Index = index;
        Type = function.Type;
        Multifunction = function.Multifunction;
        AcsCap = function.Acs?.Cap;
        AcsCtrl = function.Acs?.Ctrl ?? AcsFlags.None;
        DevFlags = function.DevFlags;
        foreach (var devfn in function.DmaAliases) AddDmaAlias(devfn, 1);
    }

    public PciFunction Function { get; }
    public string Name => Function.Name;
    public PciAddress Address => Function.Address;
    public int Devfn => Address.Devfn;
    /// <summary>dev->bus.</summary>
    public PciBus Bus { get; }
    /// <summary>dev->subordinate: the bus behind a bridge, null otherwise.</summary>
    public PciBus? Subordinate { get; internal set; }
    /// <summary>Position in the order devices were added (pci_scan_child_bus: for_each_pci_dev walks it).</summary>
    public int Index { get; }
    /// <summary>pci_pcie_type after set_pcie_port_type's correction (or the conventional kind).</summary>
    public PciType Type { get; internal set; }
    public bool IsPcie => Type.IsPcie();
    public bool Multifunction { get; }
    /// <summary>dev->acs_capabilities, null when dev->acs_cap is 0 (no ACS extended capability).</summary>
    public AcsFlags? AcsCap { get; internal set; }
    /// <summary>The ACS Control register now (the dword at +8 on Intel SPT PCH root ports, the one that port honours).</summary>
    public AcsFlags AcsCtrl { get; internal set; }
    /// <summary>PCI_DEV_FLAGS_ACS_ENABLED_QUIRK: the Intel PCH workaround ran (pci_quirk_enable_intel_pch_acs).</summary>
    public bool AcsEnabledQuirk { get; internal set; }
    public PciDevFlags DevFlags { get; internal set; }
    /// <summary>dev->dma_alias_mask (256 devfns on the device's bus), null when no alias was added.</summary>
    public ulong[]? DmaAliasMask { get; private set; }
    /// <summary>What the header fixups and pci_enable_acs did to this device, as the kernel logs it (the report's PCI notes).</summary>
    public List<string> Fixups { get; } = [];

    public ushort Vendor => Function.Vendor ?? 0xffff;
    public ushort DeviceId => Function.Device ?? 0xffff;

    /// <summary>pci_upstream_bridge: the bridge above, null on a root bus.</summary>
    public PciDev? UpstreamBridge => Bus.IsRoot ? null : Bus.Self;

    /// <summary>pci_add_dma_alias(dev, devfn_from, nr_devfns): bits set in dma_alias_mask.</summary>
    internal void AddDmaAlias(int devfnFrom, int count)
    {
        DmaAliasMask ??= new ulong[4];
        for (int d = devfnFrom; d < devfnFrom + count && d < 256; d++) DmaAliasMask[d >> 6] |= 1UL << (d & 63);
    }

    public bool HasDmaAlias(int devfn) => DmaAliasMask is { } m && (m[devfn >> 6] & (1UL << (devfn & 63))) != 0;

    /// <summary>The devfns of dma_alias_mask in ascending order (for_each_set_bit).</summary>
    public IEnumerable<int> DmaAliases()
    {
        if (DmaAliasMask is null) yield break;
        for (int d = 0; d < 256; d++)
            if (HasDmaAlias(d)) yield return d;
    }

    /// <summary>pci_devs_are_dma_aliases (drivers/pci/pci.c, Linux 7.0): either lists the other's devfn (pci_real_dma_dev is the device itself off x86 VMD).</summary>
    public static bool AreDmaAliases(PciDev a, PciDev b) => a.HasDmaAlias(b.Devfn) || b.HasDmaAlias(a.Devfn);

    public override string ToString() => Name;
}

/// <summary>
/// struct pci_bus: its number, the bridge above it (bus->self; null for a root bus), its parent bus,
/// the devices on it and the buses below, in the order pci_scan_child_bus found them.
/// </summary>
public sealed class PciBus
{
    internal PciBus(int number, PciHostBridge host, PciDev? self, PciBus? parent)
    {
        Number = number;
        Host = host;
        Self = self;
        Parent = parent;
    }

    public int Number { get; }
    public PciHostBridge Host { get; }
    public PciDev? Self { get; }
    public PciBus? Parent { get; }
    /// <summary>pci_is_root_bus: the host bridge's bus, with no parent.</summary>
    public bool IsRoot => Parent is null;
    public List<PciDev> Devices { get; } = [];
    public List<PciBus> Children { get; } = [];

    /// <summary>A conventional PCI bus: behind a PCIe-to-PCI or a conventional bridge (every device on it sees every transaction).</summary>
    public bool IsConventional => Self is { } s ? s.Type is PciType.PcieToPciBridge or PciType.ConventionalBridge : Devices.Any(d => !d.IsPcie);

    public override string ToString() => $"{Host.Segment:x4}:{Number:x2}";
}
