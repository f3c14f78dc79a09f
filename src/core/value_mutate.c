/*
 * value_mutate.c -- changing a daoc_value tree in place: pushing onto
 * arrays, appending and setting object keys (copied or interned), and
 * taking values out of their containers (an embedded value leaves as a
 * copy, since it cannot outlive its block).  Growing a container whose
 * entries were inline moves them to a block of their own.
 */
#include <stdbool.h>
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"

/* Room for `cap` entries of `elem` bytes in container v (array or object):
 * realloc, or a first block of its own when the entries were inline. */
static void *grow_entries(daoc_value *v, void *cur, size_t cap, size_t elem)
{
    if (!(v->flags & DAOC__VF_INLINE))
        return daoc__realloc(cur, cap * elem);
    void *p = daoc__malloc(cap * elem);
    if (p) {
        if (v->len)
            memcpy(p, cur, v->len * elem);
        v->flags &= (uint8_t)~DAOC__VF_INLINE;
    }
    return p;
}

int daoc_arr_push(daoc_value *a, daoc_value *item)
{
    if (!a || a->type != DAOC_TARR || !item) {
        daoc_value_free(item);
        return DAOC_EINVAL;
    }
    if (a->len == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        daoc_value **p = grow_entries(a, a->u.a, cap, sizeof *p);
        if (!p) {
            daoc_value_free(item);
            return DAOC_ENOMEM;
        }
        a->u.a = p;
        a->cap = cap;
    }
    a->u.a[a->len++] = item;
    return DAOC_OK;
}

/* Appends key (copied, or pointed at when `interned`). */
static int append(daoc_value *o, const char *key, size_t klen, daoc_value *item, bool interned)
{
    if (!item)
        return DAOC_ENOMEM;
    if (o->len == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 8;
        daoc__kv *p = grow_entries(o, o->u.o, cap, sizeof *p);
        if (!p) {
            daoc_value_free(item);
            return DAOC_ENOMEM;
        }
        o->u.o = p;
        o->cap = cap;
    }
    char *k = interned ? (char *)key : daoc__strndup(key, klen);
    if (!k) {
        daoc_value_free(item);
        return DAOC_ENOMEM;
    }
    o->u.o[o->len].key = k;
    o->u.o[o->len].klen = klen;
    o->u.o[o->len].val = item;
    o->u.o[o->len].borrowed = interned;
    o->u.o[o->len].keytype = DAOC__KEY_STR;
    o->len++;
    return DAOC_OK;
}

int daoc__obj_append(daoc_value *o, const char *key, size_t klen, daoc_value *item)
{
    return append(o, key, klen, item, false);
}

int daoc__obj_append_interned(daoc_value *o, const char *ikey, size_t klen, daoc_value *item)
{
    return append(o, ikey, klen, item, true);
}

int daoc__obj_setn(daoc_value *o, const char *key, size_t klen, daoc_value *item)
{
    if (!o || o->type != DAOC_TOBJ || !item || !key) {
        daoc_value_free(item);
        return DAOC_EINVAL;
    }
    long i = daoc__obj_find(o, key, klen);
    if (i >= 0) {
        daoc_value_free(o->u.o[i].val);
        o->u.o[i].val = item;
        return DAOC_OK;
    }
    return daoc__obj_append(o, key, klen, item);
}

int daoc_obj_set(daoc_value *o, const char *key, daoc_value *item)
{
    if (!key) {
        daoc_value_free(item);
        return DAOC_EINVAL;
    }
    return daoc__obj_setn(o, key, strlen(key), item);
}

/* A value leaving its container for good: an embedded one cannot outlive
 * its block, so the caller gets a copy (NULL on ENOMEM). */
static daoc_value *detached(daoc_value *v)
{
    if (!v || !(v->flags & DAOC__VF_EMBEDDED))
        return v;
    daoc_value *c = daoc_value_copy(v);
    daoc_value_free(v);
    return c;
}

daoc_value *daoc__obj_take(daoc_value *o, const char *key, size_t klen)
{
    long i = daoc__obj_find(o, key, klen);
    if (i < 0)
        return NULL;
    daoc_value *val = o->u.o[i].val;
    if (!o->u.o[i].borrowed)
        daoc__free(o->u.o[i].key);
    memmove(&o->u.o[i], &o->u.o[i + 1], (o->len - (size_t)i - 1) * sizeof *o->u.o);
    o->len--;
    return detached(val);
}

bool daoc_obj_del(daoc_value *o, const char *key)
{
    if (daoc__obj_find(o, key, strlen(key)) < 0)
        return false;
    daoc_value_free(daoc__obj_take(o, key, strlen(key)));
    return true;
}

daoc_value *daoc__arr_take(daoc_value *a, size_t i)
{
    if (!a || a->type != DAOC_TARR || i >= a->len)
        return NULL;
    daoc_value *v = a->u.a[i];
    memmove(&a->u.a[i], &a->u.a[i + 1], (a->len - i - 1) * sizeof *a->u.a);
    a->len--;
    return detached(v);
}
