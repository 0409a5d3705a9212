using ScenarioEngine.Drivers;

namespace ScenarioEngine.Advice;

/// <summary>
/// Every strategy `scenario advise` runs, in the order its table lists them (docs/advise.md): the
/// runtime ones, the boot ones, each family's own platform changes (<see cref="IommuFamily.SocEdits"/>), then PCI's (<see cref="AcsIsolation"/>).
/// </summary>
public static class Strategies
{
    public static IReadOnlyList<Strategy> All =>
    [
        new RuntimeStrategies.AttachDevice(),
        new RuntimeStrategies.AttachGroup(),
        new RuntimeStrategies.ClaimDmaOwner(),
        new BootStrategies.IommuAddresses(),
        new RuntimeStrategies.DmaApi(),
        new BootStrategies.Identity(),
        // one strategy per platform change: families that make the same change (own-stream) share its row
        .. Families.All.SelectMany(f => f.SocEdits.Select(e => (Family: f, Edit: e))).GroupBy(x => x.Edit.Id)
            .Select(g => (Strategy)new FamilyStrategy(g.ToList())),
        // PCI masters: the hardware change pci_device_group rewards
        new AcsIsolation(),
    ];

    public static Strategy? Find(string id) => All.FirstOrDefault(s => s.Id == id);
}
