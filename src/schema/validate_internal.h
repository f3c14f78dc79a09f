/*
 * validate_internal.h -- private plumbing shared by the validation engine:
 * validate.c (entity and primary-key validation), validate_field.c (one
 * value against one field definition), validate_util.c (error trees, dotted
 * paths, UTF-8, regex syntax), checks.c (entity checks) and auto_fields.c
 * (process_auto_fields).  Nothing here is visible outside those files.
 *
 * Error trees follow Kong's shapes: an object keyed by field name holding a
 * string or a nested tree, "@entity" holding an array of strings, and
 * DAOC__VF_INTKEYS objects for array/set element errors.  Trees are built
 * lazily: a valid entity allocates nothing.
 */
#ifndef DAOC_SCHEMA_VALIDATE_INTERNAL_H
#define DAOC_SCHEMA_VALIDATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "schema/schema.h"

/* One validation run: `update` selects the update message variants
 * ("when updating, ..."), which Kong applies to nested records too.
 * `in_json` is set below the top level of array, set, map, record and json
 * fields: their values are stored as JSON text, which has no NaN or
 * infinity, so a non-finite number there would silently become null. */
typedef struct daoc__vctx {
    bool update;
    bool in_json;
} daoc__vctx;

/* Kong's Schema:validate_field.  `force_required` is the `required = true`
 * Kong sets on elements, map keys and map values.  Returns DAOC_OK with *err
 * NULL (valid) or a new error tree, or DAOC_ENOMEM. */
int daoc__vfield(const daoc__vctx *c, const daoc__field *f, const daoc_value *v,
                 bool force_required, daoc_value **err);

/* Kong's Schema:validate(input, full_check) on one schema level; *errors
 * receives NULL or a new tree. */
int daoc__ventity(const daoc__vctx *c, const daoc__schema *s, const daoc_value *in, bool full,
                  daoc_value **errors);

/* validate_primary_key(pk, ignore_others) with the run's message rules. */
int daoc__vpk(const daoc__vctx *c, const daoc__schema *s, const daoc_value *pk, bool ignore_others,
              daoc_value **errors);

/* Runs every entity check of s, adding to *errors (created on demand). */
int daoc__run_entity_checks(const daoc__vctx *c, const daoc__schema *s, const daoc_value *in,
                            bool full, daoc_value **errors);

/* The definition's `check` function on a full validation (self_check.c):
 * s->self_check must be set; adds to *errors. */
int daoc__run_self_check(const daoc__vctx *c, const daoc__schema *s, const daoc_value *in,
                         daoc_value **errors);

/* run_transformation_checks (transform.c): adds to *errors. */
int daoc__run_transformation_checks(const daoc__schema *s, const daoc_value *in,
                                    const daoc_value *orig, const daoc_value *rbw,
                                    daoc_value **errors);

/* A value against a compiled inline JSON schema (json_schema_check.c): 1
 * when valid, 0 with *msg (caller frees) in ljsonschema's words,
 * DAOC_ENOMEM. */
int daoc__json_schema_check(const struct daoc__json_schema *js, const daoc_value *v, char **msg);

/* process_auto_fields on one level (records recurse). */
int daoc__auto_fields(const daoc__schema *s, daoc_value *entity, daoc__ctx ctx, bool nulls,
                      double now);

/* ---- helpers (validate_util.c) ---------------------------------------- */

/* A string value made from a printf format; NULL on ENOMEM. */
daoc_value *daoc__vmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* errors[key] = err, creating *errors on demand (takes err even on failure). */
int daoc__verr_set(daoc_value **errors, const char *key, size_t klen, daoc_value *err);
/* Kong's set_field(errors, "a.b", err): dotted names create nested objects;
 * a non-object on the way makes it a no-op.  Takes err. */
int daoc__verr_set_path(daoc_value **errors, const char *name, daoc_value *err);
/* Appends a message to errors["@entity"] (takes msg, a NUL-terminated heap
 * string from daoc__malloc; NULL means ENOMEM). */
int daoc__verr_entity(daoc_value **errors, char *msg);

/* Kong's get_field(tbl, "x.y.z"): borrowed, NULL when absent or when a
 * level is not an object. */
const daoc_value *daoc__vget_path(const daoc_value *o, const char *name);
/* The field definition of a dotted name through record fields, or NULL. */
const daoc__field *daoc__vfield_path(const daoc__schema *s, const char *name);

/* Kong's vault reference test: "{vault://...}". */
bool daoc__is_reference(const char *s, size_t len);


/* True when s compiles as a PCRE pattern (a syntax check: groups, classes,
 * quantifiers, escapes, counted repetitions). */
bool daoc__regex_valid(const char *s, size_t len);

/* Kong's quoted_list: 'a', 'b' appended to a buffer. */
struct daoc__buf;
void daoc__quoted_list(struct daoc__buf *b, char *const *names, size_t n);

/* Lua string.format(fmt, arg) for the one-argument messages of Kong
 * (then_err, else_then_err): %s is replaced, %% gives %.  NULL on ENOMEM. */
char *daoc__lua_format1(const char *fmt, const char *arg);

#define DAOC__MAX_STRING 16777216 /* daoc refuses longer strings */

#endif
