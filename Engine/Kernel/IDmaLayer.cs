namespace ScenarioEngine.Kernel;

/// <summary>
/// What the IOMMU core asks of the DMA layer (drivers/iommu/dma-iommu.c, Linux 7.0): to set a probed
/// device up (iommu_setup_dma_ops, called from the probe path) and whether a domain carries a DMA
/// cookie (iommu_set_fault_handler refuses a domain that does). The runner plugs dma-iommu in
/// (Engine/Dma), so the core does not depend on it.
/// </summary>
public interface IDmaLayer
{
    void SetupDmaOps(IommuDevice dev);
    bool HasCookie(IommuDomain d);
}
