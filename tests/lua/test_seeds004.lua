-- The examples of the Kong docs chapter "Storing Custom Entities" (2.x/3.x),
-- run as documented against the keyauth_credentials entity of the
-- test-entities fixture plugin.  Deviations from the page: `for ... on` is
-- written `for ... in`, and the trailing comma of the update() example's
-- argument list (a syntax error in Lua) is dropped.
local t = require "t"

local CONSUMER = "c77c50d2-5947-4904-9f37-fa36182a71a9"
local OTHER_CONSUMER = "a96145fb-d71e-4c88-8a5a-2c8b1947534c"
local CRED = "2b6a2022-770a-49df-874d-11e2bf2634f5"

t.test("the DAO is available as kong.db.keyauth_credentials", function()
  t.is_table(kong.db.keyauth_credentials)
  t.eq(kong.db.keyauth_credentials.schema.name, "keyauth_credentials")
  t.same(kong.db.keyauth_credentials.schema.primary_key, { "id" })
end)

t.test("consumers exist in every database", function()
  local c, err = kong.db.consumers:insert({ id = CONSUMER, username = "alice" })
  t.is_nil(err)
  t.eq(c.id, CONSUMER)
  local c2, err2 = kong.db.consumers:insert({ id = OTHER_CONSUMER, username = "bob" })
  t.is_nil(err2)
  t.eq(c2.username, "bob")
end)

t.test("select: not found is nil without an error", function()
  local entity, err = kong.db.keyauth_credentials:select({
    id = "c77c50d2-5947-4904-9f37-fa36182a71a9"
  })
  if err then
    kong.log.err("Error when inserting keyauth credential: " .. err)
    error("unexpected error: " .. err)
  end
  if not entity then
    kong.log.err("Could not find credential.")
  end
  t.is_nil(entity)
  t.is_nil(err)
end)

local inserted
t.test("insert: returns the entity with auto-filled fields", function()
  local entity, err = kong.db.keyauth_credentials:insert({
    consumer = { id = "c77c50d2-5947-4904-9f37-fa36182a71a9" },
    key = "secret",
  })
  if not entity then
    kong.log.err("Error when inserting keyauth credential: " .. err)
    error(err)
  end
  t.match(entity.id, "^%x+%-%x+%-%x+%-%x+%-%x+$")
  t.eq(type(entity.created_at), "number")
  t.eq(entity.key, "secret")
  t.same(entity.consumer, { id = CONSUMER })
  inserted = entity
end)

t.test("insert: auto key when none is given", function()
  local entity, err = kong.db.keyauth_credentials:insert({
    consumer = { id = CONSUMER },
  })
  t.is_nil(err)
  t.eq(type(entity.key), "string")
  t.truthy(#entity.key > 0)
end)

t.test("select by primary key finds the inserted entity", function()
  local entity, err = kong.db.keyauth_credentials:select({ id = inserted.id })
  t.is_nil(err)
  t.eq(entity.key, "secret")
  t.same(entity.consumer, { id = CONSUMER })
end)

t.test("select_by_key (endpoint_key / unique)", function()
  local entity, err = kong.db.keyauth_credentials:select_by_key("secret")
  t.is_nil(err)
  t.eq(entity.id, inserted.id)
end)

t.test("upsert: creates the entity when the primary key is new", function()
  local entity, err = kong.db.keyauth_credentials:upsert(
    { id = "2b6a2022-770a-49df-874d-11e2bf2634f5" },
    { consumer = { id = "a96145fb-d71e-4c88-8a5a-2c8b1947534c" } }
  )
  if not entity then
    kong.log.err("Error when upserting keyauth credential: " .. err)
    error(err)
  end
  t.eq(entity.id, CRED)
  t.same(entity.consumer, { id = OTHER_CONSUMER })
end)

t.test("upsert: replaces the consumer of an existing entity", function()
  local entity, err = kong.db.keyauth_credentials:upsert(
    { id = CRED },
    { consumer = { id = CONSUMER }, key = "upserted" }
  )
  t.is_nil(err)
  t.same(entity.consumer, { id = CONSUMER })
  t.eq(entity.key, "upserted")
end)

t.test("update: modifies the key of an existing credential", function()
  local entity, err = kong.db.keyauth_credentials:update(
    { id = "2b6a2022-770a-49df-874d-11e2bf2634f5" },
    { key = "updated_secret" }
  )
  if not entity then
    kong.log.err("Error when updating keyauth credential: " .. err)
    error(err)
  end
  t.eq(entity.key, "updated_secret")
  t.same(entity.consumer, { id = CONSUMER })
end)

t.test("each: iterates over every credential", function()
  local seen = 0
  for credential, err in kong.db.keyauth_credentials:each(1000) do
    if err then
      kong.log.err("Error when iterating over keyauth credentials: " .. err)
      error(err)
    end
    kong.log("id: " .. credential.id)
    seen = seen + 1
  end
  t.eq(seen, 3)
end)

t.test("delete: true, then true again for a missing row", function()
  local ok, err = kong.db.keyauth_credentials:delete({
    id = "2b6a2022-770a-49df-874d-11e2bf2634f5"
  })
  if not ok then
    kong.log.err("Error when deleting keyauth credential: " .. err)
    error(err)
  end
  t.eq(ok, true)
  t.is_nil(kong.db.keyauth_credentials:select({ id = CRED }))
  local ok2, err2 = kong.db.keyauth_credentials:delete({ id = CRED })
  t.eq(ok2, true)
  t.is_nil(err2)
end)

t.test("on_delete = cascade: deleting the consumer removes its credentials", function()
  local ok, err = kong.db.consumers:delete({ id = CONSUMER })
  t.is_nil(err)
  t.eq(ok, true)
  local rows = kong.db.keyauth_credentials:page()
  t.eq(#rows, 0)
end)

t.done()
