-- migrations.lua -- finding and checking a plugin's migrations of every
-- Kong generation (migrations.c calls it; the C side turns the result into
-- a daoc__migration_set and computes the files' checksums).
--
-- The chunk is called once with (sandbox, db_errors, load_chunk) and returns
-- { load = load(plugin), factory05 = factory05(dao05, connector) }.
--
-- load(plugin) returns
--   { format = "index" | "legacy_pg" | "legacy_05" | "none",
--     cassandra_only = bool,
--     list = { { name, up, up_f, teardown, down, file }, ... } }
-- or nil, message, kind ("invalid": a refusal in Kong's words).  A Lua
-- error raised by a migration file propagates as it is (migrations.c names
-- its file and line).
--
-- Kong's rules (reference A1):
--   * 1.x+: kong.plugins.<p>.migrations (falling back to <ns>.init) is an
--     index, an array of names; each is the module <ns>.<name> returning
--     { postgres = { up = SQL, up_f = fn, teardown = fn }, cassandra = ... },
--     "postgresql" accepted as an alias of "postgres"; checked as Kong's
--     migrations schema does.  Names starting with '_' are helper modules
--     and refused in the index.
--   * 0.8-0.14: kong.plugins.<p>.migrations.postgres, an array of
--     { name, up = SQL | fn, down = SQL | fn }; names unique.
--   * 0.5-0.7: kong.plugins.<p>.schema.migrations or migrations.cassandra,
--     the same array shape with CQL (cassandra_only).
local sandbox, db_errors, load_chunk = ...

local fmt = string.format
local E = db_errors.new()

-- The message of a failure inside a migration file, with the position of
-- the innermost running function of a file when it has none (error({}),
-- error("x", 0), errors raised by C code)
local function where(e)
  if type(e) == "string" and e:find("^[^\n ]*:%d+: ") then return e end
  local prefix = ""
  for level = 2, 100 do
    local info = debug.getinfo(level, "Sl")
    if not info then break end
    if (info.currentline or 0) > 0 and info.source:sub(1, 1) == "@" then
      prefix = info.short_src .. ":" .. info.currentline .. ": "
      break
    end
  end
  if type(e) == "string" or type(e) == "number" then return prefix .. e end
  local mt = getmetatable(e)
  if type(mt) == "table" and mt.__tostring then return prefix .. tostring(e) end
  return prefix .. "error object is a " .. type(e) .. " value"
end

-- Kong's load_module_if_exists: false when no file exists; the module's
-- own failure raises.  Migration modules run afresh at every load (in the
-- sandbox, source only), never from require's cache, so that the code
-- checked is the file checksummed.
local function load_if_exists(name)
  local chunk, path = load_chunk(name)
  if not chunk then return false end
  local ok, v = xpcall(chunk, where, name, path)
  if not ok then error(v, 0) end
  if v == nil then v = true end
  return true, v, path
end

local function violation(errs)
  return E:schema_violation(errs).message
end

-- A postgres section (key as the author wrote it) against Kong's schema:
-- returns nil, or the field-error tree
local function check_section(sec, key)
  if type(sec) ~= "table" then
    return { [key] = "expected a record" }
  end
  local e = {}
  if sec.up ~= nil and type(sec.up) ~= "string" then e.up = "expected a string" end
  if sec.up_f ~= nil and type(sec.up_f) ~= "function" then e.up_f = "expected a function" end
  if sec.teardown ~= nil and type(sec.teardown) ~= "function" then
    e.teardown = "expected a function"
  end
  if next(e) then return { [key] = e } end
  if (sec.up == nil or sec.up == "") and sec.up_f == nil and sec.teardown == nil then
    return { ["@entity"] = { "at least one of these fields must be non-empty: "
                             .. "'postgres.up', 'postgres.up_f', 'postgres.teardown'" } }
  end
  return nil
end

local function load_index(plugin, ns, idx, idx_path)
  if type(idx) ~= "table" then
    return nil, fmt("migrations index from '%s' must be a table", ns), "invalid"
  end
  local list, seen, any_pg, any_cql = {}, {}, false, false
  for i, mig_name in ipairs(idx) do
    if type(mig_name) ~= "string" then
      return nil, fmt("migrations index from '%s' must list migration names (entry %d is a %s)",
                      ns, i, type(mig_name)), "invalid"
    end
    local module = ns .. "." .. mig_name
    if mig_name:sub(1, 1) == "_" then
      return nil, fmt("migration '%s' of '%s' subsystem is invalid: '%s' starts with '_': "
                      .. "helper modules are not migrations and must not be in the index",
                      module, plugin, mig_name), "invalid"
    end
    if seen[mig_name] then
      return nil, fmt("migrations index from '%s' lists '%s' twice", ns, mig_name), "invalid"
    end
    seen[mig_name] = true
    local ok, mig, path = load_if_exists(module)
    if not ok then
      return nil, fmt("failed to load migration '%s' of '%s' subsystem", module, plugin),
             "invalid"
    end
    if type(mig) ~= "table" then
      return nil, fmt("migration '%s' of '%s' subsystem is invalid: the module returned a %s, "
                      .. "not a table", module, plugin, type(mig)), "invalid"
    end
    mig.name = mig_name
    local key = mig.postgres ~= nil and "postgres" or mig.postgresql ~= nil and "postgresql"
                or nil
    local entry = { name = mig_name, file = path }
    if key then
      local errs = check_section(mig[key], key)
      if errs then
        return nil, fmt("migration '%s' of '%s' subsystem is invalid: %s", module, plugin,
                        violation(errs)), "invalid"
      end
      local sec = mig[key]
      entry.up, entry.up_f, entry.teardown = sec.up, sec.up_f, sec.teardown
      any_pg = true
    elseif mig.cassandra ~= nil then
      any_cql = true -- a Cassandra-only migration: nothing to run here
    else
      return nil, fmt("migration '%s' of '%s' subsystem is invalid: %s", module, plugin,
                      violation({ postgres = "required field missing" })), "invalid"
    end
    list[#list + 1] = entry
  end
  return { format = "index", cassandra_only = any_cql and not any_pg, list = list,
           file = idx_path }
end

-- 0.x arrays of { name, up, down }
local function load_array(plugin, arr, path, format, cql)
  if type(arr) ~= "table" then
    return nil, fmt("migrations of '%s' from '%s' must be an array of migrations, got a %s",
                    plugin, path, type(arr)), "invalid"
  end
  local list, seen = {}, {}
  for i, m in ipairs(arr) do
    if type(m) ~= "table" or type(m.name) ~= "string" then
      return nil, fmt("migration '%d' for %s has no name", i, plugin), "invalid"
    end
    if seen[m.name] then
      return nil, fmt("migration '%s' (%s) already exists; migrations must have unique names",
                      m.name, plugin), "invalid"
    end
    seen[m.name] = true
    for _, k in ipairs({ "up", "down" }) do
      local v = m[k]
      if (k == "up" and v == nil) or (v ~= nil and type(v) ~= "string"
                                      and type(v) ~= "function") then
        return nil, fmt("migration '%s' of '%s' subsystem is invalid: %s: expected a string or "
                        .. "a function", m.name, plugin, k), "invalid"
      end
    end
    list[#list + 1] = { name = m.name, up = m.up, down = m.down, file = path }
  end
  return { format = format, cassandra_only = cql, list = list, file = path }
end

local function load(plugin)
  local ns = "kong.plugins." .. plugin .. ".migrations"
  local ok, idx, path = load_if_exists(ns)
  if not ok then
    ok, idx, path = load_if_exists(ns .. ".init")
  end
  if ok then return load_index(plugin, ns, idx, path) end

  ok, idx, path = load_if_exists(ns .. ".postgres")
  if ok then return load_array(plugin, idx, path, "legacy_pg", false) end
  ok, idx, path = load_if_exists(ns .. ".cassandra")
  if ok then return load_array(plugin, idx, path, "legacy_05", true) end
  ok, idx, path = load_if_exists("kong.plugins." .. plugin .. ".schema.migrations")
  if ok then return load_array(plugin, idx, path, "legacy_05", true) end
  return { format = "none", cassandra_only = false, list = {} }
end

-- The dao_factory a 0.5-0.7 up/down receives: the 0.5 factory plus
-- execute_queries(queries), several ';'-separated statements through the
-- connector; returns the error or nil, as Kong's did.
local function factory05(dao05, connector)
  return setmetatable({
    execute_queries = function(_, queries)
      local res, err = connector:query(queries)
      if res == nil then return err or "query failed" end
      return nil
    end,
  }, { __index = dao05 })
end

return { load = load, factory05 = factory05 }
