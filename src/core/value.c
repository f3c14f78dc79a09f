/*
 * value.c -- the daoc_value tree: construction, inspection, mutation, deep
 * copy and equality, plus the Lua-compatible text renderings Kong's messages
 * are built from (tostring and Penlight's pretty.write).
 *
 * It does not parse or print JSON (json.c) and knows nothing of schemas.
 */
#include "core/value.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"

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

static daoc_value *new_sized(daoc_type t, size_t cap, size_t elem);

/* New arrays and objects come with room for a few entries in the same
 * allocation (DAOC__VF_INLINE): most hold few (a primary key, a foreign
 * key, tags), and growing past them moves the entries out as usual. */
#define SMALL_CAP 4

daoc_value *daoc_arr(void) { return new_sized(DAOC_TARR, SMALL_CAP, sizeof(daoc_value *)); }

daoc_value *daoc_obj(void) { return new_sized(DAOC_TOBJ, SMALL_CAP, sizeof(daoc__kv)); }

/* The value and its `cap` entries in one block (DAOC__VF_INLINE): one
 * allocation per row or array instead of two. */
static daoc_value *bump_container(daoc__bump *b, daoc_type t, size_t cap, size_t elem);

static daoc_value *new_sized(daoc_type t, size_t cap, size_t elem)
{
    return bump_container(NULL, t, cap, elem);
}

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

daoc_value *daoc__obj_sized(size_t cap) { return new_sized(DAOC_TOBJ, cap, sizeof(daoc__kv)); }

/* ---- rows in one block (value.h) ---- */

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

daoc_value *daoc__arr_sized(size_t cap)
{
    return new_sized(DAOC_TARR, cap, sizeof(daoc_value *));
}

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

static int cmp_kv(const void *a, const void *b);

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
    qsort(sa, n, sizeof *sa, cmp_kv);
    qsort(sb, n, sizeof *sb, cmp_kv);
    int same = 1;
    for (size_t i = 0; i < n && same; i++)
        same = cmp_kv(&sa[i], &sb[i]) == 0 && daoc__value_equal(sa[i]->val, sb[i]->val);
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

bool daoc__value_is_empty(const daoc_value *v)
{
    if (!v || v->type == DAOC_TNULL)
        return true;
    if (v->type == DAOC_TSTR || v->type == DAOC_TARR || v->type == DAOC_TOBJ)
        return v->len == 0;
    return false;
}

/* Lua's tostring for numbers: "%.14g", integers without a fraction. */
static void put_number(daoc__buf *b, const daoc_value *v)
{
    if (v->type == DAOC_TINT) {
        daoc__buf_printf(b, "%lld", (long long)v->u.i);
        return;
    }
    double n = v->u.n;
    if (isnan(n))
        daoc__buf_puts(b, n != n && signbit(n) ? "-nan" : "nan");
    else if (isinf(n))
        daoc__buf_puts(b, n > 0 ? "inf" : "-inf");
    else
        daoc__buf_printf(b, "%.14g", n);
}

void daoc__value_tostring(daoc__buf *b, const daoc_value *v)
{
    if (!v) {
        daoc__buf_puts(b, "nil");
        return;
    }
    switch (v->type) {
    case DAOC_TNULL:
        daoc__buf_puts(b, "userdata: NULL");
        break;
    case DAOC_TBOOL:
        daoc__buf_puts(b, v->u.b ? "true" : "false");
        break;
    case DAOC_TINT:
    case DAOC_TNUM:
        put_number(b, v);
        break;
    case DAOC_TSTR:
        daoc__buf_append(b, v->u.s, v->len);
        break;
    case DAOC_TFUNC:
        daoc__buf_puts(b, "function");
        break;
    case DAOC_TARR:
    case DAOC_TOBJ: {
        char *p = daoc__value_pretty(v, NULL);
        if (p)
            daoc__buf_puts(b, p);
        else
            b->failed = true;
        daoc__free(p);
        break;
    }
    default:
        break;
    }
}

/* Penlight quotes strings with %q-like escaping; Kong's messages only carry
 * plain identifiers and values, so escape the characters that would make the
 * rendering ambiguous. */
static void put_quoted(daoc__buf *b, const char *s, size_t n)
{
    daoc__buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            daoc__buf_putc(b, '\\');
            daoc__buf_putc(b, (char)c);
        } else if (c == '\n') {
            daoc__buf_puts(b, "\\n");
        } else if (c == '\r') {
            daoc__buf_puts(b, "\\r");
        } else if (c == 0) {
            daoc__buf_puts(b, "\\0");
        } else {
            daoc__buf_putc(b, (char)c);
        }
    }
    daoc__buf_putc(b, '"');
}

static bool is_identifier(const char *k, size_t n)
{
    if (n == 0 || !((k[0] >= 'a' && k[0] <= 'z') || (k[0] >= 'A' && k[0] <= 'Z') || k[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

static int cmp_kv(const void *a, const void *b)
{
    const daoc__kv *x = *(const daoc__kv *const *)a, *y = *(const daoc__kv *const *)b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

static int cmp_kv_int(const void *a, const void *b)
{
    const daoc__kv *x = *(const daoc__kv *const *)a, *y = *(const daoc__kv *const *)b;
    long xi = strtol(x->key, NULL, 10), yi = strtol(y->key, NULL, 10);
    return (xi > yi) - (xi < yi);
}

static void pretty(daoc__buf *b, const daoc_value *v, const char *null_as)
{
    switch (v->type) {
    case DAOC_TNULL:
        if (null_as)
            daoc__buf_puts(b, null_as);
        else
            put_quoted(b, "userdata: NULL", 14);
        break;
    case DAOC_TSTR:
        put_quoted(b, v->u.s, v->len);
        break;
    case DAOC_TARR:
        daoc__buf_putc(b, '{');
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                daoc__buf_putc(b, ',');
            pretty(b, v->u.a[i], null_as);
        }
        daoc__buf_putc(b, '}');
        break;
    case DAOC_TOBJ: {
        daoc__buf_putc(b, '{');
        const daoc__kv **sorted = v->len ? daoc__malloc(v->len * sizeof *sorted) : NULL;
        if (v->len && !sorted) {
            b->failed = true;
            return;
        }
        for (size_t i = 0; i < v->len; i++)
            sorted[i] = &v->u.o[i];
        if (v->len > 1)
            qsort(sorted, v->len, sizeof *sorted,
                  (v->flags & DAOC__VF_INTKEYS) ? cmp_kv_int : cmp_kv);
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                daoc__buf_putc(b, ',');
            if (v->flags & DAOC__VF_INTKEYS) { /* sparse array: integer keys */
                daoc__buf_putc(b, '[');
                daoc__buf_append(b, sorted[i]->key, sorted[i]->klen);
                daoc__buf_putc(b, ']');
            } else if (is_identifier(sorted[i]->key, sorted[i]->klen)) {
                daoc__buf_append(b, sorted[i]->key, sorted[i]->klen);
            } else {
                daoc__buf_putc(b, '[');
                put_quoted(b, sorted[i]->key, sorted[i]->klen);
                daoc__buf_putc(b, ']');
            }
            daoc__buf_putc(b, '=');
            pretty(b, sorted[i]->val, null_as);
        }
        daoc__free(sorted);
        daoc__buf_putc(b, '}');
        break;
    }
    default:
        daoc__value_tostring(b, v);
        break;
    }
}

char *daoc__value_pretty(const daoc_value *v, const char *null_as)
{
    daoc__buf b = DAOC__BUF_INIT;
    if (v)
        pretty(&b, v, null_as);
    else
        daoc__buf_puts(&b, "nil");
    return daoc__buf_take(&b, NULL);
}
