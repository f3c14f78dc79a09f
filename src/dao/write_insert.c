/*
 * write_insert.c -- Kong's insert pipeline (section 5.4): copy the input,
 * apply its shorthand fields, fill auto fields for the insert context, resolve foreign keys,
 * validate the full entity, run the on_write transformations, refuse NUL bytes, derive the
 * cache_key column, then one store insert (atomic on its own; in one
 * transaction with the custom DAO's after_write hook when there is one).  Every step that can refuse the
 * request runs before the store writes; store violations are worded in
 * errors.c.
 */
#include "core/alloc.h"
#include "core/error.h"
#include "core/rand.h"
#include "core/value.h"
#include "dao/dao.h"
#include "dao/write_internal.h"

static int insert(daoc_dao *dao, const daoc_value *entity, const daoc_value *opts,
                  daoc_value **out, daoc_error **err)
{
    if (!out || !dao)
        return DAOC_EINVAL;
    *out = NULL;
    if (dao && dao->tags_view)
        return daoc__dao_tags_refuse(dao, false, err);
    daoc__dao_opts o;
    daoc_value *e = NULL, *row = NULL;
    char *ck = NULL, *msg = NULL;
    bool in_tx = false;
    int rc = daoc__dao_copy_entity(dao->schema, entity, &e, err);
    if (rc != DAOC_OK)
        return rc;
    rc = daoc__dao_opts_parse(dao, opts, &o, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_shorthands(dao, e, err);
    if (rc == DAOC_OK)
        rc = daoc__schema_process_auto_fields(dao->schema, e, DAOC__CTX_INSERT, false, daoc__now());
    if (rc == DAOC_OK)
        rc = daoc__dao_resolve_foreign(dao, e, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_run_rule(dao, false, entity, e, opts, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_validate_ex(dao, e, true, false, entity, NULL, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_transform(dao, e, entity, &o, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_check_nul(dao, e, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_cache_key_column(dao, e, daoc__dao_ws(&o), &ck);
    if (rc != DAOC_OK)
        goto fail;
    /* an after_write hook writes with the row: one store transaction */
    if (dao->custom.after_write) {
        rc = dao->store->ops->begin(dao->store, &msg);
        if (rc != DAOC_OK) {
            rc = daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
            goto fail;
        }
        in_tx = true;
        msg = NULL;
    }
    daoc__write_opts wo = {o.has_ttl, o.ttl, ck, daoc__dao_ws(&o), o.show_ws_id};
    daoc__violation viol = {0, -1, NULL, NULL};
    rc = dao->store->ops->insert(dao->store, dao->schema, e, &wo, &row, &viol, &msg);
    if (rc != DAOC_OK) {
        viol.ws_id = wo.ws_id;
        rc = daoc__dao_store_fail(dao, err, rc, &viol, e, msg);
        goto fail;
    }
    rc = daoc__dao_finish_row(dao, row, &o, out, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_run_after_write(dao, DAOC__WRITE_INSERT, entity, *out, opts, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_crud(dao, DAOC__CRUD_CREATE, *out, NULL, daoc__dao_ws(&o), err);
    if (rc == DAOC_OK && in_tx)
        rc = daoc__dao_commit_write(dao, &in_tx, err);
    if (rc != DAOC_OK) {
        daoc_value_free(*out);
        *out = NULL;
    }
fail:
    if (in_tx)
        (void)dao->store->ops->rollback(dao->store);
    daoc__free(ck);
    daoc_value_free(e);
    return rc;
}

int daoc_dao_insert(daoc_dao *dao, const daoc_value *entity, const daoc_value *opts,
                    daoc_value **out, daoc_error **err)
{
    daoc__err_reset(err);
    return daoc__err_fill(err, insert(dao, entity, opts, out, err));
}
