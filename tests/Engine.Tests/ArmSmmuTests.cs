using ScenarioEngine.Config;
using ScenarioEngine.Yaml;
using ScenarioEngine.Dma;
using ScenarioEngine.Drivers.ArmSmmu;
using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Tests;

/// <summary>The Arm SMMU v2 model (drivers/iommu/arm/arm-smmu/arm-smmu.c, Linux 7.0).</summary>
public class ArmSmmuTests
{
    internal static IommuCore Boot(string socYaml, KernelKnobs? knobs = null)
    {
        using var tree = new TestTree();
        var path = tree.Write("scenarios/socs/s.yaml", socYaml);
        var soc = SocLoader.LoadFile(path, "s.yaml");
        ArmSmmu? drv = null;
        var core = new IommuCore(soc, knobs ?? KernelKnobs.Default, (c, _) => drv ??= new ArmSmmu(c), Dma.CoreDma.For);
        core.Boot();
        return core;
    }

    private const string Soc = """
        soc: s
        memory:
          - { name: dram, base: 0x8000_0000, size: 1GiB }
        iommus:
          - { name: smmu0, driver: arm-smmu, banks: 3 }
        devices:
          - { name: gpu, ids: [ { iommu: smmu0, stream: 0x400 } ] }
          - { name: vpu, ids: [ { iommu: smmu0, stream: 0x800 }, { iommu: smmu0, stream: 0x801 } ] }
          - { name: cam, ids: [ { iommu: smmu0, stream: 0x801 } ] }
        """;

    private static readonly KernelKnobs Lazy = new(Strict: false, Passthrough: false);

    [Fact]
    public void Masters_sharing_a_stream_id_share_a_group_and_every_other_master_gets_its_own()
    {
        var core = Boot(Soc);
        Assert.Same(core.Device("vpu")!.Group, core.Device("cam")!.Group);
        Assert.NotSame(core.Device("gpu")!.Group, core.Device("vpu")!.Group);
        // iommu_attach_device refuses the shared group, as on the MediaTek bank
        var d = core.DomainAlloc(core.Device("cam")!, DomainType.Unmanaged).Value!;
        Assert.Equal(Errno.EINVAL, core.AttachDevice(d, core.Device("cam")!).Errno);
    }

    [Fact]
    public void Stream_ids_remembered_in_two_groups_fail_the_whole_smmus_registration_with_einval()
    {
        var core = Boot(Soc + "\n  - { name: dsp, ids: [ { iommu: smmu0, stream: 0x400 }, { iommu: smmu0, stream: 0x800 } ] }\n");
        Assert.All(core.Devices, d => Assert.Null(d.Group));
        Assert.Equal(Errno.EINVAL, core.FailedInstances["smmu0"].Errno);
        Assert.Contains(core.BootEvents, e => e is { Kind: BootEventKind.RegistrationFailed, Subject: "smmu0", Errno: Errno.EINVAL } && e.Text.Contains(" — dsp's device_group", StringComparison.Ordinal));
    }

    [Fact]
    public void The_last_stream_map_entry_decides_so_a_grouped_id_followed_by_a_new_one_gets_a_new_group()
    {
        // arm_smmu_device_group leaves the loop with the last entry's group: 0x900 has none, so a new group
        var core = Boot(Soc + "\n  - { name: dsp, ids: [ { iommu: smmu0, stream: 0x400 }, { iommu: smmu0, stream: 0x900 } ] }\n");
        var dsp = core.Device("dsp")!;
        Assert.NotNull(dsp.Group);
        Assert.NotSame(core.Device("gpu")!.Group, dsp.Group);
    }

    private static string SmrSoc(string iommuExtra, params string[] devices) =>
        "soc: s\nmemory:\n  - { name: dram, base: 0x8000_0000, size: 1GiB }\niommus:\n  - { name: smmu0, driver: arm-smmu" + iommuExtra + " }\ndevices:\n"
        + string.Concat(devices.Select((ids, i) => $"  - {{ name: d{i}, ids: [ {ids} ] }}\n"));

    [Fact]
    public void A_masked_stream_id_contained_in_an_existing_smr_shares_it_and_so_shares_its_group()
    {
        var core = Boot(SmrSoc("", "{ iommu: smmu0, stream: 0x400, mask: 0xf }", "{ iommu: smmu0, stream: 0x405 }", "{ iommu: smmu0, stream: 0x410 }"));
        Assert.Same(core.Device("d0")!.Group, core.Device("d1")!.Group); // 0x405 is matched by 0x400/0xf
        Assert.NotSame(core.Device("d0")!.Group, core.Device("d2")!.Group);
        Assert.Equal("streams 0x405, S2CR cb0", core.Device("d1")!.Driver.DeviceLocation(core.Device("d1")!));
    }

    [Fact]
    public void A_stream_id_that_overlaps_an_smr_without_being_contained_fails_the_smmus_registration_with_einval()
    {
        // 0x400/0x1 matches 0x400 and 0x401; the exact SMR 0x400 matches one of them: a conflict in
        // arm_smmu_find_sme, so bus_iommu_probe stops and iommu_device_register fails for the SMMU.
        var core = Boot(SmrSoc("", "{ iommu: smmu0, stream: 0x400 }", "{ iommu: smmu0, stream: 0x400, mask: 0x1 }"));
        Assert.Null(core.Device("d0")!.Group);
        Assert.Null(core.Device("d1")!.Group);
        Assert.Contains(core.BootEvents, e => e is { Kind: BootEventKind.RegistrationFailed, Subject: "smmu0", Errno: Errno.EINVAL } && e.Text.Contains(" — d1's probe_device", StringComparison.Ordinal));
        // d0's SMR was released with it (arm_smmu_release_device); the SMMU, reset before
        // iommu_device_register, stays enabled and terminates the now unmatched stream.
        var r = DeviceAccess.Perform(core, core.Device("d0")!, 0x1000, 4, false);
        Assert.False(r.Ok);
        Assert.Contains("matches no SMR", r.Fault!.Why);
    }

    [Fact]
    public void Running_out_of_stream_match_registers_fails_the_smmus_registration_with_enospc()
    {
        var core = Boot(SmrSoc(", smrs: 2", "{ iommu: smmu0, stream: 1 }", "{ iommu: smmu0, stream: 2 }, { iommu: smmu0, stream: 3 }", "{ iommu: smmu0, stream: 4 }"));
        Assert.All(core.Devices, d => Assert.Null(d.Group));
        Assert.Equal(Errno.ENOSPC, core.FailedInstances["smmu0"].Errno);
        Assert.Contains(core.BootEvents, e => e is { Kind: BootEventKind.RegistrationFailed, Subject: "smmu0", Errno: Errno.ENOSPC } && e.Text.Contains(" — d1's probe_device", StringComparison.Ordinal));
    }

    [Fact]
    public void Exhausted_context_banks_at_boot_fail_the_smmus_registration_through_iommu_setup_default_domain()
    {
        // arm_smmu_init_domain_context -ENOSPC for the third group's default domain: iommu_setup_default_domain fails.
        var core = Boot(SmrSoc(", banks: 2", "{ iommu: smmu0, stream: 1 }", "{ iommu: smmu0, stream: 2 }", "{ iommu: smmu0, stream: 3 }"));
        Assert.All(core.Devices, d => Assert.Null(d.Group));
        Assert.Empty(core.Groups);
        Assert.Contains(core.BootEvents, e => e is { Kind: BootEventKind.RegistrationFailed, Subject: "smmu0", Errno: Errno.ENOSPC } && e.Text.Contains(" — d2's iommu_setup_default_domain", StringComparison.Ordinal));
    }

    [Fact]
    public void Context_banks_are_taken_at_the_first_attach_and_the_next_domain_gets_enospc_until_one_is_freed()
    {
        var core = Boot(Soc, Kernels.MapErrnoFixed); // two default domains hold cb0 and cb1
        var gpu = core.Device("gpu")!;
        var a = core.DomainAlloc(gpu, DomainType.Unmanaged).Value!;
        Assert.Equal(Errno.ENODEV, core.Map(a, 0x1000, 0x8000_0000, 0x1000, Prot.Read).Errno); // no pgtbl_ops yet
        Assert.Equal(0UL, core.Unmap(a, 0x1000, 0x1000));
        Assert.True(core.AttachDevice(a, gpu).Ok);                                              // cb2
        core.DetachDevice(a, gpu);                                                              // a keeps cb2
        var b = core.DomainAlloc(gpu, DomainType.Unmanaged).Value!;
        var r = core.AttachDevice(b, gpu);
        Assert.Equal(Errno.ENOSPC, r.Errno);
        core.DomainFree(a);
        Assert.True(core.AttachDevice(b, gpu).Ok);
        Assert.Equal("streams 0x400, S2CR cb2", gpu.Driver.DeviceLocation(gpu));
    }

    [Fact]
    public void The_boot_section_says_which_rule_grouped_the_masters()
    {
        var core = Boot(Soc);
        Assert.Contains(core.BootEvents, e => e is { Kind: BootEventKind.GroupFormed, Subject: "group1", Text: "group1 = vpu, cam: arm_smmu_device_group: cam matches the stream-map entry of 0x801 that vpu took first, and that entry remembers vpu's group" });
        Assert.Contains(core.BootEvents, e => e.Kind == BootEventKind.GroupFormed && e.Text.StartsWith("group0 = gpu: arm_smmu_device_group: no stream-map entry of gpu's (streams 0x400)", StringComparison.Ordinal));
    }

    [Fact]
    public void Stage_1_contexts_start_after_the_stage_2_only_context_banks()
    {
        // arm_smmu_init_domain_context: start = smmu->num_s2_context_banks for a stage-1 context.
        var core = Boot(Soc.Replace("banks: 3 }", "banks: 4, s2-banks: 2 }"));
        Assert.Equal("streams 0x400, S2CR cb2", core.Device("gpu")!.Driver.DeviceLocation(core.Device("gpu")!));
        var gpu = core.Device("gpu")!;
        var d = core.DomainAlloc(gpu, DomainType.Unmanaged).Value!;
        var r = core.AttachDevice(d, gpu);
        Assert.Equal(Errno.ENOSPC, r.Errno);      // cb2 and cb3 hold the two default domains; cb0 and cb1 are stage-2 only
        Assert.Contains("cb0..cb1 are stage-2 only", r.Why);
    }

    [Fact]
    public void A_domain_finalised_on_one_smmu_cannot_be_attached_behind_another()
    {
        var core = Boot("""
            soc: s
            memory:
              - { name: dram, base: 0x8000_0000, size: 1GiB }
            iommus:
              - { name: smmu0, driver: arm-smmu }
              - { name: smmu1, driver: arm-smmu }
            devices:
              - { name: a, ids: [ { iommu: smmu0, stream: 1 } ] }
              - { name: b, ids: [ { iommu: smmu1, stream: 1 } ] }
            """);
        var d = core.DomainAlloc(core.Device("a")!, DomainType.Unmanaged).Value!;
        Assert.True(core.AttachDevice(d, core.Device("a")!).Ok);
        core.DetachDevice(d, core.Device("a")!);
        Assert.Equal(Errno.EINVAL, core.AttachDevice(d, core.Device("b")!).Errno);
    }

    [Fact]
    public void A_strict_unmap_posts_tlbival_at_once_so_even_a_missing_iotlb_sync_leaves_no_stale_entry()
    {
        var core = Boot(Soc);
        var gpu = core.Device("gpu")!;
        var d = core.DomainAlloc(gpu, DomainType.Unmanaged).Value!;
        Assert.True(core.AttachDevice(d, gpu).Ok);
        Assert.True(core.Map(d, 0x10_0000, 0x8000_0000, 0x4000, Prot.Read | Prot.Write).Ok);
        Assert.True(DeviceAccess.Perform(core, gpu, 0x10_0000, 4, false).Ok);
        Assert.Equal(0x4000UL, core.UnmapFast(d, 0x10_0000, 0x4000)); // and no iommu_iotlb_sync
        var r = DeviceAccess.Perform(core, gpu, 0x10_0000, 4, false);
        Assert.False(r.Ok);
        Assert.Equal(0, r.Stale);
    }

    [Fact]
    public void A_lazy_dma_unmap_leaves_the_old_page_reachable_until_the_flush_queue_timer_flushes_the_asid()
    {
        var core = Boot(Soc, Lazy);
        var gpu = core.Device("gpu")!;
        var d = gpu.Group!.DefaultDomain!;
        Assert.Equal(DomainType.DmaFq, d.Type); // IOMMU_CAP_DEFERRED_FLUSH: not downgraded
        ulong buf = core.Machine.Pages.AllocUser(0x2000, 0x1000)!.Value;
        var map = core.Dma.MapSingle(gpu, buf, 0x2000, DmaDirection.Bidirectional);
        ulong iova = map.Value;
        Assert.Equal(buf, DeviceAccess.Perform(core, gpu, iova, 4, false).Pa);
        Assert.True(core.Dma.Unmap(gpu, iova, 0x2000, new ScriptSite(null, 42)).Ok);
        Assert.Equal(0UL, core.IovaToPhys(d, iova));
        var stale = DeviceAccess.Perform(core, gpu, iova + 8, 4, true, new ScriptSite(null, 43));
        Assert.True(stale.Ok);
        Assert.Equal(buf + 8, stale.Pa);
        var e = core.Machine.Log.Events.Single(x => x.Kind == EventKind.StaleTranslation);
        Assert.Equal((43, 42), (e.Line, e.UnmapLine));
        // the IOVA is not reused while queued
        Assert.NotEqual(iova, core.Dma.MapSingle(gpu, buf, 0x2000, DmaDirection.Bidirectional).Value);
        core.Dma.Advance(9);
        Assert.True(DeviceAccess.Perform(core, gpu, iova, 4, false).Ok);
        core.Dma.Advance(1); // 10 ms: fq_flush_timeout → flush_iotlb_all → TLBIASID
        Assert.False(DeviceAccess.Perform(core, gpu, iova, 4, false).Ok);
    }

    [Fact]
    public void A_full_flush_queue_flushes_the_asid_at_once_without_waiting_for_the_timer()
    {
        var core = Boot(Soc, Lazy);
        var gpu = core.Device("gpu")!;
        ulong buf = core.Machine.Pages.AllocUser(0x1000, 0x1000)!.Value;
        ulong first = core.Dma.MapSingle(gpu, buf, 0x1000, DmaDirection.Bidirectional).Value;
        Assert.True(DeviceAccess.Perform(core, gpu, first, 4, false).Ok);
        core.Dma.Unmap(gpu, first, 0x1000);
        for (int i = 0; i < FlushQueue.Size - 2; i++)
        {
            ulong v = core.Dma.MapSingle(gpu, buf, 0x1000, DmaDirection.Bidirectional).Value;
            Assert.NotEqual(first, v);
            core.Dma.Unmap(gpu, v, 0x1000);
        }
        // 255 entries: the ring is full, nothing flushed yet
        Assert.Equal(1, DeviceAccess.Perform(core, gpu, first, 4, false).Stale);
        ulong last = core.Dma.MapSingle(gpu, buf, 0x1000, DmaDirection.Bidirectional).Value;
        core.Dma.Unmap(gpu, last, 0x1000); // queue_iova finds the ring full: fq_flush_iotlb now
        Assert.False(DeviceAccess.Perform(core, gpu, first, 4, false).Ok);
        Assert.Equal(0L, core.Dma.NowMs);
    }

    [Fact]
    public void A_strict_dma_unmap_on_the_same_smmu_leaves_no_window()
    {
        var core = Boot(Soc);
        var gpu = core.Device("gpu")!;
        Assert.Equal(DomainType.Dma, gpu.Group!.DefaultDomain!.Type);
        ulong buf = core.Machine.Pages.AllocUser(0x1000, 0x1000)!.Value;
        ulong iova = core.Dma.MapSingle(gpu, buf, 0x1000, DmaDirection.Bidirectional).Value;
        Assert.True(DeviceAccess.Perform(core, gpu, iova, 4, false).Ok);
        core.Dma.Unmap(gpu, iova, 0x1000);
        Assert.False(DeviceAccess.Perform(core, gpu, iova, 4, false).Ok);
    }

    [Fact]
    public void A_queued_unmap_that_frees_a_table_is_walk_flushed_at_once_while_queued_leaf_unmaps_stay_stale()
    {
        var core = Boot(Soc);
        var gpu = core.Device("gpu")!;
        var d = core.DomainAlloc(gpu, DomainType.Unmanaged).Value!;
        Assert.True(core.AttachDevice(d, gpu).Ok);
        // 2 MiB of 4 KiB pages under one level-2 table, and one more 4 KiB page elsewhere
        for (ulong i = 0; i < 512; i++) Assert.True(core.Map(d, 0x20_0000 + (i << 12), 0x8000_0000 + (i << 12), 0x1000, Prot.Read).Ok);
        Assert.True(core.Map(d, 0x60_0000, 0x8040_0000, 0x1000, Prot.Read).Ok);
        Assert.True(DeviceAccess.Perform(core, gpu, 0x20_0000, 4, false).Ok);
        Assert.True(DeviceAccess.Perform(core, gpu, 0x60_0000, 4, false).Ok);
        Assert.Equal(0x20_0000UL, core.UnmapQueued(d, 0x20_0000, 0x20_0000)); // one 2 MiB chunk: the table goes, tlb_flush_walk
        Assert.Equal(0x1000UL, core.UnmapQueued(d, 0x60_0000, 0x1000));       // a leaf: tlb_add_page skipped
        Assert.False(DeviceAccess.Perform(core, gpu, 0x20_0000, 4, false).Ok);
        Assert.Equal(1, DeviceAccess.Perform(core, gpu, 0x60_0000, 4, false).Stale);
        core.FlushIotlbAll(d);
        Assert.False(DeviceAccess.Perform(core, gpu, 0x60_0000, 4, false).Ok);
    }

    [Fact]
    public void Contexts_share_one_tlb_tagged_by_asid_so_they_evict_each_other_but_never_hit_each_others_entries()
    {
        var core = Boot(Soc.Replace("banks: 3 }", "banks: 3, iotlb: { entries: 2, ways: 2 } }", StringComparison.Ordinal), Lazy);
        var gpu = core.Device("gpu")!;
        var vpu = core.Device("vpu")!;
        ulong a = core.Machine.Pages.AllocUser(0x1000, 0x1000)!.Value, b = core.Machine.Pages.AllocUser(0x1000, 0x1000)!.Value;
        ulong ia = core.Dma.MapSingle(gpu, a, 0x1000, DmaDirection.Bidirectional).Value;
        ulong ib = core.Dma.MapSingle(vpu, b, 0x1000, DmaDirection.Bidirectional).Value;
        Assert.Equal(ia, ib); // the same IOVA in two domains
        Assert.Equal(a, DeviceAccess.Perform(core, gpu, ia, 4, false).Pa);
        Assert.Equal(b, DeviceAccess.Perform(core, vpu, ib, 4, false).Pa); // not gpu's cached page
        core.Dma.Unmap(gpu, ia, 0x1000);                                      // lazy: gpu's entry stays
        Assert.Equal(1, DeviceAccess.Perform(core, gpu, ia, 4, false).Stale);
        core.FlushIotlbAll(vpu.Group!.DefaultDomain!);                        // TLBIASID of vpu's context only
        Assert.Equal(1, DeviceAccess.Perform(core, gpu, ia, 4, false).Stale);
        Assert.Equal(b, DeviceAccess.Perform(core, vpu, ib, 4, false).Pa);    // refilled
        // two more of vpu's pages fill both ways: gpu's stale entry is evicted, its window closes
        ulong ic = core.Dma.MapSingle(vpu, b, 0x2000, DmaDirection.Bidirectional).Value;
        Assert.True(DeviceAccess.Perform(core, vpu, ic, 4, false).Ok);
        Assert.True(DeviceAccess.Perform(core, vpu, ic + 0x1000, 4, false).Ok);
        Assert.False(DeviceAccess.Perform(core, gpu, ia, 4, false).Ok);
    }

    [Fact]
    public void A_translation_fault_latches_fsr_far_fsynr0_and_the_stream_and_prints_the_unhandled_line()
    {
        var core = Boot(Soc);
        var vpu = core.Device("vpu")!;
        var r = DeviceAccess.Perform(core, vpu, 0x1234_5678, 4, true);
        Assert.False(r.Ok);
        var regs = (SmmuFaultRegisters)r.Fault!.Registers!;
        // nothing is mapped: the walk stops at the level-0 entry, so PLVL is 0
        Assert.Equal((0x402u, 0x1234_5678UL, 0x10u, 0x800u, 1), (regs.Fsr, regs.Far, regs.Fsynr0, regs.Cbfrsynra, regs.Cb));
        Assert.Equal(-38, regs.HandlerResult);
        Assert.Equal("""
            Unhandled context fault: fsr=0x402, iova=0x12345678, fsynr=0x10, cbfrsynra=0x800, cb=1
            FSR    = 00000402 [Format=2 TF], SID=0x800
            FSYNR0 = 00000010 [S1CBNDX=0 WNR PLVL=0]
            """, regs.Message);
        Assert.Equal("translation", r.Fault.FaultKind);
    }

    [Fact]
    public void A_handled_fault_prints_nothing_and_the_handler_gets_no_device()
    {
        var core = Boot(Soc);
        var gpu = core.Device("gpu")!;
        var d = core.DomainAlloc(gpu, DomainType.Unmanaged).Value!;
        Assert.True(core.AttachDevice(d, gpu).Ok);
        Assert.True(core.SetFaultHandler(d, "h").Ok);
        var seen = new List<(IommuInstance?, ulong, bool)>();
        core.FaultHandlerInvoker = (dom, inst, iova, write) => { seen.Add((inst, iova, write)); return 0; };
        var r = DeviceAccess.Perform(core, gpu, 0x5000, 4, false);
        var regs = (SmmuFaultRegisters)r.Fault!.Registers!;
        Assert.Equal([(null, 0x5000UL, false)], seen);
        Assert.Equal(0, regs.HandlerResult);
        Assert.Null(regs.Message);
    }

    [Fact]
    public void A_fault_handler_on_a_static_identity_domain_is_taken_silently_and_a_later_one_on_that_shared_domain_WARNs()
    {
        // iommu_set_fault_handler WARNs only for a NULL domain or a cookie_type other than NONE: a static
        // identity domain has none, so the first call sets it on the one domain every identity group shares
        var core = Boot(Soc, KernelKnobs.Default with { Passthrough = true });
        var gpu = core.Device("gpu")!.Group!.DefaultDomain!;
        var vpu = core.Device("vpu")!.Group!.DefaultDomain!;
        Assert.True(gpu.IsStatic);
        Assert.Same(gpu, vpu);
        var first = core.SetFaultHandler(gpu, "first");
        Assert.True(first.Ok);
        Assert.Null(first.Why);
        Assert.Equal("first", gpu.FaultHandler);
        Assert.DoesNotContain(core.Machine.Log.Events, e => e.Kind == EventKind.Warn);
        // another group's identity domain is the same struct: its cookie_type is FAULT_HANDLER now
        var second = core.SetFaultHandler(vpu, "second");
        Assert.Contains("this one is ignored and the first stays", second.Why);
        Assert.Equal("first", vpu.FaultHandler);
        Assert.Single(core.Machine.Log.Events, e => e.Kind == EventKind.Warn);
    }

    [Fact]
    public void A_second_fault_handler_WARNs_and_the_first_one_stays()
    {
        var core = Boot(Soc);
        var gpu = core.Device("gpu")!;
        var d = core.DomainAlloc(gpu, DomainType.Unmanaged).Value!;
        Assert.True(core.AttachDevice(d, gpu).Ok);
        Assert.True(core.SetFaultHandler(d, "first").Ok);
        var second = core.SetFaultHandler(d, "second");
        Assert.Contains("this one is ignored and the first stays", second.Why);
        Assert.Equal("first", d.FaultHandler);
        Assert.Contains(core.Machine.Log.Events, e => e.Kind == EventKind.Warn && e.Why.Contains("already has a fault handler", StringComparison.Ordinal));
        var called = new List<object?>();
        core.FaultHandlerInvoker = (dom, inst, iova, write) => { called.Add(dom.FaultHandler); return 0; };
        DeviceAccess.Perform(core, gpu, 0x5000, 4, false);
        Assert.Equal(["first"], called);
    }

    [Fact]
    public void A_write_to_a_read_only_page_and_any_access_to_a_privileged_page_are_permission_faults()
    {
        var core = Boot(Soc);
        var gpu = core.Device("gpu")!;
        var d = core.DomainAlloc(gpu, DomainType.Unmanaged).Value!;
        Assert.True(core.AttachDevice(d, gpu).Ok);
        Assert.True(core.Map(d, 0x1000, 0x8000_0000, 0x1000, Prot.Read).Ok);
        Assert.True(core.Map(d, 0x2000, 0x8000_1000, 0x1000, Prot.Read | Prot.Write | Prot.Priv).Ok);
        Assert.True(DeviceAccess.Perform(core, gpu, 0x1000, 4, false).Ok);
        var w = DeviceAccess.Perform(core, gpu, 0x1000, 4, true); // the read filled the TLB: the hit still refuses
        Assert.Equal("permission", w.Fault!.FaultKind);
        Assert.Equal((0x408u, 0x13u), (((SmmuFaultRegisters)w.Fault.Registers!).Fsr, ((SmmuFaultRegisters)w.Fault.Registers!).Fsynr0));
        var p = DeviceAccess.Perform(core, gpu, 0x2000, 4, false);
        Assert.Equal("permission", p.Fault!.FaultKind);
        var s = DeviceAccess.Stream(core, gpu, 0x1000, 0x1000, 0x1000, 4, write: true);
        Assert.Equal((4L, 4L), (s.Faults, s.Misses));
    }

    [Fact]
    public void The_identity_domain_bypasses_and_the_blocked_domain_terminates_every_access()
    {
        var core = Boot(Soc);
        var gpu = core.Device("gpu")!;
        var id = core.DomainAlloc(gpu, DomainType.Identity).Value!;
        Assert.True(core.AttachDevice(id, gpu).Ok);
        Assert.Equal(0x9000_0010UL, DeviceAccess.Perform(core, gpu, 0x9000_0010, 4, false).Pa);
        core.DetachDevice(id, gpu);
        var blocked = core.DomainAlloc(gpu, DomainType.Blocked).Value!;
        Assert.True(core.AttachDevice(blocked, gpu).Ok);
        var r = DeviceAccess.Perform(core, gpu, 0x9000_0010, 4, false);
        Assert.False(r.Ok);
        Assert.Null(r.Fault!.Registers);
    }

    /// <summary>The SoC with the gpu's memory-region linking the "fw" node of <see cref="DirectWindow"/>.</summary>
    private static readonly string Linked = Soc.Replace("{ name: gpu, ids: [ { iommu: smmu0, stream: 0x400 } ] }", "{ name: gpu, ids: [ { iommu: smmu0, stream: 0x400 } ], memory-region: [fw] }");

    private const string DirectWindow = """

            reserved-memory:
              - name: fw
                base: 0x9000_0000
                size: 1MiB
                iommu-addresses: [ { device: gpu, iova: 0x9000_0000, size: 1MiB } ]
            """;

    [Fact]
    public void On_Linux_7_0_0_as_released_the_direct_mapping_of_iommu_addresses_is_never_made()
    {
        // iommu_create_device_direct_mappings before the first attach: arm_smmu_map_pages is -ENODEV
        // (no pgtbl_ops), 7.0.0's iommu_map_nosync returns 0 for it, so iommu_setup_default_domain sees
        // no failure and never retries after the attach (upstream 6fc7e8a3b811).
        var core = Boot(Linked + DirectWindow);
        var gpu = core.Device("gpu")!;
        Assert.Equal(0UL, core.IovaToPhys(gpu.Group!.DefaultDomain!, 0x9000_0000));
        Assert.DoesNotContain(core.BootEvents, e => e.Kind == BootEventKind.DirectMappingRetried);
        var fixedCore = Boot(Linked + DirectWindow, Kernels.MapErrnoFixed);
        Assert.Contains(fixedCore.BootEvents, e => e.Kind == BootEventKind.DirectMappingRetried && e.Text.Contains("retried after it", StringComparison.Ordinal));
    }

    [Fact]
    public void Reserved_regions_are_the_software_msi_window_plus_the_dt_iommu_addresses()
    {
        var core = Boot(Linked + DirectWindow, Kernels.MapErrnoFixed);
        var gpu = core.Device("gpu")!;
        var regions = gpu.Driver.GetResvRegions(gpu, ScriptSite.None);
        Assert.Equal([(0x800_0000UL, 0x10_0000UL, ResvType.SwMsi), (0x9000_0000UL, 0x10_0000UL, ResvType.Direct)],
            regions.Select(r => (r.Start, r.Length, r.Type)));
        Assert.Equal(Prot.Write | Prot.NoExec | Prot.Mmio, regions[0].Prot);
        // the identity mapping was made in the default domain at probe (iommu_create_device_direct_mappings)
        Assert.Equal(0x9000_0000UL, core.IovaToPhys(gpu.Group!.DefaultDomain!, 0x9000_0000));
    }

    [Fact]
    public void A_mediatek_key_on_an_smmu_and_a_larb_on_a_stream_master_are_located_errors()
    {
        using var tree = new TestTree();
        var bad = tree.Write("scenarios/socs/b.yaml", "soc: s\nmemory:\n  - { name: dram, base: 0x8000_0000, size: 1GiB }\niommus:\n  - { name: smmu0, driver: arm-smmu, regions: [ { name: r, base: 0, size: 4GiB } ] }\n");
        var e = Assert.Throws<ScenarioLoadException>(() => SocLoader.LoadFile(bad, "b.yaml")).Error;
        Assert.Equal((ErrorCode.UnknownKey, 5), (e.Code, e.Where.Line));
        var larb = tree.Write("scenarios/socs/c.yaml", "soc: s\nmemory:\n  - { name: dram, base: 0x8000_0000, size: 1GiB }\niommus:\n  - { name: smmu0, driver: arm-smmu }\ndevices:\n  - { name: a, ids: [ { iommu: smmu0, larb: 1, port: 2 } ] }\n");
        var e2 = Assert.Throws<ScenarioLoadException>(() => SocLoader.LoadFile(larb, "c.yaml")).Error;
        Assert.Equal((ErrorCode.BadValue, 7), (e2.Code, e2.Where.Line));
    }
}
