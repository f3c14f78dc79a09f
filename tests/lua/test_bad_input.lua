-- Bad input through kong.db: every kind of wrong value gets Kong's error
-- (code 2 with per-field messages, or the documented code) and writes
-- nothing.  Entities come from the `badinput` fixture plugin, which has one
-- field of every type.  After every rejected call the whole table is read
-- back and compared with the snapshot taken before (kong-schema-dao.md 2.1,
-- 2.3, 4.2, 5.5; checklist 2, 10, 29-31).
local t = require "t"
local null = ngx.null
local items, parents = kong.db.bi_items, kong.db.bi_parents

local MiB = 1024 * 1024
local BIG = string.rep("x", 16 * MiB + 1) -- one byte over the 16 MiB cap
local TOO_LONG = "length must be at most 16777216"
local UTF8 = "invalid utf-8 character sequence detected at position "

local parent = assert(parents:insert({ name = "p1" }))
local keep = assert(items:insert({
  name = "keep", str = "s", int = 7, num = 1.5, bool = true,
  arr = { 1, 2 }, nums = { 0.5 }, set = { "a", "b" }, map = { k = "v" },
  rec = { x = 1, y = "y", sub = { z = true } },
  parent = { id = parent.id }, tags = { "t1" },
}))

local function snapshot()
  local rows, err = items:page()
  assert(rows, err)
  table.sort(rows, function(a, b) return a.id < b.id end)
  return rows
end
local BEFORE = snapshot()
local PARENTS = assert(parents:page())

local function unchanged(label)
  t.same(snapshot(), BEFORE, (label or "") .. ": bi_items changed")
  t.same(assert(parents:page()), PARENTS, (label or "") .. ": bi_parents changed")
end

local function copy(tbl)
  local c = {}
  for k, v in pairs(tbl) do c[k] = v end
  return c
end

local seq = 0
-- insert(patch + a fresh name) must fail with code 2 and exactly `fields`.
local function insert_rejects(patch, fields, label)
  seq = seq + 1
  local e = copy(patch)
  if e.name == nil then e.name = "new-" .. seq end
  local v, err, err_t = items:insert(e)
  t.fails(2, v, err, err_t, label)
  t.same(err_t.fields, fields, label)
  unchanged(label)
  return err_t
end

-- update, update_by_name and upsert of `keep` with the same patch must fail
-- the same way and leave the stored row as it was.
local function writes_reject(patch, fields, label)
  local v, err, err_t = items:update({ id = keep.id }, patch)
  t.fails(2, v, err, err_t, label .. " (update)")
  t.same(err_t.fields, fields, label .. " (update)")
  v, err, err_t = items:update_by_name("keep", patch)
  t.fails(2, v, err, err_t, label .. " (update_by_name)")
  t.same(err_t.fields, fields, label .. " (update_by_name)")
  local full = copy(patch)
  full.name = full.name or "keep"
  v, err, err_t = items:upsert({ id = keep.id }, full)
  t.fails(2, v, err, err_t, label .. " (upsert)")
  t.same(err_t.fields, fields, label .. " (upsert)")
  v, err, err_t = items:upsert_by_name("keep", patch)
  t.fails(2, v, err, err_t, label .. " (upsert_by_name)")
  t.same(err_t.fields, fields, label .. " (upsert_by_name)")
  unchanged(label)
end

-- {label, patch, fields}: every write of the patch is refused with fields.
local CASES = {
  -- wrong types, for every field type
  { "string given a number", { str = 1 }, { str = "expected a string" } },
  { "string given a boolean", { str = true }, { str = "expected a string" } },
  { "string given a table", { str = { "a" } }, { str = "expected a string" } },
  { "integer given a string", { int = "1" }, { int = "expected an integer" } },
  { "integer given a float", { int = 1.5 }, { int = "expected an integer" } },
  { "integer given a boolean", { int = false }, { int = "expected an integer" } },
  { "integer given a table", { int = {} }, { int = "expected an integer" } },
  { "number given a string", { num = "1.5" }, { num = "expected a number" } },
  { "number given a boolean", { num = true }, { num = "expected a number" } },
  { "boolean given a string", { bool = "true" }, { bool = "expected a boolean" } },
  { "boolean given 0", { bool = 0 }, { bool = "expected a boolean" } },
  { "array given a string", { arr = "1,2" }, { arr = "expected an array" } },
  { "array given a map", { arr = { x = 1 } }, { arr = "expected an array" } },
  { "array element of the wrong type", { arr = { 1, "two", 3 } },
    { arr = { [2] = "expected an integer" } } },
  { "set given a string", { set = "a" }, { set = "expected a set" } },
  { "set given a map", { set = { a = true } }, { set = "expected a set" } },
  { "set element of the wrong type", { set = { "a", 2 } }, { set = { [2] = "expected a string" } } },
  { "map given a string", { map = "k=v" }, { map = "expected a map" } },
  { "map given a number", { map = 5 }, { map = "expected a map" } },
  { "map value of the wrong type", { map = { k = 1 } }, { map = "expected a string" } },
  -- Kong iterates a map with pairs(), so a sequence fails on its number key
  -- ("expected a string"); daoc keeps "expected a map" (test_validate.c)
  { "map given a sequence", { map = { "v" } }, { map = "expected a map" } },
  { "map with sparse number keys", { map = { [3] = "v" } }, { map = "expected a string" } },
  { "record given a string", { rec = "x" }, { rec = "expected a record" } },
  { "record given a sequence", { rec = { 1, 2 } }, { rec = "expected a record" } },
  { "record subfield of the wrong type", { rec = { x = "1" } },
    { rec = { x = "expected an integer" } } },
  { "nested record subfield of the wrong type", { rec = { sub = { z = "yes" } } },
    { rec = { sub = { z = "expected a boolean" } } } },
  { "foreign given a string", { parent = "p1" }, { parent = { id = "missing primary key" } } },
  { "foreign given an empty table", { parent = {} }, { parent = { id = "missing primary key" } } },
  { "foreign id of the wrong type", { parent = { id = 5 } }, { parent = { id = "expected a string" } } },
  { "tags given a string", { tags = "t1" }, { tags = "expected a set" } },
  -- unknown fields
  { "unknown field", { bogus = 1 }, { bogus = "unknown field" } },
  { "unknown field set to null", { bogus = null }, { bogus = "unknown field" } },
  { "unknown field in a record", { rec = { q = 1 } }, { rec = { q = "unknown field" } } },
  -- invalid UUIDs
  { "foreign id not a UUID", { parent = { id = "not-a-uuid" } },
    { parent = { id = "expected a valid UUID" } } },
  { "foreign id with a bad character", { parent = { id = "11111111-2222-4333-8444-55555555555g" } },
    { parent = { id = "expected a valid UUID" } } },
  -- invalid UTF-8
  { "string with a truncated sequence", { str = "ab\192" }, { str = UTF8 .. "3" } },
  { "string with an encoded surrogate", { str = "\237\160\128" }, { str = UTF8 .. "1" } },
  { "string with an overlong encoding", { str = "\192\175" }, { str = UTF8 .. "1" } },
  { "string above U+10FFFF", { str = "\244\144\128\128" }, { str = UTF8 .. "1" } },
  { "string with a NUL then a bad byte", { str = "ok\0\255" }, { str = UTF8 .. "4" } },
  { "set element", { set = { "ok", "\255" } }, { set = { [2] = UTF8 .. "1" } } },
  { "map key", { map = { ["k\255"] = "v" } }, { map = UTF8 .. "2" } },
  { "map value", { map = { k = "\128" } }, { map = UTF8 .. "1" } },
  { "record subfield", { rec = { y = "\255" } }, { rec = { y = UTF8 .. "1" } } },
  { "tag", { tags = { "ok", "\255" } }, { tags = { [2] = UTF8 .. "1" } } },
  -- numbers out of range, NaN and infinities
  { "integer 2^63", { int = 2 ^ 63 }, { int = "expected an integer" } },
  { "integer -2^64", { int = -2 ^ 64 }, { int = "expected an integer" } },
  { "integer 1e300", { int = 1e300 }, { int = "expected an integer" } },
  { "integer +inf", { int = 1 / 0 }, { int = "expected an integer" } },
  { "integer -inf", { int = -1 / 0 }, { int = "expected an integer" } },
  { "integer NaN", { int = 0 / 0 }, { int = "expected an integer" } },
  { "number NaN", { num = 0 / 0 }, { num = "expected a number" } },
  { "integer element +inf", { arr = { 1 / 0 } }, { arr = { "expected an integer" } } },
  { "number element NaN", { nums = { 1, 0 / 0 } }, { nums = { [2] = "expected a number" } } },
  -- elements, map values and record fields are stored as JSON: no infinity
  { "number element +inf", { nums = { 1 / 0 } }, { nums = { "expected a finite number" } } },
  { "number element -inf", { nums = { 2, -1 / 0 } }, { nums = { [2] = "expected a finite number" } } },
  { "record integer 2^63", { rec = { x = 2 ^ 63 } }, { rec = { x = "expected an integer" } } },
  -- strings over the 16 MiB cap
  { "huge string", { str = BIG }, { str = TOO_LONG } },
  { "huge set element", { set = { "a", BIG } }, { set = { [2] = TOO_LONG } } },
  { "huge map key", { map = { [BIG] = "v" } }, { map = TOO_LONG } },
  { "huge map value", { map = { k = BIG } }, { map = TOO_LONG } },
  { "huge record subfield", { rec = { y = BIG } }, { rec = { y = TOO_LONG } } },
  -- Lua tables that are not what the field needs
  { "array mixing sequence and hash parts", { arr = { 1, 2, x = 3 } }, { arr = "expected an array" } },
  { "sparse array (hole)", { arr = { 1, nil, 3 } }, { arr = "expected an array" } },
  { "sparse array (keys 1 and 3)", { arr = { [1] = 1, [3] = 3 } }, { arr = "expected an array" } },
  { "sparse set", { set = { [2] = "a" } }, { set = "expected a set" } },
  { "nesting deeper than the record", { rec = { sub = { z = true, w = { { { {} } } } } } },
    { rec = { sub = { w = "unknown field" } } } },
  -- functions as values
  { "function as a string", { str = print }, { str = "expected a string" } },
  { "function as an array element", { arr = { function() end } },
    { arr = { "expected an integer" } } },
  { "function as a map value", { map = { k = print } }, { map = "expected a string" } },
  { "function as a record", { rec = print }, { rec = "expected a record" } },
}

for _, c in ipairs(CASES) do
  t.test("insert refuses: " .. c[1], function() insert_rejects(c[2], c[3], c[1]) end)
end
for _, c in ipairs(CASES) do
  if c[2].bogus == nil then -- unknown fields are covered below for updates
    t.test("update/upsert refuse: " .. c[1], function() writes_reject(c[2], c[3], c[1]) end)
  end
end

t.test("unknown fields in updates and upserts", function()
  writes_reject({ bogus = 1 }, { bogus = "unknown field" }, "unknown field")
end)

t.test("messages: one violation, several sorted, nested paths", function()
  local err_t = insert_rejects({ int = "x" }, { int = "expected an integer" })
  t.eq(err_t.message, "schema violation (int: expected an integer)")
  err_t = insert_rejects({ zz = 1, aa = 2, int = 0 / 0 },
    { zz = "unknown field", aa = "unknown field", int = "expected an integer" })
  t.eq(err_t.message, "3 schema violations (aa: unknown field; int: expected an integer; "
                      .. "zz: unknown field)")
  err_t = insert_rejects({ rec = { sub = { z = 1 } } }, { rec = { sub = { z = "expected a boolean" } } })
  -- kong/db/errors.lua renders a table two levels deep with pl_pretty(value):
  -- Penlight's multi-line default, not the one-line pretty.write(t, "")
  t.eq(err_t.message, "schema violation (rec.sub: {\n  z = \"expected a boolean\"\n})")
  err_t = insert_rejects({ str = "a\255" }, { str = UTF8 .. "2" })
  t.eq(err_t.message, "schema violation (str: " .. UTF8 .. "2)")
end)

t.test("invalid primary keys: insert is code 2, keyed calls code 1", function()
  insert_rejects({ id = "nope" }, { id = "expected a valid UUID" })
  insert_rejects({ id = "" }, { id = "expected a valid UUID" })
  insert_rejects({ id = 5 }, { id = "expected a string" })
  insert_rejects({ id = "\255" }, { id = UTF8 .. "1" })
  local v, err, err_t = items:select({ id = "nope" })
  t.fails(1, v, err, err_t)
  t.same(err_t.fields, { id = "expected a valid UUID" })
  v, err, err_t = items:select({ id = 5 })
  t.fails(1, v, err, err_t)
  t.eq(err, t.P .. "invalid primary key: '{id=\"expected a string\"}'")
  v, err, err_t = items:update({ id = "nope" }, { int = 1 })
  t.fails(1, v, err, err_t)
  v, err, err_t = items:upsert({ id = "nope" }, { name = "x" })
  t.fails(1, v, err, err_t)
  v, err, err_t = items:delete({ id = "\255" })
  t.fails(1, v, err, err_t)
  t.same(err_t.fields, { id = UTF8 .. "1" })
  v, err, err_t = items:select_by_name("\255")
  t.fails(10, v, err, err_t)
  t.eq(err_t.message, UTF8 .. "1")
  unchanged("primary keys")
end)

t.test("a mixed table as the entity: its number keys are unknown fields", function()
  local v, err, err_t = items:insert({ "a", name = "mixed" })
  t.fails(2, v, err, err_t)
  t.eq(err_t.message, "schema violation (1: unknown field)")
  t.eq(err_t.fields[1] or err_t.fields["1"], "unknown field")
  unchanged("mixed entity")
end)

t.test("a sequence as the entity: each index is an unknown field, nothing written", function()
  local v, err, err_t = items:insert({ "a", "b" })
  t.fails(2, v, err, err_t)
  t.eq(err_t.fields[1] or err_t.fields["1"], "unknown field")
  t.eq(err_t.fields[2] or err_t.fields["2"], "unknown field")
  t.match_plain(err_t.message, "1: unknown field; 2: unknown field")
  unchanged("sequence entity")
end)

t.test("non-table entities and keys raise Kong's programming errors", function()
  t.raises(function() items:insert("x") end, "entity must be a table")
  t.raises(function() items:update({ id = keep.id }, 5) end, "entity must be a table")
  t.raises(function() items:select("x") end, "primary_key must be a table")
  t.raises(function() items:insert({ name = "o" }, "x") end, "options must be a table when specified")
  unchanged("programming errors")
end)

-- Values daoc cannot represent (coroutines, userdata, cycles, nesting
-- deeper than 100).  Kong answers code 2 with the field's type error; until
-- kong.db converts its arguments with daoc__lua_to_input (reported), the
-- call raises "bad argument #N: <why>".  Both forms are checked exactly, and
-- either way nothing is written.
local function refuses_opaque(patch, fields, why, label)
  local e = copy(patch)
  e.name = e.name or "opaque"
  local ok, v, err, err_t = pcall(items.insert, items, e)
  if ok then
    t.fails(2, v, err, err_t, label)
    t.same(err_t.fields, fields, label)
  else
    t.eq((tostring(v):gsub("^[^\n]-:%d+: ", "", 1)), "bad argument #1: " .. why, label)
  end
  ok, v, err, err_t = pcall(items.update, items, { id = keep.id }, patch)
  if ok then
    t.fails(2, v, err, err_t, label .. " (update)")
    t.same(err_t.fields, fields, label .. " (update)")
  else
    t.eq((tostring(v):gsub("^[^\n]-:%d+: ", "", 1)), "bad argument #2: " .. why, label)
  end
  unchanged(label)
end

t.test("coroutines and userdata as values", function()
  refuses_opaque({ str = coroutine.create(print) }, { str = "expected a string" },
    "coroutines cannot be converted", "coroutine")
  refuses_opaque({ str = io.stdout }, { str = "expected a string" },
    "userdata cannot be converted", "file userdata")
  refuses_opaque({ map = { k = newproxy() } }, { map = "expected a string" },
    "userdata cannot be converted", "userdata in a map")
  refuses_opaque({ arr = { 1, coroutine.create(print) } }, { arr = { [2] = "expected an integer" } },
    "coroutines cannot be converted", "coroutine in an array")
end)

t.test("tables with cycles", function()
  local cyc = {}
  cyc.sub = cyc
  refuses_opaque({ rec = cyc }, { rec = { sub = "expected a record" } },
    "table contains a cycle", "record containing itself")
  local m = {}
  m.k = m
  refuses_opaque({ map = m }, { map = "expected a string" }, "table contains a cycle", "map cycle")
end)

t.test("tables nested deeper than 100", function()
  local deep = {}
  local cur = deep
  for _ = 1, 200 do cur.sub = {}; cur = cur.sub end
  refuses_opaque({ rec = deep }, { rec = { sub = { sub = "unknown field" } } },
    "table nesting deeper than 100", "deep record")
end)

t.test("accepted edge values are stored exactly (then removed)", function()
  local function roundtrip(patch, check)
    seq = seq + 1
    local e = copy(patch)
    e.name = "edge-" .. seq
    local row, err = items:insert(e)
    t.truthy(row, err)
    local back = assert(items:select({ id = row.id }))
    check(back)
    assert(items:delete({ id = row.id }))
  end
  roundtrip({ num = 1 / 0 }, function(r) t.eq(r.num, 1 / 0) end)
  roundtrip({ num = -1 / 0 }, function(r) t.eq(r.num, -1 / 0) end)
  -- 2^53 + 1 is 2^53 as a Lua number; it is an integer and stays one
  roundtrip({ int = 2 ^ 53 + 1 }, function(r) t.eq(r.int, 2 ^ 53) end)
  roundtrip({ int = 2 ^ 62 }, function(r) t.eq(r.int, 2 ^ 62) end)
  roundtrip({ int = -2 ^ 63 }, function(r) t.eq(r.int, -2 ^ 63) end)
  -- PostgreSQL text cannot hold NUL: both stores refuse (code 8), write nothing
  for _, v in ipairs({ { str = "a\0b" }, { map = { k = "a\0" } }, { map = { ["k\0"] = "v" } } }) do
    v.name = "edge-nul"
    local row, err, err_t = items:insert(v)
    t.is_nil(row)
    t.eq(err_t.code, 8)
    t.match_plain(err, "cannot store a string containing a NUL byte (bi_items.")
    t.is_nil(items:select_by_name("edge-nul"))
  end
  -- and a key holding one matches nothing
  t.is_nil(items:select_by_name("edge\0nul"))
  t.eq(items:delete_by_name("edge\0nul"), true)
  roundtrip({ map = {} }, function(r) t.same(r.map, {}) end)
  unchanged("edge values")
end)

t.test("page sizes: code 9 for anything but an integer in 1..50000", function()
  for _, size in ipairs({ 0, -1, 1.5, 50001, 2 ^ 63, -2 ^ 63, 1 / 0, -1 / 0, 0 / 0 }) do
    local rows, err, err_t = items:page(size)
    t.fails(9, rows, err, err_t, "size " .. tostring(size))
    t.eq(err_t.message, "size must be an integer between 1 and 50000")
  end
  local it, err, err_t = items:each(0)
  t.fails(9, it, err, err_t, "each(0)")
  t.raises(function() items:page("10") end, "size must be a number")
  local rows, err2, err_t2 = items:page(nil, nil, { pagination = { page_size = 0 } })
  t.fails(11, rows, err2, err_t2)
  t.eq(err_t2.message, "invalid option (pagination.page_size: must be an integer between 1 and 50000)")
end)

t.test("offsets: non-strings raise, bad tokens are code 7", function()
  t.raises(function() items:page(10, 5) end, "offset must be a string")
  t.raises(function() items:page(10, {}) end, "offset must be a string")
  t.raises(function() items:page(10, true) end, "offset must be a string")
  local function bad(offset, why)
    local rows, err, err_t = items:page(10, offset)
    t.fails(7, rows, err, err_t, why)
    t.eq(err_t.message, "'" .. offset .. "' is not a valid offset: " .. why)
    t.is_nil(err_t.fields)
  end
  bad("!!!", "bad base64 encoding")
  bad(string.rep("!", MiB), "bad base64 encoding")
  bad("", "bad json encoding")
  bad(ngx.encode_base64("hello"), "bad json encoding")
  bad(ngx.encode_base64('{"a":1}'), "bad json encoding")
  bad(ngx.encode_base64("[1,2,3]"), "bad json encoding")
  bad(ngx.encode_base64(string.rep("[", 100000)), "bad json encoding")
  unchanged("offsets")
end)

t.test("bad options write nothing", function()
  local v, err, err_t = items:insert({ name = "opt" }, { ttl = 10 })
  t.fails(11, v, err, err_t)
  t.eq(err_t.message, "invalid option (ttl: cannot be used with 'bi_items')")
  unchanged("options")
end)

t.test("the stored row is intact after everything", function()
  t.same(assert(items:select({ id = keep.id })), keep)
  t.eq(#snapshot(), 1)
end)

t.done()
