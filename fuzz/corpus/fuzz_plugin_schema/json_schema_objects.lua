-- json fields whose inline JSON schemas use patternProperties,
-- additionalProperties, dependencies and a recursive $ref "#"
-- (fuzz_plugin_schema seed).
return {
  name = "fuzz",
  fields = {
    { config = { type = "record", fields = {
      { a = { type = "json", json_schema = { inline = {
        type = { "integer", "object" },
        patternProperties = { ["^x-"] = { type = "string" }, ["[0-9]$"] = { maximum = 5 } },
        additionalProperties = { type = "boolean" },
        dependencies = { p = { "q" }, r = { required = { "s" } } },
      } } } },
      { b = { type = "json", json_schema = { inline = {
        properties = { kids = { type = "array", items = { ["$ref"] = "#" } }, ["a/b"] = { type = "string" } },
        required = { "kids" },
        ["$ref"] = "#/properties/a~1b",
      } } } },
      { c = { type = "json", json_schema = { inline = {
        type = "array", uniqueItems = true, minItems = 1, items = { format = "date", pattern = "\\d" },
      } } } },
    } } },
  },
}
