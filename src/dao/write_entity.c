/*
 * write_entity.c -- the entity a write pipeline works on, from the caller's
 * input to the row handed back: a private copy of the input (a Lua
 * sequence becoming an object), the common start of the keyed writes
 * (update/upsert: key and option checks, copy, shorthand fields, auto
 * fields) and their read-before-write transaction (begin and read the
 * stored row; commit), the hidden composite cache_key column derived from
 * it, and the stored row turned into the caller's entity (row_to_entity
 * with the options).
 */
#include <stdio.h>

#include "core/error.h"
#include "core/rand.h"
#include "core/value.h"
#include "dao/dao.h"
#include "dao/write_internal.h"

/* The composite cache_key column value, when the schema has one. */
int daoc__dao_cache_key_column(const daoc_dao *dao, const daoc_value *e, const char *ws,
                               char **ck)
{
    *ck = NULL;
    if (dao->schema->ncache_key < 2)
        return DAOC_OK;
    return daoc__dao_cache_key_of(dao, e, ws, ck);
}

/* Deep copy of the caller's entity as an object.  A Lua sequence ({"a"})
 * becomes an object keyed "1", "2", ... so validation reports each index
 * as an unknown field (code 2), as Kong's validator does. */
int daoc__dao_copy_entity(const daoc__schema *s, const daoc_value *entity, daoc_value **out,
                          daoc_error **err)
{
    *out = NULL;
    if (!entity || (entity->type != DAOC_TOBJ && entity->type != DAOC_TARR))
        return daoc__err_fail(err, DAOC_EINVAL, "entity must be a table");
    if (entity->type == DAOC_TOBJ) {
        /* room for every field (and ttl, ws_id): auto fields and defaults
         * are added without growing the entry array */
        *out = daoc__obj_copy_room(entity, s->nfields + 2);
        return *out ? DAOC_OK : DAOC_ENOMEM;
    }
    daoc_value *o = daoc_obj();
    if (!o)
        return DAOC_ENOMEM;
    if (entity->len)
        o->flags |= DAOC__VF_INTKEYS;
    for (size_t i = 0; i < entity->len; i++) {
        char key[24];
        int kl = snprintf(key, sizeof key, "%zu", i + 1);
        if (daoc__obj_append(o, key, (size_t)kl, daoc_value_copy(entity->u.a[i])) != DAOC_OK) {
            daoc_value_free(o);
            return DAOC_ENOMEM;
        }
    }
    *out = o;
    return DAOC_OK;
}

int daoc__dao_finish_row(daoc_dao *dao, daoc_value *row, const daoc__dao_opts *o, daoc_value **out,
                         daoc_error **err)
{
    int rc = daoc__dao_row_out(dao, row, o, err);
    if (rc != DAOC_OK) {
        daoc_value_free(row);
        return rc;
    }
    *out = row;
    return DAOC_OK;
}

/* The common start of update/upsert by key: the by-field options rule, the
 * key's validity, options, a private copy of the input and its auto fields
 * for the context.  *e is owned by the caller whatever the outcome. */
int daoc__dao_prepare_keyed_write(daoc_dao *dao, long field, const daoc_value *key,
                                  const daoc_value *entity, const daoc_value *opts, daoc__ctx ctx,
                                  daoc__dao_opts *o, daoc_value **e, daoc_error **err)
{
    int rc = daoc__dao_check_by_opts(dao, field, opts, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_check_key(dao, field, key, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_opts_parse(dao, opts, o, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_copy_entity(dao->schema, entity, e, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_shorthands(dao, *e, err);
    if (rc == DAOC_OK)
        rc = daoc__schema_process_auto_fields(dao->schema, *e, ctx, false, daoc__now());
    return rc;
}

int daoc__dao_begin_read(daoc_dao *dao, const daoc__key *k, const daoc__read_opts *ro,
                         bool *in_tx, daoc_value **stored, daoc_error **err)
{
    daoc__store *st = dao->store;
    char *msg = NULL;
    *stored = NULL;
    int rc = st->ops->begin(st, &msg);
    if (rc != DAOC_OK)
        return daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
    *in_tx = true;
    msg = NULL;
    rc = st->ops->select(st, dao->schema, k, ro, stored, &msg);
    if (rc != DAOC_OK)
        return daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
    return DAOC_OK;
}

int daoc__dao_commit_write(daoc_dao *dao, bool *in_tx, daoc_error **err)
{
    daoc__store *st = dao->store;
    char *msg = NULL;
    *in_tx = false;
    int rc = st->ops->commit(st, &msg);
    if (rc != DAOC_OK) {
        (void)st->ops->rollback(st);
        return daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
    }
    return DAOC_OK;
}
