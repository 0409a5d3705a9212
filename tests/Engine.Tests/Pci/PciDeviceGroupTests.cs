using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using static ScenarioEngine.Tests.Pci.PciBoard;

namespace ScenarioEngine.Tests.Pci;

/// <summary>
/// pci_device_group (drivers/iommu/iommu.c, Linux 7.0, the classic rule) through both Arm SMMU
/// families' device_group: each case is a topology walked by hand against the kernel's order (DMA
/// alias walk, ACS walk with pci_acs_path_enabled, get_pci_alias_group, get_pci_function_alias_group,
/// new group), with the probe order of enumeration (bridges before what is below them). The expected
/// partition and the deciding rule are the hand walk's.
/// </summary>
public class PciDeviceGroupTests
{
    [Fact]
    public void An_endpoint_below_a_root_port_with_ACS_gets_a_group_of_its_own()
    {
        // 00:01.0: root bus, no ACS walk → new. 01:00.0: alias walk meets only the Root Port (no alias);
        // pci_acs_path_enabled(00:01.0) holds → stop; no alias, single function → new.
        var core = Boot(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0")));
        Assert.Equal("00:01.0 | 01:00.0", Groups(core));
        Assert.Equal(PciGroupRule.New, Decision(core, "01:00.0")!.Rule);
    }

    [Fact]
    public void An_endpoint_below_a_root_port_without_ACS_joins_the_root_ports_group()
    {
        var core = Boot(Soc(RootPort("00:01.0", 1, 1) + Endpoint("01:00.0")));
        Assert.Equal("00:01.0,01:00.0", Groups(core));
        var d = Decision(core, "01:00.0")!;
        Assert.Equal(PciGroupRule.Acs, d.Rule);
        Assert.Contains("pci_acs_path_enabled fails at 0000:00:01.0 (Root Port: no ACS capability)", d.Why);
    }

    [Fact]
    public void A_root_port_whose_ACS_control_lacks_a_required_bit_after_boot_does_not_isolate()
    {
        // pci_enable_acs turns on only what the capability advertises; a capability with SV RR CR but
        // not UF leaves UF "hard-wired" (pci_acs_flags_enabled) — isolated. Control can only lack a bit
        // the capability has when the pci= parameter clears it.
        var hardwired = Boot(Soc(RootPort("00:01.0", 1, 1, "acs: { cap: [sv, rr, cr] }") + Endpoint("01:00.0")));
        Assert.Equal("00:01.0 | 01:00.0", Groups(hardwired));
        // config_acs reads its flags from the right (SV TB RR CR UF): UF 0, CR 1, RR 1, TB kept, SV 1
        var cleared = Boot(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0")), KernelKnobs.Default with { Pci = "config_acs=011x1@00:01.0" });
        Assert.Equal("00:01.0,01:00.0", Groups(cleared));
        Assert.Contains("ACS Control lacks UF", Decision(cleared, "01:00.0")!.Why);
    }

    [Fact]
    public void Functions_of_a_multifunction_endpoint_without_ACS_share_a_group()
    {
        // 01:00.0: new (its sibling has no group yet); 01:00.1: get_pci_function_alias_group finds 01:00.0
        var core = Boot(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0") + Endpoint("01:00.1")));
        Assert.Equal("00:01.0 | 01:00.0,01:00.1", Groups(core));
        var d = Decision(core, "01:00.1")!;
        Assert.Equal(PciGroupRule.FunctionAlias, d.Rule);
        Assert.Equal("0000:01:00.1 joins 0000:01:00.0: multifunction without ACS", d.Short);
    }

    [Fact]
    public void Functions_with_ACS_get_groups_of_their_own()
    {
        // a multifunction endpoint's functions need the flags their capability advertises (RR CR here)
        var core = Boot(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0", "acs: { cap: [rr, cr] }") + Endpoint("01:00.1", "acs: { cap: [rr, cr] }")));
        Assert.Equal("00:01.0 | 01:00.0 | 01:00.1", Groups(core));
    }

    [Fact]
    public void A_function_without_ACS_beside_one_with_ACS_still_gets_a_group_of_its_own()
    {
        // 01:00.1 lacks ACS, but get_pci_function_alias_group skips siblings that have it
        var core = Boot(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0", "acs: { cap: [rr, cr] }") + Endpoint("01:00.1")));
        Assert.Equal("00:01.0 | 01:00.0 | 01:00.1", Groups(core));
        Assert.Equal(PciGroupRule.New, Decision(core, "01:00.1")!.Rule);
    }

    [Fact]
    public void Below_a_switch_with_ACS_every_port_and_endpoint_has_a_group_of_its_own()
    {
        // the upstream port is single-function, so pci_acs_enabled counts it as isolated
        var core = Boot(Soc(RootPort("00:01.0", 1, 4, Acs) + Upstream("01:00.0", 2, 4) + Downstream("02:00.0", 3, 3, Acs) + Downstream("02:01.0", 4, 4, Acs)
            + Endpoint("03:00.0") + Endpoint("04:00.0")));
        Assert.Equal("00:01.0 | 01:00.0 | 02:00.0 | 02:01.0 | 03:00.0 | 04:00.0", Groups(core));
    }

    [Fact]
    public void Below_a_switch_without_ACS_each_endpoint_joins_its_own_downstream_ports_group_not_its_neighbours()
    {
        // the classic rule's blind spot: 03:00.0 and 04:00.0 reach each other through the switch, yet
        // each only joins the downstream port above it (the hazard is PciP2pTests')
        var core = Boot(Soc(RootPort("00:01.0", 1, 4, Acs) + Upstream("01:00.0", 2, 4) + Downstream("02:00.0", 3, 3) + Downstream("02:01.0", 4, 4)
            + Endpoint("03:00.0") + Endpoint("04:00.0")));
        Assert.Equal("00:01.0 | 01:00.0 | 02:00.0,03:00.0 | 02:01.0,04:00.0", Groups(core));
    }

    [Fact]
    public void A_multifunction_upstream_port_without_ACS_takes_its_functions_and_everything_below_into_one_group()
    {
        // pci_acs_enabled: an Upstream Port needs ACS only when it is multifunction. 01:00.0 new; 01:00.1
        // joins it (function alias); each downstream port and each endpoint below fails
        // pci_acs_path_enabled at its upstream port's function and joins it
        var core = Boot(Soc(RootPort("00:01.0", 1, 5, Acs) + Upstream("01:00.0", 2, 3) + Upstream("01:00.1", 4, 5)
            + Downstream("02:00.0", 3, 3, Acs) + Endpoint("03:00.0") + Downstream("04:00.0", 5, 5, Acs) + Endpoint("05:00.0")));
        Assert.Equal("00:01.0 | 01:00.0,01:00.1,02:00.0,03:00.0,04:00.0,05:00.0", Groups(core));
        Assert.Contains("pci_acs_path_enabled fails at 0000:01:00.0 (multifunction switch upstream port: no ACS capability)", Decision(core, "03:00.0")!.Why);
    }

    [Fact]
    public void The_chipsets_root_ports_as_functions_of_one_slot_without_ACS_form_one_group_with_all_below_them()
    {
        var core = Boot(Soc(RootPort("00:1c.0", 1, 1) + RootPort("00:1c.1", 2, 2) + RootPort("00:1c.2", 3, 3)
            + Endpoint("01:00.0") + Endpoint("02:00.0") + Endpoint("03:00.0")));
        Assert.Equal("00:1c.0,00:1c.1,00:1c.2,01:00.0,02:00.0,03:00.0", Groups(core));
        Assert.Equal(PciGroupRule.FunctionAlias, Decision(core, "00:1c.2")!.Rule);
        Assert.Equal(PciGroupRule.Acs, Decision(core, "03:00.0")!.Rule);
        Assert.Contains("joins 0000:00:1c.2", Decision(core, "03:00.0")!.Why);
    }

    [Fact]
    public void Conventional_devices_behind_a_PCIe_to_PCI_bridge_join_the_bridges_group_through_their_DMA_alias()
    {
        // pci_for_each_dma_alias: a PCIe-to-PCI bridge aliases as (secondary):00.0 and already has a group
        var soc = Soc(RootPort("00:01.0", 1, 2, Acs) + F("01:00.0", "type: pcie-to-pci-bridge, secondary: 2, subordinate: 2")
            + F("02:04.0", "type: pci") + F("02:05.0", "type: pci"), iommu: V2);
        var core = Boot(soc);
        Assert.Equal("00:01.0 | 01:00.0,02:04.0,02:05.0", Groups(core));
        Assert.Equal(PciGroupRule.Alias, Decision(core, "02:04.0")!.Rule);
        Assert.Contains("0000:01:00.0 (PCIe-to-PCI bridge) takes requests from below as 0000:02:00.0", Decision(core, "02:04.0")!.Why);
        // the SMMU v2 second device finds the alias's stream-map entry remembered (arm_smmu_device_group)
        Assert.Null(Decision(core, "02:05.0"));
        Assert.Equal([0x220u, 0x200u], Dev(core, "02:04.0").Spec.Ids.Cast<Drivers.ArmSmmu.SmmuStreamId>().Select(i => i.Stream));
    }

    [Fact]
    public void On_SMMUv3_the_second_device_behind_a_PCIe_to_PCI_bridge_loses_its_IOMMU_to_the_aliased_stream_ID()
    {
        // arm_smmu_insert_master: the bridge's alias 02:00.0 is already 02:04.0's: "Aliasing StreamID … unsupported"
        var core = Boot(Soc(RootPort("00:01.0", 1, 2, Acs) + F("01:00.0", "type: pcie-to-pci-bridge, secondary: 2, subordinate: 2")
            + F("02:04.0", "type: pci") + F("02:05.0", "type: pci")));
        Assert.Equal("00:01.0 | 01:00.0,02:04.0", Groups(core));
        var lost = Dev(core, "02:05.0");
        Assert.Null(lost.Group);
        Assert.Equal(Errno.ENODEV, lost.ProbeError.Errno);
        Assert.Contains("Aliasing StreamID 0x200 (from 0000:02:04.0) unsupported", lost.ProbeError.Why);
    }

    [Fact]
    public void Behind_a_no_alias_bridge_the_devices_join_by_the_ACS_walk_instead_of_the_alias()
    {
        // quirk_aspeed_pci_bridge_no_alias (1a03:1150): no alias, so the ACS walk finds the bridge (a
        // PCIe-to-PCI bridge is never isolated) — the same group by another rule, and no shared stream ID
        var core = Boot(Soc(RootPort("00:01.0", 1, 2, Acs) + F("01:00.0", "type: pcie-to-pci-bridge, id: \"1a03:1150\", secondary: 2, subordinate: 2")
            + F("02:04.0", "type: pci") + F("02:05.0", "type: pci")));
        Assert.Equal("00:01.0 | 01:00.0,02:04.0,02:05.0", Groups(core));
        Assert.Equal(PciGroupRule.Acs, Decision(core, "02:05.0")!.Rule);
        Assert.Equal([0x228u], Dev(core, "02:05.0").Spec.Ids.Cast<Drivers.ArmSmmuV3.SmmuV3StreamId>().Select(i => i.Stream));
    }

    [Fact]
    public void A_Marvell_SATA_controller_carries_function_1s_requester_ID_as_well()
    {
        // quirk_dma_func1_alias (1b4b:9123): dma_alias_mask 00.1, a stream ID for a function that does not exist
        var core = Boot(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0", "id: \"1b4b:9123\"")));
        Assert.Equal("00:01.0 | 01:00.0", Groups(core));
        Assert.Equal([0x100u, 0x101u], Dev(core, "01:00.0").Spec.Ids.Cast<Drivers.ArmSmmuV3.SmmuV3StreamId>().Select(i => i.Stream));
    }

    [Fact]
    public void Functions_that_alias_function_0_share_its_stream_map_entry_on_SMMU_v2_and_lose_their_IOMMU_on_SMMUv3()
    {
        // quirk_dma_func0_alias (Ricoh 1180:e832): 01:00.1's fwspec is [0x101, 0x100], and 0x100 is 01:00.0's.
        // SMMU v2: the entry for 0x100 remembers 01:00.0's group (arm_smmu_device_group) before
        // pci_device_group is asked. SMMUv3: arm_smmu_insert_master refuses the alias (-ENODEV).
        var fns = RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0", "id: \"1180:e832\", acs: { cap: [rr, cr] }")
            + Endpoint("01:00.1", "id: \"1180:e832\", acs: { cap: [rr, cr] }");
        var v2 = Boot(Soc(fns, iommu: V2));
        Assert.Equal("00:01.0 | 01:00.0,01:00.1", Groups(v2));
        Assert.Equal([0x101u, 0x100u], Dev(v2, "01:00.1").Spec.Ids.Cast<Drivers.ArmSmmu.SmmuStreamId>().Select(i => i.Stream));
        var v3 = Boot(Soc(fns));
        Assert.Equal("00:01.0 | 01:00.0", Groups(v3));
        Assert.Contains("Aliasing StreamID 0x100 (from 0000:01:00.0) unsupported", Dev(v3, "01:00.1").ProbeError.Why);
    }

    [Fact]
    public void Get_pci_alias_group_joins_a_device_to_the_group_of_a_DMA_alias_on_its_bus()
    {
        // On both Arm SMMUs the alias's shared stream ID decides first (above); the rule itself, asked
        // directly: 01:00.1 aliases 01:00.0, which has a group, though both functions have ACS.
        var host = Host(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0", "id: \"1180:e832\", acs: { cap: [rr, cr] }")
            + Endpoint("01:00.1", "id: \"1180:e832\", acs: { cap: [rr, cr] }")));
        ScenarioEngine.Pci.PciAcsSetup.EnableAll(host, ScenarioEngine.Pci.PciKernelParams.None);
        var g0 = new IommuGroup(7, new TestKey());
        var fn0 = Pdev(host, "01:00.0");
        var d = PciDeviceGroup.Find(host, Pdev(host, "01:00.1"), p => p == fn0 ? g0 : null);
        Assert.Equal(PciGroupRule.AliasGroup, d.Rule);
        Assert.Same(g0, d.Group);
        Assert.Contains("0000:01:00.1 and 0000:01:00.0 are DMA aliases (0000:01:00.1's dma_alias_mask has 00.0)", d.Why);
        // and the other way round: the device probed second is the one aliased
        var rev = PciDeviceGroup.Find(host, fn0, p => p == Pdev(host, "01:00.1") ? g0 : null);
        Assert.Equal(PciGroupRule.AliasGroup, rev.Rule);
    }

    [Fact]
    public void Get_pci_alias_group_visits_each_devfn_once_so_functions_aliasing_each_other_end_in_a_new_group()
    {
        // 01:00.0 aliases 00.1 by hand and 01:00.1 aliases 00.0 (Ricoh's quirk): the devfns bitmap ends the recursion
        var host = Host(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0", "dma-alias: [\"00.1\"], acs: { cap: [rr, cr] }")
            + Endpoint("01:00.1", "id: \"1180:e832\", acs: { cap: [rr, cr] }")));
        ScenarioEngine.Pci.PciAcsSetup.EnableAll(host, ScenarioEngine.Pci.PciKernelParams.None);
        var d = PciDeviceGroup.Find(host, Pdev(host, "01:00.1"), _ => null);
        Assert.Equal(PciGroupRule.New, d.Rule);
    }

    private sealed record TestKey : GroupKey;

    [Fact]
    public void A_multifunction_endpoint_the_kernel_knows_does_no_peer_to_peer_counts_as_isolated()
    {
        // pci_quirk_mf_endpoint_acs: Intel 82599 (8086:10fb) has no ACS capability, yet each function is a group
        var core = Boot(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0", "id: \"8086:10fb\"") + Endpoint("01:00.1", "id: \"8086:10fb\"")));
        Assert.Equal("00:01.0 | 01:00.0 | 01:00.1", Groups(core));
    }

    [Fact]
    public void A_Wangxun_function_off_the_quirks_list_counts_as_not_isolated_even_with_ACS()
    {
        // pci_quirk_wangxun_nic_acs returns false (0) for any other Wangxun device: the quirk decides before the capability
        var core = Boot(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0", "id: \"8088:1234\", acs: { cap: [rr, cr] }") + Endpoint("01:00.1", "id: \"8088:1234\", acs: { cap: [rr, cr] }")));
        Assert.Equal("00:01.0 | 01:00.0,01:00.1", Groups(core));
        var listed = Boot(Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0", "id: \"8088:1001\"") + Endpoint("01:00.1", "id: \"8088:1001\"")));
        Assert.Equal("00:01.0 | 01:00.0 | 01:00.1", Groups(listed));
    }

    [Fact]
    public void A_Qualcomm_root_port_without_an_ACS_capability_isolates_by_its_quirk()
    {
        // pci_quirk_qcom_rp_acs (17cb:0400)
        var core = Boot(Soc(RootPort("00:00.0", 1, 1, "id: \"17cb:0400\"") + Endpoint("01:00.0")));
        Assert.Equal("00:00.0 | 01:00.0", Groups(core));
    }

    [Fact]
    public void An_IDT_switch_port_loses_SV_from_its_capability_which_then_counts_as_hard_wired()
    {
        // pci_disable_broken_acs_cap drops SV; pci_acs_flags_enabled takes what the capability lacks as on
        var core = Boot(Soc(RootPort("00:01.0", 1, 3, Acs) + Upstream("01:00.0", 2, 3, "id: \"111d:80b5\"") + Downstream("02:00.0", 3, 3, "id: \"111d:80b5\", " + Acs) + Endpoint("03:00.0")));
        Assert.Equal(AcsFlags.RR | AcsFlags.CR | AcsFlags.UF, core.PciHost!.Devices.First(d => d.Address.ToString().EndsWith("02:00.0", StringComparison.Ordinal)).AcsCap);
        Assert.Equal("00:01.0 | 01:00.0 | 02:00.0 | 03:00.0", Groups(core));
    }

    [Fact]
    public void On_SMMU_v2_a_group_remembered_on_a_stream_map_entry_wins_over_pci_device_group()
    {
        // iommu-map-mask 0xff00 maps 01:00.0 and 01:00.1 to one stream ID: on v2 the second finds the
        // SMR entry's group (arm_smmu_device_group) although their ACS would part them; on v3 the second
        // is refused ("Aliasing StreamID")
        var fns = RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0", "acs: { cap: [rr, cr] }") + Endpoint("01:00.1", "acs: { cap: [rr, cr] }");
        var v2 = Boot(Soc(fns, iommu: V2, host: "    iommu-map-mask: 0xff00\n"));
        Assert.Equal("00:01.0 | 01:00.0,01:00.1", Groups(v2));
        Assert.Null(Decision(v2, "01:00.1"));
        Assert.Contains("0000:01:00.1 joins 0000:01:00.0: the stream-map entry for 0x100 that 0000:01:00.0 took first remembers its group", Dev(v2, "01:00.1").GroupWhy);
        var v3 = Boot(Soc(fns, host: "    iommu-map-mask: 0xff00\n"));
        Assert.Equal("00:01.0 | 01:00.0", Groups(v3));
        Assert.Equal(Errno.ENODEV, Dev(v3, "01:00.1").ProbeError.Errno);
    }

    [Fact]
    public void A_function_whose_requester_ID_no_iommu_map_entry_covers_has_no_IOMMU()
    {
        // of_map_id bypasses, of_iommu_xlate finds no IOMMU (-ENODEV): not a master, no group, said at boot
        var soc = Soc(RootPort("00:01.0", 1, 1, Acs) + Endpoint("01:00.0")).Replace("length: 0x10000", "length: 0x100");
        var core = Boot(soc);
        Assert.Equal("00:01.0", Groups(core));
        Assert.DoesNotContain(core.Devices, d => d.Name == "0000:01:00.0");
        Assert.Contains(core.BootEvents, e => e.Kind == BootEventKind.PciNoIommu && e.Text.Contains("iommu-map has no entry for RID 0x100", StringComparison.Ordinal));
    }

    [Fact]
    public void A_device_whose_aliases_map_to_two_IOMMUs_has_none()
    {
        // iommu_fwspec_init refuses a second fwnode (-EINVAL): the conventional device's own RID maps to
        // smmu, its bridge alias 02:00.0 to smmu2
        var soc = Soc(RootPort("00:01.0", 1, 2, Acs) + F("01:00.0", "type: pcie-to-pci-bridge, secondary: 2, subordinate: 2") + F("02:04.0", "type: pci"))
            .Replace("  - { name: smmu, driver: arm-smmu-v3, sid-bits: 16 }", "  - { name: smmu, driver: arm-smmu-v3, sid-bits: 16 }\n  - { name: smmu2, driver: arm-smmu-v3, sid-bits: 16 }")
            .Replace("[ { rid-base: 0x0, iommu: smmu, iommu-base: 0x0, length: 0x10000 } ]", "[ { rid-base: 0x0, iommu: smmu, iommu-base: 0x0, length: 0x200 }, { rid-base: 0x200, iommu: smmu2, iommu-base: 0x0, length: 0x1 }, { rid-base: 0x201, iommu: smmu, iommu-base: 0x201, length: 0xfdff } ]");
        var core = Boot(soc);
        Assert.DoesNotContain(core.Devices, d => d.Name == "0000:02:04.0");
        Assert.Contains(core.BootEvents, e => e.Kind == BootEventKind.PciNoIommu && e.Text.Contains("maps to smmu2 but the device's first ID went to smmu", StringComparison.Ordinal));
    }

    [Fact]
    public void A_MediaTek_infra_IOMMU_keeps_its_bank_and_region_group_for_PCI_functions()
    {
        // mtk_iommu_device_group never calls pci_device_group: functions ACS would part share the
        // region's group. iommu-map-mask 0 maps every requester ID to 0x10: MTK_M4U_ID(larb 0, port 16).
        const string infra = "{ name: smmu, driver: mediatek, type: infra, banks: 5, banks-enabled: [0, 4], bank-ports: { 0: [16-19], 4: [20-31] }, "
            + "flags: [wr-throt-en, dcm-disable, std-axi-mode, pm-clk-ao, ifa-iommu-pcie-support] }";
        var soc = Soc(RootPort("00:00.0", 1, 1, Acs) + Endpoint("01:00.0", "acs: { cap: [rr, cr] }") + Endpoint("01:00.1", "acs: { cap: [rr, cr] }"),
            iommu: infra, host: "    iommu-map-mask: 0x0\n").Replace("iommu-base: 0x0", "iommu-base: 0x10");
        var core = Boot(soc);
        Assert.Equal("00:00.0,01:00.0,01:00.1", Groups(core));
        Assert.Contains("mtk_iommu_device_group", core.Groups[0].Devices[0].Driver.GroupRule(core.Groups[0]));
        Assert.Null(Decision(core, "01:00.1"));
    }

    [Fact]
    public void A_downstream_port_below_a_downstream_port_is_taken_as_an_upstream_port()
    {
        // set_pcie_port_type corrects the type, so pci_acs_enabled judges it as an Upstream Port
        var host = Host(Soc(RootPort("00:01.0", 1, 3, Acs) + Downstream("01:00.0", 2, 3) + Downstream("02:00.0", 3, 3, Acs) + Endpoint("03:00.0")));
        var fixedUp = Pdev(host, "01:00.0");
        Assert.Equal(PciType.UpstreamPort, fixedUp.Type);
        Assert.Contains("claims to be downstream port but is acting as upstream port", fixedUp.Fixups[0]);
        Assert.Equal(PciType.DownstreamPort, Pdev(host, "02:00.0").Type);
    }

    [Fact]
    public void Groups_follow_enumeration_order_a_bridge_is_probed_before_everything_below_it_even_listed_last()
    {
        // the file lists the endpoint first; enumeration still probes the Root Port first, so the
        // endpoint finds its group (were the endpoint probed first, both would get groups of their own)
        var core = Boot(Soc(Endpoint("01:00.0") + RootPort("00:01.0", 1, 1)));
        Assert.Equal("00:01.0,01:00.0", Groups(core));
        Assert.Equal(["0000:00:01.0", "0000:01:00.0"], core.Devices.Select(d => d.Name));
    }
}
