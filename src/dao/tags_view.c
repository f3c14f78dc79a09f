/*
 * tags_view.c -- Kong's `tags` core entity (kong/db/dao/tags.lua): a
 * read-only view of the tags table the store keeps (store/tags.h), one row
 * {tag, entity_name, entity_id} per tag of every tagged entity.
 *
 * page(size, offset) lists every pair, page_by_tag(tag, size, offset) the
 * entities holding one tag (the tag validated as Kong does, a failure being
 * "invalid unique tag"), each iterates page.  Offsets are Kong's tokens of
 * the keyset the store hands back ([entity_id, position] or [entity_id]).
 * insert, upsert, update and delete are refused with Kong's schema
 * violation {tags = "does not support insert/upsert/update/delete
 * operations"}; select, which Kong leaves to fail in the database, is
 * refused the same way, naming the operation.  truncate does nothing and
 * succeeds (the view's rows go when their entities' tables are truncated;
 * Kong's truncates the tags table under entities that keep their tags),
 * so that a script truncating every entity keeps working.
 */
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/rand.h"
#include "core/value.h"
#include "dao/dao.h"

int daoc__dao_tags_refuse(daoc_dao *dao, bool read, daoc_error **err)
{
    daoc_value *fields = daoc_obj();
    const char *why = read ? "does not support select operations: use page or page_by_tag"
                           : "does not support insert/upsert/update/delete operations";
    if (!fields || daoc_obj_set(fields, "tags", daoc_str(why)) != DAOC_OK) {
        daoc_value_free(fields);
        return DAOC_ENOMEM;
    }
    daoc_error *e = daoc__err_schema_violation(dao->store->ops->name, fields);
    return e ? daoc__dao_deliver(e, err) : DAOC_ENOMEM;
}

bool daoc__dao_tags_offset_fits(const daoc_value *after, bool by_tag)
{
    if (!after || after->type != DAOC_TARR || after->len != (by_tag ? 1u : 2u))
        return false;
    const daoc_value *id = after->u.a[0];
    if (id->type != DAOC_TSTR || strlen(id->u.s) != id->len || !daoc__is_uuid(id->u.s, id->len))
        return false;
    return by_tag || (after->u.a[1]->type == DAOC_TINT && after->u.a[1]->u.i >= 1);
}

int daoc__dao_tags_page(daoc_dao *dao, const daoc_value *tag, daoc_value *after, int64_t size,
                        const daoc__dao_opts *o, daoc_value **rows, char **next_offset,
                        daoc_error **err)
{
    daoc_value *got = NULL, *next = NULL;
    char *msg = NULL;
    int rc = dao->store->ops->page_tags(dao->store, tag, after, size, &got, &next, &msg);
    daoc_value_free(after);
    if (rc != DAOC_OK)
        return daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
    for (size_t i = 0; i < got->len && rc == DAOC_OK; i++)
        rc = daoc__dao_row_out(dao, got->u.a[i], o, err);
    if (rc == DAOC_OK && next)
        rc = daoc__offset_encode_values(next, next_offset);
    daoc_value_free(next);
    if (rc != DAOC_OK) {
        daoc_value_free(got);
        return rc;
    }
    *rows = got;
    return DAOC_OK;
}
