/*
 * api.c -- a plugin's own Admin API routes (kong.plugins.<p>.api), the C
 * side of admin_api.lua: loading the enabled plugins' api modules into
 * this state and running one request's handler in it.
 *
 * The bridge chunk (admin_api.lua) runs on first use, in this state, with
 * the sandbox and the 0.5 DAO factory; the modules it offers plugin files
 * (kong.api.endpoints, kong.api.crud_helpers, kong.tools.responses,
 * lapis.application) join the sandbox's preloaded shims then.  Route
 * lists are in a fixed order (plugins as enabled, paths sorted), so that
 * every database handle of a process numbers them alike.  A handler runs
 * as plugin code does: inside the instruction budget, its failure a
 * response (500), never a crash.  The generated endpoints a handler
 * reaches (parent(), kong.api.endpoints) are answered by the caller's
 * callback, so this layer never knows the Admin API's C side.
 */
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "lua/lua_internal.h"

extern const unsigned char daoc__lua_src_admin_api[];
extern const size_t daoc__lua_src_admin_api_len;

#define BRIDGE_KEY "daoc.admin_api"

/* exists(name): whether module name has a file on package.path. */
static int l_exists(lua_State *L)
{
    struct daoc__lua *ls = lua_touserdata(L, lua_upvalueindex(1));
    bool oom = false;
    char *path = daoc__lua_search_path(ls, luaL_checkstring(L, 1), &oom);
    if (oom)
        return luaL_error(L, "not enough memory");
    lua_pushboolean(L, path != NULL);
    daoc__free(path);
    return 1;
}

/* Pushes the bridge's table, running the chunk once.  Raises. */
static void push_bridge(lua_State *L, struct daoc__lua *ls)
{
    lua_getfield(L, LUA_REGISTRYINDEX, BRIDGE_KEY);
    if (lua_istable(L, -1))
        return;
    lua_pop(L, 1);
    if (luaL_loadbuffer(L, (const char *)daoc__lua_src_admin_api, daoc__lua_src_admin_api_len,
                        "=[daoc admin_api]") != 0)
        lua_error(L);
    daoc__lua_push_sandbox(ls);
    lua_getfield(L, LUA_REGISTRYINDEX, "daoc.dao05");
    lua_getfield(L, LUA_REGISTRYINDEX, "daoc.preload");
    lua_call(L, 3, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, BRIDGE_KEY);
}

static int fail_lua(lua_State *L, int lrc, daoc_error **err)
{
    const char *m = lrc == LUA_ERRMEM ? NULL : lua_tostring(L, -1);
    daoc_error *e = m && err ? daoc__lua_error(m) : NULL;
    lua_pop(L, 1);
    if (!m || (err && !e))
        return DAOC_ENOMEM;
    if (err)
        *err = e;
    return DAOC_ELUA;
}

/* ---- the route list -------------------------------------------------------- */

struct routes_ctx {
    struct daoc__lua *ls;
    const char *const *plugins;
    size_t n;
};

/* Under lua_pcall: bridge.load(plugins, exists) -> the list. */
static int routes_protected(lua_State *L)
{
    struct routes_ctx *cx = lua_touserdata(L, 1);
    lua_settop(L, 0);
    push_bridge(L, cx->ls);
    lua_getfield(L, -1, "load");
    lua_createtable(L, (int)cx->n, 0);
    for (size_t i = 0; i < cx->n; i++) {
        lua_pushstring(L, cx->plugins[i]);
        lua_rawseti(L, -2, (int)i + 1);
    }
    lua_pushlightuserdata(L, cx->ls);
    lua_pushcclosure(L, l_exists, 1);
    lua_call(L, 2, 1);
    return 1;
}

/* One route of the Lua list (table at the top) as the public object. */
static daoc_value *route_value(lua_State *L)
{
    daoc_value *o = daoc_obj(), *methods = daoc_arr();
    bool ok = o && methods;
    lua_getfield(L, -1, "plugin");
    ok = ok && daoc_obj_set(o, "plugin", daoc_str(lua_tostring(L, -1))) == DAOC_OK;
    lua_getfield(L, -2, "path");
    ok = ok && daoc_obj_set(o, "path", daoc_str(lua_tostring(L, -1))) == DAOC_OK;
    lua_pop(L, 2);
    lua_getfield(L, -1, "methods");
    for (int i = 1; ok && lua_istable(L, -1); i++) {
        lua_rawgeti(L, -1, i);
        const char *m = lua_tostring(L, -1);
        if (m)
            ok = daoc_arr_push(methods, daoc_str(m)) == DAOC_OK;
        lua_pop(L, 1);
        if (!m)
            break;
    }
    lua_pop(L, 1);
    ok = ok && daoc_obj_set(o, "methods", methods) == DAOC_OK;
    if (!ok)
        daoc_value_free(methods);
    lua_getfield(L, -1, "before");
    ok = ok && daoc_obj_set(o, "before", daoc_bool(lua_toboolean(L, -1))) == DAOC_OK;
    lua_getfield(L, -2, "schema");
    if (ok && lua_type(L, -1) == LUA_TSTRING)
        ok = daoc_obj_set(o, "schema", daoc_str(lua_tostring(L, -1))) == DAOC_OK;
    lua_getfield(L, -3, "new");
    ok = ok && daoc_obj_set(o, "style", daoc_str(lua_toboolean(L, -1) ? "new" : "old")) == DAOC_OK;
    lua_pop(L, 3);
    if (!ok) {
        daoc_value_free(o);
        return NULL;
    }
    return o;
}

int daoc__lua_api_routes(struct daoc__lua *ls, const char *const *plugins, size_t n,
                         daoc_value **routes, daoc_error **err)
{
    lua_State *L = ls->L;
    *routes = NULL;
    if (!lua_checkstack(L, 16))
        return DAOC_ENOMEM;
    struct routes_ctx cx = {ls, plugins, n};
    int top = lua_gettop(L);
    lua_pushcfunction(L, routes_protected);
    lua_pushlightuserdata(L, &cx);
    /* loading a plugin's module runs plugin code: budgeted */
    daoc__lua_budget_begin(ls, NULL);
    int lrc = lua_pcall(L, 1, 1, 0);
    daoc__lua_budget_end(ls);
    if (lrc != 0)
        return fail_lua(L, lrc, err);
    daoc_value *list = daoc_arr();
    for (int i = 1; list && lua_istable(L, -1); i++) {
        lua_rawgeti(L, -1, i);
        if (!lua_istable(L, -1)) {
            lua_pop(L, 1);
            break;
        }
        daoc_value *r = route_value(L);
        lua_pop(L, 1);
        if (!r || daoc_arr_push(list, r) != DAOC_OK) {
            daoc_value_free(r);
            daoc_value_free(list);
            list = NULL;
        }
    }
    lua_settop(L, top);
    if (!list)
        return DAOC_ENOMEM;
    ls->api_loaded = true;
    ls->api_nroutes = daoc_value_len(list);
    *routes = list;
    return DAOC_OK;
}

/* ---- one request --------------------------------------------------------------- */

struct gen {
    struct daoc__lua *ls;
    daoc_api_generated_fn fn;
    void *ud;
};

/* generated(desc) -> status, body, headers: the caller's answer. */
static int l_generated(lua_State *L)
{
    struct gen *g = lua_touserdata(L, lua_upvalueindex(1));
    daoc_value *desc = NULL;
    const char *why = NULL;
    if (daoc__lua_to_value(g->ls, 1, &desc, &why) != DAOC_OK)
        return luaL_error(L, "cannot pass the request to a generated endpoint: %s",
                          why ? why : "not enough memory");
    daoc_api_reply reply;
    memset(&reply, 0, sizeof reply);
    int rc = g->fn(g->ud, desc, &reply);
    daoc_value_free(desc);
    if (rc != DAOC_OK) {
        daoc_api_reply_free(&reply);
        return luaL_error(L, "generated endpoint failed: %s", daoc_strerror(rc));
    }
    lua_pushinteger(L, reply.status);
    lua_pushlstring(L, reply.body ? reply.body : "", reply.body_len);
    lua_newtable(L);
    for (size_t i = 0; reply.headers && i < daoc_value_len(reply.headers); i++) {
        const daoc_value *v = NULL;
        const char *k = daoc_obj_key_at(reply.headers, i, &v);
        const char *s = v ? daoc_value_str(v, NULL) : NULL;
        if (k && s) {
            lua_pushstring(L, s);
            lua_setfield(L, -2, k);
        }
    }
    daoc_api_reply_free(&reply);
    return 3;
}

struct call_ctx {
    struct daoc__lua *ls;
    size_t route;
    const daoc_value *request;
    struct gen *g;
};

/* Under the budgeted pcall: bridge.call(i, req, generated). */
static int call_protected(lua_State *L)
{
    struct call_ctx *cx = lua_touserdata(L, 1);
    lua_settop(L, 0);
    push_bridge(L, cx->ls);
    lua_getfield(L, -1, "call");
    lua_pushinteger(L, (lua_Integer)cx->route);
    if (daoc__lua_push_value(cx->ls, cx->request) != DAOC_OK)
        return luaL_error(L, "not enough memory");
    lua_pushlightuserdata(L, cx->g);
    lua_pushcclosure(L, l_generated, 1);
    lua_call(L, 3, 3);
    return 3;
}

/* The headers table at idx as an object of strings. */
static daoc_value *headers_value(lua_State *L, int idx)
{
    daoc_value *o = daoc_obj();
    if (!o || !lua_istable(L, idx))
        return o;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_isstring(L, -1) &&
            daoc_obj_set(o, lua_tostring(L, -2), daoc_str(lua_tostring(L, -1))) != DAOC_OK) {
            lua_pop(L, 2);
            daoc_value_free(o);
            return NULL;
        }
        lua_pop(L, 1);
    }
    return o;
}

int daoc__lua_api_call(struct daoc__lua *ls, const char *const *plugins, size_t nplugins,
                       size_t route, const daoc_value *request, daoc_api_generated_fn generated,
                       void *ud, daoc_api_reply *reply, daoc_error **err)
{
    lua_State *L = ls->L;
    memset(reply, 0, sizeof *reply);
    if (!ls->api_loaded) { /* this state's first request: its modules load */
        daoc_value *routes = NULL;
        int rc = daoc__lua_api_routes(ls, plugins, nplugins, &routes, err);
        daoc_value_free(routes);
        if (rc != DAOC_OK)
            return rc;
    }
    if (route >= ls->api_nroutes)
        return DAOC_EINVAL;
    if (!lua_checkstack(L, 16))
        return DAOC_ENOMEM;
    struct gen g = {ls, generated, ud};
    struct call_ctx cx = {ls, route, request, &g};
    int top = lua_gettop(L);
    lua_pushcfunction(L, call_protected);
    lua_pushlightuserdata(L, &cx);
    int lrc = daoc__lua_pcall_budgeted(ls, L, 1, 3, 0);
    if (lrc != 0) {
        int rc = fail_lua(L, lrc, err);
        lua_settop(L, top);
        return rc;
    }
    size_t n = 0;
    const char *body = lua_tolstring(L, top + 2, &n);
    reply->status = (int)lua_tointeger(L, top + 1);
    if (body && n) {
        reply->body = daoc__malloc(n);
        if (reply->body) {
            memcpy(reply->body, body, n);
            reply->body_len = n;
        }
    }
    reply->headers = headers_value(L, top + 3);
    lua_settop(L, top);
    if ((body && n && !reply->body) || !reply->headers) {
        daoc_api_reply_free(reply);
        return DAOC_ENOMEM;
    }
    return DAOC_OK;
}

void daoc_api_reply_free(daoc_api_reply *reply)
{
    if (!reply)
        return;
    daoc__free(reply->body);
    daoc_value_free(reply->headers);
    memset(reply, 0, sizeof *reply);
}
