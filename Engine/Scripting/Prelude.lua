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

-- values as text --------------------------------------------------------------------------------
-- Lua prints a table, a function, a coroutine or a userdata as its address ("table: 0x7fa4f4002380"),
-- which changes from run to run (ASLR): a report quoting one would never match its snapshot again.
-- tostring, and string.format's %s and %p, print such a value as its kind and a stable number
-- instead, the order in which the scenario first printed it ("table: #1"); a __tostring metamethod
-- still decides for its own values, and a __name keeps its name ("Point: #2").
local tostring_raw, format = tostring, string.format
local find, sub, byte, concat, sort = string.find, string.sub, string.byte, table.concat, table.sort
local mtype, rawget, rawlen, getmetatable = math.type, rawget, rawlen, getmetatable
local addressed = { table = true, ["function"] = true, thread = true, userdata = true }
local ids, last_id = setmetatable({}, { __mode = "k" }), 0
local function stable_id(v)
  local n = ids[v]
  if n == nil then
    last_id = last_id + 1
    n = last_id
    ids[v] = n
  end
  return n
end
local function stable_tostring(...)
  if select("#", ...) == 0 then error("bad argument #1 to 'tostring' (value expected)", 2) end
  local v = ...
  local s = tostring_raw(v)
  if addressed[type(v)] then
    local tail = ": " .. format("%p", v)
    if #s > #tail and sub(s, -#tail) == tail then return sub(s, 1, -#tail - 1) .. ": #" .. stable_id(v) end
  end
  return s
end
_G.tostring, tostring = stable_tostring, stable_tostring
local SPEC = "%%[-+ #0]*%d*%.?%d*(.)"
local gsub = string.gsub
-- The C function runs under pcall: an error it raises is raised again at the script's line, under
-- its own name (a function called from pcall has none).
local function formatted(fmt, ...)
  local ok, s = pcall(format, fmt, ...)
  if ok then return s end
  if type(s) == "string" then s = gsub(s, "^bad argument (#%d+) to '%?'", "bad argument %1 to 'format'") end
  error(s, 3)
end
string.format = function(fmt, ...)
  local n = select("#", ...)
  local rewrite = type(fmt) == "string" and find(fmt, "%%[-+ #0]*%d*%.?%d*p") ~= nil
  if not rewrite then
    for i = 1, n do
      if addressed[type((select(i, ...)))] then rewrite = type(fmt) == "string"; break end
    end
  end
  if not rewrite then
    local s = formatted(fmt, ...)
    return s
  end
  local args = pack(...)
  local out, pos, arg = {}, 1, 0
  while true do
    local s, e, conv = find(fmt, SPEC, pos)
    if s == nil then break end
    if conv ~= "%" then
      arg = arg + 1
      local a = args[arg]
      if conv == "s" and addressed[type(a)] then
        args[arg] = tostring(a)
      elseif conv == "p" and a ~= nil and type(a) ~= "boolean" and type(a) ~= "number" then
        out[#out + 1] = sub(fmt, pos, e - 1) .. "s"
        args[arg] = "#" .. stable_id(a)
        pos = e + 1
        goto continue
      end
    end
    out[#out + 1] = sub(fmt, pos, e)
    pos = e + 1
    ::continue::
  end
  out[#out + 1] = sub(fmt, pos)
  local s = formatted(concat(out), unpack(args, 1, args.n))
  return s
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
-- Values in expectations are printed the same on every run: integers as the report prints them,
-- strings quoted, handles by name, and a table by its contents (the sequence in order, then up to
-- 256 other keys sorted: numbers, then strings byte by byte, then booleans), at most 16 entries a
-- level, 3 levels and about 300 characters; a table met again inside itself, and a function, by
-- their stable names.
local SHOW_ITEMS, SHOW_DEPTH, SHOW_KEYS, SHOW_CHARS, SHOW_SCAN = 16, 3, 256, 300, 4096
local show
local function bytes_lt(a, b)
  local la, lb = #a, #b
  for i = 1, (la < lb) and la or lb do
    local x, y = byte(a, i), byte(b, i)
    if x ~= y then return x < y end
  end
  return la < lb
end
local KEY_RANK = { number = 1, string = 2, boolean = 3 }
local function key_lt(a, b)
  local ra, rb = KEY_RANK[type(a)], KEY_RANK[type(b)]
  if ra ~= rb then return ra < rb end
  if ra == 1 then return a < b end
  if ra == 2 then return bytes_lt(a, b) end
  return a == false and b == true
end
local function contents(t, depth, seen, room)
  if seen[t] or depth > SHOW_DEPTH then return tostring(t) end
  seen[t] = true
  local parts, used = {}, 2
  local function add(text)
    if #parts >= SHOW_ITEMS or used + #text > room then return false end
    parts[#parts + 1] = text
    used = used + #text + 2
    return true
  end
  local len, shown, full = rawlen(t), 0, true
  for i = 1, len do
    if not add(show(rawget(t, i), depth + 1, seen, room - used)) then full = false; break end
    shown = shown + 1
  end
  local keys, others, scanned = {}, 0, 0
  local k = next(t)
  while k ~= nil do
    if not (mtype(k) == "integer" and k >= 1 and k <= len) then
      scanned = scanned + 1
      if scanned > SHOW_SCAN then break end
      if KEY_RANK[type(k)] and #keys < SHOW_KEYS then keys[#keys + 1] = k else others = others + 1 end
    end
    k = next(t, k)
  end
  if others > 0 then
    -- too many keys to sort, or keys that are tables or functions (their order is their addresses')
    others = others + #keys
    keys = {}
  end
  sort(keys, key_lt)
  for _, key in ipairs(keys) do
    if not full then break end
    local name = (type(key) == "string" and find(key, "^[%a_][%w_]*$")) and key or ("[" .. show(key, depth + 1, seen, 60) .. "]")
    if not add(name .. " = " .. show(rawget(t, key), depth + 1, seen, room - used - #name - 3)) then full = false; break end
    shown = shown + 1
  end
  seen[t] = nil
  if scanned > SHOW_SCAN then
    parts[#parts + 1] = ("… and more (over %d keys)"):format(SHOW_SCAN)
  else
    local rest = (len + #keys - shown) + others
    if rest > 0 then parts[#parts + 1] = ("… %d more"):format(rest) end
  end
  return "{" .. concat(parts, ", ") .. "}"
end
show = function(v, depth, seen, room)
  if is_handle[v] then return tostring(v) end
  if mtype(v) == "integer" then
    if v >= 4096 or v < 0 then return format("0x%x", v) end
    return tostring_raw(v)
  end
  if type(v) == "string" then
    if #v > 200 then return ("%q"):format(sub(v, 1, 200)) .. ("… (%d bytes)"):format(#v) end
    return ("%q"):format(v)
  end
  if type(v) == "table" then
    local mt = getmetatable(v)
    -- its own __tostring or __name (or a protected metatable): the script's choice
    if mt ~= nil and (type(mt) ~= "table" or rawget(mt, "__tostring") ~= nil or rawget(mt, "__name") ~= nil) then return tostring(v) end
    return contents(v, depth or 1, seen or {}, room or SHOW_CHARS)
  end
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
  local a, e = show(actual), show(expected)
  if not passed and a == e and type(actual) == "table" and type(expected) == "table" then
    -- equal contents, two tables: eq compares tables by identity (or their __eq)
    a, e = ("%s (%s)"):format(a, tostring(actual)), ("%s (%s), a different table with the same contents"):format(e, tostring(expected))
  end
  return record(passed, msg or ("%s == %s"):format(a, e),
    (not passed) and ("expected %s, got %s"):format(e, a) or nil)
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
