-- The DAO and kong.db against Kong's documented behaviour: the items of
-- kong-schema-dao.md section 9 that apply to the entities daoc has
-- (consumers and plugin entities; services/routes are modelled by the
-- `audit` fixture plugin), plus sections 4.2-4.3, 5.2, 5.3, 5.5 and 5.7.
--
-- Every expectation was checked against Kong's code (kong/db/dao/init.lua,
-- kong/db/errors.lua, kong/db/schema/init.lua, kong/db/iteration.lua at
-- 22246ef2).  Where the code and the reference summary differ, the code wins
-- and a "Kong code:" comment says so.
local t = require "t"
local cjson = require "cjson"
local null = ngx.null

local db = kong.db
local foos, ttls = db.audit_foos, db.audit_ttls
local shapes, services, routes = db.audit_shapes, db.audit_services, db.audit_routes
local ufs, urefs = db.unique_foreigns, db.unique_references
local U = "11111111-2222-4333-8444-555555555555"

local function nvals(...) return select("#", ...) end

-- ---- 4.2 err_t tables ---------------------------------------------------

t.test("err_t: code, name, message, strategy, fields; tostring(err_t) == err", function()
  local v, err, err_t = services:insert({})
  t.is_nil(v)
  t.eq(err, t.P .. "schema violation (host: required field missing)")
  t.same(err_t, { code = 2, name = "schema violation", strategy = t.STRATEGY,
                  message = "schema violation (host: required field missing)",
                  fields = { host = "required field missing" } })
  t.eq(tostring(err_t), err)
  t.eq(getmetatable(err_t) ~= nil, true)
  t.eq(nvals(services:insert({})), 3)
end)

-- ---- 27: message assembly -------------------------------------------------

t.test("27: several schema violations: @entity first, then sorted fields, sub-keys dotted", function()
  local _, err, err_t = shapes:insert({
    count = 1.5, ratio = "x", label = 1, rec = { b = "x" }, consumer = { id = "bad" },
  })
  t.eq(err_t.code, 2)
  t.eq(err, t.P .. "5 schema violations (consumer.id: expected a valid UUID; "
            .. "count: expected an integer; label: expected a string; "
            .. "ratio: expected a number; rec.b: expected an integer)")
  t.same(err_t.fields, { consumer = { id = "expected a valid UUID" },
                         count = "expected an integer", label = "expected a string",
                         ratio = "expected a number", rec = { b = "expected an integer" } })
  local _, err2 = routes:insert({ paths = null, service = { id = "bad" } })
  t.eq(err2, t.P .. "2 schema violations (at least one of these fields must be non-empty: "
             .. "'paths', 'name'; service.id: expected a valid UUID)")
end)

t.test("27: invalid offset has no fields key", function()
  local _, err, err_t = services:page(1, "bad offset")
  t.eq(err, t.P .. "'bad offset' is not a valid offset: bad base64 encoding")
  t.same(err_t, { code = 7, name = "invalid offset", strategy = t.STRATEGY,
                  message = "'bad offset' is not a valid offset: bad base64 encoding" })
end)

t.test("27: errors nested two levels deep are rendered by pl.pretty.write(value)", function()
  -- Kong code: schema_violation formats a table-valued sub-field error with
  -- pl_pretty(value), Penlight's multi-line default (two-space indent)
  local _, err, err_t = db.audit_nested:insert({
    nested = { inner = { x = 1, y = "a" }, items = { "a", 2 } } })
  t.eq(err, t.P .. "2 schema violations (nested.inner: {\n  x = \"expected a string\",\n"
            .. "  y = \"expected an integer\"\n}; nested.items: {\n  [2] = \"expected a string\"\n})")
  t.eq(err_t.fields.nested.items[2], "expected a string")
end)

-- ---- 28: cache_key of the 04-dao_spec "Foo" schema; ttl with nulls ---------

t.test("28: composite cache_key: null/nil parts are empty, all empty falls back to the pk", function()
  t.eq(foos:cache_key({ a = 42, b = "foo", u = null }), "audit_foos:foo:::::")
  t.eq(foos:cache_key({ a = 42, b = "foo" }), "audit_foos:foo:::::")
  t.eq(foos:cache_key({ a = 42 }), "audit_foos:42:::::")
  t.eq(foos:cache_key({ a = 42, u = "x" }), "audit_foos::x::::")
end)

t.test("28: a null ttl is returned only with nulls = true", function()
  assert(ttls:insert({ a = 1 }))
  t.eq(ttls:select({ a = 1 }, { nulls = true }).ttl, null)
  t.is_nil(ttls:select({ a = 1 }).ttl)
  local row = ttls:select({ a = 1 })
  t.same(row, { a = 1 })
end)

-- ---- 29: programming errors ------------------------------------------------

t.test("29: raised errors", function()
  t.raises(function() services:page("") end, "size must be a number")
  t.raises(function() services:page(nil, 0) end, "offset must be a string")
  t.raises(function() services:select() end, "primary_key must be a table")
  t.raises(function() services:insert({}, "x") end, "options must be a table when specified")
  t.raises(function() services:each({}) end, "size must be a number")
  t.raises(function() routes:page_for_service({ id = U }, nil, 1) end, "offset must be a string")
  t.raises(function() routes:each_for_service({ id = U }, "1") end, "size must be a number")
  t.raises(function() routes:page_for_service({ id = U }, nil, nil, 1) end,
           "options must be a table when specified")
  t.raises(function() services:update({ id = U }, "x") end, "entity must be a table")
  t.raises(function() services:upsert_by_name("x", nil) end, "entity must be a table")
  t.raises(function() services:cache_key(1) end, "key must be a string or an entity table")
  t.raises(function() services:select_by_cache_key("x") end,
           "entity does not have a cache_key defined")
end)

-- ---- 30, 31: options and sizes ---------------------------------------------

t.test("30: pagination option violations", function()
  local _, err, err_t = services:page(nil, nil, { pagination = { page_size = 0, max_page_size = 0 } })
  t.eq(err, t.P .. "2 option violations (pagination.max_page_size: must be an integer "
            .. "greater than 0; pagination.page_size: must be an integer between 1 and 50000)")
  t.eq(err_t.code, 11)
  t.eq(err_t.name, "invalid options")
  t.same(err_t.options, { pagination = { max_page_size = "must be an integer greater than 0",
                                         page_size = "must be an integer between 1 and 50000" } })
  t.is_nil(err_t.fields)
end)

t.test("31: empty page, 10 rows, bad size, bad offset", function()
  local rows, err, err_t, offset = urefs:page()
  t.is_nil(err); t.is_nil(err_t); t.is_nil(offset)
  t.eq(cjson.encode(rows), "[]")
  for i = 1, 10 do assert(foos:insert({ a = i, b = "b" .. i })) end
  local p1, _, _, off1 = foos:page(5)
  t.eq(#p1, 5)
  t.eq(type(off1), "string")
  local p2, e2, et2, off2 = foos:page(5, off1)
  t.eq(#p2, 5); t.is_nil(e2); t.is_nil(et2); t.is_nil(off2)
  t.eq(nvals(foos:page(5, off1)), 4)
  local _, err3, err_t3 = foos:page(5.5)
  t.eq(err3, t.P .. "size must be an integer between 1 and 50000")
  t.same(err_t3, { code = 9, name = "invalid size", strategy = t.STRATEGY,
                   message = "size must be an integer between 1 and 50000" })
  local _, err4, err_t4 = foos:page(3, "hello")
  t.eq(err4, t.P .. "'hello' is not a valid offset: bad base64 encoding")
  t.eq(err_t4.code, 7)
  local _, err5 = foos:page(3, ngx.encode_base64("not json", true))
  t.eq(err5, t.P .. "'" .. ngx.encode_base64("not json", true)
             .. "' is not a valid offset: bad json encoding")
end)

-- ---- 32: each ---------------------------------------------------------------

t.test("32: each(10) over 50 rows yields pages 1..5; each() is one page", function()
  for i = 11, 50 do assert(foos:insert({ a = i })) end
  local n, pages = 0, {}
  for row, err, page in foos:each(10) do
    t.is_nil(err)
    t.is_table(row)
    n = n + 1
    pages[page] = (pages[page] or 0) + 1
  end
  t.eq(n, 50)
  t.same(pages, { 10, 10, 10, 10, 10 })
  local last
  for _, _, page in foos:each() do last = page end
  t.eq(last, 1)
end)

t.test("5.2: each with bad size/options returns nil, err, err_t", function()
  local it, err, err_t = foos:each(0)
  t.is_nil(it)
  t.eq(err, t.P .. "size must be an integer between 1 and 50000")
  t.eq(err_t.code, 9)
  local it2, err2 = foos:each(10, { skip_ttl = "yes" })
  t.is_nil(it2)
  t.eq(err2, t.P .. "invalid option (skip_ttl: must be a boolean)")
end)

t.test("5.2: each_for_<f> with an invalid foreign key fails once (code 1)", function()
  -- Kong code: validate_pagination_method reports a bad foreign key with
  -- errors:invalid_primary_key (code 1), not invalid_foreign_key.
  local iter = routes:each_for_service({ id = "bad" })
  local ok, err, err_t = iter()
  t.eq(ok, false)
  t.eq(err, t.P .. "invalid primary key: '{id=\"expected a valid UUID\"}'")
  t.eq(err_t.code, 1)
  t.is_nil(iter())
end)

t.test("page_for_<f> with an invalid foreign key: code 1", function()
  local rows, err, err_t = routes:page_for_service({ id = "bad" })
  t.is_nil(rows)
  t.eq(err, t.P .. "invalid primary key: '{id=\"expected a valid UUID\"}'")
  t.same(err_t.fields, { id = "expected a valid UUID" })
  t.eq(err_t.name, "invalid primary key")
  -- the foreign key is checked before the size
  local _, _, err_t2 = routes:page_for_service({ id = "bad" }, 0)
  t.eq(err_t2.code, 1)
  local _, _, err_t3 = routes:page_for_service({ id = U }, 0)
  t.eq(err_t3.code, 9)
end)

-- ---- 33, 34, 37: inserts -----------------------------------------------------

t.test("33: insert({}) with an entity check", function()
  local _, err, err_t = routes:insert({})
  t.eq(err_t.code, 2)
  t.eq(err, t.P .. "schema violation (at least one of these fields must be non-empty: "
            .. "'paths', 'name')")
  t.same(err_t.fields, { ["@entity"] = {
    "at least one of these fields must be non-empty: 'paths', 'name'" } })
end)

local svc
t.test("34: foreign without its primary key; unknown foreign id", function()
  svc = assert(services:insert({ name = "my_service_name", host = "example.com" }))
  local _, err, err_t = routes:insert({ name = "r0", service = { host = "x" } })
  t.eq(err, t.P .. "schema violation (service.id: missing primary key)")
  t.same(err_t.fields, { service = { id = "missing primary key" } })
  local _, err2, err_t2 = routes:insert({ name = "r0", service = { id = U } })
  t.eq(err2, t.P .. "the foreign key '{id=\"" .. U
             .. "\"}' does not reference an existing 'audit_services' entity.")
  t.same(err_t2, { code = 4, name = "foreign key violation", strategy = t.STRATEGY,
                   message = "the foreign key '{id=\"" .. U
                             .. "\"}' does not reference an existing 'audit_services' entity.",
                   fields = { service = { id = U } } })
end)

t.test("37: null fields are absent without nulls; required field missing", function()
  t.is_nil(svc.protocols)
  t.is_nil(svc.tags)
  t.eq(svc.port, 80)
  local _, err = services:insert({ name = "nohost" })
  t.eq(err, t.P .. "schema violation (host: required field missing)")
end)

-- ---- 38, 39, 40: updates -----------------------------------------------------

t.test("38: element errors, not found by pk and by field", function()
  local _, err, err_t = services:update(svc, { protocols = { "http", 123 } })
  t.eq(err, t.P .. "schema violation (protocols.2: expected a string)")
  t.same(err_t.fields, { protocols = { [2] = "expected a string" } })
  local _, err2, err_t2 = services:update({ id = U }, { host = "h" })
  t.eq(err2, t.P .. "could not find the entity with primary key '{id=\"" .. U .. "\"}'")
  t.same(err_t2, { code = 6, name = "not found", strategy = t.STRATEGY,
                   message = "could not find the entity with primary key '{id=\"" .. U .. "\"}'",
                   fields = { id = U } })
  local _, err3, err_t3 = services:update_by_name("inexisting-service", { host = "h" })
  t.eq(err3, t.P .. "could not find the entity with '{name=\"inexisting-service\"}'")
  t.same(err_t3.fields, { name = "inexisting-service" })
end)

t.test("39: update: entity check wording and several violations", function()
  local r = assert(routes:insert({ name = "r39", paths = { "/" } }))
  local _, err, err_t = routes:update(r, { paths = null, name = null, service = { id = "bad" } })
  t.eq(err, t.P .. "2 schema violations (when updating, at least one of these fields must "
            .. "be non-empty: 'paths', 'name'; service.id: expected a valid UUID)")
  t.same(err_t.fields["@entity"], {
    "when updating, at least one of these fields must be non-empty: 'paths', 'name'" })
end)

t.test("40: unique violation on insert and update", function()
  local _, err, err_t = services:insert({ name = "my_service_name", host = "h" })
  t.eq(err, t.P .. "UNIQUE violation detected on '{name=\"my_service_name\"}'")
  t.same(err_t, { code = 5, name = "unique constraint violation", strategy = t.STRATEGY,
                  message = "UNIQUE violation detected on '{name=\"my_service_name\"}'",
                  fields = { name = "my_service_name" } })
  local other = assert(services:insert({ name = "other", host = "h" }))
  local _, err2, err_t2 = services:update(other, { name = "my_service_name" })
  t.eq(err2, t.P .. "UNIQUE violation detected on '{name=\"my_service_name\"}'")
  t.eq(err_t2.code, 5)
end)

-- ---- 42, 43: delete, select_by, page_for --------------------------------------

t.test("42: delete of a missing row is true, nil, nil; restrict", function()
  t.eq(nvals(services:delete({ id = U })), 1)
  t.eq(services:delete({ id = U }), true)
  local ok, err, err_t = services:delete_by_name("nobody")
  t.eq(ok, true); t.is_nil(err); t.is_nil(err_t)
  local s = assert(services:insert({ name = "restricted", host = "h" }))
  assert(routes:insert({ name = "r42", service = { id = s.id } }))
  local _, err2, err_t2 = services:delete(s)
  t.eq(err2, t.P .. "an existing 'audit_routes' entity references this 'audit_services' entity")
  t.same(err_t2.fields, { ["@referenced_by"] = "audit_routes" })
  t.eq(err_t2.code, 4)
  local _, err3 = services:delete_by_name("restricted")
  t.eq(err3, err2)
end)

t.test("43: select_by type errors, page_for type errors, detaching a foreign key", function()
  t.raises(function() services:select_by_name(123) end, "name must be a string")
  t.raises(function() services:delete_by_name({}) end, "name must be a string")
  t.raises(function() routes:page_for_service(nil) end, "foreign_key must be a table")
  t.raises(function() routes:each_for_service("x") end, "foreign_key must be a table")
  local s = assert(services:insert({ name = "s43", host = "h" }))
  local r = assert(routes:insert({ name = "r43", service = { id = s.id } }))
  t.same(r.service, { id = s.id })
  local r2, err = routes:update(r, { service = null })
  t.is_nil(err)
  t.is_nil(r2.service)
  t.eq(routes:select(r, { nulls = true }).service, null)
end)

t.test("select_by_<unique>: invalid values (code 10), global query (code 18)", function()
  local _, err, err_t = services:select_by_name("")
  t.eq(err, t.P .. "length must be at least 1")
  t.same(err_t, { code = 10, name = "invalid unique name", strategy = t.STRATEGY,
                  message = "length must be at least 1" })
  -- Kong code: validate_unique_row_method refuses workspace = null for a
  -- field that is not unique_across_ws, before validating the value
  local _, err2, err_t2 = db.consumers:select_by_username("x", { workspace = null })
  t.eq(err2, t.P .. "unique key username is invalid for global query")
  t.same(err_t2, { code = 18, name = "invalid global query", strategy = t.STRATEGY,
                   message = "unique key username is invalid for global query" })
  local _, _, err_t3 = db.consumers:delete_by_username("", { workspace = null })
  t.eq(err_t3.code, 18)
end)

-- ---- 44: unique foreign (10-db_unique_foreign_spec.lua) -------------------------

t.test("44: unique foreign fields", function()
  local f, r = {}, {}
  for i = 1, 3 do
    f[i] = assert(ufs:insert({ name = "unique_" .. i }))
    r[i] = assert(urefs:insert({ note = "note_" .. i, unique_foreign = { id = f[i].id } }))
  end
  t.raises(function() urefs:select_by_unique_foreign(123) end, "unique_foreign must be a table")
  t.raises(function() urefs:update_by_unique_foreign(123) end, "unique_foreign must be a table")
  t.raises(function() urefs:upsert_by_unique_foreign(123) end, "unique_foreign must be a table")
  t.raises(function() urefs:delete_by_unique_foreign(123) end, "unique_foreign must be a table")
  -- the whole foreign entity can be passed as the key
  t.same(urefs:select_by_unique_foreign(f[1]), r[1])
  t.is_nil(urefs:select_by_unique_foreign({ id = U }))
  local _, err, err_t = urefs:update_by_unique_foreign(f[1], { note = 123 })
  t.eq(err, t.P .. "schema violation (note: expected a string)")
  t.same(err_t.fields, { note = "expected a string" })
  local _, err2, err_t2 = urefs:update_by_unique_foreign({ id = U }, { note = "hello" })
  t.eq(err2, t.P .. "could not find the entity with '{unique_foreign={id=\"" .. U .. "\"}}'")
  t.eq(err_t2.code, 6)
  local _, err3, err_t3 = urefs:update_by_unique_foreign(f[1], { unique_foreign = { id = f[2].id } })
  t.eq(err3, t.P .. "UNIQUE violation detected on '{unique_foreign={id=\"" .. f[2].id .. "\"}}'")
  t.same(err_t3.fields, { unique_foreign = { id = f[2].id } })
  local _, err4, err_t4 = urefs:upsert_by_unique_foreign({ id = U }, { note = "hello" })
  t.eq(err4, t.P .. "the foreign key '{id=\"" .. U
             .. "\"}' does not reference an existing 'unique_foreigns' entity.")
  t.eq(err_t4.code, 4)
  local up = assert(urefs:upsert_by_unique_foreign(f[1], { unique_foreign = { id = f[2].id } }))
  t.eq(up.unique_foreign.id, f[1].id)
  local _, _, err_t5 = urefs:update(r[1], { unique_foreign = { id = f[2].id } })
  t.eq(err_t5.code, 5)
  local _, _, err_t6 = urefs:select_by_unique_foreign({ id = "bad" })
  t.eq(err_t6.code, 16)
  t.eq(err_t6.message, "invalid foreign key: '{id=\"expected a valid UUID\"}'")
  t.eq(urefs:delete_by_unique_foreign({ id = U }), true)
  t.eq(urefs:delete_by_unique_foreign(f[3]), true)
  t.is_nil(urefs:select(r[3]))
end)

-- ---- 46: tags ------------------------------------------------------------------

t.test("46: tags filters", function()
  assert(services:insert({ name = "p1", host = "h", tags = { "paging", "team_paging_1" } }))
  assert(services:insert({ name = "p2", host = "h", tags = { "paging" } }))
  assert(services:insert({ name = "p3", host = "h", tags = { "team_paging_1" } }))
  local function names(rows)
    local out = {}
    for _, row in ipairs(rows) do out[#out + 1] = row.name end
    table.sort(out)
    return out
  end
  t.same(names(services:page(nil, nil, { tags = { "paging", "team_paging_1" }, tags_cond = "and" })),
         { "p1" })
  t.same(names(services:page(nil, nil, { tags = { "paging", "team_paging_1" }, tags_cond = "or" })),
         { "p1", "p2", "p3" })
  local _, err = services:page(nil, nil, { tags = "oops", tags_cond = "and" })
  t.eq(err, t.P .. "invalid option (tags: must be a table)")
  local _, err2 = services:page(nil, nil, { tags = { "1", "2", "3", "4", "5", "6" }, tags_cond = "or" })
  t.eq(err2, t.P .. "invalid option (tags: cannot query more than 5 tags)")
  local _, err3 = services:page(nil, nil, { tags = { "a", "b" } })
  t.eq(err3, t.P .. "invalid option (tags_cond: must be a either 'and' or 'or' when more "
             .. "than one tag is specified)")
  local _, err4 = services:page(nil, nil, { tags = { "tag,with,commas" } })
  t.eq(err4, t.P .. "invalid option (tags: must only contain printable ascii (except `,` "
             .. "and `/`) or valid utf-8)")
  local _, err5, err_t5 = services:insert({ name = "p4", host = "h", tags = { "tag,with,commas" } })
  t.eq(err_t5.code, 2)
  t.match_plain(err5, "tags.1: invalid tag 'tag,with,commas'")
end)

-- ---- 48: ttl ---------------------------------------------------------------------

t.test("48: expired rows: select_by nil, skip_ttl finds and deletes them, page skips", function()
  local sessions = db.te_sessions
  local s = assert(sessions:insert({ sid = "c48", token = "tok48" }, { ttl = 1 }))
  local stop = os.time() + 2
  while os.time() < stop do end
  t.is_nil(sessions:select_by_token("tok48"))
  t.eq(sessions:select_by_token("tok48", { skip_ttl = true }).id, s.id)
  for row in sessions:each() do t.truthy(row.id ~= s.id) end
  t.eq(sessions:delete_by_token("tok48", { skip_ttl = true }), true)
  t.is_nil(sessions:select_by_token("tok48", { skip_ttl = true }))
end)

-- ---- 49: select_by_cache_key ------------------------------------------------------

t.test("49: select_by_cache_key(cache_key(...)) with a composite cache key", function()
  local thing = assert(db.te_things:insert({ name = "ck49" }))
  local m = assert(db.te_members:insert({ thing = { id = thing.id }, group = "g49" }))
  local key = db.te_members:cache_key(thing.id, "g49")
  t.eq(key, "te_members:" .. thing.id .. ":g49::::")
  t.eq(db.te_members:select_by_cache_key(key).id, m.id)
  t.eq(db.te_members:select_by_cache_key(m).id, m.id)
  t.is_nil(db.te_members:select_by_cache_key("te_members:x:y::::"))
end)

-- ---- 5.3 options ---------------------------------------------------------------------

t.test("5.3: option value errors", function()
  local function opt_err(opts)
    local _, err, err_t = foos:insert({ a = 1000 }, opts)
    t.eq(err_t and err_t.code, 11, "code for " .. t.show(opts))
    return err
  end
  t.eq(opt_err({ skip_ttl = "x" }), t.P .. "invalid option (skip_ttl: must be a boolean)")
  t.eq(opt_err({ show_ws_id = "x" }), t.P .. "invalid option (show_ws_id: must be a boolean)")
  t.eq(opt_err({ transform = 1 }), t.P .. "invalid option (transform: must be a boolean)")
  t.eq(opt_err({ export = "x" }), t.P .. "invalid option (export: must be a boolean)")
  t.eq(opt_err({ workspace = 1 }), t.P .. "invalid option (workspace: must be a string or null)")
  t.eq(opt_err({ workspace = "no-such-workspace" }),
       t.P .. "invalid option (workspace: invalid workspace)")
  t.eq(opt_err({ ttl = 5 }), t.P .. "invalid option (ttl: cannot be used with 'audit_foos')")
  t.eq(opt_err({ tags = { "a" } }), t.P .. "invalid option (tags: cannot be used with 'audit_foos')")
  t.eq(opt_err({ pagination = "x" }), t.P .. "invalid option (pagination: must be a table)")
  t.eq(opt_err({ pagination = { page_size = "x" } }),
       t.P .. "invalid option (pagination.page_size: must be a number)")
  t.eq(opt_err({ pagination = { max_page_size = "x" } }),
       t.P .. "invalid option (pagination.max_page_size: must be a number)")
  t.eq(opt_err({ skip_ttl = 1, export = 1 }),
       t.P .. "2 option violations (export: must be a boolean; skip_ttl: must be a boolean)")
  local _, _, err_t = ttls:insert({ a = 5 }, { ttl = 1.5 })
  t.same(err_t.options, { ttl = "must be an integer between 0 and 100000000" })
  -- false booleans and unknown keys are fine
  t.truthy(foos:select({ a = 1 }, { skip_ttl = false, show_ws_id = false, whatever = 1 }))
  t.truthy(foos:select({ a = 1 }, { workspace = null }))
  t.truthy(foos:select({ a = 1 }, { workspace = "default" }))
  t.truthy(foos:select({ a = 1 }, { workspace = U }))
end)

t.test("5.3: page merges pagination with the defaults", function()
  -- Kong code: get_pagination_options replaces a non-table pagination by the
  -- defaults for page/each, and merges a table one, so its page_size (1000
  -- by default) is checked against a smaller max_page_size.
  local rows, err = foos:page(2, nil, { pagination = "x" })
  t.is_nil(err)
  t.eq(#rows, 2)
  local _, err2 = foos:page(2, nil, { pagination = { max_page_size = 3 } })
  t.eq(err2, t.P .. "invalid option (pagination.page_size: must be an integer between 1 and 3)")
  local _, err3 = foos:page(5, nil, { pagination = { max_page_size = 3 } })
  t.eq(err3, t.P .. "size must be an integer between 1 and 3")
  local rows4, err4 = foos:page(nil, nil, { pagination = { page_size = 3, max_page_size = 3 } })
  t.is_nil(err4)
  t.eq(#rows4, 3)
end)

-- ---- 5.5 page sizes ------------------------------------------------------------------

t.test("5.5: page size 1..50000, default 1000", function()
  t.eq(#foos:page(50000), 50)
  local _, err = foos:page(50001)
  t.eq(err, t.P .. "size must be an integer between 1 and 50000")
  local _, err2 = foos:page(-1)
  t.eq(err2, t.P .. "size must be an integer between 1 and 50000")
  local counters = db.te_counters
  for i = 1, 1001 do assert(counters:insert({ bucket = "d", period = i })) end
  local rows, _, _, offset = counters:page()
  t.eq(#rows, 1000)
  t.eq(type(offset), "string")
  t.eq(#counters:page(nil, offset), 1)
  local n, last = 0, 0
  for _, _, page in counters:each() do n = n + 1; last = page end
  t.eq(n, 1001)
  t.eq(last, 2)
end)

-- ---- 5.7 cache keys --------------------------------------------------------------------

t.test("5.7: cache_key formats", function()
  t.eq(db.keyauth_credentials:cache_key("k"), "keyauth_credentials:k:::::")
  t.eq(foos:cache_key("a", 2, nil, null, true), "audit_foos:a:2:::true:")
  t.eq(foos:cache_key("a", nil, nil, nil, nil, "ws"), "audit_foos:a:::::ws")
  t.eq(db.te_members:cache_key({ thing = { id = U }, group = "g" }), "te_members:" .. U .. ":g::::")
  -- no cache_key: the primary key
  t.eq(services:cache_key({ id = U, name = "n" }), "audit_services:" .. U .. ":::::")
  t.eq(db.te_counters:cache_key({ bucket = "b", period = 7 }), "te_counters:b:7::::")
  -- a workspaceable entity (Kong 2.1): the default workspace's id, unless
  -- the entity or the sixth argument names one
  local def = assert(db.workspaces:select_by_name("default")).id
  t.eq(db.consumers:cache_key("k"), "consumers:k:::::" .. def)
  t.eq(db.consumers:cache_key({ id = U }), "consumers:" .. U .. ":::::" .. def)
  t.eq(db.consumers:cache_key({ id = U, ws_id = "w1" }), "consumers:" .. U .. ":::::w1")
  t.eq(db.consumers:cache_key("k", nil, nil, nil, nil, "w2"), "consumers:k:::::w2")
  t.eq(db.consumers:cache_key({ id = U }, nil, nil, nil, nil, "w2"), "consumers:" .. U .. ":::::w2")
  t.eq(services:cache_key({ id = U }, nil, nil, nil, nil, "w3"), "audit_services:" .. U .. ":::::w3")
end)

-- ---- output shapes -------------------------------------------------------------------

local bob = assert(db.consumers:insert({ username = "bob", custom_id = "bob-cid" }))

t.test("nulls = true: the full shape, defaults materialised", function()
  local e, err = shapes:insert({ name = "full" }, { nulls = true })
  t.is_nil(err)
  t.eq(type(e.id), "string")
  t.eq(type(e.created_at), "number")
  t.eq(e.count, null); t.eq(e.ratio, null); t.eq(e.label, null); t.eq(e.maybe_empty, null)
  t.eq(e.list, null); t.eq(e.tags, null); t.eq(e.meta, null); t.eq(e.consumer, null)
  t.eq(e.flag, false)
  t.eq(e.level, 3)
  t.same(e.defaults_list, { "a", "b" })
  t.same(e.rec, { a = "nr", b = 123 })
  local plain = shapes:select(e)
  t.same(plain, { id = e.id, created_at = e.created_at, updated_at = e.updated_at, name = "full",
                  flag = false, level = 3, defaults_list = { "a", "b" },
                  rec = { a = "nr", b = 123 } })
end)

t.test("integers stay integers, numbers keep fractions", function()
  local e = assert(shapes:insert({ name = "nums", count = 5, ratio = 1.5, rec = { b = 7 } }))
  t.eq(tostring(e.count), "5")
  t.eq(tostring(e.ratio), "1.5")
  t.eq(tostring(e.created_at):find("%."), nil)
  t.same(e.rec, { a = "nr", b = 7 })
  local again = shapes:select_by_name("nums")
  t.eq(again.count, 5)
  t.eq(again.ratio, 1.5)
  t.eq(cjson.encode({ again.count, again.ratio }), "[5,1.5]")
end)

t.test("empty strings: rejected by default, kept with len_min = 0", function()
  local _, err = shapes:insert({ name = "" })
  t.eq(err, t.P .. "schema violation (name: length must be at least 1)")
  local e = assert(shapes:insert({ name = "empty", maybe_empty = "" }))
  t.eq(e.maybe_empty, "")
  t.eq(shapes:select(e).maybe_empty, "")
end)

t.test("sets are de-duplicated, arrays are not", function()
  local e = assert(shapes:insert({ name = "sets", tags = { "x", "y", "x" }, list = { "a", "a" } }))
  t.same({ e.tags[1], e.tags[2], e.tags[3] }, { "x", "y", nil })
  t.same(e.list, { "a", "a" })
  t.eq(cjson.encode(shapes:select(e).tags), '["x","y"]')
end)

t.test("update refreshes updated_at, keeps created_at, merges records", function()
  local e = assert(shapes:insert({ name = "upd", rec = { a = "x" } }))
  local u = assert(shapes:update(e, { rec = { b = 9 } }))
  t.eq(u.created_at, e.created_at)
  t.truthy(u.updated_at >= e.updated_at)
  t.same(u.rec, { a = "x", b = 9 })
end)

-- ---- resolve foreign by a unique field ------------------------------------------------

t.test("foreign key given by a unique field is resolved to the primary key", function()
  local e, err = shapes:insert({ name = "by-username", consumer = { username = "bob" } })
  t.is_nil(err)
  t.same(e.consumer, { id = bob.id })
  t.same(shapes:select(e).consumer, { id = bob.id })
  local e2 = assert(shapes:insert({ name = "by-custom-id", consumer = { custom_id = "bob-cid" } }))
  t.same(e2.consumer, { id = bob.id })
  local u = assert(shapes:update(e2, { consumer = { username = "bob" } }))
  t.same(u.consumer, { id = bob.id })
end)

t.test("foreign key not resolved: code 13", function()
  local msg = "the foreign key cannot be resolved with '{username=\"nobody\"}' for an "
              .. "existing 'consumers' entity"
  local _, err, err_t = shapes:insert({ name = "unresolved", consumer = { username = "nobody" } })
  t.eq(err, t.P .. "foreign key unresolved (consumer.username: " .. msg .. ")")
  t.same(err_t, { code = 13, name = "foreign keys unresolved", strategy = t.STRATEGY,
                  message = "foreign key unresolved (consumer.username: " .. msg .. ")",
                  fields = { consumer = { username = msg } } })
  -- Kong code: a miss on an earlier unique field is reported even when a
  -- later one resolves (resolve_errors are kept after the `break`)
  local _, err2, err_t2 = shapes:insert({ name = "unresolved2",
                                          consumer = { username = "nobody", custom_id = "bob-cid" } })
  t.eq(err2, t.P .. "foreign key unresolved (consumer.username: " .. msg .. ")")
  t.eq(err_t2.code, 13)
  local _, err3, err_t3 = shapes:insert({ name = "unresolved3",
                                          consumer = { username = "nobody", custom_id = "nope" } })
  t.eq(err_t3.code, 13)
  t.eq(err3, t.P .. "2 foreign keys unresolved (consumer.custom_id: the foreign key cannot be "
             .. "resolved with '{custom_id=\"nope\"}' for an existing 'consumers' entity; "
             .. "consumer.username: " .. msg .. ")")
  -- a value failing the unique field's validation is not looked up
  local _, err4, err_t4 = shapes:insert({ name = "unresolved4", consumer = { username = 123 } })
  t.eq(err_t4.code, 2)
  t.eq(err4, t.P .. "schema violation (consumer.username: expected a string)")
end)

t.test("5.2: select/insert/update/upsert return one value on success", function()
  t.eq(nvals(shapes:select_by_name("nums")), 1)
  t.eq(nvals(shapes:insert({ name = "one" })), 1)
  local e = shapes:select_by_name("one")
  t.eq(nvals(shapes:update(e, { label = "l" })), 1)
  t.eq(nvals(shapes:upsert(e, { name = "one" })), 1)
  t.is_nil(shapes:select(e).label, "upsert replaces")
  t.eq(nvals(shapes:delete(e)), 1)
end)

-- ---- DAO attributes and base methods --------------------------------------------------

t.test("err_t concatenates like a string (errors.lua __concat)", function()
  local _, _, err_t = services:insert({})
  t.eq("failed: " .. err_t, "failed: " .. t.P .. "schema violation (host: required field missing)")
  t.eq(err_t .. "!", t.P .. "schema violation (host: required field missing)!")
end)

t.test("dao.pagination holds the connector defaults", function()
  t.same(services.pagination, { page_size = 1000, max_page_size = 50000 })
end)

t.test("truncate() empties the table and, with TRUNCATE CASCADE, its children", function()
  local s = assert(services:insert({ name = "trunc", host = "h" }))
  assert(routes:insert({ name = "rtrunc", service = { id = s.id } }))
  t.eq(services:truncate(), true)
  t.eq(#services:page(), 0)
  t.is_nil(routes:select_by_name("rtrunc"))
end)

t.done()
