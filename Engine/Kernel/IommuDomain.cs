using ScenarioEngine.PageTables;

namespace ScenarioEngine.Kernel;

/// <summary>
/// struct iommu_domain: type, owning driver, page sizes, geometry. The page table (if any) belongs
/// to the driver's domain private data; drivers may share one table between domains (MediaTek).
/// Handles are numbered in creation order ("domain#1") so reports never depend on addresses.
/// </summary>
public sealed class IommuDomain
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
    public string Name => IsStatic ? $"{Driver.Name}-{Type.Name()}" : $"domain#{Id}";
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

    /// <summary>Driver-private state (struct mtk_iommu_domain etc.).</summary>
    public object? Private { get; set; }

    public override string ToString() => Name;
}
