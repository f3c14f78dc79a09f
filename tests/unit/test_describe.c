/*
 * test_describe.c -- daoc_dao_schema: every loaded entity described through
 * the public API as Kong describes a schema (fields in order with their
 * compiled attributes, keys, foreign references, Admin API names, checks),
 * borrowed from the DAO.  Runs on the store DAOC_DATABASE names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "fixture.h"
#include "harness.h"

static const char *const DEFS[] = {
    "{'name':'dparents','primary_key':['id'],'endpoint_key':'name','cache_key':['name'],"
    "'admin_api_name':'dads','generate_admin_api':false,'workspaceable':true,'fields':["
    "{'id':{'type':'string','uuid':true,'auto':true}},"
    "{'name':{'type':'string','unique':true,'required':true,'len_min':1}},"
    "{'conf':{'type':'record','fields':[{'a':{'type':'integer','default':3,"
    "'between':[1,5]}}]}},"
    "{'hosts':{'type':'set','elements':{'type':'string','one_of':['x','y']}}},"
    "{'meta':{'type':'map','keys':{'type':'string'},'values':{'type':'number'}}}],"
    "'entity_checks':[{'at_least_one_of':['name','hosts']}]}",

    "{'name':'dkids','primary_key':['id'],'ttl':true,'admin_api_nested_name':'kids','fields':["
    "{'id':{'type':'string','uuid':true,'auto':true}},"
    "{'parent':{'type':'foreign','reference':'dparents','on_delete':'cascade',"
    "'immutable':true}}]}",
    NULL};

static char *enc_json(const daoc_value *v)
{
    char *out = NULL;
    size_t len = 0;
    return v && daoc_json_encode(v, &out, &len) == DAOC_OK ? out : NULL;
}

TEST(entities_are_described_through_the_public_api)
{
    daoc_db *db = fixture_open(DEFS, "describe");
    ASSERT_NOT_NULL(db);
    char *got = enc_json(daoc_dao_schema(daoc_db_dao(db, "dparents")));
    ASSERT_STR(got,
               "{\"name\":\"dparents\",\"primary_key\":[\"id\"],\"endpoint_key\":\"name\","
               "\"cache_key\":[\"name\"],\"ttl\":false,\"workspaceable\":true,"
               "\"generate_admin_api\":false,\"db_export\":true,\"admin_api_name\":\"dads\","
               "\"fields\":[{\"id\":{\"type\":\"string\",\"auto\":true,\"uuid\":true}},"
               "{\"name\":{\"type\":\"string\",\"required\":true,\"unique\":true,"
               "\"len_min\":1}},"
               "{\"conf\":{\"type\":\"record\",\"required\":true,\"fields\":[{\"a\":{\"type\":"
               "\"integer\",\"default\":3,\"between\":[1,5]}}]}},"
               "{\"hosts\":{\"type\":\"set\",\"elements\":{\"type\":\"string\",\"one_of\":"
               "[\"x\",\"y\"]}}},"
               "{\"meta\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":"
               "\"number\"}}}],"
               "\"entity_checks\":[{\"at_least_one_of\":[\"name\",\"hosts\"]}]}");
    daoc_free(got);
    got = enc_json(daoc_dao_schema(daoc_db_dao(db, "dkids")));
    ASSERT_STR(got, "{\"name\":\"dkids\",\"primary_key\":[\"id\"],\"ttl\":true,"
                    "\"workspaceable\":false,\"generate_admin_api\":true,\"db_export\":true,"
                    "\"admin_api_nested_name\":\"kids\","
                    "\"fields\":[{\"id\":{\"type\":\"string\",\"auto\":true,\"uuid\":true}},"
                    "{\"parent\":{\"type\":\"foreign\",\"immutable\":true,\"reference\":"
                    "\"dparents\",\"on_delete\":\"cascade\"}}]}");
    daoc_free(got);
    /* the core entities are described the same way */
    const daoc_value *ws = daoc_dao_schema(daoc_db_dao(db, "workspaces"));
    ASSERT_NOT_NULL(ws);
    ASSERT_STR(daoc_value_str(daoc_obj_get(ws, "name"), NULL), "workspaces");
    ASSERT_TRUE(daoc_value_len(daoc_obj_get(ws, "fields")) > 0);
    /* borrowed: the same value on every call */
    ASSERT_TRUE(daoc_dao_schema(daoc_db_dao(db, "dkids")) ==
                daoc_dao_schema(daoc_db_dao(db, "dkids")));
    ASSERT_NULL(daoc_dao_schema(NULL));
    daoc_db_close(db);
}
