using ScenarioEngine.Advice;
using ScenarioEngine.Model;
using ScenarioEngine.Record;
using ScenarioEngine.Reporting.Pictures;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Running;

/// <summary>The advice for one SoC, the pictures of its plain boot (topology, IOVA maps with the window), and each strategy's generated run.</summary>
public sealed record AdviceRun(SocAdvice Advice, ReportPictures Pictures, Scenario Baseline)
{
    /// <summary>Each strategy that ran, on the kernel asked for: its id, its generated Lua and its run's own report.</summary>
    public IReadOnlyList<StrategyRun> Runs { get; init; } = [];
}

/// <summary>One strategy's generated scenario as it ran: the Lua the engine wrote and the report the run gave (`scenario advise --reports`).</summary>
public sealed record StrategyRun(string Id, string Script, string Report);

/// <summary>
/// `scenario advise` (docs/advise.md): for a device and its firmware window, every strategy of
/// <see cref="Strategies.All"/> as a generated scenario on a fresh boot of the SoC — the same engine,
/// rules and report machinery as a scenario file — classified from what its run showed. A strategy that
/// fails on the kernel asked for is run again with each upstream fix the engine models that the kernel
/// lacks and whose rule the run went through (its report names the fix); working there adds a
/// needs-kernel-fix hazard.
/// </summary>
public static class Advisor
{
    /// <exception cref="ScenarioLoadException">SE1016: the request names no device or window of the SoC.</exception>
    public static AdviceRun Advise(Soc soc, string socFile, AdviceRequest request, KernelKnobs kernel, ProjectLayout layout, RunOptions options, SourceSpan at)
    {
        var target = AdviceTarget.Resolve(soc, request, at);
        var runSoc = target.Soc;
        var device = runSoc.FindDevice(target.Device.Name)!;
        var iommu = device.Ids.Count > 0 ? runSoc.FindIommu(device.Ids[0].Iommu) : null;
        if (iommu is null)
            throw new ScenarioLoadException(new ScenarioError(ErrorCode.BadAdvice, $"{device.Name} is behind no IOMMU: there is nothing to advise", at));
        var ctx = new StrategyContext(runSoc, device, target.Window, iommu, kernel);
        var window = target.Window;

        var baseline = Scenario(runSoc, socFile, device, window, kernel, "baseline", "-- The boot alone: its pictures go into the advice.\n", null) with { Pictures = PictureSet.All };
        var (_, pictures) = ScenarioRunner.Execute(baseline, baseline.File, baseline.File, new List<string>(), layout, options);

        var outcomes = new List<StrategyOutcome>();
        var runs = new List<StrategyRun>();
        foreach (var s in Strategies.All)
        {
            if (s.NotApplicable(ctx) is { } why)
            {
                outcomes.Add(new StrategyOutcome(s.Id, s.Title, s.Source, Verdict.NotApplicable, null, why, [], null));
                continue;
            }
            var plan = s.Plan(ctx);
            var (outcome, run) = RunPlan(s, plan, plan.Kernel, socFile, device, window, layout, options);
            runs.Add(run);
            // Every rule an upstream fix changes names the fix where it applies (KernelFixes), so a run
            // whose report never names a fix went through no rule it changes: no rerun for it.
            if (!outcome.Verdict.Usable())
                foreach (var (fix, subject) in KernelFixes.Known.Where(f => !plan.Kernel.HasFix(f.Key) && run.Report.Contains(f.Key, StringComparison.Ordinal)))
                {
                    var fixedKernel = plan.Kernel with { Fixes = plan.Kernel.Fixes.Append(fix).Order(StringComparer.Ordinal).ToList() };
                    var (withFix, _) = RunPlan(s, plan, fixedKernel, socFile, device, window, layout, options);
                    if (withFix.Verdict.Usable())
                        outcome = outcome with
                        {
                            Hazards = [.. outcome.Hazards, new Hazard(HazardKinds.NeedsKernelFix,
                                $"{withFix.Verdict.Name()} on {fixedKernel.Release} ({fix}: \"{subject}\"){(withFix.Hazards.Count > 0 ? ", with " + string.Join(", ", withFix.Hazards.Select(h => h.Kind)) : "")}")],
                        };
                }
            outcomes.Add(PciAdvice.WithP2pHazards(outcome, plan.Soc, plan.Kernel, device));
        }
        var advice = new SocAdvice(soc.Name, socFile, device.Name, window.Name, window.Iova, window.Size, kernel.Release + Knobs(kernel), outcomes);
        return new AdviceRun(advice, pictures, baseline) { Runs = runs };
    }

    private static (StrategyOutcome Outcome, StrategyRun Run) RunPlan(Strategy s, StrategyPlan plan, KernelKnobs kernel, string socFile, DeviceSpec device, FirmwareWindow window, ProjectLayout layout, RunOptions options)
    {
        var scenario = Scenario(plan.Soc, socFile, device, window, kernel, s.Id, ProbeScript.For(s.Id, plan.Body), plan.PagesNode);
        var (run, _) = ScenarioRunner.Execute(scenario, scenario.File, scenario.File, new List<string>(), layout, options with { Svgs = false });
        return (Classifier.Classify(s, run, plan.Change, device.Name, window), new StrategyRun(s.Id, scenario.Script.Text, run.Report));
    }

    /// <summary>The generated scenario of one strategy (its script is <see cref="ProbeScript"/>'s; no pictures but the baseline's).</summary>
    private static Scenario Scenario(Soc soc, string socFile, DeviceSpec device, FirmwareWindow window, KernelKnobs kernel, string id, string script, string? pagesNode)
    {
        var ps = new List<KeyValuePair<string, ScenarioParam>>
        {
            new("device", new ScenarioParam(device.Name)),
            new("window", new ScenarioParam(window.Name)),
            new("iova", new ScenarioParam(window.Iova)),
            new("size", new ScenarioParam(window.Size)),
        };
        if (pagesNode is not null) ps.Add(new("pages_node", new ScenarioParam(pagesNode)));
        return new Scenario($"advise {id}: {device.Name} window {window.Name} on {soc.Name}", null, $"{socFile}#advise-{id}", soc, kernel,
            new LuaSource($"advise/{id}.lua", script, 1, null), ps) { Pictures = PictureSet.None };
    }

    /// <summary>The knobs beside the release, as the report's Kernel line gives them.</summary>
    private static string Knobs(KernelKnobs k) =>
        $", iommu.strict={(k.Strict ? 1 : 0)} iommu.passthrough={(k.Passthrough ? 1 : 0)}" + (k.ForceDac ? " iommu.forcedac=1" : "");
}
