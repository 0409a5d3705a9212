local HIGH = 0xffffffff      -- limit_pfn: 44-bit addresses with 4 KiB pages
local LOW33 = 0x1fffff       -- limit_pfn: 33-bit addresses
local d = iova.init_domain(SZ_4K, 0x1ffffe)

local a = iova.alloc(d, 1, HIGH, true)
expect.eq(a, 0xffffffff, "the first 44-bit allocation goes to the top")
local b = iova.alloc(d, 1, LOW33, true)
expect.eq(b, 0x1fffff, "a 33-bit allocation goes below 2^33, and becomes cached_node")
local c = iova.alloc(d, 1, HIGH, true)
expect.eq(c, 0x1ffffe, "the next 44-bit allocation starts from cached_node and lands low")
local e = iova.alloc(d, 1, HIGH, true)
expect.eq(e, 0xfffffffe, "below it lies start_pfn: the retry pass searches above the cached node and lands high again")
local s = iova.state(d)
expect.eq(s.cached_node.lo, 0xfffffffe, "cached_node follows the last allocation")
expect.eq(#iova.dump(d), 4)
