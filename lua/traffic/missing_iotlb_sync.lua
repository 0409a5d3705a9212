local display = soc.device("display")
local d = display.group.default_domain
local buf = mem.alloc(SZ_64K)
local iova = 0x10000000

expect.ok(iommu.map(d, iova, buf, SZ_64K, "rw"), "map a 64 KiB buffer")
expect.eq(display:read(iova), buf, "the first read walks the table and fills the IOTLB")
expect.eq(display:read(iova + 0x100), buf + 0x100, "the next one hits")

expect.eq(iommu.unmap_fast(d, iova, SZ_64K), SZ_64K, "unmap_fast clears the entries, no flush")
expect.eq(iommu.iova_to_phys(d, iova), 0, "the page table no longer maps it")
local pa = display:write(iova + 0x10)
expect.eq(pa, buf + 0x10, "but the device still writes the old page through the stale IOTLB entry")
local stale = sim.events()[1]
expect.eq(stale.kind, "stale-translation", "logged as a stale translation")
expect.eq(stale.unmap_line, 10, "naming the unmap that left it behind")

iommu.iotlb_sync(d)
local _, fault = display:read(iova)
expect.ok(fault, "after iotlb_sync the same access faults")
local r = display:stream(iova, SZ_64K, { stride = SZ_4K })
expect.eq(r.faults, 16, "every page of the buffer faults now")
