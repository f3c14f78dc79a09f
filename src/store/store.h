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
 * plus "ttl" (remaining whole seconds, or null) for TTL schemas.  They never
 * contain the hidden cache_key column.
 *
 * Errors.  Members return DAOC_OK, DAOC_ENOMEM, DAOC_ECONSTRAINT (with *viol
 * filled so the DAO can word Kong's message) or DAOC_ESTORE (with *msg, the
 * driver's text, owned by the caller).  Stores do not log user errors.
 *
 * Transactions.  begin/commit/rollback nest by counting: only the outermost
 * pair talks to the database.  Every write member is atomic on its own.
 */
#ifndef DAOC_STORE_STORE_H
#define DAOC_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "daoc.h"
#include "schema/schema.h"

typedef struct daoc__store daoc__store;

typedef enum daoc__viol_kind {
    DAOC__VIOL_UNIQUE = 1,   /* field = the unique field (or -1: cache_key column) */
    DAOC__VIOL_PRIMARY_KEY,  /* duplicate primary key */
    DAOC__VIOL_FOREIGN_KEY,  /* insert/update: field = the foreign field whose parent is missing */
    DAOC__VIOL_RESTRICT      /* delete: `child` names the referencing entity (schema name) */
} daoc__viol_kind;

typedef struct daoc__violation {
    daoc__viol_kind kind;
    long field;        /* index into schema->fields, or -1 */
    const char *child; /* DAOC__VIOL_RESTRICT: borrowed schema name */
} daoc__violation;

/* Read options every read member honours. */
typedef struct daoc__read_opts {
    bool skip_ttl; /* return expired rows too */
} daoc__read_opts;

/* Write options. */
typedef struct daoc__write_opts {
    bool has_ttl;      /* `ttl` option given (TTL schemas only) */
    int64_t ttl;       /* seconds; 0 = never expires */
    const char *cache_key; /* composite cache key string to store, or NULL */
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
} daoc__page_req;

typedef struct daoc__store_ops {
    const char *name; /* strategy name used in messages: "sqlite", "postgres" */

    /* Releases every resource.  Accepts NULL. */
    void (*close)(daoc__store *st);

    /* Makes sure the table for `s` exists with the layout of
     * kong-schema-dao.md section 6 (derived from the schema until
     * migrations own DDL).  Idempotent. */
    int (*ensure_table)(daoc__store *st, const daoc__schema *s, char **msg);

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

    /* Deletes the row; *deleted tells whether one was removed.  ON DELETE
     * rules of referencing tables apply (cascade / set null / restrict). */
    int (*delete)(daoc__store *st, const daoc__schema *s, const daoc__key *key,
                  const daoc__read_opts *o, bool *deleted, daoc__violation *viol, char **msg);

    /* Deletes expired rows of `s` in small batches until none remain or
     * budget_ms is spent. */
    int (*cleanup_ttl)(daoc__store *st, const daoc__schema *s, int budget_ms, int64_t *deleted,
                       char **msg);

    /* Removes every row of `s`. */
    int (*truncate)(daoc__store *st, const daoc__schema *s, char **msg);
} daoc__store_ops;

/* Every store begins with this header so the layers above can reach ops. */
struct daoc__store {
    const daoc__store_ops *ops;
    daoc_log_fn log;
    void *log_ud;
};

/* Constructors (one per store). */
struct daoc__config;
int daoc__sqlite_open(daoc__store **out, const char *path, char **msg);
/* PostgreSQL (src/store/postgres/): connects with cfg's pg_* keys.  On
 * failure returns DAOC_ESTORE with *msg naming the server and the reason. */
int daoc__pg_open(daoc__store **out, const daoc_config *cfg, char **msg);

#endif
