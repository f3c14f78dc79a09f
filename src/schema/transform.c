/*
 * transform.c -- an entity's `transformations` (kong-schema-dao.md 2.6,
 * Kong's run_transformations, get_transform_args and
 * run_transformation_checks).
 *
 * Compiling: an array of records {input, needs (arrays of field names,
 * dotted through records and foreign keys, "invalid field name: %s"),
 * on_write, on_read (functions; at least one of them)}.
 *
 * Running (daoc__schema_transform): on writes on_write, on select on_read,
 * each in definition order.  A transformation with input/needs is called
 * with the input fields' values then the needs' values, only when all are
 * non-empty (the input fields as the caller gave them, when the original
 * input is known); one without is called with the whole entity.  Its table
 * is merged over the entity with Kong's merge_values (records merged field
 * by field, everything else replaced); `nil, err` fails the call with
 * "transformation failed: <err>" (the DAO's code 15).
 *
 * Validating (daoc__run_transformation_checks, from validate.c): when an
 * input field was supplied (or, on update, a needs value changed from the
 * stored one), input and needs are mutually required, then the inputs
 * among themselves: "all or none of these fields must be set: ...".
 */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "schema/compile_internal.h"
#include "schema/validate_internal.h"

void daoc__transformations_free(daoc__transformation *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++) {
        daoc__c_strlist_free(t[i].input, t[i].ninput);
        daoc__c_strlist_free(t[i].needs, t[i].nneeds);
        if (t[i].on_write)
            daoc__callable_unref(t[i].on_write);
        if (t[i].on_read)
            daoc__callable_unref(t[i].on_read);
    }
    daoc__free(t);
}

static int names(daoc__cctx *c, const char *path, const char *attr, const daoc_value *fields,
                 const daoc_value *v, char ***out, size_t *n)
{
    int rc = daoc__c_strlist(c, path, attr, v, out, n);
    for (size_t i = 0; rc == DAOC_OK && i < *n; i++) {
        bool via_foreign = false;
        if (!daoc__c_find_field_def(fields, (*out)[i], strlen((*out)[i]), &via_foreign))
            rc = daoc__cfail(c, path, "%s.%zu: invalid field name: %s", attr, i + 1, (*out)[i]);
    }
    return rc;
}

static int one(daoc__cctx *c, const char *path, const daoc_value *fields, const daoc_value *def,
               daoc__transformation *t)
{
    int rc;
    if (!daoc__c_is_map(def))
        return daoc__cfail(c, path, "expected a record");
    for (size_t i = 0; def->type == DAOC_TOBJ && i < def->len; i++) {
        const daoc__kv *kv = &def->u.o[i];
        if (strcmp(kv->key, "input") == 0) {
            rc = names(c, path, "input", fields, kv->val, &t->input, &t->ninput);
        } else if (strcmp(kv->key, "needs") == 0) {
            rc = names(c, path, "needs", fields, kv->val, &t->needs, &t->nneeds);
        } else if (strcmp(kv->key, "on_write") == 0 || strcmp(kv->key, "on_read") == 0) {
            if (kv->val->type != DAOC_TFUNC || !kv->val->u.f)
                return daoc__cfail(c, path, "%s: expected a function", kv->key);
            daoc__callable_ref(kv->val->u.f);
            if (kv->key[3] == 'w')
                t->on_write = kv->val->u.f;
            else
                t->on_read = kv->val->u.f;
            rc = DAOC_OK;
        } else {
            return daoc__cfail(c, path, "%s: unknown field", kv->key);
        }
        if (rc != DAOC_OK)
            return rc;
    }
    if (!t->on_write && !t->on_read)
        return daoc__cfail(c, path,
                           "at least one of these fields must be non-empty: 'on_write', 'on_read'");
    return DAOC_OK;
}

int daoc__compile_transformations(daoc__cctx *c, const daoc_value *arr, const daoc_value *fields,
                                  daoc__schema *s)
{
    size_t n;
    if (!daoc__c_is_list(arr))
        return daoc__cfail(c, "transformations", "expected an array");
    n = arr->type == DAOC_TARR ? arr->len : 0;
    if (n == 0)
        return DAOC_OK;
    if (!(s->transformations = daoc__calloc(n, sizeof *s->transformations)))
        return DAOC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "transformations.%zu", i + 1);
        s->ntransformations = i + 1;
        int rc = one(c, path, fields, arr->u.a[i], &s->transformations[i]);
        if (rc != DAOC_OK)
            return rc;
    }
    return DAOC_OK;
}

/* ---- running ------------------------------------------------------------ */

static bool nonempty(const daoc_value *v)
{
    return !daoc__value_is_empty(v);
}

/* Kong's merge_values(top, bottom) with bottom = *entity, in place. */
static int merge_values(const daoc__schema *s, const daoc_value *top, daoc_value *bottom)
{
    for (size_t i = 0; top->type == DAOC_TOBJ && i < top->len; i++) {
        const daoc__kv *kv = &top->u.o[i];
        const daoc__field *f = s ? daoc__schema_field(s, kv->key, kv->klen) : NULL;
        daoc_value *under = daoc__obj_getn(bottom, kv->key, kv->klen);
        if (f && f->type == DAOC__F_RECORD && !f->abstract && f->record &&
            kv->val->type == DAOC_TOBJ) {
            if (under && under->type == DAOC_TOBJ) {
                int rc = merge_values(f->record, kv->val, under);
                if (rc != DAOC_OK)
                    return rc;
                continue;
            }
        }
        daoc_value *cp = daoc_value_copy(kv->val);
        if (!cp || daoc__obj_setn(bottom, kv->key, kv->klen, cp) != DAOC_OK)
            return DAOC_ENOMEM;
    }
    return DAOC_OK;
}

/* The arguments of a transformation with input/needs, or *skip. */
static int args_of(const daoc__transformation *t, const daoc_value *e, const daoc_value *orig,
                   const daoc_value **args, bool *skip)
{
    size_t k = 0;
    *skip = false;
    for (size_t i = 0; i < t->ninput; i++) {
        if (!nonempty(daoc__vget_path(orig ? orig : e, t->input[i]))) {
            *skip = true;
            return DAOC_OK;
        }
        args[k++] = daoc__vget_path(e, t->input[i]);
    }
    for (size_t i = 0; i < t->nneeds; i++) {
        const daoc_value *v = daoc__vget_path(e, t->needs[i]);
        if (!nonempty(v)) {
            *skip = true;
            return DAOC_OK;
        }
        args[k++] = v;
    }
    return DAOC_OK;
}

static int run_list(const daoc__schema *s, daoc_value *e, const daoc_value *orig, bool read,
                    char **errmsg)
{
    for (size_t i = 0; i < s->ntransformations; i++) {
        const daoc__transformation *t = &s->transformations[i];
        daoc__callable *fn = read ? t->on_read : t->on_write;
        const daoc_value **args;
        size_t nargs = t->ninput + t->nneeds;
        daoc_value *data = NULL;
        char *m = NULL;
        bool skip = false;
        int rc;
        if (!fn)
            continue;
        if (!(args = daoc__calloc(nargs ? nargs : 1, sizeof *args)))
            return DAOC_ENOMEM;
        if (nargs) {
            args_of(t, e, orig, args, &skip);
        } else {
            args[0] = e;
            nargs = 1;
        }
        if (skip) {
            daoc__free(args);
            continue;
        }
        /* Kong looks at the second result only: `data, err = transform(...)` */
        rc = fn->call(fn, (const daoc_value *const *)args, nargs, &data, &m);
        daoc__free(args);
        if (rc == DAOC_ENOMEM) {
            daoc__free(m);
            return DAOC_ENOMEM;
        }
        if (rc < 0 || (rc == 0 && m)) {
            *errmsg = daoc__asprintf("transformation failed: %s", m ? m : "?");
            daoc__free(m);
            daoc_value_free(data);
            return *errmsg ? DAOC_EINVAL : DAOC_ENOMEM;
        }
        daoc__free(m);
        rc = data && data->type == DAOC_TOBJ ? merge_values(s, data, e) : DAOC_OK;
        daoc_value_free(data);
        if (rc != DAOC_OK)
            return rc;
    }
    return DAOC_OK;
}

int daoc__schema_transform(const daoc__schema *s, daoc_value *entity, const daoc_value *original,
                           bool read, char **errmsg)
{
    *errmsg = NULL;
    if (!entity || entity->type != DAOC_TOBJ)
        return DAOC_OK;
    int rc = run_list(s, entity, original, read, errmsg);
    const daoc__schema *sub = rc == DAOC_OK ? daoc__subschema_of(s, entity) : NULL;
    if (sub && sub->ntransformations)
        rc = run_list(sub, entity, original, read, errmsg);
    return rc;
}

bool daoc__schema_has_transformations(const daoc__schema *s)
{
    if (s->ntransformations)
        return true;
    for (size_t i = 0; i < s->nsubschemas; i++)
        if (s->subschemas[i].schema->ntransformations)
            return true;
    return false;
}

/* ---- validation --------------------------------------------------------- */

/* mutually_required over names (Kong's helper): *msg gets the list when some
 * but not all are non-empty. */
static int mutually_required(const daoc_value *in, char *const *names, size_t n, bool *bad,
                             daoc_value **errors)
{
    size_t k = 0;
    *bad = false;
    for (size_t i = 0; i < n; i++)
        k += nonempty(daoc__vget_path(in, names[i]));
    if (k == 0 || k == n)
        return DAOC_OK;
    *bad = true;
    daoc__buf b = DAOC__BUF_INIT;
    daoc__buf_puts(&b, "all or none of these fields must be set: ");
    daoc__quoted_list(&b, names, n);
    return daoc__verr_entity(errors, daoc__buf_take(&b, NULL));
}

static int checks_of(const daoc__schema *s, const daoc_value *in, const daoc_value *orig,
                     const daoc_value *rbw, daoc_value **errors)
{
    const daoc_value *src = orig ? orig : in;
    for (size_t i = 0; i < s->ntransformations; i++) {
        const daoc__transformation *t = &s->transformations[i];
        bool none_set = true, needs_changed = false, bad;
        if (!t->ninput && !t->nneeds)
            continue;
        for (size_t j = 0; j < t->ninput; j++)
            none_set = none_set && !nonempty(daoc__vget_path(src, t->input[j]));
        for (size_t j = 0; rbw && !needs_changed && j < t->nneeds; j++) {
            const daoc_value *a = daoc__vget_path(src, t->needs[j]);
            const daoc_value *b = daoc__vget_path(rbw, t->needs[j]);
            needs_changed = !(a == b || (a && b && daoc__value_equal(a, b)));
        }
        if (!needs_changed && none_set)
            continue;
        size_t n = t->ninput + t->nneeds;
        char **all = daoc__calloc(n, sizeof *all);
        if (!all)
            return DAOC_ENOMEM;
        if (t->ninput) /* either list may be empty, and then NULL */
            memcpy(all, t->input, t->ninput * sizeof *all);
        if (t->nneeds)
            memcpy(all + t->ninput, t->needs, t->nneeds * sizeof *all);
        int rc = mutually_required(needs_changed ? src : in, all, n, &bad, errors);
        daoc__free(all);
        if (rc == DAOC_OK && !bad)
            rc = mutually_required(src, t->input, t->ninput, &bad, errors);
        if (rc != DAOC_OK)
            return rc;
    }
    return DAOC_OK;
}

int daoc__run_transformation_checks(const daoc__schema *s, const daoc_value *in,
                                    const daoc_value *orig, const daoc_value *rbw,
                                    daoc_value **errors)
{
    int rc = checks_of(s, in, orig, rbw, errors);
    const daoc__schema *sub = rc == DAOC_OK ? daoc__subschema_of(s, in) : NULL;
    if (sub && sub->ntransformations)
        rc = checks_of(sub, in, orig, rbw, errors);
    return rc;
}
