-- kong.configuration: the loaded configuration with Kong's key names and
-- types, there before plugin files load (the fixture plugin "overlay"
-- asserts it in its daos.lua) and the same table singletons.configuration
-- gives.  Runs on every store.
local t = require "t"

t.test("keys and types as Kong's conf_loader gives them", function()
  local c = kong.configuration
  t.is_table(c)
  t.eq(c.database, kong.db.strategy)
  t.eq(type(c.pg_port), "number")
  t.eq(type(c.pg_timeout), "number")
  t.eq(type(c.pg_ssl), "boolean")
  t.eq(type(c.lua_package_path), "string")
  t.is_table(c.plugins)
  t.eq(c.loaded_plugins.overlay, true)
  t.eq(c.loaded_plugins["no-such-plugin"], nil)
  local seen = {}
  for _, name in ipairs(c.plugins) do seen[name] = true end
  t.eq(seen["test-entities"], true)
end)

t.test("singletons.configuration is kong.configuration", function()
  local singletons = require "kong.singletons"
  t.eq(singletons.configuration, kong.configuration)
end)

t.done()
