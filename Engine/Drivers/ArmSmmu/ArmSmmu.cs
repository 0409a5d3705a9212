using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Drivers.ArmSmmu;

/// <summary>
/// The Arm SMMU v2 driver as an ops table (drivers/iommu/arm/arm-smmu/arm-smmu.c, Linux 7.0, with
/// the core's side in drivers/iommu/iommu.c and dma-iommu.c). Models: stream matching with
/// stream-match registers (arm_smmu_find_sme: an ID/mask contained in a valid SMR shares it, any other
/// overlap is -EINVAL, none free is -ENOSPC — all at probe, which then fails), arm_smmu_device_group (a group remembered on the stream-map entries is
/// reused, the last entry's group wins, two different ones are -EINVAL; otherwise pci_device_group for
/// a PCI master (Kernel.PciDeviceGroup) or a group per platform device), arm_smmu_capable (NOEXEC and
/// DEFERRED_FLUSH true, so DMA_FQ default domains keep their flush queue; CACHE_COHERENCY false: no
/// coherent table walk), domain_alloc_paging (pgsize_bitmap SZ_4K|SZ_2M|SZ_1G, nothing else until
/// the first attach), the static identity and blocked domains (S2CR type BYPASS and FAULT),
/// arm_smmu_init_domain_context at the first attach (a stage-1 context bank from the bitmap, -ENOSPC
/// when every bank is taken; ASID = bank index; AArch64 LPAE S1 table with the SMMU's ias/oas;
/// aperture [0, 2^ias)), -EINVAL when the domain was finalised on another SMMU, S2CRs written for
/// every stream of the master, the domain's bank freed (after a TLBIASID) when the domain is freed,
/// and arm_smmu_get_resv_regions (the software MSI window [0x8000000, +1 MiB) plus
/// iommu_dma_get_resv_regions, i.e. DT iommu-addresses).
/// TLB maintenance, the hardware walk and the context fault are in ArmSmmu.Tlb.cs and ArmSmmu.Faults.cs.
/// Not modelled: stream indexing (SMMUs without SMRs), the stream-ID and SMR-mask width checks at probe, stage 2 and nested
/// contexts, the AArch32 formats, the 16K/64K granules, runtime PM, stalling (CFCFG), implementation
/// quirks (Qualcomm, NVIDIA, Cavium ASID offset), global faults, and hardware ATS1PR translation
/// (iova_to_phys uses the software walk, whose result is the same).
/// </summary>
public sealed partial class ArmSmmu : IIommuDriver
{
    private const string Src = "drivers/iommu/arm/arm-smmu/arm-smmu.c";
    /// <summary>ARM_SMMU_FEAT_FMT_AARCH64_4K: SZ_4K | SZ_2M | SZ_1G.</summary>
    public const ulong PgSizes = 0x1000UL | 0x20_0000UL | 0x4000_0000UL;

    private readonly IommuCore _core;
    private readonly Dictionary<IommuInstance, SmmuData> _data = new(ReferenceEqualityComparer.Instance);
    private readonly IommuDomain _identity, _blocked;
    private readonly SwMsiResvRegions _resv;
    private int _groups;

    public ArmSmmu(IommuCore core)
    {
        _core = core;
        _identity = new StaticDomain(DomainType.Identity, this, (dev, _) => S2crAttach(dev, S2crType.Bypass));
        _blocked = new StaticDomain(DomainType.Blocked, this, (dev, _) => S2crAttach(dev, S2crType.Fault));
        _resv = new SwMsiResvRegions(core, "arm_smmu_get_resv_regions");
        foreach (var inst in core.Soc.Iommus.Where(i => i.Driver == "arm-smmu"))
            _data[inst] = new SmmuData(inst);
    }

    public string Name => "arm-smmu";
    public IommuDomain? IdentityDomain => _identity;
    public IommuDomain? BlockedDomain => _blocked;

    internal SmmuData Data(IommuDevice dev) => _data[dev.Iommu];
    /// <summary>to_smmu_domain: a paging domain of this driver is an SmmuDomain.</summary>
    internal static SmmuDomain ToSmmuDomain(IommuDomain d) => (SmmuDomain)d;
    private static IEnumerable<uint> Sids(IommuDevice dev) => dev.Spec.Ids.Cast<SmmuStreamId>().Select(i => i.Stream);
    /// <summary>The device's stream-map entries (for_each_cfg_sme); none when its probe failed.</summary>
    private IEnumerable<Sme> SmesOf(IommuDevice dev) =>
        Data(dev).SmEndx.TryGetValue(dev, out var idx) ? idx.Select(i => Data(dev).Smes[i]) : [];

    // ------------------------------------------------------------------ probe and groups

    /// <summary>
    /// arm_smmu_probe_device / arm_smmu_master_alloc_smes: a stream-map entry for every ID of the master
    /// (arm_smmu_find_sme); on a failure the entries taken so far are released and the probe fails.
    /// </summary>
    public Outcome ProbeDevice(IommuDevice dev)
    {
        var data = Data(dev);
        var idx = new List<int>();
        foreach (SmmuStreamId id in dev.Spec.Ids)
        {
            var found = FindSme(data, id.Stream, id.Mask);
            if (!found.Ok)
            {
                foreach (var i in idx) FreeSme(data.Smes[i]);
                return found.AsOutcome;
            }
            var sme = data.Smes[found.Value];
            if (sme.Count++ == 0)
            {
                sme.Id = id.Stream;
                sme.Mask = id.Mask;
                sme.Valid = true;
            }
            idx.Add(found.Value);
        }
        data.SmEndx[dev] = idx.ToArray();
        return Outcome.Success;
    }

    /// <summary>arm_smmu_release_device → arm_smmu_master_free_smes: the master's stream-map entries are given back (an SMR whose count drops to 0 is invalidated).</summary>
    public void ReleaseDevice(IommuDevice dev)
    {
        var data = Data(dev);
        if (!data.SmEndx.Remove(dev, out var idx)) return;
        foreach (var i in idx) FreeSme(data.Smes[i]);
    }

    private static void FreeSme(Sme sme)
    {
        if (--sme.Count == 0) sme.Valid = false;
    }

    /// <summary>
    /// arm_smmu_find_sme: an existing entry that entirely matches (id, mask) is reused; any other overlap
    /// with a valid entry is -EINVAL (some stream ID would match two SMRs); else the first free entry,
    /// or -ENOSPC when all NUMSMRG are valid.
    /// </summary>
    private static Result<int> FindSme(SmmuData data, uint id, uint mask)
    {
        int free = -1;
        for (int i = 0; i < data.Smes.Length; i++)
        {
            var smr = data.Smes[i];
            if (!smr.Valid)
            {
                if (free < 0) free = i;
                continue;
            }
            if ((mask & smr.Mask) == mask && ((id ^ smr.Id) & ~smr.Mask) == 0) return Result<int>.Of(i);
            if (((id ^ smr.Id) & ~(smr.Mask | mask)) == 0)
                return Result<int>.Fail(Errno.EINVAL, $"stream 0x{id:x}/0x{mask:x} overlaps SMR{i} (0x{smr.Id:x}/0x{smr.Mask:x}) without being contained in it (arm_smmu_find_sme, {Src})");
        }
        return free >= 0 ? Result<int>.Of(free)
            : Result<int>.Fail(Errno.ENOSPC, $"all {data.Smes.Length} stream-match registers of {data.Inst.Name} are in use (arm_smmu_find_sme, {Src})");
    }

    /// <summary>
    /// arm_smmu_device_group: reuse the group remembered on the device's stream-map entries; else
    /// pci_device_group for a PCI master with a described topology (Kernel.PciDeviceGroup), or
    /// generic_device_group (a new group); the group is remembered on the entries either way.
    /// </summary>
    public Result<GroupKey> DeviceGroup(IommuDevice dev)
    {
        var data = Data(dev);
        GroupKey? group = null;
        string? why = null;
        foreach (var sme in SmesOf(dev))
        {
            if (group is not null && sme.Group is not null && group != sme.Group)
                return Result<GroupKey>.Fail(Errno.EINVAL, $"{dev.Name}'s stream-map entries already belong to two different groups (arm_smmu_device_group, {Src})");
            group = sme.Group; // the last entry's group, as the loop leaves it
        }
        if (group is not null && dev.Pci is not null)
        {
            // the master that took the shared entry first (its group is the one remembered)
            var mine = data.SmEndx.GetValueOrDefault(dev) ?? [];
            var (first, sme) = data.SmEndx.Where(kv => kv.Key != dev).SelectMany(kv => kv.Value.Intersect(mine).Select(i => (kv.Key, i))).FirstOrDefault();
            why = first is null
                ? $"{dev.Name}'s stream-map entries (streams {Streams(dev)}) already remember a group: arm_smmu_device_group takes it before pci_device_group"
                : $"{dev.Name} joins {first.Name}: the stream-map entry for 0x{data.Smes[sme].Id:x} that {first.Name} took first remembers its group (arm_smmu_device_group, before pci_device_group)";
        }
        if (group is null && dev.Pci is not null)
        {
            var d = _core.PciDeviceGroup(dev);
            group = d.Group?.Key ?? new SmmuGroupKey(data.Inst.Name, _groups++);
            why = d.Why;
        }
        group ??= new SmmuGroupKey(data.Inst.Name, _groups++); // generic_device_group, or a PCI master without a described topology
        foreach (var sme in SmesOf(dev)) sme.Group = group;
        return Result<GroupKey>.Of(group, why);
    }

    /// <summary>A group remembered on stream-map entries (smmu->s2crs[idx].group).</summary>
    internal sealed record SmmuGroupKey(string Smmu, int Number) : GroupKey;

    /// <summary>arm_smmu_device_group (Linux 7.0): a group remembered on a master's stream-map entries is reused; otherwise a new group.</summary>
    public string GroupRule(IommuGroup group)
    {
        if (group.Devices.Any(d => d.Pci is not null))
            return "arm_smmu_device_group (pci_device_group for PCI masters): " + string.Join("; ", group.Devices.Select(d => d.GroupWhy is { } w ? $"{w} [streams {Streams(d)}]" : $"{d.Name}: generic_device_group (a platform master) [streams {Streams(d)}]"));
        if (group.Devices.Count == 1)
            return $"arm_smmu_device_group: no stream-map entry of {group.Devices[0].Name}'s (streams {Streams(group.Devices[0])}) belonged to a group yet, so a new one "
                + (group.Devices[0].Spec.Bus == Bus.Pci
                    ? "(pci_device_group; the SoC file gives no PCI topology for it, no pci key, so no alias or ACS rule can join it to another)"
                    : "(generic_device_group)");
        var first = group.Devices[0];
        var shared = group.Devices.Skip(1).Select(d => (d, SmesOf(d).Intersect(SmesOf(first)).Select(s => Hex.Of(s.Id)).ToList())).ToList();
        return "arm_smmu_device_group: " + string.Join("; ", shared.Select(x => x.Item2.Count > 0
            ? $"{x.d.Name} matches the stream-map entry of {string.Join(", ", x.Item2)} that {first.Name} took first, and that entry remembers {first.Name}'s group"
            : $"{x.d.Name}'s stream-map entries remember this group"));
    }

    /// <summary>arm_smmu_def_domain_type: only an implementation hook answers; none is modelled.</summary>
    public DomainType? DefDomainType(IommuDevice dev) => null;

    /// <summary>arm_smmu_capable: CACHE_COHERENCY needs a coherent table walk (not modelled); NOEXEC and DEFERRED_FLUSH are true.</summary>
    public bool Capable(IommuDevice dev, IommuCap cap) => cap is IommuCap.NoExec or IommuCap.DeferredFlush;

    // ------------------------------------------------------------------ domains

    /// <summary>arm_smmu_domain_alloc_paging: a wrapper with the SMMU's page sizes; the context comes at the first attach.</summary>
    public Result<IommuDomain> DomainAllocPaging(IommuDevice dev, int id) =>
        Result<IommuDomain>.Of(new SmmuDomain(id, this, PgSizes));

    /// <summary>arm_smmu_destroy_domain_context: free_io_pgtable_ops flushes the ASID, then the bank is released.</summary>
    public void DomainFree(IommuDomain domain)
    {
        var p = ToSmmuDomain(domain);
        if (p.Smmu is not { } smmu) return;
        var cb = smmu.Cbs[p.Cbndx];
        cb.Tlb.InvalidateAsid();
        cb.Dom = null;
        p.Smmu = null;
        p.Cbndx = -1;
    }

    /// <summary>arm_smmu_init_domain_context: the first attach picks a context bank and builds the table.</summary>
    private Outcome InitDomainContext(IommuDomain d, SmmuData smmu)
    {
        var p = ToSmmuDomain(d);
        if (p.Smmu is not null) return Outcome.Success;
        // A stage-1 context: start = smmu->num_s2_context_banks in __arm_smmu_alloc_bitmap (the first
        // NUMS2CB banks hold stage-2 contexts only).
        int start = SmmuConfig.Of(smmu.Inst).S2Banks;
        var cb = smmu.Cbs.Skip(start).FirstOrDefault(c => c.Dom is null);
        if (cb is null)
            return Outcome.Fail(Errno.ENOSPC, $"all {smmu.Cbs.Length - start} stage-1 context banks of {smmu.Inst.Name} (cb{start}..cb{smmu.Cbs.Length - 1}{(start > 0 ? $"; cb0..cb{start - 1} are stage-2 only" : "")}) are in use (__arm_smmu_alloc_bitmap from num_s2_context_banks, arm_smmu_init_domain_context, {Src})");
        var cfg = new IoPgtableCfg(smmu.Inst.Ias, smmu.Inst.Oas, PgSizes, PgtableQuirks.None);
        var pt = IoPgtableFormats.Alloc(IoPgtableFormat.ArmLpaeS1, cfg, _core.Machine.Memory, _core.Machine.Pages);
        if (pt is null)
            return Outcome.Fail(Errno.ENOMEM, $"failed to allocate IO pgtable (arm_smmu_init_domain_context, {Src})");
        cb.Dom = d;
        p.Smmu = smmu;
        p.Cbndx = cb.Index;
        d.PageTable = pt;
        d.PgsizeBitmap = pt.Cfg.PgsizeBitmap;
        d.ApertureStart = 0;
        d.ApertureEnd = smmu.Inst.Ias >= 64 ? ulong.MaxValue : (1UL << smmu.Inst.Ias) - 1;
        d.ForceAperture = true;
        d.GeometrySet = true;
        return Outcome.Note($"{d.Name}: {smmu.Inst.Name} context bank {cb.Index} (ASID {cb.Index}), LPAE S1 table at {Hex.Of(pt.Ttbr)}, ias {smmu.Inst.Ias}, oas {smmu.Inst.Oas} (arm_smmu_init_domain_context)");
    }

    // ------------------------------------------------------------------ attach

    public Outcome AttachDev(IommuDomain domain, IommuDevice dev, IommuDomain? old, ScriptSite site)
    {
        var data = Data(dev);
        var init = InitDomainContext(domain, data);
        if (!init.Ok) return init;
        var p = ToSmmuDomain(domain);
        if (p.Smmu != data)
            return Outcome.Fail(Errno.EINVAL, $"{domain.Name} was finalised on {p.Smmu!.Inst.Name}, not {data.Inst.Name} (arm_smmu_attach_dev, {Src})");
        foreach (var sme in SmesOf(dev))
        {
            sme.Type = S2crType.Trans;
            sme.Cbndx = p.Cbndx;
        }
        var note = $"{dev.Name}: S2CR TRANS → cb{p.Cbndx} for streams {Streams(dev)}";
        return Outcome.Note(init.Why is null ? note : init.Why + "; " + note);
    }

    /// <summary>arm_smmu_attach_dev_identity / _blocked: every stream-map entry of the master to S2CR BYPASS or FAULT.</summary>
    private Outcome S2crAttach(IommuDevice dev, S2crType type)
    {
        foreach (var sme in SmesOf(dev)) sme.Type = type;
        return Outcome.Note($"{dev.Name}: S2CR type {(type == S2crType.Bypass ? "BYPASS" : "FAULT")} for streams {Streams(dev)} ({(type == S2crType.Bypass ? "arm_smmu_attach_dev_identity" : "arm_smmu_attach_dev_blocked")})");
    }

    private static string Streams(IommuDevice dev) => string.Join(", ", dev.Spec.Ids.Cast<SmmuStreamId>().Select(i => $"0x{i.Stream:x}" + (i.Mask != 0 ? $"/0x{i.Mask:x}" : "")));

    // ------------------------------------------------------------------ reserved regions

    /// <summary>arm_smmu_get_resv_regions: the SW_MSI window, then iommu_dma_get_resv_regions (DT iommu-addresses).</summary>
    public IReadOnlyList<ResvRegion> GetResvRegions(IommuDevice dev, ScriptSite site) => _resv.For(dev, site);

    public string ResvRegionsRule =>
        "arm_smmu_get_resv_regions reports the software MSI window [0x8000000, 0x80fffff] and calls iommu_dma_get_resv_regions, so DT iommu-addresses are honoured (" + Src + ")";

    /// <summary>No per-master bank: a context bank belongs to the attached domain (dev.bank is nil).</summary>
    public int? DeviceBank(IommuDevice dev) => null;

    /// <summary>No IOVA regions in this family.</summary>
    public string? DeviceRegion(IommuDevice dev) => null;

    /// <summary>Where the group's stream-map entries point (arm_smmu_write_s2cr): a context bank, bypass or fault.</summary>
    public string GroupSlot(IommuGroup group) => SmesOf(group.Devices[0]).FirstOrDefault() is not { } sme ? "no stream-map entry"
        : sme.Type switch { S2crType.Trans => $"context bank {sme.Cbndx}", S2crType.Bypass => "S2CR bypass", _ => "S2CR fault" };

    public string DeviceLocation(IommuDevice dev)
    {
        if (SmesOf(dev).FirstOrDefault() is not { } sme) return $"streams {Streams(dev)}, no stream-map entry (probe or registration failed)";
        var s2cr = sme.Type switch { S2crType.Trans => $"cb{sme.Cbndx}", S2crType.Bypass => "bypass", _ => "fault" };
        return $"streams {Streams(dev)}, S2CR {s2cr}";
    }
}
