-- shims.lua -- the Lua side of daoc's embedded state (run once by state.c).
--
-- Receives `prim` (C primitives: json, base64, uuid, clock, log, builtin
-- validators, module loading) and builds:
--   * the modules a plugin file may require without Kong installed:
--     kong.db.schema.typedefs, kong.db.schema (define only), kong.constants,
--     cjson / cjson.safe, kong.tools.utils / uuid / table / string,
--     kong.dao.cassandra.base_dao (0.x class base) and kong.singletons;
--   * the `ngx` global (null, time, now, log, base64, ctx, config, ...);
--   * the sandbox environment plugin files run in, with its own `require`.
-- It returns { sandbox = env, array_mt = ..., empty_array_mt = ...,
-- legacy_extract = fn } for state.c and defs.c.
local prim = ...

local null = prim.null
local type, pairs, ipairs, setmetatable, getmetatable, tostring, select, error =
  type, pairs, ipairs, setmetatable, getmetatable, tostring, select, error
local rawget, rawset, pcall, xpcall, unpack = rawget, rawset, pcall, xpcall, unpack
local floor, concat = math.floor, table.concat

local preload = {}   -- shim modules by name (shared with the trusted require)
local loaded = {}    -- modules required from the sandbox

---------------------------------------------------------------------------
-- ngx
---------------------------------------------------------------------------
local LOG = { [0] = 4, 4, 4, 4, 4, 3, 2, 1, 0 } -- ngx level -> daoc level

local ngx = {
  null = null,
  OK = 0, ERROR = -1, AGAIN = -2, DONE = -4, DECLINED = -5,
  STDERR = 0, EMERG = 1, ALERT = 2, CRIT = 3, ERR = 4, WARN = 5, NOTICE = 6,
  INFO = 7, DEBUG = 8,
  HTTP_OK = 200, HTTP_NOT_FOUND = 404, HTTP_INTERNAL_SERVER_ERROR = 500,
  ctx = {},
  var = {},
  shared = {},
  header = {},
  arg = {},
}

-- ngx.shared.<dict>: the shared dictionaries Kong's nginx template declares
-- (kong, kong_locks, kong_db_cache, ...), so plugin code that looks one up
-- finds it (acme's schema checks `ngx.shared[shm_name]`).  Each lives in
-- this process only, with ngx.shared.DICT's get/set/add/replace/incr/
-- delete/flush_all/get_keys and per-key expiry; what issue 12 shares
-- between nodes is kong.cache, not these.
local function shared_dict()
  local vals, flags, exp = {}, {}, {}
  local d = {}
  local function live(k)
    local e = exp[k]
    if e and e <= prim.now() then vals[k], flags[k], exp[k] = nil, nil, nil end
    return vals[k] ~= nil
  end
  local function put(k, v, ttl, fl)
    vals[k], flags[k] = v, fl
    exp[k] = (ttl and ttl > 0) and (prim.now() + ttl) or nil
    return true, nil, false
  end
  function d.get(_, k)
    if not live(k) then return nil end
    return vals[k], flags[k]
  end
  function d.set(_, k, v, ttl, fl)
    if v == nil then vals[k], flags[k], exp[k] = nil, nil, nil return true, nil, false end
    return put(k, v, ttl, fl)
  end
  d.safe_set = d.set
  function d.add(_, k, v, ttl, fl)
    if live(k) then return false, "exists", false end
    return put(k, v, ttl, fl)
  end
  d.safe_add = d.add
  function d.replace(_, k, v, ttl, fl)
    if not live(k) then return false, "not found", false end
    return put(k, v, ttl, fl)
  end
  function d.incr(_, k, by, init, init_ttl)
    if not live(k) then
      if init == nil then return nil, "not found" end
      put(k, init, init_ttl)
    end
    if type(vals[k]) ~= "number" then return nil, "not a number" end
    vals[k] = vals[k] + (by or 1)
    return vals[k], nil, false
  end
  function d.delete(_, k) vals[k], flags[k], exp[k] = nil, nil, nil end
  function d.flush_all() vals, flags, exp = {}, {}, {} end
  function d.flush_expired() return 0 end
  function d.ttl(_, k)
    if not live(k) then return nil, "not found" end
    return exp[k] and (exp[k] - prim.now()) or 0
  end
  function d.get_keys(_, max)
    local keys = {}
    for k in pairs(vals) do
      if live(k) then keys[#keys + 1] = k end
      if max and max > 0 and #keys >= max then break end
    end
    return keys
  end
  return d
end
for _, name in ipairs({ "kong", "kong_locks", "kong_healthchecks", "kong_cluster_events",
                        "kong_rate_limiting_counters", "kong_core_db_cache",
                        "kong_core_db_cache_miss", "kong_db_cache", "kong_db_cache_miss",
                        "kong_secrets", "kong_dns_cache" }) do
  ngx.shared[name] = shared_dict()
end

function ngx.now() return floor(prim.now() * 1000) / 1000 end
function ngx.time() return floor(prim.now()) end
function ngx.update_time() end

local kong -- the sandbox's (below)
-- kong.worker_events (Kong's API over lua-resty-events, for the one worker
-- of a Lua state): handlers by source and event name; an event posted is
-- queued and its handlers run at the next ngx.sleep, worker_events.poll()
-- or the script's end, in the order posted (Kong runs them asynchronously
-- too), as handler(data, event, source, pid).  The handle's committed
-- changes arrive as Kong's "dao:crud" events (event = the operation) and
-- are posted again as "crud" events named "<entity>" and
-- "<entity>:<operation>", as Kong's runloop does; data = { operation,
-- entity, old_entity, schema }.
local we_handlers = {} -- source -> event name (or true: all) -> handlers
local we_queue, we_running = {}, false
local we_crud_on = false
local function we_post(source, event, data)
  we_queue[#we_queue + 1] = { source = source, event = event, data = data }
end
local function we_call(list, e)
  if not list then return end
  for i = 1, #list do
    local ok, err = pcall(list[i], e.data, e.event, e.source, 0)
    if not ok then
      prim.log(4, "worker-events: event callback failed; source=" .. tostring(e.source) ..
        ", event=" .. tostring(e.event) .. ": " .. tostring(err))
    end
  end
end
local function we_run()
  if we_running then return end
  we_running = true
  while #we_queue > 0 do
    local q = we_queue
    we_queue = {}
    for i = 1, #q do
      local by = we_handlers[q[i].source]
      if by then
        we_call(by[q[i].event], q[i])
        we_call(by[true], q[i])
      end
    end
  end
  we_running = false
end
local function we_crud(ev) -- from the handle (worker_events.c), after a commit
  local dao = kong.db and kong.db[ev.entity_name]
  local data = { operation = ev.operation, entity = ev.entity, old_entity = ev.old_entity,
                 schema = dao and dao.schema or { name = ev.entity_name } }
  we_post("dao:crud", ev.operation, data)
  we_post("crud", ev.entity_name, data)
  we_post("crud", ev.entity_name .. ":" .. ev.operation, data)
end
local worker_events = {}
function worker_events.register(handler, source, ...)
  if type(handler) ~= "function" then
    error("bad argument #1 to 'register' (function expected, got " .. type(handler) .. ")", 2)
  end
  if type(source) ~= "string" then error("source is required", 2) end
  local by = we_handlers[source] or {}
  we_handlers[source] = by
  local n = select("#", ...)
  for i = 1, math.max(n, 1) do
    local ev = n == 0 and true or select(i, ...)
    local list = by[ev] or {}
    by[ev] = list
    list[#list + 1] = handler
  end
  if not we_crud_on and (source == "crud" or source == "dao:crud") then
    we_crud_on = true
    prim.crud_subscribe(we_crud)
  end
  return true
end
function worker_events.unregister(handler, source, ...)
  local by = we_handlers[source]
  if not by then return false end
  local n, found = select("#", ...), false
  for i = 1, math.max(n, 1) do
    local list = by[n == 0 and true or select(i, ...)]
    for j = list and #list or 0, 1, -1 do
      if list[j] == handler then table.remove(list, j); found = true end
    end
  end
  return found
end
function worker_events.post(source, event, data)
  if type(source) ~= "string" or source == "" then return nil, "source is required" end
  if type(event) ~= "string" or event == "" then return nil, "event is required" end
  we_post(source, event, data)
  return true
end
worker_events.post_local = worker_events.post
function worker_events.poll()
  we_run()
  return "done"
end

-- ngx.timer.at / every and ngx.sleep, for the one thread of a Lua state:
-- a timer runs when its time has come while the code sleeps (ngx.sleep),
-- in the order of their times, with premature = false; when the runner's
-- script ends, every timer still pending runs once with premature = true,
-- as OpenResty's timers do when their worker exits.
local timers = {}
local function run_due()
  while true do
    local now, best, bi = prim.now(), nil, nil
    for i = 1, #timers do
      local t = timers[i]
      if t.at <= now and (not best or t.at < best.at) then best, bi = t, i end
    end
    if not best then return end
    table.remove(timers, bi)
    if best.every then
      best.at = best.at + best.every
      if best.at < now then best.at = now + best.every end
      timers[#timers + 1] = best
    end
    local ok, err = pcall(best.fn, false, unpack(best.args, 1, best.n))
    if not ok then
      prim.log(4, "timer callback failed: " .. tostring(err))
    end
  end
end
local function add_timer(name, delay, every, fn, ...)
  if type(delay) ~= "number" or delay ~= delay or delay < 0 then
    error("bad argument #1 to '" .. name .. "' (expecting a non-negative number)", 3)
  end
  if type(fn) ~= "function" then
    error("bad argument #2 to '" .. name .. "' (function expected, got " .. type(fn) .. ")", 3)
  end
  timers[#timers + 1] = { at = prim.now() + delay, every = every, fn = fn,
                          args = { ... }, n = select("#", ...) }
  return true
end
ngx.timer = {
  at = function(delay, fn, ...) return add_timer("at", delay, nil, fn, ...) end,
  every = function(interval, fn, ...)
    if type(interval) == "number" and interval <= 0 then
      error("bad argument #1 to 'every' (expecting a positive number)", 2)
    end
    return add_timer("every", interval, interval, fn, ...)
  end,
  running_count = function() return 0 end,
  pending_count = function() return #timers end,
}
-- the runner, when the script has ended (src/lua/runner.c)
function ngx.timer._exit()
  we_run()
  local pending = timers
  timers = {}
  for i = 1, #pending do
    local t = pending[i]
    pcall(t.fn, true, unpack(t.args, 1, t.n))
  end
end
function ngx.sleep(seconds)
  local s = tonumber(seconds)
  if not s or s ~= s or s < 0 then
    error("bad argument #1 to 'sleep' (expecting a non-negative number)", 2)
  end
  local deadline = prim.now() + s
  repeat
    we_run()
    run_due()
    local now = prim.now()
    if now >= deadline then break end
    local wake = deadline
    for i = 1, #timers do
      if timers[i].at < wake then wake = timers[i].at end
    end
    prim.sleep(wake - now)
  until prim.now() >= deadline
  run_due()
  we_run()
end
function ngx.localtime() return os.date("%Y-%m-%d %H:%M:%S") end
function ngx.utctime() return os.date("!%Y-%m-%d %H:%M:%S") end
function ngx.today() return os.date("%Y-%m-%d") end

function ngx.log(level, ...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do
    local v = select(i, ...)
    parts[i] = v == null and "null" or tostring(v)
  end
  prim.log(LOG[level] or 1, concat(parts))
end

function ngx.encode_base64(s, no_padding)
  if type(s) ~= "string" then
    error("bad argument #1 to 'encode_base64' (string expected, got " .. type(s) .. ")", 2)
  end
  return prim.b64_encode(s, no_padding)
end

function ngx.decode_base64(s)
  if type(s) ~= "string" then
    error("bad argument #1 to 'decode_base64' (string expected, got " .. type(s) .. ")", 2)
  end
  return prim.b64_decode(s)
end

ngx.config = {
  subsystem = "http",
  is_console = true,
  debug = false,
  nginx_version = 1025003,
  ngx_lua_version = 10026,
  prefix = function() return prim.prefix end,
  nginx_configure = function() return "" end,
}

ngx.worker = {
  id = function() return 0 end,
  count = function() return 1 end,
  pid = function() return 0 end,
  exiting = function() return false end,
}

_G.ngx = ngx

---------------------------------------------------------------------------
-- cjson
---------------------------------------------------------------------------
local array_mt = { __name = "array" }
local empty_array_mt = { __name = "empty_array" }

local function make_cjson(safe)
  local cjson = {
    null = null,
    array_mt = array_mt,
    empty_array_mt = empty_array_mt,
    empty_array = setmetatable({}, empty_array_mt),
    _NAME = "cjson",
    _VERSION = "2.1.0",
  }
  -- like lua-cjson: one result on success (print(cjson.encode(t)) shows
  -- only the text); cjson.safe returns nil, err on failure
  function cjson.encode(v)
    local s, err = prim.json_encode(v)
    if s == nil then
      if not safe then error(err, 2) end
      return nil, err
    end
    return s
  end
  function cjson.decode(s)
    if type(s) ~= "string" then
      if safe then return nil, "expected a string" end
      error("bad argument #1 to 'decode' (string expected, got " .. type(s) .. ")", 2)
    end
    local v, err = prim.json_decode(s)
    if err then
      if not safe then error(err, 2) end
      return nil, err
    end
    return v
  end
  local function noop() return cjson end
  cjson.encode_empty_table_as_object = noop
  cjson.decode_array_with_array_mt = noop
  cjson.encode_escape_forward_slash = noop
  cjson.encode_number_precision = noop
  cjson.encode_sparse_array = noop
  cjson.encode_max_depth = noop
  cjson.decode_max_depth = noop
  cjson.new = function() return make_cjson(safe) end
  return cjson
end

local cjson = make_cjson(false)
local cjson_safe = make_cjson(true)
preload["cjson"] = function() return cjson end
preload["cjson.safe"] = function() return cjson_safe end

---------------------------------------------------------------------------
-- kong.constants (the part definitions use)
---------------------------------------------------------------------------
local protocols_with_subsystem = {
  http = "http", https = "http", grpc = "http", grpcs = "http",
  tcp = "stream", tls = "stream", udp = "stream", tls_passthrough = "stream",
}
local protocols = {}
for p in pairs(protocols_with_subsystem) do protocols[#protocols + 1] = p end
table.sort(protocols)

local constants = {
  PROTOCOLS = protocols,
  PROTOCOLS_WITH_SUBSYSTEM = protocols_with_subsystem,
  DATABASE = { DAO_MAX_TTL = 1e8 },
  CJSON_MAX_PRECISION = 16,
  DECLARATIVE_DEFAULT_WORKSPACE_ID = "0dc6f45b-8f8d-40d2-a504-473544ee190b",
  CORE_ENTITIES = { "workspaces", "consumers", "certificates", "services", "routes",
                    "snis", "upstreams", "targets", "plugins", "tags",
                    "ca_certificates", "clustering_data_planes", "parameters",
                    "vaults", "key_sets", "keys", "filter_chains" },
}
preload["kong.constants"] = function() return constants end

---------------------------------------------------------------------------
-- kong.tools.*
---------------------------------------------------------------------------
local function is_array(t, mode)
  if type(t) ~= "table" then return false end
  if mode == "fast" or mode == "strict" or mode == nil then
    local n = 0
    for k in pairs(t) do
      if type(k) ~= "number" or k < 1 or k ~= floor(k) then return false end
      n = n + 1
    end
    if mode == "fast" then return true end
    for i = 1, n do if t[i] == nil then return false end end
    return true
  end
  return false
end

local function shallow_copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return setmetatable(c, getmetatable(t))
end

local function deep_copy(t, seen)
  if type(t) ~= "table" then return t end
  seen = seen or {}
  if seen[t] then return seen[t] end
  local c = {}
  seen[t] = c
  for k, v in pairs(t) do c[deep_copy(k, seen)] = deep_copy(v, seen) end
  return setmetatable(c, getmetatable(t))
end

local function table_merge(a, b)
  local r = {}
  for k, v in pairs(a or {}) do r[k] = v end
  for k, v in pairs(b or {}) do r[k] = v end
  return r
end

local function strip(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function split(s, sep, max)
  local out, i, n = {}, 1, 0
  sep = sep or ","
  while true do
    local a, b = s:find(sep, i, true)
    if not a or (max and n >= max - 1) then break end
    n = n + 1
    out[n] = s:sub(i, a - 1)
    i = b + 1
  end
  out[n + 1] = s:sub(i)
  return out, n + 1
end

local uuid_mod = { uuid = prim.uuid, is_valid_uuid = prim.is_uuid }
local table_mod = { is_array = is_array, shallow_copy = shallow_copy, deep_copy = deep_copy,
                    cycle_aware_deep_copy = deep_copy, table_merge = table_merge }
local string_mod = { strip = strip, split = split, splitn = split }
local utils = {
  uuid = prim.uuid, is_valid_uuid = prim.is_uuid, random_string = prim.random_string,
  is_array = is_array, shallow_copy = shallow_copy, deep_copy = deep_copy,
  table_merge = table_merge, strip = strip, split = split,
}
preload["kong.tools.uuid"] = function() return uuid_mod end
preload["kong.tools.table"] = function() return table_mod end
preload["kong.tools.string"] = function() return string_mod end

-- kong.tools.http: the header-name check plugin schemas use
-- (request-transformer, response-transformer), in Kong's words
local http_mod = {}
function http_mod.validate_header_name(name)
  if name == nil or name == "" then
    return nil, "no header name provided"
  end
  if ngx.re.find(name, "^[a-zA-Z0-9-_]+$", "jo") then
    return name
  end
  return nil, "bad header name '" .. name .. "', allowed characters are A-Z, a-z, 0-9, '_', and '-'"
end
http_mod.validate_cookie_name = http_mod.validate_header_name
preload["kong.tools.http"] = function() return http_mod end

-- kong.meta: the version plugin handlers report as theirs
local meta_version = setmetatable({ major = 3, minor = 9, patch = 0 }, {
  __tostring = function(v) return ("%d.%d.%d"):format(v.major, v.minor, v.patch) end,
})
local meta = {
  _NAME = "kong",
  _VERSION = tostring(meta_version),
  _VERSION_TABLE = meta_version,
  _SERVER_TOKENS = "kong/" .. tostring(meta_version),
  version = tostring(meta_version),
}
preload["kong.meta"] = function() return meta end
preload["kong.tools.utils"] = function() return utils end
preload["kong.tools.rand"] = function()
  return { random_string = prim.random_string }
end

---------------------------------------------------------------------------
-- kong.db.schema (define only) and the typedefs
---------------------------------------------------------------------------
local function define(tbl)
  return setmetatable(tbl, {
    __call = function(t, arg)
      arg = arg or {}
      for k, v in pairs(t) do
        if arg[k] == nil then arg[k] = v end
      end
      return arg
    end,
  })
end

-- kong.db.schema's `validators` that plugin schemas call directly (cors:
-- is_regex), with Kong's answers: true when valid, else false/nil
local validators = {}
function validators.is_regex(value)
  if type(value) ~= "string" then return false end
  local _, err = ngx.re.match("any string", value)
  return err == nil
end
function validators.uuid(value)
  return type(value) == "string" and
    value:match("^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$") ~= nil
end
function validators.timestamp(value)
  return type(value) == "number" and value > 0
end

local schema_mod = { define = define, validators = validators }
preload["kong.db.schema"] = function() return schema_mod end

local typedefs
preload["kong.db.schema.typedefs"] = function()
  if not typedefs then
    typedefs = prim.typedefs_chunk({
      define = define, builtin = prim.builtin, null = null,
      protocols = protocols, protocols_with_subsystem = protocols_with_subsystem,
      max_ttl = constants.DATABASE.DAO_MAX_TTL,
    })
  end
  return typedefs
end

-- kong.tools.redis.schema: the Redis connection record Kong 3.x's bundled
-- plugins (rate-limiting, acme, ...) put in their config
preload["kong.tools.redis.schema"] = function()
  local td = preload["kong.db.schema.typedefs"]()
  return {
    config_schema = {
      type = "record",
      fields = {
        { host = td.host },
        { port = td.port { default = 6379 } },
        { timeout = td.timeout { default = 2000 } },
        { username = { type = "string", referenceable = true } },
        { password = { type = "string", encrypted = true, referenceable = true, len_min = 0 } },
        { database = { type = "integer", default = 0 } },
        { ssl = { type = "boolean", required = false, default = false } },
        { ssl_verify = { type = "boolean", required = false, default = false } },
        { server_name = td.sni { required = false } },
      },
    },
  }
end

---------------------------------------------------------------------------
-- Kong 0.x: kong.dao.cassandra.base_dao, a classic-style class
---------------------------------------------------------------------------
local Object = {}
Object.__index = Object

function Object:new() end

function Object:extend()
  local cls = {}
  for k, v in pairs(self) do
    if k:find("__", 1, true) == 1 then cls[k] = v end
  end
  cls.__index = cls
  cls.super = self
  return setmetatable(cls, self)
end

function Object:is(T)
  local mt = getmetatable(self)
  while mt do
    if mt == T then return true end
    mt = getmetatable(mt)
  end
  return false
end

function Object:__call(...)
  local obj = setmetatable({}, self)
  obj:new(...)
  return obj
end

local BaseDao = Object:extend()
BaseDao.__daoc_base_dao = true

function BaseDao:new(properties)
  self._properties = properties
end

preload["kong.dao.cassandra.base_dao"] = function() return BaseDao end
preload["classic"] = function() return Object end
preload["kong.vendor.classic"] = preload["classic"] -- its 0.x name

-- kong.plugins.base_plugin (0.x-2.x): the class old handlers extend.  A
-- schema.lua may require its plugin's handler (request-size-limiting
-- does); daoc runs no phase, so the phase methods only log as Kong's did.
local BasePlugin = Object:extend()
function BasePlugin:new(name) self._name = name end
for _, phase in ipairs({ "init_worker", "certificate", "rewrite", "access", "header_filter",
                         "body_filter", "log", "preread" }) do
  BasePlugin[phase] = function(self)
    ngx.log(ngx.DEBUG, "executing plugin \"", tostring(self._name), "\": ", phase)
  end
end
preload["kong.plugins.base_plugin"] = function() return BasePlugin end

---------------------------------------------------------------------------
-- the sandbox
---------------------------------------------------------------------------
local sandbox = {}

kong = {}
sandbox.kong = kong
_G.kong = _G.kong or kong
kong.worker_events = worker_events

-- the legacy access paths (legacy_dao.lua): kong.dao and singletons.dao
-- speak Kong 0.8-0.14's DAO, the `dao` global Kong 0.5's; all of them are
-- views of kong.db's one DAO object per entity
local legacy_classes = {}  -- dao name -> 0.5 BaseDao:extend() class
local fn_defaults = {}     -- entity name -> { field = default function }
local field_funcs = {}     -- entity name -> { field = 0.x func }, run by the DAO views
local funcs_ran = { on = false } -- set while a view's write has run them (legacy_dao.lua)
local cache_keys = {}      -- entity name -> the old-style schema's cache_key
local legacy = prim.legacy_dao_chunk({ kong = kong, null = null, BaseDao = BaseDao,
                                       classes = legacy_classes, fn_defaults = fn_defaults,
                                       field_funcs = field_funcs, funcs_ran = funcs_ran,
                                       cache_keys = cache_keys })
kong.dao = legacy.dao
sandbox.dao = legacy.dao05
preload["kong.dao.errors"] = function() return legacy.errors end
preload["kong.dao.error"] = function() return legacy.dao_error end

preload["kong.singletons"] = function()
  return setmetatable({}, {
    __index = function(_, k)
      local k_ = rawget(sandbox, "kong")
      if type(k_) ~= "table" then return nil end
      if k == "db" then return k_.db end
      if k == "dao" then return k_.dao end
      if k == "configuration" then return k_.configuration end
      return nil
    end,
  })
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

for _, k in ipairs { "assert", "error", "ipairs", "next", "pairs", "rawequal", "rawget",
                     "rawset", "select", "setmetatable", "getmetatable", "tonumber",
                     "tostring", "type", "unpack", "_VERSION" } do
  sandbox[k] = _G[k]
end

-- pcall and friends must not swallow the instruction-budget error
local budget_exhausted = prim.budget_exhausted
local function pass(ok, ...)
  if not ok and budget_exhausted() then error((...), 0) end
  return ok, ...
end
sandbox.pcall = function(f, ...) return pass(pcall(f, ...)) end
sandbox.xpcall = function(f, h, ...)
  return pass(xpcall(f, h, ...))
end

sandbox.print = function(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  prim.log(1, concat(parts, "\t"))
end

sandbox.string = copy(string)
sandbox.table = copy(table)
sandbox.table.unpack = sandbox.table.unpack or unpack
sandbox.math = copy(math)
sandbox.bit = copy(bit)
sandbox.coroutine = copy(coroutine)
local co_resume = coroutine.resume
sandbox.coroutine.resume = function(co, ...) return pass(co_resume(co, ...)) end
sandbox.os = { time = os.time, date = os.date, clock = os.clock, getenv = os.getenv }
sandbox.ngx = ngx
sandbox._G = sandbox

-- modules of LuaJIT/OpenResty that are safe to hand out as they are
local passthrough = { ["table.new"] = true, ["table.clear"] = true, ["table.nkeys"] = true,
                      ["table.isempty"] = true, ["table.isarray"] = true, ["bit"] = true,
                      ["string.buffer"] = true,
                      ["string"] = true, ["table"] = true, ["math"] = true }

local LOADING = {}

local function sandbox_require(name)
  if type(name) ~= "string" then
    error("bad argument #1 to 'require' (string expected, got " .. type(name) .. ")", 2)
  end
  local v = loaded[name]
  if v == LOADING then
    error("loop or previous error loading module '" .. name .. "'", 2)
  end
  if v ~= nil then return v end
  if name == "string" or name == "table" or name == "math" or name == "bit" then
    return sandbox[name]
  end
  local pre = preload[name]
  if pre then
    v = pre(name)
  elseif passthrough[name] then
    local ok, m = pcall(require, name)
    if not ok then error(m, 2) end
    v = m
  else
    local chunk, where = prim.load_module(name)
    if not chunk then
      error("module '" .. name .. "' not found:\n\tno field package.preload['" .. name .. "']"
            .. (where or ""), 2)
    end
    loaded[name] = LOADING
    local ok, r = pcall(chunk, name, where)
    if not ok then
      loaded[name] = nil
      error(r, 0)
    end
    v = r
  end
  if v == nil then v = true end
  loaded[name] = v
  return v
end
sandbox.require = sandbox_require

---------------------------------------------------------------------------
-- trusted require: shims as package.preload, files through prim.searcher
---------------------------------------------------------------------------
for name, f in pairs(preload) do package.preload[name] = f end
package.loaders[2] = prim.searcher
for i = #package.loaders, 3, -1 do package.loaders[i] = nil end
package.cpath = ""

---------------------------------------------------------------------------
-- legacy (0.x / 1.x) daos: { dao_name = Class | SCHEMA } -> { dao_name =
-- { table = ..., schema = ... } }, or nil when the table is not legacy.
-- The 1.x-2.8 name-keyed map of current schemas ({ name = { name = ...,
-- fields = { {...} } } }) comes back as the second result, an array sorted
-- by key; 0.10-0.14's `tables = { "name", ... }` (tables their migrations
-- create, no DAO) is skipped with a notice.  Classes and function defaults
-- are remembered for the legacy access paths.
---------------------------------------------------------------------------
local function is_class(v)
  if type(v) ~= "table" then return false end
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(v, "super") ~= nil and type(v.new) == "function"
end

-- Whether a 0.x `func` may read its siblings: func(value, t, column) with
-- t the whole table (oauth2's mandatory_scope reads t.scopes), which a
-- field validator cannot be given.
local function reads_siblings(func)
  local info = type(func) == "function" and debug.getinfo(func, "u")
  return info and (info.nparams or 0) >= 2 or false
end

-- 0.x's answer of a func or self_check: an error only for `false, err`;
-- err an Errors.schema object, a message or a { field = message } table
local function legacy_failure(ok, err)
  if ok ~= false or err == nil then return nil end
  if type(err) == "table" and err.message ~= nil then return tostring(err.message) end
  if type(err) == "table" then
    local parts = {}
    for k, v in pairs(err) do parts[#parts + 1] = tostring(k) .. ": " .. tostring(v) end
    table.sort(parts)
    return concat(parts, ", ")
  end
  return tostring(err)
end

-- A field's func is called as a validator with `t` a probe: when the
-- func reads it, its answer is put off and the func runs again, with the
-- real table, in the schema's entity check (defer.pending[name] = func).
local probe_hit = false
local probe = setmetatable({}, { __index = function() probe_hit = true end,
                                 __newindex = function() end })

local function legacy_field_validators(name, f, defer)
  if type(f) ~= "table" then return f end
  local out = {}
  for k, v in pairs(f) do out[k] = v end
  local func, regex = out.func, out.regex
  if type(func) == "function" or type(regex) == "string" then
    out.func, out.regex = nil, nil
    local siblings = defer and reads_siblings(func)
    out.__validator = function(value)
      if type(regex) == "string" and type(value) == "string"
         and not ngx.re.find(value, regex, "jo") then
        return nil, name .. " has an invalid value"
      end
      if type(func) == "function" and not funcs_ran.on then
        probe_hit = false
        local ok, err = func(value, siblings and probe or {}, name)
        if siblings and probe_hit then
          defer.pending[name] = func
          return true
        end
        local why = legacy_failure(ok, err)
        if why then return nil, why end
      end
      return true
    end
  end
  if type(out.schema) == "table" and type(out.schema.fields) == "table" then
    local sub = {}
    for k, v in pairs(out.schema) do sub[k] = v end
    local fields = {}
    for k, v in pairs(out.schema.fields) do fields[k] = legacy_field_validators(k, v) end
    sub.fields = fields
    out.schema = sub
  end
  return out
end

-- The first failure of the put-off funcs over t (each once: pending is
-- emptied), then of self_check.
local function legacy_checks(defer, self_check, schema, t, dao)
  local pending, names = defer.pending, {}
  defer.pending = {}
  for k in pairs(pending) do names[#names + 1] = k end
  table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(names) do
    if t[k] ~= nil and not funcs_ran.on then
      local why = legacy_failure(pending[k](t[k], t, k))
      if why then return why end
    end
  end
  if type(self_check) == "function" then
    return legacy_failure(self_check(schema, t, dao, false))
  end
end

-- whether any field has a func that may read its siblings
local function any_sibling_func(fields)
  for _, v in pairs(fields) do
    if type(v) == "table" and reads_siblings(v.func) then return true end
  end
  return false
end

local function strip_nulls(v)
  if v == null then return nil end
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = strip_nulls(x) end
  return setmetatable(out, getmetatable(v))
end

-- The DAO factory a 0.x self_check receives: kong.dao, whose `db.new_db`
-- (0.13-0.14) is kong.db.
local function legacy_factory()
  return setmetatable({ db = { new_db = kong.db } }, {
    __index = function(_, k) return kong.dao and kong.dao[k] end })
end

-- a 0.x daos.lua schema with each field's func and regex folded into one
-- __validator (legacy_field_validators), and, as 0.x's DAO ran them on
-- insert and update, the funcs that read the whole row (put off by their
-- validator) and its self_check(schema, row, dao, is_update) as one
-- custom_entity_check:
-- the row as 0.x saw it (flat foreign ids, no nulls), over the fields the
-- write gives (a partial update runs it with those, as 0.x did; is_update
-- is always false); its error is reported as the entity's.
local function with_validators(schema)
  if type(schema.fields) ~= "table" then return schema end
  local out = {}
  for k, v in pairs(schema) do out[k] = v end
  local self_check = schema.self_check
  out.self_check = nil
  local defer = (type(self_check) == "function" or any_sibling_func(schema.fields))
                and { pending = {} } or nil
  local fields = {}
  for k, v in pairs(schema.fields) do fields[k] = legacy_field_validators(k, v, defer) end
  out.fields = fields
  if not defer then return out end
  -- the entity's field names (a consumer_id foreign to consumers:id is
  -- the field consumer) and the flat names they come back as
  local sources, flat = {}, {}
  for k, v in pairs(schema.fields) do
    local ref_key = type(v) == "table" and type(v.foreign) == "string"
                    and v.foreign:match("^[^:]+:(.+)$")
    local base = ref_key and type(k) == "string" and k:sub(-(#ref_key + 1)) == "_" .. ref_key
                 and k:sub(1, -(#ref_key + 2))
    if base then
      sources[#sources + 1] = base
      flat[base] = { name = k, key = ref_key }
    elseif type(k) == "string" then
      sources[#sources + 1] = k
    end
  end
  table.sort(sources)
  local checks = {}
  for _, c in ipairs(type(schema.entity_checks) == "table" and schema.entity_checks or {}) do
    checks[#checks + 1] = c
  end
  checks[#checks + 1] = { custom_entity_check = {
    field_sources = sources,
    run_with_missing_fields = true,
    fn = function(entity)
      local row = {}
      for k, v in pairs(strip_nulls(entity)) do
        local fk = flat[k]
        if fk then row[fk.name] = type(v) == "table" and v[fk.key] or v else row[k] = v end
      end
      local why = legacy_checks(defer, self_check, schema, row, legacy_factory())
      if why then return nil, why end
      return true
    end,
  } }
  out.entity_checks = checks
  return out
end

local function remember_defaults(name, schema)
  cache_keys[name] = type(schema.cache_key) == "table" and schema.cache_key or nil
  local fns
  for f, def in pairs(type(schema.fields) == "table" and schema.fields or {}) do
    if type(def) == "table" and type(def.default) == "function" then
      fns = fns or {}
      fns[f] = def.default
    end
  end
  fn_defaults[name] = fns
  local funcs
  for f, def in pairs(type(schema.fields) == "table" and schema.fields or {}) do
    local fn = type(def) == "table" and def.func
    local mt = type(fn) == "table" and getmetatable(fn)
    if type(fn) == "function" or (type(mt) == "table" and mt.__call) then
      funcs = funcs or {}
      funcs[f] = fn
    end
  end
  field_funcs[name] = funcs
end

local function legacy_extract(defs, props, plugin)
  local out, modern, count, keys, schemaless = {}, {}, 0, {}, 0
  for k in pairs(defs) do
    if type(k) ~= "string" then return nil end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = defs[k]
    if type(v) ~= "table" then return nil end
    if k == "tables" and is_array(v) then
      prim.log(3, "plugin '" .. tostring(plugin) .. "': daos.lua lists tables ("
               .. concat(v, ", ") .. ") that its migrations create; no DAO is generated for them")
    elseif is_class(v) then
      local obj = v(props or {})
      local schema = rawget(obj, "_schema") or obj._schema
      if type(schema) ~= "table" and type(rawget(obj, "queries") or obj.queries) == "table" then
        -- 0.5's rate-limiting metrics: Cassandra queries over a table its
        -- migrations make, no schema
        schemaless = schemaless + 1
        prim.log(3, "plugin '" .. tostring(plugin) .. "': legacy DAO '" .. k .. "' has no "
                 .. "schema, only Cassandra queries; no DAO is generated for it")
      elseif type(schema) ~= "table" then
        error("legacy DAO '" .. k .. "' did not set self._schema in its new()", 0)
      else
        count = count + 1
        legacy_classes[k] = v
        remember_defaults(k, schema)
        out[k] = { table = rawget(obj, "_table") or obj._table or k,
                   schema = with_validators(schema) }
      end
    elseif type(v.fields) == "table" and not is_array(v.fields) then
      count = count + 1
      remember_defaults(k, v)
      out[k] = { table = v.table or k, schema = with_validators(v) }
    elseif type(v.fields) == "table" then
      if v.name == nil then v.name = k end
      modern[#modern + 1] = v
    else
      return nil
    end
  end
  if count == 0 and #modern == 0 and keys[1] ~= "tables" and schemaless == 0 then return nil end
  return count > 0 and out or nil, modern
end

---------------------------------------------------------------------------
-- kong.plugins.<name>.schema of every generation (defs.c, legacy.c)
---------------------------------------------------------------------------
-- A current (Kong >= 1.0) plugin schema names itself and lists its fields
-- as an array: it is returned as it is.  A 0.x one (no name, a map of
-- config fields) comes back as (nil, legacy) for legacy.c to convert, as
-- Kong 1.0-2.8's plugin loader converted it, with what that loader dropped
-- kept working here:
--   func = function(value, t, column) -> ok, err   and   regex = "<pcre>"
--     become one `__validator(value)` per field (0.x's message for a failed
--     regex: "<column> has an invalid value"; only `false, err` fails, as
--     in 0.x); a func that reads its `t` (the siblings) is put off and
--     runs again, with the whole config, in the entity check below;
--   self_check = function(schema, config, dao, is_updating) -> ok, err
--     becomes a custom_entity_check of the subschema (Kong never calls a
--     subschema's check()), its err (an Errors.schema object, a message, a
--     table of field messages) reported as one "@entity" message.
-- Kong 1.x's plugins had a `run_on` field (service mesh, gone in 2.0)
-- that 1.x plugin schemas specialise ({ run_on = typedefs.run_on_first }):
-- left out here, with one notice, as the plugins entity has no such field.
local function without_run_on(t, plugin)
  if type(t.fields) ~= "table" or not is_array(t.fields) then return t end
  local fields, dropped = {}, false
  for _, f in ipairs(t.fields) do
    if type(f) == "table" and f.run_on ~= nil and next(f, next(f)) == nil then
      dropped = true
    else
      fields[#fields + 1] = f
    end
  end
  if not dropped then return t end
  prim.log(3, "plugin '" .. tostring(plugin) .. "': schema field 'run_on' (Kong 1.x's service "
           .. "mesh, removed in 2.0) is ignored")
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  out.fields = fields
  return out
end

local function plugin_schema_extract(t, plugin)
  if type(t) ~= "table" then
    error("custom plugin '" .. tostring(plugin) .. "': schema.lua returned a "
          .. type(t) .. " value, not a schema table", 0)
  end
  -- today's shape names itself; 0.x's has no name and a map of fields
  -- (possibly empty: a plugin with nothing to configure)
  if t.name ~= nil or type(t.fields) ~= "table" or (is_array(t.fields) and next(t.fields)) then
    return without_run_on(t, plugin)
  end
  local legacy = { fields = {} }
  for k, v in pairs(t) do
    if k ~= "fields" and k ~= "self_check" then legacy[k] = v end
  end
  local self_check = t.self_check
  local defer = (type(self_check) == "function" or any_sibling_func(t.fields))
                and { pending = {} } or nil
  for k, v in pairs(t.fields) do legacy.fields[k] = legacy_field_validators(k, v, defer) end
  if defer then
    legacy.entity_checks = { { custom_entity_check = {
      field_sources = { "config" },
      fn = function(entity)
        -- 0.x configs held no nulls: absent fields were nil
        local why = legacy_checks(defer, self_check, t, strip_nulls(entity.config),
                                  kong and kong.dao)
        if why then return nil, why end
        return true
      end,
    } } }
  end
  return nil, legacy
end

-- resty.*, ngx.re, ngx hashing, stringy, system Lua modules (src/lua/lib/)
local libs = prim.libs_chunk(prim, preload, sandbox, ngx)

return {
  sandbox = sandbox,
  array_mt = array_mt,
  empty_array_mt = empty_array_mt,
  legacy_extract = legacy_extract,
  plugin_schema_extract = plugin_schema_extract,
  dao05 = legacy.dao05,
  db_errors = libs.db_errors,
  preload = preload,
}
