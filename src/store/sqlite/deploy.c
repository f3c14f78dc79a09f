/*
 * deploy.c -- the SQLite store's per-deployment table (store/deploy.h):
 * scripts through sqlite3_exec inside a transaction or savepoint, one
 * query with bound parameters returning rows in SQLite's own types, the
 * tables of sqlite_master, and the DDL that ensure_table runs for a new
 * table.
 */
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"
#include "store/deploy.h"
#include "store/catalog.h"
#include "store/meta.h"
#include "store/sqlite/sqlite_int.h"

static int run_script(daoc__store *st, const char *sql, char **msg)
{
    return daoc__sq_exec((daoc__sqlite *)st, sql, msg);
}

static int sq_exec(daoc__store *st, const char *sql, char **msg)
{
    return daoc__deploy_atomic(st, run_script, sql, msg);
}

static int bind(sqlite3_stmt *stmt, int i, const daoc_value *v)
{
    switch (v->type) {
    case DAOC_TNULL: return sqlite3_bind_null(stmt, i);
    case DAOC_TBOOL: return sqlite3_bind_int(stmt, i, v->u.b ? 1 : 0);
    case DAOC_TINT: return sqlite3_bind_int64(stmt, i, v->u.i);
    case DAOC_TNUM: return sqlite3_bind_double(stmt, i, v->u.n);
    case DAOC_TSTR: return sqlite3_bind_text(stmt, i, v->u.s, (int)v->len, SQLITE_STATIC);
    default: return SQLITE_MISMATCH;
    }
}

static daoc_value *column(sqlite3_stmt *stmt, int c)
{
    switch (sqlite3_column_type(stmt, c)) {
    case SQLITE_INTEGER: return daoc_int(sqlite3_column_int64(stmt, c));
    case SQLITE_FLOAT: return daoc_num(sqlite3_column_double(stmt, c));
    case SQLITE_NULL: return daoc_null();
    default: {
        const char *t = (const char *)sqlite3_column_text(stmt, c);
        return t ? daoc_strn(t, (size_t)sqlite3_column_bytes(stmt, c)) : NULL;
    }
    }
}

static int sq_query(daoc__store *st, const char *sql, const daoc_value *params, daoc_value **rows,
                    char **msg)
{
    daoc__sqlite *q = (daoc__sqlite *)st;
    *rows = NULL;
    if (msg)
        *msg = NULL;
    if (!sql || (params && params->type != DAOC_TARR))
        return DAOC_EINVAL;
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(q->db, sql, -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return daoc__sq_error(q, rc, msg);
    for (size_t i = 0; params && i < params->len; i++) {
        if ((rc = bind(stmt, (int)i + 1, params->u.a[i])) != SQLITE_OK) {
            sqlite3_finalize(stmt);
            return rc == SQLITE_MISMATCH ? DAOC_EINVAL : daoc__sq_error(q, rc, msg);
        }
    }
    daoc_value *out = daoc_arr();
    int st_rc = DAOC_ENOMEM;
    while (out && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        daoc_value *row = daoc_obj();
        for (int c = 0; row && c < sqlite3_column_count(stmt); c++)
            if (daoc_obj_set(row, sqlite3_column_name(stmt, c), column(stmt, c)) != DAOC_OK) {
                daoc_value_free(row);
                row = NULL;
            }
        if (!row || daoc_arr_push(out, row) != DAOC_OK)
            goto fail;
    }
    if (out && rc == SQLITE_DONE) {
        sqlite3_finalize(stmt);
        *rows = out;
        return DAOC_OK;
    }
    if (out)
        st_rc = daoc__sq_error(q, rc, msg);
fail:
    sqlite3_finalize(stmt);
    daoc_value_free(out);
    return st_rc;
}

static int sq_list_tables(daoc__store *st, daoc_value **names, char **msg)
{
    *names = NULL;
    daoc_value *rows = NULL;
    int rc = sq_query(st,
                      "SELECT name FROM sqlite_master WHERE type = 'table' "
                      "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                      NULL, &rows, msg);
    if (rc != DAOC_OK)
        return rc;
    return daoc__deploy_column(rows, "name", names);
}

static void sq_table_sql(const daoc__schema *s, daoc__buf *b)
{
    daoc__sq_ddl(b, s);
    daoc__sq_ws_index_ddl(b, s);
}

const daoc__store_deploy_ops daoc__sqlite_deploy_ops = {
    .exec = sq_exec,
    .query = sq_query,
    .list_tables = sq_list_tables,
    .table_sql = sq_table_sql,
    .quote_literal = daoc__deploy_quote_standard, /* SQLite reads '' as ' and nothing else */
    .meta = &daoc__sqlite_meta_dialect,
    .catalog = &daoc__sqlite_catalog_dialect,
};
