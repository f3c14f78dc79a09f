-- legacy_dao.lua -- the DAO method conventions of Kong 0.5 (the `dao` global,
-- kong.dao.cassandra.base_dao children) and of Kong 0.8-0.14 (kong.dao,
-- singletons.dao), over the one DAO object kong.db.<entity> of each entity.
--
-- One DAO per entity: kong.db.<e> is the C DAO's object (modern methods).
-- kong.dao.<e> and dao.<e> are views of that same object: a table holding
-- the generation's own insert/update/delete/find... and falling back to
-- kong.db.<e> (__index) for everything else (select, page, schema, ...).
-- Kong itself did the same: its 0.13-1.x DAO factory (kong/dao/factory.lua)
-- and the new kong.db were two objects in front of one database, the old
-- one speaking rows and `{ field = value }` filters, the new one entities.
-- The C DAO never learns which generation called it: this file translates
--   flat foreign ids (`consumer_id = x`) <-> foreign fields (`consumer = { id = x }`),
--   legacy function defaults (`default = function(t) ... end`), called on insert,
--   err_t (Kong's modern error table) -> the generation's error object:
--     0.5   kong/dao/error.lua:  { is_dao_error = true, [type] = true, message = ... }
--           type schema | unique | foreign | database; message a field map
--     0.8+  kong/dao/errors.lua: { db_name = ..., [type] = true, tbl = ..., message = ... }
--           type schema | unique | foreign | db
--   both with __tostring and __concat, as Kong's were; the common field
--   messages ("required field missing") in those generations' words
--   ("consumer_id is required"), the rest as today; err.err_t is today's.
-- Called by shims.lua with { kong, null, BaseDao, classes, fn_defaults,
-- cache_keys }; returns { dao05 = <0.5 factory>, dao = <0.8-0.14 factory>,
-- errors = <kong.dao.errors>, dao_error = <kong.dao.error> }, the two error
-- modules being what plugin files of those generations require.
local env = ...
local kong, null, BaseDao = env.kong, env.null, env.BaseDao
local classes, fn_defaults, cache_keys = env.classes, env.fn_defaults, env.cache_keys
local field_funcs, funcs_ran = env.field_funcs, env.funcs_ran
local type, pairs, ipairs, next, setmetatable, getmetatable, tostring, error, rawget, rawset =
  type, pairs, ipairs, next, setmetatable, getmetatable, tostring, error, rawget, rawset
local concat, sort = table.concat, table.sort

---------------------------------------------------------------------------
-- translation between flat rows and entities
---------------------------------------------------------------------------
-- { [flat name] = { field = F, key = k } } for every foreign field F whose
-- reference has the single primary key k (consumer -> consumer_id).
local flat_cache = setmetatable({}, { __mode = "k" })
local function flat_map(d)
  local m = flat_cache[d]
  if m then return m end
  m = {}
  for name, f in pairs(d.schema.fields) do
    if type(name) == "string" and type(f) == "table" and f.type == "foreign" then
      local ref = kong.db[f.reference]
      local pk = ref and ref.schema.primary_key
      if pk and #pk == 1 then m[name .. "_" .. pk[1]] = { field = name, key = pk[1] } end
    end
  end
  flat_cache[d] = m
  return m
end

-- a copy of t with flat foreign ids nested
local function nest(d, t)
  local out, m = {}, flat_map(d)
  for k, v in pairs(t) do
    local f = m[k]
    if f and out[f.field] == nil then
      out[f.field] = v == null and null or { [f.key] = v }
    elseif not (f and out[f.field] ~= nil) then
      out[k] = v
    end
  end
  for _, f in pairs(m) do -- a foreign given as a bare id
    local v = out[f.field]
    if type(v) == "string" then out[f.field] = { [f.key] = v } end
  end
  return out
end

-- the row, foreign fields flattened (in place)
local function flatten(d, row)
  if type(row) ~= "table" then return row end
  for flat, f in pairs(flat_map(d)) do
    local v = row[f.field]
    if v ~= nil then
      row[f.field] = nil
      if type(v) == "table" then row[flat] = v[f.key] end
    end
  end
  return row
end

-- err_t.fields with foreign fields under their flat names: a violation's
-- value ({ consumer = { id = x } }) or a message ({ consumer = "required
-- field missing" }) both become consumer_id = ...
local function flat_fields(d, fields)
  if type(fields) ~= "table" then return fields end
  local out = {}
  for k, v in pairs(fields) do out[k] = v end
  for flat, f in pairs(flat_map(d)) do
    local v = out[f.field]
    if v ~= nil then
      out[f.field] = nil
      if type(v) == "table" then v = v[f.key] end
      out[flat] = v
    end
  end
  return out
end

-- the legacy function defaults, called with the row as the caller gave it
-- (flat), as 0.5-0.14's validators did; results go into the entity e
local function apply_fn_defaults(d, e, given)
  local fns = fn_defaults[d.schema.name]
  if not fns then return end
  for k, fn in pairs(fns) do
    if e[k] == nil and given[k] == nil then e[k] = fn(given) end
  end
end

-- 0.x's field funcs as its validate_entity ran them on a write: over the
-- flat row t the caller gave (a copy), func(value, t, column) for every
-- field on insert and for the fields given on a partial update; a func
-- may change t (basic-auth hashes t.password) or return new fields to
-- merge (its third value).  A func's `false, err` is left to the schema's
-- validator, which runs it again and reports it; one that raises is
-- skipped (its validator runs it, with a value).  Returns the row and
-- whether any func ran (the write then tells the validators not to run
-- them a second time on what they changed: funcs_ran).
local function apply_funcs(d, t, partial)
  local funcs = field_funcs[d.schema.name]
  if not funcs then return t, false end
  local row = {}
  for k, v in pairs(t) do row[k] = v end
  local names = {}
  for k in pairs(funcs) do names[#names + 1] = k end
  sort(names)
  local failed = false
  for _, k in ipairs(names) do
    if not partial or row[k] ~= nil then
      local v = row[k]
      -- a func that raises (one written for values only, given nil) changes
      -- nothing here: its validator runs it when there is a value
      local called, ok, err, new = pcall(funcs[k], v ~= null and v or nil, row, k)
      if called and ok == false and err ~= nil then
        failed = true
      elseif called and type(new) == "table" then
        for nk, nv in pairs(new) do row[nk] = nv end
      end
    end
  end
  if failed then return t, false end -- as given: the validators report it
  return row, true
end

-- a DAO call with the validators told that the funcs ran already
local function with_funcs_ran(ran, fn, ...)
  if not ran then return fn(...) end
  funcs_ran.on = true
  local ok, a, b, c = pcall(fn, ...)
  funcs_ran.on = false
  if not ok then error(a, 0) end
  return a, b, c
end

-- 0.x's aliases (kong/dao/schemas_validation.lua): a string given for an
-- array or set is its comma-separated list ("\," a literal comma, each
-- element stripped, "" the empty list), for a boolean "true"/"false" in
-- any case, for a number its numeral, in records too.  Other values stay
-- as given (and fail validation as they did).  In place.
local function strip(v) return (v:gsub("^%s+", ""):gsub("%s+$", "")) end
local function coerce_value(ft, v)
  if ft == "array" or ft == "set" then
    local list = {}
    if strip(v) ~= "" then
      for part in (v:gsub("\\,", "\0") .. ","):gmatch("([^,]*),") do
        list[#list + 1] = (strip(part):gsub("%z", ","))
      end
    end
    return list
  elseif ft == "boolean" then
    local b = strip(v):lower()
    if b == "true" or b == "false" then return b == "true" end
  elseif ft == "number" or ft == "integer" then
    return tonumber(strip(v)) or v
  end
  return v
end
local function coerce_fields(fields, t, extra)
  for k, v in pairs(t) do
    local f = type(k) == "string" and (extra and extra[k] or fields[k])
    local ft = type(f) == "table" and f.type
    if type(v) == "table" and ft == "record" and type(f.fields) == "table" then
      coerce_fields(f.fields, v)
    elseif type(v) == "string" then
      t[k] = coerce_value(ft, v)
    end
  end
  return t
end
-- (a plugin's config by its subschema: the fields its name selects)
local function coerce(d, t)
  local subs = d.schema.subschemas
  local sub = subs and type(t.name) == "string" and subs[t.name]
  return coerce_fields(d.schema.fields, t, sub and sub.fields)
end

-- the primary key of t, or nil when a part is missing
local function pk_of(d, t)
  local pk = {}
  for _, k in ipairs(d.schema.primary_key) do
    local v = t[k]
    if v == nil then return nil end
    pk[k] = v
  end
  return pk
end

-- rows (flat) matching a flat filter, all of them
local function matching(d, filter)
  local rows, m = {}, flat_map(d)
  local iter, err
  local by
  for k, v in pairs(filter or {}) do
    if m[k] and type(v) == "string" and d["each_for_" .. m[k].field] then
      by = k
      iter, err = d["each_for_" .. m[k].field](d, { [m[k].key] = v })
      break
    end
  end
  if not by then iter, err = d:each() end
  if not iter then return nil, err end
  for row, rerr in iter do
    if not row then return nil, rerr end
    flatten(d, row)
    local ok = true
    for k, v in pairs(filter or {}) do
      if row[k] ~= v then ok = false break end
    end
    if ok then rows[#rows + 1] = row end
  end
  return rows
end

local function printable(t)
  return setmetatable(t, { __tostring = function(self)
    local parts = {}
    for k, v in pairs(self) do
      if type(v) == "table" then v = concat(v, ",") end
      parts[#parts + 1] = (type(k) == "string" and k .. "=" or "") .. tostring(v)
    end
    sort(parts)
    return concat(parts, " ")
  end, __concat = function(a, b) return tostring(a) .. tostring(b) end })
end

local function error_mt(prefix)
  return {
    __tostring = function(self)
      local p = prefix(self)
      return p and (p .. tostring(self.message)) or tostring(self.message)
    end,
    __concat = function(a, b) return tostring(a) .. tostring(b) end,
  }
end

-- today's field messages in the words of 0.5-0.14's schemas_validation.lua
local function legacy_messages(fields, prefix, out)
  out = out or {}
  for k, msg in pairs(fields) do
    if k == "@entity" and prefix == nil then
      -- an entity check (0.x: a self_check), whose message named no field
      for _, m in ipairs(type(msg) == "table" and msg or { msg }) do out[#out + 1] = m end
      msg = nil
    elseif type(k) == "string" and type(msg) == "table" then
      -- a record's errors as 0.x named them: "config.key_names"
      local list = {}
      for i = 1, #msg do
        if type(msg[i]) == "string" then list[#list + 1] = msg[i] end
      end
      if #list > 0 then
        out[(prefix or "") .. k] = concat(list, ", ")
      else
        legacy_messages(msg, (prefix or "") .. k .. ".", out)
      end
      msg = nil
    end
    if type(k) == "string" and type(msg) == "string" then
      local want = msg:match("^expected an? (%w+)$")
      if msg == "required field missing" then msg = k .. " is required"
      elseif msg == "unknown field" then msg = k .. " is an unknown field"
      elseif msg == "immutable field cannot be updated" then msg = k .. " cannot be updated"
      elseif want then msg = k .. " is not a " .. want
      end
    end
    if msg ~= nil then out[(prefix or "") .. tostring(k)] = msg end
  end
  return out
end

local function kind_of(err_t)
  local n = type(err_t) == "table" and err_t.name
  if n == "unique constraint violation" or n == "primary key violation" then return "unique" end
  if n == "foreign key violation" then return "foreign" end
  if n == "schema violation" or n == "invalid primary key" or n == "invalid options"
     or n == "invalid unique" or n == "invalid size" or n == "invalid offset" then
    return "schema"
  end
  return nil
end

---------------------------------------------------------------------------
-- Kong 0.8-0.14: kong.dao.<entity>
---------------------------------------------------------------------------
local err14_mt = error_mt(function(self)
  return self.db_name and ("[" .. self.db_name .. " error] ") or nil
end)

local function err14(d, err, err_t)
  local kind = kind_of(err_t)
  local e = { db_name = d.strategy.name }
  if not kind then
    e.db = true
    e.message = type(err_t) == "table" and err_t.message or tostring(err)
    return tostring(setmetatable(e, err14_mt)) -- Kong: database errors are strings
  end
  e[kind] = true
  local fields = flat_fields(d, err_t.fields) or {}
  local tbl = {}
  if kind == "unique" then
    for k, v in pairs(fields) do
      if v ~= null then tbl[k] = "already exists with value '" .. tostring(v) .. "'" end
    end
  elseif kind == "foreign" then
    for k, v in pairs(fields) do tbl[k] = "does not exist with value '" .. tostring(v) .. "'" end
  else
    tbl = next(fields) and legacy_messages(fields) or { err_t.message }
  end
  e.tbl = printable(tbl)
  e.message = tostring(e.tbl)
  e.err_t = err_t
  return setmetatable(e, err14_mt)
end

-- kong.dao.errors (0.8-0.14): Errors.schema/unique/foreign/db(err, db_name)
local errors_mod = {}
for _, kind in ipairs { "unique", "foreign", "schema", "db" } do
  errors_mod[kind] = function(err, db_name)
    if err == nil then return nil end
    if getmetatable(err) == err14_mt then return err end
    local e = { db_name = db_name, [kind] = true }
    if type(err) == "table" then
      local tbl = {}
      for k, v in pairs(err) do
        if kind == "unique" then v = "already exists with value '" .. tostring(v) .. "'"
        elseif kind == "foreign" then v = "does not exist with value '" .. tostring(v) .. "'" end
        tbl[k] = v
      end
      e.tbl = printable(tbl)
      e.message = tostring(e.tbl)
    else
      e.message = err
    end
    return setmetatable(e, err14_mt)
  end
end

-- Argument checks of the 0.14 methods; they raise at the method's caller
-- (`deeper`: how many helper calls lie between the method and the check).
local function check_arg(v, n, want, deeper)
  if type(v) ~= want then
    error("bad argument #" .. n .. " (" .. want .. " expected, got " .. type(v) .. ")",
          3 + (deeper or 0))
  end
end

local function not_empty(v, n, deeper)
  if next(v) == nil then
    error("bad argument #" .. n .. " (expected table to not be empty)", 3 + (deeper or 0))
  end
end

local function subset(d, filter)
  local m, fields = flat_map(d), d.schema.fields
  local errs
  for k in pairs(filter) do
    if not m[k] and fields[k] == nil then
      errs = errs or {}
      errs[k] = k .. " is an unknown field"
    end
  end
  return errs
end

local function schema_err14(d, errs)
  return err14(d, nil, { name = "schema violation", fields = errs })
end

local V14 = {}

function V14:insert(tbl, options)
  check_arg(tbl, 1, "table")
  if options ~= nil then check_arg(options, 2, "table") end
  local d = self.__daoc
  local given, ran = apply_funcs(d, tbl, false)
  local t = coerce(d, nest(d, given))
  apply_fn_defaults(d, t, given)
  local row, err, err_t = with_funcs_ran(ran, d.insert, d, t,
                                         options and options.ttl and { ttl = options.ttl } or nil)
  if not row then return nil, err14(d, err, err_t) end
  return flatten(d, row)
end

function V14:find(tbl)
  check_arg(tbl, 1, "table")
  local d = self.__daoc
  local pk = pk_of(d, tbl)
  if not pk then error("Missing PRIMARY KEY field", 2) end
  local row, err, err_t = d:select(pk)
  if err then return nil, err14(d, err, err_t) end
  return flatten(d, row)
end

-- The rows a { field = value } filter selects (tbl nil: every row), or
-- nil and 0.14's error: the argument checks find_all, find_page and count
-- share.  Raises at the caller's caller for a misuse, as Kong did.
local function filtered(d, tbl)
  if tbl ~= nil then
    check_arg(tbl, 1, "table", 1)
    not_empty(tbl, 1, 1)
    local errs = subset(d, tbl)
    if errs then return nil, schema_err14(d, errs) end
  end
  local rows, err = matching(d, tbl)
  if not rows then return nil, tostring(err) end
  return rows
end

function V14:find_all(tbl)
  local rows, err = filtered(self.__daoc, tbl) -- not a tail call: keeps the error level
  return rows, err
end

-- page_offset: the offset this call returned last (a page number), nil first
function V14:find_page(tbl, page_offset, page_size)
  if page_size == nil then page_size = 100 end
  check_arg(page_size, 3, "number")
  local rows, err = filtered(self.__daoc, tbl)
  if not rows then return nil, err end
  local page = tonumber(page_offset) or 1
  local out, first = {}, (page - 1) * page_size + 1
  for i = first, math.min(#rows, first + page_size - 1) do out[#out + 1] = rows[i] end
  local next_offset = (#rows >= first + page_size) and (page + 1) or nil
  return out, nil, next_offset
end

function V14:count(tbl)
  local rows, err = filtered(self.__daoc, tbl)
  if not rows then return nil, err end
  return #rows
end

function V14:update(tbl, filter_keys, options)
  options = options or {}
  check_arg(tbl, 1, "table")
  not_empty(tbl, 1)
  check_arg(filter_keys, 2, "table")
  not_empty(filter_keys, 2)
  check_arg(options, 3, "table")
  local d = self.__daoc
  local all = {}
  for k, v in pairs(tbl) do all[k] = v end
  for k, v in pairs(filter_keys) do if all[k] == nil then all[k] = v end end
  local pk = pk_of(d, all)
  if not pk then
    return nil, schema_err14(d, { [d.schema.primary_key[1]] = "primary key is missing" })
  end
  local old, err, err_t = d:select(pk)
  if err then return nil, err14(d, err, err_t) end
  if not old then return nil end
  local ran
  all, ran = apply_funcs(d, all, not options.full)
  local values = coerce(d, nest(d, all))
  for k in pairs(pk) do values[k] = nil end
  local row
  if options.full then
    apply_fn_defaults(d, values, all)
    row, err, err_t = with_funcs_ran(ran, d.upsert, d, pk, values)
  else
    row, err, err_t = with_funcs_ran(ran, d.update, d, pk, values)
  end
  if not row then
    if type(err_t) == "table" and err_t.name == "not found" then return nil end
    return nil, err14(d, err, err_t)
  end
  return flatten(d, row)
end

function V14:delete(tbl, options)
  check_arg(tbl, 1, "table")
  if options ~= nil then check_arg(options, 2, "table") end
  local d = self.__daoc
  local pk = pk_of(d, tbl)
  if not pk then error("Missing PRIMARY KEY field", 2) end
  local row, err, err_t = d:select(pk)
  if err then return nil, err14(d, err, err_t) end
  if not row then return nil end
  local ok
  ok, err, err_t = d:delete(pk)
  if not ok then return nil, err14(d, err, err_t) end
  return flatten(d, row)
end

-- Kong 0.14's DAO:cache_key and entity_cache_key (the old-style cache_key)
function V14:cache_key(a1, a2, a3, a4, a5)
  local function s(v) return v == nil and "" or tostring(v) end
  return self.__daoc.schema.table_name .. ":" .. s(a1) .. ":" .. s(a2) .. ":" .. s(a3) .. ":"
         .. s(a4) .. ":" .. s(a5)
end

function V14:entity_cache_key(entity)
  local ck = cache_keys[self.__daoc.schema.name]
  if not ck then return nil end
  local keys = {}
  for i = 1, #ck do keys[i] = entity[ck[i]] end
  return self:cache_key(keys[1], keys[2], keys[3], keys[4], keys[5])
end

function V14:truncate()
  local d = self.__daoc
  local ok, err, err_t = d:truncate()
  if not ok then return nil, err14(d, err, err_t) end
  return true
end

---------------------------------------------------------------------------
-- Kong 0.5: BaseDao methods (kong.dao.cassandra.base_dao)
---------------------------------------------------------------------------
local err05_mt = error_mt(function() return nil end)

local function dao_error(message, kind)
  if message == nil then return nil end
  if type(message) == "table" and getmetatable(message) == nil then printable(message) end
  return setmetatable({ is_dao_error = true, [kind] = true, message = message }, err05_mt)
end

-- kong.dao.error (0.5): DaoError(err, type)
local dao_error_mod = setmetatable({}, {
  __call = function(_, err, kind) return dao_error(err, kind) end,
})

local function err05(d, err, err_t)
  local kind = kind_of(err_t)
  if not kind then
    return dao_error(type(err_t) == "table" and err_t.message or tostring(err), "database")
  end
  local fields = flat_fields(d, err_t.fields) or {}
  local msg = {}
  if kind == "unique" then
    for k, v in pairs(fields) do
      if v ~= null then msg[k] = k .. " already exists with value '" .. tostring(v) .. "'" end
    end
  elseif kind == "foreign" then
    for k, v in pairs(fields) do msg[k] = k .. " " .. tostring(v) .. " does not exist" end
  else
    msg = next(fields) and legacy_messages(fields) or { err_t.message }
  end
  local e = dao_error(msg, kind)
  e.err_t = err_t
  return e
end

local function daoc_of(self)
  local d = rawget(self, "__daoc")
  if not d then error("this DAO is not attached to a database (not loaded by the factory)", 3) end
  return d
end

function BaseDao:insert(t)
  assert(t ~= nil, "Cannot insert a nil element")
  assert(type(t) == "table", "Entity to insert must be a table")
  local d = daoc_of(self)
  local given, ran = apply_funcs(d, t, false)
  local e = nest(d, given)
  apply_fn_defaults(d, e, given)
  local row, err, err_t = with_funcs_ran(ran, d.insert, d, e)
  if not row then return nil, err05(d, err, err_t) end
  return flatten(d, row)
end

function BaseDao:update(t, full)
  assert(t ~= nil, "Cannot update a nil element")
  assert(type(t) == "table", "Entity to update must be a table")
  local d = daoc_of(self)
  local pk = pk_of(d, t)
  if not pk then return false end
  local old, err, err_t = d:select(pk)
  if err then return false, err05(d, err, err_t) end
  if not old then return false end
  local given, ran = apply_funcs(d, t, not full)
  local values = nest(d, given)
  for k in pairs(pk) do values[k] = nil end
  local row
  if full then
    apply_fn_defaults(d, values, given)
    row, err, err_t = with_funcs_ran(ran, d.upsert, d, pk, values)
  else
    row, err, err_t = with_funcs_ran(ran, d.update, d, pk, values)
  end
  if not row then return nil, err05(d, err, err_t) end
  return flatten(d, row)
end

function BaseDao:find_by_primary_key(where_t)
  assert(type(where_t) == "table", "where_t must be a table")
  local d = daoc_of(self)
  local pk = pk_of(d, where_t)
  if not pk then return nil end
  local row, err, err_t = d:select(pk)
  if err then return nil, err05(d, err, err_t) end
  return flatten(d, row)
end

-- rows (with rows.next_page when more follow), err, filtering
function BaseDao:find_by_keys(where_t, page_size, paging_state)
  local d = daoc_of(self)
  local filtering = false
  if where_t ~= nil then
    assert(type(where_t) == "table", "where_t must be a table")
    local pkset = {}
    for _, k in ipairs(d.schema.primary_key) do pkset[k] = true end
    for k in pairs(where_t) do if not pkset[k] then filtering = true end end
    if next(where_t) == nil then where_t = nil end
  end
  local rows, err, err_t = matching(d, where_t)
  if not rows then return nil, err05(d, err, err_t), filtering end
  if page_size then
    local first = (tonumber(paging_state) or 0) + 1
    local out = {}
    for i = first, math.min(#rows, first + page_size - 1) do out[#out + 1] = rows[i] end
    if #rows >= first + page_size then out.next_page = tostring(first + page_size - 1) end
    rows = out
  end
  return rows, nil, filtering
end

function BaseDao:find(page_size, paging_state)
  return self:find_by_keys(nil, page_size, paging_state)
end

function BaseDao:count_by_keys(where_t)
  local rows, err = self:find_by_keys(where_t)
  if not rows then return nil, err end
  return #rows
end
BaseDao.count = BaseDao.count_by_keys

-- true, or false when not found; false, err on failure
function BaseDao:delete(where_t)
  assert(type(where_t) == "table", "where_t must be a table")
  local d = daoc_of(self)
  local pk = pk_of(d, where_t)
  if not pk then return false end
  local row, err, err_t = d:select(pk)
  if err then return false, err05(d, err, err_t) end
  if not row then return false end
  local ok
  ok, err, err_t = d:delete(pk)
  if not ok then return false, err05(d, err, err_t) end
  return true
end

-- 0.5's default name of an api (kong/dao/schemas/apis.lua default_name):
-- request_host, else request_path without its leading slash and with "-"
-- for "/", any character outside [%w._~-] replaced by "-"
fn_defaults.apis = fn_defaults.apis or {
  name = function(t)
    local name = type(t.request_host) == "string" and t.request_host or nil
    if not name and type(t.request_path) == "string" then
      name = t.request_path:sub(2):gsub("/", "-")
    end
    return name and (name:gsub("[^%w%._~%-]", "-")) or nil
  end,
}

---------------------------------------------------------------------------
-- the factories
---------------------------------------------------------------------------
local function view(methods, d, obj)
  obj = obj or {}
  rawset(obj, "__daoc", d)
  for k, v in pairs(methods) do if rawget(obj, k) == nil then rawset(obj, k, v) end end
  return obj
end

local dao = setmetatable({}, {
  __index = function(self, name)
    local d = type(name) == "string" and kong.db[name]
    if not d then return nil end
    local v = setmetatable(view(V14, d), { __index = d })
    if classes[name] then rawset(v, "__daoc_v05", true) end -- a 0.5 plugin's entity
    rawset(self, name, v)
    return v
  end,
})

local dao05
dao05 = setmetatable({}, {
  __index = function(self, name)
    local d = type(name) == "string" and kong.db[name]
    if not d then return nil end
    local cls = classes[name] or BaseDao
    local obj = cls({})
    rawset(obj, "__daoc", d)
    rawset(obj, "_factory", dao05)
    if rawget(obj, "_schema") == nil then rawset(obj, "_schema", d.schema) end
    if rawget(obj, "_table") == nil then rawset(obj, "_table", name) end
    rawset(obj, "_primary_key", d.schema.primary_key)
    rawset(self, name, obj)
    return obj
  end,
})

return { dao05 = dao05, dao = dao, errors = errors_mod, dao_error = dao_error_mod }
