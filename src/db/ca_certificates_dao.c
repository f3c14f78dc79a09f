/*
 * ca_certificates_dao.c -- the custom DAO of the ca_certificates core
 * entity (Kong's kong/db/dao/ca_certificates.lua): a CA certificate still
 * named in a service's `ca_certificates` array is not deleted.  The delete
 * is refused with Kong's referenced_by_others error (code 19), "ca
 * certificate <id> is still referenced by services (id = <service id>)",
 * naming the first such service found, and nothing is deleted.
 *
 * The services are read through their DAO in every workspace, page by
 * page (the stores have no "array contains" lookup; Kong's strategy runs
 * one SQL query).  Kong also looks at the plugins whose configuration
 * references CA certificates; daoc does not (docs/entities.md).
 */
#include <string.h>

#include "core/value.h"
#include "dao/dao.h"
#include "db/db.h"

/* daoc_value_len of a value that may be NULL (none). */
static size_t len_of(const daoc_value *v)
{
    return v ? daoc_value_len(v) : 0;
}

static bool names_ca(const daoc_value *service, const char *id)
{
    const daoc_value *cas = daoc_obj_get(service, "ca_certificates");
    for (size_t i = 0; cas && i < len_of(cas); i++) {
        const char *s = daoc_value_str(daoc_arr_get(cas, i), NULL);
        if (s && strcmp(s, id) == 0)
            return true;
    }
    return false;
}

/* The id of the first service naming CA `id` into *sid (a copy, or NULL). */
static int first_reference(daoc_dao *services, const char *id, daoc_value **sid, daoc_error **err)
{
    daoc_value *opts = daoc_obj();
    if (!opts || daoc_obj_set(opts, "workspace", daoc_null()) != DAOC_OK) {
        daoc_value_free(opts);
        return DAOC_ENOMEM;
    }
    char *offset = NULL;
    int rc = DAOC_OK;
    *sid = NULL;
    do {
        daoc_value *rows = NULL;
        char *next = NULL;
        rc = daoc_dao_page(services, 1000, offset, opts, &rows, &next, err);
        daoc_free(offset);
        offset = next;
        for (size_t i = 0; rc == DAOC_OK && i < len_of(rows) && !*sid; i++) {
            const daoc_value *s = daoc_arr_get(rows, i);
            if (names_ca(s, id) && !(*sid = daoc_value_copy(daoc_obj_get(s, "id"))))
                rc = DAOC_ENOMEM;
        }
        daoc_value_free(rows);
    } while (rc == DAOC_OK && offset && !*sid);
    daoc_free(offset);
    daoc_value_free(opts);
    return rc;
}

static int before_delete(void *ud, daoc_dao *dao, const daoc_value *row, const daoc_value *opts,
                         daoc_error **err)
{
    daoc_dao *services = daoc_db_dao(ud, "services");
    const char *id = daoc_value_str(daoc_obj_get(row, "id"), NULL);
    if (!services || !id)
        return DAOC_OK;
    daoc_value *sid = NULL;
    int rc = first_reference(services, id, &sid, err);
    if (rc == DAOC_OK && sid) {
        const char *s = daoc_value_str(sid, NULL);
        rc = daoc__dao_fail(dao, err, DAOC_ERR_REFERENCED_BY_OTHERS, NULL,
                            "ca certificate %s is still referenced by services (id = %s)", id,
                            s ? s : "");
    }
    daoc_value_free(sid);
    return rc;
}

void daoc__db_ca_certificates_dao(daoc_db *db, daoc__dao_custom *c)
{
    *c = (daoc__dao_custom){.ud = db, .before_delete = before_delete};
}
