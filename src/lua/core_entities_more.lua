-- core_entities_more.lua -- the core entities Kong 3.x added beside the
-- proxy's: clustering_data_planes, parameters, vaults, key_sets, keys and
-- filter_chains (Kong's kong/db/schema/entities/*.lua of those names),
-- loaded after core_entities.lua (filter_chains references its routes and
-- services) and before any plugin.  Written for daoc from Kong's
-- behaviour; docs/entities.md says where they are simplified.
--
-- vaults: daoc runs no vault, so `name` takes the vaults Kong's open-source
-- build bundles, "env" only (its subschema below); any other is refused
-- with Kong's "vault '<name>' is not installed".
-- keys: exactly one of jwk and pem; a jwk is JSON text whose kid is the
-- key's, loaded as a key by libcrypto (typedefs.jwk's validator), a pem
-- record's keys are loaded and must be one pair (typedefs.pem's).
-- filter_chains: daoc runs no WebAssembly, so every write is refused as
-- Kong refuses it with wasm off ("wasm support is not enabled").
local typedefs = require "kong.db.schema.typedefs"
local cjson = require "cjson.safe"

-- Kong's CLUSTERING_SYNC_STATUS values (kong/constants.lua)
local SYNC_STATUS = { "unknown", "normal", "kong_version_incompatible",
                      "plugin_set_incompatible", "plugin_version_incompatible",
                      "filter_set_incompatible" }

-- the vaults daoc knows (Kong's BUNDLED_VAULTS); a prefix may not be one
local VAULTS = { "env" }

local function is_reference(v)
  return type(v) == "string" and v:sub(1, 8) == "{vault:/"
end

-- typedefs.jwk's record: what each member of a decoded jwk must be
local function jwk_members_check(jwk)
  local errs = {}
  local known = {}
  for _, f in ipairs(typedefs.jwk.fields) do
    local name, def = next(f)
    known[name] = def
  end
  local names = {}
  for k in pairs(jwk) do names[#names + 1] = tostring(k) end
  table.sort(names)
  for _, k in ipairs(names) do
    local def, v = known[k], jwk[k]
    if not def then
      errs[#errs + 1] = k .. ": unknown field"
    elseif def.type == "string" and type(v) ~= "string" then
      errs[#errs + 1] = k .. ": expected a string"
    elseif def.type == "array" then
      local ok = type(v) == "table"
      for _, e in ipairs(ok and v or {}) do
        if type(e) ~= "string" then ok = false end
      end
      if not ok then errs[#errs + 1] = k .. ": expected an array of strings" end
    end
  end
  if #errs > 0 then return nil, table.concat(errs, "; ") end
  return true
end

-- Kong's keys check (keys.lua): a jwk must decode, carry the key's kid,
-- load as a key and fit typedefs.jwk; a pem record must hold a key
local function keys_check(entity)
  local jwk = entity.jwk
  if type(jwk) == "string" and not is_reference(jwk) then
    local decoded = cjson.decode(jwk)
    if type(decoded) ~= "table" then
      return nil, "could not json decode jwk string"
    end
    if decoded.kid ~= entity.kid then
      return nil, "kid in jwk.kid must be equal to keys.kid"
    end
    local ok, err = typedefs.jwk.custom_validator(jwk)
    if not ok or err then
      return nil, err or "could not load JWK"
    end
    local fits, why = jwk_members_check(decoded)
    if not fits then return nil, why end
  end
  local pem = entity.pem
  if type(pem) == "table" and not (type(pem.private_key) == "string"
                                   or type(pem.public_key) == "string") then
    return nil, "need to supply a PEM formatted public and/or private key."
  end
  return true
end

return {
  {
    name = "clustering_data_planes",
    primary_key = { "id" },
    db_export = false,
    generate_admin_api = false,
    admin_api_name = "clustering/data-planes",
    ttl = true,
    fields = {
      { id = typedefs.uuid { required = true } },
      { last_seen = typedefs.auto_timestamp_s },
      { updated_at = typedefs.auto_timestamp_s },
      { ip = typedefs.ip { required = true } },
      { config_hash = { type = "string", len_eq = 32 } },
      { hostname = typedefs.host { required = true } },
      { version = typedefs.semantic_version },
      { sync_status = { type = "string", required = true, one_of = SYNC_STATUS,
                        default = "unknown" } },
      { labels = { type = "map", keys = { type = "string" }, values = { type = "string" } } },
      { cert_details = { type = "record", fields = {
          { expiry_timestamp = { type = "number", timestamp = true, required = false } },
      } } },
      { rpc_capabilities = { type = "set", elements = typedefs.capability } },
    },
  },
  {
    name = "parameters",
    primary_key = { "key" },
    workspaceable = false,
    generate_admin_api = false,
    cache_key = { "key" },
    fields = {
      { created_at = typedefs.auto_timestamp_s },
      { key = { type = "string", required = true, unique = true } },
      { value = { type = "string", required = true } },
    },
  },
  {
    name = "vaults",
    table_name = "sm_vaults",
    primary_key = { "id" },
    cache_key = { "prefix" },
    endpoint_key = "prefix",
    workspaceable = true,
    subschema_key = "name",
    subschema_error = "vault '%s' is not installed",
    admin_api_name = "vaults",
    fields = {
      { id = typedefs.uuid },
      -- the host part of a reference {vault://<prefix>/<secret>}
      { prefix = { type = "string", required = true, unique = true, unique_across_ws = true,
                   match = "^[a-z][a-z%d-]-[a-z%d]+$", not_one_of = VAULTS } },
      { name = { type = "string", required = true } },
      { description = { type = "string" } },
      { config = { type = "record", abstract = true } },
      { created_at = typedefs.auto_timestamp_s },
      { updated_at = typedefs.auto_timestamp_s },
      { tags = typedefs.tags },
    },
    subschemas = {
      -- Kong's kong/vaults/env/schema.lua; base64_decode is Kong
      -- Enterprise's option of the same vault
      env = {
        name = "env",
        fields = {
          { config = { type = "record", fields = {
              { prefix = { type = "string", match = "^[%a_-][%a%d_-]*$" } },
              { base64_decode = { type = "boolean" } },
          } } },
        },
      },
    },
  },
  {
    name = "key_sets",
    primary_key = { "id" },
    endpoint_key = "name",
    admin_api_name = "key-sets",
    workspaceable = true,
    ttl = false,
    fields = {
      { id = typedefs.uuid },
      { name = { type = "string", required = false, unique = true } },
      { tags = typedefs.tags },
      { created_at = typedefs.auto_timestamp_s },
      { updated_at = typedefs.auto_timestamp_s },
    },
  },
  {
    name = "keys",
    primary_key = { "id" },
    cache_key = { "kid", "set" },
    endpoint_key = "name",
    workspaceable = true,
    ttl = false,
    fields = {
      { id = typedefs.uuid },
      { set = { type = "foreign", required = false, reference = "key_sets",
                on_delete = "cascade" } },
      { name = { type = "string", required = false, unique = true } },
      { kid = { type = "string", required = true, unique = false } },
      { jwk = { type = "string", referenceable = true, encrypted = true } },
      { pem = typedefs.pem },
      { tags = typedefs.tags },
      { created_at = typedefs.auto_timestamp_s },
      { updated_at = typedefs.auto_timestamp_s },
    },
    entity_checks = {
      { mutually_exclusive = { "jwk", "pem" } },
      { at_least_one_of = { "jwk", "pem" } },
      { custom_entity_check = { field_sources = { "jwk", "pem", "kid" }, fn = keys_check } },
    },
  },
  {
    name = "filter_chains",
    primary_key = { "id" },
    endpoint_key = "name",
    admin_api_name = "filter-chains",
    generate_admin_api = true,
    workspaceable = true,
    cache_key = { "route", "service" },
    fields = {
      { id = typedefs.uuid },
      { name = typedefs.utf8_name },
      { enabled = { type = "boolean", required = true, default = true } },
      { route = { type = "foreign", reference = "routes", on_delete = "cascade",
                  default = ngx.null, unique = true } },
      { service = { type = "foreign", reference = "services", on_delete = "cascade",
                    default = ngx.null, unique = true } },
      { filters = { type = "array", required = true, len_min = 1, elements = {
          type = "record",
          fields = {
            { name = { type = "string", required = true } },
            { enabled = { type = "boolean", default = true, required = true } },
            { config = { type = "json", required = false, json_schema = { inline = {
                ["$schema"] = "http://json-schema.org/draft-04/schema#",
                type = { "array", "boolean", "integer", "null", "number", "object", "string" },
            } } } },
          },
      } } },
      { created_at = typedefs.auto_timestamp_s },
      { updated_at = typedefs.auto_timestamp_s },
      { tags = typedefs.tags },
    },
    entity_checks = {
      { mutually_exclusive = { "service", "route" } },
      { at_least_one_of = { "service", "route" } },
      { custom_entity_check = { field_sources = { "filters" }, run_with_invalid_fields = true,
                                fn = function() return nil, "wasm support is not enabled" end } },
    },
  },
}
