-- Return conventions of kong.db.<entity> methods and the programming errors
-- they raise (kong-schema-dao.md sections 4.3, 5.1, 5.2; checklist 29, 43).
local t = require "t"
local null = ngx.null
local things = kong.db.te_things

t.test("generated methods exist", function()
  for _, m in ipairs { "select", "page", "each", "insert", "update", "upsert", "delete",
                       "cache_key", "select_by_cache_key",
                       "select_by_name", "update_by_name", "upsert_by_name", "delete_by_name",
                       "select_by_code", "update_by_code", "upsert_by_code", "delete_by_code" } do
    t.eq(type(things[m]), "function", m)
  end
  t.eq(things.select_by_color, nil, "no select_by for a non-unique field")
  t.eq(type(kong.db.te_members.page_for_thing), "function")
  t.eq(type(kong.db.te_members.each_for_thing), "function")
  t.eq(type(kong.db.te_sessions.select_by_sid), "function", "endpoint_key, not unique")
  t.eq(type(kong.db.keyauth_credentials.page_for_consumer), "function")
  t.eq(type(kong.db.keyauth_credentials.super.select), "function")
end)

t.test("attributes: schema and strategy", function()
  t.eq(things.schema.name, "te_things")
  t.same(things.schema.primary_key, { "id" })
  t.eq(things.schema.endpoint_key, "name")
  t.eq(things.schema.fields.name.type, "string")
  t.eq(things.schema.fields.name.unique, true)
  t.same(things.schema.fields[1], { id = things.schema.fields.id })
  t.eq(kong.db.te_members.schema.fields.thing.reference, "te_things")
  t.same(kong.db.te_members.schema.cache_key, { "thing", "group" })
  t.eq(things.strategy.name, t.STRATEGY)
  t.eq(kong.db.strategy, t.STRATEGY)
  t.eq(kong.db.no_such_entity, nil)
end)

t.test("aliases: kong.dao, dao, kong.singletons", function()
  -- kong.dao and dao are views of kong.db's objects (test_legacy.lua)
  t.eq(rawget(kong.dao.te_things, "__daoc"), kong.db.te_things)
  t.eq(rawget(dao.te_things, "__daoc"), kong.db.te_things)
  local singletons = require "kong.singletons"
  t.eq(singletons.db, kong.db)
  t.eq(singletons.dao, kong.dao)
  t.eq(singletons.dao.te_things.schema, kong.db.te_things.schema)
end)

t.test("programming errors: primary keys, entities, options", function()
  t.raises(function() things:select() end, "primary_key must be a table")
  t.raises(function() things:select("x") end, "primary_key must be a table")
  t.raises(function() things:select({ id = "x" }, "opts") end,
           "options must be a table when specified")
  t.raises(function() things:insert() end, "entity must be a table")
  t.raises(function() things:insert("x") end, "entity must be a table")
  t.raises(function() things:insert({}, "x") end, "options must be a table when specified")
  t.raises(function() things:update(nil, {}) end, "primary_key must be a table")
  t.raises(function() things:update({ id = "x" }, nil) end, "entity must be a table")
  t.raises(function() things:update({ id = "x" }, {}, 1) end,
           "options must be a table when specified")
  t.raises(function() things:upsert(1, {}) end, "primary_key must be a table")
  t.raises(function() things:upsert({ id = "x" }, true) end, "entity must be a table")
  t.raises(function() things:delete("x") end, "primary_key must be a table")
  t.raises(function() things:delete({ id = "x" }, "x") end,
           "options must be a table when specified")
end)

t.test("programming errors: page and each", function()
  t.raises(function() things:page("") end, "size must be a number")
  t.raises(function() things:page(nil, 0) end, "offset must be a string")
  t.raises(function() things:page(nil, nil, "x") end, "options must be a table when specified")
  t.raises(function() things:each("10") end, "size must be a number")
  t.raises(function() things:each(nil, 5) end, "options must be a table when specified")
  local members = kong.db.te_members
  t.raises(function() members:page_for_thing(nil) end, "foreign_key must be a table")
  t.raises(function() members:page_for_thing("x") end, "foreign_key must be a table")
  t.raises(function() members:page_for_thing({ id = "x" }, "5") end, "size must be a number")
  t.raises(function() members:page_for_thing({ id = "x" }, 5, 5) end, "offset must be a string")
  t.raises(function() members:each_for_thing(nil) end, "foreign_key must be a table")
end)

t.test("programming errors: unique values are type-checked", function()
  t.raises(function() things:select_by_name(123) end, "name must be a string")
  t.raises(function() things:select_by_code("1") end, "code must be a number")
  t.raises(function() things:update_by_name(1, {}) end, "name must be a string")
  t.raises(function() things:update_by_name("a", nil) end, "entity must be a table")
  t.raises(function() things:upsert_by_code({}, {}) end, "code must be a number")
  t.raises(function() things:delete_by_name(false) end, "name must be a string")
  t.raises(function() things:select_by_name("a", "x") end,
           "options must be a table when specified")
end)

t.test("programming errors: cache_key", function()
  t.raises(function() things:cache_key() end, "key must be a string or an entity table")
  t.raises(function() things:cache_key(true) end, "key must be a string or an entity table")
  t.raises(function() things:select_by_cache_key("x") end,
           "entity does not have a cache_key defined")
end)

t.test("raised errors carry the caller's position", function()
  local ok, err = pcall(function() things:select() end)
  t.eq(ok, false)
  t.match(err, "^[^:]*test_conventions%.lua:%d+: primary_key must be a table$")
end)

local alpha
t.test("insert returns one fresh entity table", function()
  local e, err, err_t = things:insert({ name = "alpha", code = 1 })
  t.is_nil(err)
  t.is_nil(err_t)
  t.eq(e.name, "alpha")
  t.eq(e.enabled, true)
  t.same(e.config, { size = 10 })
  e.name = "changed locally"
  local again = things:select({ id = e.id })
  t.eq(again.name, "alpha")
  alpha = again
end)

t.test("select of a missing row returns a single nil", function()
  local n = select("#", things:select({ id = "00000000-0000-0000-0000-000000000000" }))
  t.eq(n, 1)
  t.is_nil(things:select({ id = "00000000-0000-0000-0000-000000000000" }))
  t.is_nil(things:select_by_name("nobody"))
end)

t.test("an entity can be passed as primary key", function()
  local e = things:select(alpha)
  t.eq(e.id, alpha.id)
  local u = things:update(alpha, { color = "red" })
  t.eq(u.color, "red")
end)

t.test("delete returns true, also for missing rows", function()
  local e = things:insert({ name = "to-delete" })
  t.eq(things:delete({ id = e.id }), true)
  t.eq(things:delete({ id = e.id }), true)
  t.eq(things:delete_by_name("to-delete"), true)
end)

t.test("page returns rows, nil, nil, offset", function()
  local rows, err, err_t, offset = things:page()
  t.is_nil(err)
  t.is_nil(err_t)
  t.is_nil(offset)
  t.is_table(rows)
  t.eq(#rows, 1)
  t.eq(getmetatable(rows), require("cjson").array_mt)
end)

t.test("an empty page encodes as a JSON array", function()
  local rows = kong.db.te_notes:page()
  t.eq(#rows, 0)
  t.eq(require("cjson").encode(rows), "[]")
end)

t.test("sets answer membership lookups", function()
  local e = things:insert({ name = "setty", methods = { "GET", "POST", "GET" } })
  t.same({ e.methods[1], e.methods[2], e.methods[3] }, { "GET", "POST", nil })
  t.eq(e.methods.GET, true)
  t.eq(e.methods.POST, true)
  t.is_nil(e.methods.PUT)
  local again = things:select_by_name("setty")
  t.eq(again.methods.POST, true)
  for row in things:each() do
    if row.name == "setty" then t.eq(row.methods.GET, true) end
  end
end)

t.test("nulls option keeps null fields", function()
  local e = things:select({ id = alpha.id }, { nulls = true })
  t.eq(e.meta, null)
  t.eq(e.low, null)
  local e2 = things:select({ id = alpha.id })
  t.is_nil(e2.meta)
end)

t.test("kong.log accepts ngx.log-style arguments", function()
  kong.log("a ", 1, " ", nil, " ", true, " ", null)
  kong.log.debug("debug")
  kong.log.info("info")
  kong.log.notice("notice")
  kong.log.warn("warn ", { })
  kong.log.err("err")
end)

t.done()
