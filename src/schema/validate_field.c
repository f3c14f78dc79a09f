/*
 * validate_field.c -- Kong's Schema:validate_field: one value against one
 * compiled field definition.
 *
 * Order, as in kong/db/schema/init.lua: null handling (only ne/eq/required
 * apply), eq = null, abstract fields, the type check (plus daoc's own rules
 * for what its store cannot keep unchanged: invalid UTF-8 in strings, NaN in
 * numbers, infinities below composite fields, which are stored as JSON),
 * composite recursion (array/set elements, map keys and
 * values, records as nested schemas, foreign keys through the referenced
 * primary key), then the validators in Kong's fixed order where the first
 * failure wins and the field's `err` replaces the validator's message.
 *
 * A valid value allocates nothing.  Records that still need their defaults
 * are validated on a processed copy, as Kong does.  Entity-level rules
 * (unknown keys, required fields, entity checks) live in validate.c and
 * checks.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/rand.h"
#include "schema/validate_internal.h"

static int set_static(daoc_value **err, const char *msg)
{
    *err = daoc_str(msg);
    return *err ? DAOC_OK : DAOC_ENOMEM;
}

/* A validator failed: the field's `err` wins over the text in b. */
static int fail_buf(daoc_value **err, const daoc__field *f, daoc__buf *b)
{
    if (f->err) {
        daoc__buf_free(b);
        return set_static(err, f->err);
    }
    size_t len;
    char *s = daoc__buf_take(b, &len);
    if (!s)
        return DAOC_ENOMEM;
    *err = daoc_strn(s, len);
    daoc__free(s);
    return *err ? DAOC_OK : DAOC_ENOMEM;
}

static int fail_msg(daoc_value **err, const daoc__field *f, const char *msg)
{
    return set_static(err, f->err ? f->err : msg);
}

static double num_of(const daoc_value *v)
{
    return v->type == DAOC_TINT ? (double)v->u.i : v->u.n;
}

static bool is_empty_table(const daoc_value *v)
{
    return (v->type == DAOC_TARR || v->type == DAOC_TOBJ) && v->len == 0;
}

static bool is_integral(const daoc_value *v)
{
    if (v->type == DAOC_TINT)
        return true;
    if (v->type != DAOC_TNUM)
        return false;
    double n = v->u.n;
    return isfinite(n) && floor(n) == n && n >= -9223372036854775808.0 && n < 9223372036854775808.0;
}

/* The context for values below a composite field (stored as JSON). */
static daoc__vctx nested(const daoc__vctx *c)
{
    daoc__vctx n = *c;
    n.in_json = true;
    return n;
}

/* ---- composite values ------------------------------------------------- */

static int v_elements(const daoc__vctx *c, const daoc__field *f, const daoc_value *v,
                      daoc_value **err)
{
    daoc_value *errs = NULL;
    if (v->type != DAOC_TARR || !f->elements)
        return DAOC_OK;
    daoc__vctx nc = nested(c);
    for (size_t i = 0; i < v->len; i++) {
        daoc_value *e = NULL;
        int rc = daoc__vfield(&nc, f->elements, v->u.a[i], true, &e);
        if (rc != DAOC_OK)
            goto fail;
        if (!e)
            continue;
        char key[24];
        int kl = snprintf(key, sizeof key, "%zu", i + 1);
        if (!errs && !(errs = daoc_obj())) {
            daoc_value_free(e);
            goto fail;
        }
        /* keys grow with i: appended, not looked up (big sets) */
        if (daoc__obj_append(errs, key, (size_t)kl, e) != DAOC_OK)
            goto fail;
        errs->flags |= DAOC__VF_INTKEYS;
    }
    *err = errs;
    return DAOC_OK;
fail:
    daoc_value_free(errs);
    return DAOC_ENOMEM;
}

/* One map entry: Kong validates the key, then the value; the first error
 * is the field's (a plain string or table, not keyed). */
static int v_map_entry(const daoc__vctx *c, const daoc__field *f, const daoc_value *key,
                       const daoc_value *val, daoc_value **err)
{
    if (f->keys) {
        int rc = daoc__vfield(c, f->keys, key, true, err);
        if (rc != DAOC_OK || *err)
            return rc;
    }
    if (f->values)
        return daoc__vfield(c, f->values, val, true, err);
    return DAOC_OK;
}

/* Map entries in Kong's order.  A Lua table with sparse integer keys
 * ({[3] = "v"}) arrives as an object flagged DAOC__VF_INTKEYS: its keys are
 * numbers, which a string `keys` definition refuses ("expected a string"),
 * as Kong's pairs() walk does; so are the keys marked DAOC__KEY_NUM or
 * DAOC__KEY_OTHER (a number beside other keys, a boolean, a table).  (A
 * sequence arrives as an array and is refused by the type check.) */
static int v_map(const daoc__vctx *c, const daoc__field *f, const daoc_value *v, daoc_value **err)
{
    if (v->type != DAOC_TOBJ)
        return DAOC_OK;
    daoc__vctx nc = nested(c);
    bool intkeys = (v->flags & DAOC__VF_INTKEYS) != 0;
    for (size_t i = 0; i < v->len; i++) {
        const daoc__kv *kv = &v->u.o[i];
        daoc_value key = {.type = DAOC_TSTR, .len = kv->klen, .u.s = kv->key};
        if (intkeys) {
            key.type = DAOC_TINT;
            key.u.i = strtoll(kv->key, NULL, 10);
        } else if (kv->keytype == DAOC__KEY_NUM) {
            key.type = DAOC_TNUM;
            key.len = 0;
            key.u.n = strtod(kv->key, NULL);
        } else if (kv->keytype != DAOC__KEY_STR) { /* a boolean, a table, ...: not a string */
            key.type = DAOC_TBOOL;
            key.len = 0;
            key.u.b = true;
        }
        int rc = v_map_entry(&nc, f, &key, kv->val, err);
        if (rc != DAOC_OK || *err)
            return rc;
    }
    return DAOC_OK;
}

/* Would process_auto_fields(value, "insert") change this record?  Then Kong's
 * validation sees defaults we must materialize on a copy. */
static bool needs_processing(const daoc__schema *s, const daoc_value *v);

static bool value_needs_processing(const daoc__field *f, const daoc_value *val)
{
    if (f->type == DAOC__F_RECORD && f->record)
        return val->type != DAOC_TNULL && needs_processing(f->record, val);
    if ((f->type == DAOC__F_ARRAY || f->type == DAOC__F_SET) && val->type == DAOC_TARR) {
        if (f->type == DAOC__F_SET && val->len > 1)
            return true;
        if (f->elements && f->elements->type == DAOC__F_RECORD)
            for (size_t i = 0; i < val->len; i++)
                if (value_needs_processing(f->elements, val->u.a[i]))
                    return true;
    }
    if (f->type == DAOC__F_MAP && val->type == DAOC_TOBJ && f->values &&
        f->values->type == DAOC__F_RECORD)
        for (size_t i = 0; i < val->len; i++)
            if (value_needs_processing(f->values, val->u.o[i].val))
                return true;
    return false;
}

static bool needs_processing(const daoc__schema *s, const daoc_value *v)
{
    if (v->type != DAOC_TOBJ)
        return s->nfields > 0;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        const daoc_value *val = daoc__obj_getn(v, f->name, f->name_len);
        if (!val)
            return true;
        if (f->auto_ && (f->type == DAOC__F_INTEGER || f->type == DAOC__F_NUMBER) &&
            ((f->name_len == 10 && memcmp(f->name, "created_at", 10) == 0 &&
              val->type == DAOC_TNULL) ||
             (f->name_len == 10 && memcmp(f->name, "updated_at", 10) == 0)))
            return true;
        if (value_needs_processing(f, val))
            return true;
    }
    return false;
}

static int v_record(const daoc__vctx *c, const daoc__field *f, const daoc_value *v,
                    daoc_value **err)
{
    const daoc__schema *rs = f->record;
    if (!rs)
        return DAOC_OK;
    daoc__vctx nc = nested(c);
    if (!needs_processing(rs, v))
        return daoc__ventity(&nc, rs, v, true, err);
    daoc_value *copy = v->type == DAOC_TOBJ ? daoc_value_copy(v) : daoc_obj();
    if (!copy)
        return DAOC_ENOMEM;
    int rc = daoc__auto_fields(rs, copy, DAOC__CTX_INSERT, false, daoc__now());
    if (rc == DAOC_OK)
        rc = daoc__ventity(&nc, rs, copy, true, err);
    daoc_value_free(copy);
    return rc;
}

static int v_foreign(const daoc__vctx *c, const daoc__field *f, const daoc_value *v,
                     daoc_value **err)
{
    const daoc__schema *ref = f->ref;
    if (!ref)
        return DAOC_OK;
    daoc_value *pkerr = NULL;
    int rc = daoc__vpk(c, ref, v, true, &pkerr);
    if (rc != DAOC_OK || !pkerr)
        return rc;
    if (v->type == DAOC_TOBJ) {
        daoc_value *ferr = NULL;
        rc = daoc__ventity(c, ref, v, false, &ferr);
        if (rc != DAOC_OK) {
            daoc_value_free(pkerr);
            return rc;
        }
        if (ferr) {
            daoc_value_free(pkerr);
            *err = ferr;
            return DAOC_OK;
        }
    }
    *err = pkerr;
    return DAOC_OK;
}

/* ---- validators --------------------------------------------------------- */

static void put_list(daoc__buf *b, const daoc_value *list)
{
    for (size_t i = 0; list && list->type == DAOC_TARR && i < list->len; i++) {
        if (i)
            daoc__buf_puts(b, ", ");
        daoc__value_tostring(b, list->u.a[i]);
    }
}

static bool list_has(const daoc_value *list, const daoc_value *v)
{
    for (size_t i = 0; list && list->type == DAOC_TARR && i < list->len; i++)
        if (daoc__value_equal(list->u.a[i], v))
            return true;
    return false;
}

static bool pat(const daoc_value *v, const char *p, size_t plen)
{
    return daoc__luapat_match(v->u.s, v->len, p, plen, NULL) == 1;
}

/* The subset (index) of mutually_exclusive_subsets holding element e, or -1. */
static long subset_of(const daoc_value *subsets, const daoc_value *e)
{
    for (size_t i = 0; i < subsets->len; i++)
        if (list_has(subsets->u.a[i], e))
            return (long)i;
    return -1;
}

static int v_subsets(const daoc__field *f, const daoc_value *v, daoc_value **err)
{
    const daoc_value *subsets = f->mutually_exclusive_subsets;
    if (subsets->type != DAOC_TARR || v->type != DAOC_TARR)
        return DAOC_OK;
    long hit[64];
    size_t nhit = 0;
    for (size_t i = 0; i < v->len; i++) {
        long k = subset_of(subsets, v->u.a[i]);
        if (k < 0)
            continue;
        bool seen = false;
        for (size_t j = 0; j < nhit; j++)
            seen = seen || hit[j] == k;
        if (!seen && nhit < sizeof hit / sizeof hit[0])
            hit[nhit++] = k;
    }
    if (nhit <= 1)
        return DAOC_OK;
    daoc__buf b = DAOC__BUF_INIT;
    daoc__buf_puts(&b, "these sets are mutually exclusive: ");
    for (size_t j = 0; j < nhit; j++) {
        const daoc_value *set = subsets->u.a[hit[j]];
        daoc__buf_puts(&b, j ? ", (" : "(");
        for (size_t k = 0; set->type == DAOC_TARR && k < set->len; k++) {
            daoc__buf_puts(&b, k ? ", '" : "'");
            daoc__value_tostring(&b, set->u.a[k]);
            daoc__buf_putc(&b, '\'');
        }
        daoc__buf_putc(&b, ')');
    }
    return fail_buf(err, f, &b);
}

static int v_custom(const daoc__field *f, const daoc_value *v, daoc_value **err)
{
    daoc__callable *fn = f->custom_validator;
    char *msg = NULL;
    const daoc_value *args[1] = {v};
    int rc = fn->call(fn, args, 1, NULL, &msg);
    if (rc == 1) {
        daoc__free(msg);
        return DAOC_OK;
    }
    if (rc == DAOC_ENOMEM) {
        daoc__free(msg);
        return DAOC_ENOMEM;
    }
    daoc__buf b = DAOC__BUF_INIT;
    if (msg) {
        daoc__buf_puts(&b, msg);
        daoc__free(msg);
    } else {
        daoc__buf_puts(&b, "failed validating: ");
        daoc__value_tostring(&b, v);
    }
    return fail_buf(err, f, &b);
}

static int run_validators(const daoc__field *f, const daoc_value *v, daoc_value **err)
{
    daoc__buf b = DAOC__BUF_INIT;
    bool num = daoc__is_number(v), str = v->type == DAOC_TSTR;

    if (f->eq && !daoc__value_equal(v, f->eq)) {
        daoc__buf_puts(&b, "value must be ");
        daoc__value_tostring(&b, f->eq);
        return fail_buf(err, f, &b);
    }
    if (f->ne && daoc__value_equal(v, f->ne)) {
        daoc__buf_puts(&b, "value must not be ");
        daoc__value_tostring(&b, v);
        return fail_buf(err, f, &b);
    }
    if (f->not_one_of && list_has(f->not_one_of, v)) {
        daoc__buf_puts(&b, "must not be one of: ");
        put_list(&b, f->not_one_of);
        return fail_buf(err, f, &b);
    }
    if (f->one_of && !list_has(f->one_of, v)) {
        daoc__buf_puts(&b, "expected one of: ");
        put_list(&b, f->one_of);
        return fail_buf(err, f, &b);
    }
    if (f->has_gt && num && !(num_of(v) > f->gt)) {
        daoc_value lim = {.type = DAOC_TNUM, .u.n = f->gt};
        daoc__buf_puts(&b, "value must be greater than ");
        daoc__value_tostring(&b, &lim);
        return fail_buf(err, f, &b);
    }
    if (f->timestamp && num && !(num_of(v) > 0 && num_of(v) <= DAOC__TIMESTAMP_MAX))
        return fail_msg(err, f, "expected a valid timestamp");
    if (f->uuid && str && !(v->len == 36 && daoc__is_uuid(v->u.s, v->len)))
        return fail_msg(err, f, "expected a valid UUID");
    if (f->is_regex && str && !daoc__regex_valid(v->u.s, v->len)) {
        daoc__buf_puts(&b, "not a valid regex: ");
        daoc__buf_append(&b, v->u.s, v->len);
        return fail_buf(err, f, &b);
    }
    if (f->has_between && num && (num_of(v) < f->between[0] || num_of(v) > f->between[1])) {
        daoc__buf_printf(&b, "value should be between %lld and %lld", (long long)f->between[0],
                         (long long)f->between[1]);
        return fail_buf(err, f, &b);
    }

    /* lengths: strings (bytes), arrays/sets (elements), maps (keys) */
    int64_t len_min = f->len_min, len_max = f->len_max;
    if (f->type == DAOC__F_STRING && len_min < 0)
        len_min = 1; /* Kong: empty strings need an explicit len_min */
    if (str && (len_max < 0 || len_max > DAOC__MAX_STRING))
        len_max = (int64_t)v->len > DAOC__MAX_STRING ? DAOC__MAX_STRING : len_max;
    if (str || v->type == DAOC_TARR || v->type == DAOC_TOBJ) {
        int64_t len = (int64_t)v->len;
        if (f->len_eq >= 0 && len != f->len_eq) {
            daoc__buf_printf(&b, "length must be %lld", (long long)f->len_eq);
            return fail_buf(err, f, &b);
        }
        if (len_min >= 0 && len < len_min) {
            daoc__buf_printf(&b, "length must be at least %lld", (long long)len_min);
            return fail_buf(err, f, &b);
        }
        if (len_max >= 0 && len > len_max) {
            daoc__buf_printf(&b, "length must be at most %lld", (long long)len_max);
            return fail_buf(err, f, &b);
        }
    }

    if (str) {
        if (f->starts_with && (v->len < f->starts_with_len ||
                               memcmp(v->u.s, f->starts_with, f->starts_with_len) != 0)) {
            daoc__buf_puts(&b, "should start with: ");
            daoc__buf_append(&b, f->starts_with, f->starts_with_len);
            return fail_buf(err, f, &b);
        }
        if (f->not_match && pat(v, f->not_match, f->not_match_len)) {
            daoc__buf_puts(&b, "invalid value: ");
            daoc__buf_append(&b, v->u.s, v->len);
            return fail_buf(err, f, &b);
        }
        for (size_t i = 0; i < f->n_match_none; i++) {
            const daoc__pattern_err *pe = &f->match_none[i];
            if (pat(v, pe->pattern, pe->pattern_len)) {
                if (pe->err)
                    daoc__buf_puts(&b, pe->err);
                else {
                    daoc__buf_puts(&b, "invalid value: ");
                    daoc__buf_append(&b, v->u.s, v->len);
                }
                return fail_buf(err, f, &b);
            }
        }
        if (f->match && !pat(v, f->match, f->match_len)) {
            daoc__buf_puts(&b, "invalid value: ");
            daoc__buf_append(&b, v->u.s, v->len);
            return fail_buf(err, f, &b);
        }
        for (size_t i = 0; i < f->n_match_all; i++) {
            const daoc__pattern_err *pe = &f->match_all[i];
            if (!pat(v, pe->pattern, pe->pattern_len)) {
                if (pe->err)
                    daoc__buf_puts(&b, pe->err);
                else {
                    daoc__buf_puts(&b, "invalid value: ");
                    daoc__buf_append(&b, v->u.s, v->len);
                }
                return fail_buf(err, f, &b);
            }
        }
        if (f->match_any) {
            bool any = false;
            for (size_t i = 0; i < f->n_match_any && !any; i++)
                any = pat(v, f->match_any[i], f->match_any_len[i]);
            if (!any) {
                if (f->match_any_err)
                    daoc__buf_puts(&b, f->match_any_err);
                else {
                    daoc__buf_puts(&b, "invalid value: ");
                    daoc__buf_append(&b, v->u.s, v->len);
                }
                return fail_buf(err, f, &b);
            }
        }
    }
    if (f->contains && (v->type == DAOC_TARR || is_empty_table(v)) && !list_has(v, f->contains)) {
        daoc__buf_puts(&b, "expected to contain: ");
        daoc__value_tostring(&b, f->contains);
        return fail_buf(err, f, &b);
    }
    if (f->custom_validator) {
        int rc = v_custom(f, v, err);
        if (rc != DAOC_OK || *err)
            return rc;
    }
    if (f->mutually_exclusive_subsets)
        return v_subsets(f, v, err);
    return DAOC_OK;
}

/* What daoc__vfield does with a string that daoc__is_uuid accepts (36
 * ASCII characters, so valid UTF-8 and never a vault reference): the
 * string-type checks pass, then run_validators above, whose uuid check
 * passes.  Every other validator there that could refuse such a string
 * must be absent; numeric-only (gt, between, timestamp) and array-only
 * (contains, mutually_exclusive_subsets) ones are required absent too, to
 * keep this list plainly complete.  Keep it in step with run_validators. */
bool daoc__field_uuid_only(const daoc__field *f)
{
    return f->type == DAOC__F_STRING && f->uuid && !f->abstract && !f->eq && !f->ne &&
           !f->not_one_of && !f->one_of && !f->has_gt && !f->timestamp && !f->is_regex &&
           !f->has_between && (f->len_eq < 0 || f->len_eq == 36) && f->len_min <= 36 &&
           (f->len_max < 0 || f->len_max >= 36) && !f->starts_with && !f->not_match &&
           f->n_match_none == 0 && !f->match && f->n_match_all == 0 && !f->match_any &&
           f->n_match_any == 0 && !f->contains && !f->custom_validator &&
           !f->mutually_exclusive_subsets;
}

/* ---- entry point -------------------------------------------------------- */

/* Can v be stored as JSON text unchanged?  Not a function (or another Lua
 * value daoc cannot represent), not NaN or an infinity, not absurdly deep. */
static bool json_value(const daoc_value *v, int depth)
{
    if (depth > 1000)
        return false;
    switch (v->type) {
    case DAOC_TFUNC:
        return false;
    case DAOC_TNUM:
        return isfinite(v->u.n);
    case DAOC_TARR:
        for (size_t i = 0; i < v->len; i++)
            if (!json_value(v->u.a[i], depth + 1))
                return false;
        return true;
    case DAOC_TOBJ:
        for (size_t i = 0; i < v->len; i++)
            if (!json_value(v->u.o[i].val, depth + 1))
                return false;
        return true;
    default:
        return true;
    }
}

int daoc__vfield(const daoc__vctx *c, const daoc__field *f, const daoc_value *v,
                 bool force_required, daoc_value **err)
{
    *err = NULL;
    if (!v || v->type == DAOC_TNULL) {
        if (f->ne && f->ne->type == DAOC_TNULL)
            return fail_msg(err, f, "value must not be null");
        if (f->eq && f->eq->type != DAOC_TNULL) {
            daoc__buf b = DAOC__BUF_INIT;
            daoc__buf_puts(&b, "value must be ");
            daoc__value_tostring(&b, f->eq);
            size_t len;
            char *s = daoc__buf_take(&b, &len);
            if (!s)
                return DAOC_ENOMEM;
            *err = daoc_strn(s, len);
            daoc__free(s);
            return *err ? DAOC_OK : DAOC_ENOMEM;
        }
        if (f->required || force_required)
            return set_static(err, "required field missing");
        return DAOC_OK;
    }
    if (f->eq && f->eq->type == DAOC_TNULL)
        return fail_msg(err, f, "value must be null");
    if (f->abstract)
        return set_static(err, "error in schema definition: abstract field was not specialized");

    int rc;
    switch (f->type) {
    case DAOC__F_STRING: {
        if (v->type != DAOC_TSTR)
            return set_static(err, "expected a string");
        size_t pos;
        if (!daoc__utf8_valid(v->u.s, v->len, &pos)) {
            *err = daoc__vmsg("invalid utf-8 character sequence detected at position %zu", pos);
            return *err ? DAOC_OK : DAOC_ENOMEM;
        }
        if (f->referenceable && daoc__is_reference(v->u.s, v->len))
            return DAOC_OK;
        break;
    }
    case DAOC__F_INTEGER:
        if (!is_integral(v))
            return set_static(err, "expected an integer");
        break;
    case DAOC__F_NUMBER:
        /* Kong accepts NaN and infinities (Lua numbers); SQLite stores NaN
         * as NULL and JSON text has neither, so daoc refuses what it would
         * silently change. */
        if (!daoc__is_number(v) || (v->type == DAOC_TNUM && isnan(v->u.n)))
            return set_static(err, "expected a number");
        if (c->in_json && v->type == DAOC_TNUM && isinf(v->u.n))
            return set_static(err, "expected a finite number");
        break;
    case DAOC__F_BOOLEAN:
        if (v->type != DAOC_TBOOL)
            return set_static(err, "expected a boolean");
        break;
    case DAOC__F_ARRAY:
    case DAOC__F_SET:
        if (v->type != DAOC_TARR && !(v->type == DAOC_TOBJ && v->len == 0))
            return set_static(err, f->type == DAOC__F_SET ? "expected a set" : "expected an array");
        rc = v_elements(c, f, v, err);
        if (rc != DAOC_OK || *err)
            return rc;
        break;
    case DAOC__F_MAP:
        if (v->type != DAOC_TOBJ && !is_empty_table(v))
            return set_static(err, "expected a map");
        rc = v_map(c, f, v, err);
        if (rc != DAOC_OK || *err)
            return rc;
        break;
    case DAOC__F_RECORD:
        if (v->type != DAOC_TOBJ && !is_empty_table(v))
            return set_static(err, "expected a record");
        rc = v_record(c, f, v, err);
        if (rc != DAOC_OK || *err)
            return rc;
        break;
    case DAOC__F_FOREIGN:
        rc = v_foreign(c, f, v, err);
        if (rc != DAOC_OK || *err)
            return rc;
        break;
    case DAOC__F_JSON: {
        if (!json_value(v, 0))
            return set_static(err, "expected a JSON value");
        char *m = NULL;
        int ok = f->json_schema ? daoc__json_schema_check(f->json_schema, v, &m) : 1;
        if (ok != 0)
            return ok == 1 ? DAOC_OK : ok;
        *err = daoc__vmsg("value failed JSON-schema validation: %s", m);
        daoc__free(m);
        return *err ? DAOC_OK : DAOC_ENOMEM;
    }
    default:
        break; /* a matcher without a type ("any"): validators only */
    }
    return run_validators(f, v, err);
}

int daoc__schema_validate_field(const daoc__field *f, const daoc_value *v, daoc_value **err)
{
    daoc__vctx c = {.update = false};
    return daoc__vfield(&c, f, v, false, err);
}
