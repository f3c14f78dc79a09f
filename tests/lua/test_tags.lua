-- The tags core entity (Kong's kong/db/schema/entities/tags.lua and
-- kong/db/dao/tags.lua): a read-only view of every tagged entity's tags,
-- kept by the store as rows are written, updated, deleted (cascades
-- included) and truncated; page lists (tag, entity) pairs, page_by_tag the
-- entities holding one tag, both in keyset pages with Kong's offsets.
-- Runs on every store.
local t = require "t"

local db = kong.db

-- Every pair the view holds, through each().
local function all_pairs()
  local out = {}
  for row, err in db.tags:each() do
    assert(row, err)
    out[#out + 1] = row
  end
  return out
end

-- The tags rows of one entity id, in the order the view gives them.
local function tags_of(id)
  local out = {}
  for _, row in ipairs(all_pairs()) do
    if row.entity_id == id then out[#out + 1] = row.tag end
  end
  return out
end

local function clean()
  assert(db.audit_services:truncate())
  assert(db.audit_shapes:truncate())
  assert(db.services:truncate())
  assert(db.consumers:truncate())
end

t.test("every tagged entity's tags are listed as (tag, entity_name, entity_id) rows", function()
  clean()
  local c = assert(db.consumers:insert({ username = "tg-c", tags = { "t-one", "t-two" } }))
  local s = assert(db.services:insert({ name = "tg-s", url = "http://h.test", tags = { "t-one" } }))
  local a = assert(db.audit_services:insert({ name = "tg-a", host = "h", tags = { "t-three" } }))
  assert(db.consumers:insert({ username = "tg-untagged" }))
  local rows = all_pairs()
  t.eq(#rows, 4)
  local seen = {}
  for _, r in ipairs(rows) do
    seen[r.entity_name .. "/" .. r.tag] = r.entity_id
    t.same(r, { tag = r.tag, entity_name = r.entity_name, entity_id = r.entity_id })
  end
  t.same(seen, {
    ["consumers/t-one"] = c.id, ["consumers/t-two"] = c.id,
    ["services/t-one"] = s.id, ["audit_services/t-three"] = a.id,
  })
  -- ordered by entity_id, then by the tag's place in the entity's tags
  for i = 2, #rows do
    t.truthy(rows[i - 1].entity_id <= rows[i].entity_id)
  end
  t.same(tags_of(c.id), { "t-one", "t-two" })
end)

t.test("page walks every pair once, size at a time, with Kong's offsets", function()
  clean()
  for i = 1, 5 do
    assert(db.consumers:insert({ username = "pg-" .. i, tags = { "a" .. i, "b" .. i, "c" .. i } }))
  end
  local want = all_pairs()
  t.eq(#want, 15)
  for _, size in ipairs({ 1, 2, 4, 15, 100 }) do
    local got, offset, pages = {}, nil, 0
    repeat
      local rows, err, err_t, next_offset = db.tags:page(size, offset)
      t.is_nil(err)
      t.is_nil(err_t)
      t.truthy(#rows <= size)
      for _, r in ipairs(rows) do got[#got + 1] = r end
      offset = next_offset
      pages = pages + 1
    until not offset
    t.same(got, want)
    t.eq(pages, math.ceil(15 / size))
  end
  -- the token is base64 of [entity_id, position], as Kong's
  local _, _, _, offset = db.tags:page(2)
  local decoded = require("cjson").decode(ngx.decode_base64(offset))
  t.eq(decoded[1], want[2].entity_id)
  t.eq(decoded[2], 2)
end)

t.test("page_by_tag lists the entities holding that tag, in pages", function()
  clean()
  local ids = {}
  for i = 1, 7 do
    local tags = (i % 2 == 1) and { "odd", "n" .. i } or { "n" .. i }
    local c = assert(db.consumers:insert({ username = "bt-" .. i, tags = tags }))
    if i % 2 == 1 then ids[#ids + 1] = c.id end
  end
  local s = assert(db.services:insert({ name = "bt-s", url = "http://h.test", tags = { "odd" } }))
  ids[#ids + 1] = s.id
  table.sort(ids)
  local rows, err, err_t, offset = db.tags:page_by_tag("odd")
  t.is_nil(err)
  t.is_nil(err_t)
  t.is_nil(offset)
  t.eq(#rows, 5)
  for i, r in ipairs(rows) do
    t.eq(r.tag, "odd")
    t.eq(r.entity_id, ids[i])
    t.eq(r.entity_name, r.entity_id == s.id and "services" or "consumers")
  end
  local got = {}
  offset = nil
  repeat
    local page, perr, _, next_offset = db.tags:page_by_tag("odd", 2, offset)
    t.is_nil(perr)
    for _, r in ipairs(page) do got[#got + 1] = r.entity_id end
    offset = next_offset
  until not offset
  t.same(got, ids)
  local none = assert(db.tags:page_by_tag("no-such-tag"))
  t.eq(#none, 0)
end)

t.test("updates, deletes, cascades and truncate are reflected at once", function()
  clean()
  local c = assert(db.consumers:insert({ username = "ch-c", tags = { "x", "y" } }))
  local a = assert(db.audit_shapes:insert({ name = "ch-a", consumer = { id = c.id },
                                            tags = { "child" } }))
  t.same(tags_of(a.id), { "child" })
  assert(db.consumers:update({ id = c.id }, { tags = { "z" } }))
  t.same(tags_of(c.id), { "z" })
  assert(db.consumers:update({ id = c.id }, { custom_id = "no tags change" }))
  t.same(tags_of(c.id), { "z" })
  assert(db.consumers:upsert({ id = c.id }, { username = "ch-c", tags = { "u1", "u2" } }))
  t.same(tags_of(c.id), { "u1", "u2" })
  -- deleting the consumer deletes its audit_shapes row (cascade) and both rows' tags
  assert(db.consumers:delete({ id = c.id }))
  t.same(tags_of(c.id), {})
  t.same(tags_of(a.id), {})
  local c2 = assert(db.consumers:insert({ username = "ch-c2", tags = { "gone" } }))
  assert(db.consumers:update({ id = c2.id }, { tags = ngx.null }))
  t.same(tags_of(c2.id), {})
  assert(db.consumers:insert({ username = "ch-c3", tags = { "gone" } }))
  assert(db.consumers:truncate())
  t.eq(#all_pairs(), 0)
  t.eq(#assert(db.tags:page_by_tag("gone")), 0)
end)

t.test("a write that fails leaves the view as it was", function()
  clean()
  local c = assert(db.consumers:insert({ username = "rb-c", tags = { "keep" } }))
  assert(db.consumers:insert({ username = "rb-other" }))
  local ok, err = db.consumers:insert({ username = "rb-c", tags = { "lost" } })
  t.is_nil(ok)
  t.truthy(err)
  t.eq(#assert(db.tags:page_by_tag("lost")), 0)
  -- a unique violation on update: neither the row nor its tags change
  ok, err = db.consumers:update({ id = c.id }, { username = "rb-other", tags = { "lost" } })
  t.is_nil(ok)
  t.truthy(err)
  t.same(tags_of(c.id), { "keep" })
  t.eq(#assert(db.tags:page_by_tag("lost")), 0)
end)

t.test("the view is read only: Kong's schema violation, nothing written", function()
  clean()
  local c = assert(db.consumers:insert({ username = "ro-c", tags = { "ro" } }))
  local want = "does not support insert/upsert/update/delete operations"
  local row = { tag = "ro", entity_name = "consumers", entity_id = c.id }
  t.fails(2, db.tags:insert(row))
  local _, err, err_t = db.tags:insert(row)
  t.eq(err, t.P .. "schema violation (tags: " .. want .. ")")
  t.same(err_t.fields, { tags = want })
  t.eq(err_t.name, "schema violation")
  t.fails(2, db.tags:upsert({ tag = "ro" }, row))
  t.fails(2, db.tags:update({ tag = "ro" }, row))
  t.fails(2, db.tags:delete({ tag = "ro" }))
  t.fails(2, db.tags:delete_by_tag("ro"))
  t.fails(2, db.tags:select({ tag = "ro" }))
  t.fails(2, db.tags:select_by_tag("ro"))
  -- truncate succeeds and keeps what the entities still hold
  t.truthy(db.tags:truncate())
  t.same(tags_of(c.id), { "ro" })
end)

t.test("bad tags and offsets are Kong's errors", function()
  local _, err, err_t = db.tags:page_by_tag("a,b")
  t.truthy(err)
  t.eq(err_t.code, 10)
  t.eq(err_t.name, "invalid unique tag")
  t.match(err, "invalid tag 'a,b'")
  _, err, err_t = db.tags:page_by_tag(123)
  t.eq(err_t.code, 10)
  t.match(err, "expected a string")
  t.fails(7, db.tags:page(10, "%%%"))
  _, err = db.tags:page(10, "bm90")
  t.eq(err, t.P .. "'bm90' is not a valid offset: bad json encoding")
  -- a token of another shape: a by-tag offset given to page, a bad id
  local cjson = require "cjson"
  local function tok(v) return ngx.encode_base64(cjson.encode(v), true) end
  t.fails(7, db.tags:page(10, tok({ "8a2b3b5e-6c52-4b2f-9a46-0c3e2a8f1d00" })))
  t.fails(7, db.tags:page(10, tok({ "not-a-uuid", 1 })))
  t.fails(7, db.tags:page(10, tok({ "8a2b3b5e-6c52-4b2f-9a46-0c3e2a8f1d00", 0 })))
  t.fails(7, db.tags:page_by_tag("x", 10, tok({ "8a2b3b5e-6c52-4b2f-9a46-0c3e2a8f1d00", 1 })))
  t.fails(9, db.tags:page(0))
end)

t.test("its schema is Kong's", function()
  local schema = kong.db.tags.schema
  t.eq(schema.name, "tags")
  t.same(schema.primary_key, { "tag" })
  t.eq(schema.endpoint_key, "tag")
end)

t.done()
