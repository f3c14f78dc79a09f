/*
 * open.c -- the one place where a database is composed (daoc_db_open,
 * daoc_db_close, daoc_db_run_lua_file): the configured store is opened
 * (after settings that cannot work together are refused), the core
 * entities and every plugin's daos.lua definitions (read by the embedded
 * Lua) become DAOs in one transaction, and the DAOs get the environment
 * they borrow from the handle (daoc__dao_env).  This is the only file below
 * the CLI that reaches both src/db and src/lua; neither of them calls the
 * other's opener, so the folders' dependencies run one way:
 *   core <- schema <- store <- dao <- db <- lua <- open <- cli.
 * Lifetimes: DAOs (and the schemas whose callables live in Lua) are freed
 * before the Lua state, the store last.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/value.h"
#include "dao/dao.h"
#include "db/db.h"
#include "lua/lua.h"
#include "lua/lua_internal.h"
#include "open/open.h"
#include "store/deploy.h"
#include "store/store.h"

/* pg_ssl = on asks for an encrypted connection; over a unix socket libpq
 * would connect in plain text without a word, so that is refused. */
static int ssl_over_socket(const daoc_config *cfg, daoc_error **err)
{
    const char *hosts[2][2] = {{"pg_host", cfg->pg.host}, {"pg_ro_host", cfg->pg_ro.host}};
    for (size_t i = 0; cfg->pg_ssl && i < 2; i++) {
        const char *h = hosts[i][1];
        if (!h || h[0] != '/')
            continue;
        char *m = daoc__asprintf("pg_ssl = on cannot be used with %s = %s: PostgreSQL offers no "
                                 "SSL over a unix socket; give a TCP host or set pg_ssl = off",
                                 hosts[i][0], h);
        int erc = daoc__db_set_err(err, "configuration error", m);
        return erc == DAOC_OK ? DAOC_ECONFIG : erc;
    }
    return DAOC_OK;
}

static int open_store(daoc_db *db, daoc_error **err)
{
    char *msg = NULL;
    int rc;
    if (strcmp(db->cfg->database, "sqlite") == 0) {
        rc = daoc__sqlite_open(&db->store, db->cfg->sqlite_path, &msg);
    } else if (strcmp(db->cfg->database, "postgres") == 0) {
        if ((rc = ssl_over_socket(db->cfg, err)) != DAOC_OK)
            return rc;
        rc = daoc__pg_open(&db->store, db->cfg, &msg);
    } else {
        msg = daoc__asprintf("unsupported database '%s'", db->cfg->database);
        rc = DAOC_ECONFIG;
    }
    if (rc != DAOC_OK) {
        if (rc != DAOC_ENOMEM) {
            /* SQLite's own text ("unable to open database file") names no file */
            bool file = strcmp(db->cfg->database, "sqlite") == 0 && db->cfg->sqlite_path;
            char *m = daoc__asprintf("cannot open the %s database%s%s%s: %s", db->cfg->database,
                                     file ? " '" : "", file ? db->cfg->sqlite_path : "",
                                     file ? "'" : "", msg ? msg : daoc_strerror(rc));
            int erc = daoc__db_set_err(err, "store error", m);
            if (erc != DAOC_OK)
                rc = erc;
        }
        daoc__free(msg);
        return rc;
    }
    db->store->log = db->cfg->log;
    db->store->log_ud = db->cfg->log_ud;
    return DAOC_OK;
}

static int ensure_lua(daoc_db *db, daoc_error **err)
{
    if (db->lua)
        return DAOC_OK;
    return daoc__lua_open(db, &db->lua, err);
}

/* One core entity from core_entities.lua.  Its `subschemas` member (ours,
 * not Kong's: Kong registers routes_subschemas.lua from its loader) maps
 * values of the entity's subschema_key to subschema definitions; it is
 * taken out before the entity compiles and registered after. */
static int add_core_entity(daoc_db *db, daoc_value *def, daoc_error **err)
{
    daoc_value *subs = NULL;
    for (size_t i = 0; def->type == DAOC_TOBJ && i < def->len; i++)
        if (strcmp(def->u.o[i].key, "subschemas") == 0) {
            subs = def->u.o[i].val;
            def->u.o[i].val = daoc_null();
            if (!def->u.o[i].val) {
                def->u.o[i].val = subs;
                return DAOC_ENOMEM;
            }
            daoc_obj_del(def, "subschemas");
            break;
        }
    int rc = daoc__db_add_entity(db, def, NULL, err);
    const daoc_value *name = daoc_obj_get(def, "name");
    for (size_t i = 0; rc == DAOC_OK && subs && subs->type == DAOC_TOBJ && i < subs->len; i++)
        rc = daoc__db_add_subschema(db, name->u.s, subs->u.o[i].key, subs->u.o[i].val, NULL, err);
    daoc_value_free(subs);
    return rc;
}

/* The core entities defined in Lua (services), after the JSON ones and
 * before every plugin's, so plugin entities may reference them. */
static int add_lua_core_entities(daoc_db *db, daoc_error **err)
{
    int rc = ensure_lua(db, err);
    daoc_value *defs = NULL;
    if (rc == DAOC_OK)
        rc = daoc__lua_load_core_daos(db->lua, &defs, err);
    for (size_t i = 0; defs && i < defs->len && rc == DAOC_OK; i++)
        rc = add_core_entity(db, defs->u.a[i], err);
    daoc_value_free(defs);
    return rc;
}

static int add_plugin_entities(daoc_db *db, daoc_error **err)
{
    for (size_t p = 0; p < db->cfg->nplugins; p++) {
        const char *plugin = db->cfg->plugins[p];
        int rc = ensure_lua(db, err);
        if (rc != DAOC_OK)
            return rc;
        daoc_value *defs = NULL;
        bool found = false;
        rc = daoc__lua_load_plugin_daos(db->lua, plugin, &defs, &found, err);
        if (rc != DAOC_OK)
            return rc;
        if (!found) {
            bool installed = false;
            if ((rc = daoc__lua_plugin_installed(db->lua, plugin, &installed)) != DAOC_OK)
                return rc;
            if (!installed) { /* Kong: "<name> plugin is enabled but not installed" */
                char *m = daoc__asprintf(
                    "plugin '%s' is enabled but not installed: no module kong.plugins.%s.handler, "
                    ".schema, .daos or .migrations on lua_package_path '%s'",
                    plugin, plugin, db->cfg->lua_package_path ? db->cfg->lua_package_path : "");
                int erc = daoc__db_set_err(err, "configuration error", m);
                return erc == DAOC_OK ? DAOC_ECONFIG : erc;
            }
            daoc__db_log(db, DAOC_LOG_DEBUG, "plugin '%s' has no daos.lua", plugin);
            continue;
        }
        for (size_t i = 0; defs && i < defs->len && rc == DAOC_OK; i++)
            rc = daoc__db_add_entity(db, defs->u.a[i], plugin, err);
        daoc_value_free(defs);
        if (rc != DAOC_OK)
            return rc;
        daoc__db_log(db, DAOC_LOG_DEBUG, "loaded the entities of plugin '%s'", plugin);
    }
    return DAOC_OK;
}

/* Each enabled plugin's schema.lua, as its subschema of the plugins entity
 * (after every plugin's entities, so a schema may name any of them).  A
 * plugin without one cannot be configured: Kong refuses to start then
 * ("no configuration schema found for plugin"); daoc loads the plugin's
 * entities and says once that plugins:insert will refuse its name. */
static int add_plugin_schemas(daoc_db *db, daoc_error **err)
{
    for (size_t p = 0; p < db->cfg->nplugins; p++) {
        const char *plugin = db->cfg->plugins[p];
        daoc_value *def = NULL;
        bool found = false;
        int rc = ensure_lua(db, err);
        if (rc == DAOC_OK)
            rc = daoc__lua_load_plugin_schema(db->lua, plugin, &def, &found, err);
        if (rc == DAOC_OK && found)
            rc = daoc__db_add_subschema(db, "plugins", plugin, def, plugin, err);
        else if (rc == DAOC_OK)
            daoc__db_log(db, DAOC_LOG_INFO,
                         "plugin '%s' has no schema.lua: its entities are loaded, but it cannot "
                         "be configured (plugins:insert refuses the name '%s')",
                         plugin, plugin);
        daoc_value_free(def);
        if (rc != DAOC_OK)
            return rc;
    }
    return DAOC_OK;
}

/* Without create_tables nothing is created: every entity's table must be
 * there already (db.c checks each against this list). */
static int existing_tables(daoc_db *db, daoc_error **err)
{
    char *msg = NULL;
    int rc = db->store->deploy->list_tables(db->store, &db->tables, &msg);
    if (rc != DAOC_OK && rc != DAOC_ENOMEM) {
        int erc = daoc__db_set_err(
            err, "store error",
            daoc__asprintf("cannot list the tables: %s", msg ? msg : daoc_strerror(rc)));
        rc = erc == DAOC_OK ? rc : erc;
    }
    daoc__free(msg);
    return rc;
}

/* ---- the environment DAOs borrow (dao.h, daoc__dao_env) ---------------- */

static daoc_dao *env_dao_of(void *ud, const daoc__schema *s)
{
    daoc_db *db = ud;
    for (size_t i = 0; i < db->ndaos; i++)
        if (db->daos[i]->schema == s || strcmp(db->daos[i]->schema->name, s->name) == 0)
            return db->daos[i];
    return NULL;
}

static int env_workspace_by_name(void *ud, const char *name, size_t n, char out[37], char **msg)
{
    return daoc__db_workspace_by_name(ud, name, n, out, msg);
}

static int env_ensure_default_ws(void *ud, daoc_error **err)
{
    return daoc__db_ensure_default_ws(ud, true, err); /* after a truncate */
}

static void env_log(void *ud, daoc_log_level lvl, const char *msg)
{
    daoc__db_log(ud, lvl, "%s", msg);
}

/* daoc_db_open, or (deferred) the handle of the migrations engine: every
 * definition compiled and every plugin file loaded, no table touched. */
static int open_db(daoc_db **out, const daoc_config *cfg, bool deferred, daoc_error **err)
{
    daoc__err_reset(err);
    if (!out || !cfg)
        return daoc__err_fail(err, DAOC_EINVAL, "%s is NULL", out ? "cfg" : "out");
    *out = NULL;
    daoc_db *db = daoc__calloc(1, sizeof *db);
    if (!db)
        return DAOC_ENOMEM;
    int rc = DAOC_ENOMEM;
    bool in_tx = false;
    db->defer_tables = deferred;
    db->cfg = daoc__config_copy(cfg);
    if (!db->cfg)
        goto fail;
    db->dao_env = (daoc__dao_env){
        db, env_dao_of, env_workspace_by_name, env_ensure_default_ws, db->default_ws, env_log, NULL};
    rc = open_store(db, err);
    if (rc != DAOC_OK)
        goto fail;
    if (!deferred && !db->cfg->create_tables && (rc = existing_tables(db, err)) != DAOC_OK)
        goto fail;
    /* Tables are created in one transaction: a definition refused half-way
     * through leaves the database as it was.  A deferred open touches no
     * table, so it needs none (two round trips fewer for every `daoc
     * migrations` command on PostgreSQL). */
    char *msg = NULL;
    rc = deferred ? DAOC_OK : db->store->ops->begin(db->store, &msg);
    if (rc != DAOC_OK) {
        int erc = daoc__db_set_err(
            err, "store error",
            daoc__asprintf("cannot start a transaction: %s", msg ? msg : daoc_strerror(rc)));
        daoc__free(msg);
        if (erc != DAOC_OK)
            rc = erc;
        goto fail;
    }
    in_tx = !deferred;
    rc = daoc__db_add_core_entities(db, err);
    if (rc != DAOC_OK)
        goto fail;
    rc = add_lua_core_entities(db, err);
    if (rc != DAOC_OK)
        goto fail;
    rc = add_plugin_entities(db, err);
    if (rc == DAOC_OK)
        rc = add_plugin_schemas(db, err);
    /* Plugin code (custom validators, custom DAO modules) may use kong.db;
     * a custom DAO module that cannot be required fails the open here,
     * before the tables are committed. */
    if (rc == DAOC_OK && db->lua)
        rc = daoc__lua_install_kong(db->lua, 0, err);
    if (rc != DAOC_OK)
        goto fail;
    in_tx = false;
    rc = deferred ? DAOC_OK : db->store->ops->commit(db->store, &msg);
    if (rc != DAOC_OK) {
        int erc = daoc__db_set_err(
            err, "store error",
            daoc__asprintf("cannot create the tables: %s", msg ? msg : daoc_strerror(rc)));
        daoc__free(msg);
        if (erc != DAOC_OK)
            rc = erc;
        goto fail;
    }
    /* Expired rows are invisible to reads already; removing them at open keeps
     * short-lived processes (daoc runner, CLI) from letting them pile up.
     * Long-running embedders call daoc_db_cleanup_ttl periodically. */
    if (!deferred) {
        int64_t n = 0;
        if (daoc_db_cleanup_ttl(db, 50, &n, NULL) == DAOC_OK && n > 0)
            daoc__db_log(db, DAOC_LOG_INFO, "removed %lld expired rows", (long long)n);
    }
    /* from here on the handle's transactions are followed, for the
     * CRUD events its subscribers will hear of (crud_events.c) */
    if (!deferred && (rc = daoc__db_crud_start(db)) != DAOC_OK)
        goto fail;
    *out = db;
    return DAOC_OK;
fail:
    if (in_tx)
        db->store->ops->rollback(db->store);
    daoc_db_close(db);
    return daoc__err_fill(err, rc);
}

int daoc_db_open(daoc_db **out, const daoc_config *cfg, daoc_error **err)
{
    return open_db(out, cfg, false, err);
}

int daoc__db_open_deferred(daoc_db **out, const daoc_config *cfg, daoc_error **err)
{
    return open_db(out, cfg, true, err);
}

void daoc_db_close(daoc_db *db)
{
    if (!db)
        return;
    daoc__db_crud_stop(db);
    daoc_db_set_cache(db, NULL); /* frees one of its own */
    /* DAOs (and the schemas they own, whose callables may live in Lua)
     * go before the Lua state; the store outlives nothing. */
    for (size_t i = db->ndaos; i-- > 0;)
        daoc__dao_free(db->daos[i]);
    daoc__free(db->daos);
    if (db->lua)
        daoc__lua_close(db->lua);
    daoc_value_free(db->tables);
    if (db->store)
        db->store->ops->close(db->store);
    daoc_config_free(db->cfg);
    daoc__free(db);
}

int daoc_db_run_lua_file(daoc_db *db, const char *path, int argc, char **argv, daoc_error **err)
{
    daoc__err_reset(err);
    if (!db || !path)
        return daoc__err_fail(err, DAOC_EINVAL, "%s is NULL", db ? "path" : "db");
    int rc = ensure_lua(db, err);
    if (rc == DAOC_OK)
        rc = daoc__lua_run_file(db->lua, path, argc, argv, err);
    return daoc__err_fill(err, rc);
}

/* A plugin's own Admin API routes: the Lua layer loads and runs them
 * (src/lua/api.c); the plugins are those the configuration enables. */
int daoc_db_plugin_api_routes(daoc_db *db, daoc_value **routes, daoc_error **err)
{
    daoc__err_reset(err);
    if (routes)
        *routes = NULL;
    if (!db || !routes)
        return daoc__err_fail(err, DAOC_EINVAL, "%s is NULL", db ? "routes" : "db");
    int rc = ensure_lua(db, err);
    if (rc == DAOC_OK)
        rc = daoc__lua_api_routes(db->lua, (const char *const *)db->cfg->plugins, db->cfg->nplugins,
                                  routes, err);
    return daoc__err_fill(err, rc);
}

int daoc_db_plugin_api_call(daoc_db *db, size_t route, const daoc_value *request,
                            daoc_api_generated_fn generated, void *ud, daoc_api_reply *reply,
                            daoc_error **err)
{
    daoc__err_reset(err);
    if (reply)
        memset(reply, 0, sizeof *reply);
    if (!db || !request || !generated || !reply)
        return daoc__err_fail(err, DAOC_EINVAL, "a required argument is NULL");
    int rc = ensure_lua(db, err);
    if (rc == DAOC_OK)
        rc = daoc__lua_api_call(db->lua, (const char *const *)db->cfg->plugins, db->cfg->nplugins,
                                route, request, generated, ud, reply, err);
    if (rc == DAOC_EINVAL && err && !*err)
        return daoc__err_fail(err, DAOC_EINVAL, "no plugin route %zu", route);
    return daoc__err_fill(err, rc);
}
