/* test_core.c -- values, JSON, base64, error objects and message assembly. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/b64.h"
#include "core/error.h"
#include "core/rand.h"
#include "core/value.h"
#include "daoc.h"
#include "errtext.h"
#include "harness.h"

static daoc_value *J(const char *text)
{
    daoc_value *v = NULL;
    if (daoc_json_decode(text, strlen(text), &v, NULL) != DAOC_OK)
        return NULL;
    return v;
}

static char *enc(const daoc_value *v)
{
    char *s = NULL;
    if (daoc_json_encode(v, &s, NULL) != DAOC_OK)
        return NULL;
    return s;
}

TEST(json_round_trip_keeps_order_and_exact_integers)
{
    daoc_value *v = J("{\"b\":1,\"a\":[true,null,9007199254740993,-5,0.5,\"x\\u0001\\\"\"]}");
    ASSERT_NOT_NULL(v);
    char *s = enc(v);
    ASSERT_STR(s, "{\"b\":1,\"a\":[true,null,9007199254740993,-5,0.5,\"x\\u0001\\\"\"]}");
    daoc_free(s);
    daoc_value_free(v);
}

TEST(json_rejects_duplicates_bad_utf8_and_huge_integers)
{
    daoc_value *v = NULL;
    char why[200];
    ASSERT_INT(t_json_decode("{\"a\":1,\"a\":2}", 13, &v, why, sizeof why), DAOC_EINVAL);
    ASSERT_INT(t_json_decode("\"\xff\"", 3, &v, why, sizeof why), DAOC_EINVAL);
    ASSERT_INT(t_json_decode("18446744073709551616", 20, &v, why, sizeof why), DAOC_EINVAL);
    ASSERT_NULL(v);
    /* not JSON: a code-0 "json error" with jansson's reason */
    daoc_error *e = NULL;
    ASSERT_INT(daoc_json_decode("[1,", 3, &v, &e), DAOC_EINVAL);
    ASSERT_NOT_NULL(e);
    ASSERT_INT(daoc_error_code(e), 0);
    ASSERT_STR(daoc_error_name(e), "json error");
    ASSERT_STR(daoc_error_message(e), "']' expected near end of file");
    daoc_error_free(e);
    /* nested too deep is refused the same way, not as out of memory */
    char deep[402];
    memset(deep, '[', 201);
    memset(deep + 201, ']', 201);
    ASSERT_INT(daoc_json_decode(deep, sizeof deep, &v, &e), DAOC_EINVAL);
    ASSERT_NOT_NULL(e);
    ASSERT_STR(daoc_error_message(e), "values nested more than 200 levels deep");
    daoc_error_free(e);
    ASSERT_NULL(v);
}

TEST(pretty_sorts_keys_like_penlight)
{
    daoc_value *v = J("{\"name\":\"key-auth\",\"route\":{\"id\":\"r\"},\"consumer\":null,\"b\":2}");
    char *p = daoc__value_pretty(v, "null");
    ASSERT_STR(p, "{b=2,consumer=null,name=\"key-auth\",route={id=\"r\"}}");
    daoc__free(p);
    p = daoc__value_pretty(v, NULL);
    ASSERT_STR(p, "{b=2,consumer=\"userdata: NULL\",name=\"key-auth\",route={id=\"r\"}}");
    daoc__free(p);
    daoc_value_free(v);
}

TEST(schema_violation_message_assembly)
{
    /* reference checklist 27 */
    daoc_value *e = J("{\"foo\":\"expected an integer\",\"bar\":\"length must be 5\","
                      "\"baz\":\"unknown field\",\"@entity\":[\"at least one of plim or plum is "
                      "needed\",\"the check function errored out\",\"an extra error\"],"
                      "\"external_entity\":{\"id\":\"missing primary key\"}}");
    ASSERT_NOT_NULL(e);
    daoc_error *err = daoc__err_schema_violation("postgres", e);
    ASSERT_NOT_NULL(err);
    ASSERT_INT(daoc_error_code(err), 2);
    ASSERT_STR(daoc_error_name(err), "schema violation");
    ASSERT_STR(daoc_error_message(err),
               "7 schema violations (at least one of plim or plum is needed; the check function "
               "errored out; an extra error; bar: length must be 5; baz: unknown field; "
               "external_entity.id: missing primary key; foo: expected an integer)");
    ASSERT_STR(daoc_error_string(err),
               "[postgres] 7 schema violations (at least one of plim or plum is needed; the check "
               "function errored out; an extra error; bar: length must be 5; baz: unknown field; "
               "external_entity.id: missing primary key; foo: expected an integer)");
    daoc_error_free(err);
}

TEST(single_violation_and_sparse_array_errors)
{
    daoc_value *e = daoc_obj();
    daoc_value *arr = daoc_obj();
    arr->flags |= DAOC__VF_INTKEYS;
    ASSERT_INT(daoc_obj_set(arr, "2", daoc_str("expected a string")), DAOC_OK);
    ASSERT_INT(daoc_obj_set(e, "protocols", arr), DAOC_OK);
    daoc_error *err = daoc__err_schema_violation("sqlite", e);
    ASSERT_STR(daoc_error_message(err), "schema violation (protocols.2: expected a string)");
    char *s = enc(daoc_error_fields(err));
    ASSERT_STR(s, "{\"protocols\":[null,\"expected a string\"]}");
    daoc_free(s);
    daoc_value *whole = daoc_error_to_value(err);
    s = enc(whole);
    ASSERT_STR(s, "{\"code\":2,\"name\":\"schema violation\",\"message\":\"schema violation "
                  "(protocols.2: expected a string)\",\"strategy\":\"sqlite\",\"fields\":"
                  "{\"protocols\":[null,\"expected a string\"]}}");
    daoc_free(s);
    daoc_value_free(whole);
    daoc_error_free(err);
}

TEST(invalid_options_message_uses_options_payload)
{
    /* reference checklist 30 */
    daoc_value *e = J("{\"pagination\":{\"page_size\":\"must be an integer between 1 and 50000\","
                      "\"max_page_size\":\"must be an integer greater than 0\"}}");
    daoc_error *err = daoc__err_invalid_options("postgres", e);
    ASSERT_INT(daoc_error_code(err), 11);
    ASSERT_STR(daoc_error_string(err),
               "[postgres] 2 option violations (pagination.max_page_size: must be an integer "
               "greater than 0; pagination.page_size: must be an integer between 1 and 50000)");
    ASSERT_NULL(daoc_error_fields(err));
    ASSERT_NOT_NULL(daoc_error_options(err));
    daoc_error_free(err);
}

TEST(base64_like_ngx_encode_base64_no_padding)
{
    char *s = daoc__b64_encode("[\"a\"]", 5, 0);
    ASSERT_STR(s, "WyJhIl0");
    char *out = NULL;
    size_t n = 0;
    ASSERT_INT(daoc__b64_decode(s, strlen(s), &out, &n), 0);
    ASSERT_INT(n, 5);
    ASSERT_STR(out, "[\"a\"]");
    daoc__free(out);
    ASSERT_INT(daoc__b64_decode("WyJhIl0=", 8, &out, &n), 0);
    daoc__free(out);
    ASSERT_INT(daoc__b64_decode("hello", 5, &out, &n), -1);
    ASSERT_INT(daoc__b64_decode("ab$d", 4, &out, &n), -1);
    daoc__free(s);
}

TEST(uuid_and_random_strings)
{
    char u[37], r[33];
    ASSERT_INT(daoc__uuid_v4(u), DAOC_OK);
    ASSERT_TRUE(daoc__is_uuid(u, strlen(u)));
    ASSERT_TRUE(u[14] == '4');
    ASSERT_INT(daoc__random_string(r, 32), DAOC_OK);
    ASSERT_INT(strlen(r), 32);
    ASSERT_TRUE(!daoc__is_uuid("cbb297c0a956486dad1df9b42df9465a", 32));
    ASSERT_TRUE(daoc__is_uuid("00000000-0000-0000-0000-000000000000", 36));
    ASSERT_TRUE(daoc__is_uuid("ABCDEF01-2345-6789-abcd-ef0123456789", 36));
    /* every position: a non-hex character, or a dash out of place */
    for (size_t i = 0; i < 36; i++) {
        char t[37] = "0123abcd-ef01-4567-89ab-cdefABCDEF01";
        t[i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '0' : 'g';
        ASSERT_TRUE(!daoc__is_uuid(t, 36));
        t[i] = '-';
        if (!(i == 8 || i == 13 || i == 18 || i == 23))
            ASSERT_TRUE(!daoc__is_uuid(t, 36));
    }
    ASSERT_TRUE(!daoc__is_uuid("0123abcd-ef01-4567-89ab-cdefABCDEF0", 35));
}

/* daoc__is_uuid tests eight bytes at a time; a plain per-character check
 * must agree on every byte value at every position, and on random
 * mixtures of hex digits, dashes and bytes near the hex ranges. */
static bool uuid_ref(const char *s, size_t len)
{
    if (len != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        unsigned char c = (unsigned char)s[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (dash ? c != '-' : !hex)
            return false;
    }
    return true;
}

TEST(uuid_check_agrees_with_a_per_character_check)
{
    for (size_t i = 0; i < 36; i++) {
        for (int c = 0; c < 256; c++) {
            char t[37] = "0123abcd-ef01-4567-89ab-cdefABCDEF01";
            t[i] = (char)c;
            if (!daoc__is_uuid(t, 36) != !uuid_ref(t, 36))
                T_FAIL_AT("position %zu byte 0x%02x: got %d", i, c, daoc__is_uuid(t, 36));
        }
    }
    static const char pool[] = "0123456789abcdefABCDEF-/:@G`g\x7f\x80\xb0\xc6\xe6\xff\x10\x19 ";
    unsigned long long seed = 7;
    int valid = 0;
    for (int n = 0; n < 200000; n++) {
        char t[36];
        for (size_t i = 0; i < 36; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            bool dash = i == 8 || i == 13 || i == 18 || i == 23;
            /* mostly the right kind of character, so whole strings pass too */
            unsigned r = (unsigned)(seed >> 33);
            t[i] = r % 64 ? (dash ? '-' : pool[r / 64 % 22]) : pool[r / 64 % (sizeof pool - 1)];
        }
        valid += uuid_ref(t, 36);
        if (!daoc__is_uuid(t, 36) != !uuid_ref(t, 36))
            T_FAIL_AT("%.36s: got %d", t, daoc__is_uuid(t, 36));
    }
    ASSERT_TRUE(valid > 1000);
}

TEST(allocation_failures_are_reported_not_crashes)
{
    const char *text = "{\"a\":[1,2,{\"b\":\"c\"}],\"d\":null}";
    for (long n = 0; n < 200; n++) {
        daoc_value *v = NULL;
        daoc__alloc_fail_after(n);
        int rc = daoc_json_decode(text, strlen(text), &v, NULL);
        daoc__alloc_fail_after(-1);
        if (rc == DAOC_OK) {
            char *s = enc(v);
            ASSERT_STR(s, text);
            daoc_free(s);
            daoc_value_free(v);
            return;
        }
        ASSERT_NULL(v);
    }
    ASSERT_TRUE(!"decode never succeeded");
}

TEST(value_equality_and_copy)
{
    daoc_value *a = J("{\"x\":[1,2.0,\"s\"],\"y\":{\"z\":null}}");
    daoc_value *b = J("{\"y\":{\"z\":null},\"x\":[1.0,2,\"s\"]}");
    ASSERT_TRUE(daoc__value_equal(a, b));
    daoc_value *c = daoc_value_copy(a);
    ASSERT_TRUE(daoc__value_equal(a, c));
    ASSERT_TRUE(daoc_obj_del(c, "y"));
    ASSERT_TRUE(!daoc__value_equal(a, c));
    daoc_value_free(a);
    daoc_value_free(b);
    daoc_value_free(c);
}

TEST(interned_keys_are_shared_and_never_freed_by_objects)
{
    const char *a = daoc__key_intern("username", 8), *b = daoc__key_intern("username", 8);
    const char *c = daoc__key_intern("user", 4);
    ASSERT_NOT_NULL(a);
    ASSERT_TRUE(a == b);
    ASSERT_TRUE(a != c);
    ASSERT_STR(a, "username");
    ASSERT_STR(c, "user");
    /* an object mixing interned and copied keys: copies, removals and frees
     * leave interned keys alone (ASan/LSan/valgrind watch the rest) */
    daoc_value *o = daoc_obj();
    ASSERT_INT(daoc__obj_append_interned(o, a, 8, daoc_str("x")), DAOC_OK);
    ASSERT_INT(daoc_obj_set(o, "plain", daoc_int(1)), DAOC_OK);
    ASSERT_INT(daoc__obj_append_interned(o, c, 4, daoc_int(2)), DAOC_OK);
    ASSERT_STR(daoc_value_str(daoc_obj_get(o, "username"), NULL), "x");
    daoc_value *k = daoc_value_copy(o);
    ASSERT_TRUE(daoc__value_equal(o, k));
    ASSERT_TRUE(daoc_obj_key_at(k, 0, NULL) == a); /* shared, not copied */
    ASSERT_TRUE(daoc_obj_del(o, "username"));
    daoc_value_free(daoc__obj_take(k, "user", 4));
    ASSERT_INT(daoc_obj_set(k, "username", daoc_str("y")), DAOC_OK); /* replaced in place */
    ASSERT_STR(daoc_value_str(daoc_obj_get(k, "username"), NULL), "y");
    daoc_value_free(o);
    daoc_value_free(k);
    ASSERT_STR(a, "username"); /* still there */
}

TEST(pretty_renders_sparse_error_arrays_with_integer_keys)
{
    daoc_value *o = daoc_obj();
    o->flags |= DAOC__VF_INTKEYS;
    ASSERT_INT(daoc_obj_set(o, "10", daoc_str("b")), DAOC_OK);
    ASSERT_INT(daoc_obj_set(o, "2", daoc_str("a")), DAOC_OK);
    char *p = daoc__value_pretty(o, NULL);
    ASSERT_STR(p, "{[2]=\"a\",[10]=\"b\"}");
    daoc__free(p);
    daoc_value_free(o);
}

/* Rows in one block (value.h, daoc__obj_block): carved values behave like
 * any other, leave their block as copies, and a short block only costs
 * ordinary allocations.  ASan/valgrind check that nothing is freed twice,
 * leaked or used after its block is gone. */
TEST(rows_in_one_block_free_once_and_detach_as_copies)
{
    daoc__bump b;
    daoc_value *row = daoc__obj_block(4, 4 * DAOC__BUMP_STR(16) + DAOC__BUMP_ARR(2), &b);
    ASSERT_NOT_NULL(row);
    ASSERT_INT(daoc_obj_set(row, "id", daoc__bump_strn(&b, "abc", 3)), DAOC_OK);
    ASSERT_INT(daoc_obj_set(row, "n", daoc__bump_int(&b, 42)), DAOC_OK);
    daoc_value *tags = daoc__bump_arr(&b, 2);
    ASSERT_TRUE((tags->flags & DAOC__VF_EMBEDDED) != 0);
    ASSERT_INT(daoc_arr_push(tags, daoc__bump_strn(&b, "t1", 2)), DAOC_OK);
    ASSERT_INT(daoc_arr_push(tags, daoc__bump_strn(&b, "t2", 2)), DAOC_OK);
    /* growing past the carved room moves the entries out; an ordinary
     * element joins carved ones */
    ASSERT_INT(daoc_arr_push(tags, daoc_str("t3")), DAOC_OK);
    ASSERT_INT(daoc_obj_set(row, "tags", tags), DAOC_OK);
    /* more than was reserved: ordinary allocations, same behaviour */
    daoc_value *big = daoc__bump_strn(&b, "a string longer than the room that is left", 43);
    ASSERT_TRUE((big->flags & DAOC__VF_EMBEDDED) == 0);
    ASSERT_INT(daoc_obj_set(row, "big", big), DAOC_OK); /* the object grows too */
    /* replacing a carved value frees what it owns, not the block */
    ASSERT_INT(daoc_obj_set(row, "n", daoc_int(7)), DAOC_OK);
    /* taking values out hands copies that outlive the block */
    daoc_value *id = daoc__obj_take(row, "id", 2);
    daoc_value *t = daoc__obj_take(row, "tags", 4);
    ASSERT_TRUE((id->flags & DAOC__VF_EMBEDDED) == 0);
    ASSERT_TRUE((t->flags & DAOC__VF_EMBEDDED) == 0);
    daoc_value *first = daoc__arr_take(t, 0);
    daoc_value *copy = daoc_value_copy(row);
    ASSERT_TRUE((copy->flags & DAOC__VF_EMBEDDED) == 0);
    daoc_value_free(row);
    ASSERT_STR(daoc_value_str(id, NULL), "abc");
    ASSERT_INT((int)daoc_value_len(t), 2);
    ASSERT_STR(daoc_value_str(daoc_arr_get(t, 1), NULL), "t3");
    ASSERT_STR(daoc_value_str(first, NULL), "t1");
    ASSERT_INT((int)daoc_value_int(daoc_obj_get(copy, "n")), 7);
    daoc_value_free(id);
    daoc_value_free(t);
    daoc_value_free(first);
    daoc_value_free(copy);
    /* no room at all, or no bump: every constructor still works */
    daoc__bump none = {NULL, NULL};
    daoc_value *v[] = {daoc__bump_null(&none), daoc__bump_bool(NULL, true),
                       daoc__bump_num(NULL, 1.5), daoc__bump_obj(&none, 1)};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        ASSERT_NOT_NULL(v[i]);
        ASSERT_TRUE((v[i]->flags & DAOC__VF_EMBEDDED) == 0);
        daoc_value_free(v[i]);
    }
}

/* Randomness comes in per-thread batches (rand.c); a forked child must not
 * hand out the bytes its parent will: the next UUID of each differs. */
TEST(uuids_differ_across_fork)
{
    char a[37], b[37], c[37];
    ASSERT_INT(daoc__uuid_v4(a), DAOC_OK); /* the batch is filled */
    int fds[2];
    ASSERT_INT(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        char mine[37] = "";
        (void)daoc__uuid_v4(mine);
        ssize_t w = write(fds[1], mine, 36);
        _exit(w == 36 ? 0 : 1);
    }
    ASSERT_INT(daoc__uuid_v4(b), DAOC_OK);
    close(fds[1]);
    ASSERT_INT((int)read(fds[0], c, 36), 36);
    c[36] = '\0';
    close(fds[0]);
    int st = 0;
    ASSERT_INT((int)waitpid(pid, &st, 0), (int)pid);
    ASSERT_TRUE(strcmp(a, b) != 0);
    ASSERT_TRUE(strcmp(b, c) != 0); /* without the fork handler they were equal */
}

/* ---- value_order.c ------------------------------------------------------- */

static bool same_elements(const char *a, const char *b)
{
    daoc_value *x = J(a), *y = J(b);
    bool same = false;
    if (!x || !y || daoc__value_same_elements(x, y, &same) != DAOC_OK)
        same = false;
    daoc_value_free(x);
    daoc_value_free(y);
    return same;
}

TEST(arrays_compare_as_multisets)
{
    ASSERT_TRUE(same_elements("[]", "[]"));
    ASSERT_TRUE(same_elements("[\"a\",\"a\",\"b\"]", "[\"b\",\"a\",\"a\"]"));
    ASSERT_TRUE(!same_elements("[\"a\",\"a\",\"b\"]", "[\"a\",\"b\",\"b\"]"));
    ASSERT_TRUE(!same_elements("[\"a\",\"b\"]", "[\"a\",\"b\",\"b\"]"));
    ASSERT_TRUE(!same_elements("[\"a\"]", "{\"a\":1}"));
    /* integers and numbers by value, tables deeply, any key order */
    ASSERT_TRUE(same_elements("[1,2.0,true,null]", "[null,2,1.0,true]"));
    ASSERT_TRUE(same_elements("[{\"x\":1,\"y\":[1,2]},{\"x\":2}]",
                              "[{\"x\":2},{\"y\":[1,2],\"x\":1}]"));
    ASSERT_TRUE(!same_elements("[{\"x\":1,\"y\":[1,2]},{\"x\":2}]",
                               "[{\"x\":2},{\"y\":[2,1],\"x\":1}]"));
    ASSERT_TRUE(!same_elements("[[1],[1],[2]]", "[[1],[2],[2]]"));
    ASSERT_TRUE(!same_elements("[\"1\"]", "[1]"));
}

TEST(value_order_is_exact_on_numbers)
{
    daoc_value *i = daoc_int(9007199254740993), *d = daoc_num(9007199254740992.0),
               *i2 = daoc_int(9007199254740992), *one = daoc_int(1), *onef = daoc_num(1.0),
               *nan = daoc_num(NAN), *big = daoc_int(INT64_MAX), *bigf = daoc_num(9.3e18);
    ASSERT_INT(daoc__value_cmp(one, onef), 0);
    ASSERT_INT(daoc__value_cmp(d, i2), 0);
    ASSERT_INT(daoc__value_cmp(i, d), 1);
    ASSERT_INT(daoc__value_cmp(d, i), -1);
    ASSERT_INT(daoc__value_cmp(big, bigf), -1);
    ASSERT_INT(daoc__value_cmp(nan, bigf), 1);
    ASSERT_TRUE(daoc__value_hash(one) == daoc__value_hash(onef));
    daoc_value *s = daoc_str("1");
    ASSERT_INT(daoc__value_cmp(one, s), -1); /* numbers before strings */
    daoc_value *vs[] = {i, d, i2, one, onef, nan, big, bigf, s};
    for (size_t k = 0; k < sizeof vs / sizeof vs[0]; k++)
        daoc_value_free(vs[k]);
}

TEST(set_dedupe_keeps_first_occurrences)
{
    daoc_value *a = J("[\"b\",\"a\",\"b\",1,1.0,\"1\",{\"k\":1},{\"k\":1},[2],[2],true,null,true,"
                      "null,\"a\"]");
    ASSERT_NOT_NULL(a);
    daoc__arr_dedupe_scalars(a);
    char *s = enc(a);
    ASSERT_STR(s, "[\"b\",\"a\",1,\"1\",{\"k\":1},{\"k\":1},[2],[2],true,null]");
    daoc_free(s);
    daoc_value_free(a);

    /* a big one: 30000 elements, 10000 distinct, first occurrences in order */
    a = daoc_arr();
    char t[32];
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 10000; k++) {
            snprintf(t, sizeof t, "v%d", r == 1 ? 9999 - k : k);
            ASSERT_INT(daoc_arr_push(a, daoc_str(t)), DAOC_OK);
        }
    daoc__arr_dedupe_scalars(a);
    ASSERT_INT(daoc_value_len(a), 10000);
    for (int k = 0; k < 10000; k++) {
        snprintf(t, sizeof t, "v%d", k);
        ASSERT_STR(daoc_value_str(daoc_arr_get(a, (size_t)k), NULL), t);
    }
    daoc_value_free(a);
}

TEST(big_objects_compare_deeply_in_any_key_order)
{
    daoc_value *a = daoc_obj(), *b = daoc_obj();
    char k[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof k, "k%d", i);
        ASSERT_INT(daoc__obj_append(a, k, strlen(k), daoc_int(i)), DAOC_OK);
        snprintf(k, sizeof k, "k%d", 4999 - i);
        ASSERT_INT(daoc__obj_append(b, k, strlen(k), daoc_num(4999 - i)), DAOC_OK);
    }
    ASSERT_TRUE(daoc__value_equal(a, b));
    ASSERT_TRUE(daoc__value_hash(a) == daoc__value_hash(b));
    daoc_value *wrong = daoc_int(-1);
    ASSERT_INT(daoc_obj_set(b, "k17", wrong), DAOC_OK);
    ASSERT_TRUE(!daoc__value_equal(a, b));
    daoc_value_free(a);
    daoc_value_free(b);
}

TEST(sparse_error_arrays_encode_like_cjson_in_any_key_order)
{
    daoc_value *o = daoc_obj();
    o->flags |= DAOC__VF_INTKEYS;
    ASSERT_INT(daoc_obj_set(o, "4", daoc_str("d")), DAOC_OK);
    ASSERT_INT(daoc_obj_set(o, "1", daoc_str("a")), DAOC_OK);
    ASSERT_INT(daoc_obj_set(o, "2", daoc_str("b")), DAOC_OK);
    char *s = enc(o);
    ASSERT_STR(s, "[\"a\",\"b\",null,\"d\"]");
    daoc_free(s);
    daoc_value_free(o);
}

/* A negative zero (also one reached by underflow) writes as 0: "-0" would
 * read back as the integer 0 and write as "0", so the round trip would not
 * be a fixed point (found by fuzz_json). */
TEST(json_negative_zero_round_trips)
{
    const char *in[] = {"-0.0", "-7777775777775777e-779", "[-0.0,0.0]"};
    const char *want[] = {"0", "0", "[0,0]"};
    for (size_t i = 0; i < 3; i++) {
        daoc_value *v = NULL, *w = NULL;
        char *a = NULL, *b = NULL;
        size_t al = 0, bl = 0;
        ASSERT_INT(daoc_json_decode(in[i], strlen(in[i]), &v, NULL), DAOC_OK);
        ASSERT_INT(daoc_json_encode(v, &a, &al), DAOC_OK);
        ASSERT_STR(a, want[i]);
        ASSERT_INT(daoc_json_decode(a, al, &w, NULL), DAOC_OK);
        ASSERT_INT(daoc_json_encode(w, &b, &bl), DAOC_OK);
        ASSERT_STR(b, a);
        daoc_free(a);
        daoc_free(b);
        daoc_value_free(v);
        daoc_value_free(w);
    }
}
