-- lua_bench.lua -- kong.db from Lua against the raw sqlite3 figures the C
-- bench measured a moment earlier in the same process and database.
-- arg[1] = raw autocommit insert rows/s, arg[2] = raw select ops/s,
-- arg[3] = rows to insert.
local raw_ins, raw_sel, rows = tonumber(arg[1]), tonumber(arg[2]), tonumber(arg[3])
local consumers = kong.db.consumers

-- inserts: kong.db has no transaction API, so every insert commits by
-- itself; the baseline is raw sqlite3 autocommit inserts on the same table.
local ids = {}
local t0 = ngx.now()
for i = 1, rows do
  local c, err = consumers:insert({ username = "lua-" .. i, tags = { "bench" } })
  if not c then error(err) end
  ids[#ids + 1] = c.id
end
if ngx.update_time then ngx.update_time() end
local ins_rate = rows / (ngx.now() - t0)

local n, seed = 0, 7
t0 = ngx.now()
local stop = t0 + 1.0
while ngx.now() < stop do
  for _ = 1, 1000 do
    seed = (seed * 1103515245 + 12345) % 2147483648
    local c = consumers:select({ id = ids[seed % #ids + 1] })
    if not c then error("row missing") end
    n = n + 1
  end
  if ngx.update_time then ngx.update_time() end
end
local sel_rate = n / (ngx.now() - t0)

print(string.format("Lua insert (autocommit, each row):       raw %8.0f rows/s  dao %8.0f rows/s  ratio %.2f (reported)",
  raw_ins, ins_rate, ins_rate / raw_ins))
print(string.format("Lua select by primary key:               raw %8.0f ops/s   dao %8.0f ops/s   ratio %.2f (reported)",
  raw_sel, sel_rate, sel_rate / raw_sel))
