/*
 * value_render.c -- the Lua-compatible text renderings of daoc_value trees
 * that Kong's messages are built from: Lua's tostring (numbers as "%.14g")
 * and Penlight's pretty.write(t, "") (sorted keys, quoted strings,
 * identifiers bare, sparse arrays by index).
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/value.h"

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
                  (v->flags & DAOC__VF_INTKEYS) ? cmp_kv_int : daoc__kv_cmp);
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
