using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.Pci;
using ScenarioEngine.Record;

namespace ScenarioEngine.Running;

/// <summary>
/// `scenario groups`: boots the SoC under the given kernel (every IOMMU registered, every master
/// probed into its group, exactly as a scenario's boot) and reads back the groups, the rule behind
/// each member, the p2p-across-groups hazards and the masters without a group.
/// </summary>
public static class GroupsAtBoot
{
    public static GroupsDoc Compute(Soc soc, string socFile, KernelKnobs kernel)
    {
        var core = new IommuCore(new Hardware.Machine(soc), kernel, ScenarioRunner.DriverFactory(), Dma.CoreDma.For);
        core.Boot();
        static string Id(IommuDevice d) => d.Pci?.Address.ToString() ?? d.Name;
        static string Name(IommuDevice d) => d.Pci is { } p && p.Name != p.Address.ToString() ? $"{p.Address} ({d.Name})" : d.Name;
        var groups = core.Groups.OrderBy(g => g.Id).Select(g =>
        {
            var rule = g.Devices[0].Driver.GroupRule(g);
            var why = new List<string>();
            var shortWhy = new List<string>();
            foreach (var d in g.Devices)
            {
                if (d.Pci is not null)
                {
                    why.Add(d.GroupWhy ?? rule);
                    shortWhy.Add(core.PciDecisionOf(d)?.Short is { Length: > 0 } s ? s
                        : d.GroupWhy is { } w && w.IndexOf(": the stream-map entry", StringComparison.Ordinal) is > 0 and var cut ? w[..cut] + ": shared stream-map entry" : $"{d.Name}: {d.GroupWhy ?? rule}");
                }
            }
            if (why.Count == 0)
            {
                why.Add(rule);
                shortWhy.Add(rule);
            }
            return new GroupsDoc.Group(g.Id, g.Devices[0].Iommu.Name, g.Devices.Select(Id).ToList(), g.Devices.Select(Name).ToList(), why, shortWhy);
        }).ToList();
        var hazards = core.PciHazards.Select(h => new GroupsDoc.Hazard(P2pHazard.Kind, h.Devices.Select(d => d.Address.ToString()).ToList(), h.Text)).ToList();
        var loose = new List<GroupsDoc.Loose>();
        foreach (var d in core.Devices.Where(d => d.Group is null))
            loose.Add(new(Id(d), core.FailedInstances.TryGetValue(d.Iommu.Name, out var f) ? f.Why ?? "" : $"IOMMU probe failed: -{d.ProbeError.Errno} ({d.ProbeError.Why})"));
        if (core.PciHost is { } host)
            foreach (var pdev in host.Devices.Where(p => core.DeviceOf(p) is null))
                loose.Add(new(pdev.Address.ToString(), $"no IOMMU: {PciIommuConfig.Configure(pdev).Error}"));
        var release = kernel.Release + $", iommu.strict={(kernel.Strict ? 1 : 0)} iommu.passthrough={(kernel.Passthrough ? 1 : 0)}" + (kernel.ForceDac ? " iommu.forcedac=1" : "") + (kernel.Pci is { } pci ? $" pci={pci}" : "");
        return new GroupsDoc(soc.Name, socFile, release, groups, hazards, loose) { PciLog = core.PciHost?.Log.ToList() ?? [] };
    }
}
