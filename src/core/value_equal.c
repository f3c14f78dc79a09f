/*
 * value_equal.c -- deep equality of daoc_value trees (daoc__value_equal):
 * integers and numbers compare numerically, object key order is ignored,
 * functions compare by identity.  Big objects are compared by sorting both
 * key lists instead of looking every key up.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"

/* Objects above this many keys are compared by sorting both key lists
 * (n log n) instead of looking every key up (n^2). */
#define SORTED_EQUAL_MIN 16

/* daoc__value_equal of two objects of equal size, keys unique: 1 or 0, or
 * -1 when there is no memory for the sort (the caller then looks up). */
static int equal_sorted(const daoc_value *a, const daoc_value *b)
{
    size_t n = a->len;
    const daoc__kv **sa = daoc__malloc(2 * n * sizeof *sa);
    if (!sa)
        return -1;
    const daoc__kv **sb = sa + n;
    for (size_t i = 0; i < n; i++) {
        sa[i] = &a->u.o[i];
        sb[i] = &b->u.o[i];
    }
    qsort(sa, n, sizeof *sa, daoc__kv_cmp);
    qsort(sb, n, sizeof *sb, daoc__kv_cmp);
    int same = 1;
    for (size_t i = 0; i < n && same; i++)
        same = daoc__kv_cmp(&sa[i], &sb[i]) == 0 && daoc__value_equal(sa[i]->val, sb[i]->val);
    daoc__free(sa);
    return same;
}

bool daoc__value_equal(const daoc_value *a, const daoc_value *b)
{
    if (!a || !b)
        return a == b;
    if (daoc__is_number(a) && daoc__is_number(b)) {
        if (a->type == DAOC_TINT && b->type == DAOC_TINT)
            return a->u.i == b->u.i;
        return daoc_value_num(a) == daoc_value_num(b);
    }
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case DAOC_TNULL:
        return true;
    case DAOC_TBOOL:
        return a->u.b == b->u.b;
    case DAOC_TSTR:
        return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
    case DAOC_TFUNC:
        return a->u.f == b->u.f;
    case DAOC_TARR:
        if (a->len != b->len)
            return false;
        for (size_t i = 0; i < a->len; i++)
            if (!daoc__value_equal(a->u.a[i], b->u.a[i]))
                return false;
        return true;
    case DAOC_TOBJ:
        if (a->len != b->len)
            return false;
        if (a->len > SORTED_EQUAL_MIN) {
            int same = equal_sorted(a, b);
            if (same >= 0)
                return same;
        }
        for (size_t i = 0; i < a->len; i++) {
            const daoc_value *bv = daoc__obj_getn(b, a->u.o[i].key, a->u.o[i].klen);
            if (!bv || !daoc__value_equal(a->u.o[i].val, bv))
                return false;
        }
        return true;
    default:
        return false;
    }
}
