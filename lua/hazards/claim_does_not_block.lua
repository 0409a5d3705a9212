-- A userspace APU driver (VFIO-style) claims the APU's group on MT8365 with a dedicated APU region:
-- the claim succeeds, but the "blocking" domain shares the hw_list's live table.
local display, apu = soc.device("display"), soc.device("apu")
expect.ok(apu.group ~= display.group, "the APU region makes the APU a group of its own (mtk_iommu_get_group_id: region)")

local buf = mem.alloc(SZ_64K)
local iova = dma.map_single(display, buf, SZ_64K, "to_device")
expect.ok(iova, "the display driver has a live DMA buffer in its own group")

local g = apu.group
expect.ok(iommu.group_claim_dma_owner(g), "iommu_group_claim_dma_owner succeeds: no driver is bound to the APU")
local blocking = g.domain
expect.eq(blocking.type, "unmanaged", "the blocking domain is an UNMANAGED paging domain (no blocked_domain in mtk_iommu_ops)")
expect.eq(iommu.iova_to_phys(blocking, iova), buf, "and it translates the display's buffer: one ARMv7s table per hw_list")
expect.eq(apu:read(iova), buf, "so the 'blocked' APU reaches the display's memory")
expect.ok(iommu.map(blocking, 0x60000000, mem.alloc(SZ_1M), SZ_1M, "rw"), "and mapping into the blocking domain succeeds")
local hazard
for _, e in ipairs(sim.events()) do
  if e.kind == "blocking-domain-translates" then hazard = e end
end
expect.ok(hazard, "recorded as a hazard")
