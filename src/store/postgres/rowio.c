/*
 * rowio.c -- moving values between entity trees and PostgreSQL statements.
 *
 * Binding follows a statement's parameter plan (pg_int.h): each parameter
 * names where its value comes from.  Values travel in text format; plain
 * strings are passed by pointer (the caller's entity outlives the call),
 * everything else is written into the store's scratch buffer (numbers,
 * booleans, array literals, JSON) and pointed at once the buffer has
 * stopped growing.  A NULL pointer is SQL NULL.
 *
 * Reading builds an entity-shaped row from one result row: foreign columns
 * re-nested as {"<pk>": value}, arrays and JSONB decoded, the computed ttl
 * column as whole remaining seconds.  An insert whose every value reads
 * back as itself (daoc__pg_row_exact) skips RETURNING and gets the same
 * row rebuilt from the bound entity.  This file knows no SQL text.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/rand.h"
#include "core/value.h"
#include "store/postgres/pg_int.h"

#define NO_OFF SIZE_MAX

static int grow_vals(daoc__pg *q, int n)
{
    if (n <= q->vals_cap)
        return DAOC_OK;
    int cap = q->vals_cap ? q->vals_cap : 16;
    while (cap < n)
        cap *= 2;
    const char **v = daoc__malloc((size_t)cap * sizeof *v);
    size_t *o = daoc__malloc((size_t)cap * sizeof *o);
    if (!v || !o) {
        daoc__free(v);
        daoc__free(o);
        return DAOC_ENOMEM;
    }
    daoc__free(q->vals);
    daoc__free(q->offs);
    q->vals = v;
    q->offs = o;
    q->vals_cap = cap;
    return DAOC_OK;
}

/* The field and value parameter p takes from ctx (*f may be NULL). */
static void source(const daoc__schema *s, const pg_param *p, const pg_bind *ctx,
                   const daoc__field **f, const daoc_value **v)
{
    *f = NULL;
    *v = NULL;
    switch (p->kind) {
    case PGP_COL:
        *f = &s->fields[p->idx];
        if (ctx->fv)
            *v = ctx->fv[p->idx];
        else if (ctx->entity)
            *v = daoc__obj_getn(ctx->entity, (*f)->name, (*f)->name_len);
        break;
    case PGP_KEY: {
        const daoc__key *k = ctx->key;
        if (!k || !k->key)
            break;
        if (k->field == DAOC__KEY_CACHE_KEY) {
            *v = k->key;
        } else if (k->field >= 0) {
            *f = &s->fields[k->field];
            *v = k->key;
        } else {
            *f = &s->fields[s->pk[p->idx]];
            if (k->key->type == DAOC_TOBJ)
                *v = daoc__obj_getn(k->key, (*f)->name, (*f)->name_len);
            else if (s->npk == 1)
                *v = k->key;
        }
        break;
    }
    case PGP_FK:
        *f = &s->fields[p->idx];
        *v = ctx->page ? ctx->page->fk : NULL;
        break;
    case PGP_TAGS:
        *v = ctx->page ? ctx->page->tags : NULL;
        break;
    case PGP_QVAL: {
        const daoc__page_query *qy = ctx->page ? ctx->page->query : NULL;
        if (qy && p->idx < qy->nconds) {
            *f = &s->fields[qy->conds[p->idx].field];
            *v = qy->conds[p->idx].value;
        }
        break;
    }
    case PGP_QAFTER: {
        const daoc__page_query *qy = ctx->page ? ctx->page->query : NULL;
        if (qy && qy->sort >= 0) {
            *f = &s->fields[qy->sort];
            *v = qy->after_sort;
        }
        break;
    }
    case PGP_AFTER: {
        const daoc_value *a = ctx->page ? ctx->page->after : NULL;
        *f = &s->fields[s->pk[p->idx]];
        if (a && a->type == DAOC_TARR && p->idx < a->len)
            *v = a->u.a[p->idx];
        break;
    }
    default:
        break;
    }
}

/* PostgreSQL text cannot hold NUL bytes.  A column value is refused rather
 * than cut (the DAO refuses such entities before they get here, for both
 * stores alike; this is the backstop); a key, page argument or filter
 * holding one can match no stored row: DAOC_ENOTFOUND. */
static int nul_byte(const daoc__schema *s, const pg_param *p, char **msg)
{
    if (p->kind != PGP_COL)
        return DAOC_ENOTFOUND;
    if (msg && !(*msg = daoc__asprintf("cannot store a string containing a NUL byte (%s.%s)",
                                       s->name, s->fields[p->idx].name)))
        return DAOC_ENOMEM;
    return DAOC_ESTORE;
}

int daoc__pg_bind(daoc__pg *q, const daoc__schema *s, const pg_stmt *st, const pg_bind *ctx,
                  char **msg)
{
    if (grow_vals(q, st->nparams) != DAOC_OK)
        return DAOC_ENOMEM;
    daoc__buf *b = &q->scratch;
    b->len = 0;
    b->failed = false;
    for (int i = 0; i < st->nparams; i++) {
        const pg_param *p = &st->params[i];
        q->vals[i] = NULL;
        q->offs[i] = NO_OFF;
        size_t off = b->len;
        switch (p->kind) {
        case PGP_CK:
            q->vals[i] = ctx->cache_key;
            continue;
        case PGP_WS:
            q->vals[i] = ctx->ws_id;
            continue;
        case PGP_TTL:
            if (!ctx->has_expiry)
                continue;
            daoc__buf_printf(b, "%.6f", ctx->expiry);
            break;
        case PGP_LIMIT:
            daoc__buf_printf(b, "%lld", (long long)ctx->limit);
            break;
        default: {
            const daoc__field *f;
            const daoc_value *v;
            source(s, p, ctx, &f, &v);
            if (daoc__is_nil_or_null(v) || v->type == DAOC_TFUNC)
                continue;
            if (v->type == DAOC_TSTR && (!f || f->type == DAOC__F_STRING)) {
                if (memchr(v->u.s, '\0', v->len))
                    return nul_byte(s, p, msg);
                q->vals[i] = v->u.s; /* NUL-terminated, outlives the call */
                continue;
            }
            daoc__pg_put_value(b, f, v);
            if (!b->failed && memchr(b->data + off, '\0', b->len - off))
                return nul_byte(s, p, msg);
            break;
        }
        }
        daoc__buf_putc(b, '\0');
        q->offs[i] = off;
    }
    if (b->failed)
        return DAOC_ENOMEM;
    for (int i = 0; i < st->nparams; i++)
        if (q->offs[i] != NO_OFF)
            q->vals[i] = b->data + q->offs[i];
    return DAOC_OK;
}

/* ---- reading ------------------------------------------------------------ */

/* Appends the computed "ttl" column under an interned key (looked up once). */
static int append_ttl(daoc_value *o, daoc_value *v)
{
    static _Atomic(const char *) key;
    const char *k = atomic_load_explicit(&key, memory_order_acquire);
    if (!k && (k = daoc__key_intern("ttl", 3)))
        atomic_store_explicit(&key, k, memory_order_release);
    return k ? daoc__obj_append_interned(o, k, 3, v) : daoc__obj_append(o, "ttl", 3, v);
}

/* The value of field f from its column: text (oid 0) or binary of type
 * oid.  A foreign field's column holds its reference's primary key:
 * re-nested as {"<pk>": value}. */
static int col_value(const daoc__field *f, const char *text, size_t len, Oid oid, daoc__bump *b,
                     daoc_value **out)
{
    if (f->type != DAOC__F_FOREIGN)
        return oid ? daoc__pg_bin_value(text, len, oid, f, b, out)
                   : daoc__pg_parse_value(text, len, f, b, out);
    *out = NULL;
    if (!f->ref || f->ref->npk == 0)
        return oid ? DAOC_ESTORE : daoc__pg_parse_value(text, len, NULL, b, out);
    const daoc__field *pkf = &f->ref->fields[f->ref->pk[0]];
    daoc_value *o = daoc__bump_obj(b, 1), *inner = NULL;
    if (!o)
        return DAOC_ENOMEM;
    int rc = col_value(pkf, text, len, oid, b, &inner);
    if (rc == DAOC_OK)
        rc = daoc__obj_append_field(o, pkf, inner);
    if (rc != DAOC_OK) {
        daoc_value_free(o);
        return rc;
    }
    *out = o;
    return DAOC_OK;
}

/* Column c of row r: its text and length, or NULL for SQL NULL (asked of
 * libpq once per column). */
typedef struct pg_cell {
    const char *text;
    size_t len;
} pg_cell;

#define PG_ROW_CELLS 64 /* wider rows ask libpq column by column */

static pg_cell cell(const PGresult *res, int r, int c)
{
    pg_cell x = {PQgetvalue(res, r, c), (size_t)PQgetlength(res, r, c)};
    if (x.len == 0 && PQgetisnull(res, r, c))
        x.text = NULL;
    return x;
}

/* Bytes the values of a row need when carved from one block: an upper
 * bound (a string's bytes -- 36 for a binary uuid --, an array's elements
 * counted by its commas or read from its binary header); JSON columns are
 * parsed into ordinary allocations and need none. */
static size_t row_bytes(const daoc__schema *s, const pg_cell *cells, int nc, bool bin)
{
    size_t n = 0;
    int c = 0;
    for (size_t i = 0; i < s->nfields && c < nc; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        const pg_cell *x = &cells[c++];
        size_t len = bin && x->len < 36 ? 36 : x->len; /* a uuid's text is longer */
        if (!x->text) {
            n += DAOC__BUMP_SCALAR;
        } else if (f->type == DAOC__F_FOREIGN) {
            n += sizeof(daoc_value) + sizeof(daoc__kv) + DAOC__BUMP_STR(len);
        } else if (f->type == DAOC__F_ARRAY || f->type == DAOC__F_SET) {
            size_t elems = 0;
            if (bin) {
                elems = daoc__pg_bin_elems(x->text, x->len);
            } else {
                elems = x->len > 2 ? 1 : 0;
                for (size_t k = 1; k + 1 < x->len; k++)
                    elems += x->text[k] == ',';
            }
            n += DAOC__BUMP_ARR(elems) + elems * DAOC__BUMP_STR(bin ? 36 : 0) + x->len;
        } else if (f->type != DAOC__F_MAP && f->type != DAOC__F_RECORD &&
                   f->type != DAOC__F_JSON) {
            n += DAOC__BUMP_STR(len);
        }
    }
    return n + (s->ttl ? DAOC__BUMP_SCALAR : 0);
}

bool daoc__pg_row_binary(const daoc__schema *s, const PGresult *desc)
{
    int nf = desc ? PQnfields(desc) : 0, c = 0;
    if (nf == 0)
        return false;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        if (c >= nf || !daoc__pg_bin_ok(f, PQftype(desc, c)))
            return false;
        c++;
    }
    if (s->ttl && (c >= nf || PQftype(desc, c++) != 701)) /* float8 */
        return false;
    if (c < nf && s->workspaceable && PQftype(desc, c) == 2950) /* ws_id uuid */
        c++;
    return c == nf;
}

int daoc__pg_row(const daoc__schema *s, const PGresult *res, int r, daoc_value **out, char **msg)
{
    int rc = DAOC_ENOMEM;
    int nf = PQnfields(res);
    bool bin = nf > 0 && PQfformat(res, 0) == 1;
    size_t want = nf > 0 ? (size_t)nf : 1;
    pg_cell cells[PG_ROW_CELLS];
    int nc = nf < PG_ROW_CELLS ? nf : PG_ROW_CELLS;
    for (int c = 0; c < nc; c++)
        cells[c] = cell(res, r, c);
    /* the row and its values in one allocation (value.h, daoc__obj_block);
     * columns past PG_ROW_CELLS get ordinary allocations */
    daoc__bump b;
    daoc_value *o = daoc__obj_block(want, row_bytes(s, cells, nc, bin), &b);
    if (!o)
        return DAOC_ENOMEM;

    int c = 0;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        daoc_value *v = NULL;
        if (c >= nf) {
            rc = DAOC_ESTORE;
            goto bad;
        }
        pg_cell x = c < nc ? cells[c] : cell(res, r, c);
        if (!x.text) {
            v = daoc__bump_null(&b);
        } else {
            rc = col_value(f, x.text, x.len, bin ? PQftype(res, c) : 0, &b, &v);
            if (rc == DAOC_ESTORE) {
                if (msg && !(*msg = daoc__asprintf("unexpected value stored in column '%s' of '%s'",
                                                   daoc__pg_col(f), s->name)))
                    rc = DAOC_ENOMEM;
                goto fail;
            }
            if (rc != DAOC_OK)
                goto fail;
        }
        rc = daoc__obj_append_field(o, f, v);
        if (rc != DAOC_OK)
            goto fail;
        c++;
    }
    if (s->ttl) {
        daoc_value *v;
        if (c >= nf) {
            rc = DAOC_ESTORE;
            goto bad;
        }
        pg_cell x = c < nc ? cells[c] : cell(res, r, c);
        if (!x.text) {
            v = daoc__bump_null(&b);
        } else {
            /* seconds (a double, sql.c), floored to whole ones */
            double d = floor(bin ? daoc__pg_bin_float8(x.text, x.len) : strtod(x.text, NULL));
            if (!(d > -9.0e18 && d < 9.0e18)) {
                rc = DAOC_ESTORE;
                goto bad;
            }
            v = daoc__bump_int(&b, (int64_t)d);
        }
        rc = append_ttl(o, v);
        if (rc != DAOC_OK)
            goto fail;
    }
    *out = o;
    return DAOC_OK;
bad:
    if (msg && !(*msg = daoc__asprintf("unexpected result shape for '%s'", s->name)))
        rc = DAOC_ENOMEM;
fail:
    daoc_value_free(o);
    return rc;
}

/* ---- rows rebuilt from inserted entities -------------------------------- */

/* What PostgreSQL prints for a uuid: lowercase, 8-4-4-4-12. */
static bool canonical_uuid(const daoc_value *v)
{
    return v->type == DAOC_TSTR && daoc__is_uuid_lower(v->u.s, v->len);
}

/* Does a non-null v of scalar field f read back as itself? */
static bool scalar_exact(const daoc__field *f, const daoc_value *v)
{
    switch (f->type) {
    case DAOC__F_STRING:
        return f->uuid ? canonical_uuid(v) : v->type == DAOC_TSTR;
    case DAOC__F_INTEGER:
        /* whole-second timestamps well inside the range a double holds in
         * microseconds */
        return v->type == DAOC_TINT && (!f->timestamp || (v->u.i > -100000000000LL &&
                                                          v->u.i < 100000000000LL));
    case DAOC__F_BOOLEAN:
        return v->type == DAOC_TBOOL;
    default:
        return false; /* doubles, JSONB: the server's text may differ */
    }
}

static bool value_exact(const daoc__field *f, const daoc_value *v, int depth)
{
    if (daoc__is_nil_or_null(v) || v->type == DAOC_TFUNC)
        return true; /* bound as NULL, read back as null */
    switch (f->type) {
    case DAOC__F_ARRAY:
    case DAOC__F_SET:
        if (v->type == DAOC_TOBJ)
            return v->len == 0;
        if (v->type != DAOC_TARR || !f->elements || f->elements->type == DAOC__F_ARRAY ||
            f->elements->type == DAOC__F_SET)
            return false;
        for (size_t i = 0; i < v->len; i++) {
            const daoc_value *e = v->u.a[i];
            if (!daoc__is_null(e) && !scalar_exact(f->elements, e))
                return false;
        }
        return true;
    case DAOC__F_FOREIGN: {
        if (!f->ref || f->ref->npk == 0 || v->type != DAOC_TOBJ || depth > 8)
            return false;
        const daoc__field *pkf = &f->ref->fields[f->ref->pk[0]];
        const daoc_value *inner = daoc__obj_getn(v, pkf->name, pkf->name_len);
        return inner && !daoc__is_null(inner) && inner->type != DAOC_TFUNC &&
               value_exact(pkf, inner, depth + 1);
    }
    default:
        return scalar_exact(f, v);
    }
}

const daoc_value *const *daoc__pg_field_values(daoc__pg *q, const daoc__schema *s,
                                               const daoc_value *entity)
{
    if (s->nfields > q->fv_cap) {
        size_t cap = s->nfields < 16 ? 16 : s->nfields;
        const daoc_value **t = daoc__malloc(cap * sizeof *t);
        if (!t)
            return NULL;
        daoc__free(q->fv);
        q->fv = t;
        q->fv_cap = cap;
    }
    bool obj = entity && entity->type == DAOC_TOBJ;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        q->fv[i] = obj && !f->transient ? daoc__obj_getn(entity, f->name, f->name_len) : NULL;
    }
    return q->fv;
}

bool daoc__pg_row_exact(const daoc__schema *s, const daoc_value *const *fv)
{
    for (size_t i = 0; i < s->nfields; i++)
        if (!s->fields[i].transient && !value_exact(&s->fields[i], fv[i], 0))
            return false;
    return true;
}

/* The value col_value would build for an exact v of field f. */
static daoc_value *stored_copy(const daoc__field *f, const daoc_value *v, daoc__bump *b)
{
    if (daoc__is_nil_or_null(v) || v->type == DAOC_TFUNC)
        return daoc__bump_null(b);
    switch (f->type) {
    case DAOC__F_ARRAY:
    case DAOC__F_SET: {
        if (v->type != DAOC_TARR) {
            daoc_value *a = daoc__bump_arr(b, 0);
            if (a && f->type == DAOC__F_SET)
                a->flags |= DAOC__VF_SET;
            return a;
        }
        daoc_value *a = daoc__bump_copy(b, v);
        if (a && f->type == DAOC__F_SET)
            a->flags |= DAOC__VF_SET;
        return a;
    }
    case DAOC__F_FOREIGN: {
        const daoc__field *pkf = &f->ref->fields[f->ref->pk[0]];
        daoc_value *o = daoc__bump_obj(b, 1);
        if (!o ||
            daoc__obj_append_field(o, pkf,
                                   stored_copy(pkf, daoc__obj_getn(v, pkf->name, pkf->name_len),
                                               b)) != DAOC_OK) {
            daoc_value_free(o);
            return NULL;
        }
        return o;
    }
    default:
        return daoc__bump_copy(b, v);
    }
}

/* Bytes stored_copy carves for v of field f. */
static size_t stored_size(const daoc__field *f, const daoc_value *v)
{
    if (daoc__is_nil_or_null(v) || v->type == DAOC_TFUNC)
        return DAOC__BUMP_SCALAR;
    if (f->type == DAOC__F_FOREIGN) {
        const daoc__field *pkf = &f->ref->fields[f->ref->pk[0]];
        return sizeof(daoc_value) + sizeof(daoc__kv) +
               stored_size(pkf, daoc__obj_getn(v, pkf->name, pkf->name_len));
    }
    if ((f->type == DAOC__F_ARRAY || f->type == DAOC__F_SET) && v->type != DAOC_TARR)
        return DAOC__BUMP_ARR(0);
    return daoc__bump_size(v);
}

int daoc__pg_row_from_entity(const daoc__schema *s, const daoc_value *const *fv, bool has_ttl,
                             int64_t remaining, daoc_value **out)
{
    *out = NULL;
    size_t want = (s->ttl ? 1 : 0), extra = s->ttl ? DAOC__BUMP_SCALAR : 0;
    for (size_t i = 0; i < s->nfields; i++) {
        if (s->fields[i].transient)
            continue;
        want++;
        extra += stored_size(&s->fields[i], fv[i]);
    }
    /* one allocation, as the rows read back from the server (daoc__pg_row) */
    daoc__bump b;
    daoc_value *o = daoc__obj_block(want, extra, &b);
    if (!o)
        return DAOC_ENOMEM;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        if (daoc__obj_append_field(o, f, stored_copy(f, fv[i], &b)) != DAOC_OK)
            goto fail;
    }
    if (s->ttl &&
        append_ttl(o, has_ttl ? daoc__bump_int(&b, remaining) : daoc__bump_null(&b)) != DAOC_OK)
        goto fail;
    *out = o;
    return DAOC_OK;
fail:
    daoc_value_free(o);
    return DAOC_ENOMEM;
}
