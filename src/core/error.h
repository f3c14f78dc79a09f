/*
 * error.h -- building Kong's error objects (kong/db/errors.lua).
 *
 * The public daoc_error is opaque; the DAO layer creates it with these
 * constructors.  Message assembly for multi-error codes (schema violation,
 * invalid options, foreign keys unresolved) follows Kong exactly: @entity
 * messages first, then fields sorted by name, nested tables flattened as
 * "field.sub: msg".
 */
#ifndef DAOC_CORE_ERROR_H
#define DAOC_CORE_ERROR_H

#include "daoc.h"

struct daoc_error {
    int code;
    char *name;    /* owned */
    char *message; /* owned, may be NULL */
    char *string;  /* "[strategy] message", owned */
    const char *strategy;
    daoc_value *fields;  /* owned, may be NULL */
    daoc_value *options; /* owned, may be NULL */
};

/* Kong name of an error code ("schema violation"); static. */
const char *daoc__err_code_name(int code);

/* Generic constructor.  Takes ownership of `message` (may be NULL) and of
 * `fields` (may be NULL).  When `options_payload` is true the payload is
 * stored as `options` instead of `fields`.  Returns NULL on ENOMEM (the
 * arguments are freed then). */
daoc_error *daoc__err_new(int code, const char *strategy, char *message, daoc_value *payload,
                          bool options_payload);

/* Code 2 / 11 / 13: the message is assembled from the error tree, which the
 * error takes over. */
daoc_error *daoc__err_schema_violation(const char *strategy, daoc_value *errors);
daoc_error *daoc__err_invalid_options(const char *strategy, daoc_value *errors);
daoc_error *daoc__err_foreign_keys_unresolved(const char *strategy, daoc_value *errors);

/* Joins the items of an error tree as Kong does ("a; b: c; d.e: f") and
 * reports how many there were.  Returns a new string or NULL on ENOMEM. */
char *daoc__err_tree_summary(const daoc_value *errors, size_t *count);

/* An error that is not one of Kong's DB errors (loading a definition,
 * running a script): code 0, the given name, the message (taken over). */
daoc_error *daoc__err_plain(const char *name, char *message);

/* The public API's one way of reporting a failure.  Every function of
 * daoc.h that takes `daoc_error **err` starts with daoc__err_reset(err) and
 * ends its failures with daoc__err_fail or daoc__err_fill, so that *err holds
 * an error object after every failure but DAOC_ENOMEM.
 *
 * daoc__err_reset: *err = NULL (err may be NULL).
 * daoc__err_fail: when rc is a failure other than DAOC_ENOMEM and *err is
 *   still empty, stores a code-0 error named after rc ("invalid argument",
 *   "configuration error", ...) with the printf-formatted message.  Returns
 *   rc (DAOC_ENOMEM when the error object cannot be made).
 * daoc__err_fill: the same with daoc_strerror(rc) as the message. */
void daoc__err_reset(daoc_error **err);
int daoc__err_fail(daoc_error **err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int daoc__err_fill(daoc_error **err, int rc);

/* Overrides the name (code 10 "invalid unique <field>").  Returns status. */
int daoc__err_set_name(daoc_error *e, const char *name);

#endif
