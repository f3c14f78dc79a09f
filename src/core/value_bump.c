/*
 * value_bump.c -- rows in one allocation (value.h): daoc__obj_block hands
 * out an object with room after it, and the daoc__bump_* constructors carve
 * strings, scalars, arrays and objects (DAOC__VF_EMBEDDED) from that room,
 * each falling back to an allocation of its own when the room is used up or
 * there is no block.  The plain constructors of value.c are these without a
 * block.  daoc__bump_size and daoc__bump_copy size and make carved copies.
 */
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"

static size_t round8(size_t n) { return (n + 7) & ~(size_t)7; }

daoc_value *daoc__obj_block(size_t cap, size_t extra, daoc__bump *b)
{
    b->p = b->end = NULL;
    if (cap > (SIZE_MAX / 2) / sizeof(daoc__kv) || extra > SIZE_MAX / 4)
        return NULL;
    size_t head = round8(sizeof(daoc_value) + cap * sizeof(daoc__kv));
    daoc_value *v = daoc__malloc(head + extra);
    if (!v)
        return NULL;
    memset(v, 0, sizeof *v);
    v->type = DAOC_TOBJ;
    if (cap) {
        v->flags = DAOC__VF_INLINE;
        v->u.o = (daoc__kv *)(void *)(v + 1);
        v->cap = cap;
    }
    b->p = (char *)v + head;
    b->end = b->p + extra;
    return v;
}

/* n bytes (rounded up to 8) from b, or NULL when there is no room. */
static void *bump_take(daoc__bump *b, size_t n)
{
    n = round8(n);
    if (!b || !b->p || (size_t)(b->end - b->p) < n)
        return NULL;
    void *p = b->p;
    b->p += n;
    return p;
}

/* A value of type t with `extra` bytes after it: carved from b when it has
 * room (DAOC__VF_EMBEDDED), else allocated on its own.  Zeroed header. */
static daoc_value *bump_value(daoc__bump *b, daoc_type t, size_t extra)
{
    daoc_value *v = bump_take(b, sizeof *v + extra);
    uint8_t flags = DAOC__VF_EMBEDDED;
    if (!v) {
        v = extra ? daoc__malloc(sizeof *v + extra) : daoc__calloc(1, sizeof *v);
        flags = 0;
    }
    if (v) {
        memset(v, 0, sizeof *v);
        v->type = (uint8_t)t;
        v->flags = flags;
    }
    return v;
}

daoc_value *daoc__bump_strn(daoc__bump *b, const char *s, size_t n)
{
    if (n > SIZE_MAX - sizeof(daoc_value) - 16)
        return NULL;
    daoc_value *v = bump_value(b, DAOC_TSTR, n + 1);
    if (!v)
        return NULL;
    v->u.s = (char *)(v + 1);
    if (n)
        memcpy(v->u.s, s, n);
    v->u.s[n] = '\0';
    v->len = n;
    return v;
}

daoc_value *daoc__bump_int(daoc__bump *b, int64_t i)
{
    daoc_value *v = bump_value(b, DAOC_TINT, 0);
    if (v)
        v->u.i = i;
    return v;
}

daoc_value *daoc__bump_num(daoc__bump *b, double n)
{
    daoc_value *v = bump_value(b, DAOC_TNUM, 0);
    if (v)
        v->u.n = n;
    return v;
}

daoc_value *daoc__bump_bool(daoc__bump *b, bool x)
{
    daoc_value *v = bump_value(b, DAOC_TBOOL, 0);
    if (v)
        v->u.b = x;
    return v;
}

daoc_value *daoc__bump_null(daoc__bump *b) { return bump_value(b, DAOC_TNULL, 0); }

/* An array or object with room for `cap` entries after it (inline),
 * carved from b or allocated on its own. */
static daoc_value *bump_container(daoc__bump *b, daoc_type t, size_t cap, size_t elem)
{
    if (cap > (SIZE_MAX / 2) / elem)
        return NULL;
    daoc_value *v = bump_value(b, t, cap * elem);
    if (v && cap) {
        v->flags |= DAOC__VF_INLINE;
        if (t == DAOC_TOBJ)
            v->u.o = (daoc__kv *)(void *)(v + 1);
        else
            v->u.a = (daoc_value **)(void *)(v + 1);
        v->cap = cap;
    }
    return v;
}

daoc_value *daoc__bump_arr(daoc__bump *b, size_t cap)
{
    return bump_container(b, DAOC_TARR, cap, sizeof(daoc_value *));
}

daoc_value *daoc__bump_obj(daoc__bump *b, size_t cap)
{
    return bump_container(b, DAOC_TOBJ, cap, sizeof(daoc__kv));
}

size_t daoc__bump_size(const daoc_value *v)
{
    if (!v)
        return 0;
    switch (v->type) {
    case DAOC_TSTR:
        return DAOC__BUMP_STR(v->len);
    case DAOC_TARR: {
        size_t n = round8(DAOC__BUMP_ARR(v->len));
        for (size_t i = 0; i < v->len; i++)
            n += daoc__bump_size(v->u.a[i]);
        return n;
    }
    case DAOC_TOBJ:
    case DAOC_TFUNC:
        return 0;
    default:
        return DAOC__BUMP_SCALAR;
    }
}

daoc_value *daoc__bump_copy(daoc__bump *b, const daoc_value *v)
{
    if (!v)
        return NULL;
    switch (v->type) {
    case DAOC_TNULL:
        return daoc__bump_null(b);
    case DAOC_TBOOL:
        return daoc__bump_bool(b, v->u.b);
    case DAOC_TINT:
        return daoc__bump_int(b, v->u.i);
    case DAOC_TNUM:
        return daoc__bump_num(b, v->u.n);
    case DAOC_TSTR:
        return daoc__bump_strn(b, v->u.s, v->len);
    case DAOC_TARR: {
        daoc_value *a = daoc__bump_arr(b, v->len);
        if (!a)
            return NULL;
        a->flags |= (uint8_t)(v->flags & (DAOC__VF_SET | DAOC__VF_EMPTYTABLE));
        for (size_t i = 0; i < v->len; i++) {
            daoc_value *e = daoc__bump_copy(b, v->u.a[i]);
            if (!e || daoc_arr_push(a, e) != DAOC_OK) {
                daoc_value_free(a);
                return NULL;
            }
        }
        return a;
    }
    default:
        return daoc_value_copy(v);
    }
}
