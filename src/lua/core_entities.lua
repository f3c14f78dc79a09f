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

-- routes: one subschema per protocol, as Kong's routes_subschemas.lua
-- registers them (traditional router flavor); the first protocol of a
-- route's set that has one selects it, so http and https share one
-- definition, as do tcp, tls, udp and tls_passthrough, and grpc and grpcs.
local function cannot_set(field, when)
  return "cannot set '" .. field .. "' when 'protocols' is " .. when
end

local http_when = "'http' or 'https'"
local http_route = {
  name = "http",
  fields = {
    { sources = typedefs.no_sources { err = cannot_set("sources", http_when) } },
    { destinations = typedefs.no_destinations { err = cannot_set("destinations", http_when) } },
  },
  entity_checks = {
    { conditional_at_least_one_of = {
        if_field = "protocols",
        if_match = { contains = "https" },
        then_at_least_one_of = { "methods", "hosts", "headers", "paths", "snis" },
        then_err = "must set one of %s when 'protocols' is 'https'",
        else_match = { contains = "http" },
        else_then_at_least_one_of = { "methods", "hosts", "headers", "paths" },
        else_then_err = "must set one of %s when 'protocols' is 'http'",
    } },
  },
}

local stream_when = "'tcp', 'tls', 'tls_passthrough' or 'udp'"
local stream_route = {
  name = "tcp",
  fields = {
    { methods = typedefs.no_methods { err = cannot_set("methods", stream_when) } },
    { hosts = typedefs.no_hosts { err = cannot_set("hosts", stream_when) } },
    { paths = typedefs.no_paths { err = cannot_set("paths", stream_when) } },
    { headers = typedefs.no_headers { err = cannot_set("headers", stream_when) } },
  },
  entity_checks = {
    { conditional_at_least_one_of = {
        if_field = "protocols",
        if_match = { elements = { type = "string", one_of = { "tcp", "tls", "udp" } } },
        then_at_least_one_of = { "sources", "destinations", "snis" },
        then_err = "must set one of %s when 'protocols' is 'tcp', 'tls' or 'udp'",
    } },
    { conditional_at_least_one_of = {
        if_field = "protocols",
        if_match = { elements = { type = "string", one_of = { "tls_passthrough" } } },
        then_at_least_one_of = { "snis" },
        then_err = "must set snis when 'protocols' is 'tls_passthrough'",
    } },
  },
}

local grpc_when = "'grpc' or 'grpcs'"
local grpc_route = {
  name = "grpc",
  fields = {
    { strip_path = { type = "boolean", required = true, default = false, ne = true,
                     err = cannot_set("strip_path", grpc_when) } },
    { methods = typedefs.no_methods { err = cannot_set("methods", grpc_when) } },
    { sources = typedefs.no_sources { err = cannot_set("sources", grpc_when) } },
    { destinations = typedefs.no_destinations { err = cannot_set("destinations", grpc_when) } },
  },
  entity_checks = {
    { conditional_at_least_one_of = {
        if_field = "protocols",
        if_match = { contains = "grpcs" },
        then_at_least_one_of = { "hosts", "headers", "paths", "snis" },
        then_err = "must set one of %s when 'protocols' is 'grpcs'",
        else_match = { contains = "grpc" },
        else_then_at_least_one_of = { "hosts", "headers", "paths" },
        else_then_err = "must set one of %s when 'protocols' is 'grpc'",
    } },
  },
}

local route_subschemas = {
  http = http_route, https = http_route,
  tcp = stream_route, tls = stream_route, udp = stream_route, tls_passthrough = stream_route,
  grpc = grpc_route, grpcs = grpc_route,
}

-- path_handling "v1" is accepted with Kong's deprecation notice (a warning
-- in the log, not an error), worded for the traditional router flavor
local PATH_V1_DEPRECATED = "path_handling='v1' is deprecated and will be removed in future "
  .. "version, please use path_handling='v0' instead (deprecated after 3.0)"
local function path_handling_notice(entity)
  if entity.path_handling == "v1" then
    ngx.log(ngx.WARN, PATH_V1_DEPRECATED)
  end
  return true
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
      { headers = typedefs.headers {
          keys = typedefs.header_name {
            match_none = { {
              pattern = "^[Hh][Oo][Ss][Tt]$",
              err = "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
            } },
          },
      } },
      { regex_priority = { type = "integer", default = 0 } },
      { path_handling = { type = "string", default = "v0", one_of = { "v0", "v1" } } },
    },
    entity_checks = {
      { conditional = {
          if_field = "protocols",
          if_match = { elements = { type = "string",
                                    not_one_of = { "grpcs", "https", "tls", "tls_passthrough" } } },
          then_field = "snis",
          then_match = { len_eq = 0 },
          then_err = "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' "
                     .. "or 'tls_passthrough'",
      } },
      { custom_entity_check = { field_sources = { "path_handling" }, fn = path_handling_notice } },
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
