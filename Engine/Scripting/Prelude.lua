-- The scenario library as scripts see it (docs/lua-api.md). Installed once per state, before the script.
-- Raw host functions (__se_*) are captured here and removed from the globals: they never raise;
-- misuse comes back as (false, message) and is raised at the caller's line by `check`, simulated
-- outcomes come back as values (v) or (nil, errno, why). Handles are empty proxy tables whose ids
-- live in a private weak table, so scripts can neither forge nor mutate them.
local raw = {}
for k, v in next, _G do
  if type(k) == "string" and k:sub(1, 5) == "__se_" then raw[k:sub(6)] = v end
end
for k in next, raw do _G["__se_" .. k] = nil end

local pack, unpack, select, type, error, tostring = table.pack, table.unpack, select, type, error, tostring
local setmetatable, next, rawequal, ipairs = setmetatable, next, rawequal, ipairs
local OOPS = "\1oops:"

local function check(r)
  if not r[1] then
    if r[3] == "oops" then error(OOPS .. r[2], 0) end
    if r[3] == "raw" then error(r[2], 0) end
    error(r[2], 3)
  end
  return unpack(r, 2, r.n)
end

-- The allocation-free form for API functions that end in `return ret(raw.x(...))`: a tail call, so
-- level 2 is the script's line. (Raw functions return at most three values after the flag.)
local function ret(ok, a, b, c)
  if not ok then
    if b == "oops" then error(OOPS .. a, 0) end
    if b == "raw" then error(a, 0) end
    error(a, 2)
  end
  return a, b, c
end

-- handles ---------------------------------------------------------------------------------------
local ids = setmetatable({}, { __mode = "k" })
-- per-kind id maps for the hot paths: one lookup, no kind check
local domain_ids = setmetatable({}, { __mode = "k" })
local cache = { device = {}, group = {}, domain = {}, iommu = {}, iovad = {}, pgtable = {} }
local mts = {}

local function handle(kind, id)
  if id == nil then return nil end
  local h = cache[kind][id]
  if h == nil then
    h = setmetatable({}, mts[kind])
    ids[h] = { kind = kind, id = id }
    if kind == "domain" then
      domain_ids[h] = id
      raw.bind_domain(h, id) -- iommu.map resolves the handle on the host side
    end
    cache[kind][id] = h
  end
  return h
end

local function describe(v)
  local h = ids[v]
  if h then return h.kind .. " " .. tostring(v) end
  return type(v)
end

local function id_of(kind, v, n, fname)
  local h = ids[v]
  if h == nil or h.kind ~= kind then
    error(("bad argument #%d to '%s' (%s expected, got %s)"):format(n, fname, kind, describe(v)), 3)
  end
  return h.id
end

-- The API's shape, returned at the end of this chunk: the host ignores it, the annotation test
-- (tests/Engine.Tests/LuaAnnotationsTests.cs) compares it with lua/types/scenario.lua.
local shape = { objects = {}, libraries = {} }

local function define(kind, fields, methods)
  shape.objects[kind] = { fields = fields, methods = methods }
  mts[kind] = {
    __index = function(t, k)
      local m = methods[k]
      if m ~= nil then return m end
      local f = fields[k]
      if f == nil then error(("%s %s has no field '%s'"):format(kind, tostring(t), tostring(k)), 2) end
      return f(ids[t].id)
    end,
    __newindex = function(t, k) error(("%s %s is read-only (field '%s')"):format(kind, tostring(t), tostring(k)), 2) end,
    __tostring = function(t) return raw.name(kind, ids[t].id) end,
    __metatable = false,
  }
end

local function list_of(kind, idlist)
  local out = {}
  for i, id in ipairs(idlist) do out[i] = handle(kind, id) end
  return out
end

-- devices ---------------------------------------------------------------------------------------
local dev_methods = {}
function dev_methods.read(dev, iova, size)
  return ret(raw.dev_access(id_of("device", dev, 1, "read"), iova, size, false, "read"))
end
function dev_methods.write(dev, iova, size)
  return ret(raw.dev_access(id_of("device", dev, 1, "write"), iova, size, true, "write"))
end
function dev_methods.boot_firmware(dev)
  return ret(raw.dev_boot(id_of("device", dev, 1, "boot_firmware")))
end
function dev_methods.stream(dev, iova, size, opts)
  return ret(raw.dev_stream(id_of("device", dev, 1, "stream"), iova, size, opts))
end
define("device", {
  name = function(id) return raw.name("device", id) end,
  group = function(id) return handle("group", raw.dev_group(id)) end,
  iommu = function(id) return handle("iommu", raw.dev_iommu(id)) end,
  bank = function(id) return raw.dev_bank(id) end,
  region = function(id) return raw.dev_region(id) end,
  dma_mask = function(id) return raw.dev_dma_mask(id) end,
  firmware = function(id) return raw.dev_firmware(id) end,
}, dev_methods)

define("group", {
  name = function(id) return raw.name("group", id) end,
  devices = function(id) return list_of("device", raw.grp_devices(id)) end,
  domain = function(id) return handle("domain", raw.grp_domain(id)) end,
  default_domain = function(id) return handle("domain", raw.grp_default(id)) end,
  owner_cnt = function(id) return raw.grp_owner_cnt(id) end,
}, {})

define("domain", {
  name = function(id) return raw.name("domain", id) end,
  type = function(id) return (raw.dom_info(id)) end,
  pgsize_bitmap = function(id) return select(2, raw.dom_info(id)) end,
  aperture = function(id)
    local _, _, s, l = raw.dom_info(id)
    if s == nil then return nil end
    return { start = s, last = l }
  end,
}, {
  mappings = function(d) return ret(raw.dom_mappings(id_of("domain", d, 1, "mappings"))) end,
})

define("iommu", {
  name = function(id) return raw.name("iommu", id) end,
  driver = function(id) return raw.iommu_info(id).driver end,
  type = function(id) return raw.iommu_info(id).type end,
  pgtable = function(id) return raw.iommu_info(id).pgtable end,
  ias = function(id) return raw.iommu_info(id).ias end,
  oas = function(id) return raw.iommu_info(id).oas end,
  banks = function(id) return raw.iommu_info(id).banks end,
  regions = function(id) return raw.iommu_info(id).regions end,
}, {})

-- soc -------------------------------------------------------------------------------------------
local soc_fns = {}
function soc_fns.device(name) return handle("device", check(pack(raw.dev_find(name)))) end
function soc_fns.devices() return list_of("device", raw.all("device")) end
function soc_fns.iommu(name) return handle("iommu", check(pack(raw.iommu_find(name)))) end
function soc_fns.groups() return list_of("group", raw.all("group")) end
function soc_fns.reserved(name) return ret(raw.reserved(name)) end
do
  local mt = { __index = function(_, k)
      if k == "name" then return (raw.soc_name()) end
      if k == "description" then return select(2, raw.soc_name()) end
      return soc_fns[k]
    end,
    __newindex = function() error("soc is read-only", 2) end, __metatable = false }
  soc = setmetatable({}, mt)
end

-- iommu -----------------------------------------------------------------------------------------
local function dom(v, n, f) return id_of("domain", v, n, f) end
local function dev(v, n, f) return id_of("device", v, n, f) end
local function grp(v, n, f) return id_of("group", v, n, f) end
local function with_domain(r)
  if r[1] and r[2] ~= nil then r[2] = handle("domain", r[2]) end
  return r
end

local raw_map, raw_unmap = raw.map, raw.unmap
iommu = {
  domain_alloc = function(d, t) return check(with_domain(pack(raw.domain_alloc(dev(d, 1, "domain_alloc"), t)))) end,
  domain_free = function(d) return ret(raw.domain_free(dom(d, 1, "domain_free"))) end,
  attach_device = function(d, v) return ret(raw.attach_device(dom(d, 1, "attach_device"), dev(v, 2, "attach_device"))) end,
  detach_device = function(d, v) return ret(raw.detach_device(dom(d, 1, "detach_device"), dev(v, 2, "detach_device"))) end,
  attach_group = function(d, g) return ret(raw.attach_group(dom(d, 1, "attach_group"), grp(g, 2, "attach_group"))) end,
  detach_group = function(d, g) return ret(raw.detach_group(dom(d, 1, "detach_group"), grp(g, 2, "detach_group"))) end,
  group_claim_dma_owner = function(g) return ret(raw.claim(grp(g, 1, "group_claim_dma_owner"))) end,
  group_release_dma_owner = function(g) return ret(raw.release(grp(g, 1, "group_release_dma_owner"))) end,
  get_domain_for_dev = function(v) return handle("domain", check(pack(raw.get_domain_for_dev(dev(v, 1, "get_domain_for_dev"))))) end,
  -- the hot pair: success returns without a second Lua call; anything else goes through ret
  map = function(d, iova, pa, size, prot)
    local ok, a, b, c = raw_map(d, iova, pa, size, prot)
    if ok then return a, b, c end
    if b == "handle" then dom(d, 1, "map") end -- not a domain handle: raises at the caller's line
    return ret(ok, a, b, c)
  end,
  unmap = function(d, iova, size)
    local id = domain_ids[d]
    if id == nil then id = dom(d, 1, "unmap") end
    local ok, a, b, c = raw_unmap(id, iova, size, false)
    if ok then return a, b, c end
    return ret(ok, a, b, c)
  end,
  unmap_fast = function(d, iova, size) return ret(raw.unmap(dom(d, 1, "unmap_fast"), iova, size, true)) end,
  iotlb_sync = function(d) return ret(raw.iotlb_sync(dom(d, 1, "iotlb_sync"))) end,
  flush_iotlb_all = function(d) return ret(raw.flush_iotlb_all(dom(d, 1, "flush_iotlb_all"))) end,
  iova_to_phys = function(d, iova) return ret(raw.iova_to_phys(dom(d, 1, "iova_to_phys"), iova)) end,
  get_resv_regions = function(v) return ret(raw.get_resv_regions(dev(v, 1, "get_resv_regions"))) end,
  walk = function(d, iova) return ret(raw.walk(dom(d, 1, "walk"), iova)) end,
  set_fault_handler = function(d, fn)
    local id = dom(d, 1, "set_fault_handler")
    if type(fn) ~= "function" then error(("bad argument #2 to 'set_fault_handler' (function expected, got %s)"):format(type(fn)), 2) end
    -- the host keeps this closure and calls it from the fault path with raw ids
    local function call(domid, iommuid, iova, write)
      local r = fn(handle("domain", domid), handle("iommu", iommuid), iova, write)
      if math.type(r) ~= "integer" then error("a fault handler must return an integer (0 handled, -ENOSYS not)", 2) end
      return r
    end
    return ret(raw.set_fault_handler(id, call))
  end,
}

-- mem, sim --------------------------------------------------------------------------------------
mem = {
  alloc = function(size, align) return ret(raw.mem_alloc(size, align)) end,
  free = function(pa, size) return ret(raw.mem_free(pa, size)) end,
  carveout = function(name) return ret(raw.mem_carveout(name)) end,
}
sim = {
  events = function() return ret(raw.sim_events()) end,
  -- (events carry the fault registers when a driver's interrupt handler read them)
  advance = function(ms) return ret(raw.sim_advance(ms)) end,
}

-- dma -------------------------------------------------------------------------------------------
dma = {
  set_mask = function(d, bits, which) return ret(raw.dma_set_mask(dev(d, 1, "set_mask"), bits, which)) end,
  alloc_coherent = function(d, size) return ret(raw.dma_alloc_coherent(dev(d, 1, "alloc_coherent"), size)) end,
  free_coherent = function(d, size, iova) return ret(raw.dma_free_coherent(dev(d, 1, "free_coherent"), size, iova)) end,
  map_single = function(d, pa, size, dir) return ret(raw.dma_map_single(dev(d, 1, "map_single"), pa, size, dir)) end,
  unmap_single = function(d, iova, size, dir) return ret(raw.dma_unmap_single(dev(d, 1, "unmap_single"), iova, size, dir)) end,
  map_sg = function(d, sg, dir) return ret(raw.dma_map_sg(dev(d, 1, "map_sg"), sg, dir)) end,
}

-- iova ------------------------------------------------------------------------------------------
define("iovad", { name = function(id) return raw.name("iovad", id) end }, {})
local function iovad(v, n, f) return id_of("iovad", v, n, f) end
iova = {
  init_domain = function(granule, start_pfn) return handle("iovad", check(pack(raw.iova_init(granule, start_pfn)))) end,
  alloc = function(d, size, limit_pfn, size_aligned) return ret(raw.iova_alloc(iovad(d, 1, "alloc"), size, limit_pfn, size_aligned)) end,
  free = function(d, pfn) return ret(raw.iova_free(iovad(d, 1, "free"), pfn)) end,
  reserve = function(d, lo, hi) return ret(raw.iova_reserve(iovad(d, 1, "reserve"), lo, hi)) end,
  alloc_fast = function(d, size, limit_pfn, flush) return ret(raw.iova_alloc_fast(iovad(d, 1, "alloc_fast"), size, limit_pfn, flush)) end,
  free_fast = function(d, pfn, size) return ret(raw.iova_free_fast(iovad(d, 1, "free_fast"), pfn, size)) end,
  find = function(d, pfn) return ret(raw.iova_find(iovad(d, 1, "find"), pfn)) end,
  flush_cpu_rcache = function(d) return ret(raw.iova_flush(iovad(d, 1, "flush_cpu_rcache"), false)) end,
  flush_global_rcache = function(d) return ret(raw.iova_flush(iovad(d, 1, "flush_global_rcache"), true)) end,
  dump = function(d) return ret(raw.iova_dump(iovad(d, 1, "dump"))) end,
  state = function(d) return ret(raw.iova_state(iovad(d, 1, "state"))) end,
}

-- expect ----------------------------------------------------------------------------------------
local function show(v)
  if ids[v] then return tostring(v) end
  if math.type(v) == "integer" then
    if v >= 4096 or v < 0 then return ("0x%x"):format(v) end
    return tostring(v)
  end
  if type(v) == "string" then return ("%q"):format(v) end
  return tostring(v)
end

local function window_of(w)
  if type(w) ~= "table" then return nil end
  if w.iova and w.size then return w.iova, w.iova + w.size - 1 end
  if w.base and w.size then return w.base, w.base + w.size - 1 end
  if w.start and w.last then return w.start, w.last end
  if w.start and w.size then return w.start, w.start + w.size - 1 end
  return nil
end

local function record(passed, text, detail)
  raw.expect(passed and true or false, text, detail)
  return passed
end

expect = {}
function expect.ok(v, msg, ...)
  if v == nil and select("#", ...) > 0 and type(msg) == "string" then
    local why = ...
    return record(false, "ok", ("failed: %s%s"):format(msg, why and (" — " .. tostring(why)) or ""))
  end
  return record(v ~= nil and v ~= false, msg or "ok", (v == nil or v == false) and ("got " .. show(v)) or nil)
end
function expect.eq(actual, expected, msg)
  local passed = rawequal(actual, expected) or actual == expected
  return record(passed, msg or ("%s == %s"):format(show(actual), show(expected)),
    (not passed) and ("expected %s, got %s"):format(show(expected), show(actual)) or nil)
end
function expect.errno(err, name, msg)
  if type(name) ~= "string" then error("bad argument #2 to 'errno' (errno name expected, e.g. \"EINVAL\")", 2) end
  local passed = err == name
  return record(passed, msg or ("fails with %s"):format(name),
    (not passed) and (err == nil and "the call succeeded" or ("got " .. tostring(err))) or nil)
end
local function span_check(addr, size, window, msg, want_inside, fname)
  local lo, hi = window_of(window)
  if lo == nil then error(("bad argument #3 to '%s' (window table {iova, size}, {base, size} or {start, last} expected)"):format(fname), 3) end
  if math.type(size) ~= "integer" or size < 1 then error(("bad argument #2 to '%s' (size expected)"):format(fname), 3) end
  local text = msg or ("[%s, +%s) %s [%s, %s]"):format(show(addr), show(size), want_inside and "inside" or "outside", show(lo), show(hi))
  if math.type(addr) ~= "integer" then return record(false, text, "address is " .. show(addr)) end
  local last = addr + size - 1
  local inside = addr >= lo and last <= hi
  local overlap = addr <= hi and last >= lo
  local passed
  if want_inside then passed = inside else passed = not overlap end
  return record(passed, text, (not passed) and ("[%s, %s] vs [%s, %s]"):format(show(addr), show(last), show(lo), show(hi)) or nil)
end
function expect.inside(addr, size, window, msg) return span_check(addr, size, window, msg, true, "inside") end
function expect.outside(addr, size, window, msg) return span_check(addr, size, window, msg, false, "outside") end
function expect.fault(result, fault, msg)
  local passed = result == nil and type(fault) == "table" and fault.kind ~= nil
  return record(passed, msg or "faults",
    (not passed) and ("no fault: the access returned " .. show(result)) or nil)
end

-- pgtable ---------------------------------------------------------------------------------------
define("pgtable", {
  name = function(id) return raw.name("pgtable", id) end,
  cfg = function(id) return raw.pgtable_info(id).cfg end,
  warnings = function(id) return raw.pgtable_info(id).warnings end,
  format = function(id) return raw.pgtable_info(id).format end,
  ttbr = function(id) return raw.pgtable_info(id).ttbr end,
}, {})
local function ops(v, n, f) return id_of("pgtable", v, n, f) end
pgtable = {
  alloc = function(fmt, cfg)
    local r = pack(raw.pgtable_alloc(fmt, cfg))
    if r[1] and r[2] ~= nil then r[2] = handle("pgtable", r[2]) end
    return check(r)
  end,
  map_pages = function(o, iova, pa, pgsize, pgcount, prot) return ret(raw.pgtable_map(ops(o, 1, "map_pages"), iova, pa, pgsize, pgcount, prot)) end,
  unmap_pages = function(o, iova, pgsize, pgcount) return ret(raw.pgtable_unmap(ops(o, 1, "unmap_pages"), iova, pgsize, pgcount)) end,
  iova_to_phys = function(o, iova) return ret(raw.pgtable_iova_to_phys(ops(o, 1, "iova_to_phys"), iova)) end,
  walk = function(o, iova) return ret(raw.pgtable_walk(ops(o, 1, "walk"), iova)) end,
}

-- report ----------------------------------------------------------------------------------------
report = {
  note = function(text) return ret(raw.report_note(text)) end,
  section = function(title) return ret(raw.report_section(title)) end,
  mappings = function(d) return ret(raw.report_mappings(dom(d, 1, "mappings"))) end,
  pagetable = function(d, iova, size)
    local h = ids[d]
    if h and h.kind == "pgtable" then return ret(raw.pgtable_report(h.id, iova, size)) end
    return ret(raw.report_pagetable(dom(d, 1, "pagetable"), iova, size))
  end,
}

-- require, load, setmetatable -------------------------------------------------------------------
local load_raw = load
local loaded = {}
local loading = {}
function require(name)
  if type(name) ~= "string" then error("bad argument #1 to 'require' (string expected)", 2) end
  if loaded[name] ~= nil then return loaded[name] end
  if loading[name] then error(("require: module '%s' requires itself"):format(name), 2) end
  local ok, src, chunk = raw.read_module(name)
  if not ok then error(src, 2) end
  local f, err = load_raw(src, chunk, "t")
  if not f then error(err, 0) end
  loading[name] = true
  local v = f(name)
  loading[name] = nil
  if v == nil then v = true end
  loaded[name] = v
  return v
end
function load(chunk, chunkname, mode, env)
  if type(chunk) ~= "string" then return nil, "load: only text chunks given as strings are allowed in scenarios" end
  if mode ~= nil and mode ~= "t" then return nil, "load: only text mode ('t') is allowed in scenarios" end
  -- A chunk name is printed in errors and reports: keep it short and printable, and never let it
  -- pose as a file of the tree ("=name" shows as given, so prefix it).
  if chunkname ~= nil then
    chunkname = "=load:" .. tostring(chunkname):gsub("^[=@]", ""):gsub("[%c\127-\255]", "?"):sub(1, 60)
  else
    chunkname = "=load"
  end
  if env == nil then return load_raw(chunk, chunkname, "t") end
  return load_raw(chunk, chunkname, "t", env)
end
local setmetatable_raw = setmetatable
_G.setmetatable = function(t, mt)
  -- checked here so that no message names this wrapper's locals
  if type(t) ~= "table" then error(("bad argument #1 to 'setmetatable' (table expected, got %s)"):format(type(t)), 2) end
  if mt ~= nil and type(mt) ~= "table" then error(("bad argument #2 to 'setmetatable' (nil or table expected, got %s)"):format(type(mt)), 2) end
  if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
    error("setmetatable: __gc finalisers are not allowed in scenarios", 2)
  end
  return setmetatable_raw(t, mt)
end

-- Standard functions that loop inside C, where the instruction hook cannot count, pay for their
-- iterations first (an empty string.rep of 2^60 copies would otherwise run for years).
local mtype = math.type
local charge = raw.charge
local function pay(n, fname)
  if charge and n > 0 and not charge(n) then error(("%s: instruction budget exceeded (%.0f iterations asked)"):format(fname, n), 3) end
end
local function span(i, j) if mtype(i) and mtype(j) and j >= i then return j - i + 1 end return 0 end
local function want(v, n, fname, what, ok)
  if not ok then error(("bad argument #%d to '%s' (%s expected, got %s)"):format(n, fname, what, type(v)), 3) end
end
local rep_raw, move_raw, concat_raw, unpack_raw = string.rep, table.move, table.concat, table.unpack
-- The wrappers check their arguments with the standard messages, and an error raised inside the C
-- function is raised again at the script's line, never here. (A memory error stays a memory error:
-- the budget is spent and the hook stops the script.)
local function located(f, ...)
  local r = pack(pcall(f, ...))
  if not r[1] then error(r[2], 3) end
  return unpack(r, 2, r.n)
end
-- string.rep's copies are bounded by the memory budget (it sizes the result first), except when
-- the result is empty: then the loop copies nothing, however long it runs.
string.rep = function(s, n, sep)
  want(s, 1, "rep", "string", type(s) == "string" or type(s) == "number")
  want(n, 2, "rep", "number", mtype(n) ~= nil)
  if #tostring(s) == 0 and (sep == nil or sep == "") then return "" end
  return located(rep_raw, s, n, sep)
end
table.move = function(a1, f, e, t, a2)
  want(a1, 1, "move", "table", type(a1) == "table")
  want(f, 2, "move", "number", mtype(f) ~= nil)
  want(e, 3, "move", "number", mtype(e) ~= nil)
  pay(span(f, e), "table.move")
  if a2 == nil then return located(move_raw, a1, f, e, t) end
  return located(move_raw, a1, f, e, t, a2)
end
table.concat = function(list, sep, i, j)
  want(list, 1, "concat", "table", type(list) == "table")
  pay(span(i or 1, j or #list), "table.concat")
  return located(concat_raw, list, sep, i, j)
end
table.unpack = function(list, i, j)
  want(list, 1, "unpack", "table", type(list) == "table")
  pay(span(i or 1, j or #list), "table.unpack")
  return located(unpack_raw, list, i, j)
end

-- constants -------------------------------------------------------------------------------------
SZ_4K, SZ_64K, SZ_1M, SZ_2M, SZ_16M, SZ_1G = 0x1000, 0x10000, 0x100000, 0x200000, 0x1000000, 0x40000000
KiB, MiB, GiB = 1024, 1024 * 1024, 1024 * 1024 * 1024

shape.objects.soc = { fields = { name = true, description = true }, methods = {} }
for _, lib in ipairs({ "soc", "iommu", "mem", "sim", "dma", "iova", "expect", "pgtable", "report" }) do
  shape.libraries[lib] = lib == "soc" and soc_fns or _G[lib]
end
return shape
