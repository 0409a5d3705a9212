local apu = soc.device("apu")
local fw = apu.firmware.code

local function boots()
  local ok = 0
  for _, access in ipairs(apu:boot_firmware()) do
    if access.pa then ok = ok + 1 end
  end
  return ok
end

report.section("1. The DMA API")
local iova = dma.alloc_coherent(apu, SZ_1M)
expect.outside(iova, SZ_1M, fw, "dma_alloc_coherent's buffer is elsewhere")
expect.eq(boots(), 0, "both boot accesses fault")
dma.free_coherent(apu, SZ_1M, iova)

report.section("2. An unmanaged domain: the APU is alone in its group")
expect.eq(#apu.group.devices, 1, "arm_smmu_device_group: a stream ID of its own, a group of its own")
local dom = iommu.domain_alloc(apu, "unmanaged")
expect.ok(iommu.attach_device(dom, apu), "iommu_attach_device accepts a group of one")
local carve = mem.alloc(fw.size, SZ_2M)
expect.ok(iommu.map(dom, fw.iova, carve, fw.size, "rw"), "map the window at its linked address")
expect.eq(boots(), 2, "both boot accesses succeed")
iommu.unmap(dom, fw.iova, fw.size)
expect.ok(iommu.detach_device(dom, apu), "back to the DMA domain")
iommu.domain_free(dom)

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
