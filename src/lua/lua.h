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
 * core_entities.lua: services, routes, ...; then core_entities_more.lua:
 * parameters, vaults, keys, ...), loaded as a plugin's daos.lua is; *defs
 * is one array owned by the caller. */
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

/* ---- a plugin's own Admin API routes (api.c, admin_api.lua) ------------ */

/* The routes of the kong.plugins.<p>.api modules of plugins[0..n), as
 * daoc_db_plugin_api_routes describes them (*routes owned by the caller).
 * Modules load once per state; later calls answer the same list. */
int daoc__lua_api_routes(struct daoc__lua *ls, const char *const *plugins, size_t n,
                         daoc_value **routes, daoc_error **err);
/* daoc_db_plugin_api_call in this state; the routes of plugins[0..n)
 * load first when this state has not loaded them yet. */
int daoc__lua_api_call(struct daoc__lua *ls, const char *const *plugins, size_t nplugins,
                       size_t route, const daoc_value *request, daoc_api_generated_fn generated,
                       void *ud, daoc_api_reply *reply, daoc_error **err);

/* ---- migrations (migrations.c, migrations.lua) ------------------------- */

/* The generations of migration files a plugin may ship. */
enum {
    DAOC__MIGFMT_NONE = 0,  /* no migrations at all */
    DAOC__MIGFMT_INDEX,     /* Kong >= 1.0: <ns>/init.lua index + one module per name */
    DAOC__MIGFMT_LEGACY_PG, /* 0.8-0.14: migrations/postgres.lua array */
    DAOC__MIGFMT_LEGACY_05  /* 0.5-0.7: schema/migrations.lua or migrations/cassandra.lua */
};

/* One migration as loaded.  Strings are daoc__alloc'd; refs are registry
 * references of the Lua state that loaded them (LUA_NOREF = none). */
typedef struct daoc__migration {
    char *name;       /* as in the index / the legacy array */
    char *up_sql;     /* postgres `up` text (Kong >= 1.0), or the 0.x `up` when a string;
                         NULL = none */
    int up_f_ref;     /* up_f (1.x+), or a 0.x / 0.5 `up` function */
    int teardown_ref; /* 1.x+ teardown */
    char *down_sql;   /* 0.x/0.5 `down` text, for `migrations down` */
    int down_f_ref;   /* 0.x/0.5 `down` function */
    char *file;       /* the module's file (package.path search), or NULL */
    char checksum[65]; /* SHA-256 hex of the module file's bytes, or of the legacy array
                          file; "" if unknown */
} daoc__migration;

typedef struct daoc__migration_set {
    int format;          /* DAOC__MIGFMT_* */
    bool cassandra_only; /* only Cassandra sections/files: the caller skips the set and
                            says so once; m still names what was skipped (1.x+ entries
                            carry no code; 0.5-0.7 ones keep their functions) */
    daoc__migration *m;
    size_t n;
} daoc__migration_set;

/* Loads the migrations of plugin, trying in order:
 *   kong.plugins.<p>.migrations (then <ns>.init)   -> DAOC__MIGFMT_INDEX
 *   kong.plugins.<p>.migrations.postgres           -> DAOC__MIGFMT_LEGACY_PG
 *   kong.plugins.<p>.migrations.cassandra          -> DAOC__MIGFMT_LEGACY_05, cassandra_only
 *   kong.plugins.<p>.schema.migrations             -> DAOC__MIGFMT_LEGACY_05, cassandra_only
 *   none of them                                   -> DAOC__MIGFMT_NONE, n = 0
 * An index lists names; each is the module <ns>.<name> returning
 * { postgres = { up, up_f, teardown }, cassandra = {...} } ("postgresql" an
 * alias of "postgres"), checked as Kong's migrations schema does.  Files
 * run sandboxed under the instruction budget, as daos.lua files do.
 * Returns DAOC_OK with *out filled (free with daoc__migration_set_free);
 * DAOC_ESCHEMA with *msg in Kong's words (without Kong's "[PostgreSQL
 * error] " prefix, which the caller adds): "migrations index from '<ns>'
 * must be a table", "failed to load migration '<module>' of '<subsystem>'
 * subsystem", "migration '<module>' of '<subsystem>' subsystem is invalid:
 * schema violation (...)", a '_' helper module listed in the index, 0.x's
 * "migration '<i>' for <s> has no name" and "... already exists;
 * migrations must have unique names"; DAOC_ELUA with *msg naming the file
 * and line of a Lua error in a migration file; DAOC_ENOMEM.  *msg is
 * daoc__free'd by the caller; *out is empty on failure. */
int daoc__lua_load_migrations(struct daoc__lua *ls, const char *plugin, daoc__migration_set *out,
                              char **msg);
void daoc__migration_set_free(struct daoc__lua *ls, daoc__migration_set *set);

/* Calls the function of registry ref ref with the instruction budget, with
 * the arguments of its generation (legacy_format the set's format):
 *   DAOC__MIGFMT_INDEX      fn(kong.db.connector, helpers = nil); success when
 *                           it returns without throwing and its 2nd value is
 *                           nil (Kong's rule for up_f / teardown)
 *   DAOC__MIGFMT_LEGACY_PG  fn(kong.db.connector, kong.configuration, kong.dao);
 *                           success when its 1st value is nil (0.x's up/down
 *                           returned the error)
 *   DAOC__MIGFMT_LEGACY_05  fn(options = { keyspace = ... }, dao_factory) with
 *                           dao_factory the 0.5 factory plus execute_queries;
 *                           success as for 0.x
 * DAOC_OK; DAOC_ELUA with *msg (daoc__free) the error: the thrown message
 * with the migration file's position, or the returned error as text.  The
 * caller words "failed to run migration '<name>' <kind>: <msg>". */
int daoc__lua_run_migration_fn(struct daoc__lua *ls, int ref, int legacy_format, char **msg);

/* A function called before connector:query sends each statement (the
 * statements of a several-statement query one by one), with its text:
 * non-zero refuses it, and query returns nil, "stopped here by daoc
 * migrations check" as it returns a failed statement's error.  `daoc
 * migrations check` counts a migration's statements with it and stops a
 * run after the k-th.  NULL removes it. */
typedef int (*daoc__lua_query_hook)(void *ud, const char *sql);
void daoc__lua_set_query_hook(struct daoc__lua *ls, daoc__lua_query_hook fn, void *ud);

/* sql_split.c: the next statement of the ';'-separated script s[0..n)
 * from *pos: true with s[*start..*end) (without blanks around it and its
 * ';') and *pos moved past it; false when only blanks and comments are
 * left.  Quotes, dollar-quoted bodies, comments and CREATE TRIGGER bodies
 * are not cut. */
bool daoc__sql_next_statement(const char *s, size_t n, size_t *pos, size_t *start, size_t *end);

#endif
