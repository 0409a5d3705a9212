local apu, pcie = soc.device("apu"), soc.device("pcie")
expect.eq(apu.bank, 4, "port 24 is in bank 4's port mask")
expect.eq(#apu.group.devices, 1, "bank 4 is a group of its own")
expect.ok(apu.group ~= pcie.group, "PCIe (bank 0) is in another group")

local dom = iommu.domain_alloc(apu, "unmanaged")
expect.ok(iommu.attach_device(dom, apu), "iommu_attach_device accepts the singleton group")

local fw = apu.firmware.code
local carve = mem.carveout("apu-fw")
expect.ok(iommu.map(dom, fw.iova, carve.base, fw.size, "rw"), "map the firmware window at its linked IOVA")
expect.eq(apu:read(fw.iova), carve.base, "the firmware's first fetch reaches its carveout")
expect.eq(iommu.iova_to_phys(dom, fw.iova + 0x1234), carve.base + 0x1234, "iova_to_phys inside the window")

report.section("The shared MediaTek table, seen from bank 0")
local pdom = pcie.group.domain
expect.eq(iommu.iova_to_phys(pdom, fw.iova), carve.base,
  "PCIe's DMA domain translates the firmware window too: one ARMv7s table per hw_list")
expect.eq(pcie:read(fw.iova), carve.base, "so the PCIe master can reach the firmware")
report.pagetable(dom, fw.iova, SZ_16M)
