/*
 * shape.c -- the PostgreSQL half of the table check (store/shape.h): the
 * columns the catalog reports for an existing table of the current schema
 * (pg_attribute, types as format_type prints them), compared by family.
 * Two declared types fit when they keep the same values the same way:
 * the integer types (smallint, integer, bigint: a value too large for a
 * narrow column is refused, never changed), the floating and numeric
 * types, text and varchar, timestamps with and without a zone (sessions
 * run in UTC, pool.c); every other type only fits itself (uuid is not
 * text: a uuid column would rewrite an upper-case string).  Modifiers
 * ("varchar(20)", "timestamp(0) ...") do not matter; array dimensions do.
 * These are the types test_pg_store's hand-altered tables read correctly.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store/postgres/pg_int.h"
#include "store/shape.h"

/* The family of type t in out: lower case, no modifiers, the element
 * type's family followed by "[]" for arrays. */
static void family(const char *t, char *out, size_t n)
{
    char base[64];
    size_t len = 0, arrays = 0;
    int depth = 0;
    for (const char *p = t; *p; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')')
            depth -= depth > 0;
        else if (depth > 0)
            continue;
        else if (p[0] == '[' && p[1] == ']')
            arrays++, p++;
        else if (len + 1 < sizeof base && !(*p == ' ' && (len == 0 || base[len - 1] == ' ')))
            base[len++] = (char)tolower((unsigned char)*p);
    }
    while (len > 0 && base[len - 1] == ' ')
        len--;
    base[len] = '\0';
    static const char *const fam[][2] = {
        {"smallint", "bigint"},
        {"integer", "bigint"},
        {"int", "bigint"},
        {"int2", "bigint"},
        {"int4", "bigint"},
        {"int8", "bigint"},
        {"real", "double precision"},
        {"float4", "double precision"},
        {"float8", "double precision"},
        {"numeric", "double precision"},
        {"decimal", "double precision"},
        {"character varying", "text"},
        {"varchar", "text"},
        /* the session's zone is UTC (pool.c): a column without one reads as UTC */
        {"timestamp without time zone", "timestamp with time zone"},
        {"timestamp", "timestamp with time zone"},
        {"timestamptz", "timestamp with time zone"},
    };
    const char *f = base;
    for (size_t i = 0; i < sizeof fam / sizeof fam[0]; i++)
        if (strcmp(base, fam[i][0]) == 0)
            f = fam[i][1];
    size_t w = (size_t)snprintf(out, n, "%s", f);
    for (size_t i = 0; i < arrays && w + 2 < n; i++, w += 2)
        memcpy(out + w, "[]", 3);
}

static bool same(const char *want, const char *found)
{
    char a[80], b[80];
    family(want, a, sizeof a);
    family(found, b, sizeof b);
    return strcmp(a, b) == 0;
}

/* The hidden columns' types are the ones daoc__pg_ddl (sql.c) writes. */
const daoc__shape_hooks daoc__pg_shape_hooks = {
    .field_type = daoc__pg_col_type,
    .ttl_type = "TIMESTAMP WITH TIME ZONE",
    .cache_key_type = "TEXT",
    .ws_type = "UUID",
    .same = same,
    .nocase = false,
};

int daoc__pg_shape_check(daoc__pg *q, const daoc__schema *s, bool upgrade, char **msg)
{
    const char *p[1] = {daoc__pg_table(s)};
    PGresult *r = NULL;
    int rc = daoc__pg_exec_params(
        q,
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
        "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relname = $1 "
        "AND a.attnum > 0 AND NOT a.attisdropped",
        1, p, &r, msg);
    if (rc != DAOC_OK)
        return rc;
    daoc__shape_cols cols = DAOC__SHAPE_COLS_INIT;
    for (int i = 0; i < PQntuples(r); i++)
        daoc__shape_add(&cols, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
    PQclear(r);
    rc = daoc__shape_check(s, &cols, &daoc__pg_shape_hooks, upgrade, msg);
    daoc__shape_cols_free(&cols);
    return rc;
}
