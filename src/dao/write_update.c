/*
 * write_update.c -- Kong's update pipeline (PATCH, section 5.4) by primary
 * key or by a unique field: read the stored row, check immutable fields,
 * merge the partial input over it (records field-wise), resolve foreign
 * keys, validate as an update, run the on_write transformations, then
 * write every non-key field.  The read and the write run in one store transaction rolled back on
 * any failure, so nothing partial is written; a missing row is Kong's code 6.
 */
#include "core/alloc.h"
#include "core/value.h"
#include "dao/dao.h"
#include "dao/write_internal.h"

/* merge_values(top, bottom): moves every key of `top` into `bottom`;
 * records (non-abstract) are merged field-wise, everything else replaced.
 * As Kong's each_field(bottom), a field is read through the subschema the
 * stored entity selects: a plugin's abstract `config` is its plugin's
 * config record, merged field by field. */
static int merge(const daoc__schema *s, daoc_value *top, daoc_value *bottom)
{
    const daoc__schema *sub = s && s->subschema_key ? daoc__subschema_of(s, bottom) : NULL;
    while (top->len) {
        daoc__kv kv = top->u.o[top->len - 1];
        const daoc__field *f = s ? daoc__schema_field(s, kv.key, kv.klen) : NULL;
        if (f && sub)
            f = daoc__subschema_field(sub, f);
        daoc_value *under = daoc__obj_getn(bottom, kv.key, kv.klen);
        if (f && f->type == DAOC__F_RECORD && !f->abstract && f->record &&
            kv.val->type == DAOC_TOBJ && under && under->type == DAOC_TOBJ) {
            int rc = merge(f->record, kv.val, under);
            if (rc != DAOC_OK)
                return rc;
            daoc_value_free(daoc__obj_take(top, kv.key, kv.klen));
            continue;
        }
        char *key = daoc__strndup(kv.key, kv.klen);
        if (!key)
            return DAOC_ENOMEM;
        daoc_value *v = daoc__obj_take(top, kv.key, kv.klen);
        int rc = daoc__obj_setn(bottom, key, kv.klen, v);
        daoc__free(key);
        if (rc != DAOC_OK)
            return rc;
    }
    return DAOC_OK;
}

static int not_found(daoc_dao *dao, long field, const daoc_value *key, daoc_error **err)
{
    daoc_value *fields = NULL;
    if (field < 0) {
        fields = daoc__dao_extract_pk(dao->schema, key);
    } else {
        const daoc__field *f = &dao->schema->fields[field];
        fields = daoc_obj();
        if (fields &&
            daoc__obj_setn(fields, f->name, f->name_len, daoc_value_copy(key)) != DAOC_OK) {
            daoc_value_free(fields);
            fields = NULL;
        }
    }
    char *p = fields ? daoc__value_pretty(fields, NULL) : NULL;
    if (!p) {
        daoc_value_free(fields);
        return DAOC_ENOMEM;
    }
    int rc = field < 0 ? daoc__dao_fail(dao, err, DAOC_ERR_NOT_FOUND, fields,
                                        "could not find the entity with primary key '%s'", p)
                       : daoc__dao_fail(dao, err, DAOC_ERR_NOT_FOUND, fields,
                                        "could not find the entity with '%s'", p);
    daoc__free(p);
    return rc;
}

int daoc__dao_update_key(daoc_dao *dao, long field, const daoc_value *key, const daoc_value *entity,
                         const daoc_value *opts, daoc_value **out, daoc_error **err)
{
    if (!out)
        return DAOC_EINVAL;
    *out = NULL;
    daoc__dao_opts o;
    daoc_value *e = NULL, *stored = NULL, *row = NULL, *rbw = NULL, *old = NULL;
    if (dao && dao->tags_view)
        return daoc__dao_tags_refuse(dao, false, err);
    char *ck = NULL, *msg = NULL;
    bool in_tx = false;
    int rc =
        daoc__dao_prepare_keyed_write(dao, field, key, entity, opts, DAOC__CTX_UPDATE, &o, &e, err);
    if (rc != DAOC_OK)
        goto fail;

    daoc__store *st = dao->store;
    daoc__key k = {field, key};
    daoc__read_opts ro = {o.skip_ttl, false, daoc__dao_ws(&o)};
    rc = daoc__dao_begin_read(dao, &k, &ro, &in_tx, &stored, err);
    if (rc != DAOC_OK)
        goto fail;
    if (!stored) {
        rc = not_found(dao, field, key, err);
        goto fail;
    }
    rc = daoc__dao_row_to_entity(dao, stored, true);
    if (rc == DAOC_OK)
        rc = daoc__dao_check_immutable(dao, e, stored, err);
    /* the stored entity as it was, for the transformations' checks */
    if (rc == DAOC_OK && daoc__schema_has_transformations(dao->schema) &&
        !(rbw = daoc_value_copy(stored)))
        rc = DAOC_ENOMEM;
    /* and for the owner's crud (the old entity) */
    if (rc == DAOC_OK && daoc__dao_crud_on(dao) && !(old = daoc_value_copy(stored)))
        rc = DAOC_ENOMEM;
    if (rc == DAOC_OK)
        rc = merge(dao->schema, e, stored);
    if (rc != DAOC_OK)
        goto fail;
    if (dao->schema->ttl)
        daoc_value_free(daoc__obj_take(stored, "ttl", 3));
    rc = daoc__dao_resolve_foreign(dao, stored, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_run_rule(dao, true, entity, stored, opts, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_validate_ex(dao, stored, false, true, entity, rbw, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_transform(dao, stored, entity, &o, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_check_nul(dao, stored, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_cache_key_column(dao, stored, daoc__dao_ws(&o), &ck);
    if (rc != DAOC_OK)
        goto fail;
    daoc__write_opts wo = {o.has_ttl, o.ttl, ck, daoc__dao_ws(&o), o.show_ws_id};
    daoc__violation viol = {0, -1, NULL, NULL};
    rc = st->ops->update(st, dao->schema, &k, stored, &wo, &row, &viol, &msg);
    if (rc != DAOC_OK) {
        viol.ws_id = wo.ws_id;
        rc = daoc__dao_store_fail(dao, err, rc, &viol, stored, msg);
        goto fail;
    }
    if (!row) {
        rc = not_found(dao, field, key, err);
        goto fail;
    }
    rc = daoc__dao_finish_row(dao, row, &o, out, err);
    row = NULL;
    if (rc == DAOC_OK)
        rc = daoc__dao_run_after_write(dao, DAOC__WRITE_UPDATE, entity, *out, opts, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_crud(dao, DAOC__CRUD_UPDATE, *out, old, daoc__dao_ws(&o), err);
    if (rc == DAOC_OK)
        rc = daoc__dao_commit_write(dao, &in_tx, err);
    if (rc != DAOC_OK) {
        daoc_value_free(*out);
        *out = NULL;
    }
fail:
    if (in_tx)
        (void)dao->store->ops->rollback(dao->store);
    daoc_value_free(row);
    daoc__free(ck);
    daoc_value_free(stored);
    daoc_value_free(rbw);
    daoc_value_free(old);
    daoc_value_free(e);
    return rc;
}
