/*
 * lua_internal.h -- shared between the files of src/lua/ (not used outside).
 *
 *   state.c     daoc__lua_open/close, the sandbox environment, the module
 *               searcher (package.path, bytecode refused), preloaded shims
 *   convert.c   Lua value <-> daoc_value, Lua functions as daoc__callable
 *   defs.c      loading kong.plugins.<p>.daos (current and legacy formats)
 *   kongdb.c    the `kong.db` table: one DAO object per entity, generated
 *               methods, Kong's argument checks and return conventions
 *   runner.c    daoc__lua_run_file: the `daoc runner` environment
 *   *.lua       modules compiled into the library (typedefs, shims)
 */
#ifndef DAOC_LUA_INTERNAL_H
#define DAOC_LUA_INTERNAL_H

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "core/value.h"
#include "daoc.h"
#include "lua/lua.h"

struct daoc__lua {
    lua_State *L;
    daoc_db *db; /* borrowed owner */
    int sandbox_ref; /* registry ref of the environment table for plugin files */
    /* (additions by state.c) */
    long budget;      /* instruction budget of one definition load or one call of
                         plugin code (default 50M) */
    long budget_used; /* instructions counted by the hook so far */
    int budget_depth; /* budgeted sections entered and not left (they nest) */
    const char *budget_plugin; /* the plugin whose daos.lua loads, NULL for later calls */
    char budget_msg[LUA_IDSIZE + 320]; /* what the hook raises once the budget is spent */
    size_t mem_used;  /* bytes the state holds (state.c's allocator) */
    size_t mem_limit; /* lua_memory_limit; 0 = none */
    long long mem_published; /* the part of mem_used counted in daoc_lua_memory() */
    /* (additions by kongdb_connector.c) */
    daoc__lua_query_hook query_hook; /* daoc__lua_set_query_hook, or NULL */
    void *query_hook_ud;
    /* (additions by kongcache.c) */
    int l1_vals, l1_refs; /* registry refs of the copies and their entries (0: none) */
    size_t l1_n;          /* entries in them */
    /* (additions by worker_events.c) */
    bool crud_subscribed; /* on_crud is one of the handle's subscribers */
    /* (additions by api.c) */
    bool api_loaded;    /* the plugins' api modules are loaded in this state */
    size_t api_nroutes; /* how many routes they have */
};

/* Pushes v as a Lua value: objects/arrays as tables (arrays get cjson's
 * array metatable when one is registered), null as ngx.null (a NULL
 * lightuserdata), TINT as a Lua number, TFUNC as the original Lua function
 * when it came from Lua (else a C closure calling the callable).
 * Objects flagged DAOC__VF_INTKEYS get integer keys.  Returns DAOC_OK or
 * DAOC_ENOMEM (with nothing pushed). */
int daoc__lua_push_value(struct daoc__lua *ls, const daoc_value *v);

/* Converts the Lua value at idx.  Tables with keys 1..n only become arrays,
 * `{}` becomes an empty object flagged as ambiguous-empty (validation treats
 * {} as either), other tables objects with string keys (numeric keys are
 * converted to their decimal text).  Integral numbers within +-2^53 become
 * DAOC_TINT, others DAOC_TNUM.  Functions become DAOC_TFUNC callables that
 * call back into this state.  Unsupported values (threads, userdata other
 * than ngx.null, cycles, nesting deeper than 100) fail with DAOC_EINVAL and
 * *why (static text) set. */
int daoc__lua_to_value(struct daoc__lua *ls, int idx, daoc_value **out, const char **why);

/* The same for data given to kong.db (entities, primary keys, options):
 * threads, userdata, the table closing a cycle and tables nested deeper than
 * 100 become opaque DAOC_TFUNC values referencing the Lua value, which
 * validation refuses with the field's type error (Kong's code 2) instead of
 * the call raising.  Still fails (DAOC_EINVAL, *why) for table keys that
 * are neither strings nor numbers and for more than 2,000,000 values. */
int daoc__lua_to_input(struct daoc__lua *ls, int idx, daoc_value **out, const char **why);

/* Installs `kong` (kong.db with every DAO of ls->db, kong.log, kong.dao and
 * kong.db aliases used by older plugin generations) into the table at the
 * top of the stack (an environment), or as globals when env_idx is 0. */
int daoc__lua_install_kong(struct daoc__lua *ls, int env_idx, daoc_error **err);

/* Builds a daoc_error for a Lua failure (code 0-less error: name "lua
 * error", message = text).  Returns NULL on ENOMEM. */
daoc_error *daoc__lua_error(const char *message);

/* ---- additions (state.c, sandbox.c, convert.c, defs.c) ---------------- */

/* Registry fields holding cjson.array_mt / cjson.empty_array_mt. */
#define DAOC__LUA_ARRAY_MT "daoc.array_mt"
#define DAOC__LUA_EMPTY_ARRAY_MT "daoc.empty_array_mt"

/* Registers the callable metatable and the call trampoline (state.c calls
 * it once, in a protected call). */
int daoc__lua_convert_init(struct daoc__lua *ls);

/* Pushes a C closure calling c (takes its own reference; `c` stays owned by
 * the caller).  From Lua it answers true, or nil plus a message; a failing
 * call raises.  daoc__lua_to_value turns it back into c itself. */
int daoc__lua_push_callable(struct daoc__lua *ls, daoc__callable *c);
/* Same for the built-in validator `name`; DAOC_ENOTFOUND when unknown. */
int daoc__lua_push_builtin(struct daoc__lua *ls, const char *name);

/* Pushes the sandbox environment table of plugin files. */
void daoc__lua_push_sandbox(struct daoc__lua *ls);

/* Loads Lua source as a chunk run in the sandbox: bytecode refused
 * ("cannot load bytecode: <chunkname>"), a leading '#' line skipped.  On
 * success pushes the function and returns 0; else pushes the message and
 * returns non-zero.  chunkname is given without the leading '@'. */
int daoc__lua_load_sandboxed(lua_State *L, int sandbox_idx, const char *buf, size_t len,
                             const char *chunkname);

/* Pushes kong.configuration for cfg (configuration.c); cfg may be NULL. */
void daoc__lua_push_configuration(lua_State *L, const daoc_config *cfg);

/* Searches package.path for module `name`: returns a new path (daoc__free)
 * or NULL when no file exists (or on ENOMEM: *oom set). */
char *daoc__lua_search_path(struct daoc__lua *ls, const char *name, bool *oom);

/* find-and-load of sandbox.c on an explicit path (NULL = package.path):
 * module `name` loaded (source only) with the table at env_idx as its
 * environment (0 = globals); pushes chunk and path and returns 2, or
 * pushes the "\n\tno file" list and returns 0; raises on a load error. */
int daoc__lua_load_on_path(lua_State *L, const char *ppath, const char *name, int env_idx);

/* The instruction budget around plugin code: the load of plugin's daos.lua
 * (plugin given) and every later call into plugin code (plugin NULL: custom
 * validators, entity checks and other callables, custom DAO methods).  The
 * outermost begin turns the JIT off and installs a count hook that raises
 * "<file>:<line>: custom plugin '<p>': definition file exceeded its
 * instruction budget (N instructions)", or for later calls "<file>:<line>:
 * plugin code exceeded its instruction budget (N instructions)"; once the
 * budget is spent every further instruction raises again, so no pcall can
 * keep plugin code running.  Sections nest: an inner one shares the
 * outer's count.  The outermost end removes the hook and turns the JIT back
 * on. */
void daoc__lua_budget_begin(struct daoc__lua *ls, const char *plugin);
void daoc__lua_budget_end(struct daoc__lua *ls);

/* lua_pcall of the function below nargs arguments inside a budgeted
 * section (plugin NULL). */
int daoc__lua_pcall_budgeted(struct daoc__lua *ls, lua_State *L, int nargs, int nresults,
                             int errfunc);

/* Replaces the function at the top of the stack with one that calls it
 * through daoc__lua_pcall_budgeted and re-raises its error (anything else
 * is left as it is).  Raises on a Lua allocation failure. */
void daoc__lua_wrap_budgeted(struct daoc__lua *ls, lua_State *L);

/* Loads a daos definition from memory as if it were the file `chunkname`
 * of plugin `plugin` (the fuzzer's entry point; load_plugin_daos reads the
 * file and calls it).  Same results as daoc__lua_load_plugin_daos with
 * *found = true. */
int daoc__lua_load_daos_buffer(struct daoc__lua *ls, const char *plugin, const char *chunkname,
                               const char *buf, size_t len, daoc_value **defs, daoc_error **err);

/* Converts legacy (Kong 0.5-1.x) definitions: `legacy` is an object
 * {dao_name = {table = "...", schema = {...}}}.  *defs receives the array of
 * current-format definitions (entities sorted by name).  Dropped attributes
 * are reported through the log callback of ls->db.  Returns DAOC_OK, or
 * DAOC_ESCHEMA with *msg (daoc__free) naming the entity and field. */
int daoc__lua_convert_legacy(struct daoc__lua *ls, const char *plugin, const daoc_value *legacy,
                             daoc_value **defs, char **msg);
/* defs.c: a schema.lua's text (chunkname its file) as the subschema
 * definition daoc__lua_load_plugin_schema gives (*def owned by the
 * caller, NULL on failure). */
int daoc__lua_load_schema_buffer(struct daoc__lua *ls, const char *plugin, const char *chunkname,
                                 const char *buf, size_t len, daoc_value **def, daoc_error **err);
/* legacy.c: a 0.x plugin schema, normalised by shims.lua's
 * plugin_schema_extract ({ fields = { name = def }, no_consumer = ...,
 * entity_checks = ... }), as today's plugin subschema definition
 * ({ name = plugin, fields = { { config = record }, { consumer = ... } } });
 * *def owned by the caller.  DAOC_ESCHEMA with *msg (caller frees). */
int daoc__lua_convert_legacy_plugin_schema(struct daoc__lua *ls, const char *plugin,
                                           const daoc_value *legacy, daoc_value **def,
                                           char **msg);

/* sandbox.c: remembers ls in the registry (hooks and C primitives find it
 * there) and adds `load_module`, `budget_exhausted`, `searcher` to the
 * primitives table at the top of the stack. */
void daoc__lua_sandbox_register(struct daoc__lua *ls);
void daoc__lua_sandbox_prims(lua_State *L);
/* sandbox_prims.c: adds the C primitives of the shims (json, base64, uuid, clock,
 * log, builtin validators) to the table at the top of the stack. */
void daoc__lua_shim_prims(struct daoc__lua *ls);
/* worker_events.c: prim.crud_subscribe (on the table at the top); and the
 * end of the state's subscription, before it closes. */
void daoc__lua_worker_events_prims(struct daoc__lua *ls);
void daoc__lua_crud_off(struct daoc__lua *ls);

/* defs.c: whether msg starts with Lua's "<file>:<line>: " position (the
 * message handlers of plugin-file loads leave such messages as they are). */
bool daoc__lua_has_position(const char *msg);

#endif
