-- One bad master fails its IOMMU's registration at boot, and every master behind that IOMMU is left
-- without one (bus_iommu_probe stops at the first error that is not -ENODEV; iommu_device_register
-- then unregisters the instance). params.iommu names the instance, params.culprit the bad master,
-- params.bystander a master that did nothing wrong, params.access what the hardware then does with
-- the bystander's DMA: "blocked" (Arm SMMU: reset before registration and left enabled, it terminates
-- a stream that no SMR matches) or "unmodelled" (MediaTek: the larbs were never bound to the M4U,
-- and what they do then is not modelled, so the access is a script error that says so). The masters'
-- drivers defer until the deferred-probe timeout and then bind with dma-direct: the steps below come
-- after that.
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
if params.access == "unmodelled" then
  local ok, why = pcall(victim.read, victim, 0x60000000)
  expect.eq(ok, false, "what the hardware does with its DMA is not modelled: the read is refused")
  expect.ok(tostring(why):find("not modelled: what " .. params.iommu .. " does with " .. victim.name .. "'s DMA", 1, true), "and the refusal says so")
else
  local pa, fault = victim:read(0x60000000)
  expect.eq(pa, nil, "its DMA is terminated: no SMR matches its stream")
  expect.eq(fault and fault.kind, "translation", "the access faults")
end

local buf = mem.alloc(SZ_64K)
expect.eq(dma.map_single(victim, buf, SZ_64K, "to_device"), buf, "after the deferred-probe timeout its driver binds with dma-direct: the DMA address is the physical address")
