-- core_entities.lua -- the core entities whose definitions need Lua (a
-- shorthand's function), written as Kong's kong/db/schema/entities/*.lua
-- write them and loaded through the same sandboxed loader as a plugin's
-- daos.lua, after the JSON core entities (src/db/core_entities.c) and
-- before any plugin, so plugin entities can reference them.
--
-- services: Kong's services.lua (reference kong-schema-dao.md section 7).
-- Simplification, written in docs/entities.md: no client_certificate field
-- (there is no certificates entity yet).
-- routes: Kong's routes.lua (traditional router flavor).
-- plugins: Kong's plugins.lua; each enabled plugin's schema.lua becomes its
-- subschema (src/lua/plugin_schema.c), registered by the opener.
--
-- An entity here may carry `subschemas = { [key] = definition }` (ours,
-- not Kong's: Kong registers routes_subschemas.lua from its loader): the
-- opener takes it out and registers each under its value of the
-- entity's subschema_key.
local typedefs = require "kong.db.schema.typedefs"
local url = require "socket.url"

local null = ngx.null

-- Kong's nonzero_timeout: "value should be between 1 and 2147483646"
local function nonzero_timeout(def)
  return { type = "integer", between = { 1, math.pow(2, 31) - 2 }, default = def.default }
end

-- the `url` shorthand: protocol from the scheme, else from the port (443:
-- https), else http; the port as given, else the protocol's (http 80,
-- https 443), else 80; host and path as given, null when absent
local function url_shorthand(sugar_url)
  local parsed = url.parse(tostring(sugar_url))
  if not parsed then
    return nil, "invalid url"
  end
  local port = tonumber(parsed.port)
  local protocol = parsed.scheme
  if not protocol then
    protocol = port == 443 and "https" or "http"
  end
  if not port then
    if protocol == "https" then
      port = 443
    else
      port = 80
    end
  end
  return {
    protocol = protocol,
    host = parsed.host or null,
    port = port,
    path = parsed.path or null,
  }
end

-- one subschema per protocol, as Kong's routes_subschemas.lua registers
local route_subschemas = {}
for _, p in ipairs({ "http", "https", "tcp", "tls", "udp", "tls_passthrough", "grpc", "grpcs" }) do
  route_subschemas[p] = { name = p, fields = {} }
end

local stream_or_grpc = { "tcp", "tls", "udp", "grpc", "grpcs" }
local with_tls = { "https", "tls" }

return {
  {
    name = "services",
    primary_key = { "id" },
    endpoint_key = "name",
    workspaceable = true,
    fields = {
      { id = typedefs.uuid },
      { created_at = typedefs.auto_timestamp_s },
      { updated_at = typedefs.auto_timestamp_s },
      { name = typedefs.utf8_name },
      { retries = { type = "integer", default = 5, between = { 0, 32767 } } },
      { protocol = typedefs.protocol { required = true, default = "http" } },
      { host = typedefs.host { required = true } },
      { port = typedefs.port { required = true, default = 80 } },
      { path = typedefs.path },
      { connect_timeout = nonzero_timeout { default = 60000 } },
      { write_timeout = nonzero_timeout { default = 60000 } },
      { read_timeout = nonzero_timeout { default = 60000 } },
      { tags = typedefs.tags },
      { tls_verify = { type = "boolean" } },
      { tls_verify_depth = { type = "integer", default = null, between = { 0, 64 } } },
      { ca_certificates = { type = "array", elements = { type = "string", uuid = true } } },
      { enabled = { type = "boolean", required = true, default = true } },
    },
    entity_checks = {
      { conditional = { if_field = "protocol", if_match = { one_of = stream_or_grpc },
                        then_field = "path", then_match = { eq = null } } },
      { conditional = { if_field = "protocol", if_match = { not_one_of = with_tls },
                        then_field = "tls_verify", then_match = { eq = null } } },
      { conditional = { if_field = "protocol", if_match = { not_one_of = with_tls },
                        then_field = "tls_verify_depth", then_match = { eq = null } } },
      { conditional = { if_field = "protocol", if_match = { not_one_of = with_tls },
                        then_field = "ca_certificates", then_match = { eq = null } } },
    },
    shorthand_fields = {
      { url = { type = "string", func = url_shorthand } },
    },
  },  {
    name = "routes",
    primary_key = { "id" },
    endpoint_key = "name",
    workspaceable = true,
    subschema_key = "protocols",
    fields = {
      { id = typedefs.uuid },
      { created_at = typedefs.auto_timestamp_s },
      { updated_at = typedefs.auto_timestamp_s },
      { name = typedefs.utf8_name },
      { protocols = { type = "set", len_min = 1, required = true,
                      elements = typedefs.protocol,
                      mutually_exclusive_subsets = {
                        { "http", "https" },
                        { "tcp", "tls", "udp" },
                        { "tls_passthrough" },
                        { "grpc", "grpcs" },
                      },
                      default = { "http", "https" } } },
      { https_redirect_status_code = { type = "integer", one_of = { 426, 301, 302, 307, 308 },
                                       default = 426, required = true } },
      { strip_path = { type = "boolean", required = true, default = true } },
      { preserve_host = { type = "boolean", required = true, default = false } },
      { request_buffering = { type = "boolean", required = true, default = true } },
      { response_buffering = { type = "boolean", required = true, default = true } },
      { tags = typedefs.tags },
      { service = { type = "foreign", reference = "services" } },
      { snis = { type = "set", elements = typedefs.sni } },
      { sources = typedefs.sources },
      { destinations = typedefs.destinations },
      { methods = typedefs.methods },
      { hosts = typedefs.hosts },
      { paths = typedefs.router_paths },
      { headers = typedefs.headers },
      { regex_priority = { type = "integer", default = 0 } },
      { path_handling = { type = "string", default = "v0", one_of = { "v0", "v1" } } },
    },
    subschemas = route_subschemas,
  },
  {
    name = "plugins",
    primary_key = { "id" },
    cache_key = { "name", "route", "service", "consumer" },
    workspaceable = true,
    endpoint_key = "instance_name",
    subschema_key = "name",
    subschema_error = "plugin '%s' not enabled; add it to the 'plugins' configuration property",
    fields = {
      { id = typedefs.uuid },
      { name = { type = "string", required = true } },
      { instance_name = typedefs.utf8_name },
      { created_at = typedefs.auto_timestamp_s },
      { updated_at = typedefs.auto_timestamp_s },
      { route = { type = "foreign", reference = "routes", default = null, on_delete = "cascade" } },
      { service = { type = "foreign", reference = "services", default = null,
                    on_delete = "cascade" } },
      { consumer = { type = "foreign", reference = "consumers", default = null,
                     on_delete = "cascade" } },
      { config = { type = "record", abstract = true } },
      { protocols = typedefs.protocols },
      { enabled = { type = "boolean", required = true, default = true } },
      { tags = typedefs.tags },
    },
  },
}
