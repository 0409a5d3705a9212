-- soc: smmu-v2-example.yaml
local gpu = soc.device("gpu")
local dom = iommu.domain_alloc(gpu, "unmanaged")
iommu.attach_device(dom, gpu)
local pa = mem.alloc(SZ_2M)
iommu.map(dom, 0x100000, pa, SZ_64K, "rw")
iommu.map(dom, 0x200800, pa, SZ_4K, "rw")               -- not aligned to the smallest page: refused
dom:mappings()
iommu.walk(dom, 0x100000)
iommu.walk(dom, 0x40000000)                             -- nothing mapped there
iommu.flush_iotlb_all(dom)
local sg = dma.map_sg(soc.device("nic"), { { pa, SZ_4K }, { pa + SZ_64K, SZ_4K } }, "to_device")
local iovad = iova.init_domain(SZ_4K, 1)
local _ = iovad.name
local pfn = iova.alloc(iovad, 4, 0xfffff, true)
iova.find(iovad, pfn)
iova.find(iovad, 7)                                     -- no range holds it
iova.free_fast(iovad, iova.alloc_fast(iovad, 1, 0xfffff), 1)
iova.flush_cpu_rcache(iovad)
iova.flush_global_rcache(iovad)
local ops = pgtable.alloc("arm-lpae-s1", { ias = 48, oas = 48 })
local _ = ops.name, ops.format, ops.ttbr, ops.cfg, ops.warnings
pgtable.map_pages(ops, 0x1000, pa, SZ_4K, 1, "r")
pgtable.map_pages(ops, 0x1000, pa, SZ_4K, 1, "r")        -- already mapped
