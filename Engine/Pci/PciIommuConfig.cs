using ScenarioEngine.Model;

namespace ScenarioEngine.Pci;

/// <summary>One ID of a PCI function's iommu_fwspec: the requester ID it came from, the stream ID the map gave, and how.</summary>
public readonly record struct PciStreamRef(uint Rid, uint Id, string Why);

/// <summary>A PCI function's IOMMU as of_iommu_configure leaves it: the instance and its IDs, or the errno and why it has none.</summary>
public sealed record PciFwspec(string? Iommu, IReadOnlyList<PciStreamRef> Ids, int Errno, string? Error)
{
    public bool Ok => Errno == 0;
}

/// <summary>
/// of_iommu_configure for a PCI device (drivers/iommu/of_iommu.c, Linux 7.0): pci_for_each_dma_alias
/// calls of_pci_iommu_init for every alias, which maps it through the host bridge's iommu-map
/// (of_map_id) and hands the result to the IOMMU's of_xlate (iommu_fwspec_add_ids): a device behind a
/// PCIe-to-PCI bridge also carries the stream ID of the bridge's alias. The first failing alias ends
/// it and the device has no IOMMU: a requester ID no entry maps (of_map_id bypasses, of_iommu_xlate
/// finds no IOMMU: -ENODEV), a map error (-EFAULT), or aliases that map to two IOMMUs
/// (iommu_fwspec_init: -EINVAL). The root complex's ats-supported becomes IOMMU_FWSPEC_PCI_RC_ATS
/// (of_pci_check_device_ats).
/// </summary>
public static class PciIommuConfig
{
    private const string Src = "drivers/iommu/of_iommu.c of_iommu_configure, Linux 7.0";

    public static PciFwspec Configure(PciDev dev)
    {
        var hb = dev.Bus.Host;
        string? iommu = null;
        var ids = new List<PciStreamRef>();
        foreach (var alias in PciDmaAlias.Walk(dev))
        {
            var m = OfIdMap.Map(hb.IommuMap, hb.IommuMapMask, alias.Rid, "iommu-map");
            var rid = PciDmaAlias.Bdf(dev, alias.Rid);
            if (m.Errno != 0)
                return new(null, ids, m.Errno, $"{m.Why} for RID 0x{alias.Rid:x} ({rid}, {alias.Why}): -{(m.Errno == OfIdMap.Efault ? "EFAULT" : "ENODEV")} from of_map_id ({Src})");
            if (m.Target is null)
                return new(null, ids, OfIdMap.Enodev, $"{hb.Name}'s iommu-map has no entry for RID 0x{alias.Rid:x} ({rid}, {alias.Why}): of_map_id passes the ID through with no IOMMU, and of_iommu_xlate fails with -ENODEV ({Src})");
            if (iommu is not null && iommu != m.Target)
                return new(null, ids, 22, $"RID 0x{alias.Rid:x} ({alias.Why}) maps to {m.Target} but the device's first ID went to {iommu}: iommu_fwspec_init refuses a second IOMMU with -EINVAL ({Src})");
            iommu = m.Target;
            ids.Add(new PciStreamRef(alias.Rid, m.Id, $"RID 0x{alias.Rid:x} ({rid}: {alias.Why}) → 0x{m.Id:x} by {m.Why}"));
        }
        return new(iommu, ids, 0, null);
    }

    /// <summary>The MSI device ID of_msi_map_id gives a requester ID (msi-map; with no entry, the ID passes through), for the report.</summary>
    public static string MsiId(PciDev dev)
    {
        var hb = dev.Bus.Host;
        if (hb.MsiMap.Count == 0) return "";
        var m = OfIdMap.Map(hb.MsiMap, hb.MsiMapMask, dev.Address.Rid, "msi-map");
        return m.Errno != 0 ? $"msi-map: {m.Why}" : m.Target is null ? $"MSI device ID 0x{m.Id:x} (no msi-map entry: passed through)" : $"MSI device ID 0x{m.Id:x} on {m.Target}";
    }
}
