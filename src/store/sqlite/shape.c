/*
 * shape.c -- the SQLite half of the table check (store/shape.h): the
 * columns PRAGMA table_info reports for an existing table, compared by
 * type affinity, the rule by which SQLite converts what a column stores
 * (an INTEGER field in a TEXT column reads back as text; an old TEXT
 * column keeps its strings when the field becomes an integer).  Two
 * declared types fit when they have the same affinity (INT, BIGINT and
 * INTEGER all do).
 */
#include <stdbool.h>
#include <string.h>

#include "store/shape.h"
#include "store/sqlite/sqlite_int.h"

typedef enum { AFF_BLOB, AFF_TEXT, AFF_NUMERIC, AFF_INTEGER, AFF_REAL } affinity;

/* SQLite's rules, in its order (datatype3.html, 3.1). */
static affinity affinity_of(const char *t)
{
    if (strcasestr(t, "INT"))
        return AFF_INTEGER;
    if (strcasestr(t, "CHAR") || strcasestr(t, "CLOB") || strcasestr(t, "TEXT"))
        return AFF_TEXT;
    if (!*t || strcasestr(t, "BLOB"))
        return AFF_BLOB;
    if (strcasestr(t, "REAL") || strcasestr(t, "FLOA") || strcasestr(t, "DOUB"))
        return AFF_REAL;
    return AFF_NUMERIC;
}

static bool same(const char *want, const char *found)
{
    return affinity_of(want) == affinity_of(found);
}

/* The hidden columns' types are the ones daoc__sq_ddl (sql.c) writes. */
const daoc__shape_hooks daoc__sq_shape_hooks = {
    .field_type = daoc__sq_col_type,
    .ttl_type = "REAL",
    .cache_key_type = "TEXT",
    .ws_type = "TEXT",
    .same = same,
    .nocase = true,
};

int daoc__sq_shape_check(daoc__sqlite *q, const daoc__schema *s, bool upgrade, char **msg)
{
    sqlite3_stmt *st = NULL;
    int src =
        sqlite3_prepare_v2(q->db, "SELECT name, type FROM pragma_table_info(?1)", -1, &st, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(st, 1, daoc__schema_table(s), -1, SQLITE_STATIC);
    daoc__shape_cols cols = DAOC__SHAPE_COLS_INIT;
    while (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *type = (const char *)sqlite3_column_text(st, 1);
        if (!name) {
            src = SQLITE_NOMEM;
            break;
        }
        daoc__shape_add(&cols, name, type);
        src = SQLITE_OK;
    }
    int rc =
        src == SQLITE_DONE ? daoc__shape_check(s, &cols, &daoc__sq_shape_hooks, upgrade, msg) : daoc__sq_error(q, src, msg);
    sqlite3_finalize(st);
    daoc__shape_cols_free(&cols);
    return rc;
}
