/*
 * db.h -- the daoc_db handle: configuration, store, loaded schemas and their
 * DAOs, and the embedded Lua state that plugin definitions live in (owned
 * here, opened and closed only by src/open).
 */
#ifndef DAOC_DB_DB_H
#define DAOC_DB_DB_H

#include "config/config.h"
#include "dao/dao.h"
#include "daoc.h"
#include "schema/schema.h"
#include "store/store.h"

struct daoc__lua;

struct daoc_db {
    daoc_config *cfg;      /* owned copy */
    daoc__store *store;    /* owned */
    daoc_dao **daos;       /* owned, load order */
    size_t ndaos;
    struct daoc__lua *lua; /* owned, NULL until a plugin or a script needs Lua */
    char default_ws[37];   /* id of the "default" workspace (found or created at open) */
    daoc__dao_env dao_env; /* what every DAO borrows from this handle (db.c) */
    daoc_value *tables;    /* owned: the tables present at open when create_tables is
                              off (deploy->list_tables), else NULL */
    struct daoc__crud_state *crud; /* owned: the CRUD events (crud_events.c) */
    daoc_cache *cache;     /* kong.cache (cache_node.c): borrowed, or owned when own_cache */
    bool own_cache;
    bool defer_tables;     /* opened for the migrations engine (src/migrate): entities
                              compiled, no table made or checked and no default
                              workspace looked for until daoc__db_make_tables */
};

/* The tables of the core entities (plugin NULL) or of one plugin's
 * entities, made from their schemas (ensure_table: created, or checked to
 * fit), and for the core the "default" workspace found or created; for a
 * handle opened with defer_tables, once migrations ran.  DAOC_OK or a
 * status with *err naming the entity. */
int daoc__db_make_tables(daoc_db *db, const char *plugin, daoc_error **err);

/* Finds the "default" workspace (db->default_ws); when create, makes it
 * when the database has none, as Kong's migrations do -- with the id it
 * had, after a truncate of the workspaces.  DAOC_OK, or a status with
 * *err (also when it is missing and create is false). */
int daoc__db_ensure_default_ws(daoc_db *db, bool create, daoc_error **err);

/* The id of the workspace named name[0..n) into out: DAOC_OK, DAOC_ENOTFOUND,
 * or a store failure (DAOC_ESTORE with *msg, DAOC_ENOMEM). */
int daoc__db_workspace_by_name(daoc_db *db, const char *name, size_t n, char out[37],
                               char **msg);

/* An error object {name, msg} into *err (when err is not NULL); takes msg
 * (NULL: DAOC_ENOMEM).  DAOC_OK or DAOC_ENOMEM. */
int daoc__db_set_err(daoc_error **err, const char *name, char *msg);

/* Adds the core entities (consumers, workspaces, ...) and makes sure the
 * "default" workspace exists.  Inside the opener's transaction. */
int daoc__db_add_core_entities(daoc_db *db, daoc_error **err);

/* crud_events.c: from now on db's transactions are followed, and once
 * db has a subscriber (daoc_db_on_crud) every change of its DAOs is held
 * for it until its commit; stop undoes it (close). */
int daoc__db_crud_start(daoc_db *db);
void daoc__db_crud_stop(daoc_db *db);
/* Unsubscribes fn with ud (daoc_db_on_crud's) from db's CRUD events; the
 * DAOs keep telling changes (to nobody) while the handle lives. */
void daoc__db_crud_off(daoc_db *db, daoc_crud_fn fn, void *ud);
/* daoc_db_on_crud for a subscriber that reads an event's operation,
 * entity name and cache keys only: while every subscriber of db is such,
 * the events carry no entity nor old entity (NULL), and none is copied. */
int daoc__db_on_crud_keys(daoc_db *db, daoc_crud_fn fn, void *ud);

/* cache_node.c: db's entity cache, made from its configuration on first
 * use unless the program gave one; NULL with *err when it cannot be. */
daoc_cache *daoc__db_cache(daoc_db *db, daoc_error **err);

/* Logs through the configured callback (printf-style). */
void daoc__db_log(const daoc_db *db, daoc_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Schema of a loaded entity by name, or NULL (a daoc__schema_lookup_fn). */
const daoc__schema *daoc__db_lookup_schema(void *db, const char *name);

/* Compiles `def` and adds its DAO (and its table).  `plugin` is NULL for core
 * entities.  On failure returns a negative status and *err describes it. */
int daoc__db_add_entity(daoc_db *db, const daoc_value *def, const char *plugin, daoc_error **err);

/* Registers `def` as the subschema of the loaded entity `entity` for the
 * value `key` of its subschema_key (routes by protocol, plugins by plugin
 * name).  `plugin` names the plugin whose file it came from, or NULL (core).
 * On failure a negative status and *err. */
/* The write rule of the plugins core entity (plugins_rule.c; a
 * daoc__dao_write_rule whose ud is the db). */
int daoc__db_plugins_rule(void *ud, daoc_dao *dao, bool update, const daoc_value *input,
                          const daoc_value *entity, const daoc_value *opts, daoc_error **err);

int daoc__db_add_subschema(daoc_db *db, const char *entity, const char *key,
                           const daoc_value *def, const char *plugin, daoc_error **err);

/* The custom-DAO hook tables (dao.h, daoc__dao_custom; ud is the db) of
 * the core entities Kong gives a custom DAO, one file each:
 * certificates_dao.c, ca_certificates_dao.c, targets_dao.c.  The plugins
 * entity's is its write rule alone (daoc__db_plugins_rule). */
void daoc__db_certificates_dao(daoc_db *db, daoc__dao_custom *c);
void daoc__db_ca_certificates_dao(daoc_db *db, daoc__dao_custom *c);
void daoc__db_targets_dao(daoc_db *db, daoc__dao_custom *c);

#endif
