/*
 * lua.h -- the embedded LuaJIT: plugin definition files (daos.lua, later
 * schema.lua and migrations) and `daoc runner` scripts.
 *
 * One daoc__lua per daoc_db.  Plugin files run in their own environment with
 * what the documented plugin API provides (kong.db.schema.typedefs, ngx.null,
 * ngx.*, kong.log, ...); bytecode is refused; every entry into Lua is a
 * lua_pcall whose error becomes a status plus the Lua message.
 */
#ifndef DAOC_LUA_LUA_H
#define DAOC_LUA_LUA_H

#include <stdbool.h>

#include "daoc.h"

struct daoc__lua;

/* Creates the Lua state for db (package.path from cfg->lua_package_path). */
int daoc__lua_open(daoc_db *db, struct daoc__lua **out, daoc_error **err);
void daoc__lua_close(struct daoc__lua *L);

/* Loads kong.plugins.<plugin>.daos when it exists.  *found tells whether the
 * module exists; *defs receives an array of entity definitions (objects
 * shaped like the Lua tables, functions as DAOC_TFUNC values whose callables
 * call back into this Lua state).  The legacy formats of Kong 0.5-1.x
 * ({name = SCHEMA} maps) are converted to the current shape.  Errors
 * (syntax error with file and line, non-array table, ...) return DAOC_ELUA
 * or DAOC_ESCHEMA with *err set. */
/* The definitions of the core entities written in Lua (src/lua/
 * core_entities.lua: services), loaded as a plugin's daos.lua is; *defs is
 * an array owned by the caller. */
int daoc__lua_load_core_daos(struct daoc__lua *L, daoc_value **defs, daoc_error **err);
int daoc__lua_load_plugin_daos(struct daoc__lua *L, const char *plugin, daoc_value **defs,
                               bool *found, daoc_error **err);
/* kong.plugins.<plugin>.schema of any generation as the definition of its
 * subschema of the plugins entity (*def owned by the caller; a 0.x schema
 * converted as Kong 1.x's plugin loader did, keeping its func, regex and
 * self_check validations); *found false when the plugin has no schema.lua.
 * Errors as above. */
int daoc__lua_load_plugin_schema(struct daoc__lua *L, const char *plugin, daoc_value **def,
                                 bool *found, daoc_error **err);

/* Whether any module of plugin is on the package path: its handler, schema,
 * daos or migrations (kong.plugins.<plugin>.handler, ...; the migrations of
 * every generation: migrations, migrations.postgres, migrations.cassandra).
 * A plugin named in `plugins` with none of them is not installed.  DAOC_OK
 * or DAOC_ENOMEM. */
int daoc__lua_plugin_installed(struct daoc__lua *L, const char *plugin, bool *installed);

/* Runs a script file with kong.db (every DAO of db), kong.log, ngx.null.
 * `arg` holds argv as in the standalone interpreter. */
int daoc__lua_run_file(struct daoc__lua *L, const char *path, int argc, char **argv,
                       daoc_error **err);

#endif
