-- admin_api.lua -- the Lua side of a plugin's own Admin API routes
-- (kong.plugins.<p>.api), of every generation, mounted as Kong mounts them.
-- api.c runs the chunk once per state with (sandbox, dao05, the sandbox's
-- preload table, where its modules are added) and calls
--   load(plugins)          -> the routes, in a fixed order (plugins as
--                             enabled, paths sorted), each
--                             { plugin, path, methods = {...}, before, schema, new }
--   call(i, req, generated) -> status, body, headers (a table name -> value)
-- src/admin matches the path, decodes the body and answers everything else
-- (OPTIONS, 404/405); `generated` is its C callback answering a generated
-- endpoint ({ kind, schema, foreign_schema, field, method, params, uri, post })
-- with status, body, headers.  What a handler sees:
--   * 1.x+ ("new" modules: a route has a `schema`): handler(self, kong.db,
--     helpers, parent), `parent(post_process)` answering with the generated
--     endpoint of the same path; the module kong.api.endpoints; before(self,
--     db, helpers, parent) runs first for every method of the path;
--   * 0.5-0.14 (no schema): handler(self, dao_factory, helpers) with
--     helpers.responses (kong.tools.responses) and helpers.yield_error,
--     the modules kong.api.crud_helpers and lapis.application; dao_factory
--     speaks both 0.5's and 0.8-0.14's DAO (legacy_dao.lua's views);
--   * self.params (path parameters as sent, percent-encoded, over the query
--     and body arguments), self.args.uri / .post, self.req.method /
--     .headers / .parsed_url, self.json, self:build_url(path, opts);
--   * kong.response (exit, error, set_status, set_header, ...), ngx.print,
--     ngx.say, ngx.exit, ngx.status, ngx.header.
-- A handler ends with kong.response.exit (or a 0.x responses.send_*), which
-- unwinds it; returning without one answers what it set (status 200 and
-- what it printed by default).  helpers.yield_error(err) answers through
-- the route's on_error (Kong's: 400/404/405/409 from the error's code, 500
-- otherwise); any other Lua error is a 500 "An unexpected error occurred",
-- logged with its message.
local sandbox, dao05, sandbox_preload = ...
local kong, ngx = sandbox.kong, sandbox.ngx
local require = sandbox.require
local cjson = require "cjson.safe"
local null = ngx.null
local type, pairs, ipairs, tostring, tonumber, setmetatable, getmetatable, rawget, error, pcall,
      select, next =
  type, pairs, ipairs, tostring, tonumber, setmetatable, getmetatable, rawget, error, pcall,
  select, next
local concat, sort, fmt = table.concat, table.sort, string.format

local HTTP = { GET = true, HEAD = true, POST = true, PUT = true, PATCH = true, DELETE = true,
               OPTIONS = true }
local JSON_CT = "application/json; charset=utf-8"

local MESSAGES = {
  [400] = "Bad request", [401] = "Unauthorized", [402] = "Payment required",
  [403] = "Forbidden", [404] = "Not found", [405] = "Method not allowed",
  [406] = "Not acceptable", [408] = "Request timeout", [409] = "Conflict", [410] = "Gone",
  [411] = "Length required", [412] = "Precondition failed", [413] = "Payload too large",
  [414] = "URI too long", [415] = "Unsupported media type", [429] = "Too many requests",
  [500] = "An unexpected error occurred", [501] = "Not implemented",
  [502] = "An invalid response was received from the upstream server",
  [503] = "The upstream server is currently unavailable",
  [504] = "The upstream server is timing out",
}

---------------------------------------------------------------------------
-- the response of the request running (one at a time per state)
---------------------------------------------------------------------------
local EXIT = setmetatable({}, { __tostring = function() return "kong.response.exit" end })
local YIELD = {}
local cur -- { status, headers = { name -> value }, parts = {}, exited }

local function need_request(what)
  if not cur then error(what .. " may only be called while an Admin API request runs", 3) end
end

local function header_set(name, value)
  if type(name) ~= "string" then error("header name must be a string", 3) end
  if value == nil then cur.headers[name] = nil; return end
  if type(value) == "table" then
    local parts = {}
    for i, v in ipairs(value) do parts[i] = tostring(v) end
    value = concat(parts, ", ")
  end
  cur.headers[name] = tostring(value)
end

local function finish(status, body, headers)
  if cur.exited then return end
  cur.status = status
  if headers ~= nil then
    if type(headers) ~= "table" then error("headers must be a nil or table", 3) end
    for k, v in pairs(headers) do header_set(k, v) end
  end
  if body ~= nil then
    if type(body) == "table" then
      local s, err = cjson.encode(body)
      if not s then error("could not JSON encode the body: " .. tostring(err), 3) end
      cur.parts = { s }
      cur.headers["Content-Type"] = JSON_CT
    else
      cur.parts = { tostring(body) }
    end
  end
  cur.exited = true
  error(EXIT, 0)
end

local response = {}
function response.exit(status, body, headers)
  need_request("kong.response.exit")
  if type(status) ~= "number" or status < 100 or status > 599 then
    error("code must be a number between 100 and 599", 2)
  end
  return finish(status, body, headers)
end
function response.error(status, message, headers)
  need_request("kong.response.error")
  if type(status) ~= "number" or status < 400 or status > 599 then
    error("code must be a number between 400 and 599", 2)
  end
  if message == nil then message = MESSAGES[status] or "The upstream server responded with "
                                     .. status end
  if type(message) == "table" then message = cjson.encode(message) end
  return finish(status, { message = message }, headers)
end
function response.set_status(status)
  need_request("kong.response.set_status")
  if type(status) ~= "number" then error("code must be a number", 2) end
  cur.status = status
end
function response.get_status()
  return cur and (cur.status or 200) or 200
end
function response.set_header(name, value)
  need_request("kong.response.set_header")
  header_set(name, value)
end
response.add_header = response.set_header
function response.set_headers(t)
  need_request("kong.response.set_headers")
  for k, v in pairs(t) do header_set(k, v) end
end
function response.clear_header(name)
  need_request("kong.response.clear_header")
  cur.headers[name] = nil
end
function response.get_header(name)
  if not cur then return nil end
  for k, v in pairs(cur.headers) do
    if k:lower() == tostring(name):lower() then return v end
  end
end
function response.get_headers()
  local t = {}
  if cur then for k, v in pairs(cur.headers) do t[k:lower()] = v end end
  return t
end
kong.response = response

-- ngx's side of a response, swapped in for the time of a call
local function ngx_print(...)
  need_request("ngx.print")
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if type(v) == "table" then v = concat(v) end
    cur.parts[#cur.parts + 1] = tostring(v)
  end
  return 1
end
local function ngx_say(...)
  ngx_print(...)
  cur.parts[#cur.parts + 1] = "\n"
  return 1
end
local function ngx_exit(status)
  need_request("ngx.exit")
  if cur.exited then error(EXIT, 0) end
  if type(status) == "number" and status >= 200 then cur.status = status end
  cur.exited = true
  error(EXIT, 0)
end

---------------------------------------------------------------------------
-- 0.x responses (kong.tools.responses) and lapis.application
---------------------------------------------------------------------------
local STATUS = { HTTP_OK = 200, HTTP_CREATED = 201, HTTP_NO_CONTENT = 204,
                 HTTP_BAD_REQUEST = 400, HTTP_UNAUTHORIZED = 401, HTTP_FORBIDDEN = 403,
                 HTTP_NOT_FOUND = 404, HTTP_METHOD_NOT_ALLOWED = 405, HTTP_CONFLICT = 409,
                 HTTP_UNSUPPORTED_MEDIA_TYPE = 415, HTTP_INTERNAL_SERVER_ERROR = 500,
                 HTTP_SERVICE_UNAVAILABLE = 503 }
local DEFAULT_0x = { [204] = false, [404] = "Not found", [405] = "Method not allowed",
                     [500] = "An unexpected error occurred", [401] = "Unauthorized",
                     [403] = "Forbidden", [503] = "Service unavailable" }
local responses = { status_codes = STATUS }
-- responses.send(status, body, raw): a string body is { message = body },
-- nil the status's default message; 500 never shows its cause
function responses.send(status, body, raw)
  need_request("responses.send")
  if status == 204 then return finish(204) end
  if status == 500 then body = nil end
  if raw then return finish(status, body, { ["Content-Type"] = JSON_CT }) end
  if body == nil then body = DEFAULT_0x[status] end
  if type(body) == "string" then body = { message = body } end
  if body == nil or body == false then return finish(status) end
  return finish(status, body)
end
for name, status in pairs(STATUS) do
  responses["send_" .. name] = function(body, raw) return responses.send(status, body, raw) end
end

local function yield_error(err)
  error({ [YIELD] = true, err = err }, 0)
end
local lapis_application = { yield_error = yield_error }
function lapis_application.respond_to(t) return t end
function lapis_application.json_params(fn) return fn end

---------------------------------------------------------------------------
-- on_error: Kong's answers for an error handed to yield_error
---------------------------------------------------------------------------
local ERR_STATUS = { [1] = 400, [2] = 400, [3] = 409, [4] = 400, [5] = 409, [6] = 404,
                     [7] = 400, [8] = 500, [9] = 400, [10] = 405, [11] = 400, [12] = 400,
                     [13] = 400, [14] = 400 }

local function new_db_on_error(err)
  if type(err) ~= "table" then
    kong.log.err(tostring(err))
    return finish(500, { message = "An unexpected error occurred" })
  end
  err.strategy = nil
  local status = ERR_STATUS[err.code]
  if status and status ~= 500 then return finish(status, err) end
  kong.log.err(tostring(err.message or err))
  return finish(500, { message = "An unexpected error occurred" })
end

-- the errors of 0.5 (kong/dao/error.lua: [type] = true, message) and of
-- 0.8-0.14 (kong/dao/errors.lua: tbl, message); modern ones by code
local function old_on_error(err)
  if type(err) ~= "table" then return new_db_on_error(err) end
  if err.name and err.code then return new_db_on_error(err) end
  if err.db or err.database then
    kong.log.err(tostring(err.message))
    return finish(500, { message = "An unexpected error occurred" })
  end
  local body = err.tbl or err.message
  if type(body) == "string" then body = { message = body } end
  if err.unique then return finish(409, body) end
  if err.foreign then return finish(404, body or { message = "Not found" }) end
  return finish(400, body)
end

---------------------------------------------------------------------------
-- the request's `self`
---------------------------------------------------------------------------
-- request headers: names in any case
local function headers_of(h)
  local t = {}
  for k, v in pairs(h or {}) do t[k:lower()] = v end
  return setmetatable(t, { __index = function(tt, k)
    if type(k) == "string" then
      local l = k:lower():gsub("_", "-")
      return rawget(tt, l)
    end
  end })
end

local function copy(t)
  if type(t) ~= "table" then return t end
  local c = {}
  for k, v in pairs(t) do c[k] = copy(v) end
  return setmetatable(c, getmetatable(t))
end

local function build_url(self, path, opts)
  local u = self.req.parsed_url
  opts = opts or {}
  local host = opts.host or u.host or "localhost"
  local port = opts.port or u.port
  local scheme = opts.scheme or u.scheme or "http"
  local s = scheme .. "://" .. host
  if port and not ((scheme == "http" and tonumber(port) == 80)
                   or (scheme == "https" and tonumber(port) == 443)) then
    s = s .. ":" .. port
  end
  s = s .. (path or "")
  if opts.query and opts.query ~= "" then s = s .. "?" .. opts.query end
  if opts.fragment then s = s .. "#" .. opts.fragment end
  return s
end

local function new_self(req)
  local uri, post = req.uri or {}, req.post or {}
  local params = {}
  for k, v in pairs(uri) do params[k] = v end
  for k, v in pairs(post) do params[k] = v end
  for k, v in pairs(req.params or {}) do params[k] = v end
  local headers = headers_of(req.headers)
  return {
    params = params,
    args = { uri = copy(uri), post = copy(post) },
    json = req.json and copy(post) or nil,
    req = { method = req.method, headers = headers, cmd_url = req.path,
            parsed_url = { path = req.path, host = req.host, port = req.port,
                           scheme = req.scheme, query = req.query },
            params_get = uri, params_post = post },
    route_name = req.pattern,
    build_url = build_url,
    url_for = function(_, name) return name end,
  }
end

---------------------------------------------------------------------------
-- generated endpoints (parent(), kong.api.endpoints)
---------------------------------------------------------------------------
local generated_cb -- the C callback of the running request
local PARENTS = setmetatable({}, { __mode = "k" }) -- the parent() functions handed out

-- post_process(entity) on what a generated endpoint answered (an entity,
-- or each entity of a page)
local function post_processed(body, post_process)
  local v = cjson.decode(body)
  if type(v) ~= "table" then return body end
  if type(v.data) == "table" and (v.next ~= nil or v.offset ~= nil or #v.data > 0
                                  or next(v.data) == nil) and v.id == nil then
    for i, e in ipairs(v.data) do v.data[i] = post_process(e) end
    if #v.data == 0 then v.data = setmetatable({}, cjson.empty_array_mt) end
  else
    v = post_process(v)
  end
  return v
end

local function run_generated(self, desc, post_process)
  desc.params = self.params
  desc.uri = self.args.uri
  desc.post = self.args.post
  local status, body, headers = generated_cb(desc)
  if post_process and status and status < 300 and body and body ~= "" then
    body = post_processed(body, post_process)
  end
  for k, v in pairs(headers or {}) do
    if cur.headers[k] == nil then cur.headers[k] = v end
  end
  return finish(status, body ~= "" and body or nil)
end

local function schema_name(s) return type(s) == "table" and s.name or s end

local function generated_endpoint(kind, schema, foreign_schema, field, http)
  return function(self, _, _, post_process)
    -- a handler from these helpers mounted over a generated route is
    -- called with parent() fourth (1.x modules did not know of it): that
    -- is no post_process
    if type(post_process) ~= "function" or PARENTS[post_process] then post_process = nil end
    return run_generated(self, { kind = kind, schema = schema_name(schema),
                                 foreign_schema = schema_name(foreign_schema),
                                 field = field, method = http or self.req.method }, post_process)
  end
end

local endpoints = { handle_error = nil }
local function message_of(default, ...)
  local n = select("#", ...)
  local m
  if n == 1 then
    local a = ...
    if type(a) == "table" then m = a elseif a ~= nil then m = tostring(a) end
  elseif n > 1 then
    local parts = {}
    for i = 1, n do parts[i] = tostring((select(i, ...))) end
    m = concat(parts)
  end
  m = m or default
  if type(m) == "string" then m = { message = m } end
  return m
end
endpoints.ok = function(...) return response.exit(200, message_of(nil, ...)) end
endpoints.created = function(...) return response.exit(201, message_of(nil, ...)) end
endpoints.no_content = function() return response.exit(204) end
endpoints.not_found = function(...) return response.exit(404, message_of("Not found", ...)) end
endpoints.method_not_allowed = function(...)
  return response.exit(405, message_of("Method not allowed", ...))
end
endpoints.unexpected = function(...)
  return response.exit(500, message_of("An unexpected error occurred", ...))
end
function endpoints.handle_error(err_t)
  if type(err_t) ~= "table" then
    kong.log.err(tostring(err_t))
    return endpoints.unexpected()
  end
  return new_db_on_error(err_t)
end
function endpoints.get_page_size(args)
  local size = args and args.size
  if size ~= nil then
    size = tonumber(size)
    if size == nil then return nil, "size must be a number" end
    return size
  end
end
-- (db, args, schema, context) since 2.x, (args, schema, context) in 1.x
function endpoints.extract_options(a, b, c, d)
  local args, schema, context = b, c, d
  if d == nil and type(c) == "string" then args, schema, context = a, b, c end
  local opts = { nulls = true }
  if type(args) == "table" and type(schema) == "table" and context then
    if schema.ttl == true and args.ttl ~= nil
       and (context == "insert" or context == "update" or context == "upsert") then
      opts.ttl = tonumber(args.ttl) or args.ttl
      args.ttl = nil
    end
    if schema.fields and schema.fields.tags and args.tags ~= nil and context == "page" then
      local tags = type(args.tags) == "table" and args.tags[1] or args.tags
      if type(tags) == "string" and tags:find(",", 1, true) then
        opts.tags_cond = "and"
      elseif type(tags) == "string" and tags:find("/", 1, true) then
        opts.tags_cond = "or"
      end
      local list = {}
      for t in tostring(tags):gmatch("[^,/]+") do list[#list + 1] = t end
      opts.tags = list
      args.tags = nil
    end
  end
  return opts
end

local function is_uuid(s)
  return type(s) == "string"
    and s:match("^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$")
    ~= nil
end

-- endpoints.select_entity / update / upsert / delete / insert / page, on
-- self.params[schema.name] as Kong's query_entity reads it
local function query_entity(context, self, db, schema, method)
  db = (type(db) == "table" and db[schema.name]) and db or kong.db
  local is_insert, is_update = context == "insert", context == "update" or context == "upsert"
  local args = (is_insert or is_update) and self.args.post or self.args.uri
  local opts = endpoints.extract_options(db, args, schema, context)
  local dao = db[schema.name]
  if is_insert then return dao[method or context](dao, args, opts) end
  if context == "page" then
    local size, err = endpoints.get_page_size(args)
    if err then return nil, err, dao.errors and dao.errors:invalid_size(err) end
    if not method then return dao:page(size, args.offset, opts) end
    return dao[method](dao, self.params[schema.name], size, args.offset, opts)
  end
  local key = self.params[schema.name]
  if key ~= nil and type(key) ~= "table" then
    key = { id = type(key) == "string" and ngx.unescape_uri(key) or key }
  end
  if key and key.id and not is_uuid(key.id) and schema.endpoint_key then
    local ek = schema.endpoint_key
    local f = schema.fields and schema.fields[ek]
    local v = key.id
    if f and (f.type == "integer" or f.type == "number") then v = tonumber(v) or v end
    if is_update then return dao[method or context .. "_by_" .. ek](dao, v, args, opts) end
    return dao[method or context .. "_by_" .. ek](dao, v, opts)
  end
  if is_update then return dao[method or context](dao, key, args, opts) end
  return dao[method or context](dao, key, opts)
end
for _, c in ipairs({ "select", "update", "upsert", "delete", "insert" }) do
  endpoints[c .. "_entity"] = function(...) return query_entity(c, ...) end
end
endpoints.page_collection = function(...) return query_entity("page", ...) end

function endpoints.get_collection_endpoint(schema, foreign_schema, field, method)
  return generated_endpoint(foreign_schema and "nested_collection" or "collection", schema,
                            foreign_schema, field, "GET")
end
function endpoints.post_collection_endpoint(schema, foreign_schema, field, method)
  return generated_endpoint(foreign_schema and "nested_collection" or "collection", schema,
                            foreign_schema, field, "POST")
end
-- with a foreign schema: /S/:s/F or /P/:p/S/:s, the C side telling them
-- apart by which schema holds the field (1.x and 3.x order them apart)
for _, m in ipairs({ "get", "put", "patch", "delete" }) do
  endpoints[m .. "_entity_endpoint"] = function(schema, foreign_schema, field)
    return generated_endpoint("entity", schema, foreign_schema, field, m:upper())
  end
end
function endpoints.new(_, routes) return routes or {} end
function endpoints.disable() return response.exit(405, { message = "Method not allowed" }) end

-- ngx.encode_args as OpenResty's: keys in order, values escaped, true a
-- bare key, an array one pair per element
if not ngx.encode_args then
  ngx.encode_args = function(t)
    local keys, parts = {}, {}
    for k in pairs(t) do keys[#keys + 1] = tostring(k) end
    sort(keys)
    for _, k in ipairs(keys) do
      local v = t[k]
      if v == nil then v = t[tonumber(k)] end
      local vs = type(v) == "table" and v or { v }
      for _, x in ipairs(vs) do
        if x == true then parts[#parts + 1] = ngx.escape_uri(k)
        elseif x ~= false then
          parts[#parts + 1] = ngx.escape_uri(k) .. "=" .. ngx.escape_uri(tostring(x))
        end
      end
    end
    return concat(parts, "&")
  end
end

---------------------------------------------------------------------------
-- 0.x crud_helpers, over the dao factory the handler was given
---------------------------------------------------------------------------
local crud = {}
local function find_rows(dao, filter)
  if dao.find_all then return dao:find_all(filter) end
  return dao:find_by_keys(filter)
end
function crud.find_by_id_or_field(dao, filter, value, alternate)
  filter = filter or {}
  local uuid = is_uuid(value)
  filter[uuid and "id" or alternate] = value
  local rows, err = find_rows(dao, filter)
  if err then return nil, err end
  if uuid and not next(rows) then
    filter.id = nil
    filter[alternate] = value
    rows, err = find_rows(dao, filter)
    if err then return nil, err end
  end
  return rows
end
local function finder(entity, param, field, slot)
  return function(self, dao_factory, helpers)
    local rows, err = crud.find_by_id_or_field(dao_factory[entity], {}, self.params[param], field)
    if err then return yield_error(err) end
    self.params[param] = nil
    self[slot] = rows[1]
    if not self[slot] then return responses.send_HTTP_NOT_FOUND() end
  end
end
crud.find_consumer_by_username_or_id = finder("consumers", "username_or_id", "username", "consumer")
crud.find_api_by_name_or_id = finder("apis", "api_name_or_id", "name", "api")
crud.find_upstream_by_name_or_id = finder("upstreams", "upstream_name_or_id", "name", "upstream")
crud.find_target_by_target_or_id = finder("targets", "target_or_id", "target", "target")
function crud.find_plugin_by_filter(self, dao_factory, filter)
  local rows, err = find_rows(dao_factory.plugins, filter)
  if err then return yield_error(err) end
  self.plugin = rows[1]
  if not self.plugin then return responses.send_HTTP_NOT_FOUND() end
end

local function post_row(row, post_process)
  return type(post_process) == "function" and post_process(row) or row
end

function crud.paginated_set(self, dao, post_process)
  local size = self.params.size and tonumber(self.params.size) or 100
  local offset = self.params.offset and ngx.decode_base64(self.params.offset) or nil
  self.params.size, self.params.offset = nil, nil
  local filter = next(self.params) and self.params or nil
  local rows, err, next_offset, total
  -- an entity of a Kong 0.5 plugin (a BaseDao class), in either factory,
  -- gets 0.5's page: { data, next } only
  local v05 = dao.__daoc_base_dao or dao.__daoc_v05 or not dao.find_page
  if not v05 then
    rows, err, next_offset = dao:find_page(filter, offset, size)
    if err then return yield_error(err) end
    total, err = dao:count(filter)
    if err then return yield_error(err) end
  else
    rows, err = dao:find_by_keys(filter or {}, size, offset)
    if err then return yield_error(err) end
    next_offset = rows.next_page
    rows.next_page = nil
  end
  local data = {}
  for i, row in ipairs(rows) do data[i] = post_row(row, post_process) end
  setmetatable(data, cjson.empty_array_mt)
  local next_url
  if next_offset then
    next_offset = ngx.encode_base64(tostring(next_offset))
    next_url = self:build_url(self.req.parsed_url.path, {
      port = self.req.parsed_url.port,
      query = ngx.encode_args({ offset = next_offset, size = size }) })
  end
  return responses.send_HTTP_OK({ data = data, total = total,
                                  offset = not v05 and next_offset or nil, ["next"] = next_url })
end
function crud.get(primary_keys, dao, post_process)
  local row, err = dao:find(primary_keys)
  if err then return yield_error(err) end
  if row == nil then return responses.send_HTTP_NOT_FOUND() end
  return responses.send_HTTP_OK(post_row(row, post_process))
end
function crud.post(params, dao, post_process)
  local row, err = dao:insert(params)
  if err then return yield_error(err) end
  if type(post_process) == "function" then post_process(copy(row)) end
  return responses.send_HTTP_CREATED(row)
end
-- patch(params, dao, filter_keys) in 0.8-0.14, patch(params, old_entity, dao) in 0.5
function crud.patch(params, a, b, post_process)
  local dao, filter
  if type(a) == "table" and (a.find_all or a.find_by_keys) then dao, filter = a, b
  else dao, filter = b, a end
  if not next(params) then return responses.send_HTTP_BAD_REQUEST("empty body") end
  local row, err
  if dao.find_all then
    row, err = dao:update(params, filter)
  else
    local merged = copy(filter)
    for k, v in pairs(params) do merged[k] = v end
    row, err = dao:update(merged)
  end
  if err then return yield_error(err) end
  if row == nil then return responses.send_HTTP_NOT_FOUND() end
  return responses.send_HTTP_OK(post_row(row, post_process))
end
function crud.put(params, dao, post_process)
  local pk = {}
  local has_pk = params.id ~= nil
  local row, err
  if has_pk then
    pk.id = params.id
    local found
    if dao.find_all then found, err = dao:find(pk) else found, err = dao:find_by_primary_key(pk) end
    if err then return yield_error(err) end
    if found then
      if dao.find_all then row, err = dao:update(params, pk, { full = true })
      else row, err = dao:update(params, true) end
      if err then return yield_error(err) end
      if row == nil then return responses.send_HTTP_NOT_FOUND() end
      return responses.send_HTTP_OK(post_row(row, post_process))
    end
  end
  row, err = dao:insert(params)
  if err then return yield_error(err) end
  return responses.send_HTTP_CREATED(post_row(row, post_process))
end
function crud.delete(primary_keys, dao)
  local ok, err = dao:delete(primary_keys)
  if not ok then
    if err then return yield_error(err) end
    return responses.send_HTTP_NOT_FOUND()
  end
  return responses.send_HTTP_NO_CONTENT()
end

---------------------------------------------------------------------------
-- the dao factory of 0.x handlers: 0.5's names from the 0.5 view,
-- 0.8-0.14's from kong.dao's; update/find by their arguments
---------------------------------------------------------------------------
local ONLY_05 = { find_by_keys = true, find_by_primary_key = true, count_by_keys = true }
local factory_cache = setmetatable({}, { __mode = "k" })
local old_factory = setmetatable({}, { __index = function(_, name)
  local v14, v05 = kong.dao and kong.dao[name], dao05 and dao05[name]
  if v14 == nil and v05 == nil then return nil end
  local key = v14 or v05
  local view = factory_cache[key]
  if view then return view end
  view = setmetatable({}, { __index = function(_, m)
    if ONLY_05[m] and v05 then
      return function(_, ...) return v05[m](v05, ...) end
    end
    if (m == "update" or m == "find") and v05 then
      return function(_, a, b, ...)
        local use05 = (m == "update" and type(b) ~= "table" and (b ~= nil or not v14))
                      or (m == "find" and type(a) ~= "table")
        local d = (use05 or not v14) and v05 or v14
        return d[m](d, a, b, ...)
      end
    end
    local d = v14 or v05
    local f = d[m]
    if type(f) == "function" then return function(_, ...) return f(d, ...) end end
    return f
  end })
  factory_cache[key] = view
  return view
end })

---------------------------------------------------------------------------
-- loading the modules
---------------------------------------------------------------------------
local routes = {}   -- the list load() answered
local loaded_for = nil

for name, mod in pairs({ ["kong.api.endpoints"] = endpoints, ["kong.api.crud_helpers"] = crud,
                         ["kong.tools.responses"] = responses,
                         ["lapis.application"] = lapis_application }) do
  sandbox_preload[name] = function() return mod end
end

local function is_new(mod)
  for _, verbs in pairs(mod) do
    if type(verbs) == "table" and verbs.schema ~= nil then return true end
  end
  return false
end

local function load(plugins, exists)
  if loaded_for then return routes end
  local list = {}
  for _, p in ipairs(plugins) do
    local name = "kong.plugins." .. p .. ".api"
    local ok, mod = true, nil
    if exists(name) then
      ok, mod = pcall(require, name)
      if ok and type(mod) ~= "table" then
        ok, mod = false, fmt("%s must return a table of routes, got %s", name, type(mod))
      end
      if not ok then -- the plugin's other routes and everything else still serve
        kong.log.err("plugin '", p, "': its Admin API routes (", name, ") are not mounted: ",
                     tostring(mod))
      end
    end
    if ok and mod then
      local new = is_new(mod)
      local paths = {}
      for path, verbs in pairs(mod) do
        if type(path) == "string" and type(verbs) == "table" then paths[#paths + 1] = path end
      end
      sort(paths)
      for _, path in ipairs(paths) do
        local verbs = mod[path]
        local handlers = new and type(verbs.methods) == "table" and verbs.methods or verbs
        local methods = {}
        for m, h in pairs(handlers) do
          if HTTP[m] and type(h) == "function" then methods[#methods + 1] = m end
        end
        sort(methods)
        local schema = new and verbs.schema or nil
        list[#list + 1] = {
          plugin = p, path = path, methods = methods,
          before = type(handlers.before) == "function",
          schema = type(schema) == "table" and schema.name or nil,
          new = new,
          -- kept on the Lua side only
          handlers = handlers, on_error = handlers.on_error,
        }
      end
    end
  end
  routes, loaded_for = list, true
  return routes
end

---------------------------------------------------------------------------
-- one request
---------------------------------------------------------------------------
local saved = {}
local function swap_in()
  saved.print, saved.say, saved.exit, saved.header, saved.status =
    ngx.print, ngx.say, ngx.exit, ngx.header, ngx.status
  ngx.print, ngx.say, ngx.exit, ngx.header, ngx.status = ngx_print, ngx_say, ngx_exit, {}, 0
end
local function swap_out()
  local hdr, st = ngx.header, ngx.status
  ngx.print, ngx.say, ngx.exit, ngx.header, ngx.status =
    saved.print, saved.say, saved.exit, saved.header, saved.status
  return hdr, st
end

local helpers_new = { yield_error = yield_error }
local helpers_old = { yield_error = yield_error, responses = responses }

local function run(r, self)
  local h = r.handlers
  local method = self.req.method
  local fn = h[method] or (method == "HEAD" and h.GET) or nil
  local parent
  if r.new then
    if self.has_parent then -- the route overrides a generated one
      parent = function(post_process)
        if type(post_process) ~= "function" then post_process = nil end
        return run_generated(self, { kind = "parent", method = method }, post_process)
      end
      PARENTS[parent] = true
    end
    if h.before then h.before(self, kong.db, helpers_new, parent) end
    if fn then return fn(self, kong.db, helpers_new, parent) end
    if parent then return parent() end
    return response.exit(405, { message = "Method not allowed" })
  end
  if h.before then h.before(self, old_factory, helpers_old) end
  if fn then return fn(self, old_factory, helpers_old) end
  return response.exit(405, { message = "Method not allowed" })
end

local function call(i, req, generated)
  local r = routes[i + 1]
  if not r then error("no plugin route " .. tostring(i), 0) end
  local self = new_self(req)
  self.has_parent = req.has_parent == true
  cur = { headers = {}, parts = {} }
  generated_cb = generated
  swap_in()
  local ok, res, err = pcall(run, r, self)
  if not ok and type(res) == "table" and res[YIELD] then
    self.errors = { res.err }
    local handler = r.on_error
    ok, res = pcall(function()
      if handler then handler(self) end
      if r.new then return new_db_on_error(res.err) end
      return old_on_error(res.err)
    end)
  end
  local hdr, st = swap_out()
  local c = cur
  cur, generated_cb = nil, nil
  if not ok and res ~= EXIT then
    kong.log.err("plugin '", r.plugin, "' Admin API route ", r.path, ": ", tostring(res))
    return 500, '{"message":"An unexpected error occurred"}', { ["Content-Type"] = JSON_CT }
  end
  if ok and err ~= nil and not c.exited then
    kong.log.err("plugin '", r.plugin, "' Admin API route ", r.path, ": ", tostring(err))
    return 500, '{"message":"An unexpected error occurred"}', { ["Content-Type"] = JSON_CT }
  end
  for k, v in pairs(hdr) do
    if c.headers[k] == nil then c.headers[k] = type(v) == "table" and concat(v, ", ") or v end
  end
  local status = c.status or (type(st) == "number" and st >= 200 and st) or 200
  if ok and type(res) == "table" and not c.exited then -- a lapis-style answer
    if res.status then status = res.status end
    if res.json ~= nil then
      c.parts = { cjson.encode(res.json) }
      c.headers["Content-Type"] = JSON_CT
    end
  end
  return status, concat(c.parts), c.headers
end

return { load = load, call = call }
