/*
 * args_infer.c -- Kong's schema-driven inference of form and query
 * arguments (arguments.lua infer_value): the strings a request carries
 * become the types the schema's fields declare -- numbers, booleans,
 * arrays of one -- and "" becomes null, so that validation sees what a
 * JSON body would have said.  Strings that do not convert are kept, and
 * validation rejects them later.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "admin/args.h"
#include "core/alloc.h"
#include "core/value.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Lua's tonumber on the whole of s[0..n): a new integer or number, or NULL
 * when s is not a number (or on ENOMEM: the string is kept either way). */
static daoc_value *to_number(const char *s, size_t n)
{
    if (n == 0 || memchr(s, 0, n))
        return NULL;
    size_t a = 0, b = n;
    while (a < b && is_blank(s[a]))
        a++;
    while (b > a && is_blank(s[b - 1]))
        b--;
    if (a == b)
        return NULL;
    char *text = daoc__strndup(s + a, b - a);
    if (!text)
        return NULL;
    daoc_value *v = NULL;
    char *end;
    /* strtod also reads "inf", "nan" and "infinity", which Lua refuses;
     * no other number (hex ones included) has an 'i' or an 'n' */
    if (strpbrk(text, "iInN"))
        goto done;
    errno = 0;
    long long ll = strtoll(text, &end, 10);
    if (*end == 0 && errno == 0) {
        v = daoc_int((int64_t)ll);
        goto done;
    }
    errno = 0;
    double d = strtod(text, &end);
    if (*end != 0 || end == text || !isfinite(d))
        goto done;
    if (d == trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
        v = daoc_int((int64_t)d);
    else
        v = daoc_num(d);
done:
    daoc__free(text);
    return v;
}

/* The definition of field name[0..n) in `fields`, or NULL. */
static const daoc_value *field_def(const daoc_value *fields, const char *name, size_t n)
{
    if (!fields || fields->type != DAOC_TARR)
        return NULL;
    for (size_t i = 0; i < fields->len; i++) {
        const daoc_value *f = fields->u.a[i];
        if (f && f->type == DAOC_TOBJ && f->len == 1 && f->u.o[0].klen == n &&
            memcmp(f->u.o[0].key, name, n) == 0)
            return f->u.o[0].val;
    }
    return NULL;
}

static const char *type_of(const daoc_value *def)
{
    const daoc_value *t = daoc__obj_getn(def, "type", 4);
    return t && t->type == DAOC_TSTR ? t->u.s : "";
}

static int infer_value(daoc_value **slot, const daoc_value *def);

static int infer_members(daoc_value *obj, const daoc_value *fields)
{
    for (size_t i = 0; i < obj->len; i++) {
        const daoc_value *def = field_def(fields, obj->u.o[i].key, obj->u.o[i].klen);
        if (def) {
            int rc = infer_value(&obj->u.o[i].val, def);
            if (rc != DAOC_OK)
                return rc;
        }
    }
    return DAOC_OK;
}

static void replace(daoc_value **slot, daoc_value *nv)
{
    if (nv) {
        daoc_value_free(*slot);
        *slot = nv;
    }
}

static int infer_value(daoc_value **slot, const daoc_value *def)
{
    daoc_value *v = *slot;
    if (!v || !def || def->type != DAOC_TOBJ)
        return DAOC_OK;
    if (v->type == DAOC_TSTR && v->len == 0) {
        daoc_value *nv = daoc_null();
        if (!nv)
            return DAOC_ENOMEM;
        replace(slot, nv);
        return DAOC_OK;
    }
    const char *type = type_of(def);
    if (strcmp(type, "number") == 0 || strcmp(type, "integer") == 0) {
        if (v->type == DAOC_TSTR)
            replace(slot, to_number(v->u.s, v->len));
    } else if (strcmp(type, "boolean") == 0) {
        if (v->type == DAOC_TSTR && ((v->len == 4 && memcmp(v->u.s, "true", 4) == 0) ||
                                     (v->len == 5 && memcmp(v->u.s, "false", 5) == 0))) {
            daoc_value *nv = daoc_bool(v->u.s[0] == 't');
            if (!nv)
                return DAOC_ENOMEM;
            replace(slot, nv);
        }
    } else if (strcmp(type, "array") == 0 || strcmp(type, "set") == 0) {
        if (v->type != DAOC_TARR && v->type != DAOC_TOBJ && v->type != DAOC_TNULL) {
            daoc_value *arr = daoc_arr();
            if (!arr)
                return DAOC_ENOMEM;
            *slot = arr;
            if (daoc_arr_push(arr, v) != DAOC_OK)
                return DAOC_ENOMEM; /* v is freed; the empty array stays */
            v = arr;
        }
        if (v->type == DAOC_TARR) {
            const daoc_value *el = daoc__obj_getn(def, "elements", 8);
            for (size_t i = 0; i < v->len; i++) {
                int rc = infer_value(&v->u.a[i], el);
                if (rc != DAOC_OK)
                    return rc;
            }
        }
    } else if (strcmp(type, "record") == 0) {
        if (v->type == DAOC_TOBJ)
            return infer_members(v, daoc__obj_getn(def, "fields", 6));
    } else if (strcmp(type, "map") == 0) {
        if (v->type == DAOC_TOBJ) {
            const daoc_value *vals = daoc__obj_getn(def, "values", 6);
            for (size_t i = 0; i < v->len; i++) {
                int rc = infer_value(&v->u.o[i].val, vals);
                if (rc != DAOC_OK)
                    return rc;
            }
        }
    } else if (strcmp(type, "foreign") == 0) {
        /* the referenced schema is not at hand: only "" -> null */
        if (v->type == DAOC_TOBJ) {
            for (size_t i = 0; i < v->len; i++) {
                daoc_value *m = v->u.o[i].val;
                if (m && m->type == DAOC_TSTR && m->len == 0) {
                    daoc_value *nv = daoc_null();
                    if (!nv)
                        return DAOC_ENOMEM;
                    replace(&v->u.o[i].val, nv);
                }
            }
        }
    }
    return DAOC_OK;
}

int daoc__args_infer(daoc_value *v, const daoc_value *fields)
{
    if (!v || v->type != DAOC_TOBJ || !fields)
        return DAOC_OK;
    return infer_members(v, fields);
}
