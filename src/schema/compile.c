/*
 * compile.c -- daoc__schema_compile(): an entity definition (the Lua table
 * of a daos.lua file, as a daoc_value tree) checked against Kong's
 * MetaSchema and Entity rules and turned into an immutable daoc__schema.
 *
 * This file handles the entity level (name, primary_key, endpoint_key,
 * cache_key, ttl, table_name, ... and the `fields` array); one field at a
 * time is compiled by compile_field.c and entity checks by
 * compile_checks.c.  Messages read "<entity>: <field or attribute>: <why>",
 * in Kong's metaschema wording where Kong has one.
 *
 * The schema-level `check` function is kept as s->self_check (run by
 * self_check.c), `shorthand_fields` are compiled by shorthands.c,
 * subschema_key / subschema_error kept for the subschemas registered later
 * (subschema.c), `transformations` compiled by transform.c.
 * It never runs validators.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "schema/compile_internal.h"

/* ---- helpers shared by compile*.c -------------------------------------- */

int daoc__cfail(daoc__cctx *c, const char *path, const char *fmt, ...)
{
    daoc__buf b = DAOC__BUF_INIT;
    va_list ap, ap2;
    char *msg;
    int n;

    if (!c->errmsg || *c->errmsg)
        return DAOC_ESCHEMA;
    if (c->entity && *c->entity)
        daoc__buf_printf(&b, "%s: ", c->entity);
    if (path && *path)
        daoc__buf_printf(&b, "%s: ", path);
    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    msg = n >= 0 ? daoc__malloc((size_t)n + 1) : NULL;
    if (msg)
        vsnprintf(msg, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    va_end(ap);
    if (!msg) {
        daoc__buf_free(&b);
        return DAOC_ENOMEM;
    }
    daoc__buf_append(&b, msg, (size_t)n);
    daoc__free(msg);
    *c->errmsg = daoc__buf_take(&b, NULL);
    return *c->errmsg ? DAOC_ESCHEMA : DAOC_ENOMEM;
}

bool daoc__c_is_list(const daoc_value *v)
{
    return v && (v->type == DAOC_TARR || (v->type == DAOC_TOBJ && v->len == 0));
}

bool daoc__c_is_map(const daoc_value *v)
{
    return v && (v->type == DAOC_TOBJ || (v->type == DAOC_TARR && v->len == 0));
}

char *daoc__c_join(const char *path, const char *sub)
{
    if (!path || !*path)
        return daoc__strdup(sub);
    return daoc__asprintf("%s.%s", path, sub);
}

int daoc__c_strlist(daoc__cctx *c, const char *path, const char *attr, const daoc_value *arr,
                    char ***out, size_t *n)
{
    size_t len;
    const char *sep = attr && *attr ? ": " : "";
    const char *dot = attr && *attr ? "." : "";
    if (!attr)
        attr = "";
    if (!daoc__c_is_list(arr))
        return daoc__cfail(c, path, "%s%sexpected an array", attr, sep);
    len = arr->type == DAOC_TARR ? arr->len : 0;
    *out = daoc__calloc(len ? len : 1, sizeof(char *));
    if (!*out)
        return DAOC_ENOMEM;
    *n = 0;
    for (size_t i = 0; i < len; i++) {
        const daoc_value *e = arr->u.a[i];
        if (e->type != DAOC_TSTR)
            return daoc__cfail(c, path, "%s%s%zu: expected a string", attr, dot, i + 1);
        (*out)[i] = daoc__strndup(e->u.s, e->len);
        if (!(*out)[i])
            return DAOC_ENOMEM;
        *n = i + 1;
    }
    return DAOC_OK;
}

void daoc__c_strlist_free(char **l, size_t n)
{
    for (size_t i = 0; l && i < n; i++)
        daoc__free(l[i]);
    daoc__free(l);
}

/* The single key of a `{name = def}` entry, or NULL. */
static const daoc__kv *entry_kv(const daoc_value *e)
{
    return e && e->type == DAOC_TOBJ && e->len == 1 ? &e->u.o[0] : NULL;
}

const daoc_value *daoc__c_find_field_def(const daoc_value *fields, const char *name, size_t len,
                                         bool *via_foreign)
{
    const char *dot = memchr(name, '.', len);
    size_t hl = dot ? (size_t)(dot - name) : len;

    if (!fields || fields->type != DAOC_TARR)
        return NULL;
    for (size_t i = 0; i < fields->len; i++) {
        const daoc__kv *kv = entry_kv(fields->u.a[i]);
        const daoc_value *t;
        if (!kv || kv->klen != hl || memcmp(kv->key, name, hl) != 0)
            continue;
        if (!dot)
            return kv->val;
        if (!daoc__c_is_map(kv->val))
            return NULL;
        t = daoc__obj_getn(kv->val, "type", 4);
        if (t && t->type == DAOC_TSTR && strcmp(t->u.s, "foreign") == 0) {
            if (via_foreign)
                *via_foreign = true;
            return kv->val;
        }
        return daoc__c_find_field_def(daoc__obj_getn(kv->val, "fields", 6), dot + 1,
                                      len - hl - 1, via_foreign);
    }
    return NULL;
}

/* Kong's MetaSchema: an entry of `fields` is a map with exactly one key,
 * the field's name.  Refused naming the entry's position and what it is
 * instead (a bare "id" would otherwise surface as a primary_key problem). */
static int field_entry(daoc__cctx *c, const char *fpath, size_t i, const daoc_value *e)
{
    char got[96];
    const char *name = "name";
    if (e->type == DAOC_TOBJ && e->len == 1)
        return DAOC_OK;
    switch (e->type) {
    case DAOC_TSTR:
        snprintf(got, sizeof got, "the string '%.40s'", e->u.s);
        if (e->len > 0 && e->len <= 40 && strlen(e->u.s) == e->len)
            name = e->u.s;
        break;
    case DAOC_TOBJ:
        snprintf(got, sizeof got, e->len ? "a table with %zu keys" : "an empty table", e->len);
        break;
    case DAOC_TARR:
        snprintf(got, sizeof got, e->len ? "an array of %zu values" : "an empty table", e->len);
        break;
    case DAOC_TNULL:
        snprintf(got, sizeof got, "null");
        break;
    case DAOC_TBOOL:
        snprintf(got, sizeof got, "a boolean");
        break;
    case DAOC_TINT:
    case DAOC_TNUM:
        snprintf(got, sizeof got, "a number");
        break;
    default:
        snprintf(got, sizeof got, "a function");
        break;
    }
    return daoc__cfail(c, NULL,
                       "%s.%zu: expected a table with one key, the field's name, as in "
                       "{ %s = { type = \"string\" } }; got %s",
                       fpath, i + 1, name, got);
}

int daoc__compile_fields(daoc__cctx *c, const char *path, const daoc_value *fields, int flags,
                         daoc__schema *s)
{
    char *fpath = NULL, *ipath = NULL;
    size_t n;
    int st = DAOC_OK;

    fpath = daoc__c_join(path, "fields");
    if (!fpath)
        return DAOC_ENOMEM;
    if (!daoc__c_is_list(fields)) {
        st = daoc__cfail(c, path, "fields: expected an array");
        goto done;
    }
    n = fields->type == DAOC_TARR ? fields->len : 0;
    s->fields = daoc__calloc(n ? n : 1, sizeof *s->fields);
    if (!s->fields) {
        st = DAOC_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const daoc_value *e = fields->u.a[i];
        const daoc__kv *kv;
        if ((st = field_entry(c, fpath, i, e)))
            goto done;
        kv = &e->u.o[0];
        daoc__free(ipath);
        ipath = daoc__c_join(path, kv->key);
        if (!ipath) {
            st = DAOC_ENOMEM;
            goto done;
        }
        if (strlen(kv->key) != kv->klen || kv->klen == 0 || memchr(kv->key, '.', kv->klen)) {
            st = daoc__cfail(c, fpath, "invalid field name: '%s'", kv->key);
            goto done;
        }
        if (daoc__schema_field_index(s, kv->key, kv->klen) >= 0) {
            st = daoc__cfail(c, ipath, "duplicate field name");
            goto done;
        }
        if (!daoc__c_is_map(kv->val)) {
            st = daoc__cfail(c, ipath, "'%s' must be a table", kv->key);
            goto done;
        }
        s->nfields = i + 1;
        st = daoc__compile_field(c, ipath, kv->key, kv->val, flags & DAOC__CF_RECORDS_REQUIRED,
                                 &s->fields[i]);
        if (st)
            goto done;
    }
done:
    daoc__free(ipath);
    daoc__free(fpath);
    return st;
}

/* ---- entity level ------------------------------------------------------ */

enum top_kind { K_STR, K_BOOL, K_STRLIST, K_FIELDS, K_CHECKS, K_FUNC, K_UNSUPPORTED };

static const struct {
    const char *name;
    enum top_kind kind;
} TOP[] = {
    {"name", K_STR},
    {"primary_key", K_STRLIST},
    {"endpoint_key", K_STR},
    {"cache_key", K_STRLIST},
    {"ttl", K_BOOL},
    {"workspaceable", K_BOOL},
    {"table_name", K_STR},
    {"db_export", K_BOOL},
    {"generate_admin_api", K_BOOL},
    {"admin_api_name", K_STR},
    {"admin_api_nested_name", K_STR},
    {"dao", K_STR},
    {"fields", K_FIELDS},
    {"entity_checks", K_CHECKS},
    {"subschema_key", K_STR},
    {"subschema_error", K_STR},
    {"shorthand_fields", K_CHECKS},
    {"transformations", K_CHECKS},
    {"check", K_FUNC},
};

static int top_lookup(const daoc__kv *kv)
{
    for (size_t i = 0; i < sizeof TOP / sizeof TOP[0]; i++)
        if (strlen(TOP[i].name) == kv->klen && memcmp(TOP[i].name, kv->key, kv->klen) == 0)
            return (int)i;
    return -1;
}

static int top_attrs(daoc__cctx *c, const daoc_value *def)
{
    for (size_t i = 0; i < def->len; i++) {
        const daoc__kv *kv = &def->u.o[i];
        int k = top_lookup(kv);
        const daoc_value *v = kv->val;
        if (k < 0)
            return daoc__cfail(c, kv->key, "unknown field");
        switch (TOP[k].kind) {
        case K_STR:
            if (v->type != DAOC_TSTR)
                return daoc__cfail(c, kv->key, "expected a string");
            break;
        case K_BOOL:
            if (v->type != DAOC_TBOOL)
                return daoc__cfail(c, kv->key, "expected a boolean");
            break;
        case K_STRLIST:
            if (!daoc__c_is_list(v))
                return daoc__cfail(c, kv->key, "expected an array");
            for (size_t j = 0; v->type == DAOC_TARR && j < v->len; j++)
                if (v->u.a[j]->type != DAOC_TSTR)
                    return daoc__cfail(c, kv->key, "%zu: expected a string", j + 1);
            break;
        case K_FIELDS:
        case K_CHECKS:
            if (!daoc__c_is_list(v))
                return daoc__cfail(c, kv->key, "expected an array");
            break;
        case K_FUNC:
            if (v->type != DAOC_TFUNC || !v->u.f)
                return daoc__cfail(c, kv->key, "expected a function");
            break;
        case K_UNSUPPORTED:
            return daoc__cfail(c, kv->key, "not supported by daoc");
        }
    }
    return DAOC_OK;
}

static bool def_truthy(const daoc_value *fdef, const char *attr)
{
    const daoc_value *v = daoc__c_is_map(fdef) ? daoc_obj_get(fdef, attr) : NULL;
    return v && !(v->type == DAOC_TBOOL && !v->u.b) && v->type != DAOC_TNULL;
}

/* Kong's MetaSchema `check`: endpoint_key, cache_key, ttl; plus the
 * primary_key names, which Kong only discovers at the first query. */
static int key_checks(daoc__cctx *c, const daoc_value *def, const daoc_value *fields)
{
    const daoc_value *pk = daoc__obj_getn(def, "primary_key", 11);
    const daoc_value *ek = daoc__obj_getn(def, "endpoint_key", 12);
    const daoc_value *ck = daoc__obj_getn(def, "cache_key", 9);
    const daoc_value *ttl = daoc__obj_getn(def, "ttl", 3);
    const daoc_value *ssk = daoc__obj_getn(def, "subschema_key", 13);
    const daoc_value *found = NULL;

    if (!pk)
        return daoc__cfail(c, "primary_key", "required field missing");
    if (pk->type != DAOC_TARR || pk->len == 0)
        return daoc__cfail(c, "primary_key", "length must be at least 1");
    for (size_t i = 0; i < pk->len; i++)
        if (!daoc__c_find_field_def(fields, pk->u.a[i]->u.s, pk->u.a[i]->len, NULL) ||
            memchr(pk->u.a[i]->u.s, '.', pk->u.a[i]->len))
            return daoc__cfail(c, "primary_key", "values must be field names");
    if (ek && (memchr(ek->u.s, '.', ek->len) ||
               !daoc__c_find_field_def(fields, ek->u.s, ek->len, NULL)))
        return daoc__cfail(c, "endpoint_key", "value must be a field name");
    if (ck && ck->type == DAOC_TARR) {
        for (size_t i = 0; i < ck->len; i++) {
            const daoc_value *e = ck->u.a[i];
            found = memchr(e->u.s, '.', e->len) ? NULL
                                                 : daoc__c_find_field_def(fields, e->u.s, e->len,
                                                                          NULL);
            if (!found)
                return daoc__cfail(c, "cache_key", "values must be field names");
        }
        if (ck->len == 1 && !def_truthy(found, "unique"))
            return daoc__cfail(c, "cache_key", "a field used as a single cache key must be unique");
    }
    if (ssk) {
        const daoc_value *f = memchr(ssk->u.s, '.', ssk->len)
                                  ? NULL
                                  : daoc__c_find_field_def(fields, ssk->u.s, ssk->len, NULL);
        const daoc_value *t = daoc__c_is_map(f) ? daoc__obj_getn(f, "type", 4) : NULL;
        if (!f)
            return daoc__cfail(c, "subschema_key", "value must be a field name");
        if (!t || t->type != DAOC_TSTR || (strcmp(t->u.s, "string") && strcmp(t->u.s, "set")))
            return daoc__cfail(c, "subschema_key", "must be a string or set field");
    }
    if (ttl && ttl->u.b && daoc__c_find_field_def(fields, "ttl", 3, NULL))
        return daoc__cfail(c, "ttl", "ttl is a reserved field name when ttl is enabled");
    return DAOC_OK;
}

static int dup_opt(const daoc_value *def, const char *key, char **out)
{
    const daoc_value *v = daoc_obj_get(def, key);
    if (!v)
        return DAOC_OK;
    *out = daoc__strndup(v->u.s, v->len);
    return *out ? DAOC_OK : DAOC_ENOMEM;
}

static bool opt_bool(const daoc_value *def, const char *key, bool dflt)
{
    const daoc_value *v = daoc_obj_get(def, key);
    return v ? v->u.b : dflt;
}

/* Index list of top-level names (already checked to exist). */
static int index_list(const daoc__schema *s, const daoc_value *names, size_t **out, size_t *n)
{
    size_t len = names && names->type == DAOC_TARR ? names->len : 0;
    *out = daoc__calloc(len ? len : 1, sizeof(size_t));
    if (!*out)
        return DAOC_ENOMEM;
    for (size_t i = 0; i < len; i++)
        (*out)[i] = (size_t)daoc__schema_field_index(s, names->u.a[i]->u.s, names->u.a[i]->len);
    *n = len;
    return DAOC_OK;
}

/* Storage columns of top-level fields and the has_tags flag. */
static int finish_fields(daoc__schema *s)
{
    for (size_t i = 0; i < s->nfields; i++) {
        daoc__field *f = &s->fields[i];
        if (f->type == DAOC__F_FOREIGN)
            f->column = daoc__asprintf("%s_%s", f->name, f->ref->fields[f->ref->pk[0]].name);
        else
            f->column = daoc__strdup(f->name);
        if (!f->column)
            return DAOC_ENOMEM;
        if (strcmp(f->name, "tags") == 0 && f->type == DAOC__F_SET && f->elements &&
            f->elements->type == DAOC__F_STRING)
            s->has_tags = true;
    }
    return DAOC_OK;
}

int daoc__schema_compile(const daoc_value *def, daoc__schema_lookup_fn lookup, void *ud,
                         daoc__schema **out, char **errmsg)
{
    daoc__cctx c = {NULL, lookup, ud, errmsg};
    daoc__schema *s = NULL;
    const daoc_value *name, *fields, *checks, *ek;
    int st;

    *out = NULL;
    if (errmsg)
        *errmsg = NULL;
    if (!daoc__c_is_map(def))
        return daoc__cfail(&c, NULL, "expected a definition table");
    name = daoc__obj_getn(def, "name", 4);
    if (!name)
        return daoc__cfail(&c, "name", "required field missing");
    if (name->type != DAOC_TSTR || name->len == 0 || strlen(name->u.s) != name->len)
        return daoc__cfail(&c, "name", "expected a string");
    c.entity = name->u.s;
    fields = daoc__obj_getn(def, "fields", 6);
    if (!fields)
        return daoc__cfail(&c, NULL, "error in schema definition: no 'fields' table");
    if ((st = top_attrs(&c, def)))
        return st;
    /* the entries' shape before the keys that look fields up in them */
    for (size_t i = 0; fields->type == DAOC_TARR && i < fields->len; i++)
        if ((st = field_entry(&c, "fields", i, fields->u.a[i])))
            return st;
    if ((st = key_checks(&c, def, fields)))
        return st;

    s = daoc__calloc(1, sizeof *s);
    if (!s)
        return DAOC_ENOMEM;
    s->endpoint_key = -1;
    if ((st = daoc__compile_fields(&c, NULL, fields, DAOC__CF_TOPLEVEL | DAOC__CF_RECORDS_REQUIRED,
                                   s)))
        goto fail;
    if ((st = finish_fields(s)))
        goto fail;
    if ((st = index_list(s, daoc_obj_get(def, "primary_key"), &s->pk, &s->npk)) ||
        (st = index_list(s, daoc_obj_get(def, "cache_key"), &s->cache_key, &s->ncache_key)))
        goto fail;
    s->pk_uuid_only = s->npk > 0;
    for (size_t i = 0; i < s->npk; i++)
        s->pk_uuid_only = s->pk_uuid_only && daoc__field_uuid_only(&s->fields[s->pk[i]]);
    if ((st = daoc__schema_plan_select(s)))
        goto fail;
    ek = daoc_obj_get(def, "endpoint_key");
    if (ek)
        s->endpoint_key = daoc__schema_field_index(s, ek->u.s, ek->len);
    checks = daoc_obj_get(def, "entity_checks");
    if (checks && (st = daoc__compile_checks(&c, "entity_checks", checks, fields,
                                             DAOC__CF_RECORDS_REQUIRED, s)))
        goto fail;

    checks = daoc_obj_get(def, "transformations");
    if (checks && (st = daoc__compile_transformations(&c, checks, fields, s)))
        goto fail;
    checks = daoc_obj_get(def, "shorthand_fields");
    if (checks && (st = daoc__compile_shorthands(&c, NULL, checks, s)))
        goto fail;
    s->echoes = daoc__schema_has_echoes(s);
    ek = daoc_obj_get(def, "check");
    if (ek) {
        daoc__callable_ref(ek->u.f);
        s->self_check = ek->u.f;
    }
    s->ttl = opt_bool(def, "ttl", false);
    s->workspaceable = opt_bool(def, "workspaceable", false);
    s->db_export = opt_bool(def, "db_export", true);
    s->generate_admin_api = opt_bool(def, "generate_admin_api", true);
    st = DAOC_ENOMEM;
    s->name = daoc__strndup(name->u.s, name->len);
    if (!s->name || dup_opt(def, "admin_api_name", &s->admin_api_name) ||
        dup_opt(def, "admin_api_nested_name", &s->admin_api_nested_name) ||
        dup_opt(def, "dao", &s->dao_module) || dup_opt(def, "table_name", &s->table_name) ||
        dup_opt(def, "subschema_key", &s->subschema_key) ||
        dup_opt(def, "subschema_error", &s->subschema_error))
        goto fail;
    if (!s->table_name && !(s->table_name = daoc__strdup(s->name)))
        goto fail;
    *out = s;
    return DAOC_OK;
fail:
    daoc__schema_free(s);
    return st;
}

void daoc__schema_free(daoc__schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nfields; i++)
        daoc__field_clear(&s->fields[i]);
    daoc__free(s->fields);
    daoc__free(s->pk);
    daoc__free(s->cache_key);
    daoc__free(s->sel);
    daoc__checks_free(s->checks, s->nchecks);
    if (s->self_check)
        daoc__callable_unref(s->self_check);
    daoc__shorthands_free(s->shorthands, s->nshorthands);
    daoc__subschemas_free(s->subschemas, s->nsubschemas);
    daoc__transformations_free(s->transformations, s->ntransformations);
    daoc__free(s->subschema_key);
    daoc__free(s->subschema_error);
    daoc__free(s->name);
    daoc__free(s->table_name);
    daoc__free(s->admin_api_name);
    daoc__free(s->admin_api_nested_name);
    daoc__free(s->dao_module);
    daoc__free(s->plugin);
    daoc__free(s);
}

long daoc__schema_field_index(const daoc__schema *s, const char *name, size_t len)
{
    for (size_t i = 0; s && i < s->nfields; i++)
        if (s->fields[i].name && s->fields[i].name_len == len && memcmp(s->fields[i].name, name, len) == 0)
            return (long)i;
    return -1;
}

const daoc__field *daoc__schema_field(const daoc__schema *s, const char *name, size_t len)
{
    long i = daoc__schema_field_index(s, name, len);
    const char *dot;
    if (i >= 0)
        return &s->fields[i];
    /* dotted names walk into records ("config.x") */
    dot = memchr(name, '.', len);
    if (!dot)
        return NULL;
    i = daoc__schema_field_index(s, name, (size_t)(dot - name));
    if (i < 0)
        return NULL;
    /* ... and into the referenced entity of a foreign field ("consumer.id") */
    return daoc__schema_field(s->fields[i].record ? s->fields[i].record : s->fields[i].ref,
                              dot + 1, len - (size_t)(dot - name) - 1);
}
