-- The upstreams and targets core entities (Kong's upstreams.lua and
-- targets.lua): defaults (the healthchecks record), the name and target
-- validators, the hash_on checks and shorthands, targets written as
-- host:port (port 8000 when none is given) and deleted with their
-- upstream.  Runs on every store.
local t = require "t"
local certgen = require "certgen"

local db = kong.db
local null = ngx.null

local count, refused = t.count, t.refused

local HEALTHCHECKS = {
  active = {
    type = "http", timeout = 1, concurrency = 10, http_path = "/",
    https_verify_certificate = true,
    healthy = { interval = 0, http_statuses = { 200, 302 }, successes = 0 },
    unhealthy = { interval = 0, http_statuses = { 429, 404, 500, 501, 502, 503, 504, 505 },
                  tcp_failures = 0, timeouts = 0, http_failures = 0 },
  },
  passive = {
    type = "http",
    healthy = { http_statuses = { 200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
                                  300, 301, 302, 303, 304, 305, 306, 307, 308 },
                successes = 0 },
    unhealthy = { http_statuses = { 429, 500, 503 }, tcp_failures = 0, timeouts = 0,
                  http_failures = 0 },
  },
  threshold = 0,
}

t.test("upstreams: Kong's defaults", function()
  local u = assert(db.upstreams:insert({ name = "defaults.test" }))
  t.eq(u.algorithm, "round-robin")
  t.eq(u.hash_on, "none")
  t.eq(u.hash_fallback, "none")
  t.eq(u.hash_on_cookie_path, "/")
  t.eq(u.slots, 10000)
  t.eq(u.use_srv_name, false)
  t.same(u.healthchecks, HEALTHCHECKS)
  local again = assert(db.upstreams:select_by_name("defaults.test", { nulls = true }))
  t.same(again.healthchecks.active.healthy, HEALTHCHECKS.active.healthy)
  t.eq(again.healthchecks.active.https_sni, null)
  t.eq(again.healthchecks.active.headers, null)
  t.eq(again.host_header, null)
  t.eq(again.client_certificate, null)
end)

t.test("upstreams: a partial healthchecks record keeps the other defaults", function()
  local u = assert(db.upstreams:insert({ name = "partial.test", healthchecks = {
    active = { concurrency = 5, https_sni = "sni.test", headers = { ["x-a"] = { "1" } },
               unhealthy = { tcp_failures = 3 } },
    threshold = 50 } }))
  t.eq(u.healthchecks.active.concurrency, 5)
  t.eq(u.healthchecks.active.https_sni, "sni.test")
  t.same(u.healthchecks.active.headers, { ["x-a"] = { "1" } })
  t.eq(u.healthchecks.active.unhealthy.tcp_failures, 3)
  t.same(u.healthchecks.active.unhealthy.http_statuses, HEALTHCHECKS.active.unhealthy.http_statuses)
  t.eq(u.healthchecks.active.timeout, 1)
  t.same(u.healthchecks.passive, HEALTHCHECKS.passive)
  t.eq(u.healthchecks.threshold, 50)
end)

t.test("upstreams: names are host names, unique", function()
  refused(db.upstreams, {}, { name = "required field missing" },
    "schema violation (name: required field missing)")
  refused(db.upstreams, { name = "1.2.3.4" },
    { name = "Invalid name ('1.2.3.4'); no ip addresses allowed" },
    "schema violation (name: Invalid name ('1.2.3.4'); no ip addresses allowed)")
  refused(db.upstreams, { name = "[::1]" },
    { name = "Invalid name ('[::1]'); no ip addresses allowed" })
  refused(db.upstreams, { name = "named.test:80" },
    { name = "Invalid name ('named.test:80'); no port allowed" })
  refused(db.upstreams, { name = "bad name" },
    { name = "Invalid name ('bad name'); must be a valid hostname" })
  refused(db.upstreams, { name = "dash-.test" },
    { name = "Invalid name ('dash-.test'); must be a valid hostname" })
  -- (daoc refuses a string that is not UTF-8 before any validator)
  refused(db.upstreams, { name = "bad\255.test" },
    { name = "invalid utf-8 character sequence detected at position 4" })
  local before = count(db.upstreams)
  local _, err_t = t.fails(5, db.upstreams:insert({ name = "defaults.test" }))
  t.same(err_t.fields, { name = "defaults.test" })
  t.eq(count(db.upstreams), before)
end)

t.test("upstreams: ranges, nested errors", function()
  refused(db.upstreams, { name = "r.test", slots = 5 },
    { slots = "value should be between 10 and 65536" })
  refused(db.upstreams, { name = "r.test", algorithm = "random" },
    { algorithm = "expected one of: consistent-hashing, least-connections, round-robin, latency" })
  refused(db.upstreams, { name = "r.test", healthchecks = { active = { timeout = -1 },
                                                            passive = { type = "udp" } } },
    { healthchecks = { active = { timeout = "value should be between 0 and 65535" },
                       passive = { type = "expected one of: tcp, http, https, grpc, grpcs" } } })
  refused(db.upstreams, { name = "r.test", healthchecks = { active = { unhealthy = {
    http_statuses = { 99 } } } } },
    { healthchecks = { active = { unhealthy = { http_statuses = {
      "value should be between 100 and 999" } } } } })
end)

t.test("upstreams: hash_on checks", function()
  refused(db.upstreams, { name = "h.test", hash_on = "header" },
    { ["@entity"] = { "failed conditional validation given value of field 'hash_on'" },
      hash_on_header = "required field missing" },
    "2 schema violations (failed conditional validation given value of field 'hash_on'; " ..
    "hash_on_header: required field missing)")
  refused(db.upstreams, { name = "h.test", hash_on = "cookie" },
    { ["@entity"] = { "failed conditional validation given value of field 'hash_on'" },
      hash_on_cookie = "required field missing" })
  refused(db.upstreams, { name = "h.test", hash_on = "ip", hash_fallback = "ip" },
    { ["@entity"] = { "failed conditional validation given value of field 'hash_on'" },
      hash_fallback = "expected one of: none, consumer, header, cookie, path, query_arg, uri_capture" })
  refused(db.upstreams, { name = "h.test", hash_on = "header", hash_on_header = "x-a",
                          hash_fallback = "header", hash_fallback_header = "x-a" },
    { ["@entity"] = { "values of these fields must be distinct: 'hash_on_header', " ..
                      "'hash_fallback_header'" } })
  refused(db.upstreams, { name = "h.test", hash_on = "query_arg" },
    { ["@entity"] = { "failed conditional validation given value of field 'hash_on'" },
      hash_on_query_arg = "required field missing" })
  local u = assert(db.upstreams:insert({ name = "h.test", hash_on = "header",
                                         hash_on_header = "x-a", hash_fallback = "cookie",
                                         hash_on_cookie = "c" }))
  t.eq(u.hash_on_header, "x-a")
  t.eq(u.hash_fallback, "cookie")
end)

t.test("upstreams: the algorithm and hash_on shorthands", function()
  -- a hash_on other than none makes the algorithm consistent-hashing
  local a = assert(db.upstreams:insert({ name = "s1.test", hash_on = "ip" }))
  t.eq(a.algorithm, "consistent-hashing")
  t.eq(a.hash_on, "ip")
  -- hash_on none makes it round-robin
  local b = assert(db.upstreams:insert({ name = "s2.test", algorithm = "consistent-hashing",
                                         hash_on = "none" }))
  t.eq(b.algorithm, "round-robin")
  -- the algorithm's shorthand runs first: least-connections clears the
  -- hash_on given beside it, and the hash_on shorthand then sees null
  local b2 = assert(db.upstreams:insert({ name = "s2b.test", algorithm = "least-connections",
                                          hash_on = "ip" }))
  t.eq(b2.algorithm, "least-connections")
  t.eq(b2.hash_on, "none")
  -- the non-hashing algorithms clear hash_on (back to "none")
  local c = assert(db.upstreams:insert({ name = "s3.test", algorithm = "latency" }))
  t.eq(c.algorithm, "latency")
  t.eq(c.hash_on, "none")
  local d = assert(db.upstreams:update({ id = a.id }, { hash_on = "consumer" }))
  t.eq(d.algorithm, "consistent-hashing")
  t.eq(d.hash_on, "consumer")
end)

t.test("upstreams: client_certificate and host_header", function()
  local pair = certgen.leaf("rsa", "client.test")
  local cert = assert(db.certificates:insert({ cert = pair.cert, key = pair.key }))
  local u = assert(db.upstreams:insert({ name = "mtls.test", client_certificate = { id = cert.id },
                                         host_header = "backend.test:8080" }))
  t.same(u.client_certificate, { id = cert.id })
  t.eq(u.host_header, "backend.test:8080")
  local _, err_t = t.fails(4, db.certificates:delete({ id = cert.id }))
  t.same(err_t.fields, { ["@referenced_by"] = "upstreams" })
  refused(db.upstreams, { name = "hh.test", host_header = "bad host" },
    { host_header = "invalid hostname: bad host" })
  assert(db.upstreams:delete({ id = u.id }))
  assert(db.certificates:delete({ id = cert.id }))
end)

t.test("targets: host:port, 8000 when no port is given", function()
  local u = assert(db.upstreams:select_by_name("defaults.test"))
  local cases = {
    { "10.0.0.1", "10.0.0.1:8000" },
    { "010.000.000.002:81", "10.0.0.2:81" },
    { "backend.test", "backend.test:8000" },
    { "backend.test:9000", "backend.test:9000" },
    { "::1", "[0000:0000:0000:0000:0000:0000:0000:0001]:8000" },
    { "[2001:DB8::2]:9", "[2001:0db8:0000:0000:0000:0000:0000:0002]:9" },
  }
  for _, c in ipairs(cases) do
    local tg, err = db.targets:insert({ upstream = { id = u.id }, target = c[1] })
    t.is_nil(err, c[1])
    t.eq(tg.target, c[2], c[1])
    t.eq(tg.weight, 100, c[1])
    t.eq(db.targets:select({ id = tg.id }).target, c[2], c[1])
  end
  -- the same target twice in one upstream: cache_key (upstream, target)
  local before = count(db.targets)
  t.fails(5, db.targets:insert({ upstream = { id = u.id }, target = "10.0.0.1:8000" }))
  t.eq(count(db.targets), before)
  local tg = assert(db.targets:select_by_cache_key(
    db.targets:cache_key(u.id, "backend.test:9000")))
  t.eq(tg.target, "backend.test:9000")
  -- ms timestamps
  t.eq(type(tg.created_at), "number")
end)

t.test("targets: Kong's refusals", function()
  local u = assert(db.upstreams:select_by_name("defaults.test"))
  refused(db.targets, { upstream = { id = u.id }, target = "bad target" },
    { target = "Invalid target ('bad target'); not a valid hostname or ip address" },
    "schema violation (target: Invalid target ('bad target'); not a valid hostname or ip address)")
  refused(db.targets, { upstream = { id = u.id }, target = "10.0.0.300" },
    { target = "Invalid target ('10.0.0.300'); not a valid hostname or ip address" })
  refused(db.targets, { upstream = { id = u.id }, target = "a.test:70000" },
    { target = "Invalid target ('a.test:70000'); not a valid hostname or ip address" })
  refused(db.targets, { upstream = { id = u.id }, target = "x.test", weight = 65536 },
    { weight = "value should be between 0 and 65535" },
    "schema violation (weight: value should be between 0 and 65535)")
  refused(db.targets, { target = "x.test" }, { upstream = "required field missing" },
    "schema violation (upstream: required field missing)")
  local tg = assert(db.targets:insert({ upstream = { id = u.id }, target = "w.test", weight = 0 }))
  t.eq(tg.weight, 0)
end)

t.test("targets go with their upstream", function()
  local u = assert(db.upstreams:insert({ name = "cascade.test" }))
  local keep = assert(db.upstreams:select_by_name("defaults.test"))
  local kept = 0
  for tg in db.targets:each_for_upstream({ id = keep.id }) do
    if tg then kept = kept + 1 end
  end
  assert(db.targets:insert({ upstream = { id = u.id }, target = "a.test" }))
  assert(db.targets:insert({ upstream = { id = u.id }, target = "b.test:1" }))
  local n = 0
  for tg in db.targets:each_for_upstream({ id = u.id }) do
    if tg then n = n + 1 end
  end
  t.eq(n, 2)
  assert(db.upstreams:delete({ id = u.id }))
  n = 0
  for tg in db.targets:each_for_upstream({ id = u.id }) do
    if tg then n = n + 1 end
  end
  t.eq(n, 0)
  local still = 0
  for tg in db.targets:each_for_upstream({ id = keep.id }) do
    if tg then still = still + 1 end
  end
  t.eq(still, kept)
end)

certgen.cleanup()
t.done()
