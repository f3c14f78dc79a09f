-- certgen.lua -- test certificates made at test time with the openssl
-- command line (no key is committed): required by test_core_certs.lua and
-- test_upstreams.lua.
--
--   local certgen = require "certgen"
--   local c = certgen.leaf("rsa", "leaf.test")   -- { cert =, key = }
--   certgen.leaf("ec", "ec.test")                  -- a P-256 key
--   certgen.ca("ca.test")                          -- CA:TRUE, valid 2 days
--   certgen.expired_ca("old.test")                 -- CA:TRUE, ended in 2020
--   certgen.sha256(pem)                            -- hex of the DER's digest
local M = {}

local base = os.getenv("DAOC_TEST_TMP") or "/tmp"

local function run(cmd)
  local rc = os.execute(cmd .. " >/dev/null 2>&1")
  assert(rc == 0 or rc == true, "failed: " .. cmd)
end

local slurp, spit = require("t").slurp, require("t").spit

local dir
local function workdir()
  if not dir then
    local p = assert(io.popen("mktemp -d " .. base .. "/certgen.XXXXXX"))
    dir = p:read("*l")
    p:close()
    assert(dir and dir ~= "", "mktemp failed")
  end
  return dir
end

local n = 0
local function names()
  n = n + 1
  local d = workdir()
  return d .. "/c" .. n .. ".pem", d .. "/k" .. n .. ".pem", d
end

local NEWKEY = {
  rsa = "-newkey rsa:2048",
  ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256",
}

local function self_signed(kind, cn, ca)
  local c, k = names()
  run(string.format("openssl req -x509 %s -nodes -keyout %s -out %s -days 2 -subj /CN=%s " ..
                    "-addext basicConstraints=critical,CA:%s",
                    NEWKEY[kind], k, c, cn, ca and "TRUE" or "FALSE"))
  return { cert = slurp(c), key = slurp(k) }
end

function M.leaf(kind, cn) return self_signed(kind, cn, false) end
function M.ca(cn) return self_signed("rsa", cn, true) end

-- a CA certificate whose "Not After" time is in 2020, signed by itself
-- through `openssl ca` (req -x509 cannot date a certificate in the past)
function M.expired_ca(cn)
  local c, k, d = names()
  local db = d .. "/db" .. n
  run("mkdir -p " .. db)
  spit(db .. "/index.txt", "")
  spit(db .. "/serial", "01\n")
  spit(db .. "/ca.cnf", table.concat({
    "[ca]", "default_ca = c", "[c]", "database = " .. db .. "/index.txt",
    "new_certs_dir = " .. db, "serial = " .. db .. "/serial", "default_md = sha256",
    "policy = p", "unique_subject = no", "[p]", "commonName = supplied",
    "[x]", "basicConstraints = critical,CA:TRUE", "" }, "\n"))
  run(string.format("openssl req -new -newkey rsa:2048 -nodes -keyout %s -out %s/r.csr " ..
                    "-subj /CN=%s", k, db, cn))
  run(string.format("openssl ca -batch -config %s/ca.cnf -selfsign -keyfile %s -in %s/r.csr " ..
                    "-out %s -startdate 20200101000000Z -enddate 20200102000000Z " ..
                    "-extensions x -notext", db, k, db, c))
  return { cert = slurp(c), key = slurp(k) }
end

-- the SHA-256 of the certificate's DER encoding, lower-case hex, as the
-- openssl command line computes it
function M.sha256(pem)
  local c = names()
  spit(c, pem)
  local p = assert(io.popen("openssl x509 -in " .. c .. " -noout -fingerprint -sha256"))
  local line = p:read("*l")
  p:close()
  return (line:match("=(.*)$"):gsub(":", ""):lower())
end

function M.cleanup()
  if dir then run("rm -rf " .. dir) end
  dir = nil
end

return M
