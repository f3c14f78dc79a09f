/*
 * lib.h -- the C side of the libraries plugin files require (src/lua/lib/).
 *
 * Each family file adds its primitives to the table at the top of the Lua
 * stack (the `clib` table libs.lua receives); libs.lua gives them the
 * module shapes OpenResty and Kong define (resty.sha1, resty.openssl.*,
 * ngx.re, ...).  state.c calls daoc__lua_lib_prims once, inside its
 * protected set-up.
 *
 *   digest.c   message digests and HMAC over libcrypto (one-shot and objects)
 *   kdf.c      key derivation (PBKDF2, HKDF) over libcrypto
 *   rand.c     resty.random's bytes, CRC32 (ngx.crc32_short/long)
 *   pkey.c     public/private keys over libcrypto (resty.openssl.pkey)
 *   x509.c     certificates' digest, CA flag, Not After (resty.openssl.x509)
 *   regex.c    ngx.re's matcher over PCRE2
 *   fs.c       the read-only half of LuaFileSystem (lfs)
 */
#ifndef DAOC_LUA_LIB_H
#define DAOC_LUA_LIB_H

#include <stdbool.h>

#include <lauxlib.h>
#include <lua.h>

/* Adds `libs_chunk` (the compiled libs.lua) and `clib` (a table filled by
 * the functions below) to the primitives table at the top of the stack. */
void daoc__lua_lib_prims(lua_State *L);

void daoc__lua_lib_digest(lua_State *L);
void daoc__lua_lib_kdf(lua_State *L);
void daoc__lua_lib_rand(lua_State *L);
void daoc__lua_lib_pkey(lua_State *L);
void daoc__lua_lib_x509(lua_State *L);
void daoc__lua_lib_regex(lua_State *L);
void daoc__lua_lib_fs(lua_State *L);

/* Registers the metatable `mt` of a userdata class once: __index a table
 * of `methods` (NULL: none), __gc `gc`, and __metatable `label` (NULL:
 * none) so Lua code cannot reach or replace it. */
void daoc__lua_lib_class(lua_State *L, const char *mt, const luaL_Reg *methods, lua_CFunction gc,
                         const char *label);

/* Pushes OpenSSL's last error text ("<what>: <reason>") and clears the
 * queue; returns the pushed string. */
const char *daoc__lua_lib_ssl_error(lua_State *L, const char *what);

#endif
