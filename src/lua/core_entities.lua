-- core_entities.lua -- the core entities whose definitions need Lua (a
-- shorthand's function), written as Kong's kong/db/schema/entities/*.lua
-- write them and loaded through the same sandboxed loader as a plugin's
-- daos.lua, after the JSON core entities (src/db/core_entities.c) and
-- before any plugin, so plugin entities can reference them.
--
-- certificates, ca_certificates, snis, upstreams, targets: Kong's files of
-- those names (their custom DAOs are src/db/*_dao.c: docs/entities.md).
-- services: Kong's services.lua (reference kong-schema-dao.md section 7).
-- routes: Kong's routes.lua (traditional router flavor).
-- plugins: Kong's plugins.lua; each enabled plugin's schema.lua becomes its
-- subschema (src/lua/defs.c and legacy.c), registered by the opener.
--
-- An entity here may carry `subschemas = { [key] = definition }` (ours,
-- not Kong's: Kong registers routes_subschemas.lua from its loader): the
-- opener takes it out and registers each under its value of the
-- entity's subschema_key.
local typedefs = require "kong.db.schema.typedefs"
local url = require "socket.url"
local openssl_x509 = require "resty.openssl.x509"
local openssl_pkey = require "resty.openssl.pkey"
local to_hex = require("resty.string").to_hex

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

-- Kong's check of the http and grpc subschemas: a route over the TLS
-- protocol `secure` must set one of `fields` or snis, over `plain` one of
-- `fields`
local function needs_one_of(secure, plain, fields)
  local with_snis = { unpack(fields) }
  with_snis[#with_snis + 1] = "snis"
  return { conditional_at_least_one_of = {
    if_field = "protocols",
    if_match = { contains = secure },
    then_at_least_one_of = with_snis,
    then_err = "must set one of %s when 'protocols' is '" .. secure .. "'",
    else_match = { contains = plain },
    else_then_at_least_one_of = fields,
    else_then_err = "must set one of %s when 'protocols' is '" .. plain .. "'",
  } }
end

local http_when = "'http' or 'https'"
local http_route = {
  name = "http",
  fields = {
    { sources = typedefs.no_sources { err = cannot_set("sources", http_when) } },
    { destinations = typedefs.no_destinations { err = cannot_set("destinations", http_when) } },
  },
  entity_checks = {
    needs_one_of("https", "http", { "methods", "hosts", "headers", "paths" }),
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
    needs_one_of("grpcs", "grpc", { "hosts", "headers", "paths" }),
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

-- Addresses as Kong's kong.tools.ip reads them (normalize_ip, format_host),
-- for upstreams' names and targets' targets.  The kind is decided by
-- exclusion: more than one colon is ipv6, digits and dots ipv4, anything
-- else a name; each kind is then checked and normalised, with its port.
local function port_number(p)
  p = tonumber(p)
  if p and p <= 65535 then return p end
  return nil
end

local function address_kind(a)
  local rest, colons = a:gsub(":", "")
  if colons > 1 then return "ipv6" end
  if rest:match("^[%d%.]+$") then return "ipv4" end
  return "name"
end

local function ipv4_of(a)
  local pat = "^(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)%.(%d%d?%d?)"
  local q = { a:match(pat .. (a:find(":", 1, true) and ":(%d+)$" or "$")) }
  if not q[1] then return nil end
  for i = 1, 4 do
    q[i] = tonumber(q[i])
    if q[i] > 255 then return nil end
  end
  local port
  if q[5] then
    port = port_number(q[5])
    if not port then return nil end
  end
  return string.format("%d.%d.%d.%d", q[1], q[2], q[3], q[4]), port
end

-- the address fully expanded, lower case (brackets and port taken off)
local function ipv6_of(a)
  local inner, rest = a:match("^(%b[])(.-)$")
  local port
  if inner then
    a = inner:sub(2, -2)
    if rest ~= "" then
      port = port_number(rest:match("^:(%d-)$"))
      if not port then return nil end
    end
  end
  if a:sub(1, 1) == ":" then a = "0" .. a end
  if a:sub(-1) == ":" then a = a .. "0" end
  if a:find("::", 1, true) then
    local _, colons = a:gsub(":", "")
    a = a:gsub("::", ":" .. string.rep("0:", 8 - colons), 1)
  end
  local groups = {}
  for g in (a .. ":"):gmatch("([^:]*):") do groups[#groups + 1] = g end
  if #groups ~= 8 then return nil end
  for i, g in ipairs(groups) do
    if not g:match("^%x%x?%x?%x?$") then return nil end
    groups[i] = string.rep("0", 4 - #g) .. g:lower()
  end
  return table.concat(groups, ":"), port
end

local function hostname_of(a)
  local name, port = a, a:match(":(%d+)$")
  if port then
    name = a:sub(1, -(#port + 2))
    port = port_number(port)
    if not port then return nil end
  end
  if not name:match("^[%w%-%._]+$") then return nil end
  local labels = {}
  for l in (name .. "."):gmatch("([^.]*)%.") do labels[#labels + 1] = l end
  for i, l in ipairs(labels) do
    if l:match("%-$") or (l == "" and i ~= #labels) then return nil end
  end
  return name, port
end

local address_check = { ipv4 = ipv4_of, ipv6 = ipv6_of, name = hostname_of }

-- { type, host, port } or nil
local function normalize_ip(a)
  local kind = address_kind(a)
  local host, port = address_check[kind](a)
  if not host then return nil end
  return { type = kind, host = host, port = port }
end

-- host:port (ipv6 in brackets), default_port when the address has none
local function format_host(p, default_port)
  local host = p.type == "ipv6" and "[" .. p.host .. "]" or p.host
  return host .. ":" .. (p.port or default_port)
end

-- well-formed UTF-8 (Kong's validate_utf8 decides how names are quoted)
local function valid_utf8(s)
  local i, n = 1, #s
  while i <= n do
    local c = s:byte(i)
    local len = c < 0x80 and 1 or c >= 0xC2 and c < 0xE0 and 2
                or c >= 0xE0 and c < 0xF0 and 3 or c >= 0xF0 and c < 0xF5 and 4
    if not len or i + len - 1 > n then return false end
    for j = i + 1, i + len - 1 do
      local b = s:byte(j)
      if b < 0x80 or b > 0xBF then return false end
    end
    i = i + len
  end
  return true
end

-- certificates ----------------------------------------------------------------
-- A value given as a vault reference is not parsed (Kong resolves it later).
local function is_reference(v)
  return type(v) == "string" and v:sub(1, 8) == "{vault:/"
end

-- the certificate's public key is the key's
local function pair_check(cert_field, key_field, msg)
  return function(entity)
    local c, k = entity[cert_field], entity[key_field]
    if type(c) ~= "string" or type(k) ~= "string" or is_reference(c) or is_reference(k) then
      return true
    end
    local cert, key = openssl_x509.new(c), openssl_pkey.new(k)
    if not cert or not key or cert:get_pubkey():to_PEM() ~= key:to_PEM("public") then
      return nil, msg
    end
    return true
  end
end

local function alt_type_check(entity)
  local c, a = entity.cert, entity.cert_alt
  if type(c) ~= "string" or type(a) ~= "string" or is_reference(c) or is_reference(a) then
    return true
  end
  local cert, alt = openssl_x509.new(c), openssl_x509.new(a)
  if cert and alt and cert:get_pubkey():get_key_type().id == alt:get_pubkey():get_key_type().id then
    return nil, "certificate and alternative certificate need to have different type " ..
                "(e.g. RSA and ECDSA), the provided certificates were both of the same type"
  end
  return true
end

-- ca_certificates -------------------------------------------------------------
local PEM_CERT = "-----BEGIN CERTIFICATE-----"

local function ca_check(entity)
  local pem = entity.cert
  local first = pem:find(PEM_CERT, 1, true)
  if first and pem:find(PEM_CERT, first + #PEM_CERT + 1, true) then
    return nil, "please submit only one certificate at a time"
  end
  local cert = openssl_x509.new(pem)
  if not cert then return true end -- the field's validator says why
  local not_after = cert:get_not_after()
  if not_after and not_after < ngx.time() then
    return nil, "certificate expired, \"Not After\" time is in the past"
  end
  if not cert:get_basic_constraints("CA") then
    return nil, "certificate does not appear to be a CA because it is missing the \"CA\" " ..
                "basic constraint"
  end
  return true
end

-- cert_digest: the hex SHA-256 of the certificate's DER encoding
local function ca_digest(cert)
  local x = openssl_x509.new(cert)
  local digest = x and x:digest("sha256")
  if not digest then
    return nil, "cannot create digest value of certificate"
  end
  return { cert_digest = to_hex(digest) }
end

-- upstreams -------------------------------------------------------------------
local function upstream_name(name)
  local shown = valid_utf8(name) and "Invalid name ('" .. name .. "')" or "Invalid name"
  local p = normalize_ip(name)
  if not p then return nil, shown .. "; must be a valid hostname" end
  if p.type ~= "name" then return nil, shown .. "; no ip addresses allowed" end
  if p.port then return nil, shown .. "; no port allowed" end
  return true
end

-- a typedef-like constructor: base attributes, overridden by those given
local function kind(base)
  return function(over)
    local t = {}
    for k, v in pairs(base) do t[k] = v end
    for k, v in pairs(over or {}) do t[k] = v end
    return t
  end
end

local hash_on = kind { type = "string", default = "none",
                       one_of = { "none", "consumer", "ip", "header", "cookie", "path",
                                  "query_arg", "uri_capture" } }
local simple_param = { type = "string", len_min = 1 }
local one_byte = kind { type = "integer", between = { 0, 255 } }
local seconds = kind { type = "number", between = { 0, 65535 } }

-- the healthchecks record, as Kong generates it from its defaults: each
-- leaf's type is given by its name, each table of defaults is a record
-- whose default is that table.  NONE marks a leaf without a default (not
-- required).
local NONE = {}
local hc_types = {
  type = kind { type = "string", one_of = { "tcp", "http", "https", "grpc", "grpcs" },
                default = "http" },
  timeout = seconds,
  concurrency = kind { type = "integer", between = { 1, math.pow(2, 31) } },
  interval = seconds,
  successes = one_byte,
  tcp_failures = one_byte,
  timeouts = one_byte,
  http_failures = one_byte,
  http_path = typedefs.path,
  http_statuses = kind { type = "array", elements = { type = "integer", between = { 100, 999 } } },
  https_sni = typedefs.sni,
  https_verify_certificate = kind { type = "boolean", default = true, required = true },
  headers = typedefs.headers,
}

local function hc_record(spec)
  local fields, defaults = {}, {}
  for i, leaf in ipairs(spec) do
    local name, d = leaf[1], leaf[2]
    local def
    if d == NONE then
      def = hc_types[name] { required = false }
    elseif type(d) == "table" and d.record then
      local sub_fields, sub_defaults = hc_record(d.record)
      def = { type = "record", fields = sub_fields, default = sub_defaults }
      defaults[name] = sub_defaults
    else
      def = hc_types[name] { default = d }
      defaults[name] = d
    end
    fields[i] = { [name] = def }
  end
  return fields, defaults
end

local healthchecks_fields, healthchecks_defaults = hc_record {
  { "active", { record = {
    { "type", "http" },
    { "timeout", 1 },
    { "concurrency", 10 },
    { "http_path", "/" },
    { "https_sni", NONE },
    { "https_verify_certificate", true },
    { "headers", NONE },
    { "healthy", { record = {
      { "interval", 0 },
      { "http_statuses", { 200, 302 } },
      { "successes", 0 },
    } } },
    { "unhealthy", { record = {
      { "interval", 0 },
      { "http_statuses", { 429, 404, 500, 501, 502, 503, 504, 505 } },
      { "tcp_failures", 0 },
      { "timeouts", 0 },
      { "http_failures", 0 },
    } } },
  } } },
  { "passive", { record = {
    { "type", "http" },
    { "healthy", { record = {
      { "http_statuses", { 200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
                           300, 301, 302, 303, 304, 305, 306, 307, 308 } },
      { "successes", 0 },
    } } },
    { "unhealthy", { record = {
      { "http_statuses", { 429, 500, 503 } },
      { "tcp_failures", 0 },
      { "timeouts", 0 },
      { "http_failures", 0 },
    } } },
  } } },
}
healthchecks_fields[#healthchecks_fields + 1] = {
  threshold = { type = "number", default = 0, between = { 0, 100 } },
}

-- `when hash_on is <on>, hash_fallback is one of <allowed>`
local function fallback_in(on, allowed)
  return { conditional = { if_field = "hash_on", if_match = { match = "^" .. on .. "$" },
                           then_field = "hash_fallback", then_match = { one_of = allowed } } }
end

-- `when <if_field> is <value>, <then_field> is required`
local function needs(if_field, value, then_field)
  return { conditional = { if_field = if_field, if_match = { match = "^" .. value .. "$" },
                           then_field = then_field, then_match = { required = true } } }
end

-- targets ---------------------------------------------------------------------
local TARGET_DEFAULT_PORT = 8000

local function target_address(target)
  if normalize_ip(target) then return true end
  if not valid_utf8(target) then
    return nil, "Invalid target; not a valid hostname or ip address"
  end
  return nil, "Invalid target ('" .. target .. "'); not a valid hostname or ip address"
end

-- Kong's targets DAO stores host:port, the port 8000 when none is given
local function target_normalised(target)
  local p = normalize_ip(target)
  if not p then return nil, "Invalid target; not a valid hostname or ip address" end
  return { target = format_host(p, TARGET_DEFAULT_PORT) }
end

return {
  {
    name = "certificates",
    primary_key = { "id" },
    workspaceable = true,
    fields = {
      { id = typedefs.uuid },
      { created_at = typedefs.auto_timestamp_s },
      { updated_at = typedefs.auto_timestamp_s },
      { cert = typedefs.certificate { required = true, referenceable = true } },
      { key = typedefs.key { required = true, referenceable = true, encrypted = true } },
      { cert_alt = typedefs.certificate { required = false, referenceable = true } },
      { key_alt = typedefs.key { required = false, referenceable = true, encrypted = true } },
      { tags = typedefs.tags },
      { snis = { type = "array", elements = typedefs.wildcard_host, required = false,
                 transient = true } },
    },
    entity_checks = {
      { mutually_required = { "cert_alt", "key_alt" } },
      { custom_entity_check = { field_sources = { "cert", "key" },
                                fn = pair_check("cert", "key", "certificate does not match key") } },
      { custom_entity_check = { field_sources = { "cert_alt", "key_alt" },
                                fn = pair_check("cert_alt", "key_alt",
                                                "alternative certificate does not match key") } },
      { custom_entity_check = { field_sources = { "cert", "cert_alt" }, fn = alt_type_check } },
    },
  },
  {
    name = "ca_certificates",
    primary_key = { "id" },
    fields = {
      { id = typedefs.uuid },
      { created_at = typedefs.auto_timestamp_s },
      { updated_at = typedefs.auto_timestamp_s },
      { cert = typedefs.certificate { required = true } },
      { cert_digest = { type = "string", unique = true } },
      { tags = typedefs.tags },
    },
    transformations = {
      { input = { "cert" }, on_write = ca_digest },
    },
    entity_checks = {
      { custom_entity_check = { field_sources = { "cert" }, fn = ca_check } },
    },
  },
  {
    name = "snis",
    primary_key = { "id" },
    endpoint_key = "name",
    workspaceable = true,
    fields = {
      { id = typedefs.uuid },
      { name = typedefs.wildcard_host { required = true, unique = true, unique_across_ws = true } },
      { created_at = typedefs.auto_timestamp_s },
      { updated_at = typedefs.auto_timestamp_s },
      { tags = typedefs.tags },
      { certificate = { type = "foreign", reference = "certificates", required = true } },
    },
  },
  {
    name = "upstreams",
    primary_key = { "id" },
    endpoint_key = "name",
    workspaceable = true,
    fields = {
      { id = typedefs.uuid },
      { created_at = typedefs.auto_timestamp_s },
      { name = { type = "string", required = true, unique = true,
                 custom_validator = upstream_name } },
      { updated_at = typedefs.auto_timestamp_s },
      { algorithm = { type = "string", default = "round-robin",
                      one_of = { "consistent-hashing", "least-connections", "round-robin",
                                 "latency" } } },
      { hash_on = hash_on() },
      { hash_fallback = hash_on() },
      { hash_on_header = typedefs.header_name },
      { hash_fallback_header = typedefs.header_name },
      { hash_on_cookie = typedefs.cookie_name },
      { hash_on_cookie_path = typedefs.path { default = "/" } },
      { hash_on_query_arg = simple_param },
      { hash_fallback_query_arg = simple_param },
      { hash_on_uri_capture = simple_param },
      { hash_fallback_uri_capture = simple_param },
      { slots = { type = "integer", default = 10000, between = { 10, math.pow(2, 16) } } },
      { healthchecks = { type = "record", default = healthchecks_defaults,
                         fields = healthchecks_fields } },
      { tags = typedefs.tags },
      { host_header = typedefs.host_with_optional_port },
      { client_certificate = { type = "foreign", reference = "certificates" } },
      { use_srv_name = { type = "boolean", default = false } },
    },
    entity_checks = {
      needs("hash_on", "header", "hash_on_header"),
      needs("hash_fallback", "header", "hash_fallback_header"),
      needs("hash_on", "cookie", "hash_on_cookie"),
      needs("hash_fallback", "cookie", "hash_on_cookie"),
      fallback_in("none", { "none" }),
      fallback_in("cookie", { "none" }),
      fallback_in("consumer", { "none", "ip", "header", "cookie", "path", "query_arg",
                                "uri_capture" }),
      fallback_in("ip", { "none", "consumer", "header", "cookie", "path", "query_arg",
                          "uri_capture" }),
      fallback_in("path", { "none", "consumer", "header", "cookie", "query_arg", "ip",
                            "uri_capture" }),
      { distinct = { "hash_on_header", "hash_fallback_header" } },
      needs("hash_on", "query_arg", "hash_on_query_arg"),
      needs("hash_fallback", "query_arg", "hash_fallback_query_arg"),
      { distinct = { "hash_on_query_arg", "hash_fallback_query_arg" } },
      needs("hash_on", "uri_capture", "hash_on_uri_capture"),
      needs("hash_fallback", "uri_capture", "hash_fallback_uri_capture"),
      { distinct = { "hash_on_uri_capture", "hash_fallback_uri_capture" } },
    },
    -- Kong's compatibility rules between algorithm and hash_on: the
    -- algorithms that do not hash clear hash_on; a hash_on other than
    -- "none" makes the algorithm consistent-hashing, "none" round-robin.
    shorthand_fields = {
      { algorithm = { type = "string", func = function(value)
        if value == "least-connections" or value == "latency" then
          return { algorithm = value, hash_on = null }
        end
        return { algorithm = value }
      end } },
      { hash_on = { type = "string", func = function(value)
        if value == null then
          return { hash_on = "none" }
        elseif value == "none" then
          return { hash_on = value, algorithm = "round-robin" }
        end
        return { hash_on = value, algorithm = "consistent-hashing" }
      end } },
    },
  },
  {
    name = "targets",
    primary_key = { "id" },
    cache_key = { "upstream", "target" },
    endpoint_key = "target",
    workspaceable = true,
    fields = {
      { id = typedefs.uuid },
      { created_at = typedefs.auto_timestamp_ms },
      { updated_at = typedefs.auto_timestamp_ms },
      { upstream = { type = "foreign", reference = "upstreams", required = true,
                     on_delete = "cascade" } },
      { target = { type = "string", required = true, custom_validator = target_address } },
      { weight = { type = "integer", default = 100, between = { 0, 65535 } } },
      { tags = typedefs.tags },
    },
    -- ours, Kong's targets DAO's format_target: the target is written
    -- normalised (src/db/targets_dao.c runs it to compare targets)
    transformations = {
      { input = { "target" }, on_write = target_normalised },
    },
  },
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
      { client_certificate = { type = "foreign", reference = "certificates" } },
      { tls_verify = { type = "boolean" } },
      { tls_verify_depth = { type = "integer", default = null, between = { 0, 64 } } },
      { ca_certificates = { type = "array", elements = { type = "string", uuid = true } } },
      { enabled = { type = "boolean", required = true, default = true } },
    },
    entity_checks = {
      { conditional = { if_field = "protocol", if_match = { one_of = stream_or_grpc },
                        then_field = "path", then_match = { eq = null } } },
      { conditional = { if_field = "protocol", if_match = { not_one_of = with_tls },
                        then_field = "client_certificate", then_match = { eq = null } } },
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
