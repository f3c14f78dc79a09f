/*
 * compile_internal.h -- private plumbing shared by compile.c (entity level),
 * compile_field.c (one field definition) and compile_checks.c (entity
 * checks).  Nothing here is visible outside src/schema/compile*.c.
 */
#ifndef DAOC_SCHEMA_COMPILE_INTERNAL_H
#define DAOC_SCHEMA_COMPILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "schema/schema.h"

/* State of one daoc__schema_compile() call. */
typedef struct daoc__cctx {
    const char *entity; /* entity name for messages, NULL before it is known */
    daoc__schema_lookup_fn lookup;
    void *ud;
    char **errmsg; /* receives "<entity>: <path>: <message>" */
} daoc__cctx;

/* Records the definition error and returns DAOC_ESCHEMA (DAOC_ENOMEM when
 * even the message cannot be built).  `path` may be NULL. */
int daoc__cfail(daoc__cctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Lua's `{}` arrives as an empty array or an empty object: these accept
 * both where a table of the given shape is expected. */
bool daoc__c_is_list(const daoc_value *v);
bool daoc__c_is_map(const daoc_value *v);
/* "path.sub" (or "sub" when path is NULL/empty); NULL on ENOMEM. */
char *daoc__c_join(const char *path, const char *sub);
/* Copies an array of strings (`attr` names it in messages: "<attr>: expected
 * an array", "<attr>.<i>: expected a string") into *out / *n. */
int daoc__c_strlist(daoc__cctx *c, const char *path, const char *attr, const daoc_value *arr,
                    char ***out, size_t *n);
void daoc__c_strlist_free(char **l, size_t n);

/* Flags for daoc__compile_field. */
#define DAOC__CF_TOPLEVEL 0x01        /* a field of the entity itself */
#define DAOC__CF_RECORDS_REQUIRED 0x02 /* Entity rule: records default to required */

/* Compiles one field definition (`def`, the table of `{name = def}`) into
 * *out (zeroed by the caller).  `name` is NULL for elements/keys/values. */
int daoc__compile_field(daoc__cctx *c, const char *path, const char *name, const daoc_value *def,
                        int flags, daoc__field *out);
/* Releases everything a compiled field owns (not the struct itself). */
void daoc__field_clear(daoc__field *f);

/* Compiles a `fields` array into s->fields / s->nfields. */
int daoc__compile_fields(daoc__cctx *c, const char *path, const daoc_value *fields, int flags,
                         daoc__schema *s);

/* Compiles an `entity_checks` array into s->checks; `fields` is the
 * definition's `fields` array (conditional matchers inherit field
 * definitions from it).  s->fields must already be compiled. */
int daoc__compile_checks(daoc__cctx *c, const char *path, const daoc_value *checks,
                         const daoc_value *fields, int flags, daoc__schema *s);
void daoc__checks_free(daoc__check *checks, size_t n);

/* The `json_schema` attribute of a json field (json_schema.c): the
 * metaschema's rules, the inline schema compiled into f->json_schema
 * (its patterns included); daoc__json_schema_free releases it. */
int daoc__compile_json_schema(daoc__cctx *c, const char *path, const daoc_value *js,
                              daoc__field *f);
void daoc__json_schema_free(struct daoc__json_schema *js);

/* Compiles a `shorthand_fields` array into s->shorthands (shorthands.c). */
int daoc__compile_shorthands(daoc__cctx *c, const char *at, const daoc_value *arr, daoc__schema *s);
void daoc__shorthands_free(daoc__shorthand *sh, size_t n);
void daoc__subschemas_free(daoc__subschema *subs, size_t n);
/* Compiles a `transformations` array (transform.c); `fields` is the
 * definition's fields array (input/needs must name fields in it). */
int daoc__compile_transformations(daoc__cctx *c, const daoc_value *arr, const daoc_value *fields,
                                  daoc__schema *s);
void daoc__transformations_free(daoc__transformation *t, size_t n);

/* The definition table of a (possibly dotted, through records) field name in
 * a `fields` array; NULL when absent.  *via_foreign is set when the path
 * crosses a foreign field (the rest cannot be checked here). */
const daoc_value *daoc__c_find_field_def(const daoc_value *fields, const char *name, size_t len,
                                         bool *via_foreign);

/* ---- built-in validators (builtins.c, builtins_net.c) ------------------ */

/* A built-in check of one string: returns 1 when valid, 0 when not (then
 * *msg receives Kong's message, allocated), DAOC_ENOMEM on failure. */
typedef int (*daoc__bfn)(const char *s, size_t n, char **msg);

/* *msg = pre + s[0..n) + post; returns 0 (the "invalid" answer) or
 * DAOC_ENOMEM. */
int daoc__bmsg(char **msg, const char *pre, const char *s, size_t n, const char *post);

/* Whether daoc__builtin_validator() knows `name`. */
bool daoc__builtin_known(const char *name);

int daoc__b_ip(const char *s, size_t n, char **msg);
int daoc__b_ip_or_cidr(const char *s, size_t n, char **msg);
int daoc__b_cidr_v4(const char *s, size_t n, char **msg);
int daoc__b_host(const char *s, size_t n, char **msg);
int daoc__b_host_with_optional_port(const char *s, size_t n, char **msg);
int daoc__b_wildcard_host(const char *s, size_t n, char **msg);
int daoc__b_sni(const char *s, size_t n, char **msg);
int daoc__b_url(const char *s, size_t n, char **msg);

/* builtins_crypto.c: certificate and key (string validators above), and
 * the validators of whole values (pem, jwk records; the certificates
 * entity check certificate_key_pair), which daoc__builtin_validator makes
 * callables of.  A value validator returns 1 (valid), 0 with *msg, or a
 * negative status; it is not called for an absent or null value. */
int daoc__b_certificate(const char *s, size_t n, char **msg);
int daoc__b_key(const char *s, size_t n, char **msg);
typedef struct daoc__vbuiltin {
    const char *name;
    int (*fn)(const daoc_value *v, char **msg);
} daoc__vbuiltin;
/* The value validator named name, or NULL. */
const daoc__vbuiltin *daoc__crypto_validator(const char *name);

#endif
