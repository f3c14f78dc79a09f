-- stringy.lua -- the `stringy` module Kong 0.x's rockspec shipped (a C
-- library there) and 0.x plugins require: split, strip, startswith,
-- endswith, with its argument checks.  Written here in Lua.
local type, error, sub, find = type, error, string.sub, string.find

local function check(fname, i, v)
  if type(v) ~= "string" then
    error("bad argument #" .. i .. " to '" .. fname .. "' (string expected, got " .. type(v)
          .. ")", 3)
  end
end

local M = { _VERSION = "0.4" }

-- split("a,b,,c", ",") -> { "a", "b", "", "c" }; the separator is plain text
function M.split(s, sep)
  check("split", 1, s)
  check("split", 2, sep)
  local out, i, n = {}, 1, 0
  if sep == "" then
    for k = 1, #s do out[k] = sub(s, k, k) end
    return out
  end
  while true do
    local a, b = find(s, sep, i, true)
    if not a then break end
    n = n + 1
    out[n] = sub(s, i, a - 1)
    i = b + 1
  end
  out[n + 1] = sub(s, i)
  return out
end

function M.strip(s)
  check("strip", 1, s)
  return (s:match("^%s*(.-)%s*$"))
end

function M.startswith(s, prefix)
  check("startswith", 1, s)
  check("startswith", 2, prefix)
  return sub(s, 1, #prefix) == prefix
end

function M.endswith(s, suffix)
  check("endswith", 1, s)
  check("endswith", 2, suffix)
  return suffix == "" or sub(s, -#suffix) == suffix
end

function M.count(s, sub_)
  check("count", 1, s)
  check("count", 2, sub_)
  if sub_ == "" then return #s + 1 end
  local n, i = 0, 1
  while true do
    local a, b = find(s, sub_, i, true)
    if not a then return n end
    n, i = n + 1, b + 1
  end
end

return M
