using ScenarioEngine.Yaml;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Drivers.Mediatek;

/// <summary>
/// The MediaTek M4U driver as an ops table (drivers/iommu/mtk_iommu.c, mainline ≈v6.8 cross-checked
/// with ≈v6.19 and the Linux 7.0 copy). Models:
/// mtk_iommu_probe_device (all IDs on one larb unless DL_WITH_MULTI_LARB), mtk_iommu_get_bank_id,
/// mtk_iommu_get_iova_region_id, mtk_iommu_get_group_id (bank ≠ 0 ? bank : region, groups shared by
/// the hw_list), domain_alloc_paging (4K|64K|1M|16M, table created at first attach), the static
/// identity domain (attach clears the ports' MMU-enable bits), no blocked domain,
/// mtk_iommu_domain_finalise (one ARMv7s table per hw_list: every domain finalised after the first
/// copies share_dom's table; aperture = region window), mtk_iommu_attach_device (bank TTBR written
/// only by the bank's first domain, 34-bit DMA mask for region > 0, port enable and the larb's
/// per-port IOVA[33:32] bank field), mtk_iommu_get_resv_regions (nested regions RESERVED; no
/// iommu-addresses, no MSI), mtk_iommu_map/iova_to_phys 4GB-mode PA handling, and the hardware walk
/// of a device access through its bank's table base register.
/// The IOTLB per bank, its range and full invalidations, and the fault interrupt path are in
/// MediatekIommu.Ops.cs and MediatekIommu.Faults.cs.
/// Not modelled: runtime PM (flushes always reach the hardware), SMI larb power links, the second
/// sub-MMU's fault registers, the gen-1 driver (mtk_iommu_v1.c).
/// </summary>
public sealed partial class MediatekIommu : IIommuDriver
{
    private const string Src = "drivers/iommu/mtk_iommu.c";
    public const ulong PgSizes = 0x1000 | 0x10000 | 0x100000 | 0x1000000;
    private const ulong RemapBase4Gb = 0x1_4000_0000UL; // MTK_IOMMU_4GB_MODE_REMAP_BASE

    private readonly IommuCore _core;
    /// <summary>The machine's event log (its line stamps IOTLB entries made stale; read on every map).</summary>
    private readonly Dictionary<IommuInstance, MtkData> _data = new(ReferenceEqualityComparer.Instance);
    private readonly IommuDomain _identity;

    /// <summary>Both SHARE_PGTABLE and on the same plat_data->hw_list.</summary>
    private static bool SameHwList(IommuInstance a, IommuInstance b) =>
        a.HasFlag("share-pgtable") && b.HasFlag("share-pgtable") && MtkConfig.Of(a).HwList is { } la && la == MtkConfig.Of(b).HwList;

    public MediatekIommu(IommuCore core)
    {
        _core = core;
        _identity = new StaticDomain(DomainType.Identity, this, IdentityAttach);
        // hw_list: instances joined by shares-pgtable-with, or SHARE_PGTABLE instances naming the same
        // plat_data->hw_list (mtk_iommu_probe: list_add_tail(&data->list, plat_data->hw_list)), in SoC
        // order; the first is frstdata.
        var lists = new List<List<IommuInstance>>();
        foreach (var inst in core.Soc.Iommus.Where(i => i.Driver == "mediatek"))
        {
            var joined = lists.Where(l => l.Any(o => MtkConfig.Of(o).SharesPgtableWith.Contains(inst.Name) || MtkConfig.Of(inst).SharesPgtableWith.Contains(o.Name) || SameHwList(o, inst))).ToList();
            var merged = new List<IommuInstance>();
            foreach (var l in joined) { merged.AddRange(l); lists.Remove(l); }
            merged.Add(inst);
            lists.Add(merged.OrderBy(core.Soc.IommuIndex).ToList());
        }
        bool fourGbDram = core.Soc.Memory.Any(m => m.End > 0x1_0000_0000UL);
        foreach (var list in lists)
        {
            var hw = new HwList(list[0].Name);
            foreach (var inst in list)
            {
                var d = new MtkData(inst, hw, inst.HasFlag("has-4gb-mode") && fourGbDram)
                {
                    // mtk_iommu_probe: devm_kcalloc(2, MTK_PROTECT_PA_ALIGN), aligned to 256 bytes
                    ProtectPa = core.Machine.Pages.AllocKernel(512, 256, 1UL << 32) ?? 0,
                };
                hw.Members.Add(d);
                _data[inst] = d;
            }
        }
    }

    public string Name => "mediatek";
    public IommuDomain? IdentityDomain => _identity;
    public IommuDomain? BlockedDomain => null;

    internal MtkData Data(IommuDevice dev) => _data[dev.Iommu];

    // ------------------------------------------------------------------ probe and groups

    /// <summary>
    /// mtk_iommu_release_device only removes the larb device link: the larb's MMU-enable bits for the
    /// master's ports stay as they were.
    /// </summary>
    public void ReleaseDevice(IommuDevice dev) { }

    /// <summary>
    /// mtk_iommu_probe after iommu_device_register failed (drivers/iommu/mtk_iommu.c, Linux 7.0):
    /// out_sysfs_remove / out_list_del — for an MM instance the component master is never added
    /// (component_master_add_with_match comes after the registration), so the larbs of mediatek,larbs
    /// are never bound to the M4U (mtk_smi_larb_bind, drivers/memory/mtk-smi.c, never runs) and the
    /// kernel never sets a larb port's MMU-enable bit; INFRA and APU instances never reach the switch
    /// mtk_iommu_config sets at attach. What the hardware does with the masters' DMA then — larb ports
    /// at their reset state, larbs and M4U perhaps unclocked — is not modelled: an access is refused
    /// with the reason (<see cref="NotModelledException"/>), never given an outcome.
    /// </summary>
    public string? RegistrationFailed(IommuInstance inst)
    {
        _data[inst].Failed = true;
        return inst.Type == "mm"
            ? $"{inst.Name}: mtk_iommu_probe returns the error before component_master_add_with_match, so its larbs are never bound to it (mtk_smi_larb_bind, drivers/memory/mtk-smi.c, never runs) and the kernel never writes a larb port's MMU-enable bit ({Src}, Linux 7.0); " +
              "what the larbs and the M4U then do with the masters' DMA is not modelled (a device access is a script error saying so)"
            : $"{inst.Name}: mtk_iommu_probe returns the error, and mtk_iommu_config, which switches a master's translation at attach, never runs for its masters ({Src}, Linux 7.0); " +
              "what the hardware then does with their DMA is not modelled (a device access is a script error saying so)";
    }

    /// <summary>The refusal of a device access behind an instance whose registration failed.</summary>
    private static NotModelledException Unmodelled(MtkData data, IommuDevice dev) => new(
        $"what {data.Inst.Name} does with {dev.Name}'s DMA after its registration failed: " +
        (data.Inst.Type == "mm" ? "its larbs were never bound to it (mtk_iommu_probe, mtk_smi_larb_bind), so the kernel never set the ports' MMU-enable bits, and the larbs' reset state is not modelled"
                                : "mtk_iommu_config never switched the master's translation, and the hardware's state then is not modelled") +
        "; the report's Boot section says what the kernel did, and the DMA API's dma-direct calls still work");

    public Outcome ProbeDevice(IommuDevice dev)
    {
        var data = Data(dev);
        if (data.Inst.Type != "mm") return Outcome.Success;
        int larb = ((MtkPortId)dev.Spec.Ids[0]).Larb;
        if (!data.Inst.HasFlag("dl-with-multi-larb") && dev.Spec.Ids.Cast<MtkPortId>().Any(i => i.Larb != larb))
            return Outcome.Fail(Errno.EINVAL, $"Can only use one larb: {dev.Name} has ports on larb{larb} and larb{dev.Spec.Ids.Cast<MtkPortId>().First(i => i.Larb != larb).Larb} (mtk_iommu_probe_device, {Src})");
        return Outcome.Success;
    }

    public Result<GroupKey> DeviceGroup(IommuDevice dev)
    {
        var data = Data(dev);
        int bank = BankId(dev);
        if (bank != 0) return Result<GroupKey>.Of(new MtkGroupKey(data.Hw.Name, bank));
        var region = RegionId(dev);
        if (!region.Ok) return Result<GroupKey>.Fail(region.Errno, region.Why!);
        return Result<GroupKey>.Of(new MtkGroupKey(data.Hw.Name, region.Value));
    }

    /// <summary>
    /// mtk_iommu_device_group → mtk_iommu_get_group_id (Linux 7.0): the group id is the bank when it is
    /// not 0, else the IOVA region, and groups are shared by every instance on the hw_list.
    /// </summary>
    public string GroupRule(IommuGroup group)
    {
        var dev = group.Devices[0];
        var data = Data(dev);
        int bank = BankId(dev);
        var shared = data.Hw.Members.Count > 1 ? $", shared by {string.Join(", ", data.Hw.Members.Select(m => m.Inst.Name))} on one hw_list" : "";
        if (bank != 0)
            return $"mtk_iommu_device_group: group id = bank {bank} (their ports are in bank {bank}'s port mask; a bank ≠ 0 decides){shared}";
        var region = RegionId(dev);
        var name = region.Ok ? MtkConfig.Of(data.Inst).Regions[region.Value].Name : "?";
        return $"mtk_iommu_device_group: group id = region {(region.Ok ? region.Value : -1)} ('{name}'): their ports sit in bank 0, so the IOVA region decides (bank ≠ 0 ? bank : region){shared}";
    }

    /// <summary>Group identity: (hw_list, bank ≠ 0 ? bank : region) — bank 4 and region 4 collide, as in the kernel.</summary>
    /// <summary>The group id within a hw_list (hw_list->m4u_group[id]): a bank ≠ 0 and a region share the index space.</summary>
    private sealed record MtkGroupKey(string HwList, int Id) : GroupKey;

    /// <summary>mtk_iommu_get_bank_id: the first enabled bank whose port mask meets the device's ports; else 0.</summary>
    internal int BankId(IommuDevice dev) => MtkConfig.BankOf(dev.Iommu, dev.Spec.Ids);

    /// <summary>mtk_iommu_get_iova_region_id: the first region whose larb mask holds all the device's ports.</summary>
    internal Result<int> RegionId(IommuDevice dev) => MtkConfig.RegionOf(dev.Iommu, dev.Spec.Ids) is { } r
        ? Result<int>.Of(r)
        : Result<int>.Fail(Errno.EINVAL, $"Can NOT find the region for larb({((MtkPortId)dev.Spec.Ids[0]).Larb}) (mtk_iommu_get_iova_region_id, {Src})");

    public DomainType? DefDomainType(IommuDevice dev) => null;

    /// <summary>mtk_iommu_ops has no .capable: every capability, IOMMU_CAP_DEFERRED_FLUSH included, is absent.</summary>
    public bool Capable(IommuDevice dev, IommuCap cap) => false;

    // ------------------------------------------------------------------ domains

    public Result<IommuDomain> DomainAllocPaging(IommuDevice dev, int id) =>
        Result<IommuDomain>.Of(new MtkDomain(id, this, PgSizes));

    public void DomainFree(IommuDomain domain)
    {
        // mtk_iommu_domain_free (drivers/iommu/mtk_iommu.c, Linux 7.0) only kfree()s the wrapper:
        // hw_list's share_dom and bank->m4u_dom keep pointing at it, and the table stays. Every later
        // read through those pointers is a use-after-free (Finalise, and the ISR in MediatekIommu.Faults.cs).
    }

    /// <summary>to_mtk_domain: a paging domain of this driver is an MtkDomain.</summary>
    internal static MtkDomain ToMtkDomain(IommuDomain d) => (MtkDomain)d;

    /// <summary>mtk_iommu_domain_finalise: share frstdata's table if there is one, else create it; set the aperture.</summary>
    private Outcome Finalise(IommuDomain d, MtkData data, int regionId, ScriptSite site)
    {
        var hw = data.Hw;
        var first = hw.Members[0];
        string note;
        if (hw.ShareDom is { } share)
        {
            // dom->iop = share_dom->iop; dom->cfg = share_dom->cfg: a read of share_dom, freed or not.
            if (share.Freed) _core.Machine.Log.UseAfterFreeRead(site, share, $"mtk_iommu_domain_finalise (share_dom, finalising {d.Name})", null);
            d.PageTable = share.PageTable;
            d.PgsizeBitmap = share.PageTable!.Cfg.PgsizeBitmap;
            note = $"{d.Name} shares {share.Name}'s ARMv7s table (one table per hw_list: mtk_iommu_domain_finalise, {Src})";
        }
        else
        {
            var inst = first.Inst;
            var quirks = PgtableQuirks.ArmNs | PgtableQuirks.NoPerms | PgtableQuirks.ArmMtkExt;
            if (inst.HasFlag("pgtable-pa-35-en")) quirks |= PgtableQuirks.ArmMtkTtbrExt;
            int ias = inst.HasFlag("iova-34-en") ? 34 : 32;
            int oas = inst.HasFlag("has-4gb-mode") ? (first.Enable4Gb ? 33 : 32) : 35;
            var cfg = new IoPgtableCfg(ias, oas, PgSizes, quirks);
            var pt = IoPgtableFormats.Alloc(IoPgtableFormat.ArmV7s, cfg, _core.Machine.Memory, _core.Machine.Pages) as ArmV7sPageTable;
            if (pt is null)
                return Outcome.Fail(Errno.ENOMEM, $"Failed to alloc io pgtable (mtk_iommu_domain_finalise, {Src})");
            d.PageTable = pt;
            d.PgsizeBitmap = pt.Cfg.PgsizeBitmap;
            hw.ShareDom = d;
            note = $"{d.Name} created the hw_list's ARMv7s table at {Hex.Of(pt.L1Pa)} (ias {ias}, oas {oas})";
        }
        var region = MtkConfig.Of(data.Inst).Regions[regionId];
        d.ApertureStart = region.Base;
        d.ApertureEnd = region.Last;
        d.ForceAperture = true;
        d.GeometrySet = true;
        return Outcome.Note(note);
    }

    // ------------------------------------------------------------------ attach

    /// <summary>mtk_iommu_identity_attach: nothing to do if already bypassed or never attached; else the ports' MMU bits go off.</summary>
    private Outcome IdentityAttach(IommuDevice dev, IommuDomain? old)
    {
        if (old == _identity || old is null) return Outcome.Success;
        Config(Data(dev), dev, enable: false, 0);
        return Outcome.Note($"{dev.Name}: ports' MMU-enable bits cleared: DMA bypasses the IOMMU (mtk_iommu_identity_attach)");
    }

    public Outcome AttachDev(IommuDomain domain, IommuDevice dev, IommuDomain? old, ScriptSite site)
    {
        var data = Data(dev);
        var region = RegionId(dev);
        if (!region.Ok) return region.AsOutcome;
        int bankId = BankId(dev);
        var priv = ToMtkDomain(domain);
        var notes = new List<string>();
        if (priv.Bank is null)
        {
            var f = Finalise(domain, data, region.Value, site);
            if (!f.Ok) return f;
            notes.Add(f.Why!);
            priv.Bank = data.Banks[bankId];
        }
        var bank = data.Banks[bankId];
        if (bank.Dom is null)
        {
            bank.Dom = domain;
            bank.Ttbr = ((ArmV7sPageTable)domain.PageTable!).Ttbr;
            notes.Add($"{data.Inst.Name} bank{bankId} initialised: PT_BASE_ADDR = {Hex.Of(bank.Ttbr)} from {domain.Name}");
        }
        else if (bank.Dom != domain)
            notes.Add($"{data.Inst.Name} bank{bankId} already serves {bank.Dom.Name}: TTBR not rewritten (mtk_iommu_attach_device)");
        if (region.Value > 0 && dev.DmaMask < 34)
        {
            dev.DmaMask = dev.CoherentDmaMask = 34;
            notes.Add($"{dev.Name}: DMA mask set to 34 bits (region {region.Value} > 0)");
        }
        Config(data, dev, enable: true, region.Value);
        return notes.Count == 0 ? Outcome.Success : Outcome.Note(string.Join("; ", notes));
    }

    /// <summary>mtk_iommu_config: MM type sets the ports' MMU-enable bits and the larb's per-port IOVA[33:32].</summary>
    private static void Config(MtkData data, IommuDevice dev, bool enable, int regionId)
    {
        // mtk_iommu_config (drivers/iommu/mtk_iommu.c, Linux 7.0) switches a master's translation only for
        // MM (the larb's MMU-enable bits) and INFRA (PERICFG_IOMMU_1) instances; an APU-type instance has
        // no such switch, so attaching the identity domain there changes nothing: the APU keeps
        // translating through the bank's table. (An APU instance that never had a paging domain is
        // modelled as bypassing; its hardware state there is not documented.)
        if (data.Inst.Type == "apu" && !enable) return;
        ulong bankBits = MtkConfig.Of(data.Inst).Regions[regionId].Base >> 32;
        foreach (MtkPortId id in dev.Spec.Ids)
            data.Ports[(id.Larb, id.Port)] = new PortState(enable, enable ? bankBits : 0);
    }

    // ------------------------------------------------------------------ reserved regions

    /// <summary>mtk_iommu_get_resv_regions: every other region lying strictly inside the device's region is RESERVED.</summary>
    public IReadOnlyList<ResvRegion> GetResvRegions(IommuDevice dev, ScriptSite site)
    {
        var r = RegionId(dev);
        if (!r.Ok) return [];
        var regions = MtkConfig.Of(dev.Iommu).Regions;
        var mine = regions[r.Value];
        var list = new List<ResvRegion>();
        foreach (var other in regions)
        {
            if (other.Base <= mine.Base || other.Base + other.Size >= mine.Base + mine.Size) continue;
            list.Add(new ResvRegion(other.Base, other.Size, Prot.None, ResvType.Reserved,
                $"region '{other.Name}' nests inside '{mine.Name}' (mtk_iommu_get_resv_regions)"));
        }
        return list;
    }

    public string ResvRegionsRule =>
        "mtk_iommu_get_resv_regions reports only IOVA regions nested inside the device's region; it never calls iommu_dma_get_resv_regions, so DT iommu-addresses and MSI windows are not honoured (" + Src + ")";

    public int? DeviceBank(IommuDevice dev) => BankId(dev);

    public string? DeviceRegion(IommuDevice dev) => RegionId(dev) is { Ok: true } r ? MtkConfig.Of(dev.Iommu).Regions[r.Value].Name : null;

    /// <summary>The bank the group's ports sit in (every device of a MediaTek group shares it: the bank is part of the group id).</summary>
    public string GroupSlot(IommuGroup group) => $"bank {BankId(group.Devices[0])}";

    public string DeviceLocation(IommuDevice dev)
    {
        var region = RegionId(dev);
        var ports = string.Join(", ", dev.Spec.Ids.Cast<MtkPortId>().Select(i => $"larb{i.Larb}/port{i.Port}"));
        return $"bank{BankId(dev)}, region {(region.Ok ? MtkConfig.Of(dev.Iommu).Regions[region.Value].Name : "none")}, {ports}";
    }
}
