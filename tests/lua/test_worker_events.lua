-- kong.worker_events in a `daoc runner` script: handlers by source and
-- event, delivered after the post (at ngx.sleep / poll), never inside it;
-- the handle's committed changes as Kong's "dao:crud" and "crud" events
-- (by entity and by "<entity>:<operation>"); nothing for a rolled-back or
-- refused write.
local t = require "t"
local we = kong.worker_events

t.test("post and register: delivered at the next poll, with Kong's arguments", function()
  local got = {}
  assert(we.register(function(data, event, source, pid)
    got[#got + 1] = { data, event, source, type(pid) }
  end, "my-src", "ev1", "ev2"))
  assert(we.post("my-src", "ev1", { n = 1 }))
  assert(we.post_local("my-src", "other", { n = 2 })) -- not registered
  assert(we.post("my-src", "ev2", "two"))
  t.eq(#got, 0) -- asynchronous: nothing yet
  we.poll()
  t.eq(#got, 2)
  t.eq(got[1][1].n, 1)
  t.eq(got[1][2], "ev1")
  t.eq(got[1][3], "my-src")
  t.eq(got[1][4], "number")
  t.eq(got[2][1], "two")
  local all = 0
  local function any() all = all + 1 end
  we.register(any, "my-src") -- every event of the source
  we.post("my-src", "whatever", nil)
  ngx.sleep(0)
  t.eq(all, 1)
  t.eq(we.unregister(any, "my-src"), true)
  we.post("my-src", "whatever", nil)
  we.poll()
  t.eq(all, 1)
  local ok, err = we.post("", "x")
  t.eq(ok, nil)
  t.match(err, "source")
end)

t.test("a failing handler is logged and the others still run", function()
  local ran = false
  we.register(function() error("boom") end, "fail-src", "e")
  we.register(function() ran = true end, "fail-src", "e")
  we.post("fail-src", "e", {})
  we.poll()
  t.eq(ran, true)
end)

t.test("CRUD events: dao:crud and crud, after the commit, with the entities", function()
  local seen = {}
  local function rec(tag)
    return function(data, event) seen[#seen + 1] = tag .. " " .. event .. " " .. data.operation end
  end
  we.register(rec("dao"), "dao:crud")
  we.register(rec("ent"), "crud", "consumers")
  we.register(rec("op"), "crud", "consumers:update")
  local last
  we.register(function(data) last = data end, "crud", "consumers")
  local c = assert(kong.db.consumers:insert({ username = "we-1" }))
  t.eq(#seen, 0) -- not inside the insert
  we.poll()
  t.eq(table.concat(seen, "|"), "dao create create|ent consumers create")
  t.eq(last.entity.id, c.id)
  t.eq(last.schema.name, "consumers")
  seen = {}
  assert(kong.db.consumers:update({ id = c.id }, { username = "we-2" }))
  ngx.sleep(0)
  t.eq(table.concat(seen, "|"), "dao update update|ent consumers update|op consumers:update update")
  t.eq(last.entity.username, "we-2")
  t.eq(last.old_entity.username, "we-1")
  seen = {}
  -- a refused write tells nothing
  local dup, err = kong.db.consumers:insert({ username = "we-2" })
  t.eq(dup, nil)
  t.eq(type(err), "string")
  assert(kong.db.consumers:delete({ id = c.id }))
  we.poll()
  t.eq(table.concat(seen, "|"), "dao delete delete|ent consumers delete")
  t.eq(last.entity.id, c.id)
end)

t.done()
