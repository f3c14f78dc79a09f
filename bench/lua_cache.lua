-- lua_cache.lua -- what a kong.cache:get hit costs from Lua in `daoc runner`
-- (src/lua/kongcache.c over the entity cache), next to resty.lrucache's
-- get measured by ../shared/reference/perf-baselines.md section 3 (17.0
-- ns/op at 10k keys, 47.3 at 1M; a pure Lua L1 that returns its own
-- table, where kong.cache copies the cached value into a new Lua value on
-- each hit).  Reported, no goal.
--   daoc runner bench/lua_cache.lua KEYS OPS     (10000, 2000000)
-- Keys are Kong cache keys ("consumers:<uuid>:::::"), made and loaded
-- before the clock starts, queried in a pseudo-random order; two values:
-- a short string, and a consumer as kong.db returns it (5 fields).
-- mem_cache_size must hold them all (the caller sets DAOC_MEM_CACHE_SIZE).
local nkeys, ops = tonumber(arg[1]) or 10000, tonumber(arg[2]) or 2000000
local cache = kong.cache
local clock = os.clock -- CPU time of this single thread

local function uuid(i)
  return string.format("%08x-0000-4000-8000-%012x", i, i * 7919)
end

local keys = {}
for i = 1, nkeys do keys[i] = "consumers:" .. uuid(i) .. ":::::" end

local function run(label, make, ref)
  cache:purge()
  local loader = function(i) return make(i) end
  for i = 1, nkeys do
    local v, err, hit = cache:get(keys[i], nil, loader, i)
    if v == nil or hit ~= 3 then error("load " .. i .. ": " .. tostring(err)) end
  end
  local best = math.huge
  for _ = 1, 3 do
    local seed = 12345
    local t0 = clock()
    for _ = 1, ops do
      seed = (seed * 1103515245 + 12345) % 2147483648
      local v, err, hit = cache:get(keys[seed % nkeys + 1], nil, loader)
      if hit ~= 1 then error("not a hit: " .. tostring(err)) end
    end
    local ns = (clock() - t0) * 1e9 / ops
    if ns < best then best = ns end
  end
  print(string.format("  %-34s %9.1f ns/op  %11.0f gets/s   (resty.lrucache %.1f ns/op)",
    label, best, 1e9 / best, ref))
end

local ref = nkeys >= 1000000 and 47.3 or 17.0
print(string.format("kong.cache:get(key, nil, loader) hit, %d keys, %d gets x 3 rounds (best)", nkeys, ops))
run("string value", function(i) return "v" .. i end, ref)
run("consumer value (a 5-field table)", function(i)
  return { id = uuid(i), username = "user-" .. i, created_at = 1700000000 + i,
           updated_at = 1700000000 + i, tags = { "bench" } }
end, ref)

-- the LCG and loop alone, to subtract by eye
local seed, t0, x = 12345, clock(), 0
for _ = 1, ops do
  seed = (seed * 1103515245 + 12345) % 2147483648
  x = x + #keys[seed % nkeys + 1]
end
print(string.format("  %-34s %9.1f ns/op", "the loop alone (index, plain table)", (clock() - t0) * 1e9 / ops))
