/*
 * pkey.c -- public and private keys for plugin files, the subset of
 * lua-resty-openssl's resty.openssl.pkey that Kong's plugins use, over
 * OpenSSL's libcrypto: new(text [, {format = "PEM"|"DER"|"JWK", type =
 * "pr"|"pu"}]) or new({type = "RSA", bits = n} |
 * {type = "EC", curve = name}), :to_PEM("public" | "private"),
 * :sign(message, digest name) and :verify(signature, message, digest
 * name), :get_key_type(), :is_private(), :get_parameters() (RSA n and e,
 * EC curve; as big-endian binary strings).
 *
 * x509_pubkey(PEM certificate) gives the certificate's public key as such
 * a key (resty.openssl.x509's get_pubkey, luaossl's getPublicKey).
 *
 * A key is a userdata owning one EVP_PKEY; __gc frees it.  Failures are
 * nil, message results carrying OpenSSL's reason.
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "lua/lib/lib.h"
#include "schema/crypto.h"

#define PKEY_MT "daoc.pkey"
#define MAX_RSA_BITS 16384 /* keys loaded */
#define MAX_GEN_BITS 4096    /* keys generated: C time escapes the budget */

struct pkey {
    EVP_PKEY *key;
    bool private_;
};

static struct pkey *check_pkey(lua_State *L)
{
    return luaL_checkudata(L, 1, PKEY_MT);
}

static int pkey_gc(lua_State *L)
{
    struct pkey *p = check_pkey(L);
    EVP_PKEY_free(p->key);
    p->key = NULL;
    return 0;
}

static int push_fail(lua_State *L, const char *what)
{
    lua_pushnil(L);
    daoc__lua_lib_ssl_error(L, what);
    return 2;
}

static struct pkey *new_pkey(lua_State *L)
{
    struct pkey *p = lua_newuserdata(L, sizeof *p);
    memset(p, 0, sizeof *p);
    luaL_getmetatable(L, PKEY_MT);
    lua_setmetatable(L, -2);
    return p;
}

static EVP_PKEY *load_der(const char *s, size_t len, bool want_private)
{
    BIO *b = BIO_new_mem_buf(s, (int)len);
    EVP_PKEY *k = b ? (want_private ? d2i_PrivateKey_bio(b, NULL) : d2i_PUBKEY_bio(b, NULL))
                    : NULL;
    BIO_free(b);
    return k;
}

/* pkey_load(text, format = "*" | "PEM" | "DER" | "JWK", type = "*" | "pr" | "pu")
 * -> key | nil, err: lua-resty-openssl's pkey.new(text, opts); with "*" a
 * private key is tried before a public one, PEM before DER before JWK.
 * PEM and JWK go through the schema's parser (src/schema/crypto.h). */
static int l_load(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    const char *format = luaL_optstring(L, 2, "*");
    const char *type = luaL_optstring(L, 3, "*");
    bool any = strcmp(format, "*") == 0;
    bool priv_ok = strcmp(type, "pu") != 0, pub_ok = strcmp(type, "pr") != 0;
    struct pkey *p = new_pkey(L);
    if (len > 1024 * 1024) {
        lua_pushnil(L);
        lua_pushliteral(L, "pkey.new:load_key: too long");
        return 2;
    }
    if (any || strcmp(format, "PEM") == 0) {
        if (priv_ok && (p->key = daoc__crypto_load_pem(text, len, 'r')))
            p->private_ = true;
        else if (pub_ok)
            p->key = daoc__crypto_load_pem(text, len, 'u');
    }
    if (!p->key && (any || strcmp(format, "DER") == 0)) {
        ERR_clear_error();
        if (priv_ok && (p->key = load_der(text, len, true)))
            p->private_ = true;
        else if (pub_ok)
            p->key = load_der(text, len, false);
    }
    if (!p->key && (strcmp(format, "JWK") == 0 || (any && len > 0 && text[0] == '{'))) {
        p->key = daoc__crypto_load_jwk(text, len, &p->private_);
        if (p->key && !(p->private_ ? priv_ok : pub_ok)) {
            EVP_PKEY_free(p->key);
            p->key = NULL;
        }
    }
    if (!p->key)
        return push_fail(L, "pkey.new:load_key: failed to load the key");
    ERR_clear_error();
    return 1;
}

/* x509_pubkey(pem) -> key | nil, err */
static int l_x509_pubkey(lua_State *L)
{
    size_t len;
    const char *pem = luaL_checklstring(L, 1, &len);
    struct pkey *p = new_pkey(L);
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    p->key = x ? X509_get_pubkey(x) : NULL;
    X509_free(x);
    if (!p->key)
        return push_fail(L, "x509.new");
    return 1;
}

/* pkey_generate(type, bits | curve) -> key | nil, err */
static int l_generate(lua_State *L)
{
    const char *type = luaL_checkstring(L, 1);
    struct pkey *p = new_pkey(L);
    if (strcmp(type, "RSA") == 0) {
        lua_Integer bits = luaL_optinteger(L, 2, 2048);
        if (bits < 512 || bits > MAX_GEN_BITS) {
            lua_pushnil(L);
            lua_pushliteral(L, "pkey.new: daoc generates RSA keys of 512 to 4096 bits");
            return 2;
        }
        p->key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    } else if (strcmp(type, "EC") == 0) {
        p->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", luaL_optstring(L, 2, "prime192v1"));
    } else {
        lua_pushnil(L);
        lua_pushfstring(L, "pkey.new: unsupported key type \"%s\"", type);
        return 2;
    }
    if (!p->key)
        return push_fail(L, "pkey.new");
    p->private_ = true;
    return 1;
}

static int l_to_pem(lua_State *L)
{
    struct pkey *p = check_pkey(L);
    const char *which = luaL_optstring(L, 2, "public");
    bool priv = strcmp(which, "private") == 0;
    if (!priv && strcmp(which, "public") != 0)
        return luaL_argerror(L, 2, "\"public\" or \"private\" expected");
    if (priv && !p->private_) {
        lua_pushnil(L);
        lua_pushliteral(L, "pkey:to_PEM: not a private key");
        return 2;
    }
    BIO *b = BIO_new(BIO_s_mem());
    int ok = b && (priv ? PEM_write_bio_PrivateKey(b, p->key, NULL, NULL, 0, NULL, NULL)
                        : PEM_write_bio_PUBKEY(b, p->key));
    if (!ok) {
        BIO_free(b);
        return push_fail(L, "pkey:to_PEM");
    }
    char *data;
    long n = BIO_get_mem_data(b, &data);
    lua_pushlstring(L, data, (size_t)n);
    BIO_free(b);
    return 1;
}

static const EVP_MD *md_arg(lua_State *L, int idx)
{
    const char *name = luaL_optstring(L, idx, "sha256");
    return EVP_get_digestbyname(name);
}

/* key:sign(message, [md = "sha256"]) -> signature | nil, err */
static int l_sign(lua_State *L)
{
    struct pkey *p = check_pkey(L);
    size_t len, siglen = 0;
    const char *msg = luaL_checklstring(L, 2, &len);
    const EVP_MD *md = md_arg(L, 3);
    if (!p->private_) {
        lua_pushnil(L);
        lua_pushliteral(L, "pkey:sign: not a private key");
        return 2;
    }
    if (!md) {
        lua_pushnil(L);
        lua_pushfstring(L, "pkey:sign: invalid digest type \"%s\"", luaL_optstring(L, 3, ""));
        return 2;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = NULL;
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, md, NULL, p->key) == 1 &&
             EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)msg, len) == 1;
    if (ok) {
        sig = OPENSSL_malloc(siglen ? siglen : 1);
        ok = sig && EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg, len) == 1;
    }
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        OPENSSL_free(sig);
        return push_fail(L, "pkey:sign");
    }
    lua_pushlstring(L, (const char *)sig, siglen);
    OPENSSL_free(sig);
    return 1;
}

/* key:verify(signature, message, [md = "sha256"]) -> true | false | nil, err */
static int l_verify(lua_State *L)
{
    struct pkey *p = check_pkey(L);
    size_t slen, len;
    const char *sig = luaL_checklstring(L, 2, &slen);
    const char *msg = luaL_checklstring(L, 3, &len);
    const EVP_MD *md = md_arg(L, 4);
    if (!md) {
        lua_pushnil(L);
        lua_pushfstring(L, "pkey:verify: invalid digest type \"%s\"", luaL_optstring(L, 4, ""));
        return 2;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestVerifyInit(ctx, NULL, md, NULL, p->key) != 1) {
        EVP_MD_CTX_free(ctx);
        return push_fail(L, "pkey:verify");
    }
    int rc = EVP_DigestVerify(ctx, (const unsigned char *)sig, slen, (const unsigned char *)msg,
                              len);
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    lua_pushboolean(L, rc == 1);
    return 1;
}

static int l_key_type(lua_State *L)
{
    struct pkey *p = check_pkey(L);
    int id = EVP_PKEY_get_base_id(p->key);
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, OBJ_nid2sn(id));
    lua_setfield(L, -2, "sn");
    lua_pushstring(L, OBJ_nid2ln(id));
    lua_setfield(L, -2, "ln");
    return 1;
}

static int l_is_private(lua_State *L)
{
    lua_pushboolean(L, check_pkey(L)->private_);
    return 1;
}

static void set_bn(lua_State *L, EVP_PKEY *key, const char *param, const char *field)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(key, param, &bn) != 1) {
        ERR_clear_error();
        return;
    }
    int n = BN_num_bytes(bn);
    unsigned char buf[MAX_RSA_BITS / 8];
    if (n >= 0 && n <= (int)sizeof buf) {
        BN_bn2bin(bn, buf);
        lua_pushlstring(L, (const char *)buf, (size_t)n);
        lua_setfield(L, -2, field);
    }
    BN_free(bn);
}

/* key:get_parameters() -> { n, e } (RSA) | { group } (EC), binary strings */
static int l_get_parameters(lua_State *L)
{
    struct pkey *p = check_pkey(L);
    lua_newtable(L);
    int id = EVP_PKEY_get_base_id(p->key);
    if (id == EVP_PKEY_RSA) {
        set_bn(L, p->key, OSSL_PKEY_PARAM_RSA_N, "n");
        set_bn(L, p->key, OSSL_PKEY_PARAM_RSA_E, "e");
    } else if (id == EVP_PKEY_EC) {
        char name[80];
        size_t n = 0;
        if (EVP_PKEY_get_utf8_string_param(p->key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name,
                                           &n) == 1) {
            lua_pushlstring(L, name, n);
            lua_setfield(L, -2, "group");
        }
        ERR_clear_error();
    }
    return 1;
}

static int l_bits(lua_State *L)
{
    lua_pushinteger(L, EVP_PKEY_get_bits(check_pkey(L)->key));
    return 1;
}

void daoc__lua_lib_pkey(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"to_PEM", l_to_pem},       {"sign", l_sign},
        {"verify", l_verify},       {"get_key_type", l_key_type},
        {"is_private", l_is_private}, {"get_parameters", l_get_parameters},
        {"bits", l_bits},           {NULL, NULL}};
    daoc__lua_lib_class(L, PKEY_MT, methods, pkey_gc, "pkey");
    lua_pushcfunction(L, l_load);
    lua_setfield(L, -2, "pkey_load");
    lua_pushcfunction(L, l_generate);
    lua_setfield(L, -2, "pkey_generate");
    lua_pushcfunction(L, l_x509_pubkey);
    lua_setfield(L, -2, "x509_pubkey");
}
