using ScenarioEngine.Model;
using ScenarioEngine.Pci;

namespace ScenarioEngine.Kernel;

/// <summary>
/// The core's PCI side (Linux 7.0): the SoC's PCI devices as enumeration leaves them (PciHost), ACS
/// Control as pci_enable_acs sets it for each device from pci_dma_configure before the IOMMU probes
/// it (with the pci= parameter), pci_device_group for the drivers, and after the groups are formed,
/// the p2p-across-groups hazards (PciP2p). Setting ACS up for every device first gives the groups the
/// kernel's: a device's grouping reads the ACS of the bridges above it, which were probed (and set up)
/// before it, and of its own slot's functions, whose later ones have no group yet either way.
/// </summary>
public sealed partial class IommuCore
{
    private readonly Dictionary<PciDev, IommuDevice> _byPci = new(ReferenceEqualityComparer.Instance);
    private readonly List<P2pHazard> _pciHazards = [];

    /// <summary>The PCI devices and buses, null for an SoC without a PCI topology.</summary>
    public PciHost? PciHost { get; private set; }
    /// <summary>The pci= parameter as the kernel read it.</summary>
    public PciKernelParams PciParams { get; private set; } = PciKernelParams.None;
    /// <summary>p2p-across-groups hazards found at boot (at most PciP2p.MaxHazards).</summary>
    public IReadOnlyList<P2pHazard> PciHazards => _pciHazards;
    public int PciHazardsOmitted { get; private set; }

    private void InitPci()
    {
        if (Soc.Pci.IsEmpty) return;
        var host = new PciHost(Soc.Pci);
        PciParams = PciKernelParams.Parse(Knobs.Pci, out _) ?? PciKernelParams.None;
        PciAcsSetup.EnableAll(host, PciParams);
        PciHost = host;
        foreach (var dev in _devices)
            if (dev.Spec.Pci is { } f)
            {
                dev.Pci = host.Of(f);
                _byPci[dev.Pci] = dev;
            }
    }

    /// <summary>The master a PCI device is, if it is behind an IOMMU.</summary>
    public IommuDevice? DeviceOf(PciDev pdev) => _byPci.GetValueOrDefault(pdev);

    /// <summary>iommu_group_get(&amp;pdev->dev): the group of a PCI device probed so far, null when it has none.</summary>
    public IommuGroup? PciGroupOf(PciDev pdev) => _byPci.GetValueOrDefault(pdev)?.Group;

    private readonly Dictionary<IommuDevice, PciGroupDecision> _pciDecisions = new(ReferenceEqualityComparer.Instance);

    /// <summary>pci_device_group for a master that is a PCI device (drivers call it from their device_group); the decision is kept for the report.</summary>
    public PciGroupDecision PciDeviceGroup(IommuDevice dev) => _pciDecisions[dev] = Kernel.PciDeviceGroup.Find(PciHost!, dev.Pci!, PciGroupOf);

    /// <summary>What pci_device_group decided for a device at probe, null when it was not asked (a platform master, or a group remembered on SMMU v2 stream-map entries first).</summary>
    public PciGroupDecision? PciDecisionOf(IommuDevice dev) => _pciDecisions.GetValueOrDefault(dev);

    /// <summary>What the PCI core printed at setup, and each function without an IOMMU (the Boot section's first lines).</summary>
    private void RecordPciSetup()
    {
        if (PciHost is not { } host) return;
        foreach (var line in host.Log) RecordBoot(BootEventKind.PciSetup, "pci", line);
        foreach (var pdev in host.Devices)
        {
            if (_byPci.ContainsKey(pdev)) continue;
            var fw = PciIommuConfig.Configure(pdev);
            RecordBoot(BootEventKind.PciNoIommu, pdev.Name, $"{pdev.Name}: no IOMMU: {fw.Error}; its DMA is not translated (dma-direct), and it has no group", Errno.ENODEV);
        }
    }

    /// <summary>After every instance probed: the devices in different groups that reach each other without the IOMMU.</summary>
    private void RecordPciHazards()
    {
        if (PciHost is not { } host) return;
        var found = PciP2p.Find(host, d => PciGroupOf(d)?.Name, out int omitted);
        _pciHazards.AddRange(found);
        PciHazardsOmitted = omitted;
        foreach (var h in found)
            Machine.Log.Hazard(ScriptSite.None, EventKind.P2pAcrossGroups, h.Pairs[0].Master.Name, null, h.Text);
        if (omitted > 0)
            RecordBoot(BootEventKind.P2pAcrossGroups, "pci", $"{P2pHazard.Kind}: {omitted} more port pairs than the {PciP2p.MaxHazards} listed under Faults and hazards");
    }
}
