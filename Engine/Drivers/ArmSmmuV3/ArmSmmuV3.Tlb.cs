using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Drivers.ArmSmmuV3;

/// <summary>
/// Map, unmap and TLB maintenance as arm-smmu-v3 drives io-pgtable-arm (arm_smmu_map_pages,
/// arm_smmu_unmap_pages, arm_smmu_iotlb_sync, arm_smmu_flush_iotlb_all and arm_smmu_flush_ops), and
/// the hardware side of an access. The rules that decide when a device still reaches an unmapped page:
/// * unmap: io-pgtable calls tlb_add_page for every leaf it clears, and arm_smmu_tlb_inv_page_nosync
///   only gathers (iommu_iotlb_gather_add_page: a leaf of another size, or one that neither touches
///   nor continues the gathered range, first syncs what was gathered). Nothing is invalidated until
///   iotlb_sync: a missing iommu_iotlb_sync leaves the SMMU's TLB entries valid — stale — unlike SMMU
///   v2, whose tlb_add_page posts TLBIVAL at once.
/// * iotlb_sync (arm_smmu_tlb_inv_range_domain over the gathered range, granule = the gathered page
///   size): TLBI_NH_VA (TLBI_EL2_VA with E2H) for the domain's ASID, leaf, one per granule; with
///   range invalidation (IDR3.RIL) TG, TTL and SCALE/NUM ranges instead (__arm_smmu_tlb_inv_range),
///   in batches of 64 and one CMD_SYNC.
/// * a queued gather (dma-iommu's lazy DMA_FQ path) skips tlb_add_page; the entries stay until the
///   flush queue's flush_iotlb_all (arm_smmu_tlb_inv_context: TLBI_NH_ASID + CMD_SYNC).
/// * freeing a table (a block unmapped or mapped over a table) is tlb_flush_walk at once, queued or
///   not: a non-leaf range invalidation of that block with a 4 KiB granule.
/// * no iotlb_sync_map: a map invalidates nothing else.
/// Hardware: the stream's STE (found through the stream table: no level-2 table or beyond the table is
/// C_BAD_STREAMID) is abort (IHI 0070 §5.2, Config 0b000: "Report abort to device, no event recorded"),
/// bypass, or stage 1 through the CD table's CD 0
/// (S1DSS = SSID0 for transactions without a substream): its ASID tags the SMMU's one TLB, its TTB0 is
/// the table walked. Accesses are unprivileged data accesses; a read-only leaf (AP[2]) faults a write and
/// a privileged-only leaf any access (F_PERMISSION); no valid leaf, or an IOVA beyond the CD's input
/// range, is F_TRANSLATION. An ATS master answers its own accesses from its ATC first (a hit is a
/// translated transaction the STE's EATS lets through); a miss is a Translation Request, served from
/// the SMMU's TLB or a walk, whose result the ATC keeps; a failed one records no event (IHI 0070 §3.9.1).
/// The model assumes an ATS master always asks before it accesses (a device may also send untranslated
/// transactions, which the model does not).
/// </summary>
public sealed partial class ArmSmmuV3
{
    private const ulong ApRdonly = 1UL << 7, ApUnpriv = 1UL << 6;
    private const ulong TlbReadOnly = 1, TlbPrivOnly = 2;

    private static ulong BlockSize(int level) => LpaeTableChunks.BlockSize(level);
    private static List<(ulong Iova, ulong Size)>? TablesAt(IIoPageTable pt, ulong iova, ulong pgsize, ulong pgcount) => LpaeTableChunks.At(pt, iova, pgsize, pgcount);

    /// <summary>arm_smmu_map_pages: ops->map_pages; a table replaced by a block is walk-flushed.</summary>
    public Outcome MapPages(IommuDomain d, ulong iova, ulong paddr, ulong pgsize, ulong pgcount, Prot prot, ScriptSite site, out ulong mapped)
    {
        var pt = d.PageTable!;
        var tables = TablesAt(pt, iova, pgsize, pgcount);
        var r = pt.MapPages(iova, paddr, pgsize, pgcount, prot, out mapped);
        foreach (var (at, size) in tables ?? [])
            if (at < iova + mapped) TlbInvRange(ToSmmuDomain(d), at, size, 0x1000, leaf: false);
        return r;
    }

    /// <summary>arm_smmu_unmap_pages: ops->unmap_pages with the flush ops above.</summary>
    public ulong UnmapPages(IommuDomain d, ulong iova, ulong pgsize, ulong pgcount, IotlbGather gather, ScriptSite site)
    {
        var pt = d.PageTable!;
        var dom = ToSmmuDomain(d);
        var tables = TablesAt(pt, iova, pgsize, pgcount);
        ulong n = pt.UnmapPages(iova, pgsize, pgcount);
        if (n == 0) return 0;
        var tlb = dom.Smmu.AsidTlb(dom.Asid);
        tlb.MarkStale(iova >> 12, (iova + n - 1) >> 12, site.Line);
        foreach (var m in dom.Devices)
            if (m.AtsEnabled) m.Atc.MarkStale(iova >> 12, (iova + n - 1) >> 12, site.Line);
        for (ulong at = iova; at < iova + n; at += pgsize)
        {
            if (tables is not null && tables.Contains((at, pgsize))) TlbInvRange(dom, at, pgsize, 0x1000, leaf: false); // __arm_lpae_unmap: io_pgtable_tlb_flush_walk
            else if (!gather.Queued) GatherAddPage(dom, gather, at, pgsize);
        }
        return n;
    }

    /// <summary>arm_smmu_tlb_inv_page_nosync → iommu_iotlb_gather_add_page.</summary>
    private void GatherAddPage(SmmuV3Domain d, IotlbGather gather, ulong iova, ulong size)
    {
        if ((gather.Pgsize != 0 && gather.Pgsize != size) || gather.IsDisjoint(iova, size))
        {
            IotlbSync(d, gather);
            gather.Reset();
        }
        gather.Pgsize = size;
        gather.AddRange(iova, size);
    }

    public ulong IovaToPhys(IommuDomain d, ulong iova) => d.PageTable!.IovaToPhys(iova);

    /// <summary>arm_smmu_iotlb_sync: nothing without a gathered page size; else a leaf range invalidation of the gathered range.</summary>
    public void IotlbSync(IommuDomain d, IotlbGather gather)
    {
        if (gather.Pgsize == 0) return;
        TlbInvRange(ToSmmuDomain(d), gather.Start, gather.End - gather.Start + 1, gather.Pgsize, leaf: true);
    }

    /// <summary>arm_smmu_flush_iotlb_all → arm_smmu_tlb_inv_context.</summary>
    public void FlushIotlbAll(IommuDomain d) => InvalidateAsid(ToSmmuDomain(d));

    /// <summary>arm_smmu_tlb_inv_context for a stage-1 domain: arm_smmu_tlb_inv_asid (TLBI_NH_ASID or TLBI_EL2_ASID, with sync); no ATC.</summary>
    private static void InvalidateAsid(SmmuV3Domain d)
    {
        var smmu = d.Smmu;
        smmu.Cmdq.Issue(new CmdqEnt(smmu.Cfg.E2h ? CmdOp.TlbiEl2Asid : CmdOp.TlbiNhAsid) { Asid = d.Asid }, sync: true);
        smmu.AsidTlb(d.Asid).InvalidateAsid();
        AtcInvDomain(d, 0, 0);
    }

    /// <summary>
    /// arm_smmu_atc_inv_domain: nothing without ARM_SMMU_FEAT_ATS or with nr_ats_masters 0; else, for
    /// every attached master with ATS on, ATC_INV per stream (arm_smmu_atc_inv_to_cmd: SSV clear for the
    /// RID's translations; size 0 is ATC_INV_SIZE_ALL; else the smallest naturally aligned power-of-two
    /// span of 4 KiB pages covering the range, fls(start ^ end)), in one batch with a CMD_SYNC.
    /// </summary>
    private static void AtcInvDomain(SmmuV3Domain d, ulong iova, ulong size)
    {
        var smmu = d.Smmu;
        if (!smmu.Cfg.Ats || d.NrAtsMasters == 0) return;
        var cmd = new CmdqEnt(CmdOp.AtcInv);
        ulong first = 0, last = ulong.MaxValue >> 12;
        if (size == 0) cmd.Size = CmdqEnt.AtcSizeAll;
        else
        {
            ulong pageStart = iova >> 12, pageEnd = (iova + size - 1) >> 12;
            int log2Span = 64 - System.Numerics.BitOperations.LeadingZeroCount(pageStart ^ pageEnd); // fls_long
            ulong spanMask = log2Span >= 64 ? ulong.MaxValue : (1UL << log2Span) - 1;
            pageStart &= ~spanMask;
            cmd.Addr = pageStart << 12;
            cmd.Size = (byte)log2Span;
            first = pageStart;
            last = pageStart | spanMask;
        }
        foreach (var m in d.Devices)
        {
            if (!m.AtsEnabled) continue;
            foreach (var sid in m.Sids)
            {
                cmd.Sid = sid;
                smmu.Batch.Add(cmd);
            }
            m.Atc.InvalidateRange(first, last);
        }
        smmu.Batch.Submit();
    }

    /// <summary>
    /// arm_smmu_tlb_inv_range_domain → __arm_smmu_tlb_inv_range: the commands for [iova, iova + size)
    /// in one batch, then CMD_SYNC; each command's range leaves the TLB as it is inserted.
    /// </summary>
    private static void TlbInvRange(SmmuV3Domain d, ulong iova, ulong size, ulong granule, bool leaf)
    {
        if (size == 0) return;
        ulong origIova = iova;
        var smmu = d.Smmu;
        var cmd = new CmdqEnt(smmu.Cfg.E2h ? CmdOp.TlbiEl2Va : CmdOp.TlbiNhVa) { Asid = d.Asid, Leaf = leaf };
        var tlb = smmu.AsidTlb(d.Asid);
        ulong end = iova + size, numPages = 0, invRange = granule;
        int tg = 0;
        if (smmu.Cfg.RangeInv)
        {
            tg = System.Numerics.BitOperations.TrailingZeroCount(d.PgsizeBitmap); // the leaf page size: 12
            numPages = size >> tg;
            cmd.Tg = (byte)((tg - 10) / 2);
            if (leaf) cmd.Ttl = (byte)(4 - ((System.Numerics.BitOperations.Log2(granule) - 3) / (tg - 3)));
            else if ((numPages & 31) == 1) numPages++; // CMDQ_TLBI_RANGE_NUM_MAX: never scale and num both 0
        }
        while (iova < end)
        {
            if (smmu.Cfg.RangeInv)
            {
                if (numPages == 0) break;
                int scale = System.Numerics.BitOperations.TrailingZeroCount(numPages);
                ulong num = (numPages >> scale) & 31;
                cmd.Scale = (byte)scale;
                cmd.Num = (byte)(num - 1);
                invRange = num << (scale + tg);
                numPages -= num << scale;
            }
            cmd.Addr = iova;
            smmu.Batch.Add(cmd);
            ulong last = iova + invRange - 1 < iova ? ulong.MaxValue : iova + invRange - 1;
            tlb.InvalidateRange(iova >> 12, last >> 12);
            iova += invRange;
            if (iova == 0) break; // wrapped at the top of the address space
        }
        smmu.Batch.Submit();
        // "Unfortunately, this can't be leaf-only since we may have zapped an entire table."
        AtcInvDomain(d, origIova, size);
    }

    /// <summary>arm-smmu-v3 has no iotlb_sync_map.</summary>
    public void IotlbSyncMap(IommuDomain d, ulong iova, ulong size)
    {
    }

    public ulong OutputToCpu(IommuDomain d, ulong pa) => pa;

    // ------------------------------------------------------------------ the hardware side

    /// <summary>What the SMMU finds for a stream: the STE's Config and, for stage 1, the CD 0 domain.</summary>
    private (ulong Cfg, SmmuV3Domain? Domain) Lookup(SmmuV3Data smmu, uint sid)
    {
        if (!smmu.HasSte(sid)) return (ulong.MaxValue, null);
        var ste = smmu.Ste(sid);
        if ((ste[0] & StreamTableEntry.V) == 0) return (ulong.MaxValue - 1, null);
        ulong cfg = StreamTableEntry.Cfg(ste);
        if (cfg != StreamTableEntry.CfgS1Trans) return (cfg, null);
        var cdPtr = ste[0] & StreamTableEntry.S1CtxPtrMask;
        if (!_cdTables.TryGetValue(cdPtr, out var owner) || (owner.Cd0[0] & ContextDescriptor.V) == 0) return (cfg, null);
        return (cfg, _tables.GetValueOrDefault(ContextDescriptor.Ttb0(owner.Cd0)));
    }

    public IDeviceTranslator Bind(IommuDevice dev, bool write)
    {
        var smmu = Master(dev)?.Smmu ?? Data(dev);
        if (!smmu.Enabled) return new BoundTranslator(!smmu.Cfg.GbpaAbort, null, 0, write); // GBPA abort goes to Translate
        var (cfg, dom) = Lookup(smmu, Sids(dev)[0]);
        if (Master(dev) is { AtsEnabled: true }) return new BoundTranslator(false, null, 0, write); // the ATC path is Translate's
        return new BoundTranslator(cfg == StreamTableEntry.CfgBypass, dom is null ? null : smmu.AsidTlb(dom.Asid), smmu.Inst.Ias, write);
    }

    /// <summary>IOTLB hits and bypass; anything else goes to <see cref="Translate"/>.</summary>
    private sealed class BoundTranslator(bool bypass, AsidTlb? tlb, int ias, bool write) : IDeviceTranslator
    {
        public bool TryFast(ulong iova, out ulong pa, out int staleLine)
        {
            staleLine = 0;
            pa = 0;
            if (bypass) { pa = iova; return true; }
            if (ias == 0 || iova >> ias != 0) return false;
            if (tlb is not { } asid || !asid.Lookup(iova >> 12, out var entry, out staleLine)) return false;
            if (Refused(entry, write)) { staleLine = 0; return false; }
            pa = (entry & ~0xfffUL) | (iova & 0xfff);
            return true;
        }
    }

    private static bool Refused(ulong entry, bool write) => (entry & TlbPrivOnly) != 0 || (write && (entry & TlbReadOnly) != 0);

    /// <summary>An access by the device's first stream ID: stream table, STE, CD 0, the TLB, then a walk of TTB0.</summary>
    public Translation Translate(IommuDevice dev, ulong iova, bool write, ScriptSite site)
    {
        var smmu = Master(dev)?.Smmu ?? Data(dev);
        if (!smmu.Enabled) return Gbpa(smmu, iova);
        uint sid = Sids(dev)[0];
        var (cfg, dom) = Lookup(smmu, sid);
        switch (cfg)
        {
            case ulong.MaxValue:
                return Event(dev, smmu, EvtId.BadStreamId, sid, iova, write, null,
                    !smmu.SidInRange(sid) ? $"stream 0x{sid:x} is beyond {smmu.Inst.Name}'s stream table"
                                          : $"stream 0x{sid:x}'s level-2 stream table was never allocated (its L1 descriptor has Span 0)");
            case ulong.MaxValue - 1:
                return Event(dev, smmu, EvtId.BadSte, sid, iova, write, null, $"stream 0x{sid:x}'s STE is not valid");
            case StreamTableEntry.CfgAbort:
                return new Translation(false, 0, "translation",
                    $"{smmu.Inst.Name}: stream 0x{sid:x}'s STE is abort (Config 0): the transaction is terminated with an abort to the device and no event is recorded", null);
            case StreamTableEntry.CfgBypass:
                return new Translation(true, iova, "bypass", "STE bypass", null);
        }
        if (dom is null)
            return Event(dev, smmu, EvtId.BadCd, sid, iova, write, null, $"stream 0x{sid:x}'s CD 0 is not valid");
        var pt = dom.PageTable!;
        ulong vpn = iova >> 12;
        // An ATS master looks in its own ATC first: a hit is a translated transaction the STE's EATS lets through.
        var atsMaster = smmu.Cfg.Ats && Master(dev) is { AtsEnabled: true } am && smmu.Streams.GetValueOrDefault(sid) == am ? am : null;
        if (atsMaster is not null && atsMaster.Atc.Lookup(vpn, out var atcEntry, out var atcStale) && !Refused(atcEntry, write))
            return new Translation(true, (atcEntry & ~0xfffUL) | (iova & 0xfff), atcStale != 0 ? "stale" : "ok", "", dom.Name) { StaleLine = atcStale, FromAtc = true };
        if (iova >> smmu.Inst.Ias != 0)
            return Fault(atsMaster, dev, smmu, EvtId.Translation, sid, iova, write, dom, $"{Hex.Of(iova)} is beyond the {smmu.Inst.Ias}-bit input range of CD 0 (T0SZ {64 - smmu.Inst.Ias}; TTB1 disabled by EPD1)");
        var tlb = smmu.AsidTlb(dom.Asid);
        if (tlb.Lookup(vpn, out var entry, out var staleLine) && !Refused(entry, write))
        {
            if (atsMaster is not null && staleLine == 0) atsMaster.Atc.Fill(vpn, entry);
            return new Translation(true, (entry & ~0xfffUL) | (iova & 0xfff), staleLine != 0 ? "stale" : "ok", "", dom.Name) { StaleLine = staleLine };
        }
        var last = pt.LastStep(iova);
        if ((last.Pte & 3) == 0)
            return Fault(atsMaster, dev, smmu, EvtId.Translation, sid, iova, write, dom, $"no valid L{last.Level} descriptor for {Hex.Of(iova)} in {dom.Name}'s table");
        bool readOnly = (last.Pte & ApRdonly) != 0, privOnly = (last.Pte & ApUnpriv) == 0;
        // the leaf's output address (bits 47:12, as the 48-bit oas leaves them) and the offset within the leaf
        ulong leafSize = BlockSize(last.Level);
        ulong pa = (last.Pte & 0x0000_ffff_ffff_f000UL & ~(leafSize - 1)) | (iova & (leafSize - 1));
        ulong filled = (pa & ~0xfffUL) | (readOnly ? TlbReadOnly : 0) | (privOnly ? TlbPrivOnly : 0);
        tlb.Fill(vpn, filled);
        if (atsMaster is not null && !privOnly && !(write && readOnly)) atsMaster.Atc.Fill(vpn, filled);
        if (privOnly || (write && readOnly))
            return Fault(atsMaster, dev, smmu, EvtId.Permission, sid, iova, write, dom,
                privOnly ? $"the L{last.Level} leaf for {Hex.Of(iova)} is privileged-only (IOMMU_PRIV) and the access is unprivileged"
                         : $"the L{last.Level} leaf for {Hex.Of(iova)} is read-only (AP[2]) and the access is a write");
        return new Translation(true, pa, "ok", "", dom.Name);
    }

    /// <summary>
    /// SMMUEN clear (the probe's error path after a failed registration): the SMMU reads no stream table
    /// and records no event; every incoming transaction follows SMMU_GBPA — terminated with an abort
    /// when GBPA.ABORT is set, else passed on with its address as the physical address (GBPA's
    /// attribute overrides are not modelled).
    /// </summary>
    private static Translation Gbpa(SmmuV3Data smmu, ulong iova) => smmu.Cfg.GbpaAbort
        ? new Translation(false, 0, "translation", $"{smmu.Inst.Name}: SMMUEN is clear (the probe's error path disabled the SMMU) and SMMU_GBPA.ABORT is set: the transaction is terminated with an abort to the device; no stream table is read and no event is recorded", null)
        : new Translation(true, iova, "bypass", $"{smmu.Inst.Name}: SMMUEN clear, SMMU_GBPA bypass", null);

    /// <summary>
    /// A stage-1 fault: an event for an untranslated transaction; for an ATS master, whose ATC miss is a
    /// Translation Request, a negative response to the endpoint and no event ("the SMMU does not record
    /// fault events for ATS translation failures", Arm IHI 0070 §3.9.1).
    /// </summary>
    private Translation Fault(SmmuV3Master? atsMaster, IommuDevice dev, SmmuV3Data smmu, EvtId id, uint sid, ulong iova, bool write, SmmuV3Domain dom, string cause)
    {
        if (atsMaster is null) return Event(dev, smmu, id, sid, iova, write, dom, cause);
        return new Translation(false, 0, id == EvtId.Permission ? "permission" : "translation",
            $"{smmu.Inst.Name}: {cause}; {dev.Name}'s ATS Translation Request gets a negative response ({(write ? "no write permission granted" : "no translation")}), and the SMMU records no event for a failed ATS Translation Request", dom.Name);
    }
}
