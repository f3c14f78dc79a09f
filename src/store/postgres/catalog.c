/*
 * catalog.c -- the PostgreSQL half of the catalog reading
 * (store/catalog.h), from pg_catalog for a table of current_schema() (the
 * schema every other table is read from): its columns (pg_attribute, as
 * the table check reads them), its indexes with their key columns in
 * order (pg_index: unique constraints and the primary key are unique
 * indexes; INCLUDE columns are not key columns; an expression has no
 * attribute) and its foreign keys (pg_constraint, confdeltype spelt as
 * the SQL action).  Its fixes alter the table in place.
 */
#include "core/alloc.h"
#include "store/catalog.h"
#include "store/postgres/pg_int.h"

static const char COLUMNS[] =
    "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
    "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relname = $1 "
    "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";

static const char INDEXES[] =
    "SELECT ic.relname, i.indisunique, i.indpred IS NOT NULL OR i.indexprs IS NOT NULL, "
    "a.attname FROM pg_catalog.pg_index i "
    "JOIN pg_catalog.pg_class c ON c.oid = i.indrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
    "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(att, ord) "
    "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.att "
    "WHERE n.nspname = current_schema() AND c.relname = $1 AND k.ord <= i.indnkeyatts "
    "ORDER BY ic.relname, k.ord";

static const char FKEYS[] =
    "SELECT co.conname, rc.relname, CASE co.confdeltype WHEN 'c' THEN 'CASCADE' "
    "WHEN 'n' THEN 'SET NULL' WHEN 'r' THEN 'RESTRICT' WHEN 'd' THEN 'SET DEFAULT' "
    "ELSE 'NO ACTION' END, a.attname, ra.attname FROM pg_catalog.pg_constraint co "
    "JOIN pg_catalog.pg_class c ON c.oid = co.conrelid "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_catalog.pg_class rc ON rc.oid = co.confrelid "
    "CROSS JOIN LATERAL unnest(co.conkey, co.confkey) WITH ORDINALITY AS k(att, ratt, ord) "
    "JOIN pg_catalog.pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.att "
    "JOIN pg_catalog.pg_attribute ra ON ra.attrelid = co.confrelid AND ra.attnum = k.ratt "
    "WHERE co.contype = 'f' AND n.nspname = current_schema() AND c.relname = $1 "
    "ORDER BY co.conname, k.ord";

static int query(daoc__pg *q, const char *sql, const char *table, PGresult **r, char **msg)
{
    const char *p[1] = {table};
    return daoc__pg_exec_params(q, sql, 1, p, r, msg);
}

static const char *val(PGresult *r, int i, int c)
{
    return PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c);
}

/* The three reads on the connection ON_CONN acquired. */
static int read_on(daoc__pg *q, const char *table, daoc__cat_table *t, char **msg)
{
    PGresult *r = NULL;
    int rc = query(q, COLUMNS, table, &r, msg);
    for (int i = 0; rc == DAOC_OK && i < PQntuples(r); i++)
        daoc__shape_add(&t->cols, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
    PQclear(r);
    r = NULL;
    if (rc == DAOC_OK && t->cols.text.failed)
        rc = DAOC_ENOMEM;
    if (rc == DAOC_OK)
        rc = query(q, INDEXES, table, &r, msg);
    for (int i = 0; rc == DAOC_OK && i < PQntuples(r); i++)
        rc = daoc__cat_add_index_col(t, PQgetvalue(r, i, 0), *PQgetvalue(r, i, 1) == 't',
                                     *PQgetvalue(r, i, 2) == 't', val(r, i, 3));
    PQclear(r);
    r = NULL;
    if (rc == DAOC_OK)
        rc = query(q, FKEYS, table, &r, msg);
    for (int i = 0; rc == DAOC_OK && i < PQntuples(r); i++)
        rc = daoc__cat_add_fk_col(t, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                                  PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
    PQclear(r);
    return rc;
}

static int read_table(daoc__store *st, const char *table, daoc__cat_table *t, char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    int rc;
    t->nocase = false;
    /* a write-side acquire: no retry that would read the rows twice */
    ON_CONN(q, false, msg, read_on(q, table, t, msg));
    return rc;
}

const daoc__catalog_dialect daoc__pg_catalog_dialect = {
    .read = read_table,
    .shape = &daoc__pg_shape_hooks,
    .alter_constraints = true,
    .name = daoc__pg_cname,
};
