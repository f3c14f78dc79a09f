-- page / each / page_for_<f> / each_for_<f> (kong-schema-dao.md 5.2, 5.5;
-- checklist 31, 32, 46).
local t = require "t"
local notes, things = kong.db.te_notes, kong.db.te_things

t.test("empty table: page() is [] without an offset", function()
  local rows, err, err_t, offset = notes:page()
  t.is_nil(err)
  t.is_nil(err_t)
  t.eq(#rows, 0)
  t.is_nil(offset)
  t.eq(require("cjson").encode(rows), "[]")
end)

local parent = assert(things:insert({ name = "parent" }))
for i = 1, 10 do
  assert(notes:insert({ body = "note " .. i, thing = i <= 4 and { id = parent.id } or nil }))
end

t.test("10 rows: page(5) then page(5, offset)", function()
  local rows, err, _, offset = notes:page(5)
  t.is_nil(err)
  t.eq(#rows, 5)
  t.eq(type(offset), "string")
  local rows2, err2, _, offset2 = notes:page(5, offset)
  t.is_nil(err2)
  t.eq(#rows2, 5)
  t.is_nil(offset2)
  local seen = {}
  for _, r in ipairs(rows) do seen[r.id] = true end
  for _, r in ipairs(rows2) do
    t.is_nil(seen[r.id], "pages do not overlap")
    seen[r.id] = true
  end
end)

t.test("rows are ordered by primary key", function()
  local rows = notes:page()
  for i = 2, #rows do t.truthy(rows[i - 1].id < rows[i].id) end
end)

t.test("offsets are unpadded base64 of the last primary key", function()
  local rows, _, _, offset = notes:page(3)
  t.eq(offset:find("=", 1, true), nil)
  t.eq(ngx.decode_base64(offset), '["' .. rows[3].id .. '"]')
end)

t.test("page size from options.pagination.page_size", function()
  local rows, _, _, offset = notes:page(nil, nil, { pagination = { page_size = 4 } })
  t.eq(#rows, 4)
  t.truthy(offset)
end)

t.test("each(3) walks every row with page numbers", function()
  local n, pages = 0, {}
  for row, err, page in notes:each(3) do
    t.is_nil(err)
    t.eq(type(row.body), "string")
    n = n + 1
    pages[#pages + 1] = page
  end
  t.eq(n, 10)
  t.same(pages, { 1, 1, 1, 2, 2, 2, 3, 3, 3, 4 })
end)

t.test("each() with the default size is a single page", function()
  local last
  for _, _, page in notes:each() do last = page end
  t.eq(last, 1)
end)

t.test("each(5) over exactly two pages stops cleanly", function()
  local n = 0
  for _ in notes:each(5) do n = n + 1 end
  t.eq(n, 10)
end)

t.test("page_for_<foreign> and each_for_<foreign>", function()
  local rows, err, _, offset = notes:page_for_thing({ id = parent.id })
  t.is_nil(err)
  t.eq(#rows, 4)
  t.is_nil(offset)
  for _, r in ipairs(rows) do t.same(r.thing, { id = parent.id }) end
  local rows2, _, _, offset2 = notes:page_for_thing({ id = parent.id }, 3)
  t.eq(#rows2, 3)
  local rows3 = notes:page_for_thing({ id = parent.id }, 3, offset2)
  t.eq(#rows3, 1)
  local n = 0
  for row, err2, page in notes:each_for_thing({ id = parent.id }, 2) do
    t.is_nil(err2)
    t.truthy(page == 1 or page == 2)
    t.same(row.thing, { id = parent.id })
    n = n + 1
  end
  t.eq(n, 4)
end)

t.test("page_for_<foreign> of an unknown parent is empty", function()
  local rows, err = notes:page_for_thing({ id = "00000000-0000-4000-8000-000000000000" })
  t.is_nil(err)
  t.eq(#rows, 0)
end)

t.test("50 rows, each(10): pages 1..5", function()
  local counters = kong.db.te_counters
  for i = 1, 50 do assert(counters:insert({ bucket = "b", period = i })) end
  local n, last = 0, 0
  for row, err, page in counters:each(10) do
    t.is_nil(err)
    n = n + 1
    last = page
  end
  t.eq(n, 50)
  t.eq(last, 5)
end)

t.test("composite primary keys page with multi-element offsets", function()
  local counters = kong.db.te_counters
  local rows, _, _, offset = counters:page(7)
  t.eq(#rows, 7)
  local decoded = require("cjson").decode(ngx.decode_base64(offset))
  t.same(decoded, { rows[7].bucket, rows[7].period })
  local row = counters:select({ bucket = "b", period = 3 })
  t.eq(row.value, 0)
end)

t.test("tags filter pages", function()
  assert(things:insert({ name = "t1", tags = { "team-a", "prod" } }))
  assert(things:insert({ name = "t2", tags = { "team-a" } }))
  assert(things:insert({ name = "t3", tags = { "prod" } }))
  local function names(rows)
    local out = {}
    for _, r in ipairs(rows) do out[#out + 1] = r.name end
    table.sort(out)
    return out
  end
  local rows = things:page(nil, nil, { tags = { "team-a" } })
  t.same(names(rows), { "t1", "t2" })
  rows = things:page(nil, nil, { tags = { "team-a", "prod" }, tags_cond = "and" })
  t.same(names(rows), { "t1" })
  rows = things:page(nil, nil, { tags = { "team-a", "prod" }, tags_cond = "or" })
  t.same(names(rows), { "t1", "t2", "t3" })
  local _, _, err_t = things:page(nil, nil, { tags = "oops", tags_cond = "and" })
  t.eq(err_t.code, 11)
  t.same(err_t.options, { tags = "must be a table" })
  _, _, err_t = things:page(nil, nil, { tags = "oops" })
  t.same(err_t.options, { tags = "invalid filter syntax" })
  _, _, err_t = things:page(nil, nil, { tags = { "a", "b" } })
  t.same(err_t.options,
         { tags_cond = "must be a either 'and' or 'or' when more than one tag is specified" })
  _, _, err_t = things:page(nil, nil, { tags = { "a", "b", "c", "d", "e", "f" }, tags_cond = "or" })
  t.same(err_t.options, { tags = "cannot query more than 5 tags" })
  _, _, err_t = notes:page(nil, nil, { tags = { "a" } })
  t.same(err_t.options, { tags = "cannot be used with 'te_notes'" })
end)

t.done()
