namespace ScenarioEngine.Record;

/// <summary>What a strategy's run showed (docs/advise.md, verdicts): decided from the run's steps, faults, hazards and boot accesses, never from the strategy's name.</summary>
public enum Verdict
{
    /// <summary>Every boot access of the window reached the firmware's pages and the run showed no hazard.</summary>
    Works,
    /// <summary>Every boot access reached the firmware's pages, and the run showed at least one hazard.</summary>
    WorksWithHazards,
    /// <summary>A boot access of the window faulted or reached other pages.</summary>
    Fails,
    /// <summary>The strategy does not exist for this family or SoC (nothing was run).</summary>
    NotApplicable,
}

/// <summary>The hazard kinds a strategy's run can show (docs/advise.md, hazards).</summary>
public static class HazardKinds
{
    /// <summary>Another master's domain translates the window, or the window's domain translates theirs (one page table for several domains).</summary>
    public const string SharedPageTable = "shared-page-table";
    /// <summary>Other masters left their DMA domain.</summary>
    public const string MovesOtherMasters = "moves-other-masters";
    /// <summary>A boot access of the window faulted or reached other pages.</summary>
    public const string WindowMissed = "window-missed";
    /// <summary>A DMA-API mapping another master made before the strategy no longer reaches its page.</summary>
    public const string DmaDisrupted = "dma-disrupted";
    /// <summary>An access was answered by an IOTLB entry whose mapping was gone.</summary>
    public const string StaleTlb = "stale-tlb";
    /// <summary>The kernel read a domain after it was freed.</summary>
    public const string UseAfterFree = "use-after-free";
    /// <summary>The strategy works only on a kernel with an upstream fix the run's kernel lacks.</summary>
    public const string NeedsKernelFix = "needs-kernel-fix";
    /// <summary>The device's DMA bypasses translation (an identity domain): it reaches every page of memory.</summary>
    public const string NoIsolation = "no-isolation";
    /// <summary>A PCI device in another IOMMU group reaches the device peer-to-peer without the IOMMU, or it reaches one (Pci.PciP2p).</summary>
    public const string P2pAcrossGroups = "p2p-across-groups";

    public static readonly IReadOnlyList<string> All = [SharedPageTable, MovesOtherMasters, WindowMissed, DmaDisrupted, StaleTlb, UseAfterFree, NeedsKernelFix, NoIsolation, P2pAcrossGroups];

    /// <summary>
    /// How much a hazard weighs when the advice picks its best option (docs/advise.md): a page table shared
    /// across domains is how every MediaTek domain of a hw_list lives anyway (1); a stale IOTLB entry or a
    /// needed upstream fix (2); other masters moved or cut off, a device that reaches all of memory, a freed
    /// domain still in use, a window never reached are each worse (3).
    /// </summary>
    public static int Weight(string kind) => kind switch
    {
        SharedPageTable => 1,
        StaleTlb or NeedsKernelFix => 2,
        _ => 3,
    };
}

/// <summary>One hazard a run showed: its kind (<see cref="HazardKinds"/>) and what happened, with names and addresses.</summary>
public sealed record Hazard(string Kind, string Text);

public static class Verdicts
{
    public static string Name(this Verdict v) => v switch
    {
        Verdict.Works => "works",
        Verdict.WorksWithHazards => "works-with-hazards",
        Verdict.Fails => "fails",
        _ => "not-applicable",
    };

    public static readonly IReadOnlyList<string> Names = Enum.GetValues<Verdict>().Select(Name).ToList();

    /// <summary>Works, with or without hazards.</summary>
    public static bool Usable(this Verdict v) => v is Verdict.Works or Verdict.WorksWithHazards;
}

/// <summary>
/// One strategy's result for one SoC (the advice's table row and JSON entry): the verdict, the errno and
/// rule that decided it (from the run's own steps), the hazards, the change it needs, and what the run
/// added (e.g. where the DMA API put the buffer).
/// </summary>
public sealed record StrategyOutcome(string Id, string Title, string Source, Verdict Verdict, string? Errno, string Rule, IReadOnlyList<Hazard> Hazards, Model.SocChange? Change)
{
    /// <summary>A fact the run showed beyond the verdict (one sentence), or null.</summary>
    public string? Note { get; init; }
}

/// <summary>The advice for one SoC: what was asked and each strategy's outcome, in <c>Strategies.All</c> order.</summary>
public sealed record SocAdvice(string Soc, string SocFile, string Device, string Window, ulong Iova, ulong Size, string Kernel, IReadOnlyList<StrategyOutcome> Strategies)
{
    /// <summary>
    /// The best usable strategy: works before works-with-hazards, then the lighter hazards (the sum of
    /// <see cref="HazardKinds.Weight"/>), then the smaller change (runtime, kernel command line, device
    /// tree, platform data), then table order; null when none works.
    /// </summary>
    public StrategyOutcome? Best => Strategies
        .Select((s, i) => (s, i))
        .Where(x => x.s.Verdict.Usable())
        .OrderBy(x => x.s.Verdict == Verdict.Works ? 0 : 1)
        .ThenBy(x => x.s.Hazards.Sum(h => HazardKinds.Weight(h.Kind)))
        .ThenBy(x => x.s.Change?.Kind ?? Model.ChangeKind.None)
        .ThenBy(x => x.i)
        .Select(x => x.s)
        .FirstOrDefault();
}
