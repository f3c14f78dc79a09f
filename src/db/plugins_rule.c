/*
 * plugins_rule.c -- the write rule of the plugins core entity (Kong's
 * kong/db/dao/plugins.lua): a plugin whose protocols are given must share
 * one with the route it is scoped to, or, scoped to a service, with at
 * least one of the routes pointing to that service (a service with no
 * routes accepts any).  A miss is Kong's schema violation on `protocols`:
 * "must match the associated route's protocols" / "must match the
 * protocols of at least one route pointing to this Plugin's service".
 *
 * As Kong: nothing is checked when the write gives no protocols (insert,
 * upsert), or, on update, when the input names none of protocols, route
 * and service (the stored values fill in the others); a route that cannot
 * be read is not an error here (the foreign key check reports it).  The
 * route lookups run in the caller's workspace, through the routes DAO.
 */
#include <string.h>

#include "core/error.h"
#include "core/value.h"
#include "dao/dao.h"
#include "db/db.h"

static bool has_any(const daoc_value *input)
{
    return daoc_obj_get(input, "protocols") || daoc_obj_get(input, "route") ||
           daoc_obj_get(input, "service");
}

/* Whether the sets a and b (arrays of strings) share an element. */
static bool intersect(const daoc_value *a, const daoc_value *b)
{
    for (size_t i = 0; a && a->type == DAOC_TARR && i < a->len; i++)
        for (size_t j = 0; b && b->type == DAOC_TARR && j < b->len; j++)
            if (a->u.a[i]->type == DAOC_TSTR && b->u.a[j]->type == DAOC_TSTR &&
                a->u.a[i]->len == b->u.a[j]->len &&
                memcmp(a->u.a[i]->u.s, b->u.a[j]->u.s, a->u.a[i]->len) == 0)
                return true;
    return false;
}

static int refuse(daoc_dao *dao, const char *why, daoc_error **err)
{
    daoc_value *fields = daoc_obj();
    if (!fields || daoc_obj_set(fields, "protocols", daoc_str(why)) != DAOC_OK) {
        daoc_value_free(fields);
        return DAOC_ENOMEM;
    }
    daoc_error *e = daoc__err_schema_violation(dao->store->ops->name, fields);
    if (!e)
        return DAOC_ENOMEM;
    if (err)
        *err = e;
    else
        daoc_error_free(e);
    return DAOC_EDAO;
}

/* The read options of the lookups: the caller's workspace only. */
static daoc_value *lookup_opts(const daoc_value *opts)
{
    const daoc_value *ws = opts ? daoc_obj_get(opts, "workspace") : NULL;
    daoc_value *o = daoc_obj();
    if (o && ws && daoc_obj_set(o, "workspace", daoc_value_copy(ws)) != DAOC_OK) {
        daoc_value_free(o);
        return NULL;
    }
    return o;
}

/* As Kong (`select(plugin.route) -- ignore error`): a route key the DAO
 * refuses is left to the foreign key check; a store failure is the
 * caller's. */
static int route_protocols_match(daoc_dao *routes, const daoc_value *route,
                                 const daoc_value *protocols, const daoc_value *ro, bool *match,
                                 daoc_error **err)
{
    daoc_value *row = NULL;
    daoc_error *e = NULL;
    int rc = daoc_dao_select(routes, route, ro, &row, &e);
    if (rc == DAOC_EDAO) { /* an unusable key: the foreign key check words it */
        daoc_error_free(e);
        rc = DAOC_OK;
    } else if (e && err) {
        *err = e;
    } else {
        daoc_error_free(e);
    }
    *match = !row || intersect(protocols, daoc_obj_get(row, "protocols"));
    daoc_value_free(row);
    return rc;
}

static int service_protocols_match(daoc_dao *routes, const daoc_value *service,
                                   const daoc_value *protocols, const daoc_value *ro, bool *match,
                                   daoc_error **err)
{
    char *offset = NULL;
    bool any = false;
    int rc = DAOC_OK;
    *match = false;
    do {
        daoc_value *rows = NULL;
        char *next = NULL;
        rc = daoc_dao_page_for(routes, "service", service, 1000, offset, ro, &rows, &next, err);
        daoc_free(offset);
        offset = next;
        for (size_t i = 0; rc == DAOC_OK && i < daoc_value_len(rows) && !*match; i++) {
            any = true;
            *match = intersect(protocols, daoc_obj_get(daoc_arr_get(rows, i), "protocols"));
        }
        daoc_value_free(rows);
    } while (rc == DAOC_OK && offset && !*match);
    daoc_free(offset);
    if (rc == DAOC_OK && !any)
        *match = true;
    return rc;
}

int daoc__db_plugins_rule(void *ud, daoc_dao *dao, bool update, const daoc_value *input,
                          const daoc_value *entity, const daoc_value *opts, daoc_error **err)
{
    daoc_db *db = ud;
    const daoc_value *protocols = daoc_obj_get(entity, "protocols");
    const daoc_value *route = daoc_obj_get(entity, "route");
    const daoc_value *service = daoc_obj_get(entity, "service");
    daoc_dao *routes = daoc_db_dao(db, "routes");
    bool match = true;
    int rc = DAOC_OK;

    if (!routes || !has_any(input) || (!update && !daoc_obj_get(input, "protocols")) ||
        !protocols || protocols->type != DAOC_TARR)
        return DAOC_OK;
    bool by_route = route && route->type == DAOC_TOBJ;
    bool by_service = !by_route && service && service->type == DAOC_TOBJ;
    if (!by_route && !by_service)
        return DAOC_OK;
    daoc_value *ro = lookup_opts(opts);
    if (!ro)
        return DAOC_ENOMEM;
    rc = by_route ? route_protocols_match(routes, route, protocols, ro, &match, err)
                  : service_protocols_match(routes, service, protocols, ro, &match, err);
    daoc_value_free(ro);
    if (rc != DAOC_OK || match)
        return rc;
    return refuse(dao,
                  by_route ? "must match the associated route's protocols"
                           : "must match the protocols of at least one route pointing to this "
                             "Plugin's service",
                  err);
}
