/*
 * meta.h -- the migration state a database keeps about itself (meta.c):
 * Kong's `schema_meta` (which migrations of which subsystem ran, which
 * still have a teardown pending) and `locks` (the cluster mutex), in
 * Kong's exact layout so that a database Kong bootstrapped and one daoc
 * bootstrapped read the same to both, plus daoc's own ledger
 * `daoc_migrations` (one row per applied migration: the checksum of its
 * source, when it ran, for how long, on which host and pid).
 *
 * The migrations engine is the only user.  Every member runs on the
 * store's per-deployment table (store/deploy.h); the statements are each
 * store's (store/<store>/meta.c, reached as st->deploy->meta), the logic
 * here is shared.  Every value is a bound parameter; the table and
 * column names are fixed.
 *
 * Clocks.  PostgreSQL's `now()` (the server's clock, the transaction's
 * start) decides lock expiry there; SQLite, which has no server, uses this
 * process's clock (daoc__now), as its TTL columns do.
 *
 * Errors (every member): DAOC_OK; DAOC_EINVAL for a NULL or malformed
 * argument (nothing is run); DAOC_ESTORE with *msg (the driver's text,
 * owned by the caller: daoc_free) when a statement fails, the database then
 * as it was; DAOC_ENOMEM.  Out-pointers are set to NULL / false first and
 * owned by the caller.  Inside the caller's transaction when one is open.
 */
#ifndef DAOC_STORE_META_H
#define DAOC_STORE_META_H

#include <stdbool.h>

#include "store/store.h"

typedef enum {
    DAOC__META_EXECUTED, /* the migration's up (and up_f) ran: no teardown, or it ran too */
    DAOC__META_PENDING,  /* up ran, its teardown is still to run (`finish`) */
    DAOC__META_TEARDOWN  /* the teardown of a pending migration ran */
} daoc__meta_state;

/* What daoc records beside Kong's state for one run of one migration.
 * checksum and host may be NULL (stored as NULL). */
typedef struct daoc__meta_ledger {
    const char *checksum; /* of the migration's source text */
    double started_at;    /* seconds since the epoch */
    double duration_ms;
    const char *host;
    long pid;
} daoc__meta_ledger;

/* What Kong's core migrations make besides the entity tables, that
 * plugins' migrations and the cluster rely on, made when missing
 * (idempotent): Kong's `cluster_events` table (id, node_id, at, nbf,
 * expire_at, channel, data; indexes on at, channel, expire_at),
 * `clustering_rpc_requests` (id BIGSERIAL, node_id, reply_to, ttl,
 * payload JSON; index on node_id) and `clustering_sync_version` (version
 * BIGSERIAL), and, on PostgreSQL, the trigger function
 * batch_delete_expired_rows(<column>) (Kong 3.2+: a statement trigger that
 * deletes a few expired rows of its table, which plugin migrations attach
 * to their TTL tables) attached to cluster_events and, when the table
 * exists, clustering_data_planes, and the routes columns `expression` and
 * `priority` (Kong's expressions router; daoc's routes have no such
 * fields).  Then the row ('cluster_id', a new random
 * UUID) of the `parameters` entity table, unless it has one (Kong's
 * 013_220_to_230): that table must exist.  Run by the core's 000_base
 * migration, after the entity tables. */
int daoc__meta_core_base(daoc__store *st, char **msg);

/* A scratch database beside the store's own, on the same server, for `daoc
 * migrations check`: created (empty) when `create`, else dropped when it
 * exists.  name must be 1..63 of [a-z0-9_] (DAOC_EINVAL otherwise; the
 * caller makes it, so it is written into the statement quoted, not bound).
 * Runs outside any transaction.  DAOC_EINVAL too where the store has no
 * databases beside its own (SQLite). */
int daoc__meta_scratch(daoc__store *st, const char *name, bool create, char **msg);

/* Creates, when missing (CREATE ... IF NOT EXISTS, all or nothing):
 *   schema_meta (key TEXT, subsystem TEXT, last_executed TEXT,
 *                executed TEXT[], pending TEXT[], PRIMARY KEY (key, subsystem))
 *   locks (key TEXT PRIMARY KEY, owner TEXT, ttl TIMESTAMP WITH TIME ZONE)
 *     and the index locks_ttl_idx ON locks (ttl)
 * as Kong's schema_bootstrap does on PostgreSQL (SQLite: the same names,
 * the arrays as JSON array text, ttl as REAL epoch seconds), and daoc's
 *   daoc_migrations (subsystem, name, checksum, started_at, duration_ms,
 *                    host, pid, PRIMARY KEY (subsystem, name))
 * (PostgreSQL: started_at TIMESTAMP WITH TIME ZONE, duration_ms DOUBLE
 * PRECISION, pid BIGINT; SQLite: REAL, REAL, INTEGER).  Idempotent; tables
 * that exist are left as they are.  Two bootstraps at once on PostgreSQL
 * are serialized (a transaction-scoped advisory lock), so neither fails on
 * the other's half-created table. */
int daoc__meta_bootstrap(daoc__store *st, char **msg);

/* *exists = the table schema_meta exists (PostgreSQL: in current_schema(),
 * the schema every other table is read from): false means the database
 * needs a bootstrap. */
int daoc__meta_exists(daoc__store *st, bool *exists, char **msg);

/* *rows = an array with one object per row of schema_meta whose key is
 * 'schema_meta', sorted by subsystem (bytewise):
 *   {subsystem = s, last_executed = s | null, executed = [s...], pending = [s...]}
 * NULL arrays read as [].  Duplicates are kept, in the order recorded.
 * Without the table, DAOC_ESTORE. */
int daoc__meta_load(daoc__store *st, daoc_value **rows, char **msg);

/* Kong's record_migration (connector.lua), an upsert on ('schema_meta',
 * subsystem):
 *   EXECUTED  last_executed = name, executed = executed || [name]
 *   PENDING   pending = pending || [name] (last_executed, executed unchanged)
 *   TEARDOWN  as EXECUTED, and every `name` removed from pending
 * (a missing row or a NULL array counts as empty).  Appends do not
 * de-duplicate: a re-run (--force) records the name again, as Kong does.
 * l non-NULL: the ledger row (subsystem, name) is written too, replacing
 * an earlier one; both writes in one transaction. */
int daoc__meta_record(daoc__store *st, const char *subsystem, const char *name,
                      daoc__meta_state state, const daoc__meta_ledger *l, char **msg);

/* *rows = the ledger, sorted by subsystem then name (bytewise): objects
 *   {subsystem = s, name = s, checksum = s | null, started_at = number,
 *    duration_ms = number, host = s | null, pid = integer}
 * (started_at, duration_ms, pid null where they were never written). */
int daoc__meta_ledger_load(daoc__store *st, daoc_value **rows, char **msg);

/* Undoes the record of one migration that a legacy `down` rolled back:
 * name leaves executed and pending, last_executed becomes `last` (NULL:
 * null), its ledger row goes; in one transaction. */
int daoc__meta_unrecord(daoc__store *st, const char *subsystem, const char *name,
                        const char *last, char **msg);

/* Kong's insert_lock: in one transaction, deletes every expired lock
 * (ttl < now) and inserts (key, owner, now + ttl_s) unless a row for key
 * exists.  *got = the insert took (the caller holds the lock).  ttl_s
 * finite and > 0, else DAOC_EINVAL. */
int daoc__meta_lock(daoc__store *st, const char *key, const char *owner, double ttl_s, bool *got,
                    char **msg);

/* The heartbeat: sets the lock's ttl to now + ttl_s when the row for key
 * is owner's (expired or not: nobody took it over).  *still = it was;
 * false means another owner took the lock over, or it was removed.  ttl_s
 * as for daoc__meta_lock. */
int daoc__meta_lock_refresh(daoc__store *st, const char *key, const char *owner, double ttl_s,
                            bool *still, char **msg);

/* *holder = {owner = s, ttl = seconds since the epoch (a number)} of the
 * unexpired lock on key (ttl >= now), or NULL when there is none. */
int daoc__meta_lock_read(daoc__store *st, const char *key, daoc_value **holder, char **msg);

/* Removes the lock on key if owner holds it (Kong's remove_lock); another
 * owner's lock is left.  DAOC_OK either way. */
int daoc__meta_unlock(daoc__store *st, const char *key, const char *owner, char **msg);

/* Kong's reset: everything of the database goes.  PostgreSQL: DROP SCHEMA
 * <current_schema()> CASCADE then CREATE SCHEMA of the same name
 * AUTHORIZATION CURRENT_USER; when the user may not do that
 * (insufficient_privilege), every table of current_schema() is dropped
 * CASCADE instead.  SQLite: every table, view, index and trigger is
 * dropped, with foreign keys off meanwhile (inside the caller's
 * transaction, where SQLite cannot switch them off, their checks are
 * deferred to its commit instead).  All or nothing.  The
 * store's own bookkeeping of the tables it served is not cleared: reopen
 * the database to serve it again. */
int daoc__meta_reset(daoc__store *st, char **msg);

/* The statements of one store (store/<store>/meta.c), reached as
 * st->deploy->meta.  Placeholders are the store's ($n / ?n).  When
 * now_param, every statement marked [now] takes the current time (epoch
 * seconds) as its last parameter; otherwise they read the server's clock
 * and take no such parameter. */
typedef struct daoc__meta_dialect {
    bool now_param;
    const char *bootstrap;   /* script */
    const char *load;        /* columns subsystem, last_executed, executed, pending (JSON text) */
    const char *record[3];   /* by daoc__meta_state; params subsystem, name */
    const char *ledger_put;  /* params subsystem, name, checksum, started_at, duration_ms,
                                host, pid */
    const char *ledger_load; /* the columns of daoc__meta_ledger_load */
    /* by state: its upsert and ledger_put's in one statement (params as
     * ledger_put's), or NULL: the two in a transaction */
    const char *record_ledger[3];
    const char *lock_expire;  /* [now] */
    const char *lock_insert;  /* key, owner, ttl_s [now]; a row when inserted */
    const char *lock_refresh; /* key, owner, ttl_s [now]; a row when updated */
    const char *lock_read;    /* key [now]; columns owner, ttl (epoch seconds) */
    const char *unlock;       /* key, owner */
    int (*reset)(daoc__store *st, char **msg);
    const char *core_base;    /* script: daoc__meta_core_base */
    const char *cluster_id;   /* param the uuid: parameters' cluster_id unless it has one */
    const char *unrecord;     /* subsystem, name, last: daoc__meta_unrecord */
    /* store/events.h: after (epoch s), limit; and the clock the events'
     * `at` is written with */
    const char *events_read, *events_now;
    /* events_read for the events no trigger wrote only (NULL: the store
     * has no listener) */
    const char *events_read_others;
    /* id, node_id, channel, data, delay_s: one event (broadcast); and the
     * removal of up to DAOC__EVENTS_EXPIRE_BATCH expired events, a row per
     * event removed */
    const char *events_insert, *events_expire;
    const char *ledger_del;   /* subsystem, name */
    /* daoc__meta_scratch: the text before and after the quoted database
     * name ({NULL, NULL}: the store has no databases beside its own) */
    const char *scratch_create[2], *scratch_drop[2];
} daoc__meta_dialect;

extern const daoc__meta_dialect daoc__sqlite_meta_dialect;
extern const daoc__meta_dialect daoc__pg_meta_dialect;

#endif
