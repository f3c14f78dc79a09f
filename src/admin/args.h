/*
 * args.h -- request arguments of the Admin API, decoded as Kong's
 * kong/api/arguments.lua does, with no HTTP library: a query string or an
 * application/x-www-form-urlencoded body becomes a flat list of key/value
 * pairs (args.c), multipart/form-data bodies the same list (multipart.c);
 * the list then becomes a nested value (args_nest.c) and a schema turns its
 * strings into the types of the fields (args_infer.c).
 *
 * Status codes: DAOC_OK, DAOC_ENOMEM, DAOC_EINVAL (a malformed multipart
 * body, NULL arguments) and DAOC__ARGS_ETOOMANY for more pairs than `max`
 * (the caller answers 400 {"message":"Too many arguments"}).  daoc.h has
 * no range code, so that is DAOC_ECONSTRAINT ("constraint violation"), the
 * closest one: a limit was exceeded.
 */
#ifndef DAOC_ADMIN_ARGS_H
#define DAOC_ADMIN_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "daoc.h"

#define DAOC__ARGS_ETOOMANY DAOC_ECONSTRAINT
/* Kong's limit (ngx.req.get_uri_args / get_post_args with max 1000). */
#define DAOC__ARGS_MAX 1000
/* Highest array index "a[N]" taken as an index; larger (and 0) keep the
 * brackets as part of a literal key, so a sparse index cannot make a huge
 * array. */
#define DAOC__ARGS_MAX_INDEX 1000

/* At most this many nulls fill array holes in one daoc__args_nest call
 * ("a[1000]=x&b[1000]=y" uses 1998), so a short request cannot make a huge
 * value; more is DAOC__ARGS_ETOOMANY. */
#define DAOC__ARGS_MAX_HOLES 10000

typedef struct daoc__arg {
    char *key; /* decoded, NUL-terminated (key_len bytes, may hold NUL) */
    size_t key_len;
    char *val;      /* decoded, NUL-terminated; "" when has_value is false */
    size_t val_len; /* values may hold NUL bytes */
    bool has_value; /* false for "?custom_id" (no '=') */
    bool json;      /* a multipart part with Content-Type application/json */
} daoc__arg;

typedef struct daoc__args {
    daoc__arg *v;
    size_t n, cap;
} daoc__args;

/* Decodes a query string or form body s[0..len) into out (which must be
 * zeroed or hold earlier pairs: new ones are appended).  Pairs are
 * separated by '&' only; empty pairs and pairs with an empty key are
 * skipped; '+' is a space; %XX escapes are decoded, and a '%' not followed
 * by two hex digits is kept literally (as nginx does).  More than `max`
 * pairs in out: DAOC__ARGS_ETOOMANY.  On failure out holds what was decoded
 * before; free it with daoc__args_free either way. */
int daoc__args_parse_urlencoded(const char *s, size_t len, size_t max, daoc__args *out);

/* Appends one pair (copies key and value).  DAOC_OK or DAOC_ENOMEM. */
int daoc__args_push(daoc__args *a, const char *key, size_t klen, const char *val, size_t vlen,
                    bool has_value, bool json);

/* Frees every pair and resets a to empty.  Accepts NULL. */
void daoc__args_free(daoc__args *a);

/* Kong's arguments.decode: the pairs as one nested object (*out, owned by
 * the caller):
 *   "a.b=1" -> {a:{b:"1"}};  "a[1]=x", "a[]=x" -> arrays, 1-based, a hole
 *   filled with null ("x[2]=a" -> {x:[null,"a"]}); "a[1].b", "a[1][2]"
 *   nest; "a[key]=v" -> {a:{key:"v"}} only when allow_maps (POST, PUT,
 *   PATCH), else the key "a[key]" stays literal; a key that starts or ends
 *   with '.' stays literal; repeated keys (hosts=a&hosts=b) become an
 *   array, merging recursively (a later pair that needs another container
 *   type than an earlier one replaces it).
 * Values are strings; a pair without '=' is true (as ngx gives it); a json
 * pair's value is decoded as JSON, and kept as the string when it is not
 * JSON.  DAOC_OK, DAOC_ENOMEM, DAOC_EINVAL (NULL arguments) or
 * DAOC__ARGS_ETOOMANY (more than DAOC__ARGS_MAX_HOLES holes). */
int daoc__args_nest(const daoc__args *a, bool allow_maps, daoc_value **out);

/* Kong's schema-driven inference, in place, of the strings of object v
 * against `fields`, the "fields" array of a schema as daoc_dao_schema()
 * describes it.  For a known field: "" becomes null; number and integer: a
 * string that is a whole number (strtod-like, decimal or hex, leading and
 * trailing blanks allowed) becomes an integer when integral and in range,
 * else a number; anything else is kept (validation fails later); boolean:
 * "true" / "false"; array and set: a scalar other than null is wrapped as
 * a one-element array, then elements are inferred; record: recursive with
 * its fields; map: values inferred with `values`; foreign: an object whose
 * "" members become null.  Unknown fields stay as they are.  DAOC_OK or
 * DAOC_ENOMEM; v not an object, or fields NULL, changes nothing. */
int daoc__args_infer(daoc_value *v, const daoc_value *fields);

/* s[0..n) percent-decoded ("%41" -> 'A'; a bad escape stays as it is;
 * '+' is a space when plus_is_space: forms and query strings, not paths)
 * into a new NUL-terminated buffer (never longer than n) owned by the
 * caller (daoc__free); *outlen its length.  NULL on ENOMEM. */
char *daoc__pct_decode(const char *s, size_t n, bool plus_is_space, size_t *outlen);

#endif
