/*
 * events_ddl.h -- the cluster_events outbox, kept by the database itself
 * (issue 12): every entity table gets a row trigger that, in the same
 * transaction as the change, writes Kong's invalidation events into
 * cluster_events -- one per cache key the change touches: the new row's,
 * the old row's (update, delete) when it differs -- on Kong's channel of
 * the entity's cache, so a change is published exactly when it commits,
 * never when it rolls back, whoever made it (any DAO path, a migration's
 * SQL, a cascade of ON DELETE).  The key is DAO:cache_key's format,
 * computed in SQL from the columns (events_ddl.c, one generator with
 * dialect hooks); on PostgreSQL the trigger also NOTIFYs
 * DAOC__EVENTS_NOTIFY with the channel as the payload (delivered at
 * commit).  The node_id of these rows is DAOC__EVENTS_ANY_NODE: the
 * database cannot tell which node wrote.
 */
#ifndef DAOC_STORE_EVENTS_DDL_H
#define DAOC_STORE_EVENTS_DDL_H

#include "core/buf.h"
#include "schema/schema.h"

#define DAOC__EVENTS_NOTIFY "daoc_cluster_events"
#define DAOC__EVENTS_ANY_NODE "00000000-0000-0000-0000-000000000000"
/* Kong: event_ttl_in_db = max(db_update_propagation * 10, 3600) */
#define DAOC__EVENTS_TTL_S "3600"
/* expired events one removal takes at most (store/events.h), as a number
 * and as SQL text */
#define DAOC__EVENTS_EXPIRE_N 5000
#define DAOC__EVENTS_STR_(x) #x
#define DAOC__EVENTS_STR(x) DAOC__EVENTS_STR_(x)
#define DAOC__EVENTS_EXPIRE_BATCH DAOC__EVENTS_STR(DAOC__EVENTS_EXPIRE_N)
/* the suffix of the trigger's name: a new version of the trigger gets a
 * new suffix, so an old database gets the new one (and its older versions,
 * DAOC__EVENTS_OLD, are dropped) */
#define DAOC__EVENTS_TRIGGER "_daoc_events_v4"
#define DAOC__EVENTS_OLD {"_daoc_events_v1", "_daoc_events_v2", "_daoc_events_v3"}

/* What differs between the stores. */
typedef struct daoc__events_dialect {
    /* the text of column `col` of row `row` ("NEW"/"OLD") of a field of
     * type t as Lua's tostring writes the value, or NULL (SQL) when the
     * type gives no text (records, arrays: an empty part) */
    void (*text_of)(daoc__buf *b, const char *row, const char *col, daoc__ftype t);
} daoc__events_dialect;

/* The SQL expression of the cache key of row `row` of s's table (Kong's
 * DAO:cache_key: the cache_key fields, or the primary key when they are
 * all empty; a composite key as the stored cache_key column holds it; the
 * workspace part the row's ws_id when s is workspaceable). */
void daoc__events_key_sql(daoc__buf *b, const daoc__events_dialect *d, const daoc__schema *s,
                          const char *row);
/* Kong's channel of s's cache: "invalidations", or for the entities of its
 * core cache "invalidations_kong_core_db_cache". */
/* The statement that gives the rows of table (s's) the workspace part of
 * their stored composite cache_key when an older daoc wrote it empty (run
 * before the triggers are made); nothing unless s is workspaceable with a
 * composite cache_key. */
void daoc__events_ck_fixup(daoc__buf *b, const daoc__events_dialect *d, const daoc__schema *s,
                           const char *table);
const char *daoc__events_channel(const daoc__schema *s);
/* Appends s (a name from a compiled schema) as an SQL string literal. */
void daoc__events_literal(daoc__buf *b, const char *s);

/* The stores' DDL (store/<store>/events.c): cluster_events when missing,
 * then s's trigger; and the catalog query that tells (one row) whether
 * table <param> has it. */
void daoc__sq_events_ddl(daoc__buf *b, const daoc__schema *s);
void daoc__pg_events_ddl(daoc__buf *b, const daoc__schema *s);
extern const char daoc__sq_has_events_sql[], daoc__pg_has_events_sql[];

#endif
