/*
 * offset.c -- paging offset tokens (Kong section 5.5): the standard base64
 * (no padding) of the JSON array of the last row's primary-key values.
 *
 * Tokens are opaque to callers and never trusted: decode rejects anything
 * that is not base64 of a JSON array of scalars with code 7.  The pager
 * (read.c) then asks daoc__offset_fits whether the values can be the
 * schema's primary key, so every store refuses the same tokens: a store
 * given "not-a-uuid" for a UUID column would otherwise answer with an
 * arbitrary page (SQLite) or a driver error (PostgreSQL).
 */
#include <string.h>

#include "core/alloc.h"
#include "core/b64.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/json.h"
#include "core/rand.h"
#include "core/value.h"
#include "dao/dao.h"

static int encode_buf(daoc__buf *b, char **out);

int daoc__offset_encode(const daoc__schema *s, const daoc_value *row, char **out)
{
    *out = NULL;
    daoc__buf b = DAOC__BUF_INIT;
    daoc__buf_putc(&b, '[');
    for (size_t i = 0; i < s->npk; i++) {
        const daoc__field *f = &s->fields[s->pk[i]];
        const daoc_value *v = row ? daoc__obj_getn(row, f->name, f->name_len) : NULL;
        if (v && v->type == DAOC_TOBJ && f->type == DAOC__F_FOREIGN)
            v = v->len ? v->u.o[0].val : NULL; /* the referenced entity's key */
        if (i)
            daoc__buf_putc(&b, ',');
        daoc__json_write(&b, v);
    }
    daoc__buf_putc(&b, ']');
    return encode_buf(&b, out);
}

int daoc__offset_encode_values(const daoc_value *values, char **out)
{
    *out = NULL;
    daoc__buf b = DAOC__BUF_INIT;
    daoc__json_write(&b, values);
    return encode_buf(&b, out);
}

/* The token of the JSON text in b (freed). */
static int encode_buf(daoc__buf *b, char **out)
{
    size_t len = 0;
    char *json = daoc__buf_take(b, &len);
    if (!json)
        return DAOC_ENOMEM;
    *out = daoc__b64_encode(json, len, 0);
    daoc__free(json);
    return *out ? DAOC_OK : DAOC_ENOMEM;
}

static int bad(const char *strategy, const char *token, const char *why, daoc_error **err)
{
    char *msg = daoc__asprintf("'%s' is not a valid offset: %s", token, why);
    if (!msg)
        return DAOC_ENOMEM;
    return daoc__dao_deliver(daoc__err_new(DAOC_ERR_INVALID_OFFSET, strategy, msg, NULL, false),
                             err);
}

static int decode(const char *strategy, const char *token, bool nulls, daoc_value **pk_values,
                  daoc_error **err);

int daoc__offset_decode(const char *strategy, const char *token, daoc_value **pk_values,
                        daoc_error **err)
{
    return decode(strategy, token, false, pk_values, err);
}

int daoc__offset_decode_nulls(const char *strategy, const char *token, daoc_value **values,
                              daoc_error **err)
{
    return decode(strategy, token, true, values, err);
}

static int decode(const char *strategy, const char *token, bool nulls, daoc_value **pk_values,
                  daoc_error **err)
{
    *pk_values = NULL;
    char *raw = NULL;
    size_t rawlen = 0;
    int r = daoc__b64_decode(token, strlen(token), &raw, &rawlen);
    if (r == -2)
        return DAOC_ENOMEM;
    if (r != 0 || !raw) {
        daoc__free(raw);
        return bad(strategy, token, "bad base64 encoding", err);
    }
    daoc_value *v = NULL;
    int rc = daoc__json_decode(raw, rawlen, &v, NULL, 0);
    daoc__free(raw);
    if (rc == DAOC_ENOMEM)
        return rc;
    bool ok = rc == DAOC_OK && v && v->type == DAOC_TARR && v->len > 0;
    for (size_t i = 0; ok && i < v->len; i++) {
        uint8_t t = v->u.a[i]->type;
        ok = t == DAOC_TSTR || t == DAOC_TINT || t == DAOC_TNUM || t == DAOC_TBOOL ||
             (nulls && t == DAOC_TNULL);
    }
    if (!ok) {
        daoc_value_free(v);
        return bad(strategy, token, "bad json encoding", err);
    }
    *pk_values = v;
    return DAOC_OK;
}

/* Whether v can be a value of primary-key field f. */
static bool fits(const daoc__field *f, const daoc_value *v)
{
    f = daoc__field_ref_key(f); /* a foreign key holds its entity's key */
    if (!f)
        return false;
    switch (f->type) {
    case DAOC__F_STRING:
        return v->type == DAOC_TSTR && strlen(v->u.s) == v->len &&
               (!f->uuid || daoc__is_uuid(v->u.s, v->len));
    case DAOC__F_INTEGER:
        return v->type == DAOC_TINT;
    case DAOC__F_NUMBER:
        return v->type == DAOC_TINT || v->type == DAOC_TNUM;
    case DAOC__F_BOOLEAN:
        return v->type == DAOC_TBOOL;
    default:
        return false;
    }
}

bool daoc__offset_value_fits(const daoc__field *f, const daoc_value *v)
{
    return f && v && fits(f, v);
}

bool daoc__offset_fits(const daoc__schema *s, const daoc_value *pk_values)
{
    if (!pk_values || pk_values->type != DAOC_TARR || pk_values->len != s->npk)
        return false;
    for (size_t i = 0; i < s->npk; i++)
        if (!fits(&s->fields[s->pk[i]], pk_values->u.a[i]))
            return false;
    return true;
}
