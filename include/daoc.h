/*
 * daoc.h -- the public C API of daoc, the datastore layer for API-gateway
 * plugins.
 *
 * This header is the contract. Everything a program can rely on is declared
 * and documented here; everything else (src/) is internal and may change.
 *
 * Concepts
 *   daoc_value   a JSON-like value tree: null, boolean, integer, number,
 *                string, array, object.  Entities, primary keys, options and
 *                error fields are all values.  "Absent" is a NULL pointer or a
 *                missing object key; "null" is a value of type DAOC_TNULL
 *                (Lua's ngx.null).
 *   daoc_config  settings read from a kong.conf-style file plus DAOC_<KEY>
 *                environment overrides.
 *   daoc_db      an open database: a store (SQLite by default), the loaded
 *                schemas (core entities and plugin daos.lua files) and one DAO
 *                per entity.
 *   daoc_dao     the generated data-access object of one entity.  Borrowed
 *                from its daoc_db; valid until daoc_db_close().
 *   daoc_error   Kong's error object {code, name, message, fields|options,
 *                strategy}.  Returned by DAO calls that fail for a reason a
 *                user can act on (validation, constraints, not found, ...).
 *
 * Status codes and errors: one way, everywhere
 *   Every function that can fail returns an int status from DAOC_STATUS_MAP:
 *   DAOC_OK (0) or a negative DAOC_E* value.  daoc_strerror() names it.
 *   Every function that can fail for a reason other than a NULL argument or
 *   memory (that is, all but the value constructors, daoc_arr_push,
 *   daoc_obj_set and daoc_json_encode) also takes a last `daoc_error **err`.
 *   When err is not NULL, *err is set to NULL on entry and, after every
 *   failure except DAOC_ENOMEM, holds an error object owned by the caller
 *   (daoc_error_free).  Its code is Kong's (DAOC_ERR_*) when the failure is
 *   one of Kong's database errors -- the DAO then returns DAOC_EDAO -- and 0
 *   otherwise, with a name saying what kind of failure it was ("invalid
 *   argument", "configuration error", "schema error", "store error", "lua
 *   error", "json error") and a message saying what exactly.
 *
 * Memory
 *   Every pointer returned through an out-parameter is owned by the caller and
 *   must be released with the matching *_free function, unless documented as
 *   "borrowed".  Borrowed pointers stay valid as long as the object they were
 *   borrowed from and are never freed by the caller.
 *
 * Threads
 *   Values, configs and errors are plain data: distinct objects may be used
 *   from distinct threads.  A daoc_db (and its DAOs) must be used by one
 *   thread at a time; open one handle per thread to work in parallel.  On
 *   PostgreSQL, handles opened with the same connection settings in one
 *   process share one bounded connection pool (pg_pool_size).
 *
 * The library never prints and never exits.  Diagnostics go to the log
 * callback set with daoc_config_set_log().
 */
#ifndef DAOC_H
#define DAOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define DAOC_EXPORT __attribute__((visibility("default")))
#define DAOC_MUSTCHECK __attribute__((warn_unused_result))
#else
#define DAOC_EXPORT
#define DAOC_MUSTCHECK
#endif

#define DAOC_VERSION_MAJOR 0
#define DAOC_VERSION_MINOR 1
#define DAOC_VERSION_PATCH 0
#define DAOC_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------------
 * Status codes
 * ---------------------------------------------------------------------- */

/* XX(name, value, message) */
#define DAOC_STATUS_MAP(XX)                                                  \
    XX(OK, 0, "success")                                                     \
    XX(ENOMEM, -1, "out of memory")                                          \
    XX(EINVAL, -2, "invalid argument")                                       \
    XX(EDAO, -3, "operation failed; see the error object")                   \
    XX(ECONFIG, -4, "invalid configuration")                                 \
    XX(ESCHEMA, -5, "invalid schema definition")                             \
    XX(ELUA, -6, "Lua error")                                                \
    XX(EIO, -7, "input/output error")                                        \
    XX(ESTORE, -8, "store error")                                            \
    XX(ENOTFOUND, -9, "not found")                                           \
    XX(ECONSTRAINT, -10, "constraint violation")                            \
    XX(EMIGRATION, -11, "migrations failed")

enum daoc_status {
#define DAOC_STATUS_GEN(name, value, msg) DAOC_##name = (value),
    DAOC_STATUS_MAP(DAOC_STATUS_GEN)
#undef DAOC_STATUS_GEN
};

/* Kong's error object, or a code-0 error of the library (see "Status codes
 * and errors" above); accessors below. */
typedef struct daoc_error daoc_error;

/* Human text for a status code.  Never NULL; static storage. */
DAOC_EXPORT const char *daoc_strerror(int status);
/* The status code's name without prefix ("ENOMEM").  Never NULL; static. */
DAOC_EXPORT const char *daoc_status_name(int status);

/* Diagnostics: the round trips this process has made to PostgreSQL servers
 * (every handle and pool; connection handshakes not counted; a script of several
 * statements sent at once counts once).  Safe from any thread; for
 * benchmarks and tuning, not for control flow. */
DAOC_EXPORT uint64_t daoc_pg_round_trips(void);

/* ------------------------------------------------------------------------
 * Kong's database error codes (kong/db/errors.lua).  They are data carried by
 * a daoc_error, not status codes.  XX(constant, code, name)
 * ---------------------------------------------------------------------- */
#define DAOC_ERR_MAP(XX)                                                     \
    XX(INVALID_PRIMARY_KEY, 1, "invalid primary key")                        \
    XX(SCHEMA_VIOLATION, 2, "schema violation")                              \
    XX(PRIMARY_KEY_VIOLATION, 3, "primary key violation")                    \
    XX(FOREIGN_KEY_VIOLATION, 4, "foreign key violation")                    \
    XX(UNIQUE_VIOLATION, 5, "unique constraint violation")                   \
    XX(NOT_FOUND, 6, "not found")                                            \
    XX(INVALID_OFFSET, 7, "invalid offset")                                  \
    XX(DATABASE_ERROR, 8, "database error")                                  \
    XX(INVALID_SIZE, 9, "invalid size")                                      \
    XX(INVALID_UNIQUE, 10, "invalid unique %s")                              \
    XX(INVALID_OPTIONS, 11, "invalid options")                               \
    XX(OPERATION_UNSUPPORTED, 12, "operation unsupported")                   \
    XX(FOREIGN_KEYS_UNRESOLVED, 13, "foreign keys unresolved")               \
    XX(DECLARATIVE_CONFIG, 14, "invalid declarative configuration")          \
    XX(TRANSFORMATION_ERROR, 15, "transformation error")                     \
    XX(INVALID_FOREIGN_KEY, 16, "invalid foreign key")                       \
    XX(INVALID_WORKSPACE, 17, "invalid workspace")                           \
    XX(INVALID_UNIQUE_GLOBAL, 18, "invalid global query")                    \
    XX(REFERENCED_BY_OTHERS, 19, "referenced by others")                     \
    XX(INVALID_SEARCH_QUERY, 20, "invalid search query")                     \
    XX(SYNC_DELTAS, 21, "invalid sync deltas")

enum daoc_err_code {
#define DAOC_ERR_GEN(name, code, text) DAOC_ERR_##name = (code),
    DAOC_ERR_MAP(DAOC_ERR_GEN)
#undef DAOC_ERR_GEN
};

/* ------------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------- */

typedef struct daoc_value daoc_value;

typedef enum daoc_type {
    DAOC_TNULL = 1, /* ngx.null */
    DAOC_TBOOL,
    DAOC_TINT, /* exact 64-bit integer */
    DAOC_TNUM, /* double */
    DAOC_TSTR, /* length-carrying byte string (may hold NUL bytes) */
    DAOC_TARR,
    DAOC_TOBJ, /* string keys, insertion ordered, unique */
    DAOC_TFUNC /* an opaque callable (a Lua function in a definition) */
} daoc_type;

/* Constructors.  Each returns a new value owned by the caller (free with
 * daoc_value_free), or NULL when memory is exhausted. */
DAOC_EXPORT daoc_value *daoc_null(void);
DAOC_EXPORT daoc_value *daoc_bool(bool b);
DAOC_EXPORT daoc_value *daoc_int(int64_t i);
DAOC_EXPORT daoc_value *daoc_num(double n);
DAOC_EXPORT daoc_value *daoc_str(const char *s); /* NUL-terminated, copied */
DAOC_EXPORT daoc_value *daoc_strn(const char *s, size_t len); /* copied */
DAOC_EXPORT daoc_value *daoc_arr(void);
DAOC_EXPORT daoc_value *daoc_obj(void);

/* Deep copy; NULL on ENOMEM or when v is NULL. */
DAOC_EXPORT daoc_value *daoc_value_copy(const daoc_value *v);
/* Frees v and everything it owns.  Accepts NULL. */
DAOC_EXPORT void daoc_value_free(daoc_value *v);

/* Inspection.  v must not be NULL. */
DAOC_EXPORT daoc_type daoc_value_type(const daoc_value *v);
DAOC_EXPORT bool daoc_value_bool(const daoc_value *v);     /* false unless TBOOL */
DAOC_EXPORT int64_t daoc_value_int(const daoc_value *v);   /* TINT, or TNUM truncated */
DAOC_EXPORT double daoc_value_num(const daoc_value *v);    /* TNUM or TINT */
/* Borrowed bytes of a TSTR (NUL-terminated for convenience); NULL otherwise.
 * len receives the length when not NULL. */
DAOC_EXPORT const char *daoc_value_str(const daoc_value *v, size_t *len);
/* Number of elements (TARR) or keys (TOBJ); 0 otherwise. */
DAOC_EXPORT size_t daoc_value_len(const daoc_value *v);
/* Borrowed element i of an array; NULL when out of range. */
DAOC_EXPORT const daoc_value *daoc_arr_get(const daoc_value *a, size_t i);
/* Borrowed value of key in an object; NULL when absent. */
DAOC_EXPORT const daoc_value *daoc_obj_get(const daoc_value *o, const char *key);
/* Borrowed key/value of the i-th entry of an object, in insertion order. */
DAOC_EXPORT const char *daoc_obj_key_at(const daoc_value *o, size_t i, const daoc_value **val);

/* Mutation.  The container takes ownership of `item` even on failure (it is
 * freed then).  Setting an existing object key replaces its value in place. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_arr_push(daoc_value *a, daoc_value *item);
DAOC_MUSTCHECK DAOC_EXPORT int daoc_obj_set(daoc_value *o, const char *key, daoc_value *item);
/* Removes key; returns true when it was present. */
DAOC_EXPORT bool daoc_obj_del(daoc_value *o, const char *key);

/* JSON.  daoc_json_decode parses strict JSON (UTF-8 validated, duplicate keys
 * rejected, integers exact, at most 200 levels deep) into a new value owned
 * by the caller.  Text that is not such JSON is DAOC_EINVAL with a code-0
 * "json error" saying why (jansson's words, e.g. "'[' or '{' expected near
 * 'x'").  Integers that do not fit in 64 bits are rejected. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_json_decode(const char *text, size_t len, daoc_value **out,
                                                daoc_error **err);
/* Compact JSON of v, NUL-terminated, owned by the caller (free with
 * daoc_free).  Object keys keep insertion order.  Functions encode as null. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_json_encode(const daoc_value *v, char **out, size_t *len);

/* Frees memory the library handed to the caller as a plain buffer (JSON
 * text, offsets).  Accepts NULL. */
DAOC_EXPORT void daoc_free(void *p);

/* ------------------------------------------------------------------------
 * Errors (Kong's error object)
 * ---------------------------------------------------------------------- */

/* Kong error code (DAOC_ERR_*). */
DAOC_EXPORT int daoc_error_code(const daoc_error *e);
/* Kong error name ("schema violation", "invalid unique name", ...).
 * Borrowed; valid until daoc_error_free. */
DAOC_EXPORT const char *daoc_error_name(const daoc_error *e);
/* Message without the strategy prefix; may be NULL (Kong's message = null).
 * Borrowed. */
DAOC_EXPORT const char *daoc_error_message(const daoc_error *e);
/* "[sqlite] <message>" (or the name when there is no message), the `err`
 * string DAO methods return to Lua.  Borrowed. */
DAOC_EXPORT const char *daoc_error_string(const daoc_error *e);
/* Strategy name ("sqlite", "postgres").  Borrowed. */
DAOC_EXPORT const char *daoc_error_strategy(const daoc_error *e);
/* Field errors (`fields`) or NULL.  Borrowed. */
DAOC_EXPORT const daoc_value *daoc_error_fields(const daoc_error *e);
/* Option errors (`options`, code 11) or NULL.  Borrowed. */
DAOC_EXPORT const daoc_value *daoc_error_options(const daoc_error *e);
/* The whole error object as a value {code, name, message, strategy,
 * fields|options}, owned by the caller; NULL on ENOMEM. */
DAOC_EXPORT daoc_value *daoc_error_to_value(const daoc_error *e);
/* Accepts NULL. */
DAOC_EXPORT void daoc_error_free(daoc_error *e);

/* ------------------------------------------------------------------------
 * Configuration
 * ---------------------------------------------------------------------- */

typedef struct daoc_config daoc_config;

typedef enum daoc_log_level {
    DAOC_LOG_DEBUG = 0,
    DAOC_LOG_INFO,
    DAOC_LOG_NOTICE,
    DAOC_LOG_WARN,
    DAOC_LOG_ERR
} daoc_log_level;

/* Receives every diagnostic the library emits.  msg is valid only during
 * the call.  May be called from any thread that uses a handle. */
typedef void (*daoc_log_fn)(void *ud, daoc_log_level level, const char *msg);

/* Creates a configuration with defaults, then reads `path` when not NULL
 * (kong.conf style: `key = value`, `#` comments), then applies DAOC_<KEY>
 * environment variables.  Unknown keys and bad values fail with
 * DAOC_ECONFIG and a "configuration error" whose message is
 * "<file>:<line>: <why>" or "DAOC_<KEY>: <why>".  On success *out is owned
 * by the caller. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_config_load(daoc_config **out, const char *path,
                                                daoc_error **err);
/* Sets one key as the file would ("sqlite_path", "./x.db").  Same checks;
 * the message is "<key>: <why>" or "unknown configuration key '<key>'".
 *
 * pg_timeout (ms, default 5000) bounds every PostgreSQL call: waiting for a
 * pooled connection and connecting, and each statement on the server
 * (statement_timeout).  A call also gives up on its own when the server does
 * not answer -- frozen, or the network gone -- within pg_timeout + 0.2 s of
 * its start: it returns with code 8 (database error) at most about 0.2 s
 * after that (the time it allows a cancel request), and the connection is
 * dropped, so the next call uses a new one.  A write given up on this way
 * has an unknown outcome, as one whose connection was lost.  Each batch of
 * a TTL cleanup has its own pg_timeout.  Over TCP, keepalives find a dead
 * idle connection (30 s idle, then 3 probes 10 s apart). */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_config_set(daoc_config *cfg, const char *key, const char *value,
                                               daoc_error **err);
/* Current value of a key as text; borrowed, NULL for unknown keys. */
DAOC_EXPORT const char *daoc_config_get(const daoc_config *cfg, const char *key);
DAOC_EXPORT void daoc_config_set_log(daoc_config *cfg, daoc_log_fn fn, void *ud);
/* The log function and its ud set on cfg (NULL when none). */
DAOC_EXPORT void daoc_config_get_log(const daoc_config *cfg, daoc_log_fn *fn, void **ud);
/* Kong's log level names in order of severity: debug 0, info 1, notice 2,
 * warn 3, error 4, crit 5, alert 6, emerg 7; -1 for anything else.  The
 * key log_level (default notice) names the least severe message
 * daoc_admin_start's server passes on to the log function (a daoc level
 * maps to the name of the same word, DAOC_LOG_ERR to error); a program
 * filters the messages of its other calls itself.  The Admin API changes
 * it for a while (PUT /debug/node/log-level/:level). */
DAOC_EXPORT int daoc_log_level_index(const char *name);
DAOC_EXPORT void daoc_config_free(daoc_config *cfg);

/* ------------------------------------------------------------------------
 * Database handle
 * ---------------------------------------------------------------------- */

typedef struct daoc_db daoc_db;
typedef struct daoc_dao daoc_dao;

/* Opens the configured store and loads the core entities and the daos.lua
 * of every plugin in `plugins`.  Creating tables is an explicit step: with
 * create_tables = on the missing tables (and the "default" workspace) are
 * created, in one transaction; otherwise (the library's default) nothing is
 * created and a database that lacks an entity's table is refused with
 * DAOC_ESTORE naming it.  The config is
 * copied; the caller keeps ownership of cfg.  Failures are DAOC_EDAO,
 * DAOC_ESCHEMA, DAOC_ELUA, DAOC_ESTORE or DAOC_ECONFIG, each with *err
 * describing why.
 * DAOC_ECONFIG: settings that cannot work together (pg_ssl = on with a
 * unix-socket pg_host or pg_ro_host: PostgreSQL offers no SSL there, and
 * libpq would connect in plain text), or a name in `plugins` with no module
 * of that plugin (handler, schema, daos, migrations) on lua_package_path.
 * SQLite open errors name the file.
 * An existing table must fit its entity (core and plugin alike): a column
 * for every stored field (and the hidden ttl / cache_key columns a ttl or
 * composite-cache-key entity uses), each of a compatible type (SQLite: the
 * same type affinity; PostgreSQL: the same family, e.g. INTEGER for BIGINT,
 * VARCHAR for TEXT).  Columns the entity does not use are allowed.  Tables
 * are not altered to fit, except that with create_tables = on a
 * workspaceable table from before workspaces gets its ws_id column (with it
 * off, ws_id must be there).  A table that does not fit is
 * DAOC_ESCHEMA, with a message naming each difference, e.g. "table 'foo'
 * does not match entity 'foo': column 'b' (field 'b') is missing; column
 * 'a' has type TEXT, entity 'foo' field 'a' needs INTEGER".
 * A definition with an identifier longer than PostgreSQL keeps (63 bytes:
 * the table, a column, or a constraint or index name derived from them) is
 * refused on every store with DAOC_ESCHEMA naming it. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_db_open(daoc_db **out, const daoc_config *cfg, daoc_error **err);
/* Accepts NULL.  Invalidates every DAO and value borrowed from db. */
DAOC_EXPORT void daoc_db_close(daoc_db *db);

/* The DAO of entity `name` (e.g. "consumers"), or NULL.  Borrowed. */
DAOC_EXPORT daoc_dao *daoc_db_dao(daoc_db *db, const char *name);
/* Number of loaded entities and the name of the i-th (load order). */
DAOC_EXPORT size_t daoc_db_dao_count(const daoc_db *db);
DAOC_EXPORT const char *daoc_db_dao_name(const daoc_db *db, size_t i);

/* The DAO's schema, described as Kong describes a schema (its Admin API's
 * /schemas/<entity>): an object with
 *   name, primary_key (array of field names), endpoint_key, cache_key,
 *   ttl, workspaceable, generate_admin_api, db_export (booleans),
 *   admin_api_name, admin_api_nested_name, dao, plugin (when set),
 *   table_name (when it differs from name),
 *   fields: an array, in definition order, of one-key objects
 *     {<field name> = {type = "string" | "integer" | "number" | "boolean" |
 *     "array" | "set" | "map" | "record" | "foreign" | "json", and every
 *     attribute that is set: required, unique, unique_across_ws, immutable,
 *     auto, uuid, timestamp, transient, default, one_of, between, len_min,
 *     match, ..., elements / keys / values (field definitions), fields
 *     (records, the same shape), reference and on_delete (foreign)}},
 *   entity_checks: [{<check> = <fields or its table>}] (when there are any).
 * What it shows is what is enforced (compiled values: a record is required
 * unless declared otherwise).  Lua functions appear as true.  Borrowed:
 * owned by the DAO, valid until daoc_db_close; NULL for a NULL dao. */
DAOC_EXPORT const daoc_value *daoc_dao_schema(const daoc_dao *dao);

/* Deletes expired rows of every TTL entity, spending at most budget_ms
 * milliseconds per entity; *deleted (optional) receives the number of rows
 * removed.  An expired row that a `restrict` foreign key still references
 * (directly or through `cascade` children) is kept until its children go;
 * every other expired row is removed, on every store.  A table whose cleanup
 * fails is logged and skipped: the others are still cleaned, and the first
 * failure's status is returned, *err naming its table.  Reads never return expired rows whether or
 * not this ran; daoc_db_open runs it once with a small budget, and
 * long-running programs should call it periodically (Kong's default
 * interval is 300 s). */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_db_cleanup_ttl(daoc_db *db, int budget_ms, int64_t *deleted,
                                                   daoc_error **err);

/* ---- CRUD events (Kong's post_crud_event, "dao:crud") ----
 * Every change a handle's DAOs make -- insert, update, upsert, delete,
 * from C, Lua or the Admin API -- is an event:
 *   operation    "create", "update" or "delete" (an upsert is an update
 *                when the row existed, else a create)
 *   entity_name  the DAO's name ("consumers", "keyauth_credentials")
 *   entity       the entity as written, nulls removed (delete: the
 *                entity deleted)
 *   old_entity   update: the entity before; else NULL
 *   cache_keys   daoc_dao_cache_key of entity and, when it differs, of
 *                old_entity: the keys a cache must drop
 * An event is told only once the change is committed, in the thread that
 * committed it: after the write returns, or at the daoc_db_commit of the
 * transaction around it; never for a change rolled back (a savepoint or
 * the whole transaction).  A delete that cascades tells one "delete" per
 * entity its cascade deletes, after the parent's.  A handle without a
 * subscriber builds no event (nothing is read or copied for them).
 * Everything the event points to is valid during the call only. */
typedef struct daoc_crud_event {
    const char *operation;
    const char *entity_name;
    const daoc_value *entity;
    const daoc_value *old_entity;
    const char *const *cache_keys;
    size_t ncache_keys;
} daoc_crud_event;
typedef void (*daoc_crud_fn)(void *ud, const daoc_crud_event *ev);
/* Subscribes fn to db's CRUD events (in order of subscription; a
 * subscriber's own writes are told too, after the event that caused
 * them).  DAOC_OK, DAOC_ENOMEM, DAOC_EINVAL (db NULL, fn NULL, or a
 * handle of the migrations engine). */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_db_on_crud(daoc_db *db, daoc_crud_fn fn, void *ud);
/* This process's node id (a UUID, made once per process, as Kong's node
 * id): the node_id of the Admin API's answers, and of the cluster events
 * the process will write.  Static storage. */
DAOC_EXPORT const char *daoc_node_id(void);

/* ---- Cluster events (Kong's kong.cluster_events) ----
 * Every change committed to an entity table, by any node, writes Kong's
 * invalidation events into the cluster_events table in its own
 * transaction (the tables' triggers): channel "invalidations" (or
 * "invalidations_kong_core_db_cache" for the entities of Kong's core
 * cache), data the entity's cache key (daoc_dao_cache_key; the old one
 * too when an update changed it).  A daoc_cluster is a node's reader of
 * them: it tells its subscribers of each event once, by channel.
 *   - PostgreSQL: a connection of its own LISTENs, and each commit's
 *     NOTIFY is told within milliseconds; when LISTEN cannot work (a
 *     pooler in transaction mode) a notice says so and the reads below
 *     do.
 *   - Every db_update_frequency seconds (default 5) it also reads the
 *     table, for anything a notification missed; on SQLite that is how
 *     processes sharing the file hear of each other's changes.
 *   - db_update_propagation seconds (default 0) delay every event (a read
 *     replica's lag): events are then told by the reads alone.
 * Events already in the table when the reader opens are not told. */
typedef struct daoc_cluster daoc_cluster;
typedef struct daoc_cache daoc_cache; /* the entity cache, below */
typedef void (*daoc_cluster_fn)(void *ud, const char *channel, const char *data);
/* Opens cfg's database for reading its cluster events.  *out owned by the
 * caller (daoc_cluster_close).  Store failures as daoc_db_open's. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_cluster_open(daoc_cluster **out, const daoc_config *cfg,
                                                 daoc_error **err);
/* fn is told of every event of `channel` (NULL: of every channel), in
 * the thread that reads (daoc_cluster_start's, or daoc_cluster_poll's
 * caller); channel and data are valid during the call. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_cluster_subscribe(daoc_cluster *c, const char *channel,
                                                      daoc_cluster_fn fn, void *ud);
/* Starts the reader's thread (LISTEN and the periodic reads) until
 * daoc_cluster_close. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_cluster_start(daoc_cluster *c, daoc_error **err);
/* Without the thread: one read now, in the caller's thread; *told (may
 * be NULL) the events told. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_cluster_poll(daoc_cluster *c, size_t *told, daoc_error **err);
/* Kong's cluster_events:broadcast: one event of `channel` with `data`
 * for every other node (this one is not told of it), told after `delay`
 * seconds (db_update_propagation when larger).  DAOC_EDAO with "could not
 * insert invalidation row: <why>" when the database refuses. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_cluster_broadcast(daoc_cluster *c, const char *channel,
                                                      const char *data, double delay,
                                                      daoc_error **err);
/* Subscribes daoc_cache_invalidate_local of `cache` to Kong's two
 * invalidation channels: the other nodes' changes drop their keys. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_cluster_feed_cache(daoc_cluster *c, daoc_cache *cache);
/* A daoc_cache_invalidate_fn (daoc_cache_opts.on_invalidate) whose ud is
 * a daoc_cluster: kong.cache:invalidate's broadcast on "invalidations"
 * (best effort, as Kong: a failure leaves the others to their ttl). */
DAOC_EXPORT void daoc_cluster_invalidation(void *cluster, const char *key, size_t keylen);
/* {listening, reads, reads_others, notifications, told,
 * db_update_frequency, db_update_propagation}, owned by the caller; NULL
 * on ENOMEM.  reads_others: the reads that took only the events no
 * trigger wrote, while the listener had been told the triggers' ones. */
DAOC_EXPORT daoc_value *daoc_cluster_stats(daoc_cluster *c);
/* Stops the thread (if started) and frees everything. */
DAOC_EXPORT void daoc_cluster_close(daoc_cluster *c);

/* Groups DAO writes into one transaction: every write between begin and
 * commit becomes visible at commit, or none does after rollback.  Calls
 * nest: an inner begin is a savepoint, an inner rollback undoes only what
 * ran since that begin, and the outer transaction goes on.  A failed DAO
 * write inside a transaction leaves the transaction usable: the failed call
 * itself changed nothing.  Commit or rollback without a transaction returns
 * DAOC_EINVAL ("invalid argument", "no transaction is open"); a store that
 * refuses returns DAOC_EDAO with code 8 (database error). */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_db_begin(daoc_db *db, daoc_error **err);
DAOC_MUSTCHECK DAOC_EXPORT int daoc_db_commit(daoc_db *db, daoc_error **err);
DAOC_EXPORT int daoc_db_rollback(daoc_db *db, daoc_error **err);

/* The bytes the Lua states of every open database handle of this process
 * hold (within 64 KiB per handle): the Admin API's /status reports it. */
DAOC_EXPORT size_t daoc_lua_memory(void);

/* Runs a Lua script with `kong.db`, `kong.log` and `ngx.null` ready.  An
 * uncaught Lua error returns DAOC_ELUA with the message in *err. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_db_run_lua_file(daoc_db *db, const char *path, int argc,
                                                    char **argv, daoc_error **err);

/* ------------------------------------------------------------------------
 * A plugin's own Admin API routes: the kong.plugins.<name>.api modules of
 * the enabled plugins, of every generation (Kong's { ["/path/:param"] =
 * { before = fn, GET = fn, ... } } shape; 1.x+ modules whose routes name
 * a `schema`, 0.x ones without), loaded into db's Lua state on first use.
 * The Admin API (daoc_admin_start) mounts them; a C program with its own
 * HTTP server can do the same.
 * ---------------------------------------------------------------------- */

/* *routes (owned by the caller) receives an array of objects
 *   {"plugin": "acl", "path": "/consumers/:consumers/acls/:acls",
 *    "methods": ["GET", "PUT"], "before": true|false,
 *    "schema": "acls" (1.x+ routes that name one; absent otherwise),
 *    "style": "new" (1.x+ module) | "old" (0.x module)}
 * ordered by plugin (as enabled) then path, the same on every handle of
 * one configuration: an element's index is its route number below.
 * Failures: DAOC_ELUA (a module that fails to load, with file and line),
 * DAOC_ENOMEM. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_db_plugin_api_routes(daoc_db *db, daoc_value **routes,
                                                         daoc_error **err);

/* What a route's handler answered: status, body bytes and headers. */
typedef struct daoc_api_reply {
    int status;
    char *body; /* owned: malloc'd (daoc_free frees it), NULL when empty */
    size_t body_len;
    daoc_value *headers; /* owned object of name -> string ("Content-Type"
                            included), or NULL */
} daoc_api_reply;

/* Clears a reply (frees what it holds; the struct itself is the
 * caller's). */
DAOC_EXPORT void daoc_api_reply_free(daoc_api_reply *reply);

/* The caller's answer to a generated endpoint a handler asks for
 * (parent() in 1.x+ handlers, the kong.api.endpoints helpers).  call is
 *   {"kind": "parent" (the generated endpoint of the route's own path)
 *            | "collection" | "entity" (with a foreign schema: the nested
 *            or foreign-entity route; the schema holding `field` is the
 *            child, as Kong's helpers name them in either order),
 *    "schema": entity, "foreign_schema": entity, "field": foreign field,
 *    "method": "GET", "params": {...}, "uri": {...}, "post": {...}}
 * (params as the handler left them: path parameters percent-encoded, as
 * sent).  It fills reply and returns DAOC_OK; anything else makes the
 * handler fail (500). */
typedef int (*daoc_api_generated_fn)(void *ud, const daoc_value *call, daoc_api_reply *reply);

/* Runs route number `route` for one request:
 *   {"method": "GET", "path": "/consumers/bob/acls/admins",
 *    "pattern": the route's path, "params": {"consumers": "bob", ...}
 *    (path parameters as sent), "uri": query arguments, "post": body
 *    arguments (decoded, nested), "json": true when the body was JSON,
 *    "headers": {lower-case name: value}, "host", "port", "scheme",
 *    "query": the raw query string, "has_parent": true when the route
 *    overrides a generated one, which parent() then answers}
 * reply (zeroed first) receives the handler's answer; a handler that
 * fails is answered 500 {"message":"An unexpected error occurred"} and
 * its error logged (warn level through the configured log callback), and
 * still returns DAOC_OK.  Failures: DAOC_EINVAL (no such route),
 * DAOC_ELUA (the state cannot run it), DAOC_ENOMEM. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_db_plugin_api_call(daoc_db *db, size_t route,
                                                       const daoc_value *request,
                                                       daoc_api_generated_fn generated, void *ud,
                                                       daoc_api_reply *reply, daoc_error **err);

/* ------------------------------------------------------------------------
 * Migrations: `daoc migrations <command>` as a function, with the
 * semantics, messages and exit codes of `kong migrations` (the command
 * names in messages being daoc's).  command is one of bootstrap, up,
 * finish, list, status, reset, and daoc's plan (what `up` would run, in
 * order, without running it; exit 0, or 3 when the database needs a
 * bootstrap, whose plan is then shown) and down (a 0.x plugin's `down`
 * migrations, newest first, on PostgreSQL: opts->subsystem, opts->to) and
 * check (every pending migration tried on a scratch database: twice, and
 * stopped after each of its statements then run again; exit 1 naming each
 * one that is not reentrant; PostgreSQL, opts->scratch).  The database is
 * opened from cfg with every
 * enabled plugin loaded; subsystems are `core` and every plugin with
 * migrations for the store in use; the others' tables come from their
 * schemas.  Every line of output goes to out (level INFO for what Kong
 * prints on stdout, WARN/ERR for stderr; out may be NULL).  *exit_code
 * receives the process exit status Kong's CLI gives (list: 3 needs
 * bootstrap, 4 pending teardowns, 5 new migrations; reset of a database
 * never bootstrapped: 1).  Returns DAOC_OK when the command ran; on a
 * failure (exit status 1) a status with *err (a "migrations error" with
 * Kong's message, "failed to run migration '<name>' up: ...").
 * ---------------------------------------------------------------------- */
typedef struct daoc_migrations_opts {
    bool force;          /* -f: bootstrap resets first; up/finish re-run what ran;
                            up/finish go on although a migration's file changed */
    bool yes;            /* -y: reset without asking */
    double lock_timeout; /* --lock-timeout seconds (0: 60): how long up waits for
                            another node, and the lock's time to live */
    /* reset's question when yes is false: true to go on; NULL: there is no
     * terminal to ask on and reset fails, as Kong's does */
    bool (*confirm)(void *ud, const char *question);
    void *confirm_ud;
    bool sql;            /* plan --sql: print each migration's `up` SQL too */
    const char *subsystem; /* down: the plugin whose 0.x migrations to roll back */
    const char *to;        /* down --to NAME: roll back every one after NAME (NULL:
                              only the newest) */
    const char *scratch;   /* check --scratch NAME: an empty database on the same
                              server to check on, left as it is (NULL: check
                              creates daoc_check_<random> and drops it after) */
} daoc_migrations_opts;

DAOC_MUSTCHECK DAOC_EXPORT int daoc_migrations(const daoc_config *cfg, const char *command,
                                               const daoc_migrations_opts *opts, daoc_log_fn out,
                                               void *out_ud, int *exit_code, daoc_error **err);

/* ------------------------------------------------------------------------
 * DAO methods.  They mirror kong.db.<entity>:<method>.
 *
 * Common rules:
 *   - `opts` may be NULL; otherwise an object of Kong options (nulls, ttl,
 *     skip_ttl, tags, tags_cond, pagination, ...); invalid options give
 *     code 11.
 *   - `pk` is an object holding the primary-key fields ({"id": "..."}); an
 *     entity may be passed, its non-key fields are ignored.
 *   - On success *out receives a new value owned by the caller.
 *   - On a failure Kong reports with an error code the function returns
 *     DAOC_EDAO and *err receives that error object.  *out is NULL then.
 *   - Misuse (a NULL entity, an unknown field name for *_by / page_for) is
 *     DAOC_EINVAL with a code-0 "invalid argument" error saying which.
 * ---------------------------------------------------------------------- */

/* Entity by primary key; *out = NULL (and DAOC_OK) when there is none. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_dao_select(daoc_dao *dao, const daoc_value *pk,
                                               const daoc_value *opts, daoc_value **out,
                                               daoc_error **err);
/* Entity by a unique field or the endpoint key (`select_by_<field>`). */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_dao_select_by(daoc_dao *dao, const char *field,
                                                  const daoc_value *value, const daoc_value *opts,
                                                  daoc_value **out, daoc_error **err);
/* One page.  size <= 0 means the default page size.  offset is NULL for the
 * first page.  *rows receives an array; *next_offset a token owned by the
 * caller (daoc_free), or NULL on the last page.
 *
 * Beyond Kong, two options query the page (page and page_for alike), on
 * the fields an index serves: the primary key (when it is one field),
 * unique fields and foreign keys.
 *   filter = {<field> = v, <field> = {eq = v, gt = v, gte = v, lt = v, lte = v}}
 *       conditions, all of which a row meets (AND; also with tags, ttl and
 *       the workspace); v has the field's type (a foreign key: its entity's
 *       key, or {"<key>": v}); a row whose field is null meets none.
 *   sort = "<field>" or "-<field>" (descending): keyset order on (field,
 *       primary key), so equal values neither skip nor repeat rows across
 *       pages; null values sort last ("-": first).
 * Another order than the primary key's gives offsets of its own, which a
 * page of another order refuses (code 7).  An unknown or unindexed field,
 * an unknown operator or a value of another type is code 11 (options
 * {filter = ...} / {sort = ...}). */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_dao_page(daoc_dao *dao, int64_t size, const char *offset,
                                             const daoc_value *opts, daoc_value **rows,
                                             char **next_offset, daoc_error **err);
/* Beyond Kong: the number of rows the pages of `opts` (tags, filter,
 * workspace, skip_ttl; sort and paging ignored) hold.  opts.count =
 * "exact" (the default) counts them; "estimated" lets the store answer
 * with its planner's estimate (PostgreSQL: EXPLAIN's row estimate; SQLite
 * always counts), *estimated saying whether it did.  Any other value is
 * code 11. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_dao_count(daoc_dao *dao, const daoc_value *opts,
                                              int64_t *total, bool *estimated, daoc_error **err);
/* page_for_<foreign_field>(fk, size, offset, opts). */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_dao_page_for(daoc_dao *dao, const char *foreign_field,
                                                 const daoc_value *fk, int64_t size,
                                                 const char *offset, const daoc_value *opts,
                                                 daoc_value **rows, char **next_offset,
                                                 daoc_error **err);
/* The tags entity's page_by_tag(tag, size, offset, opts): the entities
 * holding `tag` (a string), as rows {tag, entity_name, entity_id} ordered
 * by entity_id.  The tags entity (daoc_db_dao(db, "tags")) is read only:
 * page lists every (entity, tag) pair, its writes and select fail with
 * code 2; on another entity this function is DAOC_EINVAL. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_dao_page_by_tag(daoc_dao *dao, const daoc_value *tag,
                                                    int64_t size, const char *offset,
                                                    const daoc_value *opts, daoc_value **rows,
                                                    char **next_offset, daoc_error **err);
DAOC_MUSTCHECK DAOC_EXPORT int daoc_dao_insert(daoc_dao *dao, const daoc_value *entity,
                                               const daoc_value *opts, daoc_value **out,
                                               daoc_error **err);
/* Partial update (PATCH semantics).  Not found is code 6. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_dao_update(daoc_dao *dao, const daoc_value *pk,
                                               const daoc_value *entity, const daoc_value *opts,
                                               daoc_value **out, daoc_error **err);
DAOC_MUSTCHECK DAOC_EXPORT int daoc_dao_update_by(daoc_dao *dao, const char *field,
                                                  const daoc_value *value, const daoc_value *entity,
                                                  const daoc_value *opts, daoc_value **out,
                                                  daoc_error **err);
/* Full replace or create (PUT semantics). */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_dao_upsert(daoc_dao *dao, const daoc_value *pk,
                                               const daoc_value *entity, const daoc_value *opts,
                                               daoc_value **out, daoc_error **err);
DAOC_MUSTCHECK DAOC_EXPORT int daoc_dao_upsert_by(daoc_dao *dao, const char *field,
                                                  const daoc_value *value, const daoc_value *entity,
                                                  const daoc_value *opts, daoc_value **out,
                                                  daoc_error **err);
/* Deletes; succeeds (DAOC_OK) also when the row does not exist. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_dao_delete(daoc_dao *dao, const daoc_value *pk,
                                               const daoc_value *opts, daoc_error **err);
DAOC_MUSTCHECK DAOC_EXPORT int daoc_dao_delete_by(daoc_dao *dao, const char *field,
                                                  const daoc_value *value, const daoc_value *opts,
                                                  daoc_error **err);
/* Kong's cache key string ("name:a:b:c:d:e:ws") of an entity, owned by the
 * caller (daoc_free).  See DAO:cache_key in the Kong docs.  entity is an
 * object, or a string (the key's single part).  The ws part (Kong 2.1) is
 * empty unless the entity is workspaceable; then it is the object's
 * "ws_id" when it has one, else the default workspace's id. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_dao_cache_key(daoc_dao *dao, const daoc_value *entity,
                                                  char **out, daoc_error **err);
/* Checks entity as daoc_dao_insert would before it writes -- shorthand
 * fields applied, auto fields filled, the schema and its entity checks --
 * without reading or writing the store (foreign keys are not looked up).
 * DAOC_OK, or DAOC_EDAO with the schema violation (code 2) in *err: what
 * Kong's POST /schemas/<entity>/validate answers. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_dao_validate_insert(daoc_dao *dao, const daoc_value *entity,
                                                        daoc_error **err);
/* The subschema registered under `key` (a plugin's schema in the plugins
 * DAO, by the plugin's name), described as daoc_dao_schema describes a
 * schema; owned by the caller, NULL when there is none. */
DAOC_EXPORT daoc_value *daoc_dao_subschema(const daoc_dao *dao, const char *key);
/* The entity name of a DAO.  Borrowed. */
DAOC_EXPORT const char *daoc_dao_name(const daoc_dao *dao);

/* ------------------------------------------------------------------------
 * Admin API: Kong's Admin API generated from the loaded schemas, over
 * HTTP (docs/admin-api.md).  daoc_admin_start opens the database of cfg
 * (the config is copied; each server thread opens its own handle from the
 * copy on its first request), builds the routes and listens on every
 * address of admin_listen (Kong's syntax; port 0 picks a free port, see
 * daoc_admin_port).  It returns at once: requests are served by internal
 * threads until daoc_admin_stop.  Failures: those of daoc_db_open, and
 * DAOC_ECONFIG / DAOC_EIO naming an address that cannot be listened on.
 * ---------------------------------------------------------------------- */
typedef struct daoc_admin daoc_admin;

DAOC_MUSTCHECK DAOC_EXPORT int daoc_admin_start(daoc_admin **out, const daoc_config *cfg,
                                                daoc_error **err);
/* How many addresses it listens on, and the port of the i-th (-1 past
 * the last). */
DAOC_EXPORT size_t daoc_admin_listeners(const daoc_admin *a);
DAOC_EXPORT int daoc_admin_port(const daoc_admin *a, size_t i);
/* Stops accepting connections, waits up to grace_ms for the requests in
 * flight to be answered, then closes every connection and handle and
 * frees a.  Accepts NULL. */
DAOC_EXPORT void daoc_admin_stop(daoc_admin *a, int grace_ms);

/* ------------------------------------------------------------------------
 * Entity cache (src/cache/): an in-process cache of values by string key
 * with mlcache's semantics (kong/resty/mlcache): ttl, neg_ttl (cached
 * misses), resurrect_ttl (a stale value served again when the loader
 * fails), single-flight loading (one loader per key at a time; concurrent
 * callers wait and share its answer), stale-while-revalidate, a memory
 * bound in bytes with approximate-LRU (CLOCK) eviction, and counters per
 * entity class (the key's text before its first ':', Kong's cache_key
 * "consumers:<id>:::::<ws>" is class "consumers"; keys without ':' are
 * class "*").
 *
 * Times are seconds (double) on the monotonic clock; a ttl of 0 means the
 * entry never expires, as in mlcache.  The cache is safe to use from any
 * number of threads at once.  It never prints and never logs.  Cluster
 * broadcast is not its business: daoc_cache_invalidate calls the
 * on_invalidate hook of the options, through which the layer above
 * broadcasts.
 * ---------------------------------------------------------------------- */
typedef struct daoc_cache daoc_cache;
/* A reference to a cached value: what a hit returns, without any copy.
 * The value it holds stays valid and unchanged until the reference is
 * released, whatever happens to the cache entry meanwhile (an
 * invalidation, an eviction, a newer value, daoc_cache_free).
 * A hit's reference is borrowed from a few slots of the calling thread
 * (8): taking it writes nothing another thread reads, which is what lets
 * hits scale across cores.  While all 8 are held, hits take the cache's
 * lock and give counted references instead; so a reference to be held
 * beyond the work at hand goes through daoc_cache_keep first. */
typedef struct daoc_cache_ref daoc_cache_ref;

/* Called by daoc_cache_invalidate after the local removal, on the
 * caller's thread; key is borrowed for the call. */
typedef void (*daoc_cache_invalidate_fn)(void *ud, const char *key, size_t keylen);

typedef struct daoc_cache_opts {
    size_t mem_size;      /* bound on the bytes held (keys, values, entries); default 128m */
    double ttl;           /* seconds a value lives; 0 = no expiry (default) */
    double neg_ttl;       /* seconds a miss (NULL value) lives; 0 = no expiry (default) */
    double resurrect_ttl; /* seconds a stale value is served again after a loader
                             error; 0 = never resurrect; default 30 */
    unsigned shards;      /* lock shards, rounded up to a power of two <= 1024; default 64 */
    daoc_cache_invalidate_fn on_invalidate; /* optional */
    void *on_invalidate_ud;
} daoc_cache_opts;

/* The defaults above. */
DAOC_EXPORT daoc_cache_opts daoc_cache_opts_default(void);

/* Kong's size syntax ("128m", "512k", "1g", "4096"; k/m/g are powers of
 * 1024, case-insensitive) into *out bytes.  DAOC_EINVAL for anything else
 * (empty, signs, spaces, other suffixes, more than 2^40 bytes); *out is
 * left unchanged then. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_cache_parse_size(const char *text, size_t *out);

/* A new cache, owned by the caller (daoc_cache_free).  opts NULL = the
 * defaults (mem_size 0 and shards 0 also mean the default).  DAOC_EINVAL
 * (with *err) for a negative or NaN time, more than 1024 shards or a
 * mem_size below 4096 bytes; bytes are bounded per shard (mem_size /
 * shards each). */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_cache_new(const daoc_cache_opts *opts, daoc_cache **out,
                                              daoc_error **err);
/* Frees the cache and every entry no reference holds; references still
 * held stay valid until released.  No call may be running on c.  Accepts
 * NULL. */
DAOC_EXPORT void daoc_cache_free(daoc_cache *c);

/* The value of a reference: borrowed, valid until daoc_cache_release(ref);
 * never NULL (a cached miss is answered with no reference at all).  It is
 * shared with other threads: never modify it. */
DAOC_EXPORT const daoc_value *daoc_cache_value(const daoc_cache_ref *ref);
/* Drops a reference (from any thread).  Accepts NULL. */
DAOC_EXPORT void daoc_cache_release(daoc_cache_ref *ref);
/* A reference to the same value that holds none of the calling thread's
 * slots, for keeping long; takes over ref (released, also on failure).
 * NULL when ref is NULL, or on ENOMEM (rare: only when ref's entry had
 * left the cache, which makes its value a copy). */
DAOC_MUSTCHECK DAOC_EXPORT daoc_cache_ref *daoc_cache_keep(daoc_cache_ref *ref);

/* Per-call options.  A field < 0 means "the cache's own setting"; start
 * from DAOC_CACHE_GET_OPTS_INIT.  refresh: when a hit finds its entry
 * within `refresh` seconds of expiring, one caller (exactly one per entry
 * at a time) runs the loader inline and gets the new value; the others keep
 * getting the current one.  0 (the default) = no early refresh. */
typedef struct daoc_cache_get_opts {
    double ttl, neg_ttl, resurrect_ttl, refresh;
} daoc_cache_get_opts;
#define DAOC_CACHE_GET_OPTS_INIT {-1.0, -1.0, -1.0, 0.0}

/* Loads the value of key on a miss.  Returns DAOC_OK and sets *value to a
 * new value (the cache takes it over) or leaves it NULL: "not found", cached
 * as a miss for neg_ttl.  Or returns a negative DAOC_E* status (others are
 * taken as DAOC_ESTORE) and may write a NUL-terminated message into err
 * (errlen bytes); *value is then ignored (freed when set).  Runs on the
 * calling thread, outside every lock of the cache; it may use the cache
 * for other keys, not for its own key. */
typedef int (*daoc_cache_loader_fn)(void *ud, const char *key, size_t keylen, daoc_value **value,
                                    char *err, size_t errlen);

/* Called by a loader while it runs (mlcache's third return value): the
 * value it is loading is kept for ttl seconds instead of the options' ttl
 * (neg_ttl for a miss); 0 = never expires; a negative ttl = answered to
 * the callers, not cached.  Elsewhere, or with NaN, it does nothing. */
DAOC_EXPORT void daoc_cache_load_ttl(double ttl);

/* mlcache's get.  On DAOC_OK *ref is a new reference owned by the caller
 * (daoc_cache_release), or NULL for a miss (a cached one, one the loader
 * just answered, or, without a loader, a key not in the cache).
 * *hit_level (optional): 1 = answered from memory (a value or a cached
 * miss), 3 = the loader ran for this call (by this caller, or by another
 * one this call waited for), 4 = the loader failed and a stale value was
 * resurrected for resurrect_ttl seconds, -1 = no entry and no loader.
 * Exactly one loader runs per key at a time (single flight).  A failed
 * load with nothing to resurrect returns the loader's status with *err
 * (named after the status, its message the loader's text) and caches
 * nothing.  opts NULL = the cache's settings.  A key is any bytes,
 * keylen >= 1. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_cache_get(daoc_cache *c, const char *key, size_t keylen,
                                              const daoc_cache_get_opts *opts,
                                              daoc_cache_loader_fn loader, void *ud,
                                              daoc_cache_ref **ref, int *hit_level,
                                              daoc_error **err);

/* One key of daoc_cache_get_bulk: inputs, then the answers as
 * daoc_cache_get gives them (ref and err owned by the caller). */
typedef struct daoc_cache_bulk_item {
    const char *key;
    size_t keylen;
    const daoc_cache_get_opts *opts; /* NULL = the cache's settings */
    daoc_cache_loader_fn loader;     /* may be NULL */
    void *ud;
    int status;
    daoc_cache_ref *ref;
    int hit_level;
    daoc_error *err;
} daoc_cache_bulk_item;
/* daoc_cache_get for each of items[0..n), in order, each answer in its
 * item.  Returns DAOC_OK when every item's status is DAOC_OK, else the
 * first failing item's status (the answers are all there either way). */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_cache_get_bulk(daoc_cache *c, daoc_cache_bulk_item *items,
                                                   size_t n);

/* Whether ref (a reference daoc_cache_get or _peek gave) is still the
 * live entry of its key: not replaced, invalidated, evicted or expired.
 * When it is, that counts as a hit (and recency), as a get's would.  For
 * a caller that keeps its own copy of the value next to the reference
 * (kong.cache's per-Lua-state copies) and wants to know it may serve it. */
DAOC_EXPORT bool daoc_cache_still(daoc_cache *c, const daoc_cache_ref *ref);

/* Looks at key without loading, counting or touching its recency (mlcache's
 * probe).  DAOC_ENOTFOUND when there is no entry.  Otherwise DAOC_OK:
 * *ref (optional) a new reference owned by the caller, NULL for a cached
 * miss; *ttl (optional) the seconds left, 0 for an entry that never
 * expires, negative once expired; *stale (optional) true when the entry
 * has expired or is a resurrected value. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_cache_peek(daoc_cache *c, const char *key, size_t keylen,
                                               daoc_cache_ref **ref, double *ttl, bool *stale);

/* Stores a private copy of value for key (NULL = a cached miss), for
 * opts' ttl (neg_ttl for NULL), replacing any entry.  The caller keeps
 * value.  DAOC_ENOMEM, or DAOC_EINVAL for a bad key. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_cache_set(daoc_cache *c, const char *key, size_t keylen,
                                              const daoc_value *value,
                                              const daoc_cache_get_opts *opts, daoc_error **err);

/* Runs the loader now, whatever is cached (mlcache's renew), stores its
 * answer as get would and returns it (*ref as daoc_cache_get).  A failed
 * load leaves the cache as it was and returns the failure. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_cache_renew(daoc_cache *c, const char *key, size_t keylen,
                                                const daoc_cache_get_opts *opts,
                                                daoc_cache_loader_fn loader, void *ud,
                                                daoc_cache_ref **ref, daoc_error **err);

/* Removes key from this process's cache (a load running for it then
 * answers its callers but stores nothing).  Returns whether an entry was
 * there. */
DAOC_EXPORT bool daoc_cache_invalidate_local(daoc_cache *c, const char *key, size_t keylen);
/* daoc_cache_invalidate_local, then the on_invalidate hook (the layer above
 * broadcasts to the cluster through it). */
DAOC_EXPORT bool daoc_cache_invalidate(daoc_cache *c, const char *key, size_t keylen);
/* Removes every entry (expired ones too). */
DAOC_EXPORT void daoc_cache_purge(daoc_cache *c);

/* The counters as a new object owned by the caller (daoc_value_free):
 * {hits, misses, stale, evictions, invalidations, loads, load_errors,
 *  bytes, entries, classes = {<class> = {the same nine}}}.
 * hits: calls answered from memory; misses: calls that found no live
 * entry (those that waited for another caller's load included); stale:
 * resurrected values served; invalidations: entries invalidate_local
 * removed; evictions: entries the byte bound pushed out; loads /
 * load_errors: loader runs and their
 * failures; bytes / entries: what is held now. */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_cache_stats(daoc_cache *c, daoc_value **out);

/* A cache made from cfg's keys, as Kong makes kong.cache: mem_cache_size
 * (default 128m), db_cache_ttl (0: never expires), db_cache_neg_ttl
 * (empty: db_cache_ttl's), db_resurrect_ttl (30).  *out owned by the
 * caller (daoc_cache_free). */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_db_cache_new(const daoc_config *cfg, daoc_cache **out,
                                                 daoc_error **err);
/* The options daoc_db_cache_new uses (no on_invalidate hook: set one, then
 * daoc_cache_new). */
DAOC_EXPORT daoc_cache_opts daoc_db_cache_opts(const daoc_config *cfg);
/* The cache db's Lua code reaches as kong.cache (and kong.core_cache):
 * `cache` (borrowed: it must outlive db; NULL: none given) -- one cache per
 * process, shared by all its handles, is what Kong does.  Without one, db
 * makes one of its own from its configuration on first use.  A program
 * that also wants other nodes' changes dropped from it subscribes
 * daoc_cache_invalidate_local to a daoc_cluster (channels "invalidations"
 * and "invalidations_kong_core_db_cache"), and its own handles' changes to
 * daoc_db_on_crud (the events' cache_keys); `daoc runner` and `daoc serve`
 * do both. */
DAOC_EXPORT void daoc_db_set_cache(daoc_db *db, daoc_cache *cache);
/* daoc_db_set_cache, with db's committed changes dropping their cache keys
 * from `cache` at once (daoc_db_on_crud).  DAOC_OK, DAOC_EINVAL,
 * DAOC_ENOMEM (then db keeps its own cache). */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_db_use_cache(daoc_db *db, daoc_cache *cache);

/* Kong's cache warm-up: every entity of the types db_cache_warmup_entities
 * lists (comma-separated, default "services"), of every workspace, stored
 * in db's cache (daoc_db_set_cache's, or its own) under its cache key with
 * the cache's ttl.  "routes" and "plugins" are skipped and an unknown name
 * is warned about and skipped, as Kong does (through the configuration's
 * log); it stops, with Kong's warning, once the cache would evict to take
 * more (mem_cache_size).  *loaded (may be NULL): the entities stored.
 * DAOC_OK, DAOC_EINVAL, DAOC_ENOMEM or a read's failure (DAOC_EDAO). */
DAOC_MUSTCHECK DAOC_EXPORT int daoc_db_cache_warmup(daoc_db *db, size_t *loaded,
                                                    daoc_error **err);

#ifdef __cplusplus
}
#endif
#endif /* DAOC_H */
