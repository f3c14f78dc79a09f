/*
 * cluster.c -- Kong's cluster events for a node (daoc_cluster_*, daoc.h):
 * the node reads what the database's triggers wrote into cluster_events
 * (store/events_ddl.h) and tells its subscribers, by channel, of each
 * event once.
 *
 *   - On PostgreSQL a listener connection (store/events.h) waits in LISTEN:
 *     each committed change's NOTIFY carries "<id>\n<channel>\n<key>", which
 *     is told at once (milliseconds after the commit).  With pg_pooling =
 *     transaction (a pooler gives LISTEN no session to wait in), or when
 *     the listener cannot be had, or a probe NOTIFY sent on it does not come
 *     back within a second (an undeclared pooler, at best), the node says
 *     so once and relies on the reads below.
 *   - Every db_update_frequency seconds (and after a notification too long
 *     to carry its key) the node reads the events of the last window:
 *     those after its previous read's start minus LOOKBACK_S (a change's
 *     `at` is its statement's clock, its commit comes later), or on
 *     PostgreSQL back to the start of the oldest transaction that was
 *     writing at that read, by up to HOLD_MAX_S, so that a long
 *     transaction's events are not missed when it commits -- the fallback
 *     for missed notifications, and all there is on SQLite (where daoc's
 *     store gives the events a transaction's triggers wrote the time of
 *     its commit, store/sqlite/events.c, for the same reason).
 *     Nothing older than the reader's opening is told (a transaction
 *     running then whose `at` came before it is missed, as in Kong).
 *   - While the listener has been up since before a full read began, it
 *     has been told every trigger's event since (their NOTIFY is part of
 *     their transaction), so the thread's periodic reads take only the
 *     events no trigger wrote (broadcasts, Kong nodes' inserts: a partial
 *     index of cluster_events holds them), after a probe round trip that
 *     shows the listener still gets its notifications (PostgreSQL
 *     delivers them in commit order, so all those committed before the
 *     probe came first); a probe that fails ends the listener and the read
 *     is full.  A notification too long to carry its key makes the next
 *     read full too.
 *   - Each event is told once: the ids told are remembered for the window
 *     (seen.c: a hash index, as a busy window holds thousands).
 *   - Expired events (an hour old) are removed by the reads every
 *     EXPIRE_EVERY_S, by batches, rather than by every write; a read that
 *     finds more than EXPIRE_BATCHES full batches leaves the rest to the
 *     next read.
 *   - After a wake that brought notifications the thread lingers
 *     LINGER_MS before it waits again: under a burst of commits it wakes
 *     about once a millisecond for all of them rather than once per
 *     commit (bench_admin: the node's own POSTs cost its process ~7 us
 *     more each without it), and an event alone is told at once.
 *   - db_update_propagation > 0 (a replica's lag): an event is told only
 *     once it is that old, by the reads alone; a broadcast event with a
 *     delay (its nbf) is told by the first read after its time.
 * The thread of daoc_cluster_start does both; daoc_cluster_poll is one
 * read in the caller's thread (for a program with its own loop, and
 * tests).  Subscribers run in whichever thread tells them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/rand.h"
#include "daoc.h"
#include "events/events.h"
#include "store/events.h"
#include "store/events_ddl.h"
#include "store/store.h"

#define LOOKBACK_S 5.0
#define HOLD_MAX_S 60.0
#define PAGE 1000
#define MAX_PAGES 50
#define EXPIRE_EVERY_S 60.0
#define EXPIRE_BATCHES 20
#define LINGER_MS 1

typedef struct sub {
    char *channel; /* NULL: every channel */
    daoc_cluster_fn fn;
    void *ud;
} sub;

struct daoc_cluster {
    daoc_config *cfg; /* owned copy */
    daoc__store *st;  /* owned: the reads */
    daoc__listener *lst;
    pthread_mutex_t mu; /* subs, seen, cursor, counters */
    sub *subs;
    size_t nsubs;
    daoc__seen seen;
    double cursor;      /* database time of the previous read's start */
    double oldest;      /* then, the oldest writing transaction's start (0: none) */
    double known;       /* every event told with an `at` after this is in seen */
    double floor;       /* database time at open: nothing older is told */
    double held_at;     /* the `at` of the oldest event waiting for its nbf, or 0 */
    double next_expire; /* database time of the next removal of expired events */
    double freq, prop;
    bool listening;
    bool heard_all; /* the listener has been up since before a full read
                     * began: NOTIFY has told every trigger's event since */
    bool said_polling;
    pthread_t thread;
    bool started;
    int wake[2];
    atomic_bool stop;
    uint64_t reads, reads_others, notifications, told;
};

/* Logs m (taken; NULL: nothing) through the configuration's function. */
static void say(daoc_cluster *c, daoc_log_level lvl, char *m)
{
    daoc_log_fn fn = NULL;
    void *ud = NULL;
    daoc_config_get_log(c->cfg, &fn, &ud);
    if (fn && m)
        fn(ud, lvl, m);
    daoc__free(m);
}

/* Tells the subscribers of channel (under mu). */
static void tell(daoc_cluster *c, const char *channel, const char *data)
{
    c->told++;
    for (size_t i = 0; i < c->nsubs; i++)
        if (!c->subs[i].channel || strcmp(c->subs[i].channel, channel) == 0)
            c->subs[i].fn(c->subs[i].ud, channel, data);
}

/* Where the next read starts (an event's `at` after it): LOOKBACK_S
 * before the previous read's start, or back to the start of the oldest
 * transaction that was writing then (its events, not committed at that
 * read, are no older: store/events.h) by at most HOLD_MAX_S, and not
 * before what seen still knows (a transaction that wrote late in its life
 * has no event older than that); never before the reader's opening; and
 * back to an event waiting for its nbf. */
static double window_start(const daoc_cluster *c)
{
    double after = c->cursor - LOOKBACK_S;
    if (c->oldest > 0 && c->oldest - 0.002 < after) {
        double hold = c->cursor - HOLD_MAX_S;
        after = c->oldest - 0.002 > hold ? c->oldest - 0.002 : hold;
    }
    if (after < c->known)
        after = c->known;
    if (after < c->floor)
        after = c->floor;
    if (c->held_at > 0 && c->held_at - 0.001 < after)
        after = c->held_at - 0.001;
    return after;
}

/* One read of the window; *told the events told.  others_only: the
 * events no trigger wrote only (the listener was told the others). */
static int read_window(daoc_cluster *c, bool others_only, size_t *told, char **msg)
{
    double now = 0, oldest = 0;
    int rc = daoc__events_now(c->st, &now, &oldest, msg);
    if (rc != DAOC_OK)
        return rc;
    double upto = now - c->prop; /* an event younger than this waits */
    double after = window_start(c);
    c->held_at = 0;
    size_t n = 0;
    for (int page = 0; rc == DAOC_OK && page < MAX_PAGES; page++) {
        daoc_value *rows = NULL;
        rc = daoc__events_read(c->st, after, PAGE, others_only, &rows, msg);
        size_t len = rc == DAOC_OK ? daoc_value_len(rows) : 0;
        for (size_t i = 0; i < len; i++) {
            const daoc_value *r = daoc_arr_get(rows, i);
            const char *id = daoc_value_str(daoc_obj_get(r, "id"), NULL);
            const char *ch = daoc_value_str(daoc_obj_get(r, "channel"), NULL);
            const daoc_value *dv = daoc_obj_get(r, "data");
            double at = daoc_value_num(daoc_obj_get(r, "at"));
            const daoc_value *nbf = daoc_obj_get(r, "nbf");
            after = at;
            if (!id || !ch || at > upto || daoc__seen_has(&c->seen, id))
                continue;
            if (nbf && daoc_value_type(nbf) != DAOC_TNULL && daoc_value_num(nbf) > now) {
                if (c->held_at == 0 || at < c->held_at)
                    c->held_at = at; /* read again until its time comes */
                continue;
            }
            daoc__seen_add(&c->seen, id, at);
            tell(c, ch, dv && daoc_value_type(dv) == DAOC_TSTR ? daoc_value_str(dv, NULL) : "");
            n++;
        }
        daoc_value_free(rows);
        if (len < PAGE)
            break;
    }
    if (rc == DAOC_OK) {
        c->cursor = upto;
        c->oldest = oldest;
        c->reads++;
        c->reads_others += others_only;
        /* what the next read may find again stays known */
        double keep = window_start(c) - LOOKBACK_S;
        if (keep > c->known) {
            daoc__seen_prune(&c->seen, keep);
            c->known = keep;
        }
        /* expired events go now and then (Kong: a timer every 300 s), by
         * batches while batches come full, at most EXPIRE_BATCHES of them
         * per read: a read that stops there removes more at the next */
        if (now >= c->next_expire) {
            size_t removed = 0;
            int batches = 0;
            char *why = NULL;
            while (batches < EXPIRE_BATCHES &&
                   daoc__events_expire(c->st, &removed, &why) == DAOC_OK &&
                   removed >= DAOC__EVENTS_EXPIRE_N)
                batches++;
            if (!why)
                c->next_expire = batches < EXPIRE_BATCHES ? now + EXPIRE_EVERY_S : now;
            daoc__free(why);
        }
    }
    if (told)
        *told = n;
    return rc;
}

/* A notification's payload: "<id>\n<channel>\n<data>".  false when it
 * carries no data (the next read gets the event). */
static bool notified(daoc_cluster *c, const char *p)
{
    char id[37], ch[128];
    const char *data = NULL;
    int kind = daoc__events_payload(p, id, ch, sizeof ch, &data);
    if (kind <= 0)
        return kind < 0; /* a probe: nothing to read; no data: read the table */
    c->notifications++;
    if (!daoc__seen_has(&c->seen, id)) {
        /* kept a window past the next read */
        daoc__seen_add(&c->seen, id, c->cursor + LOOKBACK_S);
        tell(c, ch, data);
    }
    return true;
}

/* The listener, probed: a NOTIFY it sends itself must come back. */
static void listen_open(daoc_cluster *c)
{
    char *msg = NULL;
    daoc__listener *l = NULL;
    if (c->cfg->pg_tx_pooling) { /* the pooler gives LISTEN no session to wait in */
        if (!c->said_polling)
            say(c, DAOC_LOG_INFO, /* as configured: no news */
                daoc__asprintf("cluster events: pg_pooling = transaction, so no LISTEN; reading "
                               "cluster_events every %g s (db_update_frequency)",
                               c->freq));
        c->said_polling = true;
        return;
    }
    int rc = daoc__listener_open(c->cfg, &l, &msg);
    if (rc == DAOC_EINVAL) /* SQLite */
        return;
    if (rc == DAOC_OK) {
        char *why = NULL;
        rc = daoc__listener_probe(l, 1000, NULL, &why); /* the first read reads them */
        if (rc != DAOC_OK) {
            daoc__free(msg);
            msg = why;
        }
    }
    if (rc != DAOC_OK) {
        daoc__listener_close(l);
        if (!c->said_polling)
            say(c, DAOC_LOG_NOTICE,
                daoc__asprintf("cluster events: LISTEN/NOTIFY is not available (%s); reading "
                               "cluster_events every %g s (db_update_frequency)",
                               msg ? msg : daoc_strerror(rc), c->freq));
        c->said_polling = true;
        daoc__free(msg);
        return;
    }
    c->lst = l;
    c->heard_all = false; /* until a full read after this */
    pthread_mutex_lock(&c->mu);
    c->listening = true;
    pthread_mutex_unlock(&c->mu);
}

/* The listener is gone (why: taken): the reads read everything again. */
static void listen_lost(daoc_cluster *c, char *why)
{
    say(c, DAOC_LOG_WARN,
        daoc__asprintf("cluster events: %s; reading cluster_events meanwhile",
                       why ? why : "the listener failed"));
    daoc__free(why);
    daoc__listener_close(c->lst);
    c->lst = NULL;
    c->heard_all = false;
    pthread_mutex_lock(&c->mu);
    c->listening = false;
    pthread_mutex_unlock(&c->mu);
}

/* Tells the notifications in payloads (under mu); false when one carried
 * no data (the table must be read). */
static bool tell_notified(daoc_cluster *c, const daoc_value *payloads)
{
    bool all = true;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < daoc_value_len(payloads); i++)
        if (!notified(c, daoc_value_str(daoc_arr_get(payloads, i), NULL)))
            all = false;
    pthread_mutex_unlock(&c->mu);
    return all;
}

/* A read of the thread's: while the listener has heard everything since
 * a full read, a probe round trip (a NOTIFY the listener must get back,
 * after every notification committed before it) stands in for the
 * triggers' events, and the read takes only the others; else, and when
 * the probe fails, a full read. */
static void thread_read(daoc_cluster *c, bool full)
{
    bool others_only = false;
    daoc_value *payloads = c->lst && c->heard_all && !full ? daoc_arr() : NULL;
    if (payloads) { /* (ENOMEM: a full read) */
        char *why = NULL;
        int rc = daoc__listener_probe(c->lst, 1000, payloads, &why);
        others_only = tell_notified(c, payloads) && rc == DAOC_OK;
        daoc_value_free(payloads);
        if (rc != DAOC_OK)
            listen_lost(c, why ? why : daoc__strdup(daoc_strerror(rc)));
        else
            daoc__free(why);
    }
    char *msg = NULL;
    pthread_mutex_lock(&c->mu);
    int rc = read_window(c, others_only, NULL, &msg);
    pthread_mutex_unlock(&c->mu);
    if (rc == DAOC_OK && c->lst && !others_only)
        c->heard_all = true; /* the listener was up before this read began */
    if (rc != DAOC_OK)
        say(c, DAOC_LOG_WARN,
            daoc__asprintf("cluster events: cannot read cluster_events: %s",
                           msg ? msg : daoc_strerror(rc)));
    daoc__free(msg);
}

static void *run(void *arg)
{
    daoc_cluster *c = arg;
    double next_read = daoc__mono_ms() + c->freq * 1000, next_listen = 0;
    while (!atomic_load(&c->stop)) {
        double now = daoc__mono_ms();
        if (!c->lst && c->prop <= 0 && now >= next_listen) {
            listen_open(c);
            next_listen = now + 30000; /* try again later when it failed */
            if (c->lst)                /* what came before the LISTEN took hold: read it now */
                next_read = now;
        }
        int wait = (int)(next_read - now);
        if (wait < 0)
            wait = 0;
        bool due = wait == 0, full = false; /* full: the table must be read whole */
        if (c->lst) {
            daoc_value *payloads = daoc_arr();
            char *msg = NULL;
            int rc = payloads ? daoc__listener_wait(c->lst, wait, c->wake[0], payloads, &msg)
                              : DAOC_ENOMEM;
            size_t got = daoc_value_len(payloads);
            if (!tell_notified(c, payloads))
                full = true;
            daoc_value_free(payloads);
            if (got > 0 && rc == DAOC_OK) { /* linger: the next ones come together */
                struct pollfd pf = {c->wake[0], POLLIN, 0};
                (void)poll(&pf, 1, LINGER_MS);
            }
            if (rc != DAOC_OK) {
                listen_lost(c, msg ? msg : daoc__strdup(daoc_strerror(rc)));
                full = true;
            } else {
                daoc__free(msg);
            }
        } else {
            struct pollfd pf = {c->wake[0], POLLIN, 0};
            (void)poll(&pf, 1, wait);
        }
        if (atomic_load(&c->stop))
            break;
        if (due || full || daoc__mono_ms() >= next_read) {
            thread_read(c, full);
            next_read = daoc__mono_ms() + c->freq * 1000;
        }
    }
    return NULL;
}

/* ---- the public API ------------------------------------------------------------ */

int daoc_cluster_open(daoc_cluster **out, const daoc_config *cfg, daoc_error **err)
{
    daoc__err_reset(err);
    if (!out || !cfg)
        return daoc__err_fail(err, DAOC_EINVAL, "%s is NULL", out ? "cfg" : "out");
    *out = NULL;
    daoc_cluster *c = daoc__calloc(1, sizeof *c);
    if (!c)
        return DAOC_ENOMEM;
    c->wake[0] = c->wake[1] = -1;
    pthread_mutex_init(&c->mu, NULL);
    char *msg = NULL;
    int rc = (c->cfg = daoc__config_copy(cfg)) ? DAOC_OK : DAOC_ENOMEM;
    if (rc == DAOC_OK) {
        c->freq = strtod(daoc_config_get(c->cfg, "db_update_frequency"), NULL);
        c->prop = strtod(daoc_config_get(c->cfg, "db_update_propagation"), NULL);
        if (strcmp(c->cfg->database, "postgres") == 0)
            rc = daoc__pg_open(&c->st, c->cfg, &msg);
        else
            rc = daoc__sqlite_open(&c->st, c->cfg->sqlite_path, &msg);
    }
    /* from now on: `at` has whole milliseconds, so an event of this very
     * millisecond is after the floor, not before */
    if (rc == DAOC_OK && (rc = daoc__events_now(c->st, &c->floor, NULL, &msg)) == DAOC_OK)
        c->cursor = c->floor -= 0.002;
    if (rc == DAOC_OK && pipe(c->wake) != 0)
        rc = DAOC_EIO;
    if (rc == DAOC_OK) {
        (void)fcntl(c->wake[0], F_SETFL, O_NONBLOCK);
        (void)fcntl(c->wake[1], F_SETFL, O_NONBLOCK);
    }
    if (rc != DAOC_OK) {
        rc = daoc__err_fail(err, rc, "cluster events: %s", msg ? msg : daoc_strerror(rc));
        daoc__free(msg);
        daoc_cluster_close(c);
        return rc;
    }
    *out = c;
    return DAOC_OK;
}

int daoc_cluster_subscribe(daoc_cluster *c, const char *channel, daoc_cluster_fn fn, void *ud)
{
    if (!c || !fn)
        return DAOC_EINVAL;
    char *ch = channel ? daoc__strdup(channel) : NULL;
    if (channel && !ch)
        return DAOC_ENOMEM;
    pthread_mutex_lock(&c->mu);
    sub *s = daoc__realloc(c->subs, (c->nsubs + 1) * sizeof *s);
    if (s) {
        c->subs = s;
        c->subs[c->nsubs++] = (sub){ch, fn, ud};
    }
    pthread_mutex_unlock(&c->mu);
    if (!s) {
        daoc__free(ch);
        return DAOC_ENOMEM;
    }
    return DAOC_OK;
}

int daoc_cluster_start(daoc_cluster *c, daoc_error **err)
{
    daoc__err_reset(err);
    if (!c || c->started)
        return daoc__err_fail(err, DAOC_EINVAL, c ? "already started" : "cluster is NULL");
    if (pthread_create(&c->thread, NULL, run, c) != 0)
        return daoc__err_fail(err, DAOC_EIO, "cannot start the cluster events thread");
    c->started = true;
    return DAOC_OK;
}

int daoc_cluster_poll(daoc_cluster *c, size_t *told, daoc_error **err)
{
    daoc__err_reset(err);
    if (told)
        *told = 0;
    if (!c || c->started)
        return daoc__err_fail(err, DAOC_EINVAL,
                              c ? "the cluster's own thread reads (daoc_cluster_start)"
                                : "cluster is NULL");
    char *msg = NULL;
    pthread_mutex_lock(&c->mu);
    int rc = read_window(c, false, told, &msg);
    pthread_mutex_unlock(&c->mu);
    if (rc != DAOC_OK)
        rc = daoc__err_fail(err, rc, "cluster events: cannot read cluster_events: %s",
                            msg ? msg : daoc_strerror(rc));
    daoc__free(msg);
    return rc;
}

int daoc_cluster_broadcast(daoc_cluster *c, const char *channel, const char *data, double delay,
                           daoc_error **err)
{
    daoc__err_reset(err);
    if (!c || !channel || !data)
        return daoc__err_fail(err, DAOC_EINVAL, "%s is NULL",
                              !c         ? "cluster"
                              : !channel ? "channel"
                                         : "data");
    if (delay < 0 || delay != delay)
        return daoc__err_fail(err, DAOC_EINVAL, "delay must be 0 or more");
    if (c->prop > delay)
        delay = c->prop; /* Kong: db_update_propagation overrides it */
    char id[37], *msg = NULL;
    int rc = daoc__uuid_v4(id);
    pthread_mutex_lock(&c->mu); /* the store is one handle */
    if (rc == DAOC_OK)
        rc = daoc__events_insert(c->st, id, daoc_node_id(), channel, data, delay, &msg);
    /* this node's own event is not told back to it */
    if (rc == DAOC_OK)
        daoc__seen_add(&c->seen, id, c->cursor + LOOKBACK_S);
    pthread_mutex_unlock(&c->mu);
    if (rc != DAOC_OK)
        rc = daoc__err_fail(err, rc, "could not insert invalidation row: %s",
                            msg ? msg : daoc_strerror(rc));
    daoc__free(msg);
    return rc;
}

/* ---- feeding a cache ------------------------------------------------------------ */

static void drop(void *ud, const char *channel, const char *data)
{
    (void)channel;
    if (data && *data)
        (void)daoc_cache_invalidate_local(ud, data, strlen(data));
}

int daoc_cluster_feed_cache(daoc_cluster *c, daoc_cache *cache)
{
    if (!c || !cache)
        return DAOC_EINVAL;
    int rc = daoc_cluster_subscribe(c, "invalidations", drop, cache);
    return rc == DAOC_OK
               ? daoc_cluster_subscribe(c, "invalidations_kong_core_db_cache", drop, cache)
               : rc;
}

void daoc_cluster_invalidation(void *cluster, const char *key, size_t keylen)
{
    char *k = daoc__strndup(key, keylen);
    /* best effort, as Kong (which logs it): the others then keep their copy
     * until its ttl */
    if (cluster && k && daoc_cluster_broadcast(cluster, "invalidations", k, 0, NULL) != DAOC_OK) {
    }
    daoc__free(k);
}

daoc_value *daoc_cluster_stats(daoc_cluster *c)
{
    if (!c)
        return NULL;
    daoc_value *o = daoc_obj();
    pthread_mutex_lock(&c->mu);
    bool ok = o && daoc_obj_set(o, "listening", daoc_bool(c->listening)) == DAOC_OK &&
              daoc_obj_set(o, "reads", daoc_int((int64_t)c->reads)) == DAOC_OK &&
              daoc_obj_set(o, "reads_others", daoc_int((int64_t)c->reads_others)) == DAOC_OK &&
              daoc_obj_set(o, "notifications", daoc_int((int64_t)c->notifications)) == DAOC_OK &&
              daoc_obj_set(o, "told", daoc_int((int64_t)c->told)) == DAOC_OK &&
              daoc_obj_set(o, "db_update_frequency", daoc_num(c->freq)) == DAOC_OK &&
              daoc_obj_set(o, "db_update_propagation", daoc_num(c->prop)) == DAOC_OK;
    pthread_mutex_unlock(&c->mu);
    if (!ok) {
        daoc_value_free(o);
        return NULL;
    }
    return o;
}

void daoc_cluster_close(daoc_cluster *c)
{
    if (!c)
        return;
    if (c->started) {
        atomic_store(&c->stop, true);
        if (write(c->wake[1], "x", 1) < 0) {
            /* the thread also wakes within db_update_frequency */
        }
        pthread_join(c->thread, NULL);
    }
    daoc__listener_close(c->lst);
    if (c->st)
        c->st->ops->close(c->st);
    for (size_t i = 0; i < c->nsubs; i++)
        daoc__free(c->subs[i].channel);
    daoc__free(c->subs);
    daoc__seen_free(&c->seen);
    for (int i = 0; i < 2; i++)
        if (c->wake[i] >= 0)
            close(c->wake[i]);
    daoc_config_free(c->cfg);
    pthread_mutex_destroy(&c->mu);
    daoc__free(c);
}
