/*
 * test_schema_lua.c -- schema features whose definitions carry Lua
 * functions, loaded through the real Lua loader (daoc__lua_load_daos_buffer)
 * and compiled by the schema compiler: the schema-level `check` function
 * (kong-schema-dao.md 2.4, Kong's run_self_check), shorthand_fields (2.5)
 * and transformations (2.6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errtext.h"
#include "harness.h"

#include "config/config.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/value.h"
#include "db/db.h"
#include "lua/lua_internal.h"
#include "schema/schema.h"

struct env {
    daoc_db db;
    struct daoc__lua *ls;
    daoc__schema *s;
    char *last;
};

static int env_open(struct env *e)
{
    char err[256];
    memset(e, 0, sizeof *e);
    if (t_config_load(&e->db.cfg, NULL, err, sizeof err) != DAOC_OK)
        return -1;
    daoc_error *derr = NULL;
    int rc = daoc__lua_open(&e->db, &e->ls, &derr);
    daoc_error_free(derr);
    return rc;
}

static void env_close(struct env *e)
{
    daoc__schema_free(e->s);
    daoc_free(e->last);
    daoc__lua_close(e->ls);
    daoc_config_free(e->db.cfg);
}

/* Loads `code` (a daos.lua body) and compiles its first entity into e->s;
 * returns "ok" or the compiler's message (valid until the next call). */
static const char *compile(struct env *e, const char *code)
{
    static char msg[512];
    daoc_value *defs = NULL;
    daoc_error *err = NULL;
    char *cmsg = NULL;
    daoc__schema_free(e->s);
    e->s = NULL;
    if (daoc__lua_load_daos_buffer(e->ls, "buf", "buf.lua", code, strlen(code), &defs, &err) !=
        DAOC_OK) {
        snprintf(msg, sizeof msg, "load: %s", err ? daoc_error_message(err) : "?");
        daoc_error_free(err);
        return msg;
    }
    int rc = daoc__schema_compile(daoc_arr_get(defs, 0), NULL, NULL, &e->s, &cmsg);
    snprintf(msg, sizeof msg, "%s", rc == DAOC_OK ? "ok" : cmsg ? cmsg : "?");
    daoc__free(cmsg);
    daoc_value_free(defs);
    return msg;
}

/* Validates JSON input (full or partial): "ok" or the error tree's JSON. */
static const char *validate(struct env *e, const char *json, bool full)
{
    daoc_value *in = NULL, *errs = NULL;
    char buf[200];
    size_t len;
    daoc_free(e->last);
    e->last = NULL;
    if (t_json_decode(json, strlen(json), &in, buf, sizeof buf) != DAOC_OK)
        return "bad json";
    if (daoc__schema_validate(e->s, in, full, false, &errs) != DAOC_OK) {
        daoc_value_free(in);
        return "error";
    }
    daoc_value_free(in);
    if (!errs)
        return "ok";
    if (daoc_json_encode(errs, &e->last, &len) != DAOC_OK)
        e->last = NULL;
    daoc_value_free(errs);
    return e->last ? e->last : "enomem";
}

/* True when JSON text `got` equals `want` as values (object key order aside:
 * Lua's pairs order is unspecified, in Kong too). */
static bool same_json(const char *got, const char *want)
{
    daoc_value *a = NULL, *b = NULL;
    char buf[200];
    bool eq = t_json_decode(got, strlen(got), &a, buf, sizeof buf) == DAOC_OK &&
              t_json_decode(want, strlen(want), &b, buf, sizeof buf) == DAOC_OK &&
              daoc__value_equal(a, b);
    daoc_value_free(a);
    daoc_value_free(b);
    return eq;
}

#define SC_HEAD                                                                                    \
    "return { { name = 'sc', primary_key = { 'id' }, fields = { { id = { type = 'string' } },"     \
    " { a = { type = 'string' } }, { b = { type = 'string' } } },"

static const char *SC =
    SC_HEAD " check = function(e)\n"
            "   if e.a == 'ok' then return true end\n"
            "   if e.a == 'str' then return false, 'a says no' end\n"
            "   if e.a == 'tbl' then return nil, { b = 'bad b', 'first', 'second' } end\n"
            "   if e.a == 'list' then return nil, { 'one', 'two' } end\n"
            "   if e.a == 'boom' then error('check exploded', 0) end\n"
            "   return false\n"
            " end } }";

TEST(check_function_answers)
{
    struct env e;
    ASSERT_INT(env_open(&e), DAOC_OK);
    ASSERT_STR(compile(&e, SC), "ok");
    ASSERT_NOT_NULL(e.s->self_check);
    ASSERT_STR(validate(&e, "{\"id\":\"1\",\"a\":\"ok\",\"b\":\"x\"}", true), "ok");
    ASSERT_STR(validate(&e, "{\"id\":\"1\",\"a\":\"str\",\"b\":\"x\"}", true),
               "{\"@entity\":[\"a says no\"]}");
    ASSERT_TRUE(same_json(validate(&e, "{\"id\":\"1\",\"a\":\"tbl\",\"b\":\"x\"}", true),
                          "{\"b\":\"bad b\",\"@entity\":[\"first\",\"second\"]}"));
    ASSERT_STR(validate(&e, "{\"id\":\"1\",\"a\":\"list\",\"b\":\"x\"}", true),
               "{\"@entity\":[\"one\",\"two\"]}");
    ASSERT_STR(validate(&e, "{\"id\":\"1\",\"a\":\"none\",\"b\":\"x\"}", true),
               "{\"@entity\":[\"entity check failed\"]}");
    ASSERT_STR(validate(&e, "{\"id\":\"1\",\"a\":\"boom\",\"b\":\"x\"}", true),
               "{\"@entity\":[\"check exploded\"]}");
    /* null counts as present (only nil is missing), and field errors stay */
    ASSERT_STR(validate(&e, "{\"id\":\"1\",\"a\":\"str\",\"b\":null}", true),
               "{\"@entity\":[\"a says no\"]}");
    ASSERT_STR(validate(&e, "{\"id\":\"1\",\"a\":\"str\",\"b\":1}", true),
               "{\"b\":\"expected a string\",\"@entity\":[\"a says no\"]}");
    env_close(&e);
}

TEST(check_function_needs_every_field_and_a_full_check)
{
    struct env e;
    ASSERT_INT(env_open(&e), DAOC_OK);
    ASSERT_STR(compile(&e, SC), "ok");
    ASSERT_STR(validate(&e, "{\"id\":\"1\",\"a\":\"str\"}", true),
               "{\"b\":\"field required for entity check\"}");
    /* partial validation (update) never calls it: "str" would say no */
    ASSERT_STR(validate(&e, "{\"a\":\"str\"}", false), "ok");
    env_close(&e);
}

TEST(check_must_be_a_function)
{
    struct env e;
    ASSERT_INT(env_open(&e), DAOC_OK);
    ASSERT_STR(compile(&e, SC_HEAD " check = 1 } }"), "sc: check: expected a function");
    ASSERT_STR(compile(&e, SC_HEAD " check = 'x' } }"), "sc: check: expected a function");
    env_close(&e);
}

/* ---- shorthand_fields ------------------------------------------------- */

static char notices[512];

static void collect_notice(void *ud, const char *msg)
{
    (void)ud;
    size_t n = strlen(notices);
    snprintf(notices + n, sizeof notices - n, "%s\n", msg);
}

/* Applies the shorthands to JSON input: the entity's JSON, or the errors'
 * JSON prefixed with "errors: ". */
static const char *shorthands(struct env *e, const char *json)
{
    static char out[1024];
    daoc_value *in = NULL, *errs = NULL;
    char buf[200], *j = NULL;
    size_t len;
    if (t_json_decode(json, strlen(json), &in, buf, sizeof buf) != DAOC_OK)
        return "bad json";
    if (daoc__schema_shorthands(e->s, in, &errs, collect_notice, NULL) != DAOC_OK) {
        daoc_value_free(in);
        return "error";
    }
    if (daoc_json_encode(errs ? errs : in, &j, &len) != DAOC_OK)
        j = NULL;
    snprintf(out, sizeof out, "%s%s", errs ? "errors: " : "", j ? j : "enomem");
    daoc_free(j);
    daoc_value_free(in);
    daoc_value_free(errs);
    return out;
}

#define SH_HEAD                                                                                    \
    "return { { name = 'sh', primary_key = { 'id' }, fields = { { id = { type = 'string' } },"     \
    " { host = { type = 'string' } }, { port = { type = 'integer' } },"                            \
    " { conf = { type = 'record', fields = { { a = { type = 'string' } },"                         \
    " { b = { type = 'string' } } } } } },"

static const char *SH =
    SH_HEAD " shorthand_fields = {"
            "  { url = { type = 'string', len_min = 3, func = function(v)\n"
            "      local h, p = v:match('^(.-):(%d+)$')\n"
            "      if v == 'boom' then error('bad url', 0) end\n"
            "      return { host = h or v, port = tonumber(p), conf = { a = 'from-url' } } end } },"
            "  { old_host = { type = 'string', func = function(v) return { host = v } end,"
            "      deprecation = { message = 'use host', removal_in_version = '4.0',"
            "        replaced_with = { { path = { 'host' } } } } } },"
            " } } }";

TEST(shorthand_fields_apply)
{
    struct env e;
    ASSERT_INT(env_open(&e), DAOC_OK);
    ASSERT_STR(compile(&e, SH), "ok");
    ASSERT_INT(e.s->nshorthands, 2);
    notices[0] = '\0';
    /* the value is validated, removed, and func's table merged (records too) */
    ASSERT_TRUE(
        same_json(shorthands(&e, "{\"url\":\"x.org:81\",\"port\":1,\"conf\":{\"b\":\"k\"}}"),
                  "{\"port\":81,\"conf\":{\"a\":\"from-url\",\"b\":\"k\"},"
                  "\"host\":\"x.org\"}"));
    ASSERT_STR(shorthands(&e, "{\"url\":5}"), "errors: {\"url\":\"expected a string\"}");
    ASSERT_STR(shorthands(&e, "{\"url\":\"ab\"}"),
               "errors: {\"url\":\"length must be at least 3\"}");
    ASSERT_STR(shorthands(&e, "{\"url\":\"boom\"}"), "errors: {\"url\":\"bad url\"}");
    ASSERT_STR(shorthands(&e, "{\"port\":1}"), "{\"port\":1}");
    /* deprecated: fills only what is absent or null, refuses a mismatch */
    ASSERT_STR(shorthands(&e, "{\"old_host\":\"h1\"}"), "{\"host\":\"h1\"}");
    ASSERT_STR(shorthands(&e, "{\"old_host\":\"h1\",\"host\":\"h1\"}"), "{\"host\":\"h1\"}");
    ASSERT_STR(shorthands(&e, "{\"old_host\":\"h1\",\"host\":null}"), "{\"host\":\"h1\"}");
    ASSERT_STR(shorthands(&e, "{\"old_host\":\"h1\",\"host\":\"h2\"}"),
               "errors: {\"old_host\":\"both deprecated and new field are used but their values "
               "mismatch: old_host = h1 vs host = h2\"}");
    /* the deprecated one was used four times: one notice, Kong's text */
    ASSERT_STR(notices, "use host (deprecated after 4.0)\n");
    env_close(&e);
}

TEST(shorthand_fields_definitions)
{
    struct env e;
    ASSERT_INT(env_open(&e), DAOC_OK);
    ASSERT_STR(compile(&e, SH_HEAD " shorthand_fields = { { u = { type = 'string' } } } } }"),
               "sh: shorthand_fields.1.u: func: required field missing");
    ASSERT_STR(
        compile(&e, SH_HEAD " shorthand_fields = { { u = { type = 'string', func = 1 } } } } }"),
        "sh: shorthand_fields.1.u: func: expected a function");
    ASSERT_STR(compile(&e, SH_HEAD " shorthand_fields = { { u = { type = 'record', fields = {},"
                                   " func = print } } } } }"),
               "sh: shorthand_fields.1.u: type: expected one of: string, integer, number, "
               "boolean, array, set, map, json");
    ASSERT_STR(compile(&e, SH_HEAD " shorthand_fields = { { u = { type = 'strin',"
                                   " func = print } } } } }"),
               "sh: shorthand_fields.1.u: invalid type: strin");
    ASSERT_STR(compile(&e, SH_HEAD " shorthand_fields = { { a = { type = 'string', func = print },"
                                   " b = { type = 'string', func = print } } } } }"),
               "sh: shorthand_fields.1: length must be 1");
    env_close(&e);
}

TEST(record_shorthand_fields)
{
    struct env e;
    ASSERT_INT(env_open(&e), DAOC_OK);
    ASSERT_STR(compile(&e,
                       "return { { name = 'rs', primary_key = { 'id' }, fields = {"
                       " { id = { type = 'string' } },"
                       " { conf = { type = 'record', fields = { { new = { type = 'string' } } },"
                       "   shorthand_fields = { { old = { type = 'string',"
                       "     func = function(v) return { new = v } end } } } } } } } }"),
               "ok");
    daoc_value *in = NULL;
    char buf[200], *j = NULL;
    size_t len;
    const char *text = "{\"id\":\"1\",\"conf\":{\"old\":\"x\"}}";
    ASSERT_INT(t_json_decode(text, strlen(text), &in, buf, sizeof buf), DAOC_OK);
    ASSERT_INT(daoc__schema_process_auto_fields(e.s, in, DAOC__CTX_INSERT, false, 1.0), DAOC_OK);
    ASSERT_INT(daoc_json_encode(in, &j, &len), DAOC_OK);
    ASSERT_STR(j, "{\"id\":\"1\",\"conf\":{\"new\":\"x\"}}");
    daoc_free(j);
    daoc_value_free(in);
    /* a failing nested shorthand drops the record's value, as in Kong */
    text = "{\"id\":\"1\",\"conf\":{\"old\":1}}";
    ASSERT_INT(t_json_decode(text, strlen(text), &in, buf, sizeof buf), DAOC_OK);
    ASSERT_INT(daoc__schema_process_auto_fields(e.s, in, DAOC__CTX_INSERT, false, 1.0), DAOC_OK);
    ASSERT_STR(validate(&e, "{\"id\":\"1\"}", true), "{\"conf\":\"required field missing\"}");
    ASSERT_NULL(daoc_obj_get(in, "conf"));
    daoc_value_free(in);
    env_close(&e);
}

/* ---- transformations -------------------------------------------------- */

TEST(transformations_definitions)
{
    struct env e;
    ASSERT_INT(env_open(&e), DAOC_OK);
    ASSERT_STR(
        compile(&e, SC_HEAD " transformations = { { input = { 'a' }, on_write = print } } } }"),
        "ok");
    ASSERT_INT(e.s->ntransformations, 1);
    ASSERT_STR(compile(&e, SC_HEAD " transformations = { { input = { 'a' } } } } }"),
               "sc: transformations.1: at least one of these fields must be non-empty: "
               "'on_write', 'on_read'");
    ASSERT_STR(
        compile(&e, SC_HEAD " transformations = { { needs = { 'nope' }, on_read = print } } } }"),
        "sc: transformations.1: needs.1: invalid field name: nope");
    ASSERT_STR(compile(&e, SC_HEAD " transformations = { { on_write = 1 } } } }"),
               "sc: transformations.1: on_write: expected a function");
    ASSERT_STR(compile(&e, SC_HEAD " transformations = { { on_write = print, extra = 1 } } } }"),
               "sc: transformations.1: extra: unknown field");
    env_close(&e);
}

TEST(transformations_run_and_merge)
{
    struct env e;
    ASSERT_INT(env_open(&e), DAOC_OK);
    ASSERT_STR(compile(&e, SC_HEAD
                       " transformations = {"
                       "  { input = { 'a' }, needs = { 'b' }, on_write = function(a, b)"
                       "      if a == 'no' then return nil, 'not that' end"
                       "      return { a = a .. '+' .. b } end },"
                       "  { on_write = function(e) return { b = 'whole:' .. e.a } end } } } }"),
               "ok");
    daoc_value *in = NULL;
    char buf[200], *msg = NULL, *j = NULL;
    size_t len;
    const char *text = "{\"id\":\"1\",\"a\":\"x\",\"b\":\"y\"}";
    ASSERT_INT(t_json_decode(text, strlen(text), &in, buf, sizeof buf), DAOC_OK);
    ASSERT_INT(daoc__schema_transform(e.s, in, in, false, &msg), DAOC_OK);
    ASSERT_INT(daoc_json_encode(in, &j, &len), DAOC_OK);
    ASSERT_STR(j, "{\"id\":\"1\",\"a\":\"x+y\",\"b\":\"whole:x+y\"}");
    daoc_free(j);
    daoc_value_free(in);
    /* an empty needs value: that transformation does not run */
    text = "{\"id\":\"1\",\"a\":\"x\",\"b\":\"\"}";
    ASSERT_INT(t_json_decode(text, strlen(text), &in, buf, sizeof buf), DAOC_OK);
    ASSERT_INT(daoc__schema_transform(e.s, in, in, false, &msg), DAOC_OK);
    ASSERT_INT(daoc_json_encode(in, &j, &len), DAOC_OK);
    ASSERT_STR(j, "{\"id\":\"1\",\"a\":\"x\",\"b\":\"whole:x\"}");
    daoc_free(j);
    daoc_value_free(in);
    text = "{\"id\":\"1\",\"a\":\"no\",\"b\":\"y\"}";
    ASSERT_INT(t_json_decode(text, strlen(text), &in, buf, sizeof buf), DAOC_OK);
    ASSERT_INT(daoc__schema_transform(e.s, in, in, false, &msg), DAOC_EINVAL);
    ASSERT_STR(msg, "transformation failed: not that");
    daoc__free(msg);
    daoc_value_free(in);
    /* the implicit check: given input without its needs */
    ASSERT_STR(validate(&e, "{\"id\":\"1\",\"a\":\"x\"}", false),
               "{\"@entity\":[\"all or none of these fields must be set: 'a', 'b'\"]}");
    ASSERT_STR(validate(&e, "{\"id\":\"1\",\"b\":\"x\"}", false), "ok");
    env_close(&e);
}
