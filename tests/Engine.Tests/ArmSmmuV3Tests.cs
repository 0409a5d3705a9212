using ScenarioEngine.Config;
using ScenarioEngine.Yaml;
using ScenarioEngine.Drivers.ArmSmmuV3;
using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Tests;

/// <summary>The Arm SMMUv3 model (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c).</summary>
public class ArmSmmuV3Tests
{
    internal static IommuCore Boot(string socYaml, KernelKnobs? knobs = null)
    {
        using var tree = new TestTree();
        var path = tree.Write("scenarios/socs/s.yaml", socYaml);
        var soc = SocLoader.LoadFile(path, "s.yaml");
        ArmSmmuV3? drv = null;
        var core = new IommuCore(soc, knobs ?? KernelKnobs.Default, (c, _) => drv ??= new ArmSmmuV3(c), Dma.CoreDma.For);
        core.Boot();
        return core;
    }

    private static string Soc(string iommu = "sid-bits: 16", string more = "") => $$"""
        soc: s
        memory:
          - { name: dram, base: 0x8000_0000, size: 1GiB }
        iommus:
          - { name: smmu0, compatible: "arm,smmu-v3", {{iommu}} }
        devices:
          - { name: gpu, ids: [ { iommu: smmu0, stream: 0x400 } ] }
          - { name: nic, ids: [ { iommu: smmu0, stream: 0x800 } ] }
        {{more}}
        """;

    private static ArmSmmuV3 Driver(IommuCore core) => (ArmSmmuV3)core.Device("gpu")!.Driver;
    private static IReadOnlyList<string> Commands(IommuCore core) => Driver(core).TakeCommands(core.Soc.Iommus[0]).Select(c => c.Text).ToList();
    private static DeviceAccess.Access Read(IommuCore core, string dev, ulong iova) => DeviceAccess.Perform(core, core.Device(dev)!, iova, 4, false);
    private static DeviceAccess.Access Write(IommuCore core, string dev, ulong iova) => DeviceAccess.Perform(core, core.Device(dev)!, iova, 4, true);

    private static IommuDomain Unmanaged(IommuCore core, string dev)
    {
        var d = core.DomainAlloc(core.Device(dev)!, DomainType.Unmanaged).Value!;
        Assert.True(core.AttachDevice(d, core.Device(dev)!).Ok);
        return d;
    }

    // ------------------------------------------------------------------ probe and groups

    [Fact]
    public void Every_platform_master_gets_a_group_of_its_own_so_an_unmanaged_domain_attaches()
    {
        var core = Boot(Soc());
        Assert.NotSame(core.Device("gpu")!.Group, core.Device("nic")!.Group);
        var d = core.DomainAlloc(core.Device("gpu")!, DomainType.Unmanaged).Value!;
        Assert.True(core.AttachDevice(d, core.Device("gpu")!).Ok);
        Assert.Contains("generic_device_group", Driver(core).GroupRule(core.Device("gpu")!.Group!), StringComparison.Ordinal);
    }

    [Fact]
    public void A_stream_id_beyond_the_stream_table_is_erange_fails_the_registration_and_the_disabled_smmu_lets_traffic_bypass()
    {
        // sid-bits 8: a linear table of 256 STEs (STRTAB_SPLIT forces linear); 0x400 is out of range
        var core = Boot(Soc("sid-bits: 8"));
        Assert.Equal(Errno.ERANGE, core.FailedInstances["smmu0"].Errno);
        Assert.All(core.Devices, d => Assert.Null(d.Group));
        // the probe's error path cleared CR0 (arm_smmu_device_disable, since v6.14): SMMU_GBPA decides, and
        // GBPA.ABORT is clear by default: no stream table, no C_BAD_STREAMID, the address goes out as it is
        var r = Read(core, "gpu", 0x1000);
        Assert.True(r.Ok);
        Assert.Equal(0x1000UL, r.Pa);
        Assert.Equal(8, DeviceAccess.Stream(core, core.Device("nic")!, 0x6000_0000, 0x1000, 0x40, 8, true).Hits); // the bound fast path bypasses too
        Assert.DoesNotContain(core.Machine.Log.Events, e => e.Kind == EventKind.Fault);
        var disabled = Assert.Single(core.BootEvents, e => e.Kind == BootEventKind.RegistrationFailed && e.Text.Contains("arm_smmu_device_disable", StringComparison.Ordinal));
        Assert.Contains("CR0 = 0", disabled.Text);
        Assert.Contains("fcbd62156742", disabled.Text);
        Assert.Equal("streams 0x400; smmu0 disabled (CR0 = 0): SMMU_GBPA bypass", Driver(core).DeviceLocation(core.Device("gpu")!));
    }

    [Fact]
    public void With_gbpa_abort_the_smmu_disabled_by_a_failed_registration_terminates_traffic_and_records_no_event()
    {
        var core = Boot(Soc("sid-bits: 8, gbpa-abort: true"));
        var r = Read(core, "gpu", 0x1000);
        Assert.False(r.Ok);
        Assert.Null(r.Fault!.Registers); // no event record: SMMUEN is clear, so is the event queue
        Assert.Contains("SMMU_GBPA.ABORT is set", r.Fault.Why);
        Assert.Equal(0, DeviceAccess.Stream(core, core.Device("nic")!, 0x6000_0000, 0x1000, 0x40, 8, false).Hits);
        // a registered SMMU is not disabled by the key: it only says what GBPA holds
        Assert.True(Read(Boot(Soc("sid-bits: 16, gbpa-abort: true")), "gpu", 0x1000).Ok is false);
        Assert.Contains("GBPA.ABORT", string.Join(" ", new SmmuV3Family().FlagNotes(Boot(Soc("sid-bits: 16, gbpa-abort: true")).Soc.Iommus[0])));
    }

    [Fact]
    public void A_2_level_table_covers_256_stream_ids_per_level_2_table_and_at_most_25_bits()
    {
        var cfg = new SmmuV3Config(32, 16, TwoLevel: true, false, false, false, false);
        Assert.Equal(1 << 17, cfg.L1Entries);           // STRTAB_MAX_L1_ENTRIES
        Assert.Equal(1UL << 25, cfg.Covered);
        Assert.False(new SmmuV3Config(8, 16, true, false, false, false, false).UsesTwoLevel); // sid_bits <= STRTAB_SPLIT
        Assert.Equal(1UL << 12, new SmmuV3Config(12, 16, false, false, false, false, false).Covered);
    }

    [Fact]
    public void An_aliasing_stream_id_fails_only_that_probe_with_enodev_and_its_dma_goes_through_the_other_masters_ste()
    {
        var core = Boot(Soc(more: "  - { name: cam, ids: [ { iommu: smmu0, stream: 0x400 } ] }"));
        Assert.Null(core.Device("cam")!.Group);
        Assert.Contains(core.BootEvents, e => e.Kind == BootEventKind.ProbeFailed && e.Text.Contains("Aliasing StreamID 0x400 (from gpu) unsupported, expect DMA to be broken", StringComparison.Ordinal));
        var gpuDom = core.Device("gpu")!.Group!.DefaultDomain!;
        ulong pa = core.Machine.Pages.AllocUser(0x1000, 0x1000)!.Value;
        Assert.True(core.Map(gpuDom, 0x10_0000, pa, 0x1000, Prot.Read | Prot.Write).Ok);
        // "expect DMA to be broken": the camera's transactions carry 0x400 and are translated by the GPU's STE
        Assert.Equal(pa, Read(core, "cam", 0x10_0000).Pa);
    }

    [Fact]
    public void The_cache_coherency_capability_and_the_cds_walk_attributes_follow_coherent()
    {
        foreach (var coherent in new[] { false, true })
        {
            var core = Boot(Soc($"sid-bits: 16, coherent: {(coherent ? "true" : "false")}"));
            var gpu = core.Device("gpu")!;
            Assert.Equal(coherent, gpu.Driver.Capable(gpu, IommuCap.CacheCoherency));
            Assert.True(gpu.Driver.Capable(gpu, IommuCap.DeferredFlush));
            var cd = Driver(core).Cd0(gpu);
            // IRGN0/ORGN0 (bits 8..11) write-back write-allocate and SH0 inner shareable, or NC and outer shareable
            Assert.Equal(coherent ? 0x3500UL : 0x2000UL, cd[0] & 0x3f00);
        }
    }

    // ------------------------------------------------------------------ STE and CD bits

    [Fact]
    public void A_translating_master_has_a_cd_table_ste_and_a_stage_1_cd_with_its_asid_and_table()
    {
        var core = Boot(Soc());
        var gpu = core.Device("gpu")!;
        var drv = Driver(core);
        var d = (IommuDomain)gpu.Group!.DefaultDomain!;
        var ste = drv.Ste(gpu);
        var cd = drv.Cd0(gpu);
        ulong cdtab = ste[0] & StreamTableEntry.S1CtxPtrMask;
        Assert.NotEqual(0UL, cdtab);
        Assert.Equal(1UL | (5UL << 1) | cdtab, ste[0]);                   // V, Config S1_TRANS, S1FMT linear, S1CDMAX 0
        Assert.Equal(2UL | (1UL << 2) | (1UL << 4) | (3UL << 6), ste[1]);  // S1DSS SSID0, S1CIR/S1COR WBRA, S1CSH ISH, STRW NS-EL1
        Assert.Equal(0UL, ste[2]);                                          // S2VMID 0
        // T0SZ 16, TG0 4K, NC/OS walk, EPD1, V, IPS 48-bit (5), AA64, R, A, ASET, ASID 1
        ulong expected = 16UL | (2UL << 12) | (1UL << 30) | (1UL << 31) | (5UL << 32) | (1UL << 41) | (1UL << 45) | (1UL << 46) | (1UL << 47) | (1UL << 48);
        Assert.Equal(expected, cd[0]);
        Assert.Equal(d.PageTable!.Ttbr, cd[1]);
        Assert.Equal(0xf404ff44UL, cd[3]);                                  // MAIR: NC, WBRWA, device, INC-OWBRWA
    }

    [Fact]
    public void Attach_writes_cd_0_and_then_the_ste_each_synced_then_prefetches_the_ste()
    {
        var core = Boot(Soc());
        Commands(core);
        Unmanaged(core, "gpu");
        // CD 0: ASID and TTB0 change in two qwords: V=0, the rest, then qword 0 — three CFGI_CD + CMD_SYNC;
        // the STE already points at the CD table: no change, no CFGI_STE; PREFETCH_CFG regardless
        Assert.Equal(
        [
            "CFGI_CD sid 0x400 ssid 0 leaf", "CMD_SYNC cs=sev",
            "CFGI_CD sid 0x400 ssid 0 leaf", "CMD_SYNC cs=sev",
            "CFGI_CD sid 0x400 ssid 0 leaf", "CMD_SYNC cs=sev",
            "PREFETCH_CFG sid 0x400",
        ], Commands(core));
    }

    // The sync counts of arm-smmu-v3-test.c (the driver's KUnit tests) for the same transitions.
    private static EntryWriter.Result Ste(ulong[] cur, ulong[] target, List<ulong[]>? seen = null) =>
        EntryWriter.Write((ulong[])cur.Clone(), target, StreamTableEntry.Used, StreamTableEntry.UpdateSafe, () => { });

    private static ulong[] CdTableSte(ulong s1dss, ulong dma = 0xF0F0F0F0F0C0) =>
        StreamTableEntry.CdTable(dma, 8, s1dss, stalld: true, e2h: false, eatsTrans: true, attrTypesOvr: true);

    [Fact]
    public void Ste_transitions_take_the_syncs_the_drivers_kunit_tests_expect()
    {
        var abort = StreamTableEntry.Abort();
        var bypass = StreamTableEntry.Bypass(attrTypesOvr: true);
        var s1 = CdTableSte(StreamTableEntry.S1DssSsid0);
        var s1Bypass = CdTableSte(StreamTableEntry.S1DssBypass);
        Assert.Equal(new EntryWriter.Result(2, false), Ste(bypass, abort));
        Assert.Equal(new EntryWriter.Result(2, false), Ste(abort, bypass));
        Assert.Equal(new EntryWriter.Result(2, false), Ste(s1, abort));
        Assert.Equal(new EntryWriter.Result(2, false), Ste(abort, s1));
        Assert.Equal(new EntryWriter.Result(3, false), Ste(s1, bypass));
        Assert.Equal(new EntryWriter.Result(3, false), Ste(bypass, s1));
        Assert.Equal(new EntryWriter.Result(1, false), Ste(s1, s1Bypass));
        Assert.Equal(new EntryWriter.Result(2, false), Ste(s1Bypass, bypass));
        // a new CD table pointer and a new S1DSS at once cannot be hitless
        Assert.Equal(new EntryWriter.Result(3, true), Ste(s1, CdTableSte(StreamTableEntry.S1DssBypass, 0x4B4B4b4B40)));
    }

    [Fact]
    public void Cd_transitions_take_the_syncs_the_drivers_kunit_tests_expect()
    {
        static EntryWriter.Result Cd(ulong[] cur, ulong[] target) => EntryWriter.Write((ulong[])cur.Clone(), target, ContextDescriptor.Used, null, () => { });
        var zero = new ulong[8];
        var a = ContextDescriptor.S1(0xdeadbeef000, 48, 48, false, 778);
        var b = ContextDescriptor.S1(0xdeadbeef000, 48, 48, false, 1997);
        Assert.Equal(new EntryWriter.Result(2, false), Cd(zero, b));
        Assert.Equal(new EntryWriter.Result(2, true), Cd(b, zero));
        Assert.Equal(new EntryWriter.Result(1, false), Cd(a, b)); // only the ASID changes: hitless
    }

    // ------------------------------------------------------------------ invalidation

    [Fact]
    public void An_unmap_without_iotlb_sync_leaves_a_stale_entry_until_the_sync_issues_tlbi_nh_va()
    {
        var core = Boot(Soc());
        var d = Unmanaged(core, "gpu");
        ulong pa = core.Machine.Pages.AllocUser(0x4000, 0x1000)!.Value;
        Assert.True(core.Map(d, 0x10_0000, pa, 0x4000, Prot.Read | Prot.Write).Ok);
        Assert.Equal(pa, Read(core, "gpu", 0x10_0000).Pa);
        Commands(core);
        Assert.Equal(0x4000UL, core.UnmapFast(d, 0x10_0000, 0x4000, new ScriptSite("t", 7)));
        Assert.Empty(Commands(core)); // arm_smmu_tlb_inv_page_nosync only gathers
        var stale = Read(core, "gpu", 0x10_0000);
        Assert.True(stale.Ok);
        Assert.Equal(1, stale.Stale);
        core.IotlbSync(d);
        var asid = ((SmmuV3Domain)d).Asid;
        Assert.Equal(
        [
            $"TLBI_NH_VA asid {asid} va 0x100000 leaf", $"TLBI_NH_VA asid {asid} va 0x101000 leaf",
            $"TLBI_NH_VA asid {asid} va 0x102000 leaf", $"TLBI_NH_VA asid {asid} va 0x103000 leaf", "CMD_SYNC cs=sev",
        ], Commands(core));
        var r = Read(core, "gpu", 0x10_0000);
        var ev = Assert.IsType<SmmuV3Event>(r.Fault!.Registers);
        Assert.Equal("F_TRANSLATION", ev.Event);
    }

    [Fact]
    public void With_range_invalidation_one_tlbi_covers_the_range_with_tg_ttl_scale_and_num()
    {
        var core = Boot(Soc("sid-bits: 16, range-invalidation: true"));
        var d = Unmanaged(core, "gpu");
        ulong pa = core.Machine.Pages.AllocUser(0x10000, 0x10000)!.Value;
        Assert.True(core.Map(d, 0x10_0000, pa, 0x10000, Prot.Read).Ok);
        Commands(core);
        Assert.Equal(0x10000UL, core.Unmap(d, 0x10_0000, 0x10000));
        var cmds = Driver(core).TakeCommands(core.Soc.Iommus[0]);
        var asid = ((SmmuV3Domain)d).Asid;
        // 16 pages: SCALE = __ffs(16) = 4, NUM = 1 - 1 = 0; TG 1 (4K), TTL 3 (a level-3 leaf)
        Assert.Equal($"TLBI_NH_VA asid {asid} va 0x100000 leaf tg 1 ttl 3 scale 4 num 0", cmds[0].Text);
        Assert.Equal(0x12UL | (4UL << 20) | ((ulong)asid << 48), cmds[0].Dw0);
        Assert.Equal(1UL | (3UL << 8) | (1UL << 10) | 0x10_0000UL, cmds[0].Dw1);
        Assert.Equal("CMD_SYNC", cmds[1].Op);
        Assert.Equal(2, cmds.Count);
    }

    [Fact]
    public void A_range_invalidation_of_a_2_mib_block_gives_the_level_2_ttl()
    {
        var core = Boot(Soc("sid-bits: 16, range-invalidation: true"));
        var d = Unmanaged(core, "gpu");
        ulong pa = core.Machine.Pages.AllocUser(0x20_0000, 0x20_0000)!.Value;
        Assert.True(core.Map(d, 0x20_0000, pa, 0x20_0000, Prot.Read).Ok);
        Commands(core);
        Assert.Equal(0x20_0000UL, core.Unmap(d, 0x20_0000, 0x20_0000));
        var asid = ((SmmuV3Domain)d).Asid;
        // 512 pages: SCALE 9, NUM 0; TTL = 4 - ((21 - 3) / (12 - 3)) = 2
        Assert.Equal([$"TLBI_NH_VA asid {asid} va 0x200000 leaf tg 1 ttl 2 scale 9 num 0", "CMD_SYNC cs=sev"], Commands(core));
    }

    [Fact]
    public void A_table_freed_under_a_block_unmap_is_walk_flushed_at_once_with_non_leaf_tlbis()
    {
        foreach (var ril in new[] { false, true })
        {
            var core = Boot(Soc($"sid-bits: 16, range-invalidation: {(ril ? "true" : "false")}"));
            var d = Unmanaged(core, "gpu");
            var asid = ((SmmuV3Domain)d).Asid;
            ulong pa = core.Machine.Pages.AllocUser(0x20_0000, 0x20_0000)!.Value;
            for (ulong off = 0; off < 0x20_0000; off += 0x1000)
                Assert.True(core.Map(d, 0x20_0000 + off, pa + off, 0x1000, Prot.Read).Ok); // a level-3 table of 512 pages
            Commands(core);
            // iommu_pgsize picks 2 MiB: __arm_lpae_unmap meets the table, frees it and flushes the walk
            Assert.Equal(0x20_0000UL, core.UnmapFast(d, 0x20_0000, 0x20_0000));
            var cmds = Commands(core);
            if (ril)
                Assert.Equal([$"TLBI_NH_VA asid {asid} va 0x200000 tg 1 ttl 0 scale 9 num 0", "CMD_SYNC cs=sev"], cmds); // non-leaf: TTL 0
            else
            {
                Assert.Equal(513, cmds.Count); // one per 4 KiB granule, not leaf
                Assert.Equal($"TLBI_NH_VA asid {asid} va 0x3ff000", cmds[511]);
            }
            core.IotlbSync(d);
            Assert.Empty(Commands(core)); // nothing was gathered: the table was not a leaf
        }
    }

    [Fact]
    public void On_an_smmu_that_stalls_a_master_that_does_not_gets_s1stalld()
    {
        foreach (var stalls in new[] { false, true })
        {
            var core = Boot(Soc($"sid-bits: 16, stalls: {(stalls ? "true" : "false")}"));
            Assert.Equal(stalls, (Driver(core).Ste(core.Device("gpu")!)[1] & StreamTableEntry.S1Stalld) != 0);
        }
    }

    [Fact]
    public void Eats_trans_may_change_in_place_unless_s1chk_or_s2s_is_involved_and_mev_always_may()
    {
        Span<ulong> safe = stackalloc ulong[8];
        var s1 = CdTableSte(StreamTableEntry.S1DssSsid0);
        StreamTableEntry.UpdateSafe(s1, StreamTableEntry.Abort(), safe);
        Assert.Equal((1UL << 28) | (1UL << 19), safe[1]);
        var chk = (ulong[])s1.Clone();
        chk[1] |= 2UL << 28; // EATS_S1CHK
        StreamTableEntry.UpdateSafe(chk, s1, safe);
        Assert.Equal(1UL << 19, safe[1]);
    }

    [Fact]
    public void A_leaf_of_another_size_syncs_what_was_gathered_first()
    {
        var core = Boot(Soc());
        var d = Unmanaged(core, "gpu");
        ulong pa = core.Machine.Pages.AllocUser(0x40_0000, 0x20_0000)!.Value;
        Assert.True(core.Map(d, 0x20_0000, pa, 0x20_0000, Prot.Read).Ok);          // a 2 MiB block
        Assert.True(core.Map(d, 0x40_0000, pa + 0x20_0000, 0x1000, Prot.Read).Ok); // and a 4 KiB page after it
        Assert.True(Read(core, "gpu", 0x20_0000).Ok);
        Assert.True(Read(core, "gpu", 0x40_0000).Ok);
        Commands(core);
        Assert.Equal(0x20_1000UL, core.UnmapFast(d, 0x20_0000, 0x20_1000));
        var asid = ((SmmuV3Domain)d).Asid;
        // iommu_iotlb_gather_add_page: the 4 KiB leaf after a gathered 2 MiB one syncs the block first
        Assert.Equal([$"TLBI_NH_VA asid {asid} va 0x200000 leaf", "CMD_SYNC cs=sev"], Commands(core));
        Assert.False(Read(core, "gpu", 0x20_0000).Ok);
        Assert.Equal(1, Read(core, "gpu", 0x40_0000).Stale);
    }

    [Fact]
    public void Flush_iotlb_all_and_domain_free_issue_tlbi_nh_asid_and_e2h_uses_the_el2_commands()
    {
        foreach (var e2h in new[] { false, true })
        {
            var core = Boot(Soc($"sid-bits: 16, e2h: {(e2h ? "true" : "false")}"));
            var d = core.DomainAlloc(core.Device("gpu")!, DomainType.Unmanaged).Value!;
            var asid = ((SmmuV3Domain)d).Asid;
            Commands(core);
            core.FlushIotlbAll(d);
            Assert.Equal([$"{(e2h ? "TLBI_EL2_ASID" : "TLBI_NH_ASID")} asid {asid}", "CMD_SYNC cs=sev"], Commands(core));
            Assert.Null(core.DomainFree(d));
            Assert.Equal([$"{(e2h ? "TLBI_EL2_ASID" : "TLBI_NH_ASID")} asid {asid}", "CMD_SYNC cs=sev"], Commands(core));
            Assert.Equal(e2h ? 2UL : 0UL, (Driver(core).Ste(core.Device("gpu")!)[1] & StreamTableEntry.StrwMask) >> StreamTableEntry.StrwShift);
        }
    }

    // ------------------------------------------------------------------ domains and ASIDs

    [Fact]
    public void Asids_come_from_one_space_every_smmu_shares_and_running_out_oopses_in_the_finalise_error_path()
    {
        var yaml = """
            soc: s
            memory:
              - { name: dram, base: 0x8000_0000, size: 1GiB }
            iommus:
              - { name: smmu0, compatible: "arm,smmu-v3", sid-bits: 16, asid-bits: 8 }
              - { name: smmu1, compatible: "arm,smmu-v3", sid-bits: 16, asid-bits: 8 }
            devices:
              - { name: gpu, ids: [ { iommu: smmu0, stream: 0x400 } ] }
              - { name: nic, ids: [ { iommu: smmu1, stream: 0x400 } ] }
            """;
        var core = Boot(yaml);
        var asids = new List<int> { ((SmmuV3Domain)core.Device("gpu")!.Group!.DefaultDomain!).Asid, ((SmmuV3Domain)core.Device("nic")!.Group!.DefaultDomain!).Asid };
        Assert.Equal([1, 2], asids); // the second SMMU's first domain gets ASID 2
        for (int i = 3; i <= 255; i++)
            Assert.Equal(i, ((SmmuV3Domain)core.DomainAlloc(core.Device(i % 2 == 0 ? "gpu" : "nic")!, DomainType.Unmanaged).Value!).Asid);
        var oops = Assert.Throws<KernelOopsException>(() => core.DomainAlloc(core.Device("gpu")!, DomainType.Unmanaged));
        Assert.Contains("arm_smmu_tlb_inv_context", oops.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_domain_finalised_on_another_smmu_is_refused_with_einval()
    {
        var yaml = """
            soc: s
            memory:
              - { name: dram, base: 0x8000_0000, size: 1GiB }
            iommus:
              - { name: smmu0, compatible: "arm,smmu-v3", sid-bits: 16 }
              - { name: smmu1, compatible: "arm,smmu-v3", sid-bits: 16 }
            devices:
              - { name: gpu, ids: [ { iommu: smmu0, stream: 0x400 } ] }
              - { name: nic, ids: [ { iommu: smmu1, stream: 0x400 } ] }
            """;
        var core = Boot(yaml);
        var d = core.DomainAlloc(core.Device("gpu")!, DomainType.Unmanaged).Value!;
        Assert.Equal(Errno.EINVAL, core.AttachDevice(d, core.Device("nic")!).Errno);
    }

    // ------------------------------------------------------------------ events

    [Fact]
    public void A_write_to_a_read_only_page_is_f_permission_printed_as_the_driver_prints_it_and_no_fault_handler_runs()
    {
        var core = Boot(Soc());
        var d = Unmanaged(core, "gpu");
        ulong pa = core.Machine.Pages.AllocUser(0x1000, 0x1000)!.Value;
        Assert.True(core.Map(d, 0x10_0000, pa, 0x1000, Prot.Read).Ok);
        int calls = 0;
        core.FaultHandlerInvoker = (_, _, _, _) => { calls++; return 0; };
        Assert.True(core.SetFaultHandler(d, new object()).Ok);
        var r = Write(core, "gpu", 0x10_0010);
        var ev = Assert.IsType<SmmuV3Event>(r.Fault!.Registers);
        Assert.Equal("permission", r.Fault.FaultKind);
        Assert.Equal(0, calls); // arm-smmu-v3 never calls report_iommu_fault
        Assert.Equal(-95, ev.HandlerResult);
        Assert.Equal(
            "event 0x13 received:\n\t0x0000040000000013\n\t0x0000020000000000\n\t0x0000000000100010\n\t0x0000000000000000\n"
            + "event: F_PERMISSION client: gpu sid: 0x400 ssid: 0 iova: 0x100010 ipa: 0\n"
            + "unpriv data write s1 \"Input address caused fault\" stag: 0", ev.Message);
        Assert.Equal(pa + 0x10, Read(core, "gpu", 0x10_0010).Pa);
        // printk's %#llx prints zero as "0"
        var zero = Assert.IsType<SmmuV3Event>(Read(core, "gpu", 0).Fault!.Registers);
        Assert.EndsWith("event: F_TRANSLATION client: gpu sid: 0x400 ssid: 0 iova: 0 ipa: 0\nunpriv data read s1 \"Input address caused fault\" stag: 0", zero.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_blocked_master_has_an_abort_ste_so_its_dma_is_terminated_without_an_event()
    {
        var core = Boot(Soc());
        var gpu = core.Device("gpu")!;
        var drv = Driver(core);
        var blocked = gpu.Driver.BlockedDomain!;
        Assert.True(blocked.AttachDev(gpu, gpu.Group!.Domain, default).Ok);
        Assert.Equal(StreamTableEntry.Abort(), drv.Ste(gpu));
        Assert.Equal(new ulong[8], drv.Cd0(gpu)); // arm_smmu_clear_cd
        var r = Read(core, "gpu", 0x1000);
        Assert.Equal("translation", r.Fault!.FaultKind);
        Assert.Null(r.Fault.Registers); // an abort STE records no event
        Assert.Contains("no event is recorded", r.Fault.Why, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ YAML

    [Theory]
    [InlineData("compatible: \"arm,smmu-v3\"", "sid-bits")]
    [InlineData("compatible: \"arm,smmu-v3\", sid-bits: 16, asid-bits: 12", "asid-bits is 8 or 16")]
    [InlineData("compatible: \"arm,smmu-v3\", sid-bits: 16, stream-table: flat", "stream-table is 2-level or linear")]
    [InlineData("compatible: \"arm,smmu-v3\", sid-bits: 16, banks: 2", "banks")]
    public void The_smmu_v3_keys_are_checked_with_located_errors(string iommu, string expected)
    {
        using var tree = new TestTree();
        var path = tree.Write("scenarios/socs/s.yaml", $"soc: s\nmemory:\n  - {{ name: dram, base: 0x8000_0000, size: 1GiB }}\niommus:\n  - {{ name: smmu0, {iommu} }}\ndevices:\n  - {{ name: gpu, ids: [ {{ iommu: smmu0, stream: 0x400 }} ] }}\n");
        var e = Assert.Throws<ScenarioLoadException>(() => SocLoader.LoadFile(path, "s.yaml"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_master_names_one_32_bit_stream_id_and_no_smr_mask()
    {
        using var tree = new TestTree();
        string Devices(string id) => $"soc: s\nmemory:\n  - {{ name: dram, base: 0x8000_0000, size: 1GiB }}\niommus:\n  - {{ name: smmu0, compatible: \"arm,smmu-v3\", sid-bits: 16 }}\ndevices:\n  - {{ name: gpu, ids: [ {{ iommu: smmu0, {id} }} ] }}\n";
        Assert.Contains("wider than 32 bits", Assert.Throws<ScenarioLoadException>(() => SocLoader.LoadFile(tree.Write("scenarios/socs/a.yaml", Devices("stream: 0x1_0000_0000")), "a.yaml")).Message, StringComparison.Ordinal);
        Assert.Contains("not mask", Assert.Throws<ScenarioLoadException>(() => SocLoader.LoadFile(tree.Write("scenarios/socs/b.yaml", Devices("stream: 0x400, mask: 0xf")), "b.yaml")).Message, StringComparison.Ordinal);
    }

    // ------------------------------------------------------------------ ATS

    private const string AtsSoc = """
        soc: s
        memory:
          - { name: dram, base: 0x8000_0000, size: 1GiB }
        iommus:
          - { name: smmu0, compatible: "arm,smmu-v3", sid-bits: 16, ats: true }
        devices:
          - { name: nvme, bus: pci, ids: [ { iommu: smmu0, stream: 0x100, ats: true } ] }
          - { name: plat, ids: [ { iommu: smmu0, stream: 0x400, ats: true } ] }
          - { name: nic, bus: pci, ids: [ { iommu: smmu0, stream: 0x200 } ] }
        """;

    [Fact]
    public void Ats_is_enabled_only_for_a_pci_master_with_the_capability_on_an_smmu_with_idr0_ats()
    {
        var core = Boot(AtsSoc);
        var drv = (ArmSmmuV3)core.Device("nvme")!.Driver;
        Assert.Equal(StreamTableEntry.EatsTrans, (drv.Ste(core.Device("nvme")!)[1] & StreamTableEntry.EatsMask) >> StreamTableEntry.EatsShift);
        Assert.Equal(0UL, drv.Ste(core.Device("plat")!)[1] & StreamTableEntry.EatsMask); // dev_is_pci is false
        Assert.Equal(0UL, drv.Ste(core.Device("nic")!)[1] & StreamTableEntry.EatsMask);  // no ATS capability
        var noFeature = Boot(AtsSoc.Replace("sid-bits: 16, ats: true", "sid-bits: 16, ats: false", StringComparison.Ordinal));
        Assert.Equal(0UL, ((ArmSmmuV3)noFeature.Device("nvme")!.Driver).Ste(noFeature.Device("nvme")!)[1] & StreamTableEntry.EatsMask);
    }

    [Fact]
    public void An_iotlb_sync_follows_its_tlbi_with_an_atc_inv_of_the_smallest_aligned_power_of_two_span()
    {
        var core = Boot(AtsSoc);
        var nvme = core.Device("nvme")!;
        var drv = (ArmSmmuV3)nvme.Driver;
        var d = core.DomainAlloc(nvme, DomainType.Unmanaged).Value!;
        Assert.True(core.AttachDevice(d, nvme).Ok);
        ulong pa = core.Machine.Pages.AllocUser(0x4000, 0x1000)!.Value;
        // pages 7..10: fls(7 ^ 10) = 4, so [0, 15] (arm_smmu_atc_inv_to_cmd's own example)
        Assert.True(core.Map(d, 0x7000, pa, 0x4000, Prot.Read).Ok);
        Assert.Equal(pa, DeviceAccess.Perform(core, nvme, 0x7000, 4, false).Pa);
        drv.TakeCommands(core.Soc.Iommus[0]);
        Assert.Equal(0x4000UL, core.UnmapFast(d, 0x7000, 0x4000));
        var stale = DeviceAccess.Perform(core, nvme, 0x7000, 4, false);
        Assert.True(stale.StaleAtc);
        Assert.Equal(EventKind.StaleAtc, core.Machine.Log.Events[^1].Kind);
        core.IotlbSync(d);
        var cmds = drv.TakeCommands(core.Soc.Iommus[0]);
        var atc = Assert.Single(cmds, c => c.Op == "ATC_INV");
        Assert.Equal("ATC_INV sid 0x100 addr 0x0 size 4", atc.Text);
        Assert.Equal(0x40UL | (0x100UL << 32), atc.Dw0);
        Assert.Equal(4UL, atc.Dw1);
        Assert.Equal("CMD_SYNC", cmds[^1].Op);
        // now the Translation Request fails: a negative response and no event (IHI 0070 §3.9.1)
        var failed = DeviceAccess.Perform(core, nvme, 0x7000, 4, false);
        Assert.False(failed.Ok);
        Assert.Null(failed.Fault!.Registers);
        Assert.Contains("records no event for a failed ATS Translation Request", failed.Fault.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_domain_without_ats_masters_sends_no_atc_inv_and_an_identity_attach_turns_ats_off()
    {
        var core = Boot(AtsSoc);
        var nic = core.Device("nic")!;
        var drv = (ArmSmmuV3)nic.Driver;
        var d = core.DomainAlloc(nic, DomainType.Unmanaged).Value!;
        Assert.True(core.AttachDevice(d, nic).Ok);
        drv.TakeCommands(core.Soc.Iommus[0]);
        core.FlushIotlbAll(d);
        // nr_ats_masters is 0: arm_smmu_atc_inv_domain returns before its batch (which would add a CMD_SYNC even when empty)
        Assert.Equal(["TLBI_NH_ASID", "CMD_SYNC"], drv.TakeCommands(core.Soc.Iommus[0]).Select(c => c.Op));
        var nvme = core.Device("nvme")!;
        Assert.True(drv.IdentityDomain!.AttachDev(nvme, nvme.Group!.Domain, default).Ok);
        Assert.Equal(StreamTableEntry.Bypass(), drv.Ste(nvme));
        Assert.Contains(drv.TakeCommands(core.Soc.Iommus[0]), c => c.Text == "ATC_INV sid 0x100 all");
    }
}
