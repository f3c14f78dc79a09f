/*
 * validate.c -- entity-level validation (Kong's Schema:validate,
 * validate_primary_key and validate_immutable_fields).
 *
 * validate walks the input keys (unknown ones get "unknown field"; `ttl` of
 * TTL schemas and `updated_at` are never validated), then enforces
 * `required` (full check: absent or null; partial/update: explicit null
 * only), then runs the entity checks (checks.c).  Single values are checked
 * by validate_field.c.  A schema with a subschema_key first needs a key
 * naming a registered subschema (else only that error is reported), whose
 * field definitions then replace the parent's for the input's keys (Kong's
 * resolve_field); `required` is the parent's.  The implicit checks of
 * transformations (transform.c) come last.
 *
 * validate_immutable_fields is the one immutability check (the DAO's update
 * and upsert call it): an array value (of an array or a set field) must hold
 * the stored elements as a multiset, in any order (Penlight's
 * compare_no_order, as Kong calls it), anything else must be deeply equal;
 * sorting makes the array case O(n log n) (core/value_order.c).
 *
 * validate_primary_key runs on every keyed call; a pk of valid uuid strings
 * for a schema whose pk fields are plain uuid fields is accepted by a short
 * check (pk_surely_valid) before the general walk, which everything else
 * takes.
 */
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/rand.h"
#include "schema/validate_internal.h"

static bool key_is(const char *k, size_t klen, const char *lit)
{
    size_t n = strlen(lit);
    return klen == n && memcmp(k, lit, n) == 0;
}

/* Kong's validate prologue for a schema with a subschema_key: without a
 * key, or with one no subschema answers, nothing else is validated.
 * Returns DAOC_OK with *sub set, or with *errors set; DAOC_ENOMEM. */
static int select_subschema(const daoc__schema *s, const daoc_value *in, const daoc__schema **sub,
                            daoc_value **errors)
{
    const char *key = s->subschema_key;
    const daoc_value *k = in && in->type == DAOC_TOBJ ? daoc__obj_getn(in, key, strlen(key)) : NULL;
    daoc_value *msg;
    *sub = NULL;
    if (!k || k->type == DAOC_TNULL) {
        msg = daoc_str("required field missing");
    } else if ((*sub = daoc__subschema_of(s, in))) {
        return DAOC_OK;
    } else {
        /* errmsg:format(type(key) == "string" and key or key[1]) */
        const daoc_value *shown = k->type == DAOC_TARR && k->len ? k->u.a[0] : k;
        daoc__buf b = DAOC__BUF_INIT;
        daoc__value_tostring(&b, shown);
        char *text = daoc__buf_take(&b, NULL);
        char *m = text ? daoc__lua_format1(
                             s->subschema_error ? s->subschema_error : "unknown type: %s", text)
                       : NULL;
        daoc__free(text);
        msg = m ? daoc_str(m) : NULL;
        daoc__free(m);
    }
    return daoc__verr_set(errors, key, strlen(key), msg);
}

int daoc__ventity(const daoc__vctx *c, const daoc__schema *s, const daoc_value *in, bool full,
                  daoc_value **errors)
{
    daoc_value *errs = NULL;
    *errors = NULL;
    bool obj = in && in->type == DAOC_TOBJ;
    const daoc__schema *sub = NULL;

    if (s->subschema_key) {
        if (select_subschema(s, in, &sub, &errs) != DAOC_OK)
            goto fail;
        if (errs) {
            *errors = errs;
            return DAOC_OK;
        }
    }

    for (size_t i = 0; obj && i < in->len; i++) {
        const daoc__kv *kv = &in->u.o[i];
        if ((s->ttl && key_is(kv->key, kv->klen, "ttl")) || key_is(kv->key, kv->klen, "updated_at"))
            continue;
        const daoc__field *f = daoc__schema_field(s, kv->key, kv->klen);
        daoc_value *e = NULL;
        if (f && sub && f >= s->fields && f < s->fields + s->nfields)
            f = daoc__subschema_field(sub, f); /* a top-level field */
        if (!f) {
            e = daoc_str("unknown field");
            if (!e)
                goto fail;
        } else if (daoc__vfield(c, f, kv->val, false, &e) != DAOC_OK) {
            goto fail;
        }
        if (e && daoc__verr_set(&errs, kv->key, kv->klen, e) != DAOC_OK)
            goto fail;
    }

    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (!f->required)
            continue;
        const daoc_value *v = obj ? daoc__obj_getn(in, f->name, f->name_len) : NULL;
        if ((v && v->type == DAOC_TNULL) || (full && !v)) {
            if (daoc__verr_set(&errs, f->name, f->name_len, daoc_str("required field missing")) !=
                DAOC_OK)
                goto fail;
        }
    }

    if (daoc__run_entity_checks(c, s, in, full, &errs) != DAOC_OK)
        goto fail;
    *errors = errs;
    return DAOC_OK;
fail:
    daoc_value_free(errs);
    return DAOC_ENOMEM;
}

/* The common case of validate_primary_key, answered without the general
 * walk below: the schema's pk fields are all plain uuid string fields
 * (pk_uuid_only, decided at compile time) and pk holds a string daoc__is_uuid
 * accepts under each of them, and no other key unless others are ignored.
 * The general walk finds no error in such a pk; every other pk (a missing,
 * null or non-string value, a bad uuid, an extra key) takes that walk, so
 * its errors are the general path's own. */
static bool pk_surely_valid(const daoc__schema *s, const daoc_value *pk, bool ignore_others)
{
    if (!s->pk_uuid_only || !pk || pk->type != DAOC_TOBJ || (!ignore_others && pk->len != s->npk))
        return false;
    for (size_t i = 0; i < s->npk; i++) {
        const daoc__field *f = &s->fields[s->pk[i]];
        const daoc_value *v = daoc__obj_getn(pk, f->name, f->name_len);
        if (!v || v->type != DAOC_TSTR || !daoc__is_uuid(v->u.s, v->len))
            return false;
    }
    return true;
}

int daoc__vpk(const daoc__vctx *c, const daoc__schema *s, const daoc_value *pk, bool ignore_others,
              daoc_value **errors)
{
    daoc_value *errs = NULL;
    *errors = NULL;
    if (pk_surely_valid(s, pk, ignore_others))
        return DAOC_OK;
    bool obj = pk && pk->type == DAOC_TOBJ;

    for (size_t i = 0; i < s->npk; i++) {
        const daoc__field *f = &s->fields[s->pk[i]];
        const daoc_value *v = obj ? daoc__obj_getn(pk, f->name, f->name_len) : NULL;
        daoc_value *e = NULL;
        if (!v || (v->type == DAOC_TBOOL && !v->u.b)) {
            e = daoc_str("missing primary key");
        } else if ((f->required || f->auto_) && v->type == DAOC_TNULL) {
            e = daoc_str("required field missing");
        } else {
            if (daoc__vfield(c, f, v, false, &e) != DAOC_OK)
                goto fail;
            if (!e)
                continue;
        }
        if (daoc__verr_set(&errs, f->name, f->name_len, e) != DAOC_OK)
            goto fail;
    }

    for (size_t i = 0; obj && !ignore_others && i < pk->len; i++) {
        const daoc__kv *kv = &pk->u.o[i];
        bool is_pk = false;
        for (size_t k = 0; k < s->npk && !is_pk; k++) {
            const daoc__field *f = &s->fields[s->pk[k]];
            is_pk = f->name_len == kv->klen && memcmp(f->name, kv->key, kv->klen) == 0;
        }
        if (!is_pk &&
            daoc__verr_set(&errs, kv->key, kv->klen, daoc_str("not a primary key")) != DAOC_OK)
            goto fail;
    }
    *errors = errs;
    return DAOC_OK;
fail:
    daoc_value_free(errs);
    return DAOC_ENOMEM;
}

int daoc__schema_validate(const daoc__schema *s, const daoc_value *entity, bool full_check,
                          bool update, daoc_value **errors)
{
    return daoc__schema_validate_ex(s, entity, full_check, update, NULL, NULL, errors);
}

int daoc__schema_validate_ex(const daoc__schema *s, const daoc_value *entity, bool full_check,
                             bool update, const daoc_value *original, const daoc_value *rbw,
                             daoc_value **errors)
{
    daoc__vctx c = {.update = update};
    int rc = daoc__ventity(&c, s, entity, full_check, errors);
    /* Kong: after the entity checks, unless the subschema key stopped it */
    if (rc != DAOC_OK || !daoc__schema_has_transformations(s) ||
        (s->subschema_key && !daoc__subschema_of(s, entity)))
        return rc;
    rc = daoc__run_transformation_checks(s, entity, original, rbw, errors);
    if (rc != DAOC_OK) {
        daoc_value_free(*errors);
        *errors = NULL;
    }
    return rc;
}

int daoc__schema_validate_primary_key(const daoc__schema *s, const daoc_value *pk,
                                      bool ignore_others, daoc_value **errors)
{
    daoc__vctx c = {.update = false};
    return daoc__vpk(&c, s, pk, ignore_others, errors);
}

int daoc__schema_validate_immutable(const daoc__schema *s, const daoc_value *input,
                                    const daoc_value *entity, daoc_value **errors)
{
    daoc_value *errs = NULL;
    *errors = NULL;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (!f->immutable)
            continue;
        const daoc_value *nv = daoc__obj_getn(input, f->name, f->name_len);
        const daoc_value *ov = daoc__obj_getn(entity, f->name, f->name_len);
        if (!nv || daoc__is_nil_or_null(ov))
            continue;
        bool same;
        if (nv->type == DAOC_TARR) {
            if (daoc__value_same_elements(nv, ov, &same) != DAOC_OK)
                goto fail;
        } else {
            same = daoc__value_equal(nv, ov);
        }
        if (!same && daoc__verr_set(&errs, f->name, f->name_len,
                                    daoc_str("immutable field cannot be updated")) != DAOC_OK)
            goto fail;
    }
    *errors = errs;
    return DAOC_OK;
fail:
    daoc_value_free(errs);
    return DAOC_ENOMEM;
}
