using System.Numerics;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Dma;

public enum DmaDirection { Bidirectional, ToDevice, FromDevice }

/// <summary>
/// dma-iommu (drivers/iommu/dma-iommu.c, Linux 7.0): per device
/// iommu_setup_dma_ops (DMA domains use the IOMMU, others dma-direct), iommu_dma_init_domain (granule =
/// smallest page size, start_pfn = max(1, aperture_start >> order), a second group member with another
/// range is -EFAULT, otherwise no-op: its reserved regions are not reserved again), the DMA_FQ → DMA
/// downgrade without IOMMU_CAP_DEFERRED_FLUSH, iova_reserve_iommu_regions (all but SW_MSI), the map path
/// (rounding, limit, PCI 32-bit first, iommu_map of the unrounded size, free on map failure), strict
/// unmap (sync, then free_iova_fast) and lazy unmap through the <see cref="FlushQueue"/>, coherent
/// allocations against the coherent mask, dma_map_sg's single IOVA range and segment merging
/// (__finalise_sg, 64 KiB max segment, no boundary), and simulated time for the FQ timer and the rcache
/// depot work. The DMA API always uses the group's default domain (iommu_get_dma_domain).
/// The device's dma-ranges (DmaRangeMap) set its bus_dma_limit, which caps every IOVA it is given
/// (iommu_dma_alloc_iova: min_not_zero(mask, bus_dma_limit)), and translate dma-direct's addresses.
/// Not modelled: swiotlb bouncing (dma-direct beyond min_not_zero(mask, bus_dma_limit) fails instead),
/// PCI host-bridge windows and the dma-ranges gaps iova_reserve_pci_windows reserves, MSI cookies,
/// DMA_ATTR_* flags, coherent devices (IOMMU_CACHE).
/// </summary>
public sealed class DmaIommu(IommuCore core) : IDmaLayer
{
    private const string Src = "drivers/iommu/dma-iommu.c, Linux 7.0";
    private readonly Dictionary<IommuDomain, DmaCookie> _cookies = new();
    private readonly Dictionary<IommuDevice, DeviceDma> _devices = new();
    private readonly Dictionary<(IommuDevice, ulong), (ulong Pa, ulong Size)> _coherent = new();

    public long NowMs { get; private set; }

    public sealed class DmaCookie(IovaAllocator iovad)
    {
        public IovaAllocator Iovad { get; } = iovad;
        public FlushQueue? Fq { get; set; }
    }

    private sealed class DeviceDma
    {
        public bool UsesIommu;
        public bool Pci32BitWorkaround;
        /// <summary>dev->bus_dma_limit: of_dma_configure_id's dma_range_map_max, 0 without dma-ranges.</summary>
        public ulong BusDmaLimit;
    }

    public DmaCookie? Cookie(IommuDomain d) => _cookies.GetValueOrDefault(d);

    /// <summary>dev->bus_dma_limit: kept from iommu_setup_dma_ops; a master whose IOMMU probe failed never got there, so it is worked out.</summary>
    private ulong BusDmaLimit(IommuDevice dev) =>
        _devices.TryGetValue(dev, out var st) ? st.BusDmaLimit : DmaRangeMap.BusLimit(dev.Spec.DmaRanges);

    public bool HasCookie(IommuDomain d) => _cookies.ContainsKey(d);

    /// <summary>A domain's allocator created on demand (scripts may study a DMA domain's allocator directly).</summary>
    public bool UsesIommu(IommuDevice dev) => _devices.TryGetValue(dev, out var s) && s.UsesIommu;

    /// <summary>iommu_setup_dma_ops at probe: the device uses dma-iommu when its domain is a DMA domain.</summary>
    public void SetupDmaOps(IommuDevice dev)
    {
        var st = new DeviceDma { Pci32BitWorkaround = dev.Spec.Bus == Bus.Pci && !core.Knobs.ForceDac, BusDmaLimit = DmaRangeMap.BusLimit(dev.Spec.DmaRanges) };
        _devices[dev] = st;
        if (dev.Spec.DmaRanges.Count > 0)
        {
            // of_dma_configure_id (drivers/of/device.c) ran before the IOMMU probe: bus_dma_limit = dma_range_map_max.
            var windows = string.Join(", ", dev.Spec.DmaRanges.Select(r => $"cpu {Hex.Of(r.Cpu)} → bus {Hex.Of(r.Bus)}, {Hex.Size(r.Size)}"));
            core.RecordBoot(BootEventKind.BusDmaLimitSet, dev.Name, $"{dev.Name}: bus_dma_limit {Hex.Of(st.BusDmaLimit)} from its bus's dma-ranges ({windows}) (of_dma_configure_id)");
        }
        var domain = dev.Group?.Domain;
        if (domain is null || !domain.Type.IsDmaApi()) return;
        var r = InitDomain(domain, dev);
        if (!r.Ok)
        {
            core.RecordBoot(BootEventKind.DmaOpsNotSetUp, dev.Name, $"{dev.Name}: Failed to set up IOMMU for device; retaining platform DMA ops: -{r.Errno} ({r.Why})", r.Errno);
            return;
        }
        st.UsesIommu = true;
        if (r.Why is not null) core.RecordBoot(BootEventKind.DmaDomainInitialised, domain.Name, r.Why);
    }

    private Outcome InitDomain(IommuDomain domain, IommuDevice dev)
    {
        int order = BitOperations.TrailingZeroCount(domain.PgsizeBitmap);
        ulong basePfn = Math.Max(1UL, domain.ApertureStart >> order);
        if (_cookies.TryGetValue(domain, out var existing))
        {
            if (existing.Iovad.Granule != 1UL << order || existing.Iovad.StartPfn != basePfn)
                return Outcome.Fail(Errno.EFAULT, $"Incompatible range for DMA domain {domain.Name} (iommu_dma_init_domain, {Src})");
            return Outcome.Success;
        }
        var cookie = new DmaCookie(new IovaAllocator(1UL << order, basePfn) { NowMs = NowMs });
        _cookies[domain] = cookie;
        var notes = new List<string> { $"{domain.Name}: IOVA allocator (iommu_dma_init_domain) granule {Hex.Size(1UL << order)}, start_pfn {Hex.Of(basePfn)}" };
        if (domain.Type == DomainType.DmaFq)
        {
            if (!dev.Driver.Capable(dev, IommuCap.DeferredFlush))
            {
                domain.Type = DomainType.Dma;
                notes.Add($"lazy invalidation asked (iommu.strict=0) but {dev.Driver.Name} lacks IOMMU_CAP_DEFERRED_FLUSH: {domain.Name} downgraded DMA_FQ → DMA (iommu_dma_init_domain)");
            }
            else
            {
                cookie.Fq = new FlushQueue();
                notes.Add($"flush queue of {FlushQueue.Size - 1} entries, {FlushQueue.TimeoutMs} ms timeout (iommu_dma_init_fq)");
            }
        }
        var reserved = new List<string>();
        foreach (var r in dev.Driver.GetResvRegions(dev, ScriptSite.None))
        {
            if (r.Type == ResvType.SwMsi)
            {
                // "We ARE the software that manages these!": the MSI cookie maps it on demand
                notes.Add($"sw-msi [{Hex.Of(r.Start)}, {Hex.Of(r.Last)}] not reserved (iova_reserve_iommu_regions skips IOMMU_RESV_SW_MSI)");
                continue;
            }
            var shift = cookie.Iovad.Shift;
            cookie.Iovad.Reserve(r.Start >> shift, (r.Start + r.Length - 1) >> shift);
            reserved.Add($"{r.Type.Name()} [{Hex.Of(r.Start)}, {Hex.Of(r.Last)}]");
        }
        notes.Add(reserved.Count == 0 ? "no reserved regions from " + dev.Name : $"reserved for {dev.Name} (iova_reserve_iommu_regions): {string.Join(", ", reserved)}");
        return Outcome.Note(string.Join("; ", notes));
    }

    private static Prot ProtFor(DmaDirection dir) => dir switch
    {
        DmaDirection.ToDevice => Prot.Read,
        DmaDirection.FromDevice => Prot.Write,
        _ => Prot.Read | Prot.Write,
    };

    private static ulong Mask(int bits) => bits >= 64 ? ulong.MaxValue : (1UL << bits) - 1;

    /// <summary>dma_map_phys / dma_map_single: the DMA address, or a failure (DMA_MAPPING_ERROR) with why.</summary>
    public Result<ulong> MapSingle(IommuDevice dev, ulong phys, ulong size, DmaDirection dir, ScriptSite site = default) =>
        Map(dev, phys, size, ProtFor(dir), Mask(dev.DmaMask), site);

    private Result<ulong> Map(IommuDevice dev, ulong phys, ulong size, Prot prot, ulong mask, ScriptSite site)
    {
        if (!UsesIommu(dev))
        {
            return DmaRangeMap.DirectMap(dev.Spec.DmaRanges, BusDmaLimit(dev), phys, size, mask);
        }
        var domain = dev.Group!.DefaultDomain!;
        var cookie = _cookies[domain];
        var (off, len) = DmaIommuAlloc.MapRounding(cookie.Iovad, phys, size);
        var st = _devices[dev];
        ulong limit = DmaIommuAlloc.Limit(mask, st.BusDmaLimit, domain.ForceAperture ? domain.ApertureEnd : null);
        bool pci = st.Pci32BitWorkaround;
        ulong iova = DmaIommuAlloc.AllocIova(cookie.Iovad, len, limit, ref pci);
        string? note = null;
        if (st.Pci32BitWorkaround && !pci)
        {
            st.Pci32BitWorkaround = false;
            note = $"32-bit IOVA space exhausted: Using {64 - BitOperations.LeadingZeroCount(limit)}-bit DMA addresses from now on (iommu_dma_alloc_iova)";
        }
        if (iova == 0)
            return Result<ulong>.Fail(Errno.ENOMEM, $"DMA_MAPPING_ERROR: no {Hex.Size(len)} of IOVA space below {Hex.Of(limit)} in {domain.Name} (alloc_iova_fast, {Src})");
        var m = core.Map(domain, iova, phys - off, len, prot, site);
        if (!m.Ok)
        {
            cookie.Iovad.FreeFast(iova >> cookie.Iovad.Shift, len >> cookie.Iovad.Shift);
            return Result<ulong>.Fail(m.Errno, $"DMA_MAPPING_ERROR: iommu_map failed: {m.Why}");
        }
        return Result<ulong>.Of(iova + off, note ?? $"{domain.Name}: IOVA [{Hex.Of(iova)}, {Hex.Of(iova + len - 1)}] for {Hex.Size(len)}");
    }

    /// <summary>__iommu_dma_unmap: unmap_fast; strict → sync then free_iova_fast; lazy → queue_iova.</summary>
    public Outcome Unmap(IommuDevice dev, ulong handle, ulong size, ScriptSite site = default)
    {
        if (!UsesIommu(dev)) return Outcome.Note("dma-direct: nothing to unmap");
        var domain = dev.Group!.DefaultDomain!;
        var cookie = _cookies[domain];
        var (iova, len) = DmaIommuAlloc.UnmapRounding(cookie.Iovad, handle, size);
        // __iommu_dma_unmap: iotlb_gather.queued = cookie->fq_domain
        ulong unmapped = cookie.Fq is null ? core.UnmapFast(domain, iova, len, site) : core.UnmapQueued(domain, iova, len, site);
        string? warn = null;
        if (unmapped != len)
        {
            warn = $"WARN_ON: unmapped {Hex.Size(unmapped)} of {Hex.Size(len)} at {Hex.Of(iova)} (__iommu_dma_unmap)";
            core.Machine.Log.Warn(site, warn);
        }
        ulong pfn = iova >> cookie.Iovad.Shift, pages = len >> cookie.Iovad.Shift;
        if (cookie.Fq is { } fq)
        {
            fq.Queue(cookie.Iovad, pfn, pages, NowMs, () => core.FlushIotlbAll(domain));
            return Outcome.Note(warn ?? $"lazy: IOVA [{Hex.Of(iova)}, {Hex.Of(iova + len - 1)}] queued ({fq.Count} pending) until the next IOTLB flush");
        }
        core.IotlbSync(domain);
        cookie.Iovad.FreeFast(pfn, pages);
        return Outcome.Note(warn ?? $"strict: IOTLB synced, IOVA [{Hex.Of(iova)}, {Hex.Of(iova + len - 1)}] freed");
    }

    /// <summary>dma_alloc_coherent through iommu_dma_alloc: pages from DRAM, IOVA against the coherent mask.</summary>
    public Result<(ulong Iova, ulong Pa)> AllocCoherent(IommuDevice dev, ulong size, ScriptSite site = default)
    {
        ulong bytes = (size + 0xfff) & ~0xfffUL;
        ulong coherentMask = Mask(dev.CoherentDmaMask);
        var pa = UsesIommu(dev) ? core.Machine.Pages.AllocUser(bytes, 0x1000) : AllocBelow(bytes, coherentMask);
        if (pa is null) return Result<(ulong, ulong)>.Fail(Errno.ENOMEM, "no free DRAM for the buffer");
        var r = Map(dev, pa.Value, bytes, Prot.Read | Prot.Write, coherentMask, site);
        if (!r.Ok)
        {
            core.Machine.Pages.FreeUser(pa.Value, bytes);
            return Result<(ulong, ulong)>.Fail(r.Errno, r.Why!);
        }
        _coherent[(dev, r.Value)] = (pa.Value, bytes);
        return Result<(ulong, ulong)>.Of((r.Value, pa.Value), r.Why);
    }

    private ulong? AllocBelow(ulong bytes, ulong mask)
    {
        var pa = core.Machine.Pages.AllocUser(bytes, 0x1000);
        if (pa is { } p && p + bytes - 1 > mask) { core.Machine.Pages.FreeUser(p, bytes); return null; }
        return pa;
    }

    public Outcome FreeCoherent(IommuDevice dev, ulong size, ulong iova, ScriptSite site = default)
    {
        if (!_coherent.Remove((dev, iova), out var a))
            return Outcome.Fail(Errno.EINVAL, $"{Hex.Of(iova)} is not a coherent allocation of {dev.Name}");
        var o = Unmap(dev, iova, (size + 0xfff) & ~0xfffUL, site);
        core.Machine.Pages.FreeUser(a.Pa, a.Size);
        return o;
    }

    /// <summary>
    /// iommu_dma_map_sg: one IOVA range for the whole list (each segment's offset kept, lengths aligned
    /// to the granule), one iommu_map per segment, then __finalise_sg's merge into DMA segments.
    /// Returns (first DMA address, number of DMA segments).
    /// </summary>
    public Result<(ulong Iova, int Nents)> MapSg(IommuDevice dev, IReadOnlyList<(ulong Pa, ulong Len)> sg, DmaDirection dir, ScriptSite site = default)
    {
        if (!UsesIommu(dev))
        {
            // dma_direct_map_sg: each segment through dma_direct_map_phys
            ulong first = 0;
            string? how = null;
            foreach (var (pa, len) in sg)
            {
                var one = DmaRangeMap.DirectMap(dev.Spec.DmaRanges, BusDmaLimit(dev), pa, len, Mask(dev.DmaMask));
                if (!one.Ok) return Result<(ulong, int)>.Fail(one.Errno, one.Why!);
                if (how is null) (first, how) = (one.Value, one.Why);
            }
            return Result<(ulong, int)>.Of((first, sg.Count), dev.Spec.DmaRanges.Count == 0
                ? "dma-direct: each segment's DMA address is its physical address"
                : "dma-direct: each segment translated through the dma-ranges; the first: " + how!["dma-direct: ".Length..]);
        }
        var domain = dev.Group!.DefaultDomain!;
        var iovad = _cookies[domain].Iovad;
        var segs = new List<(ulong Off, ulong Len, ulong AlignedLen, ulong Pa)>();
        ulong total = 0;
        foreach (var (pa, len) in sg)
        {
            ulong off = pa & (iovad.Granule - 1);
            ulong aligned = DmaIommuAlloc.Align(iovad, len + off);
            segs.Add((off, len, aligned, pa - off));
            total += aligned;
        }
        var st = _devices[dev];
        ulong limit = DmaIommuAlloc.Limit(Mask(dev.DmaMask), st.BusDmaLimit, domain.ForceAperture ? domain.ApertureEnd : null);
        bool pci = st.Pci32BitWorkaround;
        ulong iova = DmaIommuAlloc.AllocIova(iovad, total, limit, ref pci);
        if (!pci) st.Pci32BitWorkaround = false;
        if (iova == 0) return Result<(ulong, int)>.Fail(Errno.ENOMEM, $"DMA_MAPPING_ERROR: no {Hex.Size(total)} of IOVA space below {Hex.Of(limit)}");
        ulong at = iova;
        foreach (var s in segs)
        {
            var m = core.Map(domain, at, s.Pa, s.AlignedLen, ProtFor(dir), site);
            if (!m.Ok)
            {
                if (at > iova) core.Unmap(domain, iova, at - iova, site);
                iovad.FreeFast(iova >> iovad.Shift, total >> iovad.Shift);
                return Result<(ulong, int)>.Fail(m.Errno, "DMA_MAPPING_ERROR: iommu_map failed: " + m.Why);
            }
            at += s.AlignedLen;
        }
        // __finalise_sg with dma_get_seg_boundary = ULONG_MAX and dma_get_max_seg_size = 64 KiB
        const ulong maxLen = 0x10000;
        int count = 0;
        ulong curLen = 0, dma = iova;
        foreach (var s in segs)
        {
            if (curLen != 0 && s.Off == 0 && dma != 0 && maxLen - curLen >= s.Len) curLen += s.Len;
            else
            {
                curLen = s.Len;
                count++;
            }
            dma += s.AlignedLen;
            if (s.Len + s.Off < s.AlignedLen) curLen = 0;
        }
        return Result<(ulong, int)>.Of((iova + segs[0].Off, count), $"{domain.Name}: one IOVA range [{Hex.Of(iova)}, {Hex.Of(iova + total - 1)}] for {sg.Count} segment(s)");
    }

    /// <summary>dma_set_mask_and_coherent, or one of the two masks.</summary>
    public void SetMask(IommuDevice dev, int bits, bool streaming, bool coherent)
    {
        if (streaming) dev.DmaMask = bits;
        if (coherent) dev.CoherentDmaMask = bits;
    }

    /// <summary>Advances simulated time, firing flush-queue timers and rcache depot work in time order.</summary>
    public IReadOnlyList<string> Advance(long ms)
    {
        var fired = new List<string>();
        long target = NowMs + ms;
        while (true)
        {
            long next = long.MaxValue;
            foreach (var (d, c) in _cookies)
                if (c.Fq is { TimerOn: true } fq) next = Math.Min(next, fq.TimerDue);
            if (next > target) break;
            NowMs = next;
            foreach (var (d, c) in _cookies.OrderBy(kv => kv.Key.Id))
                if (c.Fq is { TimerOn: true } fq && fq.TimerDue == next)
                {
                    int before = fq.Count;
                    fq.Timeout(c.Iovad, () => core.FlushIotlbAll(d));
                    fired.Add($"{NowMs} ms: {d.Name} flush-queue timeout: IOTLB flushed, {before - fq.Count} IOVA range(s) released");
                }
        }
        NowMs = target;
        foreach (var c in _cookies.Values) c.Iovad.RunDepotWork(NowMs);
        return fired;
    }

    /// <summary>The DMA domains' allocators and queues, for the report.</summary>
    public IEnumerable<(IommuDomain Domain, DmaCookie Cookie)> Cookies => _cookies.OrderBy(kv => kv.Key.Id).Select(kv => (kv.Key, kv.Value));
}
