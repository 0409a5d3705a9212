-- The firmware carveout of smmu-v2-direct-window.yaml: an IOMMU_RESV_DIRECT region of the APU that
-- iommu_create_device_direct_mappings must map one-to-one in its default domain at probe.
-- params.fixed: whether the scenario's kernel carries upstream 6fc7e8a3b811.
local apu = soc.device("apu")
local fw = apu.firmware.code
local d = apu.group.default_domain

local direct
for _, r in ipairs(iommu.get_resv_regions(apu)) do
  if r.type == "direct" then direct = r end
end
expect.eq(direct and direct.start, fw.iova, "reg + iommu-addresses: an IOMMU_RESV_DIRECT region (of_iommu_get_resv_regions)")
expect.eq(direct and direct.length, fw.size, "covering the whole carveout")

local boot = apu:boot_firmware()
local reached = 0
for _, access in ipairs(boot) do
  if access.pa == access.iova then reached = reached + 1 end
end

if params.fixed then
  expect.eq(iommu.iova_to_phys(d, fw.iova), fw.iova, "mapped one-to-one in the default domain: the retry after the attach worked")
  expect.eq(reached, #boot, "every boot access reaches the carveout")
else
  expect.eq(iommu.iova_to_phys(d, fw.iova), 0, "never mapped: the first try's -ENODEV was lost, so nothing retried")
  expect.eq(reached, 0, "every boot access faults")
end
