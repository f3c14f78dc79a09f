/*
 * json_schema_check.c -- a value against a compiled inline JSON schema
 * (json_schema.c), the first failure in lua-resty-ljsonschema's order and
 * wording ("wrong type: expected string, got number", "property foo
 * validation failed: ..."), which the caller wraps as "value failed
 * JSON-schema validation: %s".
 *
 * The order is that of the validator ljsonschema generates: type; the
 * object keywords (each of `properties` in turn: its value, then its
 * `dependencies`, or "is required" when it is absent and required; the
 * other required names; the other dependencies; then each key of the
 * value against patternProperties and additionalProperties; then
 * min/maxProperties); the array keywords; the string keywords (lengths in
 * code points, pattern, format); the number keywords; enum; allOf; anyOf;
 * oneOf; not.  Object members are looked at in the schema's order and the
 * value's (ljsonschema walks Lua tables: no order is promised).  Its
 * quirks are kept: the object keywords are skipped altogether when the
 * only one present is `additionalProperties: false`, an empty table is
 * both an empty object and an empty array, an integral multipleOf is
 * checked with Lua's `%`.
 *
 * A schema that refers to itself through allOf/anyOf/oneOf/not/
 * dependencies without descending into the value (a $ref cycle that never
 * consumes input) would recurse forever (ljsonschema overflows the Lua
 * stack); here it stops after DAOC__JS_INPLACE such steps with a message.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "schema/json_schema_internal.h"
#include "schema/validate_internal.h"

#define DAOC__JS_INPLACE 64
#define INPLACE_MSG "schema refers to itself without descending into the value (a $ref cycle)"

typedef struct vctx {
    const struct daoc__json_schema *js;
    bool runaway;     /* a depth limit was reached: the failure stands, whatever the combinator */
    bool inplace_hit; /* ... the limit on steps that do not descend into the value */
} vctx;

static bool is_num(const daoc_value *v)
{
    return v && (v->type == DAOC_TINT || v->type == DAOC_TNUM);
}

static double num(const daoc_value *v)
{
    return v->type == DAOC_TINT ? (double)v->u.i : v->u.n;
}

/* Present and not `false`: Lua's truthiness of schema.<keyword>. */
static bool truthy(const daoc_value *v)
{
    return v && !(v->type == DAOC_TBOOL && !v->u.b);
}

/* ljsonschema's valuekind. */
static const char *kind(const daoc_value *v)
{
    switch (v->type) {
    case DAOC_TOBJ:
        return "object";
    case DAOC_TARR:
        return v->len ? "array" : "object";
    case DAOC_TINT:
        return "integer";
    case DAOC_TNUM:
        return floor(v->u.n) == v->u.n ? "integer" : "number";
    case DAOC_TNULL:
        return "null";
    case DAOC_TSTR:
        return "string";
    case DAOC_TBOOL:
        return "boolean";
    default:
        return "function";
    }
}

static bool has_type(const daoc_value *v, const char *t)
{
    bool table = v->type == DAOC_TOBJ || v->type == DAOC_TARR;
    if (!strcmp(t, "object"))
        return table && (v->type == DAOC_TOBJ || v->len == 0);
    if (!strcmp(t, "array"))
        return table && (v->type == DAOC_TARR || v->len == 0);
    if (!strcmp(t, "integer"))
        return is_num(v) && fmod(num(v), 1.0) == 0.0;
    if (!strcmp(t, "number"))
        return is_num(v);
    if (!strcmp(t, "string"))
        return v->type == DAOC_TSTR;
    if (!strcmp(t, "boolean"))
        return v->type == DAOC_TBOOL;
    return v->type == DAOC_TNULL; /* "null" */
}

/* format_number: the shortest %.Ng (6 <= N <= 17) that reads back. */
static void fmt_num(char *out, size_t size, double d)
{
    for (int p = 6; p <= 17; p++) {
        snprintf(out, size, "%.*g", p, d);
        if (strtod(out, NULL) == d)
            return;
    }
}

static size_t utf8_len(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* *err = the formatted message; DAOC_OK, or DAOC_ENOMEM. */
static int failf(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int failf(char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    *err = daoc__vasprintf(fmt, ap);
    va_end(ap);
    return *err ? DAOC_OK : DAOC_ENOMEM;
}

/* *err = "<prefix><*err>" (the inner message freed). */
static int prefixf(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int prefixf(char **err, const char *fmt, ...)
{
    daoc__buf b = DAOC__BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    char *pre = daoc__vasprintf(fmt, ap);
    va_end(ap);
    daoc__buf_puts(&b, pre ? pre : "");
    daoc__buf_puts(&b, *err);
    daoc__free(*err);
    *err = pre ? daoc__buf_take(&b, NULL) : NULL;
    daoc__free(pre);
    daoc__buf_free(&b);
    return *err ? DAOC_OK : DAOC_ENOMEM;
}

static int validate(vctx *x, const daoc_value *s, const daoc_value *v, int depth, int inplace,
                    char **err);

/* `dependencies` of `name`, the value `v` having it. */
static int check_dep(vctx *x, const daoc_value *d, const char *name, const daoc_value *v, int depth,
                     int inplace, char **err)
{
    if (d->type == DAOC_TARR && d->len > 0) {
        for (size_t k = 0; k < d->len; k++) {
            const daoc_value *n = d->u.a[k];
            if (n->type == DAOC_TSTR &&
                !(v->type == DAOC_TOBJ && daoc__obj_getn(v, n->u.s, n->len)))
                return failf(err, "property %s is required when %s is set", n->u.s, name);
        }
        return DAOC_OK;
    }
    int rc = validate(x, d, v, depth, inplace + 1, err);
    if (rc != DAOC_OK || !*err)
        return rc;
    return prefixf(err, "failed to validate dependent schema for %s: ", name);
}

static bool in_list(const daoc_value *list, const char *key, size_t klen)
{
    for (size_t i = 0; list && list->type == DAOC_TARR && i < list->len; i++) {
        const daoc_value *e = list->u.a[i];
        if (e->type == DAOC_TSTR && e->len == klen && !memcmp(e->u.s, key, klen))
            return true;
    }
    return false;
}

/* patternProperties and additionalProperties, one walk over the value. */
static int check_members(vctx *x, const daoc_value *s, const daoc_value *v, int depth, char **err)
{
    const daoc_value *props = daoc_obj_get(s, "properties"),
                     *addl = daoc_obj_get(s, "additionalProperties");
    const daoc_value *pats = daoc_obj_get(s, "patternProperties");
    bool propset = addl && !(addl->type == DAOC_TBOOL && addl->u.b);
    int rc;
    for (size_t i = 0; v->type == DAOC_TOBJ && i < v->len; i++) {
        const daoc__kv *kv = &v->u.o[i];
        bool matched = false;
        for (size_t j = 0; pats && pats->type == DAOC_TOBJ && j < pats->len; j++) {
            const daoc__kv *p = &pats->u.o[j];
            if ((rc = daoc__js_re_find(x->js, p, kv->key, kv->klen)) < 0)
                return rc;
            if (!rc)
                continue;
            if ((rc = validate(x, p->val, kv->val, depth + 1, 0, err)) != DAOC_OK)
                return rc;
            if (*err)
                return prefixf(err, "failed to validate %s (matching %s): ", kv->key, p->key);
            matched = true;
        }
        if (!propset || matched ||
            (props && props->type == DAOC_TOBJ && daoc__obj_getn(props, kv->key, kv->klen)))
            continue;
        if (addl->type == DAOC_TBOOL)
            return failf(err, "additional properties forbidden, found %s", kv->key);
        if ((rc = validate(x, addl, kv->val, depth + 1, 0, err)) != DAOC_OK)
            return rc;
        if (*err)
            return prefixf(err, "failed to validate additional property %s: ", kv->key);
    }
    return DAOC_OK;
}

static int check_object(vctx *x, const daoc_value *s, const daoc_value *v, int depth, int inplace,
                        char **err)
{
    const daoc_value *props = daoc_obj_get(s, "properties"), *req = daoc_obj_get(s, "required");
    const daoc_value *deps = daoc_obj_get(s, "dependencies");
    const daoc_value *minp = daoc_obj_get(s, "minProperties"),
                     *maxp = daoc_obj_get(s, "maxProperties");
    const daoc_value *obj = v->type == DAOC_TOBJ ? v : NULL;
    int rc;
    for (size_t i = 0; props && props->type == DAOC_TOBJ && i < props->len; i++) {
        const daoc__kv *p = &props->u.o[i];
        const daoc_value *pv = obj ? daoc__obj_getn(obj, p->key, p->klen) : NULL;
        if (!pv) {
            if (in_list(req, p->key, p->klen))
                return failf(err, "property %s is required", p->key);
            continue;
        }
        if ((rc = validate(x, p->val, pv, depth + 1, 0, err)) != DAOC_OK)
            return rc;
        if (*err)
            return prefixf(err, "property %s validation failed: ", p->key);
        const daoc_value *d =
            deps && deps->type == DAOC_TOBJ ? daoc__obj_getn(deps, p->key, p->klen) : NULL;
        if (d && ((rc = check_dep(x, d, p->key, v, depth, inplace, err)) != DAOC_OK || *err))
            return rc;
    }
    for (size_t i = 0; req && req->type == DAOC_TARR && i < req->len; i++) {
        const daoc_value *r = req->u.a[i];
        if (r->type != DAOC_TSTR ||
            (props && props->type == DAOC_TOBJ && daoc__obj_getn(props, r->u.s, r->len)))
            continue;
        if (!(obj && daoc__obj_getn(obj, r->u.s, r->len)))
            return failf(err, "property %s is required", r->u.s);
    }
    for (size_t i = 0; deps && deps->type == DAOC_TOBJ && i < deps->len; i++) {
        const daoc__kv *d = &deps->u.o[i];
        if ((props && props->type == DAOC_TOBJ && daoc__obj_getn(props, d->key, d->klen)) ||
            !(obj && daoc__obj_getn(obj, d->key, d->klen)))
            continue;
        if ((rc = check_dep(x, d->val, d->key, v, depth, inplace, err)) != DAOC_OK || *err)
            return rc;
    }
    if ((rc = check_members(x, s, v, depth, err)) != DAOC_OK || *err)
        return rc;
    size_t count = obj ? obj->len : 0;
    char n[64];
    if (is_num(minp) && (double)count < num(minp)) {
        fmt_num(n, sizeof n, num(minp));
        return failf(err, "expect object to have at least %s properties", n);
    }
    if (is_num(maxp) && (double)count > num(maxp)) {
        fmt_num(n, sizeof n, num(maxp));
        return failf(err, "expect object to have at most %s properties", n);
    }
    return DAOC_OK;
}

static int check_array(vctx *x, const daoc_value *s, const daoc_value *v, int depth, char **err)
{
    const daoc_value *items = daoc_obj_get(s, "items"), *addl = daoc_obj_get(s, "additionalItems");
    const daoc_value *mini = daoc_obj_get(s, "minItems"), *maxi = daoc_obj_get(s, "maxItems");
    const daoc_value *uniq = daoc_obj_get(s, "uniqueItems");
    size_t len = v->type == DAOC_TARR ? v->len : 0;
    char n[64];
    int rc;
    if (is_num(mini) && (double)len < num(mini)) {
        fmt_num(n, sizeof n, num(mini));
        return failf(err, "expect array to have at least %s items", n);
    }
    if (is_num(maxi) && (double)len > num(maxi)) {
        fmt_num(n, sizeof n, num(maxi));
        return failf(err, "expect array to have at most %s items", n);
    }
    if (items && items->type == DAOC_TARR && items->len) {
        for (size_t i = 0; i < items->len && i < len; i++) {
            if ((rc = validate(x, items->u.a[i], v->u.a[i], depth + 1, 0, err)) != DAOC_OK)
                return rc;
            if (*err)
                return prefixf(err, "failed to validate item %zu: ", i + 1);
        }
        if (addl && addl->type == DAOC_TBOOL && !addl->u.b && len > items->len)
            return failf(err, "found unexpected extra items in array");
        for (size_t i = items->len; addl && addl->type == DAOC_TOBJ && i < len; i++) {
            if ((rc = validate(x, addl, v->u.a[i], depth + 1, 0, err)) != DAOC_OK)
                return rc;
            if (*err)
                return prefixf(err, "failed to validate additional item %zu: ", i + 1);
        }
    } else if (items && items->type == DAOC_TOBJ) {
        for (size_t i = 0; i < len; i++) {
            if ((rc = validate(x, items, v->u.a[i], depth + 1, 0, err)) != DAOC_OK)
                return rc;
            if (*err)
                return prefixf(err, "failed to validate item %zu: ", i + 1);
        }
    }
    if (uniq && uniq->type == DAOC_TBOOL && uniq->u.b)
        for (size_t i = 1; i < len; i++)
            for (size_t j = 0; j < i; j++)
                if (daoc__value_equal(v->u.a[i], v->u.a[j]))
                    return failf(err, "expected unique items but items %zu and %zu are equal",
                                 i + 1, j + 1);
    return DAOC_OK;
}

static int check_string(vctx *x, const daoc_value *s, const daoc_value *v, char **err)
{
    const daoc_value *minl = daoc_obj_get(s, "minLength"), *maxl = daoc_obj_get(s, "maxLength");
    const daoc_value *pat = daoc_obj_get(s, "pattern"), *fmt = daoc_obj_get(s, "format");
    size_t len = utf8_len(v->u.s, v->len);
    if (is_num(minl) && (double)len < num(minl))
        return failf(err, "string too short, expected at least %d, got %zu", (int)num(minl), len);
    if (is_num(maxl) && (double)len > num(maxl))
        return failf(err, "string too long, expected at most %d, got %zu", (int)num(maxl), len);
    if (pat && pat->type == DAOC_TSTR) {
        int rc = daoc__js_re_find(x->js, pat, v->u.s, v->len);
        if (rc < 0)
            return rc;
        if (!rc) {
            daoc__buf b = DAOC__BUF_INIT;
            daoc__buf_printf(&b, "failed to match pattern %s with ", pat->u.s);
            daoc__js_quote(&b, v->u.s, v->len);
            *err = daoc__buf_take(&b, NULL);
            return *err ? DAOC_OK : DAOC_ENOMEM;
        }
    }
    if (fmt && fmt->type == DAOC_TSTR)
        return daoc__js_format(fmt->u.s, v->u.s, v->len, err);
    return DAOC_OK;
}

static int check_number(const daoc_value *s, const daoc_value *v, char **err)
{
    const daoc_value *mn = daoc_obj_get(s, "minimum"), *mx = daoc_obj_get(s, "maximum");
    const daoc_value *xmn = daoc_obj_get(s, "exclusiveMinimum");
    const daoc_value *xmx = daoc_obj_get(s, "exclusiveMaximum");
    const daoc_value *mof = daoc_obj_get(s, "multipleOf");
    char a[64], b[64];
    double d = num(v);
    bool exn = xmn && xmn->type == DAOC_TBOOL && xmn->u.b;
    bool exx = xmx && xmx->type == DAOC_TBOOL && xmx->u.b;
    fmt_num(a, sizeof a, d);
    if (is_num(mn) && (exn ? d <= num(mn) : d < num(mn))) {
        fmt_num(b, sizeof b, num(mn));
        return failf(err, "expected %s to be %s than %s", a, exn ? "sctrictly greater" : "greater",
                     b);
    }
    if (is_num(mx) && (exx ? d >= num(mx) : d > num(mx))) {
        fmt_num(b, sizeof b, num(mx));
        return failf(err, "expected %s to be %s than %s", a, exx ? "sctrictly smaller" : "smaller",
                     b);
    }
    if (is_num(mof) && num(mof) != 0) {
        double m = num(mof), q = d / m;
        /* integral: Lua's a % b (a - floor(a/b)*b); else modf(q) ~= q or q infinite */
        bool bad = floor(m) == m ? d - floor(q) * m != 0 : q != floor(q) || isinf(q);
        if (bad) {
            snprintf(a, sizeof a, "%.14g", d);
            snprintf(b, sizeof b, "%.14g", m);
            return failf(err, "expected %s to be a multiple of %s", a, b);
        }
    }
    return DAOC_OK;
}

/* allOf, anyOf, oneOf, not: the value itself against subschemas. */
static int check_combinators(vctx *x, const daoc_value *s, const daoc_value *v, int depth,
                             int inplace, char **err)
{
    const daoc_value *all = daoc_obj_get(s, "allOf"), *any = daoc_obj_get(s, "anyOf");
    const daoc_value *one = daoc_obj_get(s, "oneOf"), *not = daoc_obj_get(s, "not");
    int rc;
    for (size_t i = 0; all && all->type == DAOC_TARR && i < all->len; i++) {
        if ((rc = validate(x, all->u.a[i], v, depth, inplace + 1, err)) != DAOC_OK)
            return rc;
        if (*err)
            return prefixf(err, "allOf %zu failed: ", i + 1);
    }
    if (any && any->type == DAOC_TARR && any->len) {
        daoc__buf b = DAOC__BUF_INIT;
        bool ok = false;
        daoc__buf_puts(&b, "object needs one of the following rectifications: ");
        for (size_t i = 0; i < any->len && !ok; i++) {
            char *e = NULL;
            if ((rc = validate(x, any->u.a[i], v, depth, inplace + 1, &e)) != DAOC_OK) {
                daoc__buf_free(&b);
                return rc;
            }
            if (x->runaway) {
                daoc__buf_free(&b);
                *err = e;
                return DAOC_OK;
            }
            ok = !e;
            if (e)
                daoc__buf_printf(&b, "%s%zu) %s", i ? "; " : "", i + 1, e);
            daoc__free(e);
        }
        if (!ok) {
            *err = daoc__buf_take(&b, NULL);
            return *err ? DAOC_OK : DAOC_ENOMEM;
        }
        daoc__buf_free(&b);
    }
    if (one && one->type == DAOC_TARR) {
        size_t matched = 0;
        for (size_t i = 0; i < one->len; i++) {
            char *e = NULL;
            if ((rc = validate(x, one->u.a[i], v, depth, inplace + 1, &e)) != DAOC_OK)
                return rc;
            if (e) {
                if (x->runaway) {
                    *err = e;
                    return DAOC_OK;
                }
                daoc__free(e);
                continue;
            }
            if (matched)
                return failf(err,
                             "value should match only one schema, but matches both schemas %zu "
                             "and %zu",
                             matched, i + 1);
            matched = i + 1;
        }
        if (!matched)
            return failf(err, "value should match only one schema, but matches none");
    }
    if (not ) {
        char *e = NULL;
        if ((rc = validate(x, not, v, depth, inplace + 1, &e)) != DAOC_OK)
            return rc;
        if (!e)
            return failf(err, "value wasn't supposed to match schema");
        if (x->runaway) {
            *err = e;
            return DAOC_OK;
        }
        daoc__free(e);
    }
    return DAOC_OK;
}

static int check_type(const daoc_value *t, const daoc_value *v, char **err)
{
    if (t->type == DAOC_TSTR && !has_type(v, t->u.s))
        return failf(err, "wrong type: expected %s, got %s", t->u.s, kind(v));
    if (t->type != DAOC_TARR)
        return DAOC_OK;
    for (size_t i = 0; i < t->len; i++)
        if (t->u.a[i]->type == DAOC_TSTR && has_type(v, t->u.a[i]->u.s))
            return DAOC_OK;
    daoc__buf b = DAOC__BUF_INIT;
    daoc__buf_puts(&b, "wrong type: expected one of ");
    for (size_t i = 0; i < t->len; i++)
        daoc__buf_printf(&b, "%s%s", i ? ", " : "", t->u.a[i]->u.s);
    daoc__buf_printf(&b, ", got %s", kind(v));
    *err = daoc__buf_take(&b, NULL);
    return *err ? DAOC_OK : DAOC_ENOMEM;
}

static int validate(vctx *x, const daoc_value *s, const daoc_value *v, int depth, int inplace,
                    char **err)
{
    const daoc_value *t, *en;
    int rc;
    *err = NULL;
    if (depth > 200 || inplace > DAOC__JS_INPLACE) {
        x->runaway = true;
        x->inplace_hit = depth <= 200;
        return failf(err, "%s", x->inplace_hit ? INPLACE_MSG : "value nested too deeply");
    }
    const daoc_value *given = s;
    if (!(s = daoc__js_deref(x->js->root, s)))
        return given ? DAOC_ENOMEM : DAOC_OK; /* compile checked every chain: only ENOMEM fails */
    if (s->type != DAOC_TOBJ)
        return DAOC_OK;
    if ((t = daoc_obj_get(s, "type")) && ((rc = check_type(t, v, err)) != DAOC_OK || *err))
        return rc;
    bool object = v->type == DAOC_TOBJ || (v->type == DAOC_TARR && v->len == 0);
    bool array = v->type == DAOC_TARR || (v->type == DAOC_TOBJ && v->len == 0);
    if (object &&
        (daoc_obj_get(s, "properties") || truthy(daoc_obj_get(s, "additionalProperties")) ||
         daoc_obj_get(s, "patternProperties") || daoc_obj_get(s, "minProperties") ||
         daoc_obj_get(s, "maxProperties") || daoc_obj_get(s, "dependencies") ||
         daoc_obj_get(s, "required")) &&
        ((rc = check_object(x, s, v, depth, inplace, err)) != DAOC_OK || *err))
        return rc;
    if (array && ((rc = check_array(x, s, v, depth, err)) != DAOC_OK || *err))
        return rc;
    if (v->type == DAOC_TSTR && ((rc = check_string(x, s, v, err)) != DAOC_OK || *err))
        return rc;
    if (is_num(v) && ((rc = check_number(s, v, err)) != DAOC_OK || *err))
        return rc;
    if ((en = daoc_obj_get(s, "enum")) && en->type == DAOC_TARR) {
        bool hit = false;
        for (size_t i = 0; i < en->len && !hit; i++)
            hit = daoc__value_equal(en->u.a[i], v);
        if (!hit)
            return failf(err, "matches none of the enum values");
    }
    return check_combinators(x, s, v, depth, inplace, err);
}

int daoc__json_schema_check(const struct daoc__json_schema *js, const daoc_value *v, char **msg)
{
    vctx x = {.js = js};
    int rc = validate(&x, js->root, v, 0, 0, msg);
    if (rc == DAOC_OK && x.runaway) { /* the limit's own words, without the path to it */
        daoc__free(*msg);
        rc = failf(msg, "%s", x.inplace_hit ? INPLACE_MSG : "value nested too deeply");
    }
    if (rc != DAOC_OK) {
        daoc__free(*msg);
        *msg = NULL;
        return rc;
    }
    return *msg ? 0 : 1;
}
