/*
 * write_delete.c -- removing rows: delete by primary key or by a unique
 * field, and truncate.  A delete is one store statement that hands back
 * the deleted row (DELETE ... RETURNING), so the old entity Kong's events
 * and cache invalidation need costs no extra read; a missing row is a
 * success, as in Kong.  ON DELETE rules (cascade / set null / restrict)
 * are the store's; a refused delete changes nothing.  A custom DAO's
 * before_delete hook sees the stored row first, in one transaction with
 * the delete.  Truncate also
 * empties the entities referencing this one and, for workspaces, makes
 * the default workspace exist again.
 */
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"
#include "dao/dao.h"
#include "dao/write_internal.h"

/* The custom DAO's before_delete hook and the owner's crud: opens the
 * delete's transaction (*in_tx) and hands them the stored row, when there
 * is one. */
static int before_delete(daoc_dao *dao, const daoc__key *k, const daoc__read_opts *ro,
                         const daoc_value *opts, bool *in_tx, daoc_error **err)
{
    daoc_value *stored = NULL;
    daoc__read_opts rro = {ro->skip_ttl, false, ro->ws_id};
    int rc = daoc__dao_begin_read(dao, k, &rro, in_tx, &stored, err);
    if (rc == DAOC_OK && stored) {
        rc = daoc__dao_row_to_entity(dao, stored, true);
        if (rc == DAOC_OK && dao->custom.before_delete)
            rc = dao->custom.before_delete(dao->custom.ud, dao, stored, opts, err);
        if (rc == DAOC_OK)
            rc = daoc__dao_crud(dao, DAOC__CRUD_DELETE, NULL, stored, ro->ws_id, err);
    }
    daoc_value_free(stored);
    return rc;
}

int daoc__dao_delete_ex(daoc_dao *dao, long field, const daoc_value *key, const daoc_value *opts,
                        daoc_value **old, daoc_error **err)
{
    if (old)
        *old = NULL;
    if (dao && dao->tags_view)
        return daoc__dao_tags_refuse(dao, false, err);
    int rc = daoc__dao_check_by_opts(dao, field, opts, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_check_key(dao, field, key, err);
    if (rc != DAOC_OK)
        return rc;
    if (field >= 0 && dao->custom.delete_by) /* the custom DAO's delete_by_<f> */
        return dao->custom.delete_by(dao->custom.ud, dao, field, key, opts, old, err);
    daoc__dao_opts o;
    rc = daoc__dao_opts_parse(dao, opts, &o, err);
    if (rc != DAOC_OK)
        return rc;
    daoc__key k = {field, key};
    daoc__read_opts ro = {o.skip_ttl, o.show_ws_id, daoc__dao_ws(&o)};
    bool in_tx = false;
    if (dao->custom.before_delete || daoc__dao_crud_on(dao)) {
        rc = before_delete(dao, &k, &ro, opts, &in_tx, err);
        if (rc != DAOC_OK)
            goto done;
    }
    daoc__violation viol = {0, -1, NULL, NULL};
    daoc_value *row = NULL;
    char *msg = NULL;
    /* the store returns the row only when the caller wants it */
    rc = dao->store->ops->delete (dao->store, dao->schema, &k, &ro, old ? &row : NULL, &viol, &msg);
    if (rc != DAOC_OK) {
        rc = daoc__dao_store_fail(dao, err, rc, &viol, NULL, msg);
        goto done;
    }
    if (in_tx && (rc = daoc__dao_commit_write(dao, &in_tx, err)) != DAOC_OK) {
        daoc_value_free(row);
        goto done;
    }
    if (!row) /* not found is a success, as in Kong */
        return DAOC_OK;
    return daoc__dao_finish_row(dao, row, &o, old, err);
done:
    if (in_tx)
        (void)dao->store->ops->rollback(dao->store);
    return rc;
}

int daoc__dao_delete_key(daoc_dao *dao, long field, const daoc_value *key, const daoc_value *opts,
                         daoc_error **err)
{
    return daoc__dao_delete_ex(dao, field, key, opts, NULL, err);
}

int daoc__dao_truncate(daoc_dao *dao, daoc_error **err)
{
    if (!dao || !dao->store->ops->truncate)
        return DAOC_EINVAL;
    if (dao->tags_view) /* its rows go with their entities' */
        return DAOC_OK;
    char *msg = NULL;
    int rc = dao->store->ops->truncate(dao->store, dao->schema, &msg);
    if (rc != DAOC_OK)
        return daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
    daoc__free(msg);
    /* Kong: a "default" workspace always exists */
    if (strcmp(dao->schema->name, "workspaces") == 0 && dao->env && dao->env->ensure_default_ws)
        return dao->env->ensure_default_ws(dao->env->ud, err);
    return DAOC_OK;
}
