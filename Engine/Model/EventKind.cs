namespace ScenarioEngine.Model;

/// <summary>What an event of the machine's log is; the names are what the report, the JSON output and Lua's report.events() print.</summary>
public enum EventKind
{
    /// <summary>A translation or permission fault the IOMMU raised.</summary>
    Fault,
    /// <summary>A WARN/WARN_ON the kernel code would print.</summary>
    Warn,
    /// <summary>An access translated by an IOTLB entry whose mapping changed without a flush.</summary>
    StaleTranslation,
    /// <summary>The kernel read a domain after iommu_domain_free (KASAN's slab-use-after-free).</summary>
    UseAfterFree,
    /// <summary>A group's "blocking" domain that still translates.</summary>
    BlockingDomainTranslates,
    /// <summary>An access translated by the device's own ATC (PCIe ATS) whose mapping changed without an ATC invalidation.</summary>
    StaleAtc,
    /// <summary>PCI devices in different IOMMU groups that reach each other peer-to-peer without the IOMMU (found at boot).</summary>
    P2pAcrossGroups,
}

public static class EventKinds
{
    public static string Name(this EventKind k) => k switch
    {
        EventKind.Fault => "fault",
        EventKind.Warn => "warn",
        EventKind.StaleTranslation => "stale-translation",
        EventKind.UseAfterFree => "use-after-free",
        EventKind.StaleAtc => "stale-atc",
        EventKind.P2pAcrossGroups => "p2p-across-groups",
        _ => "blocking-domain-translates",
    };

    public static EventKind Parse(string name) =>
        Enum.GetValues<EventKind>().First(k => k.Name() == name);
}
