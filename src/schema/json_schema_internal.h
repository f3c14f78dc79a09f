/*
 * json_schema_internal.h -- what the four json_schema files share: the
 * compiled form of an inline schema (json_schema.c builds it, json_schema_
 * check.c walks it), local $ref resolution (json_schema_ref.c), the
 * patterns compiled with PCRE2 and the `format` checks with Lua's %q
 * quoting for messages (json_schema_match.c).  Nothing here is visible
 * outside src/schema/json_schema*.c.
 */
#ifndef DAOC_SCHEMA_JSON_SCHEMA_INTERNAL_H
#define DAOC_SCHEMA_JSON_SCHEMA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/value.h"

/* Longest chain of $ref to $ref followed before a schema is reached. */
#define DAOC__JS_REF_HOPS 32

/* One compiled pattern: `key` is the `pattern` string node, or the
 * patternProperties entry (daoc__kv), in the schema's own tree. */
typedef struct daoc__jsre {
    const void *key;
    void *code; /* pcre2_code * */
} daoc__jsre;

struct daoc__json_schema {
    daoc_value *root; /* owned copy of the inline schema */
    daoc__jsre *re;   /* sorted by key */
    size_t nre, cap;
    void *mc; /* pcre2_match_context * (match and depth limits) */
};

/* ---- json_schema_ref.c -------------------------------------------------- */

/* The schema `ref` (the text of a $ref) names inside `root`, or NULL with
 * *why saying what is wrong ("remote", "not found", "not a schema": static
 * strings).  Local means "#..." or "<root id>#...". */
const daoc_value *daoc__js_ref_target(const daoc_value *root, const daoc_value *ref,
                                      const char **why);
/* s itself, or the schema its $ref chain ends at; NULL when the chain is
 * broken or longer than DAOC__JS_REF_HOPS (compile refuses both). */
const daoc_value *daoc__js_deref(const daoc_value *root, const daoc_value *s);
/* Appends one JSON-pointer segment ("/" + key with ~0 ~1 escapes). */
void daoc__js_ptr_push(daoc__buf *b, const char *key, size_t len);

/* ---- json_schema_match.c ------------------------------------------------ */

/* Compiles `pat` under `key` into js (byte-wise, no UTF mode, as ngx.re
 * with Kong's "jo" options).  0 on success; 1 with *msg (owned) for a bad
 * pattern; DAOC_ENOMEM. */
int daoc__js_re_add(struct daoc__json_schema *js, const void *key, const char *pat, size_t len,
                    char **msg);
void daoc__js_re_sort(struct daoc__json_schema *js);
void daoc__js_re_free(struct daoc__json_schema *js);
/* 1 when the pattern compiled under `key` finds a match in s (unanchored),
 * 0 when not (a match error, e.g. the backtracking limit, counts as no
 * match, as ngx.re.find's nil, err did), DAOC_ENOMEM. */
int daoc__js_re_find(const struct daoc__json_schema *js, const void *key, const char *s,
                     size_t len);
/* Lua's string.format("%q", s) (LuaJIT's escapes) appended to b. */
void daoc__js_quote(daoc__buf *b, const char *s, size_t len);
/* `format`: ljsonschema checks "date", "time" and "date-time" (RFC 3339
 * shapes, its own leniencies included) and ignores every other name.
 * *msg is NULL when s passes, else the message (owned).  DAOC_OK or
 * DAOC_ENOMEM. */
int daoc__js_format(const char *format, const char *s, size_t len, char **msg);

#endif
