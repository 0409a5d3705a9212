using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Kernel;

/// <summary>
/// struct iommu_domain: type, owning driver, page sizes, geometry, page table. A family's paging
/// domain is its own type derived from this one (the container_of idiom: MtkDomain, SmmuDomain), and
/// a driver's identity and blocked domains are <see cref="StaticDomain"/>s with their own attach_dev,
/// as Linux 7.0's static domains are. Drivers may share one table between domains (MediaTek).
/// Handles are numbered in creation order ("domain#1") so reports never depend on addresses.
/// </summary>
public class IommuDomain
{
    public IommuDomain(int id, DomainType type, IIommuDriver driver, ulong pgsizeBitmap, bool isStatic = false)
    {
        Id = id;
        Type = type;
        Driver = driver;
        PgsizeBitmap = pgsizeBitmap;
        IsStatic = isStatic;
    }

    public int Id { get; }
    /// <summary>"domain#N", or DRIVER-TYPE for a static domain; made once (reports and faults ask for it on every access).</summary>
    public string Name => _name ??= IsStatic ? $"{Driver.Name}-{Type.Name()}" : $"domain#{Id}";
    private string? _name;
    public DomainType Type { get; set; }
    public IIommuDriver Driver { get; }
    public ulong PgsizeBitmap { get; set; }
    /// <summary>A driver's static domain (ops->identity_domain / blocked_domain), shared by all groups.</summary>
    public bool IsStatic { get; }
    public bool Freed { get; set; }
    /// <summary>The script line of iommu_domain_free (use-after-free hazards name it); 0 before.</summary>
    public int FreedLine { get; set; }

    /// <summary>domain->geometry: aperture [ApertureStart, ApertureEnd]; Set once a driver finalised it.</summary>
    public ulong ApertureStart { get; set; }
    public ulong ApertureEnd { get; set; }
    public bool ForceAperture { get; set; }
    public bool GeometrySet { get; set; }

    /// <summary>The io-pgtable this domain translates with, once it has one.</summary>
    public IIoPageTable? PageTable { get; set; }

    /// <summary>iommu_set_fault_handler's handler: an opaque token the scripting layer can invoke.</summary>
    public object? FaultHandler { get; set; }

    /// <summary>domain->ops->attach_dev(domain, dev, old): a paging domain's ops are its driver's.</summary>
    public virtual Outcome AttachDev(IommuDevice dev, IommuDomain? old, ScriptSite site) => Driver.AttachDev(this, dev, old, site);

    public override string ToString() => Name;
}

/// <summary>
/// A driver's static identity or blocked domain (static struct iommu_domain with its own
/// iommu_domain_ops holding only attach_dev, Linux 7.0): shared by every group, never freed.
/// </summary>
public sealed class StaticDomain(DomainType type, IIommuDriver driver, Func<IommuDevice, IommuDomain?, Outcome> attach)
    : IommuDomain(0, type, driver, 0, isStatic: true)
{
    public override Outcome AttachDev(IommuDevice dev, IommuDomain? old, ScriptSite site) => attach(dev, old);
}
