local nic, gpu = soc.device("nic"), soc.device("gpu")
local buf = mem.alloc(2 * SZ_4K) + SZ_4K
report.section("dma-direct")
local h = dma.map_single(nic, buf, SZ_4K, "to_device")
expect.eq(h, buf - 0x80000000, "the NIC sees its bus address: phys − 0x8000_0000")
expect.eq(dma.map_single(gpu, buf, SZ_4K, "to_device"), buf, "the GPU's bus has no dma-ranges: the physical address")
local bad, errno = dma.map_single(nic, 0xfffff000, 0x2000, "to_device")
expect.eq(bad, nil, "a buffer running past the window's end is not dma_capable")
expect.eq(errno, "ENOMEM", "and the map fails")
