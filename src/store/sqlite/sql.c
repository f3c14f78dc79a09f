/*
 * sql.c -- the SQL text of the SQLite store: table layout (DDL) and one
 * statement per (schema, operation, key, variant).
 *
 * Identifiers come only from compiled schemas and are always double-quoted
 * (embedded quotes doubled); every value is a parameter numbered by the
 * layout described in sqlite_int.h.  Text is built once per statement and
 * cached prepared by open.c, so nothing here is on a hot path.  This file
 * runs no SQL.
 */
#include <stdio.h>
#include <string.h>

#include "store/ddl.h"
#include "store/restrict_sql.h"
#include "store/sqlite/sqlite_int.h"

#define ident daoc__sql_ident

static const char *col_name(const daoc__field *f)
{
    return daoc__field_column(f);
}

static const char *table_name(const daoc__schema *s)
{
    return daoc__schema_table(s);
}

static void param(daoc__buf *b, int n)
{
    daoc__buf_printf(b, "?%d", n);
}

size_t daoc__sq_ncol(const daoc__schema *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nfields; i++)
        if (!s->fields[i].transient)
            n++;
    return n;
}


static const char *sql_type(const daoc__field *f)
{
    if (f->type == DAOC__F_FOREIGN)
        f = daoc__sql_ref_pk(f);
    if (!f)
        return "TEXT";
    switch (f->type) {
    case DAOC__F_INTEGER:
    case DAOC__F_BOOLEAN:
        return "INTEGER";
    case DAOC__F_NUMBER:
        return "REAL";
    default:
        return "TEXT";
    }
}

/* "c1", "c2", ..., "ttl", "ws_id" (ops.c reads ws_id by position: last) */
static void select_list(daoc__buf *b, const daoc__schema *s)
{
    bool first = true;
    for (size_t i = 0; i < s->nfields; i++) {
        if (s->fields[i].transient)
            continue;
        if (!first)
            daoc__buf_puts(b, ", ");
        first = false;
        ident(b, col_name(&s->fields[i]));
    }
    if (s->ttl) {
        if (!first)
            daoc__buf_puts(b, ", ");
        first = false;
        daoc__buf_puts(b, "\"ttl\"");
    }
    if (s->workspaceable)
        daoc__buf_puts(b, first ? "\"ws_id\"" : ", \"ws_id\"");
}

/* The workspace condition of a scoped statement. */
static void ws_cond(daoc__buf *b, size_t ncol)
{
    daoc__buf_puts(b, " AND \"ws_id\" = ");
    param(b, SQ_P_WS(ncol));
}

/* WHERE condition on the key; parameters from SQ_P_KEY(ncol, 0). */
static void key_cond(daoc__buf *b, const daoc__schema *s, long field, size_t ncol)
{
    if (field == DAOC__KEY_CACHE_KEY) {
        daoc__buf_puts(b, "\"cache_key\" = ");
        param(b, SQ_P_KEY(ncol, 0));
    } else if (field >= 0) {
        ident(b, col_name(&s->fields[field]));
        daoc__buf_puts(b, " = ");
        param(b, SQ_P_KEY(ncol, 0));
    } else {
        for (size_t j = 0; j < s->npk; j++) {
            if (j)
                daoc__buf_puts(b, " AND ");
            ident(b, col_name(&s->fields[s->pk[j]]));
            daoc__buf_puts(b, " = ");
            param(b, SQ_P_KEY(ncol, j));
        }
    }
}

static void ttl_filter(daoc__buf *b, size_t ncol)
{
    daoc__buf_puts(b, " AND (\"ttl\" IS NULL OR \"ttl\" >= ");
    param(b, SQ_P_NOW(ncol));
    daoc__buf_putc(b, ')');
}

/* INSERT INTO "t" (cols, ttl, ws_id, cache_key) VALUES (params) */
static void insert_head(daoc__buf *b, const daoc__schema *s, size_t ncol)
{
    daoc__buf_puts(b, "INSERT INTO ");
    ident(b, table_name(s));
    daoc__buf_puts(b, " (");
    select_list(b, s); /* ttl and ws_id last, as in the select list */
    bool any = ncol || s->ttl || s->workspaceable;
    if (s->ncache_key > 1)
        daoc__buf_puts(b, any ? ", \"cache_key\"" : "\"cache_key\"");
    daoc__buf_puts(b, ") VALUES (");
    bool first = true;
    for (size_t k = 0; k < ncol; k++) {
        if (!first)
            daoc__buf_puts(b, ", ");
        first = false;
        param(b, SQ_P_COL(k));
    }
    if (s->ttl) {
        if (!first)
            daoc__buf_puts(b, ", ");
        first = false;
        param(b, SQ_P_TTL(ncol));
    }
    if (s->workspaceable) {
        if (!first)
            daoc__buf_puts(b, ", ");
        first = false;
        param(b, SQ_P_WS(ncol));
    }
    if (s->ncache_key > 1) {
        if (!first)
            daoc__buf_puts(b, ", ");
        param(b, SQ_P_CK(ncol));
    }
    daoc__buf_putc(b, ')');
}

/* SET list of update/upsert: every non-pk column, cache_key, ttl.  `excl`
 * selects "c" = excluded."c" instead of parameters. */
static void set_list(daoc__buf *b, const daoc__schema *s, size_t ncol, bool excl, bool set_ttl)
{
    bool first = true;
    size_t k = 0;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        if (!daoc__sql_is_pk(s, i)) {
            if (!first)
                daoc__buf_puts(b, ", ");
            first = false;
            ident(b, col_name(f));
            daoc__buf_puts(b, " = ");
            if (excl) {
                daoc__buf_puts(b, "excluded.");
                ident(b, col_name(f));
            } else {
                param(b, SQ_P_COL(k));
            }
        }
        k++;
    }
    if (s->ncache_key > 1) {
        if (!first)
            daoc__buf_puts(b, ", ");
        first = false;
        daoc__buf_puts(b, "\"cache_key\" = ");
        if (excl)
            daoc__buf_puts(b, "excluded.\"cache_key\"");
        else
            param(b, SQ_P_CK(ncol));
    }
    if (s->workspaceable && excl) { /* an upsert writes the row's workspace */
        if (!first)
            daoc__buf_puts(b, ", ");
        first = false;
        daoc__buf_puts(b, "\"ws_id\" = excluded.\"ws_id\"");
    }
    if (s->ttl && set_ttl) {
        if (!first)
            daoc__buf_puts(b, ", ");
        first = false;
        daoc__buf_puts(b, "\"ttl\" = ");
        if (excl)
            daoc__buf_puts(b, "excluded.\"ttl\"");
        else
            param(b, SQ_P_TTL(ncol));
    }
    if (first) { /* only primary-key columns: a no-op assignment */
        const char *c = col_name(&s->fields[s->pk[0]]);
        ident(b, c);
        daoc__buf_puts(b, " = ");
        ident(b, c);
    }
}

/* Paging is keyset order on the primary key (offsets hold the last key),
 * and every variant has an index in exactly that order, so a page reads
 * only its own rows whatever the table's size (no sort, no temporary
 * B-tree; test_sqlite_store checks the plans):
 *   - no workspace condition: the primary key itself;
 *   - "ws_id" = ?: the (ws_id, pk) index of daoc__sq_ws_index_ddl;
 *   - a foreign key: the index on the fk column, (fk, pk) in a WITHOUT
 *     ROWID table.
 * The ttl and tags conditions are filters on those rows. */
static void page_sql(daoc__buf *b, const daoc__schema *s, long fk, unsigned v, size_t ncol)
{
    daoc__buf_puts(b, "SELECT ");
    select_list(b, s);
    daoc__buf_puts(b, " FROM ");
    ident(b, table_name(s));
    daoc__buf_puts(b, " AS \"t\" WHERE 1");
    if (fk >= 0) {
        daoc__buf_puts(b, " AND \"t\".");
        ident(b, col_name(&s->fields[fk]));
        daoc__buf_puts(b, " = ");
        param(b, SQ_P_FK(ncol));
    }
    if (v & SQ_PG_TAGS_AND) {
        daoc__buf_puts(b, " AND NOT EXISTS (SELECT 1 FROM json_each(");
        param(b, SQ_P_TAGS(ncol));
        daoc__buf_puts(b, ") AS \"r\" WHERE \"r\".value NOT IN (SELECT \"e\".value FROM "
                          "json_each(\"t\".\"tags\") AS \"e\"))");
    } else if (v & SQ_PG_TAGS_OR) {
        daoc__buf_puts(b, " AND EXISTS (SELECT 1 FROM json_each(\"t\".\"tags\") AS \"e\" WHERE "
                          "\"e\".value IN (SELECT \"r\".value FROM json_each(");
        param(b, SQ_P_TAGS(ncol));
        daoc__buf_puts(b, ") AS \"r\"))");
    }
    if (v & SQ_PG_AFTER) {
        daoc__buf_puts(b, " AND (");
        daoc__sql_pk_cols(b, s);
        daoc__buf_puts(b, ") > (");
        for (size_t j = 0; j < s->npk; j++) {
            if (j)
                daoc__buf_puts(b, ", ");
            param(b, SQ_P_AFTER(ncol, j));
        }
        daoc__buf_putc(b, ')');
    }
    if (s->ttl && !(v & SQ_PG_SKIP_TTL))
        ttl_filter(b, ncol);
    if (s->workspaceable && (v & SQ_PG_WS)) {
        /* With a foreign key the fk index, (fk, pk) in a WITHOUT ROWID
         * table, gives the rows in page order; the unary + keeps SQLite
         * from preferring the (ws_id, pk) index and reading the whole
         * workspace to find the parent's rows. */
        daoc__buf_puts(b, fk >= 0 ? " AND +\"ws_id\" = " : " AND \"ws_id\" = ");
        param(b, SQ_P_WS(ncol));
    }
    daoc__buf_puts(b, " ORDER BY ");
    daoc__sql_pk_cols(b, s);
    daoc__buf_puts(b, " LIMIT ");
    param(b, SQ_P_LIMIT(ncol));
}

void daoc__sq_sql(daoc__buf *b, const daoc__schema *s, uint32_t code,
                  const daoc__store_registry *reg)
{
    int op = (int)(code & 0xff);
    long field = (long)((code >> 8) & 0xffff) - 2;
    unsigned v = (code >> 24) & 0xff;
    size_t ncol = daoc__sq_ncol(s);
    const char *t = table_name(s);

    switch (op) {
    case SQ_OP_SELECT:
        daoc__buf_puts(b, "SELECT ");
        select_list(b, s);
        daoc__buf_puts(b, " FROM ");
        ident(b, t);
        daoc__buf_puts(b, " WHERE ");
        key_cond(b, s, field, ncol);
        if (s->ttl && !(v & SQ_V_SKIP_TTL))
            ttl_filter(b, ncol);
        if (s->workspaceable && (v & SQ_V_WS))
            ws_cond(b, ncol);
        daoc__buf_puts(b, " LIMIT 1");
        break;
    case SQ_OP_INSERT: /* the row is rebuilt from the entity: no RETURNING */
        insert_head(b, s, ncol);
        break;
    case SQ_OP_UPDATE:
        daoc__buf_puts(b, "UPDATE ");
        ident(b, t);
        daoc__buf_puts(b, " SET ");
        set_list(b, s, ncol, false, (v & SQ_V_SET_TTL) != 0);
        daoc__buf_puts(b, " WHERE ");
        key_cond(b, s, field, ncol);
        if (s->ttl)
            ttl_filter(b, ncol);
        if (s->workspaceable && (v & SQ_V_WS))
            ws_cond(b, ncol);
        daoc__buf_puts(b, " RETURNING ");
        select_list(b, s);
        break;
    case SQ_OP_UPSERT:
        insert_head(b, s, ncol);
        daoc__buf_puts(b, " ON CONFLICT (");
        if (field == DAOC__KEY_CACHE_KEY) {
            daoc__buf_puts(b, "\"cache_key\"");
        } else if (field >= 0) {
            if (daoc__store_unique_ws(s, &s->fields[field]))
                daoc__buf_puts(b, "\"ws_id\", ");
            ident(b, col_name(&s->fields[field]));
        } else {
            daoc__sql_pk_cols(b, s);
        }
        daoc__buf_puts(b, ") DO UPDATE SET ");
        set_list(b, s, ncol, true, true);
        daoc__buf_puts(b, " RETURNING ");
        select_list(b, s);
        break;
    case SQ_OP_DELETE:
        daoc__buf_puts(b, "DELETE FROM ");
        ident(b, t);
        daoc__buf_puts(b, " WHERE ");
        key_cond(b, s, field, ncol);
        if (s->ttl && !(v & SQ_V_SKIP_TTL))
            ttl_filter(b, ncol);
        if (s->workspaceable && (v & SQ_V_WS))
            ws_cond(b, ncol);
        if (v & SQ_V_RETURNING) { /* the deleted row, as select reads it */
            daoc__buf_puts(b, " RETURNING ");
            select_list(b, s);
        }
        break;
    case SQ_OP_PAGE:
        page_sql(b, s, field, v, ncol);
        break;
    case SQ_OP_PROBE_PK:
        daoc__buf_puts(b, "SELECT 1 FROM ");
        ident(b, t);
        daoc__buf_puts(b, " WHERE ");
        key_cond(b, s, SQ_KEY_PK, ncol);
        if (s->workspaceable && (v & SQ_V_WS))
            ws_cond(b, ncol);
        daoc__buf_puts(b, " LIMIT 1");
        break;
    case SQ_OP_PROBE_FK: /* SQ_V_WS: the rows of the workspace ?key */
        daoc__buf_puts(b, "SELECT 1 FROM ");
        ident(b, t);
        daoc__buf_puts(b, " WHERE ");
        if (v & SQ_V_WS) {
            daoc__buf_puts(b, "\"ws_id\" = ");
            param(b, SQ_P_KEY(ncol, 0));
        } else {
            key_cond(b, s, field, ncol);
        }
        daoc__buf_puts(b, " LIMIT 1");
        break;
    case SQ_OP_CLEANUP:
        daoc__buf_puts(b, "DELETE FROM ");
        ident(b, t);
        daoc__buf_puts(b, " WHERE (");
        daoc__sql_pk_cols(b, s);
        daoc__buf_puts(b, ") IN (SELECT ");
        daoc__sql_pk_cols(b, s);
        daoc__buf_puts(b, " FROM ");
        ident(b, t);
        daoc__buf_puts(b, " AS \"daoc_t\" WHERE \"ttl\" < ");
        param(b, SQ_P_NOW(ncol));
        daoc__sql_unrestricted(b, reg, s, "daoc_t"); /* keep what RESTRICT holds */
        daoc__buf_printf(b, " LIMIT %d)", SQ_CLEANUP_BATCH);
        break;
    case SQ_OP_TRUNCATE:
        daoc__buf_puts(b, "DELETE FROM ");
        ident(b, t);
        break;
    default:
        b->failed = true;
        break;
    }
}

static void index_stmt(daoc__buf *b, const char *table, const char *col)
{
    daoc__buf_puts(b, "CREATE INDEX IF NOT EXISTS ");
    char name[256];
    snprintf(name, sizeof name, "%s_%s_idx", table, col);
    ident(b, name);
    daoc__buf_puts(b, " ON ");
    ident(b, table);
    daoc__buf_putc(b, '(');
    ident(b, col);
    daoc__buf_puts(b, ");\n");
}

void daoc__sq_ws_index_ddl(daoc__buf *b, const daoc__schema *s)
{
    if (!s->workspaceable)
        return;
    const char *t = table_name(s);
    char name[256];
    snprintf(name, sizeof name, "%s_ws_id_pk_idx", t);
    daoc__buf_puts(b, "CREATE INDEX IF NOT EXISTS ");
    ident(b, name);
    daoc__buf_puts(b, " ON ");
    ident(b, t);
    daoc__buf_puts(b, " (\"ws_id\", ");
    daoc__sql_pk_cols(b, s);
    daoc__buf_puts(b, ");\n");
}

void daoc__sq_ddl(daoc__buf *b, const daoc__schema *s)
{
    const char *t = table_name(s);
    daoc__buf_puts(b, "CREATE TABLE IF NOT EXISTS ");
    ident(b, t);
    daoc__buf_puts(b, " (\n");
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        daoc__buf_puts(b, "  ");
        ident(b, col_name(f));
        daoc__buf_putc(b, ' ');
        daoc__buf_puts(b, sql_type(f));
        if (daoc__sql_is_pk(s, i))
            daoc__buf_puts(b, " NOT NULL");
        if (f->unique && !(s->npk == 1 && s->pk[0] == i) && !daoc__store_unique_ws(s, f))
            daoc__buf_puts(b, " UNIQUE");
        if (f->type == DAOC__F_FOREIGN && f->ref && f->ref->npk > 0 &&
            !daoc__store_fk_ws(s, f)) {
            daoc__buf_puts(b, " REFERENCES ");
            ident(b, table_name(f->ref));
            daoc__buf_putc(b, '(');
            ident(b, daoc__sql_ref_col(f));
            daoc__buf_puts(b, ") ON DELETE ");
            daoc__buf_puts(b, daoc__on_delete_sql(f->on_delete));
        }
        daoc__buf_puts(b, ",\n");
    }
    if (s->ncache_key > 1)
        daoc__buf_puts(b, "  \"cache_key\" TEXT UNIQUE,\n");
    if (s->ttl)
        daoc__buf_puts(b, "  \"ttl\" REAL,\n");
    daoc__ddl_ws(b, s, "TEXT", NULL); /* store.h, "Table layout" */
    daoc__buf_puts(b, "  PRIMARY KEY (");
    daoc__sql_pk_cols(b, s);
    daoc__buf_puts(b, ")\n) WITHOUT ROWID;\n");
    if (s->ttl)
        index_stmt(b, t, "ttl");
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->type == DAOC__F_FOREIGN && !f->transient)
            index_stmt(b, t, col_name(f));
    }
}

const char *daoc__sq_col_type(const daoc__field *f)
{
    return sql_type(f);
}
