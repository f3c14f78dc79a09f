-- Kong's custom DAOs of core entities (kong/db/dao/certificates.lua,
-- snis.lua, ca_certificates.lua, targets.lua), as daoc's src/db/*_dao.c hooks give them
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

t.test("certificates: a refused delete keeps the snis (one transaction)", function()
  local c = assert(db.certificates:insert({ cert = rsa.cert, key = rsa.key,
                                            snis = { "kept.test", "kept2.test" } }))
  local s = assert(db.services:insert({ host = "cc.test", protocol = "https",
                                        client_certificate = { id = c.id } }))
  local _, err_t = t.fails(4, db.certificates:delete({ id = c.id }))
  t.same(err_t.fields, { ["@referenced_by"] = "services" })
  t.truthy(db.certificates:select({ id = c.id }))
  t.same(names(c.id), { "kept.test", "kept2.test" })
  assert(db.services:delete({ id = s.id }))
  assert(db.certificates:delete({ id = c.id }))
  t.same(names(c.id), {})
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

t.test("targets: upsert_by_target is Kong's insert", function()
  local u = assert(db.upstreams:insert({ name = "coredao-up1.test" }))
  local a = assert(db.targets:upsert_by_target("a.test", { upstream = { id = u.id }, weight = 7 }))
  t.eq(a.target, "a.test:8000")
  t.eq(a.weight, 7)
  t.same(a.upstream, { id = u.id })
  -- the upstream has it already: a unique violation, nothing changes
  local _, err_t = t.fails(5, db.targets:upsert_by_target("a.test:8000",
                                                         { upstream = { id = u.id }, weight = 9 }))
  t.eq(err_t.name, "unique constraint violation")
  t.eq(db.targets:select({ id = a.id }).weight, 7)
  t.fails(5, db.targets:insert({ upstream = { id = u.id }, target = "a.test" }))
  assert(db.upstreams:delete({ id = u.id }))
end)

t.test("targets: upsert by id keeps a newer stored target, replaces an older one", function()
  local u = assert(db.upstreams:insert({ name = "coredao-up2.test" }))
  local a = assert(db.targets:insert({ upstream = { id = u.id }, target = "b.test", weight = 1 }))
  local other = "6f1e7a5c-0000-4000-8000-000000000001"
  -- older than the stored one: the stored target stays and is returned
  local kept = assert(db.targets:upsert({ id = other }, { upstream = { id = u.id },
                      target = "b.test:8000", weight = 2, created_at = a.created_at - 10 }))
  t.eq(kept.id, a.id)
  t.eq(kept.weight, 1)
  t.is_nil(db.targets:select({ id = other }))
  -- newer: it replaces the stored one
  local new = assert(db.targets:upsert({ id = other }, { upstream = { id = u.id },
                     target = "b.test", weight = 3, created_at = a.created_at + 10 }))
  t.eq(new.id, other)
  t.eq(new.weight, 3)
  t.is_nil(db.targets:select({ id = a.id }))
  t.eq(count(db.targets), 1)
  -- another target: an insert with that id
  local id2 = "6f1e7a5c-0000-4000-8000-000000000002"
  local c = assert(db.targets:upsert({ id = id2 }, { upstream = { id = u.id }, target = "c.test" }))
  t.eq(c.id, id2)
  t.eq(c.target, "c.test:8000")
  assert(db.upstreams:delete({ id = u.id }))
end)

t.test("targets: page_for_upstream is newest first, with counting offsets", function()
  local u = assert(db.upstreams:insert({ name = "coredao-up3.test" }))
  local ids = {}
  for i = 1, 5 do
    local tg = assert(db.targets:insert({ upstream = { id = u.id }, target = "t" .. i .. ".test",
                                          created_at = 1000 + i }))
    ids[i] = tg.id
  end
  local p1, err, _, off = db.targets:page_for_upstream({ id = u.id }, 2)
  t.is_nil(err)
  t.eq(#p1, 2)
  t.eq(p1[1].target, "t5.test:8000")
  t.eq(p1[2].target, "t4.test:8000")
  t.eq(off, "2")
  local p2, _, _, off2 = db.targets:page_for_upstream({ id = u.id }, 2, off)
  t.eq(p2[1].target, "t3.test:8000")
  t.eq(off2, "4")
  local p3, _, _, off3 = db.targets:page_for_upstream({ id = u.id }, 2, off2)
  t.eq(#p3, 1)
  t.eq(p3[1].id, ids[1])
  t.is_nil(off3)
  local seen = {}
  for tg in db.targets:each_for_upstream({ id = u.id }, 2) do seen[#seen + 1] = tg.target end
  t.same(seen, { "t5.test:8000", "t4.test:8000", "t3.test:8000", "t2.test:8000", "t1.test:8000" })
  local _, err_t = t.fails(7, db.targets:page_for_upstream({ id = u.id }, 2, "abc"))
  t.eq(err_t.message, "'abc' is not a valid offset: not a number")
  assert(db.upstreams:delete({ id = u.id }))
end)

t.test("targets: delete_by_target deletes one row, as Kong's", function()
  local u1 = assert(db.upstreams:insert({ name = "coredao-up4.test" }))
  local u2 = assert(db.upstreams:insert({ name = "coredao-up5.test" }))
  assert(db.targets:insert({ upstream = { id = u1.id }, target = "same.test" }))
  assert(db.targets:insert({ upstream = { id = u2.id }, target = "same.test" }))
  local before = count(db.targets)
  t.eq(db.targets:delete_by_target("same.test:8000"), true)
  t.eq(count(db.targets), before - 1)
  t.eq(db.targets:delete_by_target("same.test:8000"), true)
  t.eq(count(db.targets), before - 2)
  t.eq(db.targets:delete_by_target("same.test:8000"), true) -- none left: a success
  assert(db.upstreams:delete({ id = u1.id }))
  assert(db.upstreams:delete({ id = u2.id }))
end)

certgen.cleanup()
t.done()
