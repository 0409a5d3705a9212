using ScenarioEngine.Drivers.Mediatek;
using ScenarioEngine.Hardware;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Tests;

/// <summary>The IOTLB model and the MediaTek TLB maintenance and fault path (mtk_iommu.c).</summary>
public class IotlbTests
{
    [Fact]
    public void A_full_set_evicts_its_least_recently_used_way()
    {
        var tlb = new Iotlb(new IotlbGeometry(8, 2)); // 4 sets
        tlb.Fill(0, 0x1000);
        tlb.Fill(4, 0x2000);          // same set as 0
        Assert.True(tlb.Lookup(0, out _, out _));
        tlb.Fill(8, 0x3000);          // evicts 4, the least recently used
        Assert.True(tlb.Lookup(0, out var pa, out _));
        Assert.Equal(0x1000UL, pa);
        Assert.False(tlb.Lookup(4, out _, out _));
        Assert.True(tlb.Lookup(8, out _, out _));
    }

    [Fact]
    public void Range_invalidation_drops_only_the_range_and_stale_marks_survive_until_then()
    {
        var tlb = new Iotlb(new IotlbGeometry(16, 4));
        for (ulong v = 0; v < 8; v++) tlb.Fill(v, v << 12);
        tlb.MarkStale(2, 3, 42);
        Assert.True(tlb.Lookup(2, out _, out var stale));
        Assert.Equal(42, stale);
        Assert.True(tlb.Lookup(4, out _, out var fresh));
        Assert.Equal(0, fresh);
        tlb.InvalidateRange(2, 3);
        Assert.False(tlb.Lookup(2, out _, out _));
        Assert.True(tlb.Lookup(1, out _, out _));
        tlb.InvalidateAll();
        Assert.False(tlb.Lookup(1, out _, out _));
    }

    [Fact]
    public void The_valid_count_follows_fills_evictions_and_flushes_so_a_refilled_tlb_is_still_marked_and_flushed()
    {
        var tlb = new Iotlb(new IotlbGeometry(8, 2)); // 4 sets
        tlb.Fill(0, 0x1000);
        tlb.Fill(4, 0x2000);
        tlb.Fill(8, 0x3000);          // evicts a valid way: still 2 valid
        Assert.Equal(2, tlb.Valid);
        tlb.InvalidateRange(0, 8);
        Assert.Equal(0, tlb.Valid);
        tlb.MarkStale(0, 100, 7);     // empty: nothing to mark
        tlb.Fill(1, 0x5000);
        Assert.Equal(1, tlb.Valid);
        tlb.MarkStale(1, 1, 9);       // refilled: the mark must land
        Assert.True(tlb.Lookup(1, out var pa, out var stale));
        Assert.Equal((0x5000UL, 9), (pa, stale));
        tlb.InvalidateRange(1, 1);
        Assert.False(tlb.Lookup(1, out _, out _));
        tlb.Fill(2, 0x6000);
        tlb.InvalidateAll();
        Assert.Equal(0, tlb.Valid);
    }

    private const string TwoInstances = """
        soc: s
        memory:
          - { name: dram, base: 0x4000_0000, size: 1GiB }
        iommus:
          - { name: vdo, driver: mediatek, flags: [share-pgtable], shares-pgtable-with: [vpp] }
          - { name: vpp, driver: mediatek, flags: [share-pgtable] }
        devices:
          - { name: a, ids: [ { iommu: vdo, larb: 0, port: 1 } ] }
          - { name: b, ids: [ { iommu: vpp, larb: 0, port: 1 } ] }
        """;

    [Fact]
    public void Flush_iotlb_all_reaches_only_the_domains_own_instance_while_iotlb_sync_reaches_the_hw_list()
    {
        var core = MediatekIommuTests.Boot(TwoInstances);
        var a = core.Device("a")!;
        var b = core.Device("b")!;
        var d = a.Group!.DefaultDomain!;
        Assert.Same(d.PageTable, b.Group!.DefaultDomain!.PageTable);
        Assert.True(core.Map(d, 0x1000_0000, 0x4000_0000, 0x1000, Prot.Read | Prot.Write).Ok);
        Assert.True(DeviceAccess.Perform(core, a, 0x1000_0000, 4, false).Ok);
        Assert.True(DeviceAccess.Perform(core, b, 0x1000_0000, 4, false).Ok);
        core.UnmapFast(d, 0x1000_0000, 0x1000);
        core.FlushIotlbAll(d);
        Assert.False(DeviceAccess.Perform(core, a, 0x1000_0000, 4, false).Ok);
        var stale = DeviceAccess.Perform(core, b, 0x1000_0000, 4, false);
        Assert.True(stale.Ok);
        Assert.Equal(1, stale.Stale);
        core.IotlbSync(d);
        Assert.False(DeviceAccess.Perform(core, b, 0x1000_0000, 4, false).Ok);
    }

    [Fact]
    public void A_strict_unmap_syncs_so_no_stale_translation_is_possible()
    {
        var core = MediatekIommuTests.Boot(TestTree.Soc);
        var dev = core.Device("display")!;
        var d = dev.Group!.DefaultDomain!;
        Assert.True(core.Map(d, 0x2000_0000, 0x4000_0000, 0x1000, Prot.Read).Ok);
        Assert.True(DeviceAccess.Perform(core, dev, 0x2000_0000, 4, false).Ok);
        Assert.Equal(0x1000UL, core.Unmap(d, 0x2000_0000, 0x1000));
        Assert.False(DeviceAccess.Perform(core, dev, 0x2000_0000, 4, false).Ok);
        Assert.DoesNotContain(core.Machine.Log.Events, e => e.Kind == EventKind.StaleTranslation);
    }

    [Fact]
    public void A_fault_is_reported_against_the_banks_first_domain_and_calls_its_handler()
    {
        // With identity default domains the bank has no domain until an unmanaged one is attached.
        var core = MediatekIommuTests.Boot("soc: s\nmemory:\n  - { name: dram, base: 0x4000_0000, size: 1GiB }\niommus:\n  - { name: m4u, driver: mediatek }\ndevices:\n  - { name: a, ids: [ { iommu: m4u, larb: 0, port: 3 } ] }\n",
            new KernelKnobs(Strict: true, Passthrough: true));
        var a = core.Device("a")!;
        var dom = core.DomainAlloc(a, DomainType.Unmanaged).Value!;
        Assert.True(core.AttachDevice(dom, a).Ok);
        Assert.True(core.SetFaultHandler(dom, "handler").Ok);
        var calls = new List<(string, ulong, bool)>();
        core.FaultHandlerInvoker = (d, inst, iova, write) => { calls.Add((d.Name, iova, write)); return 0; };
        var r = DeviceAccess.Perform(core, a, 0x3000_0010, 4, true);
        Assert.False(r.Ok);
        Assert.Equal([(dom.Name, 0x3000_0002UL, true)], calls);
        var regs = (MtkFaultRegisters)r.Fault!.Registers!;
        Assert.Equal(0, regs.HandlerResult);
        Assert.Null(regs.Message);
        Assert.Equal((0, 3, 0), (regs.Larb, regs.Port, regs.Layer));
    }

    [Fact]
    public void A_handler_on_a_dma_domain_is_ignored_with_a_warning()
    {
        var core = MediatekIommuTests.Boot(TestTree.Soc);
        var d = core.Device("apu")!.Group!.DefaultDomain!;
        core.SetFaultHandler(d, "h");
        Assert.Null(d.FaultHandler);
        Assert.Contains(core.Machine.Log.Events, e => e.Kind == EventKind.Warn);
    }

    [Theory]
    [InlineData("[has-sub-comm-2bits]", 5, 7)]
    [InlineData("[has-sub-comm-3bits]", 6, 9)]
    [InlineData("[int-id-port-width-6]", 2, 30)]
    [InlineData("[]", 3, 17)]
    public void Int_id_round_trips_through_every_decoding_variant_and_the_larb_remap(string flags, int larb, int port)
    {
        var core = MediatekIommuTests.Boot($"soc: s\nmemory:\n  - {{ name: dram, base: 0x4000_0000, size: 1GiB }}\niommus:\n  - {{ name: m4u, driver: mediatek, flags: {flags}, larbid-remap: [[0], [1], [2], [3], [5], [7, 8], [6], [4]] }}\ndevices:\n  - {{ name: a, ids: [ {{ iommu: m4u, larb: {larb}, port: {port} }} ] }}\n");
        var inst = core.Soc.Iommus[0];
        uint regval = MediatekIommu.EncodeIntId(inst, larb, port);
        Assert.Equal((larb, port), MediatekIommu.DecodeIntId(inst, regval));
    }

    [Fact]
    public void A_34_bit_fault_packs_va_bits_34_32_and_the_driver_restores_them()
    {
        var core = MediatekIommuTests.Boot("soc: s\nmemory:\n  - { name: dram, base: 0x4000_0000, size: 1GiB }\niommus:\n  - name: m4u\n    driver: mediatek\n    flags: [iova-34-en]\n    regions:\n      - { name: r0, base: 0x0, size: 0xff80_0000 }\n      - { name: r1, base: 0x1_0000_0000, size: 0xff80_0000 }\n    region-ports: { r0: { larb0: [0-3] }, r1: { larb1: all } }\ndevices:\n  - { name: hi, ids: [ { iommu: m4u, larb: 1, port: 2 } ] }\n");
        var r = DeviceAccess.Perform(core, core.Device("hi")!, 0x1_2345_6000, 4, false);
        var regs = (MtkFaultRegisters)r.Fault!.Registers!;
        Assert.Equal(0x2345_6000u | 1u << 9, regs.FaultVa);
        Assert.Equal(0x1_2345_6000UL, regs.ReportedIova);
        Assert.Equal((1, 2), (regs.Larb, regs.Port));
    }

    [Fact]
    public void A_stream_of_hits_counts_no_misses_and_a_fault_flushes_the_whole_tlb()
    {
        var core = MediatekIommuTests.Boot(TestTree.Soc);
        var dev = core.Device("display")!;
        var d = dev.Group!.DefaultDomain!;
        Assert.True(core.Map(d, 0x2000_0000, 0x4000_0000, 0x4000, Prot.Read).Ok);
        var first = DeviceAccess.Stream(core, dev, 0x2000_0000, 0x4000, 0x100, 64, false);
        Assert.Equal((64L, 60L, 4L, 0L, 0L), (first.Accesses, first.Hits, first.Misses, first.Faults, first.Stale));
        Assert.False(DeviceAccess.Perform(core, dev, 0x3000_0000, 4, false).Ok);
        var after = DeviceAccess.Stream(core, dev, 0x2000_0000, 0x4000, 0x1000, 4, false);
        Assert.Equal(4, after.Misses);
    }

    [Fact]
    public void A_small_range_invalidated_or_marked_stale_page_by_page_acts_as_the_whole_scan_would()
    {
        var rng = new Random(7);
        for (int round = 0; round < 200; round++)
        {
            var tlb = new Iotlb(new IotlbGeometry(64, 4));
            var filled = new List<ulong>();
            for (int i = 0; i < 80; i++)
            {
                ulong vpn = ((ulong)(uint)rng.Next(4) << 40) | (uint)rng.Next(64); // four ASIDs' tags, pages that collide in sets
                if (tlb.Lookup(vpn, out _, out _)) continue; // a walk fills only after a miss
                tlb.Fill(vpn, vpn << 12);
                filled.Add(vpn);
            }
            var present = filled.Distinct().Where(v => tlb.Lookup(v, out _, out _)).ToList();
            ulong first = ((ulong)(uint)rng.Next(4) << 40) | (uint)rng.Next(64), last = first + (uint)rng.Next(16); // at most 16 pages: the per-page path
            bool Inside(ulong v) => v >= first && v <= last;
            if (round % 2 == 0)
            {
                tlb.MarkStale(first, last, 9);
                foreach (var v in present)
                {
                    Assert.True(tlb.Lookup(v, out _, out var stale));
                    Assert.Equal(Inside(v) ? 9 : 0, stale);
                }
            }
            else
            {
                tlb.InvalidateRange(first, last);
                foreach (var v in present) Assert.Equal(!Inside(v), tlb.Lookup(v, out _, out _));
                Assert.Equal(present.Count(v => !Inside(v)), tlb.Valid);
            }
        }
    }
}
