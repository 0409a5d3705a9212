-- The remoteproc probe path of the Jan 2023 series, reduced to its IOMMU calls.
local apu = soc.device("apu")
local g = apu.group

report.note(("apu sits in %s with %d devices; its DMA API domain is %s"):format(g.name, #g.devices, tostring(g.default_domain)))
expect.ok(#g.devices > 1, "the APU shares its group with the other multimedia masters")
expect.eq(g.domain, g.default_domain, "the group starts on its default (DMA) domain")

local dom = iommu.domain_alloc(apu, "unmanaged")
expect.ok(dom, "the driver can allocate an unmanaged domain (mtk_iommu_domain_alloc_paging)")

local ok, err, why = iommu.attach_device(dom, apu)
expect.errno(err, "EINVAL", "iommu_attach_device refuses a multi-device group")
expect.eq(iommu.get_domain_for_dev(apu), g.default_domain, "the APU stays on the DMA domain")

-- Without an attach the unmanaged domain has no page table on MediaTek; the firmware window
-- cannot be mapped through it, and the APU's firmware fetch at 0x60000000 faults.
local fw = apu.firmware.code
local pa, fault = apu:read(fw.iova)
expect.fault(pa, fault, "the firmware's first fetch at 0x60000000 faults in the DMA domain")

iommu.domain_free(dom)
