-- `daoc runner`: the script environment (arg, ..., require, print, ngx,
-- kong) and how failures are reported.  Child runs use $DAOC_BIN (set by
-- scripts/run-tests.sh) and are skipped when it is not set.
local t = require "t"
local script_args = { ... }

t.test("arg holds the script path; ... is empty without arguments", function()
  t.is_table(arg)
  t.match(arg[0], "test_runner%.lua$")
  t.eq(#script_args, 0)
  t.eq(arg[1], nil)
end)

t.test("standard libraries and globals of a trusted script", function()
  t.eq(type(io.open), "function")
  t.eq(type(os.getenv), "function")
  t.eq(type(string.dump), "function")
  t.eq(type(print), "function")
  t.eq(ngx.null, require("cjson").null)
  t.eq(type(kong.db), "table")
  t.eq(type(kong.log.err), "function")
end)

t.test("require searches package.path", function()
  t.eq(require("t"), t)
  local ok, err = pcall(require, "no.such.module")
  t.eq(ok, false)
  t.match(err, "module 'no.such.module' not found")
end)

local bin = os.getenv("DAOC_BIN")
local tmp = os.getenv("DAOC_TEST_TMP") or "/tmp"

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

-- Runs the child runner on `text`; returns exit status, stdout, stderr.
local function run_child(name, text, args)
  local path = tmp .. "/" .. name
  write(path, text)
  local errpath = path .. ".err"
  local p = io.popen(string.format("%q runner %q %s 2>%q; echo \"rc=$?\"", bin, path,
                                   args or "", errpath))
  local out = p:read("*a")
  p:close()
  local f = io.open(errpath, "rb")
  local err = f and f:read("*a") or ""
  if f then f:close() end
  local rc = tonumber(out:match("rc=(%d+)%s*$"))
  return rc, out:gsub("rc=%d+%s*$", ""), err
end

t.test("ngx.sleep waits, and runs the timers that come due meanwhile, in time order", function()
  local t0 = ngx.now()
  local order = {}
  t.eq(ngx.timer.at(0.04, function(premature, a, b)
    order[#order + 1] = "second " .. tostring(premature) .. " " .. a .. b
  end, "x", "y"), true)
  t.eq(ngx.timer.at(0.01, function(premature) order[#order + 1] = "first" end), true)
  local n = 0
  t.eq(ngx.timer.every(0.02, function(premature) if not premature then n = n + 1 end end), true)
  t.eq(ngx.timer.pending_count(), 3)
  ngx.sleep(0.1)
  t.truthy(ngx.now() - t0 >= 0.099) -- ngx.now() has whole milliseconds
  t.eq(order[1], "first")
  t.eq(order[2], "second false xy")
  t.truthy(n >= 3)
  t.eq(ngx.timer.pending_count(), 1) -- the recurring one
  local ok, err = pcall(ngx.timer.at, -1, function() end)
  t.eq(ok, false)
  t.match(err, "expecting a non%-negative number")
  t.eq(pcall(ngx.timer.at, 1, "not a function"), false)
  t.eq(pcall(ngx.timer.every, 0, function() end), false)
  t.eq(pcall(ngx.sleep, "soon"), false)
  ngx.update_time()
  t.eq(type(ngx.now()), "number")
end)

if bin then
  t.test("timers still pending when the script ends run once, premature", function()
    local rc, out = run_child("timers.lua", [[
ngx.timer.at(30, function(premature, what) print("late", premature, what) end, "w")
ngx.timer.at(0, function(premature) print("due", premature) end)
ngx.sleep(0)
print("end of script")
]])
    t.eq(rc, 0)
    t.eq(out, "due\tfalse\nend of script\nlate\ttrue\tw\n")
  end)

  t.test("a child script gets its arguments in arg and ...", function()
    local rc, out = run_child("args.lua", "print(arg[1], arg[2], select('#', ...), ...)\n",
                              "one two")
    t.eq(rc, 0)
    t.eq(out, "one\ttwo\t2\tone\ttwo\n")
  end)

  t.test("an uncaught error reports file:line: message and exits non-zero", function()
    local rc, _, err = run_child("boom.lua", "local x = 1\nerror('boom')\n")
    t.truthy(rc ~= 0)
    t.match_plain(err, "boom.lua:2: boom")
  end)

  t.test("an error raised with an err_t table is shown with its message", function()
    local rc, _, err = run_child("errt.lua",
      "local _, _, err_t = kong.db.consumers:insert({})\nerror(err_t)\n")
    t.truthy(rc ~= 0)
    t.match_plain(err, t.P .. "schema violation")
  end)

  t.test("a syntax error names the file and line", function()
    local rc, _, err = run_child("syntax.lua", "local x = \n\n)\n")
    t.truthy(rc ~= 0)
    t.match_plain(err, "syntax.lua:3:")
  end)

  t.test("bytecode is refused", function()
    local rc, out, err = run_child("bc.lua", string.dump(function() print("ran") end))
    t.truthy(rc ~= 0)
    t.eq(out, "")
    t.match_plain(err, "bytecode")
  end)

  t.test("a #! first line is skipped and line numbers stay right", function()
    local rc, _, err = run_child("shebang.lua", "#!/usr/bin/env daoc\nerror('x')\n")
    t.truthy(rc ~= 0)
    t.match_plain(err, "shebang.lua:2: x")
  end)

  t.test("a missing script is an error", function()
    local p = io.popen(string.format("%q runner %q 2>&1; echo \"rc=$?\"", bin,
                                     tmp .. "/does-not-exist.lua"))
    local out = p:read("*a")
    p:close()
    t.truthy(not out:find("rc=0", 1, true))
    t.match_plain(out, "does-not-exist.lua")
  end)

  t.test("print writes to stdout", function()
    local rc, out, err = run_child("print.lua", "print('hello', 1, nil, true)\n")
    t.eq(rc, 0)
    t.eq(out, "hello\t1\tnil\ttrue\n")
    t.eq(err:find("hello", 1, true), nil)
  end)
end

t.test("cjson shim returns what lua-cjson returns", function()
  local cjson = require "cjson"
  t.eq(select("#", cjson.encode({ a = 1 })), 1)
  t.eq(cjson.encode({ a = 1 }), '{"a":1}')
  t.eq(select("#", cjson.decode("[1]")), 1)
  t.eq(cjson.decode("null"), ngx.null)
  local safe = require "cjson.safe"
  local v, err = safe.decode("{bad")
  t.eq(v, nil)
  t.eq(type(err), "string")
  t.eq(pcall(cjson.decode, "{bad"), false)
end)

t.done()
