-- soc: mt8365.yaml
local _ = soc.name, soc.description
local m4u = soc.iommu("m4u")
local _ = m4u.driver, m4u.type, m4u.pgtable, m4u.ias, m4u.oas, m4u.banks, m4u.regions
local apu = soc.device("apu")
local dom = iommu.domain_alloc(apu, "unmanaged")
local _ = dom.pgsize_bitmap
local pa = mem.alloc(SZ_64K)
dom:mappings()
iommu.group_claim_dma_owner(apu.group)
iommu.group_release_dma_owner(apu.group)
iommu.group_release_dma_owner(apu.group)                -- not owned any more
mem.free(pa, SZ_64K)
dma.set_mask(apu, 32)
dma.set_mask(apu, 12, "coherent")
