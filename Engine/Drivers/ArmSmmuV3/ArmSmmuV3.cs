using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>
/// The Arm SMMUv3 driver as an ops table (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c; first read in
/// the 6.18.y stable tree; arm_smmu_device_probe with its error path and arm_smmu_device_reset re-read in
/// mainline at the 7.1 merge window, which is 7.0 plus the 7.1 iommu pull — its arm_smmu_invs
/// invalidation rework is 7.1's and not modelled; the 7.0 invalidation path is). Models: the probe's
/// error path after a failed registration (arm_smmu_device_disable: CR0 = 0, traffic follows
/// SMMU_GBPA, see RegistrationFailed), arm_smmu_probe_device / arm_smmu_insert_master (each stream ID in range of the
/// stream table, else -ERANGE; a level-2 table allocated for it; a stream ID another master already
/// inserted is "Aliasing StreamID … unsupported" and -ENODEV), arm_smmu_device_group (platform
/// masters: generic_device_group, a group each; PCI masters: pci_device_group, Kernel.PciDeviceGroup), arm_smmu_capable (CACHE_COHERENCY = coherent; NOEXEC and
/// DEFERRED_FLUSH true), arm_smmu_domain_alloc_paging_flags (stage 1, finalised at once:
/// arm_smmu_domain_finalise_s1 takes an ASID from the one xarray every SMMU shares,
/// XA_LIMIT(1, 2^asid_bits − 1) — when none is left, xa_alloc's -EBUSY takes the error path into a
/// NULL dereference (see DomainAllocPaging); AArch64 LPAE S1 table, aperture
/// [0, 2^ias)), arm_smmu_attach_dev (-EINVAL for another SMMU's domain; CD table allocated; CD 0 and
/// then the STE written through arm_smmu_write_entry, with CFGI_CD / CFGI_STE + CMD_SYNC per step and a
/// PREFETCH_CFG after each STE), the identity and blocked domains (bypass and abort STEs, then CD 0
/// cleared), arm_smmu_release_device (STE back to abort, or bypass with require_direct),
/// arm_smmu_domain_free_paging (TLBI_NH_ASID + CMD_SYNC from free_io_pgtable_ops, then the ASID
/// freed), ATS (arm_smmu_attach_prepare / _commit: EATS TRANS for a paging domain, arm_smmu_enable_ats
/// after a whole-ATC ATC_INV, off for identity and blocked) and arm_smmu_get_resv_regions (software
/// MSI window + iommu_dma_get_resv_regions).
/// Invalidation, the hardware walk and the event queue are in ArmSmmuV3.Tlb.cs and ArmSmmuV3.Events.cs.
/// Not modelled: substreams and PASIDs (one CD per master; set_dev_pasid, SVA), PRI,
/// stage-2 and nested domains (an SMMU without stage 1 is not modelled), stalls and IOPF, dirty
/// tracking (HTTU), the 16K/64K granules and 52-bit addresses, vSMMU/iommufd, the configuration
/// cache (the driver always issues CFGI, so it is never stale), arm_smmu_def_domain_type's HiSilicon
/// PTT quirk (PCI IDs are not in the SoC file), and the global error (GERROR) interrupt.
/// </summary>
public sealed partial class ArmSmmuV3 : IIommuDriver
{
    private const string Src = "drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c";
    /// <summary>SZ_4K | SZ_2M | SZ_1G: smmu->pgsize_bitmap from IDR5.GRAN4K.</summary>
    public const ulong PgSizes = 0x1000UL | 0x20_0000UL | 0x4000_0000UL;

    private readonly IommuCore _core;
    private readonly Dictionary<IommuInstance, SmmuV3Data> _data = new(ReferenceEqualityComparer.Instance);
    private readonly IommuDomain _identity, _blocked;
    private readonly SwMsiResvRegions _resv;
    /// <summary>arm_smmu_asid_xa (DEFINE_XARRAY_ALLOC1): one ASID space for every SMMU of the system.</summary>
    private readonly bool[] _asids = new bool[1 << 16];
    /// <summary>CD tables by address and page tables by TTB0: what the SMMU reaches from an STE and a CD.</summary>
    private readonly Dictionary<ulong, SmmuV3Master> _cdTables = new();
    private readonly Dictionary<ulong, SmmuV3Domain> _tables = new();
    private int _groups;

    public ArmSmmuV3(IommuCore core)
    {
        _core = core;
        _identity = new StaticDomain(DomainType.Identity, this, (dev, old) => AttachSte(dev, old, StreamTableEntry.Bypass(), "arm_smmu_attach_dev_identity"));
        _blocked = new StaticDomain(DomainType.Blocked, this, (dev, old) => AttachSte(dev, old, StreamTableEntry.Abort(), "arm_smmu_attach_dev_blocked"));
        _resv = new SwMsiResvRegions(core, "arm_smmu_get_resv_regions");
        foreach (var inst in core.Soc.Iommus.Where(i => i.Driver == "arm-smmu-v3"))
            _data[inst] = new SmmuV3Data(inst);
    }

    public string Name => "arm-smmu-v3";
    public IommuDomain? IdentityDomain => _identity;
    public IommuDomain? BlockedDomain => _blocked;

    private SmmuV3Data Data(IommuDevice dev) => _data[dev.Iommu];
    /// <summary>The device's stream IDs in fwspec order (made once per device: every access asks).</summary>
    private uint[] Sids(IommuDevice dev)
    {
        if (dev.Priv is SmmuV3Master m) return m.Sids;
        if (!_sids.TryGetValue(dev, out var sids)) _sids[dev] = sids = dev.Spec.Ids.OfType<SmmuV3StreamId>().Select(i => i.Stream).ToArray();
        return sids;
    }

    private readonly Dictionary<IommuDevice, uint[]> _sids = new();
    /// <summary>dev_iommu_priv_get: the master the probe made, null when it failed or after release.</summary>
    private static SmmuV3Master? Master(IommuDevice dev) => dev.Priv as SmmuV3Master;
    private static SmmuV3Domain ToSmmuDomain(IommuDomain d) => (SmmuV3Domain)d;
    private static string SidList(IEnumerable<uint> sids) => string.Join(", ", sids.Select(s => $"0x{s:x}"));

    /// <summary>The STE of the device's first stream ID and its CD 0, as the SMMU reads them (tests and the report).</summary>
    internal ulong[] Ste(IommuDevice dev) => Data(dev).Ste(Sids(dev)[0]);
    internal ulong[] Cd0(IommuDevice dev) => Master(dev)?.Cd0 ?? new ulong[8];

    public IReadOnlyList<QueuedCommand> TakeCommands(IommuInstance inst) => _data.TryGetValue(inst, out var d) ? d.Cmdq.Take() : [];

    // ------------------------------------------------------------------ probe and groups

    /// <summary>arm_smmu_probe_device → arm_smmu_insert_master (arm_smmu_init_sid_strtab, the SID tree).</summary>
    public Outcome ProbeDevice(IommuDevice dev)
    {
        var smmu = Data(dev);
        var sids = Sids(dev);
        var master = new SmmuV3Master(dev, smmu, sids)
        {
            AtsSupported = smmu.Cfg.Ats && dev.Spec.Bus == Bus.Pci && dev.Spec.Ids.OfType<SmmuV3StreamId>().Any(i => i.Ats),
        };
        var inserted = new List<uint>();
        Outcome fail = Outcome.Success;
        foreach (var sid in sids)
        {
            if (!smmu.SidInRange(sid))
            {
                fail = Outcome.Fail(Errno.ERANGE, $"stream 0x{sid:x} is beyond {smmu.Inst.Name}'s stream table ({Families.Find(smmu.Inst.Driver)!.DescribeBanks(smmu.Inst)}; arm_smmu_sid_in_range in arm_smmu_init_sid_strtab, {Src})");
                break;
            }
            if (smmu.Cfg.UsesTwoLevel) smmu.L2Tables.Add(sid >> SmmuV3Config.StrtabSplit); // arm_smmu_init_l2_strtab: kept even if the probe fails
            if (smmu.Streams.TryGetValue(sid, out var existing))
            {
                if (existing == master) continue; // bridged PCI devices may repeat an ID
                fail = Outcome.Fail(Errno.ENODEV, $"\"Aliasing StreamID 0x{sid:x} (from {existing.Dev.Name}) unsupported, expect DMA to be broken\" (arm_smmu_insert_master, {Src})");
                break;
            }
            smmu.Streams[sid] = master;
            inserted.Add(sid);
        }
        if (!fail.Ok)
        {
            foreach (var sid in inserted) smmu.Streams.Remove(sid);
            return fail;
        }
        dev.Priv = master; // dev_iommu_priv_set
        return Outcome.Success;
    }

    /// <summary>arm_smmu_release_device: the STE back to abort (bypass with require_direct), the streams removed, the CD table freed.</summary>
    public void ReleaseDevice(IommuDevice dev)
    {
        if (Master(dev) is not { } master) return;
        var ste = dev.RequireDirect ? StreamTableEntry.Bypass() : StreamTableEntry.Abort();
        InstallSte(master, ste);
        AttachCommit(master, ats: false);
        ClearCd(master);
        foreach (var sid in master.Sids) master.Smmu.Streams.Remove(sid);
        if (master.CdTableAllocated)
        {
            _cdTables.Remove(master.CdTableDma);
            _core.Machine.Pages.FreeKernel(master.CdTableDma, 0x1000);
            master.CdTableDma = 0;
        }
        dev.Priv = null;
    }

    /// <summary>
    /// arm_smmu_device_group: pci_device_group for a PCI master (the core's PciDeviceGroup: aliases, ACS,
    /// multifunction slots), else generic_device_group (a new group). A PCI master whose topology the
    /// SoC file does not describe (an explicit stream, no pci key) gets a new group.
    /// </summary>
    public Result<GroupKey> DeviceGroup(IommuDevice dev)
    {
        if (dev.Pci is null) return Result<GroupKey>.Of(new V3GroupKey(dev.Iommu.Name, _groups++));
        var d = _core.PciDeviceGroup(dev);
        return Result<GroupKey>.Of(d.Group?.Key ?? new V3GroupKey(dev.Iommu.Name, _groups++), d.Why);
    }

    /// <summary>
    /// arm_smmu_device_probe after iommu_device_register failed (since v6.14, fcbd62156742 "iommu/arm-smmu-v3:
    /// Clean up more on probe failure"): err_free_sysfs → err_disable: arm_smmu_device_disable writes
    /// CR0 = 0, so the SMMU no longer uses the stream table arm_smmu_device_reset had enabled (and its
    /// memory, devm-allocated, is freed with the failed probe). Traffic then follows SMMU_GBPA.
    /// </summary>
    public string? RegistrationFailed(IommuInstance inst)
    {
        var smmu = _data[inst];
        smmu.Enabled = false;
        return $"{inst.Name}: arm_smmu_device_probe's error path disables the SMMU (arm_smmu_device_disable: CR0 = 0, SMMUEN clear; since v6.14, fcbd62156742; {Src}, Linux 7.0): " +
               "no stream table, no STE and no event queue are in use any more, so no stream meets an abort STE or a C_BAD_STREAMID event; incoming transactions follow SMMU_GBPA: " +
               (smmu.Cfg.GbpaAbort ? "GBPA.ABORT is set (gbpa-abort), so they are terminated with an abort, and nothing is recorded"
                                   : "GBPA.ABORT is clear (gbpa-abort: false, the default), so they bypass the SMMU untranslated — the DMA API's dma-direct addresses reach memory");
    }

    private sealed record V3GroupKey(string Smmu, int Number) : GroupKey;

    public string GroupRule(IommuGroup group)
    {
        var dev = group.Devices[0];
        if (group.Devices.Any(d => d.Pci is not null))
            return "arm_smmu_device_group → pci_device_group: " + string.Join("; ", group.Devices.Select(d => $"{d.GroupWhy} [streams {SidList(Sids(d))}]"));
        return dev.Spec.Bus == Bus.Pci
            ? $"arm_smmu_device_group → pci_device_group for {dev.Name} (streams {SidList(Sids(dev))}); the SoC file gives no PCI topology for it (no pci key), so no alias or ACS rule can join it to another: a group of its own"
            : $"arm_smmu_device_group → generic_device_group: {dev.Name} (streams {SidList(Sids(dev))}) gets a group of its own — arm-smmu-v3 never shares stream IDs between platform masters";
    }

    /// <summary>arm_smmu_def_domain_type: only the HiSilicon PTT (a PCI ID) asks for identity; not modelled.</summary>
    public DomainType? DefDomainType(IommuDevice dev) => null;

    /// <summary>arm_smmu_capable.</summary>
    public bool Capable(IommuDevice dev, IommuCap cap) => cap switch
    {
        IommuCap.CacheCoherency => Data(dev).Cfg.Coherent, // "Assume that a coherent TCU implies coherent TBUs"
        IommuCap.NoExec or IommuCap.DeferredFlush => true,
        _ => false, // DIRTY_TRACKING needs HTTU (HD), not modelled
    };

    // ------------------------------------------------------------------ domains

    /// <summary>arm_smmu_domain_alloc_paging_flags (flags 0): stage 1, then arm_smmu_domain_finalise.</summary>
    public Result<IommuDomain> DomainAllocPaging(IommuDevice dev, int id)
    {
        var smmu = Data(dev);
        int limit = (1 << smmu.Cfg.AsidBits) - 1;
        int asid = 0;
        for (int a = 1; a <= limit; a++)
            if (!_asids[a]) { asid = a; break; }
        var cfg = new IoPgtableCfg(smmu.Inst.Ias, smmu.Inst.Oas, PgSizes, PgtableQuirks.None, smmu.Cfg.Coherent);
        var pt = IoPgtableFormats.Alloc(IoPgtableFormat.ArmLpaeS1, cfg, _core.Machine.Memory, _core.Machine.Pages);
        if (pt is null)
            return Result<IommuDomain>.Fail(Errno.ENOMEM, $"alloc_io_pgtable_ops failed (arm_smmu_domain_finalise, {Src})");
        if (asid == 0)
        {
            // xa_alloc is -EBUSY with cd.asid left 0; arm_smmu_domain_finalise then calls
            // free_io_pgtable_ops, whose io_pgtable_tlb_flush_all runs arm_smmu_tlb_inv_context on a
            // domain whose ->smmu is still NULL (set only after finalise succeeds): arm_smmu_tlb_inv_asid
            // reads smmu->features.
            throw new KernelOopsException($"all {limit} ASIDs of {smmu.Inst.Name} (1..{limit}, asid_bits {smmu.Cfg.AsidBits}) are in use: xa_alloc in arm_smmu_domain_finalise_s1 fails with -EBUSY, and arm_smmu_domain_finalise's free_io_pgtable_ops flushes through arm_smmu_tlb_inv_context with smmu_domain->smmu still NULL (a NULL dereference in arm_smmu_tlb_inv_asid; {Src}, read in 6.18.y)");
        }
        _asids[asid] = true;
        var d = new SmmuV3Domain(id, this, pt.Cfg.PgsizeBitmap, smmu, (ushort)asid)
        {
            PageTable = pt,
            ApertureStart = 0,
            ApertureEnd = (1UL << smmu.Inst.Ias) - 1,
            ForceAperture = true,
            GeometrySet = true,
        };
        _tables[pt.Ttbr] = d;
        return Result<IommuDomain>.Of(d, $"{smmu.Inst.Name}: stage-1 domain, ASID {asid}, LPAE S1 table at {Hex.Of(pt.Ttbr)}, ias {smmu.Inst.Ias}, oas {smmu.Inst.Oas} (arm_smmu_domain_finalise)");
    }

    /// <summary>arm_smmu_domain_free_paging: free_io_pgtable_ops (its tlb_flush_all: TLBI_NH_ASID + CMD_SYNC), then the ASID erased.</summary>
    public void DomainFree(IommuDomain domain)
    {
        var d = ToSmmuDomain(domain);
        InvalidateAsid(d);
        if (d.PageTable is { } pt) _tables.Remove(pt.Ttbr);
        _asids[d.Asid] = false;
    }

    // ------------------------------------------------------------------ attach

    /// <summary>arm_smmu_attach_dev for a stage-1 paging domain.</summary>
    public Outcome AttachDev(IommuDomain domain, IommuDevice dev, IommuDomain? old, ScriptSite site)
    {
        var master = Master(dev)!;
        var d = ToSmmuDomain(domain);
        if (d.Smmu != master.Smmu)
            return Outcome.Fail(Errno.EINVAL, $"{domain.Name} was finalised on {d.Smmu.Inst.Name}, not {master.Smmu.Inst.Name} (arm_smmu_attach_dev, {Src})");
        if (!master.CdTableAllocated)
        {
            // arm_smmu_alloc_cd_ptr → arm_smmu_alloc_cd_tables: linear, 1 << s1cdmax (= 1) CDs
            if (_core.Machine.Pages.AllocKernel(0x1000, 0x1000, ulong.MaxValue) is not { } pa)
                return Outcome.Fail(Errno.ENOMEM, $"no memory for {dev.Name}'s CD table (arm_smmu_alloc_cd_ptr, {Src})");
            master.CdTableDma = pa;
            _cdTables[pa] = master;
        }
        var pt = d.PageTable!;
        var cd = ContextDescriptor.S1(pt.Ttbr, pt.Cfg.Ias, pt.Cfg.Oas, pt.Cfg.CoherentWalk, d.Asid);
        var cdKind = WriteCd(master, cd);
        bool stalld = master.Smmu.Cfg.Stalls; // FEAT_STALLS and the master not stall_enabled (dma-can-stall not modelled)
        // arm_smmu_attach_prepare: a paging domain gets ATS when the master supports it
        bool ats = master.AtsSupported;
        if (ats) d.NrAtsMasters++;
        d.Devices.Add(master);
        var ste = StreamTableEntry.CdTable(master.CdTableDma, 0, StreamTableEntry.S1DssSsid0, stalld, master.Smmu.Cfg.E2h, eatsTrans: ats);
        var steKind = InstallSte(master, ste);
        var atsNote = AttachCommit(master, ats);
        master.Domain = d;
        return Outcome.Note($"{dev.Name}: CD 0 → ASID {d.Asid}, TTB0 {Hex.Of(pt.Ttbr)} ({cdKind}); STE S1 translate, S1DSS SSID0{(ats ? ", EATS TRANS" : "")} for streams {SidList(master.Sids)} ({steKind}){atsNote} (arm_smmu_attach_dev)");
    }

    /// <summary>
    /// arm_smmu_attach_commit after the STE: ATS turned on (the whole ATC invalidated, then
    /// pci_enable_ats), kept (the ATC invalidated for the new translation) or turned off (pci_disable_ats
    /// came in prepare; the whole ATC invalidated); then the master leaves the old domain's list
    /// (arm_smmu_remove_master_domain, which drops nr_ats_masters when ATS was on).
    /// </summary>
    private static string AttachCommit(SmmuV3Master master, bool ats)
    {
        string note = "";
        if (ats && !master.AtsEnabled)
        {
            AtcInvMaster(master);
            note = "; ATC invalidated and ATS enabled (arm_smmu_enable_ats)";
        }
        else if (ats && master.AtsEnabled)
        {
            AtcInvMaster(master);
            note = "; ATC invalidated (the translation changed)";
        }
        else if (!ats && master.AtsEnabled)
        {
            AtcInvMaster(master);
            note = "; ATS disabled and the ATC invalidated";
        }
        if (master.Domain is { } old)
        {
            old.Devices.Remove(master);
            if (master.AtsEnabled) old.NrAtsMasters--;
        }
        master.Domain = null;
        master.AtsEnabled = ats;
        return note;
    }

    /// <summary>arm_smmu_atc_inv_master (IOMMU_NO_PASID): ATC_INV of everything for each stream, then CMD_SYNC; the device's ATC empties.</summary>
    private static void AtcInvMaster(SmmuV3Master master)
    {
        var smmu = master.Smmu;
        foreach (var sid in master.Sids) smmu.Batch.Add(new CmdqEnt(CmdOp.AtcInv) { Sid = sid, Size = CmdqEnt.AtcSizeAll });
        smmu.Batch.Submit();
        if (master.AtsSupported) master.Atc.InvalidateRange(0, ulong.MaxValue >> 12);
    }

    /// <summary>arm_smmu_attach_dev_ste: the STE for every stream, then CD 0 cleared (arm_smmu_clear_cd).</summary>
    private Outcome AttachSte(IommuDevice dev, IommuDomain? old, ulong[] ste, string fn)
    {
        if (Master(dev) is not { } master) return Outcome.Success;
        // arm_smmu_attach_prepare with a non-paging domain: ATS off (bypass and abort STEs cannot do ATS)
        InstallSte(master, ste);
        var atsNote = AttachCommit(master, ats: false);
        ClearCd(master);
        return Outcome.Note($"{dev.Name}: {StreamTableEntry.Describe(ste)} for streams {SidList(master.Sids)}{atsNote} ({fn})");
    }

    /// <summary>arm_smmu_install_ste_for_dev: arm_smmu_write_ste for each stream ID once.</summary>
    private static EntryWriter.Result InstallSte(SmmuV3Master master, ulong[] target)
    {
        var kind = default(EntryWriter.Result);
        var seen = new HashSet<uint>();
        foreach (var sid in master.Sids)
        {
            if (!seen.Add(sid)) continue; // bridged PCI devices may end up with duplicated IDs
            var smmu = master.Smmu;
            kind = EntryWriter.Write(smmu.Ste(sid), target, StreamTableEntry.Used, StreamTableEntry.UpdateSafe,
                () => smmu.Cmdq.Issue(new CmdqEnt(CmdOp.CfgiSte) { Sid = sid, Leaf = true }, sync: true));
            // arm_smmu_write_ste: "It's likely that we'll want to use the new STE soon"
            smmu.Cmdq.Issue(new CmdqEnt(CmdOp.PrefetchCfg) { Sid = sid }, sync: false);
        }
        return kind;
    }

    /// <summary>arm_smmu_write_cd_entry for CD 0, synced by arm_smmu_sync_cd: CFGI_CD per stream in a batch, then CMD_SYNC.</summary>
    private static EntryWriter.Result WriteCd(SmmuV3Master master, ReadOnlySpan<ulong> target)
    {
        var smmu = master.Smmu;
        return EntryWriter.Write(master.Cd0, target, ContextDescriptor.Used, null, () =>
        {
            foreach (var sid in master.Sids) smmu.Batch.Add(new CmdqEnt(CmdOp.CfgiCd) { Sid = sid, Ssid = 0, Leaf = true });
            smmu.Batch.Submit();
        });
    }

    /// <summary>arm_smmu_clear_cd: a zero CD 0 when the CD table exists.</summary>
    private static void ClearCd(SmmuV3Master master)
    {
        if (master.CdTableAllocated) WriteCd(master, new ulong[8]);
    }

    // ------------------------------------------------------------------ reserved regions

    /// <summary>arm_smmu_get_resv_regions: the SW_MSI window, then iommu_dma_get_resv_regions (DT iommu-addresses).</summary>
    public IReadOnlyList<ResvRegion> GetResvRegions(IommuDevice dev, ScriptSite site) => _resv.For(dev, site);

    public string ResvRegionsRule =>
        "arm_smmu_get_resv_regions reports the software MSI window [0x8000000, 0x80fffff] and calls iommu_dma_get_resv_regions, so DT iommu-addresses are honoured (" + Src + ")";

    public int? DeviceBank(IommuDevice dev) => null;
    public string? DeviceRegion(IommuDevice dev) => null;

    public string GroupSlot(IommuGroup group) => Master(group.Devices[0]) is not { } m ? "no STE (probe failed)" : SteSlot(m);

    private static string SteSlot(SmmuV3Master m)
    {
        var ste = m.Smmu.Ste(m.Sids[0]);
        return StreamTableEntry.Cfg(ste) switch
        {
            StreamTableEntry.CfgS1Trans when m.Domain is { } d => $"STE S1, ASID {d.Asid}",
            StreamTableEntry.CfgBypass => "STE bypass",
            StreamTableEntry.CfgAbort => "STE abort",
            _ => StreamTableEntry.Describe(ste),
        };
    }

    public string DeviceLocation(IommuDevice dev)
    {
        if (!Data(dev).Enabled) return $"streams {SidList(Sids(dev))}; {dev.Iommu.Name} disabled (CR0 = 0): SMMU_GBPA {(Data(dev).Cfg.GbpaAbort ? "abort" : "bypass")}";
        if (Master(dev) is not { } m) return $"streams {SidList(Sids(dev))}, not in the stream table (probe failed)";
        var ste = m.Smmu.Ste(m.Sids[0]);
        return $"streams {SidList(m.Sids)}, {StreamTableEntry.Describe(ste)}" + (m.Domain is { } d && StreamTableEntry.Cfg(ste) == StreamTableEntry.CfgS1Trans ? $", CD 0 ASID {d.Asid}" : "")
            + (m.AtsEnabled ? ", ATS on" : m.AtsSupported ? ", ATS off" : "");
    }
}
