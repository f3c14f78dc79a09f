/*
 * page_query.c -- beyond Kong: the query options of daoc_dao_page and
 * daoc_dao_page_for (`filter`, `sort`) and daoc_dao_count, on the fields
 * an index serves (the single-field primary key, unique fields, foreign
 * keys, created_at: the indexes every store's table layout has; a table
 * Kong's migrations made has no created_at index, and is scanned).
 *
 *   filter = { <field> = <value> | { eq|gt|gte|lt|lte = <value>, ... } }
 *   sort   = "<field>" | "-<field>" (descending)
 *
 * Conditions combine with AND (and with tags, the foreign key of
 * page_for, ttl and workspace); a value has the field's type (a foreign
 * key: its entity's key, or {"<key>": value}).  Anything else -- an
 * unknown or unindexed field, an unknown operator, a value of another
 * type -- is code 11 naming the option, and runs no statement.
 *
 * Offsets.  Pages are keyset pages on (sort field, primary key), so ties
 * of the sort value neither skip nor repeat rows.  The default order
 * (primary key ascending) takes Kong's tokens; any other order's token is
 * the base64 JSON array [<sort>, <sort value>, <pk values>...] (no sort
 * value when sorting on the primary key), and a token of another order is
 * code 7.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/value.h"
#include "dao/dao.h"

static const char *const OPS[] = {NULL, "eq", "gt", "gte", "lt", "lte"};

/* Whether an index serves field i of s (and its values are scalars). */
static bool served(const daoc__schema *s, size_t i)
{
    const daoc__field *f = &s->fields[i];
    if (f->transient)
        return false;
    if (f->type == DAOC__F_FOREIGN)
        return f->ref && f->ref->npk == 1 && daoc__field_ref_key(f);
    if (f->type != DAOC__F_STRING && f->type != DAOC__F_INTEGER && f->type != DAOC__F_NUMBER &&
        f->type != DAOC__F_BOOLEAN)
        return false;
    return f->unique || (s->npk == 1 && s->pk[0] == i) || daoc__field_created_at_index(f);
}

/* Code 11 with options = {key: <message>}. */
static int refuse(const daoc_dao *dao, const char *key, const char *msg, daoc_error **err)
{
    daoc_value *errors = daoc_obj();
    if (!errors || daoc_obj_set(errors, key, daoc_str(msg)) != DAOC_OK) {
        daoc_value_free(errors);
        return DAOC_ENOMEM;
    }
    return daoc__dao_deliver(
        daoc__err_invalid_options(dao->store ? dao->store->ops->name : "sqlite", errors), err);
}

/* "cannot <verb> on 'x': no index serves it (<verb> on 'a', 'b')" */
static int unserved(const daoc_dao *dao, const char *key, const char *verb, const char *name,
                    daoc_error **err)
{
    const daoc__schema *s = dao->schema;
    daoc__buf b = DAOC__BUF_INIT;
    daoc__buf_printf(&b, "cannot %s on '%s': no index serves it (%s on", verb, name, verb);
    const char *sep = " ";
    for (size_t i = 0; i < s->nfields; i++) {
        if (!served(s, i))
            continue;
        daoc__buf_printf(&b, "%s'%s'", sep, s->fields[i].name);
        sep = ", ";
    }
    daoc__buf_puts(&b, ")");
    int rc = b.failed ? DAOC_ENOMEM : refuse(dao, key, b.data, err);
    daoc__buf_free(&b);
    return rc;
}

static const char *type_name(const daoc__field *f)
{
    switch (f->type) {
    case DAOC__F_INTEGER:
        return "an integer";
    case DAOC__F_NUMBER:
        return "a number";
    case DAOC__F_BOOLEAN:
        return "a boolean";
    case DAOC__F_STRING:
        return f->uuid ? "a UUID" : "a string";
    default:
        return "a value";
    }
}

/* The value a condition on f compares with, as the stores bind it, or NULL
 * (*bad set) when v cannot be one of f's values. */
static daoc_value *normalize(const daoc__field *f, const daoc_value *v, bool *bad)
{
    *bad = true;
    const daoc__field *k = daoc__field_ref_key(f);
    if (!k || !v)
        return NULL;
    if (f->type == DAOC__F_FOREIGN && v->type == DAOC_TOBJ) {
        if (v->len != 1)
            return NULL;
        v = daoc__obj_getn(v, k->name, k->name_len);
        if (!v)
            return NULL;
    }
    daoc_value *out;
    if (k->type == DAOC__F_INTEGER && v->type == DAOC_TNUM && isfinite(v->u.n) &&
        floor(v->u.n) == v->u.n && fabs(v->u.n) < 9.0e18)
        out = daoc_int((int64_t)v->u.n);
    else if (daoc__offset_value_fits(k, v))
        out = daoc_value_copy(v);
    else
        return NULL;
    *bad = false;
    if (!out || f->type != DAOC__F_FOREIGN)
        return out;
    daoc_value *o = daoc_obj();
    if (!o || daoc_obj_set(o, k->name, out) != DAOC_OK) {
        daoc_value_free(o);
        return NULL;
    }
    return o;
}

static int add_cond(const daoc_dao *dao, daoc__dao_query *q, long field, daoc__qop op,
                    const daoc_value *v, daoc_error **err)
{
    const daoc__field *f = &dao->schema->fields[field];
    bool bad = false;
    daoc_value *nv = normalize(f, v, &bad);
    if (!nv) {
        if (!bad)
            return DAOC_ENOMEM;
        const daoc__field *k = daoc__field_ref_key(f);
        char msg[300];
        snprintf(msg, sizeof msg, "invalid value for '%s': expected %s", f->name,
                 k ? type_name(k) : "a value");
        return refuse(dao, "filter", msg, err);
    }
    if (daoc_arr_push(q->values, nv) != DAOC_OK)
        return DAOC_ENOMEM;
    daoc__page_cond *c = daoc__realloc(q->conds, (q->q.nconds + 1) * sizeof *c);
    if (!c)
        return DAOC_ENOMEM;
    q->conds = c;
    c[q->q.nconds++] = (daoc__page_cond){field, op, nv};
    q->q.conds = c;
    return DAOC_OK;
}

/* Field `name` for option `key` (filter, sort): its index in *field, or
 * code 11 when it is unknown or no index serves it. */
static int served_field(const daoc_dao *dao, const char *key, const char *name, long *field,
                        daoc_error **err)
{
    *field = daoc__schema_field_index(dao->schema, name, strlen(name));
    if (*field < 0) {
        char msg[300];
        snprintf(msg, sizeof msg, "unknown field '%.200s'", name);
        return refuse(dao, key, msg, err);
    }
    if (!served(dao->schema, (size_t)*field))
        return unserved(dao, key, key, name, err);
    return DAOC_OK;
}

/* An object whose every key is an operator name. */
static bool is_ops(const daoc_value *v)
{
    if (v->type != DAOC_TOBJ || v->len == 0)
        return false;
    for (size_t i = 0; i < v->len; i++) {
        bool found = false;
        for (int op = DAOC__Q_EQ; op <= DAOC__Q_LTE && !found; op++)
            found = strcmp(v->u.o[i].key, OPS[op]) == 0;
        if (!found)
            return false;
    }
    return true;
}

static int parse_filter(const daoc_dao *dao, const daoc_value *filter, daoc__dao_query *q,
                        daoc_error **err)
{
    const daoc__schema *s = dao->schema;
    if (filter->type != DAOC_TOBJ)
        return refuse(dao, "filter", "must be a table of field conditions", err);
    for (size_t i = 0; i < filter->len; i++) {
        const char *name = filter->u.o[i].key;
        const daoc_value *v = filter->u.o[i].val;
        long field = 0;
        int frc = served_field(dao, "filter", name, &field, err);
        if (frc != DAOC_OK)
            return frc;
        if (!is_ops(v)) {
            if (v->type == DAOC_TOBJ && s->fields[field].type != DAOC__F_FOREIGN) {
                char msg[300];
                snprintf(msg, sizeof msg,
                         "unknown operator for '%.200s' (use eq, gt, gte, lt or lte)", name);
                return refuse(dao, "filter", msg, err);
            }
            int rc = add_cond(dao, q, field, DAOC__Q_EQ, v, err);
            if (rc != DAOC_OK)
                return rc;
            continue;
        }
        for (size_t j = 0; j < v->len; j++) {
            daoc__qop op = DAOC__Q_EQ;
            for (int k = DAOC__Q_EQ; k <= DAOC__Q_LTE; k++)
                if (strcmp(v->u.o[j].key, OPS[k]) == 0)
                    op = (daoc__qop)k;
            int rc = add_cond(dao, q, field, op, v->u.o[j].val, err);
            if (rc != DAOC_OK)
                return rc;
        }
    }
    return DAOC_OK;
}

static int parse_sort(const daoc_dao *dao, const daoc_value *sort, daoc__dao_query *q,
                      daoc_error **err)
{
    const daoc__schema *s = dao->schema;
    if (sort->type != DAOC_TSTR || sort->len == 0 || strlen(sort->u.s) != sort->len)
        return refuse(dao, "sort", "must be a field name, '-' before it for descending", err);
    const char *name = sort->u.s;
    bool desc = name[0] == '-';
    if (desc)
        name++;
    long field = 0;
    int frc = served_field(dao, "sort", name, &field, err);
    if (frc != DAOC_OK)
        return frc;
    q->q.desc = desc;
    q->q.sort = s->npk == 1 && s->pk[0] == (size_t)field ? -1 : field;
    return DAOC_OK;
}

int daoc__dao_query_parse(const daoc_dao *dao, const daoc_value *opts, daoc__dao_query *q,
                          daoc_error **err)
{
    memset(q, 0, sizeof *q);
    q->q.sort = -1;
    if (!opts || opts->type != DAOC_TOBJ)
        return DAOC_OK;
    const daoc_value *filter = daoc__obj_getn(opts, "filter", 6);
    const daoc_value *sort = daoc__obj_getn(opts, "sort", 4);
    if (!filter && !sort)
        return DAOC_OK;
    q->active = true;
    if (dao->tags_view)
        return refuse(dao, filter ? "filter" : "sort", "cannot be used with the tags entity", err);
    if (!(q->values = daoc_arr()))
        return DAOC_ENOMEM;
    int rc = filter ? parse_filter(dao, filter, q, err) : DAOC_OK;
    if (rc == DAOC_OK && sort)
        rc = parse_sort(dao, sort, q, err);
    return rc;
}

void daoc__dao_query_free(daoc__dao_query *q)
{
    daoc__free(q->conds);
    daoc_value_free(q->values);
    daoc_value_free(q->after_sort);
    memset(q, 0, sizeof *q);
}

/* Kong's order: the tokens are Kong's. */
static bool plain(const daoc__dao_query *q)
{
    return q->q.sort < 0 && !q->q.desc;
}

/* "<field>" or "-<field>" of q's order. */
static const char *sort_name(const daoc__schema *s, const daoc__dao_query *q)
{
    long f = q->q.sort >= 0 ? q->q.sort : (long)s->pk[0];
    return s->fields[f].name;
}

static bool spec_is(const daoc__schema *s, const daoc__dao_query *q, const daoc_value *v)
{
    if (!v || v->type != DAOC_TSTR)
        return false;
    const char *t = v->u.s;
    if (q->q.desc) {
        if (t[0] != '-')
            return false;
        t++;
    }
    return strcmp(t, sort_name(s, q)) == 0;
}

int daoc__dao_query_offset(const daoc_dao *dao, daoc__dao_query *q, const char *token,
                           daoc_value **after, daoc_error **err)
{
    const daoc__schema *s = dao->schema;
    const char *strategy = dao->store->ops->name;
    *after = NULL;
    daoc_value *v = NULL;
    int rc = daoc__offset_decode_nulls(strategy, token, &v, err);
    if (rc != DAOC_OK)
        return rc;
    size_t skip = plain(q) ? 0 : q->q.sort >= 0 ? 2 : 1;
    bool ok = v->len == skip + s->npk && (skip == 0 || spec_is(s, q, v->u.a[0]));
    if (ok && q->q.sort >= 0) {
        const daoc_value *sv = v->u.a[1];
        ok = sv->type == DAOC_TNULL || daoc__offset_value_fits(&s->fields[q->q.sort], sv);
    }
    daoc_value *pk = ok ? daoc_arr() : NULL;
    for (size_t i = skip; pk && i < v->len; i++)
        if (daoc_arr_push(pk, daoc_value_copy(v->u.a[i])) != DAOC_OK) {
            daoc_value_free(pk);
            pk = NULL;
            rc = DAOC_ENOMEM;
        }
    if (ok && pk && !daoc__offset_fits(s, pk))
        ok = false;
    if (ok && pk && q->q.sort >= 0) {
        bool bad = false;
        const daoc_value *sv = v->u.a[1];
        q->after_sort =
            sv->type == DAOC_TNULL ? daoc_null() : normalize(&s->fields[q->q.sort], sv, &bad);
        if (!q->after_sort)
            rc = DAOC_ENOMEM;
    }
    daoc_value_free(v);
    if (rc != DAOC_OK || !ok) {
        daoc_value_free(pk);
        if (rc != DAOC_OK)
            return rc;
        return daoc__dao_fail(dao, err, DAOC_ERR_INVALID_OFFSET, NULL,
                              "'%s' is not a valid offset for this sort", token);
    }
    q->q.after_sort = q->after_sort;
    *after = pk;
    return DAOC_OK;
}

int daoc__dao_query_token(const daoc_dao *dao, const daoc__dao_query *q, const daoc_value *row,
                          char **out)
{
    const daoc__schema *s = dao->schema;
    *out = NULL;
    if (plain(q))
        return daoc__offset_encode(s, row, out);
    daoc_value *a = daoc_arr();
    char spec[300];
    snprintf(spec, sizeof spec, "%s%s", q->q.desc ? "-" : "", sort_name(s, q));
    int rc = a ? daoc_arr_push(a, daoc_str(spec)) : DAOC_ENOMEM;
    if (rc == DAOC_OK && q->q.sort >= 0) {
        const daoc__field *f = &s->fields[q->q.sort];
        const daoc_value *v = daoc__obj_getn(row, f->name, f->name_len);
        if (v && v->type == DAOC_TOBJ && f->type == DAOC__F_FOREIGN)
            v = v->len ? v->u.o[0].val : NULL;
        rc = daoc_arr_push(a, v ? daoc_value_copy(v) : daoc_null());
    }
    for (size_t i = 0; rc == DAOC_OK && i < s->npk; i++) {
        const daoc__field *f = &s->fields[s->pk[i]];
        const daoc_value *v = daoc__obj_getn(row, f->name, f->name_len);
        if (v && v->type == DAOC_TOBJ && f->type == DAOC__F_FOREIGN)
            v = v->len ? v->u.o[0].val : NULL;
        rc = daoc_arr_push(a, v ? daoc_value_copy(v) : daoc_null());
    }
    if (rc == DAOC_OK)
        rc = daoc__offset_encode_values(a, out);
    daoc_value_free(a);
    return rc;
}

/* ---- daoc_dao_count ------------------------------------------------------ */

int daoc_dao_count(daoc_dao *dao, const daoc_value *opts, int64_t *total, bool *estimated,
                   daoc_error **err)
{
    daoc__err_reset(err);
    if (!dao || !total || !estimated)
        return DAOC_EINVAL;
    *total = 0;
    *estimated = false;
    if (dao->tags_view)
        return daoc__err_fill(err,
                              refuse(dao, "count", "cannot be used with the tags entity", err));
    daoc__dao_opts o;
    int rc = daoc__dao_opts_parse_paging(dao, opts, &o, err);
    if (rc != DAOC_OK)
        return daoc__err_fill(err, rc);
    bool estimate = false;
    const daoc_value *c = opts && opts->type == DAOC_TOBJ ? daoc__obj_getn(opts, "count", 5) : NULL;
    if (c && c->type == DAOC_TSTR && strcmp(c->u.s, "estimated") == 0)
        estimate = true;
    else if (c && !(c->type == DAOC_TSTR && strcmp(c->u.s, "exact") == 0))
        return daoc__err_fill(err, refuse(dao, "count", "must be 'exact' or 'estimated'", err));
    daoc__dao_query dq;
    rc = daoc__dao_query_parse(dao, opts, &dq, err);
    if (rc == DAOC_OK) {
        daoc__page_req req = {-1, NULL,       o.tags, o.tags_or,        NULL,
                              0,  o.skip_ttl, false,  daoc__dao_ws(&o), dq.active ? &dq.q : NULL};
        char *msg = NULL;
        rc =
            dao->store->ops->count(dao->store, dao->schema, &req, estimate, total, estimated, &msg);
        if (rc != DAOC_OK)
            rc = daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
    }
    daoc__dao_query_free(&dq);
    return daoc__err_fill(err, rc);
}
