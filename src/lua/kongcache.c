/*
 * kongcache.c -- kong.cache (and kong.core_cache, the same cache here) for
 * Lua code: mlcache's methods over the handle's entity cache (daoc_cache_*,
 * the one daoc_db_set_cache gave or the handle's own):
 *   get(key, opts, cb, ...)    -> value, err, hit_level (1 memory, 3 the
 *                                 callback ran, 4 a stale value resurrected;
 *                                 -1 absent with no callback); cb(...) returns
 *                                 value, err: a nil value is a cached miss,
 *                                 an err fails the get ("failed to get from
 *                                 node cache: <err>") and caches nothing; a
 *                                 third value, a number, is the entry's ttl
 *                                 (neg_ttl for a miss; < 0: not cached)
 *   get_bulk(bulk, opts)       -> { v1, err1, hit1, ..., n = n } for
 *                                 bulk = { key, opts, cb, arg, ..., n = n }
 *   probe(key)                 -> ttl, err, value (nil when absent or stale)
 *   renew(key, opts, cb, ...)  -> value, err, ttl: the callback runs now
 *   invalidate(key), invalidate_local(key), purge()
 * opts: ttl, neg_ttl, resurrect_ttl (seconds).  Values are copied in as
 * data (tables, strings, numbers, booleans); a function in a value is
 * refused, since other threads read the same entry.  Out, each Lua state
 * keeps its copy of a table it read next to a reference on the entry
 * (Kong's L1, mlcache's lrucache): a get finds the copy and, while the
 * entry is still the key's live one (daoc_cache_still: not replaced,
 * invalidated, evicted or expired), answers it -- the same table again,
 * which callers must not modify, as in Kong -- instead of copying the
 * value out anew (a scalar is copied: as quick as the lookup).  At most
 * L1_MAX copies (Kong's L1 size) while the state holds less than half its
 * lua_memory_limit; past either, all are dropped at once.
 */
#include <string.h>

#include "daoc.h"
#include "db/db.h"
#include "lua/kongdb.h"
#include "lua/lua_internal.h"

#define L1_MAX 500000 /* Kong's LRU_SIZE (kong/cache/init.lua) */
#define L1_REF_MT "daoc.cache_l1_ref"

static int l1_ref_gc(lua_State *L)
{
    daoc_cache_ref **u = lua_touserdata(L, 1);
    if (u && *u) {
        daoc_cache_release(*u);
        *u = NULL;
    }
    return 0;
}

/* Drops every copy (their references go with the tables' collection). */
static void l1_reset(lua_State *L, struct daoc__lua *ls)
{
    if (ls->l1_vals) {
        luaL_unref(L, LUA_REGISTRYINDEX, ls->l1_vals);
        luaL_unref(L, LUA_REGISTRYINDEX, ls->l1_refs);
    }
    ls->l1_vals = ls->l1_refs = 0;
    ls->l1_n = 0;
}

/* The copy of key (at k) when its entry is still live: pushed, true. */
static bool l1_hit(lua_State *L, struct daoc__lua *ls, daoc_cache *c, int k)
{
    if (!ls->l1_vals)
        return false;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ls->l1_refs);
    lua_pushvalue(L, k);
    lua_rawget(L, -2);
    daoc_cache_ref **u = lua_touserdata(L, -1);
    bool live = u && *u && daoc_cache_still(c, *u);
    lua_pop(L, 2);
    if (!live)
        return false;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ls->l1_vals);
    lua_pushvalue(L, k);
    lua_rawget(L, -2);
    lua_remove(L, -2);
    return true;
}

/* Keeps the value at the top (ref's copy) for key (at k), taking over ref. */
static void l1_keep(lua_State *L, struct daoc__lua *ls, int k, daoc_cache_ref *ref)
{
    ref = daoc_cache_keep(ref); /* held for long: off the thread's borrowed slots */
    if (!ref)
        return;
    if (!lua_checkstack(L, 6)) {
        daoc_cache_release(ref);
        return;
    }
    /* bounded by count, and by the state's memory: past half its
     * lua_memory_limit the copies go (and are collected) */
    if (ls->l1_n >= L1_MAX || (ls->mem_limit && ls->mem_used > ls->mem_limit / 2))
        l1_reset(L, ls);
    if (!ls->l1_vals) {
        lua_newtable(L);
        ls->l1_vals = luaL_ref(L, LUA_REGISTRYINDEX);
        lua_newtable(L);
        ls->l1_refs = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    int v = lua_gettop(L);
    daoc_cache_ref **u = lua_newuserdata(L, sizeof *u);
    *u = ref;
    if (luaL_newmetatable(L, L1_REF_MT)) {
        lua_pushcfunction(L, l1_ref_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    lua_rawgeti(L, LUA_REGISTRYINDEX, ls->l1_refs);
    lua_pushvalue(L, k);
    lua_rawget(L, -2);
    bool had = !lua_isnil(L, -1);
    lua_pop(L, 1);
    lua_pushvalue(L, k);
    lua_pushvalue(L, v + 1); /* the userdata */
    lua_rawset(L, -3);
    lua_pop(L, 2); /* refs, userdata */
    lua_rawgeti(L, LUA_REGISTRYINDEX, ls->l1_vals);
    lua_pushvalue(L, k);
    lua_pushvalue(L, v);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    if (!had)
        ls->l1_n++;
}

/* Forgets key's copy (at k). */
static void l1_drop(lua_State *L, struct daoc__lua *ls, int k)
{
    if (!ls->l1_vals)
        return;
    int refs[2] = {ls->l1_refs, ls->l1_vals};
    for (int i = 0; i < 2; i++) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, refs[i]);
        lua_pushvalue(L, k);
        lua_pushnil(L);
        lua_rawset(L, -3);
        lua_pop(L, 1);
    }
}

static struct daoc__lua *state_of(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

static daoc_cache *cache_of(lua_State *L, struct daoc__lua *ls)
{
    daoc_error *err = NULL;
    daoc_cache *c = daoc__db_cache(ls->db, &err);
    if (!c) {
        lua_pushfstring(L, "kong.cache: %s", err ? daoc_error_message(err) : "out of memory");
        daoc_error_free(err);
        lua_error(L);
    }
    return c;
}

static const char *key_arg(lua_State *L, int idx, size_t *n)
{
    if (lua_type(L, idx) != LUA_TSTRING)
        luaL_error(L, "key must be a string");
    const char *k = lua_tolstring(L, idx, n);
    if (*n == 0)
        luaL_error(L, "key must be a non-empty string");
    return k;
}

static double opt_num(lua_State *L, int opts, const char *name)
{
    if (!lua_istable(L, opts))
        return -1;
    lua_getfield(L, opts, name);
    double v = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : -1;
    if (!lua_isnil(L, -1) && !lua_isnumber(L, -1))
        luaL_error(L, "opts.%s must be a number", name);
    lua_pop(L, 1);
    if (v != v || (v < 0 && v != -1))
        luaL_error(L, "opts.%s must be >= 0", name);
    return v;
}

static daoc_cache_get_opts opts_of(lua_State *L, int idx)
{
    daoc_cache_get_opts o = DAOC_CACHE_GET_OPTS_INIT;
    if (!lua_isnoneornil(L, idx) && !lua_istable(L, idx))
        luaL_error(L, "opts must be a table");
    o.ttl = opt_num(L, idx, "ttl");
    o.neg_ttl = opt_num(L, idx, "neg_ttl");
    o.resurrect_ttl = opt_num(L, idx, "resurrect_ttl");
    return o;
}

static bool has_function(const daoc_value *v)
{
    switch (daoc_value_type(v)) {
    case DAOC_TFUNC:
        return true;
    case DAOC_TARR:
        for (size_t i = 0; i < daoc_value_len(v); i++)
            if (has_function(daoc_arr_get(v, i)))
                return true;
        return false;
    case DAOC_TOBJ:
        for (size_t i = 0; i < daoc_value_len(v); i++) {
            const daoc_value *m = NULL;
            (void)daoc_obj_key_at(v, i, &m);
            if (m && has_function(m))
                return true;
        }
        return false;
    default:
        return false;
    }
}

/* The Lua callback of one get: cb at `cb`, its nargs arguments after it. */
typedef struct loader_ctx {
    lua_State *L;
    struct daoc__lua *ls;
    int cb, nargs;
} loader_ctx;

static int lua_loader(void *ud, const char *key, size_t keylen, daoc_value **value, char *err,
                      size_t errlen)
{
    (void)key;
    (void)keylen;
    loader_ctx *x = ud;
    lua_State *L = x->L;
    int top = lua_gettop(L);
    if (!lua_checkstack(L, x->nargs + 4))
        return DAOC_ENOMEM;
    for (int i = 0; i <= x->nargs; i++)
        lua_pushvalue(L, x->cb + i);
    if (lua_pcall(L, x->nargs, 3, 0) != 0) {
        snprintf(err, errlen, "callback threw an error: %s",
                 lua_isstring(L, -1) ? lua_tostring(L, -1) : "(not a string)");
        lua_settop(L, top);
        return DAOC_ESTORE;
    }
    int rc = DAOC_OK;
    /* value, err, ttl: mlcache's ttl override (a number; < 0: not cached) */
    if (lua_type(L, -1) == LUA_TNUMBER && lua_isnil(L, -2))
        daoc_cache_load_ttl(lua_tonumber(L, -1));
    lua_pop(L, 1);
    if (lua_isnil(L, -2)) {
        if (!lua_isnil(L, -1)) {
            snprintf(err, errlen, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "error");
            rc = DAOC_ESTORE;
        }
    } else {
        const char *why = NULL;
        rc = daoc__lua_to_value(x->ls, -2, value, &why);
        if (rc == DAOC_OK && has_function(*value)) {
            daoc_value_free(*value);
            *value = NULL;
            why = "a value with a function cannot be cached";
            rc = DAOC_EINVAL;
        }
        if (rc != DAOC_OK && why)
            snprintf(err, errlen, "%s", why);
    }
    lua_settop(L, top);
    return rc;
}

/* Pushes ref's value (nil for none) and releases it. */
static void push_ref(lua_State *L, struct daoc__lua *ls, daoc_cache_ref *ref)
{
    if (!ref) {
        lua_pushnil(L);
        return;
    }
    int rc = daoc__lua_push_value(ls, daoc_cache_value(ref));
    daoc_cache_release(ref);
    if (rc != DAOC_OK)
        luaL_error(L, "not enough memory");
}

/* One get of key at k, opts at o, cb at cb (nil: none) with nargs args. */
static int do_get(lua_State *L, struct daoc__lua *ls, int k, int o, int cb, int nargs)
{
    size_t n = 0;
    const char *key = key_arg(L, k, &n);
    daoc_cache_get_opts opts = opts_of(L, o);
    bool has_cb = !lua_isnoneornil(L, cb);
    if (has_cb && !lua_isfunction(L, cb))
        luaL_error(L, "callback must be a function");
    daoc_cache *c = cache_of(L, ls);
    if (l1_hit(L, ls, c, k)) {
        lua_pushnil(L);
        lua_pushinteger(L, 1);
        return 3;
    }
    loader_ctx x = {L, ls, cb, nargs};
    daoc_cache_ref *ref = NULL;
    int level = 0;
    daoc_error *err = NULL;
    int rc = daoc_cache_get(c, key, n, &opts, has_cb ? lua_loader : NULL, &x, &ref, &level, &err);
    if (rc != DAOC_OK) {
        lua_pushnil(L);
        lua_pushfstring(L, "failed to get from node cache: %s",
                        err ? daoc_error_message(err) : daoc_strerror(rc));
        lua_pushnil(L);
        daoc_error_free(err);
        return 3;
    }
    if (!ref) {
        lua_pushnil(L);
    } else {
        if (daoc__lua_push_value(ls, daoc_cache_value(ref)) != DAOC_OK) {
            daoc_cache_release(ref);
            luaL_error(L, "not enough memory");
        }
        if (lua_istable(L, -1))
            l1_keep(L, ls, k, ref); /* the copy is kept: the next get may answer it */
        else
            daoc_cache_release(ref); /* a scalar is as quick to copy as to look up */
    }
    lua_pushnil(L);
    lua_pushinteger(L, level);
    return 3;
}

static int l_get(lua_State *L) /* self, key, opts, cb, ... */
{
    int nargs = lua_gettop(L) > 4 ? lua_gettop(L) - 4 : 0;
    if (lua_gettop(L) < 4)
        lua_settop(L, 4);
    return do_get(L, state_of(L), 2, 3, 4, nargs);
}

static int l_get_bulk(lua_State *L) /* self, bulk, opts */
{
    struct daoc__lua *ls = state_of(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_getfield(L, 2, "n");
    int n = lua_isnumber(L, -1) ? (int)lua_tointeger(L, -1) : -1;
    lua_pop(L, 1);
    if (n < 0)
        luaL_error(L, "bulk.n must be a number");
    lua_createtable(L, 3 * n, 1);
    int res = lua_gettop(L);
    for (int i = 0; i < n; i++) {
        int base = lua_gettop(L);
        for (int j = 1; j <= 4; j++)
            lua_rawgeti(L, 2, 4 * i + j); /* key, opts, cb, arg */
        if (lua_isnil(L, base + 2))
            lua_pushvalue(L, 3), lua_replace(L, base + 2); /* the bulk's opts */
        do_get(L, ls, base + 1, base + 2, base + 3, 1);
        for (int j = 3; j >= 1; j--)
            lua_rawseti(L, res, 3 * i + j);
        lua_settop(L, base);
    }
    lua_pushinteger(L, n);
    lua_setfield(L, res, "n");
    return 1;
}

static int l_probe(lua_State *L)
{
    struct daoc__lua *ls = state_of(L);
    size_t n = 0;
    const char *key = key_arg(L, 2, &n);
    daoc_cache_ref *ref = NULL;
    double ttl = 0;
    bool stale = false;
    int rc = daoc_cache_peek(cache_of(L, ls), key, n, &ref, &ttl, &stale);
    if (rc != DAOC_OK || stale) {
        daoc_cache_release(ref);
        lua_pushnil(L);
        return 1;
    }
    lua_pushnumber(L, ttl);
    lua_pushnil(L);
    push_ref(L, ls, ref);
    return 3;
}

static int l_renew(lua_State *L) /* self, key, opts, cb, ... */
{
    struct daoc__lua *ls = state_of(L);
    int nargs = lua_gettop(L) > 4 ? lua_gettop(L) - 4 : 0;
    if (lua_gettop(L) < 4)
        lua_settop(L, 4);
    size_t n = 0;
    const char *key = key_arg(L, 2, &n);
    daoc_cache_get_opts opts = opts_of(L, 3);
    luaL_checktype(L, 4, LUA_TFUNCTION);
    loader_ctx x = {L, ls, 4, nargs};
    daoc_cache_ref *ref = NULL;
    daoc_error *err = NULL;
    daoc_cache *c = cache_of(L, ls);
    int rc = daoc_cache_renew(c, key, n, &opts, lua_loader, &x, &ref, &err);
    if (rc != DAOC_OK) {
        lua_pushnil(L);
        lua_pushfstring(L, "failed to renew from node cache: %s",
                        err ? daoc_error_message(err) : daoc_strerror(rc));
        daoc_error_free(err);
        return 2;
    }
    double ttl = 0;
    if (daoc_cache_peek(c, key, n, NULL, &ttl, NULL) != DAOC_OK)
        ttl = 0; /* invalidated meanwhile */
    push_ref(L, ls, ref);
    lua_pushnil(L);
    lua_pushnumber(L, ttl);
    return 3;
}

static int l_invalidate(lua_State *L)
{
    size_t n = 0;
    const char *key = key_arg(L, 2, &n);
    (void)daoc_cache_invalidate(cache_of(L, state_of(L)), key, n);
    l1_drop(L, state_of(L), 2);
    return 0;
}

static int l_invalidate_local(lua_State *L)
{
    size_t n = 0;
    const char *key = key_arg(L, 2, &n);
    (void)daoc_cache_invalidate_local(cache_of(L, state_of(L)), key, n);
    l1_drop(L, state_of(L), 2);
    return 0;
}

static int l_purge(lua_State *L)
{
    daoc_cache_purge(cache_of(L, state_of(L)));
    l1_reset(L, state_of(L));
    return 0;
}

void daoc__kdb_push_cache(lua_State *L, struct daoc__lua *ls)
{
    static const luaL_Reg fns[] = {{"get", l_get},
                                   {"get_bulk", l_get_bulk},
                                   {"probe", l_probe},
                                   {"renew", l_renew},
                                   {"invalidate", l_invalidate},
                                   {"invalidate_local", l_invalidate_local},
                                   {"purge", l_purge},
                                   {NULL, NULL}};
    lua_newtable(L);
    for (const luaL_Reg *r = fns; r->name; r++) {
        lua_pushlightuserdata(L, ls);
        lua_pushcclosure(L, r->func, 1);
        lua_setfield(L, -2, r->name);
    }
}
