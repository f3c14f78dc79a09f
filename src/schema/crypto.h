/*
 * crypto.h -- key loading of builtins_crypto.c shared with the Lua layer's
 * resty.openssl.pkey (src/lua/lib/pkey.c), so a key Kong's typedefs accept
 * is the key a plugin file loads, by one parser.
 */
#ifndef DAOC_SCHEMA_CRYPTO_H
#define DAOC_SCHEMA_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/types.h>

/* A PEM key: kind 'r' private, 'u' public, '*' private else public.
 * NULL when it does not load (OpenSSL's error queue says why). */
EVP_PKEY *daoc__crypto_load_pem(const char *s, size_t n, char kind);

/* A JSON Web Key (RSA, EC P-256/384/521, OKP) as JSON text; *is_private
 * (may be NULL) tells whether it carried "d".  NULL when it does not load. */
EVP_PKEY *daoc__crypto_load_jwk(const char *json, size_t len, bool *is_private);

#endif
