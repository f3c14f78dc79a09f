/*
 * kongdb_results.c -- what kong.db.<entity> methods hand back to Lua:
 * entities and arrays of rows (set fields get a membership metatable, rows
 * always encode as a JSON array), and Kong's `nil, err, err_t` for a failed
 * call, with the err_t metatable (__tostring "[strategy] message",
 * __concat) that kong/db/errors.lua gives its error tables.
 */
#include <stdbool.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/value.h"
#include "lua/kongdb.h"

#define ERR_MT_KEY "daoc.kongdb.err_mt" /* metatable of err_t tables */
#define SET_MT_KEY "daoc.kongdb.set_mt" /* metatable of set fields */

/* Gives the set fields of the entity at the top of the stack the set
 * metatable (membership lookups: route.methods.GET == true). */
static void mark_sets(lua_State *L, const daoc_dao *dao)
{
    const daoc__schema *s = dao->schema;
    for (size_t i = 0; i < s->nfields; i++) {
        if (s->fields[i].type != DAOC__F_SET)
            continue;
        lua_getfield(L, -1, s->fields[i].name);
        if (lua_istable(L, -1)) {
            lua_getfield(L, LUA_REGISTRYINDEX, SET_MT_KEY);
            lua_setmetatable(L, -2);
        }
        lua_pop(L, 1);
    }
}

void daoc__kdb_push_entity(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao, daoc_value *v)
{
    int rc = daoc__lua_push_value(ls, v);
    daoc_value_free(v);
    if (rc != DAOC_OK)
        luaL_error(L, "not enough memory");
    if (lua_istable(L, -1))
        mark_sets(L, dao);
}

void daoc__kdb_push_rows(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao,
                         daoc_value *rows)
{
    if (!rows) {
        lua_newtable(L);
    } else {
        int rc = daoc__lua_push_value(ls, rows);
        daoc_value_free(rows);
        if (rc != DAOC_OK)
            luaL_error(L, "not enough memory");
    }
    /* rows always encode as a JSON array, even when empty */
    lua_getfield(L, LUA_REGISTRYINDEX, DAOC__LUA_ARRAY_MT);
    if (lua_istable(L, -1))
        lua_setmetatable(L, -2);
    else
        lua_pop(L, 1);
    size_t n = lua_objlen(L, -1);
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, (int)i);
        if (lua_istable(L, -1))
            mark_sets(L, dao);
        lua_pop(L, 1);
    }
}

void daoc__kdb_push_err_t(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao, int rc,
                          daoc_error **errp)
{
    daoc_error *err = *errp;
    *errp = NULL;
    if (err && daoc_error_code(err) == 0) {
        /* a misuse the C API describes with a code-0 error: Lua callers get
         * it as a database error with that message, as before */
        char *msg = daoc__strdup(daoc_error_message(err));
        daoc_error_free(err);
        err = NULL;
        if (!msg)
            luaL_error(L, "not enough memory");
        err =
            daoc__err_new(DAOC_ERR_DATABASE_ERROR, daoc__kdb_strategy_name(dao), msg, NULL, false);
        if (!err)
            luaL_error(L, "not enough memory");
    }
    if (!err) {
        char *msg = daoc__strdup(daoc_strerror(rc));
        err =
            daoc__err_new(DAOC_ERR_DATABASE_ERROR, daoc__kdb_strategy_name(dao), msg, NULL, false);
        if (!err)
            luaL_error(L, "not enough memory");
    }
    daoc_value *v = daoc_error_to_value(err);
    daoc_error_free(err);
    if (!v || daoc__lua_push_value(ls, v) != DAOC_OK) {
        daoc_value_free(v);
        luaL_error(L, "not enough memory");
    }
    daoc_value_free(v);
    lua_getfield(L, LUA_REGISTRYINDEX, ERR_MT_KEY);
    lua_setmetatable(L, -2);
}

int daoc__kdb_push_fail(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao, int rc,
                        daoc_error *err)
{
    lua_pushnil(L);
    daoc__kdb_push_err_t(L, ls, dao, rc, &err);
    luaL_callmeta(L, -1, "__tostring"); /* err = tostring(err_t) */
    lua_insert(L, -2);
    return 3;
}

/* err_t's __tostring: "[strategy] message", or the name when message is
 * null, as kong/db/errors.lua renders it. */
static int err_tostring(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "strategy");
    lua_getfield(L, 1, "message");
    if (!lua_isstring(L, -1)) {
        lua_pop(L, 1);
        lua_getfield(L, 1, "name");
    }
    lua_getfield(L, 1, "code");
    bool db_error = lua_tonumber(L, -1) != 0;
    lua_pop(L, 1);
    if (db_error && lua_isstring(L, -2))
        lua_pushfstring(L, "[%s] %s", lua_tostring(L, -2), luaL_optstring(L, -1, ""));
    else
        lua_pushstring(L, luaL_optstring(L, -1, ""));
    return 1;
}

/* err_t's __concat: tostring(a) .. tostring(b), so `"failed: " .. err_t`
 * works as with Kong's error tables. */
static int err_concat(lua_State *L)
{
    lua_settop(L, 2);
    for (int i = 1; i <= 2; i++) {
        lua_getglobal(L, "tostring");
        lua_pushvalue(L, i);
        lua_call(L, 1, 1);
        if (!lua_isstring(L, -1))
            return luaL_error(L, "attempt to concatenate a non-string value");
    }
    lua_concat(L, 2);
    return 1;
}

/* The set metatable's __index: a string key answers whether the set holds
 * it. */
static int set_index(lua_State *L)
{
    if (lua_type(L, 2) != LUA_TSTRING)
        return 0;
    size_t n = lua_objlen(L, 1);
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, (int)i);
        if (lua_rawequal(L, -1, 2)) {
            lua_pushboolean(L, 1);
            return 1;
        }
        lua_pop(L, 1);
    }
    return 0;
}

void daoc__kdb_init_metatables(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, err_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushcfunction(L, err_concat);
    lua_setfield(L, -2, "__concat");
    lua_setfield(L, LUA_REGISTRYINDEX, ERR_MT_KEY);

    /* the set metatable carries whatever the array metatable carries (its
     * JSON hints) plus the membership __index */
    lua_newtable(L);
    lua_getfield(L, LUA_REGISTRYINDEX, DAOC__LUA_ARRAY_MT);
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, -5);
        }
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, set_index);
    lua_setfield(L, -2, "__index");
    lua_setfield(L, LUA_REGISTRYINDEX, SET_MT_KEY);
}
