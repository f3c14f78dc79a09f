#!/usr/bin/env bash
# The daoc command line: help, version, exit codes, configuration lookup
# (-c, ./daoc.conf, DAOC_<KEY>) and how script errors are reported.
# Run by scripts/run-tests.sh from an empty temp dir with DAOC_BIN set.
set -u
BIN="${DAOC_BIN:?DAOC_BIN not set}"
passed=0; failed=0
check() { # $1 name, $2 expected exit, $3 expected stdout (exact), $4 expected stderr (exact), cmd...
  local name="$1" xrc="$2" xout="$3" xerr="$4"; shift 4
  local out err rc
  out=$("$@" 2>err.txt); rc=$?; err=$(cat err.txt)
  if [ "$rc" -eq "$xrc" ] && [ "$out" = "$xout" ] && [ "$err" = "$xerr" ]; then
    passed=$((passed + 1)); echo "ok - $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"
    echo "  exit   $rc (expected $xrc)"; echo "  stdout $out"; echo "  want   $xout"
    echo "  stderr $err"; echo "  want   $xerr"
  fi
}
unset DAOC_SQLITE_PATH DAOC_PLUGINS DAOC_DATABASE DAOC_LUA_PACKAGE_PATH DAOC_PREFIX

check "version" 0 "daoc 0.1.0" "" "$BIN" --version
out=$("$BIN" --help); rc=$?
if [ $rc -eq 0 ] && grep -q '^Usage: daoc' <<<"$out" && grep -q 'runner SCRIPT' <<<"$out"; then
  passed=$((passed + 1)); echo "ok - help"; else failed=$((failed + 1)); echo "FAIL help ($rc)"; fi
check "unknown command" 2 "" "daoc: unknown command 'frobnicate' (see daoc --help)" "$BIN" frobnicate
check "unknown option" 2 "" "daoc: unknown option '--nope' (see daoc --help)" "$BIN" --nope runner x.lua
check "missing -c argument" 2 "" "daoc: -c: missing FILE" "$BIN" -c

echo 'print(kong.db.consumers:insert({ username = "u1" }).username)' > insert.lua
check "defaults: ./daoc.db" 0 "u1" "" "$BIN" runner insert.lua
[ -f daoc.db ] && { passed=$((passed + 1)); echo "ok - ./daoc.db created"; } || { failed=$((failed + 1)); echo "FAIL ./daoc.db not created"; }

printf 'sqlite_path = ./from-conf.db  # comment\n' > daoc.conf
check "./daoc.conf is read without -c" 0 "u1" "" "$BIN" runner insert.lua
[ -f from-conf.db ] && { passed=$((passed + 1)); echo "ok - ./daoc.conf honoured"; } || { failed=$((failed + 1)); echo "FAIL ./daoc.conf ignored"; }
check "environment overrides the file" 0 "u1" "" env DAOC_SQLITE_PATH=./from-env.db "$BIN" runner insert.lua
[ -f from-env.db ] && { passed=$((passed + 1)); echo "ok - DAOC_SQLITE_PATH honoured"; } || { failed=$((failed + 1)); echo "FAIL DAOC_SQLITE_PATH ignored"; }
rm -f daoc.conf

printf 'database = sqlite\nsqlite_pth = x.db\n' > bad.conf
check "unknown key in -c file" 1 "" "daoc: invalid configuration: bad.conf:2: unknown configuration key 'sqlite_pth'" "$BIN" -c bad.conf runner insert.lua
check "bad environment value" 1 "" "daoc: invalid configuration: DAOC_DATABASE: expected one of: sqlite, postgres (got 'mysql')" env DAOC_DATABASE=mysql "$BIN" runner insert.lua
check "missing config file" 1 "" "daoc: invalid configuration: nope.conf: No such file or directory" "$BIN" -c nope.conf runner insert.lua

printf 'local x = 1\nerror("boom")\n' > fails.lua
check "uncaught error: message, exit 1" 1 "" "daoc: fails.lua:2: boom" "$BIN" runner fails.lua
check "missing script" 1 "" "daoc: cannot open fails-not-here.lua: No such file or directory" "$BIN" runner fails-not-here.lua
printf 'print(select("#", ...), arg[1], arg[2], arg[0])\n' > args.lua
check "script arguments" 0 "2	a	b	args.lua" "" "$BIN" runner args.lua a b
printf 'local c, err, err_t = kong.db.consumers:insert({})\nprint(err)\nprint(err_t.code, err_t.name)\n' > violation.lua
check "a DAO error is a value, not a failure" 0 "[sqlite] schema violation (at least one of these fields must be non-empty: 'custom_id', 'username')
2	schema violation" "" "$BIN" runner violation.lua

echo "RESULT passed=$passed failed=$failed"
[ $failed -eq 0 ]
