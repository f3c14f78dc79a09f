/*
 * self_check.c -- the schema-level `check(entity)` function of a definition
 * (Kong's run_self_check, the "TODO hopefully deprecate" legacy hook).
 *
 * It runs on full validations only, after the entity checks: every
 * top-level field must be present in the input (else that field gets
 * "field required for entity check" and the function is not called), then
 * check(input) answers true, or false/nil with a string (one "@entity"
 * message), a table (numbered entries go to "@entity" in order, named ones
 * become the errors of those fields, as given) or nothing ("entity check
 * failed").  A function that raises an error reports the error's text
 * under "@entity", as custom_entity_check does.
 */
#include <string.h>

#include "core/alloc.h"
#include "schema/validate_internal.h"

static bool all_digits(const char *k, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (k[i] < '0' || k[i] > '9')
            return false;
    return true;
}

/* One entry of a numbered error list: a string as it is, anything else as
 * its JSON text. */
static int entity_entry(daoc_value **errors, const daoc_value *v)
{
    char *m = NULL;
    size_t len;
    if (v->type == DAOC_TSTR) {
        m = daoc__strndup(v->u.s, v->len);
    } else if (daoc_json_encode(v, &m, &len) == DAOC_OK) {
        char *cp = daoc__strndup(m, len);
        daoc_free(m);
        m = cp;
    } else {
        m = NULL;
    }
    return daoc__verr_entity(errors, m);
}

static int take_answer(const daoc_value *ans, daoc_value **errors)
{
    if (!ans || (ans->type != DAOC_TSTR && ans->type != DAOC_TARR && ans->type != DAOC_TOBJ))
        return daoc__verr_entity(errors, daoc__strdup("entity check failed"));
    if (ans->type == DAOC_TSTR)
        return entity_entry(errors, ans);
    if (ans->type == DAOC_TARR) {
        for (size_t i = 0; i < ans->len; i++) {
            int rc = entity_entry(errors, ans->u.a[i]);
            if (rc != DAOC_OK)
                return rc;
        }
        return DAOC_OK;
    }
    for (size_t i = 0; i < ans->len; i++) {
        const daoc__kv *kv = &ans->u.o[i];
        int rc;
        if (all_digits(kv->key, kv->klen)) {
            rc = entity_entry(errors, kv->val);
        } else {
            daoc_value *cp = daoc_value_copy(kv->val);
            rc = cp ? daoc__verr_set(errors, kv->key, kv->klen, cp) : DAOC_ENOMEM;
        }
        if (rc != DAOC_OK)
            return rc;
    }
    return DAOC_OK;
}

int daoc__run_self_check(const daoc__vctx *c, const daoc__schema *s, const daoc_value *in,
                         daoc_value **errors)
{
    daoc__callable *fn = s->self_check;
    bool complete = true;
    const char *req = c->update ? "field required for entity check when updating"
                                : "field required for entity check";

    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (in && in->type == DAOC_TOBJ && daoc__obj_getn(in, f->name, f->name_len))
            continue;
        complete = false;
        if (daoc__verr_set(errors, f->name, f->name_len, daoc_str(req)) != DAOC_OK)
            return DAOC_ENOMEM;
    }
    if (!complete)
        return DAOC_OK;

    const daoc_value *args[1] = {in};
    daoc_value *ans = NULL;
    char *m = NULL;
    int rc;
    if (fn->call_err) {
        rc = fn->call_err(fn, args, 1, &ans, &m);
    } else {
        rc = fn->call(fn, args, 1, NULL, &m);
        if (rc == 0 && m && !(ans = daoc_str(m)))
            rc = DAOC_ENOMEM;
        daoc__free(m);
        m = NULL;
    }
    if (rc == 1 || rc == DAOC_ENOMEM) {
        daoc_value_free(ans);
        daoc__free(m);
        return rc == 1 ? DAOC_OK : DAOC_ENOMEM;
    }
    if (rc < 0) /* the function raised an error: its text */
        rc = daoc__verr_entity(errors, m ? m : daoc__strdup("entity check failed"));
    else {
        daoc__free(m);
        rc = take_answer(ans, errors);
    }
    daoc_value_free(ans);
    return rc;
}
