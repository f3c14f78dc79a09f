/*
 * fuzz_offset.c -- libFuzzer target: arbitrary bytes as a paging offset
 * token.  daoc__offset_decode must either return a JSON key array or a code 7
 * error, never crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#include "core/error.h"
#include "dao/dao.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *tok = daoc__strndup((const char *)data, size); /* the parser reads a C string */
    if (!tok)
        return 0;
    daoc_value *pkv = NULL;
    daoc_error *err = NULL;
    int rc = daoc__offset_decode("sqlite", tok, &pkv, &err);
    if (rc == DAOC_OK) {
        if (!pkv || daoc_value_type(pkv) != DAOC_TARR || daoc_value_len(pkv) == 0)
            abort();
    } else if (rc == DAOC_EDAO) {
        if (!err || daoc_error_code(err) != DAOC_ERR_INVALID_OFFSET || pkv)
            abort();
    } else if (rc != DAOC_ENOMEM) {
        abort();
    }
    daoc_value_free(pkv);
    daoc_error_free(err);
    daoc__free(tok);
    return 0;
}
