-- tour-v014.lua -- the keyauth-v014 example plugin through kong.dao (the
-- DAO factory of Kong 0.8-0.14, also reached as singletons.dao): rows with
-- flat foreign ids, { field = value } filters, that generation's returns.
--   daoc -c examples.conf runner tour-v014.lua
local singletons = require "kong.singletons"
local dao = singletons.dao

local consumer = assert(dao.consumers:insert({ username = "carol" }))

-- insert returns the row; the foreign key is the flat consumer_id
local cred = assert(dao.keyauth014_credentials:insert({ consumer_id = consumer.id, key = "k1" }))
assert(dao.keyauth014_credentials:insert({ consumer_id = consumer.id, key = "k2" }))
print("keyauth-v014: inserted " .. cred.key .. " for consumer_id " ..
      (cred.consumer_id == consumer.id and "carol" or "?"))

-- find_all and count take a filter; find takes the primary key
local rows = assert(dao.keyauth014_credentials:find_all({ consumer_id = consumer.id }))
print("keyauth-v014: find_all by consumer_id: " .. #rows .. " rows")
print("keyauth-v014: count: " .. dao.keyauth014_credentials:count({ key = "k2" }))
assert(dao.keyauth014_credentials:find({ id = cred.id }).key == "k1")

-- a missing parent is refused: foreign = "consumers:id" is a foreign key
local _, err = dao.keyauth014_credentials:insert({
  consumer_id = "00000000-0000-4000-8000-000000000000", key = "k3" })
print("keyauth-v014: " .. tostring(err))

-- update(values, filter_keys) returns the row; delete returns the deleted row
local updated = assert(dao.keyauth014_credentials:update({ key = "k1b" }, { id = cred.id }))
print("keyauth-v014: updated key " .. updated.key)
local deleted = assert(dao.keyauth014_credentials:delete({ id = cred.id }))
print("keyauth-v014: deleted key " .. deleted.key)

-- the same entity through kong.db: one DAO, two access paths
local same = assert(kong.db.keyauth014_credentials:select_by_key("k2"))
print("keyauth-v014: kong.db sees k2 of consumer " ..
      (same.consumer.id == consumer.id and "carol" or "?"))

-- the plugin's 0.x schema.lua configures a plugins row, reached as 0.14
-- reached it (kong.dao.plugins, a flat service_id); its func validator runs
local service = assert(kong.db.services:insert({ name = "v014", url = "http://v014.test" }))
local plugin = assert(kong.dao.plugins:insert({ name = "keyauth-v014", service_id = service.id }))
print("keyauth-v014: plugin on service_id " .. (plugin.service_id == service.id and "v014" or "?")
      .. ", key_names " .. table.concat(plugin.config.key_names, ","))
local _, perr = kong.dao.plugins:insert({ name = "keyauth-v014", config = { key_names = { "" } } })
print("keyauth-v014: " .. tostring(perr))
