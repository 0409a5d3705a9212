using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using static ScenarioEngine.Tests.Pci.PciBoard;

namespace ScenarioEngine.Tests.Pci;

/// <summary>
/// DMA ownership as VFIO and iommufd take it (drivers/iommu/iommu.c, Linux 7.0):
/// iommu_group_claim_dma_owner, iommu_device_claim_dma_owner, __iommu_take_dma_ownership,
/// iommu_device_release_dma_owner, and the driver core's iommu_device_use_default_domain /
/// iommu_device_unuse_default_domain — on a dual-function NIC whose functions share a group.
/// </summary>
public class DmaOwnershipTests
{
    private static IommuCore Nic() => Boot(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0", "name: nic0") + Endpoint("01:00.1", "name: nic1")));

    [Fact]
    public void A_group_with_a_DMA_API_driver_still_bound_cannot_be_claimed_it_is_not_viable()
    {
        var core = Nic();
        var nic0 = core.Device("nic0")!;
        var g = nic0.Group!;
        Assert.Equal(2, g.OwnerCnt); // both host drivers (iommu_device_use_default_domain at bind)
        Assert.Contains("owner_cnt 1", core.DeviceUnuseDefaultDomain(nic0).Why); // nic0's host driver unbinds (vfio-pci, driver_managed_dma, takes its place)
        var r = core.ClaimDmaOwner(g, owner: "vfio");
        Assert.Equal(Errno.EPERM, r.Errno);
        Assert.Contains("a DMA-API driver is bound: nic1", r.Why);
        var d = core.DeviceClaimDmaOwner(nic0, "iommufd");
        Assert.Equal(Errno.EPERM, d.Errno);
        Assert.Same(g.DefaultDomain, g.Domain); // nothing moved
    }

    [Fact]
    public void Once_no_driver_holds_the_group_a_device_claim_blocks_it_and_the_same_owner_counts_again()
    {
        var core = Nic();
        var (nic0, nic1) = (core.Device("nic0")!, core.Device("nic1")!);
        core.DeviceUnuseDefaultDomain(nic0);
        core.DeviceUnuseDefaultDomain(nic1);
        var g = nic0.Group!;
        Assert.True(core.DeviceClaimDmaOwner(nic0, "iommufd").Ok);
        Assert.Same(g.BlockingDomain, g.Domain);
        Assert.Equal(("iommufd", 1), (g.Owner as string, g.OwnerCnt));
        Assert.True(core.DeviceClaimDmaOwner(nic1, "iommufd").Ok);
        Assert.Equal(2, g.OwnerCnt);
        Assert.Equal(Errno.EPERM, core.DeviceClaimDmaOwner(nic1, "vfio").Errno);
        Assert.Equal(Errno.EPERM, core.ClaimDmaOwner(g, owner: "iommufd").Errno); // the group claim wants owner_cnt 0, whoever asks
        // the host driver cannot bind back while the group is owned
        Assert.Equal(Errno.EBUSY, core.DeviceUseDefaultDomain(nic1).Errno);
        // a read is blocked now (the blocked domain: abort STE)
        Assert.False(DeviceAccess.Perform(core, nic1, 0x1000, 4, false).Ok);
        core.DeviceReleaseDmaOwner(nic1);
        Assert.Equal((1, (IommuDomain?)g.BlockingDomain), (g.OwnerCnt, g.Domain));
        core.DeviceReleaseDmaOwner(nic0);
        Assert.Equal((0, (object?)null, (IommuDomain?)g.DefaultDomain), (g.OwnerCnt, g.Owner, g.Domain));
        Assert.True(core.DeviceUseDefaultDomain(nic1).Ok);
    }

    [Fact]
    public void A_device_without_a_group_cannot_be_claimed_and_unusing_an_uncounted_group_warns()
    {
        var core = Boot(Soc(RootPort("00:01.0", 1, 2, Acs) + F("01:00.0", "type: pcie-to-pci-bridge, secondary: 2, subordinate: 2")
            + F("02:04.0", "type: pci") + F("02:05.0", "type: pci, name: lost")));
        var lost = core.Device("lost")!;
        Assert.Null(lost.Group); // SMMUv3: its bridge alias is 02:04.0's stream ID
        Assert.Equal(Errno.ENODEV, core.DeviceClaimDmaOwner(lost, "vfio").Errno);
        var bridge = core.Devices.First(d => d.Name == "0000:01:00.0");
        var g = bridge.Group!;
        core.DeviceUnuseDefaultDomain(core.Devices.First(d => d.Name == "0000:02:04.0"));
        Assert.Equal(0, g.OwnerCnt);
        var w = core.DeviceUnuseDefaultDomain(bridge);
        Assert.Contains("WARN_ON", w.Why);
        Assert.Contains(core.Machine.Log.Events, e => e.Kind == EventKind.Warn && e.Why.Contains("iommu_device_unuse_default_domain", StringComparison.Ordinal));
    }
}
