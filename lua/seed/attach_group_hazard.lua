local apu, display = soc.device("apu"), soc.device("display")
local g = apu.group
local dom = iommu.domain_alloc(apu, "unmanaged")

local _, err = iommu.attach_device(dom, apu)
expect.errno(err, "EINVAL", "iommu_attach_device refuses the 6-device group")

expect.ok(iommu.attach_group(dom, g), "iommu_attach_group has no singleton check")
for _, dev in ipairs(g.devices) do
  expect.eq(iommu.get_domain_for_dev(dev), dom, dev.name .. " moved to the unmanaged domain")
end
expect.eq(g.owner_cnt, 6, "the six bound DMA-API drivers did not stop it (owner_cnt is not checked)")

local _, err2 = iommu.group_claim_dma_owner(g)
expect.errno(err2, "EPERM", "a VFIO-style ownership claim is refused while drivers are bound")

expect.ok(iommu.map(dom, params.window, params.window, params.window_size, "rw"), "map the firmware window 1:1")
expect.eq(display:read(params.window), params.window, "the display can now DMA into the APU firmware")

iommu.detach_group(dom, g)
expect.eq(iommu.get_domain_for_dev(display), g.default_domain, "detach_group returns the group to its default domain")
expect.eq(iommu.iova_to_phys(g.default_domain, params.window), params.window,
  "the DMA domain still translates the window: every MediaTek domain of a hw_list shares one table")
report.mappings(g.default_domain)
