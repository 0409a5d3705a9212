local ops = pgtable.alloc("arm-v7s", { ias = 34, oas = 35, quirks = { "arm-ns", "no-perms", "arm-mtk-ext" } })
expect.eq(ops.cfg.pgsize_bitmap, SZ_4K | SZ_64K | SZ_1M | SZ_16M, "v7s keeps 4K|64K|1M|16M")

-- a 4 KiB page at a 34-bit IOVA, backed by PA 0x5_4000_1000 (bits 34 and 32 set)
local mapped, err = pgtable.map_pages(ops, 0x240001000, 0x540001000, SZ_4K, 1, "rw")
expect.eq(mapped, SZ_4K, "one page mapped")
local walk = pgtable.walk(ops, 0x240001000)
expect.eq(walk[1].index, 0x2400, "IOVA[33:20] indexes the quadrupled level-1 table")
expect.eq(walk[2].pte, 0x40001e62, "PA[31:12] | bit 9 (PA32) | bit 5 (PA34) | nG S TEX=1 | small page")
expect.eq(pgtable.iova_to_phys(ops, 0x240001234), 0x540001234, "iova_to_phys puts the bits back")

-- a 1 MiB section at PA 0x2_0010_0000 (bit 33 → descriptor bit 4)
pgtable.map_pages(ops, 0x100000, 0x200100000, SZ_1M, 1, "rw|cache")
expect.eq(pgtable.walk(ops, 0x100000)[1].pte, 0x000b101e | 0x00100000, "section: PA | NS | nG S TEX=1 | bit 4 (PA33) | C B | section")
expect.eq(pgtable.iova_to_phys(ops, 0x100010), 0x200100010)

-- a 16 MiB supersection is 16 identical replicas
pgtable.map_pages(ops, 0x1000000, 0x401000000, SZ_16M, 1, "r")
local first = pgtable.walk(ops, 0x1000000)[1].pte
for i = 1, 15 do
  expect.eq(pgtable.walk(ops, 0x1000000 + i * SZ_1M)[1].pte, first, ("replica %d equals the first"):format(i))
end
expect.eq(ops.warnings, 0, "no WARN")
report.pagetable(ops)
