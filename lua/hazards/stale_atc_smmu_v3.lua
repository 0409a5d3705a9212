-- PCIe ATS on an SMMUv3: the endpoint keeps its own copy of translations (its ATC), which only an
-- ATC_INV command reaches. The driver sends ATC_INV right after every TLB invalidation of a domain
-- with ATS masters (arm_smmu_atc_inv_domain), so the ATC is stale exactly where the TLB would be —
-- but a stale ATC entry is the device's, served without asking the SMMU at all.
local cmdq = require("lib.cmdq")
local nvme = soc.device("nvme")
local smmu = soc.iommu("smmu")

report.section("1. Lazy invalidation: the ATC outlives dma_unmap until the flush queue")
local d = nvme.group.default_domain
expect.eq(d.type, "dma-fq", "iommu.strict=0: the NVMe's default domain keeps a flush queue")
local buf = mem.alloc(SZ_64K)
local iova = dma.map_single(nvme, buf, SZ_64K, "from_device")
expect.eq(nvme:write(iova, 512), buf, "the NVMe writes a block: its Translation Request fills its ATC")
cmdq.take(smmu)
dma.unmap_single(nvme, iova, SZ_64K, "from_device")
expect.eq(#smmu:commands(), 0, "the queued unmap sends nothing: no TLBI, no ATC_INV")
expect.eq(nvme:write(iova, 512), buf, "the NVMe still writes the old page, translated by its own ATC")
local e = sim.events()[1]
expect.eq(e.kind, "stale-atc", "a stale ATC translation: a hazard of its own, the SMMU never saw the access")
expect.eq(e.unmap_line, 16, "naming the dma_unmap_single")
sim.advance(10)
local text = cmdq.take(smmu)
report.note("10 ms later the flush queue's flush_iotlb_all → arm_smmu_tlb_inv_context: " .. text)
local pa, fault = nvme:read(iova)
expect.eq(pa, nil, "after TLBI_EL2_ASID and ATC_INV (all) the access fails")
expect.eq(fault.event, nil, "with no event: the NVMe's Translation Request got a negative response, and the SMMU records no event for a failed ATS Translation Request")

report.section("2. An unmanaged domain and a missing iotlb_sync")
local u = iommu.domain_alloc(nvme, "unmanaged")
cmdq.take(smmu)
expect.ok(iommu.attach_device(u, nvme), "the NVMe is alone in its group")
report.note("the attach kept ATS on and invalidated the whole ATC (the translation changed): " .. cmdq.take(smmu))
local block = mem.alloc(SZ_2M, SZ_2M)
expect.ok(iommu.map(u, 0x40000000, block, SZ_2M, "rw"), "map a 2 MiB block")
expect.eq(nvme:read(0x40000000 + 0x1000), block + 0x1000, "the NVMe reads it: ATC filled")
expect.eq(iommu.unmap_fast(u, 0x40000000, SZ_2M), SZ_2M, "unmap_fast, no iotlb_sync yet")
expect.eq(nvme:read(0x40000000 + 0x1000), block + 0x1000, "the ATC still translates the block")
iommu.iotlb_sync(u)
local _, cmds = cmdq.take(smmu)
report.note("arm_smmu_iotlb_sync: " .. cmdq.summary(cmds))
expect.eq(cmds[1].text, "TLBI_EL2_VA asid 5 va 0x40000000 leaf tg 1 ttl 2 scale 9 num 0", "one range TLBI for the block (RIL: 512 pages as SCALE 9, NUM 0; TTL 2 for a level-2 leaf)")
expect.eq(cmds[2].op, "CMD_SYNC", "synced")
expect.eq(cmds[3].text, "ATC_INV sid 0x100 addr 0x40000000 size 9", "then ATC_INV of the naturally aligned 512-page span")
expect.eq(cmds[4].op, "CMD_SYNC", "synced")
expect.eq(nvme:read(0x40000000 + 0x1000), nil, "now the access faults")

report.section("3. Identity turns ATS off")
local g = nvme.group
iommu.detach_device(u, nvme)
cmdq.take(smmu)
local ident = iommu.domain_alloc(nvme, "identity")
expect.ok(iommu.attach_device(ident, nvme), "an identity domain for the NVMe")
local _, off = cmdq.take(smmu)
report.note("a bypass STE cannot do ATS: pci_disable_ats before the STE, the whole ATC invalidated after it: " .. cmdq.summary(off))
local all = false
for _, c in ipairs(off) do
  if c.text == "ATC_INV sid 0x100 all" then all = true end
end
expect.ok(all, "ATC_INV of everything")
local pa2 = nvme:read(0x80000000)
expect.eq(pa2, 0x80000000, "and the NVMe's DMA passes untranslated")
