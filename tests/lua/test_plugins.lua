-- The plugins core entity (Kong's plugins.lua) with each enabled plugin's
-- schema.lua as its subschema: today's shape (fixture cfg-current) and the
-- 0.x shape (fixture cfg-v0x), scopes, uniqueness per scope, cascades, and
-- the 0.13/0.14 access path.  Runs on every store.
local t = require "t"
local null = ngx.null

local function service(name)
  return assert(kong.db.services:insert({ name = name, host = name .. ".test" }))
end

local function count_plugins() return t.count(kong.db.plugins) end

t.test("a current schema: config defaults filled, protocols and scopes as Kong's", function()
  local s = service("cur1")
  local p, err = kong.db.plugins:insert({ name = "cfg-current", service = { id = s.id },
                                          config = { upstream = "u" } })
  t.is_nil(err)
  t.eq(p.config.greeting, "hello")
  t.eq(p.config.times, 1)
  t.eq(p.config.upstream, "u")
  t.truthy(p.config.header == nil or p.config.header == null)
  t.same(p.protocols, { "grpc", "grpcs", "http", "https" })
  t.eq(p.enabled, true)
  t.is_nil(p.route)
  t.is_nil(p.consumer)
  t.eq(p.service.id, s.id)
  local again = kong.db.plugins:select({ id = p.id })
  t.same(again.config, p.config)
end)

t.test("a current schema's rules: field, record check, scope refused", function()
  local before = count_plugins()
  local _, err, err_t = kong.db.plugins:insert({ name = "cfg-current",
                                                 config = { upstream = "u", times = 11 } })
  t.eq(err_t.code, 2)
  t.same(err_t.fields, { config = { times = "value should be between 1 and 10" } })
  t.truthy(err)
  _, _, err_t = kong.db.plugins:insert({ name = "cfg-current", config = {} })
  t.eq(err_t.code, 2)
  t.same(err_t.fields.config["@entity"],
         { "at least one of these fields must be non-empty: 'header', 'upstream'" })
  local r = assert(kong.db.routes:insert({ paths = { "/cur" } }))
  _, _, err_t = kong.db.plugins:insert({ name = "cfg-current", route = { id = r.id },
                                         config = { upstream = "u" } })
  t.eq(err_t.fields.route, "value must be null")
  _, _, err_t = kong.db.plugins:insert({ name = "cfg-current", protocols = { "tcp" },
                                         config = { upstream = "u" } })
  t.truthy(err_t.fields.protocols)
  t.eq(count_plugins(), before)
end)

t.test("a plugin that is not enabled is refused in Kong's words", function()
  local _, err, err_t = kong.db.plugins:insert({ name = "rate-limiting" })
  t.eq(err_t.code, 2)
  t.eq(err_t.fields.name,
       "plugin 'rate-limiting' not enabled; add it to the 'plugins' configuration property")
  t.eq(err, t.P .. "schema violation (name: plugin 'rate-limiting' not enabled; add it to "
       .. "the 'plugins' configuration property)")
  _, _, err_t = kong.db.plugins:insert({ config = {} })
  t.eq(err_t.fields.name, "required field missing")
end)

t.test("one plugin of a name per scope (cache_key), others beside it", function()
  local s1, s2 = service("uniq1"), service("uniq2")
  assert(kong.db.plugins:insert({ name = "cfg-current", service = { id = s1.id },
                                  config = { upstream = "u" } }))
  local _, err, err_t = kong.db.plugins:insert({ name = "cfg-current", service = { id = s1.id },
                                                 config = { upstream = "v" } })
  t.eq(err_t.code, 5)
  t.match(err, "UNIQUE violation detected on", true)
  assert(kong.db.plugins:insert({ name = "cfg-current", service = { id = s2.id },
                                  config = { upstream = "u" } }))
  assert(kong.db.plugins:insert({ name = "cfg-v0x", service = { id = s1.id },
                                  config = { second = 1 } }))
end)

t.test("deleting a service deletes its plugins (on_delete cascade)", function()
  local s = service("casc1")
  local p = assert(kong.db.plugins:insert({ name = "cfg-current", service = { id = s.id },
                                            config = { upstream = "u" } }))
  assert(kong.db.services:delete({ id = s.id }))
  t.is_nil(kong.db.plugins:select({ id = p.id }))
end)

t.test("a 0.x schema: config record, defaults, nested and flexible tables", function()
  local p, err = kong.db.plugins:insert({ name = "cfg-v0x", config = {
    minute = 10, redis = { host = "r.test" }, limits = { gold = { quota = 5 } } } })
  t.is_nil(err)
  t.eq(p.config.minute, 10)
  t.eq(p.config.header, "X-Limit")
  t.eq(p.config.policy, "cluster")
  t.same(p.config.redis, { host = "r.test", port = 6379 })
  t.same(p.config.limits, { gold = { quota = 5 } })
end)

t.test("a 0.x schema's validations: enum, func, regex, self_check, no_consumer", function()
  local before = count_plugins()
  local _, _, err_t = kong.db.plugins:insert({ name = "cfg-v0x",
                                               config = { minute = 1, policy = "far" } })
  t.eq(err_t.fields.config.policy, "expected one of: local, cluster")
  _, _, err_t = kong.db.plugins:insert({ name = "cfg-v0x", config = { minute = -1 } })
  t.same(err_t.fields, { config = { minute = "must be greater than 0" } })
  _, _, err_t = kong.db.plugins:insert({ name = "cfg-v0x",
                                         config = { minute = 1, header = "9bad" } })
  t.same(err_t.fields, { config = { header = "header has an invalid value" } })
  _, _, err_t = kong.db.plugins:insert({ name = "cfg-v0x", config = { second = 5, minute = 1 } })
  t.same(err_t.fields["@entity"],
         { "the limit for second must not exceed the limit for minute" })
  _, _, err_t = kong.db.plugins:insert({ name = "cfg-v0x" })
  t.same(err_t.fields["@entity"], { "you need to set at least one limit: second or minute" })
  local c = assert(kong.db.consumers:insert({ username = "v0x-user" }))
  _, _, err_t = kong.db.plugins:insert({ name = "cfg-v0x", consumer = { id = c.id },
                                         config = { minute = 1 } })
  t.eq(err_t.fields.consumer, "value must be null")
  _, _, err_t = kong.db.plugins:insert({ name = "cfg-v0x", config = { limits = { x = {} } ,
                                                                       minute = 1 } })
  t.same(err_t.fields, { config = { limits = { quota = "required field missing" } } })
  t.eq(count_plugins(), before)
end)

t.test("update re-validates the config against the plugin's schema", function()
  local s = service("upd1")
  local p = assert(kong.db.plugins:insert({ name = "cfg-v0x", config = { minute = 3 },
                                            service = { id = s.id }, instance_name = "upd-v0x" }))
  local u, err = kong.db.plugins:update({ id = p.id }, { config = { minute = 4 } })
  t.is_nil(err)
  t.eq(u.config.minute, 4)
  t.eq(u.config.header, "X-Limit")
  local _, _, err_t = kong.db.plugins:update({ id = p.id }, { config = { minute = 0 } })
  t.eq(err_t.code, 2)
  t.eq(kong.db.plugins:select({ id = p.id }).config.minute, 4)
  t.eq(kong.db.plugins:select_by_instance_name("upd-v0x").id, p.id)
end)

t.test("0.13/0.14: kong.dao.plugins with a flat service_id", function()
  local s = service("flat1")
  local p, err = kong.dao.plugins:insert({ name = "cfg-v0x", service_id = s.id,
                                           config = { minute = 2 } })
  t.is_nil(err)
  t.eq(p.service_id, s.id)
  t.eq(p.config.minute, 2)
  local rows = kong.dao.plugins:find_all({ name = "cfg-v0x", service_id = s.id })
  t.eq(#rows, 1)
  t.eq(rows[1].id, p.id)
  local _, dup = kong.dao.plugins:insert({ name = "cfg-v0x", service_id = s.id,
                                           config = { minute = 2 } })
  t.eq(tostring(dup), "[" .. kong.db.strategy .. " error] name=already exists with value "
       .. "'cfg-v0x' service_id=already exists with value '" .. s.id .. "'")
end)

t.test("protocols must match the route's, or one of the service's routes' (Kong's plugins DAO)", function()
  local s = service("proto1")
  local r = assert(kong.db.routes:insert({ protocols = { "https" }, paths = { "/p1" },
                                           service = { id = s.id } }))
  local before = count_plugins()
  local _, err, err_t = kong.db.plugins:insert({ name = "cfg-v0x", route = { id = r.id },
                                                 protocols = { "http" }, config = { minute = 1 } })
  t.eq(err_t.code, 2)
  t.same(err_t.fields, { protocols = "must match the associated route's protocols" })
  t.eq(err, t.P .. "schema violation (protocols: must match the associated route's protocols)")
  _, _, err_t = kong.db.plugins:insert({ name = "cfg-v0x", service = { id = s.id },
                                         protocols = { "http" }, config = { minute = 1 } })
  t.same(err_t.fields, { protocols = "must match the protocols of at least one route "
                                     .. "pointing to this Plugin's service" })
  t.eq(count_plugins(), before)
  -- no protocols given: Kong does not check
  local p = assert(kong.db.plugins:insert({ name = "cfg-v0x", route = { id = r.id },
                                            config = { minute = 1 } }))
  -- an update naming protocols is checked against the stored route
  _, _, err_t = kong.db.plugins:update({ id = p.id }, { protocols = { "http" } })
  t.same(err_t.fields, { protocols = "must match the associated route's protocols" })
  t.same(kong.db.plugins:select({ id = p.id }).protocols, { "grpc", "grpcs", "http", "https" })
  assert(kong.db.plugins:update({ id = p.id }, { protocols = { "https" } }))
  -- a service without routes takes any protocols; one of several routes is enough
  local lone = service("proto2")
  assert(kong.db.plugins:insert({ name = "cfg-v0x", service = { id = lone.id },
                                  protocols = { "grpc" }, config = { minute = 1 } }))
  assert(kong.db.routes:insert({ protocols = { "grpc" }, paths = { "/g" },
                                 service = { id = s.id } }))
  assert(kong.db.plugins:insert({ name = "cfg-v0x", service = { id = s.id },
                                  protocols = { "grpc" }, config = { minute = 1 } }))
end)

t.test("a 0.x schema with no fields at all: an empty config, scopes still checked", function()
  local p, err = kong.db.plugins:insert({ name = "cfg-empty0x" })
  t.is_nil(err)
  t.same(p.config, {})
  local c = assert(kong.db.consumers:insert({ username = "empty0x-user" }))
  local _, _, err_t = kong.db.plugins:insert({ name = "cfg-empty0x", consumer = { id = c.id } })
  t.eq(err_t.fields.consumer, "value must be null")
end)

t.test("0.10-0.14 config idioms: function default with func, array enum, url, sibling funcs", function()
  local before = count_plugins()
  -- the default function and the func of one field (this used to free the
  -- default's reference when the validator was compiled)
  local p, err = kong.db.plugins:insert({ name = "cfg-v010", config = {} })
  t.is_nil(err)
  t.same(p.config.names, { "apikey" })
  t.same(p.config.methods, { "GET" })
  t.eq(p.config.mandatory, false)
  assert(kong.db.plugins:delete({ id = p.id }))
  local _, _, err_t = kong.db.plugins:insert({ name = "cfg-v010", config = { names = { "a b" } } })
  t.same(err_t.fields, { config = { names = "'a b' is illegal as a header name" } })
  -- an array's enum holds its elements
  _, _, err_t = kong.db.plugins:insert({ name = "cfg-v010", config = { methods = { "GET", "PUT" } } })
  t.same(err_t.fields, { config = { methods = { [2] = "expected one of: GET, POST" } } })
  -- a url is checked as one
  _, _, err_t = kong.db.plugins:insert({ name = "cfg-v010", config = { callback = "nope" } })
  t.eq(err_t.code, 2)
  t.truthy(err_t.fields.config.callback)
  -- a func reading its siblings sees the whole config
  _, _, err_t = kong.db.plugins:insert({ name = "cfg-v010", config = { mandatory = true } })
  t.same(err_t.fields["@entity"], { "mandatory needs scopes" })
  p = assert(kong.db.plugins:insert({ name = "cfg-v010",
                                      config = { mandatory = true, scopes = { "s" },
                                                 callback = "http://cb.test/x", note = "fine" } }))
  t.eq(p.config.callback, "http://cb.test/x")
  -- only `false, err` fails, as in 0.x: a func answering nothing accepts
  _, _, err_t = kong.db.plugins:insert({ name = "cfg-v010", config = { note = "bad" } })
  t.same(err_t.fields, { config = { note = "quiet must not be bad" } })
  assert(kong.db.plugins:delete({ id = p.id }))
  t.eq(count_plugins(), before)
end)

t.test("kong.dao turns 0.x's string aliases into arrays, booleans and numbers", function()
  local s = service("aliases")
  local p, err = kong.dao.plugins:insert({ name = "cfg-v010", service_id = s.id,
                                           config = { names = "x-a, x-b", mandatory = "TRUE",
                                                      scopes = "one,two\\,three" } })
  t.is_nil(err)
  t.same(p.config.names, { "x-a", "x-b" })
  t.same(p.config.scopes, { "one", "two,three" })
  t.eq(p.config.mandatory, true)
  local _, err2 = kong.dao.plugins:insert({ name = "cfg-v0x", service_id = s.id,
                                            config = { minute = " 7 " } })
  t.is_nil(err2)
  t.eq(kong.dao.plugins:find_all({ name = "cfg-v0x", service_id = s.id })[1].config.minute, 7)
end)

t.test("a 1.1 schema: run_on is left out, a legacy uuid takes \"\" for none", function()
  local p, err = kong.db.plugins:insert({ name = "cfg-v11", config = { anonymous = "" } })
  t.is_nil(err)
  t.is_nil(p.config.anonymous)
  t.eq(kong.db.plugins:select({ id = p.id }, { nulls = true }).config.anonymous, null)
  t.is_nil(p.run_on)
  local _, _, err_t = kong.db.plugins:insert({ name = "cfg-v11", config = { anonymous = "x" } })
  t.same(err_t.fields, { config = { anonymous = "expected a valid UUID" } })
  assert(kong.db.plugins:delete({ id = p.id }))
end)

t.test("update merges config with the stored one (the plugin's record, as Kong's merge_values)", function()
  local s = service("merge1")
  local p = assert(kong.db.plugins:insert({ name = "cfg-current", service = { id = s.id },
                                            config = { upstream = "u", times = 3 } }))
  local u, err = kong.db.plugins:update({ id = p.id }, { config = { greeting = "hi" } })
  t.is_nil(err)
  t.eq(u.config.greeting, "hi")
  t.eq(u.config.times, 3)
  t.eq(u.config.upstream, "u")
  t.same(kong.db.plugins:select({ id = p.id }).config, u.config)
end)

t.done()
