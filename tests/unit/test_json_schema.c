/*
 * test_json_schema.c -- `json` fields against their `json_schema`
 * (kong-schema-dao.md 2.1): the metaschema's rules on the attribute, the
 * inline schemas refused at load (bad keyword values, bad patterns, remote,
 * missing and cyclic $ref), and the first failure of an inline draft-4
 * schema in lua-resty-ljsonschema's words under "value failed JSON-schema
 * validation: ", one known answer or more per keyword.  In the schemas and
 * values written with jq() below, ' stands for ".
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
               "j: doc: json_schema: 'anyOf' must be a non-empty array of schemas");
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

/* ---- every keyword: known answers --------------------------------------- */

/* A copy of s with ' turned into " (four rotating slots). */
static const char *jq(const char *s)
{
    static char slots[4][4096];
    static int k;
    char *o = slots[k++ & 3];
    snprintf(o, 4096, "%s", s);
    for (char *p = o; *p; p++)
        if (*p == '\'')
            *p = '"';
    return o;
}

/* The load message of an inline schema ("ok" when it compiles). */
static const char *load(const char *schema)
{
    char text[4200];
    snprintf(text, sizeof text, "{\"inline\":%s}", jq(schema));
    return compile_msg(text);
}

/* `value` against the inline `schema`: "ok", ljsonschema's message, or
 * "load: <message>" when the schema is refused. */
static const char *check(const char *schema, const char *value)
{
    static char out[4096];
    char *text = daoc__asprintf("{\"name\":\"j\",\"primary_key\":[\"id\"],\"fields\":["
                                "{\"id\":{\"type\":\"integer\"}},{\"doc\":{\"type\":\"json\","
                                "\"json_schema\":{\"inline\":%s}}}]}",
                                jq(schema));
    daoc_value *def = tv_json(text), *v = tv_json(jq(value)), *err = NULL;
    daoc__schema *s = NULL;
    char *msg = NULL;
    const char *pre = "value failed JSON-schema validation: ";
    if (!def || !v)
        snprintf(out, sizeof out, "(bad JSON)");
    else if (daoc__schema_compile(def, NULL, NULL, &s, &msg) != DAOC_OK)
        snprintf(out, sizeof out, "load: %s", msg ? msg : "?");
    else if (daoc__schema_validate_field(&s->fields[daoc__schema_field_index(s, "doc", 3)], v,
                                         &err) != DAOC_OK)
        snprintf(out, sizeof out, "(status)");
    else if (!err)
        snprintf(out, sizeof out, "ok");
    else if (err->type == DAOC_TSTR && !strncmp(err->u.s, pre, strlen(pre)))
        snprintf(out, sizeof out, "%s", err->u.s + strlen(pre));
    else
        snprintf(out, sizeof out, "(unexpected error shape)");
    daoc_value_free(err);
    daoc_value_free(v);
    daoc_value_free(def);
    daoc__schema_free(s);
    daoc__free(msg);
    daoc__free(text);
    return out;
}

TEST(any_of_one_of_not)
{
    const char *any = "{'anyOf':[{'type':'integer'},{'minimum':2}]}";
    ASSERT_STR(check(any, "3"), "ok");
    ASSERT_STR(check(any, "2.5"), "ok");
    ASSERT_STR(check(any, "1.5"), "object needs one of the following rectifications: 1) wrong "
                                  "type: expected integer, got number; 2) expected 1.5 to be "
                                  "greater than 2");
    ASSERT_STR(check("{'type':'string','anyOf':[{'maxLength':2},{'minLength':4}]}", "'foo'"),
               "object needs one of the following rectifications: 1) string too long, expected "
               "at most 2, got 3; 2) string too short, expected at least 4, got 3");
    const char *one = "{'oneOf':[{'type':'integer'},{'minimum':2}]}";
    ASSERT_STR(check(one, "1"), "ok");
    ASSERT_STR(check(one, "2.5"), "ok");
    ASSERT_STR(check(one, "3"),
               "value should match only one schema, but matches both schemas 1 and 2");
    ASSERT_STR(check(one, "1.5"), "value should match only one schema, but matches none");
    ASSERT_STR(check("{'not':{'type':'string'}}", "1"), "ok");
    ASSERT_STR(check("{'not':{'type':'string'}}", "'a'"), "value wasn't supposed to match schema");
    /* the order: enum, allOf, anyOf, oneOf, not */
    ASSERT_STR(check("{'not':{},'oneOf':[{}, {}],'anyOf':[{'type':'null'}]}", "1"),
               "object needs one of the following rectifications: 1) wrong type: expected null, "
               "got integer");
    ASSERT_STR(check("{'not':{},'oneOf':[{}, {}]}", "1"),
               "value should match only one schema, but matches both schemas 1 and 2");
}

TEST(pattern_and_pattern_properties)
{
    ASSERT_STR(check("{'pattern':'^a+b'}", "'aab'"), "ok");
    ASSERT_STR(check("{'pattern':'^a+b'}", "'xab'"), "failed to match pattern ^a+b with \"xab\"");
    ASSERT_STR(check("{'pattern':'b'}", "'abc'"), "ok"); /* a search, not anchored */
    ASSERT_STR(check("{'pattern':'\\\\d{2}'}", "'x12'"), "ok");
    ASSERT_STR(check("{'pattern':'\\\\d{2}'}", "'x1y'"),
               "failed to match pattern \\d{2} with \"x1y\"");
    ASSERT_STR(check("{'pattern':'^(?!ad)'}", "'admin'"),
               "failed to match pattern ^(?!ad) with \"admin\"");
    ASSERT_STR(check("{'pattern':'^b'}", "5"), "ok"); /* strings only */
    /* the value is quoted as Lua's %q does */
    ASSERT_STR(check("{'pattern':'^b'}", "'a\\'\\n\\t\\u00011'"),
               "failed to match pattern ^b with \"a\\\"\\\n\\9\\0011\"");
    /* byte-wise, as ngx.re.find without the u option; lengths count code points */
    ASSERT_STR(check("{'pattern':'^.{3}$'}", "'h\xc3\xa9\xc3\xa9'"),
               "failed to match pattern ^.{3}$ with \"h\xc3\xa9\xc3\xa9\"");
    ASSERT_STR(check("{'minLength':3,'maxLength':3}", "'h\xc3\xa9\xc3\xa9'"), "ok");
    ASSERT_STR(check("{'minLength':3}", "'h\xc3\xa9'"),
               "string too short, expected at least 3, got 2");

    const char *pp = "{'patternProperties':{'^x-':{'type':'string'}},'additionalProperties':false}";
    ASSERT_STR(check(pp, "{'x-a':'s'}"), "ok");
    ASSERT_STR(check(pp, "{'x-a':1}"),
               "failed to validate x-a (matching ^x-): wrong type: expected string, got integer");
    ASSERT_STR(check(pp, "{'y':1}"), "additional properties forbidden, found y");
    const char *mix = "{'properties':{'a':{}},'patternProperties':{'^n':{'type':'number'},"
                      "'1$':{'maximum':5}},'additionalProperties':{'type':'boolean'}}";
    ASSERT_STR(check(mix, "{'a':'z','n1':1,'b':true}"), "ok");
    ASSERT_STR(check(mix, "{'n1':7}"),
               "failed to validate n1 (matching 1$): expected 7 to be smaller than 5");
    ASSERT_STR(check(mix, "{'b':2}"),
               "failed to validate additional property b: wrong type: expected boolean, got "
               "integer");
    /* ljsonschema skips the object keywords when additionalProperties: false is the only one */
    ASSERT_STR(check("{'additionalProperties':false}", "{'a':1}"), "ok");
}

TEST(dependencies_and_required_order)
{
    const char *d = "{'dependencies':{'a':['b','c'],'d':{'required':['e']}}}";
    ASSERT_STR(check(d, "{'a':1,'b':1,'c':1}"), "ok");
    ASSERT_STR(check(d, "{}"), "ok");
    ASSERT_STR(check(d, "{'a':1,'b':1}"), "property c is required when a is set");
    ASSERT_STR(check(d, "{'d':1}"), "failed to validate dependent schema for d: property e is "
                                    "required");
    const char *pd = "{'properties':{'a':{'type':'integer'}},'dependencies':{'a':['b']}}";
    ASSERT_STR(check(pd, "{'a':'x'}"),
               "property a validation failed: wrong type: expected integer, got string");
    ASSERT_STR(check(pd, "{'a':1}"), "property b is required when a is set");
    /* a required property of `properties` is reported in the properties' order */
    ASSERT_STR(check("{'properties':{'a':{},'b':{'type':'string'}},'required':['a']}", "{'b':1}"),
               "property a is required");
    ASSERT_STR(check("{'properties':{'a':{}},'required':['z'],'minProperties':2}", "{'a':1}"),
               "property z is required");
    /* an empty table is an object and an array */
    ASSERT_STR(check("{'minItems':1}", "{}"), "expect array to have at least 1 items");
    ASSERT_STR(check("{'required':['a']}", "[]"), "property a is required");
}

TEST(local_refs)
{
    ASSERT_STR(check("{'definitions':{'pos':{'type':'integer','minimum':1}},"
                     "'properties':{'n':{'$ref':'#/definitions/pos'}}}",
                     "{'n':0}"),
               "property n validation failed: expected 0 to be greater than 1");
    /* a $ref's siblings are ignored */
    ASSERT_STR(check("{'definitions':{'s':{'type':'string'}},'properties':{'n':{'$ref':"
                     "'#/definitions/s','maxLength':1}}}",
                     "{'n':'long'}"),
               "ok");
    const char *tree = "{'type':'object','properties':{'kids':{'type':'array','items':{'$ref':"
                       "'#'}},'name':{'type':'string'}}}";
    ASSERT_STR(check(tree, "{'kids':[{'name':'a','kids':[{'name':'b'}]}]}"), "ok");
    ASSERT_STR(check(tree, "{'kids':[{'name':'a','kids':[{'name':1}]}]}"),
               "property kids validation failed: failed to validate item 1: property kids "
               "validation failed: failed to validate item 1: property name validation failed: "
               "wrong type: expected string, got integer");
    const char *esc = "{'properties':{'a/b':{'type':'integer'},'t~':{'type':'string'},"
                      "'c':{'$ref':'#/properties/a~1b'},'d':{'$ref':'#/properties/t~0'},"
                      "'e':{'$ref':'#/properties/a%2Fb'}}}";
    ASSERT_STR(check(esc, "{'c':'x'}"),
               "property c validation failed: wrong type: expected integer, got string");
    ASSERT_STR(check(esc, "{'d':1}"),
               "property d validation failed: wrong type: expected string, got integer");
    ASSERT_STR(check(esc, "{'e':'x'}"),
               "property e validation failed: wrong type: expected integer, got string");
    ASSERT_STR(check("{'definitions':{'t':{'items':[{'type':'integer'},{'type':'string'}]}},"
                     "'items':[{'$ref':'#/definitions/t/items/1'}]}",
                     "[1]"),
               "failed to validate item 1: wrong type: expected string, got integer");
    ASSERT_STR(check("{'id':'http://example.com/s.json#','definitions':{'a':{'type':'string'}},"
                     "'properties':{'p':{'$ref':'http://example.com/s.json#/definitions/a'}}}",
                     "{'p':1}"),
               "property p validation failed: wrong type: expected string, got integer");
    /* a target only a $ref reaches has its pattern compiled too */
    ASSERT_STR(check("{'x-defs':{'p':{'pattern':'^a'}},'$ref':'#/x-defs/p'}", "'b'"),
               "failed to match pattern ^a with \"b\"");
}

TEST(ref_cycles)
{
    /* through allOf / anyOf, never descending into the value: stopped */
    const char *loop = "{'definitions':{'a':{'allOf':[{'$ref':'#/definitions/a'}]}},"
                       "'$ref':'#/definitions/a'}";
    ASSERT_STR(load(loop), "ok");
    ASSERT_STR(check(loop, "1"),
               "schema refers to itself without descending into the value (a $ref cycle)");
    const char *any = "{'anyOf':[{'type':'string'},{'$ref':'#'}]}";
    ASSERT_STR(check(any, "'a'"), "ok");
    ASSERT_STR(check(any, "1"),
               "schema refers to itself without descending into the value (a $ref cycle)");
    ASSERT_STR(check("{'not':{'$ref':'#'}}", "1"),
               "schema refers to itself without descending into the value (a $ref cycle)");
    /* references to references that never reach a schema: refused at load */
    ASSERT_STR(load("{'$ref':'#'}"),
               "j: doc: json_schema: $ref '#' leads to a cycle of references (or a chain of "
               "more than 32) that never reaches a schema");
    ASSERT_STR(load("{'definitions':{'a':{'$ref':'#/definitions/b'},'b':{'$ref':"
                    "'#/definitions/a'}},'properties':{'p':{'$ref':'#/definitions/a'}}}"),
               "j: doc: json_schema: $ref '#/definitions/b' leads to a cycle of references (or "
               "a chain of more than 32) that never reaches a schema");
}

TEST(formats)
{
    const char *dt = "{'format':'date-time'}";
    ASSERT_STR(check(dt, "'2020-02-29T12:00:00Z'"), "ok");
    ASSERT_STR(check(dt, "'2020-01-01t10:00:00.25+02:00'"), "ok");
    ASSERT_STR(check(dt, "'2021-02-29T12:00:00Z'"),
               "expected valid \"date-time\", got \"2021-02-29T12:00:00Z\"");
    ASSERT_STR(check(dt, "'2020-02-30T00:00:00Z'"),
               "expected valid leap year date, got \"2020-02-30T00:00:00Z\"");
    ASSERT_STR(check(dt, "'2020-01-01T24:00:00Z'"),
               "expected valid \"date-time\", got \"2020-01-01T24:00:00Z\"");
    ASSERT_STR(check(dt, "'2020-01-01 10:00:00Z'"),
               "expected valid \"date-time\", got \"2020-01-01 10:00:00Z\"");
    ASSERT_STR(check(dt, "'2020-01-01T10:00:00+24:00'"),
               "expected valid \"date-time\", got \"2020-01-01T10:00:00+24:00\"");
    ASSERT_STR(check("{'format':'date'}", "'2020-04-31'"),
               "expected valid \"date\", got \"2020-04-31\"");
    ASSERT_STR(check("{'format':'date'}", "'2020-04-30'"), "ok");
    ASSERT_STR(check("{'format':'time'}", "'23:59:60z'"), "ok");
    ASSERT_STR(check("{'format':'time'}", "'23:59:60.5z'"),
               "expected valid \"time\", got \"23:59:60.5z\"");
    ASSERT_STR(check("{'format':'time'}", "'23:60:00Z'"),
               "expected valid \"time\", got \"23:60:00Z\"");
    /* other formats are not checked, as in ljsonschema; nor are non-strings */
    ASSERT_STR(check("{'format':'email'}", "'not an email'"), "ok");
    ASSERT_STR(check("{'format':'ipv4'}", "'999.1.1.1'"), "ok");
    ASSERT_STR(check(dt, "5"), "ok");
}

TEST(refused_at_load)
{
    ASSERT_STR(load("{'$ref':'http://x.org/s#/a'}"),
               "j: doc: json_schema: #: $ref 'http://x.org/s#/a' names another document: daoc "
               "resolves only references inside the schema ('#...')");
    ASSERT_STR(load("{'properties':{'a':{'$ref':'other.json'}}}"),
               "j: doc: json_schema: #/properties/a: $ref 'other.json' names another document: "
               "daoc resolves only references inside the schema ('#...')");
    ASSERT_STR(load("{'properties':{'a':{'$ref':'#/definitions/nope'}}}"),
               "j: doc: json_schema: #/properties/a: $ref '#/definitions/nope' not found");
    ASSERT_STR(load("{'x':{'n':1},'$ref':'#/x/n'}"),
               "j: doc: json_schema: #: $ref '#/x/n' does not point to a schema");
    ASSERT_STR(load("{'properties':{'a':{'pattern':'(a'}}}"),
               "j: doc: json_schema: #/properties/a/pattern: pattern '(a' is not a valid regular "
               "expression: missing closing parenthesis at offset 2");
    ASSERT_STR(load("{'patternProperties':{'[':{}}}"),
               "j: doc: json_schema: #/patternProperties: pattern '[' is not a valid regular "
               "expression: missing terminating ] for character class at offset 1");
    ASSERT_STR(load("{'x-defs':{'p':{'pattern':'('}},'$ref':'#/x-defs/p'}"),
               "j: doc: json_schema: #/x-defs/p/pattern: pattern '(' is not a valid regular "
               "expression: missing closing parenthesis at offset 1");
    ASSERT_STR(load("{'oneOf':{}}"), "j: doc: json_schema: 'oneOf' must be a non-empty array of "
                                     "schemas");
    ASSERT_STR(load("{'not':3}"), "j: doc: json_schema: schema must be a table");
    ASSERT_STR(load("{'pattern':3}"), "j: doc: json_schema: 'pattern' must be a string");
    ASSERT_STR(load("{'format':1}"), "j: doc: json_schema: 'format' must be a string");
    ASSERT_STR(load("{'patternProperties':[1]}"),
               "j: doc: json_schema: 'patternProperties' must be an object of schemas");
    ASSERT_STR(load("{'definitions':{'a':[1]}}"), "j: doc: json_schema: schema must be a table");
    ASSERT_STR(load("{'dependencies':{'a':[1]}}"),
               "j: doc: json_schema: dependencies of 'a' must be a schema or an array of "
               "property names");
    ASSERT_STR(load("{'$schema':'http://json-schema.org/draft-07/schema#'}"),
               "j: doc: json_schema: unsupported document $schema: "
               "'http://json-schema.org/draft-07/schema#', expected: "
               "http://json-schema.org/draft-04/schema#");
    ASSERT_STR(load("{'properties':{'a':{'id':'#foo'}}}"),
               "j: doc: json_schema: #/properties/a: an 'id' alias ('#foo') on a nested schema "
               "is not supported (lua-resty-ljsonschema fails on it)");
    ASSERT_STR(load("{'properties':{'a':{'id':'a.json'},'b':{'$ref':'#'}}}"),
               "j: doc: json_schema: #/properties/a: a nested 'id' in a schema that uses $ref is "
               "not supported by daoc (it changes what the references resolve against)");
    /* accepted: draft 4's own $schema, words draft 4 does not define (ignored, as Kong does) */
    ASSERT_STR(load("{'$schema':'http://json-schema.org/draft-04/schema#','definitions':{}}"),
               "ok");
    ASSERT_STR(check("{'const':3,'x-kong':{'a':1},'examples':[1]}", "4"), "ok");
}

TEST(metaschema_values)
{
    /* what Kong's draft-4 metaschema refuses in keyword values */
    ASSERT_STR(load("{'minLength':-1}"), "j: doc: json_schema: 'minLength' must be a non-negative "
                                         "integer");
    ASSERT_STR(load("{'maxItems':1.5}"), "j: doc: json_schema: 'maxItems' must be a non-negative "
                                         "integer");
    ASSERT_STR(load("{'minProperties':2.0,'maxLength':0}"), "ok");
    ASSERT_STR(load("{'multipleOf':0}"),
               "j: doc: json_schema: 'multipleOf' must be a number greater than 0");
    ASSERT_STR(load("{'required':[]}"), "j: doc: json_schema: 'required' must not be empty");
    ASSERT_STR(load("{'required':['a','a']}"),
               "j: doc: json_schema: 'required' must not repeat an item");
    ASSERT_STR(load("{'required':[1]}"),
               "j: doc: json_schema: 'required' must hold property names (strings)");
    ASSERT_STR(load("{'enum':[]}"), "j: doc: json_schema: 'enum' must not be empty");
    ASSERT_STR(load("{'enum':[1,{'a':[2]},{'a':[2]}]}"),
               "j: doc: json_schema: 'enum' must not repeat an item");
    ASSERT_STR(load("{'type':[]}"),
               "j: doc: json_schema: 'type' must be a type or a non-empty array of distinct types");
    ASSERT_STR(load("{'type':['string','string']}"),
               "j: doc: json_schema: 'type' must be a type or a non-empty array of distinct types");
    ASSERT_STR(load("{'properties':{'a':{'exclusiveMaximum':true}}}"),
               "j: doc: json_schema: 'exclusiveMaximum' requires 'maximum'");
    ASSERT_STR(load("{'exclusiveMinimum':false}"),
               "j: doc: json_schema: 'exclusiveMinimum' requires 'minimum'");
    /* `default` is held to the metaschema too */
    ASSERT_STR(compile_msg("{\"inline\":{},\"default\":{\"anyOf\":[]}}"),
               "j: doc: json_schema.default: 'anyOf' must be a non-empty array of schemas");
    ASSERT_STR(compile_msg("{\"inline\":{},\"default\":{\"$ref\":\"x.json\"}}"),
               "j: doc: json_schema.default: #: $ref 'x.json' names another document: daoc "
               "resolves only references inside the schema ('#...')");
}

/* Every allocation of compile and check failing in turn: DAOC_ENOMEM and
 * no leak, never a value passed for want of memory; then `expected`. */
static void oom_case(const char *schema, const char *value, const char *expected)
{
    char *text = daoc__asprintf("{\"name\":\"j\",\"primary_key\":[\"id\"],\"fields\":["
                                "{\"id\":{\"type\":\"integer\"}},{\"doc\":{\"type\":\"json\","
                                "\"json_schema\":{\"inline\":%s}}}]}",
                                jq(schema));
    daoc_value *def = tv_json(text), *v = tv_json(jq(value));
    ASSERT_NOT_NULL(def);
    ASSERT_NOT_NULL(v);
    bool done = false;
    for (long n = 0; n < 5000 && !done; n++) {
        daoc__schema *s = NULL;
        daoc_value *err = NULL;
        char *msg = NULL;
        daoc__alloc_fail_after(n);
        int rc = daoc__schema_compile(def, NULL, NULL, &s, &msg);
        if (rc == DAOC_OK)
            rc = daoc__schema_validate_field(&s->fields[1], v, &err);
        daoc__alloc_fail_after(-1);
        if (rc == DAOC_OK) {
            ASSERT_STR(err && err->type == DAOC_TSTR ? err->u.s : "(valid)", expected);
            done = true;
        } else {
            ASSERT_INT(rc, DAOC_ENOMEM);
        }
        daoc_value_free(err);
        daoc__schema_free(s);
        daoc__free(msg);
    }
    ASSERT_TRUE(done);
    daoc_value_free(def);
    daoc_value_free(v);
    daoc__free(text);
}

TEST(out_of_memory)
{
    oom_case("{'definitions':{'s':{'type':'string','pattern':'^a'}},'properties':{"
             "'a':{'$ref':'#/definitions/s'}},'anyOf':[{'required':['a']},{}],"
             "'patternProperties':{'^x':{'format':'date'}}}",
             "{'a':'b','x1':'2020-13-01'}",
             "value failed JSON-schema validation: property a validation failed: failed to match "
             "pattern ^a with \"b\"");
    /* a $ref whose pointer part is long enough to be decoded on the heap */
    char name[301], schema[800];
    memset(name, 'n', 300);
    name[300] = '\0';
    snprintf(schema, sizeof schema,
             "{'definitions':{'%s':{'type':'string'}},'properties':{'a':{'$ref':"
             "'#/definitions/%s'}}}",
             name, name);
    oom_case(schema, "{'a':1}",
             "value failed JSON-schema validation: property a validation failed: wrong type: "
             "expected string, got integer");
}
