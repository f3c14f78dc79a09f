/*
 * query.c -- the SQLite store's queried pages and counts (beyond Kong:
 * daoc_dao_page's `filter` and `sort`, daoc_dao_count).  Their shapes vary
 * with the conditions asked for, so each call builds its statement
 * (store/sql_query.c through sql.c's dialect; a sort column that may hold
 * nulls in two parts, the second run only when the first leaves the page
 * short), prepares it, binds by the
 * parameter layout of sqlite_int.h and finalizes it: preparing one costs a
 * few microseconds, far less than the statement-per-shape cache it would
 * take.  A count is always exact: SQLite keeps no cheap estimate of a
 * filtered count worth calling one.  No SQL text here.
 */
#include "core/alloc.h"
#include "core/rand.h"
#include "core/value.h"
#include "store/query_page.h"
#include "store/sql_shape.h"
#include "store/sqlite/sqlite_int.h"

/* The shape of req (count: the count statement). */
static void shape(const daoc__schema *s, const daoc__page_req *req, bool count, daoc__sh_stmt *st)
{
    const daoc__page_query *qy = req->query;
    *st = (daoc__sh_stmt){.op = count ? DAOC__SH_COUNT : DAOC__SH_QUERY};
    st->field = req->fk_field >= 0 && (size_t)req->fk_field < s->nfields ? req->fk_field : -1;
    st->skip_ttl = req->skip_ttl;
    bool tags = req->tags && req->tags->type == DAOC_TARR && req->tags->len > 0 && s->has_tags;
    st->tags_all = tags && !req->tags_or;
    st->tags_any = tags && req->tags_or;
    st->ws = s->workspaceable && req->ws_id;
    st->query = qy;
}

/* Whether req follows another page, and whether that one's last sort value
 * was null. */
static int prepare(daoc__sqlite *q, const daoc__schema *s, const daoc__sh_stmt *st,
                   sqlite3_stmt **out, char **msg)
{
    *out = NULL;
    daoc__buf b = DAOC__BUF_INIT;
    daoc__sq_sql_stmt(&b, s, st);
    if (b.failed) {
        daoc__buf_free(&b);
        return DAOC_ENOMEM;
    }
    int src = sqlite3_prepare_v2(q->db, b.data, (int)b.len, out, NULL);
    daoc__buf_free(&b);
    if (src != SQLITE_OK) {
        sqlite3_finalize(*out);
        *out = NULL;
        return daoc__sq_error(q, src, msg);
    }
    return DAOC_OK;
}

/* Binds every parameter st uses but the limit. */
static int bind(daoc__sqlite *q, sqlite3_stmt *stmt, const daoc__schema *s,
                const daoc__page_req *req, const daoc__sh_stmt *st, double now)
{
    size_t ncol = daoc__sq_ncol(s);
    const daoc__page_query *qy = req->query;
    int src = SQLITE_OK;
    if (st->field >= 0)
        src = daoc__sq_bind_field(q, stmt, SQ_P_FK(ncol), &s->fields[st->field], req->fk);
    if (src == SQLITE_OK && (st->tags_all || st->tags_any))
        src = daoc__sq_bind_field(q, stmt, SQ_P_TAGS(ncol), NULL, req->tags);
    for (size_t i = 0; qy && src == SQLITE_OK && i < qy->nconds; i++)
        src = daoc__sq_bind_field(q, stmt, SQ_P_QVAL(ncol, s->npk, i),
                                  &s->fields[qy->conds[i].field], qy->conds[i].value);
    for (size_t j = 0; st->after && src == SQLITE_OK && j < s->npk && j < req->after->len; j++)
        src = daoc__sq_bind_field(q, stmt, SQ_P_AFTER(ncol, j), &s->fields[s->pk[j]],
                                  req->after->u.a[j]);
    if (src == SQLITE_OK && st->after && qy->sort >= 0 && st->part != DAOC__SH_PART_NULLS)
        src = daoc__sq_bind_field(q, stmt, SQ_P_QAFTER(ncol, s->npk), &s->fields[qy->sort],
                                  qy->after_sort);
    if (src == SQLITE_OK && s->ttl && !st->skip_ttl)
        src = sqlite3_bind_double(stmt, SQ_P_NOW(ncol), now);
    if (src == SQLITE_OK && st->ws)
        src = sqlite3_bind_text(stmt, SQ_P_WS(ncol), req->ws_id, -1, SQLITE_STATIC);
    return src;
}

static int bind_error(int src, char **msg)
{
    if (src == SQLITE_NOMEM)
        return DAOC_ENOMEM;
    if (msg && !(*msg = daoc__strdup(sqlite3_errstr(src))))
        return DAOC_ENOMEM;
    return DAOC_ESTORE;
}

/* What run_part needs of the page (its daoc__query_part_fn ctx). */
struct part_ctx {
    daoc__sqlite *q;
    const daoc__schema *s;
    const daoc__page_req *req;
};

/* Appends to arr the rows of one part of a queried page, at most `limit`. */
static int run_part(void *ctx, const daoc__sh_stmt *st, int64_t limit, daoc_value *arr,
                    char **msg)
{
    const struct part_ctx *pc = ctx;
    daoc__sqlite *q = pc->q;
    const daoc__schema *s = pc->s;
    const daoc__page_req *req = pc->req;
    sqlite3_stmt *stmt = NULL;
    int rc = prepare(q, s, st, &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    double now = s->ttl ? daoc__now() : 0.0;
    daoc__sq_bind_begin(q);
    int src = bind(q, stmt, s, req, st, now);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(stmt, SQ_P_LIMIT(daoc__sq_ncol(s)), limit);
    if (src == SQLITE_OK)
        src = daoc__sq_bind_finish(q, stmt);
    if (src != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return bind_error(src, msg);
    }
    while (rc == DAOC_OK && (src = sqlite3_step(stmt)) == SQLITE_ROW) {
        daoc_value *row = NULL;
        rc = daoc__sq_row(s, stmt, now, &row, msg);
        if (rc == DAOC_OK)
            rc = daoc__sq_put_ws(s, stmt, req->show_ws_id, row);
        if (rc == DAOC_OK)
            rc = daoc_arr_push(arr, row);
        else
            daoc_value_free(row);
    }
    if (rc == DAOC_OK && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = daoc__sq_error(q, src, msg);
    sqlite3_finalize(stmt);
    return rc;
}

int daoc__sq_query_page(daoc__sqlite *q, const daoc__schema *s, const daoc__page_req *req,
                        daoc_value **rows, bool *more, char **msg)
{
    daoc__sh_stmt st;
    shape(s, req, false, &st);
    struct part_ctx pc = {q, s, req};
    return daoc__query_page(s, req, &st, run_part, &pc, rows, more, msg);
}

int daoc__sq_count(daoc__store *store, const daoc__schema *s, const daoc__page_req *req,
                   bool estimate, int64_t *n, bool *estimated, char **msg)
{
    (void)estimate;
    daoc__sqlite *q = (daoc__sqlite *)store;
    *n = 0;
    *estimated = false;
    if (msg)
        *msg = NULL;
    daoc__sh_stmt st;
    shape(s, req, true, &st);
    sqlite3_stmt *stmt = NULL;
    int rc = prepare(q, s, &st, &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    daoc__sq_bind_begin(q);
    int src = bind(q, stmt, s, req, &st, s->ttl ? daoc__now() : 0.0);
    if (src == SQLITE_OK)
        src = daoc__sq_bind_finish(q, stmt);
    if (src != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return bind_error(src, msg);
    }
    src = sqlite3_step(stmt);
    if (src == SQLITE_ROW)
        *n = sqlite3_column_int64(stmt, 0);
    else
        rc = daoc__sq_error(q, src, msg);
    sqlite3_finalize(stmt);
    return rc;
}
