using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Drivers.ArmSmmu;

/// <summary>
/// Map, unmap and TLB maintenance as arm-smmu drives io-pgtable-arm (Linux 7.0: arm_smmu_map_pages,
/// arm_smmu_unmap_pages, arm_smmu_iotlb_sync, arm_smmu_flush_iotlb_all, the stage-1 flush ops; and
/// __arm_lpae_unmap / arm_lpae_init_pte in io-pgtable-arm.c), and the hardware side of an access.
/// The rules that decide when a device can still use a translation that is gone:
/// * unmap with an ordinary gather: io-pgtable calls tlb_add_page for every leaf it clears, and
///   arm_smmu_tlb_add_page_s1 writes TLBIVAL at once — the invalidation is posted during the unmap
///   and arm_smmu_iotlb_sync only waits for it (TLBSYNC). So a missing iotlb_sync leaves no stale
///   entry in this model (the window until the posted TLBI completes is not modelled).
/// * unmap with a queued gather (dma-iommu's lazy DMA_FQ path): tlb_add_page is skipped; the entries
///   stay valid — stale — until flush_iotlb_all (TLBIASID), which the flush queue issues when it is
///   full or its 10 ms timer fires.
/// * replacing or freeing a table (a block unmap or map over a table) always calls tlb_flush_walk,
///   queued or not: that range is invalidated at once.
/// * map has no iotlb_sync_map here, so a map never invalidates anything else.
/// Hardware: the stream's S2CR selects bypass, fault or a context bank; one TLB per SMMU serves every
/// bank, its entries tagged by ASID (= bank index), so contexts evict each other but never hit each
/// other's entries; the walk starts at the bank's TTBR0 (the domain's table). Accesses are
/// unprivileged data accesses (S2CR.PRIVCFG "use incoming", masters assumed unprivileged): a
/// read-only leaf (AP[2]) faults a write and a privileged-only leaf (IOMMU_PRIV: AP[1] clear)
/// faults any access, as permission faults; no valid leaf, or an IOVA beyond ias, is a translation fault.
/// </summary>
public sealed partial class ArmSmmu
{
    private const ulong ApRdonly = 1UL << 7, ApUnpriv = 1UL << 6;
    // The TLB keeps a page's permissions in the free low bits of the cached physical page address.
    private const ulong TlbReadOnly = 1, TlbPrivOnly = 2;

    private static ulong BlockSize(int level) => LpaeTableChunks.BlockSize(level);

    private AsidTlb? Tlb(IommuDomain d) => ToSmmuDomain(d) is { Smmu: { } s } p ? s.Cbs[p.Cbndx].Tlb : null;

    /// <summary>The chunks at pgsize granularity where a table currently sits: they get a walk flush.</summary>
    private static List<(ulong Iova, ulong Size)> TablesAt(IIoPageTable pt, ulong iova, ulong pgsize, ulong pgcount) =>
        LpaeTableChunks.At(pt, iova, pgsize, pgcount) ?? [];

    /// <summary>arm_smmu_map_pages: -ENODEV before the first attach (no pgtbl_ops); a table replaced by a block is walk-flushed.</summary>
    public Outcome MapPages(IommuDomain d, ulong iova, ulong paddr, ulong pgsize, ulong pgcount, Prot prot, ScriptSite site, out ulong mapped)
    {
        mapped = 0;
        if (d.PageTable is not { } pt || ToSmmuDomain(d).Smmu is null)
            return Outcome.Fail(Errno.ENODEV, $"{d.Name} has no io-pgtable ops: it was never attached (arm_smmu_map_pages, {Src})");
        var tables = TablesAt(pt, iova, pgsize, pgcount);
        var r = pt.MapPages(iova, paddr, pgsize, pgcount, prot, out mapped);
        var tlb = Tlb(d)!.Value;
        foreach (var (at, size) in tables)
            if (at < iova + mapped) tlb.InvalidateRange(at >> 12, (at + size - 1) >> 12);
        return r;
    }

    /// <summary>arm_smmu_unmap_pages: 0 before the first attach; TLBIVAL per leaf unless the gather is queued.</summary>
    public ulong UnmapPages(IommuDomain d, ulong iova, ulong pgsize, ulong pgcount, IotlbGather gather, ScriptSite site)
    {
        if (d.PageTable is not { } pt || ToSmmuDomain(d).Smmu is null) return 0;
        // only a queued unmap needs to know which chunks were tables: a strict one invalidates the whole range
        var tables = gather.Queued ? TablesAt(pt, iova, pgsize, pgcount) : [];
        ulong n = pt.UnmapPages(iova, pgsize, pgcount);
        if (n == 0) return 0;
        gather.AddRange(iova, n);
        var tlb = Tlb(d)!.Value;
        ulong first = iova >> 12, last = (iova + n - 1) >> 12;
        if (!gather.Queued) tlb.InvalidateRange(first, last);
        else
        {
            tlb.MarkStale(first, last, site.Line);
            foreach (var (at, size) in tables)
                if (at < iova + n) tlb.InvalidateRange(at >> 12, (at + size - 1) >> 12);
        }
        return n;
    }

    public ulong IovaToPhys(IommuDomain d, ulong iova) =>
        d.PageTable is { } pt && ToSmmuDomain(d).Smmu is not null ? pt.IovaToPhys(iova) : 0;

    /// <summary>arm_smmu_iotlb_sync: TLBSYNC on the context bank — waits for TLBIs already posted, invalidates nothing more.</summary>
    public void IotlbSync(IommuDomain d, IotlbGather gather)
    {
    }

    /// <summary>arm_smmu_flush_iotlb_all → arm_smmu_tlb_inv_context_s1: TLBIASID of the domain's bank (nothing before the first attach).</summary>
    public void FlushIotlbAll(IommuDomain d) => Tlb(d)?.InvalidateAsid();

    /// <summary>arm-smmu has no iotlb_sync_map.</summary>
    public void IotlbSyncMap(IommuDomain d, ulong iova, ulong size)
    {
    }

    public ulong OutputToCpu(IommuDomain d, ulong pa) => pa;

    // ------------------------------------------------------------------ the hardware side

    public IDeviceTranslator Bind(IommuDevice dev, bool write)
    {
        var data = Data(dev);
        var sme = SmesOf(dev).FirstOrDefault();
        var type = sme?.Type ?? S2crType.Fault; // an unmatched stream never hits: Translate reports it
        var cb = type == S2crType.Trans ? data.Cbs[sme!.Cbndx] : null;
        return new BoundTranslator(type, cb?.Tlb, data.Inst.Ias, write);
    }

    /// <summary>IOTLB hits and bypass; a cached page whose permissions refuse the access goes to <see cref="Translate"/>.</summary>
    private sealed class BoundTranslator(S2crType type, AsidTlb? tlb, int ias, bool write) : IDeviceTranslator
    {
        public bool TryFast(ulong iova, out ulong pa, out int staleLine)
        {
            staleLine = 0;
            pa = 0;
            if (type == S2crType.Bypass) { pa = iova; return true; }
            if (iova >> ias != 0) return false; // beyond the input range: never a TLB hit
            if (tlb is not { } asid || !asid.Lookup(iova >> 12, out var entry, out staleLine)) return false;
            if (Refused(entry, write)) { staleLine = 0; return false; }
            pa = (entry & ~0xfffUL) | (iova & 0xfff);
            return true;
        }
    }

    private static bool Refused(ulong entry, bool write) => (entry & TlbPrivOnly) != 0 || (write && (entry & TlbReadOnly) != 0);

    /// <summary>An access by the device's first stream: S2CR, then the bank's TLB, then a walk of its table.</summary>
    public Translation Translate(IommuDevice dev, ulong iova, bool write, ScriptSite site)
    {
        var data = Data(dev);
        uint sid = Sids(dev).First();
        // the access carries the master's first stream ID. No entry: its probe failed, or the SMMU's
        // iommu_device_register did — arm_smmu_device_probe resets the SMMU (arm_smmu_device_reset:
        // CLIENTPD clear, USFCFG = disable_bypass) before registering since 7d835134d4e1 ("iommu/arm-smmu:
        // Make instance lookup robust", in 7.0) and does not disable it again when registration fails.
        if (SmesOf(dev).FirstOrDefault() is not { } sme)
            return new Translation(false, 0, "translation",
                $"{data.Inst.Name}: stream 0x{sid:x} matches no SMR (its probe, or the SMMU's registration, failed): with ARM_SMMU_DISABLE_BYPASS_BY_DEFAULT the SMMU terminates it as an unidentified stream (GFSR.USF, \"Blocked unknown Stream ID 0x{sid:x}\"; global fault registers not modelled)", null);
        switch (sme.Type)
        {
            case S2crType.Bypass:
                return new Translation(true, iova, "bypass", "S2CR BYPASS", null);
            case S2crType.Fault:
                return new Translation(false, 0, "translation",
                    $"{data.Inst.Name}: stream 0x{sid:x} has S2CR type FAULT (blocked): the SMMU terminates the transaction and raises a global fault (GFSR not modelled)", null);
        }
        var cb = data.Cbs[sme.Cbndx];
        var dom = cb.Dom!;
        var pt = dom.PageTable!;
        if (iova >> data.Inst.Ias != 0) // ias is at most 48: the shift is defined
            return ContextFault(dev, data, cb, sid, iova, write, permission: false, pt.Walk(0)[0].Level,
                $"{Hex.Of(iova)} is beyond the {data.Inst.Ias}-bit input range of cb{cb.Index}");
        ulong vpn = iova >> 12;
        if (cb.Tlb.Lookup(vpn, out var entry, out var staleLine))
        {
            if (!Refused(entry, write))
                return new Translation(true, (entry & ~0xfffUL) | (iova & 0xfff), staleLine != 0 ? "stale" : "ok", "", dom.Name) { StaleLine = staleLine };
            // a cached page that refuses the access faults like the walk would: a permission fault on its leaf
        }
        var walk = pt.Walk(iova);
        var last = walk[^1];
        if ((last.Pte & 3) == 0)
            return ContextFault(dev, data, cb, sid, iova, write, permission: false, last.Level,
                $"no valid L{last.Level} descriptor for {Hex.Of(iova)} in {dom.Name}'s table");
        bool readOnly = (last.Pte & ApRdonly) != 0, privOnly = (last.Pte & ApUnpriv) == 0;
        ulong flags = (readOnly ? TlbReadOnly : 0) | (privOnly ? TlbPrivOnly : 0);
        ulong pa = pt.IovaToPhys(iova);
        cb.Tlb.Fill(vpn, (pa & ~0xfffUL) | flags);
        if (privOnly || (write && readOnly))
            return ContextFault(dev, data, cb, sid, iova, write, permission: true, last.Level,
                privOnly ? $"the L{last.Level} leaf for {Hex.Of(iova)} is privileged-only (IOMMU_PRIV) and the access is unprivileged"
                         : $"the L{last.Level} leaf for {Hex.Of(iova)} is read-only (AP[2]) and the access is a write");
        return new Translation(true, pa, "ok", "", dom.Name);
    }
}
