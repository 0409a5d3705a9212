-- remoteproc-style: one coherent buffer per firmware carveout, sizes from a resource table
local apu = soc.device("apu")
local window = apu.firmware.code
local segments = { { name = "code", size = 4 * MiB }, { name = "data", size = 1 * MiB }, { name = "vring", size = 64 * KiB } }

for _, seg in ipairs(segments) do
  local iova, pa = dma.alloc_coherent(apu, seg.size)
  expect.ok(iova, seg.name .. ": the DMA API allocates")
  expect.outside(iova, seg.size, window, seg.name .. ": but outside the firmware window")
  seg.iova, seg.pa = iova, pa
end
expect.eq(segments[1].iova, 0xff400000, "the first carveout lands just below the top of the region (iova.c top-down)")
expect.eq(segments[2].iova, 0xff300000, "the next one below it")
expect.eq(segments[3].iova, 0xff2f0000, "and so on: nothing near 0x60000000")

local pa, fault = apu:read(window.iova)
expect.fault(pa, fault, "the firmware's fetch at its linked address still faults")
local got = apu:read(segments[1].iova)
expect.eq(got, segments[1].pa, "while the DMA address reaches the buffer")
report.mappings(apu.group.default_domain)
