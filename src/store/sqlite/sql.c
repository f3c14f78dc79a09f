/*
 * sql.c -- the SQL text of the SQLite store: table layout (DDL), and the
 * SQLite dialect of the statement shapes of store/sql_shape.c.
 *
 * Identifiers come only from compiled schemas and are always double-quoted
 * (embedded quotes doubled); every value is a parameter with a fixed number
 * (?N) from the layout described in sqlite_int.h.  Text is built once per
 * statement and cached prepared by open.c, so nothing here is on a hot
 * path.  This file runs no SQL.
 */
#include <stdio.h>
#include <string.h>

#include "store/ddl.h"
#include "store/deploy.h"
#include "store/sql_shape.h"
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
        f = daoc__field_ref_key(f);
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

/* ---- statements: the SQLite dialect of store/sql_shape.c ------------------ */

/* Parameters have fixed numbers (sqlite_int.h): the hook writes ?N. */
static void value(daoc__sh *sh, const daoc__field *f, daoc__sqp kind, size_t idx)
{
    (void)f;
    const daoc__schema *s = sh->s;
    size_t ncol = *(const size_t *)sh->ud;
    int n;
    switch (kind) {
    case DAOC__SQP_COL: { /* stored column k = field idx less the transients before it */
        size_t k = 0;
        for (size_t i = 0; i < idx; i++)
            if (!s->fields[i].transient)
                k++;
        n = SQ_P_COL(k);
        break;
    }
    case DAOC__SQP_CK:
        n = SQ_P_CK(ncol);
        break;
    case DAOC__SQP_TTL:
        n = SQ_P_TTL(ncol);
        break;
    case DAOC__SQP_NOW:
        n = SQ_P_NOW(ncol);
        break;
    case DAOC__SQP_WS:
        n = SQ_P_WS(ncol);
        break;
    case DAOC__SQP_KEY:
        n = SQ_P_KEY(ncol, idx);
        break;
    case DAOC__SQP_FK:
        n = SQ_P_FK(ncol);
        break;
    case DAOC__SQP_TAGS:
        n = SQ_P_TAGS(ncol);
        break;
    case DAOC__SQP_LIMIT:
        n = SQ_P_LIMIT(ncol);
        break;
    case DAOC__SQP_AFTER:
        n = SQ_P_AFTER(ncol, idx);
        break;
    case DAOC__SQP_QAFTER:
        n = SQ_P_QAFTER(ncol, s->npk);
        break;
    case DAOC__SQP_QVAL:
        n = SQ_P_QVAL(ncol, s->npk, idx);
        break;
    default:
        sh->b->failed = true;
        return;
    }
    param(sh->b, n);
}

/* The ttl filter and cleanup compare with the caller's clock: a parameter. */
static void now(daoc__sh *sh)
{
    value(sh, NULL, DAOC__SQP_NOW, 0);
}

/* Tags are a JSON array: every / one of the wanted tags in it. */
static void tags(daoc__sh *sh, bool all)
{
    if (all) {
        daoc__buf_puts(sh->b, " AND NOT EXISTS (SELECT 1 FROM json_each(");
        value(sh, NULL, DAOC__SQP_TAGS, 0);
        daoc__buf_puts(sh->b, ") AS \"r\" WHERE \"r\".value NOT IN (SELECT \"e\".value FROM "
                              "json_each(\"t\".\"tags\") AS \"e\"))");
    } else {
        daoc__buf_puts(sh->b, " AND EXISTS (SELECT 1 FROM json_each(\"t\".\"tags\") AS \"e\" WHERE "
                              "\"e\".value IN (SELECT \"r\".value FROM json_each(");
        value(sh, NULL, DAOC__SQP_TAGS, 0);
        daoc__buf_puts(sh->b, ") AS \"r\"))");
    }
}

/* Paging is keyset order on the primary key, and every variant has an
 * index in exactly that order, so a page reads only its own rows whatever
 * the table's size (no sort, no temporary B-tree; test_sqlite_store checks
 * the plans):
 *   - no workspace condition: the primary key itself;
 *   - "ws_id" = ?: the (ws_id, pk) index of daoc__sq_ws_index_ddl;
 *   - a foreign key: the index on the fk column, (fk, pk) in a WITHOUT
 *     ROWID table.  The unary + of page_fk_ws keeps SQLite from preferring
 *     the (ws_id, pk) index and reading the whole workspace to find the
 *     parent's rows.
 * Select lists end with "ttl" and "ws_id" (ops.c reads ws_id by position:
 * last); an insert returns nothing (the row is rebuilt from the entity). */
static const daoc__sh_dialect SQLITE = {
    .value = value,
    .now = now,
    .tags = tags,
    .ttl_select = "\"ttl\"",
    .excluded = "excluded.",
    .noop_excluded = false,
    .limit_unique = true,
    .hidden = {DAOC__SQP_TTL, DAOC__SQP_WS, DAOC__SQP_CK},
    .page_from = " AS \"t\" WHERE 1",
    .page_fk = "\"t\".",
    .page_fk_ws = " AND +\"ws_id\" = ",
    .row_id = NULL,
    .cleanup_end = "",
    .cleanup_batch = SQ_CLEANUP_BATCH,
    .truncate_head = "DELETE FROM ",
    .truncate_tail = "",
    .estimate_head = NULL,
};

void daoc__sq_sql_stmt(daoc__buf *b, const daoc__schema *s, const daoc__sh_stmt *st)
{
    daoc__sh_stmt copy = *st;
    copy.show_ws = true; /* as every statement of this store */
    size_t ncol = daoc__sq_ncol(s);
    daoc__sh sh = {b, s, &SQLITE, NULL, &ncol};
    daoc__sh_build(&sh, &copy);
}

void daoc__sq_sql(daoc__buf *b, const daoc__schema *s, uint32_t code,
                  const daoc__store_registry *reg)
{
    int op = daoc__sh_code_op(code);
    unsigned v = daoc__sh_code_variant(code);
    daoc__sh_stmt st = {.op = op, .field = daoc__sh_code_field(code), .show_ws = true};
    if (op == SQ_OP_PAGE) {
        st.skip_ttl = (v & SQ_PG_SKIP_TTL) != 0;
        st.after = (v & SQ_PG_AFTER) != 0;
        st.tags_all = (v & SQ_PG_TAGS_AND) != 0;
        st.tags_any = !st.tags_all && (v & SQ_PG_TAGS_OR) != 0;
        st.ws = (v & SQ_PG_WS) != 0;
    } else {
        st.skip_ttl = (v & SQ_V_SKIP_TTL) != 0;
        st.set_ttl = (v & SQ_V_SET_TTL) != 0;
        st.ws = (v & SQ_V_WS) != 0;
        st.returning = op == SQ_OP_DELETE && (v & SQ_V_RETURNING) != 0;
    }
    size_t ncol = daoc__sq_ncol(s);
    daoc__sh sh = {b, s, &SQLITE, reg, &ncol};
    daoc__sh_build(&sh, &st);
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
        if ((f->type == DAOC__F_FOREIGN && !f->transient) || daoc__field_created_at_index(f))
            index_stmt(b, t, col_name(f));
    }
}

const char *daoc__sq_col_type(const daoc__field *f)
{
    return sql_type(f);
}
