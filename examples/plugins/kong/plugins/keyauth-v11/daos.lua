-- keyauth-v11 (example plugin, Kong 1.x-2.8 generation): the name-keyed
-- map of new-style schemas those versions accepted.  The DAO is
-- kong.db.keyauth11_credentials.
local typedefs = require "kong.db.schema.typedefs"

return {
  keyauth11_credentials = {
    name = "keyauth11_credentials",
    primary_key = { "id" },
    cache_key = { "key" },
    endpoint_key = "key",
    fields = {
      { id = typedefs.uuid },
      { created_at = typedefs.auto_timestamp_s },
      { consumer = { type = "foreign", reference = "consumers", required = true,
                     on_delete = "cascade" } },
      { key = { type = "string", required = false, unique = true, auto = true } },
    },
  },
}
