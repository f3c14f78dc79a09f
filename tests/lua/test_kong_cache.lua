-- kong.cache from a `daoc runner` script (src/lua/kongcache.c): mlcache's
-- get with hit levels, cached misses, the callback's error, and its third
-- return value, the entry's ttl (a negative one: answered, not cached).
local t = require "t"
local cache = kong.cache

t.test("get: the callback runs once, then hits; a miss is cached too", function()
  local runs = 0
  local function load(v) runs = runs + 1; return v end
  local v, err, hit = cache:get("kc:a", nil, load, "va")
  t.eq(v, "va"); t.eq(err, nil); t.eq(hit, 3)
  v, err, hit = cache:get("kc:a", nil, load, "other")
  t.eq(v, "va"); t.eq(hit, 1); t.eq(runs, 1)
  v, err, hit = cache:get("kc:miss", nil, load, nil)
  t.eq(v, nil); t.eq(err, nil); t.eq(hit, 3)
  v, err, hit = cache:get("kc:miss", nil, load, "now there")
  t.eq(v, nil); t.eq(hit, 1); t.eq(runs, 2)
  local _, lerr = cache:get("kc:err", nil, function() return nil, "boom" end)
  t.match(lerr, "boom")
  t.eq(cache:probe("kc:err"), nil) -- nothing cached
end)

t.test("the callback's third value is the entry's ttl", function()
  local v = cache:get("kc:short", { ttl = 100 }, function() return "s", nil, 0.05 end)
  t.eq(v, "s")
  local ttl = cache:probe("kc:short")
  t.truthy(ttl > 0 and ttl <= 0.05)
  cache:get("kc:forever", { ttl = 0.01 }, function() return "f", nil, 0 end)
  t.eq(cache:probe("kc:forever"), 0)
  local runs = 0
  local function uncached() runs = runs + 1; return "u", nil, -1 end
  local u, _, hit = cache:get("kc:bypass", nil, uncached)
  t.eq(u, "u"); t.eq(hit, 3)
  t.eq(cache:probe("kc:bypass"), nil)
  cache:get("kc:bypass", nil, uncached)
  t.eq(runs, 2) -- loaded again: never cached
  -- a miss's ttl too
  cache:get("kc:negshort", { neg_ttl = 100 }, function() return nil, nil, 0.05 end)
  local nttl = cache:probe("kc:negshort")
  t.truthy(nttl > 0 and nttl <= 0.05)
end)

t.test("invalidate drops the entry: the next get loads", function()
  cache:get("kc:inv", nil, function() return 1 end)
  cache:invalidate("kc:inv")
  local v, _, hit = cache:get("kc:inv", nil, function() return 2 end)
  t.eq(v, 2); t.eq(hit, 3)
end)

t.test("a hit answers this state's copy while the entry stands; a change makes a new one", function()
  local function load() return { n = 1, list = { "a" } } end
  local v1 = cache:get("kc:l1", nil, load)
  local v2, _, hit = cache:get("kc:l1", nil, load)
  t.eq(hit, 1)
  t.eq(rawequal(v1, v2), true) -- the same table, as Kong's L1
  t.eq(v2.list[1], "a")
  cache:invalidate_local("kc:l1")
  local v3, _, hit3 = cache:get("kc:l1", nil, function() return { n = 2 } end)
  t.eq(hit3, 3); t.eq(v3.n, 2)
  -- replaced behind this state's back (renew): the copy is not answered
  cache:renew("kc:l1", nil, function() return { n = 3 } end)
  local v4, _, hit4 = cache:get("kc:l1", nil, load)
  t.eq(v4.n, 3); t.eq(hit4, 1)
  -- expired: loaded again
  cache:get("kc:l1exp", { ttl = 0.05 }, function() return { n = 1 } end)
  ngx.sleep(0.08)
  local v5, _, hit5 = cache:get("kc:l1exp", { ttl = 0.05 }, function() return { n = 5 } end)
  t.eq(v5.n, 5); t.eq(hit5, 3)
  cache:purge()
  local v6, _, hit6 = cache:get("kc:l1", nil, function() return { n = 6 } end)
  t.eq(v6.n, 6); t.eq(hit6, 3)
end)

t.done()
