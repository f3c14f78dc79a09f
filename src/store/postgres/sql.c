/*
 * sql.c -- the SQL text of the PostgreSQL store: Kong's table layout (DDL,
 * kong-schema-dao.md 6.1) and one statement per (schema, operation, key,
 * variant), each with its parameter plan (pg_int.h).
 *
 * Identifiers come only from compiled schemas and are always double-quoted;
 * every value is a $n parameter.  Timestamp fields are TIMESTAMP WITH TIME
 * ZONE, written with to_timestamp($n) and selected as they are: the server
 * prints them in ISO style in UTC (pool.c sets DateStyle and TimeZone) and
 * text.c turns that into epoch seconds, floored for integer fields.
 * Constraints get explicit, predictable names (<table>_pkey,
 * <table>_<col>_key, <table>_<col>_fkey: PostgreSQL's own defaults, as in
 * Kong's migrations) so viol.c maps errors by name.  This file runs no SQL.
 */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "store/ddl.h"
#include "store/restrict_sql.h"
#include "store/postgres/pg_int.h"

const char *daoc__pg_table(const daoc__schema *s)
{
    return daoc__schema_table(s);
}

const char *daoc__pg_col(const daoc__field *f)
{
    return daoc__field_column(f);
}


/* Bytes of s[0..n) cut back to a UTF-8 character boundary. */
static size_t clip(const char *s, size_t n)
{
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* PostgreSQL's makeObjectName(): when "<table>_<col>_<suffix>" does not fit
 * in 63 bytes, the longer of table and col loses bytes first, so the
 * suffix survives and names stay distinct. */
void daoc__pg_cname(char out[PG_NAMEDATALEN], const char *table, const char *col,
                    const char *suffix)
{
    size_t n1 = strlen(table), n2 = col ? strlen(col) : 0;
    size_t overhead = strlen(suffix) + 1 + (col ? 1 : 0);
    size_t avail = PG_NAMEDATALEN - 1 - overhead;
    while (n1 + n2 > avail) {
        if (n1 > n2)
            n1--;
        else
            n2--;
    }
    n1 = clip(table, n1);
    if (col)
        n2 = clip(col, n2);
    if (col)
        snprintf(out, PG_NAMEDATALEN, "%.*s_%.*s_%s", (int)n1, table, (int)n2, col, suffix);
    else
        snprintf(out, PG_NAMEDATALEN, "%.*s_%s", (int)n1, table, suffix);
}

#define ident daoc__sql_ident

static void puts_(pg_sqlb *sb, const char *s) { daoc__buf_puts(&sb->b, s); }

/* Appends "$n" for a new parameter taking its value from (kind, idx). */
static void param(pg_sqlb *sb, pg_pkind kind, size_t idx)
{
    if (sb->nparams == sb->cap) {
        int cap = sb->cap ? sb->cap * 2 : 16;
        pg_param *p = daoc__realloc(sb->params, (size_t)cap * sizeof *p);
        if (!p) {
            sb->failed = true;
            return;
        }
        sb->params = p;
        sb->cap = cap;
    }
    sb->params[sb->nparams].kind = (uint8_t)kind;
    sb->params[sb->nparams].idx = (uint32_t)idx;
    sb->nparams++;
    daoc__buf_printf(&sb->b, "$%d", sb->nparams);
}

/* timestamp=true integer/number fields are TIMESTAMP WITH TIME ZONE */
static bool is_ts(const daoc__field *f)
{
    return f->timestamp && (f->type == DAOC__F_INTEGER || f->type == DAOC__F_NUMBER);
}

static const char *elem_type(const daoc__field *el)
{
    if (!el)
        return "JSONB[]";
    switch (el->type) {
    case DAOC__F_STRING:
        return el->uuid ? "UUID[]" : "TEXT[]";
    case DAOC__F_INTEGER:
        return "BIGINT[]";
    case DAOC__F_NUMBER:
        return "DOUBLE PRECISION[]";
    case DAOC__F_BOOLEAN:
        return "BOOLEAN[]";
    default:
        return "JSONB[]";
    }
}

static const char *sql_type(const daoc__field *f)
{
    if (f->type == DAOC__F_FOREIGN)
        f = daoc__sql_ref_pk(f);
    if (!f)
        return "TEXT";
    if (is_ts(f))
        return "TIMESTAMP WITH TIME ZONE";
    switch (f->type) {
    case DAOC__F_STRING:
        return f->uuid ? "UUID" : "TEXT";
    case DAOC__F_INTEGER:
        return "BIGINT";
    case DAOC__F_NUMBER:
        return "DOUBLE PRECISION";
    case DAOC__F_BOOLEAN:
        return "BOOLEAN";
    case DAOC__F_ARRAY:
    case DAOC__F_SET:
        return elem_type(f->elements);
    default:
        return "JSONB";
    }
}

/* A value expression for parameter (kind, idx) stored into field f. */
static void value_expr(pg_sqlb *sb, const daoc__field *f, pg_pkind kind, size_t idx)
{
    if (f && is_ts(f)) {
        puts_(sb, "to_timestamp(");
        param(sb, kind, idx);
        puts_(sb, "::DOUBLE PRECISION)");
    } else {
        param(sb, kind, idx);
    }
}

/* "c1", "c2", ..., remaining ttl seconds */
static void select_list(pg_sqlb *sb, const daoc__schema *s, bool show_ws)
{
    bool first = true;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        if (!first)
            puts_(sb, ", ");
        first = false;
        /* timestamps as the server prints them, read by text.c: measured
         * 1.5-2.5 us a row cheaper for the server than date_part('epoch',
         * c) (which was itself ~2 us cheaper than FLOOR(...)::BIGINT and
         * EXTRACT's numeric), and exact to the microsecond */
        ident(&sb->b, daoc__pg_col(f));
    }
    if (s->ttl) {
        if (!first)
            puts_(sb, ", ");
        first = false;
        puts_(sb, "date_part('epoch', \"ttl\" - CURRENT_TIMESTAMP)"); /* floored by rowio.c */
    }
    if (s->workspaceable && show_ws) /* last: ops.c reads it by position */
        puts_(sb, first ? "\"ws_id\"" : ", \"ws_id\"");
}

/* The workspace condition of a scoped statement. */
static void ws_cond(pg_sqlb *sb)
{
    puts_(sb, " AND \"ws_id\" = ");
    param(sb, PGP_WS, 0);
}

static void key_cond(pg_sqlb *sb, const daoc__schema *s, long field)
{
    if (field == DAOC__KEY_CACHE_KEY) {
        puts_(sb, "\"cache_key\" = ");
        param(sb, PGP_KEY, 0);
    } else if (field >= 0) {
        const daoc__field *f = &s->fields[field];
        ident(&sb->b, daoc__pg_col(f));
        puts_(sb, " = ");
        value_expr(sb, f, PGP_KEY, 0);
    } else {
        for (size_t j = 0; j < s->npk; j++) {
            const daoc__field *f = &s->fields[s->pk[j]];
            if (j)
                puts_(sb, " AND ");
            ident(&sb->b, daoc__pg_col(f));
            puts_(sb, " = ");
            value_expr(sb, f, PGP_KEY, j);
        }
    }
}

static const char TTL_FILTER[] = " AND (\"ttl\" IS NULL OR \"ttl\" >= CURRENT_TIMESTAMP)";

static void insert_head(pg_sqlb *sb, const daoc__schema *s)
{
    puts_(sb, "INSERT INTO ");
    ident(&sb->b, daoc__pg_table(s));
    puts_(sb, " (");
    bool first = true;
    for (size_t i = 0; i < s->nfields; i++) {
        if (s->fields[i].transient)
            continue;
        if (!first)
            puts_(sb, ", ");
        first = false;
        ident(&sb->b, daoc__pg_col(&s->fields[i]));
    }
    if (s->ttl) {
        puts_(sb, first ? "\"ttl\"" : ", \"ttl\"");
        first = false;
    }
    if (s->ncache_key > 1) {
        puts_(sb, first ? "\"cache_key\"" : ", \"cache_key\"");
        first = false;
    }
    if (s->workspaceable)
        puts_(sb, first ? "\"ws_id\"" : ", \"ws_id\"");
    puts_(sb, ") VALUES (");
    first = true;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        if (!first)
            puts_(sb, ", ");
        first = false;
        value_expr(sb, f, PGP_COL, i);
    }
    if (s->ttl) {
        if (!first)
            puts_(sb, ", ");
        first = false;
        puts_(sb, "to_timestamp(");
        param(sb, PGP_TTL, 0);
        puts_(sb, "::DOUBLE PRECISION)");
    }
    if (s->ncache_key > 1) {
        if (!first)
            puts_(sb, ", ");
        first = false;
        param(sb, PGP_CK, 0);
    }
    if (s->workspaceable) {
        if (!first)
            puts_(sb, ", ");
        param(sb, PGP_WS, 0);
    }
    puts_(sb, ")");
}

/* SET list of update (parameters) or upsert (EXCLUDED.<col>). */
static void set_list(pg_sqlb *sb, const daoc__schema *s, bool excl, bool set_ttl)
{
    bool first = true;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient || daoc__sql_is_pk(s, i))
            continue;
        if (!first)
            puts_(sb, ", ");
        first = false;
        ident(&sb->b, daoc__pg_col(f));
        puts_(sb, " = ");
        if (excl) {
            puts_(sb, "EXCLUDED.");
            ident(&sb->b, daoc__pg_col(f));
        } else {
            value_expr(sb, f, PGP_COL, i);
        }
    }
    if (s->ncache_key > 1) {
        if (!first)
            puts_(sb, ", ");
        first = false;
        puts_(sb, "\"cache_key\" = ");
        if (excl)
            puts_(sb, "EXCLUDED.\"cache_key\"");
        else
            param(sb, PGP_CK, 0);
    }
    if (s->workspaceable && excl) { /* an upsert writes the row's workspace */
        if (!first)
            puts_(sb, ", ");
        first = false;
        puts_(sb, "\"ws_id\" = EXCLUDED.\"ws_id\"");
    }
    if (s->ttl && set_ttl) {
        if (!first)
            puts_(sb, ", ");
        first = false;
        puts_(sb, "\"ttl\" = ");
        if (excl) {
            puts_(sb, "EXCLUDED.\"ttl\"");
        } else {
            puts_(sb, "to_timestamp(");
            param(sb, PGP_TTL, 0);
            puts_(sb, "::DOUBLE PRECISION)");
        }
    }
    if (first) { /* only primary-key columns: a no-op assignment */
        const char *c = daoc__pg_col(&s->fields[s->pk[0]]);
        ident(&sb->b, c);
        puts_(sb, excl ? " = EXCLUDED." : " = ");
        ident(&sb->b, c);
    }
}

static void page_sql(pg_sqlb *sb, const daoc__schema *s, long fk, unsigned v)
{
    puts_(sb, "SELECT ");
    select_list(sb, s, (v & PG_PG_SHOW_WS) != 0);
    puts_(sb, " FROM ");
    ident(&sb->b, daoc__pg_table(s));
    puts_(sb, " WHERE TRUE");
    if (fk >= 0) {
        puts_(sb, " AND ");
        ident(&sb->b, daoc__pg_col(&s->fields[fk]));
        puts_(sb, " = ");
        param(sb, PGP_FK, (size_t)fk);
    }
    if (v & (PG_PG_TAGS_AND | PG_PG_TAGS_OR)) {
        puts_(sb, (v & PG_PG_TAGS_AND) ? " AND \"tags\" @> " : " AND \"tags\" && ");
        param(sb, PGP_TAGS, 0);
        puts_(sb, "::TEXT[]");
    }
    if (v & PG_PG_AFTER) {
        puts_(sb, " AND (");
        daoc__sql_pk_cols(&sb->b, s);
        puts_(sb, ") > (");
        for (size_t j = 0; j < s->npk; j++) {
            if (j)
                puts_(sb, ", ");
            value_expr(sb, &s->fields[s->pk[j]], PGP_AFTER, j);
        }
        puts_(sb, ")");
    }
    if (s->ttl && !(v & PG_PG_SKIP_TTL))
        puts_(sb, TTL_FILTER);
    if (s->workspaceable && (v & PG_PG_WS))
        ws_cond(sb);
    puts_(sb, " ORDER BY ");
    daoc__sql_pk_cols(&sb->b, s);
    puts_(sb, " LIMIT ");
    param(sb, PGP_LIMIT, 0);
}

void daoc__pg_sql(pg_sqlb *sb, const daoc__schema *s, uint32_t code)
{
    int op = (int)(code & 0xff);
    long field = (long)((code >> 8) & 0xffff) - 2;
    unsigned v = (code >> 24) & 0xff;
    const char *t = daoc__pg_table(s);
    bool show = (v & PG_V_SHOW_WS) != 0;

    switch (op) {
    case PG_OP_SELECT:
        puts_(sb, "SELECT ");
        select_list(sb, s, show);
        puts_(sb, " FROM ");
        ident(&sb->b, t);
        puts_(sb, " WHERE ");
        key_cond(sb, s, field);
        if (s->ttl && !(v & PG_V_SKIP_TTL))
            puts_(sb, TTL_FILTER);
        if (s->workspaceable && (v & PG_V_WS))
            ws_cond(sb);
        /* a key that may match several rows (a non-unique endpoint_key):
         * the first; unique keys need no LIMIT (measured: it costs the
         * server about 0.7 us a statement here) */
        if (field >= 0 && !s->fields[field].unique)
            puts_(sb, " LIMIT 1");
        break;
    case PG_OP_INSERT:
        insert_head(sb, s);
        if (!(v & PG_V_NO_RETURNING)) {
            puts_(sb, " RETURNING ");
            select_list(sb, s, show);
        }
        break;
    case PG_OP_UPDATE:
        puts_(sb, "UPDATE ");
        ident(&sb->b, t);
        puts_(sb, " SET ");
        set_list(sb, s, false, (v & PG_V_SET_TTL) != 0);
        puts_(sb, " WHERE ");
        key_cond(sb, s, field);
        if (s->ttl)
            puts_(sb, TTL_FILTER);
        if (s->workspaceable && (v & PG_V_WS))
            ws_cond(sb);
        puts_(sb, " RETURNING ");
        select_list(sb, s, show);
        break;
    case PG_OP_UPSERT:
        insert_head(sb, s);
        puts_(sb, " ON CONFLICT (");
        if (field == DAOC__KEY_CACHE_KEY) {
            puts_(sb, "\"cache_key\"");
        } else if (field >= 0) {
            if (daoc__store_unique_ws(s, &s->fields[field]))
                puts_(sb, "\"ws_id\", ");
            ident(&sb->b, daoc__pg_col(&s->fields[field]));
        } else {
            daoc__sql_pk_cols(&sb->b, s);
        }
        puts_(sb, ") DO UPDATE SET ");
        set_list(sb, s, true, true);
        puts_(sb, " RETURNING ");
        select_list(sb, s, show);
        break;
    case PG_OP_DELETE:
        puts_(sb, "DELETE FROM ");
        ident(&sb->b, t);
        puts_(sb, " WHERE ");
        key_cond(sb, s, field);
        if (s->ttl && !(v & PG_V_SKIP_TTL))
            puts_(sb, TTL_FILTER);
        if (s->workspaceable && (v & PG_V_WS))
            ws_cond(sb);
        if (v & PG_V_RETURNING) { /* the deleted row, as select reads it */
            puts_(sb, " RETURNING ");
            select_list(sb, s, show);
        }
        break;
    case PG_OP_PAGE:
        page_sql(sb, s, field, v);
        break;
    case PG_OP_CLEANUP:
        /* small batches, skipping rows other sessions hold: no long locks */
        puts_(sb, "DELETE FROM ");
        ident(&sb->b, t);
        puts_(sb, " WHERE ctid IN (SELECT ctid FROM ");
        ident(&sb->b, t);
        puts_(sb, " AS \"daoc_t\" WHERE \"ttl\" < CURRENT_TIMESTAMP");
        if (sb->reg) /* keep what RESTRICT holds */
            daoc__sql_unrestricted(&sb->b, sb->reg, s, "daoc_t");
        daoc__buf_printf(&sb->b, " LIMIT %d FOR UPDATE SKIP LOCKED)", PG_CLEANUP_BATCH);
        break;
    case PG_OP_TRUNCATE:
        puts_(sb, "TRUNCATE ");
        ident(&sb->b, t);
        puts_(sb, " RESTART IDENTITY CASCADE");
        break;
    default:
        sb->failed = true;
        break;
    }
}

static void index_stmt(daoc__buf *b, const char *table, const char *col, const char *using)
{
    char name[PG_NAMEDATALEN];
    daoc__pg_cname(name, table, col, "idx");
    daoc__buf_puts(b, "CREATE INDEX IF NOT EXISTS ");
    ident(b, name);
    daoc__buf_puts(b, " ON ");
    ident(b, table);
    daoc__buf_puts(b, using);
    daoc__buf_putc(b, '(');
    ident(b, col);
    daoc__buf_puts(b, ");\n");
}

static void constraint(daoc__buf *b, const char *table, const char *col, const char *suffix)
{
    char name[PG_NAMEDATALEN];
    daoc__pg_cname(name, table, col, suffix);
    daoc__buf_puts(b, " CONSTRAINT ");
    ident(b, name);
}

/* daoc__ddl_namer: "CONSTRAINT <name>" without the leading blank */
static void named(daoc__buf *b, const char *table, const char *col, const char *suffix)
{
    char name[PG_NAMEDATALEN];
    daoc__pg_cname(name, table, col, suffix);
    daoc__buf_puts(b, "CONSTRAINT ");
    ident(b, name);
}

void daoc__pg_ddl(daoc__buf *b, const daoc__schema *s)
{
    const char *t = daoc__pg_table(s);
    daoc__buf_puts(b, "CREATE TABLE IF NOT EXISTS ");
    ident(b, t);
    daoc__buf_puts(b, " (\n");
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        const char *c = daoc__pg_col(f);
        daoc__buf_puts(b, "  ");
        ident(b, c);
        daoc__buf_putc(b, ' ');
        daoc__buf_puts(b, sql_type(f));
        /* pages are ordered by the primary key: byte order, as on SQLite,
         * whatever the database's default collation */
        if (daoc__sql_is_pk(s, i) && strcmp(sql_type(f), "TEXT") == 0)
            daoc__buf_puts(b, " COLLATE \"C\"");
        if (f->unique && !(s->npk == 1 && s->pk[0] == i) && !daoc__store_unique_ws(s, f)) {
            constraint(b, t, c, "key");
            daoc__buf_puts(b, " UNIQUE");
        }
        if (f->type == DAOC__F_FOREIGN && f->ref && f->ref->npk > 0 &&
            !daoc__store_fk_ws(s, f)) {
            constraint(b, t, c, "fkey");
            daoc__buf_puts(b, " REFERENCES ");
            ident(b, daoc__pg_table(f->ref));
            daoc__buf_putc(b, '(');
            ident(b, daoc__sql_ref_col(f));
            daoc__buf_puts(b, ") ON DELETE ");
            daoc__buf_puts(b, daoc__on_delete_sql(f->on_delete));
        }
        daoc__buf_puts(b, ",\n");
    }
    if (s->ttl)
        daoc__buf_puts(b, "  \"ttl\" TIMESTAMP WITH TIME ZONE,\n");
    if (s->ncache_key > 1) {
        daoc__buf_puts(b, "  \"cache_key\" TEXT");
        constraint(b, t, "cache_key", "key");
        daoc__buf_puts(b, " UNIQUE,\n");
    }
    daoc__ddl_ws(b, s, "UUID", named);
    daoc__buf_puts(b, " ");
    constraint(b, t, NULL, "pkey");
    daoc__buf_puts(b, " PRIMARY KEY (");
    daoc__sql_pk_cols(b, s);
    daoc__buf_puts(b, ")\n);\n");
    if (s->ttl)
        index_stmt(b, t, "ttl", " ");
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        if (f->type == DAOC__F_FOREIGN)
            index_stmt(b, t, daoc__pg_col(f), " ");
        else if (s->has_tags && f->name_len == 4 && memcmp(f->name, "tags", 4) == 0 &&
                 (f->type == DAOC__F_SET || f->type == DAOC__F_ARRAY))
            index_stmt(b, t, "tags", " USING GIN ");
    }
}

const char *daoc__pg_col_type(const daoc__field *f)
{
    return sql_type(f);
}
