/*
 * listen.c -- PostgreSQL's listener of the cluster events (store/events.h):
 * a connection of the pool's target that belongs to no pool, in LISTEN on
 * DAOC__EVENTS_NOTIFY; a wait is a poll() on its socket (and the caller's
 * wake descriptor), then PQconsumeInput and PQnotifies until none is left.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/rand.h"
#include "store/events.h"
#include "store/events_ddl.h"
#include "store/postgres/pg_int.h"

struct daoc__listener {
    pg_pool *pool;
    pg_conn *c;
};

int daoc__pg_listener_open(const daoc_config *cfg, daoc__listener **out, char **msg)
{
    *out = NULL;
    daoc__listener *l = daoc__calloc(1, sizeof *l);
    if (!l)
        return DAOC_ENOMEM;
    int rc = daoc__pg_pool_ref(cfg, false, &l->pool);
    if (rc == DAOC_OK)
        rc = daoc__pg_pool_connect(l->pool, &l->c, msg);
    if (rc == DAOC_OK) {
        PGresult *r = NULL;
        bool done = PQsendQuery(l->c->pg, "LISTEN \"" DAOC__EVENTS_NOTIFY "\"") &&
                    daoc__pg_await(l->c, (int64_t)daoc__mono_ms() + 5000, &r);
        if (!done || !r || PQresultStatus(r) != PGRES_COMMAND_OK) {
            char *why = daoc__pg_trim(r ? PQresultErrorMessage(r) : PQerrorMessage(l->c->pg));
            if (msg)
                *msg = daoc__asprintf("LISTEN failed: %s", why ? why : "out of memory");
            daoc__free(why);
            rc = DAOC_ESTORE;
        }
        PQclear(r);
    }
    if (rc != DAOC_OK) {
        daoc__listener_close(l);
        return rc;
    }
    *out = l;
    return DAOC_OK;
}

int daoc__listener_wait(daoc__listener *l, int timeout_ms, int wake_fd, daoc_value *payloads,
                        char **msg)
{
    struct pollfd pf[2] = {{PQsocket(l->c->pg), POLLIN, 0}, {wake_fd, POLLIN, 0}};
    int n = poll(pf, wake_fd >= 0 ? 2 : 1, timeout_ms);
    if (n < 0 && errno != EINTR)
        return DAOC_ESTORE;
    if (n > 0 && pf[0].revents) {
        if (!PQconsumeInput(l->c->pg)) {
            char *why = daoc__pg_trim(PQerrorMessage(l->c->pg));
            if (msg)
                *msg = daoc__asprintf("the events listener lost its connection: %s",
                                      why ? why : "out of memory");
            daoc__free(why);
            return DAOC_ESTORE;
        }
        PGnotify *nt;
        int rc = DAOC_OK;
        while ((nt = PQnotifies(l->c->pg))) {
            if (rc == DAOC_OK)
                rc = daoc_arr_push(payloads, daoc_str(nt->extra ? nt->extra : ""));
            PQfreemem(nt);
        }
        return rc;
    }
    return DAOC_OK;
}

int daoc__listener_probe(daoc__listener *l, int timeout_ms, daoc_value *payloads, char **msg)
{
    char token[64], id[37];
    if (daoc__uuid_v4(id) != DAOC_OK)
        return DAOC_ENOMEM;
    snprintf(token, sizeof token, "daoc-probe-%s", id);
    const char *p[1] = {token};
    PGresult *r = NULL;
    bool sent = PQsendQueryParams(l->c->pg, "SELECT pg_notify('" DAOC__EVENTS_NOTIFY "', $1)", 1,
                                  NULL, p, NULL, NULL, 0) &&
                daoc__pg_await(l->c, (int64_t)daoc__mono_ms() + timeout_ms, &r);
    bool ok = sent && r && PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    if (!ok) {
        if (msg)
            *msg = daoc__strdup("the probe NOTIFY failed");
        return DAOC_ESTORE;
    }
    /* it may have come with the probe's own answer, or come next */
    int64_t deadline = (int64_t)daoc__mono_ms() + timeout_ms;
    int kept = DAOC_OK; /* ENOMEM: a notification was lost, so the probe failed */
    for (;;) {
        PGnotify *nt;
        bool found = false;
        while (PQconsumeInput(l->c->pg) && (nt = PQnotifies(l->c->pg))) {
            if (nt->extra && strcmp(nt->extra, token) == 0)
                found = true;
            else if (payloads && kept == DAOC_OK) /* another one: the caller's */
                kept = daoc_arr_push(payloads, daoc_str(nt->extra ? nt->extra : ""));
            PQfreemem(nt);
        }
        if (found)
            return kept;
        int64_t left = deadline - (int64_t)daoc__mono_ms();
        if (left <= 0)
            break;
        struct pollfd pf = {PQsocket(l->c->pg), POLLIN, 0};
        if (poll(&pf, 1, (int)left) < 0 && errno != EINTR)
            break;
    }
    if (msg)
        *msg = daoc__strdup("a NOTIFY did not reach its own LISTEN, as behind a pooler in "
                            "transaction mode");
    return DAOC_ESTORE;
}

void daoc__listener_close(daoc__listener *l)
{
    if (!l)
        return;
    daoc__pg_conn_free(l->c);
    if (l->pool)
        daoc__pg_pool_unref(l->pool);
    daoc__free(l);
}
