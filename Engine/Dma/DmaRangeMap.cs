using ScenarioEngine.Model;

namespace ScenarioEngine.Dma;

/// <summary>
/// A device's dma-ranges as the DMA layer uses them (Linux 7.0): the bus limit (dma_range_map_max,
/// include/linux/dma-direct.h, stored as dev->bus_dma_limit by of_dma_configure_id in
/// drivers/of/device.c), the physical-to-bus translation of dma-direct (translate_phys_to_dma: the
/// first window holding the address, else DMA_MAPPING_ERROR) and dma_capable's check
/// (end ≤ min_not_zero(mask, bus_dma_limit)). With no dma-ranges the bus address is the physical
/// address and nothing but the mask limits it.
/// Not modelled: the 32-bit ARCH_DMA_ADDR_T check against min_low_pfn (a 64-bit kernel skips it),
/// of_dma_get_range's translation of the parent address up the tree (the SoC file gives CPU
/// addresses), the default masks of_dma_configure_id clips (the device's dma-mask is the driver's).
/// </summary>
public static class DmaRangeMap
{
    /// <summary>dma_range_map_max: the highest bus address of any window; 0 (no limit) without dma-ranges.</summary>
    public static ulong BusLimit(IReadOnlyList<DmaRange> ranges)
    {
        ulong max = 0;
        for (int i = 0; i < ranges.Count; i++) max = Math.Max(max, ranges[i].Bus + (ranges[i].Size - 1));
        return max;
    }

    /// <summary>phys_to_dma → translate_phys_to_dma: the bus address, or null (DMA_MAPPING_ERROR) when no window holds it.</summary>
    public static ulong? PhysToDma(IReadOnlyList<DmaRange> ranges, ulong phys)
    {
        if (ranges.Count == 0) return phys;
        for (int i = 0; i < ranges.Count; i++)
        {
            var r = ranges[i];
            if (phys >= r.Cpu && phys - r.Cpu < r.Size) return r.Bus + (phys - r.Cpu);
        }
        return null;
    }

    /// <summary>
    /// dma-direct's map of one buffer (dma_direct_map_phys, kernel/dma/direct.h): its bus address when
    /// dma_capable, else the failure the kernel warns with (swiotlb bouncing is not modelled, so the
    /// map fails where a bounce buffer would be used). <paramref name="limit"/> is the device's
    /// bus_dma_limit (<see cref="BusLimit"/> of the same ranges, kept per device as the kernel keeps it).
    /// </summary>
    public static Result<ulong> DirectMap(IReadOnlyList<DmaRange> ranges, ulong limit, ulong phys, ulong size, ulong mask)
    {
        ulong? dma = PhysToDma(ranges, phys);
        ulong reach = limit == 0 ? mask : mask == 0 ? limit : Math.Min(mask, limit);
        if (dma is null)
            return Result<ulong>.Fail(Errno.ENOMEM, $"dma-direct: no dma-ranges window holds {Hex.Of(phys)} (translate_phys_to_dma gives DMA_MAPPING_ERROR); swiotlb bouncing is not modelled");
        if (size != 0 && dma.Value + (size - 1) > reach)
            return Result<ulong>.Fail(Errno.ENOMEM, $"dma-direct: bus address {Hex.Of(dma.Value)}+{Hex.Size(size)} ends beyond min_not_zero(mask {Hex.Of(mask)}, bus_dma_limit {Hex.Of(limit)}) = {Hex.Of(reach)}: not dma_capable, and swiotlb bouncing is not modelled");
        return Result<ulong>.Of(dma.Value, ranges.Count == 0 ? "dma-direct: the DMA address is the physical address"
            : dma.Value == phys ? "dma-direct: the DMA address is the physical address (its dma-ranges window has no offset)"
            : $"dma-direct: bus address = physical address {(dma.Value > phys ? "+ " + Hex.Of(dma.Value - phys) : "− " + Hex.Of(phys - dma.Value))} (dma-ranges)");
    }
}
