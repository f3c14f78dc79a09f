/*
 * shorthands.c -- an entity's `shorthand_fields`: input-only virtual fields
 * whose `func(value)` returns real field values (Kong's process_auto_fields
 * prologue, kong-schema-dao.md 2.5).
 *
 * Compiling: each element is a single-key map {name = definition}; the
 * definition is a field definition of any type but record, foreign and
 * function, plus `func` (required, a function) and `translate_backwards`
 * (an array of strings).  The value's own validators are compiled by
 * compile_field.c.
 *
 * Records may carry shorthand_fields too: process_auto_fields applies them
 * to the record's value on writes (auto_fields.c); as in Kong, a record
 * whose shorthand fails there loses its value (Kong's nested
 * process_auto_fields error is dropped), and no notice is given.
 *
 * Applying (daoc__schema_shorthands, on the DAO's private copy of the input
 * of an insert, update or upsert, before the auto fields): a shorthand
 * present in the input (null included) is validated against its definition
 * (errors keyed by the shorthand's name), refused when it is deprecated and
 * the field replacing it holds a different value ("both deprecated and new
 * field are used but their values mismatch: ..."), removed, and
 * `func(value)`'s table merged into the input: a table result is merged
 * over the record the input holds (a deprecated shorthand only fills what
 * is absent or null), a scalar replaces the field's value (a deprecated
 * one only fills an absent or null field).  A func that raises an error
 * reports its text under the shorthand's name.  A deprecated shorthand
 * gives Kong's deprecation notice the first time it is used (Kong gives it
 * from validate_field, on every use).  On the rows the DAO returns, a
 * deprecated shorthand with replaced_with (or translate_backwards) is echoed
 * back with the value it now maps to (daoc__schema_echo_shorthands), in the
 * entity and in its records, Kong's select branch without hide_shorthands.
 */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "schema/compile_internal.h"
#include "schema/validate_internal.h"

static const char *const SHORTHAND_TYPES =
    "string, integer, number, boolean, array, set, map, json";

static void shorthand_clear(daoc__shorthand *sh)
{
    daoc__free(sh->name);
    daoc__field_clear(&sh->def);
    if (sh->func)
        daoc__callable_unref(sh->func);
    daoc_value_free(sh->deprecation);
    daoc_value_free(sh->translate_backwards);
}

void daoc__shorthands_free(daoc__shorthand *sh, size_t n)
{
    for (size_t i = 0; sh && i < n; i++)
        shorthand_clear(&sh[i]);
    daoc__free(sh);
}

/* The definition without the shorthand-only attributes, in *def (owned). */
static int one_shorthand(daoc__cctx *c, const char *path, const daoc__kv *kv, daoc__shorthand *sh)
{
    const daoc_value *d = kv->val, *t, *fn, *tb;
    daoc_value *def;
    int rc;

    if (!daoc__c_is_map(d))
        return daoc__cfail(c, path, "expected a record");
    t = daoc__obj_getn(d, "type", 4);
    if (!t)
        return daoc__cfail(c, path, "type: required field missing");
    if (t->type != DAOC_TSTR)
        return daoc__cfail(c, path, "type: expected a string");
    if (strcmp(t->u.s, "record") == 0 || strcmp(t->u.s, "foreign") == 0 ||
        strcmp(t->u.s, "function") == 0)
        return daoc__cfail(c, path, "type: expected one of: %s", SHORTHAND_TYPES);
    fn = daoc__obj_getn(d, "func", 4);
    if (!fn)
        return daoc__cfail(c, path, "func: required field missing");
    if (fn->type != DAOC_TFUNC || !fn->u.f)
        return daoc__cfail(c, path, "func: expected a function");
    tb = daoc__obj_getn(d, "translate_backwards", 19);
    if (tb) {
        if (!daoc__c_is_list(tb))
            return daoc__cfail(c, path, "translate_backwards: expected an array");
        for (size_t i = 0; tb->type == DAOC_TARR && i < tb->len; i++)
            if (tb->u.a[i]->type != DAOC_TSTR)
                return daoc__cfail(c, path, "translate_backwards.%zu: expected a string", i + 1);
    }
    if (!(def = daoc_value_copy(d)))
        return DAOC_ENOMEM;
    daoc_value_free(daoc__obj_take(def, "func", 4));
    daoc_value_free(daoc__obj_take(def, "translate_backwards", 19));
    rc = daoc__compile_field(c, path, kv->key, def, 0, &sh->def);
    daoc_value_free(def);
    if (rc != DAOC_OK)
        return rc;
    sh->name = daoc__strndup(kv->key, kv->klen);
    sh->name_len = kv->klen;
    daoc__callable_ref(fn->u.f);
    sh->func = fn->u.f;
    if (daoc__obj_getn(d, "deprecation", 11) &&
        !(sh->deprecation = daoc_value_copy(daoc__obj_getn(d, "deprecation", 11))))
        return DAOC_ENOMEM;
    if (tb && !(sh->translate_backwards = daoc_value_copy(tb)))
        return DAOC_ENOMEM;
    return sh->name ? DAOC_OK : DAOC_ENOMEM;
}

int daoc__compile_shorthands(daoc__cctx *c, const char *at, const daoc_value *arr, daoc__schema *s)
{
    size_t n;
    if (!daoc__c_is_list(arr))
        return daoc__cfail(c, at, "shorthand_fields: expected an array");
    n = arr->type == DAOC_TARR ? arr->len : 0;
    if (n == 0)
        return DAOC_OK;
    if (!(s->shorthands = daoc__calloc(n, sizeof *s->shorthands)))
        return DAOC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const daoc_value *e = arr->u.a[i];
        char path[512];
        int rc;
        snprintf(path, sizeof path, "%s%sshorthand_fields.%zu", at ? at : "", at ? "." : "", i + 1);
        if (!daoc__c_is_map(e))
            return daoc__cfail(c, path, "expected a map");
        if (e->type != DAOC_TOBJ || e->len != 1)
            return daoc__cfail(c, path, "length must be 1");
        char *spath = daoc__c_join(path, e->u.o[0].key);
        if (!spath)
            return DAOC_ENOMEM;
        s->nshorthands = i + 1;
        rc = one_shorthand(c, spath, &e->u.o[0], &s->shorthands[i]);
        daoc__free(spath);
        if (rc != DAOC_OK)
            return rc;
    }
    return DAOC_OK;
}

/* ---- applying ---------------------------------------------------------- */

/* Kong's table_path(data, path): the value at a path of names, borrowed. */
static const daoc_value *value_at(const daoc_value *data, const daoc_value *path)
{
    const daoc_value *v = data;
    for (size_t i = 0; path && path->type == DAOC_TARR && i < path->len; i++) {
        const daoc_value *k = path->u.a[i];
        if (!v || v->type != DAOC_TOBJ || k->type != DAOC_TSTR)
            return NULL;
        v = daoc__obj_getn(v, k->u.s, k->len);
    }
    return v;
}

static int mismatch(daoc_value **errors, const daoc__shorthand *sh, const daoc_value *value,
                    const daoc_value *path, const daoc_value *now)
{
    daoc__buf b = DAOC__BUF_INIT;
    daoc__buf_printf(
        &b, "both deprecated and new field are used but their values mismatch: %s = ", sh->name);
    daoc__value_tostring(&b, value);
    daoc__buf_puts(&b, " vs ");
    for (size_t i = 0; path && path->type == DAOC_TARR && i < path->len; i++)
        daoc__buf_printf(&b, "%s%s", i ? "." : "", path->u.a[i]->u.s);
    daoc__buf_puts(&b, " = ");
    daoc__value_tostring(&b, now);
    char *m = daoc__buf_take(&b, NULL);
    if (!m)
        return DAOC_ENOMEM;
    daoc_value *mv = daoc_str(m);
    daoc__free(m);
    return daoc__verr_set(errors, sh->name, sh->name_len, mv);
}

/* validate_deprecation_exclusiveness: *bad is set when an error was added. */
static int exclusive(const daoc__shorthand *sh, const daoc_value *data, const daoc_value *value,
                     daoc_value **errors, bool *bad)
{
    const daoc_value *rw = sh->deprecation ? daoc_obj_get(sh->deprecation, "replaced_with") : NULL;
    *bad = false;
    if (!sh->deprecation || value->type == DAOC_TNULL)
        return DAOC_OK;
    if (rw && rw->type == DAOC_TARR) {
        for (size_t i = 0; i < rw->len; i++) {
            const daoc_value *path = daoc_obj_get(rw->u.a[i], "path");
            const daoc_value *now = value_at(data, path);
            if (now && now->type != DAOC_TNULL && !daoc__value_equal(now, value)) {
                *bad = true;
                return mismatch(errors, sh, value, path, now);
            }
        }
    } else if (sh->translate_backwards) {
        const daoc_value *now = value_at(data, sh->translate_backwards);
        if (now && now->type != DAOC_TNULL && !daoc__value_equal(now, value)) {
            *bad = true;
            return mismatch(errors, sh, value, sh->translate_backwards, now);
        }
    }
    return DAOC_OK;
}

/* table_merge(source, v) (v wins) or, deprecated, null_aware_table_merge(v,
 * source) (source wins unless it holds null).  Returns a new value. */
static daoc_value *merge_tables(const daoc_value *source, const daoc_value *v, bool deprecated)
{
    const daoc_value *base = deprecated ? v : source, *over = deprecated ? source : v;
    if (!base || base->type != DAOC_TOBJ || !over || over->type != DAOC_TOBJ) {
        /* arrays and empty sources: Lua's merge of a sequence over {} */
        return daoc_value_copy(
            source && source->type == DAOC_TOBJ && source->len && deprecated ? source : v);
    }
    daoc_value *res = daoc_value_copy(base);
    for (size_t i = 0; res && i < over->len; i++) {
        const daoc__kv *kv = &over->u.o[i];
        if (deprecated && kv->val->type == DAOC_TNULL && daoc__obj_getn(res, kv->key, kv->klen))
            continue;
        daoc_value *cp = daoc_value_copy(kv->val);
        if (!cp || daoc__obj_setn(res, kv->key, kv->klen, cp) != DAOC_OK) {
            daoc_value_free(res);
            return NULL;
        }
    }
    return res;
}

static int merge_result(daoc_value *data, const daoc_value *nv, bool deprecated)
{
    for (size_t i = 0; nv->type == DAOC_TOBJ && i < nv->len; i++) {
        const daoc__kv *kv = &nv->u.o[i];
        const daoc_value *cur = daoc__obj_getn(data, kv->key, kv->klen);
        daoc_value *item;
        if (kv->val->type == DAOC_TOBJ || kv->val->type == DAOC_TARR) {
            item = merge_tables(cur && cur->type != DAOC_TNULL ? cur : NULL, kv->val, deprecated);
        } else if (!deprecated || !cur || cur->type == DAOC_TNULL) {
            item = daoc_value_copy(kv->val);
        } else {
            continue;
        }
        if (!item || daoc__obj_setn(data, kv->key, kv->klen, item) != DAOC_OK)
            return DAOC_ENOMEM;
    }
    return DAOC_OK;
}

static int apply_one(const daoc__shorthand *sh, daoc_value *data, daoc_value **errors)
{
    daoc__vctx vc = {.update = false};
    daoc_value *value = daoc__obj_getn(data, sh->name, sh->name_len), *err = NULL, *nv = NULL;
    char *msg = NULL;
    bool bad;
    int rc;

    if (!value)
        return DAOC_OK;
    if ((rc = daoc__vfield(&vc, &sh->def, value, false, &err)) != DAOC_OK)
        return rc;
    if (err)
        return daoc__verr_set(errors, sh->name, sh->name_len, err);
    if ((rc = exclusive(sh, data, value, errors, &bad)) != DAOC_OK || bad)
        return rc;
    value = daoc__obj_take(data, sh->name, sh->name_len);
    const daoc_value *args[1] = {value};
    rc = sh->func->call(sh->func, args, 1, &nv, &msg);
    daoc_value_free(value);
    if (rc == DAOC_ENOMEM) {
        rc = DAOC_ENOMEM;
    } else if (rc < 0) {
        rc = daoc__verr_set(errors, sh->name, sh->name_len,
                            daoc_str(msg ? msg : "shorthand function failed"));
    } else {
        rc =
            nv && nv->type == DAOC_TOBJ ? merge_result(data, nv, sh->deprecation != NULL) : DAOC_OK;
    }
    daoc__free(msg);
    daoc_value_free(nv);
    return rc;
}

/* Kong's deprecation(message, {after = removal_in_version}) through
 * Penlight's raise_deprecation, once per shorthand and process. */
static void notice_once(daoc__shorthand *sh, daoc__notice_fn notice, void *ud)
{
    const daoc_value *m = daoc_obj_get(sh->deprecation, "message");
    const daoc_value *after = daoc_obj_get(sh->deprecation, "removal_in_version");
    if (!notice || __atomic_exchange_n(&sh->warned, 1, __ATOMIC_RELAXED))
        return;
    char *msg =
        daoc__asprintf("%s (deprecated after %s)", m ? m->u.s : "", after ? after->u.s : "");
    if (msg)
        notice(ud, msg);
    daoc__free(msg);
}

int daoc__schema_shorthands(const daoc__schema *s, daoc_value *entity, daoc_value **errors,
                            daoc__notice_fn notice, void *ud)
{
    *errors = NULL;
    if (!s->nshorthands || !entity || entity->type != DAOC_TOBJ)
        return DAOC_OK;
    for (size_t i = 0; i < s->nshorthands; i++) {
        daoc__shorthand *sh = &s->shorthands[i];
        if (sh->deprecation && daoc__obj_getn(entity, sh->name, sh->name_len))
            notice_once(sh, notice, ud);
        int rc = apply_one(sh, entity, errors);
        if (rc != DAOC_OK) {
            daoc_value_free(*errors);
            *errors = NULL;
            return rc;
        }
    }
    return DAOC_OK;
}

/* ---- select: deprecated shorthands echoed back ------------------------- */

/* Kong's select branch: a deprecated shorthand with replaced_with shows the
 * value at replaced_with[1].path (or reverse_mapping_function(data)); one
 * with translate_backwards the value at that path. */
static int echo_one(const daoc__shorthand *sh, daoc_value *data)
{
    const daoc_value *rw = sh->deprecation ? daoc_obj_get(sh->deprecation, "replaced_with") : NULL;
    const daoc_value *first = rw && rw->type == DAOC_TARR && rw->len ? rw->u.a[0] : NULL;
    const daoc_value *fn = first ? daoc_obj_get(first, "reverse_mapping_function") : NULL;
    daoc_value *v = NULL;
    if (fn && fn->type == DAOC_TFUNC && fn->u.f) {
        const daoc_value *args[1] = {data};
        char *m = NULL;
        int rc = fn->u.f->call(fn->u.f, args, 1, &v, &m);
        daoc__free(m);
        if (rc == DAOC_ENOMEM)
            return DAOC_ENOMEM;
    } else if (first || (!rw && sh->translate_backwards)) {
        const daoc_value *at =
            value_at(data, first ? daoc_obj_get(first, "path") : sh->translate_backwards);
        if (at && !(v = daoc_value_copy(at)))
            return DAOC_ENOMEM;
    } else {
        return DAOC_OK;
    }
    if (!v)
        return DAOC_OK;
    return daoc__obj_setn(data, sh->name, sh->name_len, v);
}

int daoc__schema_echo_shorthands(const daoc__schema *s, daoc_value *entity)
{
    if (!entity || entity->type != DAOC_TOBJ)
        return DAOC_OK;
    const daoc__schema *sub = s->subschema_key ? daoc__subschema_of(s, entity) : NULL;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = sub ? daoc__subschema_field(sub, &s->fields[i]) : &s->fields[i];
        daoc_value *v;
        if (f->type != DAOC__F_RECORD || !f->record ||
            !(v = daoc__obj_getn(entity, f->name, f->name_len)))
            continue;
        int rc = daoc__schema_echo_shorthands(f->record, v);
        if (rc != DAOC_OK)
            return rc;
    }
    for (size_t i = 0; i < s->nshorthands; i++) {
        int rc = echo_one(&s->shorthands[i], entity);
        if (rc != DAOC_OK)
            return rc;
    }
    return DAOC_OK;
}

bool daoc__schema_has_echoes(const daoc__schema *s)
{
    for (size_t i = 0; i < s->nshorthands; i++)
        if (s->shorthands[i].deprecation || s->shorthands[i].translate_backwards)
            return true;
    for (size_t i = 0; i < s->nfields; i++)
        if (s->fields[i].record && daoc__schema_has_echoes(s->fields[i].record))
            return true;
    for (size_t i = 0; i < s->nsubschemas; i++)
        if (daoc__schema_has_echoes(s->subschemas[i].schema))
            return true;
    return false;
}
