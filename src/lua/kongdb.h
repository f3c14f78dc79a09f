/*
 * kongdb.h -- shared between the files of the `kong` table: kongdb.c (the
 * table, DAO objects, method upvalues), kongdb_args.c (argument checks and
 * conversion), kongdb_results.c (pushing rows, err_t tables and their
 * metatables), kongdb_schema.c (the object's schema description),
 * kongdb_custom.c (custom DAO modules), kongdb_log.c (kong.log),
 * kongdb_methods.c (the CRUD methods), kongdb_iter.c (page, each and
 * their _for_ forms) and kongdb_connector.c (kong.db.connector, strategy
 * overlays).
 *
 * Every DAO method is a C closure with the upvalues
 *   1  struct daoc__lua *   (light userdata)
 *   2  daoc_dao *           (light userdata)
 *   3  field index          (number; -1 = the primary key)
 *   4  field name           (string; "" for the primary-key methods)
 * and is called with `:`, so argument 1 is the DAO object and is ignored.
 */
#ifndef DAOC_LUA_KONGDB_H
#define DAOC_LUA_KONGDB_H

#include "dao/dao.h"
#include "lua/lua_internal.h"

typedef struct daoc__kdb_up {
    struct daoc__lua *ls;
    daoc_dao *dao;
    long field;
    const char *fname;
} daoc__kdb_up;

/* Reads the upvalues of the running method. */
void daoc__kdb_up_get(lua_State *L, daoc__kdb_up *up);

/* Programming-error checks of Kong's DAO (raise with the caller's position). */
void daoc__kdb_check_table(lua_State *L, int idx, const char *what); /* "<what> must be a table" */
void daoc__kdb_check_opts(lua_State *L, int idx);
void daoc__kdb_check_unique(lua_State *L, int idx, const daoc_dao *dao, long field,
                            const char *fname);

/* Converts the arguments at the n stack indices idx[] (nil => NULL) into
 * out[].  Raises on unsupported values or memory exhaustion, after freeing
 * whatever it converted. */
void daoc__kdb_args(lua_State *L, struct daoc__lua *ls, int n, const int *idx, daoc_value **out);
/* Frees out[0..n). */
void daoc__kdb_free(int n, daoc_value **v);

/* Pushes an entity returned by a DAO (sets answer membership lookups).
 * Takes v (freed before returning or raising). */
void daoc__kdb_push_entity(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao, daoc_value *v);
/* Pushes rows (an array of entities) the same way; takes rows. */
void daoc__kdb_push_rows(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao,
                         daoc_value *rows);

/* Pushes `nil, err, err_t` for a failed DAO call and returns 3.  Takes err
 * (may be NULL: a status-only failure becomes a code 8 database error). */
int daoc__kdb_push_fail(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao, int rc,
                        daoc_error *err);
/* Pushes only the err_t table (for the one failing each() iteration). */
void daoc__kdb_push_err_t(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao, int rc,
                          daoc_error **err);

/* Registers the method closures of one DAO into the table at the top of the
 * stack (kongdb_methods.c / kongdb_iter.c). */
void daoc__kdb_add_methods(lua_State *L, struct daoc__lua *ls, daoc_dao *dao);
void daoc__kdb_add_iter_methods(lua_State *L, struct daoc__lua *ls, daoc_dao *dao);

/* The name of the strategy behind dao ("sqlite" or "postgres"). */
const char *daoc__kdb_strategy_name(const daoc_dao *dao);

/* Registers the err_t and set metatables in the registry (once per state,
 * before any result is pushed). */
void daoc__kdb_init_metatables(lua_State *L);

/* Pushes the read-only description of schema s (a DAO object's `schema`). */
void daoc__kdb_push_schema(lua_State *L, struct daoc__lua *ls, const daoc__schema *s);

/* Copies the functions of dao's custom DAO module (`dao = "..."`) onto the
 * object at the top of the stack; a module that fails to load is logged. */
void daoc__kdb_apply_custom_dao(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao);

/* Pushes kong.db.connector (kongdb_connector.c). */
void daoc__kdb_push_connector(lua_State *L, struct daoc__lua *ls);
/* Mixes the plugin's strategy overlay for dao's entity into the strategy
 * object at the top of the stack (kongdb_connector.c). */
void daoc__kdb_apply_strategy_overlay(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao);

/* Pushes a kong.cache table (kongcache.c). */
void daoc__kdb_push_cache(lua_State *L, struct daoc__lua *ls);

/* Pushes the kong.log table (callable, with one function per level). */
void daoc__kdb_push_log(lua_State *L, struct daoc__lua *ls);

/* Pushes a method closure with the standard upvalues. */
void daoc__kdb_push_method(lua_State *L, lua_CFunction fn, struct daoc__lua *ls, daoc_dao *dao,
                           long field, const char *fname);

#endif
