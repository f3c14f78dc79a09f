/*
 * query.c -- the PostgreSQL store's queried pages and counts (beyond
 * Kong: daoc_dao_page's `filter` and `sort`, daoc_dao_count).  Their shapes
 * vary with the conditions asked for, so each call builds its text and
 * parameter plan (store/sql_query.c through sql.c's dialect; a sort column
 * that may hold nulls in two parts, the second run only when the first
 * leaves the page short) and runs it as an unnamed statement: the server parses it each time, which
 * a query page can afford, and the handle's statement cache stays one entry per fixed shape.
 * Results come in text format (rowio.c reads both).
 *
 * An estimated count is the planner's row estimate of the query (EXPLAIN,
 * its first line's "rows=N"): pg_class.reltuples scaled by the
 * selectivity of the conditions, as cheap as planning.  No SQL text here.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"
#include "store/postgres/pg_int.h"
#include "store/query_page.h"

static void shape(const daoc__schema *s, const daoc__page_req *req, bool count, bool estimate,
                  daoc__sh_stmt *st)
{
    const daoc__page_query *qy = req->query;
    *st = (daoc__sh_stmt){.op = count ? DAOC__SH_COUNT : DAOC__SH_QUERY};
    st->field = req->fk_field >= 0 && (size_t)req->fk_field < s->nfields ? req->fk_field : -1;
    st->skip_ttl = req->skip_ttl;
    bool tags = req->tags && req->tags->type == DAOC_TARR && req->tags->len > 0 && s->has_tags;
    st->tags_all = tags && !req->tags_or;
    st->tags_any = tags && req->tags_or;
    st->ws = s->workspaceable && req->ws_id;
    st->show_ws = !count && req->show_ws_id && s->workspaceable;
    st->query = qy;
    st->estimate = count && estimate;
}

/* Whether req follows another page, and whether that one's last sort value
 * was null. */
/* Builds, binds and runs shape st; *res NULL (and DAOC_OK) when a bound
 * value can match no row (a NUL byte: rowio.c). */
static int run(daoc__pg *q, const daoc__schema *s, const daoc__page_req *req,
               const daoc__sh_stmt *st, int64_t limit, PGresult **res, char **msg)
{
    *res = NULL;
    pg_sqlb sb = {DAOC__BUF_INIT, NULL, 0, 0, false, &q->reg};
    daoc__pg_sql_stmt(&sb, s, st);
    int rc = sb.failed || sb.b.failed ? DAOC_ENOMEM : DAOC_OK;
    pg_stmt stmt = {.s = s, .params = sb.params, .nparams = sb.nparams};
    pg_bind b = {.page = req, .limit = limit, .ws_id = st->ws ? req->ws_id : NULL};
    if (rc == DAOC_OK)
        rc = daoc__pg_bind(q, s, &stmt, &b, msg);
    if (rc == DAOC_OK)
        rc = daoc__pg_exec_params(q, sb.b.data, sb.nparams, q->vals, res, msg);
    else if (rc == DAOC_ENOTFOUND)
        rc = DAOC_OK;
    daoc__buf_free(&sb.b);
    daoc__free(sb.params);
    return rc;
}

/* What run_part needs of the page (its daoc__query_part_fn ctx). */
struct part_ctx {
    daoc__pg *q;
    const daoc__schema *s;
    const daoc__page_req *req;
};

/* Appends to arr the rows of one part of a queried page, at most `limit`. */
static int run_part(void *ctx, const daoc__sh_stmt *st, int64_t limit, daoc_value *arr,
                    char **msg)
{
    const struct part_ctx *pc = ctx;
    daoc__pg *q = pc->q;
    const daoc__schema *s = pc->s;
    const daoc__page_req *req = pc->req;
    PGresult *res = NULL;
    int rc = run(q, s, req, st, limit, &res, msg);
    int n = rc == DAOC_OK && res ? PQntuples(res) : 0;
    for (int r = 0; rc == DAOC_OK && r < n; r++) {
        daoc_value *row = NULL;
        rc = daoc__pg_row(s, res, r, &row, msg);
        if (rc == DAOC_OK && st->show_ws) {
            int c = PQnfields(res) - 1;
            rc = PQgetisnull(res, r, c) ? daoc__store_put_ws(row, NULL, 0)
                                        : daoc__store_put_ws(row, PQgetvalue(res, r, c),
                                                             (size_t)PQgetlength(res, r, c));
        }
        if (rc == DAOC_OK)
            rc = daoc_arr_push(arr, row);
        else
            daoc_value_free(row);
    }
    PQclear(res);
    return rc;
}

int daoc__pg_query_page(daoc__pg *q, const daoc__schema *s, const daoc__page_req *req,
                        daoc_value **rows, bool *more, char **msg)
{
    daoc__sh_stmt st;
    shape(s, req, false, false, &st);
    struct part_ctx pc = {q, s, req};
    return daoc__query_page(s, req, &st, run_part, &pc, rows, more, msg);
}

/* The "rows=N" of EXPLAIN's first line, or -1. */
static int64_t plan_rows(const PGresult *res)
{
    if (!res || PQntuples(res) < 1 || PQnfields(res) < 1)
        return -1;
    const char *line = PQgetvalue(res, 0, 0);
    const char *p = line ? strstr(line, " rows=") : NULL;
    if (!p)
        return -1;
    char *end = NULL;
    long long v = strtoll(p + 6, &end, 10);
    return end != p + 6 && v >= 0 ? (int64_t)v : -1;
}

static int count_on(daoc__pg *q, const daoc__schema *s, const daoc__page_req *req, bool estimate,
                    int64_t *n, bool *estimated, char **msg)
{
    daoc__sh_stmt st;
    shape(s, req, true, estimate, &st);
    PGresult *res = NULL;
    int rc = run(q, s, req, &st, 0, &res, msg);
    if (rc != DAOC_OK || !res)
        return rc;
    if (estimate) {
        *n = plan_rows(res);
        *estimated = *n >= 0;
    } else if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
        *n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    } else {
        *n = -1;
    }
    PQclear(res);
    if (*n < 0) {
        if (estimate) /* no estimate to be read: count */
            return count_on(q, s, req, false, n, estimated, msg);
        if (msg && !(*msg = daoc__strdup("count: unexpected result")))
            return DAOC_ENOMEM;
        return DAOC_ESTORE;
    }
    return DAOC_OK;
}

int daoc__pg_count(daoc__store *st, const daoc__schema *s, const daoc__page_req *req, bool estimate,
                   int64_t *n, bool *estimated, char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    *n = 0;
    *estimated = false;
    if (msg)
        *msg = NULL;
    int rc;
    ON_CONN(q, true, msg, count_on(q, s, req, estimate, n, estimated, msg));
    return rc;
}
