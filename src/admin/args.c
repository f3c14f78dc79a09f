/*
 * args.c -- the flat list of request arguments: decoding a query string or
 * an application/x-www-form-urlencoded body into key/value pairs, as
 * nginx's ngx.req.get_uri_args / get_post_args do for Kong ('&' separates,
 * '+' is a space, %XX is decoded and a broken escape is kept as it is), and
 * the list's own push and free.
 */
#include "admin/args.h"

#include <string.h>

#include "core/alloc.h"

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *daoc__pct_decode(const char *s, size_t n, bool plus_is_space, size_t *outlen)
{
    char *d = daoc__malloc(n + 1);
    if (!d)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '+' && plus_is_space) {
            d[o++] = ' ';
        } else if (c == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
                   hexval((unsigned char)s[i + 2]) >= 0) {
            d[o++] = (char)(hexval((unsigned char)s[i + 1]) << 4 | hexval((unsigned char)s[i + 2]));
            i += 2;
        } else {
            d[o++] = (char)c;
        }
    }
    d[o] = 0;
    *outlen = o;
    return d;
}

static int push_owned(daoc__args *a, char *key, size_t klen, char *val, size_t vlen, bool has_value,
                      bool json)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        daoc__arg *v = daoc__realloc(a->v, cap * sizeof *v);
        if (!v) {
            daoc__free(key);
            daoc__free(val);
            return DAOC_ENOMEM;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = (daoc__arg){key, klen, val, vlen, has_value, json};
    return DAOC_OK;
}

/* A new NUL-terminated copy of s[0..n) (which may hold NUL bytes). */
static char *copy_bytes(const char *s, size_t n)
{
    char *d = daoc__malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

int daoc__args_push(daoc__args *a, const char *key, size_t klen, const char *val, size_t vlen,
                    bool has_value, bool json)
{
    if (!a || (!key && klen) || (!val && vlen))
        return DAOC_EINVAL;
    char *k = copy_bytes(key, klen);
    char *v = copy_bytes(val, vlen);
    if (!k || !v) {
        daoc__free(k);
        daoc__free(v);
        return DAOC_ENOMEM;
    }
    return push_owned(a, k, klen, v, vlen, has_value, json);
}

int daoc__args_parse_urlencoded(const char *s, size_t len, size_t max, daoc__args *out)
{
    if (!out || (!s && len))
        return DAOC_EINVAL;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != '&')
            j++;
        /* the pair s[i..j) */
        size_t eq = i;
        while (eq < j && s[eq] != '=')
            eq++;
        if (eq > i) { /* a non-empty key; "" and "=v" are skipped */
            if (out->n >= max)
                return DAOC__ARGS_ETOOMANY;
            size_t klen = 0, vlen = 0;
            char *k = daoc__pct_decode(s + i, eq - i, true, &klen);
            bool has = eq < j;
            char *v =
                has ? daoc__pct_decode(s + eq + 1, j - eq - 1, true, &vlen) : daoc__strdup("");
            if (!k || !v) {
                daoc__free(k);
                daoc__free(v);
                return DAOC_ENOMEM;
            }
            int rc = push_owned(out, k, klen, v, vlen, has, false);
            if (rc != DAOC_OK)
                return rc;
        }
        i = j + 1;
    }
    return DAOC_OK;
}

void daoc__args_free(daoc__args *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++) {
        daoc__free(a->v[i].key);
        daoc__free(a->v[i].val);
    }
    daoc__free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}
