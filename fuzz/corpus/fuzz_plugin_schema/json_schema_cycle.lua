-- json fields whose inline JSON schemas refer to themselves without
-- descending into the value (stopped by the validator's depth guard), and
-- a $ref into an unknown keyword (fuzz_plugin_schema seed).
return {
  name = "fuzz",
  fields = {
    { config = { type = "record", fields = {
      { a = { type = "json", json_schema = { inline = {
        definitions = { loop = { allOf = { { ["$ref"] = "#/definitions/loop" } } } },
        ["$ref"] = "#/definitions/loop",
      } } } },
      { b = { type = "json", json_schema = { inline = {
        anyOf = { { type = "integer" }, { ["$ref"] = "#" } },
      } } } },
      { c = { type = "json", json_schema = { inline = {
        ["x-defs"] = { item = { type = { "integer", "string" }, pattern = "^y" } },
        items = { ["$ref"] = "#/x-defs/item" },
      } } } },
    } } },
  },
}
