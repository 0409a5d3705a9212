using ScenarioEngine.Model;

namespace ScenarioEngine.Kernel;

/// <summary>
/// DMA ownership as VFIO and iommufd take it and as the driver core counts drivers (drivers/iommu/iommu.c,
/// Linux 7.0): iommu_device_claim_dma_owner (iommufd_device_bind: -ENODEV without a group; with
/// owner_cnt set, the same owner adds one and another gets -EPERM; else __iommu_take_dma_ownership),
/// iommu_device_release_dma_owner (one less, or the release back to the default domain with the last),
/// and iommu_device_unuse_default_domain (a DMA-API driver unbinding: owner_cnt − 1, WARN at 0). A DMA
/// API driver binding is iommu_device_use_default_domain (IommuCore.DeviceUseDefaultDomain); a driver
/// with driver_managed_dma (vfio-pci, pcieport, pci-stub) takes neither. Owners are named by the
/// script ("vfio", "iommufd-1"): the kernel compares the owner cookie, a name stands for one.
/// Not modelled: the PASID array's checks (no PASIDs are attached in this model).
/// </summary>
public sealed partial class IommuCore
{
    /// <summary>The owner a script's claim names when it names none.</summary>
    public const string ScriptOwner = "script";

    /// <summary>The masters of a group whose DMA-API driver is bound (they count in owner_cnt).</summary>
    private static string BoundIn(IommuGroup g) => g.Devices.Where(d => d.DriverBound).Select(d => d.Name).DefaultIfEmpty("none recorded").Aggregate((a, b) => a + ", " + b);

    /// <summary>iommu_device_claim_dma_owner(dev, owner).</summary>
    public Outcome DeviceClaimDmaOwner(IommuDevice dev, string owner, ScriptSite site = default)
    {
        var g = dev.Group;
        if (g is null) return Outcome.Fail(Errno.ENODEV, $"{dev.Name} has no IOMMU group (iommu_device_claim_dma_owner, {Src})");
        if (g.OwnerCnt != 0)
        {
            if (!Equals(g.Owner, owner))
                return Outcome.Fail(Errno.EPERM, $"{g.Name} owner_cnt is {g.OwnerCnt} ({(g.Owner is not null ? $"claimed by {g.Owner}" : $"a DMA-API driver is bound: {BoundIn(g)}")}), and the owner is not {owner} (iommu_device_claim_dma_owner, {Src})");
            g.OwnerCnt++;
            return Outcome.Note($"{g.Name} is already {owner}'s: owner_cnt {g.OwnerCnt}");
        }
        return TakeDmaOwnership(g, site, owner);
    }

    /// <summary>iommu_device_release_dma_owner(dev): owner_cnt − 1, or (the last) back to the default domain.</summary>
    public Outcome DeviceReleaseDmaOwner(IommuDevice dev, ScriptSite site = default)
    {
        var g = dev.Group;
        if (g is null) return Outcome.Note($"{dev.Name} has no group: nothing to release");
        if (g.OwnerCnt > 1)
        {
            g.OwnerCnt--;
            return Outcome.Note($"{g.Name} owner_cnt {g.OwnerCnt}: still {g.Owner}'s");
        }
        return ReleaseDmaOwner(g, site);
    }

    /// <summary>iommu_device_unuse_default_domain(dev): the driver core after a DMA-API driver's remove.</summary>
    public Outcome DeviceUnuseDefaultDomain(IommuDevice dev, ScriptSite site = default)
    {
        var g = dev.Group;
        if (g is null) return Outcome.Note($"{dev.Name} has no group: nothing counted");
        if (g.OwnerCnt == 0)
        {
            Machine.Log.Warn(site, $"iommu_device_unuse_default_domain: {g.Name} owner_cnt is 0; WARN_ON, nothing done ({Src})");
            return Outcome.Note($"WARN_ON: {g.Name} owner_cnt is already 0; nothing done");
        }
        g.OwnerCnt--;
        dev.DriverBound = false;
        return Outcome.Note($"{dev.Name}'s DMA-API driver unbound: {g.Name} owner_cnt {g.OwnerCnt}" + (g.OwnerCnt == 0 ? " (VFIO_GROUP_FLAGS_VIABLE: nothing holds the group now)" : ""));
    }
}
