/*
 * fuzz_pg_binary.c -- libFuzzer target: arbitrary bytes as one binary
 * column value from the server (binary.c), for every pairing of a field
 * kind and a column type it accepts: integers, floats, booleans, text,
 * uuids, timestamps, JSON/JSONB and one-dimensional arrays of those.
 * daoc__pg_bin_value must return a value of the field's kind or
 * DAOC_ESTORE, never crash, overrun or leak -- with ordinary allocations
 * and carved from a row block of every size.  The first byte picks the
 * pairing, the second the block size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/value.h"
#include "store/postgres/pg_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const daoc__field el_str = {.type = DAOC__F_STRING};
    static const daoc__field el_int = {.type = DAOC__F_INTEGER};
    static const daoc__field el_num = {.type = DAOC__F_NUMBER};
    static const daoc__field el_bool = {.type = DAOC__F_BOOLEAN};
    static const daoc__field el_json = {.type = DAOC__F_JSON};
    static const daoc__field el_ts = {.type = DAOC__F_NUMBER, .timestamp = true};
    static const struct {
        daoc__field f;
        Oid oid;
    } pairs[] = {
        {{.type = DAOC__F_INTEGER}, 20},
        {{.type = DAOC__F_INTEGER}, 21},
        {{.type = DAOC__F_INTEGER}, 23},
        {{.type = DAOC__F_INTEGER}, 701},
        {{.type = DAOC__F_NUMBER}, 20},
        {{.type = DAOC__F_NUMBER}, 701},
        {{.type = DAOC__F_INTEGER, .timestamp = true}, 1184},
        {{.type = DAOC__F_NUMBER, .timestamp = true}, 1114},
        {{.type = DAOC__F_BOOLEAN}, 16},
        {{.type = DAOC__F_STRING}, 25},
        {{.type = DAOC__F_STRING}, 1043},
        {{.type = DAOC__F_STRING}, 2950},
        {{.type = DAOC__F_JSON}, 114},
        {{.type = DAOC__F_MAP}, 3802},
        {{.type = DAOC__F_ARRAY, .elements = (daoc__field *)&el_str}, 1009},
        {{.type = DAOC__F_SET, .elements = (daoc__field *)&el_str}, 2951},
        {{.type = DAOC__F_ARRAY, .elements = (daoc__field *)&el_int}, 1016},
        {{.type = DAOC__F_ARRAY, .elements = (daoc__field *)&el_int}, 1007},
        {{.type = DAOC__F_ARRAY, .elements = (daoc__field *)&el_num}, 1022},
        {{.type = DAOC__F_ARRAY, .elements = (daoc__field *)&el_bool}, 1000},
        {{.type = DAOC__F_ARRAY, .elements = (daoc__field *)&el_json}, 3807},
        {{.type = DAOC__F_ARRAY, .elements = (daoc__field *)&el_ts}, 1185},
    };
    size_t npairs = sizeof pairs / sizeof pairs[0];
    const daoc__field *f = &pairs[data[0] % npairs].f;
    Oid oid = pairs[data[0] % npairs].oid;
    if (!daoc__pg_bin_ok(f, oid))
        abort(); /* every pairing above is one binary.c reads */
    const char *p = (const char *)data + 2;
    size_t n = size - 2;
    daoc__bump b;
    daoc_value *row = daoc__obj_block(1, (size_t)data[1] * 8, &b), *out = NULL;
    if (!row)
        return 0;
    int rc = daoc__pg_bin_value(p, n, oid, f, (data[1] & 1) ? NULL : &b, &out);
    if (rc == DAOC_OK) {
        if (!out)
            abort();
        daoc_type want = f->type == DAOC__F_INTEGER   ? DAOC_TINT
                         : f->type == DAOC__F_NUMBER  ? DAOC_TNUM
                         : f->type == DAOC__F_BOOLEAN ? DAOC_TBOOL
                         : f->type == DAOC__F_STRING  ? DAOC_TSTR
                         : f->type == DAOC__F_ARRAY || f->type == DAOC__F_SET ? DAOC_TARR
                                                                              : daoc_value_type(out);
        if (daoc_value_type(out) != want)
            abort();
        if (daoc_obj_set(row, "v", out) != DAOC_OK) /* into the row that owns the block */
            abort();
    } else if ((rc != DAOC_ESTORE && rc != DAOC_ENOMEM) || out) {
        abort();
    }
    daoc_value_free(row);
    return 0;
}
