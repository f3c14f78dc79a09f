-- The legacy access paths and their return conventions (issue 9 item 2):
-- Kong 0.5's `dao` global and BaseDao children (fixture legacy-v05, core
-- entity apis), Kong 0.8-0.14's kong.dao / singletons.dao (fixture
-- legacy-v14), and that every path reaches the one DAO of each entity.
local t = require "t"
local null = ngx.null
local singletons = require "kong.singletons"
local UUID = "^%x+%-%x+%-%x+%-%x+%-%x+$"
local MISSING = "00000000-0000-4000-8000-000000000042"

---------------------------------------------------------------------------
-- Kong 0.5
---------------------------------------------------------------------------
local api
t.test("0.5: seed 000's dao.apis:insert runs as written", function()
  local inserted_api, err = dao.apis:insert({
    name = "mockbin",
    upstream_url = "http://mockbin.com",
    request_host = "mockbin.com"
  })
  t.is_nil(err)
  t.match(inserted_api.id, UUID)
  t.eq(type(inserted_api.created_at), "number")
  t.eq(inserted_api.request_host, "mockbin.com")
  t.eq(inserted_api.strip_request_path, false)
  t.eq(inserted_api.preserve_host, false)
  api = inserted_api
end)

t.test("0.5: apis checks and DaoError objects", function()
  local r, err = dao.apis:insert({ name = "nohost", upstream_url = "http://x.org" })
  t.is_nil(r)
  t.eq(err.is_dao_error, true)
  t.eq(err.schema, true)
  t.eq(type(err.message), "table")
  local _, err2 = dao.apis:insert({ name = "badurl", upstream_url = "not a url",
                                    request_path = "/x" })
  t.eq(err2.schema, true)
  t.truthy(err2.message.upstream_url, "upstream_url named")
  local _, err3 = dao.apis:insert({ name = "mockbin", upstream_url = "http://x.org",
                                    request_host = "other.com" })
  t.eq(err3.unique, true)
  t.eq(err3.message.name, "name already exists with value 'mockbin'")
  t.eq(tostring(err3), "name=name already exists with value 'mockbin'")
  t.eq("e: " .. err3, "e: name=name already exists with value 'mockbin'")
  local _, err4 = dao.apis:insert({ upstream_url = "http://x.org" })
  t.eq(err4.schema, true)
end)

t.test("0.5: an api's name defaults to its request_host or request_path", function()
  local a = assert(dao.apis:insert({ upstream_url = "http://x.org", request_path = "/my/path" }))
  t.eq(a.name, "my-path")
  local b = assert(dao.apis:insert({ upstream_url = "http://x.org", request_host = "h:1.org" }))
  t.eq(b.name, "h-1.org")
  t.eq(dao.apis:delete({ id = a.id }), true)
  t.eq(dao.apis:delete({ id = b.id }), true)
end)

t.test("0.5: find_by_primary_key, find_by_keys, find with paging", function()
  t.eq(dao.apis:find_by_primary_key({ id = api.id }).name, "mockbin")
  t.is_nil(dao.apis:find_by_primary_key({ id = MISSING }))
  t.is_nil(dao.apis:find_by_primary_key({}))
  assert(dao.apis:insert({ name = "second", upstream_url = "http://b.org", request_path = "/b" }))
  local rows, err, filtering = dao.apis:find_by_keys({ request_host = "mockbin.com" })
  t.is_nil(err)
  t.eq(#rows, 1)
  t.eq(rows[1].id, api.id)
  t.eq(filtering, true)
  local _, _, by_pk = dao.apis:find_by_keys({ id = api.id })
  t.eq(by_pk, false)
  local all = dao.apis:find()
  t.eq(#all, 2)
  local p1 = dao.apis:find(1)
  t.eq(#p1, 1)
  t.truthy(p1.next_page, "next_page set")
  local p2 = dao.apis:find(1, p1.next_page)
  t.eq(#p2, 1)
  t.is_nil(p2.next_page)
  t.truthy(p1[1].id ~= p2[1].id)
  t.eq(dao.apis:count_by_keys(), 2)
  t.eq(dao.apis:count_by_keys({ name = "second" }), 1)
end)

t.test("0.5: update (partial and full) and delete return values", function()
  local upd, err = dao.apis:update({ id = api.id, upstream_url = "http://mockbin.org" })
  t.is_nil(err)
  t.eq(upd.upstream_url, "http://mockbin.org")
  t.eq(upd.request_host, "mockbin.com")
  t.eq(dao.apis:update({ id = MISSING, name = "x" }), false)
  local _, uerr = dao.apis:update({ id = api.id, name = "second" })
  t.eq(uerr.unique, true)
  local second = dao.apis:find_by_keys({ name = "second" })[1]
  t.eq(dao.apis:delete({ id = second.id }), true)
  t.eq(dao.apis:delete({ id = second.id }), false)
end)

local consumer, token
t.test("0.5: a BaseDao:extend() child: custom method, function default, flat foreign id", function()
  consumer = assert(kong.db.consumers:insert({ username = "v05-user" }))
  local tokens = dao.v05_tokens
  t.eq(tokens._table, "v05_tokens")
  local row, err = tokens:insert({ consumer_id = consumer.id, scope = "read" })
  t.is_nil(err)
  t.match(row.id, UUID)
  t.eq(row.consumer_id, consumer.id)
  t.is_nil(row.consumer)
  t.eq(row.token, "tok-" .. consumer.id, "the default function ran on insert")
  t.eq(tokens:find_by_token(row.token).id, row.id)
  token = row
  -- through kong.db the same row is an entity with its foreign field
  t.same(kong.db.v05_tokens:select({ id = row.id }).consumer, { id = consumer.id })
  -- and the function default runs there too, seeing the flat consumer_id
  local c2 = assert(kong.db.consumers:insert({ username = "v05-user-db" }))
  local e2 = assert(kong.db.v05_tokens:insert({ consumer = { id = c2.id }, scope = "w" }))
  t.eq(e2.token, "tok-" .. c2.id, "the default function ran through kong.db")
  local given = assert(kong.db.v05_tokens:insert({ consumer = { id = consumer.id },
                                                   token = "mine" }))
  t.eq(given.token, "mine")
  assert(kong.db.v05_tokens:delete({ id = e2.id }))
  assert(kong.db.v05_tokens:delete({ id = given.id }))
  assert(kong.db.consumers:delete({ id = c2.id }))
end)

t.test("0.5: foreign = 'consumers:id' is a foreign key", function()
  local r, err = dao.v05_tokens:insert({ consumer_id = MISSING })
  t.is_nil(r)
  t.eq(err.foreign, true)
  t.eq(err.message.consumer_id, "consumer_id " .. MISSING .. " does not exist")
  local _, err2 = dao.v05_tokens:insert({ scope = "x" })
  t.eq(err2.schema, true)
  t.eq(err2.message.consumer_id, "consumer_id is required")
  local _, err3 = dao.v05_tokens:insert({ consumer_id = MISSING, scope = 5 })
  t.eq(err3.message.scope, "scope is not a string")
  t.same(err3.err_t.fields, { scope = "expected a string" })
  -- deleting the parent deletes the children (0.5's delete hook)
  t.eq(dao.consumers:delete({ id = consumer.id }), true)
  t.is_nil(dao.v05_tokens:find_by_primary_key({ id = token.id }))
end)

---------------------------------------------------------------------------
-- Kong 0.8-0.14
---------------------------------------------------------------------------
local group, member
t.test("0.14: insert returns the row, flat foreign ids in and out", function()
  local g, err = kong.dao.v14_groups:insert({ name = "g1" })
  t.is_nil(err)
  t.match(g.id, UUID)
  group = g
  local c = assert(kong.db.consumers:insert({ username = "v14-user" }))
  local m, err2 = kong.dao.v14_members:insert({ group_id = g.id, consumer_id = c.id,
                                                role = "admin" })
  t.is_nil(err2)
  t.eq(m.group_id, g.id)
  t.eq(m.consumer_id, c.id)
  t.is_nil(m.group)
  t.eq(type(m.secret), "string", "default = utils.random_string ran")
  t.truthy(#m.secret > 0)
  member = m
  t.same(kong.db.v14_members:select({ id = m.id }).group, { id = g.id })
end)

t.test("0.14: error objects (unique, foreign, schema) as kong/dao/errors.lua", function()
  local db_name = kong.db.strategy
  local r, err = kong.dao.v14_groups:insert({ name = "g1" })
  t.is_nil(r)
  t.eq(err.unique, true)
  t.eq(err.db_name, db_name)
  t.eq(err.tbl.name, "already exists with value 'g1'")
  t.eq(tostring(err), "[" .. db_name .. " error] name=already exists with value 'g1'")
  local _, ferr = kong.dao.v14_members:insert({ group_id = MISSING })
  t.eq(ferr.foreign, true)
  t.eq(ferr.tbl.group_id, "does not exist with value '" .. MISSING .. "'")
  local _, serr = kong.dao.v14_members:insert({ role = "x" })
  t.eq(serr.schema, true)
  t.eq(serr.tbl.group_id, "group_id is required")
  t.eq(tostring(serr), "[" .. db_name .. " error] group_id=group_id is required")
  t.match_plain("x" .. serr, "[" .. db_name .. " error] ")
end)

t.test("0.14: find, find_all, find_page, count with { field = value } filters", function()
  local c2 = assert(kong.db.consumers:insert({ username = "v14-other" }))
  for i = 1, 3 do
    assert(kong.dao.v14_members:insert({ group_id = group.id, consumer_id = c2.id,
                                         role = "r" .. i }))
  end
  t.eq(kong.dao.v14_members:find({ id = member.id }).role, "admin")
  t.is_nil(kong.dao.v14_members:find({ id = MISSING }))
  t.raises(function() kong.dao.v14_members:find({ role = "admin" }) end,
           "Missing PRIMARY KEY field")
  local rows, err = kong.dao.v14_members:find_all({ group_id = group.id })
  t.is_nil(err)
  t.eq(#rows, 4)
  t.eq(#kong.dao.v14_members:find_all({ consumer_id = c2.id }), 3)
  t.eq(#kong.dao.v14_members:find_all({ role = "r2" }), 1)
  t.eq(kong.dao.v14_members:find_all({ role = "r2" })[1].group_id, group.id)
  t.eq(#kong.dao.v14_members:find_all(), 4)
  local _, uerr = kong.dao.v14_members:find_all({ nope = 1 })
  t.eq(uerr.schema, true)
  t.eq(uerr.tbl.nope, "nope is an unknown field")
  local p1, perr, off = kong.dao.v14_members:find_page(nil, nil, 3)
  t.is_nil(perr)
  t.eq(#p1, 3)
  t.truthy(off, "an offset to the next page")
  local p2, _, off2 = kong.dao.v14_members:find_page(nil, off, 3)
  t.eq(#p2, 1)
  t.is_nil(off2)
  local f1 = kong.dao.v14_members:find_page({ consumer_id = c2.id }, nil, 2)
  t.eq(#f1, 2)
  t.eq(kong.dao.v14_members:count(), 4)
  t.eq(kong.dao.v14_members:count({ consumer_id = c2.id }), 3)
end)

t.test("0.14: cache_key is the invalidation key, not a unique key", function()
  t.eq(kong.dao.v14_members:cache_key("a", 1), "v14_members:a:1:::")
  t.eq(kong.dao.v14_members:entity_cache_key(member), "v14_members:" .. group.id .. "::::")
  t.is_nil(kong.dao.v14_groups:entity_cache_key({ name = "x" }))
  t.truthy(kong.dao.v14_members:count({ group_id = group.id }) > 1, "one group, many members")
end)

t.test("kong.dao.errors and kong.dao.error, as plugin files require them", function()
  local Errors = require "kong.dao.errors"
  local e = Errors.schema({ key = "bad key" })
  t.eq(e.schema, true)
  t.eq(tostring(e), "key=bad key")
  t.eq(tostring(Errors.unique({ name = "a" }, "postgres")),
       "[postgres error] name=already exists with value 'a'")
  t.eq(Errors.db("boom").message, "boom")
  t.is_nil(Errors.foreign(nil))
  local DaoError = require "kong.dao.error"
  local d = DaoError({ x = "y" }, "schema")
  t.eq(d.is_dao_error, true)
  t.eq(d.schema, true)
  t.eq(tostring(d), "x=y")
  t.eq("!" .. DaoError("oops", "database"), "!oops")
end)

t.test("0.14: update(values, filter_keys) and delete return the row", function()
  local upd, err = kong.dao.v14_members:update({ role = "owner" }, { id = member.id })
  t.is_nil(err)
  t.eq(upd.role, "owner")
  t.eq(upd.group_id, group.id)
  local none, nerr = kong.dao.v14_members:update({ role = "x" }, { id = MISSING })
  t.is_nil(none)
  t.is_nil(nerr)
  local _, ferr = kong.dao.v14_members:update({ group_id = MISSING }, { id = member.id })
  t.eq(ferr.foreign, true)
  t.raises(function() kong.dao.v14_members:update({ role = "x" }, {}) end,
           "bad argument #2 (expected table to not be empty)")
  local full = kong.dao.v14_members:update({ group_id = group.id, role = "r" },
                                           { id = member.id }, { full = true })
  t.eq(full.role, "r")
  t.is_nil(full.consumer_id, "a full update replaces the row")
end)

t.test("0.14: delete returns the deleted row; deleting the parent cascades", function()
  local del = kong.dao.v14_members:delete({ id = member.id })
  t.eq(del.id, member.id)
  t.eq(del.group_id, group.id)
  t.is_nil(kong.dao.v14_members:delete({ id = member.id }))
  t.truthy(kong.dao.v14_members:count({ group_id = group.id }) > 0)
  t.eq(kong.dao.v14_groups:delete({ id = group.id }).name, "g1")
  t.eq(kong.dao.v14_members:count({ group_id = group.id }), 0)
end)

---------------------------------------------------------------------------
-- one DAO per entity behind every path
---------------------------------------------------------------------------
t.test("kong.db, kong.dao, singletons.db, singletons.dao, dao: one DAO per entity", function()
  t.eq(singletons.db, kong.db)
  t.eq(singletons.dao, kong.dao)
  t.eq(singletons.dao.v14_groups, kong.dao.v14_groups)
  for _, name in ipairs { "consumers", "apis", "v14_groups", "v05_tokens", "map_things" } do
    t.eq(rawget(kong.dao[name], "__daoc"), kong.db[name], name)
    t.eq(rawget(dao[name], "__daoc"), kong.db[name], name)
    t.eq(kong.dao[name].schema, kong.db[name].schema, name)
  end
  -- modern methods stay reachable on kong.dao (same object underneath)
  local g = assert(kong.db.v14_groups:insert({ name = "shared" }))
  t.eq(kong.dao.v14_groups:select({ id = g.id }).name, "shared")
  t.eq(kong.dao.v14_groups:find({ id = g.id }).name, "shared")
  t.eq(dao.v14_groups:find_by_primary_key({ id = g.id }).name, "shared")
  t.is_nil(kong.dao.no_such_entity)
  t.is_nil(dao.no_such_entity)
end)

t.test("definition shapes: 1.x name-keyed map, 0.14 tables list", function()
  local r = assert(kong.db.map_things:insert({ label = "x" }))
  t.match(r.id, UUID)
  t.is_nil(kong.db.v14_metrics, "a `tables` entry is no DAO")
end)

t.test("0.x field validators of a daos.lua: regex and func run on every path", function()
  local g = assert(kong.dao.v14_groups:insert({ name = "validated" }))
  local before = kong.dao.v14_members:count()
  local _, err = kong.dao.v14_members:insert({ group_id = g.id, role = "Not Valid" })
  t.eq(tostring(err), "[" .. kong.db.strategy .. " error] role=role has an invalid value")
  _, err = kong.dao.v14_members:insert({ group_id = g.id, level = -1 })
  t.eq(tostring(err), "[" .. kong.db.strategy .. " error] level=level must not be negative")
  local _, _, err_t = kong.db.v14_members:insert({ group = { id = g.id }, level = -2 })
  t.same(err_t.fields, { level = "level must not be negative" })
  t.eq(kong.dao.v14_members:count(), before)
  local ok = assert(kong.dao.v14_members:insert({ group_id = g.id, role = "ok1", level = 3 }))
  t.eq(ok.level, 3)
end)

t.test("0.10-0.14 daos.lua: self_check and sibling funcs run on insert, through kong.dao", function()
  local c = assert(kong.dao.consumers:insert({ username = "v010-user" }))
  local before = t.count(kong.db.v010_secrets)
  local _, err = kong.dao.v010_secrets:insert({ consumer_id = c.id, algorithm = "RS256" })
  t.eq(tostring(err), "[" .. t.STRATEGY .. " error] no mandatory 'public_key'")
  _, err = kong.dao.v010_secrets:insert({ consumer_id = c.id, algorithm = "RS256",
                                          public_key = "k", uris = { "a", "b" } })
  t.eq(tostring(err), "[" .. t.STRATEGY .. " error] uris holds one uri for RS256")
  local row = assert(kong.dao.v010_secrets:insert({ consumer_id = c.id, algorithm = "RS256",
                                                    public_key = "k", uris = "http://a.test" }))
  t.same(row.uris, { "http://a.test" })
  t.eq(row.consumer_id, c.id)
  assert(kong.dao.v010_secrets:insert({ consumer_id = c.id }))
  t.eq(t.count(kong.db.v010_secrets), before + 2)
  -- kong.db sees the same check, as the entity's
  local _, _, err_t = kong.db.v010_secrets:insert({ consumer = { id = c.id }, algorithm = "RS256" })
  t.same(err_t.fields["@entity"], { "no mandatory 'public_key'" })
  -- a self_check that looks a service up through dao.db.new_db
  _, err = kong.dao.v010_grants:insert({ service_id = MISSING })
  t.eq(tostring(err), "[" .. t.STRATEGY .. " error] no such Service (id=" .. MISSING .. ")")
  local s = assert(kong.db.services:insert({ name = "v010-svc", url = "http://v010.test" }))
  assert(kong.dao.v010_grants:insert({ service_id = s.id, scope = "read" }))
end)

t.test("0.5: a DAO of Cassandra queries only loads with no entity; its queries say why", function()
  t.is_nil(kong.db.v05_metrics)
  local cassandra = require "cassandra"
  local ok, err = pcall(cassandra.counter, 1)
  t.eq(ok, false)
  t.match(err, "no Cassandra in daoc")
end)

t.test("0.14 field funcs change the row written, as basic-auth's encrypt_password", function()
  local c = assert(kong.db.consumers:insert({ username = "login-owner" }))
  local want = ngx.md5("s3cret" .. c.id)
  local row = assert(kong.dao.v14_logins:insert({ consumer_id = c.id, username = "u1",
                                                  password = "s3cret", label = "abc" }))
  t.eq(row.password, want)
  t.eq(row.label_len, 3)
  t.eq(kong.db.v14_logins:select({ id = row.id }).password, want) -- stored so
  -- a partial update runs the funcs of the fields it gives
  local upd = assert(kong.dao.v14_logins:update({ password = "n3w", consumer_id = c.id },
                                                { id = row.id }))
  t.eq(upd.password, ngx.md5("n3w" .. c.id))
  t.eq(upd.label_len, 3)
  -- the 0.5 factory's view runs them too
  local r5 = assert(dao.v14_logins:insert({ consumer_id = c.id, username = "u2",
                                            password = "p5" }))
  t.eq(r5.password, ngx.md5("p5" .. c.id))
  -- kong.db (today's DAO) writes what it is given, as Kong's does
  local raw = assert(kong.db.v14_logins:insert({ consumer = { id = c.id }, username = "u3",
                                                 password = "plain" }))
  t.eq(raw.password, "plain")
end)

t.done()
