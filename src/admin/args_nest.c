/*
 * args_nest.c -- Kong's arguments.decode: the flat request arguments
 * (args.c, multipart.c) as one nested value.  Each key is cut into a path
 * ("a.b[1][]" -> a, b, index 1, append), the value is put at the end of the
 * path, creating objects and arrays on the way, and a value that meets an
 * earlier one is merged with it (two strings become an array, objects
 * merge key by key, arrays append).  A later pair that needs another kind
 * of container than the one there replaces it; a null there counts as
 * absent (array holes are nulls).
 */
#include <string.h>

#include "admin/args.h"
#include "core/alloc.h"
#include "core/value.h"

/* Paths longer than this keep their key literal (bounds the nesting). */
#define MAX_SEGS 32

enum { SEG_KEY, SEG_INDEX, SEG_APPEND };

typedef struct seg {
    int kind;
    const char *s; /* SEG_KEY: the key bytes */
    size_t n;      /* SEG_KEY: length; SEG_INDEX: the 1-based index */
} seg;

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

/* 1..DAOC__ARGS_MAX_INDEX, or 0 when out of range. */
static size_t index_of(const char *s, size_t n)
{
    size_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (size_t)(s[i] - '0');
        if (v > DAOC__ARGS_MAX_INDEX)
            return 0;
    }
    return v;
}

/* One dot-separated part p[0..m): its name and trailing bracket groups,
 * peeled from the end as Kong's "(.+)\[(\d*)\]$" (maps: any text without
 * brackets) does, appended to segs.  false when there are too many. */
static bool add_part(const char *p, size_t m, bool maps, seg *segs, size_t *ns)
{
    seg tail[MAX_SEGS];
    size_t nt = 0;
    while (m >= 3 && p[m - 1] == ']') {
        size_t k = m - 1; /* k ends at the '[' */
        while (k > 0 && p[k - 1] != '[' && p[k - 1] != ']')
            k--;
        if (k < 2 || p[k - 1] != '[') /* no '[' or nothing before it */
            break;
        const char *in = p + k;
        size_t inn = m - 1 - k;
        seg sg;
        if (inn == 0) {
            sg = (seg){SEG_APPEND, NULL, 0};
        } else if (all_digits(in, inn) && index_of(in, inn) > 0) {
            sg = (seg){SEG_INDEX, NULL, index_of(in, inn)};
        } else if (maps) {
            sg = (seg){SEG_KEY, in, inn};
        } else {
            break;
        }
        if (nt == MAX_SEGS)
            return false;
        tail[nt++] = sg;
        m = k - 1;
    }
    if (*ns + 1 + nt > MAX_SEGS)
        return false;
    segs[(*ns)++] = (seg){SEG_KEY, p, m};
    while (nt > 0)
        segs[(*ns)++] = tail[--nt];
    return true;
}

/* The path of key[0..klen) into segs; a literal key is one segment. */
static size_t key_path(const char *key, size_t klen, bool maps, seg *segs)
{
    size_t ns = 0;
    if (klen == 0 || key[0] == '.' || key[klen - 1] == '.')
        goto literal;
    for (size_t i = 0; i < klen;) {
        size_t j = i;
        while (j < klen && key[j] != '.')
            j++;
        if (j > i && !add_part(key + i, j - i, maps, segs, &ns))
            goto literal;
        i = j + 1;
    }
    if (ns > 0)
        return ns;
literal:
    segs[0] = (seg){SEG_KEY, key, klen};
    return 1;
}

/* The slot of key k in object o, appending a null placeholder when absent;
 * NULL on ENOMEM. */
static daoc_value **obj_slot(daoc_value *o, const char *k, size_t n)
{
    long i = daoc__obj_find(o, k, n);
    if (i < 0) {
        if (daoc__obj_append(o, k, n, daoc_null()) != DAOC_OK)
            return NULL;
        i = (long)o->len - 1;
    }
    return &o->u.o[i].val;
}

static bool is_table(const daoc_value *v)
{
    return v->type == DAOC_TARR || v->type == DAOC_TOBJ;
}

/* Merges src (taken) into *slot. */
static int merge(daoc_value **slot, daoc_value *src)
{
    daoc_value *dst = *slot;
    if (!dst || dst->type == DAOC_TNULL || (dst->type == DAOC_TOBJ) != (src->type == DAOC_TOBJ)) {
        /* absent, or an object against anything else: the later one wins */
        daoc_value_free(dst);
        *slot = src;
        return DAOC_OK;
    }
    int rc = DAOC_OK;
    if (dst->type == DAOC_TOBJ) {
        for (size_t i = 0; i < src->len && rc == DAOC_OK; i++) {
            daoc__kv *kv = &src->u.o[i];
            daoc_value **s = obj_slot(dst, kv->key, kv->klen);
            if (!s) {
                rc = DAOC_ENOMEM;
                break;
            }
            daoc_value *item = kv->val;
            kv->val = NULL;
            rc = merge(s, item);
        }
        daoc_value_free(src);
        return rc;
    }
    if (dst->type != DAOC_TARR) { /* a scalar: it becomes the first element */
        daoc_value *arr = daoc_arr();
        if (!arr || daoc_arr_push(arr, dst) != DAOC_OK) {
            if (!arr)
                daoc_value_free(dst);
            *slot = NULL;
            daoc_value_free(src);
            return DAOC_ENOMEM;
        }
        *slot = dst = arr;
    }
    if (!is_table(src))
        return daoc_arr_push(dst, src);
    for (size_t i = 0; i < src->len && rc == DAOC_OK; i++) {
        daoc_value *item = src->u.a[i];
        src->u.a[i] = NULL;
        rc = daoc_arr_push(dst, item);
    }
    daoc_value_free(src);
    return rc;
}

/* Puts val (taken) at path sg[0..ns) below *slot; *holes is what is left
 * of the budget of nulls that fill array holes. */
static int put(daoc_value **slot, const seg *sg, size_t ns, daoc_value *val, size_t *holes)
{
    if (ns == 0)
        return merge(slot, val);
    daoc_type want = sg->kind == SEG_KEY ? DAOC_TOBJ : DAOC_TARR;
    daoc_value *cur = *slot;
    if (!cur || cur->type != want) {
        daoc_value *nc = want == DAOC_TOBJ ? daoc_obj() : daoc_arr();
        if (!nc) {
            daoc_value_free(val);
            return DAOC_ENOMEM;
        }
        daoc_value_free(cur);
        *slot = cur = nc;
    }
    daoc_value **next;
    if (sg->kind == SEG_KEY) {
        next = obj_slot(cur, sg->s, sg->n);
    } else {
        if (sg->kind == SEG_APPEND || cur->len < sg->n) {
            size_t upto = sg->kind == SEG_APPEND ? cur->len + 1 : sg->n;
            if (upto - cur->len - 1 > *holes) {
                daoc_value_free(val);
                return DAOC__ARGS_ETOOMANY;
            }
            *holes -= upto - cur->len - 1;
            while (cur->len < upto)
                if (daoc_arr_push(cur, daoc_null()) != DAOC_OK)
                    break;
            if (cur->len < upto) {
                daoc_value_free(val);
                return DAOC_ENOMEM;
            }
        }
        next = &cur->u.a[sg->kind == SEG_APPEND ? cur->len - 1 : sg->n - 1];
    }
    if (!next) {
        daoc_value_free(val);
        return DAOC_ENOMEM;
    }
    return put(next, sg + 1, ns - 1, val, holes);
}

static int value_of(const daoc__arg *a, daoc_value **out)
{
    *out = NULL;
    if (!a->has_value) {
        *out = daoc_bool(true);
    } else if (a->json) {
        int rc = daoc_json_decode(a->val, a->val_len, out, NULL);
        if (rc == DAOC_ENOMEM)
            return rc;
        if (rc != DAOC_OK)
            *out = daoc_strn(a->val, a->val_len);
    } else {
        *out = daoc_strn(a->val, a->val_len);
    }
    return *out ? DAOC_OK : DAOC_ENOMEM;
}

int daoc__args_nest(const daoc__args *a, bool allow_maps, daoc_value **out)
{
    if (!out)
        return DAOC_EINVAL;
    *out = NULL;
    if (!a)
        return DAOC_EINVAL;
    daoc_value *root = daoc_obj();
    if (!root)
        return DAOC_ENOMEM;
    seg segs[MAX_SEGS];
    size_t holes = DAOC__ARGS_MAX_HOLES;
    for (size_t i = 0; i < a->n; i++) {
        const daoc__arg *arg = &a->v[i];
        size_t ns = key_path(arg->key, arg->key_len, allow_maps, segs);
        daoc_value *val;
        int rc = value_of(arg, &val);
        if (rc == DAOC_OK)
            rc = put(&root, segs, ns, val, &holes);
        if (rc != DAOC_OK) {
            daoc_value_free(root);
            return rc;
        }
    }
    *out = root;
    return DAOC_OK;
}
