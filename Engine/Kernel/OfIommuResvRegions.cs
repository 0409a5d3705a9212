using ScenarioEngine.Hardware;
using ScenarioEngine.Model;

namespace ScenarioEngine.Kernel;

/// <summary>
/// The DT reserved-memory "iommu-addresses" property as the core turns it into reserved regions
/// (drivers/iommu/of_iommu.c of_iommu_get_resv_regions and iommu_resv_region_get_type, since Linux 6.3;
/// Linux 7.0). Only drivers whose get_resv_regions calls iommu_dma_get_resv_regions opt
/// in (arm-smmu, arm-smmu-v3, apple-dart…); mtk_iommu does not. For each entry naming this device:
/// no reg → RESERVED; reg equal to the IOVA range → DIRECT (identity mapping, require_direct); reg
/// different → WARN and RESERVED; length 0 → WARN and skipped. prot READ|WRITE (CACHE if dma-coherent,
/// which the SoC YAML does not describe yet). Entries for other devices are skipped per the binding
/// (the 7.0 parser's cursor quirk, which misreads them, is not reproduced). Only the nodes the device's
/// own memory-region property lists are walked (of_for_each_phandle over "memory-region"): a node whose
/// iommu-addresses name the device but which the device does not link is ignored (<see cref="Unlinked"/>).
/// </summary>
public static class OfIommuResvRegions
{
    public static IReadOnlyList<ResvRegion> For(Soc soc, IommuDevice dev, EventLog log, ScriptSite site)
    {
        var list = new List<ResvRegion>();
        foreach (var node in soc.ReservedMemory.Where(n => dev.Spec.MemoryRegion.Contains(n.Name)))
            foreach (var a in node.IommuAddresses.Where(a => a.Device == dev.Name))
            {
                if (a.Size == 0)
                {
                    log.Warn(site, $"of_iommu_get_resv_regions: {node.Name}: iommu-addresses entry for {dev.Name} has length 0; skipped");
                    continue;
                }
                ResvType type;
                string why;
                if (node.Base is null)
                {
                    type = ResvType.Reserved;
                    why = $"reserved-memory {node.Name} has no reg: IOVA-only reservation (of_iommu_get_resv_regions)";
                }
                else if (node.Base == a.Iova && node.Size == a.Size)
                {
                    type = ResvType.Direct;
                    why = $"reserved-memory {node.Name}: iommu-addresses equal reg: identity mapping (iommu_resv_region_get_type)";
                }
                else
                {
                    type = ResvType.Reserved;
                    why = $"reserved-memory {node.Name}: iommu-addresses differ from reg; non-identity mappings are not supported, reserved only (iommu_resv_region_get_type WARN)";
                    log.Warn(site, $"of_iommu_get_resv_regions: {node.Name}: IOVA range differs from reg for {dev.Name}; treated as reserved");
                }
                list.Add(new ResvRegion(a.Iova, a.Size, Prot.Read | Prot.Write, type, why));
            }
        return list;
    }

    /// <summary>Reserved-memory nodes whose iommu-addresses name <paramref name="device"/> while the device's memory-region does not link them: of_iommu_get_resv_regions never sees them.</summary>
    public static IEnumerable<string> Unlinked(Soc soc, DeviceSpec device) =>
        soc.ReservedMemory.Where(n => n.IommuAddresses.Any(a => a.Device == device.Name) && !device.MemoryRegion.Contains(n.Name)).Select(n => n.Name);
}
