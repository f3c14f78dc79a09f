/*
 * targets_dao.c -- the custom DAO of the targets core entity (Kong 3.x's
 * kong/db/dao/targets.lua).  The target's normalisation (host:port, port
 * 8000 by default) is the entity's on_write transformation
 * (src/lua/core_entities.lua), run here too to compare targets.
 *
 * - upsert_by_target(t, e) is Kong's: an insert of e with target t (so an
 *   existing target of the upstream is a unique violation, code 5).
 * - upsert({id}, e), Kong's "backward compatibility with Kong older than
 *   2.2.0": when the upstream already has e's target, an e whose
 *   created_at is later than the stored one's (or, unlike Kong, which
 *   fails, absent) replaces it (delete then insert, in one transaction);
 *   otherwise the stored target stays and is returned (Kong returns true).
 *   Without such a target it is an insert with that id.
 * - page_for_upstream (so each_for_upstream): the upstream's targets
 *   newest first (created_at, then id, descending), the offset being the
 *   decimal count of rows before the page (Kong's "2"-style offsets).
 *   Kong's de-duplication by target is not needed: daoc's targets are
 *   unique per upstream.
 * - delete_by_target(t): the first target t found is deleted (the
 *   generated delete_by deletes t in every upstream); none is a success.
 */
#include <stdlib.h> /* qsort */
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"
#include "dao/dao.h"
#include "db/db.h"

static long field_index(const daoc_dao *dao, const char *name)
{
    const daoc__field *f = daoc__schema_field(dao->schema, name, strlen(name));
    return f ? (long)(f - dao->schema->fields) : -1;
}

/* The target as it would be stored, or NULL (not a string, or invalid). */
static daoc_value *normalised(const daoc_dao *dao, const daoc_value *target)
{
    if (!target || daoc_value_type(target) != DAOC_TSTR)
        return NULL;
    daoc_value *e = daoc_obj();
    char *msg = NULL;
    if (!e || daoc_obj_set(e, "target", daoc_value_copy(target)) != DAOC_OK ||
        daoc__schema_transform(dao->schema, e, e, false, &msg) != DAOC_OK) {
        daoc__free(msg);
        daoc_value_free(e);
        return NULL;
    }
    daoc_value *t = daoc__obj_take(e, "target", 6);
    daoc_value_free(e);
    return t;
}

/* {workspace = the caller's}[, nulls = true] */
static daoc_value *lookup_opts(const daoc_value *opts, bool nulls)
{
    const daoc_value *ws = opts ? daoc_obj_get(opts, "workspace") : NULL;
    daoc_value *o = daoc_obj();
    if (o && ((ws && daoc_obj_set(o, "workspace", daoc_value_copy(ws)) != DAOC_OK) ||
              (nulls && daoc_obj_set(o, "nulls", daoc_bool(true)) != DAOC_OK))) {
        daoc_value_free(o);
        return NULL;
    }
    return o;
}

/* Every target of upstream fk (raw pages) into *all. */
static int all_targets(daoc_dao *dao, long field, const daoc_value *fk, const daoc_value *opts,
                       daoc_value **all, daoc_error **err)
{
    daoc_value size = {.type = DAOC_TINT, .u.i = 1000};
    daoc_value *acc = daoc_arr();
    char *offset = NULL;
    int rc = acc ? DAOC_OK : DAOC_ENOMEM;
    while (rc == DAOC_OK) {
        daoc_value *page = NULL;
        char *next = NULL;
        rc = daoc__dao_page_raw(dao, field, fk, &size, offset, opts, &page, &next, err);
        daoc__free(offset);
        offset = next;
        while (rc == DAOC_OK && page && page->len)
            rc = daoc_arr_push(acc, daoc__arr_take(page, 0));
        daoc_value_free(page);
        if (!offset)
            break;
    }
    daoc__free(offset);
    if (rc != DAOC_OK) {
        daoc_value_free(acc);
        return rc;
    }
    *all = acc;
    return DAOC_OK;
}

/* newest first: created_at, then id, descending */
static int newest_first(const void *pa, const void *pb)
{
    const daoc_value *a = *(daoc_value *const *)pa, *b = *(daoc_value *const *)pb;
    double ca = daoc_value_num(daoc_obj_get(a, "created_at"));
    double cb = daoc_value_num(daoc_obj_get(b, "created_at"));
    if (ca != cb)
        return ca < cb ? 1 : -1;
    const char *ia = daoc_value_str(daoc_obj_get(a, "id"), NULL);
    const char *ib = daoc_value_str(daoc_obj_get(b, "id"), NULL);
    return -strcmp(ia ? ia : "", ib ? ib : "");
}

static int page_for(void *ud, daoc_dao *dao, long field, const daoc_value *fk, int64_t size,
                    const char *offset, const daoc_value *opts, daoc_value **rows,
                    char **next_offset, daoc_error **err)
{
    if (field != field_index(dao, "upstream")) {
        daoc_value sz = {.type = DAOC_TINT, .u.i = size};
        return daoc__dao_page_raw(dao, field, fk, &sz, offset, opts, rows, next_offset, err);
    }
    size_t skip = 0;
    if (offset) {
        size_t n = strlen(offset);
        if (n == 0 || n > 15 || strspn(offset, "0123456789") != n)
            return daoc__dao_fail(dao, err, DAOC_ERR_INVALID_OFFSET, NULL,
                                  "'%s' is not a valid offset: not a number", offset);
        skip = (size_t)strtoull(offset, NULL, 10);
    }
    daoc_value *all = NULL, *page = NULL;
    int rc = all_targets(dao, field, fk, opts, &all, err);
    if (rc != DAOC_OK)
        return rc;
    if (all->len > 1)
        qsort(all->u.a, all->len, sizeof *all->u.a, newest_first);
    rc = (page = daoc_arr()) ? DAOC_OK : DAOC_ENOMEM;
    size_t end = skip;
    for (; rc == DAOC_OK && end < all->len && end - skip < (size_t)size; end++)
        rc = daoc_arr_push(page, daoc_value_copy(all->u.a[end]));
    if (rc == DAOC_OK && end < all->len && !(*next_offset = daoc__asprintf("%zu", end)))
        rc = DAOC_ENOMEM;
    daoc_value_free(all);
    if (rc != DAOC_OK) {
        daoc_value_free(page);
        return rc;
    }
    *rows = page;
    return DAOC_OK;
}

/* The stored target of upstream `up` equal to `target`, or NULL. */
static int existing(daoc_dao *dao, const daoc_value *up, const daoc_value *target,
                    const daoc_value *opts, daoc_value **found, daoc_error **err)
{
    daoc_value *fk = daoc_obj(), *all = NULL, *o = lookup_opts(opts, true);
    int rc =
        fk && o && daoc_obj_set(fk, "id", daoc_value_copy(up)) == DAOC_OK ? DAOC_OK : DAOC_ENOMEM;
    *found = NULL;
    if (rc == DAOC_OK)
        rc = all_targets(dao, field_index(dao, "upstream"), fk, o, &all, err);
    for (size_t i = 0; rc == DAOC_OK && i < all->len && !*found; i++)
        if (daoc__value_equal(daoc_obj_get(all->u.a[i], "target"), target) &&
            !(*found = daoc_value_copy(all->u.a[i])))
            rc = DAOC_ENOMEM;
    daoc_value_free(all);
    daoc_value_free(fk);
    daoc_value_free(o);
    return rc;
}

/* Kong's upsert by primary key: replace an older row with the same
 * target, keep a newer one, insert otherwise; in one transaction. */
static int upsert_pk(daoc_dao *dao, daoc_value *e, const daoc_value *opts, daoc_value **out,
                     daoc_error **err)
{
    const daoc_value *up = daoc_obj_get(e, "upstream");
    const daoc_value *up_id =
        up && daoc_value_type(up) == DAOC_TOBJ ? daoc_obj_get(up, "id") : NULL;
    daoc_value *target = normalised(dao, daoc_obj_get(e, "target"));
    if (!up_id || !target) {
        daoc_value_free(target);
        return daoc_dao_insert(dao, e, opts, out, err);
    }
    daoc__store *st = dao->store;
    char *msg = NULL;
    daoc_value *found = NULL;
    int rc = st->ops->begin(st, &msg);
    if (rc != DAOC_OK) {
        daoc_value_free(target);
        return daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
    }
    rc = existing(dao, up_id, target, opts, &found, err);
    daoc_value_free(target);
    const daoc_value *c = daoc_obj_get(e, "created_at");
    bool newer = !c || !daoc__is_number(c) ||
                 (found && daoc_value_num(c) > daoc_value_num(daoc_obj_get(found, "created_at")));
    if (rc == DAOC_OK && found && !newer) {
        *out = found; /* the stored target stays */
        found = NULL;
    } else if (rc == DAOC_OK) {
        daoc_value *pk = found ? daoc_obj() : NULL, *o = found ? lookup_opts(opts, false) : NULL;
        if (found &&
            (!pk || !o ||
             daoc_obj_set(pk, "id", daoc_value_copy(daoc_obj_get(found, "id"))) != DAOC_OK))
            rc = DAOC_ENOMEM;
        else if (found)
            rc = daoc_dao_delete(dao, pk, o, err);
        if (rc == DAOC_OK)
            rc = daoc_dao_insert(dao, e, opts, out, err);
        daoc_value_free(pk);
        daoc_value_free(o);
    }
    daoc_value_free(found);
    if (rc == DAOC_OK && (rc = st->ops->commit(st, &msg)) != DAOC_OK) {
        (void)st->ops->rollback(st);
        rc = daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
    } else if (rc != DAOC_OK) {
        (void)st->ops->rollback(st);
    }
    if (rc != DAOC_OK) {
        daoc_value_free(*out);
        *out = NULL;
    }
    return rc;
}

static int upsert(void *ud, daoc_dao *dao, long field, const daoc_value *key,
                  const daoc_value *entity, const daoc_value *opts, daoc_value **out,
                  daoc_error **err)
{
    if (!entity || daoc_value_type(entity) != DAOC_TOBJ) /* the insert refuses it */
        return daoc_dao_insert(dao, entity, opts, out, err);
    daoc_value *e = daoc_value_copy(entity);
    int rc = e ? DAOC_OK : DAOC_ENOMEM;
    if (rc == DAOC_OK && field >= 0)
        rc = daoc__obj_setn(e, dao->schema->fields[field].name, dao->schema->fields[field].name_len,
                            daoc_value_copy(key));
    else if (rc == DAOC_OK)
        rc = daoc_obj_set(e, "id", daoc_value_copy(daoc_obj_get(key, "id")));
    if (rc == DAOC_OK)
        rc = field >= 0 ? daoc_dao_insert(dao, e, opts, out, err)
                        : upsert_pk(dao, e, opts, out, err);
    daoc_value_free(e);
    return rc;
}

/* Kong's delete_by_target: the first row with that target goes (the
 * generated delete_by would delete it in every upstream). */
static int delete_by(void *ud, daoc_dao *dao, long field, const daoc_value *key,
                     const daoc_value *opts, daoc_value **old, daoc_error **err)
{
    daoc_value *row = NULL, *pk = NULL;
    int rc = daoc__dao_select_key(dao, field, key, opts, &row, err);
    if (rc == DAOC_OK && row) {
        pk = daoc_obj();
        rc = pk && daoc_obj_set(pk, "id", daoc_value_copy(daoc_obj_get(row, "id"))) == DAOC_OK
                 ? daoc__dao_delete_ex(dao, -1, pk, opts, old, err)
                 : DAOC_ENOMEM;
    }
    daoc_value_free(pk);
    daoc_value_free(row);
    return rc;
}

void daoc__db_targets_dao(daoc_db *db, daoc__dao_custom *c)
{
    *c = (daoc__dao_custom){
        .ud = db, .upsert = upsert, .delete_by = delete_by, .page_for = page_for};
}
