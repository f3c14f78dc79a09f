-- The routes core entity (Kong's routes.lua and routes_subschemas.lua,
-- traditional router flavor): defaults, the snis check, the host header
-- ban, each protocol's subschema with Kong's messages, the path_handling
-- deprecation notice, and the service foreign key without on_delete (a
-- service with routes cannot be deleted).  Every refused write is checked
-- to have written nothing.  Runs on every store.
local t = require "t"

local null = ngx.null
local P = t.P

local function count() return t.count(kong.db.routes) end

-- insert must fail with code 2, the exact message and fields, and write nothing
local function refused(input, message, fields)
  t.refused(kong.db.routes, input, fields, message)
end

local function at_least(list, when)
  return "must set one of " .. list .. " when 'protocols' is '" .. when .. "'"
end
local HTTP_SET = "'methods', 'hosts', 'headers', 'paths'"
local HTTPS_SET = "'methods', 'hosts', 'headers', 'paths', 'snis'"
local STREAM_SET = "'sources', 'destinations', 'snis'"
local STREAM_WHEN = "'tcp', 'tls', 'tls_passthrough' or 'udp'"
local GRPC_WHEN = "'grpc' or 'grpcs'"
local SNIS_ONLY = "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or "
  .. "'tls_passthrough'"

t.test("defaults are Kong's", function()
  local r = assert(kong.db.routes:insert({ name = "r-defaults", hosts = { "defaults.test" } }))
  t.same(r.protocols, { "http", "https" })
  t.eq(r.https_redirect_status_code, 426)
  t.eq(r.strip_path, true)
  t.eq(r.preserve_host, false)
  t.eq(r.request_buffering, true)
  t.eq(r.response_buffering, true)
  t.eq(r.regex_priority, 0)
  t.eq(r.path_handling, "v0")
  t.eq(r.service, nil)
  t.truthy(r.created_at and r.updated_at)
  local got = assert(kong.db.routes:select_by_name("r-defaults"))
  t.eq(got.id, r.id)
  t.same(got.hosts, { "defaults.test" })
  local withws = assert(kong.db.routes:select({ id = r.id }, { show_ws_id = true }))
  t.eq(withws.ws_id, kong.default_workspace)
end)

t.test("snis only with grpcs, https, tls or tls_passthrough", function()
  refused({ protocols = { "http" }, hosts = { "a.test" }, snis = { "a.test" } },
    "2 schema violations (" .. SNIS_ONLY .. "; snis: length must be 0)",
    { ["@entity"] = { SNIS_ONLY }, snis = "length must be 0" })
  refused({ protocols = { "grpc" }, hosts = { "a.test" }, snis = { "a.test" } },
    "2 schema violations (" .. SNIS_ONLY .. "; snis: length must be 0)",
    { ["@entity"] = { SNIS_ONLY }, snis = "length must be 0" })
  for _, p in ipairs({ "https", "grpcs", "tls", "tls_passthrough" }) do
    local r, err = kong.db.routes:insert({ protocols = { p }, snis = { p .. ".sni.test" } })
    t.is_nil(err, p)
    t.same(r.snis, { p .. ".sni.test" }, p)
  end
  -- an empty set is no sni
  assert(kong.db.routes:insert({ protocols = { "http" }, hosts = { "b.test" }, snis = {} }))
end)

t.test("headers may not name host, in any case", function()
  local msg = "cannot contain 'host' header, which must be specified in the 'hosts' attribute"
  for _, h in ipairs({ "host", "Host", "HOST", "hOsT" }) do
    refused({ headers = { ["X-Ok"] = { "1" }, [h] = { "a.test" } } },
      "schema violation (headers: " .. msg .. ")", { headers = msg })
  end
  local r = assert(kong.db.routes:insert({ headers = { ["X-Host"] = { "a", "b" } } }))
  t.same(r.headers, { ["X-Host"] = { "a", "b" } })
end)

t.test("http and https: no sources or destinations, one matching attribute", function()
  refused({ protocols = { "http" } }, "schema violation (" .. at_least(HTTP_SET, "http") .. ")",
    { ["@entity"] = { at_least(HTTP_SET, "http") } })
  refused({}, "schema violation (" .. at_least(HTTPS_SET, "https") .. ")",
    { ["@entity"] = { at_least(HTTPS_SET, "https") } })
  refused({ protocols = { "https" } }, "schema violation (" .. at_least(HTTPS_SET, "https") .. ")",
    { ["@entity"] = { at_least(HTTPS_SET, "https") } })
  local src = "cannot set 'sources' when 'protocols' is 'http' or 'https'"
  refused({ paths = { "/s" }, sources = { { ip = "10.0.0.1" } } },
    "schema violation (sources: " .. src .. ")", { sources = src })
  local dst = "cannot set 'destinations' when 'protocols' is 'http' or 'https'"
  refused({ protocols = { "http" }, paths = { "/d" }, destinations = { { port = 80 } } },
    "schema violation (destinations: " .. dst .. ")", { destinations = dst })
  for _, input in ipairs({
    { protocols = { "http" }, methods = { "GET" } },
    { protocols = { "http" }, paths = { "/p" } },
    { protocols = { "http" }, headers = { ["X-A"] = { "1" } } },
    { protocols = { "https" }, snis = { "only.sni.test" } },
  }) do
    local _, err = kong.db.routes:insert(input)
    t.is_nil(err)
  end
end)

t.test("tcp, tls, udp and tls_passthrough: stream attributes only", function()
  for _, f in ipairs({ "methods", "hosts", "paths", "headers" }) do
    local input = { protocols = { "tcp" }, sources = { { ip = "10.0.0.1" } } }
    input[f] = f == "headers" and { ["X-A"] = { "1" } } or f == "methods" and { "GET" }
      or f == "paths" and { "/x" } or { "x.test" }
    local msg = "cannot set '" .. f .. "' when 'protocols' is " .. STREAM_WHEN
    refused(input, "schema violation (" .. f .. ": " .. msg .. ")", { [f] = msg })
  end
  local need = "must set one of " .. STREAM_SET .. " when 'protocols' is 'tcp', 'tls' or 'udp'"
  for _, p in ipairs({ "tcp", "tls", "udp" }) do
    refused({ protocols = { p } }, "schema violation (" .. need .. ")", { ["@entity"] = { need } })
  end
  local pt = "must set snis when 'protocols' is 'tls_passthrough'"
  refused({ protocols = { "tls_passthrough" }, sources = { { ip = "10.0.0.2" } } },
    "schema violation (" .. pt .. ")", { ["@entity"] = { pt } })
  local r = assert(kong.db.routes:insert({ protocols = { "tcp", "udp" },
                                           sources = { { ip = "10.0.0.0/8", port = 53 } },
                                           destinations = { { port = 5353 } } }))
  t.same(r.sources, { { ip = "10.0.0.0/8", port = 53 } })
  t.same(r.destinations, { { port = 5353 } })
  assert(kong.db.routes:insert({ protocols = { "tls" }, snis = { "stream.test" } }))
end)

t.test("grpc and grpcs: strip_path false, no methods, sources or destinations", function()
  local r = assert(kong.db.routes:insert({ protocols = { "grpc" }, paths = { "/g" } }))
  t.eq(r.strip_path, false)
  local sp = "cannot set 'strip_path' when 'protocols' is " .. GRPC_WHEN
  refused({ protocols = { "grpc" }, paths = { "/g2" }, strip_path = true },
    "schema violation (strip_path: " .. sp .. ")", { strip_path = sp })
  local m = "cannot set 'methods' when 'protocols' is " .. GRPC_WHEN
  refused({ protocols = { "grpcs" }, hosts = { "g.test" }, methods = { "POST" } },
    "schema violation (methods: " .. m .. ")", { methods = m })
  local s = "cannot set 'sources' when 'protocols' is " .. GRPC_WHEN
  refused({ protocols = { "grpc" }, hosts = { "g.test" }, sources = { { port = 1 } } },
    "schema violation (sources: " .. s .. ")", { sources = s })
  local d = "cannot set 'destinations' when 'protocols' is " .. GRPC_WHEN
  refused({ protocols = { "grpc" }, hosts = { "g.test" }, destinations = { { port = 1 } } },
    "schema violation (destinations: " .. d .. ")", { destinations = d })
  local g = at_least("'hosts', 'headers', 'paths'", "grpc")
  refused({ protocols = { "grpc" } }, "schema violation (" .. g .. ")", { ["@entity"] = { g } })
  local gs = at_least("'hosts', 'headers', 'paths', 'snis'", "grpcs")
  refused({ protocols = { "grpcs" } }, "schema violation (" .. gs .. ")", { ["@entity"] = { gs } })
  assert(kong.db.routes:insert({ protocols = { "grpcs" }, snis = { "grpc.sni.test" } }))
  assert(kong.db.routes:insert({ protocols = { "grpc", "grpcs" }, headers = { ["X-G"] = { "1" } } }))
end)

t.test("protocols: Kong's mutually exclusive subsets and values", function()
  refused({ protocols = { "http", "tcp" }, hosts = { "a.test" } },
    "schema violation (protocols: these sets are mutually exclusive: ('http', 'https'), "
      .. "('tcp', 'tls', 'udp'))",
    { protocols = "these sets are mutually exclusive: ('http', 'https'), ('tcp', 'tls', 'udp')" })
  refused({ hosts = { "a.test" }, https_redirect_status_code = 200 },
    "schema violation (https_redirect_status_code: expected one of: 426, 301, 302, 307, 308)",
    { https_redirect_status_code = "expected one of: 426, 301, 302, 307, 308" })
end)

t.test("path_handling v1: accepted with a deprecation notice in the log", function()
  local lines = {}
  local log = ngx.log
  ngx.log = function(level, ...)
    lines[#lines + 1] = { level, table.concat({ ... }) }
  end
  local r, err = kong.db.routes:insert({ paths = { "/v1" }, path_handling = "v1" })
  local r0 = kong.db.routes:insert({ paths = { "/v0" } })
  ngx.log = log
  t.is_nil(err)
  t.eq(r.path_handling, "v1")
  t.eq(r0.path_handling, "v0")
  t.eq(#lines, 1)
  t.eq(lines[1][1], ngx.WARN)
  t.eq(lines[1][2], "path_handling='v1' is deprecated and will be removed in future version, "
    .. "please use path_handling='v0' instead (deprecated after 3.0)")
  refused({ paths = { "/v2" }, path_handling = "v2" },
    "schema violation (path_handling: expected one of: v0, v1)",
    { path_handling = "expected one of: v0, v1" })
end)

t.test("updates see the stored protocols and write nothing when refused", function()
  local g = assert(kong.db.routes:insert({ protocols = { "grpc" }, paths = { "/upd" } }))
  local sp = "cannot set 'strip_path' when 'protocols' is " .. GRPC_WHEN
  local u, err, err_t = kong.db.routes:update({ id = g.id }, { strip_path = true })
  t.is_nil(u)
  t.eq(err, P .. "schema violation (strip_path: " .. sp .. ")")
  t.same(err_t.fields, { strip_path = sp })
  t.eq(kong.db.routes:select({ id = g.id }).strip_path, false)
  local h = assert(kong.db.routes:insert({ hosts = { "upd.test" } }))
  local _, _, e2 = kong.db.routes:update({ id = h.id }, { sources = { { ip = "10.0.0.3" } } })
  t.same(e2.fields, { sources = "cannot set 'sources' when 'protocols' is 'http' or 'https'" })
  local _, _, e3 = kong.db.routes:update({ id = h.id }, { hosts = null })
  t.same(e3.fields, { ["@entity"] = { at_least(HTTPS_SET, "https") } })
  local _, _, e4 = kong.db.routes:update({ id = h.id }, { protocols = { "http" }, snis = { "s.test" } })
  t.same(e4.fields, { ["@entity"] = { SNIS_ONLY }, snis = "length must be 0" })
  local still = kong.db.routes:select({ id = h.id })
  t.same(still.hosts, { "upd.test" })
  t.same(still.protocols, { "http", "https" })
  t.eq(still.sources, nil)
  t.eq(still.snis, nil)
  local ok = assert(kong.db.routes:update({ id = h.id }, { paths = { "/ok" } }))
  t.same(ok.paths, { "/ok" })
end)

t.test("service: a dangling reference is refused; a referenced service cannot be deleted", function()
  local before = count()
  local missing = "00000000-0000-4000-8000-000000000001"
  local r, err, err_t = kong.db.routes:insert({ hosts = { "fk.test" }, service = { id = missing } })
  t.is_nil(r)
  t.eq(err, P .. "the foreign key '{id=\"" .. missing .. "\"}' does not reference an existing "
    .. "'services' entity.")
  t.eq(err_t.code, 4)
  t.eq(err_t.name, "foreign key violation")
  t.same(err_t.fields, { service = { id = missing } })
  t.eq(count(), before)

  local s = assert(kong.db.services:insert({ name = "routed", host = "routed.test" }))
  local a = assert(kong.db.routes:insert({ hosts = { "a.routed.test" }, service = { id = s.id } }))
  local b = assert(kong.db.routes:insert({ paths = { "/routed" }, service = { id = s.id } }))
  t.same(a.service, { id = s.id })
  local n = 0
  for row in kong.db.routes:each_for_service({ id = s.id }) do
    t.same(row.service, { id = s.id })
    n = n + 1
  end
  t.eq(n, 2)

  local ok, derr, derr_t = kong.db.services:delete({ id = s.id })
  t.is_nil(ok)
  t.eq(derr, P .. "an existing 'routes' entity references this 'services' entity")
  t.eq(derr_t.code, 4)
  t.eq(derr_t.name, "foreign key violation")
  t.same(derr_t.fields, { ["@referenced_by"] = "routes" })
  t.eq(kong.db.services:select({ id = s.id }).name, "routed")
  t.truthy(kong.db.routes:select({ id = a.id }))
  t.truthy(kong.db.routes:select({ id = b.id }))

  assert(kong.db.routes:delete({ id = a.id }))
  t.fails(4, kong.db.services:delete({ id = s.id }))
  assert(kong.db.routes:delete({ id = b.id }))
  t.eq(kong.db.services:delete({ id = s.id }), true)
  t.is_nil(kong.db.services:select({ id = s.id }))
end)

t.done()
