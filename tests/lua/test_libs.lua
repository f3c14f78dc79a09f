-- test_libs.lua -- the libraries plugin files require (src/lua/lib/),
-- against known vectors: FIPS 180 / RFC 1321 digests, RFC 2202 and RFC 4231
-- HMACs, RFC 4648 base64, CRC-32 check values, ngx.re against PCRE
-- semantics, keys made at test time by the openssl command line and
-- cross-checked with it, stringy, Penlight and socket.url.
local t = require "t"
local str = require "resty.string"
local hex = str.to_hex

local function unhex(h) return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end)) end

local function digest_of(mod, ...)
  local h = require(mod):new()
  for i = 1, select("#", ...) do t.eq(h:update((select(i, ...))), true) end
  return hex(h:final())
end

t.test("resty digests: FIPS 180 / RFC 1321 vectors", function()
  t.eq(digest_of("resty.sha1", "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d")
  t.eq(digest_of("resty.sha1", "abcdbcdecdefdefgefghfghighijhijk", "ijkljklmklmnlmnomnopnopq"),
       "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
  t.eq(digest_of("resty.md5"), "d41d8cd98f00b204e9800998ecf8427e")
  t.eq(digest_of("resty.md5", "a", "b", "c"), "900150983cd24fb0d6963f7d28e17f72")
  t.eq(digest_of("resty.sha256", "abc"),
       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  t.eq(digest_of("resty.sha512", "abc"),
       "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
       .. "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
end)

t.test("resty digest objects: final refuses more input until reset", function()
  local h = require("resty.sha256"):new()
  h:update("abc")
  local d = h:final()
  local ok, err = h:update("x")
  t.is_nil(ok)
  t.match(err, "reset")
  t.eq(h:reset(), true)
  h:update("abc")
  t.eq(h:final(), d)
end)

t.test("resty.string atoi and to_hex", function()
  t.eq(str.atoi("  42xyz"), 42)
  t.eq(str.atoi("-7"), -7)
  t.eq(str.atoi("x"), 0)
  t.eq(hex("\0\255\16"), "00ff10")
end)

t.test("resty.random.bytes gives n fresh bytes", function()
  local r = require "resty.random"
  local a, b = r.bytes(32, true), r.bytes(32)
  t.eq(#a, 32)
  t.eq(#b, 32)
  t.truthy(a ~= b)
  t.eq(r.bytes(0), "")
end)

t.test("resty.openssl.digest and hmac: RFC 2202 / RFC 4231", function()
  local digest = require "resty.openssl.digest"
  local hmac = require "resty.openssl.hmac"
  local d = digest.new("sha256")
  d:update("a", "b")
  t.eq(hex(d:final("c")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  t.eq(hex(digest.new():final("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d")
  local bad, err = digest.new("nope")
  t.is_nil(bad)
  t.match(err, 'invalid digest type "nope"')
  local key = string.rep("\11", 20)
  t.eq(hex(hmac.new(key, "sha256"):final("Hi There")),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
  t.eq(hex(hmac.new(key, "sha512"):final("Hi There")),
       "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
       .. "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854")
  local h = hmac.new("Jefe", "sha256")
  h:update("what do ya want ", "for nothing?")
  local mac = h:final()
  t.eq(hex(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
  h:reset()
  t.eq(h:final("what do ya want for nothing?"), mac)
  t.eq(hex(hmac.new(key):final("Hi There")), "b617318655057264e28bc0b6fb378c8ef146be00")
  t.eq(hex(hmac.new("Jefe", "md5"):final("what do ya want for nothing?")),
       "750c783e6ab0b503eaa86e310a5db738")
end)

t.test("ngx hashing: md5, md5_bin, sha1_bin, hmac_sha1, crc32", function()
  t.eq(ngx.md5(""), "d41d8cd98f00b204e9800998ecf8427e")
  t.eq(ngx.md5_bin("abc"), unhex("900150983cd24fb0d6963f7d28e17f72"))
  t.eq(hex(ngx.sha1_bin("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d")
  t.eq(hex(ngx.hmac_sha1("Jefe", "what do ya want for nothing?")),
       "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
  t.eq(ngx.crc32_long("123456789"), 0xCBF43926)
  t.eq(ngx.crc32_short("The quick brown fox jumps over the lazy dog"), 0x414FA339)
  t.eq(ngx.crc32_short(""), 0)
end)

t.test("ngx base64: RFC 4648 section 10", function()
  local v = { [""] = "", f = "Zg==", fo = "Zm8=", foo = "Zm9v", foob = "Zm9vYg==",
              fooba = "Zm9vYmE=", foobar = "Zm9vYmFy" }
  for plain, enc in pairs(v) do
    t.eq(ngx.encode_base64(plain), enc, plain)
    t.eq(ngx.decode_base64(enc), plain, enc)
  end
  t.eq(ngx.encode_base64("f", true), "Zg")
  t.is_nil(ngx.decode_base64("Zm9v!"))
end)

t.test("ngx.re.match: captures, unset groups, named groups, options, ctx", function()
  local m = ngx.re.match("hello, 1234", "([0-9])[0-9]+")
  t.same(m, { [0] = "1234", "1" })
  m = ngx.re.match("ab", "(a)(x)?(b)")
  t.eq(m[2], false)
  t.eq(m[3], "b")
  m = ngx.re.match("2024-05", [[(?<year>\d+)-(?<month>\d+)]], "jo")
  t.eq(m.year, "2024")
  t.eq(m.month, "05")
  t.eq(m[1], "2024")
  t.is_nil(ngx.re.match("HELLO", "hello"))
  t.eq(ngx.re.match("HELLO", "hello", "i")[0], "HELLO")
  t.eq(ngx.re.match("a\nb", "^b", "m")[0], "b")
  t.is_nil(ngx.re.match("a\nb", "a.b"))
  t.eq(ngx.re.match("a\nb", "a.b", "s")[0], "a\nb")
  t.eq(ngx.re.match("abc", " b # comment", "x")[0], "b")
  t.eq(ngx.re.match("h\195\169llo", "^h.l", "u")[0], "h\195\169l")
  local ctx = { pos = 3 }
  m = ngx.re.match("a1b2", "[0-9]", "", ctx)
  t.eq(m[0], "2")
  t.eq(ctx.pos, 5)
  local bad, err = ngx.re.match("x", "(")
  t.is_nil(bad)
  t.match(err, "pcre2_compile%(%) failed: missing closing parenthesis")
  t.raises(function() ngx.re.match("x", "x", "z") end, 'unknown flag "z" (flags "z")')
end)

t.test("ngx.re.find with nth and a catastrophic pattern", function()
  local from, to = ngx.re.find("hello, 1234", "([0-9]+)")
  t.eq(from, 8)
  t.eq(to, 11)
  from, to = ngx.re.find("key=value", "(\\w+)=(\\w+)", "jo", nil, 2)
  t.eq(from, 5)
  t.eq(to, 9)
  t.is_nil(ngx.re.find("abc", "x"))
  local f, _, err = ngx.re.find(string.rep("a", 40) .. "b", "^(a+)+$")
  t.is_nil(f)
  t.match(err, "pcre2_match%(%) failed")
end)

t.test("ngx.re.gmatch iterates every match, empty ones included", function()
  local got = {}
  for m in ngx.re.gmatch("a1b22c333", "([a-z])([0-9]+)") do got[#got + 1] = m[1] .. "=" .. m[2] end
  t.same(got, { "a=1", "b=22", "c=333" })
  local n = 0
  for m in ngx.re.gmatch("abc", "x*") do n = n + 1; t.eq(m[0], "") end
  t.eq(n, 4)
end)

t.test("ngx.re.sub / gsub: templates, functions, counts (Perl's results)", function()
  local s, n = ngx.re.sub("hello, world", "([a-z])[a-z]+", "[$0/$1]")
  t.eq(s, "[hello/h], world")
  t.eq(n, 1)
  s, n = ngx.re.gsub("hello, world", "([a-z])[a-z]+", "[$0,${1}]")
  t.eq(s, "[hello,h], [world,w]")
  t.eq(n, 2)
  s = ngx.re.gsub("a-b", "(?<x>[a-z])", "<${x}>$$")
  t.eq(s, "<a>$-<b>$")
  s, n = ngx.re.gsub("hello, world", "[a-z]+", function(m) return m[0]:upper() end)
  t.eq(s, "HELLO, WORLD")
  t.eq(n, 2)
  t.eq((ngx.re.gsub("abc", "x*", "-")), "-a-b-c-")
  t.eq((ngx.re.gsub("baaac", "a*", "-")), "-b--c-")
  s, n = ngx.re.gsub("abc", "z", "y")
  t.eq(s, "abc")
  t.eq(n, 0)
  local a, b, err = ngx.re.sub("abc", "b", "$x")
  t.is_nil(a)
  t.is_nil(b)
  t.match(err, "replacement template")
end)

t.test("ngx.re: the pattern cache survives being dropped when full", function()
  for i = 1, 1100 do t.eq(ngx.re.match("x" .. i, "^x" .. i .. "$")[0], "x" .. i) end
  t.eq(ngx.re.match("x1", "^x1$")[0], "x1")
  local m = ngx.re.match("ab", "(a)(b)", "jo")
  t.eq(m[2], "b")
end)

t.test("work done in C is bounded: PBKDF2 iterations, generated RSA size", function()
  local kdf = require "resty.openssl.kdf"
  local k, err = kdf.derive({ type = kdf.PBKDF2, outlen = 16, pass = "p", salt = "s",
                              pbkdf2_iter = 1000001 })
  t.is_nil(k)
  t.match(err, "out of range")
  local key, kerr = require("resty.openssl.pkey").new({ type = "RSA", bits = 8192 })
  t.is_nil(key)
  t.match(kerr, "512 to 4096 bits")
end)

t.test("ngx.re module: split", function()
  local split = require("ngx.re").split
  t.same(split("a,b,c,d", ","), { "a", "b", "c", "d" })
  t.same(split("a, b,  c", ",\\s*"), { "a", "b", "c" })
  t.same(split("abcd", ""), { "a", "b", "c", "d" })
  t.same(split("a,b,c,d", ",", nil, nil, 2), { "a", "b,c,d" })
end)

-- keys and signatures checked against the openssl command line
local tmp = os.getenv("DAOC_TEST_TMP") or "/tmp"
local function sh(cmd) t.eq(os.execute(cmd .. " >/dev/null 2>&1"), 0, cmd) end
local slurp, spit = t.slurp, t.spit

t.test("resty.openssl.pkey: a PEM from openssl, signatures both ways", function()
  local pkey = require "resty.openssl.pkey"
  local dir = tmp .. "/libs-pkey"
  sh("mkdir -p " .. dir)
  sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " .. dir .. "/k.pem")
  sh("openssl pkey -in " .. dir .. "/k.pem -pubout -out " .. dir .. "/pub.pem")
  local priv = assert(pkey.new(slurp(dir .. "/k.pem")))
  t.eq(priv:is_private(), true)
  t.eq(priv:get_key_type().sn, "rsaEncryption")
  t.eq(priv:to_PEM("public"), slurp(dir .. "/pub.pem"))
  local pub = assert(pkey.new(slurp(dir .. "/pub.pem")))
  t.eq(pub:is_private(), false)
  local nopriv, err = pub:to_PEM("private")
  t.is_nil(nopriv)
  t.match(err, "not a private key")
  -- ours signs, openssl verifies
  local sig = assert(priv:sign("payload", "sha256"))
  spit(dir .. "/msg", "payload")
  spit(dir .. "/sig", sig)
  sh("openssl dgst -sha256 -verify " .. dir .. "/pub.pem -signature " .. dir .. "/sig "
     .. dir .. "/msg")
  t.eq(pub:verify(sig, "payload", "sha256"), true)
  t.eq(pub:verify(sig, "payloaX", "sha256"), false)
  -- openssl signs, ours verifies
  sh("openssl dgst -sha512 -sign " .. dir .. "/k.pem -out " .. dir .. "/sig2 " .. dir .. "/msg")
  t.eq(pub:verify(slurp(dir .. "/sig2"), "payload", "sha512"), true)
  -- the modulus is the one openssl prints
  local p = pub:get_parameters()
  local pf = io.popen("openssl rsa -pubin -in " .. dir .. "/pub.pem -noout -modulus")
  local modulus = pf:read("*a"):match("Modulus=(%x+)")
  pf:close()
  t.eq(hex(p.n):upper(), modulus)
  t.eq(hex(p.e), "010001")
  local junk, jerr = pkey.new("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
  t.is_nil(junk)
  t.match(jerr, "pkey.new")
end)

t.test("resty.openssl.pkey options: type pr/pu, DER, JWK (point read from openssl)", function()
  local pkey = require "resty.openssl.pkey"
  local b64 = require "ngx.base64"
  local dir = tmp .. "/libs-pkey-opts"
  sh("mkdir -p " .. dir)
  sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " .. dir .. "/e.pem")
  sh("openssl pkey -in " .. dir .. "/e.pem -pubout -out " .. dir .. "/ep.pem")
  sh("openssl pkey -in " .. dir .. "/e.pem -outform DER -out " .. dir .. "/e.der")
  local priv, pub = slurp(dir .. "/e.pem"), slurp(dir .. "/ep.pem")
  t.eq(assert(pkey.new(priv, { format = "PEM", type = "pr" })):is_private(), true)
  local nope, err = pkey.new(priv, { type = "pu" })
  t.is_nil(nope)
  t.match(err, "pkey.new:load_key")
  t.is_nil((pkey.new(pub, { type = "pr" })))
  t.eq(assert(pkey.new(pub, { type = "pu" })):to_PEM("public"), pub)
  local der = slurp(dir .. "/e.der")
  t.eq(assert(pkey.new(der, { format = "DER" })):to_PEM("public"), pub)
  t.eq(assert(pkey.new(der)):is_private(), true)
  t.is_nil((pkey.new(der, { format = "PEM" })))
  local pf = io.popen("openssl pkey -pubin -in " .. dir .. "/ep.pem -noout -text")
  local text = pf:read("*a")
  pf:close()
  local hexpt = text:match("pub:(.-)ASN1"):gsub("[%s:]", "")
  t.eq(#hexpt, 130)
  local pt = unhex(hexpt)
  local jwk = require("cjson").encode({ kty = "EC", crv = "P-256",
                                        x = b64.encode_base64url(pt:sub(2, 33)),
                                        y = b64.encode_base64url(pt:sub(34, 65)) })
  local k = assert(pkey.new(jwk, { format = "JWK" }))
  t.eq(k:to_PEM("public"), pub)
  t.eq(k:is_private(), false)
  t.is_nil((pkey.new(jwk:gsub('"y":"(.)', function(c) return '"y":"' .. (c == "A" and "B" or "A") end),
                     { format = "JWK" })))
end)

t.test("resty.openssl.pkey: generated RSA and EC keys", function()
  local pkey = require "resty.openssl.pkey"
  local ec = assert(pkey.new({ type = "EC", curve = "prime256v1" }))
  t.eq(ec:get_parameters().group, "prime256v1")
  local sig = assert(ec:sign("m"))
  t.eq(assert(pkey.new(ec:to_PEM("public"))):verify(sig, "m"), true)
  local rsa = assert(pkey.new({ type = "RSA", bits = 1024 }))
  t.eq(rsa:bits(), 1024)
  t.match(rsa:to_PEM("private"), "^%-%-%-%-%-BEGIN PRIVATE KEY")
  local bad, err = pkey.new({ type = "DSA2" })
  t.is_nil(bad)
  t.match(err, "unsupported key type")
end)

t.test("resty.openssl.kdf: PBKDF2 (RFC 6070) and HKDF (RFC 5869) vectors", function()
  local kdf = require "resty.openssl.kdf"
  local function pbkdf2(pass, salt, iter, len, md)
    return hex(assert(kdf.derive({ type = kdf.PBKDF2, outlen = len, pass = pass, salt = salt,
                                   pbkdf2_iter = iter, md = md })))
  end
  t.eq(pbkdf2("password", "salt", 1, 20), "0c60c80f961f0e71f3a9b524af6012062fe037a6")
  t.eq(pbkdf2("password", "salt", 2, 20), "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957")
  t.eq(pbkdf2("password", "salt", 4096, 20), "4b007901b765489abead49d926f721d065a429c1")
  t.eq(pbkdf2("passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25),
       "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038")
  local okm = kdf.derive({ type = kdf.HKDF, outlen = 42, md = "sha256",
                           hkdf_key = string.rep("\11", 22), salt = unhex("000102030405060708090a0b0c"),
                           hkdf_info = unhex("f0f1f2f3f4f5f6f7f8f9") })
  t.eq(hex(okm), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
  local bad, err = kdf.derive({ type = kdf.PBKDF2 })
  t.is_nil(bad)
  t.match(err, "outlen")
end)

t.test("resty.openssl.kdf object API (Kong 3.x oauth2) agrees with `openssl kdf`", function()
  local kdf = require "resty.openssl.kdf"
  local k = assert(kdf.new("PBKDF2"))
  local salt = require("resty.random").bytes(16)
  local got = assert(k:derive(32, { pass = "s3cret", salt = salt, digest = "sha512", iter = 10000 }, 4))
  t.eq(k:reset(), true)
  t.eq(k:derive(32, { pass = "s3cret", salt = salt, digest = "sha512", iter = 10000 }), got)
  local pf = io.popen("openssl kdf -keylen 32 -kdfopt digest:SHA512 -kdfopt pass:s3cret "
                      .. "-kdfopt hexsalt:" .. hex(salt) .. " -kdfopt iter:10000 PBKDF2")
  local want = pf:read("*a"):gsub("[:%s]", ""):lower()
  pf:close()
  t.eq(hex(got), want)
  local none, err = kdf.new("NOPE")
  t.is_nil(none)
  t.match(err, "unsupported")
end)

t.test("random bytes for Kong's helpers; ngx.base64 url-safe alphabet", function()
  t.eq(#require("kong.tools.utils").get_rand_bytes(16), 16)
  t.eq(#require("kong.tools.rand").get_rand_bytes(8), 8)
  t.eq(#require("resty.openssl.rand").bytes(5), 5)
  local b64 = require "ngx.base64"
  t.eq(b64.encode_base64url("\251\255\191"), "-_-_")
  t.eq(b64.decode_base64url("-_-_"), "\251\255\191")
  t.eq(b64.encode_base64url("f"), "Zg")
  local bad, err = b64.decode_base64url("a+b")
  t.is_nil(bad)
  t.eq(err, "invalid input")
end)

t.test("older bindings: luaossl openssl.pkey / x509 and luacrypto", function()
  local dir = tmp .. "/libs-ossl"
  sh("mkdir -p " .. dir)
  sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout " .. dir .. "/k.pem -out " .. dir
     .. "/c.pem -subj /CN=daoc.test -days 2")
  sh("openssl pkey -in " .. dir .. "/k.pem -pubout -out " .. dir .. "/pub.pem")
  local ossl_pkey, ossl_x509 = require "openssl.pkey", require "openssl.x509"
  local k = ossl_pkey.new(slurp(dir .. "/k.pem"))
  t.eq(k:toPEM("public"), slurp(dir .. "/pub.pem"))
  t.eq(ossl_x509.new(slurp(dir .. "/c.pem")):getPublicKey():toPEM("public"),
       slurp(dir .. "/pub.pem"))
  t.eq(pcall(ossl_pkey.new, "junk"), false)
  t.eq(pcall(ossl_x509.new, slurp(dir .. "/k.pem")), false)
  local rx = require("resty.openssl.x509").new(slurp(dir .. "/c.pem"))
  t.eq(rx:get_pubkey():to_PEM("public"), slurp(dir .. "/pub.pem"))
  local crypto = require "crypto"
  t.eq(crypto.digest("sha1", "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d")
  t.eq(crypto.digest("md5", "", true), unhex("d41d8cd98f00b204e9800998ecf8427e"))
  t.eq(crypto.hmac.digest("sha1", "what do ya want for nothing?", "Jefe"),
       "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
end)

t.test("resty.iputils and kong.tools.timestamp (Kong 0.x schemas and daos)", function()
  local ip = require "resty.iputils"
  local lo, hi = ip.parse_cidr("10.0.0.0/8")
  t.eq(lo, 10 * 2^24)
  t.eq(hi, 11 * 2^24 - 1)
  lo, hi = ip.parse_cidr("192.168.1.77")
  t.eq(lo, ((192 * 256 + 168) * 256 + 1) * 256 + 77)
  t.eq(hi, lo)
  local _, err = ip.parse_cidr("300.1.1.1")
  t.eq(err, "Invalid octet: 300")
  _, err = ip.parse_cidr("1.2.3.4/33")
  t.eq(err, "Invalid prefix: /33")
  _, err = ip.parse_cidr("1.2.3")
  t.eq(err, "Invalid IP")
  local c = ip.parse_cidrs({ "192.168.0.0/16", "10.0.0.1" })
  t.eq(ip.ip_in_cidrs("192.168.5.5", c), true)
  t.eq(ip.ip_in_cidrs("10.0.0.2", c), false)
  local ts = require("kong.tools.timestamp").get_timestamps(1700000000123) -- 2023-11-14 22:13:20Z
  t.same(ts, { second = 1700000000000, minute = 1699999980000, hour = 1699999200000,
               day = 1699920000000, month = 1698796800000, year = 1672531200000 })
end)

t.test("stringy", function()
  local stringy = require "stringy"
  t.same(stringy.split("a,b,,c", ","), { "a", "b", "", "c" })
  t.same(stringy.split("a.b", "."), { "a", "b" })
  t.eq(stringy.strip("  x y \n"), "x y")
  t.eq(stringy.startswith("kong-plugin", "kong"), true)
  t.eq(stringy.startswith("kong", "kong-plugin"), false)
  t.eq(stringy.endswith("schema.lua", ".lua"), true)
  t.eq(stringy.endswith("schema.lua", ".luac"), false)
  t.raises(function() stringy.strip(nil) end, "bad argument #1 to 'strip' (string expected, got nil)")
end)

t.test("Penlight and socket.url from Debian's packages", function()
  local stringx = require "pl.stringx"
  t.eq(stringx.strip("  a  "), "a")
  t.same(stringx.split("a b  c"), { "a", "b", "c" })
  local tablex = require "pl.tablex"
  t.same(tablex.keys({ x = 1 }), { "x" })
  local List = require "pl.List"
  t.eq(List({ 1, 2, 3 }):map(function(x) return x * 2 end):concat(","), "2,4,6")
  local url = require "socket.url"
  local u = url.parse("https://user@example.com:8443/a/b?c=d#f")
  t.eq(u.host, "example.com")
  t.eq(u.port, "8443")
  t.eq(u.path, "/a/b")
  t.eq(url.escape("a b"), "a%20b")
end)

t.test("ngx.shared: Kong's dictionaries exist, with ngx.shared.DICT's semantics", function()
  for _, name in ipairs({ "kong", "kong_locks", "kong_db_cache", "kong_rate_limiting_counters" }) do
    t.is_table(ngx.shared[name])
  end
  t.is_nil(ngx.shared.not_declared)
  local d = ngx.shared.kong_locks
  t.eq(d:get("k"), nil)
  t.eq(d:set("k", 1, 0, 7), true)
  local v, fl = d:get("k")
  t.eq(v, 1)
  t.eq(fl, 7)
  local ok, err = d:add("k", 2)
  t.eq(ok, false)
  t.eq(err, "exists")
  t.eq(d:incr("k", 2), 3)
  t.eq(d:incr("n", 1, 10), 11)
  local _, e2 = d:incr("none", 1)
  t.eq(e2, "not found")
  ok, err = d:replace("absent", 1)
  t.eq(err, "not found")
  d:set("gone", "x", 0.001)
  local deadline = ngx.now() + 1
  while d:get("gone") ~= nil and ngx.now() < deadline do end
  t.is_nil(d:get("gone"))
  d:delete("k")
  t.is_nil(d:get("k"))
  d:flush_all()
  t.eq(#d:get_keys(), 0)
end)

t.test("kong.tools.redis.schema: the redis record Kong's bundled plugins embed", function()
  local r = require "kong.tools.redis.schema"
  t.eq(r.config_schema.type, "record")
  local names = {}
  for _, f in ipairs(r.config_schema.fields) do names[#names + 1] = next(f) end
  t.same(names, { "host", "port", "timeout", "username", "password", "database", "ssl",
                  "ssl_verify", "server_name" })
end)

t.test("lfs: the reading half of LuaFileSystem, writes refused; pl.path on it", function()
  local lfs = require "lfs"
  t.eq(lfs.attributes("/", "mode"), "directory")
  local a = lfs.attributes("/etc/hostname") or lfs.attributes("/etc/passwd")
  t.eq(a.mode, "file")
  t.truthy(a.size >= 0 and a.modification > 0)
  t.match(a.permissions, "^[r-][w-][x-][r-][w-][x-][r-][w-][x-]$")
  local none, msg = lfs.attributes("/no/such/file")
  t.is_nil(none)
  t.eq(msg, "cannot obtain information from file '/no/such/file': No such file or directory")
  local names = {}
  for name in lfs.dir("/") do names[name] = true end
  t.truthy(names["."] and names["etc"])
  local ok, err = lfs.mkdir("/tmp/daoc-should-not-exist")
  t.is_nil(ok)
  t.eq(err, "mkdir: not permitted to plugin code in daoc (read-only lfs)")
  t.is_nil(lfs.attributes("/tmp/daoc-should-not-exist"))
  local path = require "pl.path"
  t.eq(path.isdir("/etc"), true)
  t.eq(path.exists("/no/such/file"), false)
end)

t.test("kong.meta, kong.tools.http and kong.db.schema's validators", function()
  local meta = require "kong.meta"
  t.eq(meta._NAME, "kong")
  t.match(meta.version, "^%d+%.%d+%.%d+$")
  t.eq(tostring(meta._VERSION_TABLE), meta.version)
  local http = require "kong.tools.http"
  t.eq(http.validate_header_name("X-Api_Key1"), "X-Api_Key1")
  local bad, why = http.validate_header_name("x key")
  t.is_nil(bad)
  t.eq(why, "bad header name 'x key', allowed characters are A-Z, a-z, 0-9, '_', and '-'")
  t.eq(select(2, http.validate_header_name("")), "no header name provided")
  local v = require("kong.db.schema").validators
  t.eq(v.is_regex("^/a(b|c)$"), true)
  t.eq(v.is_regex("(unclosed"), false)
  t.eq(v.uuid("7c4e0e5e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"), true)
  t.eq(v.uuid("nope"), false)
end)

t.test("kong.plugins.base_plugin: the class 0.x-2.x handlers extend", function()
  local BasePlugin = require "kong.plugins.base_plugin"
  local H = BasePlugin:extend()
  H.PRIORITY = 1000
  function H:new() H.super.new(self, "my-plugin") end
  local h = H()
  t.eq(h._name, "my-plugin")
  t.eq(h:is(BasePlugin), true)
  t.eq(type(h.access), "function")
  h:access({})
  t.eq(require("kong.vendor.classic"), require("classic"))
end)

t.test("kong.db.errors: Kong's codes and names, and err_t built as the DAO builds them", function()
  local Errors = require "kong.db.errors"
  t.eq(Errors.codes.DATABASE_ERROR, 8)
  t.eq(Errors.codes.REFERENCED_BY_OTHERS, 19)
  t.eq(Errors.names[Errors.codes.UNIQUE_VIOLATION], "unique constraint violation")
  local e = kong.db.consumers.errors
  t.eq(e.strategy, t.STRATEGY)
  t.eq(e.NOT_FOUND, 6)
  -- the same message the C DAO gives for the same fields
  local _, err, err_t = kong.db.consumers:insert({})
  t.eq(tostring(e:schema_violation(err_t.fields)), err)
  local nf = e:not_found({ id = "x" })
  t.eq(nf.code, 6)
  t.eq(tostring(nf), t.P .. "could not find the entity with primary key '{id=\"x\"}'")
  t.eq(tostring(e:unique_violation({ username = "bob" })),
       t.P .. "UNIQUE violation detected on '{username=\"bob\"}'")
  local iu = e:invalid_unique("tag", "bad tag")
  t.eq(iu.name, "invalid unique tag")
  t.eq(tostring(e:invalid_options({ ttl = "must be a number" })),
       t.P .. "invalid option (ttl: must be a number)")
  t.eq(e:invalid_options({ ttl = "x" }).options.ttl, "x")
  t.eq(tostring(e:foreign_key_violation_invalid_reference({ id = "1" }, "consumer", "consumers")),
       t.P .. "the foreign key '{id=\"1\"}' does not reference an existing 'consumers' entity.")
  t.eq(e:referenced_by_others("still used").code, 19)
  t.eq(e:operation_unsupported("nope").name, "operation unsupported")
  t.eq(e:database_error().message, "database error")
  t.raises(function() e:not_found("x") end, "primary_key must be a table")
end)

t.done()
