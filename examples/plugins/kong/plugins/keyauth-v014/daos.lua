-- keyauth-v014 (example plugin, Kong 0.8-0.14 generation): an old-style
-- schema table (fields keyed by name, `type = "id"`, dao_insert_value,
-- `foreign = "consumers:id"`), exported under its DAO name.  Reached as
-- kong.dao.keyauth014_credentials / singletons.dao.keyauth014_credentials
-- with flat foreign ids (consumer_id), and as kong.db too.
local SCHEMA = {
  primary_key = { "id" },
  table = "keyauth014_credentials",
  cache_key = { "key" },
  fields = {
    id = { type = "id", dao_insert_value = true },
    created_at = { type = "timestamp", immutable = true, dao_insert_value = true },
    consumer_id = { type = "id", required = true, foreign = "consumers:id" },
    key = { type = "string", required = false, unique = true },
  },
}

return { keyauth014_credentials = SCHEMA }
