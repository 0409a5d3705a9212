local apu = soc.device("apu")
local window = apu.firmware.code
local dd = apu.group.default_domain
expect.eq(dd.aperture.start, window.iova, "the DMA domain's aperture is the window")
expect.eq(apu.dma_mask, 34, "the driver gave the APU a 34-bit mask (region > 0)")

-- the resource table links code at the window base, data 16 MiB above it
local linked = { code = window.iova, data = window.iova + 16 * MiB }
local code_iova = dma.alloc_coherent(apu, 4 * MiB)
local data_iova = dma.alloc_coherent(apu, 1 * MiB)
expect.inside(code_iova, 4 * MiB, window, "code lands inside the window")
expect.inside(data_iova, 1 * MiB, window, "data lands inside the window")
expect.eq(code_iova, 0x6fc00000, "but code gets the top of the window (iova.c allocates top-down)")
expect.eq(data_iova, 0x6fb00000, "and data the next range below")
expect.ok(code_iova ~= linked.code, "not the address the firmware was linked for")

local pa, fault = apu:read(linked.code)
expect.fault(pa, fault, "the firmware's fetch at its linked address faults")
