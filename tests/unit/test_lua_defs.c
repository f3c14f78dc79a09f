/*
 * test_lua_defs.c -- the embedded LuaJIT, part A: state and sandbox, value
 * conversions both ways, callables, typedefs, and loading plugin daos.lua
 * files of every documented generation (fixtures in
 * tests/fixtures/kong/plugins/defs-*).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errtext.h"
#include "harness.h"
#include "lua_env.h"

#include "config/config.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/value.h"
#include "db/db.h"
#include "lua/lua_internal.h"
#include "schema/schema.h"

/* ---- fixtures --------------------------------------------------------- */

static char logbuf[8192];

static void capture_log(void *ud, daoc_log_level lvl, const char *msg)
{
    (void)ud;
    (void)lvl;
    size_t n = strlen(logbuf);
    snprintf(logbuf + n, sizeof logbuf - n, "%s\n", msg);
}

/* Opens a Lua state whose package.path covers `root` (NULL = fixtures). */
static int env_open(struct env *e, const char *root)
{
    char path[2048];
    logbuf[0] = '\0';
    if (!root) {
        snprintf(path, sizeof path, "%s/tests/fixtures/?.lua;%s/tests/fixtures/?/init.lua",
                 src_dir(), src_dir());
    } else {
        snprintf(path, sizeof path, "%s/?.lua", root);
    }
    return env_start(e, path, capture_log);
}

static const daoc_value *path_get(const daoc_value *v, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "."); tok && v; tok = strtok(NULL, ".")) {
        if (v->type == DAOC_TARR)
            v = daoc_arr_get(v, (size_t)atoi(tok));
        else if (v->type == DAOC_TOBJ)
            v = daoc_obj_get(v, tok);
        else
            v = NULL;
    }
    return v;
}

static const char *str_at(const daoc_value *v, const char *path)
{
    const daoc_value *x = path_get(v, path);
    return x ? daoc_value_str(x, NULL) : NULL;
}

static char *json_of(const daoc_value *v)
{
    char *s = NULL;
    size_t len;
    if (daoc_json_encode(v, &s, &len) != DAOC_OK)
        return NULL;
    return s;
}

#define ASSERT_JSON(v, expected)                                                                   \
    do {                                                                                           \
        char *t_j = json_of(v);                                                                    \
        int t_ok = t_j && strcmp(t_j, expected) == 0;                                              \
        if (!t_ok)                                                                                 \
            T_FAIL_AT("json of %s:\n      got      %s\n      expected %s", #v,                     \
                      t_j ? t_j : "(null)", expected);                                             \
        daoc_free(t_j);                                                                            \
        if (!t_ok)                                                                                 \
            return;                                                                                \
    } while (0)

static int same_json_ignoring_order(const daoc_value *v, const char *json)
{
    daoc_value *want = NULL;
    if (daoc_json_decode(json, strlen(json), &want, NULL) != DAOC_OK)
        return 0;
    int eq = daoc__value_equal(v, want);
    daoc_value_free(want);
    return eq;
}

/* Loads plugin `p`; returns the status, *defs, and the error message. */
static int load(struct env *e, const char *p, daoc_value **defs, bool *found, char *msg,
                size_t msgsize)
{
    daoc_error *err = NULL;
    int rc = daoc__lua_load_plugin_daos(e->ls, p, defs, found, &err);
    msg[0] = '\0';
    if (err)
        snprintf(msg, msgsize, "%s", daoc_error_message(err) ? daoc_error_message(err) : "");
    daoc_error_free(err);
    return rc;
}

static int load_buf(struct env *e, const char *code, daoc_value **defs, char *msg, size_t msgsize)
{
    daoc_error *err = NULL;
    int rc = daoc__lua_load_daos_buffer(e->ls, "buf", "buf.lua", code, strlen(code), defs, &err);
    msg[0] = '\0';
    if (err)
        snprintf(msg, msgsize, "%s", daoc_error_message(err) ? daoc_error_message(err) : "");
    daoc_error_free(err);
    return rc;
}

/* Runs Lua code in the trusted globals; returns 0 when it ran. */
static int run_lua(struct env *e, const char *code, char *msg, size_t msgsize)
{
    lua_State *L = e->ls->L;
    int rc = luaL_loadstring(L, code) || lua_pcall(L, 0, 0, 0);
    msg[0] = '\0';
    if (rc) {
        snprintf(msg, msgsize, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    return rc;
}

/* ---- loading plugin files -------------------------------------------- */

TEST(current_format_loads)
{
    struct env e;
    daoc_value *defs = NULL;
    bool found = false;
    char msg[512];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    int rc = load(&e, "defs-current", &defs, &found, msg, sizeof msg);
    if (rc != DAOC_OK)
        T_FAIL_AT("load: %s", msg);
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_TRUE(found);
    ASSERT_INT(daoc_value_len(defs), 1);
    ASSERT_STR(str_at(defs, "0.name"), "defs_credentials");
    ASSERT_STR(str_at(defs, "0.admin_api_name"), "defs-creds");
    ASSERT_JSON(path_get(defs, "0.primary_key"), "[\"id\"]");
    ASSERT_TRUE(same_json_ignoring_order(path_get(defs, "0.fields.0.id"),
                                         "{\"type\":\"string\",\"uuid\":true,\"auto\":true}"));
    const daoc_value *ts = path_get(defs, "0.fields.1.created_at");
    ASSERT_STR(str_at(ts, "type"), "integer");
    ASSERT_TRUE(daoc_value_bool(path_get(ts, "timestamp")));
    ASSERT_INT(daoc_value_type(path_get(defs, "0.fields.2.consumer.default")), DAOC_TNULL);
    ASSERT_INT(daoc_value_type(path_get(defs, "0.fields.3.key.custom_validator")), DAOC_TFUNC);
    const daoc_value *ratio = path_get(defs, "0.fields.4.ratio.default");
    ASSERT_INT(daoc_value_type(ratio), DAOC_TNUM);
    ASSERT_TRUE(daoc_value_num(ratio) == 0.5);
    ASSERT_STR(str_at(defs, "0.fields.5.tags.type"), "set");
    ASSERT_TRUE(daoc_value_bool(path_get(defs, "0.fields.5.tags.elements.required")));
    const daoc_value *port = path_get(defs, "0.fields.6.port");
    ASSERT_INT(daoc_value_type(path_get(port, "default")), DAOC_TINT);
    ASSERT_INT(daoc_value_int(path_get(port, "default")), 8000);
    ASSERT_JSON(path_get(port, "between"), "[0,65535]");

    /* the custom validator calls back into the plugin's helper module */
    daoc__callable *c = path_get(defs, "0.fields.3.key.custom_validator")->u.f;
    daoc_value *arg = daoc_str("a b");
    const daoc_value *args[1] = {arg};
    char *why = NULL;
    ASSERT_INT(c->call(c, args, 1, NULL, &why), 0);
    ASSERT_STR(why, "must not contain spaces: a b");
    daoc__free(why);
    why = NULL;
    daoc_value_free(arg);
    arg = daoc_str("ab");
    args[0] = arg;
    ASSERT_INT(c->call(c, args, 1, NULL, &why), 1);
    ASSERT_NULL(why);
    daoc_value_free(arg);
    daoc_value_free(defs);
    env_close(&e);
}

TEST(missing_module_is_not_found)
{
    struct env e;
    daoc_value *defs = NULL;
    bool found = true;
    char msg[512];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    ASSERT_INT(load(&e, "defs-none", &defs, &found, msg, sizeof msg), DAOC_OK);
    ASSERT_TRUE(!found);
    ASSERT_NULL(defs);
    env_close(&e);
}

TEST(syntax_error_names_file_and_line)
{
    struct env e;
    daoc_value *defs = NULL;
    bool found = false;
    char msg[512];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    ASSERT_INT(load(&e, "defs-syntax", &defs, &found, msg, sizeof msg), DAOC_ELUA);
    ASSERT_TRUE(found);
    ASSERT_NULL(defs);
    if (!strstr(msg, "kong/plugins/defs-syntax/daos.lua:4:") || !strstr(msg, "'}' expected"))
        T_FAIL_AT("message: %s", msg);
    env_close(&e);
}

TEST(non_array_is_refused)
{
    struct env e;
    daoc_value *defs = NULL;
    bool found = false;
    char msg[512];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    ASSERT_INT(load(&e, "defs-nonarray", &defs, &found, msg, sizeof msg), DAOC_ESCHEMA);
    ASSERT_STR(msg, "custom plugin 'defs-nonarray' returned non-array daos definition table");
    ASSERT_INT(load_buf(&e, "return 42", &defs, msg, sizeof msg), DAOC_ESCHEMA);
    ASSERT_STR(msg, "custom plugin 'buf' returned non-array daos definition table");
    ASSERT_INT(load_buf(&e, "return {}", &defs, msg, sizeof msg), DAOC_OK);
    ASSERT_INT(daoc_value_type(defs), DAOC_TARR);
    ASSERT_INT(daoc_value_len(defs), 0);
    daoc_value_free(defs);
    env_close(&e);
}

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(data, 1, len, f);
    return fclose(f) == 0 && n == len ? 0 : -1;
}

TEST(bytecode_is_refused)
{
    char dir[200], p[1024], msg[1024], expect[1024];
    const char *tmp = getenv("DAOC_TEST_TMP");
    snprintf(dir, sizeof dir, "%s/lua_defs_bc_%d", tmp && *tmp ? tmp : "/tmp", (int)getpid());
    snprintf(p, sizeof p, "mkdir -p %s/kong/plugins/defs-bc %s/kong/plugins/defs-bcmod", dir,
             dir);
    ASSERT_INT(system(p), 0);
    static const char bc[] = "\x1bLJ\x02\x00\x00\x00";
    snprintf(p, sizeof p, "%s/kong/plugins/defs-bc/daos.lua", dir);
    ASSERT_INT(write_file(p, bc, sizeof bc - 1), 0);
    snprintf(p, sizeof p, "%s/kong/plugins/defs-bcmod/mod.lua", dir);
    ASSERT_INT(write_file(p, bc, sizeof bc - 1), 0);
    const char *req = "return require 'kong.plugins.defs-bcmod.mod'\n";
    snprintf(p, sizeof p, "%s/kong/plugins/defs-bcmod/daos.lua", dir);
    ASSERT_INT(write_file(p, req, strlen(req)), 0);

    struct env e;
    daoc_value *defs = NULL;
    bool found = false;
    ASSERT_INT(env_open(&e, dir), DAOC_OK);
    ASSERT_INT(load(&e, "defs-bc", &defs, &found, msg, sizeof msg), DAOC_ELUA);
    snprintf(expect, sizeof expect,
             "custom plugin 'defs-bc': cannot load bytecode: %s/kong/plugins/defs-bc/daos.lua", dir);
    ASSERT_STR(msg, expect);
    ASSERT_INT(load(&e, "defs-bcmod", &defs, &found, msg, sizeof msg), DAOC_ELUA);
    snprintf(expect, sizeof expect, "cannot load bytecode: %s/kong/plugins/defs-bcmod/mod.lua",
             dir);
    if (!strstr(msg, expect))
        T_FAIL_AT("message: %s", msg);
    /* the trusted require refuses it too */
    ASSERT_TRUE(run_lua(&e, "require 'kong.plugins.defs-bcmod.mod'", msg, sizeof msg) != 0);
    if (!strstr(msg, "cannot load bytecode"))
        T_FAIL_AT("message: %s", msg);
    env_close(&e);
    snprintf(p, sizeof p, "rm -rf %s", dir);
    ASSERT_INT(system(p), 0);
}

TEST(runaway_definition_hits_budget)
{
    struct env e;
    daoc_value *defs = NULL;
    bool found = false;
    char msg[512];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    e.ls->budget = 2000000;
    ASSERT_INT(load(&e, "defs-loop", &defs, &found, msg, sizeof msg), DAOC_ELUA);
    /* the file and line where it ran out, the plugin and the budget (the
     * inner loop of line 4 runs out; the pcall that catches it does not
     * change the message) */
    if (!strstr(msg, "kong/plugins/defs-loop/daos.lua:4: custom plugin 'defs-loop': definition "
                     "file exceeded its instruction budget (2000000 instructions)"))
        T_FAIL_AT("message: %s", msg);
    /* the hook is gone and the state still works */
    ASSERT_INT(run_lua(&e, "local n = 0 for i = 1, 3000000 do n = n + 1 end", msg, sizeof msg),
               0);
    ASSERT_INT(load(&e, "defs-current", &defs, &found, msg, sizeof msg), DAOC_OK);
    daoc_value_free(defs);
    env_close(&e);
}

/* What a definition file raises when it is not a message, and memory:
 * the plugin, the file and (when there is one) the line are named. */
TEST(raised_values_and_memory_are_named)
{
    struct env e;
    daoc_value *defs = NULL;
    char msg[512];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    ASSERT_INT(load_buf(&e, "local x = 1\nerror({})", &defs, msg, sizeof msg), DAOC_ELUA);
    ASSERT_STR(msg, "custom plugin 'buf': buf.lua:2: error object is a table value");
    ASSERT_INT(load_buf(&e, "error(true, 0)", &defs, msg, sizeof msg), DAOC_ELUA);
    ASSERT_STR(msg, "custom plugin 'buf': buf.lua:1: error object is a boolean value");
    ASSERT_INT(load_buf(&e, "error(setmetatable({}, { __tostring = function() return 'mine' end }))",
                        &defs, msg, sizeof msg),
               DAOC_ELUA);
    ASSERT_STR(msg, "custom plugin 'buf': buf.lua:1: mine");
    /* a memory error carries no position: plugin and file */
    ASSERT_INT(load_buf(&e, "local s = string.rep('xx', 2 ^ 30)\nreturn {}", &defs, msg,
                        sizeof msg),
               DAOC_ELUA);
    ASSERT_STR(msg, "custom plugin 'buf': buf.lua: not enough memory");
    /* strings keep Lua's own position; one raised without gets it */
    ASSERT_INT(load_buf(&e, "\nerror('plain')", &defs, msg, sizeof msg), DAOC_ELUA);
    ASSERT_STR(msg, "buf.lua:2: plain");
    ASSERT_INT(load_buf(&e, "\nerror('bare', 0)", &defs, msg, sizeof msg), DAOC_ELUA);
    ASSERT_STR(msg, "custom plugin 'buf': buf.lua:2: bare");
    ASSERT_INT(load_buf(&e, "error(7, 0)", &defs, msg, sizeof msg), DAOC_ELUA);
    ASSERT_STR(msg, "custom plugin 'buf': buf.lua:1: 7");
    ASSERT_NULL(defs);
    /* the state still loads */
    ASSERT_INT(load_buf(&e, "return {}", &defs, msg, sizeof msg), DAOC_OK);
    daoc_value_free(defs);
    env_close(&e);
}

TEST(sandbox_contents)
{
    struct env e;
    daoc_value *defs = NULL;
    bool found = false;
    char msg[512];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    ASSERT_INT(load(&e, "defs-sandbox", &defs, &found, msg, sizeof msg), DAOC_OK);
    ASSERT_STR(str_at(defs, "0.report"),
               "io=nil,debug=nil,dofile=nil,loadfile=nil,load=nil,loadstring=nil,setfenv=nil,"
               "getfenv=nil,collectgarbage=nil,os.execute=nil,os.time=function,"
               "string.format=function,bit.band=function,ngx.null=userdata,kong=table,"
               "ffi=string,cjson.null=userdata");
    ASSERT_TRUE(daoc_value_bool(path_get(defs, "0.same_null")));
    daoc_value_free(defs);
    /* plugin globals stay in the sandbox */
    ASSERT_INT(run_lua(&e, "assert(GLOBAL_FROM_PLUGIN == nil)", msg, sizeof msg), 0);
    env_close(&e);
}

/* ---- legacy generations ----------------------------------------------- */

#define LEGACY_JSON(immutable)                                                                     \
    "[{\"name\":\"keyauth_credentials\",\"primary_key\":[\"id\"],\"fields\":["                 \
    "{\"id\":{\"type\":\"string\",\"uuid\":true,\"auto\":true}},"                               \
    "{\"consumer_id\":{\"type\":\"string\",\"uuid\":true,\"required\":true}},"   \
    "{\"created_at\":{\"type\":\"integer\",\"timestamp\":true" immutable ",\"auto\":true}},"   \
    "{\"key\":{\"type\":\"string\",\"required\":false,\"unique\":true}}]}]"


TEST(legacy_1_1_schema_map)
{
    struct env e;
    daoc_value *defs = NULL;
    bool found = false;
    char msg[512], want[1024];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    int rc = load(&e, "defs-v11", &defs, &found, msg, sizeof msg);
    if (rc != DAOC_OK)
        T_FAIL_AT("load: %s", msg);
    ASSERT_INT(rc, DAOC_OK);
    snprintf(want, sizeof want, "%s", LEGACY_JSON(",\"immutable\":true"));
    if (!same_json_ignoring_order(defs, want)) {
        char *j = json_of(defs);
        T_FAIL_AT("got %s", j ? j : "(null)");
        daoc_free(j);
    }
    /* fields ordered: primary key first, then alphabetically */
    ASSERT_STR(daoc_obj_key_at(path_get(defs, "0.fields.1"), 0, NULL), "consumer_id");
    ASSERT_STR(daoc_obj_key_at(path_get(defs, "0.fields.3"), 0, NULL), "key");
    if (!strstr(logbuf, "foreign key to 'consumers:id' is not enforced"))
        T_FAIL_AT("log: %s", logbuf);
    daoc_value_free(defs);
    env_close(&e);
}

TEST(legacy_0_5_base_dao_class)
{
    struct env e;
    daoc_value *defs = NULL;
    bool found = false;
    char msg[512], want[1024];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    int rc = load(&e, "defs-v05", &defs, &found, msg, sizeof msg);
    if (rc != DAOC_OK)
        T_FAIL_AT("load: %s", msg);
    ASSERT_INT(rc, DAOC_OK);
    snprintf(want, sizeof want, "%s", LEGACY_JSON(""));
    if (!same_json_ignoring_order(defs, want)) {
        char *j = json_of(defs);
        T_FAIL_AT("got %s", j ? j : "(null)");
        daoc_free(j);
    }
    /* one deprecation notice for the plugin, naming the attributes */
    const char *dep = strstr(logbuf, "plugin 'defs-v05': deprecated: legacy DAO attribute(s) "
                                     "queryable, marshall_event have no equivalent");
    if (!dep || strstr(dep + 30, "deprecated") || strstr(logbuf, "'queryable'"))
        T_FAIL_AT("log: %s", logbuf);
    daoc_value_free(defs);
    env_close(&e);
}

/* foreign = "<entity>:<key>" on <name>_<key> becomes the foreign field
 * <name> (cascading, as 0.5's delete hooks); a referenced entity of the
 * same plugin comes first; Cassandra-era attributes give one notice. */
TEST(legacy_foreign_keys_and_order)
{
    struct env e;
    daoc_value *defs = NULL;
    char msg[512];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    ASSERT_INT(load_buf(&e,
                        "return {"
                        " a_children = { primary_key = {'id'}, clustering_key = {'x'}, fields = {"
                        "  id = {type = 'id', dao_insert_value = true},"
                        "  parent_id = {type = 'id', required = true, queryable = true,"
                        "               foreign = 'b_parents:id'},"
                        "  owner = {type = 'id', foreign = 'b_parents:id'},"
                        "  token = {type = 'string', queryable = true,"
                        "           default = function(t) return 'x' end} } },"
                        " b_parents = { primary_key = {'id'}, cache_key = {'name'}, fields = {"
                        "  id = {type = 'id', dao_insert_value = true},"
                        "  name = {type = 'string', queryable = true} } } }",
                        &defs, msg, sizeof msg),
               DAOC_OK);
    ASSERT_STR(str_at(defs, "0.name"), "b_parents");
    ASSERT_TRUE(path_get(defs, "0.cache_key") == NULL); /* 0.x: not a unique key */
    if (!strstr(logbuf, "legacy DAO 'b_parents': schema attribute 'cache_key'"))
        T_FAIL_AT("log: %s", logbuf);
    ASSERT_STR(str_at(defs, "1.name"), "a_children");
    ASSERT_STR(daoc_obj_key_at(path_get(defs, "1.fields.2"), 0, NULL), "parent");
    ASSERT_TRUE(same_json_ignoring_order(path_get(defs, "1.fields.2.parent"),
                                         "{\"type\":\"foreign\",\"reference\":\"b_parents\","
                                         "\"on_delete\":\"cascade\",\"required\":true}"));
    /* no _<key> suffix: stays a uuid string, reported */
    ASSERT_JSON(path_get(defs, "1.fields.1.owner"), "{\"type\":\"string\",\"uuid\":true}");
    if (!strstr(logbuf, "field 'owner': foreign key to 'b_parents:id' is not enforced"))
        T_FAIL_AT("log: %s", logbuf);
    { /* a function default is kept as __default_fn (schema.h) */
        const daoc_value *tok = NULL;
        const daoc_value *fl = path_get(defs, "1.fields");
        for (size_t i = 0; i < daoc_value_len(fl) && !tok; i++)
            tok = daoc_obj_get(daoc_arr_get(fl, i), "token");
        ASSERT_NOT_NULL(tok);
        ASSERT_NOT_NULL(daoc_obj_get(tok, "__default_fn"));
        ASSERT_INT(daoc_value_type(daoc_obj_get(tok, "__default_fn")), DAOC_TFUNC);
        ASSERT_TRUE(daoc_obj_get(tok, "default") == NULL);
    }
    const char *dep = strstr(logbuf, "plugin 'buf': deprecated: legacy DAO attribute(s) "
                                     "queryable, clustering_key have no equivalent");
    if (!dep || strstr(dep + 30, "deprecated"))
        T_FAIL_AT("log: %s", logbuf);
    daoc_value_free(defs);
    env_close(&e);
}

/* Kong 1.x-2.8's name-keyed map of current schemas, and 0.10-0.14's
 * `tables` list (tables made by migrations, no DAO). */
TEST(name_keyed_map_and_tables_list)
{
    struct env e;
    daoc_value *defs = NULL;
    char msg[512];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    ASSERT_INT(load_buf(&e,
                        "local typedefs = require 'kong.db.schema.typedefs'\n"
                        "return { my_things = { primary_key = {'id'}, fields = {"
                        " { id = typedefs.uuid }, { label = { type = 'string' } } } },"
                        " b_things = { name = 'b_things', primary_key = {'id'}, fields = {"
                        " { id = typedefs.uuid } } } }",
                        &defs, msg, sizeof msg),
               DAOC_OK);
    ASSERT_INT((long)defs->len, 2);
    ASSERT_STR(str_at(defs, "0.name"), "b_things");
    ASSERT_STR(str_at(defs, "1.name"), "my_things");
    ASSERT_STR(daoc_obj_key_at(path_get(defs, "1.fields.1"), 0, NULL), "label");
    daoc_value_free(defs);
    ASSERT_INT(load_buf(&e, "return { tables = { 'ratelimiting_metrics' } }", &defs, msg,
                        sizeof msg),
               DAOC_OK);
    ASSERT_INT((long)defs->len, 0);
    if (!strstr(logbuf, "lists tables (ratelimiting_metrics) that its migrations create"))
        T_FAIL_AT("log: %s", logbuf);
    daoc_value_free(defs);
    env_close(&e);
}

TEST(legacy_table_name_and_bad_type)
{
    struct env e;
    daoc_value *defs = NULL;
    char msg[512];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    ASSERT_INT(load_buf(&e,
                        "return { things = { table = 'thing_rows', primary_key = {'id'}, fields = {"
                        " id = {type = 'id'}, tags = {type = 'array'}, kind = {type = 'string',"
                        " enum = {'a', 'b'}, default = 'a'} } } }",
                        &defs, msg, sizeof msg),
               DAOC_OK);
    ASSERT_STR(str_at(defs, "0.table_name"), "thing_rows");
    ASSERT_JSON(path_get(defs, "0.fields.0.id"), "{\"type\":\"string\",\"uuid\":true}");
    ASSERT_TRUE(same_json_ignoring_order(
        path_get(defs, "0.fields.1.kind"),
        "{\"type\":\"string\",\"one_of\":[\"a\",\"b\"],\"default\":\"a\"}"));
    ASSERT_JSON(path_get(defs, "0.fields.2.tags"),
                "{\"type\":\"array\",\"elements\":{\"type\":\"string\"}}");
    daoc_value_free(defs);
    ASSERT_INT(load_buf(&e,
                        "return { things = { primary_key = {'id'}, fields = {"
                        " id = {type = 'id'}, x = {type = 'blob'} } } }",
                        &defs, msg, sizeof msg),
               DAOC_ESCHEMA);
    ASSERT_STR(msg, "custom plugin 'buf' legacy DAO 'things': field 'x': unsupported legacy "
                    "type 'blob'");
    env_close(&e);
}

/* ---- typedefs -------------------------------------------------------- */

TEST(typedefs_expand_and_override)
{
    struct env e;
    daoc_value *defs = NULL;
    char msg[512];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    int rc = load_buf(&e,
                      "local t = require 'kong.db.schema.typedefs'\n"
                      "local u = t.uuid { auto = false }\n"
                      "return { u, t.uuid, t.port { default = 80 }, t.protocols,\n"
                      "  t.auto_timestamp_ms, t.no_service, t.http_method, t.timeout, t.ttl,\n"
                      "  t.path, t.semantic_version, { same = t.cidr == t.cidr_v4 } }\n",
                      &defs, msg, sizeof msg);
    if (rc != DAOC_OK)
        T_FAIL_AT("load: %s", msg);
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_TRUE(same_json_ignoring_order(path_get(defs, "0"),
                                         "{\"type\":\"string\",\"uuid\":true,\"auto\":false}"));
    ASSERT_TRUE(same_json_ignoring_order(path_get(defs, "1"),
                                         "{\"type\":\"string\",\"uuid\":true,\"auto\":true}"));
    ASSERT_TRUE(same_json_ignoring_order(
        path_get(defs, "2"), "{\"type\":\"integer\",\"between\":[0,65535],\"default\":80}"));
    ASSERT_TRUE(same_json_ignoring_order(
        path_get(defs, "3"),
        "{\"type\":\"set\",\"required\":true,\"default\":[\"grpc\",\"grpcs\",\"http\",\"https\"],"
        "\"elements\":{\"type\":\"string\",\"one_of\":[\"grpc\",\"grpcs\",\"http\",\"https\","
        "\"tcp\",\"tls\",\"tls_passthrough\",\"udp\"]}}"));
    ASSERT_TRUE(same_json_ignoring_order(
        path_get(defs, "4"), "{\"type\":\"number\",\"timestamp\":true,\"auto\":true}"));
    ASSERT_STR(str_at(defs, "5.reference"), "services");
    ASSERT_INT(daoc_value_type(path_get(defs, "5.eq")), DAOC_TNULL);
    ASSERT_STR(str_at(defs, "6.match"), "^%u+$");
    ASSERT_JSON(path_get(defs, "7.between"), "[0,2147483646]");
    ASSERT_JSON(path_get(defs, "8.between"), "[0,100000000]");
    ASSERT_STR(str_at(defs, "9.starts_with"), "/");
    ASSERT_STR(str_at(defs, "9.match_none.0.err"), "must not have empty segments");
    ASSERT_STR(str_at(defs, "10.match_any.err"),
               "invalid version number: must be in format of X.Y.Z");
    ASSERT_TRUE(daoc_value_bool(path_get(defs, "11.same")));
    daoc_value_free(defs);

    ASSERT_INT(load_buf(&e, "local t = require 'kong.db.schema.typedefs'\n\nreturn { t.nope }",
                        &defs, msg, sizeof msg),
               DAOC_ELUA);
    ASSERT_STR(msg, "buf.lua:3: schema typedef error: definition nope does not exist");
    env_close(&e);
}

TEST(builtin_validators_from_lua)
{
    struct env e;
    char msg[512];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    daoc__callable *probe = daoc__builtin_validator("ip");
    if (!probe) {
        T_FAIL_AT("built-in validator 'ip' is not available");
        env_close(&e);
        return;
    }
    daoc__callable_unref(probe);
    int rc = run_lua(&e,
                     "local t = require 'kong.db.schema.typedefs'\n"
                     "assert(t.ip.custom_validator('10.0.0.1') == true)\n"
                     "local ok, err = t.ip.custom_validator('nope')\n"
                     "assert(ok == nil and err == 'not an ip address: nope', tostring(err))\n"
                     "assert(t.name.custom_validator('a b') == nil)\n",
                     msg, sizeof msg);
    if (rc)
        T_FAIL_AT("lua: %s", msg);
    ASSERT_INT(rc, 0);
    /* converting the closure gives back the C callable itself */
    daoc_value *defs = NULL;
    ASSERT_INT(load_buf(&e, "return { require('kong.db.schema.typedefs').tag }", &defs, msg,
                        sizeof msg),
               DAOC_OK);
    const daoc_value *cv = path_get(defs, "0.custom_validator");
    ASSERT_INT(daoc_value_type(cv), DAOC_TFUNC);
    ASSERT_STR(cv->u.f->builtin, "tag");
    daoc_value_free(defs);
    env_close(&e);
}

/* ---- conversions -------------------------------------------------------- */

TEST(push_value_shapes)
{
    struct env e;
    char msg[512];
    daoc_value *v = NULL;
    const char *json = "{\"s\":\"x\",\"n\":null,\"i\":42,\"f\":1.5,\"arr\":[1,[2,{\"a\":true}]],"
                       "\"empty\":[],\"obj\":{}}";
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    ASSERT_INT(daoc_json_decode(json, strlen(json), &v, NULL), DAOC_OK);
    daoc_value *sparse = daoc_obj();
    ASSERT_INT(daoc_obj_set(sparse, "2", daoc_str("msg")), DAOC_OK);
    sparse->flags |= DAOC__VF_INTKEYS;
    ASSERT_INT(daoc_obj_set(v, "sparse", sparse), DAOC_OK);
    daoc_value *amb = daoc_obj();
    amb->flags |= DAOC__VF_EMPTYTABLE;
    ASSERT_INT(daoc_obj_set(v, "amb", amb), DAOC_OK);

    ASSERT_INT(daoc__lua_push_value(e.ls, v), DAOC_OK);
    lua_setglobal(e.ls->L, "V");
    int rc = run_lua(&e,
                     "local cjson = require 'cjson'\n"
                     "assert(V.s == 'x' and V.n == ngx.null and V.n == cjson.null)\n"
                     "assert(V.i == 42 and V.f == 1.5)\n"
                     "assert(V.arr[2][2].a == true and #V.arr == 2)\n"
                     "assert(getmetatable(V.arr) == cjson.array_mt)\n"
                     "assert(getmetatable(V.empty) == cjson.array_mt and next(V.empty) == nil)\n"
                     "assert(getmetatable(V.obj) == nil and getmetatable(V.amb) == nil)\n"
                     "assert(V.sparse[2] == 'msg' and V.sparse['2'] == nil)\n"
                     "assert(cjson.encode(V.empty) == '[]')\n"
                     "assert(cjson.encode(V.sparse) == '[null,\"msg\"]')\n",
                     msg, sizeof msg);
    if (rc)
        T_FAIL_AT("lua: %s", msg);
    ASSERT_INT(rc, 0);

    /* and back */
    lua_getglobal(e.ls->L, "V");
    daoc_value *back = NULL;
    const char *why = NULL;
    ASSERT_INT(daoc__lua_to_value(e.ls, -1, &back, &why), DAOC_OK);
    lua_pop(e.ls->L, 1);
    ASSERT_TRUE(daoc__value_equal(v, back));
    ASSERT_INT(daoc_value_type(daoc_obj_get(back, "i")), DAOC_TINT);
    ASSERT_INT(daoc_value_type(daoc_obj_get(back, "f")), DAOC_TNUM);
    ASSERT_INT(daoc_value_type(daoc_obj_get(back, "empty")), DAOC_TARR);
    ASSERT_TRUE(daoc_obj_get(back, "sparse")->flags & DAOC__VF_INTKEYS);
    ASSERT_TRUE(daoc_obj_get(back, "obj")->flags & DAOC__VF_EMPTYTABLE);
    daoc_value_free(back);
    daoc_value_free(v);
    env_close(&e);
}

static int to_value_of(struct env *e, const char *expr, daoc_value **out, const char **why)
{
    char code[512];
    snprintf(code, sizeof code, "return %s", expr);
    if (luaL_loadstring(e->ls->L, code) || lua_pcall(e->ls->L, 0, 1, 0))
        return -100;
    int rc = daoc__lua_to_value(e->ls, -1, out, why);
    lua_pop(e->ls->L, 1);
    return rc;
}

TEST(to_value_rules)
{
    struct env e;
    daoc_value *v = NULL;
    const char *why = NULL;
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);

    ASSERT_INT(to_value_of(&e, "{1, 'a', true, ngx.null}", &v, &why), DAOC_OK);
    ASSERT_JSON(v, "[1,\"a\",true,null]");
    daoc_value_free(v);

    ASSERT_INT(to_value_of(&e, "{}", &v, &why), DAOC_OK);
    ASSERT_INT(daoc_value_type(v), DAOC_TOBJ);
    ASSERT_TRUE(v->flags & DAOC__VF_EMPTYTABLE);
    daoc_value_free(v);

    ASSERT_INT(to_value_of(&e, "setmetatable({}, require('cjson').array_mt)", &v, &why),
               DAOC_OK);
    ASSERT_INT(daoc_value_type(v), DAOC_TARR);
    daoc_value_free(v);

    ASSERT_INT(to_value_of(&e, "{[3] = 'c', [1] = 'a'}", &v, &why), DAOC_OK);
    ASSERT_INT(daoc_value_type(v), DAOC_TOBJ);
    ASSERT_TRUE(v->flags & DAOC__VF_INTKEYS);
    ASSERT_STR(daoc_obj_key_at(v, 0, NULL), "1");
    ASSERT_STR(daoc_obj_key_at(v, 1, NULL), "3");
    daoc_value_free(v);

    ASSERT_INT(to_value_of(&e, "{a = 1, [2] = 'two', [1.5] = 'x'}", &v, &why), DAOC_OK);
    ASSERT_STR(daoc_value_str(daoc_obj_get(v, "2"), NULL), "two");
    ASSERT_STR(daoc_value_str(daoc_obj_get(v, "1.5"), NULL), "x");
    ASSERT_TRUE(!(v->flags & DAOC__VF_INTKEYS));
    daoc_value_free(v);

    ASSERT_INT(to_value_of(&e, "3", &v, &why), DAOC_OK);
    ASSERT_INT(daoc_value_type(v), DAOC_TINT);
    daoc_value_free(v);
    ASSERT_INT(to_value_of(&e, "-0.25", &v, &why), DAOC_OK);
    ASSERT_INT(daoc_value_type(v), DAOC_TNUM);
    daoc_value_free(v);
    ASSERT_INT(to_value_of(&e, "2^60", &v, &why), DAOC_OK);
    ASSERT_INT(daoc_value_type(v), DAOC_TNUM);
    daoc_value_free(v);
    ASSERT_INT(to_value_of(&e, "2^53", &v, &why), DAOC_OK);
    ASSERT_INT(daoc_value_type(v), DAOC_TINT);
    daoc_value_free(v);
    ASSERT_INT(to_value_of(&e, "'a\\0b'", &v, &why), DAOC_OK);
    size_t len = 0;
    daoc_value_str(v, &len);
    ASSERT_INT(len, 3);
    daoc_value_free(v);

    ASSERT_INT(to_value_of(&e, "(function() local t = {} t.self = {t} return t end)()", &v, &why),
               DAOC_EINVAL);
    ASSERT_STR(why, "table contains a cycle");
    ASSERT_INT(to_value_of(&e, "(function() local s = {1} return {s, s, {s}} end)()", &v, &why),
               DAOC_OK); /* shared, not cyclic */
    ASSERT_JSON(v, "[[1],[1],[[1]]]");
    daoc_value_free(v);
    ASSERT_INT(to_value_of(&e, "coroutine.create(print)", &v, &why), DAOC_EINVAL);
    ASSERT_INT(to_value_of(&e, "io.stdout", &v, &why), DAOC_EINVAL);
    ASSERT_INT(to_value_of(&e, "{[true] = 1}", &v, &why), DAOC_EINVAL);
    ASSERT_INT(to_value_of(&e,
                           "(function() local t = {} for i = 1, 150 do t = {t} end return t end)()",
                           &v, &why),
               DAOC_EINVAL);
    ASSERT_STR(why, "table nesting deeper than 100");
    env_close(&e);
}

TEST(callables_call_back)
{
    struct env e;
    daoc_value *v = NULL, *ret = NULL;
    const char *why = NULL;
    char *msg = NULL, lmsg[256];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    ASSERT_INT(to_value_of(&e,
                           "{ ok = function(x) return x.n + 1 end,"
                           "  no = function(x) return nil, 'bad ' .. tostring(x) end,"
                           "  nomsg = function() return false end,"
                           "  boom = function() error('boom!') end,"
                           "  tbl = function(a, b) return { sum = a + b } end }",
                           &v, &why),
               DAOC_OK);
    daoc__callable *ok = daoc_obj_get(v, "ok")->u.f, *no = daoc_obj_get(v, "no")->u.f;
    daoc__callable *nomsg = daoc_obj_get(v, "nomsg")->u.f, *boom = daoc_obj_get(v, "boom")->u.f;
    daoc__callable *tbl = daoc_obj_get(v, "tbl")->u.f;
    daoc_value *arg = NULL;
    ASSERT_INT(daoc_json_decode("{\"n\":41}", 8, &arg, NULL), DAOC_OK);
    const daoc_value *args[2] = {arg, NULL};
    ASSERT_INT(ok->call(ok, args, 1, &ret, &msg), 1);
    ASSERT_INT(daoc_value_int(ret), 42);
    daoc_value_free(ret);
    daoc_value_free(arg);

    arg = daoc_int(7);
    args[0] = arg;
    ASSERT_INT(no->call(no, args, 1, NULL, &msg), 0);
    ASSERT_STR(msg, "bad 7");
    daoc__free(msg);
    ASSERT_INT(nomsg->call(nomsg, args, 0, NULL, &msg), 0);
    ASSERT_NULL(msg);
    ASSERT_INT(boom->call(boom, args, 0, NULL, &msg), DAOC_ELUA);
    if (!msg || !strstr(msg, "boom!"))
        T_FAIL_AT("message: %s", msg ? msg : "(null)");
    daoc__free(msg);
    args[1] = arg;
    ASSERT_INT(tbl->call(tbl, args, 2, &ret, &msg), 1);
    ASSERT_JSON(ret, "{\"sum\":14}");
    daoc_value_free(ret);
    daoc_value_free(arg);

    /* a Lua function pushed back is the same function */
    ASSERT_INT(daoc__lua_push_value(e.ls, daoc_obj_get(v, "ok")), DAOC_OK);
    lua_setglobal(e.ls->L, "F");
    ASSERT_INT(run_lua(&e, "assert(F({n = 1}) == 2)", lmsg, sizeof lmsg), 0);
    daoc_value_free(v);
    lua_pushnil(e.ls->L);
    lua_setglobal(e.ls->L, "F");
    env_close(&e);
}

TEST(shims_cjson_ngx_utils)
{
    struct env e;
    char msg[512];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    int rc = run_lua(&e,
                     "local cjson = require 'cjson'\n"
                     "local t = cjson.decode('{\"a\":[1,2],\"b\":null}')\n"
                     "assert(t.a[2] == 2 and t.b == ngx.null)\n"
                     "assert(cjson.encode({1,2}) == '[1,2]')\n"
                     "assert(cjson.encode({}) == '{}')\n"
                     "assert(cjson.encode(cjson.empty_array) == '[]')\n"
                     "assert(not pcall(cjson.decode, '{'))\n"
                     "assert(require('cjson.safe').decode('{') == nil)\n"
                     "assert(ngx.encode_base64('hi?', true) == 'aGk/')\n"
                     "assert(ngx.decode_base64('aGk/') == 'hi?')\n"
                     "assert(type(ngx.time()) == 'number' and ngx.now() >= ngx.time())\n"
                     "local u = require('kong.tools.utils').uuid()\n"
                     "assert(require('kong.tools.uuid').is_valid_uuid(u), u)\n"
                     "assert(not require('kong.tools.utils').is_valid_uuid('x'))\n"
                     "ngx.log(ngx.WARN, 'hello ', 42)\n"
                     "assert(ngx.config.subsystem == 'http')\n",
                     msg, sizeof msg);
    if (rc)
        T_FAIL_AT("lua: %s", msg);
    ASSERT_INT(rc, 0);
    ASSERT_TRUE(strstr(logbuf, "hello 42") != NULL);
    env_close(&e);
}

TEST(compiles_with_schema_compiler)
{
    struct env e;
    daoc_value *defs = NULL;
    bool found = false;
    char msg[512];
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    ASSERT_INT(load(&e, "defs-v11", &defs, &found, msg, sizeof msg), DAOC_OK);
    daoc__schema *s = NULL;
    char *errmsg = NULL;
    int rc = daoc__schema_compile(daoc_arr_get(defs, 0), NULL, NULL, &s, &errmsg);
    if (rc != DAOC_OK)
        T_FAIL_AT("compile: %s", errmsg ? errmsg : "?");
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_INT(s->nfields, 4);
    daoc__schema_free(s);
    daoc__free(errmsg);
    daoc_value_free(defs);
    env_close(&e);
}
