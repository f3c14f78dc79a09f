/*
 * test_subschema.c -- subschemas (kong-schema-dao.md 1 and 2.4; Kong's
 * Schema.new_subschema, get_subschema, validate and each_field): the
 * parent's subschema_key and subschema_error, registering a subschema with
 * new_subschema's rules and messages, selecting it by a string or a set
 * key, its field definitions replacing the parent's at validation and in
 * process_auto_fields, and its entity checks after the parent's; through
 * the DAO on the store DAOC_DATABASE names, a row written and read back
 * with the subschema's record.
 */
#include "fixture.h"
#include "test_validate_helpers.h"

/* A plugins-like parent: `name` selects the subschema, `config` is abstract. */
#define PARENT(extra)                                                                              \
    "{\"name\":\"plugs\",\"primary_key\":[\"id\"],\"subschema_key\":\"name\"" extra ","            \
    "\"fields\":[{\"id\":{\"type\":\"integer\"}},{\"name\":{\"type\":\"string\",\"required\":"     \
    "true}},"                                                                                      \
    "{\"protocols\":{\"type\":\"set\",\"elements\":{\"type\":\"string\"}}},"                       \
    "{\"enabled\":{\"type\":\"boolean\",\"default\":true}},"                                       \
    "{\"config\":{\"type\":\"record\",\"abstract\":true}}]}"

static const char *add_sub(daoc__schema *s, const char *key, const char *json)
{
    static char msg[300];
    daoc_value *def = tv_json(json);
    char *m = NULL;
    int rc = def ? daoc__schema_add_subschema(s, key, def, tv_lookup, NULL, &m) : -1;
    snprintf(msg, sizeof msg, "%s", rc == DAOC_OK ? "ok" : m ? m : "?");
    daoc__free(m);
    daoc_value_free(def);
    return msg;
}

#define KA                                                                                         \
    "{\"name\":\"key-auth\",\"fields\":[{\"config\":{\"type\":\"record\",\"fields\":["             \
    "{\"key_names\":{\"type\":\"array\",\"elements\":{\"type\":\"string\"},"                       \
    "\"default\":[\"apikey\"]}},{\"hide\":{\"type\":\"boolean\",\"default\":false}},"              \
    "{\"anonymous\":{\"type\":\"string\"}}]}}],"                                                   \
    "\"entity_checks\":[{\"mutually_exclusive\":[\"config.hide\",\"config.anonymous\"]}]}"

TEST(definition_rules)
{
    ASSERT_NOT_NULL(tv_schema_def(PARENT("")));
    ASSERT_NOT_NULL(tv_schema_def(PARENT(",\"subschema_error\":\"plugin '%s' not enabled\"")));
    char *msg = NULL;
    daoc__schema *s = NULL;
    daoc_value *def = tv_json("{\"name\":\"x\",\"primary_key\":[\"id\"],\"subschema_key\":\"nope\","
                              "\"fields\":[{\"id\":{\"type\":\"integer\"}}]}");
    ASSERT_INT(daoc__schema_compile(def, NULL, NULL, &s, &msg), DAOC_ESCHEMA);
    ASSERT_STR(msg, "x: subschema_key: value must be a field name");
    daoc__free(msg);
    daoc_value_free(def);
    def = tv_json("{\"name\":\"x\",\"primary_key\":[\"id\"],\"subschema_key\":\"id\","
                  "\"fields\":[{\"id\":{\"type\":\"integer\"}}]}");
    ASSERT_INT(daoc__schema_compile(def, NULL, NULL, &s, &msg), DAOC_ESCHEMA);
    ASSERT_STR(msg, "x: subschema_key: must be a string or set field");
    daoc__free(msg);
    daoc_value_free(def);
}

TEST(new_subschema_rules)
{
    daoc__schema *p = tv_schema_def(PARENT(""));
    daoc__schema *plain = tv_schema("{\"a\":{\"type\":\"string\"}}");
    ASSERT_NOT_NULL(p);
    ASSERT_STR(add_sub(plain, "k", KA),
               "error in definition of 'k': entities of type 't' cannot have subschemas");
    ASSERT_STR(add_sub(p, "k",
                       "{\"name\":\"k\",\"fields\":[{\"config\":{\"type\":\"record\","
                       "\"fields\":[]}},{\"extra\":{\"type\":\"string\"}}]}"),
               "error in definition of 'k': extra: cannot create a new field");
    ASSERT_STR(add_sub(p, "k", "{\"name\":\"k\",\"fields\":[{\"config\":{\"type\":\"string\"}}]}"),
               "error in definition of 'k': config: cannot change type in a specialized field");
    ASSERT_STR(add_sub(p, "k",
                       "{\"name\":\"k\",\"fields\":[{\"protocols\":{\"type\":\"set\","
                       "\"elements\":{\"type\":\"integer\"}}}]}"),
               "error in definition of 'k': protocols: cannot change type in a specialized field");
    ASSERT_STR(add_sub(p, "k", "{\"name\":\"k\",\"fields\":[]}"), "ok");
    ASSERT_STR(add_sub(p, "k", "{\"fields\":[]}"), "k: name: required field missing");
    ASSERT_STR(add_sub(p, "k", "{\"name\":\"k\"}"),
               "k: error in schema definition: no 'fields' table");
    ASSERT_STR(add_sub(p, "k", "{\"name\":\"k\",\"fields\":[],\"ttl\":true}"),
               "k: ttl: unknown field");
    /* record -> json is allowed */
    ASSERT_STR(add_sub(p, "j",
                       "{\"name\":\"j\",\"fields\":[{\"config\":{\"type\":\"json\","
                       "\"json_schema\":{\"inline\":{}}}}]}"),
               "ok");
    /* a required abstract field must be specialised */
    daoc__schema *q = tv_schema_def(
        "{\"name\":\"q\",\"primary_key\":[\"id\"],\"subschema_key\":\"kind\",\"fields\":["
        "{\"id\":{\"type\":\"integer\"}},{\"kind\":{\"type\":\"string\"}},"
        "{\"conf\":{\"type\":\"string\",\"abstract\":true,\"required\":true}}]}");
    ASSERT_NOT_NULL(q);
    ASSERT_STR(add_sub(q, "k", "{\"name\":\"k\",\"fields\":[]}"),
               "error in definition of 'k': conf: abstract field was not specialized");
}

TEST(selection_errors)
{
    daoc__schema *p = tv_schema_def(PARENT(""));
    daoc__schema *e = tv_schema_def(
        "{\"name\":\"plugs2\",\"primary_key\":[\"id\"],\"subschema_key\":\"name\","
        "\"subschema_error\":\"plugin '%s' not enabled; add it to the 'plugins' configuration "
        "property\",\"fields\":[{\"id\":{\"type\":\"integer\"}},{\"name\":{\"type\":\"string\"}},"
        "{\"config\":{\"type\":\"record\",\"abstract\":true}}]}");
    ASSERT_STR(add_sub(p, "key-auth", KA), "ok");
    /* no key: only that error; an unknown key: Kong's default or the schema's message */
    ASSERT_STR(TV_INSERT(p, "{\"id\":1,\"config\":5}"), "{\"name\":\"required field missing\"}");
    ASSERT_STR(TV_INSERT(p, "{\"id\":1,\"name\":null}"), "{\"name\":\"required field missing\"}");
    ASSERT_STR(TV_INSERT(p, "{\"id\":1,\"name\":\"nope\",\"x\":1}"),
               "{\"name\":\"unknown type: nope\"}");
    ASSERT_STR(TV_UPDATE(p, "{\"name\":\"nope\"}"), "{\"name\":\"unknown type: nope\"}");
    ASSERT_STR(TV_INSERT(e, "{\"id\":1,\"name\":\"jwt\"}"),
               "{\"name\":\"plugin 'jwt' not enabled; add it to the 'plugins' configuration "
               "property\"}");
}

TEST(subschema_fields_replace_the_parents)
{
    daoc__schema *p = tv_schema_def(PARENT(""));
    ASSERT_STR(add_sub(p, "key-auth", KA), "ok");
    ASSERT_STR(TV_INSERT(p, "{\"id\":1,\"name\":\"key-auth\",\"config\":{\"hide\":true}}"), "ok");
    ASSERT_STR(TV_INSERT(p, "{\"id\":1,\"name\":\"key-auth\",\"config\":{\"hide\":1,\"z\":2}}"),
               "{\"config\":{\"hide\":\"expected a boolean\",\"z\":\"unknown field\"}}");
    ASSERT_STR(TV_INSERT(p, "{\"id\":1,\"name\":\"key-auth\",\"nope\":1}"),
               "{\"nope\":\"unknown field\"}");
    /* the subschema's entity checks run after the parent's */
    ASSERT_STR(TV_INSERT(p, "{\"id\":1,\"name\":\"key-auth\",\"config\":{\"hide\":true,"
                            "\"anonymous\":\"a\"}}"),
               "{\"@entity\":[\"only one or none of these fields must be set: 'config.hide', "
               "'config.anonymous'\"]}");
    /* process_auto_fields fills the subschema's defaults */
    ASSERT_STR(tv_auto(p, "{\"id\":1,\"name\":\"key-auth\"}", DAOC__CTX_INSERT, false, 1.0),
               "{\"id\":1,\"name\":\"key-auth\",\"protocols\":null,\"enabled\":true,"
               "\"config\":{\"key_names\":[\"apikey\"],\"hide\":false,\"anonymous\":null}}");
    /* without a subschema the abstract field is refused as Kong does */
    daoc__schema *q = tv_schema_def(
        "{\"name\":\"q2\",\"primary_key\":[\"id\"],\"subschema_key\":\"kind\",\"fields\":["
        "{\"id\":{\"type\":\"integer\"}},{\"kind\":{\"type\":\"string\"}},"
        "{\"conf\":{\"type\":\"string\",\"abstract\":true}}]}");
    ASSERT_STR(add_sub(q, "plain", "{\"name\":\"plain\",\"fields\":[]}"), "ok");
    ASSERT_STR(TV_INSERT(q, "{\"id\":1,\"kind\":\"plain\",\"conf\":\"x\"}"),
               "{\"conf\":\"error in schema definition: abstract field was not specialized\"}");
}

TEST(set_keys_pick_the_first_known_element)
{
    daoc__schema *r = tv_schema_def(
        "{\"name\":\"rts\",\"primary_key\":[\"id\"],\"subschema_key\":\"protocols\",\"fields\":["
        "{\"id\":{\"type\":\"integer\"}},{\"protocols\":{\"type\":\"set\",\"elements\":{\"type\":"
        "\"string\"}}},{\"paths\":{\"type\":\"array\",\"elements\":{\"type\":\"string\"}}}]}");
    ASSERT_STR(add_sub(r, "tcp",
                       "{\"name\":\"tcp\",\"fields\":[{\"paths\":{\"type\":\"array\","
                       "\"elements\":{\"type\":\"string\"},\"eq\":null}}]}"),
               "ok");
    ASSERT_STR(TV_INSERT(r, "{\"id\":1,\"protocols\":[\"udp\",\"tcp\"],\"paths\":[\"/\"]}"),
               "{\"paths\":\"value must be null\"}");
    ASSERT_STR(TV_INSERT(r, "{\"id\":1,\"protocols\":[\"udp\",\"tcp\"]}"), "ok");
    ASSERT_STR(TV_INSERT(r, "{\"id\":1,\"protocols\":[\"http\"]}"),
               "{\"protocols\":\"unknown type: http\"}");
}

/* A subschema's entity checks may name the parent's fields, as Kong's
 * routes subschemas do (they run on the merged entity): an if_match on the
 * parent's set key, elements overlaid, and at_least_one_of lists of parent
 * fields the subschema does not redefine; an unknown if_field is still
 * refused. */
TEST(subschema_checks_name_parent_fields)
{
    daoc__schema *r = tv_schema_def(
        "{\"name\":\"rts2\",\"primary_key\":[\"id\"],\"subschema_key\":\"protocols\",\"fields\":["
        "{\"id\":{\"type\":\"integer\"}},{\"protocols\":{\"type\":\"set\",\"elements\":{\"type\":"
        "\"string\",\"one_of\":[\"tcp\",\"udp\",\"tls_passthrough\"]}}},"
        "{\"hosts\":{\"type\":\"array\",\"elements\":{\"type\":\"string\",\"match\":\"^%a\"}}},"
        "{\"snis\":{\"type\":\"set\",\"elements\":{\"type\":\"string\"}}}]}");
    ASSERT_NOT_NULL(r);
    ASSERT_STR(add_sub(r, "tcp",
                       "{\"name\":\"tcp\",\"fields\":[],\"entity_checks\":["
                       "{\"conditional_at_least_one_of\":{\"if_field\":\"protocols\","
                       "\"if_match\":{\"elements\":{\"type\":\"string\",\"one_of\":[\"tcp\"]}},"
                       "\"then_at_least_one_of\":[\"hosts\",\"snis\"],"
                       "\"then_err\":\"must set one of %s when tcp\"}}]}"),
               "ok");
    ASSERT_STR(TV_INSERT(r, "{\"id\":1,\"protocols\":[\"tcp\"]}"),
               "{\"@entity\":[\"must set one of 'hosts', 'snis' when tcp\"]}");
    ASSERT_STR(TV_INSERT(r, "{\"id\":1,\"protocols\":[\"tcp\"],\"snis\":[\"a\"]}"), "ok");
    ASSERT_STR(add_sub(r, "udp",
                       "{\"name\":\"udp\",\"fields\":[],\"entity_checks\":["
                       "{\"conditional\":{\"if_field\":\"protocols\",\"if_match\":{\"contains\":"
                       "\"udp\"},\"then_field\":\"hosts\",\"then_match\":{\"len_eq\":0}}}]}"),
               "ok");
    ASSERT_STR(TV_INSERT(r, "{\"id\":1,\"protocols\":[\"udp\"],\"hosts\":[\"a\"]}"),
               "{\"hosts\":\"length must be 0\",\"@entity\":[\"failed conditional validation "
               "given value of field 'protocols'\"]}");
    ASSERT_STR(add_sub(r, "tls_passthrough",
                       "{\"name\":\"tls_passthrough\",\"fields\":[],\"entity_checks\":["
                       "{\"conditional_at_least_one_of\":{\"if_field\":\"nope\","
                       "\"if_match\":{\"eq\":1},\"then_at_least_one_of\":[\"hosts\"]}}]}"),
               "tls_passthrough: entity_checks.1.conditional_at_least_one_of: if_field: invalid "
               "field name: nope");
}

/* Through the DAO: the abstract record column holds the subschema's record,
 * read back with its defaults; an unknown key is code 2. */
TEST(dao_round_trip)
{
    static const char *const defs[] = {
        "{'name':'sub_plugs','primary_key':['id'],'subschema_key':'name','fields':["
        "{'id':{'type':'string','uuid':true,'auto':true}},{'name':{'type':'string',"
        "'required':true}},{'config':{'type':'record','abstract':true}}]}",
        NULL};
    daoc_db *db = fixture_open(defs, "subschema");
    ASSERT_NOT_NULL(db);
    daoc_dao *dao = daoc_db_dao(db, "sub_plugs");
    ASSERT_STR(add_sub(dao->schema, "key-auth", KA), "ok");
    daoc_value *in = J("{'name':'key-auth','config':{'hide':true}}"), *out = NULL, *got = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_insert(dao, in, NULL, &out, &err), DAOC_OK);
    daoc_value *pk = daoc_obj();
    ASSERT_INT(daoc_obj_set(pk, "id", daoc_value_copy(daoc_obj_get(out, "id"))), DAOC_OK);
    ASSERT_INT(daoc_dao_select(dao, pk, NULL, &got, &err), DAOC_OK);
    daoc_value *want = J("{'key_names':['apikey'],'hide':true}");
    ASSERT_TRUE(daoc__value_equal(daoc_obj_get(got, "config"), want));
    daoc_value_free(want);
    daoc_value_free(in);
    daoc_value_free(out);
    out = NULL;
    in = J("{'name':'jwt'}");
    ASSERT_INT(daoc_dao_insert(dao, in, NULL, &out, &err), DAOC_EDAO);
    ASSERT_STR(daoc_error_message(err), "schema violation (name: unknown type: jwt)");
    daoc_error_free(err);
    daoc_value_free(in);
    daoc_value_free(pk);
    daoc_value_free(got);
    daoc_db_close(db);
}
