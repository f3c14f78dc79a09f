-- key-auth (example plugin, Kong 2.x/3.x generation): API keys that belong
-- to consumers.  The entity is the one the "Storing Custom Entities"
-- chapter defines; kong.db.keyauth_credentials reaches its DAO.
local typedefs = require "kong.db.schema.typedefs"

return {
  {
    name = "keyauth_credentials",
    endpoint_key = "key",
    primary_key = { "id" },
    cache_key = { "key" },
    generate_admin_api = true,
    admin_api_name = "key-auths",
    admin_api_nested_name = "key-auth",
    ttl = true,
    fields = {
      { id = typedefs.uuid },
      { created_at = typedefs.auto_timestamp_s },
      { consumer = { type = "foreign", reference = "consumers", required = true,
                     on_delete = "cascade" } },
      { key = { type = "string", required = false, unique = true, auto = true } },
      { tags = typedefs.tags },
    },
  },
}
