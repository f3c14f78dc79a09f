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

t.done()
