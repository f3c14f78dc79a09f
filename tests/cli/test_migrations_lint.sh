#!/usr/bin/env bash
# `daoc migrations lint`: the loaded schemas against the database's real
# catalog.  Before a bootstrap it answers as list does (exit 3); a
# database daoc bootstrapped (core, the example plugins of every
# generation and a fixture plugin) lints clean (exit 0); then the fixture's
# table is broken by hand (sqlite3 / psql: its per-workspace unique
# constraint, its foreign key's ON DELETE, its foreign key index and its
# ttl index) and every finding is one line naming the table, the columns,
# the entity and the field, with a fix (exit 1); lint takes no lock and
# changes nothing; the fixes it prints repair the table; a field added to
# the schema without a column and a dropped table are found too.  Runs on
# the store the environment selects (DAOC_DATABASE; scripts/run-tests.sh
# runs it on SQLite and on PostgreSQL), from an empty directory, with
# DAOC_BIN and DAOC_SRC_DIR set.
set -u
BIN="${DAOC_BIN:?DAOC_BIN not set}"
EX="${DAOC_SRC_DIR:?DAOC_SRC_DIR not set}/examples/plugins"
. "$(dirname "$0")/lib.sh"
STORE="${DAOC_DATABASE:-sqlite}"
export DAOC_SQLITE_PATH="$PWD/lint.db"
rm -f lint.db

P=kong/plugins/lint-demo
mkdir -p "$P"
write_daos() { # $1: an extra field line, or nothing
  cat > "$P/daos.lua" <<EOF
local typedefs = require "kong.db.schema.typedefs"
return {
  { name = "lint_items", primary_key = { "id" }, workspaceable = true, ttl = true,
    fields = {
      { id = typedefs.uuid },
      { name = { type = "string", unique = true } },
      { consumer = { type = "foreign", reference = "consumers", on_delete = "cascade" } },
      { note = { type = "string" } },
      $1
    } },
}
EOF
}
write_daos ""
export DAOC_LUA_PACKAGE_PATH="$PWD/?.lua;$PWD/?/init.lua;$EX/?.lua;$EX/?/init.lua"
export DAOC_PLUGINS="lint-demo,key-auth,keyauth-v11,keyauth-v014,keyauth-v05"

sql() { # $1: SQL run on the database in use
  if [ "$STORE" = postgres ]; then
    psql -h "$DAOC_PG_HOST" -p "$DAOC_PG_PORT" -U "$DAOC_PG_USER" -d "$DAOC_PG_DATABASE" -qAt \
      -v ON_ERROR_STOP=1 -c "$1"
  else
    sqlite3 -bail lint.db "$1"
  fi
}
fixes() { # the statements after "fix: " in $out that begin with CREATE or ALTER
  sed -n 's/^table .*; fix: \(\(CREATE\|ALTER\) .*\)$/\1/p' <<<"$out"
}

run migrations lint
expect_lines "lint before bootstrap: list's answer, exit 3" 3 \
  "Database needs bootstrapping or is older than Kong 1.0."

run migrations bootstrap
[ "$rc" -eq 0 ] && ok "bootstrap" || bad "bootstrap: exit $rc: $out $errout"
run migrations lint
expect_lines "a database daoc bootstrapped lints clean" 0 "no findings: 22 tables match their entities"

T=lint_items
# ---- the fixture's table broken by hand ---------------------------------
if [ "$STORE" = postgres ]; then
  sql "ALTER TABLE $T DROP CONSTRAINT ${T}_ws_id_name_unique;
       ALTER TABLE $T DROP CONSTRAINT ${T}_consumer_id_fkey,
         ADD CONSTRAINT ${T}_consumer_id_fkey FOREIGN KEY (consumer_id, ws_id)
         REFERENCES consumers (id, ws_id) ON DELETE SET NULL;
       DROP INDEX ${T}_consumer_id_idx; DROP INDEX ${T}_ttl_idx;"
  FK_FIX="ALTER TABLE \"$T\" DROP CONSTRAINT \"${T}_consumer_id_fkey\", ADD CONSTRAINT \"${T}_consumer_id_fkey\" FOREIGN KEY (\"consumer_id\", \"ws_id\") REFERENCES \"consumers\" (\"id\", \"ws_id\") ON DELETE CASCADE;"
else
  # SQLite cannot drop a constraint: the table rebuilt without the unique
  # and with another ON DELETE (its indexes go with the old table)
  create=$(sql "SELECT sql FROM sqlite_master WHERE name = '$T'" |
           sed -e '/UNIQUE ("ws_id", "name"),/d' -e 's/ON DELETE CASCADE/ON DELETE SET NULL/')
  sql "BEGIN; ALTER TABLE $T RENAME TO ${T}_old; $create; INSERT INTO $T SELECT * FROM ${T}_old;
       DROP TABLE ${T}_old; COMMIT;"
  FK_FIX="rebuild the table (SQLite cannot alter a column or a constraint): CREATE TABLE \"${T}_new\" with FOREIGN KEY (\"consumer_id\", \"ws_id\") REFERENCES \"consumers\" (\"id\", \"ws_id\") ON DELETE CASCADE, copy the rows, drop \"$T\" and rename the new one"
fi
L_UNIQUE="table '$T' (ws_id, name): entity '$T' field 'name': unique per workspace, but no unique constraint or index is on exactly these columns; fix: CREATE UNIQUE INDEX IF NOT EXISTS \"${T}_ws_id_name_unique\" ON \"$T\" (\"ws_id\", \"name\");"
L_FK="table '$T' (consumer_id): entity '$T' field 'consumer': its foreign key to 'consumers' has ON DELETE SET NULL, on_delete = \"cascade\" needs CASCADE; fix: $FK_FIX"
L_FKIDX="table '$T' (consumer_id): entity '$T' field 'consumer': no index begins with this column; fix: CREATE INDEX IF NOT EXISTS \"${T}_consumer_id_idx\" ON \"$T\" (\"consumer_id\");"
L_TTL="table '$T' (ttl): entity '$T' ttl = true: no index begins with this column; fix: CREATE INDEX IF NOT EXISTS \"${T}_ttl_idx\" ON \"$T\" (\"ttl\");"
run migrations lint
expect_lines "each finding on its line, with its fix: exit 1" 1 "$L_UNIQUE" "$L_FK" "$L_FKIDX" "$L_TTL" \
  "4 findings in 22 tables"
first="$out"
run migrations lint
if [ "$rc" -eq 1 ] && [ "$out" = "$first" ] && [ "$(sql "SELECT count(*) FROM locks")" = 0 ]; then
  ok "lint changed nothing and took no lock"
else bad "lint twice: exit $rc, $(sql "SELECT count(*) FROM locks") locks; $out"; fi

# ---- the fixes it prints repair the table ------------------------------
while IFS= read -r stmt; do sql "$stmt" || bad "fix failed: $stmt"; done < <(fixes)
run migrations lint
if [ "$STORE" = postgres ]; then
  expect_lines "the printed fixes repair every finding" 0 "no findings: 22 tables match their entities"
else
  expect_lines "the printed indexes repair those findings; the foreign key needs a rebuild" 1 "$L_FK" \
    "1 finding in 22 tables"
fi

# ---- a field without a column, a table that is missing -----------------
write_daos '{ extra = { type = "integer" } },'
if [ "$STORE" = postgres ]; then TYPE=BIGINT; else TYPE=INTEGER; fi
L_COL="table '$T' (extra): entity '$T' field 'extra': the column is missing; fix: ALTER TABLE \"$T\" ADD COLUMN \"extra\" $TYPE;"
run migrations lint
expect_lines "a schema field without its column" 1 "$L_COL"
sql "$(fixes | grep -F '"extra"')"
run migrations lint
if [ "$rc" -ne 0 ] && grep -Fq "'extra'" <<<"$out"; then bad "the added column: $out"
else ok "the printed ADD COLUMN repairs it"; fi

sql "DROP TABLE $T"
run migrations lint
if [ "$rc" -eq 1 ] && grep -Fq "table '$T': entity '$T': the table is missing; fix: CREATE TABLE IF NOT EXISTS \"$T\" (" <<<"$out" &&
   [ "$(grep -c '^table ' <<<"$out")" = 1 ]; then
  ok "a missing table: one finding, its CREATE TABLE as the fix"
else bad "missing table: exit $rc: $out"; fi
sql "$(sed -n 's/^table .*; fix: \(CREATE TABLE .*\)$/\1/p' <<<"$out")"
run migrations lint
expect_lines "the printed CREATE TABLE makes it as daoc would" 0 "no findings: 22 tables match their entities"

finish
