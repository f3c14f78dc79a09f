-- Schema features carried by Lua functions, through kong.db on a real
-- store: shorthand_fields applied before validation on insert, update and
-- upsert, the schema-level check function on full validations, and
-- transformations on write and read (kong-schema-dao.md 2.4-2.6; fixture
-- entities te_shorthands and te_transforms), and maps given non-string
-- keys (te_things.meta).
local t = require "t"
local dao = kong.db.te_shorthands

t.test("a shorthand's func fills the real fields on insert", function()
  local e, err = dao:insert({ url = "http://example.org:8080/x" })
  t.is_nil(err)
  t.eq(e.host, "example.org")
  t.eq(e.port, 8080)
  t.is_nil(e.url)
  local again = dao:select({ id = e.id })
  t.eq(again.host, "example.org")
end)

t.test("a shorthand value of the wrong type is a schema violation", function()
  local e, err, err_t = dao:insert({ url = 42 })
  t.is_nil(e)
  t.eq(err_t.code, 2)
  t.same(err_t.fields, { url = "expected a string" })
  t.eq(err, t.P .. "schema violation (url: expected a string)")
end)

t.test("shorthands apply to update and upsert too", function()
  local e = assert(dao:insert({ host = "a" }))
  local u = assert(dao:update({ id = e.id }, { url = "http://b.example:81" }))
  t.eq(u.host, "b.example")
  t.eq(u.port, 81)
  local v = assert(dao:upsert({ id = e.id }, { url = "http://c.example" }))
  t.eq(v.host, "c.example")
  t.eq(v.port, 80)
end)

t.test("a deprecated shorthand fills what is absent and is echoed back", function()
  local e = assert(dao:insert({ old_host = "legacy" }))
  t.eq(e.host, "legacy")
  t.eq(e.old_host, "legacy")
  t.eq(dao:select({ id = e.id }).old_host, "legacy")
  local _, _, err_t = dao:insert({ old_host = "a", host = "b" })
  t.same(err_t.fields, { old_host = "both deprecated and new field are used but their values "
                                    .. "mismatch: old_host = a vs host = b" })
  -- an entity read back can be written back unchanged
  local back = dao:select({ id = e.id })
  back.id = nil
  t.truthy(dao:update({ id = e.id }, back))
end)

t.test("the check function refuses with field and entity errors", function()
  local e, err, err_t = dao:insert({ host = "h", note = "forbidden" })
  t.is_nil(e)
  t.eq(err_t.code, 2)
  t.same(err_t.fields, { note = "not this note", ["@entity"] = { "the whole entity is refused" } })
  t.truthy(err:find("the whole entity is refused", 1, true), err)
  t.truthy(dao:insert({ host = "h", note = "fine" }))
end)

local tr = kong.db.te_transforms

t.test("on_write runs with input and needs after validation, on_read on the way out", function()
  local e, err = tr:insert({ secret = "s", salt = "x", label = "ab" })
  t.is_nil(err)
  t.eq(e.secret, "h:x:s")
  t.eq(e.label, "AB")
  local raw = tr:select({ id = e.id }, { transform = false })
  t.eq(raw.label, "ab")
  t.eq(raw.secret, "h:x:s")
end)

t.test("input and needs are mutually required", function()
  local e, err, err_t = tr:insert({ secret = "s" })
  t.is_nil(e)
  t.eq(err_t.code, 2)
  t.same(err_t.fields, { ["@entity"] = { "all or none of these fields must be set: 'secret', 'salt'" } })
  t.truthy(err:find("all or none", 1, true), err)
end)

t.test("nil, err from on_write is a transformation error", function()
  local e, err, err_t = tr:insert({ secret = "bad", salt = "x" })
  t.is_nil(e)
  t.eq(err_t.code, 15)
  t.eq(err_t.name, "transformation error")
  t.eq(err_t.message, "transformation failed: refused")
  t.eq(err, t.P .. "transformation failed: refused")
end)

t.test("update runs on_write only when the caller gives the input", function()
  local e = assert(tr:insert({ secret = "s", salt = "x" }))
  local u = assert(tr:update({ id = e.id }, { label = "z" }))
  t.eq(u.secret, "h:x:s")
  u = assert(tr:update({ id = e.id }, { secret = "t", salt = "x" }))
  t.eq(u.secret, "h:x:t")
  -- as in Kong: the caller's input lacks a needs value the stored row has
  local _, _, err_t = tr:update({ id = e.id }, { secret = "t" })
  t.eq(err_t.code, 2)
  t.same(err_t.fields, { ["@entity"] = { "all or none of these fields must be set: 'secret', 'salt'" } })
  local n = assert(tr:insert({ secret = "plain", salt = "x" }, { transform = false }))
  t.eq(n.secret, "plain")
end)

t.test("a map given a non-string key says so as Kong does", function()
  local things = kong.db.te_things
  for i, m in ipairs({ { [true] = "v" }, { a = "x", [5] = "v" }, { [1.5] = "v" },
                       { [{}] = "v" }, { [3] = "v" } }) do
    local e, err, err_t = things:insert({ name = "map-key-" .. i, meta = m })
    t.is_nil(e)
    t.eq(err_t.code, 2)
    t.same(err_t.fields, { meta = "expected a string" })
    t.eq(err, t.P .. "schema violation (meta: expected a string)")
  end
  things:delete_by_name("map-key-ok") -- a server's database may hold an earlier run's row
  t.truthy(things:insert({ name = "map-key-ok", meta = { a = "x" } }))
end)

t.done()
