using ScenarioEngine.Model;

namespace ScenarioEngine.Kernel;

/// <summary>What happened at boot (iommu_device_register → bus_iommu_probe, iommu_setup_dma_ops), in order.</summary>
public enum BootEventKind
{
    /// <summary>A group formed by the driver's device_group, with the rule that formed it.</summary>
    GroupFormed,
    /// <summary>A group's default domain allocated and attached to its devices.</summary>
    DefaultDomainAttached,
    /// <summary>The preferred default domain type failed; IOMMU_DOMAIN_DMA instead.</summary>
    DefaultDomainFallback,
    /// <summary>Direct mappings refused before the first attach and retried after it.</summary>
    DirectMappingRetried,
    /// <summary>A direct (reserved-region) mapping failed, or failed with its errno lost.</summary>
    DirectMappingFailed,
    /// <summary>A device of a group another instance already set up joined it (or failed to).</summary>
    GroupJoined,
    /// <summary>An IOMMU instance's registration failed, leaving all its masters without an IOMMU.</summary>
    RegistrationFailed,
    /// <summary>A master's IOMMU probe failed; it has no group.</summary>
    ProbeFailed,
    /// <summary>A DMA-API driver refused by iommu_device_use_default_domain.</summary>
    DriverProbeRefused,
    /// <summary>The DMA-API drivers bound, each counting in its group's owner_cnt.</summary>
    DmaDriversBound,
    /// <summary>dma-iommu initialised a domain's IOVA allocator (iommu_dma_init_domain).</summary>
    DmaDomainInitialised,
    /// <summary>dma-iommu could not set up a device: it keeps the platform's DMA ops.</summary>
    DmaOpsNotSetUp,
    /// <summary>of_dma_configure_id set a device's bus_dma_limit and range map from its bus's dma-ranges.</summary>
    BusDmaLimitSet,
    /// <summary>A line the PCI core printed while setting devices up (pci_enable_acs and the pci= parameter).</summary>
    PciSetup,
    /// <summary>A PCI function of_iommu_configure gave no IOMMU (its requester ID has no iommu-map entry, or a map error).</summary>
    PciNoIommu,
    /// <summary>PCI devices in different groups that reach each other without the IOMMU (PciP2p).</summary>
    P2pAcrossGroups,
}

/// <summary>
/// One boot event: its kind, what it is about (an instance, group, device or domain name), the
/// errno when it is a failure, and the sentence the report's Boot section prints.
/// </summary>
public sealed record BootEvent(BootEventKind Kind, string Subject, string Text)
{
    public Errno Errno { get; init; }
}
