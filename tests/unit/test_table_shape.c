/*
 * test_table_shape.c -- a definition that changed after its table was
 * made fails daoc_db_open with a message naming the entity, the field and
 * what differs, instead of reading the old table wrongly (src/store/shape.c);
 * an unchanged definition reopens its table and reads its rows.  Runs on
 * the store DAOC_DATABASE names (SQLite by default, a file under
 * $DAOC_TEST_TMP; PostgreSQL: the DAOC_PG_* server, whose test tables it
 * drops before and after).  The SQLite-only case checks that an unknown
 * double-quoted name is an error, not a string literal.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "fixture.h"
#include "harness.h"
#include "store/sqlite/sqlite_int.h"
#include "store/store.h"

static bool on_pg(void)
{
    const char *kind = getenv("DAOC_DATABASE");
    return kind && strcmp(kind, "postgres") == 0;
}

static const char *tmp_dir(void)
{
    const char *t = getenv("DAOC_TEST_TMP");
    return t ? t : "/tmp";
}

/* ---- raw access, behind the store's back ------------------------------- */

static char g_db_path[512];

static void quiet(void *ud, const char *message)
{
    (void)ud;
    (void)message;
}

/* Runs sql on the test database without daoc; false (reported) on error. */
static bool raw_exec(const char *sql)
{
    if (on_pg()) {
        const char *keys[] = {"host", "port", "user", "dbname", NULL};
        const char *vals[] = {getenv("DAOC_PG_HOST"), getenv("DAOC_PG_PORT"),
                              getenv("DAOC_PG_USER"), getenv("DAOC_PG_DATABASE"), NULL};
        PGconn *c = PQconnectdbParams(keys, vals, 0);
        bool ok = PQstatus(c) == CONNECTION_OK;
        if (ok) {
            PQsetNoticeProcessor(c, quiet, NULL); /* "does not exist, skipping" */
            PGresult *r = PQexec(c, sql);
            ok = PQresultStatus(r) == PGRES_COMMAND_OK;
            if (!ok)
                fprintf(stderr, "  %s: %s", sql, PQresultErrorMessage(r));
            PQclear(r);
        } else {
            fprintf(stderr, "  raw connection: %s", PQerrorMessage(c));
        }
        PQfinish(c);
        return ok;
    }
    sqlite3 *db = NULL;
    char *err = NULL;
    bool ok = sqlite3_open(g_db_path, &db) == SQLITE_OK &&
              sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK;
    if (!ok)
        fprintf(stderr, "  %s: %s\n", sql, err ? err : sqlite3_errmsg(db));
    sqlite3_free(err);
    sqlite3_close(db);
    return ok;
}

/* A clean start: a new SQLite file, or no test tables on the server. */
static bool fresh(const char *tag)
{
    snprintf(g_db_path, sizeof g_db_path, "%s/shape_%s_%d.db", tmp_dir(), tag, (int)getpid());
    unlink(g_db_path);
    return !on_pg() || raw_exec("DROP TABLE IF EXISTS shape_kids, shape_t CASCADE");
}

/* ---- opening with a plugin whose daos.lua the test writes -------------- */

/* The entities of plugin "shapetest": shape_t with the fields `fields`
 * (Lua) and every hidden column (workspaceable, ttl, composite cache key),
 * and shape_kids referencing it. */
static bool write_plugin(const char *fields)
{
    char dir[600], path[700];
    const char *parts[] = {"shape_plugins", "kong", "plugins", "shapetest"};
    size_t n = (size_t)snprintf(dir, sizeof dir, "%s", tmp_dir());
    for (size_t i = 0; i < 4; i++) {
        n += (size_t)snprintf(dir + n, sizeof dir - n, "/%s", parts[i]);
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return false;
    }
    snprintf(path, sizeof path, "%s/daos.lua", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fprintf(f,
            "local typedefs = require \"kong.db.schema.typedefs\"\n"
            "return {\n"
            "  { name = \"shape_t\", primary_key = { \"id\" }, workspaceable = true, ttl = true,\n"
            "    cache_key = { \"id\", \"a\" },\n"
            "    fields = { { id = { type = \"string\" } }, { created_at = "
            "typedefs.auto_timestamp_s },\n"
            "               { tags = typedefs.tags }, %s } },\n"
            "  { name = \"shape_kids\", primary_key = { \"id\" },\n"
            "    fields = { { id = typedefs.uuid },\n"
            "               { t = { type = \"foreign\", reference = \"shape_t\", on_delete = "
            "\"cascade\" } } } },\n"
            "}\n",
            fields);
    return fclose(f) == 0;
}

/* create_tables for the next opens: "on" creates missing tables first,
 * "off" serves the tables as they are (both check that they fit). */
static const char *g_create = "on";

/* daoc_db_open on the test database with plugin shapetest. */
static int open_with(const char *fields, daoc_db **db, daoc_error **err)
{
    *db = NULL;
    *err = NULL;
    if (!write_plugin(fields))
        return DAOC_EIO;
    daoc_config *cfg = NULL;
    char why[300], lpath[700];
    if (t_config_load(&cfg, NULL, why, sizeof why) != DAOC_OK)
        return DAOC_ECONFIG;
    snprintf(lpath, sizeof lpath, "%s/shape_plugins/?.lua;%s/shape_plugins/?/init.lua", tmp_dir(),
             tmp_dir());
    int rc = t_config_set(cfg, "plugins", "shapetest", why, sizeof why);
    if (rc == DAOC_OK)
        rc = t_config_set(cfg, "lua_package_path", lpath, why, sizeof why);
    if (rc == DAOC_OK && !on_pg())
        rc = t_config_set(cfg, "sqlite_path", g_db_path, why, sizeof why);
    if (rc == DAOC_OK)
        rc = t_config_set(cfg, "create_tables", g_create, why, sizeof why);
    if (rc == DAOC_OK)
        rc = daoc_db_open(db, cfg, err);
    daoc_config_free(cfg);
    return rc;
}

/* Opening with `fields` fails with DAOC_ESCHEMA and a message holding `want`. */
static void open_fails(const char *fields, const char *want)
{
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    int rc = open_with(fields, &db, &err);
    const char *m = err ? daoc_error_message(err) : NULL;
    if (rc != DAOC_ESCHEMA)
        T_FAIL_AT("open with %s: %s (%s), expected invalid schema definition", fields,
                  daoc_strerror(rc), m ? m : "no message");
    else if (!m || !strstr(m, want))
        T_FAIL_AT("open with %s:\n      got      \"%s\"\n      expected \"...%s...\"", fields,
                  m ? m : "(null)", want);
    daoc_error_free(err);
    daoc_db_close(db);
}

#define V1 "{ a = { type = \"string\" } }"

/* Opens with V1, inserts {id = "1", a = "x"} and a child, closes. */
static bool make_v1(void)
{
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    int rc = open_with(V1, &db, &err);
    if (rc != DAOC_OK) {
        fprintf(stderr, "  open v1: %s: %s\n", daoc_strerror(rc),
                err ? daoc_error_string(err) : "");
        daoc_error_free(err);
        return false;
    }
    daoc_value *e = J("{'id':'1','a':'x','tags':['t']}");
    daoc_value *out = NULL;
    rc = daoc_dao_insert(daoc_db_dao(db, "shape_t"), e, NULL, &out, &err);
    daoc_value_free(e);
    daoc_value_free(out);
    if (rc == DAOC_OK) {
        e = J("{'t':{'id':'1'}}");
        out = NULL;
        rc = daoc_dao_insert(daoc_db_dao(db, "shape_kids"), e, NULL, &out, &err);
        daoc_value_free(e);
        daoc_value_free(out);
    }
    if (rc != DAOC_OK)
        fprintf(stderr, "  insert: %s\n", err ? daoc_error_string(err) : daoc_strerror(rc));
    daoc_error_free(err);
    daoc_db_close(db);
    return rc == DAOC_OK;
}

/* The unchanged definition opens and reads the row back. */
static void reopens_with_data(void)
{
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    int rc = open_with(V1, &db, &err);
    if (rc != DAOC_OK) {
        T_FAIL_AT("reopen unchanged: %s: %s", daoc_strerror(rc), err ? daoc_error_string(err) : "");
        daoc_error_free(err);
        return;
    }
    daoc_value *pk = J("{'id':'1'}");
    daoc_value *row = NULL;
    rc = daoc_dao_select(daoc_db_dao(db, "shape_t"), pk, NULL, &row, &err);
    daoc_value_free(pk);
    const daoc_value *a = row ? daoc_obj_get(row, "a") : NULL;
    if (rc != DAOC_OK || !a || a->type != DAOC_TSTR || strcmp(a->u.s, "x") != 0)
        T_FAIL_AT("row after reopen: %s", rc == DAOC_OK && row ? "a is not \"x\"" : "none");
    daoc_value *rows = NULL;
    char *next = NULL;
    if (daoc_dao_page(daoc_db_dao(db, "shape_kids"), 10, NULL, NULL, &rows, &next, &err) !=
            DAOC_OK ||
        rows->len != 1)
        T_FAIL_AT("children after reopen");
    daoc_value_free(rows);
    daoc_free(next);
    daoc_value_free(row);
    daoc_error_free(err);
    daoc_db_close(db);
}

/* ---- cases --------------------------------------------------------------- */

TEST(a_field_added_to_an_existing_table_fails_the_open)
{
    ASSERT_TRUE(fresh("added"));
    ASSERT_TRUE(make_v1());
    open_fails(V1 ", { b = { type = \"integer\" } }",
               "table 'shape_t' does not match entity 'shape_t': column 'b' (field 'b') is "
               "missing");
    /* a foreign field added: its <f>_id column */
    open_fails(V1 ", { k = { type = \"foreign\", reference = \"consumers\" } }",
               "table 'shape_t' does not match entity 'shape_t': column 'k_id' (field 'k') is "
               "missing");
    /* served as it is (create_tables off): the same check, nothing altered */
    g_create = "off";
    open_fails(V1 ", { b = { type = \"integer\" } }",
               "cannot use the table of 'shape_t': table 'shape_t' does not match entity "
               "'shape_t': column 'b' (field 'b') is missing");
    reopens_with_data();
    g_create = "on";
    ASSERT_TRUE(!on_pg() || fresh("added"));
}

TEST(a_field_of_another_type_fails_the_open)
{
    ASSERT_TRUE(fresh("type"));
    ASSERT_TRUE(make_v1());
    open_fails("{ a = { type = \"integer\" } }",
               on_pg() ? "table 'shape_t' does not match entity 'shape_t': column 'a' has type "
                         "TEXT, entity 'shape_t' field 'a' needs BIGINT"
                       : "table 'shape_t' does not match entity 'shape_t': column 'a' has type "
                         "TEXT, entity 'shape_t' field 'a' needs INTEGER");
    /* every difference is named, "; " between them */
    open_fails("{ a = { type = \"boolean\" } }, { b = { type = \"string\" } }",
               on_pg() ? "column 'a' has type TEXT, entity 'shape_t' field 'a' needs BOOLEAN; "
                         "column 'b' (field 'b') is missing"
                       : "column 'a' has type TEXT, entity 'shape_t' field 'a' needs INTEGER; "
                         "column 'b' (field 'b') is missing");
    reopens_with_data();
    ASSERT_TRUE(!on_pg() || fresh("type"));
}

/* ttl = true (or a composite cache key) on an old table: its hidden column */
TEST(a_hidden_column_the_definition_now_needs_fails_the_open)
{
    ASSERT_TRUE(fresh("hidden"));
    ASSERT_TRUE(make_v1());
    ASSERT_TRUE(raw_exec("ALTER TABLE shape_t RENAME COLUMN ttl TO old_ttl"));
    open_fails(V1, "table 'shape_t' does not match entity 'shape_t': column 'ttl' (ttl = true) "
                   "is missing");
    ASSERT_TRUE(raw_exec("ALTER TABLE shape_t RENAME COLUMN old_ttl TO ttl"));
    reopens_with_data();
    ASSERT_TRUE(!on_pg() || fresh("hidden"));
}

/* Core entities' tables are checked the same way. */
TEST(a_core_table_that_does_not_fit_fails_the_open)
{
    ASSERT_TRUE(fresh("core"));
    ASSERT_TRUE(make_v1());
    ASSERT_TRUE(raw_exec("ALTER TABLE consumers RENAME COLUMN custom_id TO old_custom_id"));
    open_fails(V1, "table 'consumers' does not match entity 'consumers': column 'custom_id' "
                   "(field 'custom_id') is missing");
    ASSERT_TRUE(raw_exec("ALTER TABLE consumers RENAME COLUMN old_custom_id TO custom_id"));
    reopens_with_data();
    ASSERT_TRUE(!on_pg() || fresh("core"));
}

/* A table made by hand with other spellings of the same types (and a
 * column the definition does not have) opens and is used. */
TEST(compatible_types_and_extra_columns_are_accepted)
{
    ASSERT_TRUE(fresh("compat"));
    ASSERT_TRUE(make_v1());
    ASSERT_TRUE(raw_exec("DROP TABLE shape_kids"));
    ASSERT_TRUE(raw_exec(
        on_pg() ? "CREATE TABLE shape_kids (id UUID PRIMARY KEY, t_id VARCHAR(40) "
                  "REFERENCES shape_t (id) ON DELETE CASCADE, note INTEGER)"
                : "CREATE TABLE shape_kids (id CHARACTER(36) PRIMARY KEY, t_id VARCHAR(40) "
                  "REFERENCES shape_t (id) ON DELETE CASCADE, note BLOB)"));
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    int rc = open_with(V1 ", { n = { type = \"integer\" } }", &db, &err);
    /* the new field n is missing from shape_t: only shape_t is named */
    const char *m = err ? daoc_error_message(err) : NULL;
    if (rc != DAOC_ESCHEMA || !m || !strstr(m, "'shape_t'") || strstr(m, "shape_kids"))
        T_FAIL_AT("open with n: %s: %s", daoc_strerror(rc), m ? m : "no message");
    daoc_error_free(err);
    daoc_db_close(db);
    rc = open_with(V1, &db, &err);
    if (rc != DAOC_OK)
        T_FAIL_AT("open: %s", err ? daoc_error_string(err) : daoc_strerror(rc));
    ASSERT_INT(rc, DAOC_OK);
    daoc_value *e = J("{'t':{'id':'1'}}");
    daoc_value *out = NULL;
    ASSERT_INT(daoc_dao_insert(daoc_db_dao(db, "shape_kids"), e, NULL, &out, &err), DAOC_OK);
    daoc_value_free(e);
    daoc_value_free(out);
    daoc_db_close(db);
    ASSERT_TRUE(!on_pg() || fresh("compat"));
}

/* SQLite: "b" is a name, never the string 'b'.  A store statement that
 * names a column the old table lacks (the shape check bypassed: schema
 * compiled by hand, no ensure_table) fails instead of reading "b". */
static const daoc__schema *no_lookup(void *ud, const char *name)
{
    (void)ud;
    (void)name;
    return NULL;
}

TEST(sqlite_unknown_double_quoted_name_is_an_error_not_a_string)
{
    if (on_pg())
        return; /* PostgreSQL never had the misfeature */
    ASSERT_TRUE(fresh("dqs"));
    daoc__schema *v1 = NULL, *v2 = NULL;
    char *why = NULL;
    daoc_value *d1 = J("{'name':'shape_t','primary_key':['id'],'fields':["
                       "{'id':{'type':'string'}},{'a':{'type':'string'}}]}");
    daoc_value *d2 =
        J("{'name':'shape_t','primary_key':['id'],'fields':["
          "{'id':{'type':'string'}},{'a':{'type':'string'}},{'b':{'type':'integer'}}]}");
    ASSERT_INT(daoc__schema_compile(d1, no_lookup, NULL, &v1, &why), DAOC_OK);
    ASSERT_INT(daoc__schema_compile(d2, no_lookup, NULL, &v2, &why), DAOC_OK);
    daoc_value_free(d1);
    daoc_value_free(d2);

    daoc__store *st = NULL;
    char *msg = NULL;
    ASSERT_INT(daoc__sqlite_open(&st, g_db_path, &msg), DAOC_OK);
    ASSERT_INT(st->ops->ensure_table(st, v1, &msg), DAOC_OK);
    daoc__write_opts wo = {.has_ttl = false};
    daoc__violation viol;
    daoc_value *e = J("{'id':'1','a':'x'}"), *row = NULL;
    ASSERT_INT(st->ops->insert(st, v1, e, &wo, &row, &viol, &msg), DAOC_OK);
    daoc_value_free(row);
    row = NULL;
    daoc_value_free(e);

    daoc_value *id = J("{'id':'1'}");
    daoc__key k = {-1, id};
    daoc__read_opts ro = {.skip_ttl = false};
    int rc = st->ops->select(st, v2, &k, &ro, &row, &msg);
    if (rc == DAOC_OK) {
        char *text = row ? enc(row) : NULL;
        T_FAIL_AT("read the old table as %s", text ? text : "nothing");
        daoc_free(text);
    } else if (rc != DAOC_ESTORE || !msg || !strstr(msg, "no such column: b"))
        T_FAIL_AT("%s: %s", daoc_strerror(rc), msg ? msg : "no message");
    daoc__free(msg);
    msg = NULL;
    daoc_value_free(row);
    daoc_value_free(id);

    /* and in plain SQL on the store's connection */
    sqlite3_stmt *s = NULL;
    ASSERT_INT(sqlite3_prepare_v2(((daoc__sqlite *)st)->db, "SELECT \"nosuch\" FROM \"shape_t\"",
                                  -1, &s, NULL),
               SQLITE_ERROR);
    sqlite3_finalize(s);
    st->ops->close(st);
    daoc__schema_free(v1);
    daoc__schema_free(v2);
}
