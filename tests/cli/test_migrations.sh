#!/usr/bin/env bash
# `daoc migrations` as an operator runs it (Kong's `kong migrations`
# lifecycle): list before bootstrap (exit 3), bootstrap, a plugin's new
# migrations (list exit 5), up leaving a teardown pending (list exit 4, up
# refused), finish, up-to-date, the entity used through `daoc runner`, an
# edited published migration refused until --force, reset (refused without
# --yes off a terminal), and the CLI's errors.  Exit codes, stdout and
# stderr are checked.  Runs on the store the environment selects
# (DAOC_DATABASE; scripts/run-tests.sh runs it on SQLite and on
# PostgreSQL), from an empty directory, with DAOC_BIN and DAOC_SRC_DIR set.
set -u
BIN="${DAOC_BIN:?DAOC_BIN not set}"
. "$(dirname "$0")/lib.sh"
STORE="${DAOC_DATABASE:-sqlite}"
export DAOC_SQLITE_PATH="$PWD/mig.db"
rm -f mig.db

# A plugin with two migrations (the second with a teardown), written as
# Kong 1.x-3.x plugins write them.
P=kong/plugins/mig-demo
mkdir -p "$P/migrations"
cat > "$P/daos.lua" <<'EOF'
local typedefs = require "kong.db.schema.typedefs"
return {
  { name = "mig_demo_items", primary_key = { "id" }, endpoint_key = "name",
    fields = {
      { id = typedefs.uuid },
      { name = { type = "string", unique = true, required = true } },
      { note = { type = "string" } },
    } },
}
EOF
cat > "$P/migrations/init.lua" <<'EOF'
return { "000_base_mig_demo", "001_10_to_20" }
EOF
cat > "$P/migrations/000_base_mig_demo.lua" <<'EOF'
return {
  postgres = {
    up = [[
      CREATE TABLE IF NOT EXISTS "mig_demo_items" (
        "id"   UUID PRIMARY KEY,
        "name" TEXT UNIQUE
      );
    ]],
  },
  cassandra = { up = [[ CREATE TABLE IF NOT EXISTS mig_demo_items (id uuid PRIMARY KEY) ]] },
}
EOF
cat > "$P/migrations/001_10_to_20.lua" <<'EOF'
return {
  postgres = {
    up = [[
      DO $$
      BEGIN
        ALTER TABLE IF EXISTS ONLY "mig_demo_items" ADD "note" TEXT;
      EXCEPTION WHEN DUPLICATE_COLUMN THEN
        -- Do nothing, accept existing state
      END;
      $$;
    ]],
    teardown = function(connector)
      local _, err = connector:query([[ UPDATE "mig_demo_items" SET "note" = 'set by teardown'
                                        WHERE "note" IS NULL ]])
      if err then return nil, err end
      return true
    end,
  },
}
EOF
export DAOC_LUA_PACKAGE_PATH="$PWD/?.lua;$PWD/?/init.lua"


export DAOC_PLUGINS=""
run migrations list
expect "list before bootstrap: exit 3 and Kong's message" 3 "Database needs bootstrapping"
run migrations status
expect "status before bootstrap" 0 '"needs_bootstrap":true'
run migrations up
expect_err "up before bootstrap is refused" 1 "Error: Cannot run migrations: Database needs bootstrapping"
run migrations nonsense
expect_err "an unknown command" 1 "No such command for migrations: nonsense"

run migrations plan
expect "plan before bootstrap: what bootstrap would run, exit 3" 3 \
  "The database needs a bootstrap; it would run:" "core: 000_base (the core tables, from daoc's schemas)"
run migrations bootstrap
expect "bootstrap" 0 "Bootstrapping database..." "migrating core on database" \
  "core migrated up to: 000_base (executed)" "core migrated up to: 025_390_to_3100 (executed)" \
  "24 migrations processed" "24 executed" "Database is up-to-date"
# Kong's cluster_id, written at bootstrap, read as Kong reads it
cat > cluster_id.lua <<'EOF'
local p, err = kong.db.parameters:select({ key = "cluster_id" })
assert(p, err or "no cluster_id")
assert(p.value:match("^%x+%-%x+%-4%x+%-[89ab]%x+%-%x+$") and #p.value == 36, p.value)
print("cluster_id " .. p.value)
EOF
DAOC_CREATE_TABLES=off run runner cluster_id.lua
expect "bootstrap writes parameters' cluster_id (a random uuid)" 0 "cluster_id "
first_id="$out"
if [ "$STORE" = postgres ]; then
  # every table Kong 3.10's core migrations (000_base ... 025_390_to_3100)
  # leave, with every column, read from the migrations (ws_id from
  # 009_200_to_210's workspaces operations)
  cat > layout.lua <<'EOF'
local want = {
  cluster_events = "id node_id at nbf expire_at channel data",
  workspaces = "id name comment created_at meta config updated_at",
  services = "id created_at updated_at name retries protocol host port path connect_timeout "
    .. "write_timeout read_timeout tags client_certificate_id tls_verify tls_verify_depth "
    .. "ca_certificates enabled ws_id",
  routes = "id created_at updated_at name service_id protocols methods hosts paths snis sources "
    .. "destinations regex_priority strip_path preserve_host tags https_redirect_status_code "
    .. "headers path_handling request_buffering response_buffering expression priority ws_id",
  certificates = "id created_at cert key tags cert_alt key_alt updated_at ws_id",
  snis = "id created_at name certificate_id tags updated_at ws_id",
  consumers = "id created_at username custom_id tags updated_at ws_id",
  plugins = "id created_at name consumer_id service_id route_id config enabled cache_key "
    .. "protocols tags instance_name updated_at ws_id",
  upstreams = "id created_at name hash_on hash_fallback hash_on_header hash_fallback_header "
    .. "hash_on_cookie hash_on_cookie_path slots healthchecks tags algorithm host_header "
    .. "client_certificate_id hash_on_query_arg hash_fallback_query_arg hash_on_uri_capture "
    .. "hash_fallback_uri_capture use_srv_name updated_at ws_id",
  targets = "id created_at upstream_id target weight tags cache_key updated_at ws_id",
  tags = "entity_id entity_name tags",
  ca_certificates = "id created_at cert tags cert_digest updated_at",
  clustering_data_planes = "id hostname ip last_seen config_hash ttl version sync_status "
    .. "updated_at labels cert_details rpc_capabilities",
  parameters = "key value created_at",
  sm_vaults = "id ws_id prefix name description config created_at updated_at tags",
  key_sets = "id name tags ws_id created_at updated_at",
  keys = "id set_id name cache_key ws_id kid jwk pem tags created_at updated_at",
  filter_chains = "id name enabled route_id service_id ws_id cache_key filters tags created_at "
    .. "updated_at",
  clustering_rpc_requests = "id node_id reply_to ttl payload",
  clustering_sync_version = "version",
  schema_meta = "key subsystem last_executed executed pending",
  locks = "key owner ttl",
}
local rows = assert(kong.db.connector:query([[SELECT table_name, column_name
  FROM information_schema.columns WHERE table_schema = current_schema()]]))
local have = {}
for _, r in ipairs(rows) do have[r.table_name .. "." .. r.column_name] = true end
local missing, n = {}, 0
for t, cols in pairs(want) do
  for c in cols:gmatch("%S+") do
    n = n + 1
    if not have[t .. "." .. c] then missing[#missing + 1] = t .. "." .. c end
  end
end
table.sort(missing)
-- 025_390_to_3100 widens the sync version's sequence to BIGINT
local seq = assert(kong.db.connector:query([[SELECT data_type FROM information_schema.sequences
  WHERE sequence_name = 'clustering_sync_version_version_seq']]))
if not seq[1] or seq[1].data_type ~= "bigint" then missing[#missing + 1] = "(bigint sequence)" end
print(#missing == 0 and ("layout ok: " .. n .. " columns") or ("missing: " .. table.concat(missing, " ")))
EOF
  DAOC_CREATE_TABLES=off run runner layout.lua
  expect "bootstrap leaves every table and column Kong 3.10's core migrations leave" 0 "layout ok"
fi
run migrations bootstrap
expect "bootstrap again" 0 "Database already bootstrapped"
DAOC_CREATE_TABLES=off run runner cluster_id.lua
if [ "$out" = "$first_id" ]; then ok "a second bootstrap keeps the cluster_id"
else bad "the cluster_id changed: $first_id -> $out"; fi
run migrations list
expect "list when up to date" 0 "Executed migrations:" "core: 000_base, 003_100_to_110"

export DAOC_PLUGINS="mig-demo"
run migrations list
expect "a plugin's migrations are new: exit 5" 5 "New migrations available:" \
  "mig-demo: 000_base_mig_demo, 001_10_to_20" "Run 'daoc migrations up' to proceed"
if [ "$STORE" = postgres ]; then
  run migrations plan --sql
  expect "plan --sql: what up would run, with its SQL" 0 "mig-demo: 000_base_mig_demo (up SQL)" \
    "mig-demo: 001_10_to_20 (up SQL; teardown left pending for finish)" \
    'CREATE TABLE IF NOT EXISTS "mig_demo_items"'
else
  run migrations plan
  expect "plan on SQLite: recorded, tables from the schema" 0 \
    "mig-demo: 000_base_mig_demo (recorded; on SQLite the tables come from the schema)"
fi
run migrations list
expect "plan ran nothing" 5 "New migrations available:"
run migrations up
expect "up runs them, the teardown stays pending" 0 "migrating mig-demo on database" \
  "mig-demo migrated up to: 000_base_mig_demo (executed)" \
  "mig-demo migrated up to: 001_10_to_20 (pending)" "2 migrations processed" "1 executed" \
  "1 pending" "Database has pending migrations; run 'daoc migrations finish' when ready"
run migrations list
expect "list with a pending teardown: exit 4" 4 "Pending migrations:" "mig-demo: 001_10_to_20" \
  "Run 'daoc migrations finish' when ready"
run migrations up
expect_err "up while a teardown is pending is refused" 1 \
  "Database has pending migrations; run 'daoc migrations finish'"
cat > use.lua <<'EOF'
local item = assert(kong.db.mig_demo_items:insert({ name = "first" }))
print("inserted " .. item.name)
EOF
run runner use.lua
expect "the plugin's entity works after up" 0 "inserted first"
run migrations finish
expect "finish runs the teardown" 0 "mig-demo migrated up to: 001_10_to_20 (executed)" \
  "1 migration processed" "1 executed"
run migrations finish
expect "finish again" 0 "No pending migrations to finish"
run migrations up
expect "up when up to date" 0 "Database is already up-to-date"
run migrations plan
expect "plan when up to date" 0 "Database is already up-to-date"
run migrations list
expect "list after finish: exit 0" 0 "mig-demo: 000_base_mig_demo, 001_10_to_20"
if [ "$STORE" = postgres ]; then
  cat > note.lua <<'EOF'
print("note " .. tostring(kong.db.mig_demo_items:select_by_name("first").note))
EOF
  run runner note.lua
  expect "the teardown ran its SQL (PostgreSQL)" 0 "note set by teardown"
fi
run migrations status
expect "status lists every executed migration" 0 '"needs_bootstrap":false' \
  '"subsystem":"mig-demo"' '"000_base_mig_demo","001_10_to_20"'

# a published migration edited afterwards
echo "-- edited" >> "$P/migrations/000_base_mig_demo.lua"
run migrations status
expect "status names the edited migration" 0 '"changed_migrations":"mig-demo: 000_base_mig_demo'
run migrations up
expect_err "up refuses while a migration changed" 1 "migrations changed since they ran"
run migrations up --force
expect "up --force runs them again" 0 "mig-demo migrated up to: 000_base_mig_demo (executed)"
run migrations up
expect "after --force the ledger holds the new checksum" 0 "Database is already up-to-date"

run migrations reset
expect_err "reset off a terminal needs --yes" 1 "not a tty: invoke 'reset' non-interactively with the --yes flag"
run migrations reset --yes
expect "reset" 0 "Resetting database..." "Database successfully reset"
run migrations list
expect "list after reset: exit 3" 3 "Database needs bootstrapping"
run migrations reset -y
expect "reset of a database never bootstrapped: exit 1" 1 "Database not bootstrapped, nothing to reset"
run migrations bootstrap
expect "bootstrap with the plugin" 0 "mig-demo migrated up to: 001_10_to_20 (executed)" \
  "26 migrations processed" "Database is up-to-date"
run migrations up --lock-timeout abc
expect_err "a bad option value" 1 "--lock-timeout expects a number of seconds"

# ---- faults (PostgreSQL: its server sleeps inside a migration) ------------
if [ "$STORE" = postgres ]; then
  slow_plugin() { # $1 plugin name, $2 table: one migration that writes a row, then sleeps
    mkdir -p "kong/plugins/$1/migrations"
    echo "return {}" > "kong/plugins/$1/daos.lua"
    echo "return { \"000_base_$2\" }" > "kong/plugins/$1/migrations/init.lua"
    cat > "kong/plugins/$1/migrations/000_base_$2.lua" <<EOS
return { postgres = { up = [[
  CREATE TABLE IF NOT EXISTS "$2" ("n" INTEGER);
  INSERT INTO "$2" VALUES (1);
  SELECT pg_sleep(3);
]] } }
EOS
  }
  rows_of() { # $1 table: its row count, or "none"
    cat > count.lua <<EOS
local rows = kong.db.connector:query([[SELECT count(*) AS n FROM "$1"]])
print(rows and rows[1].n or "none")
EOS
    DAOC_PLUGINS="" "$BIN" runner count.lua 2>/dev/null
  }
  executed_times() { # $1 subsystem, $2 migration: how often schema_meta says it ran
    cat > times.lua <<EOS
local rows = assert(kong.db.connector:query([[SELECT count(*) AS n FROM schema_meta,
  unnest(executed) AS e(name) WHERE key = 'schema_meta' AND subsystem = '$1' AND e.name = '$2']]))
print(rows[1].n)
EOS
    DAOC_PLUGINS="" "$BIN" runner times.lua 2>/dev/null
  }

  # killed half-way: nothing of the migration is left, and a rerun applies it once
  slow_plugin mig-kill mig_kill_log
  export DAOC_PLUGINS="mig-demo,mig-kill"
  "$BIN" migrations up --lock-timeout 2 > killed.out 2>&1 &
  pid=$!
  sleep 1.5
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  if [ "$(rows_of mig_kill_log)" = none ] && [ "$(executed_times mig-kill 000_base_mig_kill_log)" = 0 ]; then
    ok "a migration killed half-way left nothing behind"
  else bad "after the kill: rows $(rows_of mig_kill_log), recorded $(executed_times mig-kill 000_base_mig_kill_log)"; cat killed.out; fi
  run migrations up
  if [ "$rc" -eq 0 ] && [ "$(rows_of mig_kill_log)" = 1 ] &&
     [ "$(executed_times mig-kill 000_base_mig_kill_log)" = 1 ]; then
    ok "the rerun after the kill takes the dead node's lock and applies it once"
  else bad "rerun after kill: exit $rc rows $(rows_of mig_kill_log): $out $errout"; fi

  # two nodes at once: one applies, the other waits and finds the work done
  slow_plugin mig-race mig_race_log
  export DAOC_PLUGINS="mig-demo,mig-kill,mig-race"
  "$BIN" migrations up --lock-timeout 20 > race1.out 2> race1.err &
  p1=$!
  "$BIN" migrations up --lock-timeout 20 > race2.out 2> race2.err &
  p2=$!
  wait "$p1"; r1=$?; wait "$p2"; r2=$?
  applied=$(cat race1.out race2.out | grep -c "mig-race migrated up to: 000_base_mig_race_log (executed)")
  nothing=$(cat race1.out race2.out | grep -c "Database is already up-to-date")
  if [ "$r1" -eq 0 ] && [ "$r2" -eq 0 ] && [ "$applied" -eq 1 ] && [ "$nothing" -eq 1 ] &&
     [ "$(rows_of mig_race_log)" = 1 ] && [ "$(executed_times mig-race 000_base_mig_race_log)" = 1 ]; then
    ok "two concurrent ups: one applies, the other waits and finds nothing to do"
  else
    bad "concurrent ups: exits $r1 $r2, applied $applied, up-to-date $nothing, rows $(rows_of mig_race_log), times $(executed_times mig-race 000_base_mig_race_log)"
    cat race1.out race1.err race2.out race2.err
  fi
  if grep -q "waiting for the migrations lock held by" race1.out race2.out; then
    ok "the waiting node says who holds the lock"
  else bad "no 'waiting for the migrations lock' line"; cat race1.out race2.out; fi
fi

# ---- kong.db.migrations.operations: the helpers Kong's bundled plugins'
# migrations require (PostgreSQL: they build its SQL) --------------------
if [ "$STORE" = postgres ]; then
  P=kong/plugins/mig-ops
  mkdir -p "$P/migrations"
  cat > "$P/daos.lua" <<'EOF2'
local typedefs = require "kong.db.schema.typedefs"
return {
  { name = "mig_ops_creds", primary_key = { "id" }, workspaceable = true,
    cache_key = { "consumer", "key" },
    fields = {
      { id = typedefs.uuid },
      { consumer = { type = "foreign", reference = "consumers", on_delete = "cascade" } },
      { key = { type = "string", unique = true } },
    } },
}
EOF2
  cat > "$P/schema.lua" <<'EOF2'
return { name = "mig-ops", fields = { { config = { type = "record", fields = {
  { allow = { type = "array", elements = { type = "string" } } },
} } } } }
EOF2
  echo 'return { "000_base_mig_ops", "001_200_to_210", "002_280_to_300" }' > "$P/migrations/init.lua"
  cat > "$P/migrations/000_base_mig_ops.lua" <<'EOF2'
return { postgres = { up = [[
  CREATE TABLE IF NOT EXISTS "mig_ops_creds" (
    "id" UUID PRIMARY KEY,
    "consumer_id" UUID REFERENCES "consumers" ("id") ON DELETE CASCADE,
    "key" TEXT UNIQUE,
    "cache_key" TEXT UNIQUE
  );
]] } }
EOF2
  cat > "$P/migrations/001_200_to_210.lua" <<'EOF2'
local operations = require "kong.db.migrations.operations.200_to_210"
return operations.ws_migrate_plugin({
  { name = "mig_ops_creds", primary_key = "id", uniques = { "key" },
    cache_key = { "consumer", "key" },
    fks = { { name = "consumer", reference = "consumers", on_delete = "cascade" } } },
})
EOF2
  cat > "$P/migrations/002_280_to_300.lua" <<'EOF2'
local operations = require "kong.db.migrations.operations.280_to_300"
return { postgres = { up = "", teardown = function(connector)
  return operations.postgres.teardown:fixup_plugin_config(connector, "mig-ops", function(config)
    config.allow = config.whitelist or config.allow
    config.whitelist = nil
    return true
  end)
end } }
EOF2
  export DAOC_PLUGINS="mig-demo,mig-kill,mig-race,mig-ops"
  run migrations up
  expect "Kong's workspace operations in a plugin's migrations (up)" 0 \
    "mig-ops migrated up to: 001_200_to_210 (pending)" "mig-ops migrated up to: 002_280_to_300 (pending)"
  cat > ops.lua <<'EOF2'
local c = assert(kong.db.consumers:insert({ username = "ops-user" }))
local row = assert(kong.db.mig_ops_creds:insert({ consumer = { id = c.id }, key = "k1" }))
local cols = assert(kong.db.connector:query([[SELECT string_agg(conname, ',' ORDER BY conname) AS c
  FROM pg_constraint WHERE conrelid = 'mig_ops_creds'::regclass]]))
print("constraints " .. cols[1].c)
assert(kong.db.connector:query([[INSERT INTO plugins (id, name, config, protocols, enabled, ws_id)
  VALUES (gen_random_uuid(), 'mig-ops', '{"whitelist":["a"]}', ARRAY['http'], true,
  (SELECT id FROM workspaces WHERE name = 'default'))]]))
local fn = assert(kong.db.connector:query([[SELECT count(*) AS n FROM pg_proc WHERE
  proname = 'batch_delete_expired_rows']]))
local ce = assert(kong.db.connector:query([[SELECT count(*) AS n FROM pg_class WHERE
  relname = 'cluster_events' AND relkind = 'r']]))
print("core base " .. fn[1].n .. " " .. ce[1].n)
-- Kong's expiry trigger runs after Kong's own inserts into cluster_events
-- (up to two expired rows each), not after the entity triggers' inserts;
-- one transaction (the statements of one query), so that the runner's own
-- cluster reader, which removes expired events too, cannot see the rows
local r = assert(kong.db.connector:query([[
INSERT INTO cluster_events (id, node_id, at, expire_at, channel, data) SELECT gen_random_uuid(),
  gen_random_uuid(), now(), now() - INTERVAL '1 hour', 'expiry-test', 'x' FROM generate_series(1, 5);
SELECT count(*) AS n FROM cluster_events WHERE channel = 'expiry-test';
INSERT INTO consumers (id, username, ws_id) VALUES (gen_random_uuid(), 'ops-expiry',
  (SELECT id FROM workspaces WHERE name = 'default'));
SELECT count(*) AS n FROM cluster_events WHERE channel = 'expiry-test';
INSERT INTO cluster_events (id, node_id, at, expire_at, channel, data) VALUES (gen_random_uuid(),
  gen_random_uuid(), now(), now() + INTERVAL '1 hour', 'expiry-test', 'x');
SELECT count(*) AS n FROM cluster_events WHERE channel = 'expiry-test']]))
print("expiry " .. r[2][1].n .. " " .. r[4][1].n .. " " .. r[6][1].n)
print("ok " .. row.key)
EOF2
  run runner ops.lua
  expect "the plugin's table has Kong 2.1's workspace constraints" 0 \
    "mig_ops_creds_consumer_id_fkey" "mig_ops_creds_id_ws_id_unique" "mig_ops_creds_ws_id_key_unique" "ok k1"
  expect "000_base made Kong's cluster_events and batch_delete_expired_rows" 0 "core base 1 1"
  expect "Kong's expiry trigger follows Kong's inserts into cluster_events, not an entity write's" 0 \
    "expiry 3 3 2"
  run migrations finish
  expect "finish runs the operations' teardowns" 0 "mig-ops migrated up to: 002_280_to_300 (executed)"
  cat > ops2.lua <<'EOF2'
local rows = assert(kong.db.connector:query([[SELECT config::text AS c FROM plugins WHERE name = 'mig-ops']]))
print("config " .. rows[1].c)
EOF2
  run runner ops2.lua
  expect "fixup_plugin_config rewrote the stored configuration" 0 'config {"allow": ["a"]}'
fi

finish
