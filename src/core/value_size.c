/*
 * value_size.c -- an estimate of the heap bytes a daoc_value tree holds
 * (daoc__value_bytes), for memory accounting such as the entity cache's
 * size bound.  It counts each value node, string bytes, array slots and
 * object key/value slots (capacity, not length) and non-interned key
 * text, plus a fixed per-allocation overhead; it is an estimate of what
 * a deep copy costs, not an exact malloc figure.
 */
#include <stdint.h>

#include "core/value.h"

/* What malloc adds to every block, roughly (glibc: 8-16 bytes). */
#define ALLOC_OVERHEAD 16

size_t daoc__value_bytes(const daoc_value *v)
{
    if (!v)
        return 0;
    size_t n = sizeof(daoc_value) + ALLOC_OVERHEAD;
    switch (v->type) {
    case DAOC_TSTR:
        n += v->len + 1 + ALLOC_OVERHEAD;
        break;
    case DAOC_TARR:
        n += v->cap * sizeof(daoc_value *) + ALLOC_OVERHEAD;
        for (size_t i = 0; i < v->len; i++)
            n += daoc__value_bytes(v->u.a[i]);
        break;
    case DAOC_TOBJ:
        n += v->cap * sizeof(daoc__kv) + ALLOC_OVERHEAD;
        for (size_t i = 0; i < v->len; i++) {
            if (!v->u.o[i].borrowed)
                n += v->u.o[i].klen + 1 + ALLOC_OVERHEAD;
            n += daoc__value_bytes(v->u.o[i].val);
        }
        break;
    default:
        break;
    }
    return n;
}
