-- iputils.lua -- lua-resty-iputils, which Kong 0.x-1.x's ip-restriction
-- schema requires: IPv4 addresses and CIDR ranges as 32-bit numbers, with
-- that library's messages ("Invalid IP", "Invalid octet: x", "Invalid
-- prefix: /x").  Written here in Lua; no cache is needed (enable_lrucache
-- is accepted and does nothing).
local type, tonumber, tostring, ipairs = type, tonumber, tostring, ipairs
local find, sub, floor = string.find, string.sub, math.floor

local M = { _VERSION = "0.3.0" }

local function octets(s)
  local out, prev = {}, 1
  for i = 1, 4 do
    local pos = find(s, ".", prev, true)
    if i < 4 then
      if not pos then return nil end
      out[i] = sub(s, prev, pos - 1)
      prev = pos + 1
    else
      if pos then return nil end
      out[i] = sub(s, prev)
    end
  end
  return out
end

-- ip2bin("10.0.0.1") -> 167772161, { 10, 0, 0, 1 } | nil, err
function M.ip2bin(ip)
  if type(ip) ~= "string" then return nil, "Invalid IP" end
  local o = octets(ip)
  if not o then return nil, "Invalid IP" end
  local bin, parts = 0, {}
  for i, s in ipairs(o) do
    local n = s:match("^%d+$") and tonumber(s)
    if not n or n > 255 then return nil, "Invalid octet: " .. tostring(s) end
    parts[i] = n
    bin = bin * 256 + n
  end
  return bin, parts
end

-- parse_cidr("10.0.0.0/8") -> lower, upper (numbers) | nil, err
function M.parse_cidr(cidr)
  if type(cidr) ~= "string" then return nil, "Invalid IP" end
  local slash = find(cidr, "/", 1, true)
  local net, mask = cidr, 32
  if slash then
    net = sub(cidr, 1, slash - 1)
    mask = tonumber(sub(cidr, slash + 1))
    if not mask or mask < 0 or mask > 32 or mask ~= floor(mask) then
      return nil, "Invalid prefix: /" .. sub(cidr, slash + 1)
    end
  end
  local bin, err = M.ip2bin(net)
  if not bin then return nil, err end
  local size = 2 ^ (32 - mask)
  local lower = floor(bin / size) * size
  return lower, lower + size - 1
end

function M.parse_cidrs(list)
  local out = {}
  for i, c in ipairs(list) do
    local lo, hi = M.parse_cidr(c)
    if not lo then
      ngx.log(ngx.ERR, "Error parsing '", c, "': ", hi)
    else
      out[#out + 1] = { lo, hi }
    end
    out.n = i
  end
  out.n = nil
  return out
end

function M.binip_in_cidrs(bin, cidrs)
  for _, r in ipairs(cidrs) do
    if bin >= r[1] and bin <= r[2] then return true end
  end
  return false
end

function M.ip_in_cidrs(ip, cidrs)
  local bin, err = M.ip2bin(ip)
  if not bin then return nil, err end
  return M.binip_in_cidrs(bin, cidrs)
end

function M.enable_lrucache() return true end

return M
