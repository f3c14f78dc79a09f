/*
 * dao.h -- the generated DAO of one entity (kong/db/dao/init.lua): argument
 * and option checks, the insert/update/upsert/delete pipelines, paging with
 * offset tokens, cache keys and Kong's error objects.  The public daoc_dao_*
 * functions in daoc.h are implemented on top of these.  The steps the write
 * pipelines (write_*.c, resolve_foreign.c) share are in write_internal.h.
 */
#ifndef DAOC_DAO_DAO_H
#define DAOC_DAO_DAO_H

#include "daoc.h"
#include "schema/schema.h"
#include "store/store.h"

/* What a DAO borrows from the database that owns it, filled in by src/db:
 * the DAOs of other entities, workspace lookups and the default workspace.
 * The DAO layer never calls up into src/db; it calls these.  A DAO made
 * without an environment (env NULL) resolves nothing and has no default
 * workspace. */
typedef struct daoc__dao_env {
    void *ud; /* the owner, passed back to every callback */
    /* the DAO of entity s (by schema or by name), or NULL */
    daoc_dao *(*dao_of)(void *ud, const daoc__schema *s);
    /* the id of the workspace named name[0..n): DAOC_OK, DAOC_ENOTFOUND, or
     * a store failure (DAOC_ESTORE with *msg, DAOC_ENOMEM) */
    int (*workspace_by_name)(void *ud, const char *name, size_t n, char out[37], char **msg);
    /* after a truncate of the workspaces: the "default" one exists again */
    int (*ensure_default_ws)(void *ud, daoc_error **err);
    const char *default_ws; /* 37 bytes owned by ud, "" until known */
    /* a diagnostic for the configured log (NULL: dropped) */
    void (*log)(void *ud, daoc_log_level lvl, const char *msg);
    /* crud: told of every change a write makes; a failure undoes the
     * write.  create and update (upsert: update when the row existed)
     * come once the store wrote the row (inside the write's transaction
     * when it has one; an insert has none of its own): entity as the
     * caller receives it, old (update) the stored entity before.  delete
     * comes inside the delete's transaction before the store deletes,
     * with the stored entity as old and entity NULL, so that what a
     * cascade will delete can still be read.  While it is set, upsert
     * and delete read the stored row first.  ws: the workspace id the
     * write is scoped to (NULL: global).  NULL: not told. */
    int (*crud)(void *ud, daoc_dao *dao, int op, const daoc_value *entity, const daoc_value *old,
                const char *ws, daoc_error **err);
} daoc__dao_env;

/* The operations of daoc__dao_env.crud (Kong's post_crud_event names). */
enum { DAOC__CRUD_CREATE, DAOC__CRUD_UPDATE, DAOC__CRUD_DELETE };

/* ---- custom DAOs ----------------------------------------------------
 * Kong gives some core entities a custom DAO (kong/db/dao/<entity>.lua)
 * that wraps the generated methods.  Here an owner (src/db) sets a table
 * of hooks on the DAO after daoc__dao_new; every public path (the C API,
 * kong.db, kong.dao, dao) runs them.  Each hook is optional (NULL); each
 * gets the table's `ud`.  Every hook returns DAOC_OK, DAOC_ENOMEM, or
 * DAOC_EDAO with Kong's error in *err (err may be NULL), or a store
 * failure worded as code 8; any failure undoes the whole operation.
 * `opts` is always the caller's options value (may be NULL). */

/* write_rule: an entity's own rule on writes (kong/db/dao/plugins.lua:
 * protocols must match the route's or the service's routes').  insert and
 * upsert call it with the caller's entity once its foreign keys are
 * resolved, update with the stored entity merged with the input (`input`
 * is the caller's partial entity, for a rule that runs only when some
 * fields are given; `update` tells which); all before validation, as Kong
 * does.  It must not write. */
typedef int (*daoc__dao_write_rule)(void *ud, daoc_dao *dao, bool update,
                                    const daoc_value *input, const daoc_value *entity,
                                    const daoc_value *opts, daoc_error **err);

typedef enum { DAOC__WRITE_INSERT, DAOC__WRITE_UPDATE, DAOC__WRITE_UPSERT } daoc__write_kind;

typedef struct daoc__dao_custom {
    void *ud;
    daoc__dao_write_rule write_rule;
    /* after_write: runs once the store has written the row, inside the
     * write's store transaction (insert opens one when this hook is set),
     * so its own writes (through other DAOs) commit or roll back with the
     * row.  `row` is the entity as the caller will receive it (row_to_entity
     * and options applied); the hook may add fields to it (certificates'
     * `snis`).  `input` is the caller's entity as given. */
    int (*after_write)(void *ud, daoc_dao *dao, daoc__write_kind kind, const daoc_value *input,
                       daoc_value *row, const daoc_value *opts, daoc_error **err);
    /* on_read: decorates the rows a page returns (page, page_for_<f>, and
     * so each and each_for_<f>), an array of entities as returned; it may
     * add fields to each.  Single-row selects are not decorated (Kong's
     * certificates DAO adds snis to page only). */
    int (*on_read)(void *ud, daoc_dao *dao, daoc_value *rows, const daoc_value *opts,
                   daoc_error **err);
    /* before_delete: runs inside the delete's store transaction with the
     * stored row (row_to_entity applied, nulls) before it is deleted; only
     * when the row exists.  It may refuse (nothing is deleted) or delete
     * dependent rows through other DAOs (they are restored if the delete
     * fails). */
    int (*before_delete)(void *ud, daoc_dao *dao, const daoc_value *row, const daoc_value *opts,
                         daoc_error **err);
    /* upsert: replaces upsert (field -1, key the primary key) and
     * upsert_by_<f> (field, key its value) once the key, the by-field
     * option and the options are checked (Kong's targets DAO:
     * upsert_by_target is an insert).  It writes through the DAO's other
     * public methods, never its own upsert; *out as daoc_dao_upsert's. */
    int (*upsert)(void *ud, daoc_dao *dao, long field, const daoc_value *key,
                  const daoc_value *entity, const daoc_value *opts, daoc_value **out,
                  daoc_error **err);
    /* delete_by: replaces delete_by_<f> (field >= 0, key its value; never
     * the delete by primary key) once the key and the by-field option are
     * checked (Kong's targets DAO: delete_by_target deletes the first row
     * found).  It deletes through daoc__dao_delete_ex by primary key,
     * which reports *old (old may be NULL) as delete_ex does. */
    int (*delete_by)(void *ud, daoc_dao *dao, long field, const daoc_value *key,
                     const daoc_value *opts, daoc_value **old, daoc_error **err);
    /* page_for: replaces page_for_<f> (so each_for_<f>) for every foreign
     * field once the foreign key, options and size are checked (`size` is
     * the page size asked for or the default); the hook may decline a
     * field by calling daoc__dao_page_raw.  Its offsets are its own
     * tokens (new strings, daoc_free); on_read does not run on them. */
    int (*page_for)(void *ud, daoc_dao *dao, long field, const daoc_value *fk, int64_t size,
                    const char *offset, const daoc_value *opts, daoc_value **rows,
                    char **next_offset, daoc_error **err);
} daoc__dao_custom;

struct daoc_dao {
    const daoc__dao_env *env; /* borrowed from the owner; may be NULL */
    daoc__dao_custom custom;  /* the entity's custom-DAO hooks; zero: none */
    /* Kong's `tags` entity (tags_view.c): rows read from the store's tags
     * table (page, page_by_tag, each), every write and select refused */
    bool tags_view;
    daoc__schema *schema;    /* owned */
    daoc_value *described;   /* owned: daoc__schema_describe(schema), for daoc_dao_schema */
    daoc__store *store;      /* borrowed from db */
    /* children: entities whose foreign fields reference this one */
    struct daoc__child {
        const daoc__schema *schema;
        size_t field;
        daoc__on_delete on_delete;
    } *children;
    size_t nchildren;
};

/* Creates the DAO for a compiled schema (takes ownership of s) on store,
 * borrowing env (both outlive the DAO; either may be NULL in tests). */
int daoc__dao_new(const daoc__dao_env *env, daoc__store *store, daoc__schema *s, daoc_dao **out);
void daoc__dao_free(daoc_dao *dao);

/* Registers `child` (field index f, foreign to dao's entity). */
int daoc__dao_add_child(daoc_dao *dao, const daoc__schema *child, size_t f,
                        daoc__on_delete on_delete);

/* Paging offsets: base64 (standard alphabet, no padding) of the JSON array
 * of the last row's primary-key values.  decode returns DAOC_EDAO with an
 * INVALID_OFFSET error for bad tokens. */
int daoc__offset_encode(const daoc__schema *s, const daoc_value *row, char **out);
/* The token of an array of values as given (the tags view's keysets). */
int daoc__offset_encode_values(const daoc_value *values, char **out);
int daoc__offset_decode(const char *strategy, const char *token, daoc_value **pk_values,
                        daoc_error **err);
/* True when decoded pk_values can be s's primary key: one value per key
 * field, each of the field's type (a UUID string for a uuid field, no NUL
 * inside strings, a foreign key's value typed as the referenced key). */
bool daoc__offset_fits(const daoc__schema *s, const daoc_value *pk_values);
/* decode that also accepts null elements (a queried page's sort value). */
int daoc__offset_decode_nulls(const char *strategy, const char *token, daoc_value **values,
                              daoc_error **err);
/* Whether v (not null) can be a value of field f (a foreign field: of its
 * entity's key). */
bool daoc__offset_value_fits(const daoc__field *f, const daoc_value *v);

/* ---- queried pages (page_query.c) ------------------------------------ */

/* daoc_dao_page's `filter` and `sort` options, parsed: the store's query
 * with the values it borrows (owned here). */
typedef struct daoc__dao_query {
    bool active;            /* filter or sort given */
    daoc__page_query q;     /* q.conds points into conds */
    daoc__page_cond *conds;
    daoc_value *values;     /* array owning the conditions' values */
    daoc_value *after_sort; /* owned: the decoded offset's sort value */
} daoc__dao_query;

/* Parses `filter` and `sort` of opts (NULL: none) into *q; invalid ones
 * are code 11 (DAOC_EDAO).  Free with daoc__dao_query_free. */
int daoc__dao_query_parse(const daoc_dao *dao, const daoc_value *opts, daoc__dao_query *q,
                          daoc_error **err);
void daoc__dao_query_free(daoc__dao_query *q);
/* A queried page's offset: *after receives the primary-key values and
 * q->after_sort the sort value; a token of another sort (or none) is code
 * 7.  Plain pk order takes Kong's tokens. */
int daoc__dao_query_offset(const daoc_dao *dao, daoc__dao_query *q, const char *token,
                           daoc_value **after, daoc_error **err);
/* The token of the page after `row` under q's order. */
int daoc__dao_query_token(const daoc_dao *dao, const daoc__dao_query *q, const daoc_value *row,
                          char **out);

/* ---- the tags view (tags_view.c) --------------------------------------- */

/* Kong's refusal of a write (or, beyond Kong, of a select) on the tags
 * entity: a schema violation on `tags`.  Returns DAOC_EDAO. */
int daoc__dao_tags_refuse(daoc_dao *dao, bool read, daoc_error **err);
/* Whether decoded offset values fit a tags page (by_tag: [entity_id],
 * else [entity_id, position]). */
bool daoc__dao_tags_offset_fits(const daoc_value *after, bool by_tag);
/* Reads one page of the tags view (tag NULL: every pair) after `after`
 * (taken: freed), rows through row_out with o. */
struct daoc__dao_opts;
int daoc__dao_tags_page(daoc_dao *dao, const daoc_value *tag, daoc_value *after, int64_t size,
                        const struct daoc__dao_opts *o, daoc_value **rows, char **next_offset,
                        daoc_error **err);

/* ---- additions (DAO owner) ------------------------------------------ */

/* Pagination defaults (Kong's connector defaults). */
#define DAOC__PAGE_SIZE_DEFAULT 1000
#define DAOC__MAX_PAGE_SIZE_DEFAULT 50000

/* Parsed Kong options (section 5.3).  Zero-initialised = no options. */
typedef struct daoc__dao_opts {
    bool nulls, skip_ttl, show_ws_id, export_, no_broadcast;
    bool transform;        /* default true */
    bool has_ttl;
    int64_t ttl;
    const daoc_value *tags; /* borrowed array of strings, or NULL */
    bool tags_or;
    int64_t page_size;      /* pagination.page_size, 0 = unset */
    int64_t max_page_size;  /* effective maximum (default 50000) */
    double size_max;        /* the maximum a page() size is checked against:
                               pagination.max_page_size as given (valid or
                               not, as Kong does), else max_page_size */
    bool size_max_set;
    /* the effective workspace: `workspace` resolved to an id (a name looked
     * up), the default workspace when absent; ws_global for `workspace =
     * null`.  Use daoc__dao_ws(). */
    bool ws_global;
    char ws[37];
} daoc__dao_opts;

/* The workspace id an operation is scoped to, or NULL (global). */
static inline const char *daoc__dao_ws(const daoc__dao_opts *o)
{
    return o->ws_global || !o->ws[0] ? NULL : o->ws;
}

/* row_to_entity for a row returned to the caller, with its options: the
 * on_read transformations unless `transform` is false (a failure is code
 * 15 in *err, DAOC_EDAO), nulls, and show_ws_id (a null "ws_id" shows as
 * the default workspace's id, as Kong's row_to_entity does).  DAOC_OK,
 * DAOC_EDAO or DAOC_ENOMEM. */
int daoc__dao_row_out(const daoc_dao *dao, daoc_value *row, const daoc__dao_opts *o,
                      daoc_error **err);

/* The index of field `field` of dao's entity for a public *_by / page_for
 * call named `method`, or -1 with *err saying what is wrong (the dao or the
 * name is NULL, or the entity has no such field). */
long daoc__dao_public_field(const daoc_dao *dao, const char *field, const char *method,
                            daoc_error **err);

/* Validates `opts` (may be NULL) like Kong's validate_options_value; fills
 * *o.  Invalid options: DAOC_EDAO with code 11 in *err. */
int daoc__dao_opts_parse(const daoc_dao *dao, const daoc_value *opts, daoc__dao_opts *o,
                         daoc_error **err);
/* The same for page, each, page_for_<f> and each_for_<f>: `pagination` as
 * Kong's get_pagination_options leaves it (non-table ignored, a table merged
 * over the defaults, so its default page_size is validated too). */
int daoc__dao_opts_parse_paging(const daoc_dao *dao, const daoc_value *opts, daoc__dao_opts *o,
                                daoc_error **err);

/* One row through store->select and row_to_entity, with already parsed
 * options; *out = NULL when there is none.  The shared tail of every
 * single-row read (by primary key, unique field or cache key). */
int daoc__dao_fetch(daoc_dao *dao, const daoc__key *k, const daoc__dao_opts *o,
                    daoc_value **out, daoc_error **err);

/* Key-generic forms of the public methods: field = -1 means "by primary key"
 * (key is the pk object), otherwise the index of a unique / endpoint_key
 * field (key is its value).  The Lua layer binds select_by_<f> etc. to these. */
int daoc__dao_select_key(daoc_dao *dao, long field, const daoc_value *key,
                         const daoc_value *opts, daoc_value **out, daoc_error **err);
int daoc__dao_update_key(daoc_dao *dao, long field, const daoc_value *key,
                         const daoc_value *entity, const daoc_value *opts, daoc_value **out,
                         daoc_error **err);
int daoc__dao_upsert_key(daoc_dao *dao, long field, const daoc_value *key,
                         const daoc_value *entity, const daoc_value *opts, daoc_value **out,
                         daoc_error **err);
int daoc__dao_delete_key(daoc_dao *dao, long field, const daoc_value *key,
                         const daoc_value *opts, daoc_error **err);
/* delete_key that also reports the deleted row (Kong's old_entity, for
 * events and cache invalidation): *old (old may be NULL: not wanted)
 * receives the row as select with the same options would have returned it
 * just before (row_to_entity, nulls, show_ws_id), taken from the store's
 * DELETE ... RETURNING, or NULL when no row matched (still DAOC_OK).  A
 * cascade reports the parent only; a refused delete (restrict) deletes
 * nothing and reports nothing.  daoc_dao_delete / _by use this. */
int daoc__dao_delete_ex(daoc_dao *dao, long field, const daoc_value *key,
                        const daoc_value *opts, daoc_value **old, daoc_error **err);

/* truncate(): every row of the entity and of the entities referencing it
 * (Kong's TRUNCATE ... CASCADE). */
int daoc__dao_truncate(daoc_dao *dao, daoc_error **err);

/* page / page_for with a Lua-style size: NULL = default (pagination.page_size
 * or 1000), otherwise a number that must be an integer in 1..max_page_size
 * (code 9).  fk_field = -1 for page().  Each: the Lua layer walks pages with
 * this function. */
int daoc__dao_page_v(daoc_dao *dao, long fk_field, const daoc_value *fk, const daoc_value *size,
                     const char *offset, const daoc_value *opts, daoc_value **rows,
                     char **next_offset, daoc_error **err);

/* page_v without the custom DAO's page_for and on_read hooks: the rows
 * as the generated DAO pages them (for the hooks themselves). */
int daoc__dao_page_raw(daoc_dao *dao, long fk_field, const daoc_value *fk, const daoc_value *size,
                       const char *offset, const daoc_value *opts, daoc_value **rows,
                       char **next_offset, daoc_error **err);

/* select_by_cache_key(key_or_entity): a cache-key string or an entity.
 * Single-field cache_key => select_by that field; composite => code 12 until
 * the store can look up its hidden cache_key column. */
int daoc__dao_select_by_cache_key(daoc_dao *dao, const daoc_value *key_or_entity,
                                  const daoc_value *opts, daoc_value **out, daoc_error **err);

/* The workspace part of a cache key of dao's entity (Kong 2.1's
 * DAO:cache_key): NULL (empty) when the entity is not workspaceable; else
 * entity's ws_id when it has one (entity may be NULL), else ws when not
 * NULL or empty (the operation's), else the default workspace's id
 * (borrowed from the env; read first when not known yet). */
const char *daoc__dao_key_ws(const daoc_dao *dao, const daoc_value *entity, const char *ws);

/* cache_key(a1..a5) with explicit arguments (NULL or null => ""); nargs <=
 * 5; the workspace part as daoc__dao_key_ws(dao, NULL, ws). */
int daoc__dao_cache_key_args(const daoc_dao *dao, const daoc_value *const *args, size_t nargs,
                             const char *ws, char **out);

/* Composite cache key of an entity (schema cache_key fields, falling back to
 * the primary key; the workspace part as daoc__dao_key_ws(dao, entity,
 * ws)); new string (daoc__free). */
int daoc__dao_cache_key_of(const daoc_dao *dao, const daoc_value *entity, const char *ws,
                           char **out);

/* row_to_entity: process_auto_fields(select) in place. */
int daoc__dao_row_to_entity(const daoc_dao *dao, daoc_value *row, bool nulls);

/* ---- internal to src/dao (errors.c) -------------------------------- */

/* Hands e (NULL: it could not be made) to the caller's *err, or frees it
 * when err is NULL: DAOC_EDAO, or DAOC_ENOMEM for a NULL e. */
int daoc__dao_deliver(daoc_error *e, daoc_error **err);
/* A Kong error with a printf message; returns DAOC_EDAO (or DAOC_ENOMEM). */
int daoc__dao_fail(const daoc_dao *dao, daoc_error **err, int code, daoc_value *fields,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Code 1 / 16: "invalid primary key: '%s'" with the pretty error tree
 * (takes `errors`). */
int daoc__dao_fail_tree(const daoc_dao *dao, daoc_error **err, int code, const char *prefix,
                        daoc_value *errors);
/* Maps a failed store call to Kong's error: DAOC_ECONSTRAINT (violation
 * against `entity`, the row being written, and `key` for deletes), DAOC_ESTORE
 * (code 8 with msg), DAOC_ENOMEM passes through.  Frees msg. */
int daoc__dao_store_fail(const daoc_dao *dao, daoc_error **err, int rc,
                         const daoc__violation *viol, const daoc_value *entity, char *msg);
/* Argument checks shared by keyed methods: pk validation (code 1) or a
 * unique / endpoint_key value (code 10, or 16 for foreign fields). */
int daoc__dao_check_key(daoc_dao *dao, long field, const daoc_value *key, daoc_error **err);
/* The option check *_by_<f> methods run before validating their value:
 * `workspace = null` on a field without unique_across_ws is code 18
 * ("unique key %s is invalid for global query").  DAOC_OK for field < 0. */
int daoc__dao_check_by_opts(daoc_dao *dao, long field, const daoc_value *opts, daoc_error **err);
/* The primary-key object {pk fields} of an entity (foreign pk values copied
 * as they are).  NULL on ENOMEM. */
daoc_value *daoc__dao_extract_pk(const daoc__schema *s, const daoc_value *entity);

#endif
