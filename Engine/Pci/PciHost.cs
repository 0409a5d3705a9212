using ScenarioEngine.Model;

namespace ScenarioEngine.Pci;

/// <summary>
/// The kernel's PCI devices and buses for a SoC's topology, as enumeration leaves them (Linux 7.0):
/// pci_scan_child_bus_extend adds every device of a bus (pci_scan_slot, devfn order) before it scans
/// behind that bus's bridges one after another, so devices are added depth-first and bridges come
/// before everything below them (drivers/pci/probe.c); for_each_pci_dev and the IOMMU's probe follow
/// that order. Each device is set up as pci_setup_device and pci_device_add do it: the PCIe port
/// type corrected (set_pcie_port_type), the header fixups of drivers/pci/quirks.c that steer DMA
/// aliases (<see cref="PciHeaderQuirks"/>), then the ACS capability read (pci_acs_init,
/// pci_disable_broken_acs_cap). ACS Control is set later, per device, by <see cref="PciAcsSetup"/>.
/// The walk uses an explicit stack: bus numbers grow with depth, so it is at most 256 buses deep
/// anyway, and nothing recurses on the file's nesting.
/// Not modelled: ARI and SR-IOV virtual functions, hot-plug, bus renumbering (the file's secondary
/// and subordinate numbers are taken as firmware assigned them: pci_scan_bridge_extend's pass 0).
/// </summary>
public sealed class PciHost
{
    private readonly List<PciDev> _devices = [];
    private readonly List<PciBus> _roots = [];
    private readonly Dictionary<PciAddress, PciDev> _byAddress = [];
    private readonly Dictionary<PciFunction, PciDev> _byFunction = new(ReferenceEqualityComparer.Instance);

    public PciHost(PciTopology topology)
    {
        foreach (var hb in topology.HostBridges)
        {
            var byBus = hb.Functions.GroupBy(f => f.Address.Bus).ToDictionary(g => g.Key, g => g.OrderBy(f => f.Address.Devfn).ToList());
            var root = new PciBus(hb.BusStart, hb, null, null);
            _roots.Add(root);
            var stack = new Stack<PciBus>();
            stack.Push(root);
            while (stack.Count > 0)
            {
                var bus = stack.Pop();
                foreach (var f in byBus.GetValueOrDefault(bus.Number) ?? [])
                {
                    var dev = new PciDev(f, bus, _devices.Count);
                    SetPciePortType(dev);
                    PciHeaderQuirks.Apply(dev);
                    PciAcsQuirks.DisableBrokenAcsCap(dev);
                    bus.Devices.Add(dev);
                    _devices.Add(dev);
                    _byAddress[f.Address] = dev;
                    _byFunction[f] = dev;
                }
                foreach (var bridge in bus.Devices.Where(d => d.Function.IsBridge && d.Function.Secondary > bus.Number))
                {
                    var child = new PciBus(bridge.Function.Secondary, hb, bridge, bus);
                    bridge.Subordinate = child;
                    bus.Children.Add(child);
                }
                for (int i = bus.Children.Count - 1; i >= 0; i--) stack.Push(bus.Children[i]);
            }
        }
    }

    /// <summary>What the kernel printed while setting the devices up (pci_enable_acs and the command line), in order.</summary>
    public List<string> Log { get; } = [];
    /// <summary>"PCI: Can't parse ACS command line parameter" is pr_warn_once.</summary>
    internal bool WarnedAcsParse { get; set; }

    /// <summary>Every device in the order enumeration added them (for_each_pci_dev, the IOMMU's probe order).</summary>
    public IReadOnlyList<PciDev> Devices => _devices;
    /// <summary>The root bus of each host bridge, in file order.</summary>
    public IReadOnlyList<PciBus> RootBuses => _roots;

    public PciDev? Find(PciAddress a) => _byAddress.GetValueOrDefault(a);
    public PciDev Of(PciFunction f) => _byFunction[f];

    /// <summary>
    /// set_pcie_port_type (drivers/pci/probe.c, Linux 7.0): "Some systems do not identify their
    /// upstream/downstream ports correctly": a downstream port below a downstream-type port
    /// (pcie_downstream_port) is taken as an upstream port, an upstream port below an upstream port
    /// as a downstream port. The parent was set up first, so its type is already corrected.
    /// </summary>
    private static void SetPciePortType(PciDev dev)
    {
        if (dev.UpstreamBridge is not { } parent) return;
        if (dev.Type == PciType.DownstreamPort && parent.Type.IsPcieDownstreamPort())
        {
            dev.Type = PciType.UpstreamPort;
            dev.Fixups.Add("claims to be downstream port but is acting as upstream port, correcting type (set_pcie_port_type)");
        }
        else if (dev.Type == PciType.UpstreamPort && parent.Type == PciType.UpstreamPort)
        {
            dev.Type = PciType.DownstreamPort;
            dev.Fixups.Add("claims to be upstream port but is acting as downstream port, correcting type (set_pcie_port_type)");
        }
    }
}
