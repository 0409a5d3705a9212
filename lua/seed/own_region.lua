local apu, display = soc.device("apu"), soc.device("display")
expect.eq(apu.region, "apu", "larb0 ports 10/11 select the APU region")
expect.eq(#apu.group.devices, 1, "the region is a group of its own")

local dom = iommu.domain_alloc(apu, "unmanaged")
expect.ok(iommu.attach_device(dom, apu), "iommu_attach_device accepts the singleton group")
expect.eq(dom.aperture.start, 0x60000000, "aperture starts at the region base")
expect.eq(dom.aperture.last, 0x6fffffff, "aperture ends at the region end")
expect.eq(apu.dma_mask, 34, "mtk_iommu_attach_device widens the DMA mask for region > 0")

local fw = apu.firmware.code
local carve = mem.carveout("apu-fw")
expect.ok(iommu.map(dom, fw.iova, carve.base, fw.size, "rw"), "map the firmware window at its linked IOVA")
for _, r in ipairs(apu:boot_firmware()) do
  expect.ok(r.pa, ("boot access at 0x%x succeeds"):format(r.iova))
end

local resv = iommu.get_resv_regions(display)
expect.eq(#resv, 1, "region 0's masters get one reserved region")
expect.eq(resv[1].type, "reserved", "of type reserved")
expect.eq(resv[1].start, 0x60000000, "covering the APU window")
expect.eq(iommu.iova_to_phys(display.group.domain, fw.iova), carve.base,
  "region 0's DMA domain translates the window too: a region is a group and an aperture, not a table")
