local apu = soc.device("apu")
local g = apu.group
local fw = apu.firmware.code

local function boots()
  local ok = 0
  for _, access in ipairs(apu:boot_firmware()) do
    if access.pa then ok = ok + 1 end
  end
  return ok
end

report.section("1. An unmanaged domain (the Jan 2023 series)")
local dom = iommu.domain_alloc(apu, "unmanaged")
local _, err = iommu.attach_device(dom, apu)
expect.errno(err, "EINVAL", "iommu_attach_device refuses the shared group")
expect.eq(boots(), 0, "both boot accesses fault")

report.section("2. The DMA API")
local iova, pa = dma.alloc_coherent(apu, fw.size)
expect.outside(iova, fw.size, fw, "the DMA API's buffer is elsewhere")
expect.eq(boots(), 0, "both boot accesses fault")
dma.free_coherent(apu, fw.size, iova)

report.section("3. iommu_attach_group")
expect.ok(iommu.attach_group(dom, g), "attach_group moves the whole group")
local carve = mem.alloc(fw.size, SZ_16M)
expect.ok(iommu.map(dom, fw.iova, carve, fw.size, "rw"), "map the window at its linked address")
expect.eq(boots(), 2, "both boot accesses succeed")
iommu.unmap(dom, fw.iova, fw.size)
iommu.detach_group(dom, g)
