using ScenarioEngine.Model;

namespace ScenarioEngine.Advice;

/// <summary>Everything a strategy is planned from: the SoC (with the window on the device), the device, its window, its IOMMU and the kernel the user asked for.</summary>
public sealed record StrategyContext(Soc Soc, DeviceSpec Device, FirmwareWindow Window, IommuInstance Iommu, KernelKnobs Kernel);

/// <summary>
/// One run of a strategy: the SoC and kernel it boots (changed or not), the Lua body that plays the
/// driver's part (<see cref="ProbeScript"/> wraps it), and the change it needs.
/// </summary>
/// <param name="PagesNode">The reserved-memory node holding the firmware's pages when the change puts them there (iommu-addresses, identity); null: the body loads them itself.</param>
public sealed record StrategyPlan(Soc Soc, KernelKnobs Kernel, string Body, SocChange Change, string? PagesNode = null);

/// <summary>
/// A way to give a device's firmware its fixed IOVA window (docs/advise.md). A strategy says whether
/// it exists for the device's family and SoC, and plans one generated scenario; what it achieves is
/// decided only by running that scenario (<see cref="Advisor"/>).
/// </summary>
public abstract class Strategy
{
    /// <summary>The strategy's id in the advice's table and JSON (kebab-case).</summary>
    public abstract string Id { get; }
    /// <summary>One line: what the strategy does.</summary>
    public abstract string Title { get; }
    /// <summary>The kernel code the strategy exercises (file, function, Linux 7.0).</summary>
    public abstract string Source { get; }
    /// <summary>Why the strategy does not exist for this device's family or SoC; null when it does.</summary>
    public virtual string? NotApplicable(StrategyContext ctx) => null;
    public abstract StrategyPlan Plan(StrategyContext ctx);
    /// <summary>The rule that decided the run when no call failed, from what the probe saw (e.g. the domain type); null: the classifier's own.</summary>
    public virtual string? Rule(Observations observed) => null;
}
