/*
 * read.c -- the read side of the DAO: select by primary key or by a unique /
 * endpoint_key field, and paging (page, page_for_<foreign>) with Kong's size
 * rules and offset tokens.  Every returned row goes through row_to_entity
 * in place; nothing is copied on the way out.
 *
 * Argument-type misuse (Kong's raised errors such as "primary_key must be a
 * table") is DAOC_EINVAL without an error object.
 */
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/value.h"
#include "dao/dao.h"

/* Is field f a valid *_by_ key: unique, or the endpoint key? */
static bool by_field_ok(const daoc__schema *s, long f)
{
    return f >= 0 && (size_t)f < s->nfields && (s->fields[f].unique || s->endpoint_key == f);
}

/* Kong's validate_unique_type: the C type a unique value must have. */
static bool unique_type_ok(const daoc__field *f, const daoc_value *v)
{
    switch (f->type) {
    case DAOC__F_STRING:
        return v->type == DAOC_TSTR;
    case DAOC__F_INTEGER:
    case DAOC__F_NUMBER:
        return v->type == DAOC_TINT || v->type == DAOC_TNUM;
    case DAOC__F_BOOLEAN:
        return v->type == DAOC_TBOOL;
    case DAOC__F_ARRAY:
    case DAOC__F_SET:
    case DAOC__F_MAP:
    case DAOC__F_RECORD:
    case DAOC__F_FOREIGN:
        return v->type == DAOC_TOBJ || v->type == DAOC_TARR;
    default:
        return true;
    }
}

/* The Lua type a *_by_ key of field f must have, as Kong's
 * validate_unique_type words it. */
static const char *unique_type_name(const daoc__field *f)
{
    switch (f->type) {
    case DAOC__F_STRING:
        return "string";
    case DAOC__F_INTEGER:
    case DAOC__F_NUMBER:
        return "number";
    case DAOC__F_BOOLEAN:
        return "boolean";
    default:
        return "table";
    }
}

/* Validates a *_by_ key value: code 16 for foreign fields, code 10 ("invalid
 * unique <field>") otherwise. */
static int check_by_value(daoc_dao *dao, long field, const daoc_value *v, daoc_error **err)
{
    const daoc__field *f = &dao->schema->fields[field];
    /* the tags view's page_by_tag validates any value, as Kong's does */
    if (!unique_type_ok(f, v) && !dao->tags_view)
        return daoc__err_fail(err, DAOC_EINVAL, "%s must be a %s", f->name,
                              unique_type_name(f));
    daoc_value *errors = NULL;
    int rc = daoc__schema_validate_field(f, v, &errors);
    if (rc != DAOC_OK || !errors)
        return rc;
    if (f->type == DAOC__F_FOREIGN)
        return daoc__dao_fail_tree(dao, err, DAOC_ERR_INVALID_FOREIGN_KEY, "invalid foreign key",
                                   errors);
    char *msg = errors->type == DAOC_TSTR ? daoc__strndup(errors->u.s, errors->len)
                                          : daoc__value_pretty(errors, NULL);
    daoc_value_free(errors);
    if (!msg)
        return DAOC_ENOMEM;
    rc = daoc__dao_fail(dao, err, DAOC_ERR_INVALID_UNIQUE, NULL, "%s", msg);
    daoc__free(msg);
    if (rc == DAOC_EDAO && err && *err) {
        char *name = daoc__asprintf("invalid unique %s", f->name);
        int r2 = name ? daoc__err_set_name(*err, name) : DAOC_ENOMEM;
        daoc__free(name);
        if (r2 != DAOC_OK) {
            daoc_error_free(*err);
            *err = NULL;
            return r2;
        }
    }
    return rc;
}

/* Shared argument checks of every keyed method (select/update/upsert/delete
 * and their _by_ forms): pk validation (code 1) or unique value validation
 * (code 10/16). */
int daoc__dao_check_key(daoc_dao *dao, long field, const daoc_value *key, daoc_error **err)
{
    if (!dao || !key)
        return DAOC_EINVAL;
    if (field >= 0) {
        if (!by_field_ok(dao->schema, field))
            return DAOC_EINVAL;
        return check_by_value(dao, field, key, err);
    }
    /* a list (Lua's {"<uuid>"}) is a table without the key's names: Kong's
     * extract_pk_values finds none of them, so it is "missing primary key" */
    daoc_value *none = NULL;
    if (key->type == DAOC_TARR && !(key = none = daoc_obj()))
        return DAOC_ENOMEM;
    if (key->type != DAOC_TOBJ)
        return daoc__err_fail(err, DAOC_EINVAL, "primary_key must be a table");
    daoc_value *errors = NULL;
    int rc = daoc__schema_validate_primary_key(dao->schema, key, true, &errors);
    daoc_value_free(none);
    if (rc != DAOC_OK || !errors)
        return rc;
    return daoc__dao_fail_tree(dao, err, DAOC_ERR_INVALID_PRIMARY_KEY, "invalid primary key",
                               errors);
}

int daoc__dao_check_by_opts(daoc_dao *dao, long field, const daoc_value *opts, daoc_error **err)
{
    if (!dao || field < 0 || !opts || opts->type != DAOC_TOBJ || !by_field_ok(dao->schema, field))
        return DAOC_OK;
    const daoc_value *ws = daoc__obj_getn(opts, "workspace", 9);
    const daoc__field *f = &dao->schema->fields[field];
    if (!ws || ws->type != DAOC_TNULL || f->unique_across_ws)
        return DAOC_OK;
    return daoc__dao_fail(dao, err, DAOC_ERR_INVALID_UNIQUE_GLOBAL, NULL,
                          "unique key %s is invalid for global query", f->name);
}

int daoc__dao_select_key(daoc_dao *dao, long field, const daoc_value *key,
                         const daoc_value *opts, daoc_value **out, daoc_error **err)
{
    if (!out)
        return DAOC_EINVAL;
    *out = NULL;
    if (dao && dao->tags_view)
        return daoc__dao_tags_refuse(dao, true, err);
    int rc = daoc__dao_check_by_opts(dao, field, opts, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_check_key(dao, field, key, err);
    if (rc != DAOC_OK)
        return rc;
    daoc__dao_opts o;
    rc = daoc__dao_opts_parse(dao, opts, &o, err);
    if (rc != DAOC_OK)
        return rc;
    daoc__key k = {field, key};
    return daoc__dao_fetch(dao, &k, &o, out, err);
}

int daoc__dao_fetch(daoc_dao *dao, const daoc__key *k, const daoc__dao_opts *o,
                    daoc_value **out, daoc_error **err)
{
    *out = NULL;
    daoc__read_opts ro = {o->skip_ttl, o->show_ws_id, daoc__dao_ws(o)};
    daoc_value *row = NULL;
    char *msg = NULL;
    int rc = dao->store->ops->select(dao->store, dao->schema, k, &ro, &row, &msg);
    if (rc != DAOC_OK)
        return daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
    if (!row)
        return DAOC_OK;
    rc = daoc__dao_row_out(dao, row, o, err);
    if (rc != DAOC_OK) {
        daoc_value_free(row);
        return rc;
    }
    *out = row;
    return DAOC_OK;
}

/* Kong's validate_size_value. */
static bool size_ok(const daoc_value *size, double max, int64_t *out)
{
    double d;
    if (size->type == DAOC_TINT)
        d = (double)size->u.i;
    else if (size->type == DAOC_TNUM)
        d = size->u.n;
    else
        return false;
    if (!isfinite(d) || floor(d) != d || d < 1 || d > max)
        return false;
    *out = (int64_t)d;
    return true;
}

static int page_impl(daoc_dao *dao, long fk_field, const daoc_value *fk, const daoc_value *size,
                     const char *offset, const daoc_value *opts, daoc_value **rows,
                     char **next_offset, bool raw, daoc_error **err)
{
    if (!rows || !next_offset || !dao)
        return DAOC_EINVAL;
    *rows = NULL;
    *next_offset = NULL;
    const daoc__schema *s = dao->schema;
    if (size && !daoc__is_number(size))
        return daoc__err_fail(err, DAOC_EINVAL, "size must be a number");
    int rc;
    if (dao->tags_view && fk_field >= 0) {
        /* page_by_tag: Kong validates the tag as the field it is */
        if (fk_field != s->endpoint_key || !fk)
            return DAOC_EINVAL;
        if ((rc = check_by_value(dao, fk_field, fk, err)) != DAOC_OK)
            return rc;
    } else if (fk_field >= 0) {
        if ((size_t)fk_field >= s->nfields || s->fields[fk_field].type != DAOC__F_FOREIGN)
            return DAOC_EINVAL;
        if (!fk || fk->type != DAOC_TOBJ)
            return daoc__err_fail(err, DAOC_EINVAL, "foreign_key must be a table");
        /* Kong's validate_pagination_method reports a bad foreign key with
         * errors:invalid_primary_key (code 1), unlike select_by_<f> (16) */
        daoc_value *errors = NULL;
        rc = daoc__schema_validate_field(&s->fields[fk_field], fk, &errors);
        if (rc != DAOC_OK)
            return rc;
        if (errors)
            return daoc__dao_fail_tree(dao, err, DAOC_ERR_INVALID_PRIMARY_KEY,
                                       "invalid primary key", errors);
    }

    daoc__dao_opts o;
    daoc_error *operr = NULL;
    rc = daoc__dao_opts_parse_paging(dao, opts, &o, &operr);
    if (rc != DAOC_OK && rc != DAOC_EDAO) {
        if (err && !*err)
            *err = operr;
        else
            daoc_error_free(operr);
        return rc;
    }
    int64_t n = o.page_size ? o.page_size : DAOC__PAGE_SIZE_DEFAULT;
    if (size && !size_ok(size, o.size_max, &n)) {
        daoc_error_free(operr);
        return daoc__dao_fail(dao, err, DAOC_ERR_INVALID_SIZE, NULL,
                              "size must be an integer between 1 and %.14g", o.size_max);
    }
    if (operr) {
        if (err)
            *err = operr;
        else
            daoc_error_free(operr);
        return DAOC_EDAO;
    }

    daoc__dao_query dq;
    if ((rc = daoc__dao_query_parse(dao, opts, &dq, err)) != DAOC_OK) {
        daoc__dao_query_free(&dq);
        return rc;
    }
    if (!raw && fk_field >= 0 && dao->custom.page_for) {
        if (dq.active) {
            daoc__dao_query_free(&dq);
            return daoc__dao_fail(dao, err, DAOC_ERR_INVALID_OPTIONS, NULL,
                                  "filter and sort cannot be used with this page_for");
        }
        return dao->custom.page_for(dao->custom.ud, dao, fk_field, fk, n, offset, opts, rows,
                                    next_offset, err);
    }

    daoc_value *after = NULL;
    if (offset && dq.active) {
        if ((rc = daoc__dao_query_offset(dao, &dq, offset, &after, err)) != DAOC_OK) {
            daoc__dao_query_free(&dq);
            return rc;
        }
    } else if (offset) {
        rc = daoc__offset_decode(dao->store->ops->name, offset, &after, err);
        if (rc != DAOC_OK)
            return rc;
        if (dao->tags_view ? !daoc__dao_tags_offset_fits(after, fk_field >= 0)
                           : !daoc__offset_fits(s, after)) {
            daoc_value_free(after);
            return daoc__dao_fail(dao, err, DAOC_ERR_INVALID_OFFSET, NULL,
                                  "'%s' is not a valid offset: bad json encoding", offset);
        }
    }

    if (dao->tags_view) {
        daoc__dao_query_free(&dq);
        return daoc__dao_tags_page(dao, fk_field >= 0 ? fk : NULL, after, n, &o, rows, next_offset,
                                   err);
    }
    daoc__page_req req = {fk_field, fk_field >= 0 ? fk : NULL, o.tags, o.tags_or, after, n,
                          o.skip_ttl, o.show_ws_id, daoc__dao_ws(&o), dq.active ? &dq.q : NULL};
    daoc_value *got = NULL;
    bool more = false;
    char *msg = NULL;
    rc = dao->store->ops->page(dao->store, s, &req, &got, &more, &msg);
    daoc_value_free(after);
    if (rc != DAOC_OK) {
        daoc__dao_query_free(&dq);
        return daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
    }
    for (size_t i = 0; i < got->len && rc == DAOC_OK; i++)
        rc = daoc__dao_row_out(dao, got->u.a[i], &o, err);
    if (rc == DAOC_OK && !raw && dao->custom.on_read)
        rc = dao->custom.on_read(dao->custom.ud, dao, got, opts, err);
    if (rc == DAOC_OK && more && got->len)
        rc = dq.active ? daoc__dao_query_token(dao, &dq, got->u.a[got->len - 1], next_offset)
                       : daoc__offset_encode(s, got->u.a[got->len - 1], next_offset);
    daoc__dao_query_free(&dq);
    if (rc != DAOC_OK) {
        daoc_value_free(got);
        return rc;
    }
    *rows = got;
    return DAOC_OK;
}

int daoc__dao_page_v(daoc_dao *dao, long fk_field, const daoc_value *fk, const daoc_value *size,
                     const char *offset, const daoc_value *opts, daoc_value **rows,
                     char **next_offset, daoc_error **err)
{
    return page_impl(dao, fk_field, fk, size, offset, opts, rows, next_offset, false, err);
}

int daoc__dao_page_raw(daoc_dao *dao, long fk_field, const daoc_value *fk, const daoc_value *size,
                       const char *offset, const daoc_value *opts, daoc_value **rows,
                       char **next_offset, daoc_error **err)
{
    return page_impl(dao, fk_field, fk, size, offset, opts, rows, next_offset, true, err);
}

/* ---- public read API -------------------------------------------------- */

int daoc_dao_select(daoc_dao *dao, const daoc_value *pk, const daoc_value *opts,
                    daoc_value **out, daoc_error **err)
{
    daoc__err_reset(err);
    return daoc__err_fill(err, daoc__dao_select_key(dao, -1, pk, opts, out, err));
}

int daoc_dao_select_by(daoc_dao *dao, const char *field, const daoc_value *value,
                       const daoc_value *opts, daoc_value **out, daoc_error **err)
{
    daoc__err_reset(err);
    if (out)
        *out = NULL;
    long f = daoc__dao_public_field(dao, field, "select_by", err);
    if (f < 0)
        return DAOC_EINVAL;
    return daoc__err_fill(err, daoc__dao_select_key(dao, f, value, opts, out, err));
}

static int page_common(daoc_dao *dao, long f, const daoc_value *fk, int64_t size,
                       const char *offset, const daoc_value *opts, daoc_value **rows,
                       char **next_offset, daoc_error **err)
{
    daoc_value sz;
    memset(&sz, 0, sizeof sz);
    sz.type = DAOC_TINT;
    sz.u.i = size;
    return daoc__err_fill(err, daoc__dao_page_v(dao, f, fk, size > 0 ? &sz : NULL, offset, opts,
                                                rows, next_offset, err));
}

int daoc_dao_page(daoc_dao *dao, int64_t size, const char *offset, const daoc_value *opts,
                  daoc_value **rows, char **next_offset, daoc_error **err)
{
    daoc__err_reset(err);
    return page_common(dao, -1, NULL, size, offset, opts, rows, next_offset, err);
}

int daoc_dao_page_for(daoc_dao *dao, const char *foreign_field, const daoc_value *fk,
                      int64_t size, const char *offset, const daoc_value *opts, daoc_value **rows,
                      char **next_offset, daoc_error **err)
{
    daoc__err_reset(err);
    if (rows)
        *rows = NULL;
    if (next_offset)
        *next_offset = NULL;
    long f = daoc__dao_public_field(dao, foreign_field, "page_for", err);
    if (f < 0)
        return DAOC_EINVAL;
    return page_common(dao, f, fk, size, offset, opts, rows, next_offset, err);
}

int daoc_dao_page_by_tag(daoc_dao *dao, const daoc_value *tag, int64_t size, const char *offset,
                         const daoc_value *opts, daoc_value **rows, char **next_offset,
                         daoc_error **err)
{
    daoc__err_reset(err);
    if (rows)
        *rows = NULL;
    if (next_offset)
        *next_offset = NULL;
    if (!dao || !dao->tags_view)
        return daoc__err_fail(err, DAOC_EINVAL, "page_by_tag is a method of the tags entity only");
    if (!tag)
        return daoc__err_fail(err, DAOC_EINVAL, "tag must be a string");
    return page_common(dao, dao->schema->endpoint_key, tag, size, offset, opts, rows, next_offset,
                       err);
}
