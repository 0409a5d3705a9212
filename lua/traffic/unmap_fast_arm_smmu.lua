local gpu = soc.device("gpu")
local d = iommu.domain_alloc(gpu, "unmanaged")
expect.ok(iommu.attach_device(d, gpu), "the GPU is alone in its group: an unmanaged domain of its own")
local buf = mem.alloc(SZ_64K)
local iova = 0x10000000

expect.ok(iommu.map(d, iova, buf, SZ_64K, "rw"), "map a 64 KiB buffer")
expect.eq(gpu:read(iova), buf, "the first read walks the table and fills the TLB")
expect.eq(iommu.unmap_fast(d, iova, SZ_64K), SZ_64K, "unmap_fast, and no iotlb_sync after it")
local v, fault = gpu:read(iova)
expect.eq(v, nil, "no stale translation: TLBIVAL was posted during the unmap")
expect.eq(fault.fsr, 0x402, "a translation fault: FSR.TF, FORMAT 2 (AArch64)")
expect.eq(fault.fsynr0, 0x3, "a read (WNR clear) that found no level-3 entry (PLVL 3)")
expect.eq(fault.cbfrsynra, 0x400, "the GPU's stream ID")
expect.eq(fault.handler_result, -38, "no handler: -ENOSYS")
expect.ok(fault.message, "so the driver prints its line")

report.section("A handled permission fault")
expect.ok(iommu.map(d, iova, buf, SZ_4K, "r"), "map one page read-only")
local seen = {}
iommu.set_fault_handler(d, function(domain, dev, addr, write)
  seen[#seen + 1] = { dev = dev, addr = addr, write = write }
  return 0
end)
local w, pf = gpu:write(iova + 0x10)
expect.eq(w, nil, "the write is refused")
expect.eq(pf.kind, "permission", "by the read-only leaf (AP[2])")
expect.eq(pf.fsr, 0x408, "FSR.PF, FORMAT 2")
expect.eq(pf.fsynr0, 0x13, "a write (WNR) at level 3")
expect.eq(#seen, 1, "report_iommu_fault called the handler once")
expect.eq(seen[1].dev, nil, "with no device: arm_smmu_context_fault passes NULL")
expect.eq(seen[1].addr, iova + 0x10, "and FAR as the iova")
expect.eq(pf.message, nil, "the handler returned 0: no 'Unhandled context fault' line")
expect.eq(gpu:read(iova + 0x10), buf + 0x10, "reads still work")
