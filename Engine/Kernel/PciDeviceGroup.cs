using ScenarioEngine.Model;
using ScenarioEngine.Pci;

namespace ScenarioEngine.Kernel;

/// <summary>Which rule of pci_device_group decided a device's group.</summary>
public enum PciGroupRule
{
    /// <summary>pci_for_each_dma_alias met a device that already had a group (get_pci_alias_or_group).</summary>
    Alias,
    /// <summary>The ACS walk moved up to a bridge the device is not isolated from, and that bridge has a group.</summary>
    Acs,
    /// <summary>A DMA alias on the same bus (either way) has a group (get_pci_alias_group).</summary>
    AliasGroup,
    /// <summary>A function of the same multifunction slot, neither with ACS, has a group (get_pci_function_alias_group).</summary>
    FunctionAlias,
    /// <summary>Nothing above or beside the device has a group: iommu_group_alloc.</summary>
    New,
}

/// <summary>
/// pci_device_group's answer: the existing group to join (null: a new one), the device whose group it
/// is, the rule, the sentence the report prints, and a short form (`scenario groups`).
/// </summary>
public sealed record PciGroupDecision(IommuGroup? Group, PciDev? Via, PciGroupRule Rule, string Why)
{
    public string Short { get; init; } = "";
}

/// <summary>
/// pci_device_group (drivers/iommu/iommu.c, Linux 7.0 — the classic rule; the 2025 rewrite around
/// pci_reachable_set is not in 7.0), in its order:
/// 1. pci_for_each_dma_alias with get_pci_alias_or_group: the first device met that has a group gives
///    it; otherwise the walk continues from the last device visited (the topmost aliasing bridge, or
///    the device itself);
/// 2. from that device's bus up to the root bus: if pci_acs_path_enabled(bus->self, NULL,
///    REQ_ACS_FLAGS) holds, stop; else move to bus->self and take its group if it has one;
/// 3. get_pci_alias_group: the device's own group, else (each devfn once) the groups of devices on
///    the same bus that alias it or that it aliases, and their function groups;
/// 4. get_pci_function_alias_group: for a multifunction device without ACS, the other functions of
///    its slot that lack ACS too (and their aliases);
/// 5. else a new group.
/// Groups are found only through devices already probed, so the order of probing matters (the
/// core probes in enumeration order: bridges before what is below them). Used by both Arm SMMU
/// families for PCI masters; the recursion of 3 and 4 is bounded by the 256-devfn bitmap, as in the
/// kernel.
/// </summary>
public static class PciDeviceGroup
{
    private const string Src = "drivers/iommu/iommu.c, Linux 7.0";

    public static PciGroupDecision Find(PciHost host, PciDev start, Func<PciDev, IommuGroup?> groupOf)
    {
        // 1. the upstream DMA alias
        var pdev = start;
        foreach (var a in PciDmaAlias.Walk(start))
        {
            pdev = a.Dev;
            if (groupOf(a.Dev) is { } g)
                return new(g, a.Dev, PciGroupRule.Alias,
                    $"{start.Name} joins {a.Dev.Name}: its DMA aliases to {a.Dev.Name} ({a.Why}; pci_for_each_dma_alias → get_pci_alias_or_group, pci_device_group)")
                { Short = $"{start.Name} joins {a.Dev.Name}: DMA alias ({a.Dev.Type.Words()})" };
        }

        // 2. up to where ACS isolates
        string? notIsolated = null;
        string isolation = pdev.Bus.IsRoot ? $"{pdev.Name} sits on the root bus" : "";
        for (var bus = pdev.Bus; !bus.IsRoot; bus = bus.Parent!)
        {
            if (bus.Self is not { } self) continue;
            var path = PciAcs.PathEnabled(self, AcsFlagNames.Required);
            if (path.Enabled)
            {
                isolation = $"the path from {self.Name} up to the root bus has ACS SV RR CR UF (pci_acs_path_enabled)";
                break;
            }
            notIsolated = $"{path.FailedAt!.Name} ({path.Why})";
            pdev = self;
            if (groupOf(pdev) is { } g)
                return new(g, pdev, PciGroupRule.Acs,
                    $"{start.Name} joins {pdev.Name}: pci_acs_path_enabled fails at {notIsolated}, so {start.Name} is not isolated from {pdev.Name} (pci_device_group)")
                { Short = $"{start.Name} joins {pdev.Name}: no ACS isolation at {path.FailedAt!.Name}" };
            isolation = bus.Parent!.IsRoot ? $"{pdev.Name} sits on the root bus" : "";
        }

        // 3. aliases on the same bus, 4. non-isolated functions of the slot
        var devfns = new bool[256];
        var chain = new List<string>();
        if (AliasGroup(host, pdev, devfns, groupOf, chain) is { } ag)
            return new(ag.Group, ag.Via, PciGroupRule.AliasGroup, $"{start.Name} joins {ag.Via.Name}: {string.Join("; ", chain)} (get_pci_alias_group, pci_device_group)")
            { Short = $"{start.Name} joins {ag.Via.Name}: DMA aliases on one bus" };
        chain.Clear();
        if (FunctionAliasGroup(host, pdev, devfns, groupOf, chain) is { } fg)
            return new(fg.Group, fg.Via, PciGroupRule.FunctionAlias, $"{start.Name} joins {fg.Via.Name}: {string.Join("; ", chain)} (get_pci_function_alias_group, pci_device_group)")
            { Short = $"{start.Name} joins {fg.Via.Name}: multifunction without ACS" };

        // 5. a new group
        var why = new List<string>();
        if (pdev != start) why.Add($"not isolated from {pdev.Name} (pci_acs_path_enabled fails at {notIsolated}), which has no group");
        if (isolation.Length > 0) why.Add(isolation);
        if (start.Multifunction)
        {
            var acs = PciAcs.Enabled(start, AcsFlagNames.Required);
            why.Add(acs.Enabled ? $"its functions are isolated ({acs.Why})" : "no other function of its slot has a group yet");
        }
        return new(null, null, PciGroupRule.New, $"{start.Name} gets a new group ({string.Join("; ", why.DefaultIfEmpty("no alias, bridge or function has a group"))}; iommu_group_alloc)")
        {
            Short = $"{start.Name}: new group" + (pdev != start ? $" (not isolated from {pdev.Name}, which has none)" : pdev.Bus.IsRoot ? " (root bus)" : isolation.Length > 0 ? " (ACS-isolated path)" : ""),
        };
    }

    /// <summary>get_pci_alias_group: the device's group, else that of a DMA alias on its bus (either way), or of the alias's non-isolated functions.</summary>
    private static (IommuGroup Group, PciDev Via)? AliasGroup(PciHost host, PciDev pdev, bool[] devfns, Func<PciDev, IommuGroup?> groupOf, List<string> chain)
    {
        if (devfns[pdev.Devfn]) return null; // test_and_set_bit(pdev->devfn & 0xff, devfns)
        devfns[pdev.Devfn] = true;
        if (groupOf(pdev) is { } g) return (g, pdev);
        foreach (var tmp in host.Devices)
        {
            if (tmp == pdev || tmp.Bus != pdev.Bus || !PciDev.AreDmaAliases(pdev, tmp)) continue;
            chain.Add($"{pdev.Name} and {tmp.Name} are DMA aliases ({AliasWhy(pdev, tmp)})");
            if (AliasGroup(host, tmp, devfns, groupOf, chain) is { } a) return a;
            if (FunctionAliasGroup(host, tmp, devfns, groupOf, chain) is { } f) return f;
            chain.RemoveAt(chain.Count - 1);
        }
        return null;
    }

    /// <summary>get_pci_function_alias_group: for a multifunction device without ACS, the other functions of its slot without ACS (through get_pci_alias_group).</summary>
    private static (IommuGroup Group, PciDev Via)? FunctionAliasGroup(PciHost host, PciDev pdev, bool[] devfns, Func<PciDev, IommuGroup?> groupOf, List<string> chain)
    {
        if (!pdev.Multifunction) return null;
        var own = PciAcs.Enabled(pdev, AcsFlagNames.Required);
        if (own.Enabled) return null;
        foreach (var tmp in host.Devices)
        {
            if (tmp == pdev || tmp.Bus != pdev.Bus || tmp.Address.Slot != pdev.Address.Slot) continue;
            var other = PciAcs.Enabled(tmp, AcsFlagNames.Required);
            if (other.Enabled) continue;
            chain.Add($"{pdev.Name} and {tmp.Name} are functions of one multifunction slot without ACS ({pdev.Name}: {own.Why}; {tmp.Name}: {other.Why})");
            if (AliasGroup(host, tmp, devfns, groupOf, chain) is { } a) return a;
            chain.RemoveAt(chain.Count - 1);
        }
        return null;
    }

    private static string AliasWhy(PciDev a, PciDev b) =>
        a.HasDmaAlias(b.Devfn) ? $"{a.Name}'s dma_alias_mask has {PciAddress.DevfnText(b.Devfn)}" : $"{b.Name}'s dma_alias_mask has {PciAddress.DevfnText(a.Devfn)}";
}
