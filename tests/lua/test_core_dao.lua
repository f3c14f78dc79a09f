-- Kong's custom DAOs of core entities (kong/db/dao/certificates.lua,
-- snis.lua, ca_certificates.lua), as daoc's src/db/*_dao.c hooks give them
-- to every path: kong.db here, kong.dao and dao (legacy views of the same
-- DAO objects).  Certificates come from the openssl command line
-- (certgen.lua).  Runs on every store.
local t = require "t"
local certgen = require "certgen"

local db = kong.db
local null = ngx.null
local rsa = certgen.leaf("rsa", "leaf.test")
local ca = certgen.ca("ca.test")
local count, refused = t.count, t.refused

local function names(cert_id)
  local out = {}
  for sni in db.snis:each() do
    if sni.certificate.id == cert_id then out[#out + 1] = sni.name end
  end
  table.sort(out)
  return out
end

t.test("certificates: insert writes one sni per name, returns them sorted", function()
  local c = assert(db.certificates:insert({ cert = rsa.cert, key = rsa.key,
                                            snis = { "b.test", "a.test", "*.w.test" } }))
  t.same(c.snis, { "*.w.test", "a.test", "b.test" })
  t.same(names(c.id), { "*.w.test", "a.test", "b.test" })
  t.same(db.snis:select_by_name("a.test").certificate, { id = c.id })
  -- no snis: an empty list
  local plain = assert(db.certificates:insert({ cert = rsa.cert, key = rsa.key }))
  t.same(plain.snis, {})
  t.eq(getmetatable(plain.snis), getmetatable(c.snis))
  -- page carries each certificate's snis
  local page = assert(db.certificates:page())
  local by_id = {}
  for _, row in ipairs(page) do by_id[row.id] = row.snis end
  t.same(by_id[c.id], { "*.w.test", "a.test", "b.test" })
  t.same(by_id[plain.id], {})
  -- select does not, as in Kong (select_with_name_list does there)
  t.is_nil(db.certificates:select({ id = c.id }).snis)
  assert(db.certificates:delete({ id = plain.id }))
  assert(db.certificates:delete({ id = c.id }))
end)

t.test("certificates: a name twice, or another certificate's, is refused", function()
  local before_c, before_s = count(db.certificates), count(db.snis)
  refused(db.certificates, { cert = rsa.cert, key = rsa.key, snis = { "x.test", "x.test" } },
    { snis = "x.test is duplicated" }, "schema violation (snis: x.test is duplicated)")
  local c = assert(db.certificates:insert({ cert = rsa.cert, key = rsa.key,
                                            snis = { "owned.test" } }))
  local msg = "owned.test already associated with existing certificate '" .. c.id .. "'"
  refused(db.certificates, { cert = rsa.cert, key = rsa.key, snis = { "new.test", "owned.test" } },
    { snis = msg }, "schema violation (snis: " .. msg .. ")")
  t.eq(count(db.certificates), before_c + 1)
  t.eq(count(db.snis), before_s + 1)
  -- the owner may name it again
  local u = assert(db.certificates:update({ id = c.id }, { snis = { "owned.test", "more.test" } }))
  t.same(u.snis, { "more.test", "owned.test" })
  -- another certificate may not, on update or upsert either
  local d = assert(db.certificates:insert({ cert = rsa.cert, key = rsa.key }))
  local _, err_t = t.fails(2, db.certificates:update({ id = d.id }, { snis = { "more.test" } }))
  t.same(err_t.fields, { snis = "more.test already associated with existing certificate '" ..
                                c.id .. "'" })
  t.fails(2, db.certificates:upsert({ id = d.id }, { cert = rsa.cert, key = rsa.key,
                                                      snis = { "owned.test" } }))
  t.same(names(d.id), {})
  t.same(names(c.id), { "more.test", "owned.test" })
  assert(db.certificates:delete({ id = d.id }))
  assert(db.certificates:delete({ id = c.id }))
end)

t.test("certificates: update and upsert replace the snis, or report the stored ones", function()
  local c = assert(db.certificates:insert({ cert = rsa.cert, key = rsa.key,
                                            snis = { "one.test", "two.test" } }))
  local u = assert(db.certificates:update({ id = c.id }, { snis = { "two.test", "three.test" } }))
  t.same(u.snis, { "three.test", "two.test" })
  t.same(names(c.id), { "three.test", "two.test" })
  -- an update without snis keeps them and returns them
  local u2 = assert(db.certificates:update({ id = c.id }, { tags = { "k" } }))
  t.same(u2.snis, { "three.test", "two.test" })
  -- null clears them
  local u3 = assert(db.certificates:update({ id = c.id }, { snis = null }))
  t.same(u3.snis, {})
  t.same(names(c.id), {})
  -- upsert: given, replaced; a new certificate gets its own
  local p = assert(db.certificates:upsert({ id = c.id }, { cert = rsa.cert, key = rsa.key,
                                                          snis = { "up.test" } }))
  t.same(p.snis, { "up.test" })
  t.same(names(c.id), { "up.test" })
  local p2 = assert(db.certificates:upsert({ id = c.id }, { cert = rsa.cert, key = rsa.key }))
  t.same(p2.snis, { "up.test" })
  assert(db.certificates:delete({ id = c.id }))
end)

t.test("certificates: a name another workspace's sni has is refused, nothing written", function()
  local w2 = assert(db.workspaces:insert({ name = "coredao-w2" }))
  local o = assert(db.certificates:insert({ cert = rsa.cert, key = rsa.key, snis = { "ws.test" } },
                                          { workspace = w2.id }))
  t.same(db.snis:select_by_name("ws.test", { workspace = w2.id }).certificate, { id = o.id })
  local before_c, before_s = count(db.certificates), count(db.snis)
  local msg = "ws.test already associated with existing certificate '" .. o.id .. "'"
  refused(db.certificates, { cert = rsa.cert, key = rsa.key, snis = { "a1.test", "ws.test" } },
    { snis = msg }, "schema violation (snis: " .. msg .. ")")
  t.eq(count(db.certificates), before_c)
  t.eq(count(db.snis), before_s)
  t.is_nil(db.snis:select_by_name("a1.test"))
  assert(db.certificates:delete({ id = o.id }, { workspace = w2.id }))
  t.is_nil(db.snis:select_by_name("ws.test", { workspace = w2.id }))
  assert(db.workspaces:delete({ id = w2.id }))
end)

t.test("certificates: delete removes the certificate's snis", function()
  local c = assert(db.certificates:insert({ cert = rsa.cert, key = rsa.key,
                                            snis = { "gone.test", "gone2.test" } }))
  t.same(names(c.id), { "gone.test", "gone2.test" })
  assert(db.certificates:delete({ id = c.id }))
  t.is_nil(db.certificates:select({ id = c.id }))
  t.is_nil(db.snis:select_by_name("gone.test"))
  t.same(names(c.id), {})
  -- the names are free again
  local d = assert(db.certificates:insert({ cert = rsa.cert, key = rsa.key, snis = { "gone.test" } }))
  assert(db.certificates:delete({ id = d.id }))
end)

t.test("certificates: the legacy kong.dao view gets the snis too", function()
  local c = assert(kong.dao.certificates:insert({ cert = rsa.cert, key = rsa.key,
                                                  snis = { "legacy.test" } }))
  t.same(c.snis, { "legacy.test" })
  t.eq(db.snis:select_by_name("legacy.test").certificate.id, c.id)
  assert(db.certificates:delete({ id = c.id }))
  t.is_nil(db.snis:select_by_name("legacy.test"))
end)

t.test("ca_certificates: delete refused while a service references it", function()
  local c = assert(db.ca_certificates:insert({ cert = ca.cert }))
  local s = assert(db.services:insert({ host = "ca.test", protocol = "https",
                                        ca_certificates = { c.id } }))
  local _, err, err_t = db.ca_certificates:delete({ id = c.id })
  local msg = "ca certificate " .. c.id .. " is still referenced by services (id = " .. s.id .. ")"
  t.same(err_t, { code = 19, name = "referenced by others", message = msg,
                  strategy = err_t.strategy })
  t.eq(err, "[" .. err_t.strategy .. "] " .. msg)
  t.truthy(db.ca_certificates:select({ id = c.id }))
  -- once no service names it, it goes
  assert(db.services:update({ id = s.id }, { ca_certificates = null }))
  assert(db.ca_certificates:delete({ id = c.id }))
  t.is_nil(db.ca_certificates:select({ id = c.id }))
  assert(db.services:delete({ id = s.id }))
end)

certgen.cleanup()
t.done()
