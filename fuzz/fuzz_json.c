/*
 * fuzz_json.c -- libFuzzer target: daoc_json_decode on arbitrary bytes; what
 * decodes must encode, and the encoding must decode again to an equal value
 * that encodes to the same text (round trip is a fixed point); what does not
 * decode is refused with an error object that says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/value.h"
#include "daoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    daoc_value *v = NULL;
    daoc_error *e = NULL;
    int rc = daoc_json_decode((const char *)data, size, &v, &e);
    if (rc != DAOC_OK) {
        const char *m = e ? daoc_error_message(e) : NULL;
        if (rc != DAOC_ENOMEM && (!m || !m[0] || v))
            abort(); /* a refusal says why and hands out nothing */
        daoc_error_free(e);
        return 0;
    }
    if (e)
        abort();
    char *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    daoc_value *w = NULL;
    if (daoc_json_encode(v, &a, &alen) != DAOC_OK)
        abort();
    if (daoc_json_decode(a, alen, &w, NULL) != DAOC_OK)
        abort(); /* our own output must parse */
    if (!daoc__value_equal(v, w))
        abort();
    if (daoc_json_encode(w, &b, &blen) != DAOC_OK || blen != alen || memcmp(a, b, alen) != 0)
        abort();
    daoc_free(a);
    daoc_free(b);
    daoc_value_free(v);
    daoc_value_free(w);
    return 0;
}
