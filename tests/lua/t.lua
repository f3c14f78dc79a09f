-- t.lua -- the harness of the Lua suites (tests/lua/test_*.lua), run through
-- `daoc runner`.
--
--   local t = require "t"
--   t.test("name", function() t.eq(1 + 1, 2) end)
--   t.done()                      -- prints "RESULT passed=N failed=M"
--
-- Assertions print both sides on failure and stop the current test:
--   eq(actual, expected)          rawequal-style ==
--   same(actual, expected)        deep equality (tables compared by content)
--   match(str, pattern)           Lua pattern (plain = true with match_plain)
--   raises(fn, msg)               fn must raise msg (the "file:line: " prefix
--                                 of the caller is ignored, as luassert does)
--   truthy(v) / is_nil(v) / is_table(v)
--   fails(code, v, err, err_t)    a failed DAO call with Kong's error code
--   refused(dao, entity, fields[, message])  insert refused (code 2), nothing written
-- count(dao) is the number of rows each() gives; slurp(path) / spit(path, s)
-- read and write a whole file.
-- t.STRATEGY is the store's name and t.P the "[<store>] " prefix of err.
local null = ngx.null

local T = { passed = 0, failed = 0 }

-- The store the suite runs against ("sqlite", "postgres"): error strings
-- carry it as a prefix, so the same suite runs on every store.
T.STRATEGY = kong.db.strategy
T.P = "[" .. T.STRATEGY .. "] "

local function show(v, depth)
  depth = depth or 0
  if v == null then return "null" end
  local tv = type(v)
  if tv == "string" then return string.format("%q", v) end
  if tv ~= "table" then return tostring(v) end
  if depth > 4 then return "{...}" end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if type(a) == type(b) and (type(a) == "number" or type(a) == "string") then return a < b end
    return type(a) < type(b)
  end)
  local parts = {}
  for _, k in ipairs(keys) do
    local ks = type(k) == "string" and k:match("^[%a_][%w_]*$") and k or "[" .. show(k) .. "]"
    parts[#parts + 1] = ks .. "=" .. show(v[k], depth + 1)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end
T.show = show

local function fail(msg, level)
  error({ t_failure = true, msg = msg }, (level or 1) + 2)
end

local function where(level)
  local info = debug.getinfo((level or 1) + 3, "Sl")
  if not info then return "?" end
  return (info.short_src or "?") .. ":" .. (info.currentline or 0)
end

local function report(what, actual, expected, label)
  fail(string.format("%s%s at %s\n  expected: %s\n  actual:   %s",
    label and (label .. ": ") or "", what, where(1), show(expected), show(actual)), 2)
end

function T.eq(actual, expected, label)
  if actual ~= expected then report("values differ", actual, expected, label) end
end

local function deep(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do
    if not deep(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if rawget(a, k) == nil then return false end
  end
  return true
end
T.deep = deep

function T.same(actual, expected, label)
  if not deep(actual, expected) then report("tables differ", actual, expected, label) end
end

function T.match(actual, pattern, label)
  if type(actual) ~= "string" or not actual:find(pattern) then
    report("no match for pattern " .. show(pattern), actual, pattern, label)
  end
end

function T.match_plain(actual, text, label)
  if type(actual) ~= "string" or not actual:find(text, 1, true) then
    report("text not found", actual, text, label)
  end
end

function T.truthy(v, label)
  if not v then report("expected a truthy value", v, true, label) end
end

function T.is_nil(v, label)
  if v ~= nil then report("expected nil", v, nil, label) end
end

function T.is_table(v, label)
  if type(v) ~= "table" then report("expected a table", v, "a table", label) end
end

-- fn must raise exactly `msg` (string errors lose their "file:line: "
-- prefix before comparing).
function T.raises(fn, msg, label)
  local ok, err = pcall(fn)
  if ok then
    report("expected an error", "no error", msg, label)
  end
  if type(err) == "string" then err = err:gsub("^[^\n]-:%d+: ", "", 1) end
  if msg ~= nil and err ~= msg then report("wrong error", err, msg, label) end
  return err
end

-- Asserts a DAO failure: `nil, err, err_t` with err_t.code == code;
-- returns err, err_t.
function T.fails(code, v, err, err_t, label)
  if v ~= nil then report("expected nil (a failure)", v, nil, label) end
  if type(err) ~= "string" then report("expected an error string", err, "a string", label) end
  if type(err_t) ~= "table" then report("expected an err_t table", err_t, "a table", label) end
  if err_t.code ~= code then report("wrong error code", err_t.code, code, label) end
  if tostring(err_t) ~= err then report("tostring(err_t) ~= err", tostring(err_t), err, label) end
  return err, err_t
end

-- A whole file's bytes, and a file written whole (test scratch files).
function T.slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

function T.spit(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

-- The rows of a DAO, counted through each().
function T.count(dao)
  local n = 0
  for row, err in dao:each() do
    assert(row, err)
    n = n + 1
  end
  return n
end

-- An insert refused as a schema violation (code 2) with exactly `fields`
-- and, when given, the message Kong words (err is "[<store>] " .. message),
-- that wrote nothing.
function T.refused(dao, entity, fields, message)
  local before = T.count(dao)
  local err, err_t = T.fails(2, dao:insert(entity))
  T.eq(err_t.name, "schema violation")
  T.same(err_t.fields, fields)
  if message then
    T.eq(err_t.message, message)
    T.eq(err, T.P .. message)
  end
  T.eq(T.count(dao), before, "nothing written")
end

function T.test(name, fn)
  local ok, err = xpcall(fn, function(e)
    if type(e) == "table" and e.t_failure then return e.msg end
    return debug.traceback(tostring(e), 2)
  end)
  if ok then
    T.passed = T.passed + 1
    print("ok - " .. name)
  else
    T.failed = T.failed + 1
    print("FAIL " .. name)
    print("  " .. tostring(err):gsub("\n", "\n  "))
  end
end

function T.done()
  print(string.format("RESULT passed=%d failed=%d", T.passed, T.failed))
end

return T
