using ScenarioEngine.Config;
using ScenarioEngine.Dma;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Tests;

/// <summary>
/// A device's dma-ranges (drivers/of/device.c of_dma_configure_id, include/linux/dma-direct.h
/// dma_range_map_max / translate_phys_to_dma / dma_capable, drivers/iommu/dma-iommu.c
/// iommu_dma_alloc_iova, Linux 7.0): the bus limit caps the IOVAs the DMA API hands out, and
/// dma-direct's addresses are translated and checked against min_not_zero(mask, bus limit).
/// </summary>
public class DmaRangesTests
{
    private static string Soc(string apuExtra, string bus = "platform") => $"""
        soc: tiny
        memory:
          - {"{"} name: dram, base: 0x4000_0000, size: 2GiB {"}"}
        iommus:
          - name: m4u
            driver: mediatek
            flags: [reset-axi, int-id-port-width-6]
        devices:
          - name: display
            ids: [ {"{"} iommu: m4u, larb: 0, port: 0 {"}"} ]
          - name: apu
            bus: {bus}
            ids: [ {"{"} iommu: m4u, larb: 0, port: 10 {"}"} ]
        {apuExtra}
        """;

    private const string LowGiB = "    dma-ranges: [ { bus: 0x0, cpu: 0x4000_0000, size: 1GiB } ]";

    [Fact]
    public void The_bus_limit_of_the_dma_ranges_caps_the_iovas_the_dma_api_hands_out()
    {
        // without dma-ranges the first IOVA is the top of the IOVA region (MediaTek's r0 ends at 0xff800000);
        // with a bus that reaches 1 GiB, the top of min_not_zero(mask, bus_dma_limit) = 0x3fffffff
        var plain = MediatekIommuTests.Boot(Soc(""));
        Assert.Equal(0xff7f_f000UL, plain.Dma.MapSingle(plain.Device("apu")!, 0x4000_0000, 0x1000, DmaDirection.ToDevice).Value);
        var core = MediatekIommuTests.Boot(Soc(LowGiB));
        var apu = core.Device("apu")!;
        Assert.Equal(0x3fff_f000UL, core.Dma.MapSingle(apu, 0x4000_0000, 0x1000, DmaDirection.ToDevice).Value);
        Assert.Equal(0x3fff_0000UL, core.Dma.AllocCoherent(apu, 0x8000).Value.Item1 & ~0xffffUL);
        Assert.Contains(core.BootEvents, e => e is { Kind: BootEventKind.BusDmaLimitSet, Subject: "apu" }
            && e.Text == "apu: bus_dma_limit 0x3fffffff from its bus's dma-ranges (cpu 0x40000000 → bus 0x0, 1 GiB) (of_dma_configure_id)");
        // the other master's bus has none, so its limit is its mask; but it shares apu's domain and IOVA
        // allocator, whose cached32_node now sits at apu's buffers: its walk starts below them
        Assert.Equal(0x3ffe_f000UL, core.Dma.MapSingle(core.Device("display")!, 0x4000_0000, 0x1000, DmaDirection.ToDevice).Value);
    }

    [Fact]
    public void A_pci_device_behind_a_32_bit_bus_never_tries_32_bit_first_and_never_goes_above_4_GiB()
    {
        // dma_limit = min_not_zero(40-bit mask, bus_dma_limit 0xffffffff) is not above DMA_BIT_MASK(32):
        // no SAC attempt, so the workaround is never given up, and a full 32-bit space is a failure
        var iovad = new IovaAllocator(4096, 0xfffff);
        bool pci32 = true;
        ulong limit = DmaIommuAlloc.Limit((1UL << 40) - 1, DmaRangeMap.BusLimit([new DmaRange(0, 0, 0x1_0000_0000)]), null);
        Assert.Equal(0xffff_ffffUL, limit);
        Assert.Equal(0xffff_f000UL, DmaIommuAlloc.AllocIova(iovad, 0x1000, limit, ref pci32));
        Assert.Equal(0UL, DmaIommuAlloc.AllocIova(iovad, 0x1000, limit, ref pci32));
        Assert.True(pci32);
    }

    [Fact]
    public void Dma_direct_translates_through_the_window_and_refuses_what_no_window_or_limit_allows()
    {
        var core = MediatekIommuTests.Boot(Soc(LowGiB), new KernelKnobs(true, true));
        var apu = core.Device("apu")!;
        Assert.False(core.Dma.UsesIommu(apu));
        var inWindow = core.Dma.MapSingle(apu, 0x4000_1234, 0x10, DmaDirection.ToDevice);
        Assert.Equal(0x1234UL, inWindow.Value);
        Assert.Equal("dma-direct: bus address = physical address − 0x40000000 (dma-ranges)", inWindow.Why);
        var outside = core.Dma.MapSingle(apu, 0x8000_0000, 0x10, DmaDirection.ToDevice);
        Assert.Equal(Errno.ENOMEM, outside.Errno);
        Assert.StartsWith("dma-direct: no dma-ranges window holds 0x80000000", outside.Why);
        // the last byte of the window is fine; one byte more runs past bus_dma_limit
        Assert.Equal(0x3fff_fff0UL, core.Dma.MapSingle(apu, 0x7fff_fff0, 0x10, DmaDirection.ToDevice).Value);
        var past = core.Dma.MapSingle(apu, 0x7fff_fff0, 0x11, DmaDirection.ToDevice);
        Assert.Equal(Errno.ENOMEM, past.Errno);
        Assert.Contains("ends beyond min_not_zero(mask 0xffffffff, bus_dma_limit 0x3fffffff) = 0x3fffffff", past.Why);
    }

    [Fact]
    public void Without_dma_ranges_the_bus_address_is_the_physical_address_and_only_the_mask_limits_it()
    {
        Assert.Equal(0UL, DmaRangeMap.BusLimit([]));
        Assert.Equal(0x1234_5678UL, DmaRangeMap.PhysToDma([], 0x1234_5678));
        Assert.Equal(ulong.MaxValue, DmaRangeMap.BusLimit([new DmaRange(0, 0, 0), new DmaRange(0, 0xffff_ffff_0000_0000, 0x1_0000_0000)]) | 0);
        // the highest window end wins, whatever the order (dma_range_map_max)
        Assert.Equal(0x2_ffff_ffffUL, DmaRangeMap.BusLimit([new DmaRange(0, 0x2_0000_0000, 0x1_0000_0000), new DmaRange(0, 0, 0x1000)]));
    }

    [Theory]
    [InlineData("[ { bus: 0, cpu: 0, size: 0 } ]", "'size' must not be 0")]
    [InlineData("[ { bus: 0xffff_ffff_ffff_f000, cpu: 0, size: 0x2000 } ]", "wraps past 2^64")]
    [InlineData("[ { bus: 0, cpu: 0xffff_ffff_ffff_f000, size: 0x2000 } ]", "wraps past 2^64")]
    [InlineData("[ { bus: 0, size: 0x1000 } ]", "cpu")]
    [InlineData("[ { bus: 0, cpu: 0, size: 0x1000, offset: 4 } ]", "offset")]
    public void A_bad_dma_ranges_entry_is_a_located_load_error(string ranges, string says)
    {
        using var tree = new TestTree();
        var path = tree.Write("scenarios/socs/s.yaml", Soc("    dma-ranges: " + ranges));
        var e = Assert.Throws<ScenarioLoadException>(() => SocLoader.LoadFile(path, "s.yaml"));
        Assert.Contains(says, e.Message, StringComparison.Ordinal);
        Assert.Contains("s.yaml:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_than_64_dma_ranges_entries_are_refused_not_walked()
    {
        using var tree = new TestTree();
        var many = string.Join(", ", Enumerable.Range(0, 65).Select(i => $"{{ bus: {i * 0x1000}, cpu: {i * 0x1000}, size: 0x1000 }}"));
        var path = tree.Write("scenarios/socs/s.yaml", Soc("    dma-ranges: [ " + many + " ]"));
        var e = Assert.Throws<ScenarioLoadException>(() => SocLoader.LoadFile(path, "s.yaml"));
        Assert.Contains("65 dma-ranges entries; at most 64 are read", e.Message, StringComparison.Ordinal);
    }
}
