/*
 * fuzz_admin_args.c -- libFuzzer target: arbitrary bytes as an Admin API
 * query string or form body (the first byte chooses whether maps are
 * allowed), through daoc__args_parse_urlencoded, daoc__args_nest and
 * daoc__args_infer against a small fixed schema.  Every step either
 * succeeds or fails with its documented status, never crashes or leaks,
 * and the result is always an object that encodes as JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin/args.h"

static const char FIELDS[] =
    "[{\"name\":{\"type\":\"string\"}},{\"port\":{\"type\":\"integer\"}},"
    "{\"w\":{\"type\":\"number\"}},{\"on\":{\"type\":\"boolean\"}},"
    "{\"hosts\":{\"type\":\"array\",\"elements\":{\"type\":\"string\"}}},"
    "{\"ports\":{\"type\":\"set\",\"elements\":{\"type\":\"integer\"}}},"
    "{\"rec\":{\"type\":\"record\",\"fields\":[{\"n\":{\"type\":\"integer\"}},"
    "{\"l\":{\"type\":\"array\",\"elements\":{\"type\":\"boolean\"}}}]}},"
    "{\"m\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"number\"}}},"
    "{\"service\":{\"type\":\"foreign\",\"reference\":\"services\"}}]";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static daoc_value *fields;
    if (!fields && daoc_json_decode(FIELDS, sizeof FIELDS - 1, &fields, NULL) != DAOC_OK)
        abort();
    if (size == 0)
        return 0;
    bool maps = data[0] & 1;
    /* an exact-size copy: ASan catches any read past the end */
    size_t n = size - 1;
    char *qs = malloc(n ? n : 1);
    if (!qs)
        return 0;
    memcpy(qs, data + 1, n);
    daoc__args a = {0};
    int rc = daoc__args_parse_urlencoded(qs, n, DAOC__ARGS_MAX, &a);
    if (rc != DAOC_OK && rc != DAOC__ARGS_ETOOMANY && rc != DAOC_ENOMEM)
        abort();
    if (a.n > DAOC__ARGS_MAX)
        abort();
    if (rc == DAOC_OK) {
        for (size_t i = 0; i < a.n; i++)
            if (a.v[i].key_len == 0 || a.v[i].val[a.v[i].val_len] != 0 ||
                a.v[i].key[a.v[i].key_len] != 0)
                abort();
        daoc_value *v = NULL;
        rc = daoc__args_nest(&a, maps, &v);
        if (rc == DAOC_OK) {
            if (!v || daoc_value_type(v) != DAOC_TOBJ)
                abort();
            rc = daoc__args_infer(v, fields);
            if (rc != DAOC_OK && rc != DAOC_ENOMEM)
                abort();
            char *json = NULL;
            size_t jn = 0;
            if (daoc_json_encode(v, &json, &jn) == DAOC_OK)
                daoc_free(json);
        } else if (rc != DAOC_ENOMEM || v) {
            abort();
        }
        daoc_value_free(v);
    }
    daoc__args_free(&a);
    free(qs);
    return 0;
}
