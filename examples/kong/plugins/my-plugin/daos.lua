-- daos.lua of the quick-start plugin: one custom entity, written exactly as
-- a Kong 2.x/3.x plugin would write it.  daoc turns it into a table and a
-- DAO reachable as kong.db.my_plugin_keys.
local typedefs = require "kong.db.schema.typedefs"

return {
  {
    name         = "my_plugin_keys",
    primary_key  = { "id" },
    endpoint_key = "key",          -- also reachable by key: select_by_key(...)
    cache_key    = { "key" },
    fields = {
      { id = typedefs.uuid },
      { created_at = typedefs.auto_timestamp_s },
      { consumer = { type = "foreign", reference = "consumers", required = true,
                     on_delete = "cascade" } },    -- deleting the consumer deletes its keys
      { key = { type = "string", unique = true, auto = true } },   -- generated when omitted
      { label = { type = "string", len_min = 3 } },
      { scopes = { type = "set", elements = { type = "string", one_of = { "read", "write" } },
                   default = { "read" } } },
      { tags = typedefs.tags },
    },
  },
}
