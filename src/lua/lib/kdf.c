/*
 * kdf.c -- key derivation for plugin files, over libcrypto's EVP_KDF: the
 * primitive behind resty.openssl.kdf.derive (PBKDF2, which Kong's oauth2
 * plugin hashes client secrets with, and HKDF).  libs.lua reads
 * lua-resty-openssl's option table and calls kdf_derive with plain
 * arguments; nothing is derived here by hand.  C time is not counted by the
 * sandbox's instruction budget, so iterations and output length are capped.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "lua/lib/lib.h"

#define MAX_OUT 4096
#define MAX_ITER 1000000 /* ~1 s of HMAC-SHA512; Kong's oauth2 uses 10000 */

/* kdf_derive(kind, outlen, md, pass, salt, iter, hkdf_key, hkdf_info)
 * kind "PBKDF2" | "HKDF" -> bytes | nil, err */
static int l_derive(lua_State *L)
{
    const char *kind = luaL_checkstring(L, 1);
    lua_Integer outlen = luaL_checkinteger(L, 2);
    const char *md = luaL_optstring(L, 3, "sha1");
    size_t plen = 0, slen = 0, klen = 0, ilen = 0;
    const char *pass = luaL_optlstring(L, 4, "", &plen);
    const char *salt = luaL_optlstring(L, 5, "", &slen);
    lua_Integer iter = luaL_optinteger(L, 6, 1);
    const char *key = luaL_optlstring(L, 7, "", &klen);
    const char *info = luaL_optlstring(L, 8, "", &ilen);
    bool pbkdf2 = strcmp(kind, "PBKDF2") == 0;
    if (!pbkdf2 && strcmp(kind, "HKDF") != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "kdf.derive: unsupported type %s", kind);
        return 2;
    }
    if (outlen < 1 || outlen > MAX_OUT || iter < 1 || iter > MAX_ITER) {
        lua_pushnil(L);
        lua_pushliteral(L, "kdf.derive: outlen or pbkdf2_iter out of range");
        return 2;
    }
    OSSL_PARAM params[6], *p = params;
    unsigned int it = (unsigned int)iter;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
    if (pbkdf2) {
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pass, plen);
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, slen);
        *p++ = OSSL_PARAM_construct_uint(OSSL_KDF_PARAM_ITER, &it);
    } else {
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, klen);
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, slen);
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, ilen);
    }
    *p = OSSL_PARAM_construct_end();
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, kind, NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);
    unsigned char *out = ctx ? lua_newuserdata(L, (size_t)outlen) : NULL;
    int ok = out && EVP_KDF_derive(ctx, out, (size_t)outlen, params) == 1;
    EVP_KDF_CTX_free(ctx);
    if (!ok) {
        lua_pushnil(L);
        daoc__lua_lib_ssl_error(L, "kdf.derive");
        return 2;
    }
    lua_pushlstring(L, (const char *)out, (size_t)outlen);
    return 1;
}

void daoc__lua_lib_kdf(lua_State *L)
{
    lua_pushcfunction(L, l_derive);
    lua_setfield(L, -2, "kdf_derive");
}
