-- json fields whose inline JSON schemas use anyOf, oneOf, not, local $ref,
-- definitions, pattern and format (fuzz_plugin_schema seed).
return {
  name = "fuzz",
  fields = {
    { config = { type = "record", fields = {
      { a = { type = "json", json_schema = { inline = {
        definitions = { pos = { type = "integer", minimum = 1 } },
        anyOf = { { ["$ref"] = "#/definitions/pos" }, { type = "string", pattern = "^x" } },
      } } } },
      { b = { type = "json", json_schema = { inline = {
        type = "string", format = "date-time", pattern = "^[0-9]{4}-", minLength = 1,
      } } } },
      { c = { type = "json", json_schema = { inline = {
        type = "array",
        items = { { type = "integer" }, { oneOf = { { type = "string" }, { ["not"] = { type = "null" } } } } },
        additionalItems = false,
      } } } },
    } } },
  },
}
