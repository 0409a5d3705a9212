using ScenarioEngine.Model;

using System.Runtime.CompilerServices;

namespace ScenarioEngine.Kernel;

/// <summary>
/// iommu_map / iommu_unmap / iommu_unmap_fast / iommu_iotlb_sync / iommu_flush_iotlb_all /
/// iommu_iova_to_phys (drivers/iommu/iommu.c, Linux 7.0). The core checks the
/// domain type and the alignment to the smallest page size, splits with iommu_pgsize, and on a
/// failed map unmaps what this call mapped and returns the error. There is no aperture check here:
/// range limits come from the page table (-ERANGE).
/// </summary>
public sealed partial class IommuCore
{
    /// <summary>
    /// iommu_map: iommu_map_nosync, then iommu_sync_map. Linux 7.0.0 as released tests the result of
    /// __iommu_map_domain_pgtbl inverted in iommu_map_nosync (`if (!ret) return ret;`, drivers/iommu/iommu.c):
    /// every error of a domain with classic io-pgtable ops (both modelled families) — the paging-type,
    /// page-size and alignment checks and the driver's own map failure, after the partial mapping was
    /// unrolled — falls through to `return 0`, and iommu_map goes on to iommu_sync_map. Upstream fix
    /// 6fc7e8a3b811 ("iommu: Fix loss of errno on map failure for classic ops") restores the errno.
    /// </summary>
    public Outcome Map(IommuDomain d, ulong iova, ulong paddr, ulong size, Prot prot, ScriptSite site = default)
    {
        var o = MapDomainPgtbl(d, iova, paddr, size, prot, site);
        LastLostErrno = Errno.None;
        if (o.Ok || Knobs.HasFix(KernelFixes.MapErrno)) return o;
        LastLostErrno = o.Errno;
        if (d.Type.IsPaging()) d.Driver.IotlbSyncMap(d, iova, size);
        return Outcome.Note($"the map failed (-{o.Errno}: {o.Why}), but Linux 7.0.0's iommu_map_nosync lost the errno (`if (!ret) return ret;`; upstream fix {KernelFixes.MapErrno}): iommu_map returned 0 and iommu_sync_map ran ({Src})");
    }

    /// <summary>The errno the last <see cref="Map"/> lost on Linux 7.0.0 (None when it lost nothing): the boot log names it.</summary>
    private Errno LastLostErrno { get; set; }

    /// <summary>__iommu_map_domain_pgtbl (Linux 7.0.0): the checks, the iommu_pgsize split, the driver's map_pages, the unroll on failure.</summary>
    private Outcome MapDomainPgtbl(IommuDomain d, ulong iova, ulong paddr, ulong size, Prot prot, ScriptSite site)
    {
        if (!d.Type.IsPaging())
            return Outcome.Fail(Errno.EINVAL, $"{d.Name} is a {d.Type.Name()} domain; only paging domains can be mapped (iommu_map, {Src})");
        if (d.PgsizeBitmap == 0)
            return Outcome.Fail(Errno.ENODEV, $"{d.Name} has no page sizes (iommu_map WARN_ON, {Src})");
        ulong min = PageSizes.MinPageSize(d.PgsizeBitmap);
        if (((iova | paddr | size) & (min - 1)) != 0)
            return Outcome.Fail(Errno.EINVAL, $"unaligned: iova {Hex.Of(iova)} pa {Hex.Of(paddr)} size {Hex.Of(size)} must be multiples of the minimum page size {Hex.Size(min)} (iommu_map, {Src})");
        if (size == 0) return Outcome.Note("size 0: nothing mapped");
        ulong origIova = iova, origSize = size;
        var ret = Outcome.Success;
        while (size > 0)
        {
            var (pgsize, count) = PageSizes.Pick(d.PgsizeBitmap, iova, paddr, size);
            ret = d.Driver.MapPages(d, iova, paddr, pgsize, count, prot, site, out var mapped);
            size -= mapped;
            if (!ret.Ok) break;
            iova += mapped;
            paddr += mapped;
        }
        if (!ret.Ok)
        {
            ulong done = origSize - size;
            if (done > 0) Unmap(d, origIova, done, site);
            return done > 0 ? ret with { Why = ret.Why + $"; the {Hex.Size(done)} mapped before the failure were unmapped again" } : ret;
        }
        d.Driver.IotlbSyncMap(d, origIova, origSize);
        return Outcome.Success;
    }

    /// <summary>iommu_unmap: 0 for non-paging or unaligned requests; stops at the first hole; then iotlb_sync.</summary>
    public ulong Unmap(IommuDomain d, ulong iova, ulong size, ScriptSite site = default)
    {
        var gather = new IotlbGather();
        ulong n = UnmapInto(d, iova, size, gather, site);
        if (n > 0) d.Driver.IotlbSync(d, gather);
        return n;
    }

    /// <summary>iommu_unmap_fast: clears the entries, leaves the IOTLB flush to a later iommu_iotlb_sync.</summary>
    public ulong UnmapFast(IommuDomain d, ulong iova, ulong size, ScriptSite site = default)
    {
        if (!_pendingGather.TryGetValue(d, out var gather)) _pendingGather[d] = gather = new IotlbGather();
        return UnmapInto(d, iova, size, gather, site);
    }

    /// <summary>
    /// iommu_unmap_fast with a queued gather (dma-iommu's lazy path: iotlb_gather.queued = fq_domain):
    /// the page table skips tlb_add_page and nobody syncs the gather; the flush queue's
    /// flush_iotlb_all invalidates later.
    /// </summary>
    public ulong UnmapQueued(IommuDomain d, ulong iova, ulong size, ScriptSite site = default) => UnmapInto(d, iova, size, new IotlbGather { Queued = true }, site);

    public void IotlbSync(IommuDomain d)
    {
        if (_pendingGather.Remove(d, out var gather) && !gather.Empty) d.Driver.IotlbSync(d, gather);
    }

    public void FlushIotlbAll(IommuDomain d) => d.Driver.FlushIotlbAll(d);

    private ulong UnmapInto(IommuDomain d, ulong iova, ulong size, IotlbGather gather, ScriptSite site)
    {
        if (!d.Type.IsPaging() || d.PgsizeBitmap == 0) return 0;
        ulong min = PageSizes.MinPageSize(d.PgsizeBitmap);
        if (((iova | size) & (min - 1)) != 0) return 0;
        ulong unmapped = 0;
        while (unmapped < size)
        {
            var (pgsize, count) = PageSizes.Pick(d.PgsizeBitmap, iova, iova, size - unmapped);
            ulong n = d.Driver.UnmapPages(d, iova, pgsize, count, gather, site);
            if (n == 0) break;
            iova += n;
            unmapped += n;
        }
        return unmapped;
    }

    /// <summary>iommu_iova_to_phys: IDENTITY → iova, BLOCKED → 0, else the driver's walk.</summary>
    public ulong IovaToPhys(IommuDomain d, ulong iova) => d.Type switch
    {
        DomainType.Identity => iova,
        DomainType.Blocked => 0,
        _ => d.Driver.IovaToPhys(d, iova),
    };

    /// <summary>Why an unmap returned less than asked, for the report.</summary>
    public string? UnmapShortfall(IommuDomain d, ulong iova, ulong size, ulong got)
    {
        if (got == size) return null;
        if (!d.Type.IsPaging()) return $"{d.Name} is a {d.Type.Name()} domain: iommu_unmap returns 0 ({Src})";
        ulong min = PageSizes.MinPageSize(d.PgsizeBitmap);
        if (((iova | size) & (min - 1)) != 0) return $"unaligned to {Hex.Size(min)}: iommu_unmap returns 0 ({Src})";
        return $"stopped at {Hex.Of(iova + got)}: the page table unmapped nothing there (a hole, or a partial unmap of a larger entry, which io-pgtable refuses)";
    }
}
