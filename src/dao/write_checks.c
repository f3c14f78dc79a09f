/*
 * write_checks.c -- the checks that refuse a write before the store sees
 * it, each worded as Kong's error: schema validation (code 2), immutable
 * fields against the stored row (code 2), and strings holding a NUL byte,
 * which neither store can keep (code 8, as PostgreSQL's failure in Kong).
 * Nothing here writes; a refused entity changes nothing.
 */
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/value.h"
#include "dao/dao.h"
#include "dao/write_internal.h"

/* True when a string anywhere in v (object keys included) holds a NUL. */
static bool has_nul(const daoc_value *v, int depth)
{
    if (!v || depth > 64)
        return false;
    switch (v->type) {
    case DAOC_TSTR:
        return memchr(v->u.s, '\0', v->len) != NULL;
    case DAOC_TARR:
        for (size_t i = 0; i < v->len; i++)
            if (has_nul(v->u.a[i], depth + 1))
                return true;
        return false;
    case DAOC_TOBJ:
        for (size_t i = 0; i < v->len; i++)
            if (memchr(v->u.o[i].key, '\0', v->u.o[i].klen) || has_nul(v->u.o[i].val, depth + 1))
                return true;
        return false;
    default:
        return false;
    }
}

/* PostgreSQL text and JSONB cannot hold a NUL byte; Kong there fails with
 * a database error.  Both stores refuse such an entity the same way, before
 * anything is written, so a script gives the same answer on either. */
int daoc__dao_check_nul(daoc_dao *dao, const daoc_value *e, daoc_error **err)
{
    /* a validated entity holds only its schema's fields: walk its keys */
    for (size_t i = 0; e && e->type == DAOC_TOBJ && i < e->len; i++) {
        const daoc__kv *kv = &e->u.o[i];
        const daoc__field *f = NULL;
        if (has_nul(kv->val, 0) &&
            !((f = daoc__schema_field(dao->schema, kv->key, kv->klen)) && f->transient))
            return daoc__dao_fail(dao, err, DAOC_ERR_DATABASE_ERROR, NULL,
                                  "cannot store a string containing a NUL byte (%s.%.*s)",
                                  dao->schema->name, (int)kv->klen, kv->key);
    }
    return DAOC_OK;
}

static void shorthand_notice(void *ud, const char *msg)
{
    const daoc_dao *dao = ud;
    if (dao->env && dao->env->log)
        dao->env->log(dao->env->ud, DAOC_LOG_WARN, msg);
}

/* The shorthand fields of the input (daoc__schema_shorthands), before the
 * auto fields as in Kong's process_auto_fields; their errors => code 2. */
int daoc__dao_shorthands(daoc_dao *dao, daoc_value *e, daoc_error **err)
{
    daoc_value *errors = NULL;
    int rc = daoc__schema_shorthands(dao->schema, e, &errors, shorthand_notice, dao);
    if (rc != DAOC_OK || !errors)
        return rc;
    return daoc__dao_deliver(daoc__err_schema_violation(daoc__dao_strategy(dao), errors), err);
}

/* daoc__dao_validate(full or update) => code 2. */
int daoc__dao_validate(daoc_dao *dao, const daoc_value *e, bool full, bool update, daoc_error **err)
{
    return daoc__dao_validate_ex(dao, e, full, update, NULL, NULL, err);
}

int daoc__dao_validate_ex(daoc_dao *dao, const daoc_value *e, bool full, bool update,
                          const daoc_value *original, const daoc_value *rbw, daoc_error **err)
{
    daoc_value *errors = NULL;
    int rc = daoc__schema_validate_ex(dao->schema, e, full, update, original, rbw, &errors);
    if (rc != DAOC_OK || !errors)
        return rc;
    return daoc__dao_deliver(daoc__err_schema_violation(daoc__dao_strategy(dao), errors), err);
}

/* Schema:transform on a write, when the options allow it => code 15. */
int daoc__dao_transform(daoc_dao *dao, daoc_value *e, const daoc_value *original,
                        const daoc__dao_opts *o, daoc_error **err)
{
    char *msg = NULL;
    if (!o->transform || !daoc__schema_has_transformations(dao->schema))
        return DAOC_OK;
    int rc = daoc__schema_transform(dao->schema, e, original, false, &msg);
    if (rc == DAOC_EINVAL) {
        rc = daoc__dao_fail(dao, err, DAOC_ERR_TRANSFORMATION_ERROR, NULL, "%s", msg);
        daoc__free(msg);
    }
    return rc;
}

/* Kong's validate_immutable_fields (daoc__schema_validate_immutable: the
 * schema layer's one check) worded as Kong's schema violation. */
int daoc__dao_check_immutable(daoc_dao *dao, const daoc_value *upd, const daoc_value *stored,
                              daoc_error **err)
{
    daoc_value *errors = NULL;
    if (daoc__schema_validate_immutable(dao->schema, upd, stored, &errors) != DAOC_OK)
        return DAOC_ENOMEM;
    if (!errors)
        return DAOC_OK;
    return daoc__dao_deliver(daoc__err_schema_violation(daoc__dao_strategy(dao), errors), err);
}
