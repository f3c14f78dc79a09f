/*
 * write.c -- the write pipelines of Kong's DAO (section 5.4): insert, update
 * (PATCH: read-before-write, immutable check, merge), upsert (PUT: full
 * replace or create) and delete, by primary key or by a unique field.
 *
 * Every step that can refuse the request runs before the store writes, and
 * multi-statement work (update) runs in one store transaction that is rolled
 * back on any failure, so nothing partial is ever written.  Store
 * violations are worded in errors.c.
 */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/rand.h"
#include "core/value.h"
#include "dao/dao.h"

static const char *strategy(const daoc_dao *dao) { return dao->store->ops->name; }

static daoc_dao *dao_of(const daoc_dao *dao, const daoc__schema *s)
{
    return dao->env && dao->env->dao_of ? dao->env->dao_of(dao->env->ud, s) : NULL;
}

/* resolve_foreign: a foreign value that is not a valid primary key but
 * carries a unique field of the referenced entity is looked up with
 * select_by_<unique> (fields in schema order, stopping at the first hit)
 * and replaced by the found entity's primary key; every miss is a code 13
 * item. */
static int resolve_foreign(daoc_dao *dao, daoc_value *e, daoc_error **err)
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
    daoc_error *x = daoc__err_foreign_keys_unresolved(strategy(dao), errors);
    if (!x)
        return DAOC_ENOMEM;
    if (err)
        *err = x;
    else
        daoc_error_free(x);
    return DAOC_EDAO;
}

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
static int check_nul(daoc_dao *dao, const daoc_value *e, daoc_error **err)
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

/* validate(full or update) => code 2. */
static int validate(daoc_dao *dao, const daoc_value *e, bool full, bool update, daoc_error **err)
{
    daoc_value *errors = NULL;
    int rc = daoc__schema_validate(dao->schema, e, full, update, &errors);
    if (rc != DAOC_OK || !errors)
        return rc;
    daoc_error *x = daoc__err_schema_violation(strategy(dao), errors);
    if (!x)
        return DAOC_ENOMEM;
    if (err)
        *err = x;
    else
        daoc_error_free(x);
    return DAOC_EDAO;
}

/* The composite cache_key column value, when the schema has one. */
static int cache_key_column(const daoc_dao *dao, const daoc_value *e, char **ck)
{
    *ck = NULL;
    if (dao->schema->ncache_key < 2)
        return DAOC_OK;
    return daoc__dao_cache_key_of(dao, e, ck);
}

/* Deep copy of the caller's entity as an object.  A Lua sequence ({"a"})
 * becomes an object keyed "1", "2", ... so validation reports each index
 * as an unknown field (code 2), as Kong's validator does. */
static int copy_entity(const daoc__schema *s, const daoc_value *entity, daoc_value **out)
{
    *out = NULL;
    if (!entity || (entity->type != DAOC_TOBJ && entity->type != DAOC_TARR))
        return DAOC_EINVAL; /* "entity must be a table" */
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

static int finish_row(daoc_dao *dao, daoc_value *row, const daoc__dao_opts *o, daoc_value **out)
{
    int rc = daoc__dao_row_out(dao, row, o);
    if (rc != DAOC_OK) {
        daoc_value_free(row);
        return rc;
    }
    *out = row;
    return DAOC_OK;
}

int daoc_dao_insert(daoc_dao *dao, const daoc_value *entity, const daoc_value *opts,
                    daoc_value **out, daoc_error **err)
{
    if (!out || !dao)
        return DAOC_EINVAL;
    *out = NULL;
    daoc__dao_opts o;
    daoc_value *e = NULL, *row = NULL;
    char *ck = NULL, *msg = NULL;
    int rc = copy_entity(dao->schema, entity, &e);
    if (rc != DAOC_OK)
        return rc;
    rc = daoc__dao_opts_parse(dao, opts, &o, err);
    if (rc == DAOC_OK)
        rc = daoc__schema_process_auto_fields(dao->schema, e, DAOC__CTX_INSERT, false,
                                              daoc__now());
    if (rc == DAOC_OK)
        rc = resolve_foreign(dao, e, err);
    if (rc == DAOC_OK)
        rc = validate(dao, e, true, false, err);
    if (rc == DAOC_OK)
        rc = check_nul(dao, e, err);
    if (rc == DAOC_OK)
        rc = cache_key_column(dao, e, &ck);
    if (rc != DAOC_OK)
        goto fail;
    daoc__write_opts wo = {o.has_ttl, o.ttl, ck, daoc__dao_ws(&o), o.show_ws_id};
    daoc__violation viol = {0, -1, NULL, NULL};
    rc = dao->store->ops->insert(dao->store, dao->schema, e, &wo, &row, &viol, &msg);
    if (rc != DAOC_OK) {
        viol.ws_id = wo.ws_id;
        rc = daoc__dao_store_fail(dao, err, rc, &viol, e, msg);
        goto fail;
    }
    rc = finish_row(dao, row, &o, out);
fail:
    daoc__free(ck);
    daoc_value_free(e);
    return rc;
}

/* Kong's validate_immutable_fields (daoc__schema_validate_immutable: the
 * schema layer's one check) worded as Kong's schema violation. */
static int check_immutable(daoc_dao *dao, const daoc_value *upd, const daoc_value *stored,
                           daoc_error **err)
{
    daoc_value *errors = NULL;
    if (daoc__schema_validate_immutable(dao->schema, upd, stored, &errors) != DAOC_OK)
        return DAOC_ENOMEM;
    if (!errors)
        return DAOC_OK;
    daoc_error *x = daoc__err_schema_violation(strategy(dao), errors);
    if (!x)
        return DAOC_ENOMEM;
    if (err)
        *err = x;
    else
        daoc_error_free(x);
    return DAOC_EDAO;
}

/* merge_values(top, bottom): moves every key of `top` into `bottom`;
 * records (non-abstract) are merged field-wise, everything else replaced. */
static int merge(const daoc__schema *s, daoc_value *top, daoc_value *bottom)
{
    while (top->len) {
        daoc__kv kv = top->u.o[top->len - 1];
        const daoc__field *f = s ? daoc__schema_field(s, kv.key, kv.klen) : NULL;
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
        if (fields && daoc__obj_setn(fields, f->name, f->name_len, daoc_value_copy(key)) != DAOC_OK) {
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

/* The common start of update/upsert by key: the by-field options rule, the
 * key's validity, options, a private copy of the input and its auto fields
 * for the context.  *e is owned by the caller whatever the outcome. */
static int prepare_keyed_write(daoc_dao *dao, long field, const daoc_value *key,
                               const daoc_value *entity, const daoc_value *opts, daoc__ctx ctx,
                               daoc__dao_opts *o, daoc_value **e, daoc_error **err)
{
    int rc = daoc__dao_check_by_opts(dao, field, opts, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_check_key(dao, field, key, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_opts_parse(dao, opts, o, err);
    if (rc == DAOC_OK)
        rc = copy_entity(dao->schema, entity, e);
    if (rc == DAOC_OK)
        rc = daoc__schema_process_auto_fields(dao->schema, *e, ctx, false, daoc__now());
    return rc;
}

int daoc__dao_update_key(daoc_dao *dao, long field, const daoc_value *key,
                         const daoc_value *entity, const daoc_value *opts, daoc_value **out,
                         daoc_error **err)
{
    if (!out)
        return DAOC_EINVAL;
    *out = NULL;
    daoc__dao_opts o;
    daoc_value *e = NULL, *stored = NULL, *row = NULL;
    char *ck = NULL, *msg = NULL;
    bool in_tx = false;
    int rc = prepare_keyed_write(dao, field, key, entity, opts, DAOC__CTX_UPDATE, &o, &e, err);
    if (rc != DAOC_OK)
        goto fail;

    daoc__store *st = dao->store;
    rc = st->ops->begin(st, &msg);
    if (rc != DAOC_OK) {
        rc = daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
        goto fail;
    }
    in_tx = true;
    daoc__key k = {field, key};
    daoc__read_opts ro = {o.skip_ttl, false, daoc__dao_ws(&o)};
    rc = st->ops->select(st, dao->schema, &k, &ro, &stored, &msg);
    if (rc != DAOC_OK) {
        rc = daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
        goto fail;
    }
    if (!stored) {
        rc = not_found(dao, field, key, err);
        goto fail;
    }
    rc = daoc__dao_row_to_entity(dao, stored, true);
    if (rc == DAOC_OK)
        rc = check_immutable(dao, e, stored, err);
    if (rc == DAOC_OK)
        rc = merge(dao->schema, e, stored);
    if (rc != DAOC_OK)
        goto fail;
    if (dao->schema->ttl)
        daoc_value_free(daoc__obj_take(stored, "ttl", 3));
    rc = resolve_foreign(dao, stored, err);
    if (rc == DAOC_OK)
        rc = validate(dao, stored, false, true, err);
    if (rc == DAOC_OK)
        rc = check_nul(dao, stored, err);
    if (rc == DAOC_OK)
        rc = cache_key_column(dao, stored, &ck);
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
    msg = NULL;
    rc = st->ops->commit(st, &msg);
    in_tx = false;
    if (rc != DAOC_OK) {
        (void)st->ops->rollback(st);
        rc = daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
        goto fail;
    }
    rc = finish_row(dao, row, &o, out);
    row = NULL;
fail:
    if (in_tx)
        (void)dao->store->ops->rollback(dao->store);
    daoc_value_free(row);
    daoc__free(ck);
    daoc_value_free(stored);
    daoc_value_free(e);
    return rc;
}

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

int daoc__dao_upsert_key(daoc_dao *dao, long field, const daoc_value *key,
                         const daoc_value *entity, const daoc_value *opts, daoc_value **out,
                         daoc_error **err)
{
    if (!out)
        return DAOC_EINVAL;
    *out = NULL;
    daoc__dao_opts o;
    daoc_value *e = NULL, *stored = NULL, *row = NULL;
    char *ck = NULL, *msg = NULL;
    bool in_tx = false;
    int rc = prepare_keyed_write(dao, field, key, entity, opts, DAOC__CTX_UPSERT, &o, &e, err);
    if (rc == DAOC_OK)
        rc = inject_key(dao->schema, field, key, e);
    if (rc == DAOC_OK)
        rc = resolve_foreign(dao, e, err);
    if (rc == DAOC_OK)
        rc = validate(dao, e, true, false, err);
    if (rc == DAOC_OK)
        rc = check_nul(dao, e, err);
    if (rc == DAOC_OK)
        rc = cache_key_column(dao, e, &ck);
    if (rc != DAOC_OK)
        goto fail;

    daoc__store *st = dao->store;
    daoc__key k = {field, key};
    if (has_immutable(dao->schema)) {
        rc = st->ops->begin(st, &msg);
        if (rc != DAOC_OK) {
            rc = daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
            goto fail;
        }
        in_tx = true;
        daoc__read_opts ro = {true, false, daoc__dao_ws(&o)};
        rc = st->ops->select(st, dao->schema, &k, &ro, &stored, &msg);
        if (rc != DAOC_OK) {
            rc = daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
            goto fail;
        }
        if (stored) {
            rc = daoc__dao_row_to_entity(dao, stored, false);
            if (rc == DAOC_OK)
                rc = check_immutable(dao, e, stored, err);
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
    if (in_tx) {
        msg = NULL;
        in_tx = false;
        rc = st->ops->commit(st, &msg);
        if (rc != DAOC_OK) {
            (void)st->ops->rollback(st);
            rc = daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
            goto fail;
        }
    }
    rc = finish_row(dao, row, &o, out);
    row = NULL;
fail:
    if (in_tx)
        (void)dao->store->ops->rollback(dao->store);
    daoc_value_free(row);
    daoc_value_free(stored);
    daoc__free(ck);
    daoc_value_free(e);
    return rc;
}

int daoc__dao_delete_ex(daoc_dao *dao, long field, const daoc_value *key,
                        const daoc_value *opts, daoc_value **old, daoc_error **err)
{
    if (old)
        *old = NULL;
    int rc = daoc__dao_check_by_opts(dao, field, opts, err);
    if (rc == DAOC_OK)
        rc = daoc__dao_check_key(dao, field, key, err);
    if (rc != DAOC_OK)
        return rc;
    daoc__dao_opts o;
    rc = daoc__dao_opts_parse(dao, opts, &o, err);
    if (rc != DAOC_OK)
        return rc;
    daoc__key k = {field, key};
    daoc__read_opts ro = {o.skip_ttl, o.show_ws_id, daoc__dao_ws(&o)};
    daoc__violation viol = {0, -1, NULL, NULL};
    daoc_value *row = NULL;
    char *msg = NULL;
    rc = dao->store->ops->delete(dao->store, dao->schema, &k, &ro, &row, &viol, &msg);
    if (rc != DAOC_OK)
        return daoc__dao_store_fail(dao, err, rc, &viol, NULL, msg);
    if (!row || !old) { /* not found is a success, as in Kong */
        daoc_value_free(row);
        return DAOC_OK;
    }
    return finish_row(dao, row, &o, old);
}

int daoc__dao_delete_key(daoc_dao *dao, long field, const daoc_value *key,
                         const daoc_value *opts, daoc_error **err)
{
    return daoc__dao_delete_ex(dao, field, key, opts, NULL, err);
}

int daoc__dao_truncate(daoc_dao *dao, daoc_error **err)
{
    if (!dao || !dao->store->ops->truncate)
        return DAOC_EINVAL;
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

/* ---- public write API ------------------------------------------------- */

static long by_index(daoc_dao *dao, const char *field)
{
    if (!dao || !field)
        return -2;
    long f = daoc__schema_field_index(dao->schema, field, strlen(field));
    return f < 0 ? -2 : f;
}

int daoc_dao_update(daoc_dao *dao, const daoc_value *pk, const daoc_value *entity,
                    const daoc_value *opts, daoc_value **out, daoc_error **err)
{
    return daoc__dao_update_key(dao, -1, pk, entity, opts, out, err);
}

int daoc_dao_update_by(daoc_dao *dao, const char *field, const daoc_value *value,
                       const daoc_value *entity, const daoc_value *opts, daoc_value **out,
                       daoc_error **err)
{
    long f = by_index(dao, field);
    if (f < 0) {
        if (out)
            *out = NULL;
        return DAOC_EINVAL;
    }
    return daoc__dao_update_key(dao, f, value, entity, opts, out, err);
}

int daoc_dao_upsert(daoc_dao *dao, const daoc_value *pk, const daoc_value *entity,
                    const daoc_value *opts, daoc_value **out, daoc_error **err)
{
    return daoc__dao_upsert_key(dao, -1, pk, entity, opts, out, err);
}

int daoc_dao_upsert_by(daoc_dao *dao, const char *field, const daoc_value *value,
                       const daoc_value *entity, const daoc_value *opts, daoc_value **out,
                       daoc_error **err)
{
    long f = by_index(dao, field);
    if (f < 0) {
        if (out)
            *out = NULL;
        return DAOC_EINVAL;
    }
    return daoc__dao_upsert_key(dao, f, value, entity, opts, out, err);
}

int daoc_dao_delete(daoc_dao *dao, const daoc_value *pk, const daoc_value *opts,
                    daoc_error **err)
{
    return daoc__dao_delete_ex(dao, -1, pk, opts, NULL, err);
}

int daoc_dao_delete_by(daoc_dao *dao, const char *field, const daoc_value *value,
                       const daoc_value *opts, daoc_error **err)
{
    long f = by_index(dao, field);
    if (f < 0)
        return DAOC_EINVAL;
    return daoc__dao_delete_ex(dao, f, value, opts, NULL, err);
}
