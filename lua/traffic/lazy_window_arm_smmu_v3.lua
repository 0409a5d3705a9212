-- Lazy (flush-queue) invalidation on an SMMUv3: the window between dma_unmap and the TLBI_NH_ASID.
local cmdq = require("lib.cmdq")
local nic = soc.device("nic")
local smmu = soc.iommu("smmu")
local d = nic.group.default_domain
expect.eq(d.type, "dma-fq", "the SMMU keeps the flush queue: IOMMU_CAP_DEFERRED_FLUSH")

local rx = mem.alloc(SZ_64K)
local iova = dma.map_single(nic, rx, SZ_64K, "from_device")
expect.eq(nic:write(iova + 0x40, 64), rx + 0x40, "the NIC writes a packet into the ring buffer")
cmdq.take(smmu)

dma.unmap_single(nic, iova, SZ_64K, "from_device")
local _, cmds = cmdq.take(smmu)
expect.eq(#cmds, 0, "the queued gather skips tlb_add_page: not one command")
expect.eq(iommu.iova_to_phys(d, iova), 0, "the page table no longer maps the buffer")
expect.eq(nic:write(iova + 0x80, 64), rx + 0x80, "but the NIC still writes into the old page: the TLB was not invalidated")
local e = sim.events()[1]
expect.eq(e.kind, "stale-translation", "logged as a stale translation")
expect.eq(e.unmap_line, 13, "naming the dma_unmap_single that queued the IOVA")

local other = dma.map_single(nic, mem.alloc(SZ_64K), SZ_64K, "from_device")
expect.outside(other, SZ_64K, { iova = iova, size = SZ_64K }, "the queued IOVA is not reused before the flush")

sim.advance(9)
expect.eq(nic:read(iova), rx, "9 ms later the window is still open")
expect.eq(#smmu:commands(), 0, "and the queue has seen nothing")
sim.advance(1)
local text
text, cmds = cmdq.take(smmu)
report.note("the flush queue's timer → flush_iotlb_all → arm_smmu_tlb_inv_context: " .. text)
expect.eq(cmds[1].op, "TLBI_NH_ASID", "one TLBI_NH_ASID for the domain's whole ASID")
expect.eq(cmds[2].op, "CMD_SYNC", "and a CMD_SYNC")
local v, fault = nic:read(iova)
expect.eq(v, nil, "at 10 ms the ASID was flushed: the access faults")
expect.eq(fault.event, "F_TRANSLATION", "an F_TRANSLATION event")
expect.eq(fault.sid, 0xc00, "reported with the NIC's stream ID")
