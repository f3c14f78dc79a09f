/*
 * pool.c -- the connection pools of the PostgreSQL store: one bounded pool
 * per process per connection target, shared by every store handle opened
 * with that target, and the life of one pooled connection (opening it
 * within a deadline, the session settings, checking it before reuse,
 * discarding it when it broke).
 *
 * A pool is found in a process-wide registry by its key: host, port, user,
 * password, database, schema, sslmode and pg_timeout (the timeout shapes
 * the connections' settings, so handles that differ there do not share).
 * Handles reference-count it; the last one frees it with its idle
 * connections.  The cap is the largest pg_pool_size among the handles that
 * asked for the pool.
 *
 * Borrowing (daoc__pg_pool_get) takes the connection parked in the
 * caller's slot (pg_int.h, pg_slot: the one its handle returned last) with
 * one atomic exchange and no lock; else, under the lock, the most recently
 * returned idle connection (its statement cache is the warmest), else one
 * parked in another handle's slot, so parking never holds a connection
 * away from a borrower.  A connection taken is checked without a round
 * trip (an idle connection with unexpected input -- the FATAL a terminated
 * backend sends, or end-of-file -- is discarded; one handed out a moment
 * ago is not polled).  With none to take, it opens a new one while fewer
 * than `cap` exist, and otherwise waits on a condition variable.  One
 * deadline of pg_timeout ms bounds the whole borrow: waiting and
 * connecting together.  Connections are opened outside the lock.
 *
 * Returning (daoc__pg_pool_put) parks a connection in good order in the
 * handle's slot; when someone is waiting (p->waiters) it goes to the idle
 * list instead and wakes one.  The two sides meet Dekker-style: the
 * returner publishes the connection and then reads `waiters`, the waiter
 * counts itself and then looks in the slots, both sequentially consistent,
 * so one of them always sees the other.  A connection that broke or was
 * left inside a transaction is discarded and its place freed.
 *
 * Connections are in libpq's non-blocking mode: every wait on one is a
 * poll() bounded by a deadline (connect_poll here, wait.c for commands).
 *
 * This file knows no SQL but SET search_path; statements and transactions
 * are conn.c's.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/rand.h"
#include "store/postgres/pg_int.h"

#define NKEYS 20

struct pg_pool {
    char *key; /* identity in the registry */
    int refs;  /* store handles using it (registry lock) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int cap;  /* largest pg_pool_size asked for */
    int open; /* connections that exist or are being opened */
    int nidle;
    pg_conn *idle;  /* LIFO */
    pg_slot *slots; /* of the handles using the pool */
    atomic_int waiters; /* borrowers waiting (changed under mu, read without) */
    int timeout_ms;
    char *where;  /* "host:port" or the socket path, for messages */
    char *schema; /* pg_schema or NULL */
    bool tx_pooling; /* pg_pooling = transaction */
    const char *keys[NKEYS + 1];
    char *vals[NKEYS + 1]; /* owned copies */
    pg_pool *next;         /* registry */
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pg_pool *g_pools;

/* ---- time ----------------------------------------------------------------- */

static int64_t now_ms(void) { return (int64_t)daoc__mono_ms(); }

/* ---- messages ------------------------------------------------------------- */

char *daoc__pg_trim(const char *t)
{
    if (!t || !*t)
        t = "unknown PostgreSQL error";
    size_t n = strlen(t);
    while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == ' ' || t[n - 1] == '\t'))
        n--;
    return daoc__strndup(t, n);
}

/* "<what> PostgreSQL at <where>: <reason>" into *msg; DAOC_ESTORE. */
static int target_error(const pg_pool *p, const char *what, const char *reason, char **msg)
{
    if (!msg)
        return DAOC_ESTORE;
    char *t = daoc__pg_trim(reason);
    *msg = t ? daoc__asprintf("%s PostgreSQL at %s: %s", what, p->where, t) : NULL;
    daoc__free(t);
    return *msg ? DAOC_ESTORE : DAOC_ENOMEM;
}

/* ---- one connection ------------------------------------------------------- */

/* libpq's notice processor of every connection: passes a notice to its
 * current borrower's handler, if any. */
static void notice_route(void *ud, const char *text)
{
    pg_conn *c = ud;
    if (c->notice)
        c->notice(c->notice_ud, text);
}

static atomic_uint_fast64_t g_serial;

static void conn_free(pg_conn *c)
{
    if (!c)
        return;
    if (c->pg)
        PQfinish(c->pg);
    for (size_t i = 0; i < c->prep_cap; i++)
        daoc__free(c->prep[i].sql);
    daoc__free(c->prep);
    daoc__free(c);
}

void daoc__pg_conn_forget(pg_conn *c)
{
    for (size_t i = 0; i < c->prep_cap; i++) {
        daoc__free(c->prep[i].sql);
        c->prep[i].sql = NULL;
    }
    c->prep_len = 0;
    /* every statement remembering this connection looks its text up again */
    c->serial = atomic_fetch_add(&g_serial, 1) + 1;
}

/* Drives PQconnectPoll until done or the deadline; NULL status = timed out. */
static bool connect_poll(PGconn *pg, int64_t deadline)
{
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct pollfd pf = {PQsocket(pg), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};
        int n = poll(&pf, 1, (int)(left > 60000 ? 60000 : left));
        if (n < 0 && errno != EINTR)
            break; /* PQconnectPoll reports the socket's trouble */
        if (n == 0)
            continue;
        st = PQconnectPoll(pg);
    }
    return true;
}

/* Opens one connection of p within the deadline, with the session settings. */
static int conn_open(pg_pool *p, int64_t deadline, pg_conn **out, char **msg)
{
    *out = NULL;
    pg_conn *c = daoc__calloc(1, sizeof *c);
    if (!c)
        return DAOC_ENOMEM;
    c->pg = PQconnectStartParams(p->keys, (const char *const *)p->vals, 0);
    if (!c->pg) {
        daoc__free(c);
        return DAOC_ENOMEM;
    }
    int rc;
    if (PQstatus(c->pg) != CONNECTION_BAD && !connect_poll(c->pg, deadline)) {
        char why[64];
        snprintf(why, sizeof why, "timeout expired after %d ms (pg_timeout)", p->timeout_ms);
        rc = target_error(p, "could not connect to", why, msg);
        goto fail;
    }
    if (PQstatus(c->pg) != CONNECTION_OK) {
        rc = target_error(p, "could not connect to", PQerrorMessage(c->pg), msg);
        goto fail;
    }
    PQsetNoticeProcessor(c->pg, notice_route, c);
    /* every wait is a poll() with the time left (wait.c): sending never blocks */
    if (PQsetnonblocking(c->pg, 1) != 0) {
        rc = target_error(p, "could not connect to", PQerrorMessage(c->pg), msg);
        goto fail;
    }
    c->serial = atomic_fetch_add(&g_serial, 1) + 1;
    if (p->schema) {
        rc = DAOC_ENOMEM;
        char *id = PQescapeIdentifier(c->pg, p->schema, strlen(p->schema));
        char *sql = id ? daoc__asprintf("SET search_path TO %s", id) : NULL;
        PQfreemem(id);
        if (!sql)
            goto fail;
        PGresult *r = NULL;
        bool in_time = PQsendQuery(c->pg, sql) && daoc__pg_await(c, deadline, &r);
        daoc__free(sql);
        if (c->timed_out) {
            char why[64];
            snprintf(why, sizeof why, "timeout expired after %d ms (pg_timeout)", p->timeout_ms);
            rc = target_error(p, "could not connect to", why, msg);
            goto fail;
        }
        if (!in_time || !r || PQresultStatus(r) != PGRES_COMMAND_OK) {
            rc = target_error(p, "could not connect to",
                              r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg), msg);
            PQclear(r);
            goto fail;
        }
        PQclear(r);
    }
    c->pool = p;
    c->unnamed = p->tx_pooling;
    *out = c;
    return DAOC_OK;
fail:
    conn_free(c);
    return rc;
}

/* An idle connection is fine when it has nothing to say: a terminated
 * backend sends a FATAL error and closes, which shows as input (or
 * end-of-file) on a socket nobody is waiting on.  No round trip.  (Its
 * libpq state was checked when it came back, and nothing changes it while
 * it is idle.)
 *
 * A connection whose last borrow began in the current tick of the coarse
 * monotonic clock (daoc__mono_coarse_ms: a few ms; 4 ms here) -- so it came
 * back even more recently -- is taken without looking at its socket (a
 * zero-timeout poll is a system call per operation, ~0.5 us: measurable
 * against a 5-10 us operation).  A backend terminated in that window would
 * also race the poll: its FATAL takes a moment to arrive either way. */
#define PG_FRESH_MS 0.5 /* coarse readings differ by whole ticks: "same tick" */

static bool conn_alive(pg_conn *c, double now)
{
    if (c->broken)
        return false;
    if (now - c->idle_since < PG_FRESH_MS)
        return true;
    struct pollfd pf = {PQsocket(c->pg), POLLIN, 0};
    int n;
    do
        n = poll(&pf, 1, 0);
    while (n < 0 && errno == EINTR);
    return n == 0;
}

/* ---- the pool ------------------------------------------------------------- */

/* Unlinks and returns the most recently returned idle connection, or
 * takes one parked in a slot; NULL when there is neither.  Lock held. */
static pg_conn *take(pg_pool *p)
{
    pg_conn *c = p->idle;
    if (c) {
        p->idle = c->next;
        p->nidle--;
        c->next = NULL;
        return c;
    }
    for (pg_slot *s = p->slots; s; s = s->next)
        if (atomic_load(&s->conn) && (c = atomic_exchange(&s->conn, NULL)))
            return c;
    return NULL;
}

/* Pushes c on the idle list and wakes a waiter.  Lock held. */
static void push_idle(pg_pool *p, pg_conn *c)
{
    c->next = p->idle;
    p->idle = c;
    p->nidle++;
    pthread_cond_signal(&p->cv);
}

/* c, just taken at time t0, when it passes the check; else NULL, with c
 * freed: its place in the pool is the caller's to open a new one in. */
static pg_conn *checked(pg_conn *c, double t0)
{
    if (conn_alive(c, t0)) {
        c->borrowed_at = t0;
        return c;
    }
    conn_free(c);
    return NULL;
}

int daoc__pg_pool_get(pg_pool *p, pg_slot *slot, pg_conn **out, char **msg)
{
    *out = NULL;
    double t0 = daoc__mono_coarse_ms(); /* the idle check's clock */
    pg_conn *c = slot ? atomic_exchange(&slot->conn, NULL) : NULL;
    bool parked_dead = c != NULL;
    if (c && (*out = checked(c, t0)))
        return DAOC_OK;
    int64_t deadline = now_ms() + p->timeout_ms;
    if (parked_dead)
        goto open; /* the parked connection was dead: its place is ours */
    pthread_mutex_lock(&p->mu);
    for (;;) {
        c = take(p);
        if (!c && p->open >= p->cap) {
            /* counted before a last look in the slots: a connection parked
             * after that look sees the count and comes to the idle list */
            atomic_fetch_add(&p->waiters, 1);
            c = take(p);
            if (!c) {
                int64_t left = deadline - now_ms();
                int wrc = 0;
                if (left > 0) {
                    struct timespec ts;
                    clock_gettime(CLOCK_MONOTONIC, &ts);
                    ts.tv_sec += (time_t)(left / 1000);
                    ts.tv_nsec += (long)(left % 1000) * 1000000L;
                    if (ts.tv_nsec >= 1000000000L) {
                        ts.tv_sec++;
                        ts.tv_nsec -= 1000000000L;
                    }
                    wrc = pthread_cond_timedwait(&p->cv, &p->mu, &ts);
                }
                atomic_fetch_sub(&p->waiters, 1);
                if (left <= 0 || (wrc == ETIMEDOUT && !p->idle && p->open >= p->cap)) {
                    int cap = p->cap;
                    pthread_mutex_unlock(&p->mu);
                    if (msg && !(*msg = daoc__asprintf("timeout waiting for a free connection "
                                                       "from the pool (pg_pool_size = %d)",
                                                       cap)))
                        return DAOC_ENOMEM;
                    return DAOC_ESTORE;
                }
                continue;
            }
            atomic_fetch_sub(&p->waiters, 1);
        }
        if (!c)
            p->open++; /* below the cap: a new one */
        pthread_mutex_unlock(&p->mu);
        if (c && (*out = checked(c, t0)))
            return DAOC_OK;
        break; /* a place of its own (a new one, or the one a dead connection left) */
    }
open:
    /* holding one place, unlocked */
    {
        int rc = conn_open(p, deadline, out, msg);
        if (rc == DAOC_OK) {
            (*out)->borrowed_at = t0;
            return DAOC_OK;
        }
        pthread_mutex_lock(&p->mu);
        p->open--;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        return rc;
    }
}

void daoc__pg_pool_put(pg_conn *c, pg_slot *slot)
{
    if (!c)
        return;
    pg_pool *p = c->pool;
    c->notice = NULL;
    c->notice_ud = NULL;
    bool keep = !c->broken && PQstatus(c->pg) == CONNECTION_OK &&
                PQtransactionStatus(c->pg) == PQTRANS_IDLE;
    if (keep) {
        c->idle_since = c->borrowed_at;
        if (slot) {
            atomic_store(&slot->conn, c);
            if (atomic_load(&p->waiters) == 0)
                return;
            /* someone waits: to the idle list, unless a waiter took it already */
            if (!(c = atomic_exchange(&slot->conn, NULL)))
                return;
        }
        pthread_mutex_lock(&p->mu);
        push_idle(p, c);
        pthread_mutex_unlock(&p->mu);
        return;
    }
    conn_free(c);
    pthread_mutex_lock(&p->mu);
    p->open--;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void daoc__pg_pool_attach(pg_pool *p, pg_slot *slot)
{
    atomic_init(&slot->conn, NULL);
    pthread_mutex_lock(&p->mu);
    slot->next = p->slots;
    p->slots = slot;
    pthread_mutex_unlock(&p->mu);
}

void daoc__pg_pool_detach(pg_pool *p, pg_slot *slot)
{
    pthread_mutex_lock(&p->mu);
    for (pg_slot **l = &p->slots; *l; l = &(*l)->next) {
        if (*l == slot) {
            *l = slot->next;
            break;
        }
    }
    pg_conn *c = atomic_exchange(&slot->conn, NULL);
    if (c)
        push_idle(p, c);
    pthread_mutex_unlock(&p->mu);
}

const char *daoc__pg_pool_where(const pg_pool *p)
{
    return p->where;
}

void daoc__pg_pool_stats(pg_pool *p, int *open, int *idle, int *cap)
{
    pthread_mutex_lock(&p->mu);
    if (open)
        *open = p->open;
    if (idle) {
        *idle = p->nidle;
        for (const pg_slot *s = p->slots; s; s = s->next)
            *idle += atomic_load(&s->conn) != NULL;
    }
    if (cap)
        *cap = p->cap;
    pthread_mutex_unlock(&p->mu);
}

/* ---- registry --------------------------------------------------------------- */

static void pool_free(pg_pool *p)
{
    if (!p)
        return;
    while (p->idle) {
        pg_conn *c = p->idle;
        p->idle = c->next;
        conn_free(c);
    }
    for (int i = 0; i < NKEYS && p->keys[i]; i++)
        daoc__free(p->vals[i]);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    daoc__free(p->key);
    daoc__free(p->where);
    daoc__free(p->schema);
    daoc__free(p);
}

static const char *or_default(const char *v, const char *dflt)
{
    return v && v[0] ? v : dflt;
}

static pg_pool *pool_new(const daoc_config *cfg, const char *host, int port, const char *user,
                         const char *password, const char *database, char *key)
{
    pg_pool *p = daoc__calloc(1, sizeof *p);
    if (!p) {
        daoc__free(key);
        return NULL;
    }
    p->key = key;
    p->tx_pooling = cfg->pg_tx_pooling;
    p->timeout_ms = cfg->pg_timeout > 0 ? cfg->pg_timeout : 5000;
    p->cap = cfg->pg_pool_size > 0 ? cfg->pg_pool_size : 4;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&p->mu, NULL);

    p->where = host[0] == '/' ? daoc__asprintf("%s/.s.PGSQL.%d", host, port)
                              : daoc__asprintf("%s:%d", host, port);
    if (!p->where ||
        (cfg->pg_schema && cfg->pg_schema[0] && !(p->schema = daoc__strdup(cfg->pg_schema)))) {
        pool_free(p);
        return NULL;
    }
    char portb[16], ctimeout[16], options[160], utimeout[16];
    snprintf(portb, sizeof portb, "%d", port);
    /* a backstop for the deadline conn_open enforces itself */
    snprintf(ctimeout, sizeof ctimeout, "%d",
             (p->timeout_ms + 999) / 1000 < 1 ? 1 : (p->timeout_ms + 999) / 1000);
    snprintf(utimeout, sizeof utimeout, "%d", p->timeout_ms);
    /* timestamps print as "YYYY-MM-DD HH:MM:SS[.ffffff]+00" (text.c reads them) */
    snprintf(options, sizeof options,
             "-c TimeZone=UTC -c DateStyle=ISO -c statement_timeout=%d "
             "-c plan_cache_mode=force_generic_plan",
             p->timeout_ms);
    const char *sslmode = !cfg->pg_ssl ? "disable" : cfg->pg_ssl_verify ? "verify-full" : "require";
    int n = 0;
    bool failed = false;
#define KV(k, v) (p->keys[n] = (k), failed |= !(p->vals[n] = daoc__strdup(v)), n++)
    KV("host", host);
    KV("port", portb);
    KV("user", user);
    KV("dbname", database);
    if (password && password[0])
        KV("password", password);
    KV("connect_timeout", ctimeout);
    /* a transaction pooler passes no startup options (PgBouncer refuses
     * them): the server's own TimeZone then, which the timestamp reader
     * allows for (text.c), and pg_timeout enforced by the client alone */
    if (!p->tx_pooling)
        KV("options", options);
    KV("application_name", "daoc");
    KV("client_encoding", "UTF8");
    KV("sslmode", sslmode);
    if (host[0] != '/' && PQlibVersion() >= 120000)
        KV("tcp_user_timeout", utimeout); /* unacknowledged data: give up */
    if (host[0] != '/') {
        /* an idle pooled connection whose server or path vanished without a
         * word is found by the kernel, not by the next caller's timeout */
        KV("keepalives", "1");
        KV("keepalives_idle", "30");
        KV("keepalives_interval", "10");
        KV("keepalives_count", "3");
    }
#undef KV
    p->keys[n] = NULL;
    p->vals[n] = NULL;
    if (failed) {
        pool_free(p);
        return NULL;
    }
    return p;
}

int daoc__pg_pool_connect(pg_pool *p, pg_conn **out, char **msg)
{
    return conn_open(p, now_ms() + p->timeout_ms, out, msg);
}

void daoc__pg_conn_free(pg_conn *c)
{
    conn_free(c);
}

int daoc__pg_pool_ref(const daoc_config *cfg, bool replica, pg_pool **out)
{
    *out = NULL;
    const daoc__pg_conn_cfg *m = &cfg->pg, *r = replica ? &cfg->pg_ro : &cfg->pg;
    /* a replica value left empty is the primary's (Kong's rule) */
    const char *host = or_default(r->host, or_default(m->host, "127.0.0.1"));
    int port = replica && r->port_raw && r->port_raw[0] && r->port > 0 ? r->port : m->port;
    const char *user = or_default(r->user, or_default(m->user, ""));
    const char *password = replica ? or_default(r->password, m->password ? m->password : "")
                                   : (m->password ? m->password : "");
    const char *database = or_default(r->database, or_default(m->database, ""));
    char *key = daoc__asprintf("%s\x1f%d\x1f%s\x1f%s\x1f%s\x1f%s\x1f%d%d%d\x1f%d", host, port,
                               user, password, database, cfg->pg_schema ? cfg->pg_schema : "",
                               cfg->pg_ssl, cfg->pg_ssl_verify, cfg->pg_tx_pooling,
                               cfg->pg_timeout);
    if (!key)
        return DAOC_ENOMEM;
    int size = cfg->pg_pool_size > 0 ? cfg->pg_pool_size : 4;
    pthread_mutex_lock(&g_mu);
    pg_pool *p = g_pools;
    while (p && strcmp(p->key, key) != 0)
        p = p->next;
    if (p) {
        daoc__free(key);
        p->refs++;
        pthread_mutex_lock(&p->mu);
        if (size > p->cap) {
            p->cap = size;
            pthread_cond_broadcast(&p->cv);
        }
        pthread_mutex_unlock(&p->mu);
    } else if ((p = pool_new(cfg, host, port, user, password, database, key))) {
        p->refs = 1;
        p->next = g_pools;
        g_pools = p;
    }
    pthread_mutex_unlock(&g_mu);
    *out = p;
    return p ? DAOC_OK : DAOC_ENOMEM;
}

void daoc__pg_pool_unref(pg_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&g_mu);
    if (--p->refs > 0) {
        pthread_mutex_unlock(&g_mu);
        return;
    }
    pg_pool **pp = &g_pools;
    while (*pp && *pp != p)
        pp = &(*pp)->next;
    if (*pp)
        *pp = p->next;
    pthread_mutex_unlock(&g_mu);
    pool_free(p);
}
