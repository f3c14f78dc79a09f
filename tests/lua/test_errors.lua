-- Kong's error tables as Lua sees them: `nil, err, err_t` with
-- err_t = {code, name, message, strategy, fields|options} and
-- tostring(err_t) == err (kong-schema-dao.md section 4.2, checklist 30-44).
local t = require "t"
local things = kong.db.te_things
local U = "11111111-2222-4333-8444-555555555555"

local alpha = assert(things:insert({ name = "alpha", code = 1 }))

t.test("schema violation: required field", function()
  local err, err_t = t.fails(2, things:insert({}))
  t.eq(err, t.P .. "schema violation (name: required field missing)")
  t.eq(err_t.name, "schema violation")
  t.eq(err_t.strategy, t.STRATEGY)
  t.eq(err_t.message, "schema violation (name: required field missing)")
  t.same(err_t.fields, { name = "required field missing" })
end)

t.test("schema violation: a Lua custom_validator's message", function()
  local _, err_t = t.fails(2, things:insert({ name = "forbidden" }))
  t.same(err_t.fields, { name = "the name 'forbidden' is reserved" })
end)

t.test("schema violation: several fields, sorted", function()
  local _, err_t = t.fails(2, things:insert({ name = "beta", code = 0, color = "pink" }))
  t.eq(err_t.message, "2 schema violations (code: value should be between 1 and 999; "
                      .. "color: expected one of: red, green, blue)")
  t.same(err_t.fields, { code = "value should be between 1 and 999",
                         color = "expected one of: red, green, blue" })
end)

t.test("schema violation: entity checks go to @entity", function()
  local _, err_t = t.fails(2, things:insert({ name = "gamma", low = 1 }))
  t.same(err_t.fields["@entity"], { "all or none of these fields must be set: 'low', 'high'" })
  local _, err_t2 = t.fails(2, things:insert({ name = "gamma", low = 5, high = 1 }))
  t.same(err_t2.fields["@entity"], { "low must not exceed high" })
  t.eq(err_t2.message, "schema violation (low must not exceed high)")
end)

t.test("schema violation: nested record and set element errors", function()
  local _, err_t = t.fails(2, things:insert({ name = "delta", config = { size = "big" } }))
  t.same(err_t.fields, { config = { size = "expected an integer" } })
  t.eq(err_t.message, "schema violation (config.size: expected an integer)")
  local _, err_t2 = t.fails(2, things:insert({ name = "delta", methods = { "GET", 12 } }))
  t.eq(err_t2.fields.methods[2], "expected a string")
end)

t.test("unique violation (code 5)", function()
  local err, err_t = t.fails(5, things:insert({ name = "alpha" }))
  t.eq(err, t.P .. "UNIQUE violation detected on '{name=\"alpha\"}'")
  t.eq(err_t.name, "unique constraint violation")
  t.same(err_t.fields, { name = "alpha" })
  local other = assert(things:insert({ name = "other" }))
  local _, err_t2 = t.fails(5, things:update({ id = other.id }, { code = 1 }))
  t.same(err_t2.fields, { code = 1 })
end)

t.test("invalid primary key (code 1)", function()
  local err, err_t = t.fails(1, things:select({ id = "x" }))
  t.eq(err, t.P .. "invalid primary key: '{id=\"expected a valid UUID\"}'")
  t.eq(err_t.name, "invalid primary key")
  t.same(err_t.fields, { id = "expected a valid UUID" })
end)

t.test("not found on update (code 6)", function()
  local err, err_t = t.fails(6, things:update({ id = U }, { color = "red" }))
  t.eq(err, t.P .. "could not find the entity with primary key '{id=\"" .. U .. "\"}'")
  t.eq(err_t.name, "not found")
  t.same(err_t.fields, { id = U })
  local err2 = t.fails(6, things:update_by_name("nobody", { color = "red" }))
  t.eq(err2, t.P .. "could not find the entity with '{name=\"nobody\"}'")
end)

t.test("invalid unique value (code 10)", function()
  local _, err_t = t.fails(10, things:select_by_name(""))
  t.eq(err_t.name, "invalid unique name")
  t.eq(err_t.message, "length must be at least 1")
end)

t.test("foreign key violation on insert (code 4)", function()
  local err, err_t = t.fails(4, kong.db.te_members:insert({ thing = { id = U }, group = "g" }))
  t.eq(err, t.P .. "the foreign key '{id=\"" .. U
            .. "\"}' does not reference an existing 'te_things' entity.")
  t.eq(err_t.name, "foreign key violation")
  t.same(err_t.fields, { thing = { id = U } })
end)

t.test("foreign key violation on delete: restrict (code 4)", function()
  local thing = assert(things:insert({ name = "locked" }))
  assert(kong.db.te_locks:insert({ thing = { id = thing.id } }))
  local err, err_t = t.fails(4, things:delete({ id = thing.id }))
  t.eq(err, t.P .. "an existing 'te_locks' entity references this 'te_things' entity")
  t.same(err_t.fields, { ["@referenced_by"] = "te_locks" })
end)

t.test("invalid options (code 11)", function()
  local err, err_t = t.fails(11, things:insert({ name = "ttl" }, { ttl = 10 }))
  t.eq(err, t.P .. "invalid option (ttl: cannot be used with 'te_things')")
  t.eq(err_t.name, "invalid options")
  t.same(err_t.options, { ttl = "cannot be used with 'te_things'" })
  t.is_nil(err_t.fields)
  local err2 = t.fails(11, things:page(nil, nil, { pagination = { page_size = 0,
                                                                   max_page_size = 0 } }))
  t.eq(err2, t.P .. "2 option violations (pagination.max_page_size: must be an integer "
             .. "greater than 0; pagination.page_size: must be an integer between 1 and 50000)")
end)

t.test("invalid size (code 9) and invalid offset (code 7)", function()
  local err, err_t = t.fails(9, things:page(5.5))
  t.eq(err, t.P .. "size must be an integer between 1 and 50000")
  t.eq(err_t.name, "invalid size")
  t.fails(9, things:page(0))
  t.fails(9, things:page(50001))
  local err2, err_t2 = t.fails(7, things:page(3, "hello"))
  t.eq(err2, t.P .. "'hello' is not a valid offset: bad base64 encoding")
  t.is_nil(err_t2.fields)
end)

t.test("each with an invalid size or options returns nil, err, err_t", function()
  local err = t.fails(9, things:each(0))
  t.eq(err, t.P .. "size must be an integer between 1 and 50000")
  t.fails(11, things:each(nil, { ttl = 5 }))
end)

t.test("each_for_<f> with an invalid size fails once from the iterator", function()
  local iter = kong.db.te_members:each_for_thing({ id = alpha.id }, 0)
  local v, err, err_t = iter()
  t.eq(v, false)
  t.eq(err, t.P .. "size must be an integer between 1 and 50000")
  t.eq(err_t.code, 9)
  t.is_nil(iter())
end)

t.test("err_t is a plain table with __tostring", function()
  local _, err, err_t = things:insert({})
  t.eq(type(err_t), "table")
  t.eq(tostring(err_t), err)
  t.eq(err_t.code, 2)
  local ok, raised = pcall(error, err_t)
  t.eq(ok, false)
  t.eq(raised, err_t)
end)

t.done()
