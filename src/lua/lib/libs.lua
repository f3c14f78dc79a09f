-- libs.lua -- the libraries plugin files require at load time, in the
-- shapes OpenResty, lua-resty-openssl and Kong's old rockspecs give them
-- (run once by shims.lua as prim.libs_chunk(prim, preload, sandbox, ngx)):
--   * resty.string, resty.sha1/md5/sha224/sha256/sha384/sha512,
--     resty.random, resty.openssl.digest / hmac / pkey / kdf / rand / x509
--     (C: digest.c, kdf.c, rand.c, pkey.c, x509.c, all over libcrypto), and the
--     older bindings plugins of Kong 0.x-2.0 require: luaossl's
--     openssl.pkey / x509 / rand (which raise) and luacrypto's `crypto`;
--   * kong.tools.utils / kong.tools.rand get_rand_bytes, ngx.base64;
--   * ngx.md5, md5_bin, sha1_bin, hmac_sha1, crc32_short/long,
--     escape_uri/unescape_uri, and ngx.re (regex.c, PCRE2) with the
--     `ngx.re` module's split;
--   * kong.tools.io (0.5: file_exists; writing refused), lbase64's `base64`
--     and a `cassandra`
--     that loads and refuses every use;
--   * stringy (stringy.lua), resty.iputils (iputils.lua), kong.db.errors
--     (db_errors.lua; returned too: each DAO object's `errors`),
--     kong.db.migrations.operations.* (migration_ops.lua), kong.tools.timestamp
--     and a `socket` stub (gettime) that luasocket's
--     pure-Lua socket.url needs;
--   * modules of the system Lua directory (Debian's lua-penlight `pl.*`,
--     lua-socket's `socket.url`), searched after lua_package_path, loaded
--     as source and run in `libenv`: the sandbox plus the few harmless
--     globals those libraries read (package.config, text-only load, ...).
local prim, preload, sandbox, ngx = ...
local clib = prim.clib
local type, tostring, tonumber, error, setmetatable, assert =
  type, tostring, tonumber, error, setmetatable, assert
local format, byte, char, concat = string.format, string.byte, string.char, table.concat

local function reg(name, mod)
  local f = function() return mod end
  preload[name] = f
  package.preload[name] = f
end

local function check_string(fname, i, v)
  if type(v) == "number" then return tostring(v) end
  if type(v) ~= "string" then
    error("bad argument #" .. i .. " to '" .. fname .. "' (string expected, got " .. type(v)
          .. ")", 3)
  end
  return v
end

---------------------------------------------------------------------------
-- resty.* digests, random, string
---------------------------------------------------------------------------
for _, alg in ipairs { "sha1", "md5", "sha224", "sha256", "sha384", "sha512" } do
  local M = { _VERSION = "0.14" }
  function M.new() return clib.md_new(alg) end -- resty_sha1:new()
  reg("resty." .. alg, M)
end

local function to_hex(s)
  return (s:gsub(".", function(c) return format("%02x", byte(c)) end))
end

reg("resty.string", {
  _VERSION = "0.14",
  to_hex = function(s) return to_hex(check_string("to_hex", 1, s)) end,
  atoi = function(s)
    return tonumber(tostring(s):match("^%s*([+-]?%d+)")) or 0
  end,
})

reg("resty.random", {
  _VERSION = "0.14",
  bytes = function(len, strong) return clib.random_bytes(len) end,
})

---------------------------------------------------------------------------
-- resty.openssl.*
---------------------------------------------------------------------------
local digest = { _VERSION = "0.8.0" }
function digest.new(typ) return clib.md_new(typ or "sha1") end
reg("resty.openssl.digest", digest)

local hmac = { _VERSION = "0.8.0" }
function hmac.new(key, typ)
  if type(key) ~= "string" then return nil, "hmac.new: expect a string key" end
  return clib.hmac_new(key, typ or "sha1")
end
reg("resty.openssl.hmac", hmac)

local pkey = { _VERSION = "0.8.0" }
function pkey.new(s, opts)
  if type(s) == "string" then
    opts = type(opts) == "table" and opts or {}
    return clib.pkey_load(s, opts.format, opts.type)
  end
  s = s or { type = "RSA", bits = 2048 }
  if type(s) ~= "table" then return nil, "pkey.new: unexpected type " .. type(s) end
  local t = s.type or "RSA"
  return clib.pkey_generate(t, t == "EC" and s.curve or s.bits)
end
function pkey.istype(v)
  return type(v) == "userdata" and getmetatable(v) == "pkey"
end
reg("resty.openssl.pkey", pkey)
reg("resty.openssl", { version_num = 0x30000000, pkey = pkey, digest = digest, hmac = hmac })

local kdf = { _VERSION = "0.8.0", PBKDF2 = 69, HKDF = 1036, SCRYPT = 973, TLS1_PRF = 1021 }
local kdf_names = { [69] = "PBKDF2", [1036] = "HKDF" }
function kdf.derive(o)
  if type(o) ~= "table" then return nil, "kdf.derive: expect a table as options" end
  local name = kdf_names[o.type]
  if not name then return nil, "kdf.derive: unsupported type " .. tostring(o.type) end
  if type(o.outlen) ~= "number" then return nil, 'kdf.derive: "outlen" is required' end
  return clib.kdf_derive(name, o.outlen, o.md or "sha1", o.pass, o.salt, o.pbkdf2_iter,
                         o.hkdf_key, o.hkdf_info)
end
-- the OpenSSL 3 object API (Kong 3.x's oauth2 secret module):
-- kdf.new("PBKDF2" | "HKDF"), :derive(outlen, { pass, salt, digest, iter,
-- key, info }), :reset()
local kdf_obj = {}
kdf_obj.__index = kdf_obj
function kdf.new(name)
  if name ~= "PBKDF2" and name ~= "HKDF" then
    return nil, "kdf.new: unsupported algorithm " .. tostring(name)
  end
  return setmetatable({ name = name }, kdf_obj)
end
function kdf_obj:derive(outlen, o)
  o = o or {}
  if type(outlen) ~= "number" then return nil, "kdf:derive: expect a number as outlen" end
  return clib.kdf_derive(self.name, outlen, o.digest or "sha1", o.pass, o.salt, o.iter,
                         o.key, o.info)
end
function kdf_obj:reset() return true end
function kdf_obj:get_provider_name() return "default" end
reg("resty.openssl.kdf", kdf)

local function rand_bytes(n)
  local b = clib.random_bytes(n)
  if not b then return nil, "rand.bytes: RAND_bytes() failed" end
  return b
end
reg("resty.openssl.rand", { _VERSION = "0.8.0", bytes = rand_bytes })

local x509 = { _VERSION = "0.8.0" }
function x509.new(pem)
  if type(pem) ~= "string" then return nil, "x509.new: expect a string" end
  local pub, err = clib.x509_pubkey(pem)
  if not pub then return nil, err end
  return {
    get_pubkey = function() return pub end,
    digest = function(_, md) return clib.x509_digest(pem, md or "sha1") end,
    get_not_after = function() return clib.x509_not_after(pem) end,
    -- only the "CA" member (ca_certificates asks for nothing else)
    get_basic_constraints = function(_, name)
      if name == "CA" then return clib.x509_ca(pem) end
      return nil, "x509:get_basic_constraints: only \"CA\" is supported"
    end,
  }
end
reg("resty.openssl.x509", x509)

-- luaossl (Kong 0.x-2.0): the same operations, raising on failure
local function ossl_key(k)
  local o = {}
  function o:toPEM(which)
    which = which == "privatekey" and "private" or which == "publickey" and "public" or which
    return assert(k:to_PEM(which or "public"))
  end
  function o:type() return k:get_key_type().sn end
  function o:bits() return k:bits() end
  return o
end
reg("openssl.pkey", { new = function(s)
  if s == nil then s = { type = "RSA", bits = 1024 } end
  return ossl_key(assert(pkey.new(s)))
end })
reg("openssl.x509", { new = function(pem)
  local pub = assert(clib.x509_pubkey(check_string("new", 1, pem)))
  return { getPublicKey = function() return ossl_key(pub) end }
end })
reg("openssl.rand", { bytes = function(n) return assert(rand_bytes(n)) end,
                      ready = function() return true end })

-- luacrypto (Kong 0.x's basic-auth): hex digests unless raw
reg("crypto", {
  digest = function(alg, s, raw)
    local d = assert(clib.digest(alg, check_string("digest", 2, s)))
    return raw and d or to_hex(d)
  end,
  hmac = { digest = function(alg, s, key, raw)
    local d = assert(clib.hmac(alg, check_string("digest", 3, key), check_string("digest", 2, s)))
    return raw and d or to_hex(d)
  end },
  rand = { bytes = function(n) return assert(rand_bytes(n)) end },
})

-- get_rand_bytes of kong.tools.utils (0.x-3.x) and kong.tools.rand (3.x)
local function get_rand_bytes(n) return assert(rand_bytes(n)) end
local utils_pre, rand_pre = preload["kong.tools.utils"], preload["kong.tools.rand"]
if utils_pre then
  local u = utils_pre("kong.tools.utils")
  if type(u) == "table" and u.get_rand_bytes == nil then u.get_rand_bytes = get_rand_bytes end
end
if rand_pre then
  local r = rand_pre("kong.tools.rand")
  if type(r) == "table" and r.get_rand_bytes == nil then r.get_rand_bytes = get_rand_bytes end
  reg("kong.tools.rand", r)
end

---------------------------------------------------------------------------
-- ngx hashing and URI escapes
---------------------------------------------------------------------------
local function set(k, v) if ngx[k] == nil then ngx[k] = v end end
set("md5_bin", function(s) return clib.digest("md5", check_string("md5_bin", 1, s or "")) end)
set("md5", function(s) return to_hex(clib.digest("md5", check_string("md5", 1, s or ""))) end)
set("sha1_bin", function(s) return clib.digest("sha1", check_string("sha1_bin", 1, s or "")) end)
set("hmac_sha1", function(key, s)
  return clib.hmac("sha1", check_string("hmac_sha1", 1, key), check_string("hmac_sha1", 2, s))
end)
set("crc32_short", function(s) return clib.crc32(check_string("crc32_short", 1, s)) end)
set("crc32_long", function(s) return clib.crc32(check_string("crc32_long", 1, s)) end)
set("escape_uri", function(s)
  s = check_string("escape_uri", 1, s)
  return (s:gsub("[^%w%-%._~]", function(c) return format("%%%02X", byte(c)) end))
end)
set("unescape_uri", function(s)
  s = check_string("unescape_uri", 1, s)
  return (s:gsub("+", " "):gsub("%%(%x%x)", function(h) return char(tonumber(h, 16)) end))
end)

reg("ngx.base64", {
  encode_base64url = function(s)
    return (ngx.encode_base64(check_string("encode_base64url", 1, s), true)
      :gsub("[+/]", { ["+"] = "-", ["/"] = "_" }))
  end,
  decode_base64url = function(s)
    s = check_string("decode_base64url", 1, s)
    if s:find("[^%w%-_]") then return nil, "invalid input" end
    local d = ngx.decode_base64((s:gsub("[-_]", { ["-"] = "+", ["_"] = "/" })))
    if not d then return nil, "invalid input" end
    return d
  end,
})

---------------------------------------------------------------------------
-- ngx.re over PCRE2 (positions: ctx.pos and results are 1-based)
---------------------------------------------------------------------------
local exec = clib.re_exec
local re = {}

local function start_of(ctx)
  local pos = ctx and ctx.pos or 1
  return pos > 0 and pos - 1 or 0
end

function re.match(subj, regex, opts, ctx)
  subj = check_string("match", 1, subj)
  local s, e, caps = exec(subj, check_string("match", 2, regex), opts or "", start_of(ctx), 1)
  if s == nil then return nil, e end
  if not s then return nil end
  if ctx then ctx.pos = e + 1 end
  return caps
end

function re.find(subj, regex, opts, ctx, nth)
  subj = check_string("find", 1, subj)
  nth = nth or 0
  local s, e, ov = exec(subj, check_string("find", 2, regex), opts or "", start_of(ctx),
                        nth > 0 and 2 or 0)
  if s == nil then return nil, nil, e end
  if not s then return nil end
  if ctx then ctx.pos = e + 1 end
  if nth > 0 then
    local a, b = ov[2 * nth], ov[2 * nth + 1]
    if not a then return nil end
    return a + 1, b
  end
  return s + 1, e
end

function re.gmatch(subj, regex, opts)
  subj = check_string("gmatch", 1, subj)
  regex = check_string("gmatch", 2, regex)
  opts = opts or ""
  local pos, len, done = 0, #subj, false
  return function()
    if done then return nil end
    local s, e, caps = exec(subj, regex, opts, pos, 1)
    if s == nil then done = true; return nil, e end
    if not s then done = true; return nil end
    if e == s then
      if s >= len then done = true end
      pos = e + 1
    else
      pos = e
    end
    return caps
  end
end

-- "$0", "$1", "${1}", "${name}", "$$"; nil when the template is malformed
local function expand(tpl, caps)
  local out, i, n = {}, 1, #tpl
  while i <= n do
    local c = tpl:sub(i, i)
    if c ~= "$" then
      local j = tpl:find("$", i, true) or n + 1
      out[#out + 1] = tpl:sub(i, j - 1)
      i = j
    else
      local d = tpl:match("^%d+", i + 1)
      local name = not d and tpl:match("^{([%w_]+)}", i + 1)
      if d then
        local v = caps[tonumber(d)]
        out[#out + 1] = v or ""
        i = i + 1 + #d
      elseif name then
        local v = caps[tonumber(name) or name]
        out[#out + 1] = v or ""
        i = i + 3 + #name
      elseif tpl:sub(i + 1, i + 1) == "$" then
        out[#out + 1] = "$"
        i = i + 2
      else
        return nil
      end
    end
  end
  return concat(out)
end

local function replace(fname, subj, regex, repl, opts, global)
  subj = check_string(fname, 1, subj)
  regex = check_string(fname, 2, regex)
  local rt = type(repl)
  if rt == "number" then repl = tostring(repl); rt = "string" end
  if rt ~= "string" and rt ~= "function" then
    error("bad argument #3 to '" .. fname .. "' (string or function expected, got " .. rt .. ")", 3)
  end
  opts = opts or ""
  local out, pos, len, count = {}, 0, #subj, 0
  while pos <= len do
    local s, e, caps = exec(subj, regex, opts, pos, 1)
    if s == nil then return nil, nil, e end
    if not s then break end
    out[#out + 1] = subj:sub(pos + 1, s)
    local r
    if rt == "function" then
      r = repl(caps)
      if type(r) == "number" then r = tostring(r) end
      if type(r) ~= "string" then r = "" end
    else
      r = expand(repl, caps)
      if not r then return nil, nil, "failed to compile the replacement template" end
    end
    out[#out + 1] = r
    count = count + 1
    if e == s then
      out[#out + 1] = subj:sub(s + 1, s + 1)
      pos = e + 1
    else
      pos = e
    end
    if not global then break end
  end
  out[#out + 1] = subj:sub(pos + 1)
  return concat(out), count
end

function re.sub(subj, regex, repl, opts) return replace("sub", subj, regex, repl, opts, false) end
function re.gsub(subj, regex, repl, opts) return replace("gsub", subj, regex, repl, opts, true) end

-- the `ngx.re` module of lua-resty-core: split(subject, regex, opts, ctx, max, res)
local function split(subj, regex, opts, ctx, max, res)
  subj = check_string("split", 1, subj)
  regex = check_string("split", 2, regex)
  res = res or {}
  local n, pos, len = 0, start_of(ctx), #subj
  max = max or 0
  while pos < len do
    if max > 0 and n >= max - 1 then break end
    local s, e = exec(subj, regex, opts or "", pos, 0)
    if s == nil then return nil, e end
    if not s then break end
    if e == s then -- an empty match splits after one character
      local cut = s > pos and s or pos + 1
      n = n + 1
      res[n] = subj:sub(pos + 1, cut)
      pos = cut
    else
      n = n + 1
      res[n] = subj:sub(pos + 1, s)
      pos = e
    end
  end
  if pos < len then -- a trailing empty field is dropped, as lua-resty-core does
    n = n + 1
    res[n] = subj:sub(pos + 1)
  end
  return res
end

ngx.re = ngx.re or re
reg("ngx.re", { split = split, opt = function() end })

---------------------------------------------------------------------------
-- small libraries of old Kong rockspecs, and luasocket's stub
---------------------------------------------------------------------------
reg("stringy", clib.stringy_chunk())
reg("resty.iputils", clib.iputils_chunk())
-- kong.db.errors (db_errors.lua; its pl.pretty comes through the sandbox)
local db_errors = clib.db_errors_chunk(function(name) return sandbox.require(name) end,
                                       ngx.null)
reg("kong.db.errors", db_errors)
-- kong.db.migrations.operations.* (migration_ops.lua), which Kong's bundled
-- plugins' migrations require
for version, mod in pairs(clib.migration_ops_chunk(function(name) return sandbox.require(name) end)) do
  reg("kong.db.migrations.operations." .. version, mod)
end

-- kong.tools.timestamp (Kong 0.x's rate-limiting): UTC milliseconds and
-- the period starts of a moment
local function utc_ms() return math.floor(ngx.now() * 1000) end
reg("kong.tools.timestamp", {
  get_utc = utc_ms,
  get_utc_ms = utc_ms,
  get_timestamps = function(now)
    now = now or utc_ms()
    local floor = math.floor
    local t = os.date("!*t", floor(now / 1000))
    local function days(y, m, d) -- days since 1970-01-01 of a UTC date (civil calendar)
      y = m <= 2 and y - 1 or y
      local era = floor(y / 400)
      local yoe = y - era * 400
      local doy = floor((153 * (m > 2 and m - 3 or m + 9) + 2) / 5) + d - 1
      return era * 146097 + yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy - 719468
    end
    local DAY = 86400000
    return {
      second = floor(now / 1000) * 1000,
      minute = floor(now / 60000) * 60000,
      hour = floor(now / 3600000) * 3600000,
      day = floor(now / DAY) * DAY,
      month = days(t.year, t.month, 1) * DAY,
      year = days(t.year, 1, 1) * DAY,
    }
  end,
})
reg("socket", {
  _VERSION = "LuaSocket 3.0-rc1",
  gettime = prim.now,
  sleep = function() end,
})

---------------------------------------------------------------------------
-- lfs: LuaFileSystem's reading half (fs.c); the writing calls answer as a
-- failed lfs call does, so plugin code and pl.path see a refusal, not a crash
---------------------------------------------------------------------------
local function refused(name)
  return function()
    return nil, name .. ": not permitted to plugin code in daoc (read-only lfs)"
  end
end
reg("lfs", {
  _VERSION = "LuaFileSystem 1.8.0 (daoc, read-only)",
  attributes = clib.fs_attributes,
  symlinkattributes = clib.fs_symlinkattributes,
  currentdir = clib.fs_currentdir,
  dir = clib.fs_dir,
  chdir = refused("chdir"),
  mkdir = refused("mkdir"),
  rmdir = refused("rmdir"),
  touch = refused("touch"),
  link = refused("link"),
  lock = refused("lock"),
  unlock = refused("unlock"),
  lock_dir = refused("lock_dir"),
  setmode = function() return true, "binary" end,
})

-- kong.tools.io (Kong 0.5, which 0.5's file-log and ssl plugins require at
-- load time): file_exists over the read-only lfs; what would write a file
-- or run a command answers nil and a message
local function io_refused(name)
  return function()
    return nil, "kong.tools.io." .. name .. ": not permitted to plugin code in daoc"
  end
end
reg("kong.tools.io", {
  file_exists = function(path)
    return type(path) == "string" and clib.fs_attributes(path, "mode") ~= nil
  end,
  read_file = io_refused("read_file"),
  write_to_file = io_refused("write_to_file"),
  os_execute = io_refused("os_execute"),
  cmd_exists = function() return false end,
  retrieve_port = io_refused("retrieve_port"),
})

-- `base64` (the lbase64 rock Kong 0.5 shipped; its ssl plugin's schema)
reg("base64", {
  encode = function(s) return ngx.encode_base64(s) end,
  decode = function(s) return ngx.decode_base64(s) end,
})

-- `cassandra` (lua-cassandra, which 0.5's rate-limiting DAOs require at
-- load time for the queries of their methods): it loads, and every use
-- says that no Cassandra is there
reg("cassandra", setmetatable({}, { __index = function(_, k)
  return function()
    error("cassandra." .. tostring(k) .. ": no Cassandra in daoc (its stores are SQLite "
          .. "and PostgreSQL)", 2)
  end
end }))

---------------------------------------------------------------------------
-- modules of the system Lua directory (after lua_package_path)
---------------------------------------------------------------------------
local libenv
local function safe_load(chunk, name, mode, env)
  return load(chunk, name, "t", env or libenv)
end
libenv = setmetatable({
  package = { config = package.config, path = "", cpath = "", loaded = {}, preload = {} },
  load = safe_load,
  loadstring = function(s, name) return safe_load(s, name) end,
  io = { write = function() end, stderr = { write = function() end } },
  -- getinfo without `func` (no reaching functions up the stack): pl.strict
  debug = { traceback = debug.traceback, getinfo = function(f, what)
    if type(f) == "number" then f = f + 1 elseif type(f) ~= "function" then return nil end
    local info = debug.getinfo(f, what and what:gsub("[fL]", "") or "Slnu")
    if info then info.func, info.activelines = nil, nil end
    return info
  end },
}, { __index = function(_, k) return sandbox[k] end }) -- a function: pl.import_into chains it
libenv._G = libenv
-- what Penlight requires by name: only the harmless parts
reg("debug", libenv.debug)

local user_load = prim.load_module
prim.load_module = function(name)
  local chunk, where = user_load(name)
  if chunk then return chunk, where end
  local c2, w2 = clib.system_load(name, libenv)
  if c2 then return c2, w2 end
  return nil, (where or "") .. (w2 or "")
end

-- trusted code (the runner) finds them too, with its own globals
package.loaders[#package.loaders + 1] = function(name)
  local chunk, where = clib.system_load(name, _G)
  return chunk or where
end

return { db_errors = db_errors }
