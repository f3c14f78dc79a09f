/*
 * info.c -- the Admin API's fixed routes, as Kong answers them:
 *   GET /                  the node: tagline, version, node_id, hostname,
 *                          plugins (available_on_server, enabled_in_cluster),
 *                          the configuration with secrets masked, pids
 *   GET /status            server counters and database.reachable (?unit=)
 *   GET /endpoints         every route pattern, sorted
 *   GET /schemas/:name     an entity's schema; 404 "No entity named '<name>'"
 *   POST /schemas/:name/validate, /schemas/plugins/validate
 *                          the body checked as an insert, nothing stored
 *   GET /schemas/plugins/:name   a plugin's schema; 404 "No plugin named ..."
 *   GET /plugins/schema/:name    (Kong's deprecated form) its config record
 *   GET /plugins/enabled   {"enabled_plugins": [...]}
 *   GET /tags, /tags/:tag  every (tag, entity_name, entity_id), or one tag's
 * The route patterns of /endpoints are built once with the app
 * (daoc__adm_endpoints).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "admin/admin.h"
#include "core/alloc.h"


/* ---- /endpoints ------------------------------------------------------------ */

static int add(daoc_value *list, daoc__buf *b)
{
    int rc = b->failed ? DAOC_ENOMEM : daoc_arr_push(list, daoc_str(b->data));
    daoc__buf_reset(b);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    return strcmp(x, y);
}

int daoc__adm_endpoints(daoc__adm_app *app);
int daoc__adm_endpoints(daoc__adm_app *app)
{
    static const char *const fixed[] = {"/",
                                        "/status",
                                        "/endpoints",
                                        "/openapi.json",
                                        "/schemas/{name}",
                                        "/schemas/{name}/validate",
                                        "/schemas/plugins/{name}",
                                        "/schemas/plugins/validate",
                                        "/plugins/enabled",
                                        "/plugins/schema/{name}",
                                        "/upstreams/{upstreams}/targets/all",
                                        "/upstreams/{upstreams}/health",
                                        "/upstreams/{upstreams}/targets/{targets}/healthy",
                                        "/upstreams/{upstreams}/targets/{targets}/unhealthy",
                                        "/upstreams/{upstreams}/targets/{targets}/{address}/healthy",
                                        "/upstreams/{upstreams}/targets/{targets}/{address}/unhealthy",
                                        "/debug/node/log-level",
                                        "/debug/node/log-level/{log_level}",
                                        "/debug/cluster/log-level/{log_level}",
                                        "/config",
                                        "/cache",
                                        "/cache/{key}",
                                        "/timers",
                                        "/status/dns",
                                        "/schemas/vaults/{name}",
                                        "/tags",
                                        "/tags/{tags}"};
    daoc_value *list = daoc_arr();
    daoc__buf b = DAOC__BUF_INIT;
    int rc = list ? DAOC_OK : DAOC_ENOMEM;
    for (size_t i = 0; rc == DAOC_OK && i < sizeof fixed / sizeof fixed[0]; i++) {
        daoc__buf_puts(&b, fixed[i]);
        rc = add(list, &b);
    }
    for (size_t i = 0; rc == DAOC_OK && i < app->n; i++) {
        const daoc__adm_entity *e = &app->ents[i];
        if (!e->generate || strcmp(e->name, "tags") == 0)
            continue;
        daoc__buf_printf(&b, "/%s", e->coll);
        rc = add(list, &b);
        daoc__buf_printf(&b, "/%s/{%s}", e->coll, e->name);
        if (rc == DAOC_OK)
            rc = add(list, &b);
        for (size_t f = 0; rc == DAOC_OK && f < e->nfks; f++) {
            const daoc__adm_entity *p = &app->ents[e->fks[f].ref];
            daoc__buf_printf(&b, "/%s/{%s}/%s", e->coll, e->name, e->fks[f].field);
            rc = add(list, &b);
            if (!p->generate)
                continue;
            daoc__buf_printf(&b, "/%s/{%s}/%s", p->coll, p->name, e->nested);
            if (rc == DAOC_OK)
                rc = add(list, &b);
            daoc__buf_printf(&b, "/%s/{%s}/%s/{%s}", p->coll, p->name, e->nested, e->name);
            if (rc == DAOC_OK)
                rc = add(list, &b);
        }
    }
    for (size_t i = 0; rc == DAOC_OK && i < app->nproutes; i++) { /* plugins' api.lua */
        const daoc__adm_proute *p = &app->proutes[i];
        if (!p->methods && !p->before)
            continue;
        for (size_t s = 0; s < p->nseg; s++)
            daoc__buf_printf(&b, p->param[s] ? "/{%s}" : "/%s", p->seg[s]);
        if (p->nseg == 0)
            daoc__buf_puts(&b, "/");
        rc = add(list, &b);
    }
    daoc__buf_free(&b);
    if (rc != DAOC_OK) {
        daoc_value_free(list);
        return rc;
    }
    /* sorted, duplicates (two foreign fields to one parent) dropped */
    size_t n = daoc_value_len(list);
    const char **names = daoc__calloc(n ? n : 1, sizeof *names);
    if (!names) {
        daoc_value_free(list);
        return DAOC_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        names[i] = daoc_value_str(daoc_arr_get(list, i), NULL);
    qsort(names, n, sizeof *names, cmp_str);
    app->endpoints = daoc_arr();
    for (size_t i = 0; rc == DAOC_OK && i < n; i++)
        if ((i == 0 || strcmp(names[i], names[i - 1]) != 0) &&
            (!app->endpoints || daoc_arr_push(app->endpoints, daoc_str(names[i])) != DAOC_OK))
            rc = DAOC_ENOMEM;
    daoc__free(names);
    daoc_value_free(list);
    return rc;
}

/* ---- / ------------------------------------------------------------------------ */

/* The distinct names of the plugins configured in the database. */
static daoc_value *enabled_in_cluster(daoc_db *db)
{
    daoc_value *names = daoc_arr();
    daoc_dao *dao = daoc_db_dao(db, "plugins");
    char *offset = NULL;
    for (int pages = 0; names && dao && pages < 100; pages++) {
        daoc_value *rows = NULL;
        char *next = NULL;
        if (daoc_dao_page(dao, 1000, offset, NULL, &rows, &next, NULL) != DAOC_OK)
            break;
        for (size_t i = 0; names && i < daoc_value_len(rows); i++) {
            const daoc_value *n = daoc_obj_get(daoc_arr_get(rows, i), "name");
            const char *s = n && daoc_value_type(n) == DAOC_TSTR ? daoc_value_str(n, NULL) : NULL;
            bool seen = !s;
            for (size_t j = 0; !seen && j < daoc_value_len(names); j++)
                seen = strcmp(daoc_value_str(daoc_arr_get(names, j), NULL), s) == 0;
            if (!seen && daoc_arr_push(names, daoc_str(s)) != DAOC_OK) {
                daoc_value_free(names);
                names = NULL;
            }
        }
        daoc_value_free(rows);
        daoc_free(offset);
        offset = next;
        if (!offset)
            break;
    }
    daoc_free(offset);
    return names;
}

static int set(daoc_value *o, const char *k, daoc_value *v)
{
    return o ? daoc_obj_set(o, k, v) : DAOC_ENOMEM;
}

static void root(daoc__adm_app *app, daoc_db *db, daoc__adm_res *res)
{
    daoc_value *o = daoc_obj(), *plugins = daoc_obj(), *avail = daoc_obj(), *timers = daoc_obj(),
               *pids = daoc_obj(), *workers = daoc_arr();
    int rc = avail ? DAOC_OK : DAOC_ENOMEM;
    for (size_t i = 0; rc == DAOC_OK && i < daoc_value_len(app->plugins); i++)
        rc = daoc_obj_set(avail, daoc_value_str(daoc_arr_get(app->plugins, i), NULL), daoc_obj());
    if (rc == DAOC_OK)
        rc = set(plugins, "available_on_server", avail);
    else
        daoc_value_free(avail);
    daoc_value_free(rc == DAOC_OK ? NULL : plugins);
    if (rc == DAOC_OK)
        rc = set(plugins, "enabled_in_cluster", enabled_in_cluster(db));
    if (rc == DAOC_OK)
        rc = set(timers, "running", daoc_int(0));
    if (rc == DAOC_OK)
        rc = set(timers, "pending", daoc_int(0));
    if (rc == DAOC_OK && workers)
        rc = daoc_arr_push(workers, daoc_int((int64_t)getpid()));
    if (rc == DAOC_OK)
        rc = set(pids, "master", daoc_int((int64_t)getpid()));
    if (rc == DAOC_OK)
        rc = set(pids, "workers", workers ? workers : daoc_arr());
    if (rc == DAOC_OK)
        rc = set(o, "tagline", daoc_str("Welcome to kong"));
    if (rc == DAOC_OK)
        rc = set(o, "version", daoc_str("3.10.0"));
    if (rc == DAOC_OK)
        rc = set(o, "edition", daoc_str("community"));
    if (rc == DAOC_OK)
        rc = set(o, "daoc_version", daoc_str(DAOC_VERSION_STRING));
    if (rc == DAOC_OK)
        rc = set(o, "hostname", daoc_str(app->hostname));
    if (rc == DAOC_OK)
        rc = set(o, "node_id", daoc_str(app->node_id));
    if (rc == DAOC_OK)
        rc = set(o, "lua_version", daoc_str("LuaJIT 2.1.0-beta3"));
    if (rc == DAOC_OK)
        rc = set(o, "timers", timers);
    if (rc == DAOC_OK)
        rc = set(o, "plugins", plugins);
    if (rc == DAOC_OK)
        rc = set(o, "configuration", daoc_value_copy(app->configuration));
    if (rc == DAOC_OK)
        rc = set(o, "pids", pids);
    if (rc == DAOC_OK)
        daoc__adm_json(res, 200, o);
    else
        daoc__adm_oom(res);
    daoc_value_free(o);
}

/* ---- /status ------------------------------------------------------------------ */

/* Bytes as Kong's bytes_to_str writes them: "1234" for b, "1.21 KiB" for
 * k with scale 2, and so on. */
static daoc_value *bytes_str(size_t n, const char *unit, int scale)
{
    char buf[64];
    static const struct {
        char u;
        const char *name;
        double div;
    } units[] = {{'k', "KiB", 1024.0}, {'m', "MiB", 1048576.0}, {'g', "GiB", 1073741824.0}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if ((unit[0] | 0x20) == units[i].u) {
            snprintf(buf, sizeof buf, "%.*f %s", scale, (double)n / units[i].div, units[i].name);
            return daoc_str(buf);
        }
    snprintf(buf, sizeof buf, "%zu", n);
    return daoc_str(buf);
}

/* Kong's memory section: one Lua VM entry for this process (every server
 * thread's Lua state counted: daoc_lua_memory), and no shared dicts:
 * daoc has no nginx shared memory zones. */
static daoc_value *memory(const char *unit, int scale)
{
    daoc_value *m = daoc_obj(), *vms = daoc_arr(), *vm = daoc_obj();
    int rc = m && vms && vm ? DAOC_OK : DAOC_ENOMEM;
    if (rc == DAOC_OK)
        rc = set(vm, "pid", daoc_int((int64_t)getpid()));
    if (rc == DAOC_OK)
        rc = set(vm, "http_allocated_gc", bytes_str(daoc_lua_memory(), unit, scale));
    if (rc == DAOC_OK)
        rc = daoc_arr_push(vms, vm); /* takes vm, even when it fails */
    else
        daoc_value_free(vm);
    if (rc == DAOC_OK)
        rc = set(m, "workers_lua_vms", vms); /* takes vms */
    else
        daoc_value_free(vms);
    if (rc == DAOC_OK)
        rc = set(m, "lua_shared_dicts", daoc_obj());
    if (rc != DAOC_OK) {
        daoc_value_free(m);
        return NULL;
    }
    return m;
}

static void status(daoc__adm_app *app, daoc_db *db, const daoc_value *q, daoc__adm_res *res)
{
    const daoc_value *unit = daoc_obj_get(q, "unit");
    if (unit) {
        const char *u = daoc_value_type(unit) == DAOC_TSTR ? daoc_value_str(unit, NULL) : "";
        if (strcasecmp(u, "b") != 0 && strcasecmp(u, "k") != 0 && strcasecmp(u, "m") != 0 &&
            strcasecmp(u, "g") != 0) {
            daoc__buf msg = DAOC__BUF_INIT;
            daoc__buf_printf(&msg, "invalid unit '%s' (expected 'k/K', 'm/M', or 'g/G')", u);
            if (msg.failed)
                daoc__adm_oom(res);
            else
                daoc__adm_message(res, 400, msg.data);
            daoc__buf_free(&msg);
            return;
        }
    }
    /* ?scale= (Kong's tonumber: anything else is the default, 2) */
    int scale = 2;
    const daoc_value *sc = daoc_obj_get(q, "scale");
    const char *unit_s =
        unit && daoc_value_type(unit) == DAOC_TSTR ? daoc_value_str(unit, NULL) : "b";
    if (sc && daoc_value_type(sc) == DAOC_TSTR) {
        char *end = NULL;
        const char *t = daoc_value_str(sc, NULL);
        double d = strtod(t, &end);
        if (end != t && *end == '\0') {
            if (d < 0 && strcasecmp(unit_s, "b") != 0) {
                daoc__adm_message(res, 400, "scale must be equal or greater than 0");
                return;
            }
            scale = d > 9 ? 9 : d < 0 ? 0 : (int)d;
        }
    }
    /* reachable: one read goes through */
    daoc_value *rows = NULL;
    char *next = NULL;
    daoc_dao *probe = daoc_db_dao(db, "workspaces");
    bool reachable = probe && daoc_dao_page(probe, 1, NULL, NULL, &rows, &next, NULL) == DAOC_OK;
    daoc_value_free(rows);
    daoc_free(next);
    daoc_value *o = daoc_obj(), *server = daoc_obj(), *database = daoc_obj();
    uint64_t active = atomic_load(&app->active);
    struct {
        const char *k;
        uint64_t v;
    } counters[] = {{"connections_accepted", atomic_load(&app->accepted)},
                    {"connections_active", active},
                    {"connections_handled", atomic_load(&app->accepted)},
                    {"connections_reading", atomic_load(&app->reading)},
                    {"connections_writing", atomic_load(&app->writing)},
                    {"connections_waiting", 0},
                    {"total_requests", atomic_load(&app->total_requests)}};
    int rc = DAOC_OK;
    for (size_t i = 0; rc == DAOC_OK && i < sizeof counters / sizeof counters[0]; i++)
        rc = set(server, counters[i].k, daoc_int((int64_t)counters[i].v));
    if (rc == DAOC_OK)
        rc = set(database, "reachable", daoc_bool(reachable));
    if (rc == DAOC_OK)
        rc = set(o, "memory", memory(unit_s, scale));
    if (rc == DAOC_OK) /* beyond Kong: the entity cache's counters */
        rc = daoc__adm_cache_status(app, o);
    if (rc == DAOC_OK)
        rc = set(o, "server", server);
    else
        daoc_value_free(server);
    if (rc == DAOC_OK)
        rc = set(o, "database", database);
    else
        daoc_value_free(database);
    if (rc == DAOC_OK)
        daoc__adm_json(res, 200, o);
    else
        daoc__adm_oom(res);
    daoc_value_free(o);
}

/* ---- /schemas ------------------------------------------------------------------- */

static void named_404(daoc__adm_res *res, const char *what, const char *name)
{
    daoc__buf msg = DAOC__BUF_INIT;
    daoc__buf_printf(&msg, "No %s named '%s'", what, name);
    if (msg.failed)
        daoc__adm_oom(res);
    else
        daoc__adm_message(res, 404, msg.data);
    daoc__buf_free(&msg);
}

static void validate(daoc_dao *dao, const daoc__adm_req *req, daoc__adm_res *res)
{
    daoc_value *body = NULL;
    if (!daoc__adm_body(req, dao, NULL, true, &body, res))
        return;
    daoc_error *err = NULL;
    int rc = daoc_dao_validate_insert(dao, body, &err);
    if (rc == DAOC_OK)
        daoc__adm_message(res, 200, "schema validation successful");
    else
        daoc__adm_dao_error(res, rc, err);
    daoc_error_free(err);
    daoc_value_free(body);
}

static bool plugin_enabled(const daoc__adm_app *app, const char *name)
{
    for (size_t i = 0; i < daoc_value_len(app->plugins); i++)
        if (strcmp(daoc_value_str(daoc_arr_get(app->plugins, i), NULL), name) == 0)
            return true;
    return false;
}

static void schemas(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req,
                    const daoc__adm_route *r, daoc__adm_res *res)
{
    if (r->kind == DAOC__R_SCHEMA || r->kind == DAOC__R_SCHEMA_VALIDATE) {
        const daoc__adm_entity *e = daoc__adm_entity_named(app, r->seg[1]);
        daoc_dao *dao = e ? daoc_db_dao(db, e->name) : NULL;
        if (!dao)
            named_404(res, "entity", r->seg[1]);
        else if (r->kind == DAOC__R_SCHEMA)
            daoc__adm_json(res, 200, e->schema);
        else
            validate(dao, req, res);
        return;
    }
    daoc_dao *plugins = daoc_db_dao(db, "plugins");
    const daoc__adm_entity *pe = daoc__adm_entity_named(app, "plugins");
    if (r->kind == DAOC__R_PLUGIN_VALIDATE) {
        if (!plugins || !pe)
            named_404(res, "entity", "plugins");
        else
            validate(plugins, req, res);
        return;
    }
    const char *name = r->seg[2];
    daoc_value *sub = plugin_enabled(app, name) ? daoc_dao_subschema(plugins, name) : NULL;
    const daoc_value *config = NULL;
    const daoc_value *fields = sub ? daoc_obj_get(sub, "fields") : NULL;
    for (size_t i = 0; r->kind == DAOC__R_PLUGIN_CONFIG && fields && i < daoc_value_len(fields);
         i++) {
        const daoc_value *f = daoc_arr_get(fields, i);
        if (f && daoc_value_type(f) == DAOC_TOBJ && daoc_obj_get(f, "config"))
            config = daoc_obj_get(f, "config");
    }
    if (!sub)
        named_404(res, "plugin", name);
    else if (r->kind == DAOC__R_PLUGIN_CONFIG) /* the config record alone */
        daoc__adm_json(res, 200, config ? config : sub);
    else
        daoc__adm_json(res, 200, sub);
    daoc_value_free(sub);
}

/* ---- /tags ------------------------------------------------------------------------ */

static void tags(daoc__adm_app *app, daoc_db *db, const daoc__adm_route *r, const daoc_value *q,
                 daoc__adm_res *res)
{
    (void)app;
    daoc_dao *dao = daoc_db_dao(db, "tags");
    if (!dao) {
        daoc__adm_message(res, 404, "Not found");
        return;
    }
    int64_t size = 0;
    if (!daoc__adm_size_arg(q, &size, res))
        return;
    const daoc_value *off = daoc_obj_get(q, "offset");
    const char *offset =
        off && daoc_value_type(off) == DAOC_TSTR ? daoc_value_str(off, NULL) : NULL;
    daoc_value *rows = NULL, *tag = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    int rc;
    if (r->kind == DAOC__R_TAG) {
        tag = daoc_strn(r->seg[1], r->seglen[1]);
        rc = tag ? daoc_dao_page_by_tag(dao, tag, size, offset, NULL, &rows, &next, &err)
                 : DAOC_ENOMEM;
    } else {
        rc = daoc_dao_page(dao, size, offset, NULL, &rows, &next, &err);
    }
    daoc_value_free(tag);
    if (rc != DAOC_OK) {
        daoc__adm_dao_error(res, rc, err);
        daoc_error_free(err);
        return;
    }
    daoc_value *page = daoc_obj();
    daoc__buf link = DAOC__BUF_INIT;
    if (next) {
        daoc__buf_puts(&link, "/tags");
        if (r->kind == DAOC__R_TAG) {
            daoc__buf_putc(&link, '/');
            daoc__adm_escape_uri(&link, r->seg[1], r->seglen[1]);
        }
        daoc__buf_puts(&link, "?offset=");
        daoc__adm_escape_uri(&link, next, strlen(next));
    }
    rc = set(page, "data", rows);
    if (!page)
        daoc_value_free(rows);
    if (rc == DAOC_OK && next)
        rc = set(page, "offset", daoc_str(next));
    if (rc == DAOC_OK)
        rc = set(page, "next", next && !link.failed ? daoc_str(link.data) : daoc_null());
    if (rc == DAOC_OK)
        daoc__adm_json(res, 200, page);
    else
        daoc__adm_oom(res);
    daoc__buf_free(&link);
    daoc_free(next);
    daoc_value_free(page);
}

void daoc__adm_info(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req, unsigned method,
                    const daoc__adm_route *r, const daoc_value *query, daoc__adm_res *res)
{
    (void)method;
    switch (r->kind) {
    case DAOC__R_ROOT:
        root(app, db, res);
        break;
    case DAOC__R_STATUS:
        status(app, db, query, res);
        break;
    case DAOC__R_ENDPOINTS: {
        daoc_value *o = daoc_obj();
        if (o && daoc_obj_set(o, "data", daoc_value_copy(app->endpoints)) == DAOC_OK)
            daoc__adm_json(res, 200, o);
        else
            daoc__adm_oom(res);
        daoc_value_free(o);
        break;
    }
    case DAOC__R_PLUGINS_ENABLED: {
        daoc_value *o = daoc_obj();
        if (o && daoc_obj_set(o, "enabled_plugins", daoc_value_copy(app->plugins)) == DAOC_OK)
            daoc__adm_json(res, 200, o);
        else
            daoc__adm_oom(res);
        daoc_value_free(o);
        break;
    }
    case DAOC__R_TAGS:
    case DAOC__R_TAG:
        tags(app, db, r, query, res);
        break;
    case DAOC__R_OPENAPI:
        daoc__adm_openapi(app, res);
        break;
    case DAOC__R_LOG_LEVEL:
    case DAOC__R_LOG_LEVEL_SET:
    case DAOC__R_CLUSTER_LOG_LEVEL:
    case DAOC__R_CONFIG:
    case DAOC__R_TIMERS:
    case DAOC__R_STATUS_DNS:
    case DAOC__R_VAULT_SCHEMA:
        daoc__adm_node(app, db, req, method, r, query, res);
        break;
    case DAOC__R_UPSTREAM_HEALTH:
    case DAOC__R_TARGET_HEALTH:
        daoc__adm_health(app, db, req, method, r, query, res);
        break;
    case DAOC__R_CACHE:
        daoc__adm_cache_route(app, method, r, res);
        break;
    default:
        schemas(app, db, req, r, res);
        break;
    }
}
