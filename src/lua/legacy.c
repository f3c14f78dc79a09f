/*
 * legacy.c -- rewrites the daos definitions of Kong 0.5-1.x into today's
 * shape.
 *
 * Input (normalised by shims.lua's legacy_extract):
 *   { dao_name = { table = "...", schema = { primary_key = {...},
 *                                            fields = { name = {...} } } } }
 * Output: an array of current definitions, one per DAO, sorted by name,
 * fields ordered primary key first then alphabetically:
 *   type "id"        -> string, uuid = true (auto when dao_insert_value)
 *   type "timestamp" -> integer, timestamp = true (auto when dao_insert_value)
 *   foreign = "consumers:id" on `consumer_id` -> a foreign field `consumer`
 *                      (reference consumers, on_delete cascade, as 0.5's
 *                      delete hooks did), column consumer_id as before; a
 *                      name without the `_id` suffix or a target that is not
 *                      loaded stays a uuid string, reported
 *   enum -> one_of (an array's: its elements'); url -> a string with the url
 *   validator; required, unique, immutable, default kept
 *   default = function: kept as `__default_fn`, called on insert and upsert
 *                      with the entity on every path, budgeted as plugin
 *                      code (the legacy paths, legacy_dao.lua, call it
 *                      first with the row as given, flat, as 0.x did)
 *   queryable, clustering_key, marshall_event: Cassandra-era attributes,
 *                      dropped with ONE deprecation notice per plugin
 *   cache_key: left out (in 0.x-1.x's DAO it only named the invalidation
 *                      key; today's cache_key is a unique key): reported,
 *                      kept by shims.lua for kong.dao's entity_cache_key
 *   regex, func: folded by shims.lua (legacy_field_validators) into one
 *                      `__validator`, kept as the field's custom_validator
 *                      (except on a field that becomes a foreign key)
 *   others: dropped, reported one by one
 * A 0.x plugin schema.lua (daoc__lua_convert_legacy_plugin_schema) becomes
 * the plugin's subschema as Kong 1.x's plugin loader made it: its fields a
 * required `config` record (strings take "" as 0.x did, `flexible` tables
 * become maps of records, `new_type` is used as given), no_consumer /
 * no_route / no_service the scope fields that must stay null.
 * Entities are emitted sorted by name, an entity after the entities of the
 * same plugin it references.  Reports go to the configured log callback
 * (warn level).  It does not validate the result: daoc__schema_compile does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"
#include "dao/dao.h"
#include "db/db.h"
#include "lua/lua_internal.h"
#include "schema/schema.h"

/* The attributes Kong dropped after the Cassandra-only DAO: accepted, named
 * in one deprecation notice per plugin. */
static const char *const DEPRECATED[] = {"queryable", "clustering_key", "marshall_event"};
#define N_DEPRECATED (sizeof DEPRECATED / sizeof DEPRECATED[0])

struct lctx {
    struct daoc__lua *ls;
    const char *plugin;
    const char *entity;
    const daoc_value *legacy; /* the whole plugin's map (same-plugin references) */
    const daoc_value *pk;     /* the entity's primary_key */
    int depth;                /* > 0 inside a nested record */
    unsigned deprecated;      /* bit i: DEPRECATED[i] seen */
    bool config;              /* converting a 0.x plugin schema's config fields */
    char *msg;
};

static bool deprecated(struct lctx *c, const char *k)
{
    for (size_t i = 0; i < N_DEPRECATED; i++)
        if (strcmp(k, DEPRECATED[i]) == 0) {
            c->deprecated |= 1u << i;
            return true;
        }
    return false;
}

static void note(struct lctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct lctx *c, const char *fmt, ...)
{
    const daoc_config *cfg = c->ls && c->ls->db ? c->ls->db->cfg : NULL;
    char text[512];
    va_list ap;
    if (!cfg || !cfg->log)
        return;
    int n = c->config ? snprintf(text, sizeof text, "plugin '%s': 0.x schema.lua: config: ",
                                 c->plugin)
                      : snprintf(text, sizeof text, "plugin '%s': legacy DAO '%s': ", c->plugin,
                                 c->entity);
    if (n < 0 || (size_t)n >= sizeof text)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(text + n, sizeof text - (size_t)n, fmt, ap);
    va_end(ap);
    cfg->log(cfg->log_ud, DAOC_LOG_WARN, text);
}

static int fail(struct lctx *c, const char *field, const char *why)
{
    daoc__free(c->msg);
    c->msg = c->config ? daoc__asprintf("custom plugin '%s' 0.x schema.lua: config field '%s': %s",
                                        c->plugin, field, why)
                       : daoc__asprintf("custom plugin '%s' legacy DAO '%s': field '%s': %s",
                                        c->plugin, c->entity, field, why);
    return c->msg ? DAOC_ESCHEMA : DAOC_ENOMEM;
}

static const char *str_of(const daoc_value *v)
{
    return v && v->type == DAOC_TSTR ? v->u.s : NULL;
}

static bool truthy(const daoc_value *v)
{
    return v && v->type != DAOC_TNULL && !(v->type == DAOC_TBOOL && !v->u.b);
}

static int set(daoc_value *o, const char *k, daoc_value *v)
{
    return v ? daoc_obj_set(o, k, v) : DAOC_ENOMEM;
}

static int cmp_kv_ptr(const void *a, const void *b)
{
    const daoc__kv *x = *(const daoc__kv *const *)a, *y = *(const daoc__kv *const *)b;
    return strcmp(x->key, y->key);
}

static int convert_fields(struct lctx *c, const daoc_value *fields, const daoc_value *pk,
                          daoc_value *out);

static bool in_pk(const daoc_value *pk, const char *name);

/* Whether `target` (an entity loaded before this plugin, or one of this
 * plugin's) has the single primary key `col`. */
static bool target_keyed_by(struct lctx *c, const char *target, const char *col)
{
    daoc_dao *dao = c->ls && c->ls->db ? daoc_db_dao(c->ls->db, target) : NULL;
    if (dao)
        return dao->schema->npk == 1 &&
               strcmp(dao->schema->fields[dao->schema->pk[0]].name, col) == 0;
    const daoc_value *e = c->legacy ? daoc_obj_get(c->legacy, target) : NULL;
    const daoc_value *s = e && e->type == DAOC_TOBJ ? daoc_obj_get(e, "schema") : NULL;
    const daoc_value *pk = s && s->type == DAOC_TOBJ ? daoc_obj_get(s, "primary_key") : NULL;
    return pk && pk->type == DAOC_TARR && pk->len == 1 && str_of(pk->u.a[0]) &&
           strcmp(str_of(pk->u.a[0]), col) == 0;
}

/* `<name>_<col> = { foreign = "<target>:<col>" }` becomes the foreign field
 * <name> (column <name>_<col>, as Kong's PostgreSQL layout names it):
 * returns 1 with *out and *oname set, 0 when the field stays as it is. */
static int foreign_field(struct lctx *c, const char *fname, const daoc_value *def,
                         daoc_value **out, char **oname)
{
    const char *spec = str_of(daoc_obj_get(def, "foreign"));
    const char *colon = spec ? strchr(spec, ':') : NULL;
    char target[128];
    size_t flen = strlen(fname), tlen, clen;
    if (!colon || c->depth > 0 || in_pk(c->pk, fname))
        return 0;
    tlen = (size_t)(colon - spec);
    clen = strlen(colon + 1);
    if (tlen == 0 || tlen >= sizeof target || clen == 0 || flen <= clen + 1 ||
        fname[flen - clen - 1] != '_' || strcmp(fname + flen - clen, colon + 1) != 0)
        return 0;
    memcpy(target, spec, tlen);
    target[tlen] = '\0';
    if (!target_keyed_by(c, target, colon + 1))
        return 0;
    daoc_value *f = daoc_obj();
    int rc = set(f, "type", daoc_str("foreign"));
    if (rc == DAOC_OK)
        rc = set(f, "reference", daoc_str(target));
    if (rc == DAOC_OK)
        rc = set(f, "on_delete", daoc_str("cascade"));
    for (size_t i = 0; rc == DAOC_OK && i < def->len; i++) {
        const char *k = def->u.o[i].key;
        const daoc_value *v = def->u.o[i].val;
        if ((strcmp(k, "required") == 0 || strcmp(k, "unique") == 0 ||
             strcmp(k, "immutable") == 0) &&
            v->type == DAOC_TBOOL)
            rc = set(f, k, daoc_bool(v->u.b));
        else if (!deprecated(c, k) && strcmp(k, "type") != 0 && strcmp(k, "foreign") != 0)
            note(c, "field '%s': attribute '%s' has no equivalent and is dropped", fname, k);
    }
    *oname = rc == DAOC_OK ? daoc__strndup(fname, flen - clen - 1) : NULL;
    if (!*oname) {
        daoc_value_free(f);
        return -1;
    }
    *out = f;
    return 1;
}

/* { type = "record", required = true, fields = <fields converted> } into
 * *out (owned by the caller). */
static int required_record(struct lctx *c, const daoc_value *fields, daoc_value **out)
{
    daoc_value *r = daoc_obj(), *arr = daoc_arr();
    int rc = r && arr ? DAOC_OK : DAOC_ENOMEM;
    c->depth++;
    if (rc == DAOC_OK)
        rc = convert_fields(c, fields, NULL, arr);
    c->depth--;
    if (rc == DAOC_OK)
        rc = set(r, "type", daoc_str("record"));
    if (rc == DAOC_OK)
        rc = set(r, "required", daoc_bool(true));
    if (rc == DAOC_OK)
        rc = daoc_obj_set(r, "fields", arr); /* takes arr, even on failure */
    else
        daoc_value_free(arr);
    if (rc != DAOC_OK) {
        daoc_value_free(r);
        r = NULL;
    }
    *out = r;
    return rc;
}

/* 0.x's `type = "table", schema = { flexible = true, fields = ... }`: a map
 * of names to records of those fields (Kong 1.x's loader did the same). */
static int flexible_table(struct lctx *c, const daoc_value *sfields, daoc_value *f)
{
    daoc_value *k = daoc_obj(), *v = NULL;
    int rc = k ? set(f, "type", daoc_str("map")) : DAOC_ENOMEM;
    if (rc == DAOC_OK)
        rc = set(k, "type", daoc_str("string"));
    if (rc == DAOC_OK) {
        rc = daoc_obj_set(f, "keys", k);
        k = NULL;
    }
    if (rc == DAOC_OK)
        rc = required_record(c, sfields, &v);
    if (rc == DAOC_OK)
        rc = daoc_obj_set(f, "values", v);
    daoc_value_free(k);
    return rc;
}

/* Converts one legacy field definition into a new object in *out; *oname is
 * set (owned) when the field is renamed (a foreign key). */
static int convert_field(struct lctx *c, const char *fname, const daoc_value *def,
                         daoc_value **out, char **oname)
{
    daoc_value *f = NULL;
    int rc = DAOC_ENOMEM;
    *out = NULL;
    *oname = NULL;
    if (!def || def->type != DAOC_TOBJ)
        return fail(c, fname, "field definition must be a table");
    int fk = foreign_field(c, fname, def, out, oname);
    if (fk != 0)
        return fk > 0 ? DAOC_OK : DAOC_ENOMEM;
    const daoc_value *new_type = c->config ? daoc_obj_get(def, "new_type") : NULL;
    if (new_type) { /* Kong 0.14's bridge: the field's current definition */
        *out = daoc_value_copy(new_type);
        return *out ? DAOC_OK : DAOC_ENOMEM;
    }
    f = daoc_obj();
    if (!f)
        return DAOC_ENOMEM;
    const char *type = str_of(daoc_obj_get(def, "type"));
    bool insert_value = truthy(daoc_obj_get(def, "dao_insert_value"));
    const char *ntype = NULL;

    if (!type) {
        note(c, "field '%s' has no type; using \"string\"", fname);
        type = "string";
    }
    if (strcmp(type, "id") == 0) {
        rc = set(f, "type", daoc_str("string"));
        if (rc == DAOC_OK)
            rc = set(f, "uuid", daoc_bool(true));
    } else if (strcmp(type, "timestamp") == 0) {
        rc = set(f, "type", daoc_str("integer"));
        if (rc == DAOC_OK)
            rc = set(f, "timestamp", daoc_bool(true));
    } else if (strcmp(type, "string") == 0) {
        ntype = "string";
    } else if (strcmp(type, "url") == 0) { /* as Kong 1.x's loader: a string that is a URL */
        ntype = "string";
    } else if (strcmp(type, "number") == 0 || strcmp(type, "integer") == 0 ||
               strcmp(type, "boolean") == 0) {
        ntype = type;
    } else if (strcmp(type, "array") == 0) {
        daoc_value *el = daoc_obj();
        rc = set(f, "type", daoc_str("array"));
        if (rc == DAOC_OK)
            rc = el ? daoc_obj_set(el, "type", daoc_str("string")) : DAOC_ENOMEM;
        if (rc == DAOC_OK && c->config) /* 0.x checked no element: its func did */
            rc = daoc_obj_set(el, "len_min", daoc_int(0));
        if (rc == DAOC_OK)
            rc = set(f, "elements", el);
        else
            daoc_value_free(el);
    } else if (strcmp(type, "table") == 0) {
        const daoc_value *sub = daoc_obj_get(def, "schema");
        const daoc_value *sfields = sub && sub->type == DAOC_TOBJ ? daoc_obj_get(sub, "fields")
                                                                  : NULL;
        if (sfields && sfields->type == DAOC_TOBJ && truthy(daoc_obj_get(sub, "flexible"))) {
            rc = flexible_table(c, sfields, f);
        } else if (sfields && sfields->type == DAOC_TOBJ) {
            daoc_value *arr = daoc_arr();
            rc = set(f, "type", daoc_str("record"));
            c->depth++;
            if (rc == DAOC_OK)
                rc = arr ? convert_fields(c, sfields, NULL, arr) : DAOC_ENOMEM;
            c->depth--;
            if (rc == DAOC_OK)
                rc = set(f, "fields", arr);
            else
                daoc_value_free(arr);
        } else {
            daoc_value *k = daoc_obj(), *v = daoc_obj();
            note(c, "field '%s': table without schema becomes a map of strings", fname);
            rc = set(f, "type", daoc_str("map"));
            if (rc == DAOC_OK && k && v) {
                rc = daoc_obj_set(k, "type", daoc_str("string"));
                if (rc == DAOC_OK)
                    rc = daoc_obj_set(v, "type", daoc_str("string"));
                if (rc == DAOC_OK) {
                    rc = daoc_obj_set(f, "keys", k);
                    k = NULL;
                }
                if (rc == DAOC_OK) {
                    rc = daoc_obj_set(f, "values", v);
                    v = NULL;
                }
            } else if (rc == DAOC_OK) {
                rc = DAOC_ENOMEM;
            }
            daoc_value_free(k);
            daoc_value_free(v);
        }
    } else {
        char why[96];
        snprintf(why, sizeof why, "unsupported legacy type '%.40s'", type);
        rc = fail(c, fname, why);
        goto fail;
    }
    if (ntype)
        rc = set(f, "type", daoc_str(ntype));
    if (rc == DAOC_OK && strcmp(type, "url") == 0)
        rc = set(f, "custom_validator", daoc_str("url"));
    if (rc == DAOC_OK && c->config && ntype && strcmp(ntype, "string") == 0)
        rc = set(f, "len_min", daoc_int(0)); /* 0.x took empty strings */
    if (rc != DAOC_OK)
        goto fail;

    for (size_t i = 0; i < def->len && rc == DAOC_OK; i++) {
        const char *k = def->u.o[i].key;
        const daoc_value *v = def->u.o[i].val;
        if (strcmp(k, "type") == 0 || strcmp(k, "dao_insert_value") == 0 ||
            strcmp(k, "schema") == 0)
            continue;
        if (strcmp(k, "__validator") == 0 && v->type == DAOC_TFUNC) {
            /* func and regex, folded by shims.lua's legacy_plugin_field */
            rc = set(f, "custom_validator", daoc_value_copy(v));
            continue;
        }
        if (strcmp(k, "required") == 0 || strcmp(k, "unique") == 0 ||
            strcmp(k, "immutable") == 0) {
            if (v->type == DAOC_TBOOL)
                rc = set(f, k, daoc_bool(v->u.b));
            else
                note(c, "field '%s': non-boolean '%s' dropped", fname, k);
        } else if (strcmp(k, "default") == 0) {
            /* a function: called on insert with the entity (schema.h) */
            rc = set(f, v->type == DAOC_TFUNC ? "__default_fn" : "default", daoc_value_copy(v));
        } else if (strcmp(k, "enum") == 0) {
            /* an array's enum holds its elements (Kong 1.x's loader) */
            daoc_value *el = (daoc_value *)daoc_obj_get(f, "elements");
            if (v->type == DAOC_TARR && el && el->type == DAOC_TOBJ)
                rc = set(el, "one_of", daoc_value_copy(v));
            else if (v->type == DAOC_TARR)
                rc = set(f, "one_of", daoc_value_copy(v));
            else
                note(c, "field '%s': non-array 'enum' dropped", fname);
        } else if (strcmp(k, "foreign") == 0) {
            const char *target = str_of(v);
            note(c, "field '%s': foreign key to '%s' is not enforced (the name does not end in "
                    "the target's key, or the target is not loaded); kept as a uuid string",
                 fname, target ? target : "?");
        } else if (!deprecated(c, k)) {
            note(c, "field '%s': attribute '%s' has no equivalent and is dropped", fname, k);
        }
    }
    if (rc == DAOC_OK && insert_value) {
        if (strcmp(type, "id") == 0 || strcmp(type, "timestamp") == 0)
            rc = set(f, "auto", daoc_bool(true));
        else
            note(c, "field '%s': dao_insert_value on type '%s' dropped", fname, type);
    }
    if (rc != DAOC_OK)
        goto fail;
    *out = f;
    return DAOC_OK;
fail:
    daoc_value_free(f);
    return rc;
}

static bool in_pk(const daoc_value *pk, const char *name)
{
    for (size_t i = 0; pk && pk->type == DAOC_TARR && i < pk->len; i++) {
        const char *s = str_of(pk->u.a[i]);
        if (s && strcmp(s, name) == 0)
            return true;
    }
    return false;
}

static int push_field(struct lctx *c, daoc_value *out, const char *name, const daoc_value *def)
{
    daoc_value *conv = NULL, *wrap = NULL;
    char *oname = NULL;
    int rc = convert_field(c, name, def, &conv, &oname);
    if (rc != DAOC_OK)
        return rc;
    wrap = daoc_obj();
    if (!wrap) {
        daoc__free(oname);
        daoc_value_free(conv);
        return DAOC_ENOMEM;
    }
    rc = daoc_obj_set(wrap, oname ? oname : name, conv);
    daoc__free(oname);
    if (rc == DAOC_OK)
        rc = daoc_arr_push(out, wrap);
    else
        daoc_value_free(wrap);
    return rc;
}

/* Appends {name = def} maps to the array `out`: primary-key fields first (in
 * primary_key order), then the others alphabetically. */
static int convert_fields(struct lctx *c, const daoc_value *fields, const daoc_value *pk,
                          daoc_value *out)
{
    const daoc__kv **sorted = NULL;
    int rc = DAOC_OK;
    for (size_t i = 0; pk && pk->type == DAOC_TARR && i < pk->len; i++) {
        const char *name = str_of(pk->u.a[i]);
        const daoc_value *def = name ? daoc_obj_get(fields, name) : NULL;
        if (!def)
            return fail(c, name ? name : "?", "primary key field is not defined");
        rc = push_field(c, out, name, def);
        if (rc != DAOC_OK)
            return rc;
    }
    sorted = daoc__malloc((fields->len ? fields->len : 1) * sizeof *sorted);
    if (!sorted)
        return DAOC_ENOMEM;
    for (size_t i = 0; i < fields->len; i++)
        sorted[i] = &fields->u.o[i];
    qsort(sorted, fields->len, sizeof *sorted, cmp_kv_ptr);
    for (size_t i = 0; i < fields->len && rc == DAOC_OK; i++) {
        if (in_pk(pk, sorted[i]->key))
            continue;
        rc = push_field(c, out, sorted[i]->key, sorted[i]->val);
    }
    daoc__free(sorted);
    return rc;
}

static int convert_entity(struct lctx *c, const char *name, const daoc_value *entry,
                          daoc_value **out)
{
    daoc_value *def = daoc_obj(), *farr = daoc_arr();
    const daoc_value *schema = entry && entry->type == DAOC_TOBJ ? daoc_obj_get(entry, "schema")
                                                                 : NULL;
    const char *table = str_of(entry ? daoc_obj_get(entry, "table") : NULL);
    const daoc_value *fields = schema ? daoc_obj_get(schema, "fields") : NULL;
    const daoc_value *pk = schema ? daoc_obj_get(schema, "primary_key") : NULL;
    int rc = DAOC_ENOMEM;

    *out = NULL;
    if (!def || !farr)
        goto fail;
    if (!fields || fields->type != DAOC_TOBJ) {
        rc = fail(c, "fields", "legacy schema needs a 'fields' map");
        goto fail;
    }
    if (!pk || pk->type != DAOC_TARR || pk->len == 0) {
        rc = fail(c, "primary_key", "legacy schema needs a 'primary_key' array");
        goto fail;
    }
    c->pk = pk;
    rc = convert_fields(c, fields, pk, farr);
    c->pk = NULL;
    if (rc != DAOC_OK)
        goto fail;
    rc = set(def, "name", daoc_str(name));
    if (rc == DAOC_OK)
        rc = set(def, "primary_key", daoc_value_copy(pk));
    if (rc == DAOC_OK && table && strcmp(table, name) != 0)
        rc = set(def, "table_name", daoc_str(table));
    if (rc != DAOC_OK)
        goto fail;
    for (size_t i = 0; i < schema->len && rc == DAOC_OK; i++) {
        const char *k = schema->u.o[i].key;
        if (strcmp(k, "fields") == 0 || strcmp(k, "primary_key") == 0 ||
            strcmp(k, "table") == 0 || strcmp(k, "name") == 0)
            continue;
        if (strcmp(k, "entity_checks") == 0) /* shims.lua's: funcs of the row, self_check */
            rc = set(def, k, daoc_value_copy(schema->u.o[i].val));
        else if (strcmp(k, "cache_key") == 0)
            note(c, "schema attribute 'cache_key' (the old DAO's invalidation key, not a unique "
                    "key) is left out; kong.dao's cache_key/entity_cache_key use it");
        else if (!deprecated(c, k))
            note(c, "schema attribute '%s' has no equivalent and is dropped", k);
    }
    if (rc != DAOC_OK)
        goto fail;
    rc = daoc_obj_set(def, "fields", farr);
    farr = NULL;
    if (rc != DAOC_OK)
        goto fail;
    *out = def;
    return DAOC_OK;
fail:
    daoc_value_free(farr);
    daoc_value_free(def);
    return rc;
}

/* Whether every entity of this plugin that `entry` references (foreign =
 * "<target>:<col>") is already emitted. */
static bool refs_emitted(const daoc_value *legacy, const char *self, const daoc_value *entry,
                         const bool *emitted, const daoc__kv **sorted)
{
    const daoc_value *s = entry->type == DAOC_TOBJ ? daoc_obj_get(entry, "schema") : NULL;
    const daoc_value *fields = s && s->type == DAOC_TOBJ ? daoc_obj_get(s, "fields") : NULL;
    for (size_t i = 0; fields && fields->type == DAOC_TOBJ && i < fields->len; i++) {
        const daoc_value *f = fields->u.o[i].val;
        const char *spec = f->type == DAOC_TOBJ ? str_of(daoc_obj_get(f, "foreign")) : NULL;
        const char *colon = spec ? strchr(spec, ':') : NULL;
        if (!colon)
            continue;
        for (size_t j = 0; j < legacy->len; j++)
            if (!emitted[j] && strncmp(sorted[j]->key, spec, (size_t)(colon - spec)) == 0 &&
                sorted[j]->key[colon - spec] == '\0' && strcmp(sorted[j]->key, self) != 0)
                return false;
    }
    return true;
}

/* One notice per plugin naming the Cassandra-era attributes it used. */
static void note_deprecated(struct lctx *c)
{
    char list[128] = "";
    if (!c->deprecated)
        return;
    for (size_t i = 0; i < N_DEPRECATED; i++)
        if (c->deprecated & (1u << i)) {
            if (list[0])
                strcat(list, ", ");
            strcat(list, DEPRECATED[i]);
        }
    const daoc_config *cfg = c->ls && c->ls->db ? c->ls->db->cfg : NULL;
    if (cfg && cfg->log) {
        char text[512];
        snprintf(text, sizeof text,
                 "plugin '%s': deprecated: legacy DAO attribute(s) %s have no equivalent in "
                 "today's Kong and are ignored",
                 c->plugin, list);
        cfg->log(cfg->log_ud, DAOC_LOG_WARN, text);
    }
}

int daoc__lua_convert_legacy(struct daoc__lua *ls, const char *plugin, const daoc_value *legacy,
                             daoc_value **defs, char **msg)
{
    struct lctx c = {ls, plugin, "", legacy, NULL, 0, 0, false, NULL};
    const daoc__kv **sorted = NULL;
    bool *emitted = NULL;
    daoc_value *arr = daoc_arr();
    int rc = DAOC_ENOMEM;

    *defs = NULL;
    *msg = NULL;
    if (!arr || legacy->type != DAOC_TOBJ)
        goto fail;
    sorted = daoc__malloc((legacy->len ? legacy->len : 1) * sizeof *sorted);
    emitted = daoc__calloc(legacy->len ? legacy->len : 1, sizeof *emitted);
    if (!sorted || !emitted)
        goto fail;
    for (size_t i = 0; i < legacy->len; i++)
        sorted[i] = &legacy->u.o[i];
    qsort(sorted, legacy->len, sizeof *sorted, cmp_kv_ptr);
    rc = DAOC_OK;
    for (size_t done = 0; done < legacy->len && rc == DAOC_OK;) {
        size_t pick = legacy->len;
        for (size_t i = 0; i < legacy->len && pick == legacy->len; i++)
            if (!emitted[i] &&
                refs_emitted(legacy, sorted[i]->key, sorted[i]->val, emitted, sorted))
                pick = i;
        for (size_t i = 0; i < legacy->len && pick == legacy->len; i++)
            if (!emitted[i])
                pick = i; /* a cycle: compile reports the missing reference */
        daoc_value *def = NULL;
        c.entity = sorted[pick]->key;
        rc = convert_entity(&c, sorted[pick]->key, sorted[pick]->val, &def);
        if (rc == DAOC_OK)
            rc = daoc_arr_push(arr, def);
        emitted[pick] = true;
        done++;
    }
    if (rc != DAOC_OK)
        goto fail;
    note_deprecated(&c);
    daoc__free(sorted);
    daoc__free(emitted);
    *defs = arr;
    return DAOC_OK;
fail:
    daoc__free(sorted);
    daoc__free(emitted);
    daoc_value_free(arr);
    *msg = c.msg;
    return rc;
}

/* Appends { name = v } to the array `fields` (takes v). */
static int push_named(daoc_value *fields, const char *name, daoc_value *v)
{
    daoc_value *wrap = v ? daoc_obj() : NULL;
    if (!wrap) {
        daoc_value_free(v);
        return DAOC_ENOMEM;
    }
    int rc = daoc_obj_set(wrap, name, v);
    return rc == DAOC_OK ? daoc_arr_push(fields, wrap) : (daoc_value_free(wrap), rc);
}

/* { <scope> = typedefs.no_<scope> }: the scope must stay null. */
static int no_scope(daoc_value *fields, const char *scope, const char *ref)
{
    daoc_value *f = daoc_obj();
    int rc = f ? set(f, "type", daoc_str("foreign")) : DAOC_ENOMEM;
    if (rc == DAOC_OK)
        rc = set(f, "reference", daoc_str(ref));
    if (rc == DAOC_OK)
        rc = set(f, "eq", daoc_null());
    if (rc != DAOC_OK) {
        daoc_value_free(f);
        return rc;
    }
    return push_named(fields, scope, f);
}

int daoc__lua_convert_legacy_plugin_schema(struct daoc__lua *ls, const char *plugin,
                                           const daoc_value *legacy, daoc_value **def,
                                           char **msg)
{
    static const char *const SCOPES[][3] = {{"no_consumer", "consumer", "consumers"},
                                            {"no_route", "route", "routes"},
                                            {"no_service", "service", "services"}};
    struct lctx c = {ls, plugin, "config", legacy, NULL, 0, 0, true, NULL};
    daoc_value *out = daoc_obj(), *fields = daoc_arr(), *cfg = NULL;
    const daoc_value *lf = daoc_obj_get(legacy, "fields");
    int rc = out && fields ? DAOC_OK : DAOC_ENOMEM;

    *def = NULL;
    *msg = NULL;
    if (rc == DAOC_OK && (!lf || lf->type != DAOC_TOBJ))
        rc = fail(&c, "fields", "expected a map of field definitions");
    if (rc == DAOC_OK)
        rc = required_record(&c, lf, &cfg);
    if (rc == DAOC_OK)
        rc = push_named(fields, "config", cfg);
    for (size_t i = 0; rc == DAOC_OK && i < sizeof SCOPES / sizeof SCOPES[0]; i++)
        if (truthy(daoc_obj_get(legacy, SCOPES[i][0])))
            rc = no_scope(fields, SCOPES[i][1], SCOPES[i][2]);
    for (size_t i = 0; rc == DAOC_OK && i < legacy->len; i++) {
        const char *k = legacy->u.o[i].key;
        bool scope = false;
        for (size_t j = 0; j < sizeof SCOPES / sizeof SCOPES[0]; j++)
            scope = scope || strcmp(k, SCOPES[j][0]) == 0;
        if (strcmp(k, "entity_checks") == 0)
            rc = daoc_obj_set(out, k, daoc_value_copy(legacy->u.o[i].val));
        else if (!scope && strcmp(k, "fields") != 0 && !deprecated(&c, k))
            note(&c, "schema attribute '%s' has no equivalent and is dropped", k);
    }
    if (rc == DAOC_OK)
        rc = daoc_obj_set(out, "name", daoc_str(plugin));
    if (rc == DAOC_OK)
        rc = daoc_obj_set(out, "fields", fields); /* takes fields */
    else
        daoc_value_free(fields);
    if (rc != DAOC_OK) {
        daoc_value_free(out);
        *msg = c.msg;
        return rc;
    }
    note_deprecated(&c);
    *def = out;
    return DAOC_OK;
}
