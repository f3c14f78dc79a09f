/*
 * write_api.c -- the public write functions of daoc.h (daoc_dao_update,
 * _upsert, _delete and their _by forms): a field name becomes its index,
 * then the key-generic pipelines of write_update.c, write_upsert.c and
 * write_delete.c run.  (daoc_dao_insert is in write_insert.c.)
 */
#include "core/error.h"
#include "dao/dao.h"

int daoc_dao_update(daoc_dao *dao, const daoc_value *pk, const daoc_value *entity,
                    const daoc_value *opts, daoc_value **out, daoc_error **err)
{
    daoc__err_reset(err);
    return daoc__err_fill(err, daoc__dao_update_key(dao, -1, pk, entity, opts, out, err));
}

int daoc_dao_update_by(daoc_dao *dao, const char *field, const daoc_value *value,
                       const daoc_value *entity, const daoc_value *opts, daoc_value **out,
                       daoc_error **err)
{
    daoc__err_reset(err);
    if (out)
        *out = NULL;
    long f = daoc__dao_public_field(dao, field, "update_by", err);
    if (f < 0)
        return DAOC_EINVAL;
    return daoc__err_fill(err, daoc__dao_update_key(dao, f, value, entity, opts, out, err));
}

int daoc_dao_upsert(daoc_dao *dao, const daoc_value *pk, const daoc_value *entity,
                    const daoc_value *opts, daoc_value **out, daoc_error **err)
{
    daoc__err_reset(err);
    return daoc__err_fill(err, daoc__dao_upsert_key(dao, -1, pk, entity, opts, out, err));
}

int daoc_dao_upsert_by(daoc_dao *dao, const char *field, const daoc_value *value,
                       const daoc_value *entity, const daoc_value *opts, daoc_value **out,
                       daoc_error **err)
{
    daoc__err_reset(err);
    if (out)
        *out = NULL;
    long f = daoc__dao_public_field(dao, field, "upsert_by", err);
    if (f < 0)
        return DAOC_EINVAL;
    return daoc__err_fill(err, daoc__dao_upsert_key(dao, f, value, entity, opts, out, err));
}

int daoc_dao_delete(daoc_dao *dao, const daoc_value *pk, const daoc_value *opts, daoc_error **err)
{
    daoc__err_reset(err);
    return daoc__err_fill(err, daoc__dao_delete_ex(dao, -1, pk, opts, NULL, err));
}

int daoc_dao_delete_by(daoc_dao *dao, const char *field, const daoc_value *value,
                       const daoc_value *opts, daoc_error **err)
{
    daoc__err_reset(err);
    long f = daoc__dao_public_field(dao, field, "delete_by", err);
    if (f < 0)
        return DAOC_EINVAL;
    return daoc__err_fill(err, daoc__dao_delete_ex(dao, f, value, opts, NULL, err));
}
