/*
 * kongdb_log.c -- kong.log: kong.log(...) and kong.log.<level>(...) (emerg
 * to debug), which join their arguments as ngx.log does and hand the line
 * to the database's log callback.
 */
#include "db/db.h"
#include "lua/kongdb.h"

/* Joins the arguments as ngx.log does (nil, booleans and ngx.null spelled
 * out, other values through tostring) and hands the line to the log
 * callback. */
static int log_at(lua_State *L, int first, daoc_log_level lvl)
{
    struct daoc__lua *ls = lua_touserdata(L, lua_upvalueindex(1));
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = first; i <= n; i++) {
        switch (lua_type(L, i)) {
        case LUA_TNIL:
            luaL_addstring(&b, "nil");
            break;
        case LUA_TBOOLEAN:
            luaL_addstring(&b, lua_toboolean(L, i) ? "true" : "false");
            break;
        case LUA_TLIGHTUSERDATA:
            if (lua_touserdata(L, i) == NULL) {
                luaL_addstring(&b, "null");
                break;
            }
            /* fallthrough */
        default:
            if (lua_type(L, i) == LUA_TSTRING || lua_type(L, i) == LUA_TNUMBER) {
                lua_pushvalue(L, i);
            } else {
                lua_getglobal(L, "tostring");
                lua_pushvalue(L, i);
                lua_call(L, 1, 1);
            }
            luaL_addvalue(&b);
            break;
        }
    }
    luaL_pushresult(&b);
    if (ls->db && ls->db->cfg && ls->db->cfg->log)
        ls->db->cfg->log(ls->db->cfg->log_ud, lvl, lua_tostring(L, -1));
    return 0;
}

static int log_call(lua_State *L) { return log_at(L, 2, DAOC_LOG_NOTICE); }
static int log_err(lua_State *L) { return log_at(L, 1, DAOC_LOG_ERR); }
static int log_warn(lua_State *L) { return log_at(L, 1, DAOC_LOG_WARN); }
static int log_notice(lua_State *L) { return log_at(L, 1, DAOC_LOG_NOTICE); }
static int log_info(lua_State *L) { return log_at(L, 1, DAOC_LOG_INFO); }
static int log_debug(lua_State *L) { return log_at(L, 1, DAOC_LOG_DEBUG); }

void daoc__kdb_push_log(lua_State *L, struct daoc__lua *ls)
{
    static const struct {
        const char *name;
        lua_CFunction fn;
    } levels[] = {{"emerg", log_err}, {"alert", log_err},   {"crit", log_err},
                  {"err", log_err},   {"warn", log_warn},   {"notice", log_notice},
                  {"info", log_info}, {"debug", log_debug}};
    lua_newtable(L);
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        lua_pushlightuserdata(L, ls);
        lua_pushcclosure(L, levels[i].fn, 1);
        lua_setfield(L, -2, levels[i].name);
    }
    lua_newtable(L);
    lua_pushlightuserdata(L, ls);
    lua_pushcclosure(L, log_call, 1);
    lua_setfield(L, -2, "__call");
    lua_setmetatable(L, -2);
}
