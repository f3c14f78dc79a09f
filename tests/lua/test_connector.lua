-- kong.db.connector (query, escape_literal, escape_identifier) and strategy
-- overlays (kong.plugins.<p>.strategies.<db>.<entity> mixed into
-- self.strategy), as Kong's session plugin uses them; fixture plugin
-- "overlay".  Runs on every store.
local t = require "t"

local strategy = kong.db.strategy

t.test("escape_literal quotes as the store reads it back", function()
  local c = kong.db.connector
  t.eq(c:escape_literal("it's"), "'it''s'")
  t.eq(c:escape_literal(nil), "NULL")
  t.eq(c:escape_literal(ngx.null), "NULL")
  t.eq(c:escape_literal(true), "TRUE")
  t.eq(c:escape_literal(42), "42")
  t.eq(c:escape_identifier('we"ird'), '"we""ird"')
  -- what it writes reads back byte for byte, backslashes and quotes included
  for _, s in ipairs({ "plain", "it's", [[back\slash]], [[\' mixed '\]], "ünïcode" }) do
    local rows = assert(c:query("SELECT " .. c:escape_literal(s) .. " AS v"))
    t.eq(rows[1].v, s)
  end
  t.eq(pcall(c.escape_literal, c, "a\0b"), false)
  t.eq(pcall(c.escape_literal, c, {}), false)
end)

t.test("query returns rows, or nil and the store's error", function()
  local c = kong.db.connector
  local rows = assert(c:query("SELECT 1 AS one", "read"))
  t.eq(#rows, 1)
  t.eq(rows[1].one, 1)
  local none, err = c:query("SELECT nope FROM no_such_table")
  t.is_nil(none)
  t.match(err, "^%[" .. strategy .. " error%] ")
end)

t.test("a custom DAO method reaches the plugin's strategy overlay", function()
  local notes = kong.db.ov_notes
  t.eq(notes.strategy.name, strategy)
  t.is_table(notes.strategy.connector)
  assert(notes:insert({ owner = "ann", topic = "t1", body = "b" }))
  assert(notes:insert({ owner = "ann", topic = "t1", body = "a" }))
  assert(notes:insert({ owner = "o'brien", topic = "t1", body = "c" }))
  local rows = assert(notes:select_by_owner_and_topic("ann", "t1"))
  t.eq(#rows, 2)
  t.eq(rows[1].body, "a")
  local quoted = assert(notes:select_by_owner_and_topic("o'brien", "t1"))
  t.eq(#quoted, 1)
  t.eq(#assert(notes:select_by_owner_and_topic("x' OR '1'='1", "t1")), 0)
  local ok, err = pcall(notes.select_by_owner_and_topic, notes, 1, "t1")
  t.eq(ok, false)
  t.match(err, "owner must be string")
end)

t.done()
