-- A stream ID beyond an SMMUv3's stream table: -ERANGE at probe, which is not -ENODEV, so the
-- whole SMMU's registration fails. What the hardware then does with the others' DMA depends on
-- when they were probed: a master probed before the culprit was released (STE back to abort), a
-- master after it was never probed (its level-2 stream table was never allocated).
for _, dev in ipairs(soc.devices()) do
  expect.eq(dev.group, nil, dev.name .. " has no IOMMU group")
end
expect.eq(#soc.groups(), 0, "no group survives the unregistration")

local before = soc.device("gpu")
local d, err = iommu.domain_alloc(before, "unmanaged")
expect.errno(err, "ENODEV", "no paging domain for a master without an IOMMU (iommu_paging_domain_alloc)")
local pa, fault = before:read(0x60000000)
expect.eq(pa, nil, "the GPU, probed before the culprit, is terminated")
expect.eq(fault.event, nil, "by the abort STE arm_smmu_release_device left: no event is recorded")

local after = soc.device("nic")
pa, fault = after:read(0x60000000)
expect.eq(pa, nil, "the NIC, never probed, is terminated too")
expect.eq(fault.event, "C_BAD_STREAMID", "as C_BAD_STREAMID: its level-2 stream table was never allocated")
expect.ok(fault.message:find("client: (unassigned sid)", 1, true), "and nobody in the SID tree owns the stream")

local buf = mem.alloc(SZ_64K)
expect.eq(dma.map_single(after, buf, SZ_64K, "to_device"), buf, "the DMA API falls back to dma-direct: bus address = physical address, which the SMMU then blocks")
