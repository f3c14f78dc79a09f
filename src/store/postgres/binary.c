/*
 * binary.c -- PostgreSQL's binary result format for the columns daoc reads.
 *
 * A statement's results come in binary when every column of its result has
 * a type this file decodes for the field the column fills: the server
 * describes a statement once per connection when it is prepared
 * (conn.c), rowio.c matches the description against the row's shape with
 * daoc__pg_bin_ok, and the statement runs in binary from then on, or in
 * text (text.c) when any column is of another type (a database made by
 * hand, say).  Binary spares the server its output functions -- measured
 * on this machine: a 1000-row page of consumers cost the server ~23% less
 * per row (3.32 -> 2.55 us) -- and the reader its number, timestamp and
 * uuid parsing.
 *
 * Each decoder gives the value text.c gives for the same column's text:
 * integers and numbers as the field's kind asks (a float in an integer
 * field floored), timestamps as epoch seconds (text.c's daoc__pg_ts_value),
 * uuids as lowercase 8-4-4-4-12 text, JSON parsed, one-dimensional arrays
 * element by element.  Everything is bounds-checked: a value that does not
 * have its type's shape is DAOC_ESTORE.  This file knows no SQL and no
 * connections.
 */
#include <math.h>
#include <string.h>

#include "core/json.h"
#include "core/value.h"
#include "store/ddl.h"
#include "store/postgres/pg_int.h"

/* type oids (pg_type.dat); stable across PostgreSQL versions */
enum {
    OID_BOOL = 16,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_TEXT = 25,
    OID_JSON = 114,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_BPCHAR = 1042,
    OID_VARCHAR = 1043,
    OID_TIMESTAMP = 1114,
    OID_TIMESTAMPTZ = 1184,
    OID_UUID = 2950,
    OID_JSONB = 3802
};

/* The element type of an array type, or 0. */
static Oid elem_of(Oid array)
{
    switch (array) {
    case 1000: return OID_BOOL;
    case 1005: return OID_INT2;
    case 1007: return OID_INT4;
    case 1009: return OID_TEXT;
    case 1014: return OID_BPCHAR;
    case 1015: return OID_VARCHAR;
    case 1016: return OID_INT8;
    case 1021: return OID_FLOAT4;
    case 1022: return OID_FLOAT8;
    case 1115: return OID_TIMESTAMP;
    case 1185: return OID_TIMESTAMPTZ;
    case 199: return OID_JSON;
    case 2951: return OID_UUID;
    case 3807: return OID_JSONB;
    default: return 0;
    }
}

static bool is_int(Oid o) { return o == OID_INT2 || o == OID_INT4 || o == OID_INT8; }
/* float4 stays in text: the server prints its shortest decimal, which
 * strtod reads as a different double than the float widened */
static bool is_float(Oid o) { return o == OID_FLOAT8; }
static bool is_json(Oid o) { return o == OID_JSON || o == OID_JSONB; }
static bool is_ts(Oid o) { return o == OID_TIMESTAMP || o == OID_TIMESTAMPTZ; }
static bool is_text(Oid o) { return o == OID_TEXT || o == OID_VARCHAR || o == OID_BPCHAR; }

/* Array elements of these kinds are stored as JSON (sql.c's elem_type). */
static bool json_kind(const daoc__field *f)
{
    return f->type == DAOC__F_ARRAY || f->type == DAOC__F_SET || f->type == DAOC__F_MAP ||
           f->type == DAOC__F_RECORD || f->type == DAOC__F_JSON;
}

static bool elem_ok(const daoc__field *el, Oid oid)
{
    if (!el)
        return false;
    return json_kind(el) ? is_json(oid) : daoc__pg_bin_ok(el, oid);
}

bool daoc__pg_bin_ok(const daoc__field *f, Oid oid)
{
    if (!f)
        return false;
    if (f->type == DAOC__F_FOREIGN)
        return daoc__pg_bin_ok(daoc__field_ref_key(f), oid);
    switch (f->type) {
    case DAOC__F_INTEGER:
    case DAOC__F_NUMBER:
        return is_int(oid) || is_float(oid) || (f->timestamp && is_ts(oid));
    case DAOC__F_BOOLEAN:
        return oid == OID_BOOL;
    case DAOC__F_STRING:
        return is_text(oid) || oid == OID_UUID;
    case DAOC__F_ARRAY:
    case DAOC__F_SET:
        return elem_of(oid) != 0 && elem_ok(f->elements, elem_of(oid));
    case DAOC__F_MAP:
    case DAOC__F_RECORD:
    case DAOC__F_JSON:
        return is_json(oid);
    default:
        return false;
    }
}

/* ---- network byte order ------------------------------------------------- */

static uint32_t be32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static uint64_t be64(const char *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* An int2/int4/int8 of n bytes; false when n is not its size. */
static bool read_int(const char *p, size_t n, Oid oid, int64_t *out)
{
    if (oid == OID_INT2 && n == 2)
        *out = (int16_t)(uint16_t)((unsigned char)p[0] << 8 | (unsigned char)p[1]);
    else if (oid == OID_INT4 && n == 4)
        *out = (int32_t)be32(p);
    else if (oid == OID_INT8 && n == 8)
        *out = (int64_t)be64(p);
    else
        return false;
    return true;
}

static bool read_float(const char *p, size_t n, Oid oid, double *out)
{
    if (oid == OID_FLOAT4 && n == 4) {
        uint32_t u = be32(p);
        float f;
        memcpy(&f, &u, sizeof f);
        *out = f;
    } else if (oid == OID_FLOAT8 && n == 8) {
        uint64_t u = be64(p);
        memcpy(out, &u, sizeof *out);
    } else {
        return false;
    }
    return true;
}

double daoc__pg_bin_float8(const char *p, size_t n)
{
    double d;
    return read_float(p, n, OID_FLOAT8, &d) ? d : NAN;
}

void daoc__pg_bin_uuid(const char *p, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int k = 0; k < 16; k++) {
        if (k == 4 || k == 6 || k == 8 || k == 10)
            out[o++] = '-';
        out[o++] = hex[(unsigned char)p[k] >> 4];
        out[o++] = hex[(unsigned char)p[k] & 15];
    }
    out[o] = '\0';
}

static int json_value(const char *p, size_t n, Oid oid, daoc_value **out)
{
    if (oid == OID_JSONB) { /* a version byte, then the text */
        if (n < 1 || p[0] != 1)
            return DAOC_ESTORE;
        p++;
        n--;
    }
    int rc = daoc__json_decode(p, n, out, NULL, 0);
    return rc == DAOC_OK || rc == DAOC_ENOMEM ? rc : DAOC_ESTORE;
}

size_t daoc__pg_bin_elems(const char *p, size_t n)
{
    if (n < 12 || be32(p) != 1 || n < 20)
        return 0;
    uint32_t dim = be32(p + 12);
    return dim < n / 4 ? dim : 0; /* each element takes 4 bytes at least */
}

/* A one-dimensional array of n bytes whose elements are of type want. */
static int array_value(const char *p, size_t n, Oid want, const daoc__field *el, daoc__bump *b,
                       daoc_value **out)
{
    if (n < 12)
        return DAOC_ESTORE;
    uint32_t ndim = be32(p);
    if (ndim > 1 || be32(p + 8) != want)
        return DAOC_ESTORE; /* multi-dimensional: not a daoc layout (as text.c) */
    size_t count = 0, i = 12;
    if (ndim == 1) {
        if (n < 20)
            return DAOC_ESTORE;
        count = be32(p + 12);
        i = 20;
        if (count > (n - i) / 4)
            return DAOC_ESTORE;
    }
    daoc_value *a = daoc__bump_arr(b, count);
    if (!a)
        return DAOC_ENOMEM;
    int rc = DAOC_OK;
    for (size_t k = 0; k < count && rc == DAOC_OK; k++) {
        if (n - i < 4) {
            rc = DAOC_ESTORE;
            break;
        }
        uint32_t len = be32(p + i);
        i += 4;
        daoc_value *e = NULL;
        if (len == 0xffffffffu) {
            e = daoc__bump_null(b);
            rc = e ? DAOC_OK : DAOC_ENOMEM;
        } else if (len > n - i) {
            rc = DAOC_ESTORE;
        } else {
            rc = json_kind(el) ? json_value(p + i, len, want, &e)
                               : daoc__pg_bin_value(p + i, len, want, el, b, &e);
            i += len;
        }
        if (rc == DAOC_OK)
            rc = daoc_arr_push(a, e);
        else
            daoc_value_free(e);
    }
    if (rc == DAOC_OK && i != n)
        rc = DAOC_ESTORE;
    if (rc != DAOC_OK) {
        daoc_value_free(a);
        return rc;
    }
    *out = a;
    return DAOC_OK;
}

int daoc__pg_bin_value(const char *p, size_t n, Oid oid, const daoc__field *f, daoc__bump *b,
                       daoc_value **out)
{
    *out = NULL;
    if (!daoc__pg_bin_ok(f, oid))
        return DAOC_ESTORE;
    if (f->type == DAOC__F_FOREIGN) /* the caller nests it under the pk's name */
        f = daoc__field_ref_key(f);
    int64_t i;
    double d;
    switch (f->type) {
    case DAOC__F_INTEGER:
    case DAOC__F_NUMBER:
        if (is_ts(oid)) {
            if (n != 8)
                return DAOC_ESTORE;
            int64_t us = (int64_t)be64(p);
            if (us == INT64_MAX || us == INT64_MIN) /* 'infinity', '-infinity' */
                return daoc__pg_ts_value(0, 0, us > 0 ? INFINITY : -INFINITY, f, b, out);
            /* microseconds since 2000-01-01, floored into seconds */
            int64_t s = us / 1000000, r = us % 1000000;
            if (r < 0)
                s--, r += 1000000;
            return daoc__pg_ts_value(s + 946684800, r, 0, f, b, out);
        }
        if (read_int(p, n, oid, &i)) {
            *out = f->type == DAOC__F_INTEGER ? daoc__bump_int(b, i) : daoc__bump_num(b, (double)i);
        } else if (read_float(p, n, oid, &d)) {
            if (f->type == DAOC__F_NUMBER) {
                *out = daoc__bump_num(b, d);
            } else {
                d = floor(d);
                if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
                    return DAOC_ESTORE; /* no integer holds it (nor NaN) */
                *out = daoc__bump_int(b, (int64_t)d);
            }
        } else {
            return DAOC_ESTORE;
        }
        break;
    case DAOC__F_BOOLEAN:
        if (n != 1)
            return DAOC_ESTORE;
        *out = daoc__bump_bool(b, p[0] != 0);
        break;
    case DAOC__F_STRING:
        if (oid == OID_UUID) {
            if (n != 16)
                return DAOC_ESTORE;
            char t[37];
            daoc__pg_bin_uuid(p, t);
            *out = daoc__bump_strn(b, t, 36);
        } else {
            if (memchr(p, '\0', n))
                return DAOC_ESTORE;
            *out = daoc__bump_strn(b, p, n);
        }
        break;
    case DAOC__F_ARRAY:
    case DAOC__F_SET: {
        int rc = array_value(p, n, elem_of(oid), f->elements, b, out);
        if (rc == DAOC_OK && f->type == DAOC__F_SET)
            (*out)->flags |= DAOC__VF_SET;
        return rc;
    }
    default: /* map, record, json */
        return json_value(p, n, oid, out);
    }
    return *out ? DAOC_OK : DAOC_ENOMEM;
}
