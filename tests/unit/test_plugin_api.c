/*
 * test_plugin_api.c -- the public API of a plugin's own Admin API routes
 * (daoc_db_plugin_api_routes, daoc_db_plugin_api_call) with the fixture
 * plugins api-modern (Kong 1.x+) and api-v013 (Kong 0.13), without an
 * HTTP server: the route list's order and fields, a handler's answer
 * (status, body, headers), parent() reaching the caller's callback with
 * the parameters as the handler left them, a handler that raises, and
 * the refusals.  tests/cli/test_admin_plugin_api.sh drives the same
 * routes over a socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errtext.h"
#include "harness.h"

static daoc_db *open_db(void)
{
    static int seq;
    char why[512], path[2200], file[1200];
    const char *src = getenv("DAOC_SRC_DIR");
    const char *tmp = getenv("DAOC_TEST_TMP");
    snprintf(path, sizeof path, "%s/tests/fixtures/?.lua;%s/tests/fixtures/?/init.lua",
             src ? src : ".", src ? src : ".");
    snprintf(file, sizeof file, "%s/plugin_api_%d_%d.db", tmp ? tmp : "/tmp", (int)getpid(), seq++);
    unlink(file);
    daoc_config *cfg = NULL;
    daoc_db *db = NULL;
    if (t_config_load(&cfg, NULL, why, sizeof why) != DAOC_OK ||
        t_config_set(cfg, "sqlite_path", file, why, sizeof why) != DAOC_OK ||
        t_config_set(cfg, "lua_package_path", path, why, sizeof why) != DAOC_OK ||
        t_config_set(cfg, "plugins", "api-modern,api-v013", why, sizeof why) != DAOC_OK ||
        t_config_set(cfg, "create_tables", "on", why, sizeof why) != DAOC_OK)
        abort();
    daoc_error *err = NULL;
    if (daoc_db_open(&db, cfg, &err) != DAOC_OK) {
        fprintf(stderr, "open: %s\n", err ? daoc_error_message(err) : "?");
        abort();
    }
    daoc_config_free(cfg);
    return db;
}

static const char *str(const daoc_value *o, const char *k)
{
    const daoc_value *v = o ? daoc_obj_get(o, k) : NULL;
    return v ? daoc_value_str(v, NULL) : NULL;
}

/* The index of the route whose path is `path`, or -1. */
static long route_of(const daoc_value *routes, const char *path)
{
    for (size_t i = 0; i < daoc_value_len(routes); i++)
        if (strcmp(str(daoc_arr_get(routes, i), "path"), path) == 0)
            return (long)i;
    return -1;
}

static daoc_value *request(const char *method, const char *params_json, bool has_parent)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"method\":\"%s\",\"path\":\"/x\",\"params\":%s,\"uri\":{},\"post\":{},"
             "\"headers\":{\"user-agent\":\"unit\"},\"host\":\"h\",\"port\":8001,"
             "\"scheme\":\"http\",\"has_parent\":%s}",
             method, params_json, has_parent ? "true" : "false");
    daoc_value *v = NULL;
    if (daoc_json_decode(text, strlen(text), &v, NULL) != DAOC_OK)
        abort();
    return v;
}

typedef struct seen {
    int calls;
    char kind[32], method[16], param[64];
} seen;

static int generated(void *ud, const daoc_value *call, daoc_api_reply *reply)
{
    seen *s = ud;
    s->calls++;
    snprintf(s->kind, sizeof s->kind, "%s", str(call, "kind") ? str(call, "kind") : "");
    snprintf(s->method, sizeof s->method, "%s", str(call, "method") ? str(call, "method") : "");
    const char *p = str(daoc_obj_get(call, "params"), "widgets");
    snprintf(s->param, sizeof s->param, "%s", p ? p : "");
    static const char body[] = "{\"name\":\"w1\",\"color\":\"blue\"}";
    reply->status = 201;
    reply->body = malloc(sizeof body - 1);
    memcpy(reply->body, body, sizeof body - 1);
    reply->body_len = sizeof body - 1;
    reply->headers = daoc_obj();
    return daoc_obj_set(reply->headers, "Content-Type", daoc_str("application/json"));
}

TEST(routes_are_listed_per_plugin_then_path)
{
    daoc_db *db = open_db();
    daoc_value *routes = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_db_plugin_api_routes(db, &routes, &err), DAOC_OK);
    size_t n = daoc_value_len(routes);
    ASSERT_INT((long)n, 13); /* api-modern's 11, then api-v013's 2 */
    ASSERT_STR(str(daoc_arr_get(routes, 0), "plugin"), "api-modern");
    ASSERT_STR(str(daoc_arr_get(routes, 0), "path"), "/all-widgets");
    ASSERT_STR(str(daoc_arr_get(routes, 11), "plugin"), "api-v013");
    ASSERT_STR(str(daoc_arr_get(routes, 11), "path"), "/consumers/:username_or_id/gadgets/");
    ASSERT_STR(str(daoc_arr_get(routes, 11), "style"), "old");
    ASSERT_NULL(daoc_obj_get(daoc_arr_get(routes, 11), "schema"));
    ASSERT_TRUE(daoc_value_bool(daoc_obj_get(daoc_arr_get(routes, 11), "before")));
    long w = route_of(routes, "/widgets");
    ASSERT_TRUE(w >= 0);
    const daoc_value *r = daoc_arr_get(routes, (size_t)w);
    ASSERT_STR(str(r, "style"), "new");
    ASSERT_STR(str(r, "schema"), "widgets");
    const daoc_value *m = daoc_obj_get(r, "methods");
    ASSERT_INT((long)daoc_value_len(m), 2);
    ASSERT_STR(daoc_value_str(daoc_arr_get(m, 0), NULL), "GET");
    ASSERT_STR(daoc_value_str(daoc_arr_get(m, 1), NULL), "POST");
    daoc_value *again = NULL;
    ASSERT_INT(daoc_db_plugin_api_routes(db, &again, &err), DAOC_OK);
    ASSERT_INT((long)daoc_value_len(again), (long)n);
    daoc_value_free(again);
    daoc_value_free(routes);
    daoc_db_close(db);
}

TEST(a_handler_answers_status_body_and_headers)
{
    daoc_db *db = open_db(); /* no routes listed first: the call loads them */
    daoc_value *routes = NULL;
    daoc_error *err = NULL;
    daoc_db *other = open_db();
    ASSERT_INT(daoc_db_plugin_api_routes(other, &routes, &err), DAOC_OK);
    long plain = route_of(routes, "/plain");
    daoc_value *req = request("GET", "{}", false);
    daoc_api_reply reply;
    seen s = {0};
    ASSERT_INT(daoc_db_plugin_api_call(db, (size_t)plain, req, generated, &s, &reply, &err),
               DAOC_OK);
    ASSERT_INT(reply.status, 201);
    ASSERT_INT((long)reply.body_len, 5);
    ASSERT_TRUE(memcmp(reply.body, "hello", 5) == 0);
    ASSERT_STR(str(reply.headers, "x-foo"), "bar");
    ASSERT_INT(s.calls, 0);
    daoc_api_reply_free(&reply);
    daoc_value_free(req);
    daoc_value_free(routes);
    daoc_db_close(other);
    daoc_db_close(db);
}

TEST(parent_reaches_the_callback_with_the_parameters_the_handler_left)
{
    daoc_db *db = open_db();
    daoc_value *routes = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_db_plugin_api_routes(db, &routes, &err), DAOC_OK);
    /* POST /widgets: parent(post_process) */
    daoc_value *req = request("POST", "{}", true);
    daoc_api_reply reply;
    seen s = {0};
    ASSERT_INT(daoc_db_plugin_api_call(db, (size_t)route_of(routes, "/widgets"), req, generated, &s,
                                       &reply, &err),
               DAOC_OK);
    ASSERT_INT(s.calls, 1);
    ASSERT_STR(s.kind, "parent");
    ASSERT_STR(s.method, "POST");
    ASSERT_INT(reply.status, 201);
    ASSERT_TRUE(reply.body && strstr(reply.body, "\"shouted\":\"W1\"") != NULL);
    daoc_api_reply_free(&reply);
    daoc_value_free(req);
    /* /consumers/:consumers/widgets/:widgets: `before` answers 404 for an
     * unknown name, and never calls the generated endpoint */
    req = request("GET", "{\"consumers\":\"bob\",\"widgets\":\"nope\"}", true);
    memset(&s, 0, sizeof s);
    ASSERT_INT(daoc_db_plugin_api_call(
                   db, (size_t)route_of(routes, "/consumers/:consumers/widgets/:widgets"), req,
                   generated, &s, &reply, &err),
               DAOC_OK);
    ASSERT_INT(reply.status, 404);
    ASSERT_INT(s.calls, 0);
    daoc_api_reply_free(&reply);
    daoc_value_free(req);
    /* without a generated route of that path, a handler-less method is 405 */
    req = request("DELETE", "{}", false);
    ASSERT_INT(daoc_db_plugin_api_call(db, (size_t)route_of(routes, "/plain"), req, generated, &s,
                                       &reply, &err),
               DAOC_OK);
    ASSERT_INT(reply.status, 405);
    daoc_api_reply_free(&reply);
    daoc_value_free(req);
    daoc_value_free(routes);
    daoc_db_close(db);
}

TEST(a_raising_handler_is_a_500_and_bad_calls_are_refused)
{
    daoc_db *db = open_db();
    daoc_value *routes = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_db_plugin_api_routes(db, &routes, &err), DAOC_OK);
    daoc_value *req = request("GET", "{}", false);
    daoc_api_reply reply;
    seen s = {0};
    ASSERT_INT(daoc_db_plugin_api_call(db, (size_t)route_of(routes, "/boom"), req, generated, &s,
                                       &reply, &err),
               DAOC_OK);
    ASSERT_INT(reply.status, 500);
    ASSERT_TRUE(reply.body && strstr(reply.body, "An unexpected error occurred") != NULL);
    daoc_api_reply_free(&reply);
    ASSERT_INT(daoc_db_plugin_api_call(db, 99, req, generated, &s, &reply, &err), DAOC_EINVAL);
    daoc_error_free(err);
    err = NULL;
    ASSERT_INT(daoc_db_plugin_api_call(db, 0, NULL, generated, &s, &reply, &err), DAOC_EINVAL);
    daoc_error_free(err);
    err = NULL;
    daoc_value_free(routes);
    ASSERT_INT(daoc_db_plugin_api_routes(NULL, &routes, &err), DAOC_EINVAL);
    daoc_error_free(err);
    daoc_value_free(req);
    daoc_db_close(db);
}
