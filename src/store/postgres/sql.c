/*
 * sql.c -- the SQL text of the PostgreSQL store: Kong's table layout (DDL,
 * kong-schema-dao.md 6.1), and the PostgreSQL dialect of the statement
 * shapes of store/sql_shape.c, which records each statement's parameter
 * plan (pg_int.h).
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
#include "store/sql_shape.h"
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
        f = daoc__field_ref_key(f);
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

/* ---- statements: the PostgreSQL dialect of store/sql_shape.c -------------- */

/* Timestamps are written with to_timestamp($n): timestamp fields and the
 * hidden ttl. */
static void value(daoc__sh *sh, const daoc__field *f, daoc__sqp kind, size_t idx)
{
    pg_sqlb *sb = sh->ud;
    if (kind == DAOC__SQP_NOW) { /* now() writes the server's clock */
        sb->failed = true;
        return;
    }
    bool ts = kind == DAOC__SQP_TTL || (f && is_ts(f));
    if (ts)
        puts_(sb, "to_timestamp(");
    param(sb, (pg_pkind)kind, idx);
    if (ts)
        puts_(sb, "::DOUBLE PRECISION)");
}

static void now(daoc__sh *sh)
{
    puts_(sh->ud, "CURRENT_TIMESTAMP");
}

/* Tags are a TEXT[] column (GIN-indexed): contains all / overlaps. */
static void tags(daoc__sh *sh, bool all)
{
    pg_sqlb *sb = sh->ud;
    puts_(sb, all ? " AND \"tags\" @> " : " AND \"tags\" && ");
    param(sb, PGP_TAGS, 0);
    puts_(sb, "::TEXT[]");
}

/* Select lists end with the remaining ttl seconds (floored by rowio.c) and,
 * when asked, "ws_id" (ops.c reads it by position).  Timestamps are
 * selected as the server prints them, read by text.c: measured 1.5-2.5 us a
 * row cheaper for the server than date_part('epoch', c) (which was itself
 * ~2 us cheaper than FLOOR(...)::BIGINT and EXTRACT's numeric), and exact to
 * the microsecond.  Select by a unique key has no LIMIT (measured: it costs
 * the server about 0.7 us a statement here).  Cleanup deletes small
 * batches, skipping rows other sessions hold: no long locks. */
static const daoc__sh_dialect POSTGRES = {
    .value = value,
    .now = now,
    .tags = tags,
    .ttl_select = "date_part('epoch', \"ttl\" - CURRENT_TIMESTAMP)",
    .excluded = "EXCLUDED.",
    .noop_excluded = true,
    .limit_unique = false,
    .hidden = {DAOC__SQP_TTL, DAOC__SQP_CK, DAOC__SQP_WS},
    .page_from = " WHERE TRUE",
    .page_fk = "",
    .page_fk_ws = NULL,
    .row_id = "ctid",
    .cleanup_end = " FOR UPDATE SKIP LOCKED",
    .cleanup_batch = PG_CLEANUP_BATCH,
    .truncate_head = "TRUNCATE ",
    .truncate_tail = " RESTART IDENTITY CASCADE",
    .estimate_head = "EXPLAIN SELECT 1",
};

void daoc__pg_sql_stmt(pg_sqlb *sb, const daoc__schema *s, const daoc__sh_stmt *st)
{
    daoc__sh sh = {&sb->b, s, &POSTGRES, sb->reg, sb};
    daoc__sh_build(&sh, st);
}

static int shape_op(int op)
{
    switch (op) {
    case PG_OP_SELECT:
        return DAOC__SH_SELECT;
    case PG_OP_INSERT:
        return DAOC__SH_INSERT;
    case PG_OP_UPDATE:
        return DAOC__SH_UPDATE;
    case PG_OP_UPSERT:
        return DAOC__SH_UPSERT;
    case PG_OP_DELETE:
        return DAOC__SH_DELETE;
    case PG_OP_PAGE:
        return DAOC__SH_PAGE;
    case PG_OP_CLEANUP:
        return DAOC__SH_CLEANUP;
    case PG_OP_TRUNCATE:
        return DAOC__SH_TRUNCATE;
    default:
        return 0;
    }
}

void daoc__pg_sql(pg_sqlb *sb, const daoc__schema *s, uint32_t code)
{
    int op = daoc__sh_code_op(code);
    unsigned v = daoc__sh_code_variant(code);
    daoc__sh_stmt st = {.op = shape_op(op), .field = daoc__sh_code_field(code)};
    if (op == PG_OP_PAGE) {
        st.skip_ttl = (v & PG_PG_SKIP_TTL) != 0;
        st.after = (v & PG_PG_AFTER) != 0;
        st.tags_all = (v & PG_PG_TAGS_AND) != 0;
        st.tags_any = (v & PG_PG_TAGS_OR) != 0;
        st.ws = (v & PG_PG_WS) != 0;
        st.show_ws = (v & PG_PG_SHOW_WS) != 0;
    } else {
        st.skip_ttl = (v & PG_V_SKIP_TTL) != 0;
        st.set_ttl = (v & PG_V_SET_TTL) != 0;
        st.ws = (v & PG_V_WS) != 0;
        st.show_ws = (v & PG_V_SHOW_WS) != 0;
        if (op == PG_OP_INSERT)
            st.returning = !(v & PG_V_NO_RETURNING);
        else if (op == PG_OP_DELETE)
            st.returning = (v & PG_V_RETURNING) != 0;
    }
    daoc__sh sh = {&sb->b, s, &POSTGRES, sb->reg, sb};
    daoc__sh_build(&sh, &st);
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
        if (f->type == DAOC__F_FOREIGN || daoc__field_created_at_index(f))
            index_stmt(b, t, daoc__pg_col(f), " ");
        else if (s->has_tags && f->name_len == 4 && memcmp(f->name, "tags", 4) == 0 &&
                 (f->type == DAOC__F_SET || f->type == DAOC__F_ARRAY))
            index_stmt(b, t, "tags", " USING GIN ");
    }
}

/* The tags table as Kong's core migrations make it, the sync_tags trigger
 * function (the same behaviour as Kong's, so either one serves a database
 * both use) and s's triggers: a row's insert, a change of its tags and its
 * delete (a cascade's too) are copied into "tags" (Kong's trigger); a
 * TRUNCATE, which fires no row trigger, drops the table's rows there (a
 * second trigger, which Kong lacks). */
void daoc__pg_tags_ddl(daoc__buf *b, const daoc__schema *s)
{
    const char *t = daoc__pg_table(s);
    daoc__buf_puts(
        b, "CREATE TABLE IF NOT EXISTS \"tags\" (\n"
           "  \"entity_id\" UUID PRIMARY KEY,\n"
           "  \"entity_name\" TEXT,\n"
           "  \"tags\" TEXT[]\n);\n"
           "CREATE INDEX IF NOT EXISTS \"tags_entity_name_idx\" ON \"tags\" (\"entity_name\");\n"
           "CREATE INDEX IF NOT EXISTS \"tags_tags_idx\" ON \"tags\" USING GIN (\"tags\");\n"
           "CREATE OR REPLACE FUNCTION \"sync_tags\" () RETURNS trigger LANGUAGE plpgsql AS $sync$\n"
           "BEGIN\n"
           "  IF TG_OP = 'TRUNCATE' THEN\n"
           "    DELETE FROM \"tags\" WHERE \"entity_name\" = TG_TABLE_NAME;\n"
           "    RETURN NULL;\n"
           "  ELSIF TG_OP = 'DELETE' THEN\n"
           "    DELETE FROM \"tags\" WHERE \"entity_id\" = OLD.\"id\";\n"
           "    RETURN OLD;\n"
           "  END IF;\n"
           "  INSERT INTO \"tags\" (\"entity_id\", \"entity_name\", \"tags\")\n"
           "    VALUES (NEW.\"id\", TG_TABLE_NAME, NEW.\"tags\")\n"
           "    ON CONFLICT (\"entity_id\") DO UPDATE SET \"tags\" = EXCLUDED.\"tags\";\n"
           "  RETURN NEW;\n"
           "END;\n"
           "$sync$;\n");
    char name[PG_NAMEDATALEN];
    daoc__pg_cname(name, t, NULL, "sync_tags_trigger");
    daoc__buf_puts(b, "CREATE TRIGGER ");
    ident(b, name);
    daoc__buf_puts(b, " AFTER INSERT OR UPDATE OF \"tags\" OR DELETE ON ");
    ident(b, t);
    daoc__buf_puts(b, " FOR EACH ROW EXECUTE PROCEDURE \"sync_tags\" ();\n");
    /* beyond Kong: TRUNCATE (daoc's truncate, and a parent's CASCADE) */
    daoc__pg_cname(name, t, NULL, "sync_tags_truncate");
    daoc__buf_puts(b, "CREATE TRIGGER ");
    ident(b, name);
    daoc__buf_puts(b, " AFTER TRUNCATE ON ");
    ident(b, t);
    daoc__buf_puts(b, " FOR EACH STATEMENT EXECUTE PROCEDURE \"sync_tags\" ();\n");
}

const char *daoc__pg_col_type(const daoc__field *f)
{
    return sql_type(f);
}
