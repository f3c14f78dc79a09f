/*
 * store.h -- the one interface every store implements (SQLite, PostgreSQL).
 *
 * The DAO above it validates, fills defaults and builds Kong's messages; a
 * store only moves rows.  It never sees unvalidated input: identifiers come
 * from compiled schemas, values are bound as parameters.
 *
 * Row shape.  Stores receive and return entity-shaped objects: a foreign
 * field `consumer` is {"id": ...} (or null) although the column is
 * consumer_id; records/maps are nested objects; arrays/sets are arrays.
 * Returned rows contain every stored field (null when NULL in the database),
 * plus "ttl" (remaining whole seconds, or null) for TTL schemas, plus
 * "ws_id" when the options ask for it (workspaceable schemas).  They never
 * contain the hidden cache_key column.
 *
 * Table layout of workspaceable schemas (both stores, Kong's layout after
 * its 2.1 migrations): "ws_id" references workspaces(id) (constraint
 * <t>_ws_id_fkey); a unique field is unique per workspace, UNIQUE ("ws_id",
 * "<col>") named <t>_ws_id_<col>_unique, unless it is unique_across_ws;
 * (pk, "ws_id") is unique (<t>_id_ws_id_unique) so that a foreign key between
 * two workspaceable tables is ("<f>_id", "ws_id") -> parent ("id", "ws_id"):
 * a row can only reference a parent of its own workspace.  (A foreign field
 * with on_delete = "null" keeps a one-column key: SET NULL must not clear
 * ws_id.)  SQLite also indexes ("ws_id", pk) (<t>_ws_id_pk_idx) so that a
 * workspace's pages read rows in key order without sorting the workspace.
 *
 * Errors.  Members return DAOC_OK, DAOC_ENOMEM, DAOC_ECONSTRAINT (with *viol
 * filled so the DAO can word Kong's message) or DAOC_ESTORE (with *msg, the
 * driver's text, owned by the caller).  Stores do not log user errors.
 *
 * Transactions.  begin/commit/rollback nest: the outermost pair is the
 * database's transaction, every inner pair a savepoint (store/tx.c), so an
 * inner rollback undoes only its own part and the outer transaction stays
 * usable.  Every write member is atomic on its own.
 */
#ifndef DAOC_STORE_STORE_H
#define DAOC_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "daoc.h"
#include "schema/schema.h"
#include "store/tx.h"

typedef struct daoc__store daoc__store;

typedef enum daoc__viol_kind {
    DAOC__VIOL_UNIQUE = 1,   /* field = the unique field (or -1: cache_key column) */
    DAOC__VIOL_PRIMARY_KEY,  /* duplicate primary key */
    DAOC__VIOL_FOREIGN_KEY,  /* insert/update: field = the foreign field whose parent is missing */
    DAOC__VIOL_RESTRICT,     /* delete: `child` names the referencing entity (schema name) */
    DAOC__VIOL_WORKSPACE     /* insert/upsert: the write options' ws_id names no workspace */
} daoc__viol_kind;

typedef struct daoc__violation {
    daoc__viol_kind kind;
    long field;        /* index into schema->fields, or -1 */
    const char *child; /* DAOC__VIOL_RESTRICT: borrowed schema name */
    const char *ws_id; /* DAOC__VIOL_WORKSPACE: the DAO sets it (the id it wrote) */
} daoc__violation;

/* Read options every read member honours.
 *
 * Workspaces (schemas with `workspaceable`; ignored for the others): the
 * table has a hidden "ws_id" column.  ws_id non-NULL scopes the operation
 * to that workspace ("ws_id" = ws_id); NULL is a global operation (no
 * workspace condition).  show_ws_id adds "ws_id" (a string, or null when
 * the column is NULL) to every returned row. */
typedef struct daoc__read_opts {
    bool skip_ttl;      /* return expired rows too */
    bool show_ws_id;
    const char *ws_id;  /* canonical UUID text, or NULL = global */
} daoc__read_opts;

/* Write options.  Workspaces: insert and upsert store ws_id in the row
 * (NULL stores NULL); update and delete only touch a row of workspace
 * ws_id (NULL: any).  A ws_id naming no workspace is a
 * DAOC__VIOL_WORKSPACE violation.  show_ws_id as for reads. */
typedef struct daoc__write_opts {
    bool has_ttl;      /* `ttl` option given (TTL schemas only) */
    int64_t ttl;       /* seconds; 0 = never expires */
    const char *cache_key; /* composite cache key string to store, or NULL */
    const char *ws_id;
    bool show_ws_id;
} daoc__write_opts;

/* A lookup key: by primary key (field = -1, key = object holding the pk
 * fields) or by one unique/endpoint field (field = its index, key = value). */
typedef struct daoc__key {
    long field;
    const daoc_value *key;
} daoc__key;

/* daoc__key.field value selecting the hidden cache_key column of a schema
 * with a composite cache key (select_by_cache_key, upsert on cache_key):
 * key = the cache key string. */
#define DAOC__KEY_CACHE_KEY (-2)

/* Beyond Kong: the conditions and order of a queried page (daoc_dao_page's
 * `filter` and `sort` options), on fields an index serves (the DAO checked
 * that, and each value's type).  A condition compares field `field` with
 * `value`, shaped as a row holds it (a foreign field: {"<pk>": v}); rows
 * whose field is null match no condition.  The order is (sort field, pk)
 * ascending, or both descending; a null sort value sorts after every other
 * value (before them when descending), both stores alike. */
typedef enum daoc__qop { DAOC__Q_EQ = 1, DAOC__Q_GT, DAOC__Q_GTE, DAOC__Q_LT, DAOC__Q_LTE } daoc__qop;

typedef struct daoc__page_cond {
    long field;
    daoc__qop op;
    const daoc_value *value;
} daoc__page_cond;

typedef struct daoc__page_query {
    const daoc__page_cond *conds;
    size_t nconds;
    long sort;                   /* field index, or -1: the primary key */
    bool desc;
    /* with the page request's `after`: the sort field's value of the
     * previous page's last row (a null value: that row's was null);
     * unused when sort = -1 */
    const daoc_value *after_sort;
} daoc__page_query;

/* A page request. */
typedef struct daoc__page_req {
    long fk_field;               /* page_for_<field>: index, or -1 */
    const daoc_value *fk;        /* its primary-key object ({"id": ...}) */
    const daoc_value *tags;      /* array of strings, or NULL */
    bool tags_or;                /* tags_cond "or" (default "and") */
    const daoc_value *after;     /* array of pk values of the previous page's
                                    last row (keyset), or NULL for the first page */
    int64_t size;                /* rows wanted (the store fetches size + 1) */
    bool skip_ttl;
    bool show_ws_id;             /* as in daoc__read_opts */
    const char *ws_id;
    /* NULL: keyset order on the primary key (a cached statement); else the
     * query's conditions and order, built for the call */
    const daoc__page_query *query;
} daoc__page_req;

typedef struct daoc__store_ops {
    const char *name; /* strategy name used in messages: "sqlite", "postgres" */

    /* Releases every resource.  Accepts NULL. */
    void (*close)(daoc__store *st);

    /* Makes sure the table for `s` exists with the layout of
     * kong-schema-dao.md section 6 (derived from the schema until
     * migrations own DDL).  Idempotent.  An existing table must fit s
     * (store/shape.h: every stored field's column, of a compatible type);
     * one that does not is DAOC_ESCHEMA with *msg naming each difference,
     * checked before any DDL runs. */
    int (*ensure_table)(daoc__store *st, const daoc__schema *s, char **msg);

    /* Serves s from its table as it is, creating and altering nothing (the
     * opener checked, with deploy->list_tables, that the table exists).
     * Idempotent; the alternative to ensure_table when the database is set
     * up by someone else (create_tables off, later the migrations). */
    int (*attach_table)(daoc__store *st, const daoc__schema *s, char **msg);

    int (*begin)(daoc__store *st, char **msg);
    int (*commit)(daoc__store *st, char **msg);
    int (*rollback)(daoc__store *st);

    /* One row by primary key or unique field; *row = NULL when absent or
     * expired (unless skip_ttl). */
    int (*select)(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                  const daoc__read_opts *o, daoc_value **row, char **msg);

    /* Up to req->size rows ordered by primary key, after req->after.
     * *rows receives an array; *more is set when a further row exists. */
    int (*page)(daoc__store *st, const daoc__schema *s, const daoc__page_req *req,
                daoc_value **rows, bool *more, char **msg);

    /* Beyond Kong: the number of rows req would page through if it had
     * no size and no `after` (its foreign key, tags, query conditions, ttl
     * and workspace apply).  estimate: the store may answer with its
     * planner's estimate instead (*estimated says whether it did). */
    int (*count)(daoc__store *st, const daoc__schema *s, const daoc__page_req *req,
                 bool estimate, int64_t *n, bool *estimated, char **msg);

    /* Inserts a complete, validated entity.  *row receives the stored row. */
    int (*insert)(daoc__store *st, const daoc__schema *s, const daoc_value *entity,
                  const daoc__write_opts *o, daoc_value **row, daoc__violation *viol,
                  char **msg);

    /* Writes every non-primary-key field of `entity` (already merged with the
     * stored row) to the row identified by key.  *row = NULL when no row
     * matched (not found). */
    int (*update)(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                  const daoc_value *entity, const daoc__write_opts *o, daoc_value **row,
                  daoc__violation *viol, char **msg);

    /* Insert or full replace on conflict of key (primary key or the unique
     * field); *row receives the stored row. */
    int (*upsert)(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                  const daoc_value *entity, const daoc__write_opts *o, daoc_value **row,
                  daoc__violation *viol, char **msg);

    /* Deletes the row identified by key (DELETE ... RETURNING).  *row
     * receives the deleted row, shaped exactly as select returns it under
     * the same options (ttl, show_ws_id), or NULL when no row matched; the
     * caller owns it.  row NULL: the caller does not want it (the statement
     * then returns nothing, measured ~3 us a delete cheaper on SQLite).
     * ON DELETE rules of referencing tables apply (cascade / set null /
     * restrict); *row is the parent's row only, never a cascaded child's.
     * On any failure (a RESTRICT violation included) nothing is deleted
     * and *row is NULL. */
    int (*delete)(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                  const daoc__read_opts *o, daoc_value **row, daoc__violation *viol,
                  char **msg);

    /* Deletes expired rows of `s` in small batches until none remain or
     * budget_ms is spent. */
    int (*cleanup_ttl)(daoc__store *st, const daoc__schema *s, int budget_ms, int64_t *deleted,
                       char **msg);

    /* Removes every row of `s` (and its rows in the tags table). */
    int (*truncate)(daoc__store *st, const daoc__schema *s, char **msg);

    /* A page of the tags core entity, read from the tags table the store
     * keeps for every tracked table (store/tags.h): up to `size` rows
     * {tag, entity_name, entity_id}.  tag NULL: every (entity, tag) pair,
     * ordered by entity_id and the tag's position in the entity's tags;
     * after = NULL or [entity_id, position] of the previous page's last
     * pair.  tag a string: the entities holding that tag, ordered by
     * entity_id; after = NULL or [entity_id].  *next receives the `after`
     * of the next page (the caller owns it), or NULL when this page is the
     * last.  Every workspace's rows, as Kong's tags table holds them. */
    int (*page_tags)(daoc__store *st, const daoc_value *tag, const daoc_value *after,
                     int64_t size, daoc_value **rows, daoc_value **next, char **msg);
} daoc__store_ops;

/* Every store begins with this header so the layers above can reach ops. */
struct daoc__store_deploy_ops;

struct daoc__store {
    const daoc__store_ops *ops;
    /* the per-deployment operations (store/deploy.h) */
    const struct daoc__store_deploy_ops *deploy;
    daoc_log_fn log;
    void *log_ud;
    /* The default workspace's id, set by the db layer as soon as it is known
     * (before any workspaceable table is ensured).  ensure_table of a
     * workspaceable schema whose table predates workspaces (no ws_id column:
     * a database an earlier daoc made) adds the column and puts the rows it
     * holds in this workspace, as Kong's 2.1 migration did; its unique
     * constraints stay global (stricter) until migrations rebuild them. */
    char default_ws[37];
    /* Told of every transaction verb the begin/commit/rollback members
     * ran (daoc__store_tx): level is the depth it acted on (1 = the
     * outermost), ok whether it took effect (an outermost commit that
     * failed rolled back).  Set by the layer above (src/db: the CRUD
     * events a transaction holds until its commit); NULL: none. */
    void (*tx_hook)(void *ud, daoc__tx_verb verb, int level, bool ok);
    void *tx_hook_ud;
};

/* A store's begin/commit/rollback member: the verb on tx (tx.h), then
 * st->tx_hook told. */
int daoc__store_tx(daoc__store *st, daoc__tx *tx, const daoc__tx_ops *ops, void *ud,
                   daoc__tx_verb verb, char **msg);

/* Constructors (one per store). */
struct daoc__config;
int daoc__sqlite_open(daoc__store **out, const char *path, char **msg);
/* PostgreSQL (src/store/postgres/): connects with cfg's pg_* keys.  On
 * failure returns DAOC_ESTORE with *msg naming the server and the reason. */
int daoc__pg_open(daoc__store **out, const daoc_config *cfg, char **msg);

#endif
