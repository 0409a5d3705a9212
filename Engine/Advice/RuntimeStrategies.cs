using ScenarioEngine.Model;

namespace ScenarioEngine.Advice;

/// <summary>
/// The strategies made of runtime calls only, on the SoC as it is: what a driver can do today without
/// touching the device tree or the IOMMU driver (docs/advise.md). Their bodies are Lua run by
/// <see cref="ProbeScript"/>.
/// </summary>
internal static class RuntimeStrategies
{
    /// <summary>An unmanaged domain attached to the device alone, the window mapped into it (also the run of every family's own-* change).</summary>
    public const string AttachDeviceBody = """
        dom = iommu.domain_alloc(dev, "unmanaged")
        if dom ~= nil then
          local attached = iommu.attach_device(dom, dev)
          if attached then pages = load_and_map(dom) end
          teardown = function() remove(attached and function() iommu.detach_device(dom, dev) end) end
        end
        """;

    public sealed class AttachDevice : Strategy
    {
        public override string Id => "unmanaged-attach-device";
        public override string Title => "allocate an unmanaged domain, iommu_attach_device, map the window";
        public override string Source => "drivers/iommu/iommu.c iommu_paging_domain_alloc, iommu_attach_device, iommu_map (Linux 7.0)";
        public override StrategyPlan Plan(StrategyContext ctx) => new(ctx.Soc, ctx.Kernel, AttachDeviceBody, SocChange.Runtime("only calls in the device's driver"));
    }

    public sealed class AttachGroup : Strategy
    {
        public override string Id => "unmanaged-attach-group";
        public override string Title => "the same with iommu_attach_group: the whole group moves to the domain";
        public override string Source => "drivers/iommu/iommu.c iommu_attach_group, iommu_detach_group (Linux 7.0)";
        public override StrategyPlan Plan(StrategyContext ctx) => new(ctx.Soc, ctx.Kernel, """
            local g = dev.group
            dom = iommu.domain_alloc(dev, "unmanaged")
            if dom ~= nil and g ~= nil then
              local attached = iommu.attach_group(dom, g)
              if attached then pages = load_and_map(dom) end
              teardown = function() remove(attached and function() iommu.detach_group(dom, g) end) end
            end
        """, SocChange.Runtime("only calls in the device's driver"));
    }

    public sealed class ClaimDmaOwner : Strategy
    {
        public override string Id => "claim-dma-owner";
        public override string Title => "iommu_group_claim_dma_owner, then attach the unmanaged domain to the group";
        public override string Source => "drivers/iommu/iommu.c iommu_group_claim_dma_owner, iommu_attach_group (Linux 7.0)";
        public override StrategyPlan Plan(StrategyContext ctx) => new(ctx.Soc, ctx.Kernel, """
            local g = dev.group
            if g ~= nil and iommu.group_claim_dma_owner(g) then
              dom = iommu.domain_alloc(dev, "unmanaged")
              local attached = dom ~= nil and iommu.attach_group(dom, g)
              if attached then pages = load_and_map(dom) end
              teardown = function()
                remove(attached and function() iommu.detach_group(dom, g) end)
                iommu.group_release_dma_owner(g)
              end
            end
        """, SocChange.Runtime("only calls in the device's driver (an ownership claim, as VFIO makes)"));
    }

    public sealed class DmaApi : Strategy
    {
        public override string Id => "dma-api";
        public override string Title => "the DMA API alone: dma_alloc_coherent of the window's size";
        public override string Source => "drivers/iommu/dma-iommu.c iommu_dma_alloc, iommu_dma_alloc_iova (Linux 7.0)";
        public override StrategyPlan Plan(StrategyContext ctx) => new(ctx.Soc, ctx.Kernel, """
            local iova, pa = dma.alloc_coherent(dev, W.size)
            if iova ~= nil then
              pages = pa
              advise("dma-iova", hex(iova))
              teardown = function() dma.free_coherent(dev, W.size, iova) end
            end
            """, SocChange.Runtime("only calls in the device's driver"));

        public override string? Rule(Observations observed) => observed.DmaIova is not { } iova ? null
            : observed.Domain is "none" or "identity"
                ? $"dma-direct: with no translating domain the DMA address is the buffer's physical address (0x{iova:x}); the DMA API takes no address from its caller"
                : $"iommu_dma_alloc_iova hands out IOVAs top-down below the device's DMA limit (alloc_iova_fast): the buffer landed at 0x{iova:x}; the DMA API takes no address from its caller";
    }
}
