using ScenarioEngine.Model;
using ScenarioEngine.Pci;
using static ScenarioEngine.Tests.Pci.PciBoard;

namespace ScenarioEngine.Tests.Pci;

/// <summary>
/// pci_for_each_dma_alias (drivers/pci/search.c), the DMA-alias header fixups (drivers/pci/quirks.c),
/// of_map_id (drivers/of/base.c) and of_iommu_configure's use of them (drivers/iommu/of_iommu.c), and
/// enumeration order (drivers/pci/probe.c), Linux 7.0.
/// </summary>
public class PciAliasTests
{
    private static string Walk(PciHost host, string bdf) =>
        string.Join(" ", PciDmaAlias.Walk(Pdev(host, bdf)).Select(a => $"{a.Dev.Address.ToString()[5..]}:{a.Rid:x}"));

    [Fact]
    public void Root_upstream_and_downstream_ports_forward_the_requester_ID_unchanged()
    {
        var host = Host(Soc(RootPort("00:01.0", 1, 3, Acs) + Upstream("01:00.0", 2, 3) + Downstream("02:00.0", 3, 3) + Endpoint("03:00.0")));
        Assert.Equal("03:00.0:300", Walk(host, "03:00.0"));
    }

    [Fact]
    public void A_PCIe_to_PCI_bridge_adds_secondary_bus_00_0_and_a_PCI_to_PCIe_bridge_its_own_ID()
    {
        var host = Host(Soc(RootPort("00:01.0", 1, 3, Acs) + F("01:00.0", "type: pcie-to-pci-bridge, secondary: 2, subordinate: 3")
            + F("02:01.0", "type: pci-to-pcie-bridge, secondary: 3, subordinate: 3") + F("03:00.0", "type: endpoint")));
        Assert.Equal("03:00.0:300 02:01.0:208 01:00.0:200", Walk(host, "03:00.0"));
    }

    [Fact]
    public void A_conventional_bridge_adds_its_own_ID_or_as_a_PCIe_bridge_with_the_quirk_flag()
    {
        // quirk_use_pcie_bridge_dma_alias (ASMedia 1b21:1080): a non-root conventional bridge below a PCIe port
        var plain = Host(Soc(RootPort("00:01.0", 1, 2, Acs) + F("01:00.0", "type: pci-bridge, secondary: 2, subordinate: 2") + F("02:03.0", "type: pci")));
        Assert.Equal("02:03.0:218 01:00.0:100", Walk(plain, "02:03.0"));
        var asm = Host(Soc(RootPort("00:01.0", 1, 2, Acs) + F("01:00.0", "type: pci-bridge, id: \"1b21:1080\", secondary: 2, subordinate: 2") + F("02:03.0", "type: pci")));
        Assert.Equal("02:03.0:218 01:00.0:200", Walk(asm, "02:03.0"));
        Assert.Equal(PciDevFlags.PcieBridgeAlias, Pdev(asm, "01:00.0").DevFlags);
        // not below a PCIe port that is not itself a PCIe-to-PCI bridge: no flag
        var under = Host(Soc(RootPort("00:01.0", 1, 3, Acs) + F("01:00.0", "type: pcie-to-pci-bridge, secondary: 2, subordinate: 3")
            + F("02:00.0", "type: pci-bridge, id: \"1b21:1080\", secondary: 3, subordinate: 3") + F("03:00.0", "type: pci")));
        Assert.Equal(PciDevFlags.None, Pdev(under, "02:00.0").DevFlags);
    }

    [Fact]
    public void A_translation_root_bridge_ends_the_walk_and_a_no_alias_bridge_adds_nothing()
    {
        // quirk_bridge_cavm_thrx2_pcie_root (Broadcom 14e4:9000) and quirk_aspeed_pci_bridge_no_alias (1a03:1150)
        var host = Host(Soc(RootPort("00:01.0", 1, 3, Acs) + F("01:00.0", "type: pcie-to-pci-bridge, secondary: 2, subordinate: 3")
            + F("02:00.0", "type: pci-bridge, id: \"14e4:9000\", secondary: 3, subordinate: 3") + F("03:00.0", "type: pci")));
        Assert.Equal("03:00.0:300", Walk(host, "03:00.0"));
        var aspeed = Host(Soc(RootPort("00:01.0", 1, 2, Acs) + F("01:00.0", "type: pcie-to-pci-bridge, id: \"1a03:1150\", secondary: 2, subordinate: 2") + F("02:00.0", "type: pci")));
        Assert.Equal("02:00.0:200", Walk(aspeed, "02:00.0"));
    }

    [Fact]
    public void The_dma_alias_mask_adds_devfns_on_the_devices_own_bus_in_ascending_order()
    {
        var host = Host(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0", "dma-alias: [\"00.3\", \"00.1\"]")));
        Assert.Equal("01:00.0:100 01:00.0:101 01:00.0:103", Walk(host, "01:00.0"));
        // quirk_fixed_dma_alias matches on the subsystem IDs too (Adaptec 3405: the I/O processor's ATU at 0e.0 behind its PCIe-to-PCI bridge, DMA as 01.0)
        string Adaptec(string sub) => RootPort("00:01.0", 1, 2, Acs) + F("01:00.0", "type: pcie-to-pci-bridge, secondary: 2, subordinate: 2")
            + F("02:0e.0", $"type: pci, id: \"9005:0285\", subsystem: \"{sub}\"");
        Assert.Equal("02:0e.0:270 02:0e.0:208 01:00.0:200", Walk(Host(Soc(Adaptec("9005:02bb"))), "02:0e.0"));
        Assert.Equal("02:0e.0:270 01:00.0:200", Walk(Host(Soc(Adaptec("9005:0001"))), "02:0e.0"));
    }

    [Fact]
    public void An_NTB_quirk_aliases_every_devfn_of_the_bus()
    {
        var host = Host(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0", "id: \"10b5:87b0\"")));
        Assert.Equal(257, PciDmaAlias.Walk(Pdev(host, "01:00.0")).Count());
    }

    [Theory]
    [InlineData(null, 0x1234u, "smmu", 0x1234u)]
    [InlineData(0xff00u, 0x1234u, "smmu", 0x1200u)] // iommu-map-mask ANDed first
    [InlineData(0u, 0x1234u, "smmu", 0x0u)]
    public void Of_map_id_masks_then_maps_through_the_first_entry_that_holds_the_id(uint? mask, uint rid, string target, uint id)
    {
        var map = new List<IdMapEntry> { new(0x0, "smmu", 0x0, 0x10000, SourceSpan.None), new(0x0, "other", 0x9000, 0x10000, SourceSpan.None) };
        var r = OfIdMap.Map(map, mask, rid, "iommu-map");
        Assert.Equal((0, target, id), (r.Errno, r.Target, r.Id));
    }

    [Fact]
    public void Of_map_id_bypasses_an_id_no_entry_holds_and_refuses_an_id_base_the_mask_ignores()
    {
        var map = new List<IdMapEntry> { new(0x100, "smmu", 0x40, 0x100, SourceSpan.None) };
        Assert.Equal((0, (string?)null, 0x99u), (OfIdMap.Map(map, null, 0x99, "iommu-map").Errno, OfIdMap.Map(map, null, 0x99, "iommu-map").Target, OfIdMap.Map(map, null, 0x99, "iommu-map").Id));
        Assert.Equal(0x41u, OfIdMap.Map(map, null, 0x101, "iommu-map").Id);
        Assert.Equal(OfIdMap.Efault, OfIdMap.Map(map, 0xff, 0x101, "iommu-map").Errno);
        Assert.Equal(OfIdMap.Enodev, OfIdMap.Map([], null, 0x101, "iommu-map").Errno);
    }

    [Fact]
    public void Enumeration_adds_a_buss_devices_then_walks_behind_each_bridge_depth_first()
    {
        // pci_scan_child_bus_extend: every slot of a bus, then pass 0 behind each bridge in turn
        var host = Host(Soc(RootPort("00:01.0", 1, 3, Acs) + RootPort("00:02.0", 4, 4, Acs) + Upstream("01:00.0", 2, 3) + Downstream("02:00.0", 3, 3, Acs)
            + Endpoint("03:00.0") + Endpoint("04:00.0")));
        Assert.Equal(["00:01.0", "00:02.0", "01:00.0", "02:00.0", "03:00.0", "04:00.0"], host.Devices.Select(d => d.Address.ToString()[5..]));
        // and groups are numbered as the IOMMU probes them in that order (iommu_group_alloc)
        var core = Boot(Soc(RootPort("00:01.0", 1, 3, Acs) + RootPort("00:02.0", 4, 4, Acs) + Upstream("01:00.0", 2, 3) + Downstream("02:00.0", 3, 3, Acs)
            + Endpoint("03:00.0") + Endpoint("04:00.0")));
        Assert.Equal("00:01.0 | 00:02.0 | 01:00.0 | 02:00.0 | 03:00.0 | 04:00.0", Groups(core));
    }

    [Fact]
    public void A_function_on_a_root_port_with_ats_and_a_host_bridge_that_says_ats_supported_gets_ATS()
    {
        var core = Boot(Soc(RootPort("00:01.0", 1, 2, Acs) + RootPort("00:02.0", 3, 3, Acs) + Endpoint("01:00.0", "ats: true") + Endpoint("03:00.0"), host: "    ats-supported: true\n"));
        Assert.True(((Drivers.ArmSmmuV3.SmmuV3StreamId)Dev(core, "01:00.0").Spec.Ids[0]).Ats);
        Assert.False(((Drivers.ArmSmmuV3.SmmuV3StreamId)Dev(core, "03:00.0").Spec.Ids[0]).Ats);
        var noRc = Boot(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0", "ats: true")));
        Assert.False(((Drivers.ArmSmmuV3.SmmuV3StreamId)Dev(noRc, "01:00.0").Spec.Ids[0]).Ats);
    }
}
