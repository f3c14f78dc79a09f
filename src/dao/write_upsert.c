/*
 * write_upsert.c -- Kong's upsert pipeline (PUT, section 5.4) by primary
 * key or by a unique field: the key is put into the input, which is
 * validated as a full entity and stored as a full replace or a create.  A
 * schema with immutable fields first reads the stored row (in one
 * transaction with the write) to refuse changing them; a custom DAO's
 * after_write hook runs in that transaction too.
 */
#include "core/alloc.h"
#include "core/value.h"
#include "dao/dao.h"
#include "dao/write_internal.h"

static bool has_immutable(const daoc__schema *s)
{
    for (size_t i = 0; i < s->nfields; i++)
        if (s->fields[i].immutable)
            return true;
    return false;
}

/* Puts the key into the entity: pk fields (pk upsert) or the unique field. */
static int inject_key(const daoc__schema *s, long field, const daoc_value *key, daoc_value *e)
{
    if (field >= 0) {
        const daoc__field *f = &s->fields[field];
        return daoc__obj_setn(e, f->name, f->name_len, daoc_value_copy(key));
    }
    for (size_t i = 0; i < s->npk; i++) {
        const daoc__field *f = &s->fields[s->pk[i]];
        const daoc_value *v = daoc__obj_getn(key, f->name, f->name_len);
        if (!v)
            continue;
        int rc = daoc__obj_setn(e, f->name, f->name_len, daoc_value_copy(v));
        if (rc != DAOC_OK)
            return rc;
    }
    return DAOC_OK;
}

int daoc__dao_upsert_key(daoc_dao *dao, long field, const daoc_value *key, const daoc_value *entity,
                         const daoc_value *opts, daoc_value **out, daoc_error **err)
{
    if (!out)
        return DAOC_EINVAL;
    *out = NULL;
    daoc__dao_opts o;
    daoc_value *e = NULL, *stored = NULL, *row = NULL;
    if (dao && dao->tags_view)
        return daoc__dao_tags_refuse(dao, false, err);
    char *ck = NULL, *msg = NULL;
    bool in_tx = false;
    if (dao->custom.upsert) { /* the custom DAO's upsert replaces this one */
        int hrc = daoc__dao_check_by_opts(dao, field, opts, err);
        if (hrc == DAOC_OK)
            hrc = daoc__dao_check_key(dao, field, key, err);
        if (hrc == DAOC_OK)
            hrc = daoc__dao_opts_parse(dao, opts, &o, err);
        return hrc == DAOC_OK ? dao->custom.upsert(dao->custom.ud, dao, field, key, entity, opts,
                                                   out, err)
                              : hrc;
    }
    int rc =
        daoc__dao_prepare_keyed_write(dao, field, key, entity, opts, DAOC__CTX_UPSERT, &o, &e, err);
    if (rc == DAOC_OK)
        rc = inject_key(dao->schema, field, key, e);
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

    daoc__store *st = dao->store;
    daoc__key k = {field, key};
    if (has_immutable(dao->schema) || dao->custom.after_write || daoc__dao_crud_on(dao)) {
        daoc__read_opts ro = {true, false, daoc__dao_ws(&o)};
        rc = daoc__dao_begin_read(dao, &k, &ro, &in_tx, &stored, err);
        if (rc != DAOC_OK)
            goto fail;
        if (stored && !has_immutable(dao->schema) && daoc__dao_crud_on(dao) &&
            (rc = daoc__dao_row_to_entity(dao, stored, true)) != DAOC_OK)
            goto fail;
        if (stored && has_immutable(dao->schema)) {
            rc = daoc__dao_row_to_entity(dao, stored, false);
            if (rc == DAOC_OK)
                rc = daoc__dao_check_immutable(dao, e, stored, err);
            if (rc != DAOC_OK)
                goto fail;
        }
    }
    daoc__write_opts wo = {o.has_ttl, o.ttl, ck, daoc__dao_ws(&o), o.show_ws_id};
    daoc__violation viol = {0, -1, NULL, NULL};
    rc = st->ops->upsert(st, dao->schema, &k, e, &wo, &row, &viol, &msg);
    if (rc != DAOC_OK) {
        viol.ws_id = wo.ws_id;
        rc = daoc__dao_store_fail(dao, err, rc, &viol, e, msg);
        goto fail;
    }
    rc = daoc__dao_finish_row(dao, row, &o, out, err);
    row = NULL;
    if (rc == DAOC_OK)
        rc = daoc__dao_run_after_write(dao, DAOC__WRITE_UPSERT, entity, *out, opts, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_crud(dao, stored ? DAOC__CRUD_UPDATE : DAOC__CRUD_CREATE, *out, stored,
                            daoc__dao_ws(&o), err);
    if (rc == DAOC_OK && in_tx)
        rc = daoc__dao_commit_write(dao, &in_tx, err);
    if (rc != DAOC_OK) {
        daoc_value_free(*out);
        *out = NULL;
    }
fail:
    if (in_tx)
        (void)dao->store->ops->rollback(dao->store);
    daoc_value_free(row);
    daoc_value_free(stored);
    daoc__free(ck);
    daoc_value_free(e);
    return rc;
}
