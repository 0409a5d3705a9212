using ScenarioEngine.Model;
using ScenarioEngine.Record;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Advice;

/// <summary>
/// A strategy's run → its verdict, deciding errno and rule, and hazards (docs/advise.md, verdicts).
/// Works when every boot access of the window reached the firmware's pages; with hazards when the run
/// also showed other masters moved or cut off, a page table shared across domains, an identity domain,
/// a stale IOTLB entry or a use-after-free; fails otherwise. The errno and rule are the first failed
/// call's, else the decisive call's, else the strategy's own reading of the probe, else the first
/// missed access's fault.
/// </summary>
public static class Classifier
{
    /// <summary>The kernel function behind each call a strategy's body makes.</summary>
    private static readonly Dictionary<string, string> Functions = new(StringComparer.Ordinal)
    {
        ["iommu.domain_alloc"] = "iommu_paging_domain_alloc",
        ["iommu.attach_device"] = "iommu_attach_device",
        ["iommu.attach_group"] = "iommu_attach_group",
        ["iommu.group_claim_dma_owner"] = "iommu_group_claim_dma_owner",
        ["iommu.map"] = "iommu_map",
        ["dma.alloc_coherent"] = "dma_alloc_coherent (iommu_dma_alloc)",
        ["mem.alloc"] = "the firmware's pages (DRAM for the window)",
        ["mem.carveout"] = "the reserved-memory node holding the firmware",
    };

    private static readonly string[] Decisive = ["iommu.attach_device", "iommu.attach_group", "iommu.group_claim_dma_owner", "dma.alloc_coherent"];

    public static StrategyOutcome Classify(Strategy strategy, RunResult run, SocChange change, string device, FirmwareWindow window)
    {
        var o = Observations.Read(run.Log);
        var hazards = new List<Hazard>();
        bool reached = o.Reached;
        var missed = o.Boot.FirstOrDefault(b => b.Outcome != "reached");

        if (missed is not null)
            hazards.Add(new Hazard(HazardKinds.WindowMissed, Missed(missed, run, device) + (o.DmaIova is { } d ? $"; dma_alloc_coherent put the buffer at IOVA {Hex.Of(d)}" : "")));
        else if (o.Boot.Count == 0 && run.Error is null)
            hazards.Add(new Hazard(HazardKinds.WindowMissed, $"{device} made no access to the window"));
        if (o.Moved.Count > 0)
            hazards.Add(new Hazard(HazardKinds.MovesOtherMasters,
                $"{Names(o.Moved.Select(m => m.Device))} left their DMA domain for {Names(o.Moved.Select(m => m.Domain).Distinct())}: their drivers' DMA now goes through the window's domain"));
        if (o.DmaBroken.Count > 0)
            hazards.Add(new Hazard(HazardKinds.DmaDisrupted,
                $"the DMA buffer {Names(o.DmaBroken.Select(b => $"{b.Device} had at IOVA {Hex.Of(b.Iova)}"))} no longer reaches its page"));
        if (o.SeesWindow.Count > 0 || o.WindowSees.Count > 0)
        {
            var parts = new List<string>();
            if (o.SeesWindow.Count > 0) parts.Add($"the domain of {Names(o.SeesWindow.Select(s => s.Device))} ({Names(o.SeesWindow.Select(s => s.Domain).Distinct())}) translates the window to the firmware's pages");
            if (o.WindowSees.Count > 0) parts.Add($"{device}'s domain translates the DMA buffer of {Names(o.WindowSees.Select(s => $"{s.Device} at {Hex.Of(s.Iova)}"))}");
            hazards.Add(new Hazard(HazardKinds.SharedPageTable, string.Join("; ", parts) + ": one page table serves several domains"));
        }
        if (o.Domain == "identity")
            hazards.Add(new Hazard(HazardKinds.NoIsolation, $"{device}'s domain is identity: its DMA reaches every physical page, nothing is translated or protected"));
        foreach (var e in run.Events.Where(e => e.Kind is EventKind.StaleTranslation or EventKind.StaleAtc).Take(1))
            hazards.Add(new Hazard(HazardKinds.StaleTlb, $"{e.Device ?? "a master"} at {Hex.Of(e.Iova)}: {e.Why}"));
        foreach (var e in run.Events.Where(e => e.Kind == EventKind.UseAfterFree).Take(1))
            hazards.Add(new Hazard(HazardKinds.UseAfterFree, e.Why));

        var failed = o.StrategySteps.FirstOrDefault(s => s.Errno is not null);
        string? errno = failed?.Errno;
        string rule;
        if (run.Error is { } err)
        {
            rule = $"{ErrorCodes.Format(err.Code)}: {err.Message}";
            reached = false;
        }
        else if (run.Log.DroppedItems > 0)
        {
            // A SoC with thousands of masters can fill the run's log: what the probe saw past it is lost,
            // so the run cannot vouch for the window.
            rule = $"the run recorded more than {RunLog.MaxRecords} rows (the other masters' checks of a SoC this size), so the probe's observations past them are lost: no verdict but fails can be given";
            reached = false;
        }
        else if (failed is not null)
            rule = Rule(failed);
        else if (strategy.Rule(o) is { } own)
            rule = own;
        else if (reached && o.StrategySteps.LastOrDefault(s => Decisive.Contains(s.Name)) is { } step)
            rule = step.Name == "iommu.attach_device" && o.Group is { } g
                ? $"iommu_attach_device accepts {g.Name}: {device} is its only device" + (string.IsNullOrEmpty(step.Why) ? "" : $"; {step.Why}")
                : Rule(step);
        else if (o.Group is null)
            rule = $"{device} has no IOMMU group: its IOMMU did not take it at probe, so there is no group to claim or attach";
        else if (missed is not null)
            rule = Missed(missed, run, device);
        else
            rule = "the window was reached";

        var verdict = reached ? hazards.Count == 0 ? Verdict.Works : Verdict.WorksWithHazards : Verdict.Fails;
        return new StrategyOutcome(strategy.Id, strategy.Title, strategy.Source, verdict, errno, rule, hazards, change)
        {
            Note = o.DmaIova is { } iova ? $"dma_alloc_coherent put the {Hex.Size(window.Size)} buffer at IOVA {Hex.Of(iova)}, not {Hex.Of(window.Iova)}" : null,
        };
    }

    private static string Rule(Step s)
    {
        var fn = Functions.GetValueOrDefault(s.Name, s.Name);
        return string.IsNullOrEmpty(s.Why) ? fn : s.Why.Contains(fn, StringComparison.Ordinal) || s.Why.Contains('(') ? s.Why : $"{fn}: {s.Why}";
    }

    private static string Missed(BootAccessSeen b, RunResult run, string device)
    {
        if (b.Outcome == "fault")
        {
            var fault = run.Events.FirstOrDefault(e => e.Kind == EventKind.Fault && e.Device == device && e.Iova >= b.Iova && e.Iova < b.Iova + 0x1000);
            return $"the boot access at {Hex.Of(b.Iova)} faulted" + (fault is null ? "" : $": {fault.Why}");
        }
        return $"the boot access at {Hex.Of(b.Iova)} reached {Hex.Of(b.Pa ?? 0)}" + (b.Expected is { } e ? $", not the firmware's page at {Hex.Of(e)}" : ", and the firmware has no pages there");
    }

    private static string Names(IEnumerable<string> names) => string.Join(", ", names);
}
