-- tour-2x.lua -- the key-auth example plugin through kong.db, the access
-- path of Kong 1.x, 2.x and 3.x.  Run from this directory:
--   daoc -c examples.conf runner tour-2x.lua
local consumer = assert(kong.db.consumers:insert({ username = "alice" }))

-- the key is generated (auto = true) and unique
local cred = assert(kong.db.keyauth_credentials:insert({ consumer = { id = consumer.id } }))
print("key-auth: a generated key of " .. #cred.key .. " characters")

-- endpoint_key and unique fields have select_by_<field>
local found = assert(kong.db.keyauth_credentials:select_by_key(cred.key))
assert(found.id == cred.id and found.consumer.id == consumer.id)

-- a second key for the same consumer, then every credential of the consumer
assert(kong.db.keyauth_credentials:insert({ consumer = { id = consumer.id }, key = "s3cr3t" }))
local n = 0
for row, err in kong.db.keyauth_credentials:each_for_consumer({ id = consumer.id }) do
  assert(not err, err)
  n = n + 1
end
print("key-auth: alice has " .. n .. " keys")

-- errors are values: (nil, err, err_t) in Kong's shape
local dup, err, err_t = kong.db.keyauth_credentials:insert({
  consumer = { id = consumer.id }, key = "s3cr3t" })
assert(dup == nil)
print("key-auth: a duplicate key is refused: code " .. err_t.code .. ", " .. err_t.name)
print("key-auth: " .. err)

-- a key that expires: ttl = true in the definition
local temp = assert(kong.db.keyauth_credentials:insert(
  { consumer = { id = consumer.id }, key = "for-an-hour" }, { ttl = 3600 }))
local again = assert(kong.db.keyauth_credentials:select({ id = temp.id }))
print("key-auth: a key inserted with { ttl = 3600 } reads with ttl " .. tostring(again.ttl))

-- on_delete = "cascade": deleting the consumer deletes its keys
assert(kong.db.consumers:delete({ id = consumer.id }))
local left = 0
for _ in kong.db.keyauth_credentials:each() do left = left + 1 end
print("key-auth: keys left after deleting alice: " .. left)

-- the plugin's configuration (its schema.lua): a plugins row whose config
-- is checked against key-auth's schema, its defaults filled in
local service = assert(kong.db.services:insert({ name = "example", url = "http://example.test" }))
local plugin = assert(kong.db.plugins:insert({ name = "key-auth", service = { id = service.id },
                                               config = { key_names = { "x-api-key" } } }))
print("key-auth: enabled on service example with key_names " ..
      table.concat(plugin.config.key_names, ",") .. ", hide_credentials " ..
      tostring(plugin.config.hide_credentials))
local _, perr = kong.db.plugins:insert({ name = "key-auth", config = { hide_credentials = "yes" } })
print("key-auth: " .. perr)
