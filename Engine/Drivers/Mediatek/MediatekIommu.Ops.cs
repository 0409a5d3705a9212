using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Drivers.Mediatek;

/// <summary>
/// struct iommu_domain_ops of mtk_iommu.c (map, unmap, iova_to_phys, TLB callbacks) and the hardware
/// path of a device access through the bank's IOTLB and page walk. A domain never attached has no bank
/// and no table: the kernel's mtk_iommu_map / unmap / iova_to_phys dereference them and oops, so the
/// simulation stops there. TLB maintenance (mtk_iommu_tlb_flush_range_sync, mtk_iommu_flush_iotlb_all): iotlb_sync and iotlb_sync_map issue a
/// range invalidation on the domain's bank of every instance of the hw_list
/// (mtk_iommu_tlb_flush_range_sync); flush_iotlb_all a full invalidation of the domain's own instance
/// only (mtk_iommu_tlb_flush_all, always through bank 0: every bank of that instance).
/// </summary>
public sealed partial class MediatekIommu
{
    private static IIoPageTable Table(IommuDomain d, string fn)
    {
        if (ToMtkDomain(d).Bank is null || d.PageTable is null)
            throw new KernelOopsException($"{fn}: {d.Name} was never attached, so dom->bank and dom->iop are NULL (mtk_iommu.c dereferences them)");
        return d.PageTable;
    }

    /// <summary>Every bank TLB that walks this domain's table: the domain's hw_list shares one table.</summary>
    private static void MarkStale(IommuDomain d, ulong iova, ulong bytes, ScriptSite at)
    {
        if (bytes == 0) return;
        // every bank of every instance sharing the table (loops, not LINQ: this runs on every map)
        int line = at.Line;
        foreach (var m in ToMtkDomain(d).Bank!.Parent.Hw.Members)
            foreach (var b in m.Banks) b.Tlb.MarkStale(iova >> 12, (iova + bytes - 1) >> 12, line);
    }

    /// <summary>mtk_iommu_map: in 4GB mode bit 32 is ORed into every output address.</summary>
    public Outcome MapPages(IommuDomain d, ulong iova, ulong paddr, ulong pgsize, ulong pgcount, Prot prot, ScriptSite site, out ulong mapped)
    {
        var pt = Table(d, "mtk_iommu_map");
        if (((MtkDomain)d).Bank!.Parent.Enable4Gb) paddr |= 1UL << 32;
        var r = pt.MapPages(iova, paddr, pgsize, pgcount, prot, out mapped);
        MarkStale(d, iova, mapped, site); // a section over a table may have dropped cached small pages
        return r;
    }

    public ulong UnmapPages(IommuDomain d, ulong iova, ulong pgsize, ulong pgcount, IotlbGather gather, ScriptSite site)
    {
        var pt = Table(d, "mtk_iommu_unmap");
        gather.AddRange(iova, pgsize * pgcount);
        ulong n = pt.UnmapPages(iova, pgsize, pgcount);
        MarkStale(d, iova, n, site);
        return n;
    }

    /// <summary>mtk_iommu_iova_to_phys: in 4GB mode bit 32 is stripped again for results ≥ 0x1_4000_0000.</summary>
    public ulong IovaToPhys(IommuDomain d, ulong iova)
    {
        var pt = Table(d, "mtk_iommu_iova_to_phys");
        return OutputToCpu(d, pt.IovaToPhys(iova));
    }

    public ulong OutputToCpu(IommuDomain d, ulong pa)
    {
        var bank = ToMtkDomain(d).Bank;
        bool fourGb = bank is not null && bank.Parent.Enable4Gb;
        return fourGb && pa >= RemapBase4Gb ? pa & ~(1UL << 32) : pa;
    }

    /// <summary>mtk_iommu_iotlb_sync: a range invalidation of [gather.start, gather.end].</summary>
    public void IotlbSync(IommuDomain d, IotlbGather gather)
    {
        if (ToMtkDomain(d).Bank is null) throw new KernelOopsException($"mtk_iommu_iotlb_sync: {d.Name} has no bank (dom->bank is NULL)");
        if (gather.Empty) return;
        RangeFlush(d, gather.Start, gather.End);
    }

    /// <summary>mtk_iommu_sync_map: after a map, the same range invalidation (the TLB caches misses too).</summary>
    public void IotlbSyncMap(IommuDomain d, ulong iova, ulong size)
    {
        if (ToMtkDomain(d).Bank is null || size == 0) return;
        RangeFlush(d, iova, iova + size - 1);
    }

    /// <summary>mtk_iommu_tlb_flush_range_sync: the domain's bank number, on every instance of the hw_list.</summary>
    private void RangeFlush(IommuDomain d, ulong first, ulong last)
    {
        var bank = ToMtkDomain(d).Bank!;
        foreach (var m in bank.Parent.Hw.Members) m.Banks[bank.Id].Tlb.InvalidateRange(first >> 12, last >> 12);
    }

    /// <summary>mtk_iommu_flush_iotlb_all: nothing without a bank; else a full flush of that one instance.</summary>
    public void FlushIotlbAll(IommuDomain d)
    {
        if (ToMtkDomain(d).Bank is { } bank) FlushAll(bank.Parent);
    }

    /// <summary>mtk_iommu_tlb_flush_all: F_ALL_INVLD through bank 0 invalidates the whole instance.</summary>
    private static void FlushAll(MtkData data)
    {
        foreach (var b in data.Banks) b.Tlb.InvalidateAll();
    }

    public IDeviceTranslator Bind(IommuDevice dev, bool write)
    {
        var data = Data(dev);
        if (data.Failed) throw Unmodelled(data, dev);
        var id = ((MtkPortId)dev.Spec.Ids[0]);
        data.Ports.TryGetValue((id.Larb, id.Port), out var port);
        var bank = data.Banks[BankId(dev)];
        return new BoundTranslator(port.MmuEnabled, data.Inst.HasFlag("iova-34-en"), port.IovaHigh, bank.Tlb,
            bank.Dom is { } d && ToMtkDomain(d).Bank?.Parent.Enable4Gb == true);
    }

    /// <summary>IOTLB hits and bypass without the per-access lookups of <see cref="Translate"/>.</summary>
    private sealed class BoundTranslator(bool mmu, bool iova34, ulong high, Iotlb tlb, bool fourGb) : IDeviceTranslator
    {
        public bool TryFast(ulong iova, out ulong pa, out int staleLine)
        {
            staleLine = 0;
            if (!mmu) { pa = iova; return true; }
            ulong bus = iova34 ? (high << 32) | (iova & 0xffff_ffffUL) : iova & 0xffff_ffffUL;
            if (!tlb.Lookup(bus >> 12, out var page, out staleLine)) { pa = 0; return false; }
            pa = page | (bus & 0xfff);
            if (fourGb && pa >= RemapBase4Gb) pa &= ~(1UL << 32);
            return true;
        }
    }

    /// <summary>
    /// A device access: a port with its MMU-enable bit clear bypasses the IOMMU (PA = bus address);
    /// otherwise the bus IOVA (bits [31:0] plus the larb's IOVA[33:32]) goes through the bank's IOTLB and,
    /// on a miss, a walk of the table its PT_BASE_ADDR points at — whatever domain the core believes is
    /// attached. A walk that finds no leaf raises the bank's fault interrupt (MediatekIommu.Faults.cs).
    /// Behind an instance whose registration failed an access is not modelled (RegistrationFailed).
    /// </summary>
    public Translation Translate(IommuDevice dev, ulong iova, bool write, ScriptSite site)
    {
        var data = Data(dev);
        if (data.Failed) throw Unmodelled(data, dev);
        var id = ((MtkPortId)dev.Spec.Ids[0]);
        data.Ports.TryGetValue((id.Larb, id.Port), out var port);
        if (!port.MmuEnabled)
            return new Translation(true, iova, "bypass", "port MMU disabled", null);
        var bank = data.Banks[BankId(dev)];
        ulong busIova = data.Inst.HasFlag("iova-34-en") ? (port.IovaHigh << 32) | (iova & 0xffff_ffffUL) : iova & 0xffff_ffffUL;
        ulong vpn = busIova >> 12;
        if (bank.Tlb.Lookup(vpn, out var paPage, out var staleLine))
            return new Translation(true, OutputToCpu(bank.Dom!, paPage | (busIova & 0xfff)), staleLine != 0 ? "stale" : "ok", "", bank.Dom!.Name) { StaleLine = staleLine };
        var table = (ArmV7sPageTable)bank.Dom!.PageTable!;
        var walk = table.Walk(busIova);
        var last = walk[^1];
        if ((last.Pte & 3) == 0)
            return Fault(dev, data, bank, busIova, write, last, site);
        ulong pa = table.IovaToPhys(busIova);
        bank.Tlb.Fill(vpn, pa & ~0xfffUL);
        return new Translation(true, OutputToCpu(bank.Dom, pa), "ok", "", bank.Dom.Name);
    }
}
