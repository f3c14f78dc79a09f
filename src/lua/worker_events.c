/*
 * worker_events.c -- the C half of kong.worker_events (shims.lua): the
 * handle's committed changes (daoc_db_on_crud) handed to the Lua side as
 * Kong's "dao:crud" event data, { operation, entity, old_entity,
 * entity_name, cache_keys }, for it to queue and deliver as Kong does
 * (asynchronously: at the next ngx.sleep, poll or the script's end).
 *   prim.crud_subscribe(fn)  fn(data) is called for every change from now
 *                            on (in the thread that made it, right after
 *                            its commit); a second call replaces fn.
 * The subscription ends with the state (daoc__lua_crud_off).
 */
#include "daoc.h"
#include "db/db.h"
#include "lua/lua_internal.h"

#define HANDLER_KEY "daoc.crud_handler"

static void on_crud(void *ud, const daoc_crud_event *ev)
{
    struct daoc__lua *ls = ud;
    lua_State *L = ls->L;
    if (!lua_checkstack(L, 8))
        return;
    int top = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, HANDLER_KEY);
    if (!lua_isfunction(L, -1)) {
        lua_settop(L, top);
        return;
    }
    lua_createtable(L, 0, 5);
    lua_pushstring(L, ev->operation);
    lua_setfield(L, -2, "operation");
    lua_pushstring(L, ev->entity_name);
    lua_setfield(L, -2, "entity_name");
    if (ev->entity && daoc__lua_push_value(ls, ev->entity) == DAOC_OK)
        lua_setfield(L, -2, "entity");
    if (ev->old_entity && daoc__lua_push_value(ls, ev->old_entity) == DAOC_OK)
        lua_setfield(L, -2, "old_entity");
    lua_createtable(L, (int)ev->ncache_keys, 0);
    for (size_t i = 0; i < ev->ncache_keys; i++) {
        lua_pushstring(L, ev->cache_keys[i]);
        lua_rawseti(L, -2, (int)i + 1);
    }
    lua_setfield(L, -2, "cache_keys");
    if (lua_pcall(L, 1, 0, 0) != 0) {
        const char *m = lua_tostring(L, -1);
        daoc_log_fn fn = NULL;
        void *lud = NULL;
        if (ls->db && ls->db->cfg) {
            fn = ls->db->cfg->log;
            lud = ls->db->cfg->log_ud;
        }
        if (fn)
            fn(lud, DAOC_LOG_ERR, m ? m : "kong.worker_events: the crud handler failed");
    }
    lua_settop(L, top);
}

static int l_crud_subscribe(lua_State *L)
{
    struct daoc__lua *ls = lua_touserdata(L, lua_upvalueindex(1));
    luaL_checktype(L, 1, LUA_TFUNCTION);
    if (!ls->db)
        return luaL_error(L, "kong.worker_events: no database handle");
    lua_pushvalue(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, HANDLER_KEY);
    if (!ls->crud_subscribed) {
        int rc = daoc_db_on_crud(ls->db, on_crud, ls);
        if (rc != DAOC_OK)
            return luaL_error(L, "kong.worker_events: %s", daoc_strerror(rc));
        ls->crud_subscribed = true;
    }
    return 0;
}

void daoc__lua_worker_events_prims(struct daoc__lua *ls)
{
    lua_State *L = ls->L;
    lua_pushlightuserdata(L, ls);
    lua_pushcclosure(L, l_crud_subscribe, 1);
    lua_setfield(L, -2, "crud_subscribe");
}

void daoc__lua_crud_off(struct daoc__lua *ls)
{
    if (ls->crud_subscribed && ls->db)
        daoc__db_crud_off(ls->db, on_crud, ls);
    ls->crud_subscribed = false;
}
