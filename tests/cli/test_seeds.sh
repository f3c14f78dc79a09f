#!/usr/bin/env bash
# The seeds' examples (../shared/seeds: Kong's plugin-development chapters)
# run through `daoc runner` as written, each with the plugin its chapter
# defines (tests/fixtures/seeds: the chapters' daos.lua files verbatim).
# Seed 004 (2.x/3.x) has its own Lua suite, tests/lua/test_seeds004.lua.
# Run by scripts/run-tests.sh from an empty temp dir with DAOC_BIN and
# DAOC_SRC_DIR set.
set -u
BIN="${DAOC_BIN:?DAOC_BIN not set}"
FX="${DAOC_SRC_DIR:?DAOC_SRC_DIR not set}/tests/fixtures/seeds"
. "$(dirname "$0")/lib.sh"
unset DAOC_DATABASE DAOC_PREFIX
seed() { # $1 seed script name, $2 plugins: runs it into $out
  rm -f "$1.db"
  out=$(DAOC_SQLITE_PATH="./$1.db" DAOC_PLUGINS="$2" DAOC_LUA_PACKAGE_PATH="$FX/?.lua" \
        "$BIN" runner "$FX/scripts/$1.lua" 2>err.txt); local rc=$?
  if [ $rc -eq 0 ]; then ok "$1 runs as written"; else bad "$1 exit $rc: $(cat err.txt)"; fi
}
expect_line() { # $1 name, $2 a whole line $out must hold
  if grep -Fxq -- "$2" <<<"$out"; then ok "$1"; else bad "$1: no line '$2' in:"; echo "$out"; fi
}

seed seed000 ""
expect_line "000: the factory's core DAOs" \
  "seed000: the factory's core DAOs: apis apis, consumers consumers, plugins plugins"
expect_line "000: dao.apis:insert" 'seed000: inserted api mockbin mockbin.com -> http://mockbin.com with an id'

seed seed001 "key-auth"
expect_line "001: the core DAOs on singletons.db and singletons.dao" \
  'seed001: core DAOs: services, routes, consumers, plugins'
expect_line "001: dao.plugins:insert with a flat service_id" \
  'seed001: plugin key-auth on service_id mockbin, key_names apikey, enabled true'
expect_line "001: the same plugin through kong.db" 'seed001: kong.db sees it on service mockbin'
if grep -Eq "^seed001: again: \[sqlite error\] name=already exists with value 'key-auth' service_id=already exists with value '[0-9a-f-]{36}'$" <<<"$out"; then
  ok "001: one plugin per name and scope, 0.x-style error"
else bad "001 duplicate: $out"; fi
expect_line "001: the 0.x schema's func validator, 0.x error name" \
  "seed001: bad key name: [sqlite error] config.key_names='a b' is illegal as a header name"
expect_line "001: a plugin not enabled" \
  "seed001: not enabled: [sqlite error] name=plugin 'rate-limiting' not enabled; add it to the 'plugins' configuration property"

seed seed002 "seed002"
expect_line "002: the BaseDao child on the factory" \
  'seed002: keyauth_credentials:find_by_keys -> 1 row, consumer matches'
if grep -q "queryable, marshall_event" err.txt; then ok "002: one deprecation notice"; else bad "002 notice: $(cat err.txt)"; fi

seed seed003 "seed003"
expect_line "003: kong.dao insert with a flat consumer_id" 'seed003: inserted key abcd for consumer_id seed003'
expect_line "003: a duplicate key, 0.x-style error" "seed003: [sqlite error] key=already exists with value 'abcd'"

finish
