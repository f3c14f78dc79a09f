-- quickstart.lua -- a tour of kong.db from a plain script:
--   cd examples && ../build/daoc -c quickstart.conf runner quickstart.lua
--
-- Every DAO method follows Kong's conventions: it returns the entity (or
-- true for delete) on success, and `nil, err, err_t` on failure, where err
-- is a string and err_t a table {code, name, message, fields}.
local keys = kong.db.my_plugin_keys

local function show(entity)
  return string.format("%s key=%s label=%s scopes=%s", entity.id:sub(1, 8), entity.key,
                       tostring(entity.label), table.concat(entity.scopes, ","))
end

-- Start from a clean slate so the script can run again and again: deleting
-- the consumer also deletes its keys (on_delete = "cascade").
local old = kong.db.consumers:select_by_username("quickstart-user")
if old then
  assert(kong.db.consumers:delete({ id = old.id }))
end

-- 1. A consumer (a core entity that exists in every database).
local consumer, err = kong.db.consumers:insert({ username = "quickstart-user" })
if not consumer then
  error("could not create the consumer: " .. err)
end
print("consumer  " .. consumer.username .. " " .. consumer.id)

-- 2. Insert: default and auto fields are filled in.
local k1 = assert(keys:insert({ consumer = { id = consumer.id }, key = "secret-1",
                                label = "laptop" }))
local k2 = assert(keys:insert({ consumer = { id = consumer.id }, label = "ci server",
                                scopes = { "read", "write" } }))
print("insert    " .. show(k1))
print("insert    " .. show(k2) .. "   <- key generated")

-- 3. Select by primary key, or by the endpoint key.
local same = keys:select({ id = k1.id })
print("select    " .. show(same))
print("by key    " .. show(keys:select_by_key("secret-1")))
print("missing   " .. tostring(keys:select_by_key("nope")) .. "   <- not found: nil, no error")

-- 4. Update changes some fields; upsert replaces (or creates) the whole entity.
local updated = assert(keys:update({ id = k1.id }, { label = "old laptop" }))
print("update    " .. show(updated))
local upserted = assert(keys:upsert({ id = "7d7a6ea1-32a3-4a8b-9b54-bd3b6b0a0c01" },
                                    { consumer = { id = consumer.id }, key = "secret-3" }))
print("upsert    " .. show(upserted))
print("has write " .. tostring(k2.scopes.write == true) .. "   <- sets answer membership")

-- 5. Page through the keys, two at a time, then walk them all with each().
local rows, _, _, offset = keys:page(2)
print(string.format("page      %d rows, next offset %s", #rows, tostring(offset)))
rows = keys:page(2, offset)
print(string.format("page 2    %d row", #rows))
for key, iter_err, page in keys:each(2) do
  if iter_err then error(iter_err) end
  print(string.format("each      page %d: %s", page, key.key))
end

-- 6. A validation error: nothing is written, and err_t says why.
local bad, msg, err_t = keys:insert({ consumer = { id = consumer.id }, label = "x",
                                      scopes = { "admin" } })
print("invalid   " .. tostring(bad) .. ", " .. msg)
print(string.format("err_t     code=%d name=%q", err_t.code, err_t.name))
for field, why in pairs(err_t.fields) do
  print(string.format("          %s: %s", field,
                      type(why) == "table" and table.concat(why, ", ") or why))
end

-- 7. Delete returns true, also when the row is already gone.
print("delete    " .. tostring(keys:delete({ id = k2.id })))
print("again     " .. tostring(keys:delete({ id = k2.id })))
kong.log.notice("quick start done: ", #keys:page(), " keys left")
