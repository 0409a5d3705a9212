-- mtk_iommu_domain_free frees only the wrapper; hw_list's share_dom and bank0's m4u_dom keep pointing
-- at the freed domain. Booted with iommu.passthrough=1, so the first paging domain is the script's.
local apu = soc.device("apu")
local g = apu.group
expect.eq(g.default_domain.type, "identity", "iommu.passthrough=1: the group's default domain is identity")

local a = iommu.domain_alloc(apu, "unmanaged")
expect.ok(iommu.attach_group(a, g), "the first paging domain: it creates the hw_list's table (share_dom) and becomes bank0's m4u_dom")
local buf = mem.alloc(SZ_64K)
expect.ok(iommu.map(a, 0x10000000, buf, SZ_64K, "rw"), "a buffer mapped in it")
expect.ok(iommu.detach_group(a, g), "back to the identity domain")
expect.ok(iommu.domain_free(a), "freed: mtk_iommu_domain_free kfree()s the wrapper and nothing else")

local b = iommu.domain_alloc(apu, "unmanaged")
expect.ok(iommu.attach_group(b, g), "the next domain attaches")
expect.eq(iommu.iova_to_phys(b, 0x10000000), buf, "it copied the freed domain's table: the freed domain's mapping is live in it")

local pa, fault = apu:read(0x20000000)
expect.eq(pa, nil, "an unmapped address faults")
expect.eq(fault.domain, "domain#1", "and mtk_iommu_isr reports it against bank0's m4u_dom: the freed domain")

local uaf = 0
for _, e in ipairs(sim.events()) do
  if e.kind == "use-after-free" then uaf = uaf + 1 end
end
expect.eq(uaf, 2, "two use-after-free reads: share_dom in mtk_iommu_domain_finalise, m4u_dom in mtk_iommu_isr")
