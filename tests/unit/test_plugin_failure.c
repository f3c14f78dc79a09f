/*
 * test_plugin_failure.c -- plugins that fail, on the store DAOC_DATABASE
 * names (SQLite by default; scripts/run-tests.sh runs it on PostgreSQL too).
 *
 * A plugin whose files cannot be used stops daoc_db_open with a message
 * naming the plugin, the file and line, or the entity and field, and no
 * table is left behind for it or for the good plugin loaded beside it.
 * Plugin code that runs later (a custom_validator, an entity check, a
 * custom DAO method) has the instruction budget of loading: a loop fails
 * that one call, through the C API and through kong.db in a script.  A
 * plugin directory carrying handler.lua and api.lua that require modules
 * daoc lacks loads all the same.
 *
 * The refused plugins are written under $DAOC_TEST_TMP with entity names
 * carrying the process id, so their tables are new to any database; the
 * fixtures pf-loop and pf-handler are in tests/fixtures/kong/plugins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errtext.h"
#include "harness.h"

#include "core/alloc.h"
#include "db/db.h"
#include "lua/lua_internal.h"
#include "store/deploy.h"
#include "store/store.h"

static char root[1024];   /* plugins written by this suite */
static char dbfile[1100]; /* the SQLite file of the current test */

static const char *tmp_dir(void)
{
    const char *t = getenv("DAOC_TEST_TMP");
    return t && *t ? t : "/tmp";
}

static const char *src_dir(void)
{
    const char *d = getenv("DAOC_SRC_DIR");
    return d && *d ? d : ".";
}

static void mkdirs(const char *path)
{
    char p[1500];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0700);
            *s = '/';
        }
    }
    mkdir(p, 0700);
}

/* Writes kong/plugins/<plugin>/<file> under root. */
static void write_plugin(const char *plugin, const char *file, const char *text)
{
    char path[1400];
    if (!root[0])
        snprintf(root, sizeof root, "%s/pf_%d", tmp_dir(), (int)getpid());
    snprintf(path, sizeof path, "%s/kong/plugins/%s", root, plugin);
    mkdirs(path);
    snprintf(path, sizeof path, "%s/kong/plugins/%s/%s", root, plugin, file);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        abort();
}

static void new_dbfile(const char *tag)
{
    static int seq;
    snprintf(dbfile, sizeof dbfile, "%s/pf_%s_%d_%d.db", tmp_dir(), tag, (int)getpid(), seq++);
    unlink(dbfile);
}

/* Opens dbfile (SQLite) or the configured PostgreSQL database with
 * `plugins`, creating tables; why receives the error message. */
static int open_db(daoc_db **db, const char *plugins, char *why, size_t n)
{
    daoc_config *cfg = NULL;
    char path[3000];
    if (!root[0])
        snprintf(root, sizeof root, "%s/pf_%d", tmp_dir(), (int)getpid());
    snprintf(path, sizeof path,
             "%s/?.lua;%s/?/init.lua;%s/tests/fixtures/?.lua;"
             "%s/tests/fixtures/?/init.lua",
             root, root, src_dir(), src_dir());
    *db = NULL;
    if (t_config_load(&cfg, NULL, why, n) != DAOC_OK)
        abort();
    const char *kind = getenv("DAOC_DATABASE");
    if ((!kind || strcmp(kind, "sqlite") == 0) &&
        t_config_set(cfg, "sqlite_path", dbfile, why, n) != DAOC_OK)
        abort();
    if (t_config_set(cfg, "lua_package_path", path, why, n) != DAOC_OK ||
        t_config_set(cfg, "plugins", plugins, why, n) != DAOC_OK ||
        t_config_set(cfg, "create_tables", "on", why, n) != DAOC_OK)
        abort();
    daoc_error *err = NULL;
    int rc = daoc_db_open(db, cfg, &err);
    daoc_config_free(cfg);
    return t_errtext("daoc_db_open", rc, err, why, n);
}

/* Whether the database of dbfile has table t (opened again, core only). */
static int has_table(const char *t)
{
    daoc_db *db = NULL;
    daoc_value *names = NULL;
    char why[600], *msg = NULL;
    if (open_db(&db, "", why, sizeof why) != DAOC_OK) {
        fprintf(stderr, "reopen: %s\n", why);
        return -1;
    }
    int found = -1;
    if (db->store->deploy->list_tables(db->store, &names, &msg) == DAOC_OK) {
        found = 0;
        for (size_t i = 0; i < daoc_value_len(names); i++) {
            const char *s = daoc_value_str(daoc_arr_get(names, i), NULL);
            found = found || (s && strcmp(s, t) == 0);
        }
    }
    daoc__free(msg);
    daoc_value_free(names);
    daoc_db_close(db);
    return found;
}

#define ASSERT_HAS(hay, needle)                                                                    \
    do {                                                                                           \
        if (!strstr((hay), (needle))) {                                                            \
            T_FAIL_AT("message\n      %s\n    lacks\n      %s", (hay), (needle));                  \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* ---- definitions and files refused at open --------------------------- */

struct refused {
    const char *plugin; /* directory under kong/plugins */
    const char *daos;   /* daos.lua; @E = the entity name */
    const char *want;   /* in the message; @E = the entity name */
};

#define ENT "{ name = '@E', primary_key = { 'id' }, "
#define ID "{ id = { type = 'string', uuid = true, auto = true } }"

static const struct refused REFUSED[] = {
    {"pf-objerr", "local n = 1\nerror({})\n", "custom plugin 'pf-objerr': "},
    {"pf-objerr", "local n = 1\nerror({})\n",
     "kong/plugins/pf-objerr/daos.lua:2: error object is a table value"},
    {"pf-oom", "local s = string.rep('xx', 2 ^ 30)\nreturn {}\n", "custom plugin 'pf-oom': "},
    {"pf-oom", "local s = string.rep('xx', 2 ^ 30)\nreturn {}\n",
     "kong/plugins/pf-oom/daos.lua: not enough memory"},
    {"pf-missing", "local x = 1\nlocal util = require 'kong.plugins.pf-missing.nope'\n",
     "kong/plugins/pf-missing/daos.lua:2: module 'kong.plugins.pf-missing.nope' not found"},
    {"pf-bare", "return { " ENT "fields = { 'id' } } }\n",
     "schema of custom plugin entity 'pf-bare.@E' is invalid: fields.1: expected a table with "
     "one key, the field's name, as in { id = { type = \"string\" } }; got the string 'id'"},
    {"pf-fkcol",
     "return { " ENT "fields = { " ID ", { consumer = { type = 'foreign', reference = "
     "'consumers' } }, { consumer_id = { type = 'string' } } } } }\n",
     "schema of custom plugin entity 'pf-fkcol.@E' is invalid: consumer_id: this field would be "
     "stored in the column 'consumer_id', which is already the column of the field 'consumer' (a "
     "foreign key is stored in <field>_<key of the entity it references>); rename one of them"},
    {"pf-wsid",
     "return { " ENT "workspaceable = true, fields = { " ID ", { ws_id = { type = 'string' } } } "
     "} }\n",
     "schema of custom plugin entity 'pf-wsid.@E' is invalid: ws_id: the column 'ws_id' is "
     "taken: the entity is workspaceable and the store keeps each row's workspace there; rename "
     "the field"},
    {"pf-ttl",
     "return { " ENT "ttl = true, fields = { " ID ", { TTL = { type = 'integer' } } } } }\n",
     "schema of custom plugin entity 'pf-ttl.@E' is invalid: TTL: the column 'TTL' is taken: "
     "ttl = true and the store keeps each row's expiry time there; rename the field"},
    {"pf-ckey",
     "return { " ENT "cache_key = { 'a', 'b' }, fields = { " ID ", { a = { type = 'string' } }, "
     "{ b = { type = 'string' } }, { cache_key = { type = 'string' } } } } }\n",
     "schema of custom plugin entity 'pf-ckey.@E' is invalid: cache_key: the column 'cache_key' "
     "is taken: the cache_key has several fields and the store keeps the composite key there; "
     "rename the field"},
    {"pf-sys", "return { " ENT "fields = { " ID ", { xmin = { type = 'integer' } } } } }\n",
     "schema of custom plugin entity 'pf-sys.@E' is invalid: xmin: the column 'xmin' is taken: "
     "PostgreSQL gives every table a system column of that name; rename the field"},
    {"pf-shared", "return { " ENT "table_name = 'consumers', fields = { " ID " } } }\n",
     "schema of custom plugin entity 'pf-shared.@E' is invalid: table_name: the table "
     "'consumers' is already the table of core entity 'consumers' (table names are compared "
     "ignoring case, as SQLite compares them); rename the entity or give it another table_name"},
    {"pf-case",
     "return { " ENT "fields = { " ID
     " } }, { name = '@E_b', primary_key = { 'id' }, fields = { " ID
     " } }, { name = '@E_B', primary_key = { 'id' }, fields = { " ID " } } }\n",
     "schema of custom plugin entity 'pf-case.@E_B' is invalid: name: the table '@E_B' is already "
     "the table of custom plugin entity 'pf-case.@E_b' (table names are compared ignoring case, "
     "as SQLite compares them); rename the entity or give it another table_name"},
};

/* Catalog-like names: refused whatever follows the prefix. */
static const char *const CATALOGS[] = {"pg_class", "sqlite_master", "pg_@E", "SQLite_@E"};

/* tmpl with every "@E" replaced by e. */
static void subst(char *out, size_t n, const char *tmpl, const char *e)
{
    size_t o = 0, el = strlen(e);
    for (const char *p = tmpl; *p && o + 1 < n; p++) {
        if (p[0] == '@' && p[1] == 'E' && o + el + 1 < n) {
            memcpy(out + o, e, el);
            o += el;
            p++;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

TEST(refused_plugins_are_named_and_leave_no_table)
{
    char good[64], ent[64], daos[1024], want[1024], why[1200], plugins[128];
    snprintf(good, sizeof good, "pf_good_%d", (int)getpid());
    snprintf(daos, sizeof daos,
             "return { { name = '%s', primary_key = { 'id' }, fields = { " ID " } } }\n", good);
    write_plugin("pf-good", "daos.lua", daos);
    for (size_t i = 0; i < sizeof REFUSED / sizeof REFUSED[0]; i++) {
        const struct refused *r = &REFUSED[i];
        daoc_db *db = NULL;
        snprintf(ent, sizeof ent, "pf_bad%zu_%d", i, (int)getpid());
        subst(daos, sizeof daos, r->daos, ent);
        subst(want, sizeof want, r->want, ent);
        write_plugin(r->plugin, "daos.lua", daos);
        snprintf(plugins, sizeof plugins, "pf-good,%s", r->plugin);
        new_dbfile("refused");
        int rc = open_db(&db, plugins, why, sizeof why);
        if (rc == DAOC_OK)
            daoc_db_close(db);
        if (rc != DAOC_ELUA && rc != DAOC_ESCHEMA)
            T_FAIL_AT("case %zu (%s): status %s: %s", i, r->plugin, daoc_status_name(rc), why);
        ASSERT_TRUE(rc == DAOC_ELUA || rc == DAOC_ESCHEMA);
        ASSERT_HAS(why, want);
        /* nothing of either plugin was created */
        ASSERT_INT(has_table(good), 0);
        ASSERT_INT(has_table(ent), 0);
        unlink(dbfile);
    }
    for (size_t i = 0; i < sizeof CATALOGS / sizeof CATALOGS[0]; i++) {
        daoc_db *db = NULL;
        char tail[32];
        snprintf(tail, sizeof tail, "%d_notes", (int)getpid());
        subst(ent, sizeof ent, CATALOGS[i], tail);
        snprintf(daos, sizeof daos,
                 "return { { name = '%s', primary_key = { 'id' }, fields = { " ID " } } }\n", ent);
        write_plugin("pf-catalog", "daos.lua", daos);
        snprintf(want, sizeof want,
                 "schema of custom plugin entity 'pf-catalog.%s' is invalid: "
                 "name: the table name '%s' is reserved: PostgreSQL looks pg_* names up in its "
                 "system catalog first and SQLite keeps sqlite_* names to itself (refused on every "
                 "store); rename the entity or give it another table_name",
                 ent, ent);
        new_dbfile("catalog");
        int rc = open_db(&db, "pf-good,pf-catalog", why, sizeof why);
        if (rc == DAOC_OK)
            daoc_db_close(db);
        ASSERT_INT(rc, DAOC_ESCHEMA);
        ASSERT_STR(why, want);
        ASSERT_INT(has_table(good), 0);
        unlink(dbfile);
    }
}

/* ---- plugin code that runs later has the budget of loading ------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Inserts {key = key, n = n} (n < 0: absent); returns the status, with
 * the error's code and text (message and fields as JSON) in why. */
static int insert(daoc_dao *dao, const char *key, int n, int *code, char *why, size_t size)
{
    char json[200];
    daoc_value *in = NULL, *out = NULL;
    daoc_error *err = NULL;
    if (n >= 0)
        snprintf(json, sizeof json, "{\"key\":\"%s\",\"n\":%d}", key, n);
    else
        snprintf(json, sizeof json, "{\"key\":\"%s\"}", key);
    if (daoc_json_decode(json, strlen(json), &in, NULL) != DAOC_OK)
        abort();
    int rc = daoc_dao_insert(dao, in, NULL, &out, &err);
    *code = err ? daoc_error_code(err) : 0;
    why[0] = '\0';
    if (err) {
        char *fields = NULL;
        size_t len;
        if (daoc_error_fields(err))
            if (daoc_json_encode(daoc_error_fields(err), &fields, &len) != DAOC_OK)
                fields = NULL;
        snprintf(why, size, "%s %s", daoc_error_message(err) ? daoc_error_message(err) : "",
                 fields ? fields : "");
        daoc_free(fields);
    }
    daoc_error_free(err);
    daoc_value_free(in);
    daoc_value_free(out);
    return rc;
}

TEST(looping_plugin_code_fails_the_call_through_the_c_api)
{
    daoc_db *db = NULL;
    char why[1200];
    int code = 0;
    new_dbfile("loop");
    ASSERT_INT(open_db(&db, "pf-loop", why, sizeof why), DAOC_OK);
    db->lua->budget = 2000000; /* the default is 50M: same rule, faster test */
    daoc_dao *dao = daoc_db_dao(db, "pf_loop_things");
    ASSERT_NOT_NULL(dao);
    double t0 = now_s();
    /* the custom_validator loops: the insert is a schema violation on the
     * field, naming the file, the line and the budget */
    ASSERT_TRUE(insert(dao, "spin", -1, &code, why, sizeof why) != DAOC_OK);
    ASSERT_INT(code, DAOC_ERR_SCHEMA_VIOLATION);
    ASSERT_HAS(why, "kong/plugins/pf-loop/daos.lua:14: plugin code exceeded its instruction "
                    "budget (2000000 instructions)");
    ASSERT_HAS(why, "{\"key\":");
    /* a pcall around the loop does not keep it going */
    ASSERT_TRUE(insert(dao, "pcall", -1, &code, why, sizeof why) != DAOC_OK);
    ASSERT_INT(code, DAOC_ERR_SCHEMA_VIOLATION);
    ASSERT_HAS(why, "kong/plugins/pf-loop/daos.lua:17: plugin code exceeded its instruction "
                    "budget (2000000 instructions)");
    /* the entity check loops */
    ASSERT_TRUE(insert(dao, "fine", 13, &code, why, sizeof why) != DAOC_OK);
    ASSERT_INT(code, DAOC_ERR_SCHEMA_VIOLATION);
    ASSERT_HAS(why, "kong/plugins/pf-loop/daos.lua:28: plugin code exceeded its instruction "
                    "budget (2000000 instructions)");
    /* each call has a budget of its own: the next ones work */
    ASSERT_INT(insert(dao, "fine", 12, &code, why, sizeof why), DAOC_OK);
    ASSERT_INT(insert(dao, "fine", -1, &code, why, sizeof why), DAOC_OK);
    double spent = now_s() - t0;
    if (spent > 20.0)
        T_FAIL_AT("three budgets of 2M instructions took %.1f s", spent);
    daoc_db_close(db);
    unlink(dbfile);
}

static const char SCRIPT[] =
    "local things = kong.db.pf_loop_things\n"
    "local row, err, err_t = things:insert({ key = 'spin' })\n"
    "assert(row == nil and err_t and err_t.code == 2, tostring(err))\n"
    "assert(err_t.name == 'schema violation', err_t.name)\n"
    "assert(err_t.fields.key:find('plugin code exceeded its instruction budget', 1, true),\n"
    "       err_t.fields.key)\n"
    "assert(err:find('schema violation (key: ', 1, true), err)\n"
    "row, err, err_t = things:insert({ key = 'fine', n = 13 })\n"
    "assert(row == nil and err_t.code == 2, tostring(err))\n"
    "-- a custom DAO method that loops raises, naming its line and the budget\n"
    "local ok, e = pcall(things.spin, things)\n"
    "assert(not ok and e:find('pf-loop/things.lua:7: plugin code exceeded its instruction "
    "budget', 1, true), tostring(e))\n"
    "assert(things:count_to(1000) == 1000)\n"
    "assert(things:insert({ key = 'fine' }))\n"
    "-- the script itself is trusted: no budget\n"
    "local n = 0\n"
    "for i = 1, 5000000 do n = n + 1 end\n"
    "assert(n == 5000000)\n";

TEST(looping_plugin_code_fails_the_call_through_kong_db)
{
    daoc_db *db = NULL;
    char why[1200], path[1200];
    new_dbfile("script");
    ASSERT_INT(open_db(&db, "pf-loop", why, sizeof why), DAOC_OK);
    db->lua->budget = 2000000;
    snprintf(path, sizeof path, "%s/pf_script_%d.lua", tmp_dir(), (int)getpid());
    FILE *f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    ASSERT_TRUE(fputs(SCRIPT, f) >= 0 && fclose(f) == 0);
    daoc_error *err = NULL;
    int rc = daoc_db_run_lua_file(db, path, 0, NULL, &err);
    if (rc != DAOC_OK)
        T_FAIL_AT("script: %s", err ? daoc_error_message(err) : daoc_strerror(rc));
    daoc_error_free(err);
    ASSERT_INT(rc, DAOC_OK);
    daoc_db_close(db);
    unlink(path);
    unlink(dbfile);
}

/* ---- files daoc does not run ------------------------------------------- */

TEST(plugin_with_handler_and_api_loads)
{
    daoc_db *db = NULL;
    char why[1200];
    new_dbfile("handler");
    ASSERT_INT(open_db(&db, "pf-handler", why, sizeof why), DAOC_OK);
    daoc_dao *dao = daoc_db_dao(db, "pf_handler_notes");
    ASSERT_NOT_NULL(dao);
    daoc_value *in = NULL, *out = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_json_decode("{\"text\":\"hi\"}", 13, &in, NULL), DAOC_OK);
    ASSERT_INT(daoc_dao_insert(dao, in, NULL, &out, &err), DAOC_OK);
    ASSERT_STR(daoc_value_str(daoc_obj_get(out, "text"), NULL), "hi");
    daoc_value_free(in);
    daoc_value_free(out);
    daoc_db_close(db);
    unlink(dbfile);
}
