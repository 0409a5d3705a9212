using ScenarioEngine.Drivers;
using ScenarioEngine.Model;
using ScenarioEngine.Pci;

namespace ScenarioEngine.Advice;

/// <summary>
/// acs-isolation: the hardware change that gives a PCI function an IOMMU group of its own where the
/// driver groups PCI masters with pci_device_group (drivers/iommu/iommu.c, Linux 7.0): every Root
/// Port and switch Downstream Port above it with the ACS capability (SV RR CR UF, which
/// pci_enable_acs turns on) — and their sibling downstream ports on a switch, whose requests would
/// otherwise still cross to it (p2p-across-groups) — a multifunction Upstream Port above it and the
/// device's own functions with ACS P2P Request and Completion Redirect (what pci_acs_enabled asks of
/// a multifunction device's capability). Then the device's driver attaches an unmanaged domain to it alone, as for the
/// families' own changes. Not applicable where no ACS can help: a family whose device_group ignores
/// PCI (MediaTek), a conventional bus on the way (PCIe-to-PCI bridges and PCI devices have no ACS), a
/// DMA alias shared with another function, a device-specific quirk that decides for a port or function
/// whatever its capability.
/// </summary>
internal sealed class AcsIsolation : Strategy
{
    private const AcsFlags PortFlags = AcsFlags.SV | AcsFlags.RR | AcsFlags.CR | AcsFlags.UF;
    private const AcsFlags FunctionFlags = AcsFlags.RR | AcsFlags.CR;

    public override string Id => "acs-isolation";
    public override string Title => "PCIe hardware with ACS on every port above the device and between its functions, so pci_device_group gives it a group of its own";
    public override string Source => "drivers/iommu/iommu.c pci_device_group; drivers/pci/pci.c pci_acs_enabled, pci_acs_path_enabled, pci_enable_acs (Linux 7.0)";

    public override string? NotApplicable(StrategyContext ctx)
    {
        if (ctx.Device.Pci is not { } f) return $"{ctx.Device.Name} is not a function of the SoC's PCI topology (the key pci)";
        if (Families.Find(ctx.Iommu.Driver) is not { UsesPciDeviceGroup: true })
            return $"the {ctx.Iommu.Driver} driver's device_group does not use pci_device_group: ACS does not decide its groups";
        var host = new PciHost(ctx.Soc.Pci);
        var dev = host.Of(f);
        if (!dev.IsPcie) return $"{dev.Name} is a conventional PCI function: a PCI bus has no ACS, every device on it sees every transaction";
        for (var up = dev.UpstreamBridge; up is not null; up = up.UpstreamBridge)
        {
            if (up.Type is PciType.PcieToPciBridge or PciType.PciToPcieBridge or PciType.ConventionalBridge)
                return $"{up.Name} ({up.Type.Words()}) is above it: pci_acs_enabled never counts such a bridge as isolated";
            if (PciAcsQuirks.SpecificAcsEnabled(up, AcsFlagNames.Required, out var quirk) == 0)
                return $"{quirk} answers for {up.Name} that it does not isolate, whatever its ACS capability";
        }
        foreach (var other in dev.Bus.Devices.Where(o => o != dev && PciDev.AreDmaAliases(dev, o)))
            return $"{dev.Name} and {other.Name} are DMA aliases (one requester ID for both): no ACS parts them";
        if (PciAcsQuirks.SpecificAcsEnabled(dev, AcsFlagNames.Required, out var own) == 0)
            return $"{own} answers for {dev.Name} that it does not isolate, whatever its ACS capability";
        return null;
    }

    public override StrategyPlan Plan(StrategyContext ctx)
    {
        var host = new PciHost(ctx.Soc.Pci);
        PciAcsSetup.EnableAll(host, PciKernelParams.Parse(ctx.Kernel.Pci, out _) ?? PciKernelParams.None);
        var dev = host.Of(ctx.Device.Pci!);
        var add = new Dictionary<PciDev, AcsFlags>(ReferenceEqualityComparer.Instance);
        void Need(PciDev d, AcsFlags flags)
        {
            if (PciAcs.Enabled(d, AcsFlagNames.Required).Enabled) return;
            var missing = flags & ~(d.AcsCap ?? AcsFlags.None);
            if (missing != AcsFlags.None) add[d] = missing;
        }
        for (var up = dev.UpstreamBridge; up is not null; up = up.UpstreamBridge)
        {
            if (up.Type.IsPcieDownstreamPort())
            {
                Need(up, PortFlags);
                // its sibling ports on a switch's bus would still route requests across to it (p2p-across-groups)
                if (!up.Bus.IsRoot)
                    foreach (var sibling in up.Bus.Devices.Where(o => o != up && o.Type.IsPcieDownstreamPort())) Need(sibling, PortFlags);
            }
            else if (up.Multifunction)
                foreach (var fn in up.Bus.Devices.Where(o => o.Address.Slot == up.Address.Slot)) Need(fn, FunctionFlags);
        }
        if (dev.Multifunction)
            foreach (var fn in dev.Bus.Devices.Where(o => o.Address.Slot == dev.Address.Slot)) Need(fn, FunctionFlags);
        if (add.Count == 0)
            return new StrategyPlan(ctx.Soc, ctx.Kernel, RuntimeStrategies.AttachDeviceBody,
                SocChange.Runtime($"every port above {dev.Name} and its functions already have the ACS pci_device_group asks for"));

        // the SoC with the capabilities added, and its devices pointing at the changed functions
        var changed = new Dictionary<PciAddress, PciFunction>();
        foreach (var (d, flags) in add)
            changed[d.Address] = d.Function with { Acs = new PciAcsCapability((d.Function.Acs?.Cap ?? AcsFlags.None) | flags, d.Function.Acs?.Ctrl ?? AcsFlags.None) };
        var pci = new PciTopology(ctx.Soc.Pci.HostBridges.Select(hb => hb with { Functions = hb.Functions.Select(f => changed.GetValueOrDefault(f.Address) ?? f).ToList() }).ToList());
        var devices = ctx.Soc.Devices.Select(s => s.Pci is { } f && changed.TryGetValue(f.Address, out var nf) ? s with { Pci = nf } : s).ToList();
        var soc = ctx.Soc with { Pci = pci, Devices = devices };

        var diff = new List<string> { " pci:" };
        foreach (var hb in ctx.Soc.Pci.HostBridges.Where(hb => add.Keys.Any(d => d.Bus.Host == hb)))
        {
            diff.Add($"   - name: {hb.Name}");
            diff.Add("     functions:");
            foreach (var (d, flags) in add.Where(a => a.Key.Bus.Host == hb).OrderBy(a => a.Key.Index))
            {
                var cap = (d.Function.Acs?.Cap ?? AcsFlags.None) | flags;
                diff.Add($"       - bdf: \"{d.Address}\"  # {d.Type.Words()}");
                if (d.Function.Acs is not null) diff.Add($"-        acs: {{ cap: [{Names(d.Function.Acs.Cap)}] }}");
                diff.Add($"+        acs: {{ cap: [{Names(cap)}] }}");
            }
        }
        var summary = $"the ACS capability on {string.Join(", ", add.OrderBy(a => a.Key.Index).Select(a => $"{a.Key.Name} ({a.Key.Type.Words()}: {AcsFlagNames.Text(a.Value)})"))}: "
            + "a board, switch or card that implements it (pci_enable_acs turns the controls on at boot)";
        return new StrategyPlan(soc, ctx.Kernel, RuntimeStrategies.AttachDeviceBody, new SocChange(ChangeKind.Hardware, summary, diff));
    }

    private static string Names(AcsFlags f) => string.Join(", ", AcsFlagNames.All.Where(b => (f & b) != 0).Select(AcsFlagNames.Name));
}
