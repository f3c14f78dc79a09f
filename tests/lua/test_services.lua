-- The services core entity (Kong's services.lua): fields and defaults, the
-- url shorthand, the conditional checks, Kong's messages; and seed 001's
-- singletons.db.services:insert as written.  Runs on every store.
local t = require "t"

local strategy = kong.db.strategy

t.test("seed 001: singletons.db.services:insert as the chapter writes it", function()
  local singletons = require "kong.singletons"
  local db  = singletons.db

  local inserted_service, err = db.services:insert({
    name = "mockbin",
    url = "http://mockbin.org"
  })

  t.is_nil(err)
  t.eq(inserted_service.name, "mockbin")
  t.eq(inserted_service.protocol, "http")
  t.eq(inserted_service.host, "mockbin.org")
  t.eq(inserted_service.port, 80)
  t.eq(kong.db.services:select({ id = inserted_service.id }).host, "mockbin.org")
end)

t.test("defaults are Kong's", function()
  local s = assert(kong.db.services:insert({ host = "defaults.test" }))
  t.eq(s.protocol, "http")
  t.eq(s.port, 80)
  t.eq(s.retries, 5)
  t.eq(s.connect_timeout, 60000)
  t.eq(s.write_timeout, 60000)
  t.eq(s.read_timeout, 60000)
  t.eq(s.enabled, true)
  t.truthy(s.created_at and s.updated_at)
end)

t.test("the url shorthand: protocol, host, port and path", function()
  local cases = {
    { "https://secure.test", "https", "secure.test", 443, nil },
    { "http://with.port:8080/some/path", "http", "with.port", 8080, "/some/path" },
    { "//no-scheme.test:443", "https", "no-scheme.test", 443, nil },
    { "grpcs://grpc.test:9000", "grpcs", "grpc.test", 9000, nil },
  }
  for i, c in ipairs(cases) do
    local s, err = kong.db.services:insert({ name = "u" .. i, url = c[1] })
    t.is_nil(err, c[1])
    t.eq(s.protocol, c[2], c[1])
    t.eq(s.host, c[3], c[1])
    t.eq(s.port, c[4], c[1])
    t.eq(s.path, c[5], c[1])
  end
  -- the shorthand also serves update
  local s = assert(kong.db.services:insert({ name = "moving", host = "a.test" }))
  local u = assert(kong.db.services:update({ id = s.id }, { url = "https://b.test/x" }))
  t.eq(u.host, "b.test")
  t.eq(u.protocol, "https")
  t.eq(u.path, "/x")
end)

t.test("Kong's messages for bad services", function()
  t.fails(2, kong.db.services:insert({ host = "t.test", connect_timeout = 0 }))
  local _, err = kong.db.services:insert({ host = "t.test", connect_timeout = 0 })
  t.eq(err, "[" .. strategy .. "] schema violation (connect_timeout: value should be between 1 and 2147483646)")
  local _, err2, err_t2 = kong.db.services:insert({ url = "tcp://stream.test:9000/path" })
  t.eq(err_t2.code, 2)
  t.eq(err_t2.fields.path, "value must be null")
  t.match(err2, "failed conditional validation given value of field 'protocol'")
  local _, _, err_t3 = kong.db.services:insert({ host = "t.test", tls_verify = true })
  t.eq(err_t3.fields.tls_verify, "value must be null")
  local _, _, err_t4 = kong.db.services:insert({ port = 80 })
  t.eq(err_t4.fields.host, "required field missing")
  local _, _, err_t5 = kong.db.services:insert({ host = "t.test", protocol = "gopher" })
  t.truthy(err_t5.fields.protocol)
  local _, _, err_t6 = kong.db.services:insert({ name = "mockbin", host = "dup.test" })
  t.eq(err_t6.code, 5)
end)

t.test("services are workspaceable and selected by name", function()
  local s = assert(kong.db.services:select_by_name("mockbin"))
  t.eq(s.host, "mockbin.org")
  local withws = assert(kong.db.services:select({ id = s.id }, { show_ws_id = true }))
  t.eq(withws.ws_id, kong.default_workspace)
end)

t.done()
