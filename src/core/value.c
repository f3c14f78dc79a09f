/*
 * value.c -- the daoc_value tree itself: the constructors of every kind of
 * value, freeing a tree, and reading one (type, scalars, array elements,
 * object lookups by key), plus the byte order of object keys that sorting
 * code shares.
 *
 * Changing a tree is value_mutate.c, copying it value_copy.c, comparing
 * value_equal.c and value_order.c, rendering it for Kong's messages
 * value_render.c, and building rows in one allocation value_bump.c.  It
 * does not parse or print JSON (json.c) and knows nothing of schemas.
 */
#include "core/value.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"

static daoc_value *new_value(daoc_type t)
{
    daoc_value *v = daoc__calloc(1, sizeof *v);
    if (v)
        v->type = (uint8_t)t;
    return v;
}

/* The plain constructors are the carved ones (below) without a block. */
daoc_value *daoc_null(void) { return daoc__bump_null(NULL); }
daoc_value *daoc_bool(bool b) { return daoc__bump_bool(NULL, b); }
daoc_value *daoc_int(int64_t i) { return daoc__bump_int(NULL, i); }
daoc_value *daoc_num(double n) { return daoc__bump_num(NULL, n); }

/* A string value and its bytes are one allocation: the bytes follow the
 * struct (rows are mostly strings, and allocation dominates building them).
 * Nothing may free or replace u.s of a TSTR on its own. */
daoc_value *daoc_strn(const char *s, size_t len)
{
    return daoc__bump_strn(NULL, s ? s : "", s ? len : 0);
}

daoc_value *daoc_str(const char *s) { return daoc_strn(s, s ? strlen(s) : 0); }

/* New arrays and objects come with room for a few entries in the same
 * allocation (DAOC__VF_INLINE): most hold few (a primary key, a foreign
 * key, tags), and growing past them moves the entries out as usual. */
#define SMALL_CAP 4

daoc_value *daoc_arr(void) { return daoc__bump_arr(NULL, SMALL_CAP); }

daoc_value *daoc_obj(void) { return daoc__bump_obj(NULL, SMALL_CAP); }

daoc_value *daoc__obj_sized(size_t cap) { return daoc__bump_obj(NULL, cap); }

daoc_value *daoc__arr_sized(size_t cap) { return daoc__bump_arr(NULL, cap); }

void daoc__callable_ref(daoc__callable *c)
{
    if (c)
        c->refs++;
}

void daoc__callable_unref(daoc__callable *c)
{
    if (c && --c->refs <= 0 && c->release)
        c->release(c);
}

daoc_value *daoc__func(daoc__callable *c)
{
    daoc_value *v = new_value(DAOC_TFUNC);
    if (!v) {
        daoc__callable_unref(c);
        return NULL;
    }
    v->u.f = c;
    return v;
}

void daoc_value_free(daoc_value *v)
{
    if (!v)
        return;
    switch (v->type) {
    case DAOC_TSTR: /* bytes live in the same block (daoc_strn) */
        break;
    case DAOC_TARR:
        for (size_t i = 0; i < v->len; i++)
            daoc_value_free(v->u.a[i]);
        if (!(v->flags & DAOC__VF_INLINE))
            daoc__free(v->u.a);
        break;
    case DAOC_TOBJ:
        for (size_t i = 0; i < v->len; i++) {
            if (!v->u.o[i].borrowed)
                daoc__free(v->u.o[i].key);
            daoc_value_free(v->u.o[i].val);
        }
        if (!(v->flags & DAOC__VF_INLINE))
            daoc__free(v->u.o);
        break;
    case DAOC_TFUNC:
        daoc__callable_unref(v->u.f);
        break;
    default:
        break;
    }
    if (!(v->flags & DAOC__VF_EMBEDDED)) /* else it goes with its block */
        daoc__free(v);
}

daoc_type daoc_value_type(const daoc_value *v) { return (daoc_type)v->type; }

bool daoc_value_bool(const daoc_value *v) { return v->type == DAOC_TBOOL && v->u.b; }

int64_t daoc_value_int(const daoc_value *v)
{
    if (v->type == DAOC_TINT)
        return v->u.i;
    if (v->type == DAOC_TNUM && isfinite(v->u.n) && v->u.n > -9.2e18 && v->u.n < 9.2e18)
        return (int64_t)v->u.n;
    return 0;
}

double daoc_value_num(const daoc_value *v)
{
    if (v->type == DAOC_TNUM)
        return v->u.n;
    if (v->type == DAOC_TINT)
        return (double)v->u.i;
    return 0.0;
}

const char *daoc_value_str(const daoc_value *v, size_t *len)
{
    if (v->type != DAOC_TSTR)
        return NULL;
    if (len)
        *len = v->len;
    return v->u.s;
}

size_t daoc_value_len(const daoc_value *v)
{
    return (v->type == DAOC_TARR || v->type == DAOC_TOBJ) ? v->len : 0;
}

const daoc_value *daoc_arr_get(const daoc_value *a, size_t i)
{
    if (!a || a->type != DAOC_TARR || i >= a->len)
        return NULL;
    return a->u.a[i];
}

long daoc__obj_find(const daoc_value *o, const char *key, size_t klen)
{
    if (!o || o->type != DAOC_TOBJ)
        return -1;
    for (size_t i = 0; i < o->len; i++) {
        const daoc__kv *kv = &o->u.o[i];
        /* the first byte before a memcmp call: most keys differ there */
        if (kv->klen == klen && (klen == 0 || (kv->key[0] == key[0] &&
                                               memcmp(kv->key, key, klen) == 0)))
            return (long)i;
    }
    return -1;
}

daoc_value *daoc__obj_getn(const daoc_value *o, const char *key, size_t klen)
{
    long i = daoc__obj_find(o, key, klen);
    return i < 0 ? NULL : o->u.o[i].val;
}

const daoc_value *daoc_obj_get(const daoc_value *o, const char *key)
{
    return daoc__obj_getn(o, key, strlen(key));
}

const char *daoc_obj_key_at(const daoc_value *o, size_t i, const daoc_value **val)
{
    if (!o || o->type != DAOC_TOBJ || i >= o->len)
        return NULL;
    if (val)
        *val = o->u.o[i].val;
    return o->u.o[i].key;
}
int daoc__kv_cmp(const void *a, const void *b)
{
    const daoc__kv *x = *(const daoc__kv *const *)a, *y = *(const daoc__kv *const *)b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

bool daoc__value_is_empty(const daoc_value *v)
{
    if (!v || v->type == DAOC_TNULL)
        return true;
    if (v->type == DAOC_TSTR || v->type == DAOC_TARR || v->type == DAOC_TOBJ)
        return v->len == 0;
    return false;
}
