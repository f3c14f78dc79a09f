-- A plugin configuration schema in the 0.x shape (no name; fields keyed
-- by name), using what 0.x schemas used: func validators, regex, a nested
-- table with its own schema, a flexible table, no_consumer and a
-- self_check that sees the whole config.  Tests: tests/lua/test_plugins.lua.
local Errors = require "kong.dao.errors"

local function positive(v)
  if v <= 0 then
    return false, "must be greater than 0"
  end
  return true
end

return {
  no_consumer = true,
  fields = {
    second = { type = "number", func = positive },
    minute = { type = "number", func = positive },
    header = { type = "string", default = "X-Limit", regex = "^[A-Za-z][A-Za-z0-9-]*$" },
    policy = { type = "string", enum = { "local", "cluster" }, default = "cluster" },
    redis = { type = "table", schema = { fields = {
      host = { type = "string" },
      port = { type = "number", default = 6379 },
    } } },
    limits = { type = "table", schema = { flexible = true, fields = {
      quota = { type = "number", required = true },
    } } },
  },
  self_check = function(schema, plugin_t, dao, is_updating)
    if plugin_t.second and plugin_t.minute and plugin_t.second > plugin_t.minute then
      return false, Errors.schema "the limit for second must not exceed the limit for minute"
    end
    if plugin_t.policy == "cluster" and not (plugin_t.second or plugin_t.minute) then
      return false, Errors.schema "you need to set at least one limit: second or minute"
    end
    return true
  end,
}
