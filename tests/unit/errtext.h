/*
 * errtext.h -- the suites' way of reading the library's one error channel:
 * each t_* call runs the daoc.h function of the same name with a daoc_error,
 * checks the contract every such function keeps (after a failure other
 * than DAOC_ENOMEM an error object is there; after success none is), and
 * copies the error's message into `why` for the suite to compare or print.
 */
#ifndef DAOC_TEST_ERRTEXT_H
#define DAOC_TEST_ERRTEXT_H

#include <stdio.h>
#include <stdlib.h>

#include "daoc.h"

static inline int t_errtext(const char *call, int rc, daoc_error *e, char *why, size_t n)
{
    if ((rc != DAOC_OK && rc != DAOC_ENOMEM) != (e != NULL)) {
        fprintf(stderr, "%s: status %s with%s an error object\n", call, daoc_status_name(rc),
                e ? "" : "out");
        abort();
    }
    if (why && n) {
        const char *m = e ? daoc_error_message(e) : NULL;
        snprintf(why, n, "%s", m ? m : (rc ? daoc_strerror(rc) : ""));
    }
    daoc_error_free(e);
    return rc;
}

static inline int t_config_load(daoc_config **out, const char *path, char *why, size_t n)
{
    daoc_error *e = NULL;
    int rc = daoc_config_load(out, path, &e);
    return t_errtext("daoc_config_load", rc, e, why, n);
}

static inline int t_config_set(daoc_config *cfg, const char *key, const char *value, char *why,
                               size_t n)
{
    daoc_error *e = NULL;
    int rc = daoc_config_set(cfg, key, value, &e);
    return t_errtext("daoc_config_set", rc, e, why, n);
}

static inline int t_json_decode(const char *text, size_t len, daoc_value **out, char *why,
                                size_t n)
{
    daoc_error *e = NULL;
    int rc = daoc_json_decode(text, len, out, &e);
    return t_errtext("daoc_json_decode", rc, e, why, n);
}

#endif
