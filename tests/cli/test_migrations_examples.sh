#!/usr/bin/env bash
# The example plugins of every generation (examples/plugins: key-auth with
# Kong 3.x migrations and a teardown, keyauth-v11 with 1.x ones, keyauth-v014
# with a 0.x migrations/postgres.lua, keyauth-v05 with 0.5's Cassandra-only
# schema/migrations.lua) bootstrapped by `daoc migrations`, then every tour
# run with create_tables = off: the tables are the migrations' (PostgreSQL)
# or the schemas' (SQLite, and the Cassandra-only plugin).  Runs on the store
# the environment selects, from an empty directory, with DAOC_BIN and
# DAOC_SRC_DIR set.
set -u
BIN="${DAOC_BIN:?DAOC_BIN not set}"
EX="${DAOC_SRC_DIR:?DAOC_SRC_DIR not set}/examples/plugins"
. "$(dirname "$0")/lib.sh"
STORE="${DAOC_DATABASE:-sqlite}"
export DAOC_SQLITE_PATH="$PWD/examples.db" DAOC_LUA_PACKAGE_PATH="$EX/?.lua;$EX/?/init.lua"
export DAOC_PLUGINS="key-auth,keyauth-v11,keyauth-v014,keyauth-v05"
rm -f examples.db

out=$("$BIN" migrations bootstrap 2>err.txt); rc=$?
has() { grep -Fq -- "$1" <<<"$out"; }
if [ $rc -eq 0 ] && has "key-auth migrated up to: 001_10_to_20 (executed)" &&
   has "keyauth-v11 migrated up to: 000_base_keyauth11 (executed)" &&
   has "keyauth-v014 migrated up to: 2018-07-10-120000_init_keyauth014 (executed)" &&
   has "28 migrations processed" && has "Database is up-to-date"; then
  ok "bootstrap runs the migrations of every generation"
else bad "bootstrap: exit $rc"; echo "$out"; cat err.txt; fi
if grep -Fq "plugin 'keyauth-v05': its migrations are for Cassandra only" err.txt &&
   has "plugin 'keyauth-v05' has no migrations for $STORE: its tables are made from its schema"; then
  ok "0.5's Cassandra-only migrations: said so, tables from the schema"
else bad "keyauth-v05 notices"; echo "$out"; cat err.txt; fi
if [ "$STORE" = sqlite ]; then
  if has "plugin 'key-auth': its migrations are PostgreSQL's; on SQLite its tables are made from its schema and its migrations recorded"; then
    ok "SQLite: the plugins' tables come from their schemas, and it says so"
  else bad "SQLite notice"; echo "$out"; fi
fi
"$BIN" migrations list > list.txt 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -Fq "keyauth-v014: 2018-07-10-120000_init_keyauth014" list.txt; then
  ok "list: up to date (exit 0)"
else bad "list: exit $rc"; cat list.txt; fi

for tour in tour-2x tour-v11 tour-v014 tour-v05; do
  if (cd "$EX" && DAOC_CREATE_TABLES=off "$BIN" -c examples.conf runner "$tour.lua") \
       > "$tour.out" 2> "$tour.err"; then
    ok "$tour runs on the migrated database (create_tables = off)"
  else bad "$tour"; cat "$tour.out" "$tour.err" | tail -20; fi
done

# 0.x `down`: keyauth-v014's migration rolled back and applied again
out=$("$BIN" migrations down key-auth 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -Fq "the migrations of 'key-auth' have no down" <<<"$out"; then
  ok "down of a 1.x+ plugin is refused: its migrations only go up"
else bad "down key-auth: exit $rc: $out"; fi
if [ "$STORE" = postgres ]; then
  out=$("$BIN" migrations down keyauth-v014 2>&1); rc=$?
  if [ $rc -eq 0 ] && grep -Fq "keyauth-v014 migrated down from: 2018-07-10-120000_init_keyauth014" <<<"$out"; then
    ok "down rolls back a 0.x plugin's newest migration"
  else bad "down keyauth-v014: exit $rc: $out"; fi
  "$BIN" migrations list > list2.txt 2>&1; rc=$?
  if [ $rc -eq 5 ] && grep -Fq "keyauth-v014: 2018-07-10-120000_init_keyauth014" list2.txt; then
    ok "after down the migration is new again (list exit 5)"
  else bad "list after down: exit $rc"; cat list2.txt; fi
  echo 'assert(kong.db.keyauth014_credentials:page()) print("table there")' > v014.lua
  if DAOC_CREATE_TABLES=off "$BIN" runner v014.lua > /dev/null 2>&1; then
    bad "keyauth014_credentials is still there after down"
  else ok "down ran the migration's down SQL (the table is gone)"; fi
  out=$("$BIN" migrations up 2>&1); rc=$?
  if [ $rc -eq 0 ] && grep -Fq "keyauth-v014 migrated up to: 2018-07-10-120000_init_keyauth014 (executed)" <<<"$out" &&
     DAOC_CREATE_TABLES=off "$BIN" runner v014.lua > /dev/null 2>&1; then
    ok "up applies it again"
  else bad "up after down: exit $rc: $out"; fi
else
  out=$("$BIN" migrations down keyauth-v014 2>&1); rc=$?
  if [ $rc -eq 1 ] && grep -Fq "are PostgreSQL's; on SQLite its tables come from its schema" <<<"$out"; then
    ok "down on SQLite says why it cannot"
  else bad "down on SQLite: exit $rc: $out"; fi
fi

finish
