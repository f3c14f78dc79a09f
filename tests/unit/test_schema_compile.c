/*
 * test_schema_compile.c -- daoc__schema_compile(): what a compiled schema
 * holds (columns, key indices, record defaults, inherited conditional
 * matchers) and the exact message of every refused definition.
 */
#include "errtext.h"
#include "harness.h"

#include "core/alloc.h"
#include "core/value.h"
#include "schema/schema.h"

/* A tiny registry for `reference` lookups. */
static daoc__schema *reg[8];
static int nreg;

static const daoc__schema *lookup(void *ud, const char *name)
{
    (void)ud;
    for (int i = 0; i < nreg; i++)
        if (strcmp(reg[i]->name, name) == 0)
            return reg[i];
    return NULL;
}

static int compile_json(const char *json, daoc__schema **out, char **err)
{
    daoc_value *def = NULL;
    char ebuf[256];
    int st = t_json_decode(json, strlen(json), &def, ebuf, sizeof ebuf);
    if (st != DAOC_OK) {
        fprintf(stderr, "bad test JSON: %s\n%s\n", ebuf, json);
        return st;
    }
    st = daoc__schema_compile(def, lookup, NULL, out, err);
    daoc_value_free(def);
    return st;
}

/* The message a definition is refused with (static copy), or "OK". */
static const char *refusal(const char *json)
{
    static char msg[512];
    daoc__schema *s = NULL;
    char *err = NULL;
    int st = compile_json(json, &s, &err);
    if (st == DAOC_OK) {
        daoc__schema_free(s);
        return "OK";
    }
    snprintf(msg, sizeof msg, "%s", err ? err : daoc_strerror(st));
    daoc__free(err);
    return msg;
}

static void setup_consumers(void)
{
    char *err = NULL;
    daoc__schema *s = NULL;
    if (nreg)
        return;
    if (compile_json("{\"name\":\"consumers\",\"primary_key\":[\"id\"],\"endpoint_key\":\"username\","
                     "\"fields\":[{\"id\":{\"type\":\"string\",\"uuid\":true,\"auto\":true}},"
                     "{\"username\":{\"type\":\"string\",\"unique\":true}}]}",
                     &s, &err) == DAOC_OK)
        reg[nreg++] = s;
    daoc__free(err);
}

__attribute__((destructor)) static void teardown(void)
{
    for (int i = 0; i < nreg; i++)
        daoc__schema_free(reg[i]);
}

#define KEYAUTH                                                                                    \
    "{\"name\":\"keyauth_credentials\",\"primary_key\":[\"id\"],\"endpoint_key\":\"key\","          \
    "\"cache_key\":[\"key\"],\"ttl\":true,\"workspaceable\":true,\"admin_api_name\":\"key-auths\"," \
    "\"admin_api_nested_name\":\"key-auth\",\"dao\":\"kong.plugins.x.daos\",\"fields\":["         \
    "{\"id\":{\"type\":\"string\",\"uuid\":true,\"auto\":true}},"                                  \
    "{\"created_at\":{\"type\":\"integer\",\"timestamp\":true,\"auto\":true}},"                    \
    "{\"consumer\":{\"type\":\"foreign\",\"reference\":\"consumers\",\"required\":true,"           \
    "\"on_delete\":\"cascade\"}},"                                                                 \
    "{\"key\":{\"type\":\"string\",\"required\":false,\"unique\":true,\"auto\":true}},"            \
    "{\"tags\":{\"type\":\"set\",\"elements\":{\"type\":\"string\",\"required\":true,"             \
    "\"custom_validator\":\"tag\"}}}]}"

TEST(keyauth_like_entity)
{
    daoc__schema *s = NULL;
    char *err = NULL;
    const daoc__field *f;
    setup_consumers();
    ASSERT_INT(nreg, 1);
    ASSERT_INT(compile_json(KEYAUTH, &s, &err), DAOC_OK);
    ASSERT_NULL(err);
    ASSERT_STR(s->name, "keyauth_credentials");
    ASSERT_STR(s->table_name, "keyauth_credentials");
    ASSERT_INT(s->nfields, 5);
    ASSERT_INT(s->npk, 1);
    ASSERT_INT(s->pk[0], 0);
    ASSERT_INT(s->endpoint_key, 3);
    ASSERT_INT(s->ncache_key, 1);
    ASSERT_INT(s->cache_key[0], 3);
    ASSERT_TRUE(s->ttl && s->workspaceable && s->db_export && s->generate_admin_api);
    ASSERT_TRUE(s->has_tags && !s->is_record);
    ASSERT_STR(s->admin_api_name, "key-auths");
    ASSERT_STR(s->admin_api_nested_name, "key-auth");
    ASSERT_STR(s->dao_module, "kong.plugins.x.daos");
    ASSERT_INT(s->nchecks, 0);
    f = daoc__schema_field(s, "consumer", 8);
    ASSERT_NOT_NULL(f);
    ASSERT_INT(f->type, DAOC__F_FOREIGN);
    ASSERT_STR(f->column, "consumer_id");
    ASSERT_TRUE(f->ref == reg[0]);
    ASSERT_STR(f->reference, "consumers");
    ASSERT_INT(f->on_delete, DAOC__ON_DELETE_CASCADE);
    ASSERT_TRUE(f->on_delete_set && f->required && f->required_set);
    f = &s->fields[0];
    ASSERT_STR(f->name, "id");
    ASSERT_STR(f->column, "id");
    ASSERT_TRUE(f->uuid && f->auto_ && !f->required && !f->required_set);
    ASSERT_INT(f->len_min, -1);
    ASSERT_INT(f->len_max, -1);
    ASSERT_INT(f->len_eq, -1);
    f = daoc__schema_field(s, "created_at", 10);
    ASSERT_TRUE(f->timestamp && f->type == DAOC__F_INTEGER);
    f = daoc__schema_field(s, "key", 3);
    ASSERT_TRUE(f->unique && !f->required && f->required_set);
    f = daoc__schema_field(s, "tags", 4);
    ASSERT_NOT_NULL(f->elements);
    ASSERT_NULL(f->elements->name);
    ASSERT_NOT_NULL(f->elements->custom_validator);
    ASSERT_STR(f->elements->custom_validator->builtin, "tag");
    ASSERT_NULL(daoc__schema_field(s, "nope", 4));
    ASSERT_INT(daoc__schema_field_index(s, "tags", 4), 4);
    ASSERT_INT(daoc__schema_field_index(s, "tag", 3), -1);
    daoc__schema_free(s);
}

TEST(validator_attributes_are_copied)
{
    daoc__schema *s = NULL;
    char *err = NULL;
    const daoc__field *f;
    const char *json =
        "{\"name\":\"v\",\"primary_key\":[\"id\"],\"table_name\":\"vt\",\"db_export\":false,"
        "\"generate_admin_api\":false,\"fields\":["
        "{\"id\":{\"type\":\"string\"}},"
        "{\"s\":{\"type\":\"string\",\"len_min\":0,\"len_max\":10,\"starts_with\":\"/\","
        "\"match\":\"^/%w+$\",\"not_match\":\"//\",\"one_of\":[\"/a\",\"/b\"],"
        "\"not_one_of\":[\"/c\"],\"default\":\"/a\",\"err\":\"bad s\",\"immutable\":true,"
        "\"match_all\":[{\"pattern\":\"^/\",\"err\":\"e1\"},{\"pattern\":\"a\"}],"
        "\"match_none\":[{\"pattern\":\"//\",\"err\":\"no empty\"}],"
        "\"match_any\":{\"patterns\":[\"^/a\",\"^/b\"],\"err\":\"any\"},"
        "\"description\":\"a string with rules\",\"referenceable\":true,\"encrypted\":true}},"
        "{\"n\":{\"type\":\"number\",\"between\":[9.5,20.5],\"gt\":1,\"eq\":null,\"ne\":3}},"
        "{\"a\":{\"type\":\"array\",\"elements\":{\"type\":\"string\"},\"contains\":\"x\","
        "\"len_eq\":2,\"mutually_exclusive_subsets\":[[\"http\",\"https\"],[\"tcp\"]],"
        "\"default\":[]}},"
        "{\"m\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"integer\"},"
        "\"default\":{}}}]}";
    ASSERT_INT(compile_json(json, &s, &err), DAOC_OK);
    ASSERT_STR(s->table_name, "vt");
    ASSERT_TRUE(!s->db_export && !s->generate_admin_api && !s->ttl && !s->has_tags);
    f = daoc__schema_field(s, "s", 1);
    ASSERT_INT(f->len_min, 0);
    ASSERT_INT(f->len_max, 10);
    ASSERT_STR(f->starts_with, "/");
    ASSERT_INT(f->starts_with_len, 1);
    ASSERT_STR(f->match, "^/%w+$");
    ASSERT_INT(f->match_len, 6);
    ASSERT_STR(f->not_match, "//");
    ASSERT_INT(daoc_value_len(f->one_of), 2);
    ASSERT_STR(daoc_value_str(daoc_arr_get(f->one_of, 1), NULL), "/b");
    ASSERT_INT(daoc_value_len(f->not_one_of), 1);
    ASSERT_STR(daoc_value_str(f->def, NULL), "/a");
    ASSERT_STR(f->err, "bad s");
    ASSERT_TRUE(f->immutable && f->referenceable && f->encrypted);
    ASSERT_INT(f->n_match_all, 2);
    ASSERT_STR(f->match_all[0].pattern, "^/");
    ASSERT_STR(f->match_all[0].err, "e1");
    ASSERT_NULL(f->match_all[1].err);
    ASSERT_INT(f->n_match_none, 1);
    ASSERT_STR(f->match_none[0].err, "no empty");
    ASSERT_INT(f->n_match_any, 2);
    ASSERT_STR(f->match_any[1], "^/b");
    ASSERT_INT(f->match_any_len[1], 3);
    ASSERT_STR(f->match_any_err, "any");
    f = daoc__schema_field(s, "n", 1);
    ASSERT_TRUE(f->has_between && f->between[0] == 9.5 && f->between[1] == 20.5);
    ASSERT_TRUE(f->has_gt && f->gt == 1.0);
    ASSERT_NOT_NULL(f->eq);
    ASSERT_INT(daoc_value_type(f->eq), DAOC_TNULL);
    ASSERT_INT(daoc_value_int(f->ne), 3);
    f = daoc__schema_field(s, "a", 1);
    ASSERT_INT(f->len_eq, 2);
    ASSERT_STR(daoc_value_str(f->contains, NULL), "x");
    ASSERT_INT(daoc_value_len(f->mutually_exclusive_subsets), 2);
    ASSERT_INT(daoc_value_len(f->def), 0);
    f = daoc__schema_field(s, "m", 1);
    ASSERT_INT(f->keys->type, DAOC__F_STRING);
    ASSERT_INT(f->values->type, DAOC__F_INTEGER);
    daoc__schema_free(s);
}

TEST(records_default_to_required)
{
    daoc__schema *s = NULL;
    char *err = NULL;
    const daoc__field *f;
    const char *json =
        "{\"name\":\"r\",\"primary_key\":[\"id\"],\"fields\":[{\"id\":{\"type\":\"string\"}},"
        "{\"config\":{\"type\":\"record\",\"fields\":["
        "  {\"x\":{\"type\":\"integer\",\"default\":1}},"
        "  {\"inner\":{\"type\":\"record\",\"fields\":[{\"deep\":{\"type\":\"record\",\"fields\":[]}}]}},"
        "  {\"opt\":{\"type\":\"record\",\"required\":false,\"fields\":[]}},"
        "  {\"list\":{\"type\":\"array\",\"elements\":{\"type\":\"record\",\"fields\":["
        "     {\"e\":{\"type\":\"record\",\"fields\":[]}}]}}}],"
        "  \"entity_checks\":[{\"at_least_one_of\":[\"x\",\"inner\"]}]}},"
        "{\"plain\":{\"type\":\"string\"}}]}";
    ASSERT_INT(compile_json(json, &s, &err), DAOC_OK);
    f = daoc__schema_field(s, "config", 6);
    ASSERT_TRUE(f->required && !f->required_set);
    ASSERT_NOT_NULL(f->record);
    ASSERT_TRUE(f->record->is_record);
    ASSERT_INT(f->record->nfields, 4);
    ASSERT_INT(f->record->nchecks, 1);
    ASSERT_INT(f->record->checks[0].kind, DAOC__CHECK_AT_LEAST_ONE_OF);
    ASSERT_INT(f->record->checks[0].nfields, 2);
    ASSERT_NULL(f->record->fields[0].column);
    f = daoc__schema_field(s, "config.x", 8);
    ASSERT_NOT_NULL(f);
    ASSERT_TRUE(!f->required);
    ASSERT_INT(daoc_value_int(f->def), 1);
    f = daoc__schema_field(s, "config.inner.deep", 17);
    ASSERT_NOT_NULL(f);
    ASSERT_TRUE(f->required && !f->required_set);
    f = daoc__schema_field(s, "config.opt", 10);
    ASSERT_TRUE(!f->required && f->required_set);
    f = daoc__schema_field(s, "config.list", 11);
    ASSERT_TRUE(!f->elements->required); /* elements are not entity fields */
    ASSERT_TRUE(!f->elements->record->fields[0].required);
    ASSERT_TRUE(!daoc__schema_field(s, "plain", 5)->required);
    ASSERT_NULL(daoc__schema_field(s, "plain.x", 7));
    daoc__schema_free(s);
}

TEST(conditional_matchers_inherit_the_field)
{
    daoc__schema *s = NULL;
    char *err = NULL;
    const daoc__check *k;
    const char *json =
        "{\"name\":\"svc\",\"primary_key\":[\"id\"],\"fields\":[{\"id\":{\"type\":\"string\"}},"
        "{\"protocol\":{\"type\":\"string\",\"required\":true,\"default\":\"http\","
        "\"one_of\":[\"http\",\"https\",\"tcp\"]}},"
        "{\"path\":{\"type\":\"string\",\"starts_with\":\"/\"}},"
        "{\"config\":{\"type\":\"record\",\"fields\":[{\"x\":{\"type\":\"integer\"}}]}}],"
        "\"entity_checks\":["
        "{\"conditional\":{\"if_field\":\"protocol\",\"if_match\":{\"one_of\":[\"tcp\"]},"
        "\"then_field\":\"path\",\"then_match\":{\"eq\":null},\"then_err\":\"no path for %s\"}},"
        "{\"conditional_at_least_one_of\":{\"if_field\":\"config.x\",\"if_match\":{\"gt\":0},"
        "\"then_at_least_one_of\":[\"path\"],\"else_match\":{\"eq\":null},"
        "\"else_then_at_least_one_of\":[\"protocol\"],\"else_then_err\":\"e %s\"}},"
        "{\"custom_entity_check\":{\"field_sources\":[\"protocol\",\"config.x\"],"
        "\"fn\":\"x\"}}]}";
    /* fn must be a function: JSON cannot carry one */
    ASSERT_STR(refusal(json), "svc: entity_checks.3.custom_entity_check: fn: expected a function");
    {
        char *j2 = daoc__strdup(json);
        char *cut = strstr(j2, ",{\"custom_entity_check\"");
        strcpy(cut, "]}");
        ASSERT_INT(compile_json(j2, &s, &err), DAOC_OK);
        daoc__free(j2);
    }
    ASSERT_INT(s->nchecks, 2);
    k = &s->checks[0];
    ASSERT_INT(k->kind, DAOC__CHECK_CONDITIONAL);
    ASSERT_STR(k->if_field, "protocol");
    ASSERT_STR(k->then_field, "path");
    ASSERT_STR(k->then_err, "no path for %s");
    ASSERT_INT(k->nfields, 2);
    ASSERT_STR(k->fields[0], "protocol");
    ASSERT_STR(k->fields[1], "path");
    ASSERT_INT(k->if_match->type, DAOC__F_STRING);
    ASSERT_INT(daoc_value_len(k->if_match->one_of), 1); /* overlaid */
    ASSERT_STR(daoc_value_str(k->if_match->def, NULL), "http"); /* inherited */
    ASSERT_TRUE(k->if_match->required);
    ASSERT_INT(daoc_value_type(k->then_match->eq), DAOC_TNULL);
    ASSERT_STR(k->then_match->starts_with, "/");
    k = &s->checks[1];
    ASSERT_INT(k->kind, DAOC__CHECK_CONDITIONAL_AT_LEAST_ONE_OF);
    ASSERT_INT(k->if_match->type, DAOC__F_INTEGER);
    ASSERT_TRUE(k->if_match->has_gt);
    ASSERT_INT(k->else_match->type, DAOC__F_INTEGER);
    ASSERT_INT(k->n_then, 1);
    ASSERT_STR(k->then_at_least_one_of[0], "path");
    ASSERT_INT(k->n_else_then, 1);
    ASSERT_STR(k->else_then_err, "e %s");
    ASSERT_INT(k->nfields, 3);
    daoc__schema_free(s);
}

TEST(custom_validator_by_builtin_name)
{
    daoc__schema *s = NULL;
    char *err = NULL;
    const daoc__field *f;
    ASSERT_INT(compile_json("{\"name\":\"h\",\"primary_key\":[\"id\"],\"fields\":["
                            "{\"id\":{\"type\":\"string\",\"custom_validator\":\"host\"}}]}",
                            &s, &err),
               DAOC_OK);
    f = &s->fields[0];
    ASSERT_STR(f->custom_validator->builtin, "host");
    ASSERT_INT(f->custom_validator->refs, 1);
    daoc__schema_free(s);
}

/* ---- refused definitions ------------------------------------------------ */

#define HEAD "{\"name\":\"foo\",\"primary_key\":[\"id\"],\"fields\":[{\"id\":{\"type\":\"string\"}}"
#define F(x) HEAD ",{\"f\":" x "}]}"

static const struct {
    const char *json;
    const char *msg;
} REFUSED[] = {
    /* checklist item 21 */
    {F("{\"type\":\"array\"}"), "foo: f: field of type 'array' must declare 'elements'"},
    {F("{\"type\":\"array\",\"elements\":{\"type\":\"string\"},\"unique\":true}"),
     "foo: f: field of type 'array' cannot have attribute 'unique'"},
    {F("{\"type\":\"array\",\"unique\":true}"),
     "foo: f: field of type 'array' cannot have attribute 'unique'"},
    {"{\"name\":\"foo\",\"primary_key\":[\"id\"],\"ttl\":true,\"fields\":[{\"id\":{\"type\":"
     "\"string\"}},{\"ttl\":{\"type\":\"integer\"}}]}",
     "foo: ttl: ttl is a reserved field name when ttl is enabled"},
    {"{\"name\":\"foo\",\"primary_key\":[\"id\"],\"cache_key\":[\"id\"],\"fields\":[{\"id\":{"
     "\"type\":\"string\"}}]}",
     "foo: cache_key: a field used as a single cache key must be unique"},
    {"{\"name\":\"foo\",\"primary_key\":[\"id\"],\"legacy\":true,\"fields\":[{\"id\":{\"type\":"
     "\"string\"}}]}",
     "foo: legacy: unknown field"},
    /* more metaschema */
    {F("{\"type\":\"set\"}"), "foo: f: field of type 'set' must declare 'elements'"},
    {F("{\"type\":\"map\",\"values\":{\"type\":\"string\"}}"),
     "foo: f: field of type 'map' must declare 'keys'"},
    {F("{\"type\":\"map\",\"keys\":{\"type\":\"string\"}}"),
     "foo: f: field of type 'map' must declare 'values'"},
    {F("{\"type\":\"record\"}"), "foo: f: field of type 'record' must declare 'fields'"},
    {F("{\"type\":\"json\"}"), "foo: f: field of type 'json' must declare 'json_schema'"},
    {F("{\"type\":\"foreign\"}"), "foo: f: field of type 'foreign' must declare 'reference'"},
    {F("{\"type\":\"number\",\"uuid\":true}"),
     "foo: f: field of type 'number' cannot have attribute 'uuid'"},
    {F("{\"type\":\"string\",\"between\":[1,2]}"),
     "foo: f: field of type 'string' cannot have attribute 'between'"},
    {F("{\"type\":\"integer\",\"match\":\"x\"}"),
     "foo: f: field of type 'integer' cannot have attribute 'match'"},
    {F("{\"type\":\"boolean\",\"one_of\":[true]}"),
     "foo: f: field of type 'boolean' cannot have attribute 'one_of'"},
    {F("{\"type\":\"string\",\"contains\":\"x\"}"),
     "foo: f: field of type 'string' cannot have attribute 'contains'"},
    {F("{\"type\":\"string\",\"timestamp\":true}"),
     "foo: f: field of type 'string' cannot have attribute 'timestamp'"},
    {F("{\"type\":\"integer\",\"is_regex\":true}"),
     "foo: f: field of type 'integer' cannot have attribute 'is_regex'"},
    {F("{\"type\":\"boolean\",\"len_eq\":1}"),
     "foo: f: field of type 'boolean' cannot have attribute 'len_eq'"},
    {F("{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"string\"},"
       "\"unique\":true}"),
     "foo: f: field of type 'map' cannot have attribute 'unique'"},
    {F("{\"type\":\"record\",\"fields\":[],\"unique\":true}"),
     "foo: f: field of type 'record' cannot have attribute 'unique'"},
    {F("{\"type\":\"boolean\",\"abstract\":true}"),
     "foo: f: field of type 'boolean' cannot have attribute 'abstract'"},
    {F("{\"type\":\"string\",\"json_schema\":{}}"),
     "foo: f: field of type 'string' cannot have attribute 'json_schema'"},
    {F("{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"string\"},"
       "\"transient\":true}"),
     "foo: f: field of type 'map' cannot have attribute 'transient'"},
    {F("{\"type\":\"array\",\"elements\":{\"type\":\"array\"}}"),
     "foo: f: field of type 'array' must declare 'elements'"},
    {F("{\"type\":\"array\",\"elements\":\"string\"}"), "foo: f: 'elements' must be a table"},
    {F("{\"type\":\"any\"}"), "foo: f: invalid type: any"},
    {F("{\"type\":\"function\"}"), "foo: f: Entities cannot have function types."},
    {F("{\"type\":\"string\",\"nilable\":true}"), "foo: f: Entities cannot have nilable types."},
    {F("{\"type\":\"map\",\"keys\":{\"type\":\"integer\"},\"values\":{\"type\":\"string\"}}"),
     "foo: f: Entities map keys must be strings."},
    {F("{\"required\":true}"), "foo: f: missing type declaration"},
    {F("{\"type\":1}"), "foo: f: type: expected a string"},
    {F("\"string\""), "foo: f: 'f' must be a table"},
    /* Kong 1.x's `legacy` is known (auto_fields.c), on strings only */
    {F("{\"type\":\"integer\",\"legacy\":true}"),
     "foo: f: field of type 'integer' cannot have attribute 'legacy'"},
    {F("{\"type\":\"string\",\"fields\":[]}"), "foo: f: fields: unknown field"},
    {F("{\"type\":\"record\",\"fields\":[],\"shorthand_fields\":[{\"s\":{\"type\":\"string\"}}]}"),
     "foo: f.shorthand_fields.1.s: func: required field missing"},
    {F("{\"type\":\"string\",\"shorthand_fields\":[]}"), "foo: f: shorthand_fields: unknown field"},
    {F("{\"type\":\"string\",\"required\":\"yes\"}"), "foo: f: required: expected a boolean"},
    {F("{\"type\":\"string\",\"len_min\":1.5}"), "foo: f: len_min: expected an integer"},
    {F("{\"type\":\"number\",\"gt\":\"1\"}"), "foo: f: gt: expected a number"},
    {F("{\"type\":\"number\",\"between\":[1]}"), "foo: f: between: length must be 2"},
    {F("{\"type\":\"number\",\"between\":[1,\"x\"]}"), "foo: f: between.2: expected a number"},
    {F("{\"type\":\"string\",\"one_of\":\"a\"}"), "foo: f: one_of: expected an array"},
    {F("{\"type\":\"string\",\"match\":\"[a\"}"),
     "foo: f: match: invalid pattern '[a': malformed pattern (missing ']')"},
    {F("{\"type\":\"string\",\"match_all\":[{\"err\":\"x\"}]}"),
     "foo: f: match_all.1.pattern: required field missing"},
    {F("{\"type\":\"string\",\"match_none\":[{\"pattern\":\"x\",\"bad\":1}]}"),
     "foo: f: match_none.1.bad: unknown field"},
    {F("{\"type\":\"string\",\"match_any\":{\"err\":\"x\"}}"),
     "foo: f: match_any.patterns: required field missing"},
    {F("{\"type\":\"string\",\"match_any\":{\"patterns\":[1]}}"),
     "foo: f: match_any.patterns.1: expected a string"},
    {F("{\"type\":\"string\",\"on_delete\":\"drop\"}"),
     "foo: f: on_delete: expected one of: restrict, cascade, null"},
    {F("{\"type\":\"string\",\"description\":\"short\"}"),
     "foo: f: description: length must be at least 10"},
    {F("{\"type\":\"string\",\"default\":1}"), "foo: f: default: expected a string"},
    {F("{\"type\":\"integer\",\"default\":1.5}"), "foo: f: default: expected an integer"},
    {F("{\"type\":\"set\",\"elements\":{\"type\":\"string\"},\"default\":\"x\"}"),
     "foo: f: default: expected a set"},
    {F("{\"type\":\"string\",\"custom_validator\":\"nope\"}"),
     "foo: f: custom_validator: unknown built-in validator 'nope'"},
    {F("{\"type\":\"string\",\"custom_validator\":1}"),
     "foo: f: custom_validator: expected a function"},
    {F("{\"type\":\"string\",\"unique_across_ws\":true}"),
     "foo: f: unique: required field missing"},
    {F("{\"type\":\"string\",\"unique_across_ws\":true,\"unique\":false}"),
     "foo: f: unique: value must be true"},
    {F("{\"type\":\"string\",\"deprecation\":{\"message\":\"m\"}}"),
     "foo: f: deprecation.removal_in_version: required field missing"},
    {F("{\"type\":\"string\",\"mutually_exclusive_subsets\":[[1]]}"),
     "foo: f: mutually_exclusive_subsets.1.1: expected a string"},
    {F("{\"type\":\"foreign\",\"reference\":\"nowhere\"}"),
     "foo: f: schema refers to an invalid foreign entity: nowhere"},
    {F("{\"type\":\"record\",\"fields\":[{\"x\":{\"type\":\"array\"}}]}"),
     "foo: f.x: field of type 'array' must declare 'elements'"},
    /* entity level */
    {"[1]", "expected a definition table"},
    {"{\"primary_key\":[\"id\"],\"fields\":[]}", "name: required field missing"},
    {"{\"name\":1,\"primary_key\":[\"id\"],\"fields\":[]}", "name: expected a string"},
    {"{\"name\":\"foo\",\"primary_key\":[\"id\"]}",
     "foo: error in schema definition: no 'fields' table"},
    {"{\"name\":\"foo\",\"fields\":[{\"id\":{\"type\":\"string\"}}]}",
     "foo: primary_key: required field missing"},
    {"{\"name\":\"foo\",\"primary_key\":[\"nope\"],\"fields\":[{\"id\":{\"type\":\"string\"}}]}",
     "foo: primary_key: values must be field names"},
    {"{\"name\":\"foo\",\"primary_key\":\"id\",\"fields\":[{\"id\":{\"type\":\"string\"}}]}",
     "foo: primary_key: expected an array"},
    {"{\"name\":\"foo\",\"primary_key\":[],\"fields\":[{\"id\":{\"type\":\"string\"}}]}",
     "foo: primary_key: length must be at least 1"},
    {"{\"name\":\"foo\",\"primary_key\":[\"id\"],\"endpoint_key\":\"nope\",\"fields\":[{\"id\":{"
     "\"type\":\"string\"}}]}",
     "foo: endpoint_key: value must be a field name"},
    {"{\"name\":\"foo\",\"primary_key\":[\"id\"],\"cache_key\":[\"id\",\"x\"],\"fields\":[{\"id\":{"
     "\"type\":\"string\"}}]}",
     "foo: cache_key: values must be field names"},
    {"{\"name\":\"foo\",\"primary_key\":[\"id\"],\"ttl\":\"yes\",\"fields\":[]}",
     "foo: ttl: expected a boolean"},
    {"{\"name\":\"foo\",\"primary_key\":[\"id\"],\"workspaceable\":1,\"fields\":[]}",
     "foo: workspaceable: expected a boolean"},
    {"{\"name\":\"foo\",\"primary_key\":[\"id\"],\"table_name\":false,\"fields\":[]}",
     "foo: table_name: expected a string"},
    {HEAD "],\"transformations\":[{\"input\":[\"id\"]}]}",
     "foo: transformations.1: at least one of these fields must be non-empty: 'on_write', "
     "'on_read'"},
    {HEAD "],\"transformations\":[{\"input\":[\"nope\"]}]}",
     "foo: transformations.1: input.1: invalid field name: nope"},
    {"{\"name\":\"foo\",\"primary_key\":[\"id\"],\"fields\":{\"id\":1}}",
     "foo: fields: expected an array"},
    /* a field entry that is not a one-key table: its position, not the
     * primary key that cannot find it */
    {HEAD ",1]}", "foo: fields.2: expected a table with one key, the field's name, as in "
                  "{ name = { type = \"string\" } }; got a number"},
    {HEAD ",{}]}", "foo: fields.2: expected a table with one key, the field's name, as in "
                   "{ name = { type = \"string\" } }; got an empty table"},
    {HEAD ",{\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"string\"}}]}",
     "foo: fields.2: expected a table with one key, the field's name, as in "
     "{ name = { type = \"string\" } }; got a table with 2 keys"},
    {"{\"name\":\"foo\",\"primary_key\":[\"id\"],\"fields\":[\"id\"]}",
     "foo: fields.1: expected a table with one key, the field's name, as in "
     "{ id = { type = \"string\" } }; got the string 'id'"},
    {HEAD ",{\"r\":{\"type\":\"record\",\"fields\":[[\"x\",1]]}}]}",
     "foo: r.fields.1: expected a table with one key, the field's name, as in "
     "{ name = { type = \"string\" } }; got an array of 2 values"},
    {HEAD ",{\"id\":{\"type\":\"string\"}}]}", "foo: id: duplicate field name"},
    {HEAD ",{\"a.b\":{\"type\":\"string\"}}]}", "foo: fields: invalid field name: 'a.b'"},
    /* entity checks */
    {HEAD "],\"entity_checks\":{\"x\":1}}", "foo: entity_checks: expected an array"},
    {HEAD "],\"entity_checks\":[{\"at_least_one_of\":[\"id\"],\"distinct\":[\"id\"]}]}",
     "foo: entity_checks.1: exactly one of these fields must be non-empty: 'at_least_one_of', "
     "'conditional_at_least_one_of', 'only_one_of', 'distinct', 'conditional', "
     "'custom_entity_check', 'mutually_required', 'mutually_exclusive', "
     "'mutually_exclusive_sets'"},
    {HEAD "],\"entity_checks\":[{}]}",
     "foo: entity_checks.1: exactly one of these fields must be non-empty: 'at_least_one_of', "
     "'conditional_at_least_one_of', 'only_one_of', 'distinct', 'conditional', "
     "'custom_entity_check', 'mutually_required', 'mutually_exclusive', "
     "'mutually_exclusive_sets'"},
    {HEAD "],\"entity_checks\":[{\"one_of_these\":[\"id\"]}]}",
     "foo: entity_checks.1: one_of_these: unknown field"},
    {HEAD "],\"entity_checks\":[{\"mutually_required\":\"id\"}]}",
     "foo: entity_checks.1.mutually_required: expected an array"},
    {HEAD "],\"entity_checks\":[{\"conditional\":{\"if_field\":\"id\",\"if_match\":{\"eq\":1},"
          "\"then_field\":\"id\"}}]}",
     "foo: entity_checks.1.conditional: then_match: required field missing"},
    {HEAD "],\"entity_checks\":[{\"conditional\":{\"if_field\":\"id\",\"if_match\":{"
          "\"default\":1},\"then_field\":\"id\",\"then_match\":{}}}]}",
     "foo: entity_checks.1.conditional: if_match.default: unknown field"},
    {HEAD "],\"entity_checks\":[{\"conditional\":{\"if_field\":\"nope\",\"if_match\":{},"
          "\"then_field\":\"id\",\"then_match\":{}}}]}",
     "foo: entity_checks.1.conditional: if_field: invalid field name: nope"},
    {HEAD "],\"entity_checks\":[{\"conditional\":{\"if_field\":\"id\",\"if_match\":{"
          "\"between\":[1,2]},\"then_field\":\"id\",\"then_match\":{}}}]}",
     "foo: entity_checks.1.conditional.if_match: field of type 'string' cannot have attribute "
     "'between'"},
    {HEAD "],\"entity_checks\":[{\"mutually_exclusive_sets\":{\"set1\":[\"id\"]}}]}",
     "foo: entity_checks.1.mutually_exclusive_sets: set2: required field missing"},
    {HEAD "],\"entity_checks\":[{\"custom_entity_check\":{\"field_sources\":[\"id\"]}}]}",
     "foo: entity_checks.1.custom_entity_check: fn: required field missing"},
};

TEST(refused_definitions_golden)
{
    setup_consumers();
    for (size_t i = 0; i < sizeof REFUSED / sizeof REFUSED[0]; i++) {
        const char *got = refusal(REFUSED[i].json);
        if (strcmp(got, REFUSED[i].msg) != 0)
            fprintf(stderr, "  case %zu: %s\n", i, REFUSED[i].json);
        ASSERT_STR(got, REFUSED[i].msg);
    }
}

TEST(composite_foreign_pk_refused)
{
    daoc__schema *s = NULL;
    char *err = NULL;
    setup_consumers();
    ASSERT_INT(compile_json("{\"name\":\"pair\",\"primary_key\":[\"a\",\"b\"],\"fields\":["
                            "{\"a\":{\"type\":\"string\"}},{\"b\":{\"type\":\"string\"}}]}",
                            &s, &err),
               DAOC_OK);
    ASSERT_INT(s->npk, 2);
    ASSERT_INT(s->pk[1], 1);
    reg[nreg++] = s;
    ASSERT_STR(refusal(F("{\"type\":\"foreign\",\"reference\":\"pair\"}")),
               "foo: f: foreign entity 'pair' has a composite primary key, which is not "
               "supported");
}

TEST(empty_tables_either_shape)
{
    daoc__schema *s = NULL;
    char *err = NULL;
    /* Lua {} may arrive as [] or {} */
    ASSERT_INT(compile_json("{\"name\":\"e\",\"primary_key\":[\"id\"],\"entity_checks\":{},"
                            "\"fields\":[{\"id\":{\"type\":\"string\"}},"
                            "{\"r\":{\"type\":\"record\",\"fields\":{}}},"
                            "{\"a\":{\"type\":\"array\",\"elements\":{\"type\":\"string\"},"
                            "\"default\":{}}},"
                            "{\"m\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},"
                            "\"values\":{\"type\":\"string\"},\"default\":[]}}]}",
                            &s, &err),
               DAOC_OK);
    ASSERT_INT(s->fields[1].record->nfields, 0);
    daoc__schema_free(s);
}

#define CONDITIONAL                                                                                \
    "{\"name\":\"svc\",\"primary_key\":[\"id\"],\"fields\":[{\"id\":{\"type\":\"string\"}},"     \
    "{\"protocol\":{\"type\":\"string\",\"default\":\"http\",\"one_of\":[\"http\",\"tcp\"]}},"      \
    "{\"path\":{\"type\":\"string\",\"match_all\":[{\"pattern\":\"^/\",\"err\":\"e\"}],"          \
    "\"match_any\":{\"patterns\":[\"a\",\"b\"],\"err\":\"x\"}}},"                                     \
    "{\"config\":{\"type\":\"record\",\"fields\":[{\"x\":{\"type\":\"integer\"}},"                \
    "{\"m\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"string\"}}}],"  \
    "\"entity_checks\":[{\"only_one_of\":[\"x\",\"m\"]}]}}],"                                           \
    "\"entity_checks\":[{\"conditional\":{\"if_field\":\"protocol\",\"if_match\":{\"one_of\":"       \
    "[\"tcp\"]},\"then_field\":\"path\",\"then_match\":{\"eq\":null},\"then_err\":\"t\"}},"          \
    "{\"conditional_at_least_one_of\":{\"if_field\":\"config.x\",\"if_match\":{\"gt\":0},"           \
    "\"then_at_least_one_of\":[\"path\"],\"else_match\":{\"eq\":null},"                               \
    "\"else_then_at_least_one_of\":[\"protocol\"],\"else_then_err\":\"e\"}},"                         \
    "{\"mutually_exclusive_sets\":{\"set1\":[\"path\"],\"set2\":[\"protocol\"]}}]}"

TEST(out_of_memory_never_leaks)
{
    /* every allocation failing in turn: ENOMEM (or success), never a leak */
    static const char *const defs[] = {KEYAUTH, CONDITIONAL};
    setup_consumers();
    for (size_t d = 0; d < 2; d++) {
        long n;
        for (n = 0; n < 5000; n++) {
            daoc_value *def = NULL;
            daoc__schema *s = NULL;
            char *err = NULL;
            int st;
            ASSERT_INT(daoc_json_decode(defs[d], strlen(defs[d]), &def, NULL), DAOC_OK);
            daoc__alloc_fail_after(n);
            st = daoc__schema_compile(def, lookup, NULL, &s, &err);
            daoc__alloc_fail_after(-1);
            daoc_value_free(def);
            daoc__free(err);
            daoc__schema_free(s);
            if (st == DAOC_OK)
                break;
            ASSERT_INT(st, DAOC_ENOMEM);
        }
        ASSERT_TRUE(n > 20 && n < 5000);
    }
}

/* A callable that counts its calls to release. */
static int released;
static int never_called(daoc__callable *self, const daoc_value *const *args, size_t nargs,
                        daoc_value **ret, char **msg)
{
    return 1;
}
static void count_release(daoc__callable *self) { released++; }

TEST(callables_are_referenced_not_copied)
{
    daoc__callable fn = {1, never_called, count_release, NULL, NULL, NULL};
    daoc_value *def = NULL, *fields, *checks, *check, *arg, *srcs;
    daoc__schema *s = NULL;
    char *err = NULL;
    const char *json = "{\"name\":\"c\",\"primary_key\":[\"id\"],\"fields\":["
                       "{\"id\":{\"type\":\"string\"}}],\"entity_checks\":[]}";
    ASSERT_INT(daoc_json_decode(json, strlen(json), &def, NULL), DAOC_OK);
    fields = daoc__obj_getn(def, "fields", 6);
    /* fields[1].id.custom_validator = fn ; entity_checks[1] = {custom_entity_check = {...}} */
    daoc__callable_ref(&fn);
    ASSERT_INT(daoc_obj_set(daoc__obj_getn(fields->u.a[0], "id", 2), "custom_validator",
                            daoc__func(&fn)),
               DAOC_OK);
    checks = daoc__obj_getn(def, "entity_checks", 13);
    check = daoc_obj();
    arg = daoc_obj();
    srcs = daoc_arr();
    ASSERT_INT(daoc_arr_push(srcs, daoc_str("id")), DAOC_OK);
    ASSERT_INT(daoc_obj_set(arg, "field_sources", srcs), DAOC_OK);
    daoc__callable_ref(&fn);
    ASSERT_INT(daoc_obj_set(arg, "fn", daoc__func(&fn)), DAOC_OK);
    ASSERT_INT(daoc_obj_set(arg, "run_with_missing_fields", daoc_bool(true)), DAOC_OK);
    ASSERT_INT(daoc_obj_set(check, "custom_entity_check", arg), DAOC_OK);
    ASSERT_INT(daoc_arr_push(checks, check), DAOC_OK);
    ASSERT_INT(fn.refs, 3);
    ASSERT_INT(daoc__schema_compile(def, lookup, NULL, &s, &err), DAOC_OK);
    ASSERT_INT(fn.refs, 5);
    ASSERT_TRUE(s->fields[0].custom_validator == &fn);
    ASSERT_TRUE(s->checks[0].fn == &fn);
    ASSERT_TRUE(s->checks[0].run_with_missing_fields && !s->checks[0].run_with_invalid_fields);
    ASSERT_INT(s->checks[0].nfields, 1);
    ASSERT_STR(s->checks[0].fields[0], "id");
    daoc_value_free(def);
    ASSERT_INT(fn.refs, 3);
    daoc__schema_free(s);
    ASSERT_INT(fn.refs, 1);
    ASSERT_INT(released, 0);
    daoc__callable_unref(&fn);
    ASSERT_INT(released, 1);
}

TEST(dotted_lookup_crosses_foreign_fields)
{
    daoc__schema *s = NULL;
    char *err = NULL;
    setup_consumers();
    ASSERT_INT(compile_json(KEYAUTH, &s, &err), DAOC_OK);
    ASSERT_TRUE(daoc__schema_field(s, "consumer.id", 11) == &reg[0]->fields[0]);
    ASSERT_NULL(daoc__schema_field(s, "consumer.nope", 13));
    ASSERT_NULL(daoc__schema_field(s, "key.x", 5));
    daoc__schema_free(s);
}
