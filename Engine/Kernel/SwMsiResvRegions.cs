using ScenarioEngine.Model;

namespace ScenarioEngine.Kernel;

/// <summary>
/// The reserved regions a driver reports when its get_resv_regions adds the software MSI window and
/// then calls iommu_dma_get_resv_regions (drivers/iommu/dma-iommu.c → of_iommu_get_resv_regions: DT
/// iommu-addresses): arm_smmu_get_resv_regions in both arm-smmu.c and arm-smmu-v3.c, which allocate
/// [MSI_IOVA_BASE, +MSI_IOVA_LENGTH) = [0x8000000, +1 MiB) with IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_MMIO
/// as IOMMU_RESV_SW_MSI. The list is the same on every call, so it is made once per device (and the DT
/// parser's WARNs are logged once).
/// </summary>
public sealed class SwMsiResvRegions(IommuCore core, string function)
{
    public const ulong MsiIovaBase = 0x800_0000UL, MsiIovaLength = 0x10_0000UL;

    private readonly Dictionary<IommuDevice, IReadOnlyList<ResvRegion>> _made = new();

    public IReadOnlyList<ResvRegion> For(IommuDevice dev, ScriptSite site)
    {
        if (_made.TryGetValue(dev, out var cached)) return cached;
        var list = new List<ResvRegion>
        {
            new(MsiIovaBase, MsiIovaLength, Prot.Write | Prot.NoExec | Prot.Mmio, ResvType.SwMsi,
                $"software MSI window MSI_IOVA_BASE/MSI_IOVA_LENGTH ({function})"),
        };
        list.AddRange(OfIommuResvRegions.For(core.Soc, dev, core.Machine.Log, site));
        _made[dev] = list;
        return list;
    }
}
