/*
 * value_order.c -- an order and a hash over daoc_value trees, and the two
 * things they make cheap on big arrays: comparing arrays as multisets
 * (Kong's immutable check) and dropping duplicate elements of a set, in
 * O(n log n) instead of comparing every pair of elements.
 *
 * daoc__value_cmp ranks null < booleans < numbers < strings < arrays <
 * objects < functions.  Numbers compare by exact value (an integer and a
 * number holding the same value are equal; NaN sorts after every number),
 * strings bytewise, arrays by length and then element by element,
 * functions by identity.  Objects compare by size and then by
 * daoc__value_hash, which ignores key order: objects ranked equal are
 * almost surely equal, and every user below confirms with
 * daoc__value_equal, so a collision costs time, never a wrong answer.
 * Where the two disagree otherwise (NaN, which equals nothing; an integer
 * beyond 2^53 against the float it rounds to), daoc__value_equal decides
 * within runs the order ranks equal.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return mix(h ^ n);
}

uint64_t daoc__value_hash(const daoc_value *v)
{
    if (!v)
        return 0;
    switch (v->type) {
    case DAOC_TNULL:
        return 0x6e756c6cull;
    case DAOC_TBOOL:
        return v->u.b ? 0x74727565ull : 0x66616c73ull;
    case DAOC_TINT:
    case DAOC_TNUM: { /* by the double: daoc__value_equal compares numbers so */
        double d = daoc_value_num(v);
        if (d == 0)
            d = 0; /* -0.0 */
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        return mix(bits ^ 0x6e756dull);
    }
    case DAOC_TSTR:
        return hash_bytes(v->u.s, v->len);
    case DAOC_TARR: {
        uint64_t h = mix(0x617272ull ^ v->len);
        for (size_t i = 0; i < v->len; i++)
            h = mix(h ^ daoc__value_hash(v->u.a[i]));
        return h;
    }
    case DAOC_TOBJ: { /* a sum: key order does not matter */
        uint64_t h = mix(0x6f626aull ^ v->len);
        for (size_t i = 0; i < v->len; i++)
            h += mix(hash_bytes(v->u.o[i].key, v->u.o[i].klen) ^ daoc__value_hash(v->u.o[i].val));
        return h;
    }
    case DAOC_TFUNC:
        return mix((uint64_t)(uintptr_t)v->u.f);
    default:
        return 0;
    }
}

static int rank(const daoc_value *v)
{
    switch (v->type) {
    case DAOC_TNULL:
        return 0;
    case DAOC_TBOOL:
        return 1;
    case DAOC_TINT:
    case DAOC_TNUM:
        return 2;
    case DAOC_TSTR:
        return 3;
    case DAOC_TARR:
        return 4;
    case DAOC_TOBJ:
        return 5;
    default:
        return 6;
    }
}

#define SIGN(x, y) (((x) > (y)) - ((x) < (y)))

/* Exact numeric order: a double equal to an integer's rounded value is
 * compared with the integer itself. */
static int cmp_num(const daoc_value *a, const daoc_value *b)
{
    if (a->type == DAOC_TINT && b->type == DAOC_TINT)
        return SIGN(a->u.i, b->u.i);
    double x = daoc_value_num(a), y = daoc_value_num(b);
    bool xn = isnan(x), yn = isnan(y);
    if (xn || yn)
        return (int)xn - (int)yn;
    if (x != y)
        return x < y ? -1 : 1;
    if (a->type == b->type)
        return 0; /* two numbers */
    /* one integer i, one number d == (double)i: d is integral */
    const daoc_value *iv = a->type == DAOC_TINT ? a : b;
    double d = a->type == DAOC_TINT ? y : x;
    int r; /* sign of i - d */
    if (d >= 9223372036854775808.0)
        r = -1;
    else
        r = SIGN(iv->u.i, (int64_t)d);
    return iv == a ? r : -r;
}

int daoc__value_cmp(const daoc_value *a, const daoc_value *b)
{
    if (!a || !b)
        return SIGN(a != NULL, b != NULL);
    int ra = rank(a), rb = rank(b);
    if (ra != rb)
        return SIGN(ra, rb);
    switch (ra) {
    case 0:
        return 0;
    case 1:
        return SIGN(a->u.b, b->u.b);
    case 2:
        return cmp_num(a, b);
    case 3: {
        int c = memcmp(a->u.s, b->u.s, a->len < b->len ? a->len : b->len);
        return c ? SIGN(c, 0) : SIGN(a->len, b->len);
    }
    case 4:
        if (a->len != b->len)
            return SIGN(a->len, b->len);
        for (size_t i = 0; i < a->len; i++) {
            int c = daoc__value_cmp(a->u.a[i], b->u.a[i]);
            if (c)
                return c;
        }
        return 0;
    case 5: {
        if (a->len != b->len)
            return SIGN(a->len, b->len);
        uint64_t ha = daoc__value_hash(a), hb = daoc__value_hash(b);
        return SIGN(ha, hb);
    }
    default:
        return SIGN((uintptr_t)a->u.f, (uintptr_t)b->u.f);
    }
}

static int cmp_ptr(const void *x, const void *y)
{
    return daoc__value_cmp(*(const daoc_value *const *)x, *(const daoc_value *const *)y);
}

/* Penlight's matching within one run of elements the order ranks equal:
 * every element of a[0..n) taken by a distinct equal element of b[0..n). */
static int match_run(daoc_value *const *a, daoc_value *const *b, size_t n, bool *same)
{
    bool *used = daoc__calloc(n, sizeof *used);
    if (!used)
        return DAOC_ENOMEM;
    *same = true;
    for (size_t i = 0; i < n && *same; i++) {
        bool found = false;
        for (size_t k = 0; k < n && !found; k++)
            if (!used[k] && daoc__value_equal(a[i], b[k]))
                used[k] = found = true;
        *same = found;
    }
    daoc__free(used);
    return DAOC_OK;
}

int daoc__value_same_elements(const daoc_value *a, const daoc_value *b, bool *same)
{
    *same = false;
    if (!a || !b || a->type != DAOC_TARR || b->type != DAOC_TARR || a->len != b->len)
        return DAOC_OK;
    size_t n = a->len;
    if (n < 2) {
        *same = n == 0 || daoc__value_equal(a->u.a[0], b->u.a[0]);
        return DAOC_OK;
    }
    daoc_value **sa = daoc__malloc(2 * n * sizeof *sa);
    if (!sa)
        return DAOC_ENOMEM;
    daoc_value **sb = sa + n;
    memcpy(sa, a->u.a, n * sizeof *sa);
    memcpy(sb, b->u.a, n * sizeof *sb);
    qsort(sa, n, sizeof *sa, cmp_ptr);
    qsort(sb, n, sizeof *sb, cmp_ptr);
    int rc = DAOC_OK;
    bool all = true;
    for (size_t i = 0; i < n && all; i++)
        all = daoc__value_cmp(sa[i], sb[i]) == 0;
    /* equal multisets rank equal position by position; confirm each run */
    for (size_t s = 0; s < n && all && rc == DAOC_OK;) {
        size_t e = s + 1;
        while (e < n && daoc__value_cmp(sa[s], sa[e]) == 0)
            e++;
        bool pairwise = true;
        for (size_t k = s; k < e && pairwise; k++)
            pairwise = daoc__value_equal(sa[k], sb[k]);
        if (!pairwise)
            rc = match_run(sa + s, sb + s, e - s, &all);
        s = e;
    }
    daoc__free(sa);
    *same = all && rc == DAOC_OK;
    return rc;
}

/* Element i of the array being de-duplicated, for sorting by value and
 * then by position. */
typedef struct slot {
    const daoc_value *v;
    size_t pos;
} slot;

static int cmp_slot(const void *x, const void *y)
{
    const slot *p = x, *q = y;
    int c = daoc__value_cmp(p->v, q->v);
    return c ? c : SIGN(p->pos, q->pos);
}

static bool is_table(const daoc_value *v)
{
    return v && (v->type == DAOC_TARR || v->type == DAOC_TOBJ);
}

/* Sets up to this size are de-duplicated pair by pair: at most 120
 * comparisons, no allocation (nearly every set: tags of an entity). */
#define DEDUPE_PAIRWISE_MAX 16

/* The pairwise de-duplication: for small sets, and for when there is no
 * memory for the sort.  A later element equal to a kept one goes. */
static void dedupe_pairwise(daoc_value *arr)
{
    size_t out = 0;
    for (size_t i = 0; i < arr->len; i++) {
        daoc_value *e = arr->u.a[i];
        bool dup = false;
        for (size_t k = 0; k < out && !dup && !is_table(e); k++)
            dup = !is_table(arr->u.a[k]) && daoc__value_equal(arr->u.a[k], e);
        if (dup)
            daoc_value_free(e);
        else
            arr->u.a[out++] = e;
    }
    arr->len = out;
}

void daoc__arr_dedupe_scalars(daoc_value *arr)
{
    if (!arr || arr->type != DAOC_TARR || arr->len < 2)
        return;
    if (arr->len <= DEDUPE_PAIRWISE_MAX) {
        dedupe_pairwise(arr);
        return;
    }
    size_t n = arr->len, m = 0;
    slot *sl = daoc__malloc(n * sizeof *sl);
    bool *dup = sl ? daoc__calloc(n, sizeof *dup) : NULL;
    if (!dup) {
        daoc__free(sl);
        dedupe_pairwise(arr);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (!is_table(arr->u.a[i]))
            sl[m++] = (slot){arr->u.a[i], i};
    qsort(sl, m, sizeof *sl, cmp_slot);
    /* in a run of equal rank the first is the earliest occurrence; a later
     * one equal to an earlier kept one goes (within a run, by
     * daoc__value_equal: NaN stays, as it equals nothing) */
    for (size_t s = 0; s < m;) {
        size_t e = s + 1;
        while (e < m && daoc__value_cmp(sl[s].v, sl[e].v) == 0)
            e++;
        for (size_t k = s + 1; k < e; k++) {
            if (daoc__value_equal(sl[s].v, sl[k].v)) {
                dup[sl[k].pos] = true;
                continue;
            }
            for (size_t j = s + 1; j < k; j++) /* NaN and the like: rare */
                if (!dup[sl[j].pos] && daoc__value_equal(sl[j].v, sl[k].v)) {
                    dup[sl[k].pos] = true;
                    break;
                }
        }
        s = e;
    }
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (dup[i])
            daoc_value_free(arr->u.a[i]);
        else
            arr->u.a[out++] = arr->u.a[i];
    }
    arr->len = out;
    daoc__free(sl);
    daoc__free(dup);
}
