/*
 * wait.c -- a round trip on a pooled connection within a deadline: after
 * a PQsend* call, flushes what libpq queued and collects the results,
 * polling the connection's socket for no longer than the time left, and
 * when the deadline passes cancels the stuck command and gives up on the
 * connection.
 *
 * Connections are in libpq's non-blocking mode (pool.c), so sending never
 * waits on a full socket buffer either; every wait is the poll() here.
 * The results are collected as PQexec collects them: the last one is
 * kept, and a failed connection ends the collection.
 *
 * The cancel request.  PQcancel connects to the server and waits for it to
 * close that connection, with no timeout of its own: a server that stopped
 * answering (frozen, or the network gone) may keep it waiting for as long
 * as it is gone.  It runs in a thread of its own, which the caller waits
 * for at most PG_CANCEL_WAIT_MS; a request that takes longer is left to
 * finish (or fail) on its own, and the thread frees what it used.  The
 * connection is marked broken and timed out either way, so the pool drops
 * it: whatever the server still sends on it is never read as the answer
 * to a later command.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "core/alloc.h"
#include "core/rand.h"
#include "store/postgres/pg_int.h"

#define PG_CANCEL_WAIT_MS 200

/* ---- the cancel request ---------------------------------------------------- */

typedef struct cancel_job {
    PGcancel *cn;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    atomic_int refs; /* the caller and the thread: the last one frees */
} cancel_job;

static void job_unref(cancel_job *j)
{
    if (atomic_fetch_sub(&j->refs, 1) != 1)
        return;
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    daoc__free(j);
}

static void *cancel_main(void *arg)
{
    cancel_job *j = arg;
    char errbuf[256];
    (void)PQcancel(j->cn, errbuf, sizeof errbuf); /* best effort */
    PQfreeCancel(j->cn);
    pthread_mutex_lock(&j->mu);
    j->done = true;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    job_unref(j);
    return NULL;
}

/* Asks the server to cancel what pg runs; waits PG_CANCEL_WAIT_MS at most. */
static void cancel_bounded(PGconn *pg)
{
    PGcancel *cn = PQgetCancel(pg);
    if (!cn)
        return;
    cancel_job *j = daoc__calloc(1, sizeof *j);
    if (!j) {
        PQfreeCancel(cn);
        return;
    }
    j->cn = cn;
    atomic_init(&j->refs, 2);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&j->mu, NULL);

    pthread_attr_t ta;
    pthread_t th;
    pthread_attr_init(&ta);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    int crc = pthread_create(&th, &ta, cancel_main, j);
    pthread_attr_destroy(&ta);
    if (crc != 0) { /* no thread: no cancel (the server's statement_timeout remains) */
        PQfreeCancel(cn);
        atomic_store(&j->refs, 1);
        job_unref(j);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += PG_CANCEL_WAIT_MS * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&j->mu);
    while (!j->done && pthread_cond_timedwait(&j->cv, &j->mu, &ts) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&j->mu);
    job_unref(j);
}

/* ---- waiting ------------------------------------------------------------- */

/* Waits until pg's socket is ready for `events` or the deadline passes
 * (false).  An error or hang-up on the socket counts as ready: libpq finds
 * out what happened when it reads. */
static bool ready(PGconn *pg, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - (int64_t)daoc__mono_ms();
        if (left <= 0)
            return false;
        struct pollfd pf = {PQsocket(pg), events, 0};
        int n = poll(&pf, 1, (int)(left > 60000 ? 60000 : left));
        if (n > 0 || (n < 0 && errno != EINTR))
            return true;
    }
}

static atomic_uint_fast64_t g_round_trips;

uint64_t daoc_pg_round_trips(void)
{
    return (uint64_t)atomic_load_explicit(&g_round_trips, memory_order_relaxed);
}

bool daoc__pg_await(pg_conn *c, int64_t deadline, PGresult **out)
{
    atomic_fetch_add_explicit(&g_round_trips, 1, memory_order_relaxed);
    PGconn *pg = c->pg;
    PGresult *last = NULL;
    *out = NULL;
    for (;;) {
        if (PQstatus(pg) == CONNECTION_BAD || PQsocket(pg) < 0) {
            /* nothing more will come: PQgetResult answers at once */
            PGresult *r;
            while ((r = PQgetResult(pg))) {
                PQclear(last);
                last = r;
            }
            break;
        }
        int f = PQflush(pg); /* 0: all sent, 1: more to send, -1: failed */
        if (f != 1 && !PQisBusy(pg)) {
            PGresult *r = PQgetResult(pg);
            if (!r)
                break; /* the command's results are all in */
            PQclear(last);
            last = r;
            ExecStatusType t = PQresultStatus(r);
            if (t == PGRES_COPY_IN || t == PGRES_COPY_OUT || t == PGRES_COPY_BOTH)
                break; /* never sent here; as PQexec does */
            continue;
        }
        if (!ready(pg, f == 1 ? POLLIN | POLLOUT : POLLIN, deadline)) {
            PQclear(last);
            c->broken = true;
            c->timed_out = true;
            cancel_bounded(pg);
            return false;
        }
        (void)PQconsumeInput(pg); /* a failure shows in PQstatus */
    }
    *out = last;
    return true;
}
