-- The core entities Kong 3.x added (src/lua/core_entities_more.lua):
-- parameters, key_sets, keys, vaults, clustering_data_planes and
-- filter_chains through kong.db, with Kong's error shapes: key sets
-- cascade to their keys, a key needs exactly one of jwk and pem, a vault's
-- prefix is unique and its name one daoc knows.  Runs on every store.
local t = require "t"
local certgen = require "certgen"

local db = kong.db
local null = ngx.null
local refused = t.refused
local rsa = certgen.leaf("rsa", "keys.test")

-- RFC 7517's example EC public key (appendix A.1), with kid "1"
local JWK = '{"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",'
  .. '"y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM","use":"enc","kid":"1"}'

t.test("the entities exist, with Kong's names and tables", function()
  for _, n in ipairs { "parameters", "key_sets", "keys", "vaults", "clustering_data_planes",
                       "filter_chains" } do
    t.is_table(db[n])
  end
  t.eq(db.vaults.schema.name, "vaults")
  -- a workspace may not take a core entity's name
  local _, err_t = t.fails(2, db.workspaces:insert({ name = "keys" }))
  t.match(err_t.fields.name, "^must not be one of: .*, key_sets, keys, filter_chains$")
end)

t.test("parameters: key and value, not workspaceable", function()
  refused(db.parameters, { key = "only-key" }, { value = "required field missing" })
  local p = assert(db.parameters:insert({ key = "test-param", value = "one" }))
  t.eq(p.value, "one")
  t.truthy(p.created_at)
  local again = assert(db.parameters:select({ key = "test-param" }, { show_ws_id = true }))
  t.eq(again.value, "one")
  t.is_nil(again.ws_id)
  local _, err_t = t.fails(3, db.parameters:insert({ key = "test-param", value = "two" }))
  t.eq(err_t.name, "primary key violation")
  t.eq(assert(db.parameters:update({ key = "test-param" }, { value = "two" })).value, "two")
  assert(db.parameters:delete({ key = "test-param" }))
  t.is_nil(db.parameters:select({ key = "test-param" }))
end)

t.test("key_sets: a unique name; deleting a set deletes its keys", function()
  local set = assert(db.key_sets:insert({ name = "set-a", tags = { "k1" } }))
  t.same(set.tags, { "k1" })
  t.eq(assert(db.key_sets:select_by_name("set-a")).id, set.id)
  local _, err_t = t.fails(5, db.key_sets:insert({ name = "set-a" }))
  t.same(err_t.fields, { name = "set-a" })
  local k1 = assert(db.keys:insert({ name = "k-one", kid = "1", jwk = JWK, set = { id = set.id } }))
  t.same(k1.set, { id = set.id })
  local k2 = assert(db.keys:insert({ name = "k-two", kid = "2", pem = { private_key = rsa.key },
                                     set = { id = set.id } }))
  local n = 0
  for row in db.keys:each_for_set({ id = set.id }) do
    t.truthy(row.id == k1.id or row.id == k2.id)
    n = n + 1
  end
  t.eq(n, 2)
  assert(db.key_sets:delete({ id = set.id }))
  t.is_nil(db.keys:select({ id = k1.id }))
  t.is_nil(db.keys:select({ id = k2.id }))
  -- a key of a set that does not exist
  local _, err_fk = t.fails(4, db.keys:insert({ kid = "3", jwk = JWK:gsub('"kid":"1"', '"kid":"3"'),
                                               set = { id = set.id } }))
  t.same(err_fk.fields, { set = { id = set.id } })
end)

t.test("keys: kid required, exactly one of jwk and pem", function()
  refused(db.keys, { jwk = JWK }, { kid = "required field missing" })
  refused(db.keys, { kid = "1" },
    { ["@entity"] = { "at least one of these fields must be non-empty: 'jwk', 'pem'" } },
    "schema violation (at least one of these fields must be non-empty: 'jwk', 'pem')")
  refused(db.keys, { kid = "1", jwk = JWK, pem = { private_key = rsa.key } },
    { ["@entity"] = { "only one or none of these fields must be set: 'jwk', 'pem'" } })
end)

t.test("keys: a jwk is JSON, carries the key's kid and loads as a key", function()
  refused(db.keys, { kid = "1", jwk = "not json" },
    { ["@entity"] = { "could not json decode jwk string" } })
  refused(db.keys, { kid = "2", jwk = JWK },
    { ["@entity"] = { "kid in jwk.kid must be equal to keys.kid" } })
  refused(db.keys, { kid = "x", jwk = '{"kty":"EC","crv":"P-256","x":"AA","y":"AA","kid":"x"}' },
    { ["@entity"] = { "could not load JWK, likely not a valid key" } })
  local k = assert(db.keys:insert({ name = "jwk-key", kid = "1", jwk = JWK }))
  t.eq(k.jwk, JWK)
  t.truthy(k.set == nil or k.set == null)
  t.eq(assert(db.keys:select_by_name("jwk-key")).kid, "1")
  -- (kid, set) is the cache key: a second kid "1" outside a set is refused
  t.fails(5, db.keys:insert({ name = "jwk-key-2", kid = "1", jwk = JWK }))
  assert(db.keys:delete({ id = k.id }))
end)

t.test("keys: a pem record's keys load, and are one pair", function()
  local other = certgen.leaf("rsa", "other-keys.test")
  refused(db.keys, { kid = "p", pem = {} },
    { pem = { ["@entity"] = { "at least one of these fields must be non-empty: "
                              .. "'private_key', 'public_key'" } } })
  local _, err_t = t.fails(2, db.keys:insert({ kid = "p", pem = { private_key = "junk" } }))
  t.match(err_t.fields.pem, "^could not load private key")
  local k = assert(db.keys:insert({ kid = "p", pem = { private_key = rsa.key } }))
  t.eq(k.pem.private_key, rsa.key)
  local _, err_u = t.fails(2, db.keys:update({ id = k.id }, { pem = { private_key = other.key } ,
                                                              jwk = JWK }))
  t.is_table(err_u.fields["@entity"])
  assert(db.keys:delete({ id = k.id }))
end)

t.test("vaults: the env vault, a unique prefix of Kong's shape", function()
  local v = assert(db.vaults:insert({ prefix = "my-env", name = "env",
                                      config = { prefix = "SECRET_" }, description = "d" }))
  t.eq(v.config.prefix, "SECRET_")
  t.eq(assert(db.vaults:select_by_prefix("my-env")).id, v.id)
  local _, err_t = t.fails(5, db.vaults:insert({ prefix = "my-env", name = "env" }))
  t.same(err_t.fields, { prefix = "my-env" })
  t.eq(err_t.message, "UNIQUE violation detected on '{prefix=\"my-env\"}'")
  refused(db.vaults, { prefix = "Bad_Prefix", name = "env" },
    { prefix = "invalid value: Bad_Prefix" })
  refused(db.vaults, { prefix = "env", name = "env" },
    { prefix = "must not be one of: env" })
  refused(db.vaults, { prefix = "my-aws", name = "aws" },
    { name = "vault 'aws' is not installed" })
  refused(db.vaults, { prefix = "my-env2" }, { name = "required field missing" })
  refused(db.vaults, { prefix = "my-env2", name = "env", config = { prefix = "1-bad!" } },
    { config = { prefix = "invalid value: 1-bad!" } })
  refused(db.vaults, { prefix = "my-env2", name = "env", config = { region = "x" } },
    { config = { region = "unknown field" } })
  assert(db.vaults:delete({ id = v.id }))
end)

t.test("clustering_data_planes: a ttl entity of Kong's fields", function()
  local id = "0b2a7a38-7b0f-4d73-9c4e-6e0f8a1f2a11"
  refused(db.clustering_data_planes, { id = id, ip = "10.0.0.1" },
    { hostname = "required field missing" })
  refused(db.clustering_data_planes, { id = id, ip = "not-an-ip", hostname = "dp1" },
    { ip = "not an ip address: not-an-ip" })
  local dp = assert(db.clustering_data_planes:insert({
    id = id, ip = "10.0.0.1", hostname = "dp1", version = "3.10.0",
    config_hash = string.rep("a", 32), labels = { region = "eu" },
    rpc_capabilities = { "kong.sync.v2" },
  }, { ttl = 600 }))
  t.eq(dp.sync_status, "unknown")
  local got = assert(db.clustering_data_planes:select({ id = id }))
  t.same(got.labels, { region = "eu" })
  t.truthy(got.ttl > 0 and got.ttl <= 600)
  refused(db.clustering_data_planes, { id = id, ip = "10.0.0.1", hostname = "dp1",
                                       sync_status = "bogus" },
    { sync_status = "expected one of: unknown, normal, kong_version_incompatible, "
                    .. "plugin_set_incompatible, plugin_version_incompatible, "
                    .. "filter_set_incompatible" })
  assert(db.clustering_data_planes:delete({ id = id }))
end)

t.test("filter_chains: refused, as Kong refuses them with wasm off", function()
  local svc = assert(db.services:insert({ host = "fc.test" }))
  refused(db.filter_chains, { service = { id = svc.id }, filters = { { name = "f" } } },
    { ["@entity"] = { "wasm support is not enabled" } })
  assert(db.services:delete({ id = svc.id }))
end)

certgen.cleanup()
t.done()
