/*
 * x509.c -- what lua-resty-openssl's resty.openssl.x509 gives Kong's
 * certificates and ca_certificates entities beyond the public key
 * (pkey.c's x509_pubkey), over OpenSSL's libcrypto, each taking the PEM
 * text of one certificate:
 *   x509_digest(pem, md name)  the digest of the certificate's DER
 *                              encoding, as raw bytes (x509:digest(md))
 *   x509_ca(pem)               the "CA" member of the basicConstraints
 *                              extension, false when there is none
 *                              (x509:get_basic_constraints("CA"))
 *   x509_not_after(pem)        the "Not After" time in seconds since the
 *                              epoch (x509:get_not_after())
 * Failures are nil, "x509.new: <OpenSSL's reason>".
 */
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lua/lib/lib.h"

static X509 *check_cert(lua_State *L)
{
    size_t len;
    const char *pem = luaL_checklstring(L, 1, &len);
    if (len > 1024 * 1024)
        return NULL;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    return x;
}

static int push_fail(lua_State *L, const char *what)
{
    lua_pushnil(L);
    daoc__lua_lib_ssl_error(L, what);
    return 2;
}

/* x509_digest(pem, md) -> bytes | nil, err */
static int l_digest(lua_State *L)
{
    const char *name = luaL_optstring(L, 2, "sha1");
    X509 *x = check_cert(L);
    if (!x)
        return push_fail(L, "x509.new");
    const EVP_MD *md = EVP_get_digestbyname(name);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok = md && X509_digest(x, md, out, &n) == 1;
    X509_free(x);
    if (!ok)
        return push_fail(L, "x509:digest");
    ERR_clear_error();
    lua_pushlstring(L, (const char *)out, n);
    return 1;
}

/* x509_ca(pem) -> boolean | nil, err */
static int l_ca(lua_State *L)
{
    X509 *x = check_cert(L);
    if (!x)
        return push_fail(L, "x509.new");
    BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
    lua_pushboolean(L, bc && bc->ca);
    BASIC_CONSTRAINTS_free(bc);
    X509_free(x);
    ERR_clear_error();
    return 1;
}

/* x509_not_after(pem) -> seconds | nil, err */
static int l_not_after(lua_State *L)
{
    X509 *x = check_cert(L);
    if (!x)
        return push_fail(L, "x509.new");
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int ok = ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1;
    X509_free(x);
    if (!ok)
        return push_fail(L, "x509:get_not_after");
    ERR_clear_error();
    lua_pushnumber(L, (lua_Number)timegm(&tm));
    return 1;
}

void daoc__lua_lib_x509(lua_State *L)
{
    static const luaL_Reg fns[] = {{"x509_digest", l_digest},
                                   {"x509_ca", l_ca},
                                   {"x509_not_after", l_not_after},
                                   {NULL, NULL}};
    for (const luaL_Reg *r = fns; r->name; r++) {
        lua_pushcfunction(L, r->func);
        lua_setfield(L, -2, r->name);
    }
}
