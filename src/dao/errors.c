/*
 * errors.c -- the DAO's side of kong/db/errors.lua: which error object a
 * failed step deserves and how its message reads.  Store violations
 * (DAOC_ECONSTRAINT) become primary key / foreign key / unique violations
 * worded from the entity being written; driver failures become code 8.
 *
 * Message assembly for multi-error codes (2, 11, 13) lives in core/error.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/value.h"
#include "dao/dao.h"

static const char *strategy_of(const daoc_dao *dao)
{
    return dao->store && dao->store->ops ? dao->store->ops->name : "sqlite";
}

int daoc__dao_deliver(daoc_error *e, daoc_error **err)
{
    if (!e)
        return DAOC_ENOMEM;
    if (err)
        *err = e;
    else
        daoc_error_free(e);
    return DAOC_EDAO;
}

int daoc__dao_fail(const daoc_dao *dao, daoc_error **err, int code, daoc_value *fields,
                   const char *fmt, ...)
{
    char *msg = NULL;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        char tmp[1];
        va_list ap2;
        va_copy(ap2, ap);
        int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
        va_end(ap);
        if (n >= 0)
            msg = daoc__malloc((size_t)n + 1);
        if (msg)
            vsnprintf(msg, (size_t)n + 1, fmt, ap2);
        va_end(ap2);
        if (!msg) {
            daoc_value_free(fields);
            return DAOC_ENOMEM;
        }
    }
    return daoc__dao_deliver(daoc__err_new(code, strategy_of(dao), msg, fields, false), err);
}

int daoc__dao_fail_tree(const daoc_dao *dao, daoc_error **err, int code, const char *prefix,
                        daoc_value *errors)
{
    char *p = daoc__value_pretty(errors, NULL);
    if (!p) {
        daoc_value_free(errors);
        return DAOC_ENOMEM;
    }
    int rc = daoc__dao_fail(dao, err, code, errors, "%s: '%s'", prefix, p);
    daoc__free(p);
    return rc;
}

/* {name = value} with value copied (absent => null). */
static int put_field(daoc_value *o, const daoc__field *f, const daoc_value *entity)
{
    const daoc_value *v = entity ? daoc__obj_getn(entity, f->name, f->name_len) : NULL;
    daoc_value *c = v ? daoc_value_copy(v) : daoc_null();
    if (!c)
        return DAOC_ENOMEM;
    return daoc__obj_setn(o, f->name, f->name_len, c);
}

static int unique_violation(const daoc_dao *dao, daoc_error **err, long field,
                            const daoc_value *entity)
{
    const daoc__schema *s = dao->schema;
    daoc_value *fields = daoc_obj();
    if (!fields)
        return DAOC_ENOMEM;
    int rc = DAOC_OK;
    if (field >= 0 && (size_t)field < s->nfields) {
        rc = put_field(fields, &s->fields[field], entity);
    } else if (s->ncache_key > 1) {
        for (size_t i = 0; i < s->ncache_key && rc == DAOC_OK; i++)
            rc = put_field(fields, &s->fields[s->cache_key[i]], entity);
    } else {
        for (size_t i = 0; i < s->npk && rc == DAOC_OK; i++)
            rc = put_field(fields, &s->fields[s->pk[i]], entity);
    }
    char *p = rc == DAOC_OK ? daoc__value_pretty(fields, "null") : NULL;
    if (!p) {
        daoc_value_free(fields);
        return DAOC_ENOMEM;
    }
    rc = daoc__dao_fail(dao, err, DAOC_ERR_UNIQUE_VIOLATION, fields,
                        "UNIQUE violation detected on '%s'", p);
    daoc__free(p);
    return rc;
}

static int pk_violation(const daoc_dao *dao, daoc_error **err, const daoc_value *entity)
{
    daoc_value *pk = daoc__dao_extract_pk(dao->schema, entity);
    char *p = pk ? daoc__value_pretty(pk, NULL) : NULL;
    if (!p) {
        daoc_value_free(pk);
        return DAOC_ENOMEM;
    }
    int rc = daoc__dao_fail(dao, err, DAOC_ERR_PRIMARY_KEY_VIOLATION, pk,
                            "primary key violation on key '%s'", p);
    daoc__free(p);
    return rc;
}

static int fk_violation(const daoc_dao *dao, daoc_error **err, long field,
                        const daoc_value *entity)
{
    const daoc__schema *s = dao->schema;
    if (field < 0 || (size_t)field >= s->nfields)
        return daoc__dao_fail(dao, err, DAOC_ERR_FOREIGN_KEY_VIOLATION, NULL,
                              "foreign key violation");
    const daoc__field *f = &s->fields[field];
    daoc_value *fields = daoc_obj();
    if (!fields || put_field(fields, f, entity) != DAOC_OK) {
        daoc_value_free(fields);
        return DAOC_ENOMEM;
    }
    char *p = daoc__value_pretty(daoc__obj_getn(fields, f->name, f->name_len), NULL);
    if (!p) {
        daoc_value_free(fields);
        return DAOC_ENOMEM;
    }
    int rc = daoc__dao_fail(dao, err, DAOC_ERR_FOREIGN_KEY_VIOLATION, fields,
                            "the foreign key '%s' does not reference an existing '%s' entity.", p,
                            f->reference ? f->reference : "");
    daoc__free(p);
    return rc;
}

static int restrict_violation(const daoc_dao *dao, daoc_error **err, const char *child)
{
    daoc_value *fields = daoc_obj();
    if (!fields || daoc_obj_set(fields, "@referenced_by", daoc_str(child ? child : "")) != DAOC_OK) {
        daoc_value_free(fields);
        return DAOC_ENOMEM;
    }
    return daoc__dao_fail(dao, err, DAOC_ERR_FOREIGN_KEY_VIOLATION, fields,
                          "an existing '%s' entity references this '%s' entity",
                          child ? child : "", dao->schema->name);
}

int daoc__dao_store_fail(const daoc_dao *dao, daoc_error **err, int rc,
                         const daoc__violation *viol, const daoc_value *entity, char *msg)
{
    if (rc == DAOC_ENOMEM) {
        daoc__free(msg);
        return rc;
    }
    if (rc == DAOC_ECONSTRAINT && viol) {
        daoc__free(msg);
        switch (viol->kind) {
        case DAOC__VIOL_UNIQUE:
            return unique_violation(dao, err, viol->field, entity);
        case DAOC__VIOL_PRIMARY_KEY:
            return pk_violation(dao, err, entity);
        case DAOC__VIOL_FOREIGN_KEY:
            return fk_violation(dao, err, viol->field, entity);
        case DAOC__VIOL_RESTRICT:
            return restrict_violation(dao, err, viol->child);
        case DAOC__VIOL_WORKSPACE:
            return daoc__dao_fail(dao, err, DAOC_ERR_INVALID_WORKSPACE, NULL,
                                  "invalid workspace '%s'", viol->ws_id ? viol->ws_id : "");
        }
        return daoc__dao_fail(dao, err, DAOC_ERR_DATABASE_ERROR, NULL, "database error");
    }
    int r = daoc__dao_fail(dao, err, DAOC_ERR_DATABASE_ERROR, NULL, "%s",
                           msg ? msg : "database error");
    daoc__free(msg);
    return r;
}
