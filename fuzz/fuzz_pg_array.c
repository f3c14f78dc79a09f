/*
 * fuzz_pg_array.c -- libFuzzer target: arbitrary bytes as PostgreSQL
 * array-literal text (what the server sends for TEXT[], BIGINT[], JSONB[]
 * columns).  daoc__pg_parse_array must return an array or DAOC_ESTORE,
 * never crash, overrun or leak -- with ordinary allocations and carved from
 * a row block (value.h) of every size, including too small.  The first
 * byte picks the element type and the block size.  The same bytes are also
 * read as a timestamp column (text.c's ISO timestamp reader, for integer
 * and number fields): a value or DAOC_ESTORE, never anything else.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/value.h"
#include "store/postgres/pg_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const daoc__field els[] = {
        {.type = DAOC__F_STRING},  {.type = DAOC__F_INTEGER}, {.type = DAOC__F_NUMBER},
        {.type = DAOC__F_BOOLEAN}, {.type = DAOC__F_JSON},
    };
    unsigned pick = data[0];
    const daoc__field *el = (pick & 7) < 5 ? &els[pick & 7] : NULL;
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    daoc_value *out = NULL;
    daoc__bump b;
    daoc_value *row = daoc__obj_block(1, (size_t)(pick >> 3) * 24, &b);
    if (!row)
        return 0;
    int rc = daoc__pg_parse_array(text, n, el, (pick & 0x80) ? NULL : &b, &out);
    if (rc == DAOC_OK) {
        if (!out || daoc_value_type(out) != DAOC_TARR)
            abort();
        /* the row owns the block: the array goes into it, then away */
        if (daoc_obj_set(row, "a", out) != DAOC_OK)
            abort();
    } else if (rc != DAOC_ESTORE && rc != DAOC_ENOMEM) {
        abort();
    } else if (out) {
        abort();
    }
    daoc_value_free(row);

    /* a column value is NUL-terminated (libpq's are; strtod relies on it) */
    char *z = malloc(n + 1);
    if (!z)
        return 0;
    memcpy(z, text, n);
    z[n] = '\0';
    static const daoc__field ts[] = {{.type = DAOC__F_INTEGER, .timestamp = true},
                                     {.type = DAOC__F_NUMBER, .timestamp = true}};
    for (int k = 0; k < 2; k++) {
        daoc_value *v = NULL;
        rc = daoc__pg_parse_value(z, n, &ts[k], NULL, &v);
        if (rc == DAOC_OK) {
            if (!v || daoc_value_type(v) != (k ? DAOC_TNUM : DAOC_TINT))
                abort();
        } else if ((rc != DAOC_ESTORE && rc != DAOC_ENOMEM) || v) {
            abort();
        }
        daoc_value_free(v);
    }
    free(z);
    return 0;
}
