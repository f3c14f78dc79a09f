-- keyauth-v05 (example plugin, Kong 0.5 generation): a child of the base
-- DAO, as the 0.5 "Custom Entities" chapter writes one.  Reached through
-- the `dao` global: dao.keyauth05_credentials.
local BaseDao = require "kong.dao.cassandra.base_dao"

local SCHEMA = {
  primary_key = { "id" },
  fields = {
    id = { type = "id", dao_insert_value = true },
    created_at = { type = "timestamp", dao_insert_value = true },
    consumer_id = { type = "id", required = true, queryable = true, foreign = "consumers:id" },
    key = { type = "string", required = false, unique = true, queryable = true },
  },
  marshall_event = function(self, t)
    return { id = t.id, consumer_id = t.consumer_id, key = t.key }
  end,
}

local KeyAuth = BaseDao:extend()

function KeyAuth:new(properties)
  self._table = "keyauth05_credentials"
  self._schema = SCHEMA
  KeyAuth.super.new(self, properties)
end

return { keyauth05_credentials = KeyAuth }
