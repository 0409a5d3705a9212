-- The scenario library as scripts see it (docs/lua-api.md). Installed once per state, before the script.
-- Raw host functions (__se_*) are captured here and removed from the globals: they never raise;
-- misuse comes back as (false, message) and is raised at the caller's line by `ret`, simulated
-- outcomes come back as values (v) or (nil, errno, why). The API's wrappers are generated from the
-- host's API table (ApiLua.Write) and inserted below; this file holds the plumbing they use, the
-- expect library (written in Lua), and the sandbox's replacements of standard functions. Handles are
-- empty proxy tables bound to their objects on the host side, so scripts can neither forge nor
-- mutate them.
local raw = {}
for k, v in next, _G do
  if type(k) == "string" and k:sub(1, 5) == "__se_" then raw[k:sub(6)] = v end
end
for k in next, raw do _G["__se_" .. k] = nil end

local pack, unpack, select, type, error, tostring = table.pack, table.unpack, select, type, error, tostring
local setmetatable, next, rawequal, ipairs = setmetatable, next, rawequal, ipairs
local OOPS = "\1oops:"

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
-- One proxy per object, bound on the host side to (kind, id); the host resolves every handle argument
-- by the proxy's identity, so a wrapper passes handles through unchanged.
local is_handle = setmetatable({}, { __mode = "k" })   -- handle -> its kind
local cache = { device = {}, group = {}, domain = {}, iommu = {}, iovad = {}, pgtable = {} }
local mts = {}
local bind, name_of = raw.bind, raw.name

local function handle(kind, id)
  if id == nil then return nil end
  local h = cache[kind][id]
  if h == nil then
    h = setmetatable({}, mts[kind])
    is_handle[h] = kind
    bind(h, kind, id)
    cache[kind][id] = h
  end
  return h
end

local function list_of(kind, idlist)
  local out = {}
  for i, id in ipairs(idlist) do out[i] = handle(kind, id) end
  return out
end

-- The API's shape, returned at the end of this chunk: the host keeps it in the registry and never
-- reads it; the annotation tests (tests/Engine.Tests/LuaAnnotationsTests.cs) compare it with
-- lua/types/scenario.lua, and check what each function returns through it (`handles` gives a handle's kind).
local shape = { objects = {}, libraries = {}, handles = is_handle }

-- A name a script asked for and the API lacks: the nearest names by edit distance, for the message
-- ("did you mean" when the nearest is within max(2, #name / 3) edits, as the YAML loader's hints).
local function distance(a, b)
  local prev, cur = {}, {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    cur[0] = i
    local ai = a:byte(i)
    for j = 1, #b do
      local cost = ai == b:byte(j) and 0 or 1
      local v = prev[j] + 1
      if cur[j - 1] + 1 < v then v = cur[j - 1] + 1 end
      if prev[j - 1] + cost < v then v = prev[j - 1] + cost end
      cur[j] = v
    end
    prev, cur = cur, prev
  end
  return prev[#b]
end
local sort, concat, min, max = table.sort, table.concat, math.min, math.max
local function unknown(what, key, ...)
  local name = tostring(key):sub(1, 64)
  local scored = {}
  for i = 1, select("#", ...) do
    for k in next, (select(i, ...)) do
      if type(k) == "string" then scored[#scored + 1] = { k, distance(name, k) } end
    end
  end
  sort(scored, function(x, y) if x[2] ~= y[2] then return x[2] < y[2] end return x[1] < y[1] end)
  local near = {}
  for i = 1, min(3, #scored) do near[i] = scored[i][1] end
  if #near == 0 then return ("%s '%s'"):format(what, name) end
  if scored[1][2] <= max(2, #name // 3) then
    return ("%s '%s'; did you mean '%s'?%s"):format(what, name, near[1],
      #near > 1 and (" (also near: %s)"):format(concat(near, ", ", 2)) or "")
  end
  return ("%s '%s' (nearest: %s)"):format(what, name, concat(near, ", "))
end

local fields, methods = {}, {}
for kind in next, cache do fields[kind], methods[kind] = {}, {} end
local soc_fields, soc_fns = {}, {}
iommu, mem, sim, dma, iova, pgtable, report = {}, {}, {}, {}, {}, {}, {}

-- @api: the wrappers generated from the API table go here

for kind, fs in next, fields do
  local ms = methods[kind]
  shape.objects[kind] = { fields = fs, methods = ms }
  mts[kind] = {
    __index = function(t, k)
      local m = ms[k]
      if m ~= nil then return m end
      local f = fs[k]
      if f == nil then error(unknown(("%s %s has no field"):format(kind, tostring(t)), k, fs, ms), 2) end
      return f(t)
    end,
    __newindex = function(t, k) error(("%s %s is read-only (field '%s')"):format(kind, tostring(t), tostring(k)), 2) end,
    __tostring = name_of,
    __metatable = false,
  }
end

do
  local mt = { __index = function(_, k)
      local f = soc_fields[k]
      if f ~= nil then return f() end
      f = soc_fns[k]
      if f == nil then error(unknown("soc has no function or field", k, soc_fns, soc_fields), 2) end
      return f
    end,
    __newindex = function() error("soc is read-only", 2) end, __metatable = false }
  soc = setmetatable({}, mt)
end

-- expect ----------------------------------------------------------------------------------------
local function show(v)
  if is_handle[v] then return tostring(v) end
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

shape.objects.soc = { fields = soc_fields, methods = {} }
for _, lib in ipairs({ "soc", "iommu", "mem", "sim", "dma", "iova", "expect", "pgtable", "report" }) do
  shape.libraries[lib] = lib == "soc" and soc_fns or _G[lib]
end
-- A library's missing name is an error at the script's line naming the nearest ones, instead of
-- "attempt to call a nil value (field 'domain_aloc')". A script may still add its own functions.
for _, lib in ipairs({ "iommu", "mem", "sim", "dma", "iova", "expect", "pgtable", "report" }) do
  local t = _G[lib]
  setmetatable(t, { __index = function(_, k) error(unknown(lib .. " has no function", k, t), 2) end, __metatable = false })
end
return shape
