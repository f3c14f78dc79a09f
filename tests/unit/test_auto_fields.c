/*
 * test_auto_fields.c -- golden tests of process_auto_fields: defaults, auto
 * values (UUIDs, random strings, created_at / updated_at), nulls for absent
 * fields per context, set de-duplication, select-time flooring, empty-string
 * and unknown-key removal, nested required records.  Checklist items 9,
 * 15-18.
 */
#include "test_validate_helpers.h"

#include "core/rand.h"

#define NOW 1700000000.4567

#define INS(s, in) tv_auto((s), (in), DAOC__CTX_INSERT, false, NOW)
#define UPD(s, in) tv_auto((s), (in), DAOC__CTX_UPDATE, false, NOW)
#define UPS(s, in) tv_auto((s), (in), DAOC__CTX_UPSERT, false, NOW)
#define SEL(s, in) tv_auto((s), (in), DAOC__CTX_SELECT, false, NOW)
#define SELN(s, in) tv_auto((s), (in), DAOC__CTX_SELECT, true, NOW)

TEST(defaults_on_insert)
{
    daoc__schema *s = tv_schema(
        "{\"a\":{\"type\":\"array\",\"elements\":{\"type\":\"string\"},\"default\":[\"foo\","
        "\"bar\"]}},"
        "{\"c\":{\"type\":\"integer\",\"default\":1984}},"
        "{\"e\":{\"type\":\"boolean\",\"default\":false}},"
        "{\"g\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"number\"},"
        "\"default\":{\"foo\":1}}},"
        "{\"h\":{\"type\":\"record\",\"fields\":[{\"f\":{\"type\":\"number\"}}],\"default\":{\"f\":"
        "123}}},"
        "{\"s\":{\"type\":\"set\",\"elements\":{\"type\":\"string\"},\"default\":{}}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(INS(s, "{}"), "{\"id\":null,\"a\":[\"foo\",\"bar\"],\"c\":1984,\"e\":false,"
                             "\"g\":{\"foo\":1},\"h\":{\"f\":123},\"s\":[]}");
    /* present values are kept */
    ASSERT_STR(INS(s, "{\"c\":5,\"e\":true}"),
               "{\"c\":5,\"e\":true,\"id\":null,\"a\":[\"foo\",\"bar\"],\"g\":{\"foo\":1},"
               "\"h\":{\"f\":123},\"s\":[]}");
    /* update does not fill defaults */
    ASSERT_STR(UPD(s, "{\"c\":5}"), "{\"c\":5}");
}

TEST(nulls_for_absent_fields_checklist15)
{
    daoc__schema *s = tv_schema(
        "{\"s\":{\"type\":\"string\"}},{\"i\":{\"type\":\"integer\"}},{\"n\":{\"type\":"
        "\"number\"}},{\"b\":{\"type\":\"boolean\"}},{\"a\":{\"type\":\"array\",\"elements\":"
        "{\"type\":\"string\"}}},{\"t\":{\"type\":\"set\",\"elements\":{\"type\":\"string\"}}},"
        "{\"m\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"string\"}}}"
        ","
        "{\"r\":{\"type\":\"record\",\"required\":false,\"fields\":[{\"x\":{\"type\":"
        "\"string\"}}]}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(INS(s, "{}"), "{\"id\":null,\"s\":null,\"i\":null,\"n\":null,\"b\":null,\"a\":null,"
                             "\"t\":null,\"m\":null,\"r\":null}");
    ASSERT_STR(UPS(s, "{\"s\":\"x\"}"),
               "{\"s\":\"x\",\"id\":null,\"i\":null,\"n\":null,\"b\":null,\"a\":null,\"t\":null,"
               "\"m\":null,\"r\":null}");
    ASSERT_STR(UPD(s, "{}"), "{}");
}

TEST(set_dedupe_checklist9)
{
    daoc__schema *s = tv_schema("{\"t\":{\"type\":\"set\",\"elements\":{\"type\":\"string\"}}},"
                                "{\"n\":{\"type\":\"set\",\"elements\":{\"type\":\"integer\"},"
                                "\"len_eq\":3}}");
    ASSERT_STR(UPD(s, "{\"t\":[\"foo\",\"bar\",\"foo\"]}"), "{\"t\":[\"foo\",\"bar\"]}");
    ASSERT_STR(UPD(s, "{\"n\":[4,4,4.0]}"), "{\"n\":[4]}");
    /* after de-duplication the length check fails */
    daoc_value *in = tv_json("{\"n\":[4,4,4]}"), *errs = NULL;
    ASSERT_INT(daoc__schema_process_auto_fields(s, in, DAOC__CTX_INSERT, false, NOW), DAOC_OK);
    ASSERT_INT(daoc__schema_validate(s, in, true, false, &errs), DAOC_OK);
    char *j = tv_enc(errs);
    ASSERT_STR(j, "{\"n\":\"length must be 3\"}");
    daoc_free(j);
    daoc_value_free(errs);
    daoc_value_free(in);
}

TEST(select_floors_and_strips_checklist16)
{
    daoc__schema *s = tv_schema("{\"fingers\":{\"type\":\"integer\"}},"
                                "{\"str\":{\"type\":\"string\"}},"
                                "{\"keep\":{\"type\":\"string\",\"len_min\":0}}");
    ASSERT_STR(SEL(s, "{\"fingers\":5.5}"), "{\"fingers\":5}");
    ASSERT_STR(INS(s, "{\"fingers\":5.5}"),
               "{\"fingers\":5.5,\"id\":null,\"str\":null,\"keep\":null}");
    ASSERT_STR(SEL(s, "{\"str\":\"\",\"keep\":\"\"}"), "{\"keep\":\"\"}");
    ASSERT_STR(SELN(s, "{\"str\":\"\",\"keep\":\"\"}"),
               "{\"str\":null,\"keep\":\"\",\"id\":null,\"fingers\":null}");
    /* fingers stays an integer value after flooring */
    daoc_value *in = tv_json("{\"fingers\":-2.5}");
    ASSERT_INT(daoc__schema_process_auto_fields(s, in, DAOC__CTX_SELECT, false, NOW), DAOC_OK);
    ASSERT_INT(daoc_value_type(daoc_obj_get(in, "fingers")), DAOC_TINT);
    ASSERT_INT(daoc_value_int(daoc_obj_get(in, "fingers")), -3);
    daoc_value_free(in);
}

TEST(select_nulls_and_unknown_keys)
{
    daoc__schema *s = tv_schema("{\"a\":{\"type\":\"string\"}},{\"d\":{\"type\":\"integer\","
                                "\"default\":7}},{\"q\":{\"type\":\"integer\",\"required\":true,"
                                "\"default\":3}}");
    ASSERT_STR(SEL(s, "{\"a\":null,\"zzz\":1,\"ws_id\":\"w\",\"q\":null}"),
               "{\"ws_id\":\"w\",\"q\":3,\"d\":7}");
    ASSERT_STR(SELN(s, "{\"a\":null,\"zzz\":1}"), "{\"a\":null,\"id\":null,\"d\":7,\"q\":3}");
}

TEST(select_ttl_key)
{
    daoc__schema *s = tv_schema_def("{\"name\":\"ttls\",\"ttl\":true,\"primary_key\":[\"id\"],"
                                    "\"fields\":[{\"id\":{\"type\":\"integer\"}}]}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(SEL(s, "{\"id\":1,\"ttl\":null}"), "{\"id\":1}");
    ASSERT_STR(SELN(s, "{\"id\":1,\"ttl\":null}"), "{\"id\":1,\"ttl\":null}");
    ASSERT_STR(SEL(s, "{\"id\":1,\"ttl\":20}"), "{\"id\":1,\"ttl\":20}");
}

TEST(auto_values_checklist17)
{
    daoc__schema *s =
        tv_schema_def("{\"name\":\"autos\",\"primary_key\":[\"id\"],\"fields\":["
                      "{\"id\":{\"type\":\"string\",\"uuid\":true,\"auto\":true}},"
                      "{\"key\":{\"type\":\"string\",\"auto\":true}},"
                      "{\"created_at\":{\"type\":\"integer\",\"timestamp\":true,\"auto\":true}},"
                      "{\"updated_at\":{\"type\":\"number\",\"timestamp\":true,\"auto\":true}}]}");
    ASSERT_NOT_NULL(s);
    daoc_value *e = tv_json("{}");
    ASSERT_INT(daoc__schema_process_auto_fields(s, e, DAOC__CTX_INSERT, false, NOW), DAOC_OK);
    size_t len;
    const char *id = daoc_value_str(daoc_obj_get(e, "id"), &len);
    ASSERT_NOT_NULL(id);
    ASSERT_TRUE(len == 36 && daoc__is_uuid(id, len));
    const char *key = daoc_value_str(daoc_obj_get(e, "key"), &len);
    ASSERT_NOT_NULL(key);
    ASSERT_INT(len, 32);
    for (size_t i = 0; i < len; i++)
        ASSERT_TRUE((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= 'A' && key[i] <= 'Z') ||
                    (key[i] >= '0' && key[i] <= '9'));
    ASSERT_INT(daoc_value_type(daoc_obj_get(e, "created_at")), DAOC_TINT);
    ASSERT_INT(daoc_value_int(daoc_obj_get(e, "created_at")), 1700000000);
    ASSERT_INT(daoc_value_type(daoc_obj_get(e, "updated_at")), DAOC_TNUM);
    ASSERT_TRUE(daoc_value_num(daoc_obj_get(e, "updated_at")) == 1700000000.457);
    daoc_value *errs = NULL;
    ASSERT_INT(daoc__schema_validate(s, e, true, false, &errs), DAOC_OK);
    ASSERT_NULL(errs);
    daoc_value_free(e);

    /* update: created_at untouched, updated_at refreshed, no uuid/key */
    ASSERT_STR(UPD(s, "{\"updated_at\":1}"), "{\"updated_at\":1700000000.457}");
    ASSERT_STR(UPD(s, "{\"created_at\":null}"),
               "{\"created_at\":null,\"updated_at\":1700000000.457}");
    /* insert keeps supplied values, created_at null is replaced */
    ASSERT_STR(INS(s, "{\"id\":\"x\",\"key\":\"k\",\"created_at\":null}"),
               "{\"id\":\"x\",\"key\":\"k\",\"created_at\":1700000000,\"updated_at\":"
               "1700000000.457}");
    ASSERT_STR(UPS(s, "{\"id\":\"x\",\"key\":\"k\",\"created_at\":5}"),
               "{\"id\":\"x\",\"key\":\"k\",\"created_at\":5,\"updated_at\":1700000000.457}");
    /* select never changes auto fields */
    ASSERT_STR(SEL(s, "{\"id\":\"x\"}"), "{\"id\":\"x\"}");
}

TEST(nested_required_record_defaults_checklist18)
{
    daoc__schema *s = tv_schema(
        "{\"nested_record\":{\"type\":\"record\",\"required\":true,\"fields\":[{\"r\":{\"type\":"
        "\"record\",\"required\":true,\"fields\":[{\"a\":{\"type\":\"string\",\"default\":\"nr\"}},"
        "{\"b\":{\"type\":\"number\",\"default\":123}}]}}]}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(INS(s, "{}"), "{\"id\":null,\"nested_record\":{\"r\":{\"a\":\"nr\",\"b\":123}}}");
    ASSERT_STR(INS(s, "{\"nested_record\":null}"), "{\"nested_record\":null,\"id\":null}");
    ASSERT_STR(UPD(s, "{\"nested_record\":null}"), "{\"nested_record\":null}");
    ASSERT_STR(UPS(s, "{\"nested_record\":null}"), "{\"nested_record\":null,\"id\":null}");
    ASSERT_STR(SEL(s, "{\"nested_record\":null}"),
               "{\"nested_record\":{\"r\":{\"a\":\"nr\",\"b\":123}}}");
    ASSERT_STR(TV_INSERT(s, "{\"nested_record\":null}"),
               "{\"nested_record\":\"required field missing\"}");
    ASSERT_STR(TV_UPDATE(s, "{\"nested_record\":null}"),
               "{\"nested_record\":\"required field missing\"}");
    /* update recurses into a given record without filling defaults */
    ASSERT_STR(UPD(s, "{\"nested_record\":{\"r\":{\"a\":\"z\"}}}"),
               "{\"nested_record\":{\"r\":{\"a\":\"z\"}}}");
}

TEST(record_default_record_shape)
{
    daoc__schema *s = tv_schema("{\"nested_record\":{\"type\":\"record\",\"default\":{\"r\":{"
                                "\"a\":\"nr\",\"b\":123}},\"fields\":[{\"r\":{\"type\":\"record\","
                                "\"fields\":[{\"a\":{\"type\":\"string\"}},{\"b\":{\"type\":"
                                "\"number\"}},{\"c\":{\"type\":\"string\"}}]}}]}}");
    ASSERT_NOT_NULL(s);
    /* the default record is itself processed: c becomes null */
    ASSERT_STR(INS(s, "{}"),
               "{\"id\":null,\"nested_record\":{\"r\":{\"a\":\"nr\",\"b\":123,\"c\":null}}}");
}

TEST(records_inside_arrays_are_processed)
{
    daoc__schema *s = tv_schema("{\"l\":{\"type\":\"array\",\"elements\":{\"type\":\"record\","
                                "\"fields\":[{\"p\":{\"type\":\"integer\",\"default\":80}},"
                                "{\"h\":{\"type\":\"string\"}}]}}}");
    ASSERT_STR(UPD(s, "{\"l\":[{\"h\":\"x\"},{\"p\":1}]}"), "{\"l\":[{\"h\":\"x\"},{\"p\":1}]}");
    ASSERT_STR(INS(s, "{\"l\":[{\"h\":\"x\"},{\"p\":1}]}"),
               "{\"l\":[{\"h\":\"x\",\"p\":80},{\"p\":1,\"h\":null}],\"id\":null}");
    ASSERT_STR(SEL(s, "{\"l\":[{\"h\":\"x\",\"p\":null,\"zz\":1}]}"), "{\"l\":[{\"h\":\"x\"}]}");
}

TEST(empty_table_normalized)
{
    daoc__schema *s = tv_schema("{\"a\":{\"type\":\"array\",\"elements\":{\"type\":\"string\"}}},"
                                "{\"m\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},"
                                "\"values\":{\"type\":\"string\"}}}");
    ASSERT_STR(UPD(s, "{\"a\":{},\"m\":[]}"), "{\"a\":[],\"m\":{}}");
}

TEST(foreign_values_untouched)
{
    daoc__schema *p = tv_schema_def("{\"name\":\"fparents\",\"primary_key\":[\"id\"],\"fields\":"
                                    "[{\"id\":{\"type\":\"string\",\"uuid\":true}}]}");
    ASSERT_NOT_NULL(p);
    daoc__schema *s =
        tv_schema_def("{\"name\":\"fkids\",\"primary_key\":[\"id\"],\"fields\":[{\"id\":{\"type\":"
                      "\"integer\"}},{\"p\":{\"type\":\"foreign\",\"reference\":\"fparents\"}}]}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(SEL(s, "{\"id\":1,\"p\":{\"id\":\"u\"}}"), "{\"id\":1,\"p\":{\"id\":\"u\"}}");
    ASSERT_STR(INS(s, "{\"id\":1}"), "{\"id\":1,\"p\":null}");
}

TEST(auto_fields_enomem)
{
    daoc__schema *s = tv_schema_def(
        "{\"name\":\"autos2\",\"primary_key\":[\"id\"],\"fields\":["
        "{\"id\":{\"type\":\"string\",\"uuid\":true,\"auto\":true}},"
        "{\"t\":{\"type\":\"set\",\"elements\":{\"type\":\"string\"},\"default\":[\"a\"]}},"
        "{\"r\":{\"type\":\"record\",\"required\":true,\"fields\":[{\"x\":{\"type\":\"string\","
        "\"default\":\"d\"}}]}}]}");
    ASSERT_NOT_NULL(s);
    int saw_ok = 0;
    for (long n = 0; n < 200 && !saw_ok; n++) {
        daoc_value *e = tv_json("{\"z\":\"\"}");
        ASSERT_NOT_NULL(e);
        daoc__alloc_fail_after(n);
        int rc = daoc__schema_process_auto_fields(s, e, DAOC__CTX_INSERT, false, NOW);
        daoc__alloc_fail_after(-1);
        if (rc == DAOC_OK)
            saw_ok = 1;
        else
            ASSERT_INT(rc, DAOC_ENOMEM);
        daoc_value_free(e);
    }
    ASSERT_TRUE(saw_ok);
}

/* The select fast path (rows built by a store: interned keys in schema
 * order) must give exactly what the general path gives for the same row
 * with ordinary keys.  `intern_extra` puts "ttl" and "ws_id" (and any other
 * key of `in` that is not a field) under interned keys, as a store may. */
static daoc_value *as_store_row(const daoc__schema *s, const daoc_value *in, bool intern_extra)
{
    daoc_value *row = daoc__obj_sized(s->nfields + 2);
    for (size_t i = 0; row && i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        const daoc_value *v = daoc__obj_getn(in, f->name, f->name_len);
        if (daoc__obj_append_field(row, f, v ? daoc_value_copy(v) : daoc_null()) != DAOC_OK)
            return NULL;
    }
    for (size_t i = 0; row && i < in->len; i++) {
        const daoc__kv *kv = &in->u.o[i];
        if (daoc__schema_field(s, kv->key, kv->klen))
            continue;
        const char *ik = intern_extra ? daoc__key_intern(kv->key, kv->klen) : NULL;
        daoc_value *v = daoc_value_copy(kv->val);
        if ((ik ? daoc__obj_append_interned(row, ik, kv->klen, v)
                : daoc__obj_append(row, kv->key, kv->klen, v)) != DAOC_OK)
            return NULL;
    }
    return row;
}

/* Processes a copy of `row` as it is (interned keys: the fast path when the
 * row qualifies) and a copy with ordinary keys (the general path), and
 * compares the results. */
static void row_fast_equals_general(const daoc__schema *s, const daoc_value *row, bool nulls,
                                    const char *what)
{
    daoc_value *plain = daoc_value_copy(row), *general = daoc_obj();
    ASSERT_NOT_NULL(plain);
    ASSERT_NOT_NULL(general);
    for (size_t i = 0; i < row->len; i++)
        ASSERT_INT(daoc__obj_append(general, row->u.o[i].key, row->u.o[i].klen,
                                    daoc_value_copy(row->u.o[i].val)),
                   DAOC_OK);
    ASSERT_INT(daoc__schema_process_auto_fields(s, plain, DAOC__CTX_SELECT, nulls, NOW), DAOC_OK);
    ASSERT_INT(daoc__schema_process_auto_fields(s, general, DAOC__CTX_SELECT, nulls, NOW),
               DAOC_OK);
    char *a = tv_enc(plain), *b = tv_enc(general);
    if (strcmp(a, b) != 0)
        T_FAIL_AT("%s (nulls %d):\n      fast    %s\n      general %s", what, nulls, a, b);
    daoc_free(a);
    daoc_free(b);
    daoc_value_free(plain);
    daoc_value_free(general);
}

static void fast_equals_general(const daoc__schema *s, const char *json, bool nulls)
{
    daoc_value *in = tv_json(json);
    ASSERT_NOT_NULL(in);
    for (int intern = 0; intern <= 1; intern++) {
        daoc_value *row = as_store_row(s, in, intern);
        ASSERT_NOT_NULL(row);
        row_fast_equals_general(s, row, nulls, json);
        daoc_value_free(row);
    }
    daoc_value_free(in);
}

TEST(select_fast_path_matches_the_general_path)
{
    daoc__schema *s = tv_schema2(
        "{\"s\":{\"type\":\"string\"}},{\"e\":{\"type\":\"string\",\"len_min\":0}},"
        "{\"i\":{\"type\":\"integer\"}},{\"n\":{\"type\":\"number\"}},{\"b\":{\"type\":\"boolean\"}},"
        "{\"a\":{\"type\":\"array\",\"elements\":{\"type\":\"string\"}}},"
        "{\"t\":{\"type\":\"set\",\"elements\":{\"type\":\"integer\"}}},"
        "{\"d\":{\"type\":\"string\",\"default\":\"x\"}},"
        "{\"q\":{\"type\":\"integer\",\"required\":true,\"default\":3}},"
        "{\"r\":{\"type\":\"record\",\"fields\":[{\"x\":{\"type\":\"string\",\"default\":\"y\"}}]}}",
        ",\"ttl\":true");
    ASSERT_NOT_NULL(s);
    ASSERT_NULL(s->sel); /* the record field keeps every row on the general path */
    const char *const rows[] = {
        "{\"id\":1,\"s\":\"v\",\"e\":\"\",\"i\":2.7,\"n\":2.5,\"b\":false,\"a\":[\"x\",\"x\"],"
        "\"t\":[1,2,1,3,2],\"d\":\"z\",\"q\":4,\"r\":{\"x\":\"k\"},\"ttl\":5,\"ws_id\":\"w\"}",
        "{\"id\":1,\"s\":\"\",\"e\":\"\",\"i\":-2.5,\"n\":null,\"b\":null,\"a\":[],\"t\":[],"
        "\"d\":null,\"q\":4,\"r\":null,\"ttl\":null}",
        "{\"id\":1,\"q\":null,\"r\":{}}",
        "{\"id\":1,\"q\":5,\"ttl\":null,\"ws_id\":null}",
        "{\"id\":1,\"q\":5,\"a\":[\"p\",null],\"t\":[7]}",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        fast_equals_general(s, rows[i], false);
        fast_equals_general(s, rows[i], true);
    }
    /* a schema every row of which takes the fast path */
    daoc__schema *simple = tv_schema2(
        "{\"s\":{\"type\":\"string\"}},{\"i\":{\"type\":\"integer\"}},"
        "{\"t\":{\"type\":\"set\",\"elements\":{\"type\":\"string\"}}}",
        NULL);
    ASSERT_NOT_NULL(simple);
    ASSERT_NOT_NULL(simple->sel);
    const char *const rows2[] = {
        "{\"id\":1,\"s\":\"\",\"i\":1.5,\"t\":[\"a\",\"b\",\"a\"]}",
        "{\"id\":null,\"s\":null,\"i\":null,\"t\":null}",
        "{\"id\":2,\"s\":\"x\",\"i\":9007199254740993,\"t\":[],\"ws_id\":\"w\"}",
        /* near misses: "ttl" without ttl, another trailing key */
        "{\"id\":2,\"s\":\"x\",\"ttl\":null,\"ws_id\":\"w\"}",
        "{\"id\":2,\"s\":\"x\",\"ws_idx\":\"w\"}",
        "{\"id\":2,\"s\":\"x\",\"ws_id\":\"w\",\"tt\":1}",
    };
    for (size_t i = 0; i < sizeof rows2 / sizeof rows2[0]; i++) {
        fast_equals_general(simple, rows2[i], false);
        fast_equals_general(simple, rows2[i], true);
    }
}

/* Every kind the fast path takes, and rows that just miss it: a null where
 * a default or `required` applies, a value of another type, arrays with
 * null or table elements, keys out of order, missing or extra. */
TEST(select_fast_path_near_misses)
{
    daoc__schema *ref = tv_schema_def("{\"name\":\"fp_ref\",\"primary_key\":[\"id\"],\"fields\":["
                                      "{\"id\":{\"type\":\"string\",\"uuid\":true}}]}");
    ASSERT_NOT_NULL(ref);
    daoc__schema *s = tv_schema2(
        "{\"s\":{\"type\":\"string\"}},{\"e\":{\"type\":\"string\",\"len_min\":0}},"
        "{\"l\":{\"type\":\"string\",\"len_min\":2}},"
        "{\"i\":{\"type\":\"integer\"}},{\"n\":{\"type\":\"number\"}},{\"b\":{\"type\":\"boolean\"}},"
        "{\"a\":{\"type\":\"array\",\"elements\":{\"type\":\"string\"}}},"
        "{\"t\":{\"type\":\"set\",\"elements\":{\"type\":\"integer\"}}},"
        "{\"ss\":{\"type\":\"set\",\"elements\":{\"type\":\"string\"}}},"
        "{\"f\":{\"type\":\"foreign\",\"reference\":\"fp_ref\"}},"
        "{\"d\":{\"type\":\"string\",\"default\":\"x\"}},"
        "{\"q\":{\"type\":\"integer\",\"required\":true,\"default\":3}},"
        "{\"rq\":{\"type\":\"string\",\"required\":true}}",
        ",\"ttl\":true");
    ASSERT_NOT_NULL(s);
    ASSERT_NOT_NULL(s->sel);
    const char *const rows[] = {
        /* qualifying rows */
        "{\"id\":1,\"s\":\"v\",\"e\":\"\",\"l\":\"\",\"i\":2.7,\"n\":2.5,\"b\":false,"
        "\"a\":[\"x\",\"x\"],\"t\":[1,2,1.0,3,2],\"ss\":[\"p\",\"q\",\"p\",\"pp\"],"
        "\"f\":{\"id\":\"u\"},\"d\":\"z\",\"q\":4,\"rq\":\"r\",\"ttl\":5,\"ws_id\":\"w\"}",
        "{\"id\":null,\"s\":null,\"e\":null,\"l\":\"ab\",\"i\":-2.5,\"n\":null,\"b\":null,"
        "\"a\":[],\"t\":[],\"ss\":[],\"f\":null,\"d\":\"\",\"q\":-7.5,\"rq\":\"\",\"ttl\":null}",
        "{\"id\":1e300,\"d\":\"y\",\"q\":1,\"rq\":\"x\",\"ss\":[\"1\",1,true,1.5,\"1\"],"
        "\"ws_id\":null}",
        /* a null where the default applies, or a required field is null */
        "{\"id\":1,\"d\":null,\"q\":1,\"rq\":\"x\"}",
        "{\"id\":1,\"d\":\"y\",\"q\":null,\"rq\":\"x\"}",
        "{\"id\":1,\"d\":\"y\",\"q\":1,\"rq\":null}",
        /* values of another type */
        "{\"id\":1,\"s\":5,\"d\":\"y\",\"q\":1,\"rq\":\"x\"}",
        "{\"id\":\"1\",\"d\":\"y\",\"q\":1,\"rq\":\"x\"}",
        "{\"id\":1,\"b\":0,\"d\":\"y\",\"q\":1,\"rq\":\"x\"}",
        "{\"id\":1,\"a\":\"x\",\"d\":\"y\",\"q\":1,\"rq\":\"x\"}",
        "{\"id\":1,\"t\":{},\"d\":\"y\",\"q\":1,\"rq\":\"x\"}",
        "{\"id\":1,\"f\":\"u\",\"d\":\"y\",\"q\":1,\"rq\":\"x\"}",
        /* arrays with null or table elements */
        "{\"id\":1,\"a\":[\"p\",null],\"d\":\"y\",\"q\":1,\"rq\":\"x\"}",
        "{\"id\":1,\"ss\":[\"p\",[\"p\"],[\"p\"]],\"d\":\"y\",\"q\":1,\"rq\":\"x\"}",
        "{\"id\":1,\"t\":[1,{\"a\":1}],\"d\":\"y\",\"q\":1,\"rq\":\"x\"}",
        /* a trailing key that is neither ttl nor ws_id */
        "{\"id\":1,\"d\":\"y\",\"q\":1,\"rq\":\"x\",\"ttl\":1,\"other\":2}",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        fast_equals_general(s, rows[i], false);
        fast_equals_general(s, rows[i], true);
    }

    /* keys out of order, missing, or not interned */
    daoc_value *in = tv_json("{\"id\":1,\"s\":\"v\",\"i\":2.5,\"d\":\"y\",\"q\":1,\"rq\":\"x\","
                             "\"ss\":[\"a\",\"a\"],\"ws_id\":\"w\"}");
    ASSERT_NOT_NULL(in);
    for (int variant = 0; variant < 4; variant++) {
        daoc_value *row = as_store_row(s, in, true);
        ASSERT_NOT_NULL(row);
        const char *what = "";
        if (variant == 0) { /* two keys swapped */
            daoc__kv t = row->u.o[1];
            row->u.o[1] = row->u.o[3];
            row->u.o[3] = t;
            what = "keys out of order";
        } else if (variant == 1) { /* a field's key removed */
            daoc_value_free(daoc__obj_take(row, "i", 1));
            what = "a key missing";
        } else if (variant == 2) { /* the last field's key removed, ws_id stays */
            daoc_value_free(daoc__obj_take(row, "rq", 2));
            what = "the last field's key missing";
        } else { /* the same text, not interned */
            daoc_value *v = daoc__obj_take(row, "s", 1);
            ASSERT_INT(daoc__obj_setn(row, "s", 1, v), DAOC_OK);
            what = "a key that is not interned";
        }
        row_fast_equals_general(s, row, false, what);
        row_fast_equals_general(s, row, true, what);
        daoc_value_free(row);
    }
    daoc_value_free(in);
}

/* Which schemas get a plan: composite fields other than arrays and sets of
 * scalars, and abstract fields, keep a schema on the general path. */
TEST(select_fast_path_plan)
{
    static const struct {
        const char *fields;
        bool plan;
    } cases[] = {
        {"{\"a\":{\"type\":\"string\"}}", true},
        {"{\"a\":{\"type\":\"set\",\"elements\":{\"type\":\"boolean\"}}}", true},
        /* a transient field is in no row: Kong's select gives it null or its default */
        {"{\"a\":{\"type\":\"string\",\"transient\":true}}", false},
        {"{\"a\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":"
         "\"string\"}}}",
         false},
        {"{\"a\":{\"type\":\"record\",\"fields\":[]}}", false},
        {"{\"a\":{\"type\":\"json\",\"json_schema\":{\"inline\":{}}}}", false},
        {"{\"a\":{\"type\":\"array\",\"elements\":{\"type\":\"array\",\"elements\":{\"type\":"
         "\"string\"}}}}",
         false},
        {"{\"a\":{\"type\":\"string\",\"abstract\":true}}", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        daoc__schema *s = tv_schema(cases[i].fields);
        if (!s)
            T_FAIL_AT("case %zu does not compile", i);
        ASSERT_NOT_NULL(s);
        if ((s->sel != NULL) != cases[i].plan)
            T_FAIL_AT("case %zu (%s): plan %d", i, cases[i].fields, s->sel != NULL);
    }
}

/* Transient fields have no column, so no row a store builds has them; as in
 * Kong, select gives them their default, or null (shown with `nulls`). */
TEST(select_transient_fields)
{
    daoc__schema *s = tv_schema("{\"s\":{\"type\":\"string\"}},"
                                "{\"tr\":{\"type\":\"string\",\"transient\":true}},"
                                "{\"td\":{\"type\":\"string\",\"transient\":true,\"default\":\"x\"}}");
    ASSERT_NOT_NULL(s);
    ASSERT_NULL(s->sel);
    daoc_value *in = tv_json("{\"id\":1,\"s\":\"v\"}");
    ASSERT_NOT_NULL(in);
    for (int nulls = 0; nulls <= 1; nulls++) {
        daoc_value *row = as_store_row(s, in, false);
        ASSERT_NOT_NULL(row);
        ASSERT_INT(daoc__schema_process_auto_fields(s, row, DAOC__CTX_SELECT, nulls, NOW), DAOC_OK);
        char *got = tv_enc(row);
        daoc_value_free(row);
        const char *want = nulls ? "{\"id\":1,\"s\":\"v\",\"tr\":null,\"td\":\"x\"}"
                                 : "{\"id\":1,\"s\":\"v\",\"td\":\"x\"}";
        if (strcmp(got, want) != 0)
            T_FAIL_AT("nulls %d: got %s, expected %s", nulls, got, want);
        daoc_free(got);
    }
    daoc_value_free(in);
}
