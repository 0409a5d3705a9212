local apu = soc.device("apu")
local node = soc.reserved("apu-fw")
expect.eq(node.iommu_addresses[1].iova, node.base, "the DT asks for an identity mapping of the carveout")

local regions = iommu.get_resv_regions(apu)
expect.eq(#regions, 0, "mtk_iommu_get_resv_regions reports no direct region for it")
expect.eq(iommu.iova_to_phys(apu.group.default_domain, node.base), 0, "the DMA domain has no identity mapping")

local boot = apu:boot_firmware()
for _, access in ipairs(boot) do
  expect.fault(access.pa, access.fault, ("boot access at 0x%x faults"):format(access.iova))
end
