-- Schema features carried by Lua functions, through kong.db on a real
-- store: shorthand_fields applied before validation on insert, update and
-- upsert, and the schema-level check function on full validations
-- (kong-schema-dao.md 2.4, 2.5; fixture entity te_shorthands).
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

t.test("the check function refuses with field and entity errors", function()
  local e, err, err_t = dao:insert({ host = "h", note = "forbidden" })
  t.is_nil(e)
  t.eq(err_t.code, 2)
  t.same(err_t.fields, { note = "not this note", ["@entity"] = { "the whole entity is refused" } })
  t.truthy(err:find("the whole entity is refused", 1, true), err)
  t.truthy(dao:insert({ host = "h", note = "fine" }))
end)

t.done()
