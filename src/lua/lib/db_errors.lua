-- db_errors.lua -- `kong.db.errors` (Kong 0.13+): the error codes and names
-- of the DAO and `new(strategy)`, the factory of err_t tables that custom
-- DAO code reaches as `self.errors` and builds its own refusals with.
-- Written here; the codes, names and messages are Kong's, so that an err_t
-- made in Lua reads as one the C DAO returns (its `tostring` is
-- "[<strategy>] <message>").  Table values in messages are rendered by
-- Penlight's pl.pretty, as Kong renders them.
local require_fn, null = ...

local type, pairs, ipairs, tostring, error = type, pairs, ipairs, tostring, error
local fmt, concat, sort = string.format, table.concat, table.sort
local setmetatable, getmetatable = setmetatable, getmetatable

local CODES = {
  INVALID_PRIMARY_KEY = 1, SCHEMA_VIOLATION = 2, PRIMARY_KEY_VIOLATION = 3,
  FOREIGN_KEY_VIOLATION = 4, UNIQUE_VIOLATION = 5, NOT_FOUND = 6, INVALID_OFFSET = 7,
  DATABASE_ERROR = 8, INVALID_SIZE = 9, INVALID_UNIQUE = 10, INVALID_OPTIONS = 11,
  OPERATION_UNSUPPORTED = 12, FOREIGN_KEYS_UNRESOLVED = 13, DECLARATIVE_CONFIG = 14,
  TRANSFORMATION_ERROR = 15, INVALID_FOREIGN_KEY = 16, INVALID_WORKSPACE = 17,
  INVALID_UNIQUE_GLOBAL = 18, REFERENCED_BY_OTHERS = 19, INVALID_SEARCH_QUERY = 20,
}

local NAMES = {
  "invalid primary key", "schema violation", "primary key violation", "foreign key violation",
  "unique constraint violation", "not found", "invalid offset", "database error",
  "invalid size", "invalid unique %s", "invalid options", "operation unsupported",
  "foreign keys unresolved", "invalid declarative configuration", "transformation error",
  "invalid foreign key", "invalid workspace", "invalid global query", "referenced by others",
  "invalid search query",
}

local pretty_write
local function pretty(v)
  pretty_write = pretty_write or require_fn("pl.pretty").write
  return pretty_write(v, "")
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local err_mt = {
  __tostring = function(e)
    local msg = e.message
    if msg == nil or msg == null then msg = e.name end
    return e.strategy and fmt("[%s] %s", e.strategy, tostring(msg)) or tostring(msg)
  end,
  __concat = function(a, b) return tostring(a) .. tostring(b) end,
}

local M = { codes = CODES, names = NAMES }
M.__index = M

local function make(self, code, message, fields, name)
  if type(message) == "table" and getmetatable(message) == err_mt then return message end
  if not NAMES[code] then error("unknown error code: " .. tostring(code), 3) end
  if message ~= nil and type(message) ~= "string" then
    error("message must be a string or nil", 3)
  end
  local e = { code = code, name = name or NAMES[code], message = message or null,
              strategy = self.strategy }
  if fields ~= nil then
    if type(fields) ~= "table" then error("errors must be a table or nil", 3) end
    local copy = {}
    for k, v in pairs(fields) do copy[k] = v end
    e[code == CODES.INVALID_OPTIONS and "options" or "fields"] = copy
  end
  return setmetatable(e, err_mt)
end

local function need(v, kind, what)
  if type(v) ~= kind then error(what .. " must be a " .. kind, 3) end
end

function M.new(strategy)
  return setmetatable({ strategy = strategy }, M)
end

-- "a: x; b.c: y" over a field-error tree, "@entity" messages first
local function listing(errors, entity_first)
  local parts = {}
  if entity_first and type(errors["@entity"]) == "table" then
    for _, m in ipairs(errors["@entity"]) do parts[#parts + 1] = tostring(m) end
  end
  for _, k in ipairs(sorted_keys(errors)) do
    local v = errors[k]
    if not (entity_first and k == "@entity") then
      if type(v) == "table" then
        for _, sk in ipairs(sorted_keys(v)) do
          local sv = v[sk]
          parts[#parts + 1] = fmt("%s.%s: %s", k, sk, type(sv) == "table" and pretty(sv)
                                                       or tostring(sv))
        end
      else
        parts[#parts + 1] = fmt("%s: %s", k, tostring(v))
      end
    end
  end
  return parts
end

local function keyed(code, what, template)
  return function(self, key)
    need(key, "table", what)
    return make(self, code, fmt(template, pretty(key)), key)
  end
end

M.invalid_primary_key = keyed(CODES.INVALID_PRIMARY_KEY, "primary_key", "invalid primary key: '%s'")
M.invalid_foreign_key = keyed(CODES.INVALID_FOREIGN_KEY, "foreign_key", "invalid foreign key: '%s'")
M.primary_key_violation = keyed(CODES.PRIMARY_KEY_VIOLATION, "primary_key",
                                "primary key violation on key '%s'")
M.not_found = keyed(CODES.NOT_FOUND, "primary_key", "could not find the entity with primary key '%s'")
M.not_found_by_field = keyed(CODES.NOT_FOUND, "filter", "could not find the entity with '%s'")

function M:unique_violation(key)
  need(key, "table", "unique_key")
  local shown = pretty(key):gsub("\"userdata: NULL\"", "null")
  return make(self, CODES.UNIQUE_VIOLATION, fmt("UNIQUE violation detected on '%s'", shown), key)
end

function M:schema_violation(errors)
  need(errors, "table", "errors")
  local parts = listing(errors, true)
  local msg = #parts == 1 and fmt("schema violation (%s)", parts[1])
              or fmt("%d schema violations (%s)", #parts, concat(parts, "; "))
  return make(self, CODES.SCHEMA_VIOLATION, msg, errors)
end

function M:invalid_options(errors)
  need(errors, "table", "errors")
  local parts = listing(errors, false)
  local msg = #parts == 1 and fmt("invalid option (%s)", parts[1])
              or fmt("%d option violations (%s)", #parts, concat(parts, "; "))
  return make(self, CODES.INVALID_OPTIONS, msg, errors)
end

function M:foreign_key_violation_invalid_reference(fk, field, parent)
  need(fk, "table", "foreign_key")
  need(field, "string", "foreign_key_field_name")
  need(parent, "string", "parent_name")
  return make(self, CODES.FOREIGN_KEY_VIOLATION,
              fmt("the foreign key '%s' does not reference an existing '%s' entity.",
                  pretty(fk), parent), { [field] = fk })
end

function M:foreign_key_violation_restricted(parent, child)
  need(parent, "string", "parent_name")
  need(child, "string", "child_name")
  return make(self, CODES.FOREIGN_KEY_VIOLATION,
              fmt("an existing '%s' entity references this '%s' entity", child, parent),
              { ["@referenced_by"] = child })
end

function M:invalid_offset(offset, err)
  need(offset, "string", "offset")
  need(err, "string", "err")
  return make(self, CODES.INVALID_OFFSET, fmt("'%s' is not a valid offset: %s", offset, err))
end

function M:database_error(err)
  return make(self, CODES.DATABASE_ERROR, err or NAMES[CODES.DATABASE_ERROR])
end

-- the errors whose message is the caller's text
for method, code in pairs({ transformation_error = CODES.TRANSFORMATION_ERROR,
                            invalid_size = CODES.INVALID_SIZE,
                            operation_unsupported = CODES.OPERATION_UNSUPPORTED,
                            referenced_by_others = CODES.REFERENCED_BY_OTHERS }) do
  M[method] = function(self, err)
    need(err, "string", "err")
    return make(self, code, err)
  end
end

function M:invalid_unique(name, err)
  need(name, "string", "name")
  need(err, "string", "err")
  return make(self, CODES.INVALID_UNIQUE, err, nil, fmt(NAMES[CODES.INVALID_UNIQUE], name))
end

function M:invalid_unique_global(name)
  need(name, "string", "name")
  return make(self, CODES.INVALID_UNIQUE_GLOBAL,
              fmt("unique key %s is invalid for global query", name))
end

function M:invalid_workspace(ws_id)
  need(ws_id, "string", "ws_id")
  return make(self, CODES.INVALID_WORKSPACE, fmt("invalid workspace '%s'", ws_id))
end

-- errors:<code_name_in_lower_case>() for any other code: the bare err_t
-- (the codes themselves by their upper-case names: errors.NOT_FOUND == 6)
setmetatable(M, { __index = function(_, k)
  if type(k) ~= "string" then return nil end
  if CODES[k] then return CODES[k] end
  local code = CODES[k:upper()]
  if not code then return nil end
  return function(self) return make(self, code) end
end })

return M
