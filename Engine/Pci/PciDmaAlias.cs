using ScenarioEngine.Model;

namespace ScenarioEngine.Pci;

/// <summary>One requester ID a device's DMA may carry at the root bus: the device pci_for_each_dma_alias passes to its callback, the ID, and why.</summary>
public readonly record struct DmaAlias(PciDev Dev, uint Rid, string Why);

/// <summary>
/// pci_for_each_dma_alias (drivers/pci/search.c, Linux 7.0): the device's own requester ID, each
/// devfn of its dma_alias_mask on its bus, then for each bus above it up to (not including) the root
/// bus, that bus's bridge: a bridge flagged as the translation root ends the walk; PCIe Root,
/// Upstream and Downstream Ports forward requester IDs unchanged; a PCIe-to-PCI/PCI-X bridge takes
/// ownership as (its secondary bus):00.0 unless flagged no-alias; a PCI/PCI-X-to-PCIe bridge as its
/// own ID; a conventional bridge as its own ID, or as a PCIe-to-PCI bridge would with
/// PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS. The caller stops the walk when it has what it wants (the kernel's
/// callback returning non-zero). pci_real_dma_dev is the device itself (x86 VMD is not modelled).
/// </summary>
public static class PciDmaAlias
{
    public static IEnumerable<DmaAlias> Walk(PciDev pdev)
    {
        yield return new(pdev, pdev.Address.Rid, "its own requester ID");
        foreach (var devfn in pdev.DmaAliases())
            yield return new(pdev, (uint)(pdev.Bus.Number << 8 | devfn), $"dma_alias_mask {PciAddress.DevfnText(devfn)}");
        for (var bus = pdev.Bus; !bus.IsRoot; bus = bus.Parent!)
        {
            if (bus.Self is not { } tmp) continue;
            if ((tmp.DevFlags & PciDevFlags.BridgeXlateRoot) != 0) yield break;
            uint secondary00 = (uint)(tmp.Subordinate!.Number << 8);
            if (tmp.IsPcie)
            {
                switch (tmp.Type)
                {
                    case PciType.RootPort or PciType.UpstreamPort or PciType.DownstreamPort:
                        continue;
                    case PciType.PcieToPciBridge:
                        if ((tmp.DevFlags & PciDevFlags.PciBridgeNoAlias) != 0) continue;
                        yield return new(tmp, secondary00, $"{tmp.Name} (PCIe-to-PCI bridge) takes requests from below as {Bdf(tmp, secondary00)}");
                        continue;
                    case PciType.PciToPcieBridge:
                        yield return new(tmp, tmp.Address.Rid, $"{tmp.Name} (PCI-to-PCIe bridge) forwards requests from below with its own requester ID");
                        continue;
                }
            }
            else if ((tmp.DevFlags & PciDevFlags.PcieBridgeAlias) != 0)
                yield return new(tmp, secondary00, $"{tmp.Name} (a PCIe-to-PCI bridge without its PCIe capability, PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS) takes requests from below as {Bdf(tmp, secondary00)}");
            else
                yield return new(tmp, tmp.Address.Rid, $"{tmp.Name} (conventional PCI bridge) forwards requests from below with its own requester ID");
        }
    }

    /// <summary>A requester ID as a BDF on the device's segment.</summary>
    public static string Bdf(PciDev on, uint rid) => new PciAddress(on.Address.Segment, (int)(rid >> 8), (int)(rid & 0xff)).ToString();
}
