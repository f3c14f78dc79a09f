/*
 * test_entity_checks.c -- golden tests of every entity checker with Kong's
 * exact messages, the run rules (invalid fields, all-absent, missing
 * required fields on update), update message variants, dotted field names
 * and custom_entity_check projections.  Checklist items 13 and 14.
 */
#include "test_validate_helpers.h"

#define AB                                                                                         \
    "{\"a\":{\"type\":\"string\"}},{\"b\":{\"type\":\"string\"}},{\"c\":{\"type\":\"string\"}}"

static daoc__schema *with_check(const char *check)
{
    char *extra = daoc__asprintf(",\"entity_checks\":[%s]", check);
    daoc__schema *s = extra ? tv_schema2(AB, extra) : NULL;
    daoc__free(extra);
    return s;
}

TEST(at_least_one_of)
{
    daoc__schema *s = with_check("{\"at_least_one_of\":[\"a\",\"b\"]}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\"}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{}"),
               "{\"@entity\":[\"at least one of these fields must be non-empty: 'a', 'b'\"]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":null,\"b\":null}"),
               "{\"@entity\":[\"at least one of these fields must be non-empty: 'a', 'b'\"]}");
    /* update: all absent -> skipped; explicit nulls -> update wording */
    ASSERT_STR(TV_UPDATE(s, "{\"c\":\"x\"}"), "ok");
    ASSERT_STR(TV_UPDATE(s, "{\"a\":null}"),
               "{\"@entity\":[\"when updating, at least one of these fields must be non-empty: "
               "'a', 'b'\"]}");
    /* runs with invalid fields */
    ASSERT_STR(TV_INSERT(s, "{\"a\":1}"), "{\"a\":\"expected a string\"}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"\"}"),
               "{\"a\":\"length must be at least 1\",\"@entity\":[\"at least one of these fields "
               "must be non-empty: 'a', 'b'\"]}");
}

TEST(only_one_of)
{
    daoc__schema *s = with_check("{\"only_one_of\":[\"a\",\"b\"]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\",\"b\":null}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\",\"b\":\"y\"}"),
               "{\"@entity\":[\"exactly one of these fields must be non-empty: 'a', 'b'\"]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":null,\"b\":null}"),
               "{\"@entity\":[\"exactly one of these fields must be non-empty: 'a', 'b'\"]}");
    /* update with one present: the other is required for the check */
    ASSERT_STR(TV_UPDATE(s, "{\"a\":\"x\"}"),
               "{\"b\":\"field required for entity check when updating\"}");
    ASSERT_STR(TV_UPDATE(s, "{}"), "ok");
}

TEST(distinct)
{
    daoc__schema *s = with_check("{\"distinct\":[\"a\",\"b\"]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\",\"b\":\"y\"}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":null,\"b\":null}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\",\"b\":\"x\"}"),
               "{\"@entity\":[\"values of these fields must be distinct: 'a', 'b'\"]}");
}

TEST(distinct_missing_on_insert)
{
    /* not run with missing fields: a missing required field is reported */
    daoc__schema *s = with_check("{\"distinct\":[\"a\",\"b\"]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\"}"), "{\"b\":\"field required for entity check\"}");
}

TEST(mutually_required)
{
    daoc__schema *s = with_check("{\"mutually_required\":[\"a\",\"b\"]}");
    ASSERT_STR(TV_INSERT(s, "{}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\",\"b\":\"y\"}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\"}"),
               "{\"@entity\":[\"all or none of these fields must be set: 'a', 'b'\"]}");
    ASSERT_STR(TV_UPDATE(s, "{\"b\":\"y\"}"),
               "{\"@entity\":[\"all or none of these fields must be set: 'a', 'b'\"]}");
    /* not run when a field is invalid */
    ASSERT_STR(TV_INSERT(s, "{\"a\":5}"), "{\"a\":\"expected a string\"}");
}

TEST(mutually_exclusive)
{
    daoc__schema *s = with_check("{\"mutually_exclusive\":[\"a\",\"b\",\"c\"]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\"}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\",\"c\":\"z\"}"),
               "{\"@entity\":[\"only one or none of these fields must be set: 'a', 'b', 'c'\"]}");
}

TEST(mutually_exclusive_sets)
{
    daoc__schema *s =
        with_check("{\"mutually_exclusive_sets\":{\"set1\":[\"a\",\"b\"],\"set2\":[\"c\"]}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\",\"b\":\"y\"}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"b\":\"y\",\"c\":\"z\"}"),
               "{\"@entity\":[\"these sets are mutually exclusive: ('b'), ('c')\"]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\",\"b\":\"y\",\"c\":\"z\"}"),
               "{\"@entity\":[\"these sets are mutually exclusive: ('a', 'b'), ('c')\"]}");
}

static daoc__schema *num_schema(const char *check)
{
    char *extra = daoc__asprintf(",\"entity_checks\":[%s]", check);
    daoc__schema *s = tv_schema2("{\"a\":{\"type\":\"integer\"}},{\"b\":{\"type\":\"integer\"}},"
                                 "{\"c\":{\"type\":\"integer\"}}",
                                 extra);
    daoc__free(extra);
    return s;
}

TEST(conditional_at_least_one_of_checklist13)
{
    daoc__schema *s =
        num_schema("{\"conditional_at_least_one_of\":{\"if_field\":\"a\","
                   "\"if_match\":{\"gt\":0},\"then_at_least_one_of\":[\"b\",\"c\"]}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"a\":1}"),
               "{\"@entity\":[\"at least one of these fields must be non-empty: 'b', 'c'\"]}");
    ASSERT_STR(TV_UPDATE(s, "{\"a\":123}"),
               "{\"@entity\":[\"when updating, at least one of these fields must be non-empty: "
               "'b', 'c'\"]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":1,\"c\":2}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":0}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{}"), "ok");
}

TEST(conditional_at_least_one_of_else_and_errs)
{
    daoc__schema *s =
        num_schema("{\"conditional_at_least_one_of\":{\"if_field\":\"a\",\"if_match\":{\"gt\":10},"
                   "\"then_at_least_one_of\":[\"b\"],\"then_err\":\"need %s when big\","
                   "\"else_match\":{\"one_of\":[1,2]},\"else_then_at_least_one_of\":[\"c\"],"
                   "\"else_then_err\":\"need %s when small\"}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"a\":11}"), "{\"@entity\":[\"need 'b' when big\"]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":2}"), "{\"@entity\":[\"need 'c' when small\"]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":5}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":2,\"c\":1}"), "ok");
}

TEST(conditional_checklist14)
{
    daoc__schema *s = num_schema("{\"conditional\":{\"if_field\":\"a\",\"if_match\":{\"gt\":0},"
                                 "\"then_field\":\"b\",\"then_match\":{\"gt\":0},"
                                 "\"then_err\":\"must set 'b > 0' if '%s' is like this\"}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"a\":1,\"b\":0}"),
               "{\"b\":\"value must be greater than 0\",\"@entity\":[\"must set 'b > 0' if 'a' is "
               "like this\"]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":1,\"b\":1}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":0,\"b\":0}"), "ok");
}

TEST(conditional_default_message_and_required)
{
    daoc__schema *s = num_schema(
        "{\"conditional\":{\"if_field\":\"a\",\"if_match\":{\"eq\":1},\"then_field\":\"b\","
        "\"then_match\":{\"eq\":null}}},"
        "{\"conditional\":{\"if_field\":\"a\",\"if_match\":{\"eq\":2},\"then_field\":\"c\","
        "\"then_match\":{\"required\":true},\"then_err\":\"unused %s\"}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"a\":1,\"b\":5}"),
               "{\"b\":\"value must be null\",\"@entity\":[\"failed conditional validation given "
               "value of field 'a'\"]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":2}"),
               "{\"c\":\"required field missing\",\"@entity\":[\"failed conditional validation "
               "given value of field 'a'\"]}");
    /* if_field required: absent on update -> field required for entity check */
    ASSERT_STR(TV_UPDATE(s, "{\"b\":5}"),
               "{\"a\":\"field required for entity check when updating\"}");
}

static int cec_impl(const daoc_value *proj, char **msg)
{
    /* sees only its sources: a and r.x, never b */
    if (daoc_obj_get(proj, "b")) {
        *msg = daoc__strdup("projection leaked b");
        return 0;
    }
    const daoc_value *r = daoc_obj_get(proj, "r");
    const daoc_value *x = r ? daoc_obj_get(r, "x") : NULL;
    const daoc_value *a = daoc_obj_get(proj, "a");
    if (a && x && daoc_value_type(a) == DAOC_TSTR && daoc_value_type(x) == DAOC_TSTR &&
        strcmp(daoc_value_str(a, NULL), daoc_value_str(x, NULL)) == 0) {
        *msg = daoc__strdup("a must differ from r.x");
        return 0;
    }
    if (a && daoc_value_type(a) == DAOC_TSTR && strcmp(daoc_value_str(a, NULL), "nomsg") == 0)
        return 0;
    return 1;
}

static daoc__schema *cec_schema(void)
{
    daoc_value *def = tv_json(
        "{\"name\":\"cec\",\"primary_key\":[\"id\"],\"fields\":[{\"id\":{\"type\":\"integer\"}},"
        "{\"a\":{\"type\":\"string\"}},{\"b\":{\"type\":\"string\"}},"
        "{\"r\":{\"type\":\"record\",\"fields\":[{\"x\":{\"type\":\"string\"}}]}}],"
        "\"entity_checks\":[{\"custom_entity_check\":{\"field_sources\":[\"a\",\"r.x\"]}}]}");
    if (!def)
        return NULL;
    daoc_value *checks = (daoc_value *)daoc_obj_get(def, "entity_checks");
    daoc_value *arg = (daoc_value *)daoc_obj_get(daoc_arr_get(checks, 0), "custom_entity_check");
    if (daoc_obj_set(arg, "fn", tv_func(cec_impl)) != DAOC_OK) {
        daoc_value_free(def);
        return NULL;
    }
    daoc__schema *s = tv_compile_value(def);
    daoc_value_free(def);
    return s;
}

TEST(custom_entity_check)
{
    daoc__schema *s = cec_schema();
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"p\",\"b\":\"q\",\"r\":{\"x\":\"z\"}}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"p\",\"b\":\"q\",\"r\":{\"x\":\"p\"}}"),
               "{\"@entity\":[\"a must differ from r.x\"]}");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"nomsg\",\"r\":{\"x\":\"z\"}}"),
               "{\"@entity\":[\"failed entity check: custom_entity_check({ name = { "
               "field_sources = { \\\"a\\\", \\\"r.x\\\" } } })\"]}");
    /* not run with invalid fields */
    ASSERT_STR(TV_INSERT(s, "{\"a\":1,\"r\":{\"x\":\"p\"}}"), "{\"a\":\"expected a string\"}");
    /* update without the sources: skipped; with one: the other is required */
    ASSERT_STR(TV_UPDATE(s, "{\"b\":\"q\"}"), "ok");
    ASSERT_STR(TV_UPDATE(s, "{\"a\":\"p\"}"),
               "{\"r\":{\"x\":\"field required for entity check when updating\"}}");
}

TEST(record_entity_checks_use_update_wording)
{
    daoc__schema *s = tv_schema(
        "{\"r\":{\"type\":\"record\",\"fields\":[{\"x\":{\"type\":\"string\"}},{\"y\":{\"type\":"
        "\"string\"}}],\"entity_checks\":[{\"at_least_one_of\":[\"x\",\"y\"]}]}}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"r\":{}}"),
               "{\"r\":{\"@entity\":[\"at least one of these fields must be non-empty: 'x', "
               "'y'\"]}}");
    ASSERT_STR(TV_UPDATE(s, "{\"r\":{}}"),
               "{\"r\":{\"@entity\":[\"when updating, at least one of these fields must be "
               "non-empty: 'x', 'y'\"]}}");
}

TEST(several_checks_keep_order)
{
    daoc__schema *s = with_check("{\"at_least_one_of\":[\"a\"]},{\"at_least_one_of\":[\"b\"]},"
                                 "{\"mutually_exclusive\":[\"a\",\"c\"]}");
    ASSERT_STR(TV_INSERT(s, "{\"c\":\"x\"}"),
               "{\"@entity\":[\"at least one of these fields must be non-empty: 'a'\",\"at least "
               "one of these fields must be non-empty: 'b'\"]}");
}

TEST(dotted_names_through_records)
{
    daoc__schema *s =
        tv_schema2("{\"config\":{\"type\":\"record\",\"fields\":[{\"x\":{\"type\":\"string\"}},"
                   "{\"y\":{\"type\":\"string\"}}]}}",
                   ",\"entity_checks\":[{\"mutually_required\":[\"config.x\",\"config.y\"]}]");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"config\":{\"x\":\"a\",\"y\":\"b\"}}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"config\":{\"x\":\"a\"}}"),
               "{\"@entity\":[\"all or none of these fields must be set: 'config.x', "
               "'config.y'\"]}");
}

/* Kong's metaschema does not look at the names an entity check lists: a
 * definition naming a field the schema lacks loads, and that field is then
 * always absent at validation. */
TEST(checks_may_name_fields_the_schema_lacks)
{
    daoc__schema *s = with_check("{\"only_one_of\":[\"a\",\"zz\"]}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\"}"), "{\"zz\":\"field required for entity check\"}");
    /* given anyway: unknown, and only_one_of runs with invalid fields */
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\",\"zz\":\"y\"}"),
               "{\"zz\":\"unknown field\",\"@entity\":[\"exactly one of these fields must be "
               "non-empty: 'a', 'zz'\"]}");
    s = with_check("{\"mutually_required\":[\"a\",\"zz\"]}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"b\":\"x\"}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"a\":\"x\"}"),
               "{\"@entity\":[\"all or none of these fields must be set: 'a', 'zz'\"]}");
}

TEST(entity_checks_enomem)
{
    daoc__schema *s = cec_schema();
    daoc__schema *t = num_schema("{\"conditional\":{\"if_field\":\"a\",\"if_match\":{\"gt\":0},"
                                 "\"then_field\":\"b\",\"then_match\":{\"gt\":0}}},"
                                 "{\"at_least_one_of\":[\"c\"]},{\"only_one_of\":[\"a\",\"c\"]}");
    ASSERT_TRUE(s && t);
    daoc_value *in1 = tv_json("{\"a\":\"nomsg\",\"r\":{\"x\":\"z\"}}");
    daoc_value *in2 = tv_json("{\"a\":1,\"b\":0}");
    for (int k = 0; k < 2; k++) {
        int saw_ok = 0;
        for (long n = 0; n < 300 && !saw_ok; n++) {
            daoc_value *errs = NULL;
            daoc__alloc_fail_after(n);
            int rc = daoc__schema_validate(k ? t : s, k ? in2 : in1, true, false, &errs);
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
        ASSERT_TRUE(saw_ok);
    }
    daoc_value_free(in1);
    daoc_value_free(in2);
}
