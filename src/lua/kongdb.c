/*
 * kongdb.c -- the `kong` table Lua code sees: kong.db.<entity> (one DAO
 * object per entity, built on first use), the access paths of older plugin
 * generations (kong.dao and the global `dao`: views of the same objects
 * with their generation's methods, built by legacy_dao.lua), and the
 * plumbing every DAO method shares (its upvalues, the strategy's name).
 *
 * The DAO objects only translate between Lua and the C DAO (src/dao/): the
 * methods (kongdb_methods.c, kongdb_iter.c) check their arguments
 * (kongdb_args.c) the way Kong's DAO does, convert, call daoc__dao_*, and
 * push Kong's return values (kongdb_results.c).  The object's schema
 * description is kongdb_schema.c, custom DAO modules kongdb_custom.c and
 * kong.log kongdb_log.c.  Nothing here validates entities or talks to the
 * store.
 */
#include "core/value.h"
#include "db/db.h"
#include "lua/kongdb.h"

#define KONG_KEY "daoc.kong" /* the `kong` table */

/* ---- method upvalues ------------------------------------------------- */

void daoc__kdb_up_get(lua_State *L, daoc__kdb_up *up)
{
    up->ls = lua_touserdata(L, lua_upvalueindex(1));
    up->dao = lua_touserdata(L, lua_upvalueindex(2));
    up->field = (long)lua_tonumber(L, lua_upvalueindex(3));
    up->fname = lua_tostring(L, lua_upvalueindex(4));
}

void daoc__kdb_push_method(lua_State *L, lua_CFunction fn, struct daoc__lua *ls, daoc_dao *dao,
                           long field, const char *fname)
{
    lua_pushlightuserdata(L, ls);
    lua_pushlightuserdata(L, dao);
    lua_pushnumber(L, (lua_Number)field);
    lua_pushstring(L, fname ? fname : "");
    lua_pushcclosure(L, fn, 4);
}

const char *daoc__kdb_strategy_name(const daoc_dao *dao)
{
    return (dao && dao->store && dao->store->ops && dao->store->ops->name) ? dao->store->ops->name
                                                                           : "sqlite";
}

/* ---- the DAO object -------------------------------------------------- */

/* Pushes the DAO object of `dao`: the generated methods (also reachable as
 * self.super), schema, strategy, errors, and the custom DAO module's
 * functions. */
static void push_dao_object(lua_State *L, struct daoc__lua *ls, daoc_dao *dao)
{
    lua_newtable(L); /* the object */
    daoc__kdb_add_methods(L, ls, dao);
    daoc__kdb_add_iter_methods(L, ls, dao);
    /* super: a copy of the generated methods */
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, -3)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    lua_setfield(L, -2, "super");
    daoc__kdb_push_schema(L, ls, dao->schema);
    lua_setfield(L, -2, "schema");
    lua_newtable(L); /* self.strategy: its name, the connector, the plugin's overlay */
    lua_pushstring(L, daoc__kdb_strategy_name(dao));
    lua_setfield(L, -2, "name");
    lua_getfield(L, LUA_REGISTRYINDEX, KONG_KEY);
    lua_getfield(L, -1, "db");
    lua_getfield(L, -1, "connector");
    lua_setfield(L, -4, "connector");
    lua_pop(L, 2);
    daoc__kdb_apply_strategy_overlay(L, ls, dao);
    lua_setfield(L, -2, "strategy");
    /* the connector's pagination defaults, as Kong's DAO carries them */
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, DAOC__PAGE_SIZE_DEFAULT);
    lua_setfield(L, -2, "page_size");
    lua_pushinteger(L, DAOC__MAX_PAGE_SIZE_DEFAULT);
    lua_setfield(L, -2, "max_page_size");
    lua_setfield(L, -2, "pagination");
    lua_getfield(L, LUA_REGISTRYINDEX, KONG_KEY);
    lua_getfield(L, -1, "db");
    lua_setfield(L, -3, "db");
    lua_pop(L, 1);
    /* self.errors: kong.db.errors.new(strategy), as Kong's DAO has it */
    lua_getfield(L, LUA_REGISTRYINDEX, "daoc.db_errors");
    lua_getfield(L, -1, "new");
    lua_pushstring(L, daoc__kdb_strategy_name(dao));
    lua_call(L, 1, 1);
    lua_setfield(L, -3, "errors");
    lua_pop(L, 1);
    daoc__kdb_apply_custom_dao(L, ls, dao);
}

/* kong.db's __index: builds the DAO object of a loaded entity on first use
 * (entities loaded after install_kong appear too). */
static int db_index(lua_State *L)
{
    struct daoc__lua *ls = lua_touserdata(L, lua_upvalueindex(1));
    if (lua_type(L, 2) != LUA_TSTRING)
        return 0;
    daoc_dao *dao = daoc_db_dao(ls->db, lua_tostring(L, 2));
    if (!dao)
        return 0;
    push_dao_object(L, ls, dao);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -2);
    lua_rawset(L, 1);
    return 1;
}

/* ---- install ----------------------------------------------------------- */

/* Builds the `kong` table once per state and keeps it in the registry.  The
 * table the shims created (the global `kong`, which is also the sandbox's
 * `kong` that require "kong.singletons" reads) is filled in place, so every
 * environment sees the same kong.db. */
static void push_kong(lua_State *L, struct daoc__lua *ls)
{
    lua_getfield(L, LUA_REGISTRYINDEX, KONG_KEY);
    if (lua_istable(L, -1))
        return;
    lua_pop(L, 1);
    daoc__kdb_init_metatables(L);

    lua_getglobal(L, "kong");
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, KONG_KEY);

    lua_newtable(L); /* kong.db */
    lua_newtable(L);
    lua_pushlightuserdata(L, ls);
    lua_pushcclosure(L, db_index, 1);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "db");
    const char *strategy = "sqlite";
    if (daoc_db_dao_count(ls->db) > 0)
        strategy = daoc__kdb_strategy_name(ls->db->daos[0]);
    lua_pushstring(L, strategy);
    lua_setfield(L, -2, "strategy");
    daoc__kdb_push_connector(L, ls);
    lua_setfield(L, -2, "connector");
    /* DAO objects of the entities loaded so far, so pairs(kong.db) sees them */
    for (size_t i = 0; i < daoc_db_dao_count(ls->db); i++) {
        lua_getfield(L, -1, daoc_db_dao_name(ls->db, i));
        lua_pop(L, 1);
    }
    lua_pop(L, 1); /* kong.db */

    daoc__kdb_push_log(L, ls);
    lua_setfield(L, -2, "log");
    daoc__kdb_push_cache(L, ls); /* kong.cache and kong.core_cache: one cache here */
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "core_cache");
    lua_setfield(L, -2, "cache");
    if (ls->db->default_ws[0]) { /* Kong's id of the "default" workspace */
        lua_pushstring(L, ls->db->default_ws);
        lua_setfield(L, -2, "default_workspace");
    }
}

/* Protected body of daoc__lua_install_kong: (ls, env or nil). */
static int install(lua_State *L)
{
    struct daoc__lua *ls = lua_touserdata(L, 1);
    push_kong(L, ls);
    if (lua_isnil(L, 2)) {
        lua_pushvalue(L, -1);
        lua_setglobal(L, "kong");
        lua_getfield(L, LUA_REGISTRYINDEX, "daoc.dao05");
        lua_setglobal(L, "dao"); /* the 0.5 DAO factory global */
    } else {
        lua_pushvalue(L, -1);
        lua_setfield(L, 2, "kong");
        lua_getfield(L, LUA_REGISTRYINDEX, "daoc.dao05");
        lua_setfield(L, 2, "dao");
    }
    return 0;
}

int daoc__lua_install_kong(struct daoc__lua *ls, int env_idx, daoc_error **err)
{
    lua_State *L = ls->L;
    if (!lua_checkstack(L, 24))
        return DAOC_ENOMEM;
    if (env_idx < 0 && env_idx > LUA_REGISTRYINDEX)
        env_idx = lua_gettop(L) + env_idx + 1;
    lua_pushcfunction(L, install);
    lua_pushlightuserdata(L, ls);
    if (env_idx == 0)
        lua_pushnil(L);
    else
        lua_pushvalue(L, env_idx);
    int lrc = lua_pcall(L, 2, 0, 0);
    if (lrc != 0) {
        /* a custom DAO module that cannot be required (kongdb_custom.c) */
        const char *m = lrc == LUA_ERRMEM ? NULL : lua_tostring(L, -1);
        daoc_error *e = m && err ? daoc__lua_error(m) : NULL;
        lua_pop(L, 1);
        if (!m || (err && !e))
            return DAOC_ENOMEM;
        if (err)
            *err = e;
        return DAOC_ELUA;
    }
    return DAOC_OK;
}
