-- One bad master fails its IOMMU's registration at boot, and every master behind that IOMMU is left
-- without one (bus_iommu_probe stops at the first error that is not -ENODEV; iommu_device_register
-- then unregisters the instance). params.iommu names the instance, params.culprit the bad master,
-- params.bystander a master that did nothing wrong, params.access what the hardware then does with
-- the bystander's DMA: "bypass" (MediaTek: a larb port never enabled skips the M4U) or "blocked" (Arm
-- SMMU: reset before registration, it terminates a stream that no SMR matches).
local behind = {}
for _, dev in ipairs(soc.devices()) do
  if dev.iommu and dev.iommu.name == params.iommu then behind[#behind + 1] = dev end
end
expect.ok(#behind > 1, "more masters than the culprit sit behind " .. params.iommu)
for _, dev in ipairs(behind) do
  expect.eq(dev.group, nil, dev.name .. " has no IOMMU group")
end
expect.eq(#soc.groups(), 0, "no group survives the unregistration")

local victim = soc.device(params.bystander)
local d, err = iommu.domain_alloc(victim, "unmanaged")
expect.errno(err, "ENODEV", "no paging domain for a master without an IOMMU (iommu_paging_domain_alloc)")
local pa, fault = victim:read(0x60000000)
if params.access == "bypass" then
  expect.eq(pa, 0x60000000, "its DMA is untranslated: the bus address is the physical address")
else
  expect.eq(pa, nil, "its DMA is terminated: no SMR matches its stream")
  expect.eq(fault and fault.kind, "translation", "the access faults")
end

local buf = mem.alloc(SZ_64K)
expect.eq(dma.map_single(victim, buf, SZ_64K, "to_device"), buf, "and the DMA API falls back to dma-direct")
