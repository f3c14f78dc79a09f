/*
 * fuzz_admin_handle.c -- libFuzzer target: arbitrary bytes as one Admin
 * API request, answered by daoc__adm_handle against a real SQLite
 * database with the core entities and, when DAOC_SRC_DIR names the
 * source tree (scripts/run-fuzz.sh sets it), the fixture plugins
 * api-modern and api-v013 with their own api.lua routes: the router
 * (percent-decoding, route shapes, trailing slashes, plugin routes ranked
 * against generated ones), the query and body decoders, the generated
 * handlers, the plugins' Lua handlers and the replies.  The input is split on the first two
 * newlines into "METHOD PATH[?QUERY]", a Content-Type (empty: none) and the body. Every answer must
 * be an HTTP status with a body the size it claims; nothing may crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/admin.h"

static daoc_db *g_db;
static daoc__adm_app *g_app;

static void teardown(void)
{
    daoc__adm_app_free(g_app);
    daoc_db_close(g_db);
}

static void setup(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/daoc-fuzz-admin-%ld.db", (long)getpid());
    unlink(path);
    daoc_config *cfg = NULL;
    if (daoc_config_load(&cfg, NULL, NULL) != DAOC_OK ||
        daoc_config_set(cfg, "sqlite_path", path, NULL) != DAOC_OK ||
        daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK)
        abort();
    const char *src = getenv("DAOC_SRC_DIR");
    if (src && *src) {
        char pp[2048];
        snprintf(pp, sizeof pp, "%s/tests/fixtures/?.lua;%s/tests/fixtures/?/init.lua", src, src);
        if (daoc_config_set(cfg, "lua_package_path", pp, NULL) != DAOC_OK ||
            daoc_config_set(cfg, "plugins", "api-modern,api-v013", NULL) != DAOC_OK)
            abort();
    }
    if (daoc_db_open(&g_db, cfg, NULL) != DAOC_OK ||
        daoc__adm_app_new(&g_app, g_db, cfg, NULL) != DAOC_OK)
        abort();
    daoc_config_free(cfg);
    atexit(teardown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_app)
        setup();
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *nl1 = memchr(text, '\n', size);
    char *ct = NULL, *body = NULL;
    if (nl1) {
        *nl1 = '\0';
        ct = nl1 + 1;
        char *nl2 = memchr(ct, '\n', size - (size_t)(ct - text));
        if (nl2) {
            *nl2 = '\0';
            body = nl2 + 1;
        }
    }
    char *sp = strchr(text, ' ');
    const char *method = text, *path = "/";
    if (sp) {
        *sp = '\0';
        path = sp + 1;
    }
    char *q = strchr(path, '?');
    if (q)
        *q++ = '\0';
    daoc__adm_req req = {
        .method = method,
        .path = path,
        .query = q,
        .content_type = ct && *ct ? ct : NULL,
        .content_types = ct && *ct ? 1 : 0,
        .body = body,
        .body_len = body ? size - (size_t)(body - text) : 0,
    };
    daoc__adm_res res;
    daoc__adm_handle(g_app, g_db, &req, &res);
    if (res.status < 200 || res.status > 599 || (res.body.len && !res.body.data))
        abort();
    daoc__adm_res_free(&res);
    free(text);
    return 0;
}
