/*
 * conn.c -- the PostgreSQL store handle: which connection an operation
 * runs on, the statement caches, running statements, nested transactions,
 * error text, open and close.
 *
 * Connections come from the per-process pools of pool.c.  An operation
 * borrows one (daoc__pg_acquire) and gives it back when it is done
 * (daoc__pg_release); `begin` borrows one from the primary and pins it to
 * the handle until the outermost commit or rollback, so every statement of
 * the transaction -- reads included -- runs on it.  Outside a transaction,
 * reads go to the read replica's pool when pg_ro_host is set.
 *
 * Two statement caches.  The handle maps (schema, statement code) to the
 * SQL text and parameter plan sql.c built once.  Each connection maps SQL
 * text to the name it prepared it under, so a handle whose operations land
 * on different connections prepares on each exactly once, and handles
 * sharing a connection share its prepared statements.  Names (daoc_<n>) are
 * per connection and never reused, and connections are numbered for the
 * life of the process, so a statement remembers the connection it last
 * found its name on and skips the text lookup while its handle keeps that
 * connection (pool.c parks it in the handle's slot between operations).
 *
 * Lost connections.  A failure that leaves the connection unusable marks it
 * broken (the pool discards it when it comes back) and fails the call with
 * "lost the connection to PostgreSQL at <where>: <reason>"; the next call
 * borrows or opens another.  Inside a transaction every later call fails
 * until the caller rolls back.  This file knows no SQL but the transaction
 * verbs.
 *
 * Deadlines.  Every store call (daoc__pg_acquire, begin, commit, rollback)
 * arms one deadline, pg_timeout plus PG_GRACE_MS from its start, and every
 * round trip of the call waits for the server only until then (wait.c):
 * the pool's borrow is bounded by pg_timeout itself, each statement by the
 * server's statement_timeout, and the deadline catches a server that
 * answers nothing at all.  A call past it fails as a lost connection does,
 * with its own message; its connection is dropped, and a read is not
 * retried after it.
 */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/rand.h"
#include "store/deploy.h"
#include "store/postgres/pg_int.h"

/* On top of pg_timeout before a call gives up on the server: the server's
 * statement_timeout (pg_timeout, counted from a later start) answers first
 * when the server is alive. */
#define PG_GRACE_MS 200

/* ---- error text ---------------------------------------------------------- */

int daoc__pg_error(daoc__pg *q, const PGresult *res, char **msg)
{
    if (msg) {
        const char *t = res ? PQresultErrorMessage(res) : NULL;
        if (!t || !*t)
            t = q && q->cur ? PQerrorMessage(q->cur->pg) : NULL;
        /* "ERROR:  text" -> "text" */
        if (t && strncmp(t, "ERROR:  ", 8) == 0)
            t += 8;
        *msg = daoc__pg_trim(t);
        if (!*msg)
            return DAOC_ENOMEM;
    }
    return DAOC_ESTORE;
}

/* "lost the connection to PostgreSQL at <where>: <libpq's reason>", or
 * for a call the server did not answer in time "PostgreSQL at <where> did
 * not answer within pg_timeout (N ms) ..."; marks q->cur broken. */
static int lost(daoc__pg *q, char **msg)
{
    pg_conn *c = q->cur;
    c->broken = true;
    if (q->tx.depth > 0)
        q->tx_lost = true;
    if (!msg)
        return DAOC_ESTORE;
    if (c->timed_out) {
        *msg = daoc__asprintf("PostgreSQL at %s did not answer within pg_timeout (%d ms): "
                              "gave up on the request (cancel requested) and dropped the "
                              "connection",
                              daoc__pg_pool_where(c->pool), q->timeout_ms);
        return *msg ? DAOC_ESTORE : DAOC_ENOMEM;
    }
    char *t = daoc__pg_trim(PQerrorMessage(c->pg));
    *msg = t ? daoc__asprintf("lost the connection to PostgreSQL at %s: %s",
                              daoc__pg_pool_where(c->pool), t)
             : NULL;
    daoc__free(t);
    return *msg ? DAOC_ESTORE : DAOC_ENOMEM;
}

static int lost_in_tx(char **msg)
{
    if (msg && !(*msg = daoc__strdup("the connection to PostgreSQL was lost inside a "
                                     "transaction; roll it back and retry")))
        return DAOC_ENOMEM;
    return DAOC_ESTORE;
}

static void notice(void *ud, const char *text)
{
    daoc__pg *q = ud;
    if (q && q->base.log) {
        char line[512];
        snprintf(line, sizeof line, "postgres: %s", text);
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n')
            line[n - 1] = '\0';
        q->base.log(q->base.log_ud, DAOC_LOG_DEBUG, line);
    }
}

/* ---- round trips within the call's deadline ------------------------------- */

void daoc__pg_arm(daoc__pg *q)
{
    q->deadline = (int64_t)daoc__mono_ms() + q->timeout_ms + PG_GRACE_MS;
}

/* The result of the command just sent on q->cur (sent: what the PQsend*
 * call returned), waited for until the call's deadline; NULL when the
 * connection failed or the deadline passed (q->cur->timed_out). */
static PGresult *await(daoc__pg *q, int sent)
{
    PGresult *r = NULL;
    if (sent)
        (void)daoc__pg_await(q->cur, q->deadline, &r);
    return r;
}

static PGresult *exec_text(daoc__pg *q, const char *sql)
{
    return await(q, PQsendQuery(q->cur->pg, sql));
}

static int raw_exec(daoc__pg *q, const char *sql)
{
    PGresult *r = exec_text(q, sql);
    int ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
    PQclear(r);
    return ok ? DAOC_OK : DAOC_ESTORE;
}

/* ---- which connection ----------------------------------------------------- */

int daoc__pg_acquire(daoc__pg *q, bool read, char **msg)
{
    q->unsent = false;
    daoc__pg_arm(q);
    if (q->tx.depth > 0) {
        if (q->tx_lost || !q->cur)
            return lost_in_tx(msg);
        return DAOC_OK;
    }
    pg_conn *c = NULL;
    bool ro = read && q->ro;
    int rc = daoc__pg_pool_get(ro ? q->ro : q->rw, ro ? &q->slot_ro : &q->slot_rw, &c, msg);
    if (rc != DAOC_OK)
        return rc;
    c->notice = notice;
    c->notice_ud = q;
    q->cur = c;
    return DAOC_OK;
}

void daoc__pg_release(daoc__pg *q)
{
    if (q->tx.depth > 0 || !q->cur)
        return;
    daoc__pg_pool_put(q->cur, q->cur->pool == q->ro ? &q->slot_ro : &q->slot_rw);
    q->cur = NULL;
}

/* A failed exec: tells a refused statement from a lost connection. */
static int exec_failed(daoc__pg *q, PGresult *r, PGresult **res, char **msg)
{
    if (PQstatus(q->cur->pg) != CONNECTION_OK || !r || q->cur->timed_out) {
        PQclear(r);
        return lost(q, msg);
    }
    if (res) {
        *res = r;
        return DAOC_ESTORE;
    }
    int rc = daoc__pg_error(q, r, msg);
    PQclear(r);
    return rc;
}

int daoc__pg_exec(daoc__pg *q, const char *sql, char **msg)
{
    PGresult *r = exec_text(q, sql);
    ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
        PQclear(r);
        return DAOC_OK;
    }
    return exec_failed(q, r, NULL, msg);
}

int daoc__pg_exec_params(daoc__pg *q, const char *sql, int nparams, const char *const *vals,
                         PGresult **res, char **msg)
{
    *res = NULL;
    PGresult *r =
        await(q, PQsendQueryParams(q->cur->pg, sql, nparams, NULL, vals, NULL, NULL, 0));
    ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
        *res = r;
        return DAOC_OK;
    }
    return exec_failed(q, r, NULL, msg);
}

static PGresult *run_prepared(daoc__pg *q, const pg_stmt *st)
{
    if (q->cur->unnamed) /* parsed, bound and run in one round trip, text results */
        return await(q, PQsendQueryParams(q->cur->pg, st->sql, st->nparams, NULL, q->vals, NULL,
                                          NULL, 0));
    return await(q, PQsendQueryPrepared(q->cur->pg, st->name, st->nparams, q->vals, NULL, NULL,
                                        st->binary ? 1 : 0));
}

/* The server refused a prepared statement whose result's row type a table
 * change altered (SQLSTATE 0A000, "cached plan must not change result
 * type"; our statements raise that code for nothing else). */
static bool plan_changed(const PGresult *r)
{
    const char *code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return code && strcmp(code, "0A000") == 0;
}

int daoc__pg_run(daoc__pg *q, pg_stmt *st, PGresult **res, char **msg)
{
    *res = NULL;
    PGresult *r = run_prepared(q, st);
    ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK && plan_changed(r)) {
        PQclear(r);
        daoc__pg_conn_forget(q->cur);
        if (q->tx.depth > 0) {
            if (msg && !(*msg = daoc__strdup("a table changed since this connection prepared the "
                                             "statement (a migration ran); the transaction is "
                                             "aborted: roll back and run it again")))
                return DAOC_ENOMEM;
            return DAOC_ESTORE;
        }
        pg_stmt *again = NULL;
        int rc = daoc__pg_stmt(q, st->s, st->code, &again, msg);
        if (rc != DAOC_OK)
            return rc;
        r = run_prepared(q, again);
        t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    }
    if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
        *res = r;
        return DAOC_OK;
    }
    return exec_failed(q, r, res, msg);
}

/* ---- the handle's statement cache ------------------------------------------ */

static void stmt_free(pg_stmt *st)
{
    if (!st)
        return;
    daoc__free(st->sql);
    daoc__free(st->params);
    daoc__free(st);
}

static void stmt_free_v(void *st) { stmt_free(st); }

static pg_stmt *lookup(daoc__pg *q, const daoc__schema *s, uint32_t code)
{
    return daoc__stmt_cache_get(&q->stmts, s, code);
}

/* FNV-1a, 64 bits. */
static uint64_t text_hash(const char *t, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)t[i]) * 0x100000001b3ull;
    return h;
}

static int build(daoc__pg *q, const daoc__schema *s, uint32_t code, pg_stmt **out)
{
    if (daoc__stmt_cache_reserve(&q->stmts) != DAOC_OK)
        return DAOC_ENOMEM;
    pg_sqlb sb = {DAOC__BUF_INIT, NULL, 0, 0, false, &q->reg};
    daoc__pg_sql(&sb, s, code);
    pg_stmt *st = daoc__calloc(1, sizeof *st);
    if (sb.failed || sb.b.failed || !st) {
        daoc__buf_free(&sb.b);
        daoc__free(sb.params);
        daoc__free(st);
        return DAOC_ENOMEM;
    }
    st->s = s;
    st->code = code;
    st->sql = daoc__buf_take(&sb.b, &st->sql_len);
    st->hash = text_hash(st->sql, st->sql_len);
    st->params = sb.params;
    st->nparams = sb.nparams;
    daoc__stmt_cache_put(&q->stmts, s, code, st);
    *out = st;
    return DAOC_OK;
}

/* ---- the connection's prepared statements ----------------------------------- */

/* The slot of st's text in c's table: its entry, or the free slot it goes to. */
static pg_prep *prep_slot(pg_conn *c, const pg_stmt *st)
{
    size_t j = (size_t)st->hash & (c->prep_cap - 1);
    for (;;) {
        pg_prep *e = &c->prep[j];
        if (!e->sql || (e->hash == st->hash && e->sql_len == st->sql_len &&
                        memcmp(e->sql, st->sql, st->sql_len) == 0))
            return e;
        j = (j + 1) & (c->prep_cap - 1);
    }
}

static int prep_grow(pg_conn *c)
{
    size_t cap = c->prep_cap ? c->prep_cap * 2 : 64;
    pg_prep *t = daoc__calloc(cap, sizeof *t);
    if (!t)
        return DAOC_ENOMEM;
    for (size_t i = 0; i < c->prep_cap; i++) {
        if (!c->prep[i].sql)
            continue;
        size_t j = (size_t)c->prep[i].hash & (cap - 1);
        while (t[j].sql)
            j = (j + 1) & (cap - 1);
        t[j] = c->prep[i];
    }
    daoc__free(c->prep);
    c->prep = t;
    c->prep_cap = cap;
    return DAOC_OK;
}

/* Preparing or describing a statement failed (r: the error result, or
 * NULL): drops the text copy meant for the table and reports it. */
static int prep_failed(daoc__pg *q, PGresult *r, char *copy, char **msg)
{
    daoc__free(copy);
    int rc = exec_failed(q, r, NULL, msg);
    if (q->cur->broken && !q->cur->timed_out && q->tx.depth == 0)
        q->unsent = true; /* the operation's statement never left (a retry may not
                             outlast the deadline: none after a timeout) */
    return rc;
}

int daoc__pg_stmt(daoc__pg *q, const daoc__schema *s, uint32_t code, pg_stmt **out, char **msg)
{
    pg_conn *c = q->cur;
    pg_stmt *st = lookup(q, s, code);
    int rc;
    if (!st && (rc = build(q, s, code, &st)) != DAOC_OK)
        return rc;
    if (c->unnamed) { /* nothing prepared: run_prepared sends the text */
        st->binary = false;
        *out = st;
        return DAOC_OK;
    }
    if (st->name_conn == c->serial) { /* prepared there, found there last time */
        *out = st;
        return DAOC_OK;
    }
    if ((c->prep_len + 1) * 2 > c->prep_cap && prep_grow(c) != DAOC_OK)
        return DAOC_ENOMEM;
    pg_prep *e = prep_slot(c, st);
    if (!e->sql) {
        char name[sizeof e->name];
        snprintf(name, sizeof name, "daoc_%u", ++c->next_id);
        char *copy = daoc__strndup(st->sql, st->sql_len);
        if (!copy)
            return DAOC_ENOMEM;
        PGresult *r = await(q, PQsendPrepare(c->pg, name, st->sql, st->nparams, NULL));
        if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
            return prep_failed(q, r, copy, msg);
        PQclear(r);
        /* the server's description of the result decides its format: binary
         * when every column is of a type binary.c reads for its field */
        r = await(q, PQsendDescribePrepared(c->pg, name));
        if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
            return prep_failed(q, r, copy, msg);
        bool binary = daoc__pg_row_binary(s, r);
        PQclear(r);
        e->sql = copy;
        e->sql_len = st->sql_len;
        e->hash = st->hash;
        e->binary = binary;
        memcpy(e->name, name, sizeof name);
        c->prep_len++;
    }
    memcpy(st->name, e->name, sizeof st->name);
    st->binary = e->binary;
    st->name_conn = c->serial;
    *out = st;
    return DAOC_OK;
}

/* ---- transactions ------------------------------------------------------ */

/* The outermost verbs: BEGIN pins a connection of the primary to the
 * handle until COMMIT or ROLLBACK unpins it. */
static int pg_outer_begin(daoc__pg *q, char **msg)
{
    int rc = daoc__pg_acquire(q, false, msg);
    if (rc != DAOC_OK)
        return rc;
    rc = daoc__pg_exec(q, "BEGIN", msg);
    if (rc != DAOC_OK) {
        daoc__pg_release(q);
        return rc;
    }
    q->tx_lost = false;
    return DAOC_OK;
}

/* Ends the outermost transaction: unpins the connection. */
static void tx_end(daoc__pg *q)
{
    q->tx.depth = 0;
    q->tx_lost = false;
    daoc__pg_release(q);
}

static int pg_outer_rollback(daoc__pg *q)
{
    pg_conn *c = q->cur;
    /* when the connection went, the server rolled back */
    if (c && !q->tx_lost && !c->broken && PQstatus(c->pg) == CONNECTION_OK &&
        raw_exec(q, "ROLLBACK") != DAOC_OK)
        c->broken = true;
    tx_end(q);
    return DAOC_OK;
}

static int pg_outer_commit(daoc__pg *q, char **msg)
{
    if (q->tx_lost || !q->cur) {
        (void)pg_outer_rollback(q);
        return lost_in_tx(msg);
    }
    pg_conn *c = q->cur;
    PGresult *r = exec_text(q, "COMMIT");
    int rc = DAOC_OK;
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
        /* a lost COMMIT: the outcome is unknown, and reported as an error */
        rc = exec_failed(q, r, NULL, msg);
        r = NULL;
    } else if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {
        /* COMMIT of a transaction an error aborted answers ROLLBACK */
        if (msg && !(*msg = daoc__strdup("transaction rolled back by the server after an error")))
            rc = DAOC_ENOMEM;
        else
            rc = DAOC_ESTORE;
    }
    PQclear(r);
    if (rc != DAOC_OK && !c->broken && PQstatus(c->pg) == CONNECTION_OK &&
        PQtransactionStatus(c->pg) != PQTRANS_IDLE && raw_exec(q, "ROLLBACK") != DAOC_OK)
        c->broken = true;
    tx_end(q);
    return rc;
}

static int pg_outer(void *ud, daoc__tx_verb verb, char **msg)
{
    daoc__pg *q = ud;
    switch (verb) {
    case DAOC__TX_BEGIN:
        return pg_outer_begin(q, msg);
    case DAOC__TX_COMMIT:
        return pg_outer_commit(q, msg);
    case DAOC__TX_ROLLBACK:
        return pg_outer_rollback(q);
    }
    return DAOC_EINVAL;
}

static int pg_tx_exec(void *ud, const char *sql, char **msg)
{
    daoc__pg *q = ud;
    if (q->tx_lost || !q->cur)
        return lost_in_tx(msg);
    return daoc__pg_exec(q, sql, msg);
}

const daoc__tx_ops daoc__pg_tx_ops = {.outer = pg_outer, .exec = pg_tx_exec};

int daoc__pg_begin(daoc__store *st, char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    daoc__pg_arm(q);
    return daoc__store_tx(st, &q->tx, &daoc__pg_tx_ops, q, DAOC__TX_BEGIN, msg);
}

int daoc__pg_rollback(daoc__store *st)
{
    daoc__pg *q = (daoc__pg *)st;
    daoc__pg_arm(q);
    return daoc__store_tx(st, &q->tx, &daoc__pg_tx_ops, q, DAOC__TX_ROLLBACK, NULL);
}

int daoc__pg_commit(daoc__store *st, char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    daoc__pg_arm(q);
    return daoc__store_tx(st, &q->tx, &daoc__pg_tx_ops, q, DAOC__TX_COMMIT, msg);
}

/* ---- open / close ------------------------------------------------------ */

void daoc__pg_close(daoc__store *st)
{
    daoc__pg *q = (daoc__pg *)st;
    if (!q)
        return;
    if (q->cur) { /* a transaction left open: the pool discards its connection */
        q->tx.depth = 0;
        daoc__pg_release(q);
    }
    daoc__stmt_cache_free(&q->stmts, stmt_free_v);
    if (q->ro)
        daoc__pg_pool_detach(q->ro, &q->slot_ro);
    if (q->rw)
        daoc__pg_pool_detach(q->rw, &q->slot_rw);
    daoc__pg_pool_unref(q->ro);
    daoc__pg_pool_unref(q->rw);
    daoc__registry_free(&q->reg);
    daoc__free(q->vals);
    daoc__free(q->offs);
    daoc__free(q->fv);
    daoc__buf_free(&q->scratch);
    daoc__free(q);
}

int daoc__pg_open(daoc__store **out, const daoc_config *cfg, char **msg)
{
    *out = NULL;
    if (msg)
        *msg = NULL;
    if (!cfg)
        return DAOC_EINVAL;
    if (cfg->pg_tx_pooling && cfg->pg_schema && cfg->pg_schema[0]) {
        if (msg)
            *msg = daoc__strdup("pg_schema cannot be used with pg_pooling = transaction: a "
                                "pooler that hands out connections per transaction keeps no "
                                "search_path");
        return DAOC_ECONFIG;
    }
    daoc__pg *q = daoc__calloc(1, sizeof *q);
    if (!q)
        return DAOC_ENOMEM;
    q->base.ops = &daoc__pg_ops;
    q->base.deploy = &daoc__pg_deploy_ops;
    q->timeout_ms = cfg->pg_timeout > 0 ? cfg->pg_timeout : 5000;
    int rc = daoc__pg_pool_ref(cfg, false, &q->rw);
    if (rc == DAOC_OK)
        daoc__pg_pool_attach(q->rw, &q->slot_rw);
    if (rc == DAOC_OK && cfg->pg_ro.host && cfg->pg_ro.host[0]) {
        rc = daoc__pg_pool_ref(cfg, true, &q->ro);
        if (rc == DAOC_OK)
            daoc__pg_pool_attach(q->ro, &q->slot_ro);
    }
    if (rc != DAOC_OK)
        goto fail;
    /* Fail early and clearly when the primary cannot be reached; the
     * connection stays in the pool for the first operation.  The replica
     * is connected lazily: a replica down is a failed read, not a failed open. */
    rc = daoc__pg_acquire(q, false, msg);
    if (rc != DAOC_OK)
        goto fail;
    daoc__pg_release(q);
    *out = &q->base;
    return DAOC_OK;
fail:
    daoc__pg_close(&q->base);
    return rc;
}
