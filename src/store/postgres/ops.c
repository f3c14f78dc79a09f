/*
 * ops.c -- the members of the PostgreSQL store vtable: ensure_table,
 * select, page, insert, update, upsert, delete, cleanup_ttl and truncate.
 *
 * Each member borrows a connection for its duration (conn.c: the pinned
 * one inside a transaction; reads outside one go to the replica when
 * there is one), fetches its cached prepared statement, binds by the
 * statement's parameter plan, runs it and turns the result into rows.
 * Updates and upserts return the stored row with RETURNING, deletes the
 * deleted one; an insert whose values all read back as themselves
 * (rowio.c) rebuilds it from the entity instead, with the ttl column
 * computed here.  TTL expiry is computed here
 * (created_at/updated_at + ttl, or now + ttl) and stored as TIMESTAMP WITH
 * TIME ZONE; reads filter with the server's CURRENT_TIMESTAMP.
 *
 * Inside a transaction every write runs under a savepoint (a nested level
 * of store/tx.c), so a refused
 * write (a constraint error) leaves the transaction usable, as the SQLite
 * store does; outside one a statement is its own transaction.  Constraint
 * errors go to viol.c.
 *
 * Retries.  A read outside a transaction whose connection turned out to be
 * lost before its statement was sent (conn.c sets q->unsent) runs once more
 * on a fresh connection.  Writes are never retried: a write whose
 * connection broke after it was sent has an unknown outcome and fails.
 * (A pooled connection that died while idle is replaced before anything is
 * sent -- pool.c -- which is not a retry.)  No SQL text here: the
 * savepoints are store/tx.c's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/rand.h"
#include "core/value.h"
#include "store/ddl.h"
#include "store/tags.h"
#include "store/postgres/pg_int.h"
#include "store/events_ddl.h"
#include "store/table.h"

static void clear_msg(char **msg)
{
    if (msg)
        *msg = NULL;
}

/* Adds "ws_id" -- the last column of the select list -- to a row built from
 * row r of res, when the caller asked for it. */
static int put_ws(const daoc__schema *s, const PGresult *res, int r, bool show, daoc_value *row)
{
    if (!show || !s->workspaceable || !row)
        return DAOC_OK;
    int c = PQnfields(res) - 1;
    if (PQgetisnull(res, r, c))
        return daoc__store_put_ws(row, NULL, 0);
    if (PQfformat(res, c) == 1) { /* binary.c */
        if (PQgetlength(res, r, c) != 16)
            return DAOC_ESTORE;
        char id[37];
        daoc__pg_bin_uuid(PQgetvalue(res, r, c), id);
        return daoc__store_put_ws(row, id, 36);
    }
    return daoc__store_put_ws(row, PQgetvalue(res, r, c), (size_t)PQgetlength(res, r, c));
}

/* ---- ensure_table ------------------------------------------------------- */

/* Runs sql with $1 = text on the operation's connection; *rows (optional)
 * receives the number of rows returned. */
static int run1(daoc__pg *q, const char *sql, const char *text, int *rows, char **msg)
{
    const char *p[1] = {text};
    PGresult *r = NULL;
    int rc = daoc__pg_exec_params(q, sql, 1, p, &r, msg);
    if (rc == DAOC_OK && rows)
        *rows = PQntuples(r);
    PQclear(r);
    return rc;
}

/* The key of the transaction-level advisory lock every daoc takes before
 * creating or upgrading tables ("daoc_ddl" in ASCII). */
#define PG_DDL_LOCK "7233184949126587500"

typedef struct {
    daoc__pg *q;
    bool own_tx; /* no caller transaction: the table path makes its own */
} pg_table_ctx;

static int tbl_begin(void *ctx, char **msg)
{
    pg_table_ctx *c = ctx;
    return daoc__pg_exec(c->q,
                         c->own_tx ? "BEGIN; SELECT pg_advisory_xact_lock(" PG_DDL_LOCK ")"
                                   : "SELECT pg_advisory_xact_lock(" PG_DDL_LOCK ")",
                         msg);
}

static int tbl_end(void *ctx, bool ok, char **msg)
{
    pg_table_ctx *c = ctx;
    if (!c->own_tx)
        return DAOC_OK; /* the caller's transaction holds the lock until it ends */
    if (ok)
        return daoc__pg_exec(c->q, "COMMIT", msg);
    if (!c->q->cur->broken && PQtransactionStatus(c->q->cur->pg) != PQTRANS_IDLE &&
        daoc__pg_exec(c->q, "ROLLBACK", msg) != DAOC_OK)
        c->q->cur->broken = true; /* the pool drops it */
    return DAOC_OK;
}

static int tbl_shape(void *ctx, const daoc__schema *s, char **msg)
{
    return daoc__pg_shape_check(((pg_table_ctx *)ctx)->q, s, true, msg);
}

static int tbl_exec(void *ctx, const char *sql, char **msg)
{
    return daoc__pg_exec(((pg_table_ctx *)ctx)->q, sql, msg);
}

static int tbl_run1(void *ctx, const char *sql, const char *text, bool *row, char **msg)
{
    int n = 0;
    int rc = run1(((pg_table_ctx *)ctx)->q, sql, text, &n, msg);
    if (row)
        *row = n > 0;
    return rc;
}

/* PostgreSQL's steps of the one table path (store/table.c): all in one
 * transaction under the DDL lock, so that processes opening one fresh
 * database at once take turns, and each finds the tables the first one
 * made, instead of colliding in the catalog (concurrent CREATE TABLE IF NOT
 * EXISTS of one name fails with "duplicate key value violates unique
 * constraint pg_type_typname_nsp_index").  Inside a caller's transaction
 * the lock is held until that ends. */
static const daoc__table_hooks pg_table_hooks = {
    .begin = tbl_begin,
    .end = tbl_end,
    .shape_check = tbl_shape,
    .exec = tbl_exec,
    .run1 = tbl_run1,
    .create_sql = daoc__pg_ddl,
    .tags_sql = daoc__pg_tags_ddl,
    .has_tags_sql = "SELECT 1 FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
                    "JOIN pg_proc p ON p.oid = g.tgfoid WHERE c.relname = $1 AND "
                    "c.relnamespace = current_schema()::regnamespace AND p.proname = 'sync_tags'",
    .has_ws_sql = "SELECT 1 FROM information_schema.columns WHERE table_schema = "
                  "current_schema() AND table_name = $1 AND column_name = 'ws_id'",
    .events_sql = daoc__pg_events_ddl,
    .has_events_sql = daoc__pg_has_events_sql,
    .ws_type = "UUID",
    .param = "$1",
};

static int ensure_table_on(daoc__store *st, const daoc__schema *s, char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    clear_msg(msg);
    pg_table_ctx c = {q, q->tx.depth == 0};
    return daoc__table_ensure(&pg_table_hooks, &c, &q->reg, q->base.default_ws, s, msg);
}

/* ---- shared helpers ------------------------------------------------------------ */

/* The hidden columns of a write: cache_key, ws_id, and the expiry (kong-schema-dao
 * 6.3: ttl 0 = never expires). */
static void hidden(pg_bind *b, const daoc__schema *s, const daoc_value *entity,
                   const daoc__write_opts *o, bool upd, double now)
{
    b->cache_key = s->ncache_key > 1 && o ? o->cache_key : NULL;
    b->ws_id = s->workspaceable && o ? o->ws_id : NULL;
    b->has_expiry = false;
    if (s->ttl && o && o->has_ttl && o->ttl > 0) {
        double base = upd ? daoc__store_ttl_base(s, entity, "updated_at", 10, now)
                          : daoc__store_ttl_base(s, entity, "created_at", 10, now);
        b->has_expiry = true;
        b->expiry = base + (double)o->ttl;
    }
}

/* Inside a transaction a write runs under a savepoint of its own, so a
 * refused statement does not abort the transaction around it. */
static int savepoint(daoc__pg *q, char **msg)
{
    return q->tx.depth > 0 ? daoc__tx_begin(&q->tx, &daoc__pg_tx_ops, q, msg) : DAOC_OK;
}

static void savepoint_end(daoc__pg *q, bool in_tx, bool ok)
{
    if (!in_tx)
        return;
    if (ok)
        (void)daoc__tx_commit(&q->tx, &daoc__pg_tx_ops, q, NULL);
    else
        (void)daoc__tx_rollback(&q->tx, &daoc__pg_tx_ops, q);
}

/* Runs a write statement; *row receives the RETURNING row (or NULL when no
 * row matched, and on any failure).  `entity` NULL = delete (for violation
 * mapping). */
static int run_write(daoc__pg *q, const daoc__schema *s, pg_stmt *stmt,
                     const daoc_value *entity, bool show_ws, daoc_value **row, int64_t *changed,
                     daoc__violation *viol, char **msg)
{
    PGresult *res = NULL;
    bool in_tx = q->tx.depth > 0;
    int rc = savepoint(q, msg);
    if (rc != DAOC_OK)
        return rc;
    rc = daoc__pg_run(q, stmt, &res, msg);
    if (rc == DAOC_OK) {
        if (changed) {
            const char *n = PQcmdTuples(res);
            *changed = n && *n ? strtoll(n, NULL, 10) : 0;
        }
        if (row && PQntuples(res) > 0) {
            rc = daoc__pg_row(s, res, 0, row, msg);
            if (rc == DAOC_OK)
                rc = put_ws(s, res, 0, show_ws, *row);
            if (rc != DAOC_OK) {
                daoc_value_free(*row);
                *row = NULL;
            }
        }
    } else if (res) {
        rc = daoc__pg_violation(q, s, res, entity, viol, msg);
    }
    PQclear(res);
    savepoint_end(q, in_tx, rc == DAOC_OK);
    return rc;
}

/* ---- reads ---------------------------------------------------------------------- */

static int select_on(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                     const daoc__read_opts *o, daoc_value **row, char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    bool skip = o && o->skip_ttl;
    pg_stmt *stmt;
    *row = NULL;
    clear_msg(msg);
    const char *ws = o && s->workspaceable ? o->ws_id : NULL;
    bool show = o && o->show_ws_id && s->workspaceable;
    unsigned v = (skip ? PG_V_SKIP_TTL : 0) | (ws ? PG_V_WS : 0) | (show ? PG_V_SHOW_WS : 0);
    int rc = daoc__pg_stmt(q, s, daoc__pg_code(PG_OP_SELECT, key->field, v), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    pg_bind b = {.key = key, .ws_id = ws};
    if ((rc = daoc__pg_bind(q, s, stmt, &b, msg)) != DAOC_OK)
        return rc == DAOC_ENOTFOUND ? DAOC_OK : rc;
    PGresult *res = NULL;
    rc = daoc__pg_run(q, stmt, &res, msg);
    if (rc == DAOC_OK && PQntuples(res) > 0) {
        rc = daoc__pg_row(s, res, 0, row, msg);
        if (rc == DAOC_OK)
            rc = put_ws(s, res, 0, o && o->show_ws_id, *row);
    } else if (rc != DAOC_OK && res)
        rc = daoc__pg_error(q, res, msg);
    PQclear(res);
    return rc;
}

static int page_on(daoc__store *st, const daoc__schema *s, const daoc__page_req *req,
                   daoc_value **rows, bool *more, char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    pg_stmt *stmt;
    *rows = NULL;
    *more = false;
    clear_msg(msg);
    if (req->query)
        return daoc__pg_query_page(q, s, req, rows, more, msg);
    unsigned v = 0;
    if (req->skip_ttl)
        v |= PG_PG_SKIP_TTL;
    if (req->after && req->after->type == DAOC_TARR && req->after->len > 0)
        v |= PG_PG_AFTER;
    if (req->tags && req->tags->type == DAOC_TARR && req->tags->len > 0 && s->has_tags)
        v |= req->tags_or ? PG_PG_TAGS_OR : PG_PG_TAGS_AND;
    const char *ws = s->workspaceable ? req->ws_id : NULL;
    if (ws)
        v |= PG_PG_WS;
    if (req->show_ws_id && s->workspaceable)
        v |= PG_PG_SHOW_WS;
    long fk = req->fk_field >= 0 && (size_t)req->fk_field < s->nfields ? req->fk_field : -1;
    int rc = daoc__pg_stmt(q, s, daoc__pg_code(PG_OP_PAGE, fk, v), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    int64_t size = req->size > 0 ? req->size : 1;
    pg_bind b = {.page = req, .limit = size + 1, .ws_id = ws};
    if ((rc = daoc__pg_bind(q, s, stmt, &b, msg)) != DAOC_OK) {
        if (rc != DAOC_ENOTFOUND)
            return rc;
        *rows = daoc_arr();
        return *rows ? DAOC_OK : DAOC_ENOMEM;
    }
    PGresult *res = NULL;
    rc = daoc__pg_run(q, stmt, &res, msg);
    if (rc != DAOC_OK) {
        if (res)
            rc = daoc__pg_error(q, res, msg);
        PQclear(res);
        return rc;
    }
    daoc_value *arr = daoc_arr();
    int n = PQntuples(res);
    for (int r = 0; arr && r < n && rc == DAOC_OK; r++) {
        if (r == size) {
            *more = true;
            break;
        }
        daoc_value *row = NULL;
        rc = daoc__pg_row(s, res, r, &row, msg);
        if (rc == DAOC_OK)
            rc = put_ws(s, res, r, req->show_ws_id, row);
        if (rc == DAOC_OK)
            rc = daoc_arr_push(arr, row);
        else
            daoc_value_free(row);
    }
    PQclear(res);
    if (!arr || rc != DAOC_OK) {
        daoc_value_free(arr);
        *more = false;
        return arr ? rc : DAOC_ENOMEM;
    }
    *rows = arr;
    return DAOC_OK;
}

/* ---- writes ------------------------------------------------------------- */

static int insert_on(daoc__store *st, const daoc__schema *s, const daoc_value *entity,
                     const daoc__write_opts *o, daoc_value **row, daoc__violation *viol, char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    pg_stmt *stmt;
    *row = NULL;
    clear_msg(msg);
    /* when every value reads back as itself, the row is rebuilt here
     * rather than sent back by the server (RETURNING) and parsed */
    const daoc_value *const *fv = daoc__pg_field_values(q, s, entity);
    if (!fv)
        return DAOC_ENOMEM;
    bool exact = daoc__pg_row_exact(s, fv);
    bool show = o && o->show_ws_id && s->workspaceable;
    unsigned v = exact ? PG_V_NO_RETURNING : show ? PG_V_SHOW_WS : 0;
    int rc = daoc__pg_stmt(q, s, daoc__pg_code(PG_OP_INSERT, PG_KEY_PK, v), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    double now = daoc__now();
    pg_bind b = {.entity = entity, .fv = fv};
    hidden(&b, s, entity, o, false, now);
    if ((rc = daoc__pg_bind(q, s, stmt, &b, msg)) != DAOC_OK)
        return rc;
    rc = run_write(q, s, stmt, entity, show, exact ? NULL : row, NULL, viol, msg);
    if (rc != DAOC_OK || !exact)
        return rc;
    rc = daoc__pg_row_from_entity(s, fv, b.has_expiry,
                                  b.has_expiry ? (int64_t)floor(b.expiry - now) : 0, row);
    if (rc == DAOC_OK && show)
        rc = daoc__store_put_ws(*row, b.ws_id, b.ws_id ? strlen(b.ws_id) : 0);
    return rc;
}

static int update_on(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                     const daoc_value *entity, const daoc__write_opts *o, daoc_value **row,
                     daoc__violation *viol, char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    pg_stmt *stmt;
    *row = NULL;
    clear_msg(msg);
    bool set_ttl = s->ttl && o && o->has_ttl;
    pg_bind b = {.entity = entity, .key = key};
    hidden(&b, s, entity, o, true, daoc__now());
    bool show = o && o->show_ws_id && s->workspaceable;
    unsigned v = (set_ttl ? PG_V_SET_TTL : 0) | (b.ws_id ? PG_V_WS : 0) |
                 (show ? PG_V_SHOW_WS : 0);
    int rc = daoc__pg_stmt(q, s, daoc__pg_code(PG_OP_UPDATE, key->field, v), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    if ((rc = daoc__pg_bind(q, s, stmt, &b, msg)) != DAOC_OK)
        return rc == DAOC_ENOTFOUND ? DAOC_OK : rc; /* no row matched */
    return run_write(q, s, stmt, entity, show, row, NULL, viol, msg);
}

static int upsert_on(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                     const daoc_value *entity, const daoc__write_opts *o, daoc_value **row,
                     daoc__violation *viol, char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    pg_stmt *stmt;
    *row = NULL;
    clear_msg(msg);
    long field = key ? key->field : PG_KEY_PK;
    bool show = o && o->show_ws_id && s->workspaceable;
    int rc = daoc__pg_stmt(q, s, daoc__pg_code(PG_OP_UPSERT, field, show ? PG_V_SHOW_WS : 0),
                           &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    pg_bind b = {.entity = entity};
    hidden(&b, s, entity, o, false, daoc__now());
    if ((rc = daoc__pg_bind(q, s, stmt, &b, msg)) != DAOC_OK)
        return rc;
    return run_write(q, s, stmt, entity, show, row, NULL, viol, msg);
}

static int delete_on(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                     const daoc__read_opts *o, daoc_value **row, daoc__violation *viol,
                     char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    bool skip = o && o->skip_ttl;
    pg_stmt *stmt;
    if (row)
        *row = NULL;
    clear_msg(msg);
    const char *ws = o && s->workspaceable ? o->ws_id : NULL;
    bool show = row && o && o->show_ws_id && s->workspaceable;
    unsigned v = (skip ? PG_V_SKIP_TTL : 0) | (ws ? PG_V_WS : 0) | (show ? PG_V_SHOW_WS : 0) |
                 (row ? PG_V_RETURNING : 0); /* row NULL: not wanted */
    int rc = daoc__pg_stmt(q, s, daoc__pg_code(PG_OP_DELETE, key->field, v), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    pg_bind b = {.key = key, .ws_id = ws};
    if ((rc = daoc__pg_bind(q, s, stmt, &b, msg)) != DAOC_OK)
        return rc == DAOC_ENOTFOUND ? DAOC_OK : rc; /* nothing to delete */
    /* the RETURNING row is decoded by select's code (rowio.c) */
    return run_write(q, s, stmt, NULL, show, row, NULL, viol, msg);
}

/* ---- maintenance ---------------------------------------------------------- */

static int cleanup_ttl_on(daoc__store *st, const daoc__schema *s, int budget_ms, int64_t *deleted,
                          char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    pg_stmt *stmt;
    int64_t total = 0;
    clear_msg(msg);
    if (deleted)
        *deleted = 0;
    if (!s->ttl)
        return DAOC_OK;
    int rc = daoc__pg_stmt(q, s, daoc__pg_code(PG_OP_CLEANUP, PG_KEY_PK, 0), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    double start = daoc__mono_ms();
    for (;;) {
        int64_t n = 0;
        daoc__pg_arm(q); /* each batch its own pg_timeout; budget_ms bounds the whole */
        rc = run_write(q, s, stmt, NULL, false, NULL, &n, NULL, msg);
        if (rc == DAOC_ECONSTRAINT) { /* a restricting child: leave those rows */
            rc = DAOC_OK;
            break;
        }
        if (rc != DAOC_OK)
            break;
        total += n;
        if (n < PG_CLEANUP_BATCH || daoc__mono_ms() - start >= (double)budget_ms)
            break;
    }
    if (deleted)
        *deleted = total;
    return rc;
}

static int truncate_on(daoc__store *st, const daoc__schema *s, char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    pg_stmt *stmt;
    clear_msg(msg);
    int rc = daoc__pg_stmt(q, s, daoc__pg_code(PG_OP_TRUNCATE, PG_KEY_PK, 0), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    return run_write(q, s, stmt, NULL, false, NULL, NULL, NULL, msg);
}

/* ---- the members: a connection for the duration of each ----------------------- */


static int attach_on(daoc__pg *q, const daoc__schema *s, char **msg)
{
    int rc = daoc__pg_shape_check(q, s, false, msg); /* the table as it is must fit s */
    return rc == DAOC_OK ? daoc__registry_attach(&q->reg, s) : rc;
}

static int pg_attach_table(daoc__store *st, const daoc__schema *s, char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    int rc;
    clear_msg(msg);
    if (!s)
        return DAOC_EINVAL;
    if (daoc__registry_has(&q->reg, s))
        return DAOC_OK;
    ON_CONN(q, false, msg, attach_on(q, s, msg));
    return rc;
}

static int pg_ensure_table(daoc__store *st, const daoc__schema *s, char **msg)
{
    int rc;
    clear_msg(msg);
    if (s && daoc__registry_has(&((daoc__pg *)st)->reg, s))
        return DAOC_OK;
    ON_CONN((daoc__pg *)st, false, msg, ensure_table_on(st, s, msg));
    return rc;
}

static int pg_select(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                     const daoc__read_opts *o, daoc_value **row, char **msg)
{
    int rc;
    *row = NULL;
    clear_msg(msg);
    ON_CONN((daoc__pg *)st, true, msg, select_on(st, s, key, o, row, msg));
    return rc;
}

static int pg_page(daoc__store *st, const daoc__schema *s, const daoc__page_req *req,
                   daoc_value **rows, bool *more, char **msg)
{
    int rc;
    *rows = NULL;
    *more = false;
    clear_msg(msg);
    ON_CONN((daoc__pg *)st, true, msg, page_on(st, s, req, rows, more, msg));
    return rc;
}

static int pg_insert(daoc__store *st, const daoc__schema *s, const daoc_value *entity,
                     const daoc__write_opts *o, daoc_value **row, daoc__violation *viol, char **msg)
{
    int rc;
    *row = NULL;
    clear_msg(msg);
    ON_CONN((daoc__pg *)st, false, msg, insert_on(st, s, entity, o, row, viol, msg));
    return rc;
}

static int pg_update(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                     const daoc_value *entity, const daoc__write_opts *o, daoc_value **row,
                     daoc__violation *viol, char **msg)
{
    int rc;
    *row = NULL;
    clear_msg(msg);
    ON_CONN((daoc__pg *)st, false, msg, update_on(st, s, key, entity, o, row, viol, msg));
    return rc;
}

static int pg_upsert(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                     const daoc_value *entity, const daoc__write_opts *o, daoc_value **row,
                     daoc__violation *viol, char **msg)
{
    int rc;
    *row = NULL;
    clear_msg(msg);
    ON_CONN((daoc__pg *)st, false, msg, upsert_on(st, s, key, entity, o, row, viol, msg));
    return rc;
}

static int pg_delete(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                     const daoc__read_opts *o, daoc_value **row, daoc__violation *viol,
                     char **msg)
{
    int rc;
    if (row)
        *row = NULL;
    clear_msg(msg);
    ON_CONN((daoc__pg *)st, false, msg, delete_on(st, s, key, o, row, viol, msg));
    return rc;
}

static int pg_cleanup_ttl(daoc__store *st, const daoc__schema *s, int budget_ms, int64_t *deleted,
                          char **msg)
{
    int rc;
    if (deleted)
        *deleted = 0;
    clear_msg(msg);
    if (!s->ttl)
        return DAOC_OK;
    ON_CONN((daoc__pg *)st, false, msg, cleanup_ttl_on(st, s, budget_ms, deleted, msg));
    return rc;
}

static int pg_truncate(daoc__store *st, const daoc__schema *s, char **msg)
{
    int rc;
    clear_msg(msg);
    ON_CONN((daoc__pg *)st, false, msg, truncate_on(st, s, msg));
    return rc;
}

static const daoc__tags_dialect pg_tags = {
    .param = '$',
    .unnest = ", UNNEST(\"tags\".\"tags\") WITH ORDINALITY AS \"t\" (\"tag\", \"ordinality\")",
    .tag_col = "\"t\".\"tag\"",
    .ord_col = "\"t\".\"ordinality\"",
    .has_tag = {"\"tags\" @> ARRAY[", "::text]"},
    .id_cast = "::uuid",
};

static int pg_page_tags(daoc__store *st, const daoc_value *tag, const daoc_value *after,
                        int64_t size, daoc_value **rows, daoc_value **next, char **msg)
{
    clear_msg(msg);
    return daoc__tags_page(st, &pg_tags, NULL, 0, tag, after, size, rows, next, msg);
}

const daoc__store_ops daoc__pg_ops = {
    .name = "postgres",
    .close = daoc__pg_close,
    .ensure_table = pg_ensure_table,
    .attach_table = pg_attach_table,
    .begin = daoc__pg_begin,
    .commit = daoc__pg_commit,
    .rollback = daoc__pg_rollback,
    .select = pg_select,
    .page = pg_page,
    .count = daoc__pg_count,
    .insert = pg_insert,
    .update = pg_update,
    .upsert = pg_upsert,
    .delete = pg_delete,
    .cleanup_ttl = pg_cleanup_ttl,
    .truncate = pg_truncate,
    .page_tags = pg_page_tags,
};
