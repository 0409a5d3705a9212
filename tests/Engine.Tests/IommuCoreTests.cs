using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Tests;

/// <summary>The attach / DMA-ownership errno matrix and order of checks of drivers/iommu/iommu.c (Linux 7.0).</summary>
public class IommuCoreTests
{
    // The rules here need iommu_map's errno, which Linux 7.0.0 as released loses (see the lost-errno tests below).
    private static readonly KernelKnobs Strict = Kernels.MapErrnoFixed;

    private static (IommuCore Core, FakeDriver Drv) Two(bool bound = false, Action<FakeDriver>? setup = null) =>
        FakeDriver.Boot(Strict, setup, ("a", "g0", bound), ("b", "g0", bound), ("solo", "g1", bound)) is var (c, d, _) ? (c, d) : default;

    private static IommuDomain Unmanaged(IommuCore core, string dev) => core.DomainAlloc(core.Device(dev)!, DomainType.Unmanaged).Value!;

    [Fact]
    public void Attach_device_on_a_device_the_driver_refused_at_probe_is_ENODEV()
    {
        var (core, _, _) = FakeDriver.Boot(Strict, d => d.RefuseProbe["x"] = Errno.ENODEV, ("x", "g0", false), ("y", "g1", false));
        Assert.Null(core.Device("x")!.Group);
        Assert.NotNull(core.Device("y")!.Group); // -ENODEV is "not mine": probe_iommu_group skips it
        var dom = Unmanaged(core, "y");
        Assert.Equal(Errno.ENODEV, core.AttachDevice(dom, core.Device("x")!).Errno);
        Assert.Equal(Errno.ENODEV, core.DomainAlloc(core.Device("x")!, DomainType.Unmanaged).Errno);
    }

    [Fact]
    public void A_probe_error_other_than_ENODEV_unregisters_the_instance_and_releases_every_master_probed_before_it()
    {
        // bus_iommu_probe → probe_iommu_group stops at the first error that is not -ENODEV;
        // iommu_device_register then calls iommu_device_unregister (drivers/iommu/iommu.c, Linux 7.0).
        var (core, drv, other) = FakeDriver.Boot(Strict, d => d.RefuseProbe["b"] = Errno.ENOMEM,
            ("a", "g0", false), ("b", "g1", false), ("c", "g2", false), ("other", "g3", false));
        Assert.All(new[] { "a", "b", "c" }, n => Assert.Null(core.Device(n)!.Group));
        Assert.Equal(Errno.ENOMEM, core.FailedInstances["fake0"].Errno);
        Assert.Equal(Errno.ENOMEM, core.Device("c")!.ProbeError.Errno); // never probed, still without an IOMMU
        Assert.Contains("release a", drv.Calls);                      // only a was probed
        Assert.DoesNotContain(drv.Calls, c => c is "release b" or "release c");
        Assert.NotNull(core.Device("other")!.Group);                  // another instance is unaffected
        Assert.False(core.FailedInstances.ContainsKey("fake1"));
        Assert.Equal(Errno.ENODEV, core.DomainAlloc(core.Device("a")!, DomainType.Unmanaged).Errno);
    }

    [Fact]
    public void Default_domains_are_set_up_after_every_master_of_the_instance_is_probed()
    {
        // iommu_device_register → bus_iommu_probe: probe_iommu_group for all, then iommu_setup_default_domain per group.
        var (_, drv) = Two();
        int lastProbe = drv.Calls.FindLastIndex(c => c.StartsWith("probe ", StringComparison.Ordinal));
        int firstAttach = drv.Calls.FindIndex(c => c.StartsWith("attach ", StringComparison.Ordinal));
        Assert.Equal(["probe a", "probe b", "probe solo"], drv.Calls.Where(c => c.StartsWith("probe ", StringComparison.Ordinal)));
        Assert.True(firstAttach > lastProbe, string.Join(", ", drv.Calls));
    }

    [Fact]
    public void Attach_device_refuses_a_group_of_two_with_EINVAL_before_anything_else()
    {
        var (core, drv) = Two();
        var dom = Unmanaged(core, "a");
        drv.Calls.Clear();
        Assert.Equal(Errno.EINVAL, core.AttachDevice(dom, core.Device("a")!).Errno);
        Assert.Empty(drv.Calls);
        Assert.Equal(core.Device("a")!.Group!.DefaultDomain, core.Device("a")!.Group!.Domain);
    }

    [Fact]
    public void Attach_device_on_a_singleton_group_succeeds_without_looking_at_owner_cnt()
    {
        var (core, _) = Two(bound: true);
        var solo = core.Device("solo")!;
        Assert.Equal(1, solo.Group!.OwnerCnt);
        var dom = Unmanaged(core, "solo");
        Assert.True(core.AttachDevice(dom, solo).Ok);
        Assert.Equal(dom, solo.Group.Domain);
    }

    [Fact]
    public void A_second_unmanaged_domain_is_EBUSY_and_so_is_the_same_one_twice()
    {
        var (core, _) = Two();
        var solo = core.Device("solo")!;
        var d1 = Unmanaged(core, "solo");
        var d2 = Unmanaged(core, "solo");
        Assert.True(core.AttachDevice(d1, solo).Ok);
        Assert.Equal(Errno.EBUSY, core.AttachDevice(d2, solo).Errno);
        Assert.Equal(Errno.EBUSY, core.AttachDevice(d1, solo).Errno);
    }

    [Fact]
    public void A_domain_of_another_iommu_driver_is_EINVAL()
    {
        var (core, _, _) = FakeDriver.Boot(Strict, null, ("a", "g0", false), ("other", "g9", false));
        var foreign = Unmanaged(core, "other");
        Assert.Equal(Errno.EINVAL, core.AttachDevice(foreign, core.Device("a")!).Errno);
    }

    [Fact]
    public void A_failed_attach_in_a_group_reverts_the_devices_already_moved()
    {
        var (core, drv) = Two();
        drv.FailAttachFor.Add("b"); // after boot: at boot a failed attach would fail the instance's registration
        var g = core.Device("a")!.Group!;
        var old = g.Domain!;
        var dom = Unmanaged(core, "a");
        drv.Calls.Clear();
        var r = core.AttachGroup(dom, g);
        Assert.Equal(Errno.EINVAL, r.Errno);
        Assert.Equal([$"attach {dom.Name} a", $"attach {dom.Name} b", $"attach {old.Name} a"], drv.Calls);
        Assert.Equal(old, g.Domain);
    }

    [Fact]
    public void Attach_group_moves_every_device_and_detach_group_returns_them()
    {
        var (core, _) = Two(bound: true);
        var g = core.Device("a")!.Group!;
        var dom = Unmanaged(core, "a");
        Assert.True(core.AttachGroup(dom, g).Ok);
        Assert.Equal(dom, g.Domain);
        Assert.Equal(2, g.OwnerCnt);
        Assert.True(core.DetachGroup(dom, g).Ok);
        Assert.Equal(g.DefaultDomain, g.Domain);
    }

    [Fact]
    public void Detach_device_with_a_domain_that_is_not_current_warns_and_does_nothing()
    {
        var (core, _) = Two();
        var solo = core.Device("solo")!;
        var d1 = Unmanaged(core, "solo");
        var d2 = Unmanaged(core, "solo");
        Assert.True(core.AttachDevice(d1, solo).Ok);
        core.DetachDevice(d2, solo);
        Assert.Equal(d1, solo.Group!.Domain);
        Assert.Single(core.Machine.Log.Events, e => e.Kind == EventKind.Warn);
        core.DetachDevice(d1, solo);
        Assert.Equal(solo.Group.DefaultDomain, solo.Group.Domain);
    }

    [Fact]
    public void Claiming_dma_ownership_with_a_bound_driver_is_EPERM()
    {
        var (core, _) = Two(bound: true);
        Assert.Equal(Errno.EPERM, core.ClaimDmaOwner(core.Device("a")!.Group!).Errno);
    }

    [Fact]
    public void Claiming_a_group_on_an_unmanaged_domain_is_EBUSY()
    {
        var (core, _) = Two();
        var solo = core.Device("solo")!;
        Assert.True(core.AttachDevice(Unmanaged(core, "solo"), solo).Ok);
        Assert.Equal(Errno.EBUSY, core.ClaimDmaOwner(solo.Group!).Errno);
    }

    [Fact]
    public void A_claimed_group_sits_on_its_blocking_domain_and_detach_returns_there()
    {
        var (core, _) = Two();
        var g = core.Device("solo")!.Group!;
        var claim = core.ClaimDmaOwner(g);
        Assert.True(claim.Ok);
        // No static blocked domain: an UNMANAGED paging domain stands in (__iommu_group_alloc_blocking_domain);
        // this driver gives it a table of its own, so it is empty and no hazard is raised.
        Assert.Equal(DomainType.Unmanaged, g.Domain!.Type);
        Assert.DoesNotContain("HAZARD", claim.Why);
        Assert.Equal(0UL, core.IovaToPhys(g.Domain, 0x1000));
        Assert.Equal(g.BlockingDomain, g.Domain);
        Assert.Equal(1, g.OwnerCnt);
        Assert.Equal(Errno.EPERM, core.ClaimDmaOwner(g).Errno);
        var dom = Unmanaged(core, "solo");
        Assert.True(core.AttachDevice(dom, core.Device("solo")!).Ok);
        core.DetachDevice(dom, core.Device("solo")!);
        Assert.Equal(g.BlockingDomain, g.Domain);
        Assert.True(core.ReleaseDmaOwner(g).Ok);
        Assert.Equal(g.DefaultDomain, g.Domain);
        Assert.Equal(0, g.OwnerCnt);
    }

    [Fact]
    public void Releasing_an_unclaimed_group_warns()
    {
        var (core, _) = Two();
        core.ReleaseDmaOwner(core.Device("solo")!.Group!);
        Assert.Single(core.Machine.Log.Events, e => e.Kind == EventKind.Warn);
    }

    [Fact]
    public void A_device_with_a_direct_region_cannot_be_blocked()
    {
        var region = new ResvRegion(0x10_1800, 0x2000, Prot.Read | Prot.Write, ResvType.Direct, "test");
        var (core, _) = Two(setup: d => d.Regions.Add(("solo", region)));
        var solo = core.Device("solo")!;
        Assert.True(solo.RequireDirect);
        var r = core.ClaimDmaOwner(solo.Group!);
        Assert.Equal(Errno.EINVAL, r.Errno);
        Assert.Equal(solo.Group!.DefaultDomain, solo.Group.Domain);
    }

    [Fact]
    public void Direct_regions_are_identity_mapped_into_the_dma_domain_with_the_start_rounded_up()
    {
        var region = new ResvRegion(0x10_1800, 0x2000, Prot.Read | Prot.Write, ResvType.Direct, "test");
        var (core, _) = Two(setup: d => d.Regions.Add(("solo", region)));
        var dom = core.Device("solo")!.Group!.DefaultDomain!;
        Assert.Equal(0UL, core.IovaToPhys(dom, 0x10_1000));
        Assert.Equal(0x10_2000UL, core.IovaToPhys(dom, 0x10_2000));
        Assert.Equal(0x10_3000UL, core.IovaToPhys(dom, 0x10_3000));
        Assert.Equal(0UL, core.IovaToPhys(dom, 0x10_4000));
    }

    [Fact]
    public void Lazy_invalidation_is_downgraded_to_strict_without_deferred_flush()
    {
        var lazy = new KernelKnobs(Strict: false, Passthrough: false);
        var (c1, _, _) = FakeDriver.Boot(lazy, null, ("a", "g0", false));
        Assert.Equal(DomainType.Dma, c1.Device("a")!.Group!.DefaultDomain!.Type);
        var (c2, _, _) = FakeDriver.Boot(lazy, d => d.DeferredFlush = true, ("a", "g0", false));
        Assert.Equal(DomainType.DmaFq, c2.Device("a")!.Group!.DefaultDomain!.Type);
    }

    [Fact]
    public void Passthrough_uses_the_identity_domain_and_falls_back_to_dma_without_one()
    {
        var pt = new KernelKnobs(Strict: true, Passthrough: true) { Fixes = [KernelFixes.MapErrno] };
        var (c1, _, _) = FakeDriver.Boot(pt, null, ("a", "g0", false));
        Assert.Equal(DomainType.Dma, c1.Device("a")!.Group!.DefaultDomain!.Type);
        var (c2, _, _) = FakeDriver.Boot(pt, d => d.Identity = new IommuDomain(0, DomainType.Identity, d, 0, isStatic: true), ("a", "g0", false));
        var dom = c2.Device("a")!.Group!.DefaultDomain!;
        Assert.Equal(DomainType.Identity, dom.Type);
        Assert.Equal(0x1234UL, c2.IovaToPhys(dom, 0x1234));
        Assert.Equal(Errno.EINVAL, c2.Map(dom, 0, 0x4000_0000, 0x1000, Prot.Read).Errno);
    }

    [Fact]
    public void Iommu_map_checks_alignment_and_rolls_back_a_partial_map()
    {
        var (core, drv) = Two();
        var dom = Unmanaged(core, "solo");
        Assert.Equal(Errno.EINVAL, core.Map(dom, 0x800, 0x4000_0000, 0x1000, Prot.Read).Errno);
        Assert.Equal(Errno.EINVAL, core.Map(dom, 0x1000, 0x4000_0800, 0x1000, Prot.Read).Errno);
        Assert.True(core.Map(dom, 0x3000, 0x4000_3000, 0x1000, Prot.Read).Ok);
        var r = core.Map(dom, 0x1000, 0x5000_1000, 0x4000, Prot.Read);
        Assert.Equal(Errno.EEXIST, r.Errno);
        Assert.Equal(0UL, core.IovaToPhys(dom, 0x1000));
        Assert.Equal(0UL, core.IovaToPhys(dom, 0x2000));
        Assert.Equal(0x4000_3000UL, core.IovaToPhys(dom, 0x3000));
        Assert.Contains(drv.Calls, c => c.StartsWith("sync", StringComparison.Ordinal));
    }

    [Fact]
    public void Iommu_unmap_returns_bytes_and_stops_at_the_first_hole()
    {
        var (core, _) = Two();
        var dom = Unmanaged(core, "solo");
        Assert.True(core.Map(dom, 0x1000, 0x4000_1000, 0x2000, Prot.Read).Ok);
        Assert.True(core.Map(dom, 0x4000, 0x4000_4000, 0x1000, Prot.Read).Ok);
        Assert.Equal(0x2000UL, core.Unmap(dom, 0x1000, 0x4000));
        Assert.Equal(0x4000_4000UL, core.IovaToPhys(dom, 0x4000));
        Assert.Equal(0UL, core.Unmap(dom, 0x4800, 0x1000));
    }

    [Fact]
    public void Linux_7_0_0_as_released_loses_the_errno_of_a_failed_map_and_syncs_anyway()
    {
        var (core, drv) = FakeDriver.Boot(KernelKnobs.Default, null, ("solo", "g1", false)) is var (c, d, _) ? (c, d) : default;
        var dom = Unmanaged(core, "solo");
        Assert.True(core.Map(dom, 0x3000, 0x4000_3000, 0x1000, Prot.Read).Ok);
        drv.Calls.Clear();
        var r = core.Map(dom, 0x1000, 0x5000_1000, 0x4000, Prot.Read);   // -EEXIST at 0x3000 in the driver
        Assert.True(r.Ok);
        Assert.Equal(Errno.None, r.Errno);
        Assert.Contains("-EEXIST", r.Why);
        Assert.Contains("6fc7e8a3b811", r.Why);
        Assert.Equal(0UL, core.IovaToPhys(dom, 0x1000));                  // the partial map was still unrolled
        Assert.Contains(drv.Calls, x => x.StartsWith("sync", StringComparison.Ordinal)); // and iommu_sync_map ran
        Assert.True(core.Map(dom, 0x800, 0x4000_0000, 0x1000, Prot.Read).Ok); // even the alignment check's -EINVAL is lost

        var (fixedCore, _, _) = FakeDriver.Boot(Kernels.MapErrnoFixed, null, ("solo", "g1", false));
        var fd = Unmanaged(fixedCore, "solo");
        Assert.True(fixedCore.Map(fd, 0x3000, 0x4000_3000, 0x1000, Prot.Read).Ok);
        Assert.Equal(Errno.EEXIST, fixedCore.Map(fd, 0x1000, 0x5000_1000, 0x4000, Prot.Read).Errno);
    }

    [Fact]
    public void Blocked_domains_translate_nothing_and_cannot_be_mapped()
    {
        var (core, _) = Two();
        var blocked = core.DomainAlloc(core.Device("solo")!, DomainType.Blocked).Value!;
        Assert.Equal(DomainType.Blocked, blocked.Type);
        Assert.Equal(0UL, core.IovaToPhys(blocked, 0x1000));
        Assert.Equal(Errno.EINVAL, core.Map(blocked, 0x1000, 0x4000_1000, 0x1000, Prot.Read).Errno);
    }

    [Fact]
    public void Group_reserved_regions_merge_same_typed_neighbours_and_keep_other_types()
    {
        var list = new List<ResvRegion>();
        ResvTypes.Insert(list, new ResvRegion(0x2000, 0x1000, Prot.None, ResvType.Reserved, "a"));
        ResvTypes.Insert(list, new ResvRegion(0x1000, 0x1000, Prot.None, ResvType.Reserved, "b"));
        ResvTypes.Insert(list, new ResvRegion(0x1800, 0x1000, Prot.Read, ResvType.Direct, "c"));
        ResvTypes.Insert(list, new ResvRegion(0x8000, 0x1000, Prot.None, ResvType.Reserved, "d"));
        Assert.Equal([(0x1000UL, 0x2000UL, ResvType.Reserved), (0x1800UL, 0x1000UL, ResvType.Direct), (0x8000UL, 0x1000UL, ResvType.Reserved)],
            list.Select(r => (r.Start, r.Length, r.Type)).ToList());
    }
}
