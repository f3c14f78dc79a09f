-- typedefs.lua -- kong.db.schema.typedefs for daoc.
--
-- Ready-made field definitions, each usable as is (`id = typedefs.uuid`) or
-- called with overrides (`typedefs.uuid { auto = false }`), which copies the
-- typedef's attributes into the given table for the keys it leaves nil.
-- Validators that Kong writes in Lua over OpenResty libraries are daoc's
-- built-in C validators here (`env.builtin(name)`), so validation does not
-- enter Lua for them.  Asking for a typedef that does not exist raises
-- "schema typedef error: definition <name> does not exist".
local env = ...

local define, builtin, null = env.define, env.builtin, env.null
local gsub, sub = string.gsub, string.sub

local T = {}

local function str(validator, extra)
  local t = { type = "string", custom_validator = validator }
  for k, v in pairs(extra or {}) do t[k] = v end
  return define(t)
end

local http_protocols = {}
for p, s in pairs(env.protocols_with_subsystem) do
  if s == "http" then http_protocols[#http_protocols + 1] = p end
end
table.sort(http_protocols)

local function copy(list)
  local c = {}
  for i, v in ipairs(list) do c[i] = v end
  return c
end

-- scalars -------------------------------------------------------------------
T.http_method = define { type = "string", match = "^%u+$" }
T.protocol = define { type = "string", one_of = copy(env.protocols) }

T.host = str(builtin("host"))
T.redis_host = str(builtin("host"))
T.host_with_optional_port = str(builtin("host_with_optional_port"))
T.wildcard_host = str(builtin("wildcard_host"))
T.ip = str(builtin("ip"))
T.ip_or_cidr = str(builtin("ip_or_cidr"))
T.cidr_v4 = str(builtin("cidr_v4"))
T.cidr = T.cidr_v4

T.port = define { type = "integer", between = { 0, 65535 } }

T.path = define {
  type = "string",
  starts_with = "/",
  match_none = { { pattern = "//", err = "must not have empty segments" } },
  custom_validator = builtin("path"),
}

T.url = str(builtin("url"))
T.cookie_name = str(builtin("cookie_name"))
T.header_name = str(builtin("header_name"))

T.timeout = define { type = "integer", between = { 0, math.pow(2, 31) - 2 } }

T.uuid = define { type = "string", uuid = true, auto = true }
T.auto_timestamp_s = define { type = "integer", timestamp = true, auto = true }
T.auto_timestamp_ms = define { type = "number", timestamp = true, auto = true }

T.no_route = define { type = "foreign", reference = "routes", eq = null }
T.no_service = define { type = "foreign", reference = "services", eq = null }
T.no_consumer = define { type = "foreign", reference = "consumers", eq = null }

T.name = str(builtin("name"), { unique = true })
T.utf8_name = str(builtin("utf8_name"), { unique = true })
T.sni = str(builtin("sni"))
T.redis_server_name = str(builtin("sni"))

-- parsed with libcrypto, as Kong does (src/schema/builtins_crypto.c)
T.certificate = str(builtin("certificate"))
T.key = str(builtin("key"))

-- Kong 1.x's service-mesh field of plugins (removed in 2.0); the plugin
-- schemas of 1.x specialise it, and the loader leaves it out (shims.lua)
T.run_on = define { type = "string", required = true, default = "first",
                    one_of = { "first", "second", "all" } }
T.run_on_first = define { type = "string", required = true, default = "first",
                          one_of = { "first" } }

T.tag = str(builtin("tag"), { required = true })
T.tags = define { type = "set", elements = T.tag }
T.capability = define { type = "string" }

T.protocols = define {
  type = "set",
  required = true,
  default = copy(http_protocols),
  elements = T.protocol,
}

T.protocols_http = define {
  type = "set",
  required = true,
  default = copy(http_protocols),
  elements = { type = "string", one_of = copy(http_protocols) },
}

-- routing -------------------------------------------------------------------
local function endpoints()
  return define {
    type = "set",
    elements = {
      type = "record",
      fields = {
        { ip = T.ip_or_cidr },
        { port = T.port },
      },
      entity_checks = {
        { at_least_one_of = { "ip", "port" } },
      },
    },
  }
end

T.sources = endpoints()
T.no_sources = define(T.sources { eq = null })
T.destinations = endpoints()
T.no_destinations = define(T.destinations { eq = null })

T.methods = define { type = "set", elements = T.http_method }
T.no_methods = define(T.methods { eq = null })

local host_with_optional_port = builtin("host_with_optional_port")
T.hosts = define {
  type = "array",
  elements = {
    type = "string",
    match_all = {
      { pattern = "^[^*]*%*?[^*]*$",
        err = "invalid wildcard: must have at most one wildcard" },
    },
    match_any = {
      patterns = { "^%*%.", "%.%*$", "^[^*]*$" },
      err = "invalid wildcard: must be placed at leftmost or rightmost label",
    },
    custom_validator = host_with_optional_port and function(host)
      return host_with_optional_port((gsub(host, "%*", "abc")))
    end,
  },
}
T.no_hosts = define(T.hosts { eq = null })

T.router_path = define {
  type = "string",
  match_any = {
    patterns = { "^/", "^~/" },
    err = "should start with: / (fixed path) or ~/ (regex path)",
  },
  match_none = { { pattern = "//", err = "must not have empty segments" } },
  custom_validator = builtin("router_path"),
}
T.router_paths = define { type = "array", elements = T.router_path }
T.no_paths = define(T.router_paths { eq = null })

T.headers = define {
  type = "map",
  keys = T.header_name,
  values = { type = "array", elements = { type = "string" } },
}
T.no_headers = define(T.headers { eq = null })

T.semantic_version = define {
  type = "string",
  match_any = {
    patterns = { "^%d+[%.%d]*$", "^%d+[%.%d]*%-?.*$" },
    err = "invalid version number: must be in format of X.Y.Z",
  },
  match_none = { { pattern = "%.%.", err = "must not have empty version segments" } },
}

-- keys ----------------------------------------------------------------------
T.pem = define {
  type = "record",
  required = false,
  fields = {
    { private_key = { type = "string", required = false, referenceable = true,
                      encrypted = true } },
    { public_key = { type = "string", required = false, referenceable = true } },
  },
  entity_checks = {
    { at_least_one_of = { "private_key", "public_key" } },
  },
  custom_validator = builtin("pem"), -- each key loaded as its kind, one pair
}

local jwk_fields = {}
for _, k in ipairs { "issuer", "kty", "use", "key_ops", "alg", "kid", "x5u", "x5c", "x5t",
                     "x5t#S256", "k", "x", "y", "crv", "n", "e", "d", "p", "q", "dp", "dq",
                     "qi", "oth", "r", "t" } do
  local f
  if k == "key_ops" or k == "x5c" then
    f = { type = "array", required = false, elements = { type = "string", required = false } }
  else
    f = { type = "string", required = k == "kid" }
  end
  jwk_fields[#jwk_fields + 1] = { [k] = f }
end
T.jwk = define {
  type = "record",
  required = false,
  fields = jwk_fields,
  custom_validator = builtin("jwk"), -- loaded as a key (RSA, EC, OKP)
}

-- plugin configuration records ---------------------------------------------
T.queue = define {
  type = "record",
  fields = {
    { max_batch_size = { type = "integer", default = 1, between = { 1, 1000000 } } },
    { max_coalescing_delay = { type = "number", default = 1, between = { 0, 3600 } } },
    { max_entries = { type = "integer", default = 10000, between = { 1, 1000000 } } },
    { max_bytes = { type = "integer" } },
    { max_retry_time = { type = "number", default = 60 } },
    { initial_retry_delay = { type = "number", default = 0.01,
                              between = { 0.001, 1000000 } } },
    { max_retry_delay = { type = "number", default = 60, between = { 0.001, 1000000 } } },
    { concurrency_limit = { type = "integer", default = 1, one_of = { -1, 1 } } },
  },
}

local formats = { "aws", "b3", "b3-single", "datadog", "gcp", "instana", "jaeger", "ot", "w3c" }
local extractors, injectors = {}, { "preserve" }
for _, f in ipairs(formats) do
  if f ~= "b3-single" then extractors[#extractors + 1] = f end
  injectors[#injectors + 1] = f
end
local header_name = builtin("header_name")
T.propagation = define {
  type = "record",
  fields = {
    { extract = { type = "array", elements = { type = "string", one_of = extractors } } },
    { clear = { type = "array",
                elements = { type = "string", custom_validator = header_name } } },
    { inject = { type = "array", elements = { type = "string", one_of = injectors } } },
    { default_format = { type = "string", one_of = { unpack(formats) }, required = true } },
  },
}

T.lua_code = define {
  type = "map",
  keys = { type = "string", len_min = 1 },
  values = {
    type = "string",
    len_min = 1,
    custom_validator = function(code)
      if sub(code, 1, 1) == "\27" then return nil, "bytecode is not allowed" end
      local f, err = loadstring(code, "=code")
      if not f then return nil, err end
      return true
    end,
  },
}

T.ttl = define { type = "number", between = { 0, env.max_ttl } }

setmetatable(T, {
  __index = function(_, k)
    error("schema typedef error: definition " .. tostring(k) .. " does not exist", 2)
  end,
})

return T
