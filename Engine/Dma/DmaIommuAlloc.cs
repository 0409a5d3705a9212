namespace ScenarioEngine.Dma;

/// <summary>
/// The address arithmetic of dma-iommu (drivers/iommu/dma-iommu.c, Linux 7.0):
/// iommu_dma_map_phys rounding (iova_off = phys &amp; (granule − 1), size = iova_align(size + iova_off)),
/// iommu_dma_alloc_iova's limit (min_not_zero(mask, bus_dma_limit), capped at the aperture end when
/// the geometry forces it) and the PCI 32-bit-first attempt with its permanent fallback, and the
/// matching unmap rounding.
/// </summary>
public static class DmaIommuAlloc
{
    public readonly record struct Mapping(ulong Iova, ulong Size, ulong Offset)
    {
        public ulong Handle => Iova + Offset;
    }

    public static ulong Align(IovaAllocator iovad, ulong size) => (size + iovad.Granule - 1) & ~(iovad.Granule - 1);

    /// <summary>The DMA limit of an allocation: min_not_zero(mask, bus limit), then the aperture end.</summary>
    public static ulong Limit(ulong dmaMask, ulong busDmaLimit, ulong? forcedApertureEnd)
    {
        ulong limit = dmaMask == 0 ? busDmaLimit : busDmaLimit == 0 ? dmaMask : Math.Min(dmaMask, busDmaLimit);
        if (forcedApertureEnd is { } end) limit = Math.Min(limit, end);
        return limit;
    }

    /// <summary>iommu_dma_alloc_iova: IOVA in bytes, 0 on failure. Clears pci32 for good when the 32-bit try fails.</summary>
    public static ulong AllocIova(IovaAllocator iovad, ulong size, ulong dmaLimit, ref bool pci32BitWorkaround)
    {
        int shift = iovad.Shift;
        ulong len = size >> shift;
        if (dmaLimit > 0xffff_ffffUL && pci32BitWorkaround)
        {
            ulong pfn32 = iovad.AllocFast(len, 0xffff_ffffUL >> shift, false);
            if (pfn32 != 0) return pfn32 << shift;
            pci32BitWorkaround = false;
        }
        ulong pfn = iovad.AllocFast(len, dmaLimit >> shift, true);
        return pfn << shift;
    }

    /// <summary>The rounding of iommu_dma_map_phys: where the mapping starts, how much is mapped, the offset returned.</summary>
    public static (ulong Offset, ulong Size) MapRounding(IovaAllocator iovad, ulong phys, ulong size)
    {
        ulong off = phys & (iovad.Granule - 1);
        return (off, Align(iovad, size + off));
    }

    /// <summary>__iommu_dma_unmap rounding: (iova base, size) of what is unmapped and freed.</summary>
    public static (ulong Iova, ulong Size) UnmapRounding(IovaAllocator iovad, ulong handle, ulong size)
    {
        ulong off = handle & (iovad.Granule - 1);
        return (handle - off, Align(iovad, size + off));
    }
}
