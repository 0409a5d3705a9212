-- The founding question on an SMMUv3: the APU has a stream ID of its own, so a group of its own.
local apu = soc.device("apu")
local smmu = soc.iommu("smmu")
local fw = apu.firmware.code

local function boots()
  local ok = 0
  for _, access in ipairs(apu:boot_firmware()) do
    if access.pa then ok = ok + 1 end
  end
  return ok
end

local cmdq = require("lib.cmdq")

report.section("1. The DMA API")
smmu:commands()
local iova = dma.alloc_coherent(apu, SZ_1M)
expect.outside(iova, SZ_1M, fw, "dma_alloc_coherent's buffer is elsewhere")
local rows = apu:boot_firmware()
expect.eq(rows[1].pa, nil, "the firmware's first fetch faults")
expect.eq(rows[1].fault.event, "F_TRANSLATION", "as an F_TRANSLATION event")
expect.eq(rows[1].fault.sid, 0x1000, "for the APU's stream")
dma.free_coherent(apu, SZ_1M, iova)
local text, cmds = cmdq.take(smmu)
report.note("dma_free_coherent (strict): its iotlb_sync invalidates the buffer's 256 pages, in batches of 64, with one CMD_SYNC: " .. text)
expect.eq(#cmds, 257, "256 TLBI_NH_VA and one CMD_SYNC")

report.section("2. An unmanaged domain: the APU is alone in its group")
expect.eq(#apu.group.devices, 1, "arm_smmu_device_group → generic_device_group: a group of one")
local dom = iommu.domain_alloc(apu, "unmanaged")
expect.ok(iommu.attach_device(dom, apu), "iommu_attach_device accepts a group of one")
report.note("the attach rewrote CD 0 (a new ASID and TTB0: V=0 first) and prefetched the unchanged STE: " .. cmdq.take(smmu))
local carve = mem.alloc(fw.size, SZ_2M)
expect.ok(iommu.map(dom, fw.iova, carve, fw.size, "rw"), "map the window at its linked address")
expect.eq(boots(), 2, "both boot accesses succeed")
expect.eq(iommu.unmap(dom, fw.iova, fw.size), fw.size, "unmap the window")
report.note("iommu_unmap's iotlb_sync: one TLBI_NH_VA per 2 MiB block, then CMD_SYNC: " .. cmdq.take(smmu))
expect.ok(iommu.detach_device(dom, apu), "back to the DMA domain")
iommu.domain_free(dom)
report.note("the detach rewrote CD 0 back, and domain_free flushed the ASID: " .. cmdq.take(smmu))

report.section("3. iommu-addresses: the window reserved in the DMA domain")
local reserved
for _, r in ipairs(iommu.get_resv_regions(apu)) do
  if r.type == "reserved" then reserved = r end
end
expect.eq(reserved and reserved.start, fw.iova, "the IOVA-only iommu-addresses entry is a RESERVED region")
local d = iommu.get_domain_for_dev(apu)
local buf = dma.alloc_coherent(apu, SZ_1M)
expect.outside(buf, SZ_1M, fw, "the DMA API allocates around the reserved window")
expect.ok(iommu.map(d, fw.iova, carve, fw.size, "rw"), "the driver maps its firmware there, in its default domain")
expect.eq(boots(), 2, "both boot accesses succeed, and the DMA API keeps working beside it")
