-- daos.lua of the `bench-values` plugin used by bench/bench_values.c:
-- one entity whose map field holds tens of thousands of keys.
local typedefs = require "kong.db.schema.typedefs"

return {
  {
    name        = "bench_maps",
    primary_key = { "id" },
    fields = {
      { id = typedefs.uuid },
      { created_at = typedefs.auto_timestamp_s },
      { attrs = { type = "map", keys = { type = "string" },
                  values = { type = "string" } } },
      { tags = typedefs.tags },
    },
  },
}
