using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Tests;

/// <summary>
/// A recording IOMMU driver for core tests: groups by a name map, real ARMv7s tables, knobs to fail
/// an attach or report DIRECT regions, and a call log to check the core's order and rollback.
/// </summary>
internal sealed class FakeDriver(IommuCore core, string name = "fake") : IIommuDriver
{
    public List<string> Calls { get; } = new();
    public Func<IommuDevice, string> GroupOf { get; set; } = d => d.Name;
    public HashSet<string> FailAttachFor { get; } = new();
    public List<(string Device, ResvRegion Region)> Regions { get; } = new();
    public bool DeferredFlush { get; set; }
    public IommuDomain? Identity { get; set; }

    public string Name => name;
    public IommuDomain? IdentityDomain => Identity;
    public IommuDomain? BlockedDomain => null;
    public string ResvRegionsRule => "fake";

    /// <summary>Probe refusals: -ENODEV ("not mine", the core skips the device) or any other errno (fails the instance's registration).</summary>
    public Dictionary<string, Errno> RefuseProbe { get; } = new();
    public Outcome ProbeDevice(IommuDevice dev)
    {
        Calls.Add($"probe {dev.Name}");
        return RefuseProbe.TryGetValue(dev.Name, out var e) ? Outcome.Fail(e, "refused") : Outcome.Success;
    }
    public void ReleaseDevice(IommuDevice dev) => Calls.Add($"release {dev.Name}");
    public Result<GroupKey> DeviceGroup(IommuDevice dev) => Result<GroupKey>.Of(new FakeGroupKey(GroupOf(dev)));
    private sealed record FakeGroupKey(string Name) : GroupKey;
    public string GroupRule(IommuGroup group) => "the fake driver's group names";
    public DomainType? DefDomainType(IommuDevice dev) => null;
    public bool Capable(IommuDevice dev, IommuCap cap) => cap == IommuCap.DeferredFlush && DeferredFlush;

    public Result<IommuDomain> DomainAllocPaging(IommuDevice dev, int id)
    {
        var pt = ArmV7sPageTable.Alloc(new IoPgtableCfg(32, 32, ArmV7sPageTable.SupportedSizes, PgtableQuirks.None), core.Machine.Memory, core.Machine.Pages)!;
        return Result<IommuDomain>.Of(new IommuDomain(id, DomainType.Unmanaged, this, pt.Cfg.PgsizeBitmap) { PageTable = pt });
    }

    public void DomainFree(IommuDomain domain) => Calls.Add($"free {domain.Name}");

    public Outcome AttachDev(IommuDomain domain, IommuDevice dev, IommuDomain? old, ScriptSite site)
    {
        Calls.Add($"attach {domain.Name} {dev.Name}");
        return FailAttachFor.Contains(dev.Name) ? Outcome.Fail(Errno.EINVAL, "fake attach failure") : Outcome.Success;
    }

    /// <summary>Opt in to the core's DT iommu-addresses helper, as arm-smmu does through iommu_dma_get_resv_regions.</summary>
    public bool UseOfIommuAddresses { get; set; }

    public IReadOnlyList<ResvRegion> GetResvRegions(IommuDevice dev, ScriptSite site)
    {
        var list = Regions.Where(r => r.Device == dev.Name).Select(r => r.Region).ToList();
        if (UseOfIommuAddresses) list.AddRange(OfIommuResvRegions.For(core.Soc, dev, core.Machine.Log, site));
        return list;
    }

    public Outcome MapPages(IommuDomain d, ulong iova, ulong paddr, ulong pgsize, ulong pgcount, Prot prot, ScriptSite site, out ulong mapped) =>
        d.PageTable!.MapPages(iova, paddr, pgsize, pgcount, prot, out mapped);

    public ulong UnmapPages(IommuDomain d, ulong iova, ulong pgsize, ulong pgcount, IotlbGather gather, ScriptSite site)
    {
        ulong n = d.PageTable!.UnmapPages(iova, pgsize, pgcount);
        gather.AddRange(iova, n);
        return n;
    }
    public ulong IovaToPhys(IommuDomain d, ulong iova) => d.PageTable!.IovaToPhys(iova);
    public void IotlbSync(IommuDomain d, IotlbGather gather) => Calls.Add($"sync {d.Name} {gather.Start:x}-{gather.End:x}");
    public void FlushIotlbAll(IommuDomain d) => Calls.Add($"flush-all {d.Name}");
    public void IotlbSyncMap(IommuDomain d, ulong iova, ulong size) { }
    public ulong OutputToCpu(IommuDomain d, ulong pa) => pa;
    public Translation Translate(IommuDevice dev, ulong iova, bool write, ScriptSite site) => new(true, iova, "ok", "", null);
    public string DeviceLocation(IommuDevice dev) => "fake";
    public string GroupSlot(IommuGroup group) => "slot";
    public int? DeviceBank(IommuDevice dev) => null;
    public string? DeviceRegion(IommuDevice dev) => null;
    public IDeviceTranslator Bind(IommuDevice dev, bool write) => new PassThrough();
    private sealed class PassThrough : IDeviceTranslator
    {
        public bool TryFast(ulong iova, out ulong pa, out int staleLine) { pa = iova; staleLine = 0; return true; }
    }

    /// <summary>A booted core whose devices (name, group name) all sit behind fake drivers.</summary>
    public static (IommuCore Core, FakeDriver Driver, FakeDriver Other) Boot(KernelKnobs knobs, Action<FakeDriver>? setup, params (string Device, string Group, bool Bound)[] devices) =>
        Boot(knobs, setup, [], devices);

    /// <param name="linkReserved">every device's memory-region lists every reserved-memory node (as a DT linking them would)</param>
    public static (IommuCore Core, FakeDriver Driver, FakeDriver Other) Boot(KernelKnobs knobs, Action<FakeDriver>? setup, IReadOnlyList<ReservedMemory> reserved, params (string Device, string Group, bool Bound)[] devices) =>
        Boot(knobs, setup, reserved, true, devices);

    public static (IommuCore Core, FakeDriver Driver, FakeDriver Other) Boot(KernelKnobs knobs, Action<FakeDriver>? setup, IReadOnlyList<ReservedMemory> reserved, bool linkReserved, params (string Device, string Group, bool Bound)[] devices)
    {
        var span = SourceSpan.None;
        var inst = new IommuInstance("fake0", "fake", "mm", "arm-v7s", 32, 32, 1, new HashSet<string>(), span);
        var inst2 = inst with { Name = "fake1" };
        var specs = devices.Select(d => new DeviceSpec(d.Device, [new FakeId(d.Device.StartsWith("other", StringComparison.Ordinal) ? "fake1" : "fake0")],
            d.Device.StartsWith("pci", StringComparison.Ordinal) ? Bus.Pci : Bus.Platform, 32, d.Bound, [], span)).Select(spec => linkReserved ? spec with { MemoryRegion = reserved.Select(r => r.Name).ToList() } : spec).ToList();
        var soc = new Soc("fake", null, [new MemoryRange("dram", 0x4000_0000, 1UL << 30)], reserved, [inst, inst2], specs, "");
        FakeDriver? main = null, other = null;
        var groupOf = devices.ToDictionary(d => d.Device, d => d.Group);
        var core = new IommuCore(soc, knobs, (c, i) =>
        {
            if (i.Name == "fake0") { main = new FakeDriver(c) { GroupOf = d => groupOf[d.Name] }; setup?.Invoke(main); return main; }
            other = new FakeDriver(c, "fake-other") { GroupOf = d => groupOf[d.Name] };
            return other;
        }, Dma.CoreDma.For);
        core.Boot();
        return (core, main!, other!);
    }
}

/// <summary>The fake driver's specifier: the instance alone.</summary>
internal sealed record FakeId(string Iommu) : DeviceId(Iommu);
