/*
 * schema.h -- compiled entity schemas and the validation engine's entry
 * points (Kong's kong/db/schema: metaschema, Schema, Entity).
 *
 * A definition arrives as a daoc_value tree shaped exactly like the Lua table
 * of a daos.lua file (functions are DAOC_TFUNC values).  daoc__schema_compile()
 * checks it the way Kong's MetaSchema does and produces an immutable
 * daoc__schema.  Validation then runs on entity value trees.
 *
 * Files: compile.c (definition -> daoc__schema, metaschema messages),
 * validate.c (field validators, process_auto_fields), checks.c (entity
 * checks), builtins.c (typedef custom validators in C), luapat.c (Lua
 * patterns in C).
 */
#ifndef DAOC_SCHEMA_SCHEMA_H
#define DAOC_SCHEMA_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/value.h"
#include "daoc.h"

typedef enum daoc__ftype {
    DAOC__F_STRING = 1,
    DAOC__F_INTEGER,
    DAOC__F_NUMBER,
    DAOC__F_BOOLEAN,
    DAOC__F_ARRAY,
    DAOC__F_SET,
    DAOC__F_MAP,
    DAOC__F_RECORD,
    DAOC__F_FOREIGN,
    DAOC__F_JSON
} daoc__ftype;

typedef enum daoc__on_delete {
    DAOC__ON_DELETE_RESTRICT = 0, /* absent = restrict */
    DAOC__ON_DELETE_CASCADE,
    DAOC__ON_DELETE_NULL
} daoc__on_delete;

typedef struct daoc__schema daoc__schema;
typedef struct daoc__field daoc__field;
struct daoc__json_schema; /* a compiled inline JSON schema (json_schema_internal.h) */

/* {pattern, err} element of match_all / match_none. */
typedef struct daoc__pattern_err {
    char *pattern;
    size_t pattern_len;
    char *err;
} daoc__pattern_err;

/* A field definition, compiled.  Absent attributes are "unset" flags/NULLs. */
struct daoc__field {
    char *name; /* field name (NULL for elements/keys/values) */
    size_t name_len;
    const char *iname; /* interned copy of name (daoc__key_intern) for the keys of
                          rows and entities, or NULL: copy name then */
    daoc__ftype type;

    /* plain attributes */
    bool required, unique, unique_across_ws, immutable, auto_, uuid, timestamp;
    bool transient, referenceable, encrypted, abstract, is_regex;
    bool legacy;       /* Kong 1.x: a uuid string given as "" is null */
    bool required_set; /* `required` was given explicitly (records default it) */
    daoc_value *def;   /* default (owned, may be a null value), or NULL = none */
    /* a 0.x function default (`__default_fn`, from legacy.c): called with
     * the entity on insert and upsert when the field is absent and `def`
     * is NULL; one reference held, NULL = none */
    daoc__callable *default_fn;
    char *err;         /* custom message replacing validator messages */

    /* validators, in Kong's execution order (schema.h does not run them) */
    daoc_value *eq;  /* owned; NULL = unset (a null VALUE means eq = ngx.null) */
    daoc_value *ne;  /* owned; NULL = unset */
    daoc_value *not_one_of, *one_of; /* owned arrays of scalars, NULL = unset */
    bool has_gt;
    double gt;
    bool has_between;
    double between[2];
    int64_t len_eq, len_min, len_max; /* -1 = unset */
    char *starts_with;
    size_t starts_with_len;
    char *not_match, *match; /* Lua patterns */
    size_t not_match_len, match_len;
    daoc__pattern_err *match_none, *match_all;
    size_t n_match_none, n_match_all;
    char **match_any; /* patterns */
    size_t *match_any_len;
    size_t n_match_any;
    char *match_any_err;
    daoc_value *contains;               /* owned, NULL = unset */
    daoc_value *mutually_exclusive_subsets; /* owned array of arrays, NULL = unset */
    daoc__callable *custom_validator;   /* one reference held, NULL = unset */

    /* composite types */
    daoc__field *elements;  /* array/set element definition (owned) */
    daoc__field *keys;      /* map keys (owned) */
    daoc__field *values;    /* map values (owned) */
    daoc__schema *record;   /* record: nested schema (owned; fields+checks) */
    struct daoc__json_schema *json_schema; /* json: the compiled inline schema (owned), or NULL */

    /* foreign */
    char *reference;              /* referenced entity name */
    const daoc__schema *ref;      /* resolved at compile time (borrowed) */
    daoc__on_delete on_delete;
    bool on_delete_set;

    /* storage (filled by compile for top-level fields) */
    char *column; /* SQL column: field name, or "<field>_<pk>" for foreign */
};

typedef enum daoc__check_kind {
    DAOC__CHECK_AT_LEAST_ONE_OF = 1,
    DAOC__CHECK_CONDITIONAL_AT_LEAST_ONE_OF,
    DAOC__CHECK_ONLY_ONE_OF,
    DAOC__CHECK_DISTINCT,
    DAOC__CHECK_CONDITIONAL,
    DAOC__CHECK_CUSTOM_ENTITY_CHECK,
    DAOC__CHECK_MUTUALLY_REQUIRED,
    DAOC__CHECK_MUTUALLY_EXCLUSIVE,
    DAOC__CHECK_MUTUALLY_EXCLUSIVE_SETS
} daoc__check_kind;

/* A compiled entity check.  Field names may be dotted ("config.x"). */
typedef struct daoc__check {
    daoc__check_kind kind;
    char **fields; /* involved field names (lists; for conditional: if, then) */
    size_t nfields;
    /* mutually_exclusive_sets: two sets of names */
    char **set1, **set2;
    size_t nset1, nset2;
    /* conditional / conditional_at_least_one_of */
    char *if_field;
    daoc__field *if_match;   /* validator table over the if_field definition (owned) */
    char *then_field;
    daoc__field *then_match; /* conditional (owned) */
    char **then_at_least_one_of;
    size_t n_then;
    char *then_err;
    daoc__field *else_match; /* conditional_at_least_one_of (owned, optional) */
    char **else_then_at_least_one_of;
    size_t n_else_then;
    char *else_then_err;
    /* custom_entity_check */
    daoc__callable *fn;
    bool run_with_missing_fields, run_with_invalid_fields;
} daoc__check;

/* A compiled shorthand field (shorthands.c). */
typedef struct daoc__shorthand {
    char *name;
    size_t name_len;
    daoc__field def;                 /* type and validators of the value */
    daoc__callable *func;            /* one reference */
    daoc_value *deprecation;         /* owned copy of `deprecation`, or NULL */
    daoc_value *translate_backwards; /* owned array of names, or NULL */
    int warned; /* the deprecation notice was given (the one mutable member of a
                   compiled schema, set once with an atomic exchange) */
} daoc__shorthand;

/* A compiled transformation (transform.c). */
typedef struct daoc__transformation {
    char **input, **needs; /* field names (dotted allowed) */
    size_t ninput, nneeds;
    daoc__callable *on_write, *on_read; /* one reference each, or NULL */
} daoc__transformation;

/* A subschema registered under one value of the parent's subschema_key. */
typedef struct daoc__subschema {
    char *key;
    size_t key_len;
    daoc__schema *schema; /* owned; is_record, no primary key */
} daoc__subschema;

struct daoc__schema {
    char *name;
    char *table_name;
    daoc__field *fields; /* in definition order */
    size_t nfields;
    size_t *pk; /* indices into fields */
    size_t npk;
    long endpoint_key; /* index or -1 */
    size_t *cache_key; /* indices into fields */
    size_t ncache_key;
    bool ttl, workspaceable, generate_admin_api, db_export;
    char *admin_api_name, *admin_api_nested_name;
    char *dao_module; /* `dao` attribute (custom DAO module name), or NULL */
    daoc__check *checks;
    size_t nchecks;
    daoc__shorthand *shorthands; /* `shorthand_fields`, in definition order */
    size_t nshorthands;
    bool echoes; /* daoc__schema_has_echoes, decided when compiled (and when a
                    subschema is added), so reads need not look */
    daoc__transformation *transformations;
    size_t ntransformations;
    char *subschema_key;         /* a string or set field, or NULL */
    char *subschema_error;       /* format of the unknown-key message, or NULL */
    daoc__subschema *subschemas; /* registered by daoc__schema_add_subschema */
    size_t nsubschemas;
    daoc__callable *self_check; /* the definition's `check` function (one reference), or
                                   NULL; run by validate on full checks (self_check.c) */
    bool is_record; /* nested record schema: no name, no pk */
    bool has_tags;  /* has a `tags` field (set of strings) */
    char *plugin;   /* plugin that defined it, NULL for core */

    /* Decided once by daoc__schema_compile for the per-call fast paths: */
    bool pk_uuid_only; /* every pk field is a uuid string field that nothing but the
                          uuid check can refuse (daoc__field_uuid_only), so a pk of
                          valid uuid strings is valid (validate.c) */
    struct daoc__sel_plan *sel; /* owned: how select processes the rows stores build
                                   (auto_fields.c), or NULL: never the fast way */
};

/* ---- compile (compile.c) --------------------------------------------- */

/* Resolves `reference` names while compiling: returns the schema of a loaded
 * entity or NULL. */
typedef const daoc__schema *(*daoc__schema_lookup_fn)(void *ud, const char *name);

/* Compiles an entity definition.  On a bad definition returns DAOC_ESCHEMA
 * and *errmsg (caller frees with daoc__free) names the entity and the field,
 * e.g. "schema of custom plugin entity 'p.foo' is invalid: ..." style text is
 * built by the caller; this function produces
 * "<entity>: <field>: field of type 'array' must declare 'elements'".
 * The definition is not modified; values needed later are copied. */
int daoc__schema_compile(const daoc_value *def, daoc__schema_lookup_fn lookup, void *ud,
                         daoc__schema **out, char **errmsg);
void daoc__schema_free(daoc__schema *s);

/* Field by name (length given); NULL when absent. */
const daoc__field *daoc__schema_field(const daoc__schema *s, const char *name, size_t len);
/* Appends item under field f's name (daoc__obj_append: the caller knows the
 * key is absent), pointing at the interned name when there is one. */
static inline int daoc__obj_append_field(daoc_value *o, const daoc__field *f, daoc_value *item)
{
    return f->iname ? daoc__obj_append_interned(o, f->iname, f->name_len, item)
                    : daoc__obj_append(o, f->name, f->name_len, item);
}
long daoc__schema_field_index(const daoc__schema *s, const char *name, size_t len);

/* ---- processing and validation (validate.c, checks.c) ------------------ */

typedef enum daoc__ctx {
    DAOC__CTX_INSERT = 1,
    DAOC__CTX_UPDATE,
    DAOC__CTX_UPSERT,
    DAOC__CTX_SELECT
} daoc__ctx;

/* Kong's process_auto_fields(entity, ctx, nulls): defaults, auto values
 * (uuid, random strings, created_at/updated_at with now_s), absent
 * non-required fields become null on insert/upsert, set de-duplication,
 * integer flooring and empty-string removal on select.  Works in place on
 * `entity` (an object).  `now` is seconds since the epoch with sub-second
 * precision; a negative `now` reads the clock when it is needed.  Returns
 * DAOC_OK or DAOC_ENOMEM. */
int daoc__schema_process_auto_fields(const daoc__schema *s, daoc_value *entity, daoc__ctx ctx,
                                     bool nulls, double now);

/* Kong's validate(input, full_check): returns DAOC_OK and *errors = NULL when
 * valid, DAOC_OK and *errors = the error tree (caller owns) when not, or a
 * negative status (ENOMEM).  `update` selects the update-specific rules and
 * message variants ("when updating, ..."). */
int daoc__schema_validate(const daoc__schema *s, const daoc_value *entity, bool full_check,
                          bool update, daoc_value **errors);

/* Kong's (Entity.)new_subschema(parent, key, def) (subschema.c): compiles
 * def as a subschema of parent, a schema with a subschema_key, and
 * registers it under key (replacing one registered before).  DAOC_ESCHEMA
 * with *errmsg (caller frees) in Kong's words, e.g. "error in definition of
 * 'k': f: cannot create a new field"; DAOC_ENOMEM.  Not thread-safe: done
 * while loading, before the schema serves requests. */
int daoc__schema_add_subschema(daoc__schema *parent, const char *key, const daoc_value *def,
                               daoc__schema_lookup_fn lookup, void *ud, char **errmsg);
/* get_subschema(input): the subschema the input's key selects, or NULL. */
const daoc__schema *daoc__subschema_of(const daoc__schema *s, const daoc_value *input);
const daoc__schema *daoc__subschema_by_key(const daoc__schema *s, const char *key, size_t len);
/* resolve_field: the subschema's definition of parent field p, else p. */
const daoc__field *daoc__subschema_field(const daoc__schema *sub, const daoc__field *p);

/* Kong's shorthand_fields step of process_auto_fields on a write
 * (shorthands.c): applies every shorthand present in `entity` (the
 * caller's private copy) in place.  DAOC_OK with *errors NULL, or with the
 * error tree keyed by shorthand name (caller owns; the entity is then left
 * half-processed); DAOC_ENOMEM.  A deprecated shorthand, the first time the
 * process sees it used, hands Kong's deprecation text ("<message>
 * (deprecated after <removal_in_version>)") to notice (when not NULL). */
typedef void (*daoc__notice_fn)(void *ud, const char *msg);
int daoc__schema_shorthands(const daoc__schema *s, daoc_value *entity, daoc_value **errors,
                            daoc__notice_fn notice, void *ud);

/* daoc__schema_validate with what Kong's validate_insert/update also pass
 * for the implicit checks of transformations: the caller's original input
 * (NULL: the entity) and, on update, the stored entity (NULL: none). */
int daoc__schema_validate_ex(const daoc__schema *s, const daoc_value *entity, bool full_check,
                             bool update, const daoc_value *original, const daoc_value *rbw,
                             daoc_value **errors);

/* Kong's Schema:transform (transform.c): runs the on_write (or, `read`, the
 * on_read) functions of s and then of the subschema the entity selects,
 * merging their results into `entity` in place; `original` is the caller's
 * input on writes (NULL on reads).  DAOC_OK; DAOC_EINVAL with *errmsg =
 * "transformation failed: ..." (caller frees); DAOC_ENOMEM. */
int daoc__schema_transform(const daoc__schema *s, daoc_value *entity, const daoc_value *original,
                           bool read, char **errmsg);
/* Whether s or one of its subschemas has transformations. */
bool daoc__schema_has_transformations(const daoc__schema *s);

/* Kong's select-side shorthands (shorthands.c): on an entity being
 * returned, each deprecated shorthand with replaced_with / translate_backwards
 * (of s, of its records, of the subschema the entity selects) gets the value
 * it maps to.  DAOC_OK or DAOC_ENOMEM.  has_echoes: whether s has any (a
 * walk; s->echoes keeps the answer). */
int daoc__schema_echo_shorthands(const daoc__schema *s, daoc_value *entity);
bool daoc__schema_has_echoes(const daoc__schema *s);

/* validate_primary_key(pk, ignore_others). */
int daoc__schema_validate_primary_key(const daoc__schema *s, const daoc_value *pk,
                                      bool ignore_others, daoc_value **errors);

/* True when validate_field accepts, for f, every string daoc__is_uuid
 * accepts: f is a `uuid = true` string field and carries no other validator
 * that could refuse one (eq, ne, one_of, not_one_of, lengths excluding 36,
 * starts_with, the match family, is_regex, custom_validator, ...).  Errs on
 * the side of false.  daoc__schema_compile sets pk_uuid_only from it
 * (validate_field.c). */
bool daoc__field_uuid_only(const daoc__field *f);

/* Builds s->sel, the per-schema plan of process_auto_fields' select fast
 * path (auto_fields.c); leaves it NULL when no row can take that path.
 * daoc__schema_compile calls it for entities.  DAOC_OK or DAOC_ENOMEM. */
int daoc__schema_plan_select(daoc__schema *s);

/* Validates one value against one field definition (used for unique-key
 * lookups: select_by_<field>).  *msg receives the field error tree or NULL. */
int daoc__schema_validate_field(const daoc__field *f, const daoc_value *v, daoc_value **err);

/* validate_immutable_fields(input, entity) for updates and upserts: every
 * `immutable` field present in `input` whose stored value in `entity` is
 * neither absent nor null must be unchanged (arrays compared as multisets:
 * order-insensitive, multiplicity counts; anything else deeply), else
 * "immutable field cannot be updated".  Fields absent from `input` are not
 * compared.  *errors receives NULL or the error tree (caller owns). */
int daoc__schema_validate_immutable(const daoc__schema *s, const daoc_value *input,
                                    const daoc_value *entity, daoc_value **errors);

/* ---- built-in validators (builtins.c) -------------------------------- */

/* The callable of a built-in validator by name ("tag", "name", ...), with a
 * new reference; NULL when unknown. */
daoc__callable *daoc__builtin_validator(const char *name);

/* ---- Lua patterns (luapat.c) ----------------------------------------- */

/* string.match(s, p) semantics (what Kong's validators call): returns 1 when p matches
 * somewhere in s, 0 when not, DAOC_EINVAL for a malformed pattern (then
 * *err, when given, receives a static description). */
int daoc__luapat_match(const char *s, size_t slen, const char *p, size_t plen, const char **err);

/* Load-time syntax check of a Lua pattern: DAOC_OK, or DAOC_EINVAL with a
 * static description in *err (when given).  (Declared by the compiler's
 * author; implemented in luapat.c.) */
int daoc__luapat_check(const char *p, size_t plen, const char **err);

/* The SQL names every store uses: the table (table_name, else the entity
 * name) and a field's column (column, else the field name). */
static inline const char *daoc__schema_table(const daoc__schema *s)
{
    return s->table_name ? s->table_name : s->name;
}

static inline const char *daoc__field_column(const daoc__field *f)
{
    return f->column ? f->column : f->name;
}

/* Strict UTF-8 check; on failure *pos receives the 1-based byte position of
 * the first byte of the offending sequence. */
bool daoc__utf8_valid(const char *s, size_t len, size_t *pos);

/* The last second a timestamp field may hold, 9999-12-31T23:59:59Z, on every
 * store, so that both accept the same values ("expected a valid timestamp"
 * beyond it).  PostgreSQL's timestamptz reaches further, but it is written
 * through float8 microseconds, exact for whole seconds only below about
 * 5.7e11: this bound keeps every accepted second exact on both stores. */
#define DAOC__TIMESTAMP_MAX 253402300799.0

/* The schema as a value shaped like Kong's schema table (describe.c): name,
 * primary_key, endpoint_key, cache_key, ttl, workspaceable,
 * generate_admin_api, db_export, admin_api_name, admin_api_nested_name,
 * dao, plugin, fields = [{<name> = {type = ..., <attributes set>}}],
 * entity_checks.  Owned by the caller; NULL on ENOMEM. */
daoc_value *daoc__schema_describe(const daoc__schema *s);

/* The field whose values a foreign field holds: the referenced entity's
 * first primary-key field, followed through foreign keys (a key that is
 * itself foreign); f itself when it is not foreign; NULL when broken. */
static inline const daoc__field *daoc__field_ref_key(const daoc__field *f)
{
    for (int depth = 0; f && f->type == DAOC__F_FOREIGN && depth < 16; depth++) {
        if (!f->ref || f->ref->npk == 0)
            return NULL;
        f = &f->ref->fields[f->ref->pk[0]];
    }
    return f;
}

/* Beyond Kong: a stored timestamp field named created_at gets an index on
 * the tables daoc makes (store DDL), so that pages filter and sort on it
 * (dao/page_query.c). */
static inline bool daoc__field_created_at_index(const daoc__field *f)
{
    return !f->transient && f->timestamp && f->name_len == 10 &&
           memcmp(f->name, "created_at", 10) == 0 &&
           (f->type == DAOC__F_INTEGER || f->type == DAOC__F_NUMBER);
}

#endif
