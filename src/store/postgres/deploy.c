/*
 * deploy.c -- the PostgreSQL store's per-deployment table (store/deploy.h):
 * scripts as one simple-protocol round trip inside a transaction or
 * savepoint (PostgreSQL runs DDL transactionally), one query with text
 * parameters whose rows come back typed by their column's type, the tables
 * of the current schema, and the DDL ensure_table runs for a new table.
 * Every call runs on a pooled connection within pg_timeout (wait.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"
#include "store/deploy.h"
#include "store/catalog.h"
#include "store/meta.h"
#include "store/postgres/pg_int.h"

enum { OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_FLOAT4 = 700,
       OID_FLOAT8 = 701, OID_NUMERIC = 1700 };

/* A script changes tables (a migration's DDL): the statements this
 * connection prepared before may no longer fit them, and inside the
 * script's transaction the server would refuse them and abort it ("cached
 * plan must not change result type").  The connection forgets them, so the
 * DAO's next call in the same transaction (a migration's up function)
 * prepares afresh.  Cheap: a statement is prepared again once, on use. */
static int exec_forgetting(daoc__pg *q, const char *sql, char **msg)
{
    int rc = daoc__pg_exec(q, sql, msg);
    daoc__pg_conn_forget(q->cur);
    return rc;
}

static int run_script(daoc__store *st, const char *sql, char **msg)
{
    int rc;
    daoc__pg *q = (daoc__pg *)st;
    ON_CONN(q, false, msg, exec_forgetting(q, sql, msg));
    return rc;
}

static int pg_exec(daoc__store *st, const char *sql, char **msg)
{
    return daoc__deploy_atomic(st, run_script, sql, msg);
}

/* A parameter's text, or NULL for SQL NULL; *bad for values that have none. */
static char *param_text(const daoc_value *v, bool *bad)
{
    char num[40];
    switch (v->type) {
    case DAOC_TNULL: return NULL;
    case DAOC_TBOOL: return daoc__strdup(v->u.b ? "true" : "false");
    case DAOC_TINT: snprintf(num, sizeof num, "%" PRId64, v->u.i); return daoc__strdup(num);
    case DAOC_TNUM: snprintf(num, sizeof num, "%.17g", v->u.n); return daoc__strdup(num);
    case DAOC_TSTR:
        if (strlen(v->u.s) == v->len)
            return daoc__strdup(v->u.s);
        break; /* a NUL inside: no text form */
    default: break;
    }
    *bad = true;
    return NULL;
}

static daoc_value *cell(const PGresult *r, int row, int c)
{
    if (PQgetisnull(r, row, c))
        return daoc_null();
    const char *t = PQgetvalue(r, row, c);
    switch (PQftype(r, c)) {
    case OID_BOOL: return daoc_bool(t[0] == 't');
    case OID_INT2:
    case OID_INT4:
    case OID_INT8: return daoc_int(strtoll(t, NULL, 10));
    case OID_FLOAT4:
    case OID_FLOAT8:
    case OID_NUMERIC: return daoc_num(strtod(t, NULL));
    default: return daoc_strn(t, (size_t)PQgetlength(r, row, c));
    }
}

static daoc_value *rows_of(const PGresult *r)
{
    daoc_value *out = daoc_arr();
    for (int i = 0; out && i < PQntuples(r); i++) {
        daoc_value *row = daoc_obj();
        for (int c = 0; row && c < PQnfields(r); c++)
            if (daoc_obj_set(row, PQfname(r, c), cell(r, i, c)) != DAOC_OK) {
                daoc_value_free(row);
                row = NULL;
            }
        if (!row || daoc_arr_push(out, row) != DAOC_OK) {
            daoc_value_free(out);
            out = NULL;
        }
    }
    return out;
}

/* A command tag of a statement that leaves every table's shape alone. */
static bool reads_or_writes_rows(const char *tag)
{
    static const char *const dml[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE",
                                      "COPY",   "FETCH",  "MOVE",   "SHOW",   "SET",
                                      "BEGIN",  "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"};
    for (size_t i = 0; tag && i < sizeof dml / sizeof dml[0]; i++) {
        size_t n = strlen(dml[i]);
        if (strncmp(tag, dml[i], n) == 0 && (tag[n] == '\0' || tag[n] == ' '))
            return true;
    }
    return false;
}

static int query_on(daoc__pg *q, const char *sql, int n, const char *const *vals,
                    daoc_value **rows, char **msg)
{
    PGresult *r = NULL;
    int rc = daoc__pg_exec_params(q, sql, n, vals, &r, msg);
    if (rc != DAOC_OK)
        return rc;
    if (!reads_or_writes_rows(PQcmdStatus(r))) /* DDL through connector:query: as exec */
        daoc__pg_conn_forget(q->cur);
    *rows = rows_of(r);
    PQclear(r);
    return *rows ? DAOC_OK : DAOC_ENOMEM;
}

static int pg_query(daoc__store *st, const char *sql, const daoc_value *params, daoc_value **rows,
                    char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    *rows = NULL;
    if (msg)
        *msg = NULL;
    if (!sql || (params && params->type != DAOC_TARR))
        return DAOC_EINVAL;
    size_t n = params ? params->len : 0;
    char **vals = n ? daoc__calloc(n, sizeof *vals) : NULL;
    if (n && !vals)
        return DAOC_ENOMEM;
    int rc = DAOC_OK;
    bool bad = false;
    for (size_t i = 0; i < n && rc == DAOC_OK; i++) {
        vals[i] = param_text(params->u.a[i], &bad);
        if (bad)
            rc = DAOC_EINVAL;
        else if (!vals[i] && params->u.a[i]->type != DAOC_TNULL)
            rc = DAOC_ENOMEM;
    }
    if (rc == DAOC_OK)
        ON_CONN(q, false, msg, query_on(q, sql, (int)n, (const char *const *)vals, rows, msg));
    for (size_t i = 0; i < n; i++)
        daoc__free(vals[i]);
    daoc__free(vals);
    return rc;
}

static int pg_list_tables(daoc__store *st, daoc_value **names, char **msg)
{
    *names = NULL;
    daoc_value *rows = NULL;
    int rc = pg_query(st,
                      "SELECT tablename::text AS name FROM pg_catalog.pg_tables "
                      "WHERE schemaname = current_schema() ORDER BY tablename COLLATE \"C\"",
                      NULL, &rows, msg);
    if (rc != DAOC_OK)
        return rc;
    return daoc__deploy_column(rows, "name", names);
}

static void pg_table_sql(const daoc__schema *s, daoc__buf *b) { daoc__pg_ddl(b, s); }

/* As PQescapeLiteral writes it: with a backslash inside, the E'' form with
 * every backslash doubled, so the literal means the same whatever the
 * server's standard_conforming_strings. */
static void pg_quote_literal(const char *s, size_t n, daoc__buf *b)
{
    if (!memchr(s, '\\', n)) {
        daoc__deploy_quote_standard(s, n, b);
        return;
    }
    daoc__buf_puts(b, " E'");
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'' || s[i] == '\\')
            daoc__buf_putc(b, s[i]);
        daoc__buf_putc(b, s[i]);
    }
    daoc__buf_putc(b, '\'');
}

const daoc__store_deploy_ops daoc__pg_deploy_ops = {
    .exec = pg_exec,
    .query = pg_query,
    .list_tables = pg_list_tables,
    .table_sql = pg_table_sql,
    .quote_literal = pg_quote_literal,
    .meta = &daoc__pg_meta_dialect,
    .catalog = &daoc__pg_catalog_dialect,
};
