using ScenarioEngine.Model;

namespace ScenarioEngine.Hardware;

/// <summary>
/// The simulated machine one run drives: its physical memory, the allocator that hands out pages of
/// the SoC's DRAM (page tables, DMA buffers, firmware carve-outs skipped) and the log of what the
/// hardware and kernel did. The IOMMU core, the drivers and the DMA layer all act on it; none of
/// them owns it.
/// </summary>
public sealed class Machine(Soc soc)
{
    public Soc Soc { get; } = soc;
    public PhysicalMemory Memory { get; } = new();
    public PageAllocator Pages { get; } = new(soc);
    public EventLog Log { get; } = new();
}
