/*
 * meta.c -- the PostgreSQL statements of the migration state tables
 * (store/meta.h), in Kong's own words where Kong has them (schema_bootstrap,
 * record_migration, insert_lock, read_lock, remove_lock of its postgres
 * connector), with parameters instead of escaped literals and now()
 * instead of `CURRENT_TIMESTAMP AT TIME ZONE 'UTC'` (which Kong stores
 * into a timestamptz as local time: wrong unless the session is in UTC).
 * A state change and its ledger row are one statement (a data-modifying
 * WITH).  Arrays come back as JSON text (array_to_json), so both stores'
 * rows are read by the same code.  reset is one DO block: the schema
 * dropped and re-created, or, without the privilege for that, its tables
 * dropped.
 */
#include "store/events_ddl.h"
#include "store/meta.h"
#include "store/postgres/pg_int.h"
#include "store/deploy.h"

#define PG_EXECUTED_INSERT                                                                         \
    "INSERT INTO schema_meta (key, subsystem, last_executed, executed) "                           \
    "VALUES ('schema_meta', $1::text, $2::text, ARRAY[$2::text]) "                                 \
    "ON CONFLICT (key, subsystem) DO UPDATE SET last_executed = EXCLUDED.last_executed, "          \
    "executed = ARRAY_APPEND(COALESCE(schema_meta.executed, ARRAY[]::TEXT[]), $2::text)"

#define PG_PENDING_INSERT                                                                          \
    "INSERT INTO schema_meta (key, subsystem, pending) "                                           \
    "VALUES ('schema_meta', $1::text, ARRAY[$2::text]) "                                           \
    "ON CONFLICT (key, subsystem) DO UPDATE SET "                                                  \
    "pending = ARRAY_APPEND(COALESCE(schema_meta.pending, ARRAY[]::TEXT[]), $2::text)"

#define PG_TEARDOWN_INSERT                                                                         \
    PG_EXECUTED_INSERT ", pending = ARRAY_REMOVE(COALESCE(schema_meta.pending, "                   \
                       "ARRAY[]::TEXT[]), $2::text)"

#define PG_LEDGER_PUT                                                                              \
    "INSERT INTO daoc_migrations (subsystem, name, checksum, started_at, "                         \
    "duration_ms, host, pid) VALUES ($1::text, $2::text, $3::text, "                               \
    "to_timestamp($4::float8), $5::float8, $6::text, $7::bigint) "                                 \
    "ON CONFLICT (subsystem, name) DO UPDATE SET checksum = EXCLUDED.checksum, "                   \
    "started_at = EXCLUDED.started_at, duration_ms = EXCLUDED.duration_ms, "                       \
    "host = EXCLUDED.host, pid = EXCLUDED.pid"

/* A state upsert and the ledger's in one statement: a data-modifying WITH
 * runs to completion whether or not the main statement reads it. */
#define PG_WITH_LEDGER(record) "WITH m AS (" record ") " PG_LEDGER_PUT

#define PG_LOCK_TTL "now() + $3::float8 * interval '1 second'"

static const char PG_RESET[] =
    "DO $daoc$\n"
    "DECLARE\n"
    "  s text := current_schema();\n"
    "  t record;\n"
    "BEGIN\n"
    "  IF s IS NULL THEN RETURN; END IF;\n"
    "  BEGIN\n"
    "    EXECUTE format('DROP SCHEMA %I CASCADE', s);\n"
    "    EXECUTE format('CREATE SCHEMA %I AUTHORIZATION CURRENT_USER', s);\n"
    "    EXECUTE format('GRANT ALL ON SCHEMA %I TO CURRENT_USER', s);\n"
    "  EXCEPTION WHEN insufficient_privilege THEN\n"
    "    FOR t IN SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = s LOOP\n"
    "      EXECUTE format('DROP TABLE IF EXISTS %I.%I CASCADE', s, t.tablename);\n"
    "    END LOOP;\n"
    "  END;\n"
    "END\n"
    "$daoc$;\n";

static int pg_reset(daoc__store *st, char **msg)
{
    return st->deploy->exec(st, PG_RESET, msg);
}

/* Kong's cluster_events and batch_delete_expired_rows (store/meta.h,
 * daoc__meta_core_base): the function deletes, after an insert into its
 * table, up to two rows whose column TG_ARGV[0] has passed, skipping rows
 * other sessions hold, so expired rows do not pile up and no insert waits
 * (on cluster_events only after Kong's own inserts, pg_int.h);
 * it serves cluster_events and clustering_data_planes (an entity table,
 * made before).  Then the clustering tables no entity has, and the
 * routes columns of Kong's expressions router. */
static const char PG_CORE_BASE[] =
    DAOC__PG_CLUSTER_EVENTS_DDL
    "CREATE OR REPLACE FUNCTION batch_delete_expired_rows() RETURNS trigger LANGUAGE plpgsql AS "
    "$expired$\n"
    "BEGIN\n"
    "  EXECUTE format('WITH old AS (SELECT ctid FROM %I WHERE %I < CURRENT_TIMESTAMP ORDER BY %I "
    "LIMIT 2 FOR UPDATE SKIP LOCKED) DELETE FROM %I WHERE ctid IN (TABLE old)', TG_TABLE_NAME, "
    "TG_ARGV[0], TG_ARGV[0], TG_TABLE_NAME);\n"
    "  RETURN NULL;\n"
    "END;\n"
    "$expired$;\n"
    "DROP TRIGGER IF EXISTS \"cluster_events_ttl_trigger\" ON \"cluster_events\";\n"
    DAOC__PG_EVENTS_TTL_TRIGGER
    "DO $dp$\n"
    "BEGIN\n"
    "  IF to_regclass('clustering_data_planes') IS NOT NULL THEN\n"
    "    DROP TRIGGER IF EXISTS \"clustering_data_planes_ttl_trigger\" ON "
    "\"clustering_data_planes\";\n"
    "    CREATE TRIGGER \"clustering_data_planes_ttl_trigger\" AFTER INSERT ON "
    "\"clustering_data_planes\" FOR EACH STATEMENT EXECUTE PROCEDURE "
    "batch_delete_expired_rows(\"ttl\");\n"
    "  END IF;\n"
    "END\n"
    "$dp$;\n"
    /* Kong 3.7's RPC requests and 3.9's sync version (a BIGINT counter
     * since 3.10) */
    "CREATE TABLE IF NOT EXISTS \"clustering_rpc_requests\" (\n"
    "  \"id\" BIGSERIAL PRIMARY KEY,\n"
    "  \"node_id\" UUID NOT NULL,\n"
    "  \"reply_to\" UUID NOT NULL,\n"
    "  \"ttl\" TIMESTAMP WITH TIME ZONE NOT NULL,\n"
    "  \"payload\" JSON NOT NULL\n);\n"
    "CREATE INDEX IF NOT EXISTS \"clustering_rpc_requests_node_id_idx\" ON "
    "\"clustering_rpc_requests\" (\"node_id\");\n"
    "CREATE TABLE IF NOT EXISTS \"clustering_sync_version\" (\n"
    "  \"version\" BIGSERIAL PRIMARY KEY\n);\n"
    /* the expressions router's columns (Kong 3.0), which daoc's routes
     * (traditional flavor) have no field for */
    "ALTER TABLE IF EXISTS ONLY \"routes\" ADD COLUMN IF NOT EXISTS \"expression\" TEXT;\n"
    "ALTER TABLE IF EXISTS ONLY \"routes\" ADD COLUMN IF NOT EXISTS \"priority\" BIGINT;\n";

const daoc__meta_dialect daoc__pg_meta_dialect = {
    .core_base = PG_CORE_BASE,
    .cluster_id = "INSERT INTO \"parameters\" (\"key\", \"value\") VALUES ('cluster_id', $1::text) "
                  "ON CONFLICT DO NOTHING",
    .unrecord = "UPDATE schema_meta SET executed = ARRAY_REMOVE(executed, $2::text), "
                "pending = ARRAY_REMOVE(pending, $2::text), last_executed = $3::text "
                "WHERE key = 'schema_meta' AND subsystem = $1::text",
    .ledger_del = "DELETE FROM daoc_migrations WHERE subsystem = $1::text AND name = $2::text",
    .events_read = "SELECT \"id\"::text AS \"id\", \"channel\", \"data\", "
                   "EXTRACT(EPOCH FROM \"at\")::float8 AS \"at\", EXTRACT(EPOCH FROM \"nbf\")::float8 "
                   "AS \"nbf\" FROM \"cluster_events\" WHERE \"at\" > to_timestamp($1::float8) AND "
                   "\"at\" <= clock_timestamp() ORDER BY \"at\", \"id\" LIMIT $2::int",
    .events_read_others = "SELECT \"id\"::text AS \"id\", \"channel\", \"data\", "
                          "EXTRACT(EPOCH FROM \"at\")::float8 AS \"at\", EXTRACT(EPOCH FROM "
                          "\"nbf\")::float8 AS \"nbf\" FROM \"cluster_events\" WHERE \"node_id\" <> '"
                          DAOC__EVENTS_ANY_NODE "' AND \"at\" > to_timestamp($1::float8) AND \"at\" <= "
                          "clock_timestamp() ORDER BY \"at\", \"id\" LIMIT $2::int",
    /* and the start of the oldest transaction of this database's other
     * sessions that has written (has an xid): its events, not committed
     * yet, have an `at` no older than that (store/events.h) */
    .events_now = "SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8 AS \"now\", EXTRACT(EPOCH "
                  "FROM (SELECT min(\"xact_start\") FROM pg_stat_activity WHERE \"datname\" = "
                  "current_database() AND \"backend_xid\" IS NOT NULL AND \"pid\" <> "
                  "pg_backend_pid()))::float8 AS \"oldest\"",
    .events_expire = "DELETE FROM \"cluster_events\" WHERE ctid IN (SELECT ctid FROM "
                     "\"cluster_events\" WHERE \"expire_at\" <= clock_timestamp() ORDER BY "
                     "\"expire_at\" LIMIT " DAOC__EVENTS_EXPIRE_BATCH " FOR UPDATE SKIP LOCKED) "
                     "RETURNING 1 AS \"n\"",
    .events_insert = "WITH \"e\" AS (INSERT INTO \"cluster_events\" (\"id\", \"node_id\", \"at\", "
                     "\"nbf\", \"expire_at\", \"channel\", \"data\") SELECT $1::uuid, $2::uuid, \"t\", "
                     "CASE WHEN $5::float8 > 0 THEN \"t\" + $5::float8 * INTERVAL '1 second' END, "
                     "\"t\" + INTERVAL '3600 seconds', $3::text, $4::text FROM (SELECT "
                     "date_trunc('milliseconds', clock_timestamp()) AS \"t\") AS \"n\" RETURNING "
                     "\"id\", \"channel\", \"data\") SELECT pg_notify('daoc_cluster_events', "
                     "\"id\"::text || E'\\n' || \"channel\" || E'\\n' || CASE WHEN $5::float8 <= 0 AND "
                     "octet_length(\"data\") < 7900 THEN \"data\" ELSE '' END) FROM \"e\"",
    .scratch_create = {"CREATE DATABASE ", NULL},
    .scratch_drop = {"DROP DATABASE IF EXISTS ", " WITH (FORCE)"},
    .now_param = false,
    /* the advisory lock (held to the script's commit) makes a second
     * bootstrap wait for the first, then find every table there */
    .bootstrap = "SELECT pg_advisory_xact_lock(7164797341860380531);\n"
                 "CREATE TABLE IF NOT EXISTS schema_meta (key TEXT, subsystem TEXT, "
                 "last_executed TEXT, executed TEXT[], pending TEXT[], "
                 "PRIMARY KEY (key, subsystem));\n"
                 "CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, owner TEXT, "
                 "ttl TIMESTAMP WITH TIME ZONE);\n"
                 "CREATE INDEX IF NOT EXISTS locks_ttl_idx ON locks (ttl);\n"
                 "CREATE TABLE IF NOT EXISTS daoc_migrations (subsystem TEXT, name TEXT, "
                 "checksum TEXT, started_at TIMESTAMP WITH TIME ZONE, duration_ms DOUBLE "
                 "PRECISION, host TEXT, pid BIGINT, PRIMARY KEY (subsystem, name));\n",
    .load = "SELECT subsystem, last_executed, "
            "COALESCE(array_to_json(executed)::text, '[]') AS executed, "
            "COALESCE(array_to_json(pending)::text, '[]') AS pending "
            "FROM schema_meta WHERE key = 'schema_meta' ORDER BY subsystem COLLATE \"C\"",
    .record = {[DAOC__META_EXECUTED] = PG_EXECUTED_INSERT,
               [DAOC__META_PENDING] = PG_PENDING_INSERT,
               [DAOC__META_TEARDOWN] = PG_TEARDOWN_INSERT},
    .ledger_put = PG_LEDGER_PUT,
    .record_ledger = {[DAOC__META_EXECUTED] = PG_WITH_LEDGER(PG_EXECUTED_INSERT),
                      [DAOC__META_PENDING] = PG_WITH_LEDGER(PG_PENDING_INSERT),
                      [DAOC__META_TEARDOWN] = PG_WITH_LEDGER(PG_TEARDOWN_INSERT)},
    .ledger_load = "SELECT subsystem, name, checksum, "
                   "extract(epoch FROM started_at)::float8 AS started_at, duration_ms, host, pid "
                   "FROM daoc_migrations ORDER BY subsystem COLLATE \"C\", name COLLATE \"C\"",
    .lock_expire = "DELETE FROM locks WHERE ttl < now()",
    .lock_insert = "INSERT INTO locks (key, owner, ttl) VALUES ($1::text, $2::text, " PG_LOCK_TTL
                   ") ON CONFLICT DO NOTHING RETURNING key",
    .lock_refresh = "UPDATE locks SET ttl = " PG_LOCK_TTL
                    " WHERE key = $1::text AND owner = $2::text RETURNING key",
    .lock_read = "SELECT owner, extract(epoch FROM ttl)::float8 AS ttl FROM locks "
                 "WHERE key = $1::text AND ttl >= now()",
    .unlock = "DELETE FROM locks WHERE key = $1::text AND owner = $2::text",
    .reset = pg_reset,
};
