using ScenarioEngine.Model;
using ScenarioEngine.Record;

namespace ScenarioEngine.Running;

/// <summary>
/// `scenario advise` for PCI masters: a strategy that works on a SoC where another group's device
/// reaches the device peer-to-peer without the IOMMU (or the device reaches one) works with a
/// p2p-across-groups hazard — the window's domain isolates it from nothing below that switch.
/// Judged on the SoC and kernel the strategy ran (an acs-isolation change can remove it).
/// </summary>
internal static class PciAdvice
{
    public static StrategyOutcome WithP2pHazards(StrategyOutcome outcome, Soc soc, KernelKnobs kernel, DeviceSpec device)
    {
        if (!outcome.Verdict.Usable() || device.Pci is null) return outcome;
        var bdf = device.Pci.Address.ToString();
        var found = GroupsAtBoot.Compute(soc, soc.SourceFile, kernel).Hazards.Where(h => h.Devices.Contains(bdf)).ToList();
        if (found.Count == 0) return outcome;
        return outcome with
        {
            Verdict = Verdict.WorksWithHazards,
            Hazards = [.. outcome.Hazards, .. found.Select(h => new Hazard(HazardKinds.P2pAcrossGroups, h.Text))],
        };
    }
}
