using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Tests.ToyFamily;

/// <summary>The toy family's driver: the kernel's ops tables and its hardware side, nothing more.</summary>
internal sealed class ToyIommu : IIommuDriver
{
    private readonly IommuCore _core;
    private readonly Dictionary<IommuDevice, IommuDomain> _attached = new();

    public ToyIommu(IommuCore core)
    {
        _core = core;
        IdentityDomain = new StaticDomain(DomainType.Identity, this, (dev, _) =>
        {
            _attached.Remove(dev);
            return Outcome.Note($"{dev.Name}: toy bypass");
        });
    }

    public string Name => "toy";
    public IommuDomain? IdentityDomain { get; }
    public IommuDomain? BlockedDomain => null;
    public string ResvRegionsRule => "the toy driver reports no reserved regions";

    public Outcome ProbeDevice(IommuDevice dev) => Outcome.Success;
    public void ReleaseDevice(IommuDevice dev) => _attached.Remove(dev);
    public Result<GroupKey> DeviceGroup(IommuDevice dev) => Result<GroupKey>.Of(new ToyGroupKey(dev.Name));
    public string GroupRule(IommuGroup group) => "toy: one group per master";
    public DomainType? DefDomainType(IommuDevice dev) => null;
    public bool Capable(IommuDevice dev, IommuCap cap) => false;
    public IReadOnlyList<ResvRegion> GetResvRegions(IommuDevice dev, ScriptSite site) => [];

    public Result<IommuDomain> DomainAllocPaging(IommuDevice dev, int id)
    {
        var cfg = new IoPgtableCfg(dev.Iommu.Ias, dev.Iommu.Oas, IoPgtableFormat.ArmLpaeS1.DefaultPgsizeBitmap, PgtableQuirks.None);
        if (IoPgtableFormats.Alloc(IoPgtableFormat.ArmLpaeS1, cfg, _core.Machine.Memory, _core.Machine.Pages) is not { } pt)
            return Result<IommuDomain>.Fail(Errno.ENOMEM, "toy: no page table");
        return Result<IommuDomain>.Of(new ToyDomain(id, this, pt));
    }

    public void DomainFree(IommuDomain domain) { }

    public Outcome AttachDev(IommuDomain domain, IommuDevice dev, IommuDomain? old, ScriptSite site)
    {
        _attached[dev] = domain;
        return Outcome.Note($"{dev.Name}: toy context → {domain.Name}");
    }

    public Outcome MapPages(IommuDomain d, ulong iova, ulong paddr, ulong pgsize, ulong pgcount, Prot prot, ScriptSite site, out ulong mapped) =>
        d.PageTable!.MapPages(iova, paddr, pgsize, pgcount, prot, out mapped);
    public ulong UnmapPages(IommuDomain d, ulong iova, ulong pgsize, ulong pgcount, IotlbGather gather, ScriptSite site) => d.PageTable!.UnmapPages(iova, pgsize, pgcount);
    public ulong IovaToPhys(IommuDomain d, ulong iova) => d.PageTable!.IovaToPhys(iova);
    public void IotlbSync(IommuDomain d, IotlbGather gather) { }
    public void FlushIotlbAll(IommuDomain d) { }
    public void IotlbSyncMap(IommuDomain d, ulong iova, ulong size) { }
    public ulong OutputToCpu(IommuDomain d, ulong pa) => pa;

    public Translation Translate(IommuDevice dev, ulong iova, bool write, ScriptSite site)
    {
        if (!_attached.TryGetValue(dev, out var d)) return new Translation(true, iova, "bypass", "toy bypass", null);
        ulong pa = d.PageTable!.IovaToPhys(iova);
        return pa != 0 ? new Translation(true, pa, "ok", "", d.Name)
            : new Translation(false, 0, "translation", $"toy: {Hex.Of(iova)} is not mapped in {d.Name}", d.Name) { Registers = new ToyFaultRegisters(iova, -38, null) };
    }

    public IDeviceTranslator Bind(IommuDevice dev, bool write) => new NoFastPath();
    public string DeviceLocation(IommuDevice dev) => $"toy stream {((ToyStreamId)dev.Spec.Ids[0]).Stream}";
    public int? DeviceBank(IommuDevice dev) => null;
    public string? DeviceRegion(IommuDevice dev) => null;
    public string GroupSlot(IommuGroup group) => "toy context";

    private sealed class NoFastPath : IDeviceTranslator
    {
        public bool TryFast(ulong iova, out ulong pa, out int staleLine)
        {
            pa = 0;
            staleLine = 0;
            return false;
        }
    }
}

/// <summary>The toy family's domain: the core's domain with its own table (the container_of idiom).</summary>
internal sealed class ToyDomain : IommuDomain
{
    public ToyDomain(int id, ToyIommu driver, IIoPageTable pt) : base(id, DomainType.Unmanaged, driver, pt.Cfg.PgsizeBitmap)
    {
        PageTable = pt;
        ApertureStart = 0;
        ApertureEnd = (1UL << pt.Cfg.Ias) - 1;
        GeometrySet = true;
    }
}

internal sealed record ToyGroupKey(string Device) : GroupKey;

/// <summary>The toy family's fault register: the faulting address.</summary>
internal sealed record ToyFaultRegisters(ulong FaultAddress, int HandlerResult, string? Message) : FaultRegisters(HandlerResult, Message)
{
    public override IEnumerable<KeyValuePair<string, object?>> Fields => [new("fault_address", FaultAddress)];
    public override string ReportLine => $"TOY_FAR {Hex.Of(FaultAddress)}; report_iommu_fault → {HandlerResult}";
}
