-- TTL, tags, on_delete, cache keys, unique and endpoint-key methods, and the
-- legacy (Kong 1.1) entity through kong.dao (kong-schema-dao.md 5.4-5.7,
-- 6.3; checklist 28, 44, 48, 49).
local t = require "t"
local null = ngx.null
local things, sessions = kong.db.te_things, kong.db.te_sessions

local function wait_seconds(n)
  local stop = os.time() + n
  while os.time() < stop do end
end

t.test("ttl: the remaining seconds come back as `ttl`", function()
  local s, err = sessions:insert({ sid = "s1", data = "x" }, { ttl = 100 })
  t.is_nil(err)
  t.truthy(s.ttl >= 98 and s.ttl <= 100, "ttl " .. tostring(s.ttl))
  local again = sessions:select({ id = s.id })
  t.truthy(again.ttl >= 98 and again.ttl <= 100)
  local forever = sessions:insert({ sid = "s2" })
  t.is_nil(forever.ttl)
  t.eq(sessions:select({ id = forever.id }, { nulls = true }).ttl, null)
end)

t.test("ttl: invalid values are option violations", function()
  local _, _, err_t = sessions:insert({ sid = "s3" }, { ttl = -1 })
  t.eq(err_t.code, 11)
  t.same(err_t.options, { ttl = "must be an integer between 0 and 100000000" })
end)

t.test("ttl: expired rows disappear unless skip_ttl", function()
  local s = assert(sessions:insert({ sid = "short", token = "short-token" }, { ttl = 1 }))
  wait_seconds(2)
  t.is_nil(sessions:select({ id = s.id }))
  t.is_nil(sessions:select_by_token("short-token"))
  t.eq(sessions:select_by_token("short-token", { skip_ttl = true }).id, s.id)
  for row in sessions:each() do t.truthy(row.id ~= s.id, "expired row listed") end
  t.eq(sessions:delete_by_token("short-token", { skip_ttl = true }), true)
  t.is_nil(sessions:select({ id = s.id }, { skip_ttl = true }))
end)

t.test("endpoint_key without unique: select_by_sid", function()
  local s = sessions:select_by_sid("s2")
  t.eq(s.sid, "s2")
end)

t.test("unique fields: update_by / upsert_by / delete_by", function()
  local a = assert(things:insert({ name = "u-alpha", code = 10 }))
  local u = things:update_by_name("u-alpha", { color = "green" })
  t.eq(u.id, a.id)
  t.eq(u.color, "green")
  local v = things:upsert_by_code(10, { name = "u-alpha-2" })
  t.eq(v.code, 10)
  t.eq(v.name, "u-alpha-2")
  t.is_nil(v.color, "upsert replaces the whole entity")
  local w = things:upsert_by_name("u-new", { code = 11 })
  t.eq(w.name, "u-new")
  t.eq(things:select_by_code(11).id, w.id)
  t.eq(things:delete_by_code(11), true)
  t.is_nil(things:select_by_name("u-new"))
end)

t.test("updates merge records and keep other fields", function()
  local a = assert(things:insert({ name = "merge", config = { label = "l" }, meta = { k = "v" } }))
  t.same(a.config, { size = 10, label = "l" })
  local b = things:update({ id = a.id }, { config = { size = 20 } })
  t.same(b.config, { size = 20, label = "l" })
  t.same(b.meta, { k = "v" })
  local c = things:update({ id = a.id }, { meta = null })
  t.is_nil(c.meta)
end)

t.test("on_delete = cascade removes children", function()
  local p = assert(things:insert({ name = "cascade-parent" }))
  assert(kong.db.te_members:insert({ thing = { id = p.id }, group = "g1" }))
  assert(kong.db.te_members:insert({ thing = { id = p.id }, group = "g2" }))
  t.eq(#kong.db.te_members:page_for_thing({ id = p.id }), 2)
  t.eq(things:delete({ id = p.id }), true)
  t.eq(#kong.db.te_members:page_for_thing({ id = p.id }), 0)
end)

t.test("on_delete = null detaches children", function()
  local p = assert(things:insert({ name = "null-parent" }))
  local n = assert(kong.db.te_notes:insert({ thing = { id = p.id }, body = "b" }))
  t.eq(things:delete({ id = p.id }), true)
  local again = kong.db.te_notes:select({ id = n.id })
  t.is_nil(again.thing)
  t.eq(kong.db.te_notes:select({ id = n.id }, { nulls = true }).thing, null)
end)

t.test("cache_key: string arguments", function()
  local kc = kong.db.keyauth_credentials
  t.eq(kc:cache_key("secret"), "keyauth_credentials:secret:::::")
  t.eq(kc:cache_key("a", "b", nil, 4), "keyauth_credentials:a:b::4::")
  t.eq(kc:cache_key("a", nil, nil, nil, nil, "ws"), "keyauth_credentials:a:::::ws")
end)

t.test("cache_key: entity tables use the cache_key fields", function()
  local id = "6d7e5c8b-4d2a-4b8e-9a3f-0c1d2e3f4a5b"
  t.eq(kong.db.te_members:cache_key({ thing = { id = id }, group = "g" }),
       "te_members:" .. id .. ":g::::")
  t.eq(kong.db.keyauth_credentials:cache_key({ key = "k", id = id }),
       "keyauth_credentials:k:::::")
  t.eq(kong.db.te_members:cache_key({ group = "g", thing = null }), "te_members::g::::")
end)

t.test("select_by_cache_key: single field and composite", function()
  local s = assert(sessions:insert({ sid = "ck", token = "tok-1" }))
  t.eq(sessions:select_by_cache_key({ token = "tok-1" }).id, s.id)
  local p = assert(things:insert({ name = "ck-parent" }))
  local m = assert(kong.db.te_members:insert({ thing = { id = p.id }, group = "ops" }))
  local key = kong.db.te_members:cache_key({ thing = { id = p.id }, group = "ops" })
  local found, err = kong.db.te_members:select_by_cache_key(key)
  t.is_nil(err)
  t.eq(found and found.id, m.id)
end)

t.test("composite cache_key is unique", function()
  local p = assert(things:insert({ name = "ck-unique" }))
  assert(kong.db.te_members:insert({ thing = { id = p.id }, group = "same" }))
  local _, _, err_t = kong.db.te_members:insert({ thing = { id = p.id }, group = "same" })
  t.eq(err_t and err_t.code, 5)
end)

t.test("tags are stored and returned as sets", function()
  local a = assert(things:insert({ name = "tagged", tags = { "x", "y", "x" } }))
  t.same({ a.tags[1], a.tags[2], a.tags[3] }, { "x", "y", nil })
  t.eq(a.tags.y, true)
  local _, _, err_t = things:insert({ name = "badtag", tags = { "a,b" } })
  t.eq(err_t.code, 2)
end)

t.test("legacy 1.1 entity through kong.dao", function()
  local consumer = assert(kong.db.consumers:insert({ username = "legacy-user" }))
  local cred, err = kong.dao.legacy_credentials:insert({
    consumer_id = consumer.id,
    key = "abcd"
  })
  t.is_nil(err)
  t.match(cred.id, "^%x+%-")
  t.eq(type(cred.created_at), "number")
  t.eq(cred.consumer_id, consumer.id)
  t.eq(kong.dao.legacy_credentials:find({ id = cred.id }).key, "abcd")
  t.eq(kong.dao.legacy_credentials:select_by_key("abcd").id, cred.id)
  local upd = kong.dao.legacy_credentials:update({ key = "efgh" }, { id = cred.id })
  t.eq(upd.key, "efgh")
  -- kong.dao speaks Kong 0.14's DAO: rows and kong/dao/errors.lua objects
  local _, ierr = kong.dao.legacy_credentials:insert({ key = "no-consumer" })
  t.eq(ierr.schema, true)
  t.same(ierr.err_t.fields, { consumer = "required field missing" })
  t.eq(ierr.tbl.consumer_id, "consumer_id is required")
  local _, uerr = kong.dao.legacy_credentials:update({ created_at = 1 }, { id = cred.id })
  t.eq(uerr.err_t.code, 2)
  t.eq(kong.dao.legacy_credentials:delete({ id = cred.id }).key, "efgh")
  t.is_nil(kong.dao.legacy_credentials:find({ id = cred.id }))
end)

t.test("legacy singletons access (Kong 0.13-1.x)", function()
  local singletons = require "kong.singletons"
  local consumers_dao = singletons.dao.consumers
  local c, err = consumers_dao:insert({ custom_id = "cid-1" })
  t.is_nil(err)
  t.eq(singletons.db.consumers:select({ id = c.id }).custom_id, "cid-1")
end)

t.test("custom DAO module: new methods and overrides with self.super", function()
  local counters = kong.db.te_counters
  local row = counters:insert({ bucket = "custom", period = 1 })
  t.eq(row.inserted_through_custom_dao, true)
  t.eq(row.value, 0)
  t.eq(counters:increment("custom", 1).value, 1)
  t.eq(counters:increment("custom", 1, 5).value, 6)
  t.eq(counters:increment("custom", 2).value, 1)
  t.is_nil(counters.super.insert(counters, { bucket = "custom", period = 3 })
           .inserted_through_custom_dao)
end)

t.test("the 0.5 `dao` global", function()
  local dao_factory = dao
  local consumers_dao = dao_factory.consumers
  t.eq(rawget(consumers_dao, "__daoc"), kong.db.consumers)
  t.eq(type(consumers_dao.find_by_keys), "function")
end)

t.test("workspaces: a default one, names unique per workspace, scoped reads", function()
  local def = kong.db.workspaces:select_by_name("default")
  t.eq(def.id, kong.default_workspace)
  local ws = assert(kong.db.workspaces:insert({ name = "lua-team" }))
  local mine = assert(kong.db.consumers:insert({ username = "ws-user" }))
  local theirs = assert(kong.db.consumers:insert({ username = "ws-user" }, { workspace = "lua-team" }))
  t.truthy(mine.id ~= theirs.id)
  t.is_nil(mine.ws_id)
  t.eq(kong.db.consumers:select_by_username("ws-user").id, mine.id)
  t.eq(kong.db.consumers:select_by_username("ws-user", { workspace = ws.id }).id, theirs.id)
  t.is_nil(kong.db.consumers:select({ id = theirs.id }))
  t.eq(kong.db.consumers:select({ id = theirs.id }, { workspace = ngx.null, show_ws_id = true }).ws_id,
       ws.id)
  local _, err, err_t = kong.db.consumers:insert({ username = "x" },
                                                  { workspace = "00000000-0000-4000-8000-000000000001" })
  t.eq(err_t.code, 17)
  t.match_plain(err, "invalid workspace '00000000-0000-4000-8000-000000000001'")
  local _, _, del_t = kong.db.workspaces:delete({ id = ws.id })
  t.eq(del_t.code, 4)
  assert(kong.db.consumers:delete({ id = theirs.id }, { workspace = ws.id }))
  assert(kong.db.consumers:delete({ id = mine.id }))
  t.eq(kong.db.workspaces:delete({ id = ws.id }), true)
end)

t.done()
