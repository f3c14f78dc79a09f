/*
 * conn.c -- the PostgreSQL store handle: connecting with libpq, the session
 * settings Kong uses (UTC time zone, search_path from pg_schema, a
 * statement timeout from pg_timeout), reconnecting after a lost connection,
 * the prepared-statement cache, nested transactions and error text.
 *
 * The cache maps (schema, statement code) to a statement whose SQL and
 * parameter plan sql.c built once; it is PQprepare()d on first use on each
 * connection (a reconnect bumps `gen`, and statements prepare again lazily).
 * Statement names are never reused, so a failure halfway cannot collide
 * with a name the server already knows.
 *
 * One connection per store (phase 1): no pool, no read replica yet.  A
 * lost connection fails the call with DAOC_ESTORE and a clear message; the
 * next call reconnects (PQreset).  Inside a transaction a lost connection
 * fails every call until the caller rolls back.  This file knows no SQL
 * but the transaction verbs and SET search_path.
 */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "store/postgres/pg_int.h"

/* ---- error text ---------------------------------------------------------- */

static char *trimmed(const char *t)
{
    if (!t || !*t)
        t = "unknown PostgreSQL error";
    size_t n = strlen(t);
    while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == ' '))
        n--;
    return daoc__strndup(t, n);
}

int daoc__pg_error(daoc__pg *q, const PGresult *res, char **msg)
{
    if (msg) {
        const char *t = res ? PQresultErrorMessage(res) : NULL;
        if (!t || !*t)
            t = q && q->conn ? PQerrorMessage(q->conn) : NULL;
        /* "ERROR:  text" -> "text" */
        if (t && strncmp(t, "ERROR:  ", 8) == 0)
            t += 8;
        *msg = trimmed(t);
        if (!*msg)
            return DAOC_ENOMEM;
    }
    return DAOC_ESTORE;
}

static int conn_error(daoc__pg *q, const char *what, char **msg)
{
    if (msg) {
        char *t = trimmed(q->conn ? PQerrorMessage(q->conn) : NULL);
        *msg = t ? daoc__asprintf("%s PostgreSQL at %s: %s", what, q->where, t) : NULL;
        daoc__free(t);
        if (!*msg)
            return DAOC_ENOMEM;
    }
    return DAOC_ESTORE;
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

/* ---- session ------------------------------------------------------------ */

static int raw_exec(daoc__pg *q, const char *sql, char **msg)
{
    PGresult *r = PQexec(q->conn, sql);
    ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int rc = DAOC_OK;
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
        rc = daoc__pg_error(q, r, msg);
    PQclear(r);
    return rc;
}

/* Settings not carried by the connection options: the schema. */
static int session_setup(daoc__pg *q, char **msg)
{
    PQsetNoticeProcessor(q->conn, notice, q);
    if (!q->schema)
        return DAOC_OK;
    char *id = PQescapeIdentifier(q->conn, q->schema, strlen(q->schema));
    if (!id)
        return conn_error(q, "cannot set the schema on", msg);
    char *sql = daoc__asprintf("SET search_path TO %s", id);
    PQfreemem(id);
    if (!sql)
        return DAOC_ENOMEM;
    int rc = raw_exec(q, sql, msg);
    daoc__free(sql);
    return rc;
}

int daoc__pg_ready(daoc__pg *q, char **msg)
{
    if (q->tx_lost)
        return lost_in_tx(msg);
    if (PQstatus(q->conn) == CONNECTION_OK)
        return DAOC_OK;
    if (q->depth > 0) {
        q->tx_lost = true;
        return lost_in_tx(msg);
    }
    PQreset(q->conn);
    q->gen++;
    if (PQstatus(q->conn) != CONNECTION_OK)
        return conn_error(q, "cannot reconnect to", msg);
    return session_setup(q, msg);
}

/* A failed exec: tells a refused statement from a lost connection. */
static int exec_failed(daoc__pg *q, PGresult *r, PGresult **res, char **msg)
{
    if (PQstatus(q->conn) != CONNECTION_OK || !r) {
        PQclear(r);
        if (q->depth > 0)
            q->tx_lost = true;
        return conn_error(q, "lost the connection to", msg);
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
    int rc = daoc__pg_ready(q, msg);
    if (rc != DAOC_OK)
        return rc;
    PGresult *r = PQexec(q->conn, sql);
    ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
        PQclear(r);
        return DAOC_OK;
    }
    return exec_failed(q, r, NULL, msg);
}

int daoc__pg_run(daoc__pg *q, pg_stmt *st, PGresult **res, char **msg)
{
    *res = NULL;
    PGresult *r = PQexecPrepared(q->conn, st->name, st->nparams, q->vals, NULL, NULL, 0);
    ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
        *res = r;
        return DAOC_OK;
    }
    return exec_failed(q, r, res, msg);
}

/* ---- statement cache ------------------------------------------------- */

static size_t slot_of(const daoc__schema *s, uint32_t code, size_t cap)
{
    uint64_t h = (uint64_t)(uintptr_t)s * 0x9E3779B97F4A7C15ull;
    h ^= (uint64_t)code * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 29;
    return (size_t)h & (cap - 1);
}

static int cache_grow(daoc__pg *q)
{
    size_t cap = q->cache_cap ? q->cache_cap * 2 : 64;
    pg_stmt_ent *t = daoc__calloc(cap, sizeof *t);
    if (!t)
        return DAOC_ENOMEM;
    for (size_t i = 0; i < q->cache_cap; i++) {
        pg_stmt_ent *e = &q->cache[i];
        if (!e->s)
            continue;
        size_t j = slot_of(e->s, e->code, cap);
        while (t[j].s)
            j = (j + 1) & (cap - 1);
        t[j] = *e;
    }
    daoc__free(q->cache);
    q->cache = t;
    q->cache_cap = cap;
    return DAOC_OK;
}

static void stmt_free(pg_stmt *st)
{
    if (!st)
        return;
    daoc__free(st->sql);
    daoc__free(st->params);
    daoc__free(st);
}

static pg_stmt *lookup(daoc__pg *q, const daoc__schema *s, uint32_t code)
{
    if (!q->cache_cap)
        return NULL;
    size_t j = slot_of(s, code, q->cache_cap);
    for (;;) {
        pg_stmt_ent *e = &q->cache[j];
        if (!e->s)
            return NULL;
        if (e->s == s && e->code == code)
            return e->st;
        j = (j + 1) & (q->cache_cap - 1);
    }
}

static int build(daoc__pg *q, const daoc__schema *s, uint32_t code, pg_stmt **out)
{
    if ((q->cache_len + 1) * 2 > q->cache_cap && cache_grow(q) != DAOC_OK)
        return DAOC_ENOMEM;
    pg_sqlb sb = {DAOC__BUF_INIT, NULL, 0, 0, false};
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
    st->sql = daoc__buf_take(&sb.b, NULL);
    st->params = sb.params;
    st->nparams = sb.nparams;
    snprintf(st->name, sizeof st->name, "daoc_%llu", (unsigned long long)++q->next_id);
    size_t j = slot_of(s, code, q->cache_cap);
    while (q->cache[j].s)
        j = (j + 1) & (q->cache_cap - 1);
    q->cache[j].s = s;
    q->cache[j].code = code;
    q->cache[j].st = st;
    q->cache_len++;
    *out = st;
    return DAOC_OK;
}

int daoc__pg_stmt(daoc__pg *q, const daoc__schema *s, uint32_t code, pg_stmt **out, char **msg)
{
    int rc = daoc__pg_ready(q, msg);
    if (rc != DAOC_OK)
        return rc;
    pg_stmt *st = lookup(q, s, code);
    if (!st && (rc = build(q, s, code, &st)) != DAOC_OK)
        return rc;
    if (st->prepared_gen != q->gen) {
        PGresult *r = PQprepare(q->conn, st->name, st->sql, st->nparams, NULL);
        if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
            return exec_failed(q, r, NULL, msg);
        PQclear(r);
        st->prepared_gen = q->gen;
    }
    *out = st;
    return DAOC_OK;
}

/* ---- transactions ------------------------------------------------------ */

int daoc__pg_begin(daoc__store *st, char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    if (q->depth == 0) {
        int rc = daoc__pg_exec(q, "BEGIN", msg);
        if (rc != DAOC_OK)
            return rc;
        q->poisoned = false;
        q->tx_lost = false;
    }
    q->depth++;
    return DAOC_OK;
}

int daoc__pg_rollback(daoc__store *st)
{
    daoc__pg *q = (daoc__pg *)st;
    if (q->depth <= 0)
        return DAOC_EINVAL;
    if (q->depth > 1) {
        q->depth--;
        q->poisoned = true;
        return DAOC_OK;
    }
    q->depth = 0;
    q->poisoned = false;
    bool lost = q->tx_lost;
    q->tx_lost = false;
    if (lost || PQstatus(q->conn) != CONNECTION_OK)
        return DAOC_OK; /* the server rolled back when the connection went */
    return raw_exec(q, "ROLLBACK", NULL);
}

int daoc__pg_commit(daoc__store *st, char **msg)
{
    daoc__pg *q = (daoc__pg *)st;
    if (q->depth <= 0)
        return DAOC_EINVAL;
    if (q->depth > 1) {
        q->depth--;
        return DAOC_OK;
    }
    if (q->tx_lost || q->poisoned) {
        bool lost = q->tx_lost;
        (void)daoc__pg_rollback(st);
        if (lost)
            return lost_in_tx(msg);
        if (msg && !(*msg = daoc__strdup("transaction rolled back by a nested rollback")))
            return DAOC_ENOMEM;
        return DAOC_ESTORE;
    }
    PGresult *r = PQexec(q->conn, "COMMIT");
    int rc = DAOC_OK;
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
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
    if (rc != DAOC_OK && PQstatus(q->conn) == CONNECTION_OK &&
        PQtransactionStatus(q->conn) != PQTRANS_IDLE)
        (void)raw_exec(q, "ROLLBACK", NULL);
    q->depth = 0;
    q->poisoned = false;
    q->tx_lost = false;
    return rc;
}

/* ---- open / close ------------------------------------------------------ */

void daoc__pg_close(daoc__store *st)
{
    daoc__pg *q = (daoc__pg *)st;
    if (!q)
        return;
    for (size_t i = 0; i < q->cache_cap; i++)
        if (q->cache[i].s)
            stmt_free(q->cache[i].st);
    if (q->conn)
        PQfinish(q->conn);
    daoc__free(q->cache);
    daoc__free(q->refs);
    daoc__free(q->tables);
    daoc__free(q->vals);
    daoc__free(q->offs);
    daoc__free(q->where);
    daoc__free(q->schema);
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
    daoc__pg *q = daoc__calloc(1, sizeof *q);
    if (!q)
        return DAOC_ENOMEM;
    q->base.ops = &daoc__pg_ops;
    q->gen = 1;
    q->timeout_ms = cfg->pg_timeout > 0 ? cfg->pg_timeout : 5000;
    int rc = DAOC_ENOMEM;
    const daoc__pg_conn_cfg *c = &cfg->pg;
    q->where = c->host && c->host[0] == '/'
                   ? daoc__asprintf("%s/.s.PGSQL.%d", c->host, c->port)
                   : daoc__asprintf("%s:%d", c->host ? c->host : "127.0.0.1", c->port);
    if (!q->where)
        goto fail;
    if (cfg->pg_schema && cfg->pg_schema[0] && !(q->schema = daoc__strdup(cfg->pg_schema)))
        goto fail;

    char port[16], ctimeout[16], options[96];
    snprintf(port, sizeof port, "%d", c->port);
    snprintf(ctimeout, sizeof ctimeout, "%d", (q->timeout_ms + 999) / 1000);
    snprintf(options, sizeof options, "-c TimeZone=UTC -c statement_timeout=%d", q->timeout_ms);
    const char *sslmode = !cfg->pg_ssl ? "disable" : cfg->pg_ssl_verify ? "verify-full" : "require";
    const char *keys[12], *vals[12];
    int n = 0;
#define KV(k, v) (keys[n] = (k), vals[n] = (v), n++)
    KV("host", c->host);
    KV("port", port);
    KV("user", c->user);
    KV("dbname", c->database);
    if (c->password && c->password[0])
        KV("password", c->password);
    KV("connect_timeout", ctimeout);
    KV("options", options);
    KV("application_name", "daoc");
    KV("client_encoding", "UTF8");
    KV("sslmode", sslmode);
#undef KV
    keys[n] = vals[n] = NULL;
    q->conn = PQconnectdbParams(keys, vals, 0);
    if (!q->conn)
        goto fail;
    if (PQstatus(q->conn) != CONNECTION_OK) {
        rc = conn_error(q, "cannot connect to", msg);
        goto fail;
    }
    rc = session_setup(q, msg);
    if (rc != DAOC_OK)
        goto fail;
    *out = &q->base;
    return DAOC_OK;
fail:
    daoc__pg_close(&q->base);
    return rc;
}
