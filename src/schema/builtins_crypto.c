/*
 * builtins_crypto.c -- the typedef validators Kong runs through OpenSSL,
 * here parsing with libcrypto too (never by PEM framing alone):
 *   certificate  an X.509 certificate in PEM ("invalid certificate: ...")
 *   key          a PEM key, private or else public, as lua-resty-openssl's
 *                pkey.new(key) loads it ("invalid key: ...")
 *   pem          the keys entity's record { private_key, public_key }: each
 *                loaded as its kind, and the two must be one key pair
 *   jwk          a JSON Web Key (RSA, EC P-256/384/521, OKP) given as JSON
 *                text or as the record, loaded as a key
 *   certificate_key_pair  the certificates entity check: the public key of
 *                cert (and cert_alt) must be the one of key (and key_alt)
 * Vault references ("{vault://...}") are not parsed, as in Kong.  Messages
 * are Kong's; the OpenSSL reasons inside them are OpenSSL's own text.
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/alloc.h"
#include "core/b64.h"
#include "core/buf.h"
#include "core/json.h"
#include "schema/compile_internal.h"
#include "schema/crypto.h"
#include "schema/validate_internal.h"

/* *msg = prefix + the first OpenSSL error (or `dflt`); returns 0. */
static int ssl_fail(char **msg, const char *prefix, const char *dflt)
{
    unsigned long e = ERR_peek_last_error();
    char reason[256];
    if (e)
        ERR_error_string_n(e, reason, sizeof reason);
    ERR_clear_error();
    daoc__buf b = DAOC__BUF_INIT;
    daoc__buf_printf(&b, "%s%s", prefix, e ? reason : dflt);
    *msg = daoc__buf_take(&b, NULL);
    return *msg ? 0 : DAOC_ENOMEM;
}

static int static_fail(char **msg, const char *text)
{
    ERR_clear_error();
    *msg = daoc__strdup(text);
    return *msg ? 0 : DAOC_ENOMEM;
}

static X509 *load_cert(const char *s, size_t n)
{
    BIO *b = BIO_new_mem_buf(s, (int)n);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    return x;
}

/* kind: 'r' private, 'u' public, '*' private else public */
EVP_PKEY *daoc__crypto_load_pem(const char *s, size_t n, char kind)
{
    EVP_PKEY *k = NULL;
    BIO *b = BIO_new_mem_buf(s, (int)n);
    if (!b)
        return NULL;
    if (kind != 'u')
        k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    if (!k && kind != 'r') {
        if (kind == '*') {
            ERR_clear_error();
            BIO_reset(b);
        }
        k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
    }
    BIO_free(b);
    return k;
}

static bool too_long(size_t n) { return n > 1024 * 1024; }

int daoc__b_certificate(const char *s, size_t n, char **msg)
{
    if (too_long(n))
        return static_fail(msg, "invalid certificate: x509.new: too long");
    X509 *x = load_cert(s, n);
    if (!x)
        return ssl_fail(msg, "invalid certificate: x509.new: ", "could not parse the certificate");
    X509_free(x);
    return 1;
}

int daoc__b_key(const char *s, size_t n, char **msg)
{
    if (too_long(n))
        return static_fail(msg, "invalid key: pkey.new:load_key: too long");
    EVP_PKEY *k = daoc__crypto_load_pem(s, n, '*');
    if (!k)
        return ssl_fail(msg, "invalid key: pkey.new:load_key: ", "could not load the key");
    EVP_PKEY_free(k);
    return 1;
}

/* ---- value validators ------------------------------------------------------ */

static const daoc_value *str_field(const daoc_value *o, const char *key)
{
    const daoc_value *v = o && o->type == DAOC_TOBJ ? daoc__obj_getn(o, key, strlen(key)) : NULL;
    return v && v->type == DAOC_TSTR ? v : NULL;
}

static bool is_ref(const daoc_value *v) { return v && daoc__is_reference(v->u.s, v->len); }

/* Kong's validate_pem_keys */
static int v_pem(const daoc_value *v, char **msg)
{
    const daoc_value *pub = str_field(v, "public_key"), *priv = str_field(v, "private_key");
    EVP_PKEY *pk = NULL, *sk = NULL;
    int rc = 1;
    if (is_ref(pub) || is_ref(priv))
        return 1;
    if (pub && !(pk = daoc__crypto_load_pem(pub->u.s, pub->len, 'u')))
        return static_fail(msg, "could not load public key");
    if (priv && !(sk = daoc__crypto_load_pem(priv->u.s, priv->len, 'r'))) {
        EVP_PKEY_free(pk);
        return ssl_fail(msg, "could not load private keypkey.new:load_key: ",
                        "could not load the key");
    }
    if (pk && sk && EVP_PKEY_eq(sk, pk) != 1)
        rc = static_fail(msg, "public key does not match private key");
    EVP_PKEY_free(pk);
    EVP_PKEY_free(sk);
    ERR_clear_error();
    return rc;
}

/* Kong's certificates entity check (cert/key, cert_alt/key_alt) */
static int pair_matches(const daoc_value *c, const daoc_value *k)
{
    X509 *x = load_cert(c->u.s, c->len);
    EVP_PKEY *key = daoc__crypto_load_pem(k->u.s, k->len, '*');
    EVP_PKEY *cpk = x ? X509_get0_pubkey(x) : NULL;
    int ok = cpk && key && EVP_PKEY_eq(cpk, key) == 1;
    X509_free(x);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return ok;
}

static int v_certificate_key_pair(const daoc_value *v, char **msg)
{
    const daoc_value *c = str_field(v, "cert"), *k = str_field(v, "key");
    const daoc_value *ca = str_field(v, "cert_alt"), *ka = str_field(v, "key_alt");
    if (c && k && !is_ref(c) && !is_ref(k) && !pair_matches(c, k))
        return static_fail(msg, "certificate does not match key");
    if (ca && ka && !is_ref(ca) && !is_ref(ka) && !pair_matches(ca, ka))
        return static_fail(msg, "alternative certificate does not match key");
    return 1;
}

/* base64url (RFC 7515 appendix C) of JWK members -> bytes (daoc__free) */
static char *b64url(const daoc_value *s, size_t *outlen)
{
    if (!s || s->len == 0 || too_long(s->len))
        return NULL;
    char *t = daoc__malloc(s->len + 1);
    if (!t)
        return NULL;
    for (size_t i = 0; i < s->len; i++) {
        char c = s->u.s[i];
        t[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    char *out = NULL;
    int rc = daoc__b64_decode(t, s->len, &out, outlen);
    daoc__free(t);
    return rc == 0 && *outlen > 0 ? out : (daoc__free(out), NULL);
}

/* pushes the big-endian base64url member `name` onto bld; false if absent */
static bool push_bn(OSSL_PARAM_BLD *bld, const daoc_value *jwk, const char *name,
                    const char *param, BIGNUM **keep)
{
    size_t n = 0;
    char *raw = b64url(str_field(jwk, name), &n);
    if (!raw)
        return false;
    *keep = BN_bin2bn((const unsigned char *)raw, (int)n, NULL);
    daoc__free(raw);
    return *keep && OSSL_PARAM_BLD_push_BN(bld, param, *keep) == 1;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld, bool priv)
{
    EVP_PKEY *k = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1)
        EVP_PKEY_fromdata(ctx, &k, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return k;
}

static EVP_PKEY *jwk_rsa(const daoc_value *jwk)
{
    static const char *const priv_names[] = {"d", "p", "q", "dp", "dq", "qi"};
    static const char *const priv_params[] = {
        OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
        OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
        OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    BIGNUM *bn[8] = {0};
    EVP_PKEY *k = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    bool priv = str_field(jwk, "d") != NULL;
    bool ok = bld && push_bn(bld, jwk, "n", OSSL_PKEY_PARAM_RSA_N, &bn[0]) &&
              push_bn(bld, jwk, "e", OSSL_PKEY_PARAM_RSA_E, &bn[1]);
    for (size_t i = 0; ok && priv && i < 6; i++)
        if (i == 0 || str_field(jwk, priv_names[i]))
            ok = push_bn(bld, jwk, priv_names[i], priv_params[i], &bn[2 + i]);
    if (ok)
        k = from_params("RSA", bld, priv);
    for (size_t i = 0; i < 8; i++)
        BN_clear_free(bn[i]);
    OSSL_PARAM_BLD_free(bld);
    return k;
}

static EVP_PKEY *jwk_ec(const daoc_value *jwk)
{
    const daoc_value *crv = str_field(jwk, "crv");
    const char *group = NULL;
    size_t flen = 0;
    if (crv && strcmp(crv->u.s, "P-256") == 0)
        group = "prime256v1", flen = 32;
    else if (crv && strcmp(crv->u.s, "P-384") == 0)
        group = "secp384r1", flen = 48;
    else if (crv && strcmp(crv->u.s, "P-521") == 0)
        group = "secp521r1", flen = 66;
    else
        return NULL;
    size_t xl = 0, yl = 0;
    char *x = b64url(str_field(jwk, "x"), &xl), *y = b64url(str_field(jwk, "y"), &yl);
    EVP_PKEY *k = NULL;
    BIGNUM *d = NULL;
    unsigned char point[1 + 2 * 66];
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    bool priv = str_field(jwk, "d") != NULL;
    if (bld && x && y && xl == flen && yl == flen) {
        point[0] = 0x04;
        memcpy(point + 1, x, flen);
        memcpy(point + 1 + flen, y, flen);
        bool ok = OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
                  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
                                                   1 + 2 * flen);
        if (ok && priv)
            ok = push_bn(bld, jwk, "d", OSSL_PKEY_PARAM_PRIV_KEY, &d);
        if (ok)
            k = from_params("EC", bld, priv);
    }
    BN_clear_free(d);
    OSSL_PARAM_BLD_free(bld);
    daoc__free(x);
    daoc__free(y);
    return k;
}

static EVP_PKEY *jwk_okp(const daoc_value *jwk)
{
    const daoc_value *crv = str_field(jwk, "crv");
    static const struct { const char *crv; int id; } okp[] = {
        {"Ed25519", EVP_PKEY_ED25519}, {"Ed448", EVP_PKEY_ED448},
        {"X25519", EVP_PKEY_X25519},   {"X448", EVP_PKEY_X448}};
    int id = 0;
    for (size_t i = 0; crv && i < sizeof okp / sizeof okp[0]; i++)
        if (strcmp(crv->u.s, okp[i].crv) == 0)
            id = okp[i].id;
    if (!id)
        return NULL;
    size_t n = 0;
    bool priv = str_field(jwk, "d") != NULL;
    char *raw = b64url(str_field(jwk, priv ? "d" : "x"), &n);
    if (!raw)
        return NULL;
    EVP_PKEY *k = priv ? EVP_PKEY_new_raw_private_key(id, NULL, (unsigned char *)raw, n)
                       : EVP_PKEY_new_raw_public_key(id, NULL, (unsigned char *)raw, n);
    daoc__free(raw);
    return k;
}

static EVP_PKEY *jwk_key(const daoc_value *v)
{
    const daoc_value *kty = str_field(v, "kty");
    if (kty && strcmp(kty->u.s, "RSA") == 0)
        return jwk_rsa(v);
    if (kty && strcmp(kty->u.s, "EC") == 0)
        return jwk_ec(v);
    if (kty && strcmp(kty->u.s, "OKP") == 0)
        return jwk_okp(v);
    return NULL;
}

EVP_PKEY *daoc__crypto_load_jwk(const char *json, size_t len, bool *is_private)
{
    daoc_value *v = NULL;
    char errbuf[64];
    if (too_long(len) || daoc__json_decode(json, len, &v, errbuf, sizeof errbuf) != DAOC_OK)
        return NULL;
    EVP_PKEY *k = jwk_key(v);
    if (is_private)
        *is_private = k && str_field(v, "d") != NULL;
    daoc_value_free(v);
    ERR_clear_error();
    return k;
}

/* Kong's validate_jwk: pkey.new(key, { format = "JWK" }) */
static int v_jwk(const daoc_value *v, char **msg)
{
    static const char bad[] = "could not load JWK, likely not a valid key";
    EVP_PKEY *k = NULL;
    if (v->type == DAOC_TSTR) {
        if (is_ref(v))
            return 1;
        k = daoc__crypto_load_jwk(v->u.s, v->len, NULL);
    } else {
        k = jwk_key(v);
    }
    if (!k)
        return static_fail(msg, bad);
    EVP_PKEY_free(k);
    ERR_clear_error();
    return 1;
}

/* ---- the validators by name (builtins.c makes them callables) ------------------ */

static const daoc__vbuiltin VBUILTINS[] = {
    {"pem", v_pem},
    {"jwk", v_jwk},
    {"certificate_key_pair", v_certificate_key_pair},
};

const daoc__vbuiltin *daoc__crypto_validator(const char *name)
{
    for (size_t i = 0; name && i < sizeof VBUILTINS / sizeof VBUILTINS[0]; i++)
        if (strcmp(VBUILTINS[i].name, name) == 0)
            return &VBUILTINS[i];
    return NULL;
}
