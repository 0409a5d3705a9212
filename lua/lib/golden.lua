-- Replays a golden iova.c sequence (lua/golden/*.lua, generated from golden/iova.json) through the
-- engine's iova module and checks each result against what the kernel's own code returned.
-- dma_map/dma_unmap ops follow dma-iommu.c's rounding on the bare allocator (no page table):
-- iova_off = phys & (granule - 1); len = align(size + iova_off) >> shift; limit = min_not_zero(mask,
-- bus limit), capped at the aperture end when forced; PCI tries the 32-bit space first.
local M = {}

local function same(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  if #a ~= #b then return false end
  for i = 1, #a do if not same(a[i], b[i]) then return false end end
  return true
end

local function pairs_of(dump)
  local out = {}
  for i, r in ipairs(dump) do out[i] = { r.lo, r.hi } end
  return out
end

local function node(n) if n == "anchor" then return n end return { n.lo, n.hi } end

function M.run(name, ops)
  local d, shift, granule, pci32 = nil, 12, 4096, true
  local checked, bad = 0, {}
  local function check(i, op, got, want)
    checked = checked + 1
    if not same(got, want) then bad[#bad + 1] = ("op %d (%s): got %s, kernel %s"):format(i, op.op, tostring(got), tostring(want)) end
  end
  for i, op in ipairs(ops) do
    local k = op.op
    if k == "init" then
      d, granule, pci32 = iova.init_domain(op.granule, op.start_pfn), op.granule, true
      shift = 0
      while (1 << shift) < granule do shift = shift + 1 end
    elseif k == "init_rcaches" then
      check(i, op, 0, op.want)
    elseif k == "alloc_iova" then
      local got = iova.alloc(d, op.size, op.limit_pfn, op.size_aligned)
      check(i, op, got or -1, op.want)
    elseif k == "alloc_iova_fast" then
      check(i, op, iova.alloc_fast(d, op.size, op.limit_pfn, op.flush_rcache), op.want)
    elseif k == "free_iova" then
      iova.free(d, op.pfn)
    elseif k == "free_iova_fast" then
      iova.free_fast(d, op.pfn, op.size)
    elseif k == "reserve_iova" then
      local r = iova.reserve(d, op.pfn_lo, op.pfn_hi)
      check(i, op, r and { r.lo, r.hi } or nil, op.want)
    elseif k == "dump" then
      check(i, op, pairs_of(iova.dump(d)), op.want)
    elseif k == "state" then
      local s = iova.state(d)
      check(i, op, same(node(s.cached_node), op.want.cached_node) and same(node(s.cached32_node), op.want.cached32_node)
        and s.max32_alloc_size == op.want.max32_alloc_size and s.dma_32bit_pfn == op.want.dma_32bit_pfn, true)
    elseif k == "dma_map" then
      local off = op.phys & (granule - 1)
      local size = (op.size + off + granule - 1) & ~(granule - 1)
      local limit = op.dma_mask
      if op.bus_dma_limit ~= 0 and (limit == 0 or op.bus_dma_limit < limit) then limit = op.bus_dma_limit end
      if op.force_aperture and op.aperture_end < limit then limit = op.aperture_end end
      local len, pfn = size >> shift, 0
      if op.is_pci and pci32 and limit > 0xffffffff then
        pfn = iova.alloc_fast(d, len, 0xffffffff >> shift, false)
        if pfn == 0 then pci32 = false end
      end
      if pfn == 0 then pfn = iova.alloc_fast(d, len, limit >> shift, true) end
      local got = pfn == 0 and "DMA_MAPPING_ERROR" or ("0x%x"):format((pfn << shift) + off)
      check(i, op, got, op.want)
    elseif k == "dma_unmap" then
      local off = op.handle & (granule - 1)
      local size = (op.size + off + granule - 1) & ~(granule - 1)
      iova.free_fast(d, (op.handle - off) >> shift, size >> shift)
    else
      error("unknown golden op " .. tostring(k))
    end
  end
  for j = 1, math.min(#bad, 10) do report.note(bad[j]) end
  expect.eq(#bad, 0, ("%s: all %d checked results equal the kernel's iova.c"):format(name, checked))
end

return M
