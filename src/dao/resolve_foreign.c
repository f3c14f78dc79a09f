/*
 * resolve_foreign.c -- Kong's resolve_foreign step of insert, update and
 * upsert: a foreign field given as an object that is not a valid primary
 * key of the referenced entity, but names one of its unique fields, is
 * looked up through the referenced entity's DAO and replaced by the found
 * entity's primary key; every miss is reported together as Kong's code 13
 * (FOREIGN_KEYS_UNRESOLVED).  The only write step that reads other
 * entities.
 */
#include "core/alloc.h"
#include "core/error.h"
#include "core/value.h"
#include "dao/dao.h"
#include "dao/write_internal.h"

static daoc_dao *dao_of(const daoc_dao *dao, const daoc__schema *s)
{
    return dao->env && dao->env->dao_of ? dao->env->dao_of(dao->env->ud, s) : NULL;
}

/* resolve_foreign: a foreign value that is not a valid primary key but
 * carries a unique field of the referenced entity is looked up with
 * select_by_<unique> (fields in schema order, stopping at the first hit)
 * and replaced by the found entity's primary key; every miss is a code 13
 * item. */
int daoc__dao_resolve_foreign(daoc_dao *dao, daoc_value *e, daoc_error **err)
{
    const daoc__schema *s = dao->schema;
    daoc_value *errors = NULL;
    int rc = DAOC_OK;
    for (size_t i = 0; i < s->nfields && rc == DAOC_OK; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->type != DAOC__F_FOREIGN || !f->ref)
            continue;
        long at = daoc__obj_find(e, f->name, f->name_len);
        if (at < 0 || e->u.o[at].val->type != DAOC_TOBJ)
            continue;
        const daoc_value *v = e->u.o[at].val;
        const daoc__schema *rs = f->ref;
        daoc_value *pkerr = NULL;
        rc = daoc__schema_validate_primary_key(rs, v, true, &pkerr);
        if (rc != DAOC_OK || !pkerr)
            continue;
        daoc_value_free(pkerr);
        daoc_dao *rdao = dao_of(dao, rs);
        daoc_value *ferr = NULL;
        for (size_t j = 0; rdao && j < rs->nfields && rc == DAOC_OK; j++) {
            const daoc__field *uf = &rs->fields[j];
            /* Kong tests `unique_field.unique or unique_field.endpoint_key`;
             * no field carries an endpoint_key attribute, so only unique
             * fields resolve */
            if (!uf->unique)
                continue;
            const daoc_value *uv = daoc__obj_getn(v, uf->name, uf->name_len);
            if (daoc__is_nil_or_null(uv))
                continue;
            daoc_value *verr = NULL;
            rc = daoc__schema_validate_field(uf, uv, &verr);
            if (rc != DAOC_OK || verr) {
                daoc_value_free(verr);
                continue;
            }
            daoc_value *found = NULL;
            rc = daoc__dao_select_key(rdao, (long)j, uv, NULL, &found, err);
            if (rc != DAOC_OK)
                break;
            if (found) {
                daoc_value *pk = daoc__dao_extract_pk(rs, found);
                daoc_value_free(found);
                if (!pk) {
                    rc = DAOC_ENOMEM;
                    break;
                }
                /* as Kong does, misses on earlier unique fields are still
                 * reported (its resolve_errors survive the break) */
                daoc_value_free(e->u.o[at].val);
                e->u.o[at].val = pk;
                break;
            }
            daoc_value *one = daoc_obj();
            char *p = NULL;
            if (one && daoc__obj_setn(one, uf->name, uf->name_len, daoc_value_copy(uv)) == DAOC_OK)
                p = daoc__value_pretty(one, NULL);
            daoc_value_free(one);
            char *msg = p ? daoc__asprintf("the foreign key cannot be resolved with '%s' for an "
                                           "existing '%s' entity",
                                           p, rs->name)
                          : NULL;
            daoc__free(p);
            if (!msg || (!ferr && !(ferr = daoc_obj())) ||
                daoc__obj_setn(ferr, uf->name, uf->name_len, daoc_str(msg)) != DAOC_OK)
                rc = DAOC_ENOMEM;
            daoc__free(msg);
        }
        if (rc == DAOC_OK && ferr) {
            if (!errors && !(errors = daoc_obj())) {
                rc = DAOC_ENOMEM; /* ferr is freed below */
            } else {
                /* setn owns ferr from here on, even when it fails */
                rc = daoc__obj_setn(errors, f->name, f->name_len, ferr);
                ferr = NULL;
            }
        }
        daoc_value_free(ferr);
    }
    if (rc != DAOC_OK || !errors) {
        daoc_value_free(errors);
        return rc;
    }
    return daoc__dao_deliver(daoc__err_foreign_keys_unresolved(daoc__dao_strategy(dao), errors),
                             err);
}
