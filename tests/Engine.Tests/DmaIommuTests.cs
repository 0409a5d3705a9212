using ScenarioEngine.Dma;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Tests;

/// <summary>dma-iommu.c (Linux 7.0): strict and lazy unmap, the flush queue, masks, map_sg, PCI 32-bit first.</summary>
public class DmaIommuTests
{
    private static readonly KernelKnobs Lazy = new(Strict: false, Passthrough: false);

    private static (IommuCore Core, FakeDriver Drv, IommuDevice Dev) LazyCore()
    {
        var (core, drv, _) = FakeDriver.Boot(Lazy, d => d.DeferredFlush = true, ("dev", "g0", true));
        return (core, drv, core.Device("dev")!);
    }

    [Fact]
    public void A_lazy_unmap_keeps_the_iova_out_of_use_until_the_flush_queue_timer_flushes_the_iotlb()
    {
        var (core, drv, dev) = LazyCore();
        var dom = dev.Group!.DefaultDomain!;
        Assert.Equal(DomainType.DmaFq, dom.Type);
        ulong a = core.Dma.MapSingle(dev, 0x4000_0000, 0x1000, DmaDirection.ToDevice).Value;
        Assert.Equal(0xffff_f000UL, a);
        drv.Calls.Clear();
        Assert.True(core.Dma.Unmap(dev, a, 0x1000).Ok);
        Assert.Equal(0UL, core.IovaToPhys(dom, a));
        Assert.DoesNotContain(drv.Calls, c => c.StartsWith("sync", StringComparison.Ordinal));
        Assert.Equal(1, core.Dma.Cookie(dom)!.Fq!.Count);
        ulong b = core.Dma.MapSingle(dev, 0x4000_1000, 0x1000, DmaDirection.ToDevice).Value;
        Assert.NotEqual(a, b);
        core.Dma.Advance(9);
        Assert.Equal(1, core.Dma.Cookie(dom)!.Fq!.Count);
        core.Dma.Advance(1);
        Assert.Equal(0, core.Dma.Cookie(dom)!.Fq!.Count);
        Assert.Contains($"flush-all {dom.Name}", drv.Calls);
        Assert.Equal(a, core.Dma.MapSingle(dev, 0x4000_2000, 0x1000, DmaDirection.ToDevice).Value);
    }

    [Fact]
    public void The_flush_queue_holds_255_entries_and_the_256th_flushes_the_iotlb_and_releases_them()
    {
        var (core, drv, dev) = LazyCore();
        var fq = core.Dma.Cookie(dev.Group!.DefaultDomain!)!.Fq!;
        var handles = new List<ulong>();
        for (int i = 0; i < 256; i++) handles.Add(core.Dma.MapSingle(dev, 0x4000_0000 + (ulong)i * 0x1000, 0x1000, DmaDirection.ToDevice).Value);
        drv.Calls.Clear();
        for (int i = 0; i < 255; i++) core.Dma.Unmap(dev, handles[i], 0x1000);
        Assert.Equal(255, fq.Count);
        Assert.DoesNotContain(drv.Calls, c => c.StartsWith("flush-all", StringComparison.Ordinal));
        core.Dma.Unmap(dev, handles[255], 0x1000);
        Assert.Single(drv.Calls, c => c.StartsWith("flush-all", StringComparison.Ordinal));
        Assert.Equal(1, fq.Count);
    }

    [Fact]
    public void A_strict_unmap_syncs_the_iotlb_and_frees_the_iova_at_once()
    {
        var (core, drv, _) = FakeDriver.Boot(KernelKnobs.Default, null, ("dev", "g0", true));
        var dev = core.Device("dev")!;
        ulong a = core.Dma.MapSingle(dev, 0x4000_0000, 0x200, DmaDirection.Bidirectional).Value;
        drv.Calls.Clear();
        Assert.True(core.Dma.Unmap(dev, a, 0x200).Ok);
        Assert.Contains(drv.Calls, c => c.StartsWith("sync", StringComparison.Ordinal));
        Assert.Equal(a, core.Dma.MapSingle(dev, 0x4000_0000, 0x200, DmaDirection.Bidirectional).Value);
    }

    [Fact]
    public void The_returned_handle_keeps_the_offset_within_the_granule_and_only_the_rounded_size_is_mapped()
    {
        var (core, _, _) = FakeDriver.Boot(KernelKnobs.Default, null, ("dev", "g0", true));
        var dev = core.Device("dev")!;
        var dom = dev.Group!.DefaultDomain!;
        ulong h = core.Dma.MapSingle(dev, 0x4000_1234, 0x100, DmaDirection.Bidirectional).Value;
        Assert.Equal(0xffff_f234UL, h);
        Assert.Equal(0x4000_1234UL, core.IovaToPhys(dom, h));
        ulong h2 = core.Dma.MapSingle(dev, 0x4000_2ff0, 0x20, DmaDirection.Bidirectional).Value;
        Assert.Equal(0xffff_cff0UL, h2);
        Assert.NotEqual(0UL, core.IovaToPhys(dom, 0xffff_d000));
        Assert.Equal(0UL, core.IovaToPhys(dom, 0xffff_e000));
    }

    [Fact]
    public void Pci_devices_try_32_bit_first_and_give_up_for_good_once_it_is_full()
    {
        var iovad = new IovaAllocator(4096, 0xfffff);
        bool pci32 = true;
        ulong limit = (1UL << 40) - 1;
        Assert.Equal(0xffff_f000UL, DmaIommuAlloc.AllocIova(iovad, 0x1000, limit, ref pci32));
        Assert.True(pci32);
        ulong second = DmaIommuAlloc.AllocIova(iovad, 0x1000, limit, ref pci32);
        Assert.False(pci32);
        Assert.Equal(limit & ~0xfffUL, second);
        iovad.Free(0xfffff);
        Assert.Equal(second - 0x1000, DmaIommuAlloc.AllocIova(iovad, 0x1000, limit, ref pci32));
    }

    [Fact]
    public void Coherent_allocations_use_the_coherent_mask_and_streaming_maps_the_streaming_mask()
    {
        var core = MediatekIommuTests.Boot(TestTree.Soc);
        var apu = core.Device("apu")!;
        core.Dma.SetMask(apu, 30, streaming: false, coherent: true);
        var (iova, _) = core.Dma.AllocCoherent(apu, 0x2000).Value;
        Assert.Equal(0x3fff_e000UL, iova);
        // the streaming mask is 32 bits, but cached32_node now sits at the coherent buffer: the walk starts below it
        Assert.Equal(0x3fff_d000UL, core.Dma.MapSingle(apu, 0x4000_0000, 0x1000, DmaDirection.ToDevice).Value);
        core.Dma.SetMask(apu, 29, streaming: true, coherent: false);
        Assert.Equal(0x1fff_f000UL, core.Dma.MapSingle(apu, 0x4000_1000, 0x1000, DmaDirection.ToDevice).Value);
    }

    [Fact]
    public void Map_sg_takes_one_iova_range_and_merges_page_aligned_segments()
    {
        var core = MediatekIommuTests.Boot(TestTree.Soc);
        var apu = core.Device("apu")!;
        var (iova, nents) = core.Dma.MapSg(apu, [(0x4000_0800, 0x1000), (0x4001_0000, 0x2000)], DmaDirection.ToDevice).Value;
        Assert.Equal(0xff7f_c800UL, iova);
        Assert.Equal(2, nents);
        var dom = apu.Group!.DefaultDomain!;
        Assert.Equal(0x4000_0800UL, core.IovaToPhys(dom, iova));
        Assert.Equal(0x4001_0000UL, core.IovaToPhys(dom, 0xff7f_e000));
        var (iova2, nents2) = core.Dma.MapSg(apu, [(0x4002_0000, 0x1000), (0x4003_0000, 0x1000)], DmaDirection.ToDevice).Value;
        Assert.Equal(1, nents2);
        Assert.Equal(0x4003_0000UL, core.IovaToPhys(dom, iova2 + 0x1000));
    }

    [Fact]
    public void Reserved_regions_of_the_first_device_are_kept_out_of_the_dma_allocator()
    {
        var core = MediatekIommuTests.Boot("soc: s\nmemory:\n  - { name: dram, base: 0x4000_0000, size: 1GiB }\niommus:\n  - name: m4u\n    driver: mediatek\n    regions:\n      - { name: r0, base: 0x0, size: 0xff80_0000 }\n      - { name: top, base: 0xff00_0000, size: 4MiB }\n    region-ports:\n      r0: { larb0: [0-9] }\n      top: { larb0: [10] }\ndevices:\n  - { name: a, ids: [ { iommu: m4u, larb: 0, port: 1 } ] }\n");
        var a = core.Device("a")!;
        var iovad = core.Dma.Cookie(a.Group!.DefaultDomain!)!.Iovad;
        Assert.Equal([(0xff000UL, 0xff3ffUL)], iovad.Dump().ToList());
        ulong big = core.Dma.MapSingle(a, 0x4000_0000, 0x80_0000, DmaDirection.ToDevice).Value;
        Assert.Equal(0xfe80_0000UL, big);
    }

    [Fact]
    public void Dma_direct_is_used_when_the_default_domain_is_identity()
    {
        var (core, _, _) = FakeDriver.Boot(new KernelKnobs(true, true), d => d.Identity = new IommuDomain(0, DomainType.Identity, d, 0, isStatic: true), ("dev", "g0", true));
        var dev = core.Device("dev")!;
        Assert.False(core.Dma.UsesIommu(dev));
        Assert.Equal(0x4000_1234UL, core.Dma.MapSingle(dev, 0x4000_1234, 0x10, DmaDirection.ToDevice).Value);
        Assert.Equal(Errno.ENOMEM, core.Dma.MapSingle(dev, 0x1_0000_0000, 0x10, DmaDirection.ToDevice).Errno);
    }
}

/// <summary>of_iommu_get_resv_regions (drivers/iommu/of_iommu.c, since 6.3) for drivers that opt in.</summary>
public class OfIommuResvRegionsTests
{
    private static readonly SourceSpan S = SourceSpan.None;

    private static (IommuCore Core, IommuDevice Dev) Boot(params ReservedMemory[] nodes)
    {
        var (core, _, _) = FakeDriver.Boot(KernelKnobs.Default, d => d.UseOfIommuAddresses = true, nodes, ("dev", "g0", false));
        return (core, core.Device("dev")!);
    }

    [Fact]
    public void Iommu_addresses_equal_to_reg_are_a_direct_region_identity_mapped_at_boot()
    {
        var (core, dev) = Boot(new ReservedMemory("fw", 0x4010_0000, 0x10_0000, [new IommuAddress("dev", 0x4010_0000, 0x10_0000)], S));
        var r = Assert.Single(dev.Driver.GetResvRegions(dev, ScriptSite.None));
        Assert.Equal(ResvType.Direct, r.Type);
        Assert.True(dev.RequireDirect);
        Assert.Equal(0x4010_0000UL, core.IovaToPhys(dev.Group!.DefaultDomain!, 0x4010_0000));
        Assert.Equal(Errno.EINVAL, core.ClaimDmaOwner(dev.Group).Errno);
    }

    [Fact]
    public void Iommu_addresses_without_reg_only_reserve_iova_space()
    {
        var (core, dev) = Boot(new ReservedMemory("hole", null, 0x10_0000, [new IommuAddress("dev", 0x8000_0000, 0x10_0000)], S));
        Assert.Equal(ResvType.Reserved, Assert.Single(dev.Driver.GetResvRegions(dev, ScriptSite.None)).Type);
        Assert.Contains((0x80000UL, 0x800ffUL), core.Dma.Cookie(dev.Group!.DefaultDomain!)!.Iovad.Dump());
        Assert.False(dev.RequireDirect);
    }

    [Fact]
    public void Iommu_addresses_different_from_reg_warn_and_are_only_reserved()
    {
        var (core, dev) = Boot(new ReservedMemory("fw", 0x4010_0000, 0x10_0000, [new IommuAddress("dev", 0x6000_0000, 0x10_0000)], S));
        Assert.Equal(ResvType.Reserved, Assert.Single(dev.Driver.GetResvRegions(dev, ScriptSite.None)).Type);
        Assert.Contains(core.Machine.Log.Events, e => e.Kind == EventKind.Warn && e.Why.Contains("differs", StringComparison.Ordinal));
        Assert.Equal(0UL, core.IovaToPhys(dev.Group!.DefaultDomain!, 0x6000_0000));
    }

    [Fact]
    public void A_node_the_devices_memory_region_does_not_list_is_never_read()
    {
        // of_iommu_get_resv_regions walks only the phandles of the device's own memory-region property.
        var node = new ReservedMemory("fw", 0x4010_0000, 0x10_0000, [new IommuAddress("dev", 0x4010_0000, 0x10_0000)], S);
        var (core, _, _) = FakeDriver.Boot(KernelKnobs.Default, d => d.UseOfIommuAddresses = true, [node], false, ("dev", "g0", false));
        var dev = core.Device("dev")!;
        Assert.Empty(dev.Driver.GetResvRegions(dev, ScriptSite.None));
        Assert.Equal(0UL, core.IovaToPhys(dev.Group!.DefaultDomain!, 0x4010_0000));
        Assert.Equal(["fw"], OfIommuResvRegions.Unlinked(core.Soc, dev.Spec));
    }

    [Fact]
    public void Entries_for_other_devices_are_ignored()
    {
        var (_, dev) = Boot(new ReservedMemory("fw", 0x4010_0000, 0x10_0000, [new IommuAddress("someone", 0x4010_0000, 0x10_0000)], S));
        Assert.Empty(dev.Driver.GetResvRegions(dev, ScriptSite.None));
    }
}
