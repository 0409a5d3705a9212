using ScenarioEngine.Config;
using ScenarioEngine.Yaml;
using ScenarioEngine.Drivers.Mediatek;
using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Tests;

/// <summary>drivers/iommu/mtk_iommu.c rules (Linux 7.0: mtk_iommu_get_group_id, mtk_iommu_domain_finalise, mtk_iommu_attach_device).</summary>
public class MediatekIommuTests
{
    internal static IommuCore Boot(string socYaml, KernelKnobs? knobs = null)
    {
        using var tree = new TestTree();
        var path = tree.Write("scenarios/socs/s.yaml", socYaml);
        var soc = SocLoader.LoadFile(path, "s.yaml");
        MediatekIommu? drv = null;
        var core = new IommuCore(soc, knobs ?? KernelKnobs.Default, (c, _) => drv ??= new MediatekIommu(c), Dma.CoreDma.For);
        core.Boot();
        return core;
    }

    private const string Mem = "soc: s\nmemory:\n  - { name: dram, base: 0x4000_0000, size: 2GiB }\n";

    [Fact]
    public void A_single_bank_single_region_soc_puts_every_master_in_one_group()
    {
        var core = Boot(TestTree.Soc);
        Assert.Single(core.Groups);
        Assert.Equal(3, core.Groups[0].Devices.Count);
        Assert.Equal(Errno.EINVAL, core.AttachDevice(core.DomainAlloc(core.Device("apu")!, DomainType.Unmanaged).Value!, core.Device("apu")!).Errno);
    }

    private const string Banked = Mem + """
        iommus:
          - name: infra
            driver: mediatek
            type: infra
            banks: 5
            banks-enabled: [0, 4]
            bank-ports: { 0: [16-19], 4: [20-31] }
        devices:
          - { name: pcie, ids: [ { iommu: infra, larb: 0, port: 16 } ] }
          - { name: usb, ids: [ { iommu: infra, larb: 0, port: 21 } ] }
          - { name: usb2, ids: [ { iommu: infra, larb: 0, port: 22 } ] }
          - { name: other, ids: [ { iommu: infra, larb: 0, port: 3 } ] }
        """;

    [Fact]
    public void The_first_enabled_bank_whose_port_mask_meets_the_ports_is_the_group_and_bank_0_is_the_default()
    {
        var core = Boot(Banked);
        var drv = (MediatekIommu)core.Device("pcie")!.Driver;
        Assert.Equal(0, drv.BankId(core.Device("pcie")!));
        Assert.Equal(4, drv.BankId(core.Device("usb")!));
        Assert.Equal(0, drv.BankId(core.Device("other")!));
        Assert.Same(core.Device("usb")!.Group, core.Device("usb2")!.Group);
        Assert.Same(core.Device("pcie")!.Group, core.Device("other")!.Group);
        Assert.Equal(2, core.Groups.Count);
    }

    [Fact]
    public void Every_domain_of_a_hw_list_shares_the_first_domains_table_even_across_banks()
    {
        var core = Boot(Banked);
        var pcieDom = core.Device("pcie")!.Group!.DefaultDomain!;
        var usbDom = core.Device("usb")!.Group!.DefaultDomain!;
        Assert.NotSame(pcieDom, usbDom);
        Assert.Same(pcieDom.PageTable, usbDom.PageTable);
        Assert.True(core.Map(usbDom, 0x1000_0000, 0x5000_0000, 0x1000, Prot.Read | Prot.Write).Ok);
        Assert.Equal(0x5000_0000UL, core.IovaToPhys(pcieDom, 0x1000_0000));
    }

    private const string Regions = Mem + """
        iommus:
          - name: m4u
            driver: mediatek
            regions:
              - { name: r0, base: 0x0, size: 0xff80_0000 }
              - { name: fw, base: 0x6000_0000, size: 256MiB }
            region-ports:
              r0: { larb0: [0-9], larb1: all }
              fw: { larb0: [10, 11] }
        devices:
          - { name: display, ids: [ { iommu: m4u, larb: 0, port: 0 } ] }
          - { name: apu, ids: [ { iommu: m4u, larb: 0, port: 10 }, { iommu: m4u, larb: 0, port: 11 } ] }
        """;

    private const string Split = "\n  - { name: split, ids: [ { iommu: m4u, larb: 0, port: 9 }, { iommu: m4u, larb: 0, port: 10 } ] }\n";
    private const string TwoLarbs = "\n  - { name: twolarbs, ids: [ { iommu: m4u, larb: 0, port: 1 }, { iommu: m4u, larb: 1, port: 1 } ] }\n";

    [Fact]
    public void The_region_is_the_first_whose_larb_mask_holds_all_ports_and_none_is_a_probe_failure()
    {
        var core = Boot(Regions);
        var apu = core.Device("apu")!;
        Assert.Equal(1, ((MediatekIommu)apu.Driver).RegionId(apu).Value);
        Assert.NotSame(apu.Group, core.Device("display")!.Group);
        // A master in no region (mtk_iommu_get_iova_region_id -EINVAL) fails bus_iommu_probe, and with it
        // the M4U's iommu_device_register: every master is left without an IOMMU.
        var bad = Boot(Regions + Split);
        Assert.All(bad.Devices, d => Assert.Null(d.Group));
        Assert.Equal(Errno.EINVAL, bad.FailedInstances["m4u"].Errno);
        Assert.Equal(Errno.EINVAL, bad.Device("display")!.ProbeError.Errno);
        Assert.Contains("split's device_group", bad.Device("display")!.ProbeError.Why);
        // the larbs were never bound to the M4U: the engine does not make up what its masters' DMA meets
        var refused = Assert.Throws<NotModelledException>(() => DeviceAccess.Perform(bad, bad.Device("display")!, 0x1234, 4, false));
        Assert.StartsWith("what m4u does with display's DMA after its registration failed: its larbs were never bound to it", refused.Message);
        Assert.Throws<NotModelledException>(() => DeviceAccess.Stream(bad, bad.Device("display")!, 0x1234, 0x1000, 4, 4, false));
        Assert.Contains(bad.BootEvents, e => e.Kind == BootEventKind.RegistrationFailed && e.Text.Contains("component_master_add_with_match", StringComparison.Ordinal)
                                             && e.Text.Contains("not modelled", StringComparison.Ordinal));
        Assert.DoesNotContain(bad.BootEvents, e => e.Text.Contains("bypass", StringComparison.Ordinal));
    }

    [Fact]
    public void A_scripts_access_behind_an_m4u_whose_registration_failed_stops_at_its_line_saying_it_is_not_modelled()
    {
        using var tree = new TestTree();
        var soc = TestTree.Soc + "\n  - { name: isp, ids: [ { iommu: m4u, larb: 2, port: 2 }, { iommu: m4u, larb: 3, port: 1 } ] }\n";
        var path = tree.Scenario("refused", "local pa = soc.device('display'):read(0x1000)\nexpect.eq(pa, 0x1000, 'never reached')\n", soc);
        var r = Running.ScenarioRunner.Run(path, new Running.RunOptions { Jobs = 1 });
        Assert.Equal(ErrorCode.LuaRuntime, r.Error!.Code);
        Assert.Equal(4, r.Error.Where.Line); // the inline script's first line is line 4 of the scenario file
        Assert.Contains("read: not modelled: what m4u does with display's DMA after its registration failed", r.Error.Message);
        // the refused access is a step of the report, with the reason
        Assert.Contains("| `display:read(0x1000)` | not modelled | what m4u does with display's DMA", r.Report);
    }

    [Fact]
    public void A_failed_registration_says_the_masters_defer_until_the_deferred_probe_timeout_before_dma_direct()
    {
        var bad = Boot(Regions + Split);
        var line = Assert.Single(bad.BootEvents, e => e.Kind == BootEventKind.RegistrationFailed && e.Text.Contains("iommu_device_register", StringComparison.Ordinal)).Text;
        Assert.DoesNotContain("the DMA API uses dma-direct)", line);
        Assert.Contains("Their drivers do not fall back to dma-direct at once", line);
        Assert.Contains("driver_deferred_probe_check_state, drivers/base/dd.c", line);
        Assert.Contains("until the deferred-probe timeout", line);
        Assert.Contains("of_dma_configure_id carries on without an IOMMU", line);
    }

    [Fact]
    public void Ports_on_two_larbs_are_refused_at_probe_without_dl_with_multi_larb()
    {
        var core = Boot(Regions + TwoLarbs);
        Assert.Equal(Errno.EINVAL, core.Device("twolarbs")!.ProbeError.Errno);
        Assert.Contains("Can only use one larb", core.Device("twolarbs")!.ProbeError.Why);
        Assert.Null(core.Device("apu")!.Group); // the whole M4U failed its registration
    }

    [Fact]
    public void Attach_sets_the_aperture_to_the_region_and_widens_the_dma_mask_for_region_1()
    {
        var core = Boot(Regions);
        var apu = core.Device("apu")!;
        var dom = core.DomainAlloc(apu, DomainType.Unmanaged).Value!;
        Assert.False(dom.GeometrySet);
        Assert.True(core.AttachDevice(dom, apu).Ok);
        Assert.Equal((0x6000_0000UL, 0x6fff_ffffUL), (dom.ApertureStart, dom.ApertureEnd));
        Assert.Equal(34, apu.DmaMask);
        Assert.Equal(32, core.Device("display")!.DmaMask);
        var resv = core.GroupResvRegions(core.Device("display")!.Group!);
        Assert.Equal([(0x6000_0000UL, 0x1000_0000UL, ResvType.Reserved)], resv.Select(r => (r.Start, r.Length, r.Type)).ToList());
        Assert.Empty(core.GroupResvRegions(apu.Group!));
    }

    [Fact]
    public void A_domain_never_attached_has_no_table_and_mapping_it_oopses()
    {
        var core = Boot(TestTree.Soc);
        var dom = core.DomainAlloc(core.Device("apu")!, DomainType.Unmanaged).Value!;
        Assert.Throws<KernelOopsException>(() => core.Map(dom, 0x1000, 0x4000_1000, 0x1000, Prot.Read));
    }

    [Fact]
    public void Four_gb_mode_sets_pa_bit_32_in_the_table_and_iova_to_phys_strips_it()
    {
        var core = Boot("soc: s\nmemory:\n  - { name: dram, base: 0x4000_0000, size: 4GiB }\niommus:\n  - { name: m4u, driver: mediatek, flags: [has-4gb-mode] }\ndevices:\n  - { name: a, ids: [ { iommu: m4u, larb: 0, port: 1 } ] }\n");
        var dom = core.Device("a")!.Group!.DefaultDomain!;
        Assert.Equal(33, dom.PageTable!.Cfg.Oas);
        Assert.True(core.Map(dom, 0x1000, 0x4000_1000, 0x1000, Prot.Read | Prot.Write).Ok);
        Assert.NotEqual(0UL, dom.PageTable.Walk(0x1000)[^1].Pte & (1u << 9));
        Assert.Equal(0x4000_1000UL, core.IovaToPhys(dom, 0x1000));
        Assert.True(core.Map(dom, 0x2000, 0x1_2000_0000, 0x1000, Prot.Read | Prot.Write).Ok);
        Assert.Equal(0x1_2000_0000UL, core.IovaToPhys(dom, 0x2000));
    }

    [Fact]
    public void Without_4gb_dram_a_has_4gb_mode_soc_uses_oas_32()
    {
        var core = Boot("soc: s\nmemory:\n  - { name: dram, base: 0x4000_0000, size: 1GiB }\niommus:\n  - { name: m4u, driver: mediatek, flags: [has-4gb-mode] }\ndevices:\n  - { name: a, ids: [ { iommu: m4u, larb: 0, port: 1 } ] }\n");
        Assert.Equal(32, core.Device("a")!.Group!.DefaultDomain!.PageTable!.Cfg.Oas);
    }

    [Fact]
    public void The_identity_domain_clears_the_port_bits_so_accesses_bypass_the_iommu()
    {
        var core = Boot(Regions);
        var apu = core.Device("apu")!;
        Assert.False(DeviceAccess.Perform(core, apu, 0x6000_0000, 4, false).Ok);
        var id = core.DomainAlloc(apu, DomainType.Identity).Value!;
        Assert.True(core.AttachDevice(id, apu).Ok);
        var r = DeviceAccess.Perform(core, apu, 0x6000_0000, 4, false);
        Assert.True(r.Ok);
        Assert.Equal(0x6000_0000UL, r.Pa);
    }

    [Fact]
    public void Lazy_mode_on_mediatek_gives_strict_dma_domains()
    {
        var core = Boot(TestTree.Soc, new KernelKnobs(Strict: false, Passthrough: false));
        Assert.Equal(DomainType.Dma, core.Groups[0].DefaultDomain!.Type);
        Assert.Contains(core.BootEvents, e => e is { Kind: BootEventKind.DmaDomainInitialised, Subject: "domain#1" } && e.Text.Contains("lacks IOMMU_CAP_DEFERRED_FLUSH: domain#1 downgraded DMA_FQ → DMA", StringComparison.Ordinal));
    }

    [Fact]
    public void The_boot_section_says_which_rule_grouped_the_masters()
    {
        var core = Boot(TestTree.Soc);
        Assert.Contains(core.BootEvents, e => e is { Kind: BootEventKind.GroupFormed, Subject: "group0", Text: "group0 = display, apu, venc: mtk_iommu_device_group: group id = region 0 ('r0'): their ports sit in bank 0, so the IOVA region decides (bank ≠ 0 ? bank : region)" });
    }

    [Theory]
    [InlineData("mm", true)]
    [InlineData("apu", false)]
    public void Attaching_the_identity_domain_bypasses_an_MM_master_but_changes_nothing_on_an_APU_instance(string type, bool bypasses)
    {
        var soc = TestTree.Soc.Replace("    driver: mediatek\n", $"    driver: mediatek\n    type: {type}\n");
        var core = Boot(soc, new KernelKnobs(Strict: true, Passthrough: true));
        var apu = core.Device("apu")!;
        var d = core.DomainAlloc(apu, DomainType.Unmanaged).Value!;
        Assert.True(core.AttachGroup(d, apu.Group!).Ok);
        Assert.True(core.Map(d, 0x1000_0000, 0x4000_0000, 0x1000, Prot.Read).Ok);
        Assert.Equal(0x4000_0000UL, DeviceAccess.Perform(core, apu, 0x1000_0000, 4, false).Pa);
        Assert.True(core.DetachGroup(d, apu.Group!).Ok);     // back to the identity default domain
        var after = DeviceAccess.Perform(core, apu, 0x1000_0000, 4, false);
        Assert.Equal(bypasses ? 0x1000_0000UL : 0x4000_0000UL, after.Pa);
    }

    [Fact]
    public void A_freed_domain_is_still_read_through_share_dom_and_m4u_dom_and_each_read_is_a_use_after_free()
    {
        // mtk_iommu_domain_free (Linux 7.0) frees only the wrapper: share_dom and bank->m4u_dom dangle.
        var core = Boot(TestTree.Soc, new KernelKnobs(Strict: true, Passthrough: true));
        var apu = core.Device("apu")!;
        var a = core.DomainAlloc(apu, DomainType.Unmanaged).Value!;
        Assert.True(core.AttachGroup(a, apu.Group!).Ok);
        Assert.True(core.Map(a, 0x1000_0000, 0x4000_0000, 0x1000, Prot.Read).Ok);
        Assert.True(core.DetachGroup(a, apu.Group!).Ok);
        Assert.Null(core.DomainFree(a, new ScriptSite(null, 12)));
        Assert.DoesNotContain(core.Machine.Log.Events, e => e.Kind == EventKind.UseAfterFree);
        var b = core.DomainAlloc(apu, DomainType.Unmanaged).Value!;
        Assert.True(core.AttachGroup(b, apu.Group!).Ok);
        Assert.Same(a.PageTable, b.PageTable);
        Assert.Equal(0x4000_0000UL, core.IovaToPhys(b, 0x1000_0000));
        var r = DeviceAccess.Perform(core, apu, 0x2000_0000, 4, false);
        Assert.Equal(a.Name, r.Fault!.Domain);
        var uaf = core.Machine.Log.Events.Where(e => e.Kind == EventKind.UseAfterFree).ToList();
        Assert.Equal(2, uaf.Count);
        Assert.Contains("mtk_iommu_domain_finalise", uaf[0].Why);
        Assert.Contains("mtk_iommu_isr", uaf[1].Why);
        Assert.All(uaf, e => Assert.Contains("freed by iommu_domain_free at line 12", e.Why));
    }

    [Fact]
    public void A_claimed_mediatek_group_is_not_blocked_its_blocking_domain_shares_the_live_table()
    {
        // __iommu_group_alloc_blocking_domain: no blocked_domain in mtk_iommu_ops, so an UNMANAGED paging
        // domain; mtk_iommu_domain_finalise gives it the hw_list's shared table at attach.
        var bound = Boot(TestTree.Soc);
        Assert.Equal(Errno.EPERM, bound.ClaimDmaOwner(bound.Groups[0]).Errno);
        // Without bound drivers (driver-bound: false) the claim succeeds.
        var core2 = Boot(TestTree.Soc.Replace("  - name: display\n", "  - name: display\n    driver-bound: false\n").Replace("  - name: apu\n", "  - name: apu\n    driver-bound: false\n").Replace("  - name: venc\n", "  - name: venc\n    driver-bound: false\n"));
        var g2 = core2.Groups[0];
        Assert.True(core2.Map(g2.DefaultDomain!, 0x1000, 0x4000_1000, 0x1000, Prot.Read).Ok);
        var claim = core2.ClaimDmaOwner(g2);
        Assert.True(claim.Ok);
        Assert.Contains("HAZARD", claim.Why);
        var blocking = g2.Domain!;
        Assert.Equal(DomainType.Unmanaged, blocking.Type);
        Assert.Same(g2.DefaultDomain!.PageTable, blocking.PageTable);
        Assert.Equal(0x4000_1000UL, core2.IovaToPhys(blocking, 0x1000));
        Assert.True(DeviceAccess.Perform(core2, core2.Device("display")!, 0x1000, 4, false).Ok);
        Assert.True(core2.Map(blocking, 0x2000, 0x4000_2000, 0x1000, Prot.Read).Ok);
        Assert.Contains(core2.Machine.Log.Events, e => e.Kind == EventKind.BlockingDomainTranslates && e.Why.Contains("is not blocked", StringComparison.Ordinal));
    }
}
