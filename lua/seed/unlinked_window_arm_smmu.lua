-- The carveout's node names the APU in iommu-addresses, but the APU's memory-region does not list the
-- node: of_iommu_get_resv_regions never reads it.
local apu = soc.device("apu")
local fw = apu.firmware.code
for _, r in ipairs(iommu.get_resv_regions(apu)) do
  expect.ok(r.type ~= "direct" and r.type ~= "reserved", "no region from iommu-addresses (" .. r.type .. ")")
end
expect.eq(iommu.iova_to_phys(apu.group.default_domain, fw.iova), 0, "nothing mapped at the carveout")
local reached = 0
for _, access in ipairs(apu:boot_firmware()) do
  if access.pa then reached = reached + 1 end
end
expect.eq(reached, 0, "the firmware's boot accesses fault")
