/*
 * text.c -- PostgreSQL's text formats for the values daoc stores: scalars,
 * array literals ({"a","b \"c\"",NULL}) and JSON for JSONB columns.
 *
 * Writing always quotes array elements, escaping `"` and `\`, so commas,
 * braces, spaces and the word NULL inside strings survive; a null element
 * is the bare word NULL.  Reading accepts what the server prints (quoted
 * or bare elements, NULL in any case).  Multi-dimensional arrays are not
 * produced and are refused when read.  Timestamp columns are read as the
 * server prints them in DateStyle ISO and UTC (the pool sets both) and
 * become epoch seconds.  This file knows no SQL and no connections.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/value.h"
#include "store/postgres/pg_int.h"

static void put_double(daoc__buf *b, double d)
{
    if (isnan(d))
        daoc__buf_puts(b, "NaN");
    else if (isinf(d))
        daoc__buf_puts(b, d > 0 ? "Infinity" : "-Infinity");
    else
        daoc__buf_printf(b, "%.17g", d);
}

/* Decimal text of i (what "%lld" prints), without printf's machinery:
 * bound integers and timestamps are on every write. */
static void put_int(daoc__buf *b, int64_t i)
{
    char t[24];
    size_t n = sizeof t;
    uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
    do {
        t[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (i < 0)
        t[--n] = '-';
    daoc__buf_append(b, t + n, sizeof t - n);
}

static void put_scalar(daoc__buf *b, const daoc_value *v)
{
    switch (v->type) {
    case DAOC_TBOOL:
        daoc__buf_puts(b, v->u.b ? "t" : "f");
        break;
    case DAOC_TINT:
        put_int(b, v->u.i);
        break;
    case DAOC_TNUM:
        put_double(b, v->u.n);
        break;
    case DAOC_TSTR:
        daoc__buf_append(b, v->u.s, v->len);
        break;
    default:
        daoc__json_write(b, v);
        break;
    }
}

static void put_array(daoc__buf *b, const daoc__field *el, const daoc_value *v)
{
    daoc__buf tmp = DAOC__BUF_INIT;
    daoc__buf_putc(b, '{');
    for (size_t i = 0; v->type == DAOC_TARR && i < v->len; i++) {
        const daoc_value *e = v->u.a[i];
        if (i)
            daoc__buf_putc(b, ',');
        if (daoc__is_nil_or_null(e)) {
            daoc__buf_puts(b, "NULL");
            continue;
        }
        /* a string element is its own text (put_scalar); anything else is
         * printed first, then quoted */
        const char *t;
        size_t tn;
        if (e->type == DAOC_TSTR && (!el || el->type == DAOC__F_STRING)) {
            t = e->u.s;
            tn = e->len;
        } else {
            tmp.len = 0;
            daoc__pg_put_value(&tmp, el, e);
            if (tmp.failed) {
                b->failed = true;
                break;
            }
            t = tmp.data;
            tn = tmp.len;
        }
        daoc__buf_putc(b, '"');
        for (size_t k = 0; k < tn; k++) {
            if (t[k] == '"' || t[k] == '\\')
                daoc__buf_putc(b, '\\');
            daoc__buf_putc(b, t[k]);
        }
        daoc__buf_putc(b, '"');
    }
    daoc__buf_putc(b, '}');
    daoc__buf_free(&tmp);
}

void daoc__pg_put_value(daoc__buf *b, const daoc__field *f, const daoc_value *v)
{
    if (!f) {
        if (v->type == DAOC_TARR)
            put_array(b, NULL, v);
        else
            put_scalar(b, v);
        return;
    }
    switch (f->type) {
    case DAOC__F_INTEGER:
        /* integral doubles in int64 range (-2^63 included) print as integers */
        if (v->type == DAOC_TNUM && !f->timestamp && v->u.n == floor(v->u.n) &&
            v->u.n >= -9223372036854775808.0 && v->u.n < 9223372036854775808.0)
            daoc__buf_printf(b, "%lld", (long long)v->u.n);
        else if (v->type == DAOC_TBOOL)
            daoc__buf_puts(b, v->u.b ? "1" : "0");
        else
            put_scalar(b, v);
        break;
    case DAOC__F_NUMBER:
        if (v->type == DAOC_TINT)
            put_double(b, (double)v->u.i);
        else
            put_scalar(b, v);
        break;
    case DAOC__F_ARRAY:
    case DAOC__F_SET:
        if (v->type == DAOC_TARR) {
            put_array(b, f->elements, v);
        } else if (v->type == DAOC_TOBJ && v->len == 0) {
            daoc__buf_puts(b, "{}"); /* an empty Lua table */
        } else {
            put_scalar(b, v);
        }
        break;
    case DAOC__F_MAP:
    case DAOC__F_RECORD:
    case DAOC__F_JSON:
        daoc__json_write(b, v);
        break;
    case DAOC__F_FOREIGN: {
        const daoc__field *pkf = f->ref && f->ref->npk ? &f->ref->fields[f->ref->pk[0]] : NULL;
        if (v->type == DAOC_TOBJ && pkf) {
            const daoc_value *inner = daoc__obj_getn(v, pkf->name, pkf->name_len);
            if (inner)
                daoc__pg_put_value(b, pkf, inner);
        } else {
            daoc__pg_put_value(b, pkf, v);
        }
        break;
    }
    default:
        put_scalar(b, v);
        break;
    }
}

/* ---- reading ------------------------------------------------------------ */

static int parse_json(const char *s, size_t n, daoc_value **out)
{
    int rc = daoc__json_decode(s, n, out, NULL, 0);
    return rc == DAOC_OK || rc == DAOC_ENOMEM ? rc : DAOC_ESTORE;
}

/* Plain decimal text of at most 18 digits (no overflow possible); false
 * for anything else, which strtoll/strtod then read. */
static bool small_int(const char *s, size_t n, int64_t *out)
{
    size_t i = n > 0 && s[0] == '-' ? 1 : 0;
    if (n == i || n - i > 18)
        return false;
    int64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = s[0] == '-' ? -v : v;
    return true;
}

/* ---- timestamps ------------------------------------------------------- */

/* Days from 1970-01-01 to year y, month m (1-12), day d of the proleptic
 * Gregorian calendar (year 0 = 1 BC).  Counted in 400-year cycles of
 * 146097 days from March 1 of year 0, so February's length only shifts the
 * end of a counting year. */
static int64_t days_since_epoch(int64_t y, int m, int d)
{
    if (m <= 2)
        y--; /* January and February end the previous counting year */
    int64_t cycle = (y >= 0 ? y : y - 399) / 400;
    int64_t yc = y - cycle * 400;                      /* 0..399 */
    int64_t mc = m > 2 ? m - 3 : m + 9;                 /* 0 = March .. 11 = February */
    int64_t dy = (153 * mc + 2) / 5 + d - 1;            /* day of the counting year */
    int64_t dc = yc * 365 + yc / 4 - yc / 100 + dy;     /* day of the cycle */
    return cycle * 146097 + dc - 719468;                /* 719468: 0000-03-01 .. 1970-01-01 */
}

/* The two digits at s[i] as a number, or -1 (the caller checked i + 1 < n). */
static int64_t two(const char *s, size_t i)
{
    unsigned a = (unsigned)(unsigned char)s[i] - '0', b = (unsigned)(unsigned char)s[i + 1] - '0';
    return a > 9 || b > 9 ? -1 : (int64_t)(a * 10 + b);
}

/* A timestamp as the server prints it in DateStyle ISO:
 * "YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]][ BC]" (four or more year
 * digits; no zone for a TIMESTAMP WITHOUT TIME ZONE column, read as UTC as
 * date_part does), as whole seconds since the epoch (floored) and the
 * microseconds past them.  False for anything else.  Fixed positions after
 * the year: this runs for two columns of nearly every row. */
static bool ts_parse(const char *s, size_t n, int64_t *secs, int64_t *usec)
{
    size_t i = 0;
    int64_t y = 0, us = 0;
    while (i < n && i < 7 && s[i] >= '0' && s[i] <= '9')
        y = y * 10 + (s[i++] - '0');
    if (i < 4 || n < i + 15 || s[i] != '-' || s[i + 3] != '-' || s[i + 6] != ' ' ||
        s[i + 9] != ':' || s[i + 12] != ':')
        return false;
    int64_t mo = two(s, i + 1), d = two(s, i + 4), h = two(s, i + 7), mi = two(s, i + 10),
            sec = two(s, i + 13);
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 24 || mi < 0 || mi > 59 || sec < 0 ||
        sec > 60)
        return false;
    i += 15;
    if (i < n && s[i] == '.') {
        int k = 0;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, k++)
            if (k < 6)
                us = us * 10 + (s[i] - '0');
        if (k == 0 || k > 6)
            return false;
        for (; k < 6; k++)
            us *= 10;
    }
    int64_t zone = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        int64_t sign = s[i] == '-' ? -1 : 1, part[3] = {0, 0, 0};
        i++;
        for (int k = 0; k < 3; k++) {
            if (k > 0 && (i >= n || s[i] != ':'))
                break;
            i += k > 0;
            if (n < i + 2 || (part[k] = two(s, i)) < 0)
                return false;
            i += 2;
        }
        zone = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
    }
    if (n - i == 3 && memcmp(s + i, " BC", 3) == 0) {
        y = 1 - y; /* 1 BC is year 0 */
        i += 3;
    }
    if (i != n)
        return false;
    *secs = days_since_epoch(y, (int)mo, (int)d) * 86400 + h * 3600 + mi * 60 + sec - zone;
    *usec = us;
    return true;
}

int daoc__pg_ts_value(int64_t secs, int64_t us, double inf, const daoc__field *f, daoc__bump *b,
                      daoc_value **out)
{
    if (f->type == DAOC__F_INTEGER) {
        if (inf != 0)
            return DAOC_ESTORE;
        *out = daoc__bump_int(b, secs);
    } else if (inf != 0) {
        *out = daoc__bump_num(b, inf);
    } else if (secs > -(INT64_C(1) << 53) / 1000000 && secs < (INT64_C(1) << 53) / 1000000) {
        /* both exact as doubles: one correctly rounded division */
        *out = daoc__bump_num(b, (double)(secs * 1000000 + us) / 1e6);
    } else {
        char t[48];
        snprintf(t, sizeof t, "%lld.%06lld", (long long)secs, (long long)us);
        if (secs < 0 && us > 0) /* -12.5 s is floor -13 plus 500000 us */
            snprintf(t, sizeof t, "-%lld.%06lld", -(long long)(secs + 1),
                     (long long)(1000000 - us));
        *out = daoc__bump_num(b, strtod(t, NULL));
    }
    return *out ? DAOC_OK : DAOC_ENOMEM;
}

/* The value of a timestamp field from its column text; DAOC_ENOTFOUND
 * when s is not a timestamp's text. */
static int ts_value(const char *s, size_t n, const daoc__field *f, daoc__bump *b,
                    daoc_value **out)
{
    int64_t secs = 0, us = 0;
    double inf = 0;
    if (n == 8 && memcmp(s, "infinity", 8) == 0)
        inf = INFINITY;
    else if (n == 9 && memcmp(s, "-infinity", 9) == 0)
        inf = -INFINITY;
    else if (!ts_parse(s, n, &secs, &us))
        return DAOC_ENOTFOUND;
    return daoc__pg_ts_value(secs, us, inf, f, b, out);
}

int daoc__pg_parse_value(const char *s, size_t n, const daoc__field *f, daoc__bump *b,
                         daoc_value **out)
{
    *out = NULL;
    if (!f) {
        *out = daoc__bump_strn(b, s, n);
        return *out ? DAOC_OK : DAOC_ENOMEM;
    }
    if (f->timestamp && (f->type == DAOC__F_INTEGER || f->type == DAOC__F_NUMBER)) {
        int rc = ts_value(s, n, f, b, out);
        if (rc != DAOC_ENOTFOUND)
            return rc;
        /* not a timestamp's text (a number: an older select list, or a
         * column Kong made BIGINT): read as a number below */
    }
    switch (f->type) {
    case DAOC__F_INTEGER: {
        int64_t i;
        char *end = NULL;
        if (small_int(s, n, &i)) {
            *out = daoc__bump_int(b, i);
        } else if ((i = strtoll(s, &end, 10)), end == s + n) {
            *out = daoc__bump_int(b, i);
        } else { /* a number where an integer was expected: floored */
            double d = strtod(s, &end);
            if (end != s + n)
                return DAOC_ESTORE;
            d = floor(d);
            if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
                return DAOC_ESTORE; /* no integer holds it (nor NaN) */
            *out = daoc__bump_int(b, (int64_t)d);
        }
        break;
    }
    case DAOC__F_NUMBER: {
        char *end = NULL;
        double d = strtod(s, &end);
        if (end != s + n)
            return DAOC_ESTORE;
        *out = daoc__bump_num(b, d);
        break;
    }
    case DAOC__F_BOOLEAN:
        *out = daoc__bump_bool(b, n > 0 && (s[0] == 't' || s[0] == 'T'));
        break;
    case DAOC__F_ARRAY:
    case DAOC__F_SET: {
        int rc = daoc__pg_parse_array(s, n, f->elements, b, out);
        if (rc != DAOC_OK)
            return rc;
        if (f->type == DAOC__F_SET)
            (*out)->flags |= DAOC__VF_SET;
        return DAOC_OK;
    }
    case DAOC__F_MAP:
    case DAOC__F_RECORD:
    case DAOC__F_JSON:
        return parse_json(s, n, out);
    default:
        *out = daoc__bump_strn(b, s, n);
        break;
    }
    return *out ? DAOC_OK : DAOC_ENOMEM;
}

/* One element's text: quoted (unescaped into tmp) or bare. */
static int element(const daoc__field *el, const char *s, size_t len, bool quoted, daoc__bump *b,
                   daoc_value **out)
{
    if (!quoted && len == 4 && strncasecmp(s, "NULL", 4) == 0) {
        *out = daoc__bump_null(b);
        return *out ? DAOC_OK : DAOC_ENOMEM;
    }
    if (el && (el->type == DAOC__F_ARRAY || el->type == DAOC__F_SET || el->type == DAOC__F_MAP ||
               el->type == DAOC__F_RECORD || el->type == DAOC__F_JSON))
        return parse_json(s, len, out); /* JSONB[] element */
    return daoc__pg_parse_value(s, len, el, b, out);
}

/* A bare element of a string array that element() would take verbatim. */
static bool direct(const daoc__field *el, const char *t, size_t len)
{
    return (!el || el->type == DAOC__F_STRING) && !(len == 4 && strncasecmp(t, "NULL", 4) == 0);
}

int daoc__pg_parse_array(const char *s, size_t n, const daoc__field *el, daoc__bump *b,
                         daoc_value **out)
{
    *out = NULL;
    if (n < 2 || s[0] != '{' || s[n - 1] != '}')
        return DAOC_ESTORE;
    size_t cap = 0; /* room for every element at once: commas + 1 at most */
    if (n > 2) {
        cap = 1;
        for (size_t k = 1; k < n - 1; k++)
            cap += s[k] == ',';
    }
    daoc_value *a = daoc__bump_arr(b, cap);
    if (!a)
        return DAOC_ENOMEM;
    daoc__buf tmp = DAOC__BUF_INIT;
    int rc = DAOC_OK;
    size_t i = 1;
    if (n == 2)
        goto done;
    for (;;) {
        while (i < n - 1 && (s[i] == ' ' || s[i] == '\t'))
            i++;
        const char *text;
        size_t len;
        bool quoted = s[i] == '"';
        if (quoted && (!el || el->type == DAOC__F_STRING)) {
            /* a quoted string element without escapes: taken as it is */
            size_t k = i + 1;
            while (k < n - 1 && s[k] != '"' && s[k] != '\\')
                k++;
            if (k < n - 1 && s[k] == '"') {
                daoc_value *e = daoc__bump_strn(b, s + i + 1, k - i - 1);
                rc = e ? daoc_arr_push(a, e) : DAOC_ENOMEM;
                if (rc != DAOC_OK)
                    break;
                i = k + 1;
                goto next;
            }
        }
        if (quoted) {
            tmp.len = 0;
            for (i++; i < n - 1 && s[i] != '"'; i++) {
                if (s[i] == '\\' && i + 1 < n - 1)
                    i++;
                daoc__buf_putc(&tmp, s[i]);
            }
            if (i >= n - 1) {
                rc = DAOC_ESTORE;
                break;
            }
            i++;
            daoc__buf_putc(&tmp, '\0'); /* a terminated copy for strto* */
            if (tmp.failed) {
                rc = DAOC_ENOMEM;
                break;
            }
            text = tmp.data;
            len = tmp.len - 1;
        } else {
            if (s[i] == '{') { /* multi-dimensional: not a daoc layout */
                rc = DAOC_ESTORE;
                break;
            }
            size_t start = i;
            while (i < n - 1 && s[i] != ',')
                i++;
            size_t end = i;
            while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
                end--;
            if (direct(el, s + start, end - start)) {
                /* a bare string element: no terminated copy needed */
                daoc_value *e = daoc__bump_strn(b, s + start, end - start);
                rc = e ? daoc_arr_push(a, e) : DAOC_ENOMEM;
                if (rc != DAOC_OK)
                    break;
                goto next;
            }
            tmp.len = 0;
            daoc__buf_append(&tmp, s + start, end - start);
            daoc__buf_putc(&tmp, '\0');
            if (tmp.failed) {
                rc = DAOC_ENOMEM;
                break;
            }
            text = tmp.data;
            len = end - start;
        }
        daoc_value *e = NULL;
        rc = element(el, text, len, quoted, b, &e);
        if (rc == DAOC_OK)
            rc = daoc_arr_push(a, e);
        else
            daoc_value_free(e);
        if (rc != DAOC_OK)
            break;
    next:
        while (i < n - 1 && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i >= n - 1)
            break;
        if (s[i] != ',') {
            rc = DAOC_ESTORE;
            break;
        }
        i++;
    }
done:
    daoc__buf_free(&tmp);
    if (rc != DAOC_OK) {
        daoc_value_free(a);
        return rc;
    }
    *out = a;
    return DAOC_OK;
}
