-- A plugin configuration schema in today's shape (Kong 1.x-3.x): a record
-- named config, protocols restricted to http(s), no route scope, and an
-- entity check on the config record.  Tests: tests/lua/test_plugins.lua.
local typedefs = require "kong.db.schema.typedefs"

return {
  name = "cfg-current",
  fields = {
    { route = typedefs.no_route },
    { protocols = typedefs.protocols_http },
    { config = {
        type = "record",
        fields = {
          { greeting = { type = "string", default = "hello" } },
          { times = { type = "integer", default = 1, between = { 1, 10 } } },
          { header = typedefs.header_name },
          { upstream = { type = "string" } },
        },
        entity_checks = {
          { at_least_one_of = { "header", "upstream" } },
        },
    } },
  },
}
