/*
 * fuzz_multipart.c -- libFuzzer target: arbitrary bytes as a
 * multipart/form-data request.  The first line is the boundary (the
 * Content-Type becomes "multipart/form-data; boundary=<line>"), the rest
 * the body.  daoc__args_parse_multipart must return OK, EINVAL, the
 * too-many-parts status or ENOMEM, never read outside the body, crash or
 * leak; what it accepts then goes through daoc__args_nest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size < 256 ? size : 256);
    if (!nl)
        return 0;
    size_t bn = (size_t)(nl - data);
    char ct[320];
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%.*s", (int)bn, (const char *)data);
    size_t n = size - bn - 1;
    char *body = malloc(n ? n : 1);
    if (!body)
        return 0;
    memcpy(body, nl + 1, n);
    daoc__args a = {0};
    int rc = daoc__args_parse_multipart(body, n, ct, 64, &a);
    if (rc != DAOC_OK && rc != DAOC_EINVAL && rc != DAOC__ARGS_ETOOMANY && rc != DAOC_ENOMEM)
        abort();
    if (a.n > 64)
        abort();
    for (size_t i = 0; i < a.n; i++) {
        /* every value lies inside the body */
        if (a.v[i].val_len > n || !a.v[i].has_value)
            abort();
    }
    if (rc == DAOC_OK) {
        daoc_value *v = NULL;
        rc = daoc__args_nest(&a, true, &v);
        if (rc != DAOC_OK && rc != DAOC_ENOMEM)
            abort();
        daoc_value_free(v);
    }
    daoc__args_free(&a);
    free(body);
    return 0;
}
