using ScenarioEngine.Hardware;
using ScenarioEngine.Model;

namespace ScenarioEngine.Kernel;

/// <summary>IOMMU_CAP_* asked through ops->capable (include/linux/iommu.h).</summary>
public enum IommuCap { CacheCoherency, NoExec, DeferredFlush, DirtyTracking }

/// <summary>
/// struct iommu_ops (include/linux/iommu.h, Linux 7.0): what the core asks of a driver about masters,
/// groups and domain allocation, plus what the report asks it to describe.
/// </summary>
public interface IIommuOps
{
    string Name { get; }

    /// <summary>ops->probe_device: accept or refuse a master (the errno is the probe's).</summary>
    Outcome ProbeDevice(IommuDevice dev);
    /// <summary>ops->release_device: the core gives a probed master up (iommu_deinit_device); the driver drops its per-master state.</summary>
    void ReleaseDevice(IommuDevice dev);
    /// <summary>ops->device_group: a key; devices with equal keys share one group.</summary>
    Result<GroupKey> DeviceGroup(IommuDevice dev);
    /// <summary>The rule of the driver's device_group that put these devices together (the report's Boot section).</summary>
    string GroupRule(IommuGroup group);
    /// <summary>ops->def_domain_type; 0 (Blocked) means "no preference".</summary>
    DomainType? DefDomainType(IommuDevice dev);
    bool Capable(IommuDevice dev, IommuCap cap);
    /// <summary>ops->domain_alloc_paging: the family's own domain type. The core tags the type afterwards.</summary>
    Result<IommuDomain> DomainAllocPaging(IommuDevice dev, int id);
    /// <summary>ops->identity_domain: a <see cref="StaticDomain"/>, or null when the driver has none.</summary>
    IommuDomain? IdentityDomain { get; }
    /// <summary>ops->blocked_domain: a <see cref="StaticDomain"/>, or null when the driver has none.</summary>
    IommuDomain? BlockedDomain { get; }
    /// <summary>ops->get_resv_regions for one device.</summary>
    IReadOnlyList<ResvRegion> GetResvRegions(IommuDevice dev, ScriptSite site);
    /// <summary>One sentence: what this driver's get_resv_regions reports, and from which source.</summary>
    string ResvRegionsRule { get; }

    /// <summary>Lines describing the driver's private per-device state for the topology table.</summary>
    string DeviceLocation(IommuDevice dev);
    /// <summary>The bank a master's ports are in (MediaTek's bank id; null where the family has no per-master bank) — dev.bank in Lua.</summary>
    int? DeviceBank(IommuDevice dev);
    /// <summary>The name of the IOVA region a master's ports are in (MediaTek; null where the family has none or none matches) — dev.region in Lua.</summary>
    string? DeviceRegion(IommuDevice dev);
    /// <summary>The hardware slot a group's translation goes through, for the topology picture: a bank, a context bank, a bypass.</summary>
    string GroupSlot(IommuGroup group);

    /// <summary>
    /// The driver's probe error path once iommu_device_register failed and unregistered the instance
    /// (every master already given up through ops->release_device): what the driver leaves its hardware
    /// in, as one sentence for the report's Boot section; null when there is nothing to say.
    /// </summary>
    string? RegistrationFailed(IommuInstance inst) => null;

    /// <summary>
    /// The commands the driver wrote to an instance's command queue since the last call, oldest first,
    /// and forgets them (iommu:commands() in Lua). Families without a command queue have none.
    /// </summary>
    IReadOnlyList<QueuedCommand> TakeCommands(IommuInstance inst) => [];
}

/// <summary>struct iommu_domain_ops (Linux 7.0) of the driver's paging domains; static domains have only attach_dev (<see cref="StaticDomain"/>).</summary>
public interface IIommuDomainOps
{
    /// <summary>domain->ops->attach_dev(domain, dev, old) for a paging domain.</summary>
    Outcome AttachDev(IommuDomain domain, IommuDevice dev, IommuDomain? old, ScriptSite site);
    void DomainFree(IommuDomain domain);
    Outcome MapPages(IommuDomain d, ulong iova, ulong paddr, ulong pgsize, ulong pgcount, Prot prot, ScriptSite site, out ulong mapped);
    ulong UnmapPages(IommuDomain d, ulong iova, ulong pgsize, ulong pgcount, IotlbGather gather, ScriptSite site);
    ulong IovaToPhys(IommuDomain d, ulong iova);
    void IotlbSync(IommuDomain d, IotlbGather gather);
    void FlushIotlbAll(IommuDomain d);
    void IotlbSyncMap(IommuDomain d, ulong iova, ulong size);
}

/// <summary>The hardware side: what a device access at the bus goes through (not a kernel interface).</summary>
public interface IIommuHardware
{
    /// <summary>Output address as the IOMMU emits it → CPU physical address (4GB mode etc.).</summary>
    ulong OutputToCpu(IommuDomain d, ulong pa);
    /// <summary>A device access at the bus: what the hardware does with it right now.</summary>
    Translation Translate(IommuDevice dev, ulong iova, bool write, ScriptSite site);
    /// <summary>A translator bound to one device for many accesses of one direction: answers IOTLB hits and bypass itself.</summary>
    IDeviceTranslator Bind(IommuDevice dev, bool write);
}

/// <summary>One family's driver: the kernel's two ops tables and the hardware it drives. The core (<see cref="IommuCore"/>) owns the rules every driver shares; these hold what differs.</summary>
public interface IIommuDriver : IIommuOps, IIommuDomainOps, IIommuHardware;

/// <summary>
/// struct iommu_iotlb_gather: the range an unmap collected for the following sync, and the page size
/// of the leaves gathered (set by drivers that gather per page, as iommu_iotlb_gather_add_page does;
/// 0 otherwise). Each driver adds what its unmap cleared; the core does not.
/// </summary>
public sealed class IotlbGather
{
    public ulong Start { get; private set; } = ulong.MaxValue;
    public ulong End { get; private set; }
    public ulong Pgsize { get; set; }
    public bool Queued { get; init; }
    public bool Empty => Start == ulong.MaxValue;

    /// <summary>iommu_iotlb_gather_init: empty again (iommu_iotlb_sync does it after the driver's sync).</summary>
    public void Reset()
    {
        Start = ulong.MaxValue;
        End = 0;
        Pgsize = 0;
    }

    /// <summary>iommu_iotlb_gather_is_disjoint: a non-empty gather that [iova, iova + size) neither touches nor continues.</summary>
    public bool IsDisjoint(ulong iova, ulong size) => !Empty && (iova + size < Start || iova > End + 1);

    public void AddRange(ulong iova, ulong size)
    {
        if (size == 0) return;
        Start = Math.Min(Start, iova);
        End = Math.Max(End, iova + size - 1);
    }
}
