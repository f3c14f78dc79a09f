-- tour-v11.lua -- the keyauth-v11 example plugin (Kong 1.x-2.8's name-keyed
-- map of new-style schemas) through kong.db.
--   daoc -c examples.conf runner tour-v11.lua
local consumer = assert(kong.db.consumers:insert({ username = "erin" }))
local cred = assert(kong.db.keyauth11_credentials:insert({ consumer = { id = consumer.id } }))
print("keyauth-v11: a generated key of " .. #cred.key .. " characters")
local again = assert(kong.db.keyauth11_credentials:select_by_key(cred.key))
assert(again.id == cred.id)
-- cache_key = { "key" }: Kong's cache key for the entity, and the lookup by it
local ck = kong.db.keyauth11_credentials:cache_key(cred.key)
print("keyauth-v11: cache key " .. ck:gsub(cred.key, "<key>"))
assert(kong.db.keyauth11_credentials:select_by_cache_key(ck).id == cred.id)

-- the plugin's configuration, enabled globally: its config record's defaults
local plugin = assert(kong.db.plugins:insert({ name = "keyauth-v11" }))
print("keyauth-v11: global plugin, key_names " .. table.concat(plugin.config.key_names, ",") ..
      ", hide_credentials " .. tostring(plugin.config.hide_credentials))
