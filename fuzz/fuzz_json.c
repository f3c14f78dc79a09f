/*
 * fuzz_json.c -- libFuzzer target: daoc_json_decode on arbitrary bytes; what
 * decodes must encode, and the encoding must decode again to an equal value
 * that encodes to the same text (round trip is a fixed point).
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
    char errbuf[128];
    if (daoc_json_decode((const char *)data, size, &v, errbuf, sizeof errbuf) != DAOC_OK)
        return 0;
    char *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    daoc_value *w = NULL;
    if (daoc_json_encode(v, &a, &alen) != DAOC_OK)
        abort();
    if (daoc_json_decode(a, alen, &w, errbuf, sizeof errbuf) != DAOC_OK)
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
