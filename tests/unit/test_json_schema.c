/*
 * test_json_schema.c -- `json` fields against their `json_schema`
 * (kong-schema-dao.md 2.1): the metaschema's rules on the attribute, the
 * keywords daoc refuses at load rather than ignore, and the first failure
 * of an inline draft-4 schema in lua-resty-ljsonschema's words under
 * "value failed JSON-schema validation: ".
 */
#include "test_validate_helpers.h"

static const char *compile_msg(const char *json_schema)
{
    static char out[400];
    char *text = daoc__asprintf("{\"name\":\"j\",\"primary_key\":[\"id\"],\"fields\":["
                                "{\"id\":{\"type\":\"integer\"}},{\"doc\":{\"type\":\"json\","
                                "\"json_schema\":%s}}]}",
                                json_schema);
    daoc_value *def = tv_json(text);
    daoc__schema *s = NULL;
    char *msg = NULL;
    int rc = def ? daoc__schema_compile(def, NULL, NULL, &s, &msg) : -1;
    snprintf(out, sizeof out, "%s", rc == DAOC_OK ? "ok" : msg ? msg : "?");
    daoc__schema_free(s);
    daoc__free(msg);
    daoc_value_free(def);
    daoc__free(text);
    return out;
}

TEST(metaschema_rules)
{
    ASSERT_STR(compile_msg("{\"inline\":{\"type\":\"object\"}}"), "ok");
    ASSERT_STR(compile_msg("{}"), "j: doc: json_schema: at least one of these fields must be "
                                  "non-empty: 'inline', 'namespace', 'parent_subschema_key'");
    ASSERT_STR(compile_msg("{\"namespace\":\"n\"}"),
               "j: doc: json_schema: all or none of these fields must be set: 'namespace', "
               "'parent_subschema_key'");
    ASSERT_STR(compile_msg("{\"inline\":{},\"optional\":true}"),
               "j: doc: json_schema: these sets are mutually exclusive: ('inline'), ('optional')");
    ASSERT_STR(compile_msg("{\"inline\":{},\"extra\":1}"),
               "j: doc: json_schema.extra: unknown field");
    ASSERT_STR(compile_msg("{\"inline\":{\"type\":\"strung\"}}"),
               "j: doc: json_schema: invalid JSON type in 'type'");
    ASSERT_STR(compile_msg("{\"inline\":{\"anyOf\":[]}}"),
               "j: doc: json_schema: keyword 'anyOf' is not supported by daoc");
    ASSERT_STR(compile_msg("{\"namespace\":\"n\",\"parent_subschema_key\":\"k\"}"),
               "j: doc: json_schema: namespace: schemas stored by name are not supported by daoc");
}

#define DOC(schema)                                                                                \
    tv_schema("{\"doc\":{\"type\":\"json\",\"json_schema\":{\"inline\":" schema "}}}")
#define PRE "{\"doc\":\"value failed JSON-schema validation: "

TEST(inline_schema_messages)
{
    daoc__schema *s =
        DOC("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\","
            "\"minLength\":2},\"n\":{\"type\":\"integer\",\"minimum\":1,"
            "\"maximum\":10},\"tags\":{\"type\":\"array\",\"items\":{\"type\":"
            "\"string\"},\"maxItems\":2,\"uniqueItems\":true}},\"required\":[\"name\"],"
            "\"additionalProperties\":false}");
    ASSERT_NOT_NULL(s);
    ASSERT_STR(TV_INSERT(s, "{\"doc\":{\"name\":\"ab\",\"n\":3,\"tags\":[\"x\"]}}"), "ok");
    ASSERT_STR(TV_INSERT(s, "{\"doc\":5}"), PRE "wrong type: expected object, got integer\"}");
    ASSERT_STR(TV_INSERT(s, "{\"doc\":{\"n\":3}}"), PRE "property name is required\"}");
    ASSERT_STR(TV_INSERT(s, "{\"doc\":{\"name\":1}}"),
               PRE "property name validation failed: wrong type: expected string, got integer\"}");
    ASSERT_STR(TV_INSERT(s, "{\"doc\":{\"name\":\"a\"}}"),
               PRE "property name validation failed: string too short, expected at least 2, got "
                   "1\"}");
    ASSERT_STR(TV_INSERT(s, "{\"doc\":{\"name\":\"ab\",\"n\":0.5}}"),
               PRE "property n validation failed: wrong type: expected integer, got number\"}");
    ASSERT_STR(TV_INSERT(s, "{\"doc\":{\"name\":\"ab\",\"n\":11}}"),
               PRE "property n validation failed: expected 11 to be smaller than 10\"}");
    ASSERT_STR(TV_INSERT(s, "{\"doc\":{\"name\":\"ab\",\"tags\":[\"x\",1]}}"),
               PRE "property tags validation failed: failed to validate item 2: wrong type: "
                   "expected string, got integer\"}");
    ASSERT_STR(TV_INSERT(s, "{\"doc\":{\"name\":\"ab\",\"tags\":[\"x\",\"x\"]}}"),
               PRE "property tags validation failed: expected unique items but items 2 and 1 are "
                   "equal\"}");
    ASSERT_STR(TV_INSERT(s, "{\"doc\":{\"name\":\"ab\",\"tags\":[\"x\",\"y\",\"z\"]}}"),
               PRE "property tags validation failed: expect array to have at most 2 items\"}");
    ASSERT_STR(TV_INSERT(s, "{\"doc\":{\"name\":\"ab\",\"zz\":1}}"),
               PRE "additional properties forbidden, found zz\"}");
    daoc__schema *e = DOC("{\"enum\":[\"a\",1]}");
    ASSERT_STR(TV_INSERT(e, "{\"doc\":1}"), "ok");
    ASSERT_STR(TV_INSERT(e, "{\"doc\":\"b\"}"), PRE "matches none of the enum values\"}");
    daoc__schema *m = DOC("{\"type\":[\"string\",\"null\"]}");
    ASSERT_STR(TV_INSERT(m, "{\"doc\":true}"),
               PRE "wrong type: expected one of string, null, got boolean\"}");
}
