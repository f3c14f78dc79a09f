/*
 * meta.c -- the SQLite statements of the migration state tables
 * (store/meta.h): Kong's schema_meta and locks with the same names, the
 * TEXT[] arrays kept as JSON array text (appended with json_insert's
 * '$[#]', a name removed by rebuilding the array without it, in order),
 * a lock's ttl as REAL epoch seconds compared with this process's clock
 * (a parameter), and reset as drops of everything sqlite_master lists,
 * with foreign keys off meanwhile.
 */
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/value.h"
#include "store/ddl.h"
#include "store/deploy.h"
#include "store/events_ddl.h"
#include "store/meta.h"
#include "store/sqlite/sqlite_int.h"

/* The rows' arrays: one name appended, or every copy of it removed. */
#define SQ_APPEND(col) "json_insert(COALESCE(\"schema_meta\".\"" col "\", '[]'), '$[#]', ?2)"
#define SQ_REMOVE(col)                                                                             \
    "(SELECT json_group_array(\"value\") FROM (SELECT \"value\" FROM json_each("                   \
    "COALESCE(\"schema_meta\".\"" col "\", '[]')) WHERE \"value\" IS NOT ?2 ORDER BY \"key\"))"

#define SQ_EXECUTED_INSERT                                                                         \
    "INSERT INTO \"schema_meta\" (\"key\", \"subsystem\", \"last_executed\", \"executed\") "       \
    "VALUES ('schema_meta', ?1, ?2, json_array(?2)) ON CONFLICT (\"key\", \"subsystem\") DO "      \
    "UPDATE SET \"last_executed\" = excluded.\"last_executed\", \"executed\" = " SQ_APPEND(        \
        "executed")

/* Tables, views, indexes and triggers, each dropped (IF EXISTS: dropping a
 * table drops its indexes and triggers first), in one all-or-nothing
 * script; foreign keys off around it (a no-op inside a transaction, where
 * the script's defer_foreign_keys still lets cascades and checks wait). */
static int sq_reset(daoc__store *st, char **msg)
{
    static const char *const kinds[][2] = {
        {"trigger", "TRIGGER"}, {"view", "VIEW"}, {"index", "INDEX"}, {"table", "TABLE"}};
    daoc_value *rows = NULL, *none = NULL;
    int rc = st->deploy->query(st, "PRAGMA foreign_keys = OFF", NULL, &none, msg);
    daoc_value_free(none);
    if (rc != DAOC_OK)
        return rc;
    rc = st->deploy->query(st,
                           "SELECT \"type\", \"name\" FROM \"sqlite_master\" WHERE \"sql\" IS NOT "
                           "NULL AND \"name\" NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY \"name\"",
                           NULL, &rows, msg);
    daoc__buf b = {0};
    daoc__buf_puts(&b, "PRAGMA defer_foreign_keys = ON;\n");
    for (size_t k = 0; rc == DAOC_OK && k < sizeof kinds / sizeof kinds[0]; k++)
        for (size_t i = 0; i < daoc_value_len(rows); i++) {
            const daoc_value *row = daoc_arr_get(rows, i);
            const char *type = daoc_value_str(daoc_obj_get(row, "type"), NULL);
            const char *name = daoc_value_str(daoc_obj_get(row, "name"), NULL);
            if (!type || !name || strcmp(type, kinds[k][0]) != 0)
                continue;
            daoc__buf_printf(&b, "DROP %s IF EXISTS ", kinds[k][1]);
            daoc__sql_ident(&b, name);
            daoc__buf_puts(&b, ";\n");
        }
    daoc_value_free(rows);
    if (rc == DAOC_OK) {
        char *sql = b.failed ? NULL : daoc__buf_take(&b, NULL);
        rc = sql ? st->deploy->exec(st, sql, msg) : DAOC_ENOMEM;
        daoc__free(sql);
    }
    daoc__buf_free(&b);
    char *ignored = NULL;
    int on = st->deploy->query(st, "PRAGMA foreign_keys = ON", NULL, &none, msg ? &ignored : NULL);
    daoc_value_free(none);
    if (rc == DAOC_OK && on != DAOC_OK) {
        if (msg)
            *msg = ignored;
        return on;
    }
    daoc__free(ignored);
    return rc;
}

/* Kong's cluster_events and the clustering tables no entity has
 * (store/meta.h, daoc__meta_core_base), times as REAL epoch seconds as
 * every SQLite table here; expired rows are deleted by whoever reads them
 * (issue 12), not by a trigger. */
static const char SQ_CORE_BASE[] =
    DAOC__SQ_CLUSTER_EVENTS_DDL
    "CREATE TABLE IF NOT EXISTS \"clustering_rpc_requests\" (\n"
    "  \"id\" INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  \"node_id\" TEXT NOT NULL,\n"
    "  \"reply_to\" TEXT NOT NULL,\n"
    "  \"ttl\" REAL NOT NULL,\n"
    "  \"payload\" TEXT NOT NULL\n);\n"
    "CREATE INDEX IF NOT EXISTS \"clustering_rpc_requests_node_id_idx\" ON "
    "\"clustering_rpc_requests\" (\"node_id\");\n"
    "CREATE TABLE IF NOT EXISTS \"clustering_sync_version\" (\n"
    "  \"version\" INTEGER PRIMARY KEY AUTOINCREMENT\n);\n";

const daoc__meta_dialect daoc__sqlite_meta_dialect = {
    .core_base = SQ_CORE_BASE,
    .cluster_id = "INSERT INTO \"parameters\" (\"key\", \"value\") VALUES ('cluster_id', ?1) "
                  "ON CONFLICT DO NOTHING",
    .unrecord = "UPDATE \"schema_meta\" SET \"executed\" = " SQ_REMOVE("executed") ", "
                "\"pending\" = " SQ_REMOVE("pending") ", \"last_executed\" = ?3 "
                "WHERE \"key\" = 'schema_meta' AND \"subsystem\" = ?1",
    .ledger_del = "DELETE FROM \"daoc_migrations\" WHERE \"subsystem\" = ?1 AND \"name\" = ?2",
    /* the clock the triggers write `at` with (store/sqlite/events.c) */
    .events_read = "SELECT \"id\", \"channel\", \"data\", \"at\", \"nbf\" FROM \"cluster_events\" "
                   "WHERE \"at\" > ?1 AND \"at\" <= (julianday('now') - 2440587.5) * 86400.0 "
                   "ORDER BY \"at\", \"id\" LIMIT ?2",
    .events_now = "SELECT (julianday('now') - 2440587.5) * 86400.0 AS \"now\"",
    .events_expire = "DELETE FROM \"cluster_events\" WHERE \"rowid\" IN (SELECT \"rowid\" FROM "
                     "\"cluster_events\" WHERE \"at\" <= (julianday('now') - 2440587.5) * "
                     "86400.0 - 3600 AND \"expire_at\" <= (julianday('now') - 2440587.5) * 86400.0 "
                     "LIMIT " DAOC__EVENTS_EXPIRE_BATCH ") RETURNING 1 AS \"n\"",
    .events_insert = "INSERT INTO \"cluster_events\" (\"id\", \"node_id\", \"at\", \"nbf\", "
                     "\"expire_at\", \"channel\", \"data\") SELECT ?1, ?2, \"t\", CASE WHEN ?5 > 0 "
                     "THEN \"t\" + ?5 END, \"t\" + 3600, ?3, ?4 FROM (SELECT (julianday('now') - "
                     "2440587.5) * 86400.0 AS \"t\")",
    .now_param = true,
    .bootstrap =
        "CREATE TABLE IF NOT EXISTS \"schema_meta\" (\"key\" TEXT, \"subsystem\" TEXT, "
        "\"last_executed\" TEXT, \"executed\" TEXT, \"pending\" TEXT, "
        "PRIMARY KEY (\"key\", \"subsystem\"));\n"
        "CREATE TABLE IF NOT EXISTS \"locks\" (\"key\" TEXT PRIMARY KEY, \"owner\" TEXT, "
        "\"ttl\" REAL);\n"
        "CREATE INDEX IF NOT EXISTS \"locks_ttl_idx\" ON \"locks\" (\"ttl\");\n"
        "CREATE TABLE IF NOT EXISTS \"daoc_migrations\" (\"subsystem\" TEXT NOT NULL, "
        "\"name\" TEXT NOT NULL, \"checksum\" TEXT, \"started_at\" REAL, \"duration_ms\" REAL, "
        "\"host\" TEXT, \"pid\" INTEGER, PRIMARY KEY (\"subsystem\", \"name\"));\n",
    .load = "SELECT \"subsystem\", \"last_executed\", \"executed\", \"pending\" FROM "
            "\"schema_meta\" WHERE \"key\" = 'schema_meta' ORDER BY \"subsystem\"",
    .record =
        {
            [DAOC__META_EXECUTED] = SQ_EXECUTED_INSERT,
            [DAOC__META_PENDING] =
                "INSERT INTO \"schema_meta\" (\"key\", \"subsystem\", \"pending\") "
                "VALUES ('schema_meta', ?1, json_array(?2)) ON CONFLICT (\"key\", \"subsystem\") "
                "DO UPDATE SET \"pending\" = " SQ_APPEND("pending"),
            [DAOC__META_TEARDOWN] = SQ_EXECUTED_INSERT ", \"pending\" = " SQ_REMOVE("pending"),
        },
    .ledger_put = "INSERT INTO \"daoc_migrations\" (\"subsystem\", \"name\", \"checksum\", "
                  "\"started_at\", \"duration_ms\", \"host\", \"pid\") "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (\"subsystem\", \"name\") DO "
                  "UPDATE SET \"checksum\" = excluded.\"checksum\", \"started_at\" = "
                  "excluded.\"started_at\", \"duration_ms\" = excluded.\"duration_ms\", "
                  "\"host\" = excluded.\"host\", \"pid\" = excluded.\"pid\"",
    .ledger_load = "SELECT \"subsystem\", \"name\", \"checksum\", \"started_at\", "
                   "\"duration_ms\", \"host\", \"pid\" FROM \"daoc_migrations\" "
                   "ORDER BY \"subsystem\", \"name\"",
    .lock_expire = "DELETE FROM \"locks\" WHERE \"ttl\" < ?1",
    .lock_insert = "INSERT INTO \"locks\" (\"key\", \"owner\", \"ttl\") VALUES (?1, ?2, ?4 + ?3) "
                   "ON CONFLICT DO NOTHING RETURNING \"key\"",
    .lock_refresh = "UPDATE \"locks\" SET \"ttl\" = ?4 + ?3 WHERE \"key\" = ?1 AND "
                    "\"owner\" = ?2 RETURNING \"key\"",
    .lock_read = "SELECT \"owner\", \"ttl\" FROM \"locks\" WHERE \"key\" = ?1 AND \"ttl\" >= ?2",
    .unlock = "DELETE FROM \"locks\" WHERE \"key\" = ?1 AND \"owner\" = ?2",
    .reset = sq_reset,
};
