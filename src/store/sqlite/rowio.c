/*
 * rowio.c -- moving values between entity trees and SQLite statements.
 *
 * Binding: strings are bound SQLITE_STATIC (the caller's entity outlives the
 * step), composite values are written as compact JSON into the store's
 * scratch buffer and bound STATIC once the buffer has stopped growing
 * (daoc__sq_bind_finish).  NULLs are never bound: statements are cleared
 * after every use, so an unbound parameter already is NULL.
 *
 * Reading: a row is built straight from the column types into an object
 * whose key array is allocated once at its final size.  Foreign columns are
 * re-nested as {"<pk>": value}; JSON columns are decoded; the hidden ttl
 * column becomes the remaining whole seconds.  This file knows no SQL.
 */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/value.h"
#include "store/ddl.h"
#include "store/sqlite/sqlite_int.h"

void daoc__sq_bind_begin(daoc__sqlite *q)
{
    q->scratch.len = 0;
    q->scratch.failed = false;
    q->npending = 0;
}

/* Records that parameter idx is the scratch text written since `off`. */
static int pending_push(daoc__sqlite *q, int idx, size_t off)
{
    if (q->scratch.failed)
        return SQLITE_NOMEM;
    if (q->npending == q->pending_cap) {
        size_t cap = q->pending_cap ? q->pending_cap * 2 : 16;
        sq_pending *p = daoc__realloc(q->pending, cap * sizeof *p);
        if (!p)
            return SQLITE_NOMEM;
        q->pending = p;
        q->pending_cap = cap;
    }
    q->pending[q->npending].idx = idx;
    q->pending[q->npending].off = off;
    q->pending[q->npending].len = q->scratch.len - off;
    q->npending++;
    return SQLITE_OK;
}

static int bind_json(daoc__sqlite *q, int idx, const daoc_value *v)
{
    size_t off = q->scratch.len;
    daoc__json_write(&q->scratch, v);
    return pending_push(q, idx, off);
}

/* UUIDs are stored in PostgreSQL's canonical text form, lowercase, so that
 * both stores find and return the same text whatever case was given. */
static bool has_upper_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'F')
            return true;
    return false;
}

static void lower_hex(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'F')
            s[i] = (char)(s[i] - 'A' + 'a');
}

/* An element definition that holds uuid strings. */
static bool uuid_elements(const daoc__field *f)
{
    return f && (f->type == DAOC__F_ARRAY || f->type == DAOC__F_SET) && f->elements &&
           f->elements->type == DAOC__F_STRING && f->elements->uuid;
}

/* Binds v (a uuid string, or the JSON of an array of validated uuid
 * strings: nothing but hex digits, dashes and JSON punctuation) lowercased,
 * through the scratch buffer. */
static int bind_lowered(daoc__sqlite *q, int idx, const daoc_value *v)
{
    size_t off = q->scratch.len;
    if (v->type == DAOC_TSTR)
        daoc__buf_append(&q->scratch, v->u.s, v->len);
    else
        daoc__json_write(&q->scratch, v);
    if (!q->scratch.failed)
        lower_hex(q->scratch.data + off, q->scratch.len - off);
    return pending_push(q, idx, off);
}

int daoc__sq_bind_finish(daoc__sqlite *q, sqlite3_stmt *st)
{
    for (size_t i = 0; i < q->npending; i++) {
        sq_pending *p = &q->pending[i];
        int rc = sqlite3_bind_text64(st, p->idx, q->scratch.data + p->off, p->len, SQLITE_STATIC,
                                     SQLITE_UTF8);
        if (rc != SQLITE_OK)
            return rc;
    }
    q->npending = 0;
    return SQLITE_OK;
}

static int bind_plain(daoc__sqlite *q, sqlite3_stmt *st, int idx, const daoc_value *v)
{
    switch (v->type) {
    case DAOC_TBOOL:
        return sqlite3_bind_int(st, idx, v->u.b ? 1 : 0);
    case DAOC_TINT:
        return sqlite3_bind_int64(st, idx, v->u.i);
    case DAOC_TNUM:
        return sqlite3_bind_double(st, idx, v->u.n);
    case DAOC_TSTR:
        return sqlite3_bind_text64(st, idx, v->u.s, v->len, SQLITE_STATIC, SQLITE_UTF8);
    case DAOC_TARR:
    case DAOC_TOBJ:
        return bind_json(q, idx, v);
    default:
        return SQLITE_OK; /* null, functions: stays NULL */
    }
}

int daoc__sq_bind_field(daoc__sqlite *q, sqlite3_stmt *st, int idx, const daoc__field *f,
                        const daoc_value *v)
{
    if (!v || v->type == DAOC_TNULL)
        return SQLITE_OK;
    if (!f)
        return bind_plain(q, st, idx, v);
    switch (f->type) {
    case DAOC__F_INTEGER:
        if (v->type == DAOC_TNUM && v->u.n == floor(v->u.n) && fabs(v->u.n) < 9.0e18)
            return sqlite3_bind_int64(st, idx, (int64_t)v->u.n);
        return bind_plain(q, st, idx, v);
    case DAOC__F_NUMBER:
        if (v->type == DAOC_TINT)
            return sqlite3_bind_double(st, idx, (double)v->u.i);
        return bind_plain(q, st, idx, v);
    case DAOC__F_STRING:
        if (f->uuid && v->type == DAOC_TSTR && has_upper_hex(v->u.s, v->len))
            return bind_lowered(q, idx, v);
        return bind_plain(q, st, idx, v);
    case DAOC__F_ARRAY:
    case DAOC__F_SET:
        if (uuid_elements(f))
            return bind_lowered(q, idx, v);
        return bind_json(q, idx, v);
    case DAOC__F_MAP:
    case DAOC__F_RECORD:
    case DAOC__F_JSON:
        return bind_json(q, idx, v);
    case DAOC__F_FOREIGN:
        if (v->type == DAOC_TOBJ) {
            if (!f->ref || f->ref->npk == 0)
                return SQLITE_OK;
            const daoc__field *pkf = &f->ref->fields[f->ref->pk[0]];
            return daoc__sq_bind_field(q, st, idx, pkf,
                                       daoc__obj_getn(v, pkf->name, pkf->name_len));
        }
        return daoc__sq_bind_field(q, st, idx, daoc__field_ref_key(f), v);
    default:
        return bind_plain(q, st, idx, v);
    }
}

int daoc__sq_bind_entity(daoc__sqlite *q, sqlite3_stmt *st, const daoc__schema *s,
                         const daoc_value *entity)
{
    int k = 0;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        const daoc_value *v = daoc__obj_getn(entity, f->name, f->name_len);
        int rc = daoc__sq_bind_field(q, st, SQ_P_COL(k), f, v);
        if (rc != SQLITE_OK)
            return rc;
        k++;
    }
    return SQLITE_OK;
}

int daoc__sq_bind_key(daoc__sqlite *q, sqlite3_stmt *st, const daoc__schema *s,
                      const daoc__key *key, int first)
{
    if (!key->key)
        return SQLITE_OK;
    if (key->field == DAOC__KEY_CACHE_KEY)
        return daoc__sq_bind_field(q, st, first, NULL, key->key);
    if (key->field >= 0)
        return daoc__sq_bind_field(q, st, first, &s->fields[key->field], key->key);
    if (key->key->type != DAOC_TOBJ)
        return s->npk == 1 ? daoc__sq_bind_field(q, st, first, &s->fields[s->pk[0]], key->key)
                           : SQLITE_MISMATCH;
    for (size_t j = 0; j < s->npk; j++) {
        const daoc__field *f = &s->fields[s->pk[j]];
        int rc = daoc__sq_bind_field(q, st, first + (int)j, f,
                                     daoc__obj_getn(key->key, f->name, f->name_len));
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

/* ---- reading ------------------------------------------------------------ */

static daoc_value *plain_column(sqlite3_stmt *st, int c)
{
    switch (sqlite3_column_type(st, c)) {
    case SQLITE_INTEGER:
        return daoc_int(sqlite3_column_int64(st, c));
    case SQLITE_FLOAT:
        return daoc_num(sqlite3_column_double(st, c));
    case SQLITE_NULL:
        return daoc_null();
    default: {
        const unsigned char *t = sqlite3_column_text(st, c);
        return daoc_strn((const char *)t, (size_t)sqlite3_column_bytes(st, c));
    }
    }
}

/* Fast path for the most common JSON column, an array of plain strings
 * (tags, hosts, ...): ["a","b"] without escapes.  Returns 1 with *out set,
 * 0 when the text is anything else (the caller parses it fully), -1 on
 * ENOMEM. */
static int string_array(const char *s, size_t n, daoc_value **out)
{
    if (n < 2 || s[0] != '[' || s[n - 1] != ']')
        return 0;
    size_t i = 1;
    daoc_value *a = daoc_arr();
    if (!a)
        return -1;
    if (n == 2)
        goto done;
    for (;;) {
        if (i >= n || s[i] != '"')
            goto not_mine;
        size_t start = ++i;
        while (i < n && s[i] != '"' && s[i] != '\\' && (unsigned char)s[i] >= 0x20)
            i++;
        if (i >= n || s[i] != '"')
            goto not_mine;
        if (daoc_arr_push(a, daoc_strn(s + start, i - start)) != DAOC_OK) {
            daoc_value_free(a);
            return -1;
        }
        i++;
        if (i == n - 1)
            break;
        if (s[i] != ',')
            goto not_mine;
        i++;
    }
done:
    *out = a;
    return 1;
not_mine:
    daoc_value_free(a);
    return 0;
}

/* Returns the value of column c for field f; NULL on ENOMEM, or with
 * *bad_json set when stored JSON does not parse. */
static daoc_value *column_value(const daoc__field *f, sqlite3_stmt *st, int c, bool *bad_json)
{
    int t = sqlite3_column_type(st, c);
    if (t == SQLITE_NULL)
        return daoc_null();
    switch (f->type) {
    case DAOC__F_STRING:
        if (t == SQLITE_TEXT) {
            const unsigned char *s = sqlite3_column_text(st, c);
            return daoc_strn((const char *)s, (size_t)sqlite3_column_bytes(st, c));
        }
        return plain_column(st, c);
    case DAOC__F_NUMBER:
        if (t == SQLITE_INTEGER || t == SQLITE_FLOAT)
            return daoc_num(sqlite3_column_double(st, c));
        return plain_column(st, c);
    case DAOC__F_BOOLEAN:
        if (t == SQLITE_INTEGER)
            return daoc_bool(sqlite3_column_int64(st, c) != 0);
        return plain_column(st, c);
    case DAOC__F_ARRAY:
    case DAOC__F_SET:
    case DAOC__F_MAP:
    case DAOC__F_RECORD:
    case DAOC__F_JSON: {
        const unsigned char *s = sqlite3_column_text(st, c);
        size_t n = (size_t)sqlite3_column_bytes(st, c);
        daoc_value *v = NULL;
        int rc = string_array((const char *)s, n, &v);
        if (rc == 0)
            rc = daoc__json_decode((const char *)s, n, &v, NULL, 0);
        else
            rc = rc > 0 ? DAOC_OK : DAOC_ENOMEM;
        if (rc == DAOC_ENOMEM)
            return NULL;
        if (rc != DAOC_OK) {
            *bad_json = true;
            return NULL;
        }
        if (f->type == DAOC__F_SET && v->type == DAOC_TARR)
            v->flags |= DAOC__VF_SET;
        return v;
    }
    case DAOC__F_FOREIGN: {
        if (!f->ref || f->ref->npk == 0)
            return plain_column(st, c);
        const daoc__field *pkf = &f->ref->fields[f->ref->pk[0]];
        daoc_value *o = daoc_obj();
        daoc_value *inner = o ? column_value(pkf, st, c, bad_json) : NULL;
        if (!inner || daoc__obj_append_field(o, pkf, inner) != DAOC_OK) {
            daoc_value_free(o);
            return NULL;
        }
        return o;
    }
    default:
        return plain_column(st, c);
    }
}


int daoc__sq_row(const daoc__schema *s, sqlite3_stmt *st, double now, daoc_value **out, char **msg)
{
    int rc = DAOC_ENOMEM;
    size_t want = daoc__sq_ncol(s) + (s->ttl ? 1 : 0);
    daoc_value *o = daoc__obj_sized(want);
    if (!o)
        return DAOC_ENOMEM;

    int c = 0;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        bool bad_json = false;
        daoc_value *v = column_value(f, st, c, &bad_json);
        if (bad_json) {
            rc = DAOC_ESTORE;
            if (msg && !(*msg = daoc__asprintf("invalid JSON stored in column '%s' of '%s'",
                                               daoc__field_column(f), s->name)))
                rc = DAOC_ENOMEM;
            goto fail;
        }
        if (daoc__obj_append_field(o, f, v) != DAOC_OK)
            goto fail;
        c++;
    }
    if (s->ttl) {
        daoc_value *v;
        if (sqlite3_column_type(st, c) == SQLITE_NULL)
            v = daoc_null();
        else
            v = daoc_int((int64_t)floor(sqlite3_column_double(st, c) - now));
        if (daoc__obj_append(o, "ttl", 3, v) != DAOC_OK)
            goto fail;
    }
    *out = o;
    return DAOC_OK;
fail:
    daoc_value_free(o);
    return rc;
}

/* ---- rows rebuilt from written entities --------------------------------- */

/* The value of field f as reading the column back would give it. */
static daoc_value *stored_copy(const daoc__field *f, const daoc_value *v)
{
    if (!v || v->type == DAOC_TNULL || v->type == DAOC_TFUNC)
        return daoc_null();
    switch (f->type) {
    case DAOC__F_INTEGER:
        if (v->type == DAOC_TNUM && v->u.n == floor(v->u.n) && fabs(v->u.n) < 9.0e18)
            return daoc_int((int64_t)v->u.n);
        if (v->type == DAOC_TBOOL)
            return daoc_int(v->u.b ? 1 : 0);
        return daoc_value_copy(v);
    case DAOC__F_NUMBER:
        if (v->type == DAOC_TINT)
            return daoc_num((double)v->u.i);
        return daoc_value_copy(v);
    case DAOC__F_STRING: {
        daoc_value *c = daoc_value_copy(v);
        if (c && f->uuid && c->type == DAOC_TSTR)
            lower_hex(c->u.s, c->len);
        return c;
    }
    case DAOC__F_ARRAY:
    case DAOC__F_SET: {
        daoc_value *c = daoc_value_copy(v);
        if (c && c->type == DAOC_TARR) {
            if (f->type == DAOC__F_SET)
                c->flags |= DAOC__VF_SET;
            for (size_t i = 0; uuid_elements(f) && i < c->len; i++)
                if (c->u.a[i]->type == DAOC_TSTR)
                    lower_hex(c->u.a[i]->u.s, c->u.a[i]->len);
        }
        return c;
    }
    case DAOC__F_FOREIGN: {
        if (!f->ref || f->ref->npk == 0)
            return daoc_value_copy(v);
        const daoc__field *pkf = &f->ref->fields[f->ref->pk[0]];
        const daoc_value *inner =
            v->type == DAOC_TOBJ ? daoc__obj_getn(v, pkf->name, pkf->name_len) : v;
        if (!inner || inner->type == DAOC_TNULL)
            return daoc_null();
        daoc_value *o = daoc_obj();
        if (!o || daoc__obj_append_field(o, pkf, stored_copy(pkf, inner)) != DAOC_OK) {
            daoc_value_free(o);
            return NULL;
        }
        return o;
    }
    default:
        return daoc_value_copy(v);
    }
}

int daoc__sq_row_from_entity(const daoc__schema *s, const daoc_value *entity, double expiry,
                             double now, daoc_value **out)
{
    size_t want = daoc__sq_ncol(s) + (s->ttl ? 1 : 0);
    daoc_value *o = daoc__obj_sized(want);
    if (!o)
        return DAOC_ENOMEM;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        const daoc_value *v = daoc__obj_getn(entity, f->name, f->name_len);
        if (daoc__obj_append_field(o, f, stored_copy(f, v)) != DAOC_OK)
            goto fail;
    }
    if (s->ttl) {
        daoc_value *v = expiry < 0 ? daoc_null() : daoc_int((int64_t)floor(expiry - now));
        if (daoc__obj_append(o, "ttl", 3, v) != DAOC_OK)
            goto fail;
    }
    *out = o;
    return DAOC_OK;
fail:
    daoc_value_free(o);
    return DAOC_ENOMEM;
}
