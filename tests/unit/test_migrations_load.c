/*
 * test_migrations_load.c -- loading plugin migrations of every Kong
 * generation (daoc__lua_load_migrations) and calling their functions
 * (daoc__lua_run_migration_fn).  Fixtures: tests/fixtures/kong/plugins/
 * mig-v1 (1.x+ index), mig-v014 (0.8-0.14 migrations/postgres.lua), mig-v05
 * (0.6-0.7 schema/migrations.lua), mig-cql (Cassandra only), mig-fns (up_f
 * outcomes); tests/fixtures/mig-bad/<case>/ one package root per refusal
 * (the plugin is always `mig-bad`).  The loading cases need no store; the
 * running cases open a database on the store DAOC_DATABASE names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "lua_env.h"
#include "unit/fixture.h"

#include "config/config.h"
#include "core/alloc.h"
#include "lua/lua_internal.h"
#include "store/deploy.h"

/* A Lua state (no store) on the fixtures, or on tests/fixtures/mig-bad/<bad>. */
static int env_open(struct env *e, const char *bad)
{
    char path[2048];
    if (!bad)
        snprintf(path, sizeof path, "%s/tests/fixtures/?.lua;%s/tests/fixtures/?/init.lua",
                 src_dir(), src_dir());
    else
        snprintf(path, sizeof path, "%s/tests/fixtures/mig-bad/%s/?.lua", src_dir(), bad);
    return env_start(e, path, NULL);
}

/* The refusal of case `bad`: its status, its message in *msg (static). */
static int refusal(const char *bad, const char **msg)
{
    static char text[1024];
    struct env e;
    daoc__migration_set set;
    char *m = NULL;
    text[0] = '\0';
    *msg = text;
    if (env_open(&e, bad) != DAOC_OK)
        return -1;
    int rc = daoc__lua_load_migrations(e.ls, "mig-bad", &set, &m);
    snprintf(text, sizeof text, "%s", m ? m : "(no message)");
    if (rc == DAOC_OK && set.n != 0)
        rc = -2;
    daoc__free(m);
    daoc__migration_set_free(e.ls, &set);
    env_close(&e);
    return rc;
}

/* The path of fixture file rel under tests/fixtures/kong/plugins. */
static const char *fixture_file(const char *rel)
{
    static char p[2048];
    snprintf(p, sizeof p, "%s/tests/fixtures/kong/plugins/%s", src_dir(), rel);
    return p;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t a = s ? strlen(s) : 0, b = strlen(tail);
    return s && a >= b && strcmp(s + a - b, tail) == 0;
}

/* ---- loading ------------------------------------------------------------ */

TEST(v1_index_loads_in_order_with_sql_functions_files_and_checksums)
{
    struct env e;
    daoc__migration_set set;
    char *msg = NULL;
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    int rc = daoc__lua_load_migrations(e.ls, "mig-v1", &set, &msg);
    if (rc != DAOC_OK)
        T_FAIL_AT("load: %s", msg ? msg : "?");
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_INT(set.format, DAOC__MIGFMT_INDEX);
    ASSERT_TRUE(!set.cassandra_only);
    ASSERT_INT(set.n, 2);
    ASSERT_STR(set.m[0].name, "000_base_mig_v1");
    ASSERT_STR(set.m[1].name, "001_10_to_20");
    ASSERT_TRUE(strstr(set.m[0].up_sql, "CREATE TABLE IF NOT EXISTS \"mig_v1_things\"") != NULL);
    ASSERT_INT(set.m[0].up_f_ref, LUA_NOREF);
    ASSERT_INT(set.m[0].teardown_ref, LUA_NOREF);
    /* the 1.x "postgresql" alias */
    ASSERT_TRUE(strstr(set.m[1].up_sql, "ADD COLUMN label") != NULL);
    ASSERT_TRUE(set.m[1].up_f_ref != LUA_NOREF);
    ASSERT_TRUE(set.m[1].teardown_ref != LUA_NOREF);
    ASSERT_NULL(set.m[1].down_sql);
    ASSERT_TRUE(ends_with(set.m[0].file, "mig-v1/migrations/000_base_mig_v1.lua"));
    ASSERT_TRUE(ends_with(set.m[1].file, "mig-v1/migrations/001_10_to_20.lua"));
    ASSERT_INT(strlen(set.m[0].checksum), 64);
    ASSERT_TRUE(strcmp(set.m[0].checksum, set.m[1].checksum) != 0);
    daoc__migration_set_free(e.ls, &set);
    env_close(&e);
}

TEST(checksum_is_the_sha256_of_the_file)
{
    struct env e;
    daoc__migration_set set;
    char *msg = NULL;
    char cmd[4096], want[80] = "";
    snprintf(cmd, sizeof cmd, "sha256sum '%s'",
             fixture_file("mig-cql/migrations/000_base_mig_cql.lua"));
    FILE *p = popen(cmd, "r");
    ASSERT_NOT_NULL(p);
    ASSERT_TRUE(fscanf(p, "%64s", want) == 1);
    pclose(p);
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    ASSERT_INT(daoc__lua_load_migrations(e.ls, "mig-cql", &set, &msg), DAOC_OK);
    ASSERT_INT(set.n, 1);
    ASSERT_STR(set.m[0].checksum, want);
    daoc__migration_set_free(e.ls, &set);
    env_close(&e);
}

TEST(cassandra_only_index_is_flagged)
{
    struct env e;
    daoc__migration_set set;
    char *msg = NULL;
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    ASSERT_INT(daoc__lua_load_migrations(e.ls, "mig-cql", &set, &msg), DAOC_OK);
    ASSERT_INT(set.format, DAOC__MIGFMT_INDEX);
    ASSERT_TRUE(set.cassandra_only);
    ASSERT_INT(set.n, 1);
    ASSERT_STR(set.m[0].name, "000_base_mig_cql");
    ASSERT_NULL(set.m[0].up_sql); /* CQL is never handed out */
    ASSERT_INT(set.m[0].up_f_ref, LUA_NOREF);
    daoc__migration_set_free(e.ls, &set);
    env_close(&e);
}

TEST(v014_postgres_array_with_sql_and_function_up)
{
    struct env e;
    daoc__migration_set set;
    char *msg = NULL;
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    int rc = daoc__lua_load_migrations(e.ls, "mig-v014", &set, &msg);
    if (rc != DAOC_OK)
        T_FAIL_AT("load: %s", msg ? msg : "?");
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_INT(set.format, DAOC__MIGFMT_LEGACY_PG);
    ASSERT_TRUE(!set.cassandra_only); /* postgres.lua wins over cassandra.lua */
    ASSERT_INT(set.n, 2);
    ASSERT_STR(set.m[0].name, "2018-03-27-140000_init_mig_v014");
    ASSERT_TRUE(strstr(set.m[0].up_sql, "CREATE TABLE IF NOT EXISTS mig_v014_items") != NULL);
    ASSERT_INT(set.m[0].up_f_ref, LUA_NOREF);
    ASSERT_TRUE(strstr(set.m[0].down_sql, "DROP TABLE mig_v014_items") != NULL);
    ASSERT_NULL(set.m[1].up_sql);
    ASSERT_TRUE(set.m[1].up_f_ref != LUA_NOREF);
    ASSERT_TRUE(set.m[1].down_f_ref != LUA_NOREF);
    ASSERT_TRUE(ends_with(set.m[0].file, "mig-v014/migrations/postgres.lua"));
    ASSERT_STR(set.m[0].checksum, set.m[1].checksum); /* one array file */
    ASSERT_INT(strlen(set.m[0].checksum), 64);
    daoc__migration_set_free(e.ls, &set);
    env_close(&e);
}

TEST(v05_schema_migrations_with_functions)
{
    struct env e;
    daoc__migration_set set;
    char *msg = NULL;
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    int rc = daoc__lua_load_migrations(e.ls, "mig-v05", &set, &msg);
    if (rc != DAOC_OK)
        T_FAIL_AT("load: %s", msg ? msg : "?");
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_INT(set.format, DAOC__MIGFMT_LEGACY_05);
    ASSERT_TRUE(set.cassandra_only);
    ASSERT_INT(set.n, 1);
    ASSERT_STR(set.m[0].name, "2015-10-01-120000_init_mig_v05");
    ASSERT_TRUE(set.m[0].up_f_ref != LUA_NOREF);
    ASSERT_TRUE(set.m[0].down_f_ref != LUA_NOREF);
    ASSERT_TRUE(ends_with(set.m[0].file, "mig-v05/schema/migrations.lua"));
    daoc__migration_set_free(e.ls, &set);
    env_close(&e);
}

TEST(plugin_without_migrations)
{
    struct env e;
    daoc__migration_set set;
    char *msg = NULL;
    ASSERT_INT(env_open(&e, NULL), DAOC_OK);
    ASSERT_INT(daoc__lua_load_migrations(e.ls, "defs-current", &set, &msg), DAOC_OK);
    ASSERT_INT(set.format, DAOC__MIGFMT_NONE);
    ASSERT_INT(set.n, 0);
    ASSERT_NULL(msg);
    daoc__migration_set_free(e.ls, &set);
    env_close(&e);
}

#define REFUSED(bad, status, text)                                                                 \
    do {                                                                                           \
        const char *t_m = NULL;                                                                    \
        ASSERT_INT(refusal(bad, &t_m), status);                                                    \
        ASSERT_STR(t_m, text);                                                                     \
    } while (0)

#define MIG "migration 'kong.plugins.mig-bad.migrations.000_base_mig_bad' of 'mig-bad' subsystem"

TEST(index_not_a_table)
{
    REFUSED("notable", DAOC_ESCHEMA,
            "migrations index from 'kong.plugins.mig-bad.migrations' must be a table");
}

TEST(index_names_a_missing_module)
{
    REFUSED("missing", DAOC_ESCHEMA,
            "failed to load migration 'kong.plugins.mig-bad.migrations.000_base_mig_bad' of "
            "'mig-bad' subsystem");
}

TEST(index_lists_a_helper_module)
{
    REFUSED("underscore", DAOC_ESCHEMA,
            "migration 'kong.plugins.mig-bad.migrations._001_helper' of 'mig-bad' subsystem is "
            "invalid: '_001_helper' starts with '_': helper modules are not migrations and must "
            "not be in the index");
}

TEST(index_lists_a_name_twice)
{
    REFUSED("twice", DAOC_ESCHEMA,
            "migrations index from 'kong.plugins.mig-bad.migrations' lists '000_base_mig_bad' "
            "twice");
}

TEST(schema_up_not_a_string)
{
    REFUSED("upnum", DAOC_ESCHEMA,
            MIG " is invalid: schema violation (postgres.up: expected a string)");
}

TEST(schema_up_f_not_a_function)
{
    REFUSED("upfstr", DAOC_ESCHEMA,
            MIG " is invalid: schema violation (postgres.up_f: expected a function)");
}

TEST(schema_teardown_not_a_function)
{
    REFUSED("teardownstr", DAOC_ESCHEMA,
            MIG " is invalid: schema violation (postgres.teardown: expected a function)");
}

TEST(schema_at_least_one_of)
{
    REFUSED("empty", DAOC_ESCHEMA,
            MIG " is invalid: schema violation (at least one of these fields must be non-empty: "
                "'postgres.up', 'postgres.up_f', 'postgres.teardown')");
}

TEST(schema_postgres_missing)
{
    REFUSED("nopg", DAOC_ESCHEMA,
            MIG " is invalid: schema violation (postgres: required field missing)");
}

TEST(schema_postgres_not_a_record)
{
    REFUSED("pgstr", DAOC_ESCHEMA,
            MIG " is invalid: schema violation (postgres: expected a record)");
}

TEST(module_not_a_table)
{
    REFUSED("notatable", DAOC_ESCHEMA,
            MIG " is invalid: the module returned a string, not a table");
}

TEST(syntax_error_names_file_and_line)
{
    const char *m = NULL;
    ASSERT_INT(refusal("syntax", &m), DAOC_ELUA);
    ASSERT_TRUE(strstr(m, "from file '") != NULL);
    ASSERT_TRUE(strstr(m, "mig-bad/syntax/kong/plugins/mig-bad/migrations/000_base_mig_bad.lua'") !=
                NULL);
    ASSERT_TRUE(strstr(m, "000_base_mig_bad.lua:4: '}' expected") != NULL);
}

TEST(runtime_error_names_file_and_line)
{
    const char *m = NULL;
    ASSERT_INT(refusal("raises", &m), DAOC_ELUA);
    ASSERT_TRUE(strstr(m, "migrations/000_base_mig_bad.lua:4: attempt to index") != NULL);
}

TEST(error_object_names_file_and_line)
{
    const char *m = NULL;
    ASSERT_INT(refusal("errtable", &m), DAOC_ELUA);
    ASSERT_TRUE(strstr(m, "migrations/000_base_mig_bad.lua:1: error object is a table value") !=
                NULL);
}

TEST(endless_file_stops_at_the_budget)
{
    const char *m = NULL;
    ASSERT_INT(refusal("loop", &m), DAOC_ELUA);
    ASSERT_TRUE(strstr(m, "000_base_mig_bad.lua:1:") != NULL);
    ASSERT_TRUE(strstr(m, "instruction budget") != NULL);
}

TEST(legacy_migration_without_name)
{
    REFUSED("noname", DAOC_ESCHEMA, "migration '1' for mig-bad has no name");
}

TEST(legacy_duplicate_names)
{
    REFUSED("dupname", DAOC_ESCHEMA,
            "migration '2017-01-01-000000_init' (mig-bad) already exists; migrations must have "
            "unique names");
}

TEST(legacy_up_neither_sql_nor_function)
{
    REFUSED("legacyup", DAOC_ESCHEMA,
            "migration '2017-01-01-000000_init' of 'mig-bad' subsystem is invalid: up: expected a "
            "string or a function");
}

/* Writes text to root/rel, creating its directories. */
static int write_file(const char *root, const char *rel, const char *text)
{
    char path[2048], cmd[4200];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    if (system(cmd) != 0)
        return -1;
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

TEST(edited_file_is_read_again_with_a_new_checksum)
{
    const char *tmp = getenv("DAOC_TEST_TMP");
    char root[1024], err[256], cs[65];
    snprintf(root, sizeof root, "%s/migload_edit_%d", tmp ? tmp : "/tmp", (int)getpid());
    ASSERT_INT(write_file(root, "kong/plugins/mig-edit/migrations/init.lua",
                          "return { \"000_base_mig_edit\" }\n"),
               0);
    ASSERT_INT(write_file(root, "kong/plugins/mig-edit/migrations/000_base_mig_edit.lua",
                          "return { postgres = { up = [[CREATE TABLE a (id int);]] } }\n"),
               0);
    struct env e;
    memset(&e, 0, sizeof e);
    char path[2048];
    snprintf(path, sizeof path, "%s/?.lua", root);
    ASSERT_INT(t_config_load(&e.db.cfg, NULL, err, sizeof err), DAOC_OK);
    ASSERT_INT(t_config_set(e.db.cfg, "lua_package_path", path, err, sizeof err), DAOC_OK);
    ASSERT_INT(daoc__lua_open(&e.db, &e.ls, NULL), DAOC_OK);
    daoc__migration_set set;
    char *msg = NULL;
    ASSERT_INT(daoc__lua_load_migrations(e.ls, "mig-edit", &set, &msg), DAOC_OK);
    ASSERT_STR(set.m[0].up_sql, "CREATE TABLE a (id int);");
    memcpy(cs, set.m[0].checksum, sizeof cs);
    daoc__migration_set_free(e.ls, &set);
    ASSERT_INT(write_file(root, "kong/plugins/mig-edit/migrations/000_base_mig_edit.lua",
                          "return { postgres = { up = [[CREATE TABLE b (id int);]] } }\n"),
               0);
    ASSERT_INT(daoc__lua_load_migrations(e.ls, "mig-edit", &set, &msg), DAOC_OK);
    ASSERT_STR(set.m[0].up_sql, "CREATE TABLE b (id int);"); /* not require's cached copy */
    ASSERT_INT(strlen(set.m[0].checksum), 64);
    ASSERT_TRUE(strcmp(cs, set.m[0].checksum) != 0);
    daoc__migration_set_free(e.ls, &set);
    env_close(&e);
}

/* ---- running -------------------------------------------------------------- */

/* A database on the store of the environment whose package path holds the
 * fixtures. */
static daoc_db *db_open(void)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/tests/fixtures/?.lua;%s/tests/fixtures/?/init.lua", src_dir(),
             src_dir());
    setenv("DAOC_LUA_PACKAGE_PATH", path, 1);
    static const char *const none[] = {NULL};
    return fixture_open(none, "migload");
}

static int exec_sql(daoc_db *db, const char *sql)
{
    char *msg = NULL;
    int rc = db->store->deploy->exec(db->store, sql, &msg);
    if (rc != DAOC_OK)
        fprintf(stderr, "exec: %s\n", msg ? msg : "?");
    daoc__free(msg);
    return rc;
}

static long long count_rows(daoc_db *db, const char *sql)
{
    daoc_value *rows = NULL;
    char *msg = NULL;
    long long n = -1;
    if (db->store->deploy->query(db->store, sql, NULL, &rows, &msg) == DAOC_OK && rows->len == 1 &&
        rows->u.a[0]->type == DAOC_TOBJ && rows->u.a[0]->len == 1) {
        const daoc_value *v = rows->u.a[0]->u.o[0].val;
        n = v->type == DAOC_TINT ? v->u.i : -1;
    }
    daoc_value_free(rows);
    daoc__free(msg);
    return n;
}

TEST(v1_up_f_and_teardown_run_with_the_connector)
{
    daoc_db *db = db_open();
    ASSERT_NOT_NULL(db);
    ASSERT_INT(exec_sql(db, "DROP TABLE IF EXISTS mig_v1_things; CREATE TABLE mig_v1_things "
                            "(id TEXT PRIMARY KEY, name TEXT, label TEXT); "
                            "INSERT INTO mig_v1_things (id, name) VALUES ('a', 'x'); "
                            "INSERT INTO mig_v1_things (id, name) VALUES ('b', NULL)"),
               DAOC_OK);
    daoc__migration_set set;
    char *msg = NULL;
    ASSERT_INT(daoc__lua_load_migrations(db->lua, "mig-v1", &set, &msg), DAOC_OK);
    int rc = daoc__lua_run_migration_fn(db->lua, set.m[1].up_f_ref, set.format, &msg);
    if (rc != DAOC_OK)
        T_FAIL_AT("up_f: %s", msg ? msg : "?");
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_INT(count_rows(db, "SELECT count(*) AS n FROM mig_v1_things WHERE label = 'x'"), 1);
    rc = daoc__lua_run_migration_fn(db->lua, set.m[1].teardown_ref, set.format, &msg);
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_INT(count_rows(db, "SELECT count(*) AS n FROM mig_v1_things"), 1);
    ASSERT_INT(exec_sql(db, "DROP TABLE mig_v1_things"), DAOC_OK);
    daoc__migration_set_free(db->lua, &set);
    daoc_db_close(db);
}

/* Runs up_f (or teardown) of mig-fns' migration i: status, message. */
static int run_fns(daoc_db *db, size_t i, char **msg)
{
    daoc__migration_set set;
    *msg = NULL;
    int rc = daoc__lua_load_migrations(db->lua, "mig-fns", &set, msg);
    if (rc != DAOC_OK)
        return -1;
    int ref = set.m[i].up_f_ref != LUA_NOREF ? set.m[i].up_f_ref : set.m[i].teardown_ref;
    rc = daoc__lua_run_migration_fn(db->lua, ref, set.format, msg);
    daoc__migration_set_free(db->lua, &set);
    return rc;
}

TEST(up_f_outcomes_as_kong_tells_them_apart)
{
    daoc_db *db = db_open();
    ASSERT_NOT_NULL(db);
    char *msg = NULL;
    ASSERT_INT(run_fns(db, 0, &msg), DAOC_OK);
    ASSERT_NULL(msg);

    ASSERT_INT(run_fns(db, 1, &msg), DAOC_ELUA); /* nil, err */
    ASSERT_STR(msg, "could not fix the rows");
    daoc__free(msg);

    ASSERT_INT(run_fns(db, 2, &msg), DAOC_ELUA); /* throws */
    ASSERT_TRUE(strstr(msg, "mig-fns/migrations/002_throws.lua:5: attempt to index") != NULL);
    daoc__free(msg);

    ASSERT_INT(run_fns(db, 3, &msg), DAOC_ELUA); /* never ends */
    ASSERT_TRUE(strstr(msg, "003_loops.lua:4:") != NULL);
    ASSERT_TRUE(strstr(msg, "instruction budget") != NULL);
    daoc__free(msg);

    ASSERT_INT(run_fns(db, 4, &msg), DAOC_ELUA); /* error({}) */
    ASSERT_TRUE(strstr(msg, "004_error_object.lua:4: error object is a table value") != NULL);
    daoc__free(msg);

    ASSERT_INT(run_fns(db, 5, &msg), DAOC_ELUA); /* assert(nil, "[... error] ...") */
    ASSERT_TRUE(strstr(msg, "005_query_fails.lua:4: [") != NULL);
    ASSERT_TRUE(strstr(msg, "mig_fns_no_such_table") != NULL);
    daoc__free(msg);
    daoc_db_close(db);
}

TEST(v014_function_up_gets_db_config_and_dao)
{
    daoc_db *db = db_open();
    ASSERT_NOT_NULL(db);
    ASSERT_INT(exec_sql(db, "DROP TABLE IF EXISTS mig_v014_items; "
                            "CREATE TABLE mig_v014_items (id TEXT PRIMARY KEY, key TEXT)"),
               DAOC_OK);
    daoc__migration_set set;
    char *msg = NULL;
    ASSERT_INT(daoc__lua_load_migrations(db->lua, "mig-v014", &set, &msg), DAOC_OK);
    int rc = daoc__lua_run_migration_fn(db->lua, set.m[1].up_f_ref, set.format, &msg);
    if (rc != DAOC_OK)
        T_FAIL_AT("up: %s", msg ? msg : "?");
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_INT(daoc__lua_run_migration_fn(db->lua, set.m[1].down_f_ref, set.format, &msg), DAOC_OK);
    ASSERT_INT(exec_sql(db, "DROP TABLE mig_v014_items"), DAOC_OK);
    /* the same function without its table: 0.x's up returns the error */
    rc = daoc__lua_run_migration_fn(db->lua, set.m[1].up_f_ref, set.format, &msg);
    ASSERT_INT(rc, DAOC_ELUA);
    ASSERT_TRUE(strstr(msg, "mig_v014_items") != NULL);
    daoc__free(msg);
    daoc__migration_set_free(db->lua, &set);
    daoc_db_close(db);
}

TEST(v05_up_runs_execute_queries_several_statements)
{
    daoc_db *db = db_open();
    ASSERT_NOT_NULL(db);
    ASSERT_INT(exec_sql(db, "DROP TABLE IF EXISTS mig_v05_creds"), DAOC_OK);
    daoc__migration_set set;
    char *msg = NULL;
    ASSERT_INT(daoc__lua_load_migrations(db->lua, "mig-v05", &set, &msg), DAOC_OK);
    int rc = daoc__lua_run_migration_fn(db->lua, set.m[0].up_f_ref, set.format, &msg);
    if (rc != DAOC_OK)
        T_FAIL_AT("up: %s", msg ? msg : "?");
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_INT(count_rows(db, "SELECT count(*) AS n FROM mig_v05_creds"), 0);
    /* the second statement of execute_queries ran too: its index exists */
    ASSERT_INT(exec_sql(db, "DROP INDEX mig_v05_creds_key"), DAOC_OK);
    ASSERT_INT(daoc__lua_run_migration_fn(db->lua, set.m[0].down_f_ref, set.format, &msg), DAOC_OK);
    ASSERT_INT(count_rows(db, "SELECT count(*) AS n FROM mig_v05_creds"), -1); /* dropped */
    daoc__migration_set_free(db->lua, &set);
    daoc_db_close(db);
}

/* ---- kong.db.connector:query with several statements ------------------- */

/* The statements daoc__sql_next_statement cuts from sql, joined by " | ". */
static const char *split(const char *sql)
{
    static char out[2048];
    size_t pos = 0, a, b, n = strlen(sql), o = 0;
    out[0] = '\0';
    while (daoc__sql_next_statement(sql, n, &pos, &a, &b))
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%.*s", o ? " | " : "", (int)(b - a),
                              sql + a);
    return out;
}

TEST(split_statements_as_both_dialects_lex_them)
{
    ASSERT_STR(split("SELECT 1"), "SELECT 1");
    ASSERT_STR(split("  SELECT 1;  SELECT 2 ;\n"), "SELECT 1 | SELECT 2");
    ASSERT_STR(split("INSERT INTO t VALUES ('a;b', 'it''s;'); SELECT \"x;y\" FROM `q;r`"),
               "INSERT INTO t VALUES ('a;b', 'it''s;') | SELECT \"x;y\" FROM `q;r`");
    ASSERT_STR(split("SELECT E'a\\';b'; SELECT 2"), "SELECT E'a\\';b' | SELECT 2");
    ASSERT_STR(split("DO $$ BEGIN PERFORM 1; END $$; DO $body$ x; $body$;SELECT $1"),
               "DO $$ BEGIN PERFORM 1; END $$ | DO $body$ x; $body$ | SELECT $1");
    ASSERT_STR(split("-- a; comment\nSELECT 1; /* b; /* nested; */ c; */ SELECT 2; -- end;"),
               "SELECT 1 | SELECT 2");
    ASSERT_STR(split("CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = CASE WHEN 1 "
                     "THEN 2 END; DELETE FROM u; END; SELECT 1"),
               "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = CASE WHEN 1 THEN 2 "
               "END; DELETE FROM u; END | SELECT 1");
    ASSERT_STR(split("BEGIN; SELECT 1; END;"), "BEGIN | SELECT 1 | END");
    ASSERT_STR(split(" ; ;-- nothing\n"), "");
}

/* Runs the Lua chunk src with kong.db in db's state; returns its error. */
static int run_lua(daoc_db *db, const char *src, char *err, size_t n)
{
    lua_State *L = db->lua->L;
    err[0] = '\0';
    int rc = luaL_loadstring(L, src);
    if (rc == 0)
        rc = lua_pcall(L, 0, 0, 0);
    if (rc != 0) {
        snprintf(err, n, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    return rc;
}

TEST(connector_query_runs_several_statements)
{
    daoc_db *db = db_open();
    ASSERT_NOT_NULL(db);
    char err[1024];
    int rc = run_lua(db,
                     "local c = kong.db.connector\n"
                     "assert(c:query('DROP TABLE IF EXISTS mig_multi'))\n"
                     "local res, e, partial, n = c:query([[\n"
                     "  CREATE TABLE mig_multi (id INT PRIMARY KEY, note TEXT);\n"
                     "  INSERT INTO mig_multi VALUES (1, 'a;b');\n"
                     "  INSERT INTO mig_multi VALUES (2, 'c');\n"
                     "  SELECT note FROM mig_multi ORDER BY id;\n"
                     "]])\n"
                     "assert(res, e)\n"
                     "assert(e == nil and partial == nil and n == 4, tostring(n))\n"
                     "assert(#res == 4 and #res[4] == 2, 'results')\n"
                     "assert(res[4][1].note == 'a;b' and res[4][2].note == 'c', 'rows')\n"
                     "local one = assert(c:query('SELECT count(*) AS n FROM mig_multi;'))\n"
                     "assert(one[1].n == 2, 'one statement: its rows')\n"
                     /* all or nothing: the failing third undoes the first two */
                     "local r2, e2 = c:query([[INSERT INTO mig_multi VALUES (3, 'x');\n"
                     "  UPDATE mig_multi SET note = 'changed';\n"
                     "  INSERT INTO mig_multi VALUES (1, 'dup')]])\n"
                     "assert(r2 == nil and type(e2) == 'string', 'error expected')\n"
                     "assert(e2:find('error]', 1, true), e2)\n"
                     "local after = assert(c:query([[SELECT count(*) AS n FROM mig_multi\n"
                     "  WHERE note = 'changed' OR id = 3]]))\n"
                     "assert(after[1].n == 0, 'rolled back')\n"
                     "assert(c:query('DROP TABLE mig_multi'))\n",
                     err, sizeof err);
    if (rc != 0)
        T_FAIL_AT("%s", err);
    ASSERT_INT(rc, 0);
    daoc_db_close(db);
}
