-- tour-v05.lua -- the keyauth-v05 example plugin through the `dao` global
-- (Kong 0.5's DAO factory): the base DAO's methods and return values.
--   daoc -c examples.conf runner tour-v05.lua
local consumer = assert(dao.consumers:insert({ username = "dave" }))

local cred, err = dao.keyauth05_credentials:insert({ consumer_id = consumer.id, key = "v05-1" })
assert(cred, tostring(err))
assert(dao.keyauth05_credentials:insert({ consumer_id = consumer.id, key = "v05-2" }))

-- find_by_primary_key, find_by_keys (rows, err, filtering)
local found = assert(dao.keyauth05_credentials:find_by_primary_key({ id = cred.id }))
local rows, ferr = dao.keyauth05_credentials:find_by_keys({ consumer_id = consumer.id })
assert(not ferr, tostring(ferr))
print("keyauth-v05: found " .. found.key .. "; dave has " .. #rows .. " keys")

-- a unique key is a DaoError
local _, dup = dao.keyauth05_credentials:insert({ consumer_id = consumer.id, key = "v05-2" })
print("keyauth-v05: " .. tostring(dup))

-- update returns the entity, delete true; deleting the consumer cascades
local upd = assert(dao.keyauth05_credentials:update({ id = cred.id, key = "v05-1b" }))
print("keyauth-v05: updated key " .. upd.key)
print("keyauth-v05: delete -> " .. tostring(dao.keyauth05_credentials:delete({ id = cred.id })))
assert(dao.consumers:delete({ id = consumer.id }))
print("keyauth-v05: keys left after deleting dave: " ..
      #dao.keyauth05_credentials:find_by_keys({ consumer_id = consumer.id }))

-- 0.5's core entity apis, as the "Accessing the datastore" chapter inserts it
local api = assert(dao.apis:insert({
  name = "mockbin",
  upstream_url = "http://mockbin.com",
  request_host = "mockbin.com"
}))
print("keyauth-v05: api " .. api.name .. " -> " .. api.upstream_url)
