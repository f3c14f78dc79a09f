/*
 * value_copy.c -- deep copies of daoc_value trees: daoc_value_copy, and
 * daoc__obj_copy_room for an object about to gain fields.  Copies are
 * ordinary allocations (never DAOC__VF_EMBEDDED), share interned keys and
 * callables (by reference), and keep the informational flags.
 */
#include <stdint.h>

#include "core/alloc.h"
#include "core/value.h"

daoc_value *daoc_value_copy(const daoc_value *v)
{
    if (!v)
        return NULL;
    switch (v->type) {
    case DAOC_TNULL:
        return daoc_null();
    case DAOC_TBOOL:
        return daoc_bool(v->u.b);
    case DAOC_TINT:
        return daoc_int(v->u.i);
    case DAOC_TNUM:
        return daoc_num(v->u.n);
    case DAOC_TSTR:
        return daoc_strn(v->u.s, v->len);
    case DAOC_TFUNC:
        daoc__callable_ref(v->u.f);
        return daoc__func(v->u.f);
    case DAOC_TARR: {
        daoc_value *c = daoc__arr_sized(v->len);
        if (!c)
            return NULL;
        c->flags = (uint8_t)((v->flags & ~(DAOC__VF_INLINE | DAOC__VF_EMBEDDED)) |
                             (c->flags & DAOC__VF_INLINE));
        for (size_t i = 0; i < v->len; i++) {
            c->u.a[i] = daoc_value_copy(v->u.a[i]);
            if (!c->u.a[i]) {
                daoc_value_free(c);
                return NULL;
            }
            c->len++;
        }
        return c;
    }
    case DAOC_TOBJ:
        return daoc__obj_copy_room(v, 0);
    default:
        return NULL;
    }
}

daoc_value *daoc__obj_copy_room(const daoc_value *v, size_t room)
{
    daoc_value *c = daoc__obj_sized(v->len > room ? v->len : room);
    if (!c)
        return NULL;
    c->flags = (uint8_t)((v->flags & ~(DAOC__VF_INLINE | DAOC__VF_EMBEDDED)) |
                         (c->flags & DAOC__VF_INLINE));
    for (size_t i = 0; i < v->len; i++) {
        daoc__kv *kv = &c->u.o[i];
        kv->borrowed = v->u.o[i].borrowed;
        kv->keytype = v->u.o[i].keytype;
        kv->key = kv->borrowed ? v->u.o[i].key : daoc__strndup(v->u.o[i].key, v->u.o[i].klen);
        kv->klen = v->u.o[i].klen;
        kv->val = kv->key ? daoc_value_copy(v->u.o[i].val) : NULL;
        if (!kv->val) {
            if (!kv->borrowed)
                daoc__free(kv->key);
            daoc_value_free(c);
            return NULL;
        }
        c->len++;
    }
    return c;
}
