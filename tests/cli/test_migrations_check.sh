#!/usr/bin/env bash
# `daoc migrations check` as a plugin author or operator runs it: every
# pending migration tried on a scratch database (run twice; stopped after
# each statement, then run again).  A plugin holds one reentrant migration
# and three that are not -- a CREATE INDEX without IF NOT EXISTS, an up_f
# inserting a fixed row, a teardown renaming a column in two steps -- and
# each must be named with its file and statement; the database in use must
# be left as it was, the scratch dropped.  Then, after a bootstrap, only the
# migration added later is checked, from the state the others left.  On
# SQLite (no migration SQL runs there) check says there is nothing to do.
# Run from an empty directory with DAOC_BIN and DAOC_SRC_DIR set, on the
# store the environment selects (scripts/run-tests.sh: both).
set -u
BIN="${DAOC_BIN:?DAOC_BIN not set}"
. "$(dirname "$0")/lib.sh"
STORE="${DAOC_DATABASE:-sqlite}"
export DAOC_SQLITE_PATH="$PWD/check.db"
rm -f check.db

P=kong/plugins/ck-demo
mkdir -p "$P/migrations"
cat > "$P/daos.lua" <<'EOF'
local typedefs = require "kong.db.schema.typedefs"
return {
  { name = "ck_items", primary_key = { "id" }, endpoint_key = "name",
    fields = {
      { id = typedefs.uuid },
      { name = { type = "string", unique = true, required = true } },
      { note = { type = "string" } },
    } },
}
EOF
cat > "$P/migrations/init.lua" <<'EOF'
return { "000_base_ck_demo", "001_bad_index", "002_bad_up_f", "003_bad_teardown", "004_cut" }
EOF
# an up whose rerun fails on what its first statement did, when it was
# stopped after it (Kong runs a 0.x plugin's Cassandra `up` statement by
# statement; a crash between them leaves this)
cat > "$P/migrations/004_cut.lua" <<'EOF'
return { postgres = { up = [[
  ALTER TABLE "ck_items" RENAME COLUMN "note" TO "remark";
  ALTER TABLE "ck_items" ADD COLUMN "note" TEXT;
]] } }
EOF
cat > "$P/migrations/000_base_ck_demo.lua" <<'EOF'
return { postgres = { up = [[
  CREATE TABLE IF NOT EXISTS "ck_items" ("id" UUID PRIMARY KEY, "name" TEXT UNIQUE, "old" TEXT);
  CREATE INDEX IF NOT EXISTS "ck_items_old_idx" ON "ck_items" ("old");
]] } }
EOF
cat > "$P/migrations/001_bad_index.lua" <<'EOF'
return { postgres = { up = [[
  ALTER TABLE "ck_items" ADD COLUMN IF NOT EXISTS "note" TEXT;
  CREATE INDEX "ck_items_note_idx" ON "ck_items" ("note");
]] } }
EOF
cat > "$P/migrations/002_bad_up_f.lua" <<'EOF'
return { postgres = { up_f = function(connector)
  local _, err = connector:query([[ INSERT INTO "ck_items" ("id", "name")
    VALUES ('8c3b6e12-4a3f-4d4e-9f11-0d1e6a1c0b01', 'seed') ]])
  if err then return nil, err end
end } }
EOF
cat > "$P/migrations/003_bad_teardown.lua" <<'EOF'
return { postgres = {
  up = [[ ALTER TABLE "ck_items" ADD COLUMN IF NOT EXISTS "tmp" TEXT; ]],
  teardown = function(connector)
    local _, err = connector:query([[ ALTER TABLE "ck_items" RENAME COLUMN "old" TO "older" ]])
    if err then return nil, err end
    _, err = connector:query([[ ALTER TABLE "ck_items" DROP COLUMN IF EXISTS "tmp" ]])
    if err then return nil, err end
  end } }
EOF
export DAOC_LUA_PACKAGE_PATH="$PWD/?.lua;$PWD/?/init.lua"
export DAOC_PLUGINS=ck-demo

has() { # $1 name, $2 text, $3 where (out/errout)
  if grep -Fq -- "$2" <<<"${!3}"; then ok "$1"; else bad "$1: no '$2' in $3: ${!3}"; fi
}

if [ "$STORE" != postgres ]; then
  run migrations check
  if [ "$rc" -eq 0 ]; then ok "check on SQLite: exit 0"; else bad "check on SQLite: exit $rc"; fi
  has "check on SQLite says why there is nothing to check" "nothing to check: on SQLite" out
  echo "RESULT passed=$passed failed=$failed"
  [ "$failed" -eq 0 ]; exit
fi

PSQL=(psql -qAtX -h "$DAOC_PG_HOST" -p "$DAOC_PG_PORT" -U "$DAOC_PG_USER")
dbs() { "${PSQL[@]}" -d "$DAOC_PG_DATABASE" -c "SELECT datname FROM pg_database WHERE datname LIKE 'daoc_check_%'"; }
tables() { "${PSQL[@]}" -d "$DAOC_PG_DATABASE" -c "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"; }

before=$(tables)
run migrations check
if [ "$rc" -eq 1 ]; then ok "check: exit 1 when a migration is not reentrant"; else bad "check exit $rc: $out $errout"; fi
has "check says where it runs" "checking 5 pending migrations on the scratch database 'daoc_check_" out
has "a reentrant migration passes" "ck-demo: 000_base_ck_demo: reentrant (3 trials)" out
has "a CREATE INDEX without IF NOT EXISTS is named with its file and statement" \
  "ck-demo: 001_bad_index ($PWD/$P/migrations/001_bad_index.lua): not reentrant: running up twice fails at up statement 2 (CREATE INDEX \"ck_items_note_idx\" ON \"ck_items\" (\"note\")): relation \"ck_items_note_idx\" already exists" errout
has "an up_f that is not idempotent is named with its query" \
  "ck-demo: 002_bad_up_f ($PWD/$P/migrations/002_bad_up_f.lua): not reentrant: running up twice fails at up_f query 1 (INSERT INTO \"ck_items\"" errout
has "a teardown run twice" \
  "003_bad_teardown.lua): not reentrant: running teardown twice fails at teardown query 1 (ALTER TABLE \"ck_items\" RENAME COLUMN \"old\" TO \"older\"): [postgres error] column \"old\" does not exist" errout
has "a teardown stopped half way, then rerun" \
  "not reentrant: teardown stopped after teardown query 1 (ALTER TABLE \"ck_items\" RENAME COLUMN \"old\" TO \"older\"), then run again, fails at teardown query 1" errout
has "an up stopped after a statement, then rerun" \
  "004_cut.lua): not reentrant: up stopped after up statement 1 (ALTER TABLE \"ck_items\" RENAME COLUMN \"note\" TO \"remark\"), then run again, fails at up statement 1 (ALTER TABLE \"ck_items\" RENAME COLUMN \"note\" TO \"remark\"): column \"note\" does not exist" errout
has "the summary" "5 migrations checked: 4 not reentrant" errout
if [ -z "$(dbs)" ]; then ok "the scratch database is dropped"; else bad "scratch left: $(dbs)"; fi
if [ "$(tables)" = "$before" ]; then ok "the database in use is left as it was"; else bad "tables $before -> $(tables)"; fi

run migrations bootstrap
if [ "$rc" -eq 0 ]; then ok "bootstrap runs them all once"; else bad "bootstrap exit $rc: $errout"; fi
SCRATCH="${DAOC_PG_DATABASE}_scratch"
"${PSQL[@]}" -d "$DAOC_PG_DATABASE" -c "DROP DATABASE IF EXISTS \"$SCRATCH\"" \
  -c "CREATE DATABASE \"$SCRATCH\"" >/dev/null
cat > "$P/migrations/init.lua" <<'EOF'
return { "000_base_ck_demo", "001_bad_index", "002_bad_up_f", "003_bad_teardown", "004_cut", "005_ok" }
EOF
cat > "$P/migrations/005_ok.lua" <<'EOF'
return { postgres = {
  up = [[
    ALTER TABLE "ck_items" ADD COLUMN IF NOT EXISTS "extra" TEXT;
    CREATE INDEX IF NOT EXISTS "ck_items_extra_idx" ON "ck_items" ("extra");
  ]],
  teardown = function(connector)
    local _, err = connector:query([[ UPDATE "ck_items" SET "extra" = 'x' WHERE "extra" IS NULL ]])
    if err then return nil, err end
  end } }
EOF
run migrations check --scratch "$SCRATCH"
if [ "$rc" -eq 0 ]; then ok "check of the one new migration: exit 0"; else bad "check exit $rc: $out $errout"; fi
has "only the new migration is checked, on the named scratch" \
  "checking 1 pending migration on the scratch database '$SCRATCH'" out
has "it is reentrant from the state the others left" "ck-demo: 005_ok: reentrant (3 trials)" out
has "the summary" "1 migration checked: all reentrant" out
left=$("${PSQL[@]}" -d "$SCRATCH" -c "SELECT count(*) FROM pg_tables WHERE tablename = 'ck_items'")
if [ "$left" = 1 ]; then ok "a named scratch is left for its owner"; else bad "$SCRATCH: $left"; fi
run migrations check --scratch "$SCRATCH"
if [ "$rc" -eq 1 ]; then has "a scratch that is not empty is refused" "is not empty" errout
else bad "check on a used scratch: exit $rc"; fi
run migrations up
run migrations check
if [ "$rc" -eq 0 ]; then has "a pending teardown alone is checked" "ck-demo: 005_ok: reentrant (1 trial)" out
else bad "check of a pending teardown: exit $rc: $errout"; fi
run migrations finish
run migrations check
has "nothing pending: nothing to check" "No pending migrations to check" out

"${PSQL[@]}" -d "$DAOC_PG_DATABASE" -c "DROP DATABASE IF EXISTS \"$SCRATCH\"" >/dev/null
finish
