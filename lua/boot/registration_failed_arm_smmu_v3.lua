-- A stream ID beyond an SMMUv3's stream table: -ERANGE at probe, which is not -ENODEV, so the
-- whole SMMU's registration fails. arm_smmu_device_probe's error path then disables the SMMU
-- (arm_smmu_device_disable, CR0 = 0; since v6.14): no stream table, no STE, no event queue. Every
-- master's DMA — probed before the culprit or never probed — follows SMMU_GBPA: params.gbpa is
-- "bypass" (GBPA.ABORT clear) or "abort" (the SoC file says gbpa-abort: true).
for _, dev in ipairs(soc.devices()) do
  expect.eq(dev.group, nil, dev.name .. " has no IOMMU group")
end
expect.eq(#soc.groups(), 0, "no group survives the unregistration")

local before = soc.device("gpu")
local d, err = iommu.domain_alloc(before, "unmanaged")
expect.errno(err, "ENODEV", "no paging domain for a master without an IOMMU (iommu_paging_domain_alloc)")

local after = soc.device("nic")
for _, dev in ipairs({ before, after }) do
  local pa, fault = dev:read(0x60000000)
  if params.gbpa == "bypass" then
    expect.eq(pa, 0x60000000, dev.name .. "'s DMA bypasses the disabled SMMU: the bus address is the physical address")
  else
    expect.eq(pa, nil, dev.name .. "'s DMA is terminated by GBPA.ABORT")
    expect.eq(fault.event, nil, "and nothing is recorded: the event queue is off with the SMMU")
  end
end

-- after the deferred-probe timeout the drivers bind without an IOMMU: dma-direct
local buf = mem.alloc(SZ_64K)
local iova = dma.map_single(after, buf, SZ_64K, "to_device")
expect.eq(iova, buf, "the DMA API is dma-direct: bus address = physical address")
local pa = after:read(iova)
if params.gbpa == "bypass" then
  expect.eq(pa, buf, "and the NIC's DMA reaches the buffer through the disabled SMMU")
else
  expect.eq(pa, nil, "and GBPA.ABORT terminates the NIC's DMA to it")
end
