/*
 * test_sqlite_store.c -- the SQLite store against its vtable contract
 * (src/store/store.h): DDL, reads, keyset paging, writes, constraint
 * violations, ON DELETE rules, TTL and transactions.  Schemas are compiled
 * from JSON definitions; databases are temporary files.
 */
#include <math.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/value.h"
#include "errtext.h"
#include "harness.h"
#include "schema/schema.h"
#include "store/deploy.h"
#include "store/sqlite/sqlite_int.h"
#include "store/store.h"

/* ---- fixtures ---------------------------------------------------------- */

static daoc__schema *g_schemas[32];
static int g_nschemas;

static const daoc__schema *lookup(void *ud, const char *name)
{
    (void)ud;
    for (int i = 0; i < g_nschemas; i++)
        if (strcmp(g_schemas[i]->name, name) == 0)
            return g_schemas[i];
    return NULL;
}

static daoc_value *J(const char *text)
{
    daoc_value *v = NULL;
    char err[200];
    if (t_json_decode(text, strlen(text), &v, err, sizeof err) != DAOC_OK) {
        fprintf(stderr, "bad test JSON: %s: %s\n", err, text);
        return NULL;
    }
    return v;
}

static const daoc__schema *schema(const char *def_json)
{
    daoc_value *def = J(def_json);
    daoc__schema *s = NULL;
    char *err = NULL;
    if (!def)
        return NULL;
    if (daoc__schema_compile(def, lookup, NULL, &s, &err) != DAOC_OK) {
        fprintf(stderr, "compile failed: %s\n", err ? err : "?");
        daoc__free(err);
        daoc_value_free(def);
        return NULL;
    }
    daoc_value_free(def);
    g_schemas[g_nschemas++] = s;
    return s;
}

static const daoc__schema *S_services, *S_routes, *S_plugins, *S_consumers, *S_keyauth, *S_metrics,
    *S_acls;

#define ID_FIELD "{\"id\": {\"type\": \"string\", \"uuid\": true}}"

__attribute__((constructor(200))) static void load_schemas(void)
{
    S_services =
        schema("{\"name\": \"services\", \"primary_key\": [\"id\"], \"endpoint_key\": \"name\","
               " \"fields\": [" ID_FIELD ","
               " {\"created_at\": {\"type\": \"integer\", \"timestamp\": true, \"auto\": true}},"
               " {\"name\": {\"type\": \"string\", \"unique\": true}},"
               " {\"port\": {\"type\": \"integer\"}},"
               " {\"enabled\": {\"type\": \"boolean\"}},"
               " {\"weight\": {\"type\": \"number\"}},"
               " {\"hosts\": {\"type\": \"array\", \"elements\": {\"type\": \"string\"}}},"
               " {\"headers\": {\"type\": \"map\", \"keys\": {\"type\": \"string\"},"
               "                \"values\": {\"type\": \"string\"}}},"
               " {\"conf\": {\"type\": \"record\", \"fields\": [{\"a\": {\"type\": \"integer\"}},"
               "                                              {\"b\": {\"type\": \"string\"}}]}},"
               " {\"blob\": {\"type\": \"json\", \"json_schema\": {\"inline\": {}}}},"
               " {\"scratch\": {\"type\": \"string\", \"transient\": true}},"
               " {\"tags\": {\"type\": \"set\", \"elements\": {\"type\": \"string\"}}}]}");
    S_routes = schema("{\"name\": \"routes\", \"primary_key\": [\"id\"],"
                      " \"fields\": [" ID_FIELD ","
                      " {\"name\": {\"type\": \"string\", \"unique\": true}},"
                      " {\"service\": {\"type\": \"foreign\", \"reference\": \"services\","
                      "                \"on_delete\": \"cascade\"}},"
                      " {\"tags\": {\"type\": \"set\", \"elements\": {\"type\": \"string\"}}}]}");
    S_plugins = schema(
        "{\"name\": \"plugins\", \"primary_key\": [\"id\"], \"cache_key\": [\"name\", \"service\"],"
        " \"fields\": [" ID_FIELD ","
        " {\"name\": {\"type\": \"string\"}},"
        " {\"service\": {\"type\": \"foreign\", \"reference\": \"services\","
        "                \"on_delete\": \"null\"}}]}");
    S_consumers = schema("{\"name\": \"consumers\", \"primary_key\": [\"id\"],"
                         " \"fields\": [" ID_FIELD
                         ", {\"username\": {\"type\": \"string\", \"unique\": true}}]}");
    S_keyauth =
        schema("{\"name\": \"keyauth_credentials\", \"primary_key\": [\"id\"], \"ttl\": true,"
               " \"fields\": [" ID_FIELD ","
               " {\"created_at\": {\"type\": \"integer\", \"timestamp\": true, \"auto\": true}},"
               " {\"consumer\": {\"type\": \"foreign\", \"reference\": \"consumers\"}},"
               " {\"key\": {\"type\": \"string\", \"unique\": true}}]}");
    S_acls = schema("{\"name\": \"acls\", \"primary_key\": [\"id\"],"
                    " \"fields\": [" ID_FIELD ","
                    " {\"consumer\": {\"type\": \"foreign\", \"reference\": \"consumers\","
                    "                 \"on_delete\": \"restrict\"}},"
                    " {\"group\": {\"type\": \"string\"}}]}");
    S_metrics =
        schema("{\"name\": \"metrics\", \"primary_key\": [\"a\", \"b\"],"
               " \"fields\": [{\"a\": {\"type\": \"string\"}}, {\"b\": {\"type\": \"integer\"}},"
               " {\"value\": {\"type\": \"integer\"}}]}");
}

static char g_path[512];
static int g_seq;

static daoc__store *open_store(void)
{
    const char *dir = getenv("DAOC_TEST_TMP");
    snprintf(g_path, sizeof g_path, "%s/daoc_sq_%ld_%d.db", dir && *dir ? dir : "/tmp",
             (long)getpid(), g_seq++);
    daoc__store *st = NULL;
    char *msg = NULL;
    if (daoc__sqlite_open(&st, g_path, &msg) != DAOC_OK) {
        fprintf(stderr, "open: %s\n", msg ? msg : "?");
        daoc__free(msg);
        return NULL;
    }
    const daoc__schema *all[] = {S_services, S_routes, S_plugins, S_consumers,
                                 S_keyauth,  S_acls,   S_metrics};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!all[i] || st->ops->ensure_table(st, all[i], &msg) != DAOC_OK) {
            fprintf(stderr, "ensure_table: %s\n", msg ? msg : "?");
            daoc__free(msg);
            st->ops->close(st);
            return NULL;
        }
    }
    return st;
}

static void close_store(daoc__store *st)
{
    if (st)
        st->ops->close(st);
    char p[600];
    unlink(g_path);
    snprintf(p, sizeof p, "%s-wal", g_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", g_path);
    unlink(p);
}

static const daoc__write_opts NOOPTS = {.has_ttl = false};

static int ins(daoc__store *st, const daoc__schema *s, const char *json, daoc__violation *viol)
{
    daoc_value *e = J(json), *row = NULL;
    char *msg = NULL;
    daoc__violation dummy;
    int rc = st->ops->insert(st, s, e, &NOOPTS, &row, viol ? viol : &dummy, &msg);
    if (rc != DAOC_OK && rc != DAOC_ECONSTRAINT)
        fprintf(stderr, "insert: %s\n", msg ? msg : "?");
    daoc__free(msg);
    daoc_value_free(e);
    daoc_value_free(row);
    return rc;
}

static daoc_value *sel(daoc__store *st, const daoc__schema *s, long field, const char *keyjson,
                       bool skip_ttl)
{
    daoc_value *k = J(keyjson), *row = NULL;
    daoc__key key = {field, k};
    daoc__read_opts o = {.skip_ttl = skip_ttl};
    char *msg = NULL;
    int rc = st->ops->select(st, s, &key, &o, &row, &msg);
    if (rc != DAOC_OK)
        fprintf(stderr, "select: %d %s\n", rc, msg ? msg : "?");
    daoc__free(msg);
    daoc_value_free(k);
    return row;
}

/* compact JSON of v, in a static buffer */
static const char *js(const daoc_value *v)
{
    static char buf[4096];
    char *t = NULL;
    size_t n;
    if (!v)
        return "(absent)";
    if (daoc_json_encode(v, &t, &n) != DAOC_OK)
        return "(encode failed)";
    snprintf(buf, sizeof buf, "%s", t);
    daoc_free(t);
    return buf;
}

static long fidx(const daoc__schema *s, const char *name)
{
    return daoc__schema_field_index(s, name, strlen(name));
}

#define U(n) "\"00000000-0000-4000-8000-0000000000" n "\""

/* ---- tests ------------------------------------------------------------------ */

TEST(schemas_compile)
{
    ASSERT_NOT_NULL(S_services);
    ASSERT_NOT_NULL(S_routes);
    ASSERT_NOT_NULL(S_plugins);
    ASSERT_NOT_NULL(S_consumers);
    ASSERT_NOT_NULL(S_keyauth);
    ASSERT_NOT_NULL(S_metrics);
    ASSERT_NOT_NULL(S_acls);
    ASSERT_STR(S_routes->fields[2].column, "service_id");
}

TEST(ddl_idempotent_and_layout)
{
    daoc__store *st = open_store();
    char *msg = NULL;
    ASSERT_NOT_NULL(st);
    ASSERT_STR(st->ops->name, "sqlite");
    ASSERT_INT(st->ops->ensure_table(st, S_routes, &msg), DAOC_OK);
    st->ops->close(st);
    /* a second handle on the same file re-runs the DDL */
    st = NULL;
    ASSERT_INT(daoc__sqlite_open(&st, g_path, &msg), DAOC_OK);
    ASSERT_INT(st->ops->ensure_table(st, S_services, &msg), DAOC_OK);
    ASSERT_INT(st->ops->ensure_table(st, S_keyauth, &msg), DAOC_OK);
    ASSERT_INT(st->ops->ensure_table(st, S_plugins, &msg), DAOC_OK);

    sqlite3 *db = NULL;
    ASSERT_INT(sqlite3_open(g_path, &db), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    const char *sql = "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
                      "WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name)";
    ASSERT_INT(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    ASSERT_INT(sqlite3_step(q), SQLITE_ROW);
    ASSERT_STR(
        (const char *)sqlite3_column_text(q, 0),
        "acls_consumer_id_idx,cluster_events_at_idx,"
        "keyauth_credentials_consumer_id_idx,keyauth_credentials_created_at_idx,"
        "keyauth_credentials_ttl_idx,plugins_service_id_idx,routes_service_id_idx,"
        "services_created_at_idx");
    sqlite3_finalize(q);
    /* no tags table to keep up: no tags trigger (store/tags.c); only the
     * cluster_events ones (store/events_ddl.h) */
    ASSERT_INT(sqlite3_prepare_v2(db,
                                  "SELECT group_concat(name, ',') FROM (SELECT name FROM "
                                  "sqlite_master WHERE type = 'trigger' AND name NOT LIKE "
                                  "'%_daoc_events_%' ORDER BY name)",
                                  -1, &q, NULL),
               SQLITE_OK);
    ASSERT_INT(sqlite3_step(q), SQLITE_ROW);
    ASSERT_TRUE(sqlite3_column_type(q, 0) == SQLITE_NULL);
    sqlite3_finalize(q);
    ASSERT_INT(
        sqlite3_prepare_v2(db, "SELECT group_concat(name, ',') FROM pragma_table_info('plugins')",
                           -1, &q, NULL),
        SQLITE_OK);
    ASSERT_INT(sqlite3_step(q), SQLITE_ROW);
    ASSERT_STR((const char *)sqlite3_column_text(q, 0), "id,name,service_id,cache_key");
    sqlite3_finalize(q);
    ASSERT_INT(sqlite3_prepare_v2(db,
                                  "SELECT \"table\", \"from\", \"to\", on_delete FROM "
                                  "pragma_foreign_key_list('keyauth_credentials')",
                                  -1, &q, NULL),
               SQLITE_OK);
    ASSERT_INT(sqlite3_step(q), SQLITE_ROW);
    ASSERT_STR((const char *)sqlite3_column_text(q, 0), "consumers");
    ASSERT_STR((const char *)sqlite3_column_text(q, 1), "consumer_id");
    ASSERT_STR((const char *)sqlite3_column_text(q, 3), "RESTRICT");
    sqlite3_finalize(q);
    /* the transient field has no column */
    ASSERT_INT(sqlite3_prepare_v2(db,
                                  "SELECT count(*) FROM pragma_table_info('services') "
                                  "WHERE name = 'scratch'",
                                  -1, &q, NULL),
               SQLITE_OK);
    ASSERT_INT(sqlite3_step(q), SQLITE_ROW);
    ASSERT_INT(sqlite3_column_int(q, 0), 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    close_store(st);
}

TEST(insert_select_roundtrip_types)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    daoc_value *e =
        J("{\"id\": " U("01") ", \"created_at\": 1700000000, \"name\": \"s1\","
                              " \"port\": 8080, \"enabled\": false, \"weight\": 2.5,"
                              " \"hosts\": [\"a\", \"b\"], \"headers\": {\"x\": \"y\"},"
                              " \"conf\": {\"a\": 1, \"b\": null}, \"blob\": [1, {\"k\": true}],"
                              " \"scratch\": \"never stored\", \"tags\": [\"t1\"]}");
    daoc_value *row = NULL;
    daoc__violation viol;
    char *msg = NULL;
    ASSERT_INT(st->ops->insert(st, S_services, e, &NOOPTS, &row, &viol, &msg), DAOC_OK);
    const char *want = "{\"id\":\"00000000-0000-4000-8000-000000000001\",\"created_at\":1700000000,"
                       "\"name\":\"s1\",\"port\":8080,\"enabled\":false,\"weight\":2.5,"
                       "\"hosts\":[\"a\",\"b\"],\"headers\":{\"x\":\"y\"},"
                       "\"conf\":{\"a\":1,\"b\":null},\"blob\":[1,{\"k\":true}],\"tags\":[\"t1\"]}";
    ASSERT_STR(js(row), want);
    ASSERT_INT(daoc_value_type(daoc_obj_get(row, "enabled")), DAOC_TBOOL);
    ASSERT_INT(daoc_value_type(daoc_obj_get(row, "port")), DAOC_TINT);
    ASSERT_INT(daoc_value_type(daoc_obj_get(row, "weight")), DAOC_TNUM);
    daoc_value_free(row);
    daoc_value_free(e);

    row = sel(st, S_services, -1, "{\"id\": " U("01") "}", false);
    ASSERT_STR(js(row), want);
    ASSERT_TRUE(daoc_obj_get(row, "tags")->flags & DAOC__VF_SET);
    daoc_value_free(row);

    /* absent and null fields come back as null; booleans true */
    ASSERT_INT(ins(st, S_services,
                   "{\"id\": " U("02") ", \"name\": \"s2\", \"enabled\": true,"
                                       " \"weight\": 3, \"hosts\": null}",
                   NULL),
               DAOC_OK);
    row = sel(st, S_services, fidx(S_services, "name"), "\"s2\"", false);
    ASSERT_STR(js(row), "{\"id\":\"00000000-0000-4000-8000-000000000002\",\"created_at\":null,"
                        "\"name\":\"s2\",\"port\":null,\"enabled\":true,\"weight\":3,"
                        "\"hosts\":null,\"headers\":null,\"conf\":null,\"blob\":null,"
                        "\"tags\":null}");
    ASSERT_INT(daoc_value_type(daoc_obj_get(row, "weight")), DAOC_TNUM);
    daoc_value_free(row);

    /* JSON text that is not a plain string array, and one that is empty */
    ASSERT_INT(ins(st, S_services,
                   "{\"id\": " U("03") ", \"name\": \"s3\","
                                       " \"hosts\": [\"q\\\"x\", \"b\\\\s\", \"\u00e9\", \"\"],"
                                       " \"tags\": []}",
                   NULL),
               DAOC_OK);
    row = sel(st, S_services, -1, "{\"id\": " U("03") "}", false);
    ASSERT_STR(js(daoc_obj_get(row, "hosts")), "[\"q\\\"x\",\"b\\\\s\",\"\u00e9\",\"\"]");
    ASSERT_INT(daoc_value_len(daoc_obj_get(row, "hosts")), 4);
    ASSERT_STR(daoc_value_str(daoc_arr_get(daoc_obj_get(row, "hosts"), 2), NULL), "\xc3\xa9");
    ASSERT_STR(js(daoc_obj_get(row, "tags")), "[]");
    daoc_value_free(row);

    ASSERT_NULL(sel(st, S_services, -1, "{\"id\": " U("99") "}", false));
    ASSERT_NULL(sel(st, S_services, fidx(S_services, "name"), "\"nope\"", false));
    close_store(st);
}

TEST(foreign_renested_and_select_by_foreign)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(ins(st, S_services, "{\"id\": " U("01") ", \"name\": \"s\"}", NULL), DAOC_OK);
    ASSERT_INT(ins(st, S_routes,
                   "{\"id\": " U("11") ", \"name\": \"r1\","
                                       " \"service\": {\"id\": " U("01") "}}",
                   NULL),
               DAOC_OK);
    ASSERT_INT(
        ins(st, S_routes, "{\"id\": " U("12") ", \"name\": \"r2\", \"service\": null}", NULL),
        DAOC_OK);
    daoc_value *row = sel(st, S_routes, -1, "{\"id\": " U("11") "}", false);
    ASSERT_STR(js(row), "{\"id\":\"00000000-0000-4000-8000-000000000011\",\"name\":\"r1\","
                        "\"service\":{\"id\":\"00000000-0000-4000-8000-000000000001\"},"
                        "\"tags\":null}");
    daoc_value_free(row);
    row = sel(st, S_routes, -1, "{\"id\": " U("12") "}", false);
    ASSERT_TRUE(daoc__is_null(daoc_obj_get(row, "service")));
    daoc_value_free(row);
    close_store(st);
}

static daoc_value *page(daoc__store *st, const daoc__schema *s, daoc__page_req *req, bool *more)
{
    daoc_value *rows = NULL;
    char *msg = NULL;
    int rc = st->ops->page(st, s, req, &rows, more, &msg);
    if (rc != DAOC_OK)
        fprintf(stderr, "page: %d %s\n", rc, msg ? msg : "?");
    daoc__free(msg);
    return rows;
}

/* "id1,id2" of the rows' `field` (strings) or integers */
static const char *col(const daoc_value *rows, const char *field)
{
    static char buf[2048];
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; rows && i < daoc_value_len(rows); i++) {
        const daoc_value *v = daoc_obj_get(daoc_arr_get(rows, i), field);
        if (v && v->type == DAOC_TSTR)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? "," : "", v->u.s);
        else if (v && v->type == DAOC_TINT)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%lld", i ? "," : "",
                                  (long long)v->u.i);
        else
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s?", i ? "," : "");
    }
    return buf;
}

TEST(page_keyset)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    char json[200];
    /* inserted out of order */
    for (int i = 25; i >= 1; i--) {
        snprintf(json, sizeof json,
                 "{\"id\": \"00000000-0000-4000-8000-0000000000%02d\","
                 " \"name\": \"n%02d\"}",
                 i, i);
        ASSERT_INT(ins(st, S_services, json, NULL), DAOC_OK);
    }
    daoc__page_req req = {.fk_field = -1, .size = 10};
    bool more = false;
    daoc_value *rows = page(st, S_services, &req, &more);
    ASSERT_STR(col(rows, "name"), "n01,n02,n03,n04,n05,n06,n07,n08,n09,n10");
    ASSERT_TRUE(more);
    daoc_value *after = daoc_arr();
    ASSERT_INT(daoc_arr_push(after, daoc_value_copy(daoc_obj_get(daoc_arr_get(rows, 9), "id"))),
               DAOC_OK);
    daoc_value_free(rows);
    req.after = after;
    rows = page(st, S_services, &req, &more);
    ASSERT_STR(col(rows, "name"), "n11,n12,n13,n14,n15,n16,n17,n18,n19,n20");
    ASSERT_TRUE(more);
    daoc_value_free(after);
    after = daoc_arr();
    ASSERT_INT(daoc_arr_push(after, daoc_value_copy(daoc_obj_get(daoc_arr_get(rows, 9), "id"))),
               DAOC_OK);
    daoc_value_free(rows);
    req.after = after;
    rows = page(st, S_services, &req, &more);
    ASSERT_STR(col(rows, "name"), "n21,n22,n23,n24,n25");
    ASSERT_TRUE(!more);
    daoc_value_free(rows);
    daoc_value_free(after);

    /* exactly one page: no "more" */
    req.after = NULL;
    req.size = 25;
    rows = page(st, S_services, &req, &more);
    ASSERT_INT(daoc_value_len(rows), 25);
    ASSERT_TRUE(!more);
    daoc_value_free(rows);
    close_store(st);
}

TEST(page_composite_pk)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    const char *rows_json[] = {
        "{\"a\": \"y\", \"b\": 1, \"value\": 5}", "{\"a\": \"x\", \"b\": 2, \"value\": 4}",
        "{\"a\": \"x\", \"b\": 10, \"value\": 3}", "{\"a\": \"y\", \"b\": 0, \"value\": 2}",
        "{\"a\": \"x\", \"b\": 1, \"value\": 1}"};
    for (size_t i = 0; i < 5; i++)
        ASSERT_INT(ins(st, S_metrics, rows_json[i], NULL), DAOC_OK);
    daoc__violation viol;
    ASSERT_INT(ins(st, S_metrics, "{\"a\": \"x\", \"b\": 2, \"value\": 9}", &viol),
               DAOC_ECONSTRAINT);
    ASSERT_INT(viol.kind, DAOC__VIOL_PRIMARY_KEY);

    daoc__page_req req = {.fk_field = -1, .size = 2};
    bool more;
    daoc_value *rows = page(st, S_metrics, &req, &more);
    ASSERT_STR(col(rows, "value"), "1,4");
    ASSERT_TRUE(more);
    daoc_value_free(rows);
    daoc_value *after = J("[\"x\", 2]");
    req.after = after;
    rows = page(st, S_metrics, &req, &more);
    ASSERT_STR(col(rows, "value"), "3,2");
    ASSERT_TRUE(more);
    daoc_value_free(rows);
    daoc_value_free(after);
    after = J("[\"y\", 0]");
    req.after = after;
    rows = page(st, S_metrics, &req, &more);
    ASSERT_STR(col(rows, "value"), "5");
    ASSERT_TRUE(!more);
    daoc_value_free(rows);
    daoc_value_free(after);

    daoc_value *row = sel(st, S_metrics, -1, "{\"a\": \"x\", \"b\": 10}", false);
    ASSERT_STR(js(row), "{\"a\":\"x\",\"b\":10,\"value\":3}");
    daoc_value_free(row);
    close_store(st);
}

TEST(page_fk_filter_and_tags)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(ins(st, S_services, "{\"id\": " U("01") ", \"name\": \"a\"}", NULL), DAOC_OK);
    ASSERT_INT(ins(st, S_services, "{\"id\": " U("02") ", \"name\": \"b\"}", NULL), DAOC_OK);
    const char *r[] = {
        "{\"id\": " U("11") ", \"name\": \"r1\", \"service\": {\"id\": " U(
            "01") "},"
                  " \"tags\": [\"red\", \"big\"]}",
        "{\"id\": " U("12") ", \"name\": \"r2\", \"service\": {\"id\": " U(
            "02") "},"
                  " \"tags\": [\"red\"]}",
        "{\"id\": " U("13") ", \"name\": \"r3\", \"service\": {\"id\": " U(
            "01") "},"
                  " \"tags\": [\"blue\"]}",
        "{\"id\": " U("14") ", \"name\": \"r4\", \"service\": {\"id\": " U("01") "},"
                                                                                 " \"tags\": null}",
        "{\"id\": " U("15") ", \"name\": \"r5\", \"service\": null, \"tags\": [\"big\"]}",
    };
    for (size_t i = 0; i < 5; i++)
        ASSERT_INT(ins(st, S_routes, r[i], NULL), DAOC_OK);

    bool more;
    daoc_value *fk = J("{\"id\": " U("01") "}");
    daoc__page_req req = {.fk_field = fidx(S_routes, "service"), .fk = fk, .size = 100};
    daoc_value *rows = page(st, S_routes, &req, &more);
    ASSERT_STR(col(rows, "name"), "r1,r3,r4");
    ASSERT_TRUE(!more);
    daoc_value_free(rows);

    daoc_value *tags = J("[\"red\", \"big\"]");
    req.tags = tags;
    rows = page(st, S_routes, &req, &more); /* fk + tags and */
    ASSERT_STR(col(rows, "name"), "r1");
    daoc_value_free(rows);
    req.fk_field = -1;
    req.fk = NULL;
    rows = page(st, S_routes, &req, &more);
    ASSERT_STR(col(rows, "name"), "r1");
    daoc_value_free(rows);
    req.tags_or = true;
    rows = page(st, S_routes, &req, &more);
    ASSERT_STR(col(rows, "name"), "r1,r2,r5");
    daoc_value_free(rows);
    daoc_value_free(tags);
    tags = J("[\"blue\"]");
    req.tags = tags;
    req.tags_or = false;
    rows = page(st, S_routes, &req, &more);
    ASSERT_STR(col(rows, "name"), "r3");
    daoc_value_free(rows);
    daoc_value_free(tags);
    daoc_value_free(fk);
    close_store(st);
}

/* The tags view on SQLite (store/tags.h): routes' tags as (tag, entity)
 * pairs read from the tagged tables themselves, in entity-id and tag
 * order, by tag, in keyset pages, and a delete seen at once. */
static const char *tag_pairs(daoc__store *st, const char *tag, int64_t size, char *buf, size_t n)
{
    daoc_value *rows = NULL, *next = NULL, *tv = tag ? daoc_str(tag) : NULL;
    char *msg = NULL;
    buf[0] = 0;
    size_t used = 0;
    daoc_value *after = NULL;
    do {
        if (st->ops->page_tags(st, tv, after, size, &rows, &next, &msg) != DAOC_OK) {
            snprintf(buf, n, "error: %s", msg ? msg : "?");
            daoc__free(msg);
            break;
        }
        for (size_t i = 0; i < rows->len; i++) {
            const daoc_value *r = rows->u.a[i];
            const daoc_value *id = daoc_obj_get(r, "entity_id");
            used += (size_t)snprintf(buf + used, n - used, "%s%s:%s/%s",
                                     used && buf[used - 1] != '|' ? "," : "",
                                     daoc_obj_get(r, "entity_name")->u.s, id->u.s + 34,
                                     daoc_obj_get(r, "tag")->u.s);
        }
        daoc_value_free(rows);
        daoc_value_free(after);
        after = next;
        if (after)
            used += (size_t)snprintf(buf + used, n - used, "|");
    } while (after && used < n - 1);
    daoc_value_free(tv);
    return buf;
}

TEST(tags_pairs_pages_and_by_tag_from_the_tables)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(ins(st, S_services, "{\"id\": " U("01") ", \"name\": \"a\"}", NULL), DAOC_OK);
    ASSERT_INT(ins(st, S_routes,
                   "{\"id\": " U("12") ", \"name\": \"r2\", \"tags\": [\"red\", \"big\"]}", NULL),
               DAOC_OK);
    ASSERT_INT(ins(st, S_routes, "{\"id\": " U("11") ", \"name\": \"r1\", \"tags\": [\"big\"]}",
                   NULL),
               DAOC_OK);
    ASSERT_INT(ins(st, S_routes, "{\"id\": " U("13") ", \"name\": \"r3\", \"tags\": null}", NULL),
               DAOC_OK);
    char buf[512];
    ASSERT_STR(tag_pairs(st, NULL, 100, buf, sizeof buf), "routes:11/big,routes:12/red,routes:12/big");
    ASSERT_STR(tag_pairs(st, NULL, 2, buf, sizeof buf), "routes:11/big,routes:12/red|routes:12/big");
    ASSERT_STR(tag_pairs(st, "big", 1, buf, sizeof buf), "routes:11/big|routes:12/big");
    ASSERT_STR(tag_pairs(st, "red", 5, buf, sizeof buf), "routes:12/red");

    /* read from the tables themselves: a change shows at once */
    daoc_value *key = J("{\"id\": " U("12") "}");
    daoc__key k = {-1, key};
    daoc__read_opts ro = {0};
    daoc__violation viol;
    char *msg = NULL;
    ASSERT_INT(st->ops->delete (st, S_routes, &k, &ro, NULL, &viol, &msg), DAOC_OK);
    daoc_value_free(key);
    ASSERT_STR(tag_pairs(st, NULL, 100, buf, sizeof buf), "routes:11/big");
    ASSERT_INT(ins(st, S_services, "{\"id\": " U("02") ", \"name\": \"b\"}", NULL), DAOC_OK);
    ASSERT_STR(tag_pairs(st, "big", 10, buf, sizeof buf), "routes:11/big");
    close_store(st);
}

/* Workspaceable tables for the paging plans: a parent, a child with ttl,
 * tags, a per-workspace foreign key and one to a global parent, and a
 * composite primary key. */
static const daoc__schema *S_workspaces, *S_wparents, *S_wkids, *S_wpairs;

static int ensure_ws_tables(daoc__store *st)
{
    if (!S_workspaces) {
        S_workspaces = schema("{\"name\": \"workspaces\", \"primary_key\": [\"id\"],"
                              " \"fields\": [" ID_FIELD ","
                              " {\"name\": {\"type\": \"string\", \"unique\": true}}]}");
        S_wparents =
            schema("{\"name\": \"wparents\", \"primary_key\": [\"id\"],"
                   " \"workspaceable\": true, \"fields\": [" ID_FIELD ","
                   " {\"name\": {\"type\": \"string\", \"unique\": true}},"
                   " {\"tags\": {\"type\": \"set\", \"elements\": {\"type\": \"string\"}}}]}");
        S_wkids =
            schema("{\"name\": \"wkids\", \"primary_key\": [\"id\"], \"ttl\": true,"
                   " \"workspaceable\": true, \"fields\": [" ID_FIELD ","
                   " {\"parent\": {\"type\": \"foreign\", \"reference\": \"wparents\","
                   "               \"on_delete\": \"cascade\"}},"
                   " {\"service\": {\"type\": \"foreign\", \"reference\": \"services\","
                   "                \"on_delete\": \"null\"}},"
                   " {\"key\": {\"type\": \"string\", \"unique\": true}},"
                   " {\"tags\": {\"type\": \"set\", \"elements\": {\"type\": \"string\"}}}]}");
        S_wpairs = schema("{\"name\": \"wpairs\", \"primary_key\": [\"a\", \"b\"],"
                          " \"workspaceable\": true,"
                          " \"fields\": [{\"a\": {\"type\": \"string\"}}, {\"b\": {\"type\": "
                          "\"integer\"}}, {\"name\": {\"type\": \"string\", \"unique\": true}}]}");
    }
    const daoc__schema *all[] = {S_workspaces, S_wparents, S_wkids, S_wpairs};
    for (size_t i = 0; i < 4; i++) {
        char *msg = NULL;
        if (!all[i] || st->ops->ensure_table(st, all[i], &msg) != DAOC_OK) {
            fprintf(stderr, "ensure_table: %s\n", msg ? msg : "?");
            daoc__free(msg);
            return -1;
        }
    }
    return 0;
}

/* EXPLAIN QUERY PLAN of the store's page statement (fk, variant) on s: the
 * plan's lines joined with " | " into buf, or NULL when it does not prepare. */
static const char *page_plan(sqlite3 *db, const daoc__schema *s, long fk, unsigned v, char *buf,
                             size_t cap)
{
    daoc__buf b = DAOC__BUF_INIT;
    daoc__buf_puts(&b, "EXPLAIN QUERY PLAN ");
    daoc__sq_sql(&b, s, daoc__sq_code(SQ_OP_PAGE, fk, v), NULL);
    daoc__buf_putc(&b, '\0');
    sqlite3_stmt *q = NULL;
    if (b.failed || sqlite3_prepare_v2(db, b.data, -1, &q, NULL) != SQLITE_OK) {
        fprintf(stderr, "page plan: %s: %s\n", b.data ? b.data : "?", sqlite3_errmsg(db));
        daoc__buf_free(&b);
        return NULL;
    }
    size_t n = 0;
    buf[0] = 0;
    while (sqlite3_step(q) == SQLITE_ROW && n < cap)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? " | " : "",
                              (const char *)sqlite3_column_text(q, 3));
    sqlite3_finalize(q);
    daoc__buf_free(&b);
    return buf;
}

/* Every page statement reads an index in the ORDER BY's order: no sort of
 * the workspace (or table) per page, so a page costs the same at any size. */
TEST(page_plans_read_an_index_in_order)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(ensure_ws_tables(st), 0);
    sqlite3 *db = NULL;
    ASSERT_INT(sqlite3_open(g_path, &db), SQLITE_OK);
    const daoc__schema *all[] = {S_services, S_routes,  S_plugins,  S_consumers, S_keyauth,
                                 S_acls,     S_metrics, S_wparents, S_wkids,     S_wpairs};
    char plan[2048];
    int checked = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const daoc__schema *s = all[i];
        for (long fk = -1; fk < (long)s->nfields; fk++) {
            if (fk >= 0 && (s->fields[fk].type != DAOC__F_FOREIGN || s->fields[fk].transient))
                continue;
            for (unsigned v = 0; v < 0x20; v++) {
                if ((v & SQ_PG_TAGS_AND) && (v & SQ_PG_TAGS_OR))
                    continue;
                if ((v & (SQ_PG_TAGS_AND | SQ_PG_TAGS_OR)) && !s->has_tags)
                    continue;
                if ((v & SQ_PG_WS) && !s->workspaceable)
                    continue;
                const char *p = page_plan(db, s, fk, v, plan, sizeof plan);
                ASSERT_NOT_NULL(p);
                if (strstr(p, "TEMP B-TREE"))
                    fprintf(stderr, "%s fk %ld variant %#x: %s\n", s->name, fk, v, p);
                ASSERT_TRUE(strstr(p, "TEMP B-TREE") == NULL);
                char idx[128];
                if (fk >= 0) /* the parent's rows, from the fk index */
                    snprintf(idx, sizeof idx, "INDEX %s_%s_idx (%s=?", s->name,
                             s->fields[fk].column, s->fields[fk].column);
                else if (v & SQ_PG_WS) /* the workspace's rows */
                    snprintf(idx, sizeof idx, "INDEX %s_ws_id_pk_idx (ws_id=?", s->name);
                else
                    snprintf(idx, sizeof idx, "%s", (v & SQ_PG_AFTER) ? "PRIMARY KEY" : "SCAN t");
                if (!strstr(p, idx))
                    fprintf(stderr, "%s fk %ld variant %#x: %s (wanted %s)\n", s->name, fk, v, p,
                            idx);
                ASSERT_TRUE(strstr(p, idx) != NULL);
                checked++;
            }
        }
    }
    ASSERT_TRUE(checked > 100);
    sqlite3_close(db);
    close_store(st);
}

static int ins_ws(daoc__store *st, const daoc__schema *s, const char *ws, const char *json)
{
    daoc_value *e = J(json), *row = NULL;
    char *msg = NULL;
    daoc__violation viol;
    daoc__write_opts o = {.ws_id = ws};
    int rc = st->ops->insert(st, s, e, &o, &row, &viol, &msg);
    if (rc != DAOC_OK)
        fprintf(stderr, "insert: %d %s\n", rc, msg ? msg : "?");
    daoc__free(msg);
    daoc_value_free(e);
    daoc_value_free(row);
    return rc;
}

/* Pages of one workspace (and of one parent in it) keep primary-key order
 * over the (ws_id, pk) and fk indexes, and only that workspace's rows. */
TEST(page_workspace_keyset_order)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(ensure_ws_tables(st), 0);
    const char *w1 = "00000000-0000-4000-8000-0000000000a1";
    const char *w2 = "00000000-0000-4000-8000-0000000000a2";
    ASSERT_INT(ins(st, S_workspaces, "{\"id\": " U("a1") ", \"name\": \"one\"}", NULL), DAOC_OK);
    ASSERT_INT(ins(st, S_workspaces, "{\"id\": " U("a2") ", \"name\": \"two\"}", NULL), DAOC_OK);
    ASSERT_INT(ins_ws(st, S_wparents, w1, "{\"id\": " U("01") ", \"name\": \"p\"}"), DAOC_OK);
    ASSERT_INT(ins_ws(st, S_wparents, w2, "{\"id\": " U("02") ", \"name\": \"p\"}"), DAOC_OK);
    char json[200];
    for (int i = 30; i >= 11; i--) { /* out of order, alternating workspaces */
        snprintf(json, sizeof json,
                 "{\"id\": \"00000000-0000-4000-8000-0000000000%02d\", \"key\": \"k%02d\","
                 " \"parent\": {\"id\": \"00000000-0000-4000-8000-00000000000%d\"}}",
                 i, i, i % 2 ? 1 : 2);
        ASSERT_INT(ins_ws(st, S_wkids, i % 2 ? w1 : w2, json), DAOC_OK);
    }
    bool more = false;
    daoc__page_req req = {.fk_field = -1, .size = 4, .ws_id = w1};
    daoc_value *rows = page(st, S_wkids, &req, &more);
    ASSERT_STR(col(rows, "key"), "k11,k13,k15,k17");
    ASSERT_TRUE(more);
    daoc_value_free(rows);
    daoc_value *after = J("[" U("17") "]");
    req.after = after;
    rows = page(st, S_wkids, &req, &more);
    ASSERT_STR(col(rows, "key"), "k19,k21,k23,k25");
    daoc_value_free(rows);
    daoc_value *fk = J("{\"id\": " U("02") "}");
    req.fk_field = fidx(S_wkids, "parent");
    req.fk = fk;
    req.ws_id = w2;
    rows = page(st, S_wkids, &req, &more); /* after k17, parent 02 in w2 */
    ASSERT_STR(col(rows, "key"), "k18,k20,k22,k24");
    ASSERT_TRUE(more);
    daoc_value_free(rows);
    req.ws_id = w1; /* parent 02 has no rows in w1 */
    rows = page(st, S_wkids, &req, &more);
    ASSERT_INT((int)daoc_value_len(rows), 0);
    daoc_value_free(rows);
    req.ws_id = NULL; /* global: both workspaces, in key order */
    req.fk_field = -1;
    req.fk = NULL;
    rows = page(st, S_wkids, &req, &more);
    ASSERT_STR(col(rows, "key"), "k18,k19,k20,k21");
    daoc_value_free(rows);
    daoc_value_free(after);
    daoc_value_free(fk);
    close_store(st);
}

TEST(update_and_not_found)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(ins(st, S_services, "{\"id\": " U("01") ", \"name\": \"a\", \"port\": 1}", NULL),
               DAOC_OK);
    daoc_value *k = J("{\"id\": " U("01") "}");
    daoc_value *e = J("{\"id\": " U("01") ", \"name\": \"a2\", \"port\": 2, \"enabled\": true}");
    daoc__key key = {-1, k};
    daoc_value *row = NULL;
    daoc__violation viol;
    char *msg = NULL;
    ASSERT_INT(st->ops->update(st, S_services, &key, e, &NOOPTS, &row, &viol, &msg), DAOC_OK);
    ASSERT_STR(js(daoc_obj_get(row, "name")), "\"a2\"");
    ASSERT_STR(js(daoc_obj_get(row, "port")), "2");
    ASSERT_STR(js(daoc_obj_get(row, "hosts")), "null");
    daoc_value_free(row);
    daoc_value_free(k);

    /* by unique field */
    daoc_value *u = J("\"a2\"");
    daoc__key ukey = {fidx(S_services, "name"), u};
    daoc_value_free(e);
    e = J("{\"id\": " U("01") ", \"name\": \"a3\", \"port\": 3}");
    ASSERT_INT(st->ops->update(st, S_services, &ukey, e, &NOOPTS, &row, &viol, &msg), DAOC_OK);
    ASSERT_STR(js(daoc_obj_get(row, "name")), "\"a3\"");
    daoc_value_free(row);
    /* the old name no longer matches */
    ASSERT_INT(st->ops->update(st, S_services, &ukey, e, &NOOPTS, &row, &viol, &msg), DAOC_OK);
    ASSERT_NULL(row);
    daoc_value_free(u);
    daoc_value_free(e);

    row = sel(st, S_services, -1, "{\"id\": " U("01") "}", false);
    ASSERT_STR(js(daoc_obj_get(row, "port")), "3");
    daoc_value_free(row);
    close_store(st);
}

TEST(upsert_insert_replace_and_by_unique)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    daoc_value *k = J("{\"id\": " U("01") "}");
    daoc__key key = {-1, k};
    daoc_value *e = J("{\"id\": " U("01") ", \"name\": \"a\", \"port\": 1, \"hosts\": [\"h\"]}");
    daoc_value *row = NULL;
    daoc__violation viol;
    char *msg = NULL;
    ASSERT_INT(st->ops->upsert(st, S_services, &key, e, &NOOPTS, &row, &viol, &msg), DAOC_OK);
    ASSERT_STR(js(daoc_obj_get(row, "hosts")), "[\"h\"]");
    daoc_value_free(row);
    daoc_value_free(e);
    /* full replace: absent fields become null */
    e = J("{\"id\": " U("01") ", \"name\": \"b\"}");
    ASSERT_INT(st->ops->upsert(st, S_services, &key, e, &NOOPTS, &row, &viol, &msg), DAOC_OK);
    ASSERT_STR(js(daoc_obj_get(row, "name")), "\"b\"");
    ASSERT_STR(js(daoc_obj_get(row, "hosts")), "null");
    ASSERT_STR(js(daoc_obj_get(row, "port")), "null");
    daoc_value_free(row);
    daoc_value_free(e);
    daoc_value_free(k);

    /* upsert_by_name: the conflict target is the name column */
    daoc_value *u = J("\"b\"");
    daoc__key ukey = {fidx(S_services, "name"), u};
    e = J("{\"id\": " U("01") ", \"name\": \"b\", \"port\": 7}");
    ASSERT_INT(st->ops->upsert(st, S_services, &ukey, e, &NOOPTS, &row, &viol, &msg), DAOC_OK);
    ASSERT_STR(js(daoc_obj_get(row, "port")), "7");
    daoc_value_free(row);
    daoc_value_free(e);
    daoc_value_free(u);
    u = J("\"c\"");
    ukey.key = u;
    e = J("{\"id\": " U("02") ", \"name\": \"c\", \"port\": 8}");
    ASSERT_INT(st->ops->upsert(st, S_services, &ukey, e, &NOOPTS, &row, &viol, &msg), DAOC_OK);
    daoc_value_free(row);
    daoc_value_free(e);
    daoc_value_free(u);
    daoc__page_req req = {.fk_field = -1, .size = 10};
    bool more;
    daoc_value *rows = page(st, S_services, &req, &more);
    ASSERT_STR(col(rows, "name"), "b,c");
    ASSERT_STR(col(rows, "port"), "7,8");
    daoc_value_free(rows);
    close_store(st);
}

TEST(delete_reports_deleted)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(ins(st, S_services, "{\"id\": " U("01") ", \"name\": \"a\"}", NULL), DAOC_OK);
    ASSERT_INT(ins(st, S_services, "{\"id\": " U("02") ", \"name\": \"b\"}", NULL), DAOC_OK);
    daoc_value *k = J("{\"id\": " U("01") "}");
    daoc__key key = {-1, k};
    daoc_value *deleted = NULL;
    daoc__violation viol;
    char *msg = NULL;
    ASSERT_INT(st->ops->delete (st, S_services, &key, NULL, &deleted, &viol, &msg), DAOC_OK);
    ASSERT_NOT_NULL(deleted);
    daoc_value_free(deleted);
    deleted = NULL;
    ASSERT_INT(st->ops->delete (st, S_services, &key, NULL, &deleted, &viol, &msg), DAOC_OK);
    ASSERT_NULL(deleted);
    daoc_value_free(k);
    daoc_value *u = J("\"b\"");
    daoc__key ukey = {fidx(S_services, "name"), u};
    ASSERT_INT(st->ops->delete (st, S_services, &ukey, NULL, &deleted, &viol, &msg), DAOC_OK);
    ASSERT_NOT_NULL(deleted);
    daoc_value_free(deleted);
    deleted = NULL;
    daoc_value_free(u);
    ASSERT_NULL(sel(st, S_services, -1, "{\"id\": " U("02") "}", false));
    close_store(st);
}

TEST(unique_pk_and_cache_key_violations)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    daoc__violation viol;
    ASSERT_INT(ins(st, S_services, "{\"id\": " U("01") ", \"name\": \"a\"}", NULL), DAOC_OK);
    ASSERT_INT(ins(st, S_services, "{\"id\": " U("02") ", \"name\": \"a\"}", &viol),
               DAOC_ECONSTRAINT);
    ASSERT_INT(viol.kind, DAOC__VIOL_UNIQUE);
    ASSERT_INT(viol.field, fidx(S_services, "name"));
    ASSERT_INT(ins(st, S_services, "{\"id\": " U("01") ", \"name\": \"z\"}", &viol),
               DAOC_ECONSTRAINT);
    ASSERT_INT(viol.kind, DAOC__VIOL_PRIMARY_KEY);

    /* unique violation by update */
    ASSERT_INT(ins(st, S_services, "{\"id\": " U("02") ", \"name\": \"b\"}", NULL), DAOC_OK);
    daoc_value *k = J("{\"id\": " U("02") "}");
    daoc_value *e = J("{\"id\": " U("02") ", \"name\": \"a\"}");
    daoc__key key = {-1, k};
    daoc_value *row = NULL;
    char *msg = NULL;
    ASSERT_INT(st->ops->update(st, S_services, &key, e, &NOOPTS, &row, &viol, &msg),
               DAOC_ECONSTRAINT);
    ASSERT_NULL(row);
    ASSERT_INT(viol.kind, DAOC__VIOL_UNIQUE);
    ASSERT_INT(viol.field, fidx(S_services, "name"));
    daoc_value_free(k);
    daoc_value_free(e);

    /* composite cache key column */
    daoc__write_opts o = {.cache_key = "plugins:acl:"
                                       "x"};
    e = J("{\"id\": " U("31") ", \"name\": \"acl\", \"service\": null}");
    ASSERT_INT(st->ops->insert(st, S_plugins, e, &o, &row, &viol, &msg), DAOC_OK);
    ASSERT_NULL(daoc_obj_get(row, "cache_key"));
    ASSERT_INT(daoc_value_len(row), 3);
    daoc_value_free(row);
    daoc_value_free(e);
    e = J("{\"id\": " U("32") ", \"name\": \"acl\", \"service\": null}");
    ASSERT_INT(st->ops->insert(st, S_plugins, e, &o, &row, &viol, &msg), DAOC_ECONSTRAINT);
    ASSERT_INT(viol.kind, DAOC__VIOL_UNIQUE);
    ASSERT_INT(viol.field, -1);
    daoc_value_free(e);

    /* select by the cache_key column */
    daoc_value *ck = J("\"plugins:acl:x\"");
    daoc__key ckey = {DAOC__KEY_CACHE_KEY, ck};
    ASSERT_INT(st->ops->select(st, S_plugins, &ckey, NULL, &row, &msg), DAOC_OK);
    ASSERT_STR(js(daoc_obj_get(row, "id")), "\"00000000-0000-4000-8000-000000000031\"");
    daoc_value_free(row);
    daoc_value_free(ck);
    close_store(st);
}

TEST(foreign_key_violation_names_field)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    daoc__violation viol;
    ASSERT_INT(ins(st, S_routes,
                   "{\"id\": " U("11") ", \"name\": \"r\","
                                       " \"service\": {\"id\": " U("77") "}}",
                   &viol),
               DAOC_ECONSTRAINT);
    ASSERT_INT(viol.kind, DAOC__VIOL_FOREIGN_KEY);
    ASSERT_INT(viol.field, fidx(S_routes, "service"));

    ASSERT_INT(ins(st, S_consumers, "{\"id\": " U("21") ", \"username\": \"bob\"}", NULL), DAOC_OK);
    ASSERT_INT(ins(st, S_keyauth,
                   "{\"id\": " U("41") ", \"key\": \"k\","
                                       " \"consumer\": {\"id\": " U("21") "}}",
                   NULL),
               DAOC_OK);
    /* update pointing at a missing parent */
    daoc_value *k = J("{\"id\": " U("41") "}");
    daoc_value *e = J("{\"id\": " U("41") ", \"key\": \"k\", \"consumer\": {\"id\": " U("22") "}}");
    daoc__key key = {-1, k};
    daoc_value *row = NULL;
    char *msg = NULL;
    ASSERT_INT(st->ops->update(st, S_keyauth, &key, e, &NOOPTS, &row, &viol, &msg),
               DAOC_ECONSTRAINT);
    ASSERT_INT(viol.kind, DAOC__VIOL_FOREIGN_KEY);
    ASSERT_INT(viol.field, fidx(S_keyauth, "consumer"));
    daoc_value_free(k);
    daoc_value_free(e);
    close_store(st);
}

TEST(on_delete_cascade_null_restrict)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(ins(st, S_services, "{\"id\": " U("01") ", \"name\": \"a\"}", NULL), DAOC_OK);
    ASSERT_INT(ins(st, S_routes,
                   "{\"id\": " U("11") ", \"name\": \"r\","
                                       " \"service\": {\"id\": " U("01") "}}",
                   NULL),
               DAOC_OK);
    ASSERT_INT(ins(st, S_plugins,
                   "{\"id\": " U("31") ", \"name\": \"p\","
                                       " \"service\": {\"id\": " U("01") "}}",
                   NULL),
               DAOC_OK);
    daoc_value *k = J("{\"id\": " U("01") "}");
    daoc__key key = {-1, k};
    daoc_value *deleted = NULL;
    daoc__violation viol;
    char *msg = NULL;
    ASSERT_INT(st->ops->delete (st, S_services, &key, NULL, &deleted, &viol, &msg), DAOC_OK);
    ASSERT_NOT_NULL(deleted);
    daoc_value_free(deleted);
    deleted = NULL;
    daoc_value_free(k);
    ASSERT_NULL(sel(st, S_routes, -1, "{\"id\": " U("11") "}", false)); /* cascade */
    daoc_value *row = sel(st, S_plugins, -1, "{\"id\": " U("31") "}", false);
    ASSERT_NOT_NULL(row);
    ASSERT_TRUE(daoc__is_null(daoc_obj_get(row, "service"))); /* set null */
    daoc_value_free(row);

    /* restrict: keyauth_credentials references the consumer */
    ASSERT_INT(ins(st, S_consumers, "{\"id\": " U("21") ", \"username\": \"bob\"}", NULL), DAOC_OK);
    ASSERT_INT(ins(st, S_keyauth,
                   "{\"id\": " U("41") ", \"key\": \"k\","
                                       " \"consumer\": {\"id\": " U("21") "}}",
                   NULL),
               DAOC_OK);
    daoc_value *u = J("\"bob\"");
    daoc__key ukey = {fidx(S_consumers, "username"), u};
    ASSERT_INT(st->ops->delete (st, S_consumers, &ukey, NULL, &deleted, &viol, &msg),
               DAOC_ECONSTRAINT);
    ASSERT_INT(viol.kind, DAOC__VIOL_RESTRICT);
    ASSERT_STR(viol.child, "keyauth_credentials");
    ASSERT_NULL(deleted);
    daoc_value_free(u);
    row = sel(st, S_consumers, -1, "{\"id\": " U("21") "}", false);
    ASSERT_NOT_NULL(row);
    daoc_value_free(row);

    /* two restricting child tables: the one holding a row is named */
    ASSERT_INT(ins(st, S_consumers, "{\"id\": " U("22") ", \"username\": \"amy\"}", NULL), DAOC_OK);
    ASSERT_INT(ins(st, S_acls,
                   "{\"id\": " U("51") ", \"group\": \"g\","
                                       " \"consumer\": {\"id\": " U("22") "}}",
                   NULL),
               DAOC_OK);
    k = J("{\"id\": " U("22") "}");
    key.key = k;
    ASSERT_INT(st->ops->delete (st, S_consumers, &key, NULL, &deleted, &viol, &msg),
               DAOC_ECONSTRAINT);
    ASSERT_INT(viol.kind, DAOC__VIOL_RESTRICT);
    ASSERT_STR(viol.child, "acls");
    daoc_value_free(k);
    close_store(st);
}

static int ins_ttl(daoc__store *st, const char *json, int64_t ttl, daoc_value **row)
{
    daoc_value *e = J(json);
    daoc__write_opts o = {.has_ttl = true, .ttl = ttl};
    daoc__violation viol;
    char *msg = NULL;
    int rc = st->ops->insert(st, S_keyauth, e, &o, row, &viol, &msg);
    daoc__free(msg);
    daoc_value_free(e);
    return rc;
}

TEST(ttl_expiry_filters_and_cleanup)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    char json[300];
    long now = (long)time(NULL);
    daoc_value *row = NULL;
    ASSERT_INT(ins(st, S_consumers, "{\"id\": " U("21") ", \"username\": \"bob\"}", NULL), DAOC_OK);

    /* fresh ttl 100 from created_at = now: 99 or 100 left */
    snprintf(json, sizeof json, "{\"id\": " U("41") ", \"key\": \"k1\", \"created_at\": %ld}", now);
    ASSERT_INT(ins_ttl(st, json, 100, &row), DAOC_OK);
    int64_t left = daoc_value_int(daoc_obj_get(row, "ttl"));
    ASSERT_TRUE(left >= 98 && left <= 100);
    daoc_value_free(row);

    /* ttl 0 = never expires; no ttl option = NULL too */
    ASSERT_INT(ins_ttl(st, "{\"id\": " U("42") ", \"key\": \"k2\"}", 0, &row), DAOC_OK);
    ASSERT_TRUE(daoc__is_null(daoc_obj_get(row, "ttl")));
    daoc_value_free(row);

    /* created 10 s ago with ttl 5: already expired */
    snprintf(json, sizeof json,
             "{\"id\": " U("43") ", \"key\": \"k3\", \"created_at\": %ld,"
                                 " \"consumer\": {\"id\": " U("21") "}}",
             now - 10);
    ASSERT_INT(ins_ttl(st, json, 5, &row), DAOC_OK);
    ASSERT_TRUE(daoc_value_int(daoc_obj_get(row, "ttl")) < 0);
    daoc_value_free(row);
    ASSERT_NULL(sel(st, S_keyauth, -1, "{\"id\": " U("43") "}", false));
    ASSERT_NULL(sel(st, S_keyauth, fidx(S_keyauth, "key"), "\"k3\"", false));
    row = sel(st, S_keyauth, -1, "{\"id\": " U("43") "}", true);
    ASSERT_NOT_NULL(row);
    daoc_value_free(row);

    daoc__page_req req = {.fk_field = -1, .size = 10};
    bool more;
    daoc_value *rows = page(st, S_keyauth, &req, &more);
    ASSERT_STR(col(rows, "key"), "k1,k2");
    daoc_value_free(rows);
    req.skip_ttl = true;
    rows = page(st, S_keyauth, &req, &more);
    ASSERT_STR(col(rows, "key"), "k1,k2,k3");
    daoc_value_free(rows);

    /* update of an expired row finds nothing; update without ttl keeps it */
    daoc_value *k = J("{\"id\": " U("43") "}");
    daoc__key key = {-1, k};
    daoc_value *e = J("{\"id\": " U("43") ", \"key\": \"k3b\"}");
    daoc__violation viol;
    char *msg = NULL;
    ASSERT_INT(st->ops->update(st, S_keyauth, &key, e, &NOOPTS, &row, &viol, &msg), DAOC_OK);
    ASSERT_NULL(row);
    daoc_value_free(e);
    daoc_value_free(k);
    k = J("{\"id\": " U("41") "}");
    key.key = k;
    e = J("{\"id\": " U("41") ", \"key\": \"k1b\"}");
    ASSERT_INT(st->ops->update(st, S_keyauth, &key, e, &NOOPTS, &row, &viol, &msg), DAOC_OK);
    left = daoc_value_int(daoc_obj_get(row, "ttl"));
    ASSERT_TRUE(left >= 98 && left <= 100);
    daoc_value_free(row);
    /* update with ttl = 0 clears it */
    daoc__write_opts o0 = {.has_ttl = true, .ttl = 0};
    ASSERT_INT(st->ops->update(st, S_keyauth, &key, e, &o0, &row, &viol, &msg), DAOC_OK);
    ASSERT_TRUE(daoc__is_null(daoc_obj_get(row, "ttl")));
    daoc_value_free(row);
    /* upsert without ttl clears an existing one */
    daoc__write_opts o50 = {.has_ttl = true, .ttl = 50};
    ASSERT_INT(st->ops->update(st, S_keyauth, &key, e, &o50, &row, &viol, &msg), DAOC_OK);
    left = daoc_value_int(daoc_obj_get(row, "ttl"));
    ASSERT_TRUE(left >= 48 && left <= 50);
    daoc_value_free(row);
    ASSERT_INT(st->ops->upsert(st, S_keyauth, &key, e, &NOOPTS, &row, &viol, &msg), DAOC_OK);
    ASSERT_TRUE(daoc__is_null(daoc_obj_get(row, "ttl")));
    daoc_value_free(row);
    daoc_value_free(e);
    daoc_value_free(k);

    /* delete ignores expired rows unless skip_ttl */
    k = J("{\"id\": " U("43") "}");
    key.key = k;
    daoc_value *deleted = NULL;
    ASSERT_INT(st->ops->delete (st, S_keyauth, &key, NULL, &deleted, &viol, &msg), DAOC_OK);
    ASSERT_NULL(deleted);
    daoc_value_free(k);

    /* the expired row still blocks deleting its consumer (restrict) */
    daoc_value *ck = J("{\"id\": " U("21") "}");
    daoc__key ckey = {-1, ck};
    ASSERT_INT(st->ops->delete (st, S_consumers, &ckey, NULL, &deleted, &viol, &msg),
               DAOC_ECONSTRAINT);
    ASSERT_STR(viol.child, "keyauth_credentials");

    /* cleanup removes exactly the expired row; then the consumer can go */
    int64_t n = -1;
    ASSERT_INT(st->ops->cleanup_ttl(st, S_keyauth, 1000, &n, &msg), DAOC_OK);
    ASSERT_INT(n, 1);
    ASSERT_NULL(sel(st, S_keyauth, -1, "{\"id\": " U("43") "}", true));
    ASSERT_INT(st->ops->cleanup_ttl(st, S_keyauth, 1000, &n, &msg), DAOC_OK);
    ASSERT_INT(n, 0);
    ASSERT_INT(st->ops->delete (st, S_consumers, &ckey, NULL, &deleted, &viol, &msg), DAOC_OK);
    ASSERT_NOT_NULL(deleted);
    daoc_value_free(deleted);
    deleted = NULL;
    daoc_value_free(ck);
    close_store(st);
}

TEST(ttl_cleanup_many_batches)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    char *msg = NULL;
    char json[300];
    long past = (long)time(NULL) - 100;
    ASSERT_INT(st->ops->begin(st, &msg), DAOC_OK);
    for (int i = 0; i < 2500; i++) {
        daoc_value *row = NULL;
        snprintf(json, sizeof json,
                 "{\"id\": \"00000000-0000-4000-8000-%012d\", \"key\": \"k%d\","
                 " \"created_at\": %ld}",
                 i, i, past);
        ASSERT_INT(ins_ttl(st, json, i < 2400 ? 10 : 1000, &row), DAOC_OK);
        daoc_value_free(row);
    }
    ASSERT_INT(st->ops->commit(st, &msg), DAOC_OK);
    int64_t n = 0;
    ASSERT_INT(st->ops->cleanup_ttl(st, S_keyauth, 10000, &n, &msg), DAOC_OK);
    ASSERT_INT(n, 2400);
    daoc__page_req req = {.fk_field = -1, .size = 1000, .skip_ttl = true};
    bool more;
    daoc_value *rows = page(st, S_keyauth, &req, &more);
    ASSERT_INT(daoc_value_len(rows), 100);
    daoc_value_free(rows);
    close_store(st);
}

TEST(transactions_nest_and_roll_back)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    char *msg = NULL;
    ASSERT_INT(st->ops->begin(st, &msg), DAOC_OK);
    ASSERT_INT(st->ops->begin(st, &msg), DAOC_OK);
    ASSERT_INT(ins(st, S_consumers, "{\"id\": " U("21") ", \"username\": \"a\"}", NULL), DAOC_OK);
    ASSERT_INT(st->ops->commit(st, &msg), DAOC_OK);
    ASSERT_INT(st->ops->commit(st, &msg), DAOC_OK);
    daoc_value *row = sel(st, S_consumers, -1, "{\"id\": " U("21") "}", false);
    ASSERT_NOT_NULL(row);
    daoc_value_free(row);

    ASSERT_INT(st->ops->begin(st, &msg), DAOC_OK);
    ASSERT_INT(ins(st, S_consumers, "{\"id\": " U("22") ", \"username\": \"b\"}", NULL), DAOC_OK);
    ASSERT_INT(st->ops->rollback(st), DAOC_OK);
    ASSERT_NULL(sel(st, S_consumers, -1, "{\"id\": " U("22") "}", false));

    /* a nested rollback is a savepoint's: the outer transaction goes on */
    ASSERT_INT(st->ops->begin(st, &msg), DAOC_OK);
    ASSERT_INT(ins(st, S_consumers, "{\"id\": " U("23") ", \"username\": \"c\"}", NULL), DAOC_OK);
    ASSERT_INT(st->ops->begin(st, &msg), DAOC_OK);
    ASSERT_INT(ins(st, S_consumers, "{\"id\": " U("26") ", \"username\": \"f\"}", NULL), DAOC_OK);
    ASSERT_INT(st->ops->rollback(st), DAOC_OK);
    ASSERT_INT(st->ops->commit(st, &msg), DAOC_OK);
    row = sel(st, S_consumers, -1, "{\"id\": " U("23") "}", false);
    ASSERT_NOT_NULL(row);
    daoc_value_free(row);
    ASSERT_NULL(sel(st, S_consumers, -1, "{\"id\": " U("26") "}", false));

    /* a constraint error inside a transaction keeps the earlier writes */
    daoc__violation viol;
    ASSERT_INT(st->ops->begin(st, &msg), DAOC_OK);
    ASSERT_INT(ins(st, S_consumers, "{\"id\": " U("24") ", \"username\": \"d\"}", NULL), DAOC_OK);
    ASSERT_INT(ins(st, S_consumers, "{\"id\": " U("25") ", \"username\": \"d\"}", &viol),
               DAOC_ECONSTRAINT);
    ASSERT_INT(st->ops->commit(st, &msg), DAOC_OK);
    row = sel(st, S_consumers, -1, "{\"id\": " U("24") "}", false);
    ASSERT_NOT_NULL(row);
    daoc_value_free(row);
    ASSERT_INT(st->ops->commit(st, &msg), DAOC_EINVAL);
    close_store(st);
}

TEST(truncate_cascades_to_children)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    char *msg = NULL;
    ASSERT_INT(ins(st, S_consumers, "{\"id\": " U("21") ", \"username\": \"bob\"}", NULL), DAOC_OK);
    ASSERT_INT(ins(st, S_keyauth,
                   "{\"id\": " U("41") ", \"key\": \"k\","
                                       " \"consumer\": {\"id\": " U("21") "}}",
                   NULL),
               DAOC_OK);
    ASSERT_INT(ins(st, S_metrics, "{\"a\": \"x\", \"b\": 1, \"value\": 1}", NULL), DAOC_OK);
    ASSERT_INT(st->ops->truncate(st, S_consumers, &msg), DAOC_OK);
    ASSERT_NULL(sel(st, S_consumers, -1, "{\"id\": " U("21") "}", false));
    ASSERT_NULL(sel(st, S_keyauth, -1, "{\"id\": " U("41") "}", true));
    daoc_value *row = sel(st, S_metrics, -1, "{\"a\": \"x\", \"b\": 1}", false);
    ASSERT_NOT_NULL(row);
    daoc_value_free(row);
    close_store(st);
}

TEST(open_fails_cleanly)
{
    daoc__store *st = NULL;
    char *msg = NULL;
    ASSERT_INT(daoc__sqlite_open(&st, "/nonexistent-dir/x/y.db", &msg), DAOC_ESTORE);
    ASSERT_NULL(st);
    ASSERT_NOT_NULL(msg);
    daoc__free(msg);
}

__attribute__((destructor)) static void free_schemas(void)
{
    for (int i = 0; i < g_nschemas; i++)
        daoc__schema_free(g_schemas[i]);
    g_nschemas = 0;
}

/* Every allocation failure surfaces as DAOC_ENOMEM, never a crash or leak
 * (ASan/LSan check the latter). */
TEST(allocation_failures_report_enomem)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(ins(st, S_services,
                   "{\"id\": " U("01") ", \"name\": \"a\", \"hosts\": [\"x\"],"
                                       " \"headers\": {\"k\": \"v\"}, \"tags\": [\"t\"]}",
                   NULL),
               DAOC_OK);
    ASSERT_INT(ins(st, S_routes,
                   "{\"id\": " U("11") ", \"name\": \"r\","
                                       " \"service\": {\"id\": " U("01") "}}",
                   NULL),
               DAOC_OK);
    daoc_value *k = J("{\"id\": " U("01") "}");
    daoc_value *e = J("{\"id\": " U("02") ", \"name\": \"b\", \"hosts\": [\"y\"], \"tags\": []}");
    daoc_value *fk = J("{\"id\": " U("01") "}");
    daoc_value *tags = J("[\"t\"]");
    daoc__key key = {-1, k};
    daoc__violation viol;
    int ok_select = 0, ok_upsert = 0, ok_page = 0;
    for (long n = 0; n < 200 && !(ok_select && ok_upsert && ok_page); n++) {
        daoc_value *row = NULL;
        char *msg = NULL;
        bool more;
        daoc__alloc_fail_after(n);
        int rc = st->ops->select(st, S_services, &key, NULL, &row, &msg);
        daoc__alloc_fail_after(-1);
        ASSERT_TRUE(rc == DAOC_OK || rc == DAOC_ENOMEM);
        ok_select += rc == DAOC_OK;
        ASSERT_TRUE(rc == DAOC_OK ? row != NULL : row == NULL);
        daoc_value_free(row);
        row = NULL;

        daoc__alloc_fail_after(n);
        rc = st->ops->upsert(st, S_services, &key, e, &NOOPTS, &row, &viol, &msg);
        daoc__alloc_fail_after(-1);
        ASSERT_TRUE(rc == DAOC_OK || rc == DAOC_ENOMEM);
        ok_upsert += rc == DAOC_OK;
        daoc_value_free(row);
        row = NULL;

        daoc__page_req req = {.fk_field = fidx(S_routes, "service"), .fk = fk, .size = 5};
        daoc__alloc_fail_after(n);
        rc = st->ops->page(st, S_routes, &req, &row, &more, &msg);
        daoc__alloc_fail_after(-1);
        ASSERT_TRUE(rc == DAOC_OK || rc == DAOC_ENOMEM);
        ok_page += rc == DAOC_OK;
        daoc_value_free(row);
        req.fk_field = -1;
        req.tags = tags;
        row = NULL;
        daoc__alloc_fail_after(n);
        rc = st->ops->page(st, S_services, &req, &row, &more, &msg);
        daoc__alloc_fail_after(-1);
        ASSERT_TRUE(rc == DAOC_OK || rc == DAOC_ENOMEM);
        daoc_value_free(row);
    }
    ASSERT_TRUE(ok_select && ok_upsert && ok_page);
    int ok_insert = 0;
    for (int n = 0; n < 60 && !ok_insert; n++) {
        char json[200];
        daoc_value *row = NULL;
        char *msg = NULL;
        snprintf(json, sizeof json,
                 "{\"id\": \"00000000-0000-4000-8000-0000000001%02d\", \"name\": \"n%d\","
                 " \"conf\": {\"a\": 1, \"b\": \"x\"}, \"tags\": [\"t\"]}",
                 n, n);
        daoc_value *ent = J(json);
        daoc__alloc_fail_after(n);
        int rc = st->ops->insert(st, S_services, ent, &NOOPTS, &row, &viol, &msg);
        daoc__alloc_fail_after(-1);
        daoc_value_free(ent);
        ASSERT_TRUE(rc == DAOC_OK || rc == DAOC_ENOMEM);
        ok_insert = rc == DAOC_OK;
        daoc_value_free(row);
    }
    ASSERT_TRUE(ok_insert);
    daoc_value_free(k);
    daoc_value_free(e);
    daoc_value_free(fk);
    daoc_value_free(tags);
    close_store(st);
}

/* A database an earlier daoc made (consumers without ws_id): opening it
 * adds the column and puts its rows in the default workspace, so they stay
 * visible and writable (store.h, default_ws). */
TEST(tables_from_before_workspaces_are_upgraded_at_open)
{
    char path[] = "/tmp/daoc_old_layout_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_TRUE(fd >= 0);
    close(fd);
    sqlite3 *raw = NULL;
    ASSERT_INT(sqlite3_open(path, &raw), SQLITE_OK);
    ASSERT_INT(sqlite3_exec(raw,
                            "CREATE TABLE consumers (id TEXT NOT NULL, created_at INTEGER, "
                            "updated_at INTEGER, username TEXT UNIQUE, custom_id TEXT UNIQUE, "
                            "tags TEXT, PRIMARY KEY (id)) WITHOUT ROWID;"
                            "INSERT INTO consumers (id, created_at, username) VALUES "
                            "('6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0c1', 1700000000, 'old');",
                            NULL, NULL, NULL),
               SQLITE_OK);
    sqlite3_close(raw);
    daoc_config *cfg = NULL;
    char why[200];
    ASSERT_INT(t_config_load(&cfg, NULL, why, sizeof why), DAOC_OK);
    ASSERT_INT(t_config_set(cfg, "database", "sqlite", why, sizeof why), DAOC_OK);
    ASSERT_INT(t_config_set(cfg, "sqlite_path", path, why, sizeof why), DAOC_OK);
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    /* tables from the schemas: opening creates nothing unless asked */
    if (daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK)
        abort();
    ASSERT_INT(daoc_db_open(&db, cfg, &err), DAOC_OK);
    daoc_config_free(cfg);
    daoc_dao *consumers = daoc_db_dao(db, "consumers");
    daoc_value *key = daoc_str("old"), *row = NULL;
    ASSERT_INT(daoc_dao_select_by(consumers, "username", key, NULL, &row, &err), DAOC_OK);
    ASSERT_NOT_NULL(row);
    daoc_value_free(row);
    row = NULL;
    daoc_value_free(key);
    daoc_value *in = J("{\"username\":\"new\"}");
    ASSERT_INT(daoc_dao_insert(consumers, in, NULL, &row, &err), DAOC_OK);
    daoc_value_free(row);
    daoc_value_free(in);
    daoc_db_close(db);
    /* opening again finds the column and changes nothing */
    ASSERT_INT(t_config_load(&cfg, NULL, why, sizeof why), DAOC_OK);
    ASSERT_INT(t_config_set(cfg, "sqlite_path", path, why, sizeof why), DAOC_OK);
    /* tables from the schemas: opening creates nothing unless asked */
    if (daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK)
        abort();
    ASSERT_INT(daoc_db_open(&db, cfg, &err), DAOC_OK);
    daoc_config_free(cfg);
    daoc_value *rows = NULL;
    char *next = NULL;
    ASSERT_INT(daoc_dao_page(daoc_db_dao(db, "consumers"), 0, NULL, NULL, &rows, &next, &err),
               DAOC_OK);
    ASSERT_INT((int)daoc_value_len(rows), 2);
    daoc_value_free(rows);
    daoc_db_close(db);
    /* the upgraded table has the (ws_id, pk) index its pages read */
    ASSERT_INT(sqlite3_open(path, &raw), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    ASSERT_INT(sqlite3_prepare_v2(raw,
                                  "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                                  "name = 'consumers_ws_id_pk_idx'",
                                  -1, &q, NULL),
               SQLITE_OK);
    ASSERT_INT(sqlite3_step(q), SQLITE_ROW);
    ASSERT_INT(sqlite3_column_int(q, 0), 1);
    sqlite3_finalize(q);
    sqlite3_close(raw);
    unlink(path);
}

/* delete hands back the row it deleted, decoded as select decodes it:
 * every field kind, a foreign key, a timestamp, the remaining ttl. */
/* Another process's migration rebuilds a table (new column order, a new
 * column) while this store holds statements it prepared on it: SQLite
 * prepares them again, and they read and write by column name. */
TEST(statements_prepared_before_a_table_changed_still_work)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(ins(st, S_consumers, "{\"id\": " U("21") ", \"username\": \"bob\"}", NULL), DAOC_OK);
    daoc_value *r = sel(st, S_consumers, -1, "{\"id\": " U("21") "}", false);
    ASSERT_NOT_NULL(r);
    daoc_value_free(r);
    sqlite3 *raw = NULL;
    ASSERT_INT(sqlite3_open(g_path, &raw), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec(raw,
                          "BEGIN; CREATE TABLE \"consumers_new\" AS SELECT 'x' AS \"extra\", "
                          "* FROM \"consumers\"; DROP TABLE \"consumers\"; ALTER TABLE "
                          "\"consumers_new\" RENAME TO \"consumers\"; COMMIT;",
                          NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf(stderr, "  rebuild: %s\n", err ? err : "?");
    sqlite3_free(err);
    sqlite3_close(raw);
    ASSERT_INT(rc, SQLITE_OK);
    r = sel(st, S_consumers, -1, "{\"id\": " U("21") "}", false);
    ASSERT_NOT_NULL(r);
    ASSERT_STR(daoc_obj_get(r, "username")->u.s, "bob");
    daoc_value_free(r);
    ASSERT_INT(ins(st, S_consumers, "{\"id\": " U("22") ", \"username\": \"eve\"}", NULL), DAOC_OK);
    r = sel(st, S_consumers, -1, "{\"id\": " U("22") "}", false);
    ASSERT_NOT_NULL(r);
    ASSERT_STR(daoc_obj_get(r, "username")->u.s, "eve");
    daoc_value_free(r);
    st->ops->close(st);
}

TEST(delete_returns_the_row_select_saw)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(ins(st, S_services,
                   "{\"id\": " U("01") ", \"created_at\": 1700000000, \"name\": \"a\","
                   " \"port\": 80, \"enabled\": true, \"weight\": 1.5, \"hosts\": [\"h2\", \"h1\"],"
                   " \"headers\": {\"x\": \"y\"}, \"conf\": {\"a\": 1, \"b\": \"s\"},"
                   " \"blob\": {\"k\": [1, 2]}, \"tags\": [\"t\"]}",
                   NULL),
               DAOC_OK);
    ASSERT_INT(ins(st, S_consumers, "{\"id\": " U("21") ", \"username\": \"bob\"}", NULL), DAOC_OK);
    /* no created_at: the expiry counts from now */
    daoc_value *e = J("{\"id\": " U("41") ", \"key\": \"k\","
                      " \"consumer\": {\"id\": " U("21") "}}");
    daoc__write_opts o100 = {.has_ttl = true, .ttl = 100};
    daoc__violation viol;
    char *msg = NULL;
    daoc_value *row = NULL;
    ASSERT_INT(st->ops->insert(st, S_keyauth, e, &o100, &row, &viol, &msg), DAOC_OK);
    daoc_value_free(row);
    daoc_value_free(e);

    const daoc__schema *ss[] = {S_services, S_keyauth};
    const char *ids[] = {"{\"id\": " U("01") "}", "{\"id\": " U("41") "}"};
    for (int i = 0; i < 2; i++) {
        daoc_value *before = sel(st, ss[i], -1, ids[i], false), *k = J(ids[i]), *gone = NULL;
        ASSERT_NOT_NULL(before);
        daoc__key key = {-1, k};
        ASSERT_INT(st->ops->delete (st, ss[i], &key, NULL, &gone, &viol, &msg), DAOC_OK);
        ASSERT_NOT_NULL(gone);
        char want[4096];
        snprintf(want, sizeof want, "%s", js(before));
        ASSERT_STR(js(gone), want);
        daoc_value_free(gone);
        gone = J("{}");
        daoc_value *sentinel = gone;
        ASSERT_INT(st->ops->delete (st, ss[i], &key, NULL, &gone, &viol, &msg), DAOC_OK);
        daoc_value_free(sentinel);
        ASSERT_NULL(gone); /* no row matched */
        daoc_value_free(k);
        daoc_value_free(before);
    }
    /* row NULL: the row is not wanted, still deleted */
    ASSERT_INT(ins(st, S_services, "{\"id\": " U("02") ", \"name\": \"b\"}", NULL), DAOC_OK);
    daoc_value *k2 = J("{\"id\": " U("02") "}");
    daoc__key key2 = {-1, k2};
    ASSERT_INT(st->ops->delete (st, S_services, &key2, NULL, NULL, &viol, &msg), DAOC_OK);
    ASSERT_NULL(sel(st, S_services, -1, "{\"id\": " U("02") "}", false));
    daoc_value_free(k2);
    close_store(st);
}
