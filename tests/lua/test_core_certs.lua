-- The certificates, ca_certificates and snis core entities (Kong's
-- certificates.lua, ca_certificates.lua, snis.lua) and services'
-- client_certificate: fields, Kong's checks and messages, the cert_digest
-- transformation, foreign keys.  Certificates are made by the openssl
-- command line at test time (certgen.lua).  Runs on every store.
local t = require "t"
local certgen = require "certgen"

local db = kong.db
local rsa = certgen.leaf("rsa", "leaf.test")
local rsa2 = certgen.leaf("rsa", "other.test")
local ec = certgen.leaf("ec", "ec.test")
local ca = certgen.ca("ca.test")
local expired = certgen.expired_ca("old.test")

local count, refused = t.count, t.refused

t.test("resty.openssl.x509: digest, CA flag and Not After (x509.c)", function()
  local x509 = require "resty.openssl.x509"
  local to_hex = require("resty.string").to_hex
  local c = assert(x509.new(ca.cert))
  t.eq(to_hex(c:digest("sha256")), certgen.sha256(ca.cert))
  t.eq(#c:digest(), 20) -- sha1 when no digest is named
  t.eq(c:get_basic_constraints("CA"), true)
  t.eq(assert(x509.new(rsa.cert)):get_basic_constraints("CA"), false)
  local not_after = c:get_not_after()
  t.truthy(not_after > ngx.time() and not_after <= ngx.time() + 3 * 86400)
  t.eq(assert(x509.new(expired.cert)):get_not_after(), 1577923200) -- 2020-01-02T00:00:00Z
  local bad, err = x509.new("junk")
  t.is_nil(bad)
  t.match(err, "^x509%.new")
end)

t.test("certificates: cert and key required, and parsed", function()
  refused(db.certificates, {},
    { cert = "required field missing", key = "required field missing" },
    "2 schema violations (cert: required field missing; key: required field missing)")
  local before = count(db.certificates)
  local _, err_t = t.fails(2, db.certificates:insert({ cert = "junk", key = rsa.key }))
  t.match(err_t.fields.cert, "^invalid certificate: x509%.new: ")
  local _, err_t2 = t.fails(2, db.certificates:insert({ cert = rsa.cert, key = "junk" }))
  t.match(err_t2.fields.key, "^invalid key: pkey%.new:load_key: ")
  t.eq(count(db.certificates), before)
end)

t.test("certificates: the key must be the certificate's", function()
  refused(db.certificates, { cert = rsa.cert, key = rsa2.key },
    { ["@entity"] = { "certificate does not match key" } },
    "schema violation (certificate does not match key)")
  local c = assert(db.certificates:insert({ cert = rsa.cert, key = rsa.key, tags = { "t1" } }))
  t.eq(c.cert, rsa.cert)
  t.eq(c.key, rsa.key)
  t.same(c.tags, { "t1" })
  t.truthy(c.created_at and c.updated_at)
  local again = assert(db.certificates:select({ id = c.id }, { show_ws_id = true }))
  t.eq(again.cert, rsa.cert)
  t.eq(again.ws_id, kong.default_workspace)
  -- an update that breaks the pair is refused and changes nothing
  local _, err_t = t.fails(2, db.certificates:update({ id = c.id }, { key = rsa2.key }))
  t.same(err_t.fields, { ["@entity"] = { "certificate does not match key" } })
  t.eq(db.certificates:select({ id = c.id }).key, rsa.key)
  assert(db.certificates:delete({ id = c.id }))
end)

t.test("certificates: cert_alt and key_alt", function()
  refused(db.certificates, { cert = rsa.cert, key = rsa.key, cert_alt = ec.cert },
    { ["@entity"] = { "all or none of these fields must be set: 'cert_alt', 'key_alt'" } },
    "schema violation (all or none of these fields must be set: 'cert_alt', 'key_alt')")
  refused(db.certificates, { cert = rsa.cert, key = rsa.key, cert_alt = ec.cert, key_alt = rsa2.key },
    { ["@entity"] = { "alternative certificate does not match key" } },
    "schema violation (alternative certificate does not match key)")
  local same = "certificate and alternative certificate need to have different type (e.g. RSA " ..
               "and ECDSA), the provided certificates were both of the same type"
  refused(db.certificates, { cert = rsa.cert, key = rsa.key, cert_alt = rsa2.cert, key_alt = rsa2.key },
    { ["@entity"] = { same } }, "schema violation (" .. same .. ")")
  local c = assert(db.certificates:insert({ cert = rsa.cert, key = rsa.key,
                                            cert_alt = ec.cert, key_alt = ec.key }))
  t.eq(c.cert_alt, ec.cert)
  t.eq(c.key_alt, ec.key)
  assert(db.certificates:delete({ id = c.id }))
end)

t.test("snis: name unique (Kong's wildcard rules), certificate required", function()
  local c = assert(db.certificates:insert({ cert = rsa.cert, key = rsa.key }))
  local s = assert(db.snis:insert({ name = "*.wild.test", certificate = { id = c.id } }))
  t.same(s.certificate, { id = c.id })
  t.eq(db.snis:select_by_name("*.wild.test").id, s.id)
  assert(db.snis:insert({ name = "right.*", certificate = { id = c.id } }))
  assert(db.snis:insert({ name = "plain.test", certificate = { id = c.id } }))

  local before = count(db.snis)
  local _, err_t = t.fails(5, db.snis:insert({ name = "*.wild.test", certificate = { id = c.id } }))
  t.same(err_t.fields, { name = "*.wild.test" })
  t.eq(count(db.snis), before)
  refused(db.snis, { name = "a.*.test", certificate = { id = c.id } },
    { name = "wildcard must be leftmost or rightmost character" },
    "schema violation (name: wildcard must be leftmost or rightmost character)")
  refused(db.snis, { name = "*.*.test", certificate = { id = c.id } },
    { name = "only one wildcard must be specified" },
    "schema violation (name: only one wildcard must be specified)")
  refused(db.snis, { name = "x.test" }, { certificate = "required field missing" },
    "schema violation (certificate: required field missing)")
  refused(db.snis, { certificate = { id = c.id } }, { name = "required field missing" },
    "schema violation (name: required field missing)")

  local missing = "6f4a6a2c-5a3f-4b57-9d1a-2b9e0c6f8a11"
  local _, err_t2 = t.fails(4, db.snis:insert({ name = "y.test", certificate = { id = missing } }))
  t.same(err_t2.fields, { certificate = { id = missing } })
  t.eq(err_t2.message, "the foreign key '{id=\"" .. missing ..
                       "\"}' does not reference an existing 'certificates' entity.")
  t.eq(count(db.snis), before)
end)

t.test("deleting a certificate deletes its snis (Kong's certificates DAO)", function()
  local s = assert(db.snis:select_by_name("*.wild.test"))
  local before = count(db.snis)
  assert(db.certificates:delete({ id = s.certificate.id }))
  t.is_nil(db.certificates:select({ id = s.certificate.id }))
  t.is_nil(db.snis:select_by_name("*.wild.test"))
  t.eq(count(db.snis), before - 3)
end)

t.test("services: client_certificate only with https or tls", function()
  local c = assert(db.certificates:insert({ cert = ec.cert, key = ec.key }))
  refused(db.services, { host = "s.test", client_certificate = { id = c.id } },
    { ["@entity"] = { "failed conditional validation given value of field 'protocol'" },
      client_certificate = "value must be null" },
    "2 schema violations (failed conditional validation given value of field 'protocol'; " ..
    "client_certificate: value must be null)")
  local s = assert(db.services:insert({ host = "s.test", protocol = "https",
                                        client_certificate = { id = c.id } }))
  t.same(s.client_certificate, { id = c.id })
  local tls = assert(db.services:insert({ host = "s.test", protocol = "tls", port = 443,
                                          client_certificate = { id = c.id } }))
  t.same(db.services:select({ id = tls.id }).client_certificate, { id = c.id })
  -- switching to http while the certificate is set is refused
  local _, err_t = t.fails(2, db.services:update({ id = s.id }, { protocol = "http" }))
  t.eq(err_t.fields.client_certificate, "value must be null")
  t.eq(db.services:select({ id = s.id }).protocol, "https")
  -- the certificate stays while services use it
  local _, err_t2 = t.fails(4, db.certificates:delete({ id = c.id }))
  t.same(err_t2.fields, { ["@referenced_by"] = "services" })
  t.truthy(db.certificates:select({ id = c.id }))
  local missing = "0b7b2f7e-3c59-4c1e-8f5e-7d2a9c0e1f22"
  t.fails(4, db.services:insert({ host = "s.test", protocol = "https",
                                  client_certificate = { id = missing } }))
  assert(db.services:delete({ id = s.id }))
  assert(db.services:delete({ id = tls.id }))
  assert(db.certificates:delete({ id = c.id }))
end)

t.test("ca_certificates: cert_digest is the SHA-256 of the DER, unique", function()
  local c = assert(db.ca_certificates:insert({ cert = ca.cert, tags = { "ca" } }))
  t.eq(c.cert_digest, certgen.sha256(ca.cert))
  t.eq(#c.cert_digest, 64)
  t.eq(db.ca_certificates:select({ id = c.id }).cert_digest, c.cert_digest)
  -- a digest given by the caller is replaced by the certificate's
  local before = count(db.ca_certificates)
  local _, err_t = t.fails(5, db.ca_certificates:insert({ cert = ca.cert, cert_digest = "x" }))
  t.same(err_t.fields, { cert_digest = c.cert_digest })
  t.eq(err_t.message, "UNIQUE violation detected on '{cert_digest=\"" .. c.cert_digest .. "\"}'")
  t.eq(count(db.ca_certificates), before)
  assert(db.ca_certificates:delete({ id = c.id }))
end)

t.test("ca_certificates: Kong's refusals", function()
  local not_ca = "certificate does not appear to be a CA because it is missing the \"CA\" " ..
                 "basic constraint"
  refused(db.ca_certificates, { cert = rsa.cert }, { ["@entity"] = { not_ca } },
    "schema violation (" .. not_ca .. ")")
  refused(db.ca_certificates, { cert = expired.cert },
    { ["@entity"] = { "certificate expired, \"Not After\" time is in the past" } },
    "schema violation (certificate expired, \"Not After\" time is in the past)")
  refused(db.ca_certificates, { cert = ca.cert .. ca.cert },
    { ["@entity"] = { "please submit only one certificate at a time" } },
    "schema violation (please submit only one certificate at a time)")
  refused(db.ca_certificates, {}, { cert = "required field missing" },
    "schema violation (cert: required field missing)")
  local _, err_t = t.fails(2, db.ca_certificates:insert({ cert = "junk" }))
  t.match(err_t.fields.cert, "^invalid certificate: x509%.new: ")
end)

t.test("ca_certificates: an updated cert gets its digest", function()
  local other = certgen.ca("other-ca.test")
  local c = assert(db.ca_certificates:insert({ cert = ca.cert }))
  local u = assert(db.ca_certificates:update({ id = c.id }, { cert = other.cert }))
  t.eq(u.cert_digest, certgen.sha256(other.cert))
  t.eq(db.ca_certificates:select({ id = c.id }).cert_digest, certgen.sha256(other.cert))
  assert(db.ca_certificates:delete({ id = c.id }))
end)

certgen.cleanup()
t.done()
