using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;

namespace ScenarioEngine.Drivers.Mediatek;

/// <summary>
/// struct iommu_domain_ops of mtk_iommu.c (map, unmap, iova_to_phys, TLB callbacks) and the
/// hardware walk of a device access. A domain never attached has no bank and no table: the kernel's
/// mtk_iommu_map / unmap / iova_to_phys dereference them and oops, so the simulation stops there.
/// </summary>
public sealed partial class MediatekIommu
{
    private static IIoPageTable Table(IommuDomain d, string fn)
    {
        if (Priv(d).Bank is null || d.PageTable is null)
            throw new KernelOopsException($"{fn}: {d.Name} was never attached, so dom->bank and dom->iop are NULL (mtk_iommu.c dereferences them)");
        return d.PageTable;
    }

    /// <summary>mtk_iommu_map: in 4GB mode bit 32 is ORed into every output address.</summary>
    public Outcome MapPages(IommuDomain d, ulong iova, ulong paddr, ulong pgsize, ulong pgcount, Prot prot, out ulong mapped)
    {
        var pt = Table(d, "mtk_iommu_map");
        if (Priv(d).Bank!.Parent.Enable4Gb) paddr |= 1UL << 32;
        return pt.MapPages(iova, paddr, pgsize, pgcount, prot, out mapped);
    }

    public ulong UnmapPages(IommuDomain d, ulong iova, ulong pgsize, ulong pgcount, IotlbGather gather)
    {
        var pt = Table(d, "mtk_iommu_unmap");
        gather.AddRange(iova, pgsize * pgcount);
        return pt.UnmapPages(iova, pgsize, pgcount);
    }

    /// <summary>mtk_iommu_iova_to_phys: in 4GB mode bit 32 is stripped again for results ≥ 0x1_4000_0000.</summary>
    public ulong IovaToPhys(IommuDomain d, ulong iova)
    {
        var pt = Table(d, "mtk_iommu_iova_to_phys");
        return OutputToCpu(d, pt.IovaToPhys(iova));
    }

    public ulong OutputToCpu(IommuDomain d, ulong pa)
    {
        var bank = Priv(d).Bank;
        bool fourGb = bank is not null && bank.Parent.Enable4Gb;
        return fourGb && pa >= RemapBase4Gb ? pa & ~(1UL << 32) : pa;
    }

    public void IotlbSync(IommuDomain d, IotlbGather gather)
    {
        if (Priv(d).Bank is null) throw new KernelOopsException($"mtk_iommu_iotlb_sync: {d.Name} has no bank (dom->bank is NULL)");
    }

    public void FlushIotlbAll(IommuDomain d)
    {
        // mtk_iommu_flush_iotlb_all checks dom->bank; without IOTLB modelling there is no state to change.
    }

    public void IotlbSyncMap(IommuDomain d, ulong iova, ulong size)
    {
    }

    /// <summary>
    /// A device access: a port with its MMU-enable bit clear bypasses the IOMMU (PA = bus address);
    /// otherwise the IOVA (bus bits [31:0] plus the larb's IOVA[33:32]) is walked in the table the
    /// bank's PT_BASE_ADDR points at — whatever domain the core believes is attached.
    /// </summary>
    public Translation Translate(IommuDevice dev, ulong iova, bool write)
    {
        var data = Data(dev);
        var id = dev.Spec.Ids[0];
        data.Ports.TryGetValue((id.Larb, id.Port), out var port);
        if (!port.MmuEnabled)
            return new Translation(true, iova, "bypass", "port MMU disabled", null);
        var bank = data.Banks[BankId(dev)];
        var table = (ArmV7sPageTable)bank.Dom!.PageTable!;
        ulong busIova = data.Inst.HasFlag("iova-34-en") ? (port.IovaHigh << 32) | (iova & 0xffff_ffffUL) : iova & 0xffff_ffffUL;
        var walk = table.Walk(busIova);
        var last = walk[^1];
        if ((last.Pte & 3) == 0)
            return new Translation(false, 0, "translation",
                $"{data.Inst.Name} bank{bank.Id}: no valid L{last.Level} descriptor for {Hex.Of(busIova)} (index {last.Index} of the table at {Hex.Of(last.TablePa)}); reported by mtk_iommu_isr against {bank.Dom.Name}",
                bank.Dom);
        ulong pa = table.IovaToPhys(busIova);
        return new Translation(true, OutputToCpu(bank.Dom, pa), "ok", "", bank.Dom);
    }
}
