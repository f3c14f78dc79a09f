/*
 * state.c -- the life of a daoc__lua: creating the LuaJIT state of a
 * daoc_db (standard libraries, package.path from the configuration, the
 * shims and the sandbox that shims.lua builds), closing it, and the error
 * object Lua failures turn into.
 *
 * What plugin files may see is decided by shims.lua and sandbox.c; this file
 * only wires them together.  Every step runs inside lua_cpcall so that a Lua
 * allocation failure is a status, never a panic.  The state's allocator
 * counts what it holds and refuses to grow past lua_memory_limit, so a
 * plugin file that allocates without end fails with Lua's "not enough
 * memory" (named with its file by defs.c) instead of taking the process.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <luajit.h>

#include "core/alloc.h"
#include "core/error.h"
#include "db/db.h"
#include "lua/lib/lib.h"
#include "lua/lua_internal.h"

#define DEFAULT_BUDGET 50000000L

extern const unsigned char daoc__lua_src_legacy_dao[];
extern const size_t daoc__lua_src_legacy_dao_len;
extern const unsigned char daoc__lua_src_shims[];
extern const size_t daoc__lua_src_shims_len;
extern const unsigned char daoc__lua_src_typedefs[];
extern const size_t daoc__lua_src_typedefs_len;

daoc_error *daoc__lua_error(const char *message)
{
    char *m = daoc__strdup(message ? message : "unknown Lua error");
    if (!m)
        return NULL;
    return daoc__err_plain("lua error", m);
}

static void load_embedded(lua_State *L, const unsigned char *src, size_t len, const char *name)
{
    if (luaL_loadbuffer(L, (const char *)src, len, name) != 0)
        lua_error(L);
}

/* Runs under lua_cpcall: libraries, package.path, shims, sandbox. */
static int setup(lua_State *L)
{
    struct daoc__lua *ls = lua_touserdata(L, 1);
    lua_settop(L, 0);

    luaL_openlibs(L);
    daoc__lua_sandbox_register(ls);
    daoc__lua_convert_init(ls);

    lua_getglobal(L, "package");
    const char *ppath = ls->db && ls->db->cfg && ls->db->cfg->lua_package_path
                            ? ls->db->cfg->lua_package_path
                            : "./?.lua;./?/init.lua";
    lua_pushstring(L, ppath);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);

    load_embedded(L, daoc__lua_src_shims, daoc__lua_src_shims_len, "=[daoc shims]");
    lua_newtable(L); /* prim */
    daoc__lua_shim_prims(ls);
    daoc__lua_worker_events_prims(ls);
    daoc__lua_sandbox_prims(L);
    daoc__lua_lib_prims(L);
    load_embedded(L, daoc__lua_src_typedefs, daoc__lua_src_typedefs_len, "=[daoc typedefs]");
    lua_setfield(L, -2, "typedefs_chunk");
    load_embedded(L, daoc__lua_src_legacy_dao, daoc__lua_src_legacy_dao_len, "=[daoc legacy_dao]");
    lua_setfield(L, -2, "legacy_dao_chunk");
    lua_call(L, 1, 1);

    lua_getfield(L, -1, "array_mt");
    lua_setfield(L, LUA_REGISTRYINDEX, DAOC__LUA_ARRAY_MT);
    lua_getfield(L, -1, "empty_array_mt");
    lua_setfield(L, LUA_REGISTRYINDEX, DAOC__LUA_EMPTY_ARRAY_MT);
    lua_getfield(L, -1, "legacy_extract");
    lua_setfield(L, LUA_REGISTRYINDEX, "daoc.legacy_extract");
    lua_getfield(L, -1, "plugin_schema_extract");
    lua_setfield(L, LUA_REGISTRYINDEX, "daoc.plugin_schema_extract");
    lua_getfield(L, -1, "dao05");
    lua_setfield(L, LUA_REGISTRYINDEX, "daoc.dao05");
    lua_getfield(L, -1, "db_errors");
    lua_setfield(L, LUA_REGISTRYINDEX, "daoc.db_errors");
    lua_getfield(L, -1, "preload");
    lua_setfield(L, LUA_REGISTRYINDEX, "daoc.preload");
    lua_getfield(L, -1, "sandbox");
    ls->sandbox_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);

    /* kong.configuration, before any plugin file loads (configuration.c) */
    lua_getglobal(L, "kong");
    if (lua_istable(L, -1)) {
        daoc__lua_push_configuration(L, ls->db ? ls->db->cfg : NULL);
        lua_setfield(L, -2, "configuration");
    }
    lua_pop(L, 1);
    return 0;
}

/* The bytes every state of the process holds, as each last published its
 * own (within PUBLISH_STEP of the truth per state): /status reads it. */
static _Atomic long long process_lua_bytes;
#define PUBLISH_STEP (64 * 1024)

static void publish(struct daoc__lua *ls, bool always)
{
    long long diff = (long long)ls->mem_used - ls->mem_published;
    if (always || diff >= PUBLISH_STEP || diff <= -PUBLISH_STEP) {
        atomic_fetch_add_explicit(&process_lua_bytes, diff, memory_order_relaxed);
        ls->mem_published = (long long)ls->mem_used;
    }
}

size_t daoc_lua_memory(void)
{
    long long n = atomic_load_explicit(&process_lua_bytes, memory_order_relaxed);
    return n > 0 ? (size_t)n : 0;
}

/* lua_Alloc over the C heap, bounded by ls->mem_limit. */
static void *bounded_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct daoc__lua *ls = ud;
    if (nsize == 0) {
        free(ptr);
        ls->mem_used -= ptr ? osize : 0;
        publish(ls, false);
        return NULL;
    }
    size_t old = ptr ? osize : 0;
    if (ls->mem_limit && nsize > old && ls->mem_used - old + nsize > ls->mem_limit)
        return NULL;
    void *p = realloc(ptr, nsize);
    if (p) {
        ls->mem_used = ls->mem_used - old + nsize;
        publish(ls, false);
    }
    return p;
}

int daoc__lua_open(daoc_db *db, struct daoc__lua **out, daoc_error **err)
{
    struct daoc__lua *ls = NULL;
    int rc = DAOC_ENOMEM;

    *out = NULL;
    if (err)
        *err = NULL;
    ls = daoc__calloc(1, sizeof *ls);
    if (!ls)
        goto fail;
    ls->db = db;
    ls->sandbox_ref = LUA_NOREF;
    ls->budget = DEFAULT_BUDGET;
    ls->mem_limit = db && db->cfg ? db->cfg->lua_memory_limit : (size_t)512 << 20;
    ls->L = lua_newstate(bounded_alloc, ls);
    if (!ls->L)
        goto fail;
    if (lua_cpcall(ls->L, setup, ls) != 0) {
        const char *msg = lua_tostring(ls->L, -1);
        rc = msg && strstr(msg, "not enough memory") ? DAOC_ENOMEM : DAOC_ELUA;
        if (err && rc == DAOC_ELUA)
            *err = daoc__lua_error(msg);
        goto fail;
    }
    *out = ls;
    return DAOC_OK;
fail:
    daoc__lua_close(ls);
    return rc;
}

void daoc__lua_close(struct daoc__lua *ls)
{
    if (!ls)
        return;
    daoc__lua_crud_off(ls);
    if (ls->L)
        lua_close(ls->L);
    ls->mem_used = 0;
    publish(ls, true);
    daoc__free(ls);
}
