/*
 * ops.c -- the members of the SQLite store vtable: ensure_table, select,
 * page, insert, update, upsert, delete, cleanup_ttl and truncate.
 *
 * Each member fetches its cached statement, binds parameters by the layout
 * of sqlite_int.h, steps and resets.  Each write is one statement, so it is
 * atomic on its own.  TTL expiry is computed here in C (created_at/updated_at
 * + ttl, or now + ttl) and stored as REAL epoch seconds; reads pass "now" as
 * a parameter.  Constraint errors are handed to viol.c.  No SQL text here.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/rand.h"
#include "core/value.h"
#include "store/ddl.h"
#include "store/sqlite/sqlite_int.h"
#include "store/events_ddl.h"
#include "store/table.h"
#include "store/tags.h"

/* A bind failure: SQLITE_NOMEM, or a misuse with no connection error. */
static int bind_error(daoc__sqlite *q, int rc, char **msg)
{
    if (rc == SQLITE_NOMEM)
        return DAOC_ENOMEM;
    if (msg && !(*msg = daoc__strdup(sqlite3_errstr(rc))))
        return DAOC_ENOMEM;
    (void)q;
    return DAOC_ESTORE;
}

static void clear_msg(char **msg)
{
    if (msg)
        *msg = NULL;
}

/* Adds "ws_id" -- the last column of the select list -- of the current
 * result row to row, when the caller asked for it. */
static int put_ws(const daoc__schema *s, sqlite3_stmt *st, bool show, daoc_value *row)
{
    if (!show || !s->workspaceable || !row)
        return DAOC_OK;
    int c = sqlite3_column_count(st) - 1;
    const char *t = (const char *)sqlite3_column_text(st, c);
    return daoc__store_put_ws(row, t, t ? (size_t)sqlite3_column_bytes(st, c) : 0);
}

int daoc__sq_put_ws(const daoc__schema *s, sqlite3_stmt *st, bool show, daoc_value *row)
{
    return put_ws(s, st, show, row);
}

/* Binds the workspace parameter when the statement uses it. */
static int bind_ws(sqlite3_stmt *st, const daoc__schema *s, size_t ncol, const char *ws)
{
    if (!s->workspaceable || !ws)
        return SQLITE_OK;
    return sqlite3_bind_text(st, SQ_P_WS(ncol), ws, -1, SQLITE_STATIC);
}

/* ---- ensure_table ------------------------------------------------------- */

/* Runs sql with parameter ?1 = text (may be NULL); *row tells whether it
 * returned a row. */
static int run1(daoc__sqlite *q, const char *sql, const char *text, bool *row, char **msg)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
    if (src == SQLITE_OK && text)
        src = sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (row)
        *row = src == SQLITE_ROW;
    int rc = src == SQLITE_ROW || src == SQLITE_DONE ? DAOC_OK : daoc__sq_error(q, src, msg);
    sqlite3_finalize(st);
    return rc;
}

static int sq_attach_table(daoc__store *st, const daoc__schema *s, char **msg)
{
    daoc__sqlite *q = (daoc__sqlite *)st;
    clear_msg(msg);
    if (s && daoc__registry_has(&q->reg, s))
        return DAOC_OK;
    int rc = s ? daoc__sq_shape_check(q, s, false, msg) : DAOC_EINVAL; /* as it is must fit */
    return rc == DAOC_OK ? daoc__registry_attach(&q->reg, s) : rc;
}

static int tbl_shape(void *ctx, const daoc__schema *s, char **msg)
{
    return daoc__sq_shape_check(ctx, s, true, msg);
}

static int tbl_exec(void *ctx, const char *sql, char **msg) { return daoc__sq_exec(ctx, sql, msg); }

static int tbl_run1(void *ctx, const char *sql, const char *text, bool *row, char **msg)
{
    return run1(ctx, sql, text, row, msg);
}

/* SQLite's steps of the one table path (store/table.c). */
static const daoc__table_hooks sq_table_hooks = {
    .shape_check = tbl_shape,
    .exec = tbl_exec,
    .run1 = tbl_run1,
    .create_sql = daoc__sq_ddl,
    .after_ws_sql = daoc__sq_ws_index_ddl, /* the paging index needs ws_id */
    .events_sql = daoc__sq_events_ddl,
    .has_events_sql = daoc__sq_has_events_sql,
    .has_ws_sql = "SELECT 1 FROM pragma_table_info(?1) WHERE name = 'ws_id'",
    .ws_type = "TEXT",
    .param = "?1",
};

static int sq_ensure_table(daoc__store *st, const daoc__schema *s, char **msg)
{
    daoc__sqlite *q = (daoc__sqlite *)st;
    clear_msg(msg);
    return daoc__table_ensure(&sq_table_hooks, q, &q->reg, q->base.default_ws, s, msg);
}

/* ---- shared step helpers ---------------------------------------------------- */

/* Binds cache_key, ttl and ws_id of a write. `upd` = update semantics.  *expiry
 * (optional) receives the stored expiry, or -1 for none. */
static int bind_hidden(daoc__sqlite *q, sqlite3_stmt *stmt, const daoc__schema *s, size_t ncol,
                       const daoc_value *entity, const daoc__write_opts *o, bool upd, double now,
                       double *expiry)
{
    int rc = SQLITE_OK;
    if (expiry)
        *expiry = -1.0;
    if (s->ncache_key > 1 && o && o->cache_key)
        rc = sqlite3_bind_text(stmt, SQ_P_CK(ncol), o->cache_key, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && s->ttl && o && o->has_ttl && o->ttl > 0) {
        double base = upd ? daoc__store_ttl_base(s, entity, "updated_at", 10, now)
                          : daoc__store_ttl_base(s, entity, "created_at", 10, now);
        rc = sqlite3_bind_double(stmt, SQ_P_TTL(ncol), base + (double)o->ttl);
        if (expiry)
            *expiry = base + (double)o->ttl;
    }
    if (rc == SQLITE_OK && s->ttl && upd) /* only UPDATE filters on now */
        rc = sqlite3_bind_double(stmt, SQ_P_NOW(ncol), now);
    if (rc == SQLITE_OK && o)
        rc = bind_ws(stmt, s, ncol, o->ws_id);
    return rc;
}

/* Steps a write statement (with RETURNING) to completion.  *row receives
 * the returned row or NULL. */
static int step_write(daoc__sqlite *q, const daoc__schema *s, sqlite3_stmt *stmt, double now,
                      const daoc_value *entity, const daoc__key *key, const daoc__write_opts *o,
                      daoc_value **row, daoc__violation *viol, char **msg)
{
    int rc = sqlite3_step(stmt);
    int st = DAOC_OK;
    if (rc == SQLITE_ROW) {
        st = daoc__sq_row(s, stmt, now, row, msg);
        if (st == DAOC_OK)
            st = put_ws(s, stmt, o && o->show_ws_id, *row);
        rc = sqlite3_step(stmt);
        if (st != DAOC_OK) {
            daoc__sq_done(stmt);
            return st;
        }
    }
    if (rc == SQLITE_DONE) {
        daoc__sq_done(stmt);
        return DAOC_OK;
    }
    daoc_value_free(*row);
    *row = NULL;
    char text[512];
    snprintf(text, sizeof text, "%s", sqlite3_errmsg(q->db));
    daoc__sq_done(stmt);
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return daoc__sq_violation(q, s, rc, text, entity, key, o ? o->ws_id : NULL, viol, msg);
    if ((rc & 0xff) == SQLITE_NOMEM)
        return DAOC_ENOMEM;
    if (msg && !(*msg = daoc__strdup(text)))
        return DAOC_ENOMEM;
    return DAOC_ESTORE;
}

/* ---- reads ---------------------------------------------------------------------- */

static int sq_select(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                     const daoc__read_opts *o, daoc_value **row, char **msg)
{
    daoc__sqlite *q = (daoc__sqlite *)st;
    bool skip = o && o->skip_ttl;
    sqlite3_stmt *stmt;
    *row = NULL;
    clear_msg(msg);
    const char *ws = o && s->workspaceable ? o->ws_id : NULL;
    unsigned v = (skip ? SQ_V_SKIP_TTL : 0) | (ws ? SQ_V_WS : 0);
    int rc = daoc__sq_stmt(q, s, daoc__sq_code(SQ_OP_SELECT, key->field, v), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    size_t ncol = daoc__sq_ncol(s);
    double now = s->ttl ? daoc__now() : 0.0;
    daoc__sq_bind_begin(q);
    int src = daoc__sq_bind_key(q, stmt, s, key, SQ_P_KEY(ncol, 0));
    if (src == SQLITE_OK && s->ttl && !skip)
        src = sqlite3_bind_double(stmt, SQ_P_NOW(ncol), now);
    if (src == SQLITE_OK)
        src = bind_ws(stmt, s, ncol, ws);
    if (src == SQLITE_OK)
        src = daoc__sq_bind_finish(q, stmt);
    if (src != SQLITE_OK) {
        daoc__sq_done(stmt);
        return bind_error(q, src, msg);
    }
    src = sqlite3_step(stmt);
    if (src == SQLITE_ROW) {
        rc = daoc__sq_row(s, stmt, now, row, msg);
        if (rc == DAOC_OK)
            rc = put_ws(s, stmt, o && o->show_ws_id, *row);
    } else if (src != SQLITE_DONE)
        rc = daoc__sq_error(q, src, msg);
    daoc__sq_done(stmt);
    return rc;
}

static int sq_page(daoc__store *st, const daoc__schema *s, const daoc__page_req *req,
                   daoc_value **rows, bool *more, char **msg)
{
    daoc__sqlite *q = (daoc__sqlite *)st;
    sqlite3_stmt *stmt;
    *rows = NULL;
    *more = false;
    clear_msg(msg);
    if (req->query)
        return daoc__sq_query_page(q, s, req, rows, more, msg);
    unsigned v = 0;
    if (req->skip_ttl)
        v |= SQ_PG_SKIP_TTL;
    bool after = req->after && req->after->type == DAOC_TARR && req->after->len > 0;
    if (after)
        v |= SQ_PG_AFTER;
    bool tags = req->tags && req->tags->type == DAOC_TARR && req->tags->len > 0 && s->has_tags;
    if (tags)
        v |= req->tags_or ? SQ_PG_TAGS_OR : SQ_PG_TAGS_AND;
    const char *ws = s->workspaceable ? req->ws_id : NULL;
    if (ws)
        v |= SQ_PG_WS;
    long fk = req->fk_field >= 0 && (size_t)req->fk_field < s->nfields ? req->fk_field : -1;
    int rc = daoc__sq_stmt(q, s, daoc__sq_code(SQ_OP_PAGE, fk, v), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;

    size_t ncol = daoc__sq_ncol(s);
    double now = s->ttl ? daoc__now() : 0.0;
    int64_t size = req->size > 0 ? req->size : 1;
    daoc__sq_bind_begin(q);
    int src = sqlite3_bind_int64(stmt, SQ_P_LIMIT(ncol), size + 1);
    if (src == SQLITE_OK && fk >= 0)
        src = daoc__sq_bind_field(q, stmt, SQ_P_FK(ncol), &s->fields[fk], req->fk);
    if (src == SQLITE_OK && tags)
        src = daoc__sq_bind_field(q, stmt, SQ_P_TAGS(ncol), NULL, req->tags);
    for (size_t j = 0; after && src == SQLITE_OK && j < s->npk && j < req->after->len; j++)
        src = daoc__sq_bind_field(q, stmt, SQ_P_AFTER(ncol, j), &s->fields[s->pk[j]],
                                  req->after->u.a[j]);
    if (src == SQLITE_OK && s->ttl && !req->skip_ttl)
        src = sqlite3_bind_double(stmt, SQ_P_NOW(ncol), now);
    if (src == SQLITE_OK)
        src = bind_ws(stmt, s, ncol, ws);
    if (src == SQLITE_OK)
        src = daoc__sq_bind_finish(q, stmt);
    if (src != SQLITE_OK) {
        daoc__sq_done(stmt);
        return bind_error(q, src, msg);
    }

    daoc_value *arr = daoc_arr();
    if (!arr) {
        daoc__sq_done(stmt);
        return DAOC_ENOMEM;
    }
    int64_t n = 0;
    while ((src = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (n == size) {
            *more = true;
            break;
        }
        daoc_value *row = NULL;
        rc = daoc__sq_row(s, stmt, now, &row, msg);
        if (rc == DAOC_OK)
            rc = put_ws(s, stmt, req->show_ws_id, row);
        if (rc == DAOC_OK)
            rc = daoc_arr_push(arr, row);
        else
            daoc_value_free(row);
        if (rc != DAOC_OK)
            goto fail;
        n++;
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE) {
        rc = daoc__sq_error(q, src, msg);
        goto fail;
    }
    daoc__sq_done(stmt);
    *rows = arr;
    return DAOC_OK;
fail:
    daoc__sq_done(stmt);
    daoc_value_free(arr);
    *more = false;
    return rc;
}

/* ---- writes ------------------------------------------------------------- */

static int sq_insert(daoc__store *st, const daoc__schema *s, const daoc_value *entity,
                     const daoc__write_opts *o, daoc_value **row, daoc__violation *viol, char **msg)
{
    daoc__sqlite *q = (daoc__sqlite *)st;
    sqlite3_stmt *stmt;
    *row = NULL;
    clear_msg(msg);
    int rc = daoc__sq_stmt(q, s, daoc__sq_code(SQ_OP_INSERT, SQ_KEY_PK, 0), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    size_t ncol = daoc__sq_ncol(s);
    double now = s->ttl ? daoc__now() : 0.0;
    daoc__sq_bind_begin(q);
    double expiry;
    int src = daoc__sq_bind_entity(q, stmt, s, entity);
    if (src == SQLITE_OK)
        src = bind_hidden(q, stmt, s, ncol, entity, o, false, now, &expiry);
    if (src == SQLITE_OK)
        src = daoc__sq_bind_finish(q, stmt);
    if (src != SQLITE_OK) {
        daoc__sq_done(stmt);
        return bind_error(q, src, msg);
    }
    rc = step_write(q, s, stmt, now, entity, NULL, o, row, viol, msg);
    if (rc != DAOC_OK)
        return rc;
    /* what was stored is the entity as bound: rebuild it without a read */
    rc = daoc__sq_row_from_entity(s, entity, expiry, now, row);
    if (rc == DAOC_OK && o && o->show_ws_id && s->workspaceable)
        rc = daoc__store_put_ws(*row, o->ws_id, o->ws_id ? strlen(o->ws_id) : 0);
    return rc;
}

static int sq_update(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                     const daoc_value *entity, const daoc__write_opts *o, daoc_value **row,
                     daoc__violation *viol, char **msg)
{
    daoc__sqlite *q = (daoc__sqlite *)st;
    sqlite3_stmt *stmt;
    *row = NULL;
    clear_msg(msg);
    bool set_ttl = s->ttl && o && o->has_ttl;
    bool ws = s->workspaceable && o && o->ws_id;
    int rc = daoc__sq_stmt(
        q, s,
        daoc__sq_code(SQ_OP_UPDATE, key->field, (set_ttl ? SQ_V_SET_TTL : 0) | (ws ? SQ_V_WS : 0)),
        &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    size_t ncol = daoc__sq_ncol(s);
    double now = s->ttl ? daoc__now() : 0.0;
    daoc__sq_bind_begin(q);
    int src = daoc__sq_bind_entity(q, stmt, s, entity);
    if (src == SQLITE_OK)
        src = bind_hidden(q, stmt, s, ncol, entity, o, true, now, NULL);
    if (src == SQLITE_OK)
        src = daoc__sq_bind_key(q, stmt, s, key, SQ_P_KEY(ncol, 0));
    if (src == SQLITE_OK)
        src = daoc__sq_bind_finish(q, stmt);
    if (src != SQLITE_OK) {
        daoc__sq_done(stmt);
        return bind_error(q, src, msg);
    }
    return step_write(q, s, stmt, now, entity, key, o, row, viol, msg);
}

static int sq_upsert(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                     const daoc_value *entity, const daoc__write_opts *o, daoc_value **row,
                     daoc__violation *viol, char **msg)
{
    daoc__sqlite *q = (daoc__sqlite *)st;
    sqlite3_stmt *stmt;
    *row = NULL;
    clear_msg(msg);
    long field = key ? key->field : SQ_KEY_PK;
    int rc = daoc__sq_stmt(q, s, daoc__sq_code(SQ_OP_UPSERT, field, 0), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    size_t ncol = daoc__sq_ncol(s);
    double now = s->ttl ? daoc__now() : 0.0;
    daoc__sq_bind_begin(q);
    int src = daoc__sq_bind_entity(q, stmt, s, entity);
    if (src == SQLITE_OK)
        src = bind_hidden(q, stmt, s, ncol, entity, o, false, now, NULL);
    if (src == SQLITE_OK)
        src = daoc__sq_bind_finish(q, stmt);
    if (src != SQLITE_OK) {
        daoc__sq_done(stmt);
        return bind_error(q, src, msg);
    }
    return step_write(q, s, stmt, now, entity, key, o, row, viol, msg);
}

static int sq_delete(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                     const daoc__read_opts *o, daoc_value **row, daoc__violation *viol,
                     char **msg)
{
    daoc__sqlite *q = (daoc__sqlite *)st;
    bool skip = o && o->skip_ttl;
    sqlite3_stmt *stmt;
    daoc_value *none = NULL;
    if (!row) /* not wanted: no RETURNING */
        row = &none;
    *row = NULL;
    clear_msg(msg);
    const char *ws = o && s->workspaceable ? o->ws_id : NULL;
    unsigned v = (skip ? SQ_V_SKIP_TTL : 0) | (ws ? SQ_V_WS : 0) |
                 (row != &none ? SQ_V_RETURNING : 0);
    int rc = daoc__sq_stmt(q, s, daoc__sq_code(SQ_OP_DELETE, key->field, v), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    size_t ncol = daoc__sq_ncol(s);
    double now = s->ttl ? daoc__now() : 0.0;
    daoc__sq_bind_begin(q);
    int src = daoc__sq_bind_key(q, stmt, s, key, SQ_P_KEY(ncol, 0));
    if (src == SQLITE_OK && s->ttl && !skip)
        src = sqlite3_bind_double(stmt, SQ_P_NOW(ncol), now);
    if (src == SQLITE_OK)
        src = bind_ws(stmt, s, ncol, ws);
    if (src == SQLITE_OK)
        src = daoc__sq_bind_finish(q, stmt);
    if (src != SQLITE_OK) {
        daoc__sq_done(stmt);
        return bind_error(q, src, msg);
    }
    /* RETURNING decodes the row with select's code (the same select list,
     * ttl remaining from `now`); only show_ws_id is taken from o -- the
     * violation mapping of a delete gets no workspace, as before */
    daoc__write_opts wo = {.show_ws_id = o && o->show_ws_id};
    return step_write(q, s, stmt, now, NULL, key, &wo, row, viol, msg);
}

/* ---- maintenance ---------------------------------------------------------- */

static int sq_cleanup_ttl(daoc__store *st, const daoc__schema *s, int budget_ms, int64_t *deleted,
                          char **msg)
{
    daoc__sqlite *q = (daoc__sqlite *)st;
    sqlite3_stmt *stmt;
    int64_t total = 0;
    clear_msg(msg);
    if (deleted)
        *deleted = 0;
    if (!s->ttl)
        return DAOC_OK;
    int rc = daoc__sq_stmt(q, s, daoc__sq_code(SQ_OP_CLEANUP, SQ_KEY_PK, 0), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    size_t ncol = daoc__sq_ncol(s);
    double start = daoc__mono_ms();
    double now = daoc__now();
    for (;;) {
        int src = sqlite3_bind_double(stmt, SQ_P_NOW(ncol), now);
        if (src == SQLITE_OK)
            src = sqlite3_step(stmt);
        if (src != SQLITE_DONE) {
            rc = daoc__sq_error(q, src, msg);
            daoc__sq_done(stmt);
            break;
        }
        daoc__sq_done(stmt);
        int n = sqlite3_changes(q->db);
        total += n;
        if (n < SQ_CLEANUP_BATCH || daoc__mono_ms() - start >= (double)budget_ms)
            break;
    }
    if (deleted)
        *deleted = total;
    return rc;
}

/* Deletes the rows of s and, first, of every table referencing it (Kong's
 * TRUNCATE ... CASCADE), including the workspaceable tables' ws_id. */
static int truncate_rec(daoc__sqlite *q, const daoc__schema *s, int depth, char **msg)
{
    if (depth > 16)
        return DAOC_OK;
    for (size_t i = 0; i < q->reg.nrefs; i++) {
        if (q->reg.refs[i].parent != s || q->reg.refs[i].child == s)
            continue;
        int rc = truncate_rec(q, q->reg.refs[i].child, depth + 1, msg);
        if (rc != DAOC_OK)
            return rc;
    }
    /* every workspaceable table references the workspaces */
    for (size_t i = 0; strcmp(s->name, "workspaces") == 0 && i < q->reg.ntables; i++) {
        if (!q->reg.tables[i]->workspaceable)
            continue;
        int rc = truncate_rec(q, q->reg.tables[i], depth + 1, msg);
        if (rc != DAOC_OK)
            return rc;
    }
    sqlite3_stmt *stmt;
    int rc = daoc__sq_stmt(q, s, daoc__sq_code(SQ_OP_TRUNCATE, SQ_KEY_PK, 0), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    int src = sqlite3_step(stmt);
    if (src != SQLITE_DONE)
        rc = daoc__sq_error(q, src, msg);
    daoc__sq_done(stmt);
    return rc;
}

static int sq_truncate(daoc__store *st, const daoc__schema *s, char **msg)
{
    daoc__sqlite *q = (daoc__sqlite *)st;
    clear_msg(msg);
    int rc = daoc__sq_begin(st, msg);
    if (rc != DAOC_OK)
        return rc;
    rc = truncate_rec(q, s, 0, msg);
    if (rc != DAOC_OK) {
        (void)daoc__sq_rollback(st);
        return rc;
    }
    return daoc__sq_commit(st, msg);
}

static const daoc__tags_dialect sq_tags = {
    .from_tables = true, /* no tags table to keep up (store/tags.c) */
    .param = '?',
    .unnest = ", json_each(\"x\".\"tags\") AS \"t\"",
    .tag_col = "\"t\".\"value\"",
    .ord_col = "(\"t\".\"key\" + 1)",
    .has_tag = {"EXISTS (SELECT 1 FROM json_each(\"tags\".\"tags\") AS \"e\" WHERE \"e\".\"value\" = ",
                ")"},
    .id_cast = "",
};

static int sq_page_tags(daoc__store *st, const daoc_value *tag, const daoc_value *after,
                        int64_t size, daoc_value **rows, daoc_value **next, char **msg)
{
    clear_msg(msg);
    daoc__sqlite *q = (daoc__sqlite *)st;
    return daoc__tags_page(st, &sq_tags, q->reg.tables, q->reg.ntables, tag, after, size, rows,
                           next, msg);
}

const daoc__store_ops daoc__sqlite_ops = {
    .name = "sqlite",
    .close = daoc__sq_close,
    .ensure_table = sq_ensure_table,
    .attach_table = sq_attach_table,
    .begin = daoc__sq_begin,
    .commit = daoc__sq_commit,
    .rollback = daoc__sq_rollback,
    .select = sq_select,
    .page = sq_page,
    .count = daoc__sq_count,
    .insert = sq_insert,
    .update = sq_update,
    .upsert = sq_upsert,
    .delete = sq_delete,
    .cleanup_ttl = sq_cleanup_ttl,
    .truncate = sq_truncate,
    .page_tags = sq_page_tags,
};
