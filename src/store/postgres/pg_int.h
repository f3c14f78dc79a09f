/*
 * pg_int.h -- internals shared by the files of the PostgreSQL store.
 *
 * Files: pool.c (the per-process connection pools: borrowing, returning,
 * opening and checking connections), conn.c (borrowing for an operation,
 * pinning for a transaction, the statement caches, running statements,
 * transactions, open/close), sql.c (the PostgreSQL dialect of
 * store/sql_shape.c, which gives every statement its text and parameter
 * plan, and the DDL), text.c (PostgreSQL text formats: array literals,
 * timestamps, numbers), binary.c (the binary result format, used when a
 * statement's columns allow), rowio.c (entity values -> parameters, result
 * rows -> entity-shaped rows), ops.c (the vtable members), viol.c (SQLSTATE
 * + constraint name -> violation), shape.c (does an existing table fit its
 * schema).
 *
 * Parameters.  Each statement numbers its parameters $1..$n compactly and
 * carries a plan: one pg_param per number saying where the value comes from
 * (a stored column of the entity, the hidden cache_key or ttl, a key value,
 * a page argument).  One binder (rowio.c) fills any statement from a
 * pg_bind context, always in text format.
 */
#ifndef DAOC_STORE_PG_INT_H
#define DAOC_STORE_PG_INT_H

#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/buf.h"
#include "schema/schema.h"
#include "store/events_ddl.h"
#include "store/registry.h"
#include "store/sql_shape.h"
#include "store/stmt_cache.h"
#include "store/store.h"
#include "store/tx.h"

/* statement kinds (low byte of a cache code), as in the SQLite store */
enum {
    PG_OP_SELECT = 1, /* by key; variant bit 0 = skip_ttl */
    PG_OP_INSERT,
    PG_OP_UPDATE, /* by key; variant bit 0 = write ttl */
    PG_OP_UPSERT, /* conflict target = key */
    PG_OP_DELETE, /* by key; variant bit 0 = skip_ttl */
    PG_OP_PAGE,   /* field = fk field; variant PG_PG_* bits */
    PG_OP_CLEANUP,
    PG_OP_TRUNCATE
};

#define PG_V_SKIP_TTL 0x01
#define PG_V_SET_TTL 0x01
#define PG_V_NO_RETURNING 0x01 /* insert: the row is rebuilt from the entity */
#define PG_V_WS 0x02 /* select, update, delete: AND "ws_id" = <ws> */
#define PG_V_SHOW_WS 0x04 /* select, insert, update, upsert, delete: "ws_id" ends the select list */
#define PG_V_RETURNING 0x08 /* delete: RETURNING the deleted row */
#define PG_PG_SKIP_TTL 0x01
#define PG_PG_AFTER 0x02
#define PG_PG_TAGS_AND 0x04
#define PG_PG_TAGS_OR 0x08
#define PG_PG_WS 0x10
#define PG_PG_SHOW_WS 0x20

#define PG_KEY_PK (-1)
#define PG_CLEANUP_BATCH 1000
#define PG_NAMEDATALEN 64 /* identifiers are cut to 63 bytes by the server */

static inline uint32_t daoc__pg_code(int op, long field, unsigned variant)
{
    return daoc__sh_code(op, field, variant);
}

/* Where parameter $n of a statement takes its value from: the kinds of
 * store/sql_shape.h (all but DAOC__SQP_NOW). */
typedef enum pg_pkind {
    PGP_COL = DAOC__SQP_COL,     /* entity field `idx` */
    PGP_CK = DAOC__SQP_CK,       /* write option cache_key */
    PGP_TTL = DAOC__SQP_TTL,     /* expiry (epoch seconds) or NULL */
    PGP_KEY = DAOC__SQP_KEY,     /* key value j = idx (pk part j, or the unique value) */
    PGP_FK = DAOC__SQP_FK,       /* page: the foreign key value of field idx */
    PGP_TAGS = DAOC__SQP_TAGS,   /* page: tags (TEXT[] literal) */
    PGP_LIMIT = DAOC__SQP_LIMIT, /* page: size + 1 */
    PGP_AFTER = DAOC__SQP_AFTER, /* page: pk part idx of the previous page's last row */
    PGP_WS = DAOC__SQP_WS,       /* the workspace id (pg_bind.ws_id), or NULL */
    PGP_QVAL = DAOC__SQP_QVAL,   /* query: the value of condition idx */
    PGP_QAFTER = DAOC__SQP_QAFTER /* query: the previous page's last sort value */
} pg_pkind;

typedef struct pg_param {
    uint8_t kind;
    uint32_t idx;
} pg_param;

/* A statement of a store handle: SQL text and parameter plan, built once
 * per (schema, code).  Connections prepare it lazily, keyed by its text. */
typedef struct pg_stmt {
    const daoc__schema *s;
    uint32_t code;
    char *sql;
    size_t sql_len;
    uint64_t hash; /* of sql: the connections' cache key */
    pg_param *params;
    int nparams;
    char name[16];        /* its name on the connection numbered name_conn */
    uint64_t name_conn;   /* pg_conn.serial name was found on (0 = none yet) */
    bool binary;          /* results in binary there (pg_prep.binary) */
} pg_stmt;

/* A statement prepared on one connection, found by its SQL text (every
 * handle sharing the connection reuses it). */
typedef struct pg_prep {
    uint64_t hash;
    char *sql; /* owned copy; NULL = free slot */
    size_t sql_len;
    char name[16];
    bool binary; /* its results are read in binary (daoc__pg_row_binary) */
} pg_prep;

typedef struct pg_pool pg_pool; /* pool.c */

/* One pooled connection. */
typedef struct pg_conn {
    PGconn *pg;
    struct pg_conn *next; /* idle list */
    pg_pool *pool;
    uint64_t serial;      /* unique in the process, never reused (pg_stmt.name_conn) */
    pg_prep *prep;        /* open addressing, power-of-two capacity */
    size_t prep_cap, prep_len;
    uint32_t next_id;     /* statement names daoc_<n>, never reused */
    bool broken;          /* lost: discarded when returned */
    bool unnamed;         /* pg_pooling = transaction: no prepared statement outlives
                             its call (a pooler may hand the next one another server) */
    bool timed_out;       /* broken because the server did not answer in time (wait.c) */
    double borrowed_at;   /* daoc__mono_coarse_ms() when last handed out (pool.c) */
    double idle_since;    /* a time no later than its last return in good order */
    /* where the server's notices go while it is borrowed (NULL: dropped);
     * set by the borrower, cleared when it comes back */
    void (*notice)(void *ud, const char *text);
    void *notice_ud;
} pg_conn;

/* A store handle's parking place in one pool.  The connection the handle
 * returned last waits here rather than in the pool's idle list: its next
 * operation takes it back with one atomic exchange, no lock, no shared
 * cache line written.  Other borrowers take it from here when the pool has
 * no idle connection (pool.c), so parking never holds a connection away
 * from anyone who needs it. */
typedef struct pg_slot {
    _Atomic(pg_conn *) conn;
    struct pg_slot *next; /* the pool's slots (pool lock) */
} pg_slot;

/* SQL text under construction with its parameter plan. */
typedef struct pg_sqlb {
    daoc__buf b;
    pg_param *params;
    int nparams, cap;
    bool failed;
    const daoc__store_registry *reg; /* the ensured tables (cleanup), or NULL */
} pg_sqlb;

/* Everything a binder may need to fill a statement's parameters. */
typedef struct pg_bind {
    const daoc_value *entity;   /* PGP_COL */
    const daoc_value *const *fv; /* PGP_COL from a field table (daoc__pg_field_values), or
                                    NULL: looked up in entity */
    const char *cache_key;      /* PGP_CK */
    bool has_expiry;            /* PGP_TTL (else NULL) */
    double expiry;
    const daoc__key *key;       /* PGP_KEY */
    const daoc__page_req *page; /* PGP_FK, PGP_TAGS, PGP_AFTER */
    int64_t limit;              /* PGP_LIMIT */
    const char *ws_id;          /* PGP_WS */
} pg_bind;

typedef struct daoc__pg {
    daoc__store base;
    pg_pool *rw;       /* the primary's pool */
    pg_pool *ro;       /* the read replica's (pg_ro_host), or NULL */
    pg_conn *cur;      /* borrowed for the running operation, or pinned by a transaction */
    pg_slot slot_rw, slot_ro; /* parked connections, one per pool (pg_slot) */
    daoc__tx tx;       /* transaction nesting (savepoints inside, store/tx.c) */
    bool tx_lost;      /* the connection dropped inside a transaction */
    bool unsent;       /* the last failure lost the connection before the operation's
                          statement was sent (a read may be retried) */
    int timeout_ms;    /* pg_timeout */
    int64_t deadline;  /* daoc__mono_ms() by which the running call returns (conn.c) */
    daoc__stmt_cache stmts; /* (schema, code) -> pg_stmt */
    daoc__store_registry reg; /* ensured tables and their foreign fields */
    daoc__buf scratch;  /* text of bound parameters */
    size_t *offs;       /* per parameter: offset into scratch, or SIZE_MAX */
    const char **vals;  /* per parameter: the value pointer passed to libpq */
    int vals_cap;
    const daoc_value **fv; /* field table of the entity being written (rowio.c) */
    size_t fv_cap;
} daoc__pg;

/* ---- pool.c ---- */
/* The pool of cfg's primary (replica false) or read replica target, created
 * or shared (reference counted).  DAOC_OK or DAOC_ENOMEM. */
int daoc__pg_pool_ref(const daoc_config *cfg, bool replica, pg_pool **out);
void daoc__pg_pool_unref(pg_pool *p);
/* Registers / unregisters a handle's slot with p (detach returns the
 * connection parked there to the pool's idle list). */
void daoc__pg_pool_attach(pg_pool *p, pg_slot *slot);
void daoc__pg_pool_detach(pg_pool *p, pg_slot *slot);
/* Borrows a connection: the one parked in `slot` (NULL: none), else an
 * idle one, else one parked in another handle's slot, each only when it
 * passes the check; else a new one while fewer than the cap exist; else
 * waits.  Bounded by pg_timeout as a whole.  DAOC_ESTORE with *msg:
 * "timeout waiting for a free connection from the pool (pg_pool_size = N)"
 * or "could not connect to PostgreSQL at <where>: <reason>".
 * A handle keeping its own connection matters (measured: 2 threads on one
 * pool ran selects at 0.52-0.65x of raw libpq with most-recent-first
 * handout, 0.87-0.95x with their own connections). */
int daoc__pg_pool_get(pg_pool *p, pg_slot *slot, pg_conn **out, char **msg);
/* Returns c: parked in `slot` (not NULL) when it is in good order and
 * nobody waits for a connection, else to the pool's idle list; discarded
 * when it broke or is inside a transaction.  Thread-safe; wakes a waiter. */
void daoc__pg_pool_put(pg_conn *c, pg_slot *slot);
const char *daoc__pg_pool_where(const pg_pool *p);
/* A connection of p's target that belongs to no pool (the events
 * listener, listen.c), opened within pg_timeout; daoc__pg_conn_free
 * closes it. */
int daoc__pg_pool_connect(pg_pool *p, pg_conn **out, char **msg);
void daoc__pg_conn_free(pg_conn *c);
/* Counts for tests and diagnostics (any may be NULL); idle includes the
 * connections parked in slots. */
void daoc__pg_pool_stats(pg_pool *p, int *open, int *idle, int *cap);
/* Copy of t without trailing newlines/blanks ("unknown PostgreSQL error"
 * for NULL/empty); NULL on ENOMEM. */
char *daoc__pg_trim(const char *t);

/* ---- wait.c ---- */
/* Waits for the results of the command just sent on c with a PQsend* call
 * (c is in non-blocking mode: what is still queued is flushed first) until
 * `deadline` (daoc__mono_ms()).  true with *out = the last result, as
 * PQexec would return it (NULL when the connection failed before any came:
 * PQerrorMessage says why); false when the deadline passed first: the
 * command was cancelled (best effort, within a bounded wait), c is marked
 * broken and timed_out, *out is NULL. */
bool daoc__pg_await(pg_conn *c, int64_t deadline, PGresult **out);

/* ---- conn.c ---- */
extern const daoc__store_ops daoc__pg_ops;
void daoc__pg_close(daoc__store *st);
/* Gives the operation a connection in q->cur: the pinned one inside a
 * transaction (DAOC_ESTORE once it was lost), else one borrowed from the
 * replica's pool for a read when there is a replica, from the primary's
 * otherwise.  Pair with daoc__pg_release. */
int daoc__pg_acquire(daoc__pg *q, bool read, char **msg);
/* Ends the operation: returns q->cur to its pool unless a transaction pins it. */
void daoc__pg_release(daoc__pg *q);
/* Cached statement for (s, code), built (sql.c) on first use and prepared
 * on q->cur when that connection has not prepared its text yet. */
int daoc__pg_stmt(daoc__pg *q, const daoc__schema *s, uint32_t code, pg_stmt **out, char **msg);
/* Runs a prepared statement with the values in q->vals.  Returns DAOC_OK
 * with *res (PGRES_TUPLES_OK / COMMAND_OK), or DAOC_ESTORE with *res set
 * to the error result (caller PQclear()s) when the server refused it,
 * or with *res NULL and *msg set when the connection failed or a table
 * changed under the statement inside a transaction.  A table changed
 * since the connection prepared the statement (another node's migration:
 * PostgreSQL's "cached plan must not change result type") makes the
 * connection forget its statements; outside a transaction the statement
 * is then prepared again and run once more. */
int daoc__pg_run(daoc__pg *q, pg_stmt *st, PGresult **res, char **msg);
/* Forgets every statement c prepared (pool.c): each is prepared again,
 * under a new name, at its next use, and described again.  The old ones
 * stay on the server until the connection closes (names are never
 * reused, so none is reached again). */
void daoc__pg_conn_forget(pg_conn *c);
/* Runs SQL text without parameters or results (DDL, savepoints) on q->cur. */
int daoc__pg_exec(daoc__pg *q, const char *sql, char **msg);
/* Runs one statement of SQL text with nparams text parameters on q->cur:
 * DAOC_OK with *res (caller PQclear()s), else DAOC_ESTORE with *msg. */
int daoc__pg_exec_params(daoc__pg *q, const char *sql, int nparams, const char *const *vals,
                         PGresult **res, char **msg);
/* Starts the deadline of a store call: pg_timeout from now, plus a grace
 * that lets the server's own statement_timeout answer first. */
void daoc__pg_arm(daoc__pg *q);
/* Copies the error of res (or of the connection when res is NULL) into
 * *msg; returns DAOC_ESTORE (DAOC_ENOMEM when the copy fails). */
int daoc__pg_error(daoc__pg *q, const PGresult *res, char **msg);
/* The savepoint hooks of store/tx.c for this driver (conn.c). */
extern const daoc__tx_ops daoc__pg_tx_ops;
int daoc__pg_begin(daoc__store *st, char **msg);
int daoc__pg_commit(daoc__store *st, char **msg);
int daoc__pg_rollback(daoc__store *st);

/* ---- sql.c ---- */
/* Builds the SQL and the parameter plan of shape st of s (the query
 * shapes, built for each call). */
void daoc__pg_sql_stmt(pg_sqlb *sb, const daoc__schema *s, const daoc__sh_stmt *st);
/* Builds the SQL and the parameter plan of statement (s, code). */
void daoc__pg_sql(pg_sqlb *sb, const daoc__schema *s, uint32_t code);
/* Appends the CREATE TABLE / CREATE INDEX statements of s. */
void daoc__pg_ddl(daoc__buf *b, const daoc__schema *s);
/* The tags table, sync_tags and s's trigger (store/tags.h). */
void daoc__pg_tags_ddl(daoc__buf *b, const daoc__schema *s);
/* The constraint/index name the DDL gives: "<table>_<col>_<suffix>" or,
 * with col NULL, "<table>_<suffix>"; too long names are shortened the way
 * PostgreSQL shortens its default names (so they match Kong's tables). */
void daoc__pg_cname(char out[PG_NAMEDATALEN], const char *table, const char *col,
                    const char *suffix);
const char *daoc__pg_table(const daoc__schema *s);

/* Kong's cluster_events table and its indexes (core 000_base; meta.c and
 * the events triggers, events.c). */
#define DAOC__PG_CLUSTER_EVENTS_DDL                                                               \
    "CREATE TABLE IF NOT EXISTS \"cluster_events\" (\n"                                           \
    "  \"id\" UUID PRIMARY KEY,\n"                                                                \
    "  \"node_id\" UUID NOT NULL,\n"                                                              \
    "  \"at\" TIMESTAMP WITH TIME ZONE NOT NULL,\n"                                               \
    "  \"nbf\" TIMESTAMP WITH TIME ZONE,\n"                                                       \
    "  \"expire_at\" TIMESTAMP WITH TIME ZONE NOT NULL,\n"                                        \
    "  \"channel\" TEXT,\n"                                                                       \
    "  \"data\" TEXT\n);\n"                                                                      \
    "CREATE INDEX IF NOT EXISTS \"cluster_events_at_idx\" ON \"cluster_events\" (\"at\");\n"      \
    "CREATE INDEX IF NOT EXISTS \"cluster_events_channel_idx\" ON \"cluster_events\" "            \
    "(\"channel\");\n"                                                                            \
    "CREATE INDEX IF NOT EXISTS \"cluster_events_expire_at_idx\" ON \"cluster_events\" "          \
    "(\"expire_at\");\n"                                                                        \
    /* the events no trigger wrote, for a reader whose listener was told   \
     * the triggers' (store/events.h) */                                   \
    "CREATE INDEX IF NOT EXISTS \"cluster_events_daoc_others_at_idx\" ON \"cluster_events\" "     \
    "(\"at\") WHERE \"node_id\" <> '" DAOC__EVENTS_ANY_NODE "';\n"
/* Kong's expiry trigger of cluster_events (batch_delete_expired_rows after
 * each insert statement), for the inserts Kong makes (trigger depth 0):
 * the inserts of daoc's entity triggers (depth 1) skip it, and their
 * events are removed by the readers (events/cluster.c), which keeps an
 * entity write from running a second, dynamic DELETE statement. */
#define DAOC__PG_EVENTS_TTL_TRIGGER                                                               \
    "CREATE TRIGGER \"cluster_events_ttl_trigger\" AFTER INSERT ON \"cluster_events\" FOR EACH "   \
    "STATEMENT WHEN (pg_trigger_depth() < 1) EXECUTE PROCEDURE "                                  \
    "batch_delete_expired_rows(\"expire_at\");\n"
const char *daoc__pg_col(const daoc__field *f);
/* The column type daoc__pg_ddl writes for stored field f. */
const char *daoc__pg_col_type(const daoc__field *f);

/* ---- shape.c ---- */
/* Checks on q->cur that the existing table of s in the current schema (if
 * any) has a column of a compatible type for each of s's stored fields
 * (store/shape.h); DAOC_ESCHEMA with *msg naming what differs.  Runs
 * before the DDL, under its lock. */
int daoc__pg_shape_check(daoc__pg *q, const daoc__schema *s, bool upgrade, char **msg);

/* ---- text.c ---- */
/* Appends v as PostgreSQL text for a value of field f (f NULL: plain
 * scalar / array of strings).  Arrays become array literals, records, maps
 * and json JSON text.  Sets b->failed on ENOMEM. */
void daoc__pg_put_value(daoc__buf *b, const daoc__field *f, const daoc_value *v);
/* Parses array-literal text ("{a,\"b c\",NULL}") into an array of values
 * typed by the element definition el.  DAOC_OK, DAOC_ENOMEM or DAOC_ESTORE
 * (malformed text).  Values are carved from b (value.h) when it has room;
 * b NULL: ordinary allocations.  JSON values always are ordinary. */
int daoc__pg_parse_array(const char *s, size_t n, const daoc__field *el, daoc__bump *b,
                         daoc_value **out);
/* Converts text of one scalar/JSON column to the value of field f (b as
 * for daoc__pg_parse_array); s[n] must be NUL, as in libpq's values.
 * Timestamp fields read the server's ISO text (or epoch seconds). */
int daoc__pg_parse_value(const char *s, size_t n, const daoc__field *f, daoc__bump *b,
                         daoc_value **out);

/* The value of timestamp field f (integer: floored seconds; number: the
 * double nearest secs + us/1e6) at `secs` seconds (floored) and `us`
 * microseconds past the epoch, or at infinity when inf is +-INFINITY
 * (DAOC_ESTORE for integer fields). */
int daoc__pg_ts_value(int64_t secs, int64_t us, double inf, const daoc__field *f, daoc__bump *b,
                      daoc_value **out);

/* ---- binary.c ---- */
/* True when a column of type oid is read in binary for field f (foreign:
 * its primary key's field). */
bool daoc__pg_bin_ok(const daoc__field *f, Oid oid);
/* Decodes a binary column value of type oid for field f (not foreign);
 * the same value text.c gives for the column's text.  DAOC_OK,
 * DAOC_ENOMEM or DAOC_ESTORE (a value not of its type's shape). */
int daoc__pg_bin_value(const char *p, size_t n, Oid oid, const daoc__field *f, daoc__bump *b,
                       daoc_value **out);
/* Elements of a binary one-dimensional array value (0 when not one). */
size_t daoc__pg_bin_elems(const char *p, size_t n);
/* A binary float8 (NaN when n is not 8). */
double daoc__pg_bin_float8(const char *p, size_t n);
/* A binary uuid (16 bytes) as lowercase 8-4-4-4-12 text. */
void daoc__pg_bin_uuid(const char *p, char out[37]);

/* ---- rowio.c ---- */
/* Fills q->vals for statement st from ctx.  DAOC_OK, DAOC_ENOMEM,
 * DAOC_ESTORE with *msg for a column value PostgreSQL cannot hold (NUL
 * bytes), or DAOC_ENOTFOUND when a key or filter value holds one (no stored
 * row can match it: the caller answers "none" without a query). */
int daoc__pg_bind(daoc__pg *q, const daoc__schema *s, const pg_stmt *st, const pg_bind *ctx,
                  char **msg);
/* Builds the entity-shaped row `r` of res (columns in the select-list
 * order of sql.c). */
int daoc__pg_row(const daoc__schema *s, const PGresult *res, int r, daoc_value **out, char **msg);
/* True when the result a statement on s describes (desc: from
 * PQdescribePrepared) has the row shape daoc__pg_row reads -- the stored
 * fields, then ttl, then optionally ws_id -- with every column of a type
 * binary.c decodes: the statement's results are then asked for in binary. */
bool daoc__pg_row_binary(const daoc__schema *s, const PGresult *desc);
/* The field table of an entity: fv[i] = the value of s->fields[i] in
 * entity (NULL when absent), looked up once for the binder and the two
 * below; fv has room for s->nfields entries in q (valid until the next
 * call).  NULL on ENOMEM. */
const daoc_value *const *daoc__pg_field_values(daoc__pg *q, const daoc__schema *s,
                                               const daoc_value *entity);
/* True when reading back what binding the entity with field table fv
 * stores would give exactly the entity's own values (canonical uuids,
 * whole-second timestamps, strings, integers, booleans and arrays of
 * those; no JSONB, no doubles), so an insert needs no RETURNING. */
bool daoc__pg_row_exact(const daoc__schema *s, const daoc_value *const *fv);
/* The row reading back an exact (daoc__pg_row_exact) entity would give;
 * the ttl column (schemas with ttl) is `remaining` seconds, or null when
 * has_ttl is false.  DAOC_OK or DAOC_ENOMEM. */
int daoc__pg_row_from_entity(const daoc__schema *s, const daoc_value *const *fv, bool has_ttl,
                             int64_t remaining, daoc_value **out);

/* ---- query.c ---- */
/* The page member for a request with a query, on q->cur (store.h). */
int daoc__pg_query_page(daoc__pg *q, const daoc__schema *s, const daoc__page_req *req,
                        daoc_value **rows, bool *more, char **msg);
/* The count member (store.h). */
int daoc__pg_count(daoc__store *st, const daoc__schema *s, const daoc__page_req *req,
                   bool estimate, int64_t *n, bool *estimated, char **msg);

/* ---- viol.c ---- */
/* Maps the error result of a write on s to *viol (DAOC_ECONSTRAINT), or
 * returns DAOC_ESTORE with *msg.  `entity` is NULL for deletes. */
int daoc__pg_violation(daoc__pg *q, const daoc__schema *s, const PGresult *res,
                       const daoc_value *entity, daoc__violation *viol, char **msg);

/* Runs `call` (an int expression) with rc set, on a connection acquired
 * for it and released after (ops.c, deploy.c; needs `int rc` in scope). */
/* One attempt, or two for a read whose connection was lost unsent. */
#define ON_CONN(q, read, msg, call)                                                                \
    do {                                                                                           \
        for (int attempt_ = 0;; attempt_++) {                                                      \
            rc = daoc__pg_acquire(q, read, msg);                                                   \
            if (rc == DAOC_OK) {                                                                   \
                rc = (call);                                                                       \
                daoc__pg_release(q);                                                               \
            }                                                                                      \
            if (!(read) || rc != DAOC_ESTORE || !(q)->unsent || attempt_ > 0)                      \
                break;                                                                             \
            if (msg) {                                                                             \
                daoc__free(*(msg));                                                                \
                *(msg) = NULL;                                                                     \
            }                                                                                      \
        }                                                                                          \
    } while (0)

#endif
