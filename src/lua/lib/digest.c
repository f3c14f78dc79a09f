/*
 * digest.c -- message digests and HMACs for plugin files, over OpenSSL's
 * libcrypto (never computed here): the objects behind resty.sha1,
 * resty.md5, resty.sha256, resty.sha512, resty.openssl.digest and
 * resty.openssl.hmac (:update, :final, :reset), and the one-shot functions
 * behind ngx.md5, ngx.md5_bin, ngx.sha1_bin and ngx.hmac_sha1.
 *
 * An object is a userdata owning one EVP_MD_CTX or EVP_MAC_CTX; __gc frees
 * it.  Algorithms are looked up by OpenSSL's names ("sha256", "SHA512",
 * ...); an unknown one is a nil, message result, never a raise.
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lua/lib/lib.h"

#define HASH_MT "daoc.digest"

struct hash {
    EVP_MD_CTX *md;   /* a digest, or */
    EVP_MAC_CTX *mac; /* an HMAC */
    const EVP_MD *type;
    bool done; /* :final was called: :update refused until :reset */
};

const char *daoc__lua_lib_ssl_error(lua_State *L, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256];
    if (e) {
        ERR_error_string_n(e, buf, sizeof buf);
        lua_pushfstring(L, "%s: %s", what, buf);
    } else {
        lua_pushstring(L, what);
    }
    ERR_clear_error();
    return lua_tostring(L, -1);
}

static struct hash *check_hash(lua_State *L)
{
    return luaL_checkudata(L, 1, HASH_MT);
}

static int hash_gc(lua_State *L)
{
    struct hash *h = check_hash(L);
    EVP_MD_CTX_free(h->md);
    EVP_MAC_CTX_free(h->mac);
    h->md = NULL;
    h->mac = NULL;
    return 0;
}

static struct hash *new_hash(lua_State *L)
{
    struct hash *h = lua_newuserdata(L, sizeof *h);
    memset(h, 0, sizeof *h);
    luaL_getmetatable(L, HASH_MT);
    lua_setmetatable(L, -2);
    return h;
}

static const EVP_MD *md_by_name(lua_State *L, int idx, const char *dflt)
{
    const char *name = luaL_optstring(L, idx, dflt);
    return EVP_get_digestbyname(name);
}

/* md_new([alg = "sha1"]) -> object | nil, err */
static int l_md_new(lua_State *L)
{
    const EVP_MD *type = md_by_name(L, 1, "sha1");
    if (!type) {
        lua_pushnil(L);
        lua_pushfstring(L, "digest.new: invalid digest type \"%s\"", luaL_optstring(L, 1, "sha1"));
        return 2;
    }
    struct hash *h = new_hash(L);
    h->type = type;
    h->md = EVP_MD_CTX_new();
    if (!h->md || EVP_DigestInit_ex(h->md, type, NULL) != 1) {
        lua_pushnil(L);
        daoc__lua_lib_ssl_error(L, "digest.new");
        return 2;
    }
    return 1;
}

static int mac_init(struct hash *h, const char *key, size_t klen)
{
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)EVP_MD_get0_name(h->type), 0);
    params[1] = OSSL_PARAM_construct_end();
    /* an empty key is a valid HMAC key; OpenSSL wants a non-NULL pointer */
    return EVP_MAC_init(h->mac, (const unsigned char *)(klen ? key : ""), klen, params);
}

/* hmac_new(key, [alg = "sha1"]) -> object | nil, err */
static int l_hmac_new(lua_State *L)
{
    size_t klen;
    const char *key = luaL_checklstring(L, 1, &klen);
    const EVP_MD *type = md_by_name(L, 2, "sha1");
    if (!type) {
        lua_pushnil(L);
        lua_pushfstring(L, "hmac.new: invalid digest type \"%s\"", luaL_optstring(L, 2, "sha1"));
        return 2;
    }
    struct hash *h = new_hash(L);
    h->type = type;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    h->mac = mac ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac);
    if (!h->mac || mac_init(h, key, klen) != 1) {
        lua_pushnil(L);
        daoc__lua_lib_ssl_error(L, "hmac.new");
        return 2;
    }
    /* the key is kept by the MAC context: :reset re-initialises with NULL */
    return 1;
}

static int feed(struct hash *h, const char *s, size_t len)
{
    if (h->md)
        return EVP_DigestUpdate(h->md, s, len);
    return EVP_MAC_update(h->mac, (const unsigned char *)s, len);
}

/* obj:update(s, ...) -> true | nil, err */
static int l_update(lua_State *L)
{
    struct hash *h = check_hash(L);
    int n = lua_gettop(L);
    if (h->done) {
        lua_pushnil(L);
        lua_pushliteral(L, "update: final() was called, reset() first");
        return 2;
    }
    for (int i = 2; i <= n; i++) {
        size_t len;
        const char *s = luaL_checklstring(L, i, &len);
        if (feed(h, s, len) != 1) {
            lua_pushnil(L);
            daoc__lua_lib_ssl_error(L, "update");
            return 2;
        }
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* obj:final([s]) -> binary digest | nil, err */
static int l_final(lua_State *L)
{
    struct hash *h = check_hash(L);
    unsigned char out[EVP_MAX_MD_SIZE];
    size_t outlen = 0;
    unsigned int mdlen = 0;
    int ok;
    if (h->done) {
        lua_pushnil(L);
        lua_pushliteral(L, "final: final() was called, reset() first");
        return 2;
    }
    if (!lua_isnoneornil(L, 2)) {
        size_t len;
        const char *s = luaL_checklstring(L, 2, &len);
        if (feed(h, s, len) != 1) {
            lua_pushnil(L);
            daoc__lua_lib_ssl_error(L, "final");
            return 2;
        }
    }
    if (h->md) {
        ok = EVP_DigestFinal_ex(h->md, out, &mdlen);
        outlen = mdlen;
    } else {
        ok = EVP_MAC_final(h->mac, out, &outlen, sizeof out);
    }
    h->done = true;
    if (ok != 1) {
        lua_pushnil(L);
        daoc__lua_lib_ssl_error(L, "final");
        return 2;
    }
    lua_pushlstring(L, (const char *)out, outlen);
    return 1;
}

/* obj:reset() -> true | nil, err */
static int l_reset(lua_State *L)
{
    struct hash *h = check_hash(L);
    int ok = h->md ? EVP_DigestInit_ex(h->md, h->type, NULL) : EVP_MAC_init(h->mac, NULL, 0, NULL);
    if (ok != 1) {
        lua_pushnil(L);
        daoc__lua_lib_ssl_error(L, "reset");
        return 2;
    }
    h->done = false;
    lua_pushboolean(L, 1);
    return 1;
}

/* digest(alg, s) -> binary | nil, err */
static int l_digest(lua_State *L)
{
    size_t len;
    const EVP_MD *type = md_by_name(L, 1, NULL);
    const char *s = luaL_checklstring(L, 2, &len);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int outlen = 0;
    if (!type || EVP_Digest(s, len, out, &outlen, type, NULL) != 1) {
        lua_pushnil(L);
        daoc__lua_lib_ssl_error(L, "digest");
        return 2;
    }
    lua_pushlstring(L, (const char *)out, outlen);
    return 1;
}

/* hmac(alg, key, s) -> binary | nil, err */
static int l_hmac(lua_State *L)
{
    size_t klen, len;
    const EVP_MD *type = md_by_name(L, 1, NULL);
    const char *key = luaL_checklstring(L, 2, &klen);
    const char *s = luaL_checklstring(L, 3, &len);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int outlen = 0;
    if (!type || !HMAC(type, klen ? key : "", (int)klen, (const unsigned char *)s, len, out,
                       &outlen)) {
        lua_pushnil(L);
        daoc__lua_lib_ssl_error(L, "hmac");
        return 2;
    }
    lua_pushlstring(L, (const char *)out, outlen);
    return 1;
}

void daoc__lua_lib_digest(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"update", l_update}, {"final", l_final}, {"reset", l_reset}, {NULL, NULL}};
    daoc__lua_lib_class(L, HASH_MT, methods, hash_gc, "digest");
    static const luaL_Reg fns[] = {{"md_new", l_md_new}, {"hmac_new", l_hmac_new},
                                   {"digest", l_digest}, {"hmac", l_hmac},
                                   {NULL, NULL}};
    for (const luaL_Reg *r = fns; r->name; r++) {
        lua_pushcfunction(L, r->func);
        lua_setfield(L, -2, r->name);
    }
}
