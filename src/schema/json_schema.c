/*
 * json_schema.c -- `json` fields checked against their `json_schema`
 * (kong-schema-dao.md 2.1; Kong's validate_json_field over
 * lua-resty-ljsonschema, a JSON-schema draft-4 validator).
 *
 * Compiling (daoc__compile_json_schema): the metaschema's rules on the
 * attribute (namespace, parent_subschema_key: strings; optional: a boolean;
 * inline, default: schemas; at least one of inline / namespace /
 * parent_subschema_key, namespace and parent_subschema_key together, inline
 * apart from the other three), and the inline schema's keywords.  daoc
 * checks what it implements: type, properties, required,
 * additionalProperties, minProperties, maxProperties, items (list and
 * tuple), additionalItems, minItems, maxItems, uniqueItems, minLength,
 * maxLength, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
 * multipleOf, enum, allOf, plus the annotations ($schema, id, title,
 * description, default).  A schema using any other keyword (pattern,
 * anyOf, $ref, ...), or a namespace (schemas stored by name, a registry
 * daoc does not have), is refused when the definition loads with "... is
 * not supported by daoc", rather than accepted and not enforced.
 *
 * Validating (daoc__json_schema_check): the first failure in ljsonschema's
 * order and wording ("wrong type: expected string, got number", "property
 * foo validation failed: ..."), which the caller wraps as "value failed
 * JSON-schema validation: %s".  Object properties are looked at in the
 * schema's order (ljsonschema walks a Lua table: no order is promised).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "schema/compile_internal.h"
#include "schema/validate_internal.h"

static const char *const KEYWORDS[] = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
    "items",
    "additionalItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "enum",
    "allOf",
    "$schema",
    "id",
    "title",
    "description",
    "default",
};
static const char *const TYPES[] = {"object",  "array",   "string", "number",
                                    "integer", "boolean", "null"};

static bool is_num(const daoc_value *v)
{
    return v && (v->type == DAOC_TINT || v->type == DAOC_TNUM);
}

static double num(const daoc_value *v)
{
    return v->type == DAOC_TINT ? (double)v->u.i : v->u.n;
}

static int check_schema(daoc__cctx *c, const char *path, const daoc_value *s, int depth);

static int check_type(daoc__cctx *c, const char *path, const daoc_value *t)
{
    const daoc_value *const *list = &t;
    size_t n = 1;
    if (t->type == DAOC_TARR) {
        list = (const daoc_value *const *)t->u.a;
        n = t->len;
    }
    for (size_t i = 0; i < n; i++) {
        bool known = false;
        for (size_t k = 0; list[i]->type == DAOC_TSTR && k < sizeof TYPES / sizeof TYPES[0]; k++)
            known = known || strcmp(list[i]->u.s, TYPES[k]) == 0;
        if (!known)
            return daoc__cfail(c, path, "json_schema: invalid JSON type in 'type'");
    }
    return DAOC_OK;
}

static int check_schema(daoc__cctx *c, const char *path, const daoc_value *s, int depth)
{
    if (depth > 64)
        return daoc__cfail(c, path, "json_schema: schema nested too deeply");
    if (!daoc__c_is_map(s))
        return daoc__cfail(c, path, "json_schema: schema must be a table");
    for (size_t i = 0; s->type == DAOC_TOBJ && i < s->len; i++) {
        const daoc__kv *kv = &s->u.o[i];
        const daoc_value *v = kv->val;
        bool known = false;
        int rc = DAOC_OK;
        for (size_t k = 0; k < sizeof KEYWORDS / sizeof KEYWORDS[0] && !known; k++)
            known = strcmp(kv->key, KEYWORDS[k]) == 0;
        if (!known)
            return daoc__cfail(c, path, "json_schema: keyword '%s' is not supported by daoc",
                               kv->key);
        if (!strcmp(kv->key, "type"))
            rc = v->type == DAOC_TSTR || v->type == DAOC_TARR
                     ? check_type(c, path, v)
                     : daoc__cfail(c, path, "json_schema: 'type' must be a string or an array");
        else if (!strcmp(kv->key, "properties"))
            for (size_t j = 0; rc == DAOC_OK && v->type == DAOC_TOBJ && j < v->len; j++)
                rc = check_schema(c, path, v->u.o[j].val, depth + 1);
        else if (!strcmp(kv->key, "items") || !strcmp(kv->key, "allOf")) {
            if (v->type == DAOC_TARR)
                for (size_t j = 0; rc == DAOC_OK && j < v->len; j++)
                    rc = check_schema(c, path, v->u.a[j], depth + 1);
            else
                rc = check_schema(c, path, v, depth + 1);
        } else if (!strcmp(kv->key, "additionalProperties") ||
                   !strcmp(kv->key, "additionalItems")) {
            if (v->type != DAOC_TBOOL)
                rc = check_schema(c, path, v, depth + 1);
        } else if (!strcmp(kv->key, "required") || !strcmp(kv->key, "enum")) {
            if (!daoc__c_is_list(v))
                rc = daoc__cfail(c, path, "json_schema: '%s' must be an array", kv->key);
        } else if (!strcmp(kv->key, "uniqueItems") || !strncmp(kv->key, "exclusive", 9)) {
            if (v->type != DAOC_TBOOL)
                rc = daoc__cfail(c, path, "json_schema: '%s' must be a boolean", kv->key);
        } else if (strstr(kv->key, "Length") || strstr(kv->key, "Items") ||
                   strstr(kv->key, "Properties") || !strcmp(kv->key, "minimum") ||
                   !strcmp(kv->key, "maximum") || !strcmp(kv->key, "multipleOf")) {
            if (!is_num(v))
                rc = daoc__cfail(c, path, "json_schema: '%s' must be a number", kv->key);
        }
        if (rc != DAOC_OK)
            return rc;
    }
    return DAOC_OK;
}

int daoc__compile_json_schema(daoc__cctx *c, const char *path, const daoc_value *js, daoc__field *f)
{
    const daoc_value *inl = NULL;
    bool has_ns = false, has_key = false, has_opt = false;
    if (!daoc__c_is_map(js))
        return daoc__cfail(c, path, "json_schema: expected a record");
    for (size_t i = 0; js->type == DAOC_TOBJ && i < js->len; i++) {
        const daoc__kv *kv = &js->u.o[i];
        if (!strcmp(kv->key, "namespace") || !strcmp(kv->key, "parent_subschema_key")) {
            if (kv->val->type != DAOC_TSTR)
                return daoc__cfail(c, path, "json_schema.%s: expected a string", kv->key);
            *(kv->key[0] == 'n' ? &has_ns : &has_key) = true;
        } else if (!strcmp(kv->key, "optional")) {
            if (kv->val->type != DAOC_TBOOL)
                return daoc__cfail(c, path, "json_schema.optional: expected a boolean");
            has_opt = true;
        } else if (!strcmp(kv->key, "inline") || !strcmp(kv->key, "default")) {
            if (kv->val->type != DAOC_TOBJ && !daoc__c_is_map(kv->val))
                return daoc__cfail(c, path, "json_schema.%s: schema must be a table", kv->key);
            if (kv->key[0] == 'i')
                inl = kv->val;
        } else {
            return daoc__cfail(c, path, "json_schema.%s: unknown field", kv->key);
        }
    }
    if (!inl && !has_ns && !has_key)
        return daoc__cfail(c, path,
                           "json_schema: at least one of these fields must be non-empty: "
                           "'inline', 'namespace', 'parent_subschema_key'");
    if (has_ns != has_key)
        return daoc__cfail(c, path,
                           "json_schema: all or none of these fields must be set: 'namespace', "
                           "'parent_subschema_key'");
    if (inl && (has_ns || has_key || has_opt))
        return daoc__cfail(c, path,
                           "json_schema: these sets are mutually exclusive: ('inline'), "
                           "(%s%s%s)",
                           has_ns ? "'namespace', " : "", has_key ? "'parent_subschema_key'" : "",
                           has_opt ? (has_key ? ", 'optional'" : "'optional'") : "");
    if (has_ns)
        return daoc__cfail(c, path,
                           "json_schema: namespace: schemas stored by name are not supported by "
                           "daoc");
    int rc = check_schema(c, path, inl, 0);
    if (rc != DAOC_OK)
        return rc;
    f->json_schema = daoc_value_copy(inl);
    return f->json_schema ? DAOC_OK : DAOC_ENOMEM;
}

/* ---- validation --------------------------------------------------------- */

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

static char *validate(const daoc_value *s, const daoc_value *v, int depth);

/* "<prefix><err>" with err freed; NULL stays NULL (ENOMEM is reported as a
 * generic failure by the caller). */
static char *wrap(char *err, const char *prefix)
{
    char *m = err ? daoc__asprintf("%s%s", prefix, err) : NULL;
    daoc__free(err);
    return m;
}

static char *check_object(const daoc_value *s, const daoc_value *v, int depth)
{
    const daoc_value *props = daoc_obj_get(s, "properties"), *req = daoc_obj_get(s, "required");
    const daoc_value *addl = daoc_obj_get(s, "additionalProperties");
    const daoc_value *minp = daoc_obj_get(s, "minProperties"),
                     *maxp = daoc_obj_get(s, "maxProperties");
    char pre[300];
    for (size_t i = 0; props && props->type == DAOC_TOBJ && i < props->len; i++) {
        const daoc__kv *p = &props->u.o[i];
        const daoc_value *pv = v->type == DAOC_TOBJ ? daoc__obj_getn(v, p->key, p->klen) : NULL;
        if (pv) {
            char *e = validate(p->val, pv, depth + 1);
            if (e) {
                snprintf(pre, sizeof pre, "property %s validation failed: ", p->key);
                return wrap(e, pre);
            }
        }
    }
    for (size_t i = 0; req && req->type == DAOC_TARR && i < req->len; i++) {
        const daoc_value *r = req->u.a[i];
        if (r->type == DAOC_TSTR && !(v->type == DAOC_TOBJ && daoc__obj_getn(v, r->u.s, r->len)))
            return daoc__asprintf("property %s is required", r->u.s);
    }
    if (addl && !(addl->type == DAOC_TBOOL && addl->u.b)) {
        for (size_t i = 0; v->type == DAOC_TOBJ && i < v->len; i++) {
            const daoc__kv *kv = &v->u.o[i];
            if (props && props->type == DAOC_TOBJ && daoc__obj_getn(props, kv->key, kv->klen))
                continue;
            if (addl->type == DAOC_TBOOL)
                return daoc__asprintf("additional properties forbidden, found %s", kv->key);
            char *e = validate(addl, kv->val, depth + 1);
            if (e) {
                snprintf(pre, sizeof pre, "failed to validate additional property %s: ", kv->key);
                return wrap(e, pre);
            }
        }
    }
    size_t count = v->type == DAOC_TOBJ ? v->len : 0;
    char n[64];
    if (is_num(minp) && (double)count < num(minp)) {
        fmt_num(n, sizeof n, num(minp));
        return daoc__asprintf("expect object to have at least %s properties", n);
    }
    if (is_num(maxp) && (double)count > num(maxp)) {
        fmt_num(n, sizeof n, num(maxp));
        return daoc__asprintf("expect object to have at most %s properties", n);
    }
    return NULL;
}

static char *check_array(const daoc_value *s, const daoc_value *v, int depth)
{
    const daoc_value *items = daoc_obj_get(s, "items"), *addl = daoc_obj_get(s, "additionalItems");
    const daoc_value *mini = daoc_obj_get(s, "minItems"), *maxi = daoc_obj_get(s, "maxItems");
    const daoc_value *uniq = daoc_obj_get(s, "uniqueItems");
    size_t len = v->type == DAOC_TARR ? v->len : 0;
    char n[64], pre[96];
    if (is_num(mini) && (double)len < num(mini)) {
        fmt_num(n, sizeof n, num(mini));
        return daoc__asprintf("expect array to have at least %s items", n);
    }
    if (is_num(maxi) && (double)len > num(maxi)) {
        fmt_num(n, sizeof n, num(maxi));
        return daoc__asprintf("expect array to have at most %s items", n);
    }
    if (items && items->type == DAOC_TARR && items->len) {
        for (size_t i = 0; i < items->len && i < len; i++) {
            char *e = validate(items->u.a[i], v->u.a[i], depth + 1);
            if (e) {
                snprintf(pre, sizeof pre, "failed to validate item %zu: ", i + 1);
                return wrap(e, pre);
            }
        }
        if (addl && addl->type == DAOC_TBOOL && !addl->u.b && len > items->len)
            return daoc__strdup("found unexpected extra items in array");
        for (size_t i = items->len; addl && addl->type == DAOC_TOBJ && i < len; i++) {
            char *e = validate(addl, v->u.a[i], depth + 1);
            if (e) {
                snprintf(pre, sizeof pre, "failed to validate additional item %zu: ", i + 1);
                return wrap(e, pre);
            }
        }
    } else if (items && items->type == DAOC_TOBJ) {
        for (size_t i = 0; i < len; i++) {
            char *e = validate(items, v->u.a[i], depth + 1);
            if (e) {
                snprintf(pre, sizeof pre, "failed to validate item %zu: ", i + 1);
                return wrap(e, pre);
            }
        }
    }
    if (uniq && uniq->type == DAOC_TBOOL && uniq->u.b)
        for (size_t i = 1; i < len; i++)
            for (size_t j = 0; j < i; j++)
                if (daoc__value_equal(v->u.a[i], v->u.a[j]))
                    return daoc__asprintf("expected unique items but items %zu and %zu are equal",
                                          i + 1, j + 1);
    return NULL;
}

static char *check_scalar(const daoc_value *s, const daoc_value *v)
{
    char a[64], b[64];
    if (v->type == DAOC_TSTR) {
        const daoc_value *minl = daoc_obj_get(s, "minLength"), *maxl = daoc_obj_get(s, "maxLength");
        size_t len = utf8_len(v->u.s, v->len);
        if (is_num(minl) && (double)len < num(minl))
            return daoc__asprintf("string too short, expected at least %d, got %zu", (int)num(minl),
                                  len);
        if (is_num(maxl) && (double)len > num(maxl))
            return daoc__asprintf("string too long, expected at most %d, got %zu", (int)num(maxl),
                                  len);
    }
    if (is_num(v)) {
        const daoc_value *mn = daoc_obj_get(s, "minimum"), *mx = daoc_obj_get(s, "maximum");
        const daoc_value *xmn = daoc_obj_get(s, "exclusiveMinimum");
        const daoc_value *xmx = daoc_obj_get(s, "exclusiveMaximum");
        const daoc_value *mof = daoc_obj_get(s, "multipleOf");
        double d = num(v);
        bool exn = xmn && xmn->type == DAOC_TBOOL && xmn->u.b;
        bool exx = xmx && xmx->type == DAOC_TBOOL && xmx->u.b;
        fmt_num(a, sizeof a, d);
        if (is_num(mn) && (exn ? d <= num(mn) : d < num(mn))) {
            fmt_num(b, sizeof b, num(mn));
            return daoc__asprintf("expected %s to be %s than %s", a,
                                  exn ? "sctrictly greater" : "greater", b);
        }
        if (is_num(mx) && (exx ? d >= num(mx) : d > num(mx))) {
            fmt_num(b, sizeof b, num(mx));
            return daoc__asprintf("expected %s to be %s than %s", a,
                                  exx ? "sctrictly smaller" : "smaller", b);
        }
        if (is_num(mof) && num(mof) != 0) {
            double q = d / num(mof);
            if (q != floor(q) || isinf(q)) {
                snprintf(a, sizeof a, "%.14g", d);
                snprintf(b, sizeof b, "%.14g", num(mof));
                return daoc__asprintf("expected %s to be a multiple of %s", a, b);
            }
        }
    }
    return NULL;
}

static char *validate(const daoc_value *s, const daoc_value *v, int depth)
{
    const daoc_value *t, *en, *all;
    if (depth > 200)
        return daoc__strdup("value nested too deeply");
    if (!s || s->type != DAOC_TOBJ)
        return NULL;
    if ((t = daoc_obj_get(s, "type"))) {
        if (t->type == DAOC_TSTR && !has_type(v, t->u.s))
            return daoc__asprintf("wrong type: expected %s, got %s", t->u.s, kind(v));
        if (t->type == DAOC_TARR) {
            bool ok = false;
            daoc__buf b = DAOC__BUF_INIT;
            for (size_t i = 0; i < t->len && !ok; i++)
                ok = t->u.a[i]->type == DAOC_TSTR && has_type(v, t->u.a[i]->u.s);
            if (!ok) {
                for (size_t i = 0; i < t->len; i++)
                    daoc__buf_printf(&b, "%s%s", i ? ", " : "", t->u.a[i]->u.s);
                char *list = daoc__buf_take(&b, NULL);
                char *m =
                    list ? daoc__asprintf("wrong type: expected one of %s, got %s", list, kind(v))
                         : NULL;
                daoc__free(list);
                return m;
            }
        }
    }
    bool object = (v->type == DAOC_TOBJ || (v->type == DAOC_TARR && v->len == 0));
    bool array = v->type == DAOC_TARR;
    char *e = NULL;
    if (object && (daoc_obj_get(s, "properties") || daoc_obj_get(s, "required") ||
                   daoc_obj_get(s, "additionalProperties") || daoc_obj_get(s, "minProperties") ||
                   daoc_obj_get(s, "maxProperties")))
        e = check_object(s, v, depth);
    if (!e && array)
        e = check_array(s, v, depth);
    if (!e)
        e = check_scalar(s, v);
    if (e)
        return e;
    if ((en = daoc_obj_get(s, "enum")) && en->type == DAOC_TARR) {
        bool hit = false;
        for (size_t i = 0; i < en->len && !hit; i++)
            hit = daoc__value_equal(en->u.a[i], v);
        if (!hit)
            return daoc__strdup("matches none of the enum values");
    }
    if ((all = daoc_obj_get(s, "allOf")) && all->type == DAOC_TARR) {
        for (size_t i = 0; i < all->len; i++) {
            char pre[48];
            if ((e = validate(all->u.a[i], v, depth + 1))) {
                snprintf(pre, sizeof pre, "allOf %zu failed: ", i + 1);
                return wrap(e, pre);
            }
        }
    }
    return NULL;
}

int daoc__json_schema_check(const daoc_value *schema, const daoc_value *v, char **msg)
{
    *msg = validate(schema, v, 0);
    return *msg ? 0 : 1;
}
