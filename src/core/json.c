/*
 * json.c -- JSON text <-> daoc_value.
 *
 * Decoding uses jansson in strict mode (UTF-8 validated, duplicate keys
 * rejected, exact 64-bit integers; see docs/DEPENDENCIES.md) and converts its
 * tree to a daoc_value.  Encoding is done here, straight into a buffer: the
 * schema layer knows value types, so no intermediate tree is needed.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/json.h"
#include "core/value.h"

/* Values nest at most this deep (jansson's own parser allows 2048). */
#define MAX_DEPTH 200

/* NULL on ENOMEM, or with *too_deep set when j nests deeper than MAX_DEPTH. */
static daoc_value *from_jansson(const json_t *j, int depth, bool *too_deep)
{
    if (depth >= MAX_DEPTH) {
        *too_deep = true;
        return NULL;
    }
    switch (json_typeof(j)) {
    case JSON_NULL:
        return daoc_null();
    case JSON_TRUE:
        return daoc_bool(true);
    case JSON_FALSE:
        return daoc_bool(false);
    case JSON_INTEGER:
        return daoc_int((int64_t)json_integer_value(j));
    case JSON_REAL:
        return daoc_num(json_real_value(j));
    case JSON_STRING:
        return daoc_strn(json_string_value(j), json_string_length(j));
    case JSON_ARRAY: {
        daoc_value *a = daoc_arr();
        size_t i;
        json_t *item;
        if (!a)
            return NULL;
        json_array_foreach(j, i, item)
        {
            daoc_value *v = from_jansson(item, depth + 1, too_deep);
            if (!v || daoc_arr_push(a, v) != DAOC_OK) {
                daoc_value_free(a);
                return NULL;
            }
        }
        return a;
    }
    case JSON_OBJECT: {
        daoc_value *o = daoc_obj();
        const char *key;
        size_t klen;
        json_t *item;
        void *tmp;
        if (!o)
            return NULL;
        json_object_keylen_foreach_safe((json_t *)j, tmp, key, klen, item)
        {
            daoc_value *v = from_jansson(item, depth + 1, too_deep);
            /* jansson refused duplicate keys: append without looking */
            if (!v || daoc__obj_append(o, key, klen, v) != DAOC_OK) {
                daoc_value_free(o);
                return NULL;
            }
        }
        return o;
    }
    }
    return NULL;
}

int daoc__json_decode(const char *text, size_t len, daoc_value **out, char *errbuf,
                      size_t errbuf_size)
{
    if (!out || !text)
        return DAOC_EINVAL;
    *out = NULL;
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!j) {
        if (errbuf && errbuf_size)
            snprintf(errbuf, errbuf_size, "%s", jerr.text);
        return DAOC_EINVAL;
    }
    bool too_deep = false;
    daoc_value *v = from_jansson(j, 0, &too_deep);
    json_decref(j);
    if (!v) {
        if (too_deep && errbuf && errbuf_size)
            snprintf(errbuf, errbuf_size, "values nested more than %d levels deep", MAX_DEPTH);
        return too_deep ? DAOC_EINVAL : DAOC_ENOMEM;
    }
    *out = v;
    return DAOC_OK;
}

int daoc_json_decode(const char *text, size_t len, daoc_value **out, daoc_error **err)
{
    daoc__err_reset(err);
    char why[256] = "";
    int rc = daoc__json_decode(text, len, out, why, sizeof why);
    if (rc == DAOC_EINVAL && why[0]) { /* the text is not JSON (not a misuse) */
        rc = daoc__err_fail(err, rc, "%s", why);
        if (rc == DAOC_EINVAL && err && daoc__err_set_name(*err, "json error") != DAOC_OK) {
            daoc_error_free(*err);
            *err = NULL;
            rc = DAOC_ENOMEM;
        }
        return rc;
    }
    return daoc__err_fill(err, rc);
}

static void put_string(daoc__buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    daoc__buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        daoc__buf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            daoc__buf_puts(b, "\\\"");
            break;
        case '\\':
            daoc__buf_puts(b, "\\\\");
            break;
        case '\n':
            daoc__buf_puts(b, "\\n");
            break;
        case '\r':
            daoc__buf_puts(b, "\\r");
            break;
        case '\t':
            daoc__buf_puts(b, "\\t");
            break;
        case '\b':
            daoc__buf_puts(b, "\\b");
            break;
        case '\f':
            daoc__buf_puts(b, "\\f");
            break;
        default: {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            daoc__buf_append(b, e, 6);
        }
        }
    }
    daoc__buf_append(b, s + run, n - run);
    daoc__buf_putc(b, '"');
}

static void put_num(daoc__buf *b, double n)
{
    if (!isfinite(n)) {
        daoc__buf_puts(b, "null"); /* JSON has no inf/nan */
        return;
    }
    if (n == 0) { /* -0.0 too: "-0" would read back as the integer 0 */
        daoc__buf_putc(b, '0');
        return;
    }
    if (n == floor(n) && fabs(n) < 1e15) {
        daoc__buf_printf(b, "%.0f", n);
        return;
    }
    char tmp[40];
    /* shortest representation that round-trips */
    for (int prec = 14; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, n);
        if (strtod(tmp, NULL) == n)
            break;
    }
    daoc__buf_puts(b, tmp);
}

typedef struct ikey {
    long k;
    const daoc_value *val;
} ikey;

static int cmp_ikey(const void *x, const void *y)
{
    long a = ((const ikey *)x)->k, b = ((const ikey *)y)->k;
    return (a > b) - (a < b);
}

/* A sparse array (an object with 1-based integer keys: Kong's error tables
 * {[2] = "msg"}) as cjson writes it: [null, "msg", ...].  The entries are
 * sorted by index once (a set of n bad elements: n log n, not n^2). */
static void put_sparse(daoc__buf *b, const daoc_value *v)
{
    ikey *ks = v->len ? daoc__malloc(v->len * sizeof *ks) : NULL;
    if (v->len && !ks) {
        b->failed = true;
        return;
    }
    long max = 0;
    for (size_t i = 0; i < v->len; i++) {
        ks[i] = (ikey){strtol(v->u.o[i].key, NULL, 10), v->u.o[i].val};
        if (ks[i].k > max)
            max = ks[i].k;
    }
    if (v->len > 1)
        qsort(ks, v->len, sizeof *ks, cmp_ikey);
    daoc__buf_putc(b, '[');
    size_t at = 0;
    for (long k = 1; k <= max; k++) {
        if (k > 1)
            daoc__buf_putc(b, ',');
        while (at < v->len && ks[at].k < k)
            at++;
        daoc__json_write(b, at < v->len && ks[at].k == k ? ks[at].val : NULL);
    }
    daoc__buf_putc(b, ']');
    daoc__free(ks);
}

void daoc__json_write(daoc__buf *b, const daoc_value *v)
{
    if (!v) {
        daoc__buf_puts(b, "null");
        return;
    }
    switch (v->type) {
    case DAOC_TNULL:
    case DAOC_TFUNC:
        daoc__buf_puts(b, "null");
        break;
    case DAOC_TBOOL:
        daoc__buf_puts(b, v->u.b ? "true" : "false");
        break;
    case DAOC_TINT:
        daoc__buf_printf(b, "%lld", (long long)v->u.i);
        break;
    case DAOC_TNUM:
        put_num(b, v->u.n);
        break;
    case DAOC_TSTR:
        put_string(b, v->u.s, v->len);
        break;
    case DAOC_TARR:
        daoc__buf_putc(b, '[');
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                daoc__buf_putc(b, ',');
            daoc__json_write(b, v->u.a[i]);
        }
        daoc__buf_putc(b, ']');
        break;
    case DAOC_TOBJ:
        if (v->flags & DAOC__VF_INTKEYS) {
            put_sparse(b, v);
            break;
        }
        daoc__buf_putc(b, '{');
        for (size_t i = 0; i < v->len; i++) {
            if (i)
                daoc__buf_putc(b, ',');
            put_string(b, v->u.o[i].key, v->u.o[i].klen);
            daoc__buf_putc(b, ':');
            daoc__json_write(b, v->u.o[i].val);
        }
        daoc__buf_putc(b, '}');
        break;
    default:
        daoc__buf_puts(b, "null");
    }
}

int daoc_json_encode(const daoc_value *v, char **out, size_t *len)
{
    if (!out)
        return DAOC_EINVAL;
    daoc__buf b = DAOC__BUF_INIT;
    daoc__json_write(&b, v);
    *out = daoc__buf_take(&b, len);
    return *out ? DAOC_OK : DAOC_ENOMEM;
}
