using ScenarioEngine.Kernel;

namespace ScenarioEngine.Dma;

/// <summary>The core's DMA layer as dma-iommu (<c>core.Dma</c>), for the layers above the core.</summary>
public static class CoreDma
{
    extension(IommuCore core)
    {
        /// <summary>The dma-iommu the core was booted with.</summary>
        public DmaIommu Dma => (DmaIommu)core.DmaLayer;
    }

    /// <summary>The layer factory a core is built with: dma-iommu over that core.</summary>
    public static IDmaLayer For(IommuCore core) => new DmaIommu(core);
}
