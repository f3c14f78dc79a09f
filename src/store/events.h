/*
 * events.h -- reading the cluster_events outbox (the triggers of
 * store/events_ddl.h write it) and waiting for news of it, for the
 * cluster events of src/events:
 *   - daoc__events_read: the events after a point in time, oldest first,
 *     and the database's clock;
 *   - a listener: PostgreSQL's LISTEN on DAOC__EVENTS_NOTIFY over a
 *     connection of its own (no pool: it stays in LISTEN), which the
 *     triggers' NOTIFY wakes at each commit; SQLite has none (its readers
 *     poll), nor has a server behind a pooler that does not keep sessions.
 */
#ifndef DAOC_STORE_EVENTS_H
#define DAOC_STORE_EVENTS_H

#include <stdbool.h>

#include "store/store.h"

/* The clock the events' `at` is written with (the database's), epoch
 * seconds; and in *oldest (when not NULL) the start of the oldest
 * transaction still running that has written, by that clock, or 0 when
 * there is none or the store cannot tell (SQLite; a role that may not
 * see the other sessions).  An event not committed yet has an `at` no
 * older than its transaction's start, so a reader that reads back to
 * *oldest next time misses no event of a transaction however long. */
int daoc__events_now(daoc__store *st, double *now, double *oldest, char **msg);

/* Up to `limit` events whose `at` is after `after` (epoch seconds) and not
 * after the database's clock, ordered by at then id, as objects
 * {id, channel, data, at, nbf} (at, nbf: epoch seconds, nbf null when
 * none).  *rows is owned by the caller.  others_only: only the events a
 * trigger did not write (node_id not DAOC__EVENTS_ANY_NODE: broadcasts,
 * other writers), for a reader whose listener was told the triggers'
 * (their NOTIFY is part of their transaction); a store without a
 * listener reads them all. */
int daoc__events_read(daoc__store *st, double after, int limit, bool others_only, daoc_value **rows,
                      char **msg);

/* One event written by hand (Kong's cluster_events:broadcast): id and
 * node_id UUIDs, at = the database's clock, nbf = at + delay_s when
 * delay_s > 0; on PostgreSQL NOTIFYd as the triggers do.  Inside the
 * caller's transaction when there is one. */
int daoc__events_insert(daoc__store *st, const char *id, const char *node_id, const char *channel,
                        const char *data, double delay_s, char **msg);

/* Removes up to DAOC__EVENTS_EXPIRE_BATCH expired events (events_ddl.h),
 * skipping those another session is removing (PostgreSQL), and sets
 * *removed to how many it removed: the readers call it now and then, and
 * again while a call removes a full batch.  DAOC_OK or a store failure. */
int daoc__events_expire(daoc__store *st, size_t *removed, char **msg);

typedef struct daoc__listener daoc__listener;
/* A listener of cfg's database: DAOC_OK with *out, DAOC_EINVAL when the
 * store has no such thing (SQLite), or the failure to connect or LISTEN
 * (DAOC_ESTORE with *msg). */
int daoc__listener_open(const daoc_config *cfg, daoc__listener **out, char **msg);
/* PostgreSQL's (store/postgres/listen.c). */
int daoc__pg_listener_open(const daoc_config *cfg, daoc__listener **out, char **msg);
/* Waits up to timeout_ms for notifications, appending the payload of each
 * one that came ("<id>\n<channel>\n<data>", data empty when too long:
 * store/postgres/events.c) to `payloads` (an array); also returns early
 * when `wake_fd` becomes readable (-1: none).  DAOC_ESTORE when the
 * connection is lost (open a new listener). */
int daoc__listener_wait(daoc__listener *l, int timeout_ms, int wake_fd, daoc_value *payloads,
                        char **msg);
/* Whether notifications reach the listener: it NOTIFYs a token of its
 * own and waits up to timeout_ms for it.  DAOC_ESTORE with *msg when not
 * (behind a pooler in transaction mode, LISTEN holds no session).  The
 * other notifications that come meanwhile are appended to `payloads` (an
 * array; NULL: dropped) as daoc__listener_wait does.  When it answers
 * DAOC_OK, every notification of a transaction that committed before the
 * probe's own has come (PostgreSQL delivers them in commit order). */
int daoc__listener_probe(daoc__listener *l, int timeout_ms, daoc_value *payloads, char **msg);
void daoc__listener_close(daoc__listener *l);

#endif
