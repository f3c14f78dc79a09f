/*
 * validate_api.c -- an entity checked as an insert would check it, with
 * nothing stored and nothing read: the input copied, its shorthand fields
 * applied, its auto fields filled for the insert context (ids, timestamps),
 * the write rule of the DAO run, then the whole schema validated.  What
 * Kong's POST /schemas/<entity>/validate answers (schema:validate_insert).
 * Foreign keys are not looked up: validation knows the shape only.  And
 * the described subschema of one key (a plugin's schema by its name), for
 * GET /schemas/plugins/<name>.
 */
#include <string.h>

#include "core/rand.h"
#include "core/value.h"
#include "dao/dao.h"
#include "dao/write_internal.h"
#include "schema/schema.h"

int daoc_dao_validate_insert(daoc_dao *dao, const daoc_value *entity, daoc_error **err)
{
    if (err)
        *err = NULL;
    if (!dao || !entity)
        return DAOC_EINVAL;
    if (dao->tags_view)
        return daoc__dao_tags_refuse(dao, false, err);
    daoc_value *e = NULL;
    int rc = daoc__dao_copy_entity(dao->schema, entity, &e, err);
    if (rc != DAOC_OK)
        return rc;
    rc = daoc__dao_shorthands(dao, e, err);
    if (rc == DAOC_OK)
        rc = daoc__schema_process_auto_fields(dao->schema, e, DAOC__CTX_INSERT, false, daoc__now());
    if (rc == DAOC_OK)
        rc = daoc__dao_run_rule(dao, false, entity, e, NULL, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_validate_ex(dao, e, true, false, entity, NULL, err);
    daoc_value_free(e);
    return rc;
}

daoc_value *daoc_dao_subschema(const daoc_dao *dao, const char *key)
{
    if (!dao || !key)
        return NULL;
    const daoc__schema *sub = daoc__subschema_by_key(dao->schema, key, strlen(key));
    return sub ? daoc__schema_describe(sub) : NULL;
}
