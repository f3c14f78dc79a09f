/*
 * sql_shape.c -- the statement shapes both SQL stores share (see
 * sql_shape.h): one builder of every statement by key, of keyset pages,
 * probes, TTL cleanup and truncate.  What the dialects write differently
 * comes from the daoc__sh_dialect hooks: parameters and their value
 * expressions, the current time, the tag filter, and a few clause strings.
 *
 * Identifiers come only from compiled schemas and are always double-quoted;
 * every value is a parameter.  Select lists end with the ttl expression
 * and then "ws_id" (the stores read both by position).  Text is built once
 * per statement and cached by the stores, so nothing here is on a hot
 * path.  This file runs no SQL.
 */
#include "store/sql_shape.h"

#include "store/ddl.h"
#include "store/restrict_sql.h"
#include "store/store.h"

#define ident daoc__sql_ident

static void puts_(daoc__sh *sh, const char *t)
{
    daoc__buf_puts(sh->b, t);
}

static void sep(daoc__sh *sh, bool *first)
{
    if (!*first)
        puts_(sh, ", ");
    *first = false;
}

static void value(daoc__sh *sh, const daoc__field *f, daoc__sqp kind, size_t idx)
{
    sh->d->value(sh, f, kind, idx);
}

static void col(daoc__sh *sh, const daoc__field *f)
{
    ident(sh->b, daoc__field_column(f));
}

/* "c1", "c2", ...: the stored columns in schema order */
static void columns(daoc__sh *sh, bool *first)
{
    const daoc__schema *s = sh->s;
    for (size_t i = 0; i < s->nfields; i++) {
        if (s->fields[i].transient)
            continue;
        sep(sh, first);
        col(sh, &s->fields[i]);
    }
}

/* "c1", "c2", ..., <ttl expression>, "ws_id" */
static void select_list(daoc__sh *sh, bool show_ws)
{
    const daoc__schema *s = sh->s;
    bool first = true;
    columns(sh, &first);
    if (s->ttl) {
        sep(sh, &first);
        puts_(sh, sh->d->ttl_select);
    }
    if (s->workspaceable && show_ws) {
        sep(sh, &first);
        puts_(sh, "\"ws_id\"");
    }
}

void daoc__sh_select_list(daoc__sh *sh, bool show_ws)
{
    select_list(sh, show_ws);
}

static void returning(daoc__sh *sh, const daoc__sh_stmt *st)
{
    puts_(sh, " RETURNING ");
    select_list(sh, st->show_ws);
}

/* The workspace condition of a scoped statement. */
static void ws_cond(daoc__sh *sh)
{
    puts_(sh, " AND \"ws_id\" = ");
    value(sh, NULL, DAOC__SQP_WS, 0);
}

void daoc__sh_ws_cond(daoc__sh *sh)
{
    ws_cond(sh);
}

static void key_cond(daoc__sh *sh, long field)
{
    const daoc__schema *s = sh->s;
    if (field == DAOC__KEY_CACHE_KEY) {
        puts_(sh, "\"cache_key\" = ");
        value(sh, NULL, DAOC__SQP_KEY, 0);
    } else if (field >= 0) {
        const daoc__field *f = &s->fields[field];
        col(sh, f);
        puts_(sh, " = ");
        value(sh, f, DAOC__SQP_KEY, 0);
    } else {
        for (size_t j = 0; j < s->npk; j++) {
            const daoc__field *f = &s->fields[s->pk[j]];
            if (j)
                puts_(sh, " AND ");
            col(sh, f);
            puts_(sh, " = ");
            value(sh, f, DAOC__SQP_KEY, j);
        }
    }
}

static void ttl_filter(daoc__sh *sh)
{
    puts_(sh, " AND (\"ttl\" IS NULL OR \"ttl\" >= ");
    sh->d->now(sh);
    puts_(sh, ")");
}

void daoc__sh_ttl_filter(daoc__sh *sh)
{
    ttl_filter(sh);
}

/* WHERE <key> [ttl filter] [ws condition] of a statement by key. */
static void where_key(daoc__sh *sh, const daoc__sh_stmt *st, bool ttl)
{
    puts_(sh, " WHERE ");
    key_cond(sh, st->field);
    if (sh->s->ttl && ttl)
        ttl_filter(sh);
    if (sh->s->workspaceable && st->ws)
        ws_cond(sh);
}

static bool has_hidden(const daoc__schema *s, daoc__sqp h)
{
    switch (h) {
    case DAOC__SQP_TTL:
        return s->ttl;
    case DAOC__SQP_WS:
        return s->workspaceable;
    case DAOC__SQP_CK:
        return s->ncache_key > 1;
    default:
        return false;
    }
}

static const char *hidden_col(daoc__sqp h)
{
    return h == DAOC__SQP_TTL ? "\"ttl\"" : h == DAOC__SQP_WS ? "\"ws_id\"" : "\"cache_key\"";
}

/* INSERT INTO "t" (cols, hidden cols) VALUES (values) */
static void insert_head(daoc__sh *sh)
{
    const daoc__schema *s = sh->s;
    puts_(sh, "INSERT INTO ");
    ident(sh->b, daoc__schema_table(s));
    puts_(sh, " (");
    bool first = true;
    columns(sh, &first);
    for (int h = 0; h < 3; h++) {
        if (has_hidden(s, sh->d->hidden[h])) {
            sep(sh, &first);
            puts_(sh, hidden_col(sh->d->hidden[h]));
        }
    }
    puts_(sh, ") VALUES (");
    first = true;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        sep(sh, &first);
        value(sh, f, DAOC__SQP_COL, i);
    }
    for (int h = 0; h < 3; h++) {
        if (has_hidden(s, sh->d->hidden[h])) {
            sep(sh, &first);
            value(sh, NULL, sh->d->hidden[h], 0);
        }
    }
    puts_(sh, ")");
}

/* "c" = <excluded>"c" of an upsert */
static void excluded(daoc__sh *sh, const char *c)
{
    ident(sh->b, c);
    puts_(sh, " = ");
    puts_(sh, sh->d->excluded);
    ident(sh->b, c);
}

/* SET list of update (parameters) or upsert (excluded values): every
 * non-pk column, cache_key, the workspace (upsert), ttl. */
static void set_list(daoc__sh *sh, bool excl, bool set_ttl)
{
    const daoc__schema *s = sh->s;
    bool first = true;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient || daoc__sql_is_pk(s, i))
            continue;
        sep(sh, &first);
        if (excl) {
            excluded(sh, daoc__field_column(f));
        } else {
            col(sh, f);
            puts_(sh, " = ");
            value(sh, f, DAOC__SQP_COL, i);
        }
    }
    if (s->ncache_key > 1) {
        sep(sh, &first);
        if (excl) {
            excluded(sh, "cache_key");
        } else {
            puts_(sh, "\"cache_key\" = ");
            value(sh, NULL, DAOC__SQP_CK, 0);
        }
    }
    if (s->workspaceable && excl) { /* an upsert writes the row's workspace */
        sep(sh, &first);
        excluded(sh, "ws_id");
    }
    if (s->ttl && set_ttl) {
        sep(sh, &first);
        if (excl) {
            excluded(sh, "ttl");
        } else {
            puts_(sh, "\"ttl\" = ");
            value(sh, NULL, DAOC__SQP_TTL, 0);
        }
    }
    if (first) { /* only primary-key columns: a no-op assignment */
        const char *c = daoc__field_column(&s->fields[s->pk[0]]);
        if (excl && sh->d->noop_excluded) {
            excluded(sh, c);
        } else {
            ident(sh->b, c);
            puts_(sh, " = ");
            ident(sh->b, c);
        }
    }
}

static void upsert(daoc__sh *sh, const daoc__sh_stmt *st)
{
    const daoc__schema *s = sh->s;
    insert_head(sh);
    puts_(sh, " ON CONFLICT (");
    if (st->field == DAOC__KEY_CACHE_KEY) {
        puts_(sh, "\"cache_key\"");
    } else if (st->field >= 0) {
        if (daoc__store_unique_ws(s, &s->fields[st->field]))
            puts_(sh, "\"ws_id\", ");
        col(sh, &s->fields[st->field]);
    } else {
        daoc__sql_pk_cols(sh->b, s);
    }
    puts_(sh, ") DO UPDATE SET ");
    set_list(sh, true, true);
    returning(sh, st);
}

/* Paging is keyset order on the primary key (offsets hold the last key);
 * the stores index every variant in that order.  The tags, ttl and
 * workspace conditions filter those rows. */
static void page(daoc__sh *sh, const daoc__sh_stmt *st)
{
    const daoc__schema *s = sh->s;
    long fk = st->field;
    puts_(sh, "SELECT ");
    select_list(sh, st->show_ws);
    puts_(sh, " FROM ");
    ident(sh->b, daoc__schema_table(s));
    puts_(sh, sh->d->page_from);
    if (fk >= 0) {
        puts_(sh, " AND ");
        puts_(sh, sh->d->page_fk);
        col(sh, &s->fields[fk]);
        puts_(sh, " = ");
        value(sh, NULL, DAOC__SQP_FK, (size_t)fk);
    }
    if (st->tags_all || st->tags_any)
        sh->d->tags(sh, st->tags_all);
    if (st->after) {
        puts_(sh, " AND (");
        daoc__sql_pk_cols(sh->b, s);
        puts_(sh, ") > (");
        for (size_t j = 0; j < s->npk; j++) {
            if (j)
                puts_(sh, ", ");
            value(sh, &s->fields[s->pk[j]], DAOC__SQP_AFTER, j);
        }
        puts_(sh, ")");
    }
    if (s->ttl && !st->skip_ttl)
        ttl_filter(sh);
    if (s->workspaceable && st->ws) {
        if (fk >= 0 && sh->d->page_fk_ws) {
            puts_(sh, sh->d->page_fk_ws);
            value(sh, NULL, DAOC__SQP_WS, 0);
        } else {
            ws_cond(sh);
        }
    }
    puts_(sh, " ORDER BY ");
    daoc__sql_pk_cols(sh->b, s);
    puts_(sh, " LIMIT ");
    value(sh, NULL, DAOC__SQP_LIMIT, 0);
}

/* the primary key, "(pk)", or the dialect's row selector */
static void row_id(daoc__sh *sh, bool paren)
{
    if (sh->d->row_id) {
        puts_(sh, sh->d->row_id);
        return;
    }
    if (paren)
        puts_(sh, "(");
    daoc__sql_pk_cols(sh->b, sh->s);
    if (paren)
        puts_(sh, ")");
}

/* One batch of expired rows that nothing RESTRICT still references. */
static void cleanup(daoc__sh *sh)
{
    const char *t = daoc__schema_table(sh->s);
    puts_(sh, "DELETE FROM ");
    ident(sh->b, t);
    puts_(sh, " WHERE ");
    row_id(sh, true);
    puts_(sh, " IN (SELECT ");
    row_id(sh, false);
    puts_(sh, " FROM ");
    ident(sh->b, t);
    puts_(sh, " AS \"daoc_t\" WHERE \"ttl\" < ");
    sh->d->now(sh);
    if (sh->reg)
        daoc__sql_unrestricted(sh->b, sh->reg, sh->s, "daoc_t");
    daoc__buf_printf(sh->b, " LIMIT %d", sh->d->cleanup_batch);
    puts_(sh, sh->d->cleanup_end);
    puts_(sh, ")");
}

static void by_key(daoc__sh *sh, const char *head, const daoc__sh_stmt *st, bool ttl)
{
    puts_(sh, head);
    ident(sh->b, daoc__schema_table(sh->s));
    where_key(sh, st, ttl);
}

void daoc__sh_build(daoc__sh *sh, const daoc__sh_stmt *st)
{
    const daoc__schema *s = sh->s;
    switch (st->op) {
    case DAOC__SH_SELECT:
        puts_(sh, "SELECT ");
        select_list(sh, st->show_ws);
        by_key(sh, " FROM ", st, !st->skip_ttl);
        /* a key that may match several rows (a non-unique endpoint_key):
         * the first */
        if (sh->d->limit_unique || (st->field >= 0 && !s->fields[st->field].unique))
            puts_(sh, " LIMIT 1");
        break;
    case DAOC__SH_INSERT:
        insert_head(sh);
        if (st->returning)
            returning(sh, st);
        break;
    case DAOC__SH_UPDATE:
        puts_(sh, "UPDATE ");
        ident(sh->b, daoc__schema_table(s));
        puts_(sh, " SET ");
        set_list(sh, false, st->set_ttl);
        where_key(sh, st, true);
        returning(sh, st);
        break;
    case DAOC__SH_UPSERT:
        upsert(sh, st);
        break;
    case DAOC__SH_DELETE:
        by_key(sh, "DELETE FROM ", st, !st->skip_ttl);
        if (st->returning) /* the deleted row, as select reads it */
            returning(sh, st);
        break;
    case DAOC__SH_PAGE:
        page(sh, st);
        break;
    case DAOC__SH_PROBE_PK: {
        daoc__sh_stmt pk = *st;
        pk.field = -1;
        by_key(sh, "SELECT 1 FROM ", &pk, false);
        puts_(sh, " LIMIT 1");
        break;
    }
    case DAOC__SH_PROBE_FK:
        puts_(sh, "SELECT 1 FROM ");
        ident(sh->b, daoc__schema_table(s));
        puts_(sh, " WHERE ");
        if (st->ws) { /* the rows of the workspace in key value 0 */
            puts_(sh, "\"ws_id\" = ");
            value(sh, NULL, DAOC__SQP_KEY, 0);
        } else {
            key_cond(sh, st->field);
        }
        puts_(sh, " LIMIT 1");
        break;
    case DAOC__SH_CLEANUP:
        cleanup(sh);
        break;
    case DAOC__SH_QUERY:
    case DAOC__SH_COUNT:
        daoc__sh_query(sh, st);
        break;
    case DAOC__SH_TRUNCATE:
        puts_(sh, sh->d->truncate_head);
        ident(sh->b, daoc__schema_table(s));
        puts_(sh, sh->d->truncate_tail);
        break;
    default:
        sh->b->failed = true;
        break;
    }
}
