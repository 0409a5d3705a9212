using ScenarioEngine.Drivers;
using ScenarioEngine.Model;

namespace ScenarioEngine.Advice;

/// <summary>
/// A family's own platform change (<see cref="SocEdit"/>: own-bank, own-region, own-stream) as a
/// strategy: the changed SoC boots, then the device's driver allocates an unmanaged domain, attaches
/// it to the device and maps the window. Not applicable to a device behind another family's IOMMU.
/// </summary>
internal sealed class FamilyStrategy(IommuFamily family, SocEdit edit) : Strategy
{
    public override string Id => edit.Id;
    public override string Title => edit.Title + $" ({family.Name})";
    public override string Source => edit.Source;

    public override string? NotApplicable(StrategyContext ctx) =>
        ctx.Iommu.Driver != family.Name
            ? $"{edit.Id} exists for {family.Name} only; {ctx.Device.Name} is behind {ctx.Iommu.Name} ({ctx.Iommu.Driver})"
            : edit.NotApplicable(ctx.Soc, ctx.Device, ctx.Window, ctx.Iommu);

    public override StrategyPlan Plan(StrategyContext ctx)
    {
        var (soc, change) = edit.Apply(ctx.Soc, ctx.Device, ctx.Window, ctx.Iommu);
        return new StrategyPlan(soc, ctx.Kernel, RuntimeStrategies.AttachDeviceBody, change);
    }
}
