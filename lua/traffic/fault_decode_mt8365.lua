local apu = soc.device("apu")
local d = apu.group.default_domain
local calls = 0
iommu.set_fault_handler(d, function(dom, iommu_dev, iova, write)
  calls = calls + 1
  return 0
end)

local pa, fault = apu:write(0x60100000, SZ_4K)
expect.fault(pa, fault, "a write to the unmapped firmware window faults")
expect.eq(fault.int_id, 0x28, "INT_ID: larb 0 in bits 10:8, port 10 in bits 7:2 (6-bit port width)")
expect.eq(fault.larb, 0, "decoded larb")
expect.eq(fault.port, 10, "decoded port")
expect.eq(fault.fault_va, 0x60100002, "FAULT_VA: VA[31:12] | write (bit 1) | layer 0 (no level-1 entry)")
expect.eq(fault.reported_iova, 0x60100002, "reported as is: without IOVA_34_EN the low bits are not masked")
expect.eq(fault.handler_result, -38, "report_iommu_fault: -ENOSYS, the handler on the DMA domain was ignored")
expect.eq(calls, 0, "so the script's handler never ran")
expect.ok(fault.message, "mtk_iommu_isr printed its rate-limited message")
expect.ok(fault.protect_pa > 0, "the access went to the protect buffer")
