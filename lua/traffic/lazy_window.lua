local nic = soc.device("nic")
local d = nic.group.default_domain
expect.eq(d.type, "dma-fq", "the SMMU keeps the flush queue: IOMMU_CAP_DEFERRED_FLUSH")

local rx = mem.alloc(SZ_64K)
local iova = dma.map_single(nic, rx, SZ_64K, "from_device")
expect.eq(nic:write(iova + 0x40, 64), rx + 0x40, "the NIC writes a packet into the ring buffer")

dma.unmap_single(nic, iova, SZ_64K, "from_device")
expect.eq(iommu.iova_to_phys(d, iova), 0, "the page table no longer maps the buffer")
expect.eq(nic:write(iova + 0x80, 64), rx + 0x80, "but the NIC still writes into the old page: the TLB was not invalidated")
local e = sim.events()[1]
expect.eq(e.kind, "stale-translation", "logged as a stale translation")
expect.eq(e.unmap_line, 9, "naming the dma_unmap_single that queued the IOVA")

local other = dma.map_single(nic, mem.alloc(SZ_64K), SZ_64K, "from_device")
expect.outside(other, SZ_64K, { iova = iova, size = SZ_64K }, "the queued IOVA is not reused before the flush")

sim.advance(9)
expect.eq(nic:read(iova), rx, "9 ms later the window is still open")
sim.advance(1)
local v, fault = nic:read(iova)
expect.eq(v, nil, "at 10 ms the flush-queue timer flushed the ASID: the access faults")
expect.eq(fault.fsr, 0x402, "a translation fault: FSR.TF, FORMAT 2 (AArch64)")
expect.eq(fault.cbfrsynra, 0xc00, "reported with the NIC's stream ID")
