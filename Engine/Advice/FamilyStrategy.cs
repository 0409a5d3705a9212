using ScenarioEngine.Drivers;
using ScenarioEngine.Model;

namespace ScenarioEngine.Advice;

/// <summary>
/// A family's own platform change (<see cref="SocEdit"/>: own-bank, own-region, own-stream) as a
/// strategy: the changed SoC boots, then the device's driver allocates an unmanaged domain, attaches
/// it to the device and maps the window. Families that make the same change (own-stream: Arm SMMU v2
/// and v3) share one strategy, each applying its own; not applicable to a device behind another family's IOMMU.
/// </summary>
internal sealed class FamilyStrategy(IReadOnlyList<(IommuFamily Family, SocEdit Edit)> makers) : Strategy
{
    public override string Id => makers[0].Edit.Id;
    public override string Title => makers[0].Edit.Title + $" ({string.Join(", ", makers.Select(m => m.Family.Name))})";
    public override string Source => string.Join("; ", makers.Select(m => m.Edit.Source));

    private SocEdit? EditFor(StrategyContext ctx) => makers.FirstOrDefault(m => m.Family.Name == ctx.Iommu.Driver).Edit;

    public override string? NotApplicable(StrategyContext ctx) =>
        EditFor(ctx) is not { } edit
            ? $"{Id} exists for {string.Join(" and ", makers.Select(m => m.Family.Name))} only; {ctx.Device.Name} is behind {ctx.Iommu.Name} ({ctx.Iommu.Driver})"
            : edit.NotApplicable(ctx.Soc, ctx.Device, ctx.Window, ctx.Iommu);

    public override StrategyPlan Plan(StrategyContext ctx)
    {
        var (soc, change) = EditFor(ctx)!.Apply(ctx.Soc, ctx.Device, ctx.Window, ctx.Iommu);
        return new StrategyPlan(soc, ctx.Kernel, RuntimeStrategies.AttachDeviceBody, change);
    }
}
