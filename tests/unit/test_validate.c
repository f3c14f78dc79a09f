/*
 * test_validate.c -- golden tests of field validation: type checks, every
 * validator in Kong's order with its exact message, `err` overrides, null
 * handling, composite error shapes (arrays, sets, maps, records, foreign
 * keys), unknown fields, required on insert vs update, primary keys, UTF-8
 * and size limits.  Checklist items 1-10 of the reference.
 */
#include "test_validate_helpers.h"

#include <stdlib.h>

#define F1(def) tv_schema("{\"a\":" def "}")

/* ---- types (checklist 1, 2) ---------------------------------------------- */

TEST(string_empty_needs_len_min)
{
    daoc__schema *s =
        tv_schema("{\"a\":{\"type\":\"string\"}},{\"b\":{\"type\":\"string\",\"len_min\":0}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"\",\"b\":\"\"}"), "{\"a\":\"length must be at least 1\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\",\"b\":\"\"}"), "ok");
}

TEST(type_errors)
{
    daoc__schema *s = tv_schema("{\"s\":{\"type\":\"string\"}},{\"i\":{\"type\":\"integer\"}},{"
                                "\"n\":{\"type\":\"number\"}},"
                                "{\"b\":{\"type\":\"boolean\"}},{\"a\":{\"type\":\"array\","
                                "\"elements\":{\"type\":\"string\"}}},"
                                "{\"t\":{\"type\":\"set\",\"elements\":{\"type\":\"string\"}}},"
                                "{\"m\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},"
                                "\"values\":{\"type\":\"string\"}}},"
                                "{\"r\":{\"type\":\"record\",\"fields\":[]}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"s\":1,\"i\":\"1\",\"n\":true,\"b\":0,\"a\":{\"x\":1},\"t\":\"x\","
                            "\"m\":[1],\"r\":5}"),
               "{\"s\":\"expected a string\",\"i\":\"expected an integer\",\"n\":\"expected a "
               "number\",\"b\":\"expected a boolean\",\"a\":\"expected an array\",\"t\":\"expected "
               "a set\",\"m\":\"expected a map\",\"r\":\"expected a record\"}");
}

TEST(integer_rules)
{
    daoc__schema *s = tv_schema("{\"i\":{\"type\":\"integer\"}},{\"n\":{\"type\":\"number\"}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"i\":123}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"i\":0}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"i\":-123}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"i\":12.0}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"i\":0.5}"), "{\"i\":\"expected an integer\"}");
    ASSERT_STR(TV_INSERT(s, "{\"i\":\"123\"}"), "{\"i\":\"expected an integer\"}");
    ASSERT_STR(TV_INSERT(s, "{\"i\":1e300}"), "{\"i\":\"expected an integer\"}");
    /* 1/0 cannot be written in JSON: build it */
    const daoc__field *fi = daoc__schema_field(s, "i", 1), *fn = daoc__schema_field(s, "n", 1);
    daoc_value *inf = daoc_num(1.0 / 0.0), *err = NULL;
    ASSERT_INT(daoc__schema_validate_field(fi, inf, &err), DAOC_OK);
    ASSERT_NOT_NULL(err);
    ASSERT_STR(daoc_value_str(err, NULL), "expected an integer");
    daoc_value_free(err);
    err = NULL;
    ASSERT_INT(daoc__schema_validate_field(fn, inf, &err), DAOC_OK);
    ASSERT_NULL(err);
    daoc_value_free(inf);
}

TEST(empty_table_accepted_for_composites)
{
    daoc__schema *s =
        tv_schema("{\"a\":{\"type\":\"array\",\"elements\":{\"type\":\"string\"}}},"
                  "{\"m\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":"
                  "\"string\"}}},"
                  "{\"r\":{\"type\":\"record\",\"fields\":[{\"x\":{\"type\":\"string\"}}]}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"a\":{},\"m\":[],\"r\":[]}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":[],\"m\":{},\"r\":{}}"), "ok");
}

/* ---- validators, one by one (reference section 2.3) ------------------- */

TEST(v_eq_ne)
{
    daoc__schema *s = tv_schema("{\"a\":{\"type\":\"string\",\"eq\":\"foo\"}},"
                                "{\"b\":{\"type\":\"string\",\"ne\":\"foo\"}},"
                                "{\"c\":{\"type\":\"integer\",\"eq\":5}},"
                                "{\"d\":{\"type\":\"string\",\"ne\":null}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"foo\",\"b\":\"bar\",\"c\":5,\"d\":\"x\"}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"bar\",\"b\":\"foo\",\"c\":6}"),
               "{\"a\":\"value must be foo\",\"b\":\"value must not be foo\",\"c\":\"value must be "
               "5\"}");
    /* null runs eq / ne: eq non-null fails, ne = null fails */
    ASSERT_STR(TV_INSERT(s, "{\"a\":null,\"d\":null}"),
               "{\"a\":\"value must be foo\",\"d\":\"value must not be null\"}");
}

TEST(v_eq_null_checklist6)
{
    daoc__schema *s =
        tv_schema("{\"a\":{\"type\":\"array\",\"elements\":{\"type\":\"string\"},\"eq\":null,"
                  "\"err\":\"cannot set value for this field\"}},"
                  "{\"b\":{\"type\":\"array\",\"elements\":{\"type\":\"string\"},\"eq\":null}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"a\":[\"foo\"],\"b\":[\"foo\"]}"),
               "{\"a\":\"cannot set value for this field\",\"b\":\"value must be null\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":null,\"b\":null}"), "ok");
}

TEST(v_ne_checklist7)
{
    daoc__schema *s = F1("{\"type\":\"string\",\"ne\":\"foo\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"foo\"}"), "{\"a\":\"value must not be foo\"}");
}

TEST(v_one_of_not_one_of)
{
    daoc__schema *s =
        tv_schema("{\"a\":{\"type\":\"string\",\"one_of\":[\"x\",\"y\",\"z\"]}},"
                  "{\"b\":{\"type\":\"string\",\"not_one_of\":[\"services\",\"routes\"]}},"
                  "{\"c\":{\"type\":\"integer\",\"one_of\":[1,2,3]}},"
                  "{\"d\":{\"type\":\"number\",\"one_of\":[1.5,2]}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"y\",\"b\":\"x\",\"c\":2,\"d\":1.5}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"w\",\"b\":\"routes\",\"c\":4,\"d\":3}"),
               "{\"a\":\"expected one of: x, y, z\",\"b\":\"must not be one of: services, "
               "routes\",\"c\":\"expected one of: 1, 2, 3\",\"d\":\"expected one of: 1.5, 2\"}");
}

TEST(v_not_one_of_before_one_of)
{
    daoc__schema *s = F1("{\"type\":\"string\",\"one_of\":[\"a\"],\"not_one_of\":[\"b\"]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"b\"}"), "{\"a\":\"must not be one of: b\"}");
}

TEST(v_gt)
{
    daoc__schema *s = tv_schema("{\"a\":{\"type\":\"number\",\"gt\":0}},"
                                "{\"b\":{\"type\":\"number\",\"gt\":1.5}}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":0.1,\"b\":2}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":0,\"b\":1.5}"),
               "{\"a\":\"value must be greater than 0\",\"b\":\"value must be greater than "
               "1.5\"}");
}

TEST(v_timestamp_checklist4)
{
    daoc__schema *s = F1("{\"type\":\"number\",\"timestamp\":true}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":1}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":0}"), "{\"a\":\"expected a valid timestamp\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":-1}"), "{\"a\":\"expected a valid timestamp\"}");
}

TEST(v_uuid_checklist3)
{
    daoc__schema *s = F1("{\"type\":\"string\",\"uuid\":true}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"00000000-0000-0000-0000-000000000000\"}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"4AB41B27-C4E6-4E6C-9B6D-8A0EBCF3AE2F\"}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"cbb297c0a956486dad1df9b42df9465a\"}"),
               "{\"a\":\"expected a valid UUID\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"cbb297c0-a956-486d-ad1d-f9b42df9465g\"}"),
               "{\"a\":\"expected a valid UUID\"}");
}

TEST(v_is_regex)
{
    daoc__schema *s = F1("{\"type\":\"string\",\"is_regex\":true}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"^/foo/(\\\\d+)$\"}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"a{2,3}?b*+[a-z]\"}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"[a-z\"}"), "{\"a\":\"not a valid regex: [a-z\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"(foo\"}"), "{\"a\":\"not a valid regex: (foo\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"foo)\"}"), "{\"a\":\"not a valid regex: foo)\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"*foo\"}"), "{\"a\":\"not a valid regex: *foo\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"a{3,2}\"}"), "{\"a\":\"not a valid regex: a{3,2}\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"ab\\\\\"}"), "{\"a\":\"not a valid regex: ab\\\\\"}");
}

TEST(v_between_checklist5)
{
    daoc__schema *s = tv_schema("{\"a\":{\"type\":\"number\",\"between\":[9.5,20.5]}},"
                                "{\"p\":{\"type\":\"integer\",\"between\":[0,65535]}}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":10}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":20}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":9.4}"), "{\"a\":\"value should be between 9 and 20\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":20.9}"), "{\"a\":\"value should be between 9 and 20\"}");
    ASSERT_STR(TV_INSERT(s, "{\"p\":65535}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"p\":65536}"), "{\"p\":\"value should be between 0 and 65535\"}");
}

TEST(v_lengths)
{
    daoc__schema *s = tv_schema(
        "{\"s\":{\"type\":\"string\",\"len_eq\":3}},"
        "{\"t\":{\"type\":\"string\",\"len_min\":2,\"len_max\":4}},"
        "{\"a\":{\"type\":\"array\",\"elements\":{\"type\":\"integer\"},\"len_min\":1}},"
        "{\"m\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"integer\"},"
        "\"len_max\":1}},"
        "{\"e\":{\"type\":\"string\",\"len_eq\":3}}");
    ASSERT_STR(TV_INSERT(s, "{\"s\":\"abc\",\"t\":\"ab\",\"a\":[1],\"m\":{\"x\":1}}"), "ok");
    ASSERT_STR(
        TV_INSERT(s, "{\"s\":\"ab\",\"t\":\"a\",\"a\":[],\"m\":{\"x\":1,\"y\":2},\"e\":\"\"}"),
        "{\"s\":\"length must be 3\",\"t\":\"length must be at least 2\",\"a\":\"length "
        "must be at least 1\",\"m\":\"length must be at most 1\",\"e\":\"length must be "
        "3\"}");
    ASSERT_STR(TV_INSERT(s, "{\"t\":\"abcde\"}"), "{\"t\":\"length must be at most 4\"}");
}

TEST(v_starts_with_and_patterns)
{
    daoc__schema *s = tv_schema(
        "{\"p\":{\"type\":\"string\",\"starts_with\":\"/\"}},"
        "{\"m\":{\"type\":\"string\",\"match\":\"^%u+$\"}},"
        "{\"n\":{\"type\":\"string\",\"not_match\":\"%s\"}},"
        "{\"o\":{\"type\":\"string\",\"match_none\":[{\"pattern\":\"//\",\"err\":\"must not have "
        "empty segments\"}]}},"
        "{\"q\":{\"type\":\"string\",\"match_any\":{\"patterns\":[\"^/\",\"^~/\"],\"err\":\"should "
        "start with: / (fixed path) or ~/ (regex path)\"}}}");
    ASSERT_STR(
        TV_INSERT(s, "{\"p\":\"/x\",\"m\":\"GET\",\"n\":\"ab\",\"o\":\"/a/b\",\"q\":\"~/x\"}"),
        "ok");
    ASSERT_STR(
        TV_INSERT(s, "{\"p\":\"foo\",\"m\":\"get\",\"n\":\"a b\",\"o\":\"/a//b\",\"q\":\"x\"}"),
        "{\"p\":\"should start with: /\",\"m\":\"invalid value: get\",\"n\":\"invalid value: "
        "a b\",\"o\":\"must not have empty segments\",\"q\":\"should start with: / (fixed "
        "path) or ~/ (regex path)\"}");
}

TEST(v_match_all_checklist8)
{
    daoc__schema *s = F1("{\"type\":\"string\",\"match_all\":[{\"pattern\":\"^hello\",\"err\":"
                         "\"error 1\"},{\"pattern\":\"world$\",\"err\":\"error 2\"}]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"hi universe\"}"), "{\"a\":\"error 1\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"hello universe\"}"), "{\"a\":\"error 2\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"hello world\"}"), "ok");
}

TEST(v_contains)
{
    daoc__schema *s =
        F1("{\"type\":\"array\",\"elements\":{\"type\":\"string\"},\"contains\":\"x\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":[\"y\",\"x\"]}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":[\"y\"]}"), "{\"a\":\"expected to contain: x\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":[]}"), "{\"a\":\"expected to contain: x\"}");
}

TEST(v_mutually_exclusive_subsets)
{
    daoc__schema *s = F1("{\"type\":\"set\",\"elements\":{\"type\":\"string\"},"
                         "\"mutually_exclusive_subsets\":[[\"http\",\"https\"],[\"tcp\",\"tls\","
                         "\"udp\"],[\"grpc\"]]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":[\"http\",\"https\"]}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":[\"tls\",\"http\",\"tcp\"]}"),
               "{\"a\":\"these sets are mutually exclusive: ('tcp', 'tls', 'udp'), ('http', "
               "'https')\"}");
}

static int cv_even(const daoc_value *v, char **msg)
{
    if (daoc_value_int(v) % 2 == 0)
        return 1;
    if (daoc_value_int(v) == 3) {
        *msg = daoc__strdup("three is right out");
        return 0;
    }
    return 0;
}

TEST(v_custom_validator)
{
    daoc_value *def = tv_json("{\"name\":\"cv\",\"primary_key\":[\"id\"],\"fields\":["
                              "{\"id\":{\"type\":\"integer\"}},{\"a\":{\"type\":\"integer\"}},"
                              "{\"b\":{\"type\":\"integer\",\"err\":\"custom err\"}}]}");
    ASSERT_NOT_NULL(def);
    daoc_value *fields = (daoc_value *)daoc_obj_get(def, "fields");
    daoc_value *a = (daoc_value *)daoc_obj_get(daoc_arr_get(fields, 1), "a");
    daoc_value *b = (daoc_value *)daoc_obj_get(daoc_arr_get(fields, 2), "b");
    ASSERT_INT(daoc_obj_set(a, "custom_validator", tv_func(cv_even)), DAOC_OK);
    ASSERT_INT(daoc_obj_set(b, "custom_validator", tv_func(cv_even)), DAOC_OK);
    daoc__schema *s = tv_compile_value(def);
    daoc_value_free(def);
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"a\":2}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":3}"), "{\"a\":\"three is right out\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":5}"), "{\"a\":\"failed validating: 5\"}");
    ASSERT_STR(TV_INSERT(s, "{\"b\":3}"), "{\"b\":\"custom err\"}");
    ASSERT_STR(TV_INSERT(s, "{\"b\":\"x\"}"), "{\"b\":\"expected an integer\"}");
}

TEST(validator_order_first_failure_wins)
{
    /* eq before len, len before match, match before custom */
    daoc__schema *s = tv_schema(
        "{\"a\":{\"type\":\"string\",\"len_min\":5,\"match\":\"^x\"}},"
        "{\"b\":{\"type\":\"string\",\"starts_with\":\"/\",\"match_none\":[{\"pattern\":\"//\","
        "\"err\":\"no\"}]}},"
        "{\"c\":{\"type\":\"integer\",\"one_of\":[1,2],\"between\":[5,6]}}");
    ASSERT_STR(
        TV_INSERT(s, "{\"a\":\"yy\",\"b\":\"//\",\"c\":3}"),
        "{\"a\":\"length must be at least 5\",\"b\":\"no\",\"c\":\"expected one of: 1, 2\"}");
}

TEST(err_overrides_validators_not_types)
{
    daoc__schema *s = F1("{\"type\":\"string\",\"match\":\"^%d+$\",\"err\":\"digits only\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"abc\"}"), "{\"a\":\"digits only\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"\"}"), "{\"a\":\"digits only\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":12}"), "{\"a\":\"expected a string\"}");
}

/* ---- composites --------------------------------------------------------- */

TEST(array_element_errors_keyed_by_index)
{
    daoc__schema *s = F1("{\"type\":\"array\",\"elements\":{\"type\":\"string\",\"one_of\":["
                         "\"http\",\"https\"]}}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":[\"http\",123,\"ftp\",null]}"),
               "{\"a\":[null,\"expected a string\",\"expected one of: http, https\",\"required "
               "field missing\"]}");
    daoc_value *in = tv_json("{\"a\":[\"http\",123]}"), *errs = NULL;
    ASSERT_INT(daoc__schema_validate(s, in, true, false, &errs), DAOC_OK);
    const daoc_value *ae = daoc_obj_get(errs, "a");
    ASSERT_TRUE(ae->flags & DAOC__VF_INTKEYS);
    ASSERT_INT(daoc_value_len(ae), 1);
    ASSERT_STR(daoc_obj_key_at(ae, 0, NULL), "2");
    daoc_value_free(in);
    daoc_value_free(errs);
}

TEST(set_element_errors_checklist38)
{
    daoc__schema *s = F1("{\"type\":\"set\",\"elements\":{\"type\":\"string\"}}");
    ASSERT_STR(TV_UPDATE(s, "{\"a\":[\"http\",123]}"), "{\"a\":[null,\"expected a string\"]}");
}

TEST(map_first_error_plain)
{
    daoc__schema *s = F1("{\"type\":\"map\",\"keys\":{\"type\":\"string\",\"match\":\"^%l+$\"},"
                         "\"values\":{\"type\":\"integer\"}}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":{\"ok\":1,\"bad\":\"x\",\"Up\":2}}"),
               "{\"a\":\"expected an integer\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":{\"ok\":1,\"Up\":2}}"), "{\"a\":\"invalid value: Up\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":{\"ok\":null}}"), "{\"a\":\"required field missing\"}");
}

TEST(record_nested_errors)
{
    daoc__schema *s = F1("{\"type\":\"record\",\"fields\":[{\"x\":{\"type\":\"string\","
                         "\"required\":true}},{\"y\":{\"type\":\"integer\",\"default\":5,"
                         "\"between\":[1,10]}}],"
                         "\"entity_checks\":[{\"at_least_one_of\":[\"x\",\"y\"]}]}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"a\":{\"x\":\"v\"}}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":{\"y\":11,\"z\":1}}"),
               "{\"a\":{\"y\":\"value should be between 1 and 10\",\"z\":\"unknown field\","
               "\"x\":\"required field missing\"}}");
    /* a record is validated fully even in an update (Kong validates a copy) */
    ASSERT_STR(TV_UPDATE(s, "{\"a\":{\"y\":3}}"), "{\"a\":{\"x\":\"required field missing\"}}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":{\"x\":null,\"y\":null}}"),
               "{\"a\":{\"x\":\"required field missing\",\"@entity\":[\"at least one of these "
               "fields must be non-empty: 'x', 'y'\"]}}");
}

TEST(records_in_arrays)
{
    daoc__schema *s = F1("{\"type\":\"set\",\"elements\":{\"type\":\"record\",\"fields\":["
                         "{\"ip\":{\"type\":\"string\"}},{\"port\":{\"type\":\"integer\","
                         "\"between\":[0,65535]}}]}}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":[{\"ip\":\"127.0.0.1\"},{\"ip\":\"127.75.78.72\",\"port\":"
                            "65536}]}"),
               "{\"a\":[null,{\"port\":\"value should be between 0 and 65535\"}]}");
}

static daoc__schema *parent_schema(void)
{
    static daoc__schema *p;
    if (!p)
        p = tv_schema_def("{\"name\":\"parents\",\"primary_key\":[\"id\"],\"fields\":["
                          "{\"id\":{\"type\":\"string\",\"uuid\":true,\"auto\":true}},"
                          "{\"name\":{\"type\":\"string\"}}]}");
    return p;
}

TEST(foreign_keys)
{
    ASSERT_NOT_NULL(parent_schema());
    daoc__schema *s = tv_schema_def(
        "{\"name\":\"children\",\"primary_key\":[\"id\"],\"fields\":[{\"id\":{\"type\":"
        "\"integer\"}},{\"parent\":{\"type\":\"foreign\",\"reference\":\"parents\"}}]}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"parent\":{\"id\":\"00000000-0000-0000-0000-000000000001\"}}"),
               "ok");
    ASSERT_STR(TV_INSERT(s, "{\"parent\":{\"name\":\"x\"}}"),
               "{\"parent\":{\"id\":\"missing primary key\"}}");
    ASSERT_STR(TV_INSERT(s, "{\"parent\":{\"id\":\"nope\"}}"),
               "{\"parent\":{\"id\":\"expected a valid UUID\"}}");
    ASSERT_STR(TV_INSERT(s, "{\"parent\":{\"id\":null}}"),
               "{\"parent\":{\"id\":\"required field missing\"}}");
    /* a bad non-key field in the reference wins over the key error */
    ASSERT_STR(TV_INSERT(s, "{\"parent\":{\"name\":5}}"),
               "{\"parent\":{\"name\":\"expected a string\"}}");
    ASSERT_STR(TV_INSERT(s, "{\"parent\":null}"), "ok");
}

/* ---- entity-level rules (checklist 10) ------------------------------------ */

TEST(unknown_field)
{
    daoc__schema *s = F1("{\"type\":\"integer\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":1,\"k\":\"wat\"}"), "{\"k\":\"unknown field\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":1,\"k\":null}"), "{\"k\":\"unknown field\"}");
    /* updated_at is never validated, even unknown */
    ASSERT_STR(TV_INSERT(s, "{\"a\":1,\"updated_at\":\"x\"}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"ttl\":5}"), "{\"ttl\":\"unknown field\"}");
}

TEST(ttl_key_not_validated_on_ttl_schema)
{
    daoc__schema *s = tv_schema_def("{\"name\":\"tt\",\"ttl\":true,\"primary_key\":[\"id\"],"
                                    "\"fields\":[{\"id\":{\"type\":\"integer\"}}]}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"ttl\":\"whatever\"}"), "ok");
}

TEST(required_insert_vs_update)
{
    daoc__schema *s = tv_schema("{\"a\":{\"type\":\"string\",\"required\":true}},"
                                "{\"b\":{\"type\":\"string\"}}");
    ASSERT_STR(TV_INSERT(s, "{}"), "{\"a\":\"required field missing\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":null}"), "{\"a\":\"required field missing\"}");
    ASSERT_STR(TV_UPDATE(s, "{}"), "ok");
    ASSERT_STR(TV_UPDATE(s, "{\"b\":\"x\"}"), "ok");
    ASSERT_STR(TV_UPDATE(s, "{\"a\":null}"), "{\"a\":\"required field missing\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":5}"), "{\"a\":\"expected a string\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\",\"b\":null}"), "ok");
}

TEST(validate_field_entry_point)
{
    daoc__schema *s = F1("{\"type\":\"string\",\"match\":\"^%w+$\"}");
    ASSERT_STR(tv_field(s, "a", "\"abc\""), "ok");
    ASSERT_STR(tv_field(s, "a", "\"a-b\""), "\"invalid value: a-b\"");
    ASSERT_STR(tv_field(s, "a", "123"), "\"expected a string\"");
    ASSERT_STR(tv_field(s, "a", "null"), "ok");
}

/* ---- primary keys -------------------------------------------------------- */

static const char *pk(const daoc__schema *s, const char *json, bool ignore)
{
    daoc_free(tv_last);
    tv_last = NULL;
    daoc_value *v = tv_json(json), *errs = NULL;
    if (daoc__schema_validate_primary_key(s, v, ignore, &errs) != DAOC_OK)
        return "(status)";
    daoc_value_free(v);
    tv_last = tv_enc(errs);
    daoc_value_free(errs);
    return tv_last;
}

TEST(primary_key_rules)
{
    daoc__schema *s =
        tv_schema_def("{\"name\":\"pks\",\"primary_key\":[\"id\",\"k\"],\"fields\":["
                      "{\"id\":{\"type\":\"string\",\"uuid\":true,\"auto\":true}},"
                      "{\"k\":{\"type\":\"integer\"}},{\"other\":{\"type\":\"string\"}}]}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(pk(s, "{\"id\":\"00000000-0000-0000-0000-000000000000\",\"k\":1}", false), "ok");
    ASSERT_STR(pk(s, "{}", false),
               "{\"id\":\"missing primary key\",\"k\":\"missing primary key\"}");
    ASSERT_STR(pk(s, "{\"id\":null,\"k\":\"x\",\"other\":\"y\"}", false),
               "{\"id\":\"required field missing\",\"k\":\"expected an integer\",\"other\":\"not a "
               "primary key\"}");
    ASSERT_STR(pk(s, "{\"id\":\"00000000-0000-0000-0000-000000000000\",\"k\":1,\"other\":1}", true),
               "ok");
    ASSERT_STR(pk(s, "{\"id\":\"bad\",\"k\":null}", false), "{\"id\":\"expected a valid UUID\"}");
}

/* The primary-key fast path (schemas whose pk fields are plain uuid string
 * fields, pk_uuid_only) answers only when the pk is surely valid; every
 * other pk goes through the general walk.  Both settings of the flag must
 * give the same error tree, byte for byte. */
static const char *pk_both(daoc__schema *s, const daoc_value *v, bool ignore)
{
    daoc_free(tv_last);
    tv_last = NULL;
    daoc_value *fast = NULL, *general = NULL;
    if (!s->pk_uuid_only)
        return "(schema does not qualify)";
    int rc1 = daoc__schema_validate_primary_key(s, v, ignore, &fast);
    s->pk_uuid_only = false;
    int rc2 = daoc__schema_validate_primary_key(s, v, ignore, &general);
    s->pk_uuid_only = true;
    char *a = rc1 == DAOC_OK ? tv_enc(fast) : NULL, *b = rc2 == DAOC_OK ? tv_enc(general) : NULL;
    daoc_value_free(fast);
    daoc_value_free(general);
    if (a && b && strcmp(a, b) == 0) {
        daoc_free(b);
        tv_last = a;
        return tv_last;
    }
    fprintf(stderr, "  fast %s, general %s\n", a ? a : "(status)", b ? b : "(status)");
    daoc_free(a);
    daoc_free(b);
    return "(fast and general paths differ)";
}

static const char *pk_both_json(daoc__schema *s, const char *json, bool ignore)
{
    daoc_value *v = tv_json(json);
    if (!v)
        return "(bad input)";
    const char *r = pk_both(s, v, ignore);
    daoc_value_free(v);
    return r;
}

#define UUID_LC "\"0123abcd-ef45-6789-abcd-ef0123456789\""
#define UUID_UC "\"0123ABCD-EF45-6789-ABCD-EF0123456789\""

TEST(primary_key_fast_path_matches_the_general_path)
{
    daoc__schema *s = tv_schema_def(
        "{\"name\":\"pkf\",\"primary_key\":[\"id\"],\"fields\":["
        "{\"id\":{\"type\":\"string\",\"uuid\":true,\"auto\":true}},"
        "{\"other\":{\"type\":\"string\"}}]}");
    ASSERT_NOT_NULL(s);
    ASSERT_TRUE(s->pk_uuid_only);
    for (int ignore = 0; ignore <= 1; ignore++) {
        ASSERT_STR(pk_both_json(s, "{\"id\":" UUID_LC "}", ignore), "ok");
        /* Kong's uuid check takes any case */
        ASSERT_STR(pk_both_json(s, "{\"id\":" UUID_UC "}", ignore), "ok");
        ASSERT_STR(pk_both_json(s, "{\"id\":\"0123abcd-ef45-6789-abcd-ef012345678\"}", ignore),
                   "{\"id\":\"expected a valid UUID\"}");
        ASSERT_STR(pk_both_json(s, "{\"id\":\"0123abcd-ef45-6789-abcd-ef01234567890\"}", ignore),
                   "{\"id\":\"expected a valid UUID\"}");
        ASSERT_STR(pk_both_json(s, "{\"id\":\"0123abcg-ef45-6789-abcd-ef0123456789\"}", ignore),
                   "{\"id\":\"expected a valid UUID\"}");
        ASSERT_STR(pk_both_json(s, "{\"id\":\"0123abcd0ef45-6789-abcd-ef0123456789\"}", ignore),
                   "{\"id\":\"expected a valid UUID\"}");
        ASSERT_STR(pk_both_json(s, "{\"id\":\"\"}", ignore),
                   "{\"id\":\"expected a valid UUID\"}");
        ASSERT_STR(pk_both_json(s, "{\"id\":5}", ignore), "{\"id\":\"expected a string\"}");
        ASSERT_STR(pk_both_json(s, "{\"id\":[]}", ignore), "{\"id\":\"expected a string\"}");
        ASSERT_STR(pk_both_json(s, "{\"id\":true}", ignore), "{\"id\":\"expected a string\"}");
        ASSERT_STR(pk_both_json(s, "{\"id\":false}", ignore), "{\"id\":\"missing primary key\"}");
        ASSERT_STR(pk_both_json(s, "{\"id\":null}", ignore),
                   "{\"id\":\"required field missing\"}");
        ASSERT_STR(pk_both_json(s, "{}", ignore), "{\"id\":\"missing primary key\"}");
        ASSERT_STR(pk_both_json(s, "{\"ID\":" UUID_LC "}", ignore),
                   ignore ? "{\"id\":\"missing primary key\"}"
                          : "{\"id\":\"missing primary key\",\"ID\":\"not a primary key\"}");
        ASSERT_STR(pk_both_json(s, "[]", ignore), "{\"id\":\"missing primary key\"}");
        ASSERT_STR(pk_both_json(s, "\"x\"", ignore), "{\"id\":\"missing primary key\"}");
    }
    /* extra keys: ignored or refused */
    ASSERT_STR(pk_both_json(s, "{\"id\":" UUID_LC ",\"other\":\"x\"}", true), "ok");
    ASSERT_STR(pk_both_json(s, "{\"id\":" UUID_LC ",\"other\":\"x\"}", false),
               "{\"other\":\"not a primary key\"}");
    ASSERT_STR(pk_both_json(s, "{\"other\":1,\"id\":" UUID_LC "}", false),
               "{\"other\":\"not a primary key\"}");
    ASSERT_STR(pk_both_json(s, "{\"id\":\"bad\",\"x\":1}", false),
               "{\"id\":\"expected a valid UUID\",\"x\":\"not a primary key\"}");

    /* strings JSON cannot carry: invalid UTF-8 and NUL bytes of uuid length */
    static const struct {
        const char *bytes;
        const char *want;
    } raw[] = {
        {"0123abcd-ef45-6789-abcd-ef012345678\xff",
         "{\"id\":\"invalid utf-8 character sequence detected at position 36\"}"},
        {"\xc3\xa9" "23abcd-ef45-6789-abcd-ef0123456789",
         "{\"id\":\"expected a valid UUID\"}"},
        {"0123abcd-ef45-6789-abcd-ef012345678\0", "{\"id\":\"expected a valid UUID\"}"},
    };
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
        daoc_value *pkv = daoc_obj();
        ASSERT_NOT_NULL(pkv);
        ASSERT_INT(daoc_obj_set(pkv, "id", daoc_strn(raw[i].bytes, 36)), DAOC_OK);
        const char *got = pk_both(s, pkv, true);
        daoc_value_free(pkv);
        ASSERT_STR(got, raw[i].want);
    }
    /* no object at all */
    ASSERT_STR(pk_both(s, NULL, true), "{\"id\":\"missing primary key\"}");

    /* composite keys of uuid fields, in any key order */
    daoc__schema *c = tv_schema_def(
        "{\"name\":\"pkf2\",\"primary_key\":[\"a\",\"b\"],\"fields\":["
        "{\"a\":{\"type\":\"string\",\"uuid\":true}},"
        "{\"b\":{\"type\":\"string\",\"uuid\":true,\"required\":true,\"unique\":true,"
        "\"len_min\":36,\"len_max\":36,\"err\":\"custom\"}}]}");
    ASSERT_NOT_NULL(c);
    ASSERT_TRUE(c->pk_uuid_only);
    ASSERT_STR(pk_both_json(c, "{\"a\":" UUID_LC ",\"b\":" UUID_UC "}", false), "ok");
    ASSERT_STR(pk_both_json(c, "{\"b\":" UUID_LC ",\"a\":" UUID_UC "}", false), "ok");
    ASSERT_STR(pk_both_json(c, "{\"a\":" UUID_LC ",\"b\":" UUID_LC ",\"c\":1}", true), "ok");
    ASSERT_STR(pk_both_json(c, "{\"a\":" UUID_LC ",\"b\":" UUID_LC ",\"c\":1}", false),
               "{\"c\":\"not a primary key\"}");
    ASSERT_STR(pk_both_json(c, "{\"a\":" UUID_LC "}", false), "{\"b\":\"missing primary key\"}");
    ASSERT_STR(pk_both_json(c, "{\"a\":" UUID_LC ",\"c\":" UUID_LC "}", false),
               "{\"b\":\"missing primary key\",\"c\":\"not a primary key\"}");
    ASSERT_STR(pk_both_json(c, "{\"a\":" UUID_LC ",\"b\":\"nope\"}", true), "{\"b\":\"custom\"}");
    ASSERT_STR(pk_both_json(c, "{\"a\":1,\"b\":null}", true),
               "{\"a\":\"expected a string\",\"b\":\"required field missing\"}");
}

/* Only plain uuid fields qualify: any validator that could refuse a valid
 * uuid, or a pk field of another kind, keeps a schema on the general path. */
TEST(primary_key_fast_path_qualification)
{
    static const struct {
        const char *id_def;
        bool fast;
    } cases[] = {
        {"{\"type\":\"string\",\"uuid\":true}", true},
        {"{\"type\":\"string\",\"uuid\":true,\"auto\":true,\"unique\":true,\"immutable\":true}",
         true},
        {"{\"type\":\"string\",\"uuid\":true,\"len_eq\":36}", true},
        {"{\"type\":\"string\",\"uuid\":true,\"len_min\":36,\"len_max\":100}", true},
        {"{\"type\":\"string\",\"uuid\":true,\"referenceable\":true}", true},
        {"{\"type\":\"string\",\"uuid\":true,\"default\":\"x\"}", true},
        {"{\"type\":\"string\"}", false},
        {"{\"type\":\"integer\"}", false},
        {"{\"type\":\"string\",\"uuid\":true,\"len_eq\":35}", false},
        {"{\"type\":\"string\",\"uuid\":true,\"len_min\":37}", false},
        {"{\"type\":\"string\",\"uuid\":true,\"len_max\":35}", false},
        {"{\"type\":\"string\",\"uuid\":true,\"match\":\"^0\"}", false},
        {"{\"type\":\"string\",\"uuid\":true,\"not_match\":\"x\"}", false},
        {"{\"type\":\"string\",\"uuid\":true,\"match_all\":[{\"pattern\":\"^0\"}]}", false},
        {"{\"type\":\"string\",\"uuid\":true,\"match_none\":[{\"pattern\":\"^0\"}]}", false},
        {"{\"type\":\"string\",\"uuid\":true,\"match_any\":{\"patterns\":[\"^0\"]}}", false},
        {"{\"type\":\"string\",\"uuid\":true,\"starts_with\":\"0\"}", false},
        {"{\"type\":\"string\",\"uuid\":true,\"one_of\":[\"a\"]}", false},
        {"{\"type\":\"string\",\"uuid\":true,\"not_one_of\":[\"a\"]}", false},
        {"{\"type\":\"string\",\"uuid\":true,\"eq\":\"a\"}", false},
        {"{\"type\":\"string\",\"uuid\":true,\"ne\":\"a\"}", false},
        {"{\"type\":\"string\",\"uuid\":true,\"is_regex\":true}", false},
        {"{\"type\":\"string\",\"uuid\":true,\"custom_validator\":\"tag\"}", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *def = daoc__asprintf("{\"name\":\"pkq%zu\",\"primary_key\":[\"id\"],\"fields\":["
                                   "{\"id\":%s}]}",
                                   i, cases[i].id_def);
        ASSERT_NOT_NULL(def);
        daoc__schema *s = tv_schema_def(def);
        daoc__free(def);
        if (!s)
            T_FAIL_AT("case %zu does not compile", i);
        ASSERT_NOT_NULL(s);
        if (s->pk_uuid_only != cases[i].fast)
            T_FAIL_AT("case %zu (%s): pk_uuid_only %d", i, cases[i].id_def, s->pk_uuid_only);
    }
    /* a uuid pk beside a pk field of another kind */
    daoc__schema *m = tv_schema_def(
        "{\"name\":\"pkq_mixed\",\"primary_key\":[\"id\",\"k\"],\"fields\":["
        "{\"id\":{\"type\":\"string\",\"uuid\":true}},{\"k\":{\"type\":\"integer\"}}]}");
    ASSERT_NOT_NULL(m);
    ASSERT_TRUE(!m->pk_uuid_only);
}

/* ---- UTF-8 and size limits ----------------------------------------------- */

TEST(utf8_rule)
{
    daoc__schema *s = F1("{\"type\":\"string\"}");
    const daoc__field *f = daoc__schema_field(s, "a", 1);
    static const struct {
        const char *bytes;
        size_t len;
        const char *want;
    } cases[] = {
        {"h\xc3\xa9llo", 6, NULL},
        {"\xf0\x9f\x98\x80", 4, NULL},
        {"ab\xff", 3, "invalid utf-8 character sequence detected at position 3"},
        {"a\xc3", 2, "invalid utf-8 character sequence detected at position 2"},
        {"\xc0\xaf", 2, "invalid utf-8 character sequence detected at position 1"},
        {"xy\xed\xa0\x80", 5, "invalid utf-8 character sequence detected at position 3"},
        {"\xf4\x90\x80\x80", 4, "invalid utf-8 character sequence detected at position 1"},
        {"abc\xe2\x82", 5, "invalid utf-8 character sequence detected at position 4"},
        /* past the eight-byte ASCII fast path, and a good sequence between */
        {"0123456789abcdef\xc3\xa9 0123456", 26, NULL},
        {"0123456789abcdefg\xff", 18, "invalid utf-8 character sequence detected at position 18"},
        {"01234567\xc3\xa9" "89abcdef\x80", 19,
         "invalid utf-8 character sequence detected at position 19"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        daoc_value *v = daoc_strn(cases[i].bytes, cases[i].len), *err = NULL;
        ASSERT_INT(daoc__schema_validate_field(f, v, &err), DAOC_OK);
        daoc_value_free(v);
        if (!cases[i].want) {
            ASSERT_NULL(err);
        } else {
            ASSERT_NOT_NULL(err);
            ASSERT_STR(daoc_value_str(err, NULL), cases[i].want);
            daoc_value_free(err);
        }
    }
}

TEST(string_size_limit)
{
    daoc__schema *s = tv_schema("{\"a\":{\"type\":\"string\"}},"
                                "{\"b\":{\"type\":\"string\",\"len_max\":100}},"
                                "{\"c\":{\"type\":\"string\",\"len_max\":20000000}}");
    size_t n = 16777216;
    char *big = malloc(n + 1);
    ASSERT_NOT_NULL(big);
    memset(big, 'x', n + 1);
    daoc_value *ok = daoc_strn(big, n), *over = daoc_strn(big, n + 1), *err = NULL;
    free(big);
    ASSERT_TRUE(ok && over);
    ASSERT_INT(daoc__schema_validate_field(daoc__schema_field(s, "a", 1), ok, &err), DAOC_OK);
    ASSERT_NULL(err);
    ASSERT_INT(daoc__schema_validate_field(daoc__schema_field(s, "a", 1), over, &err), DAOC_OK);
    ASSERT_NOT_NULL(err);
    ASSERT_STR(daoc_value_str(err, NULL), "length must be at most 16777216");
    daoc_value_free(err);
    ASSERT_INT(daoc__schema_validate_field(daoc__schema_field(s, "b", 1), over, &err), DAOC_OK);
    ASSERT_STR(daoc_value_str(err, NULL), "length must be at most 100");
    daoc_value_free(err);
    ASSERT_INT(daoc__schema_validate_field(daoc__schema_field(s, "c", 1), over, &err), DAOC_OK);
    ASSERT_STR(daoc_value_str(err, NULL), "length must be at most 16777216");
    daoc_value_free(err);
    daoc_value_free(ok);
    daoc_value_free(over);
}

/* ---- allocation failures ------------------------------------------------ */

TEST(enomem_paths_do_not_leak)
{
    daoc__schema *s = tv_schema2(
        "{\"a\":{\"type\":\"array\",\"elements\":{\"type\":\"string\",\"match\":\"^x\"}}},"
        "{\"r\":{\"type\":\"record\",\"fields\":[{\"q\":{\"type\":\"integer\",\"default\":1}}]}},"
        "{\"z\":{\"type\":\"string\",\"required\":true}}",
        ",\"entity_checks\":[{\"at_least_one_of\":[\"a\",\"z\"]}]");
    ASSERT_NOT_NULL(s);
    daoc_value *in = tv_json("{\"a\":[\"x\",\"y\",1],\"r\":{},\"k\":1}");
    int saw_ok = 0;
    for (long n = 0; n < 200 && !saw_ok; n++) {
        daoc_value *errs = NULL;
        daoc__alloc_fail_after(n);
        int rc = daoc__schema_validate(s, in, true, false, &errs);
        daoc__alloc_fail_after(-1);
        if (rc == DAOC_OK) {
            saw_ok = 1;
            ASSERT_NOT_NULL(errs);
        } else {
            ASSERT_INT(rc, DAOC_ENOMEM);
            ASSERT_NULL(errs);
        }
        daoc_value_free(errs);
    }
    daoc_value_free(in);
    ASSERT_TRUE(saw_ok);
}

TEST(valid_entity_allocates_nothing)
{
    daoc__schema *s = tv_schema("{\"a\":{\"type\":\"string\",\"match\":\"^x\"}},"
                                "{\"b\":{\"type\":\"set\",\"elements\":{\"type\":\"integer\"}}},"
                                "{\"c\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},"
                                "\"values\":{\"type\":\"string\"}}}");
    daoc_value *in = tv_json("{\"a\":\"xy\",\"b\":[1,2],\"c\":{\"k\":\"v\"}}"), *errs = NULL;
    daoc__alloc_fail_after(0);
    int rc = daoc__schema_validate(s, in, true, false, &errs);
    daoc__alloc_fail_after(-1);
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_NULL(errs);
    daoc_value_free(in);
}

/* ---- immutable fields (checklist 19) ------------------------------------- */

static const char *immut(const daoc__schema *s, const char *input, const char *stored)
{
    daoc_free(tv_last);
    tv_last = NULL;
    daoc_value *in = tv_json(input), *st = tv_json(stored), *errs = NULL;
    int rc = daoc__schema_validate_immutable(s, in, st, &errs);
    daoc_value_free(in);
    daoc_value_free(st);
    if (rc != DAOC_OK)
        return "(status)";
    tv_last = tv_enc(errs);
    daoc_value_free(errs);
    return tv_last;
}

TEST(immutable_fields)
{
    daoc__schema *s = tv_schema("{\"name\":{\"type\":\"string\",\"immutable\":true}},"
                                "{\"address\":{\"type\":\"string\",\"immutable\":true}},"
                                "{\"email\":{\"type\":\"string\"}},"
                                "{\"list\":{\"type\":\"array\",\"elements\":{\"type\":\"string\"},"
                                "\"immutable\":true}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(immut(s, "{\"name\":\"test1\",\"address\":\"a\",\"email\":\"a@thing.com\"}",
                     "{\"name\":\"test2\",\"address\":\"b\",\"email\":\"b@thing.com\"}"),
               "{\"name\":\"immutable field cannot be updated\",\"address\":\"immutable field "
               "cannot be updated\"}");
    ASSERT_STR(immut(s, "{\"name\":\"test1\"}", "{\"name\":\"test1\",\"address\":\"b\"}"), "ok");
    ASSERT_STR(immut(s, "{\"list\":[\"dog\",\"bat\",\"cat\"]}",
                     "{\"list\":[\"bat\",\"cat\","
                     "\"dog\"]}"),
               "ok");
    ASSERT_STR(immut(s, "{\"list\":[\"dog\",\"dog\"]}", "{\"list\":[\"dog\",\"cat\"]}"),
               "{\"list\":\"immutable field cannot be updated\"}");
    /* nothing stored yet: anything goes */
    ASSERT_STR(immut(s, "{\"name\":\"x\"}", "{}"), "ok");
}

/* ---- vault references skip validators ------------------------------------ */

TEST(referenceable_skips_validators)
{
    daoc__schema *s = tv_schema("{\"a\":{\"type\":\"string\",\"referenceable\":true,"
                                "\"match\":\"^%d+$\"}},"
                                "{\"b\":{\"type\":\"string\",\"match\":\"^%d+$\"}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"{vault://env/secret}\"}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"nope\",\"b\":\"{vault://env/secret}\"}"),
               "{\"a\":\"invalid value: nope\",\"b\":\"invalid value: {vault://env/secret}\"}");
}
