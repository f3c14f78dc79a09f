/*
 * sqlite_int.h -- internals shared by the files of the SQLite store.
 *
 * Files: open.c (handle, pragmas, transactions, statement cache, error
 * text), sql.c (the SQLite dialect of store/sql_shape.c, and the DDL),
 * rowio.c (binding entity values, building entity-shaped rows), ops.c (the
 * vtable members), viol.c (constraint errors -> daoc__violation), shape.c
 * (does an existing table fit its schema).
 *
 * Parameter layout.  Every statement of a schema numbers its parameters the
 * same way, so one binder serves them all (ncol = stored columns):
 *   ?1 .. ?ncol      stored columns, in schema order (SQ_P_COL)
 *   ?ncol+1          the hidden cache_key column      (SQ_P_CK)
 *   ?ncol+2          the hidden ttl column (expiry)   (SQ_P_TTL)
 *   ?ncol+3          "now" for the ttl filter         (SQ_P_NOW)
 *   ?ncol+4          the workspace id (ws_id column / condition) (SQ_P_WS)
 *   ?ncol+5 ..       key values; for page: fk, tags, limit, after values
 * Unused numbers are legal in SQLite and stay NULL.
 */
#ifndef DAOC_STORE_SQLITE_INT_H
#define DAOC_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "schema/schema.h"
#include "store/registry.h"
#include "store/sql_shape.h"
#include "store/stmt_cache.h"
#include "store/store.h"
#include "store/tx.h"

/* statement kinds (low byte of a cache code): the shapes of store/sql_shape.h */
enum {
    SQ_OP_SELECT = DAOC__SH_SELECT,     /* by key; variant bit 0 = skip_ttl */
    SQ_OP_INSERT = DAOC__SH_INSERT,
    SQ_OP_UPDATE = DAOC__SH_UPDATE,     /* by key; variant bit 0 = write ttl */
    SQ_OP_UPSERT = DAOC__SH_UPSERT,     /* conflict target = key */
    SQ_OP_DELETE = DAOC__SH_DELETE,     /* by key; variant bit 0 = skip_ttl */
    SQ_OP_PAGE = DAOC__SH_PAGE,         /* field = fk field; variant SQ_PG_* bits */
    SQ_OP_PROBE_PK = DAOC__SH_PROBE_PK, /* SELECT 1 by primary key (no ttl filter) */
    SQ_OP_PROBE_FK = DAOC__SH_PROBE_FK, /* SELECT 1 WHERE <column of field> = ?; SQ_V_WS:
                                           WHERE "ws_id" = ? */
    SQ_OP_CLEANUP = DAOC__SH_CLEANUP,   /* one batch of expired rows */
    SQ_OP_TRUNCATE = DAOC__SH_TRUNCATE
};

#define SQ_V_SKIP_TTL 0x01
#define SQ_V_SET_TTL 0x01
#define SQ_V_WS 0x02 /* select, update, delete, probe_pk: AND "ws_id" = ?ws */
#define SQ_V_RETURNING 0x04 /* delete: RETURNING the deleted row */
#define SQ_PG_SKIP_TTL 0x01
#define SQ_PG_AFTER 0x02
#define SQ_PG_TAGS_AND 0x04
#define SQ_PG_TAGS_OR 0x08
#define SQ_PG_WS 0x10

/* key field pseudo-index of the primary key (see store.h) */
#define SQ_KEY_PK (-1)

#define SQ_CLEANUP_BATCH 1000

static inline uint32_t daoc__sq_code(int op, long field, unsigned variant)
{
    return daoc__sh_code(op, field, variant);
}

/* parameter numbers */
#define SQ_P_COL(k) ((int)(k) + 1)
#define SQ_P_CK(ncol) ((int)(ncol) + 1)
#define SQ_P_TTL(ncol) ((int)(ncol) + 2)
#define SQ_P_NOW(ncol) ((int)(ncol) + 3)
#define SQ_P_WS(ncol) ((int)(ncol) + 4)
#define SQ_P_KEY(ncol, j) ((int)(ncol) + 5 + (int)(j))
/* page parameters */
#define SQ_P_FK(ncol) SQ_P_KEY(ncol, 0)
#define SQ_P_TAGS(ncol) SQ_P_KEY(ncol, 1)
#define SQ_P_LIMIT(ncol) SQ_P_KEY(ncol, 2)
#define SQ_P_AFTER(ncol, j) SQ_P_KEY(ncol, 3 + (j))
/* query parameters (after the page's): the sort value of the previous
 * page's last row, then the value of each condition */
#define SQ_P_QAFTER(ncol, npk) SQ_P_AFTER(ncol, npk)
#define SQ_P_QVAL(ncol, npk, i) SQ_P_AFTER(ncol, (npk) + 1 + (i))


/* A JSON parameter waiting for the scratch buffer to stop growing. */
typedef struct sq_pending {
    int idx;
    size_t off, len;
} sq_pending;

typedef struct daoc__sqlite {
    daoc__store base;
    sqlite3 *db;
    daoc__tx tx;   /* transaction nesting (savepoints inside) */
    daoc__stmt_cache stmts; /* (schema, code) -> sqlite3_stmt */
    daoc__store_registry reg; /* ensured tables and their foreign fields */
    daoc__buf scratch; /* JSON text of bound parameters */
    sq_pending *pending;
    size_t npending, pending_cap;
    sqlite3_stmt *st_begin, *st_commit, *st_rollback;
    /* events.c: the events a transaction wrote get its commit's time */
    sqlite3_stmt *st_ev_mark, *st_ev_restamp;
    sqlite3_int64 ev_mark; /* cluster_events' last rowid at BEGIN; -1: none */
} daoc__sqlite;

/* ---- ops.c ---- */
extern const daoc__store_ops daoc__sqlite_ops;

/* Adds "ws_id" (the last column of the select list) of st's current row
 * to row when show is set and s is workspaceable. */
int daoc__sq_put_ws(const daoc__schema *s, sqlite3_stmt *st, bool show, daoc_value *row);

/* ---- query.c ---- */
/* The store's page member for a request with a query (store.h). */
int daoc__sq_query_page(daoc__sqlite *q, const daoc__schema *s, const daoc__page_req *req,
                        daoc_value **rows, bool *more, char **msg);
/* The store's count member: always exact (*estimated false). */
int daoc__sq_count(daoc__store *st, const daoc__schema *s, const daoc__page_req *req,
                   bool estimate, int64_t *n, bool *estimated, char **msg);

/* ---- events.c ---- */
/* Right after BEGIN IMMEDIATE (the write lock held): notes cluster_events'
 * last rowid, so that the rows after it are this transaction's. */
void daoc__sq_events_mark(daoc__sqlite *q);
/* Right before COMMIT: the events this transaction's triggers wrote get
 * the time of now as their `at`, so that a transaction longer than the
 * readers' look-back (events/cluster.c) does not commit events older than
 * the window they read (another process's readers poll).  Rows written by
 * hand keep theirs. */
void daoc__sq_events_restamp(daoc__sqlite *q);

/* ---- open.c ---- */
void daoc__sq_close(daoc__store *st);
/* Cached statement for (s, code), preparing it on first use. */
int daoc__sq_stmt(daoc__sqlite *q, const daoc__schema *s, uint32_t code, sqlite3_stmt **out,
                  char **msg);
/* Resets and clears a statement after use (accepts NULL). */
void daoc__sq_done(sqlite3_stmt *st);
/* Maps a SQLite result code to a status; sets *msg (when given) to a copy
 * of the connection's error text for DAOC_ESTORE. */
int daoc__sq_error(daoc__sqlite *q, int rc, char **msg);
int daoc__sq_begin(daoc__store *st, char **msg);
int daoc__sq_commit(daoc__store *st, char **msg);
int daoc__sq_rollback(daoc__store *st);
/* Runs SQL text without results (DDL). */
int daoc__sq_exec(daoc__sqlite *q, const char *sql, char **msg);

/* ---- sql.c ---- */
/* Number of stored (non-transient) columns of s. */
size_t daoc__sq_ncol(const daoc__schema *s);
/* Appends the SQL of statement st of s to b (the query shapes, built for
 * each call). */
struct daoc__sh_stmt;
void daoc__sq_sql_stmt(daoc__buf *b, const daoc__schema *s, const struct daoc__sh_stmt *st);
/* Appends the SQL of statement (s, code) to b. */
void daoc__sq_sql(daoc__buf *b, const daoc__schema *s, uint32_t code,
                  const daoc__store_registry *reg);
/* Appends the CREATE TABLE / CREATE INDEX statements of s. */
void daoc__sq_ddl(daoc__buf *b, const daoc__schema *s);

/* Kong's cluster_events table, times as REAL epoch seconds (meta.c and
 * the events triggers, events.c).  Each entity write adds a row, so it
 * carries one index only: `at`, which the readers range over and which
 * grows at its right edge (measured: Kong's PRIMARY KEY on a random id
 * and its channel and expire_at indexes made a consumer's insert cost
 * 55 us against 17 us without the trigger). */
#define DAOC__SQ_CLUSTER_EVENTS_DDL                                                               \
    "CREATE TABLE IF NOT EXISTS \"cluster_events\" (\n"                                           \
    "  \"id\" TEXT NOT NULL,\n"                                                                   \
    "  \"node_id\" TEXT NOT NULL,\n"                                                              \
    "  \"at\" REAL NOT NULL,\n"                                                                   \
    "  \"nbf\" REAL,\n"                                                                           \
    "  \"expire_at\" REAL NOT NULL,\n"                                                            \
    "  \"channel\" TEXT,\n"                                                                       \
    "  \"data\" TEXT\n);\n"                                                                      \
    "CREATE INDEX IF NOT EXISTS \"cluster_events_at_idx\" ON \"cluster_events\" (\"at\");\n"
/* The (ws_id, pk) index of a workspaceable table, which pages of one
 * workspace read in order (nothing for other tables).  Run after the
 * table's ws_id upgrade: a table from before workspaces has no ws_id yet
 * when daoc__sq_ddl runs. */
void daoc__sq_ws_index_ddl(daoc__buf *b, const daoc__schema *s);
/* The column type daoc__sq_ddl writes for stored field f. */
const char *daoc__sq_col_type(const daoc__field *f);

/* ---- shape.c ---- */
/* Checks that the existing table of s (if any) has a column of a compatible
 * type for each of s's stored fields (store/shape.h); DAOC_ESCHEMA with
 * *msg naming what differs.  Runs before the DDL. */
int daoc__sq_shape_check(daoc__sqlite *q, const daoc__schema *s, bool upgrade, char **msg);

/* ---- rowio.c ---- */
/* Binds value v of field f to parameter idx.  JSON text goes to the scratch
 * buffer and is bound by daoc__sq_bind_finish.  Returns a SQLite code. */
int daoc__sq_bind_field(daoc__sqlite *q, sqlite3_stmt *st, int idx, const daoc__field *f,
                        const daoc_value *v);
/* Binds every stored column of entity (absent = NULL). */
int daoc__sq_bind_entity(daoc__sqlite *q, sqlite3_stmt *st, const daoc__schema *s,
                         const daoc_value *entity);
/* Binds the key values starting at parameter `first`. */
int daoc__sq_bind_key(daoc__sqlite *q, sqlite3_stmt *st, const daoc__schema *s,
                      const daoc__key *key, int first);
/* Binds pending JSON text; call after the last bind, before stepping. */
int daoc__sq_bind_finish(daoc__sqlite *q, sqlite3_stmt *st);
/* Starts a new bind round (empties the scratch buffer). */
void daoc__sq_bind_begin(daoc__sqlite *q);
/* Builds the entity-shaped row of the current result row (columns in the
 * select-list order of sql.c).  Returns DAOC_OK, DAOC_ENOMEM or DAOC_ESTORE
 * (stored JSON that does not parse: *msg). */
int daoc__sq_row(const daoc__schema *s, sqlite3_stmt *st, double now, daoc_value **out, char **msg);

/* Builds the row an insert stored from the entity it bound, normalised the
 * way daoc__sq_row would read it back; expiry < 0 = no ttl. */
int daoc__sq_row_from_entity(const daoc__schema *s, const daoc_value *entity, double expiry,
                             double now, daoc_value **out);

/* ---- viol.c ---- */
/* Fills *viol for a constraint error `rc` of a write on s.  `entity` is the
 * written entity (insert/update/upsert) or NULL (delete, then `key` names
 * the row).  Returns DAOC_ECONSTRAINT, or another status when the error is
 * not a mapped constraint (then *msg is set). */
int daoc__sq_violation(daoc__sqlite *q, const daoc__schema *s, int rc, const char *errtext,
                       const daoc_value *entity, const daoc__key *key, const char *ws_id,
                       daoc__violation *viol, char **msg);

#endif
