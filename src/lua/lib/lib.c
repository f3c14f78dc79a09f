/*
 * lib.c -- hands the libraries of src/lua/lib/ to shims.lua: the compiled
 * libs.lua (which gives the modules their OpenResty/Kong shapes) and the
 * `clib` table of C primitives each family file fills, and the loader of
 * modules from the system's Lua directory (Debian's Penlight, luasocket).
 */
#include "lua/lib/lib.h"
#include "lua/lua_internal.h"

/* Where Debian's pure-Lua packages (lua-penlight, lua-socket) install. */
#define SYSTEM_LUA_PATH "/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua"

extern const unsigned char daoc__lua_src_lib_libs[];
extern const size_t daoc__lua_src_lib_libs_len;
extern const unsigned char daoc__lua_src_lib_stringy[];
extern const size_t daoc__lua_src_lib_stringy_len;
extern const unsigned char daoc__lua_src_lib_iputils[];
extern const size_t daoc__lua_src_lib_iputils_len;
extern const unsigned char daoc__lua_src_lib_db_errors[];
extern const size_t daoc__lua_src_lib_db_errors_len;
extern const unsigned char daoc__lua_src_lib_migration_ops[];
extern const size_t daoc__lua_src_lib_migration_ops_len;

/* system_load(name, env) -> chunk, path | nil, "no file" list: a module
 * of the system Lua directory, source only, run in env (a table). */
static int l_system_load(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    if (daoc__lua_load_on_path(L, SYSTEM_LUA_PATH, name, 2) == 0) {
        lua_pushnil(L);
        lua_insert(L, -2);
    }
    return 2;
}

void daoc__lua_lib_prims(lua_State *L)
{
    if (luaL_loadbuffer(L, (const char *)daoc__lua_src_lib_libs, daoc__lua_src_lib_libs_len,
                        "=[daoc libs]") != 0)
        lua_error(L);
    lua_setfield(L, -2, "libs_chunk");
    lua_newtable(L);
    if (luaL_loadbuffer(L, (const char *)daoc__lua_src_lib_stringy,
                        daoc__lua_src_lib_stringy_len, "=[daoc stringy]") != 0)
        lua_error(L);
    lua_setfield(L, -2, "stringy_chunk");
    if (luaL_loadbuffer(L, (const char *)daoc__lua_src_lib_iputils,
                        daoc__lua_src_lib_iputils_len, "=[daoc iputils]") != 0)
        lua_error(L);
    lua_setfield(L, -2, "iputils_chunk");
    if (luaL_loadbuffer(L, (const char *)daoc__lua_src_lib_db_errors,
                        daoc__lua_src_lib_db_errors_len, "=[daoc kong.db.errors]") != 0)
        lua_error(L);
    lua_setfield(L, -2, "db_errors_chunk");
    if (luaL_loadbuffer(L, (const char *)daoc__lua_src_lib_migration_ops,
                        daoc__lua_src_lib_migration_ops_len,
                        "=[daoc kong.db.migrations.operations]") != 0)
        lua_error(L);
    lua_setfield(L, -2, "migration_ops_chunk");
    daoc__lua_lib_digest(L);
    daoc__lua_lib_kdf(L);
    daoc__lua_lib_rand(L);
    daoc__lua_lib_pkey(L);
    daoc__lua_lib_x509(L);
    daoc__lua_lib_regex(L);
    daoc__lua_lib_fs(L);
    lua_pushcfunction(L, l_system_load);
    lua_setfield(L, -2, "system_load");
    lua_setfield(L, -2, "clib");
}

void daoc__lua_lib_class(lua_State *L, const char *mt, const luaL_Reg *methods, lua_CFunction gc,
                         const char *label)
{
    if (luaL_newmetatable(L, mt)) {
        if (methods) {
            lua_newtable(L);
            for (const luaL_Reg *r = methods; r->name; r++) {
                lua_pushcfunction(L, r->func);
                lua_setfield(L, -2, r->name);
            }
            lua_setfield(L, -2, "__index");
        }
        lua_pushcfunction(L, gc);
        lua_setfield(L, -2, "__gc");
        if (label) {
            lua_pushstring(L, label);
            lua_setfield(L, -2, "__metatable");
        }
    }
    lua_pop(L, 1);
}
