/*
 * dao.c -- the lifetime of a DAO (one per entity) and the small helpers the
 * read and write pipelines share: row_to_entity and primary-key extraction.
 *
 * It holds no pipeline logic (read.c, write_*.c) and builds no messages
 * (errors.c).  A DAO borrows its store and its owning db; it owns its
 * compiled schema and the list of child entities that reference it.
 */
#include "dao/dao.h"

#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/rand.h"
#include "core/value.h"

int daoc__dao_new(const daoc__dao_env *env, daoc__store *store, daoc__schema *s, daoc_dao **out)
{
    *out = NULL;
    daoc_dao *dao = daoc__calloc(1, sizeof *dao);
    if (!dao) {
        daoc__schema_free(s);
        return DAOC_ENOMEM;
    }
    dao->env = env;
    dao->schema = s;
    dao->store = store;
    if (!(dao->described = daoc__schema_describe(s))) {
        daoc__dao_free(dao);
        return DAOC_ENOMEM;
    }
    *out = dao;
    return DAOC_OK;
}

void daoc__dao_free(daoc_dao *dao)
{
    if (!dao)
        return;
    daoc__schema_free(dao->schema);
    daoc_value_free(dao->described);
    daoc__free(dao->children);
    daoc__free(dao);
}

int daoc__dao_add_child(daoc_dao *dao, const daoc__schema *child, size_t f,
                        daoc__on_delete on_delete)
{
    struct daoc__child *c = daoc__realloc(dao->children, (dao->nchildren + 1) * sizeof *c);
    if (!c)
        return DAOC_ENOMEM;
    dao->children = c;
    c[dao->nchildren].schema = child;
    c[dao->nchildren].field = f;
    c[dao->nchildren].on_delete = on_delete;
    dao->nchildren++;
    return DAOC_OK;
}

const char *daoc_dao_name(const daoc_dao *dao) { return dao ? dao->schema->name : NULL; }

int daoc__dao_row_to_entity(const daoc_dao *dao, daoc_value *row, bool nulls)
{
    /* now < 0: read the clock only if a row needs it (the fast path never) */
    return daoc__schema_process_auto_fields(dao->schema, row, DAOC__CTX_SELECT, nulls, -1.0);
}

int daoc__dao_row_out(const daoc_dao *dao, daoc_value *row, const daoc__dao_opts *o,
                      daoc_error **err)
{
    if (o->transform && daoc__schema_has_transformations(dao->schema)) {
        char *msg = NULL;
        int trc = daoc__schema_transform(dao->schema, row, NULL, true, &msg);
        if (trc == DAOC_EINVAL) {
            trc = daoc__dao_fail(dao, err, DAOC_ERR_TRANSFORMATION_ERROR, NULL, "%s", msg);
            daoc__free(msg);
        }
        if (trc != DAOC_OK)
            return trc;
    }
    int rc = daoc__dao_row_to_entity(dao, row, o->nulls);
    if (rc == DAOC_OK && dao->schema->echoes)
        rc = daoc__schema_echo_shorthands(dao->schema, row);
    if (rc != DAOC_OK || !o->show_ws_id || !dao->schema->workspaceable || !row || !dao->env)
        return rc;
    const daoc_value *ws = daoc__obj_getn(row, "ws_id", 5);
    if (ws && ws->type != DAOC_TNULL)
        return DAOC_OK;
    daoc_value *v = daoc_str(dao->env->default_ws);
    return v ? daoc__obj_setn(row, "ws_id", 5, v) : DAOC_ENOMEM;
}

daoc_value *daoc__dao_extract_pk(const daoc__schema *s, const daoc_value *entity)
{
    daoc_value *pk = daoc_obj();
    if (!pk)
        return NULL;
    for (size_t i = 0; i < s->npk; i++) {
        const daoc__field *f = &s->fields[s->pk[i]];
        const daoc_value *v = entity ? daoc__obj_getn(entity, f->name, f->name_len) : NULL;
        if (!v)
            continue;
        daoc_value *c = daoc_value_copy(v);
        if (!c || daoc__obj_setn(pk, f->name, f->name_len, c) != DAOC_OK) {
            daoc_value_free(pk);
            return NULL;
        }
    }
    return pk;
}

const daoc_value *daoc_dao_schema(const daoc_dao *dao) { return dao ? dao->described : NULL; }

long daoc__dao_public_field(const daoc_dao *dao, const char *field, const char *method,
                            daoc_error **err)
{
    if (!dao || !field) {
        daoc__err_fail(err, DAOC_EINVAL, "%s", dao ? "field name is NULL" : "dao is NULL");
        return -1;
    }
    long f = daoc__schema_field_index(dao->schema, field, strlen(field));
    if (f < 0)
        daoc__err_fail(err, DAOC_EINVAL, "entity '%s' has no field '%s' (%s)", dao->schema->name,
                       field, method);
    return f;
}
