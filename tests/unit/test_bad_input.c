/*
 * test_bad_input.c -- bad values built as daoc_value trees and handed to the
 * public DAO functions: invalid UTF-8 (strings, map keys, set elements),
 * NaN and infinities, integers outside int64 or not integral, 64-bit
 * integers in `number` fields, strings over the 16 MiB cap, wrong types,
 * unknown fields, invalid UUIDs, bad page sizes and offsets.  Every refused
 * write must come back as Kong's error (code, message, fields) and leave the
 * table exactly as it was; update and upsert must leave the stored row
 * intact.  The last cases convert unrepresentable Lua values (coroutines,
 * userdata, cycles) with daoc__lua_to_input and check they validate as
 * Kong's per-field type errors.
 *
 * Each test opens a fresh SQLite file under $DAOC_TEST_TMP and adds its two
 * entities from JSON definitions, as test_dao_conformance.c does.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/value.h"
#include "db/db.h"
#include "fixture.h"
#include "harness.h"
#include "lua/lua.h"
#include "lua/lua_internal.h"

#define UUID_F "{'type':'string','uuid':true,'auto':true}"

static const char *const DEFS[] = {
    "{'name':'bip','primary_key':['id'],'endpoint_key':'name','fields':[{'id':" UUID_F "},"
    "{'name':{'type':'string','unique':true,'required':true}}]}",

    "{'name':'bi','primary_key':['id'],'endpoint_key':'name','fields':[{'id':" UUID_F "},"
    "{'name':{'type':'string','unique':true,'required':true}},"
    "{'str':{'type':'string'}},{'int':{'type':'integer'}},{'num':{'type':'number'}},"
    "{'bool':{'type':'boolean'}},{'arr':{'type':'array','elements':{'type':'integer'}}},"
    "{'nums':{'type':'array','elements':{'type':'number'}}},"
    "{'set':{'type':'set','elements':{'type':'string'}}},"
    "{'map':{'type':'map','keys':{'type':'string'},'values':{'type':'string'}}},"
    "{'rec':{'type':'record','fields':[{'x':{'type':'integer'}},{'y':{'type':'string'}}]}},"
    "{'parent':{'type':'foreign','reference':'bip'}}]}",
    NULL};

#define KEEP_ID "c77c50d2-5947-4904-9f37-fa36182a71a9"
#define UTF8 "invalid utf-8 character sequence detected at position "

static daoc_db *open_db(void) { return fixture_open(DEFS, "bad_input"); }

/* The whole table as JSON (rows ordered by primary key). */
static char *table_json(daoc_db *db)
{
    daoc_value *rows = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    if (daoc_dao_page(daoc_db_dao(db, "bi"), 0, NULL, NULL, &rows, &next, &err) != DAOC_OK) {
        daoc_error_free(err);
        return strdup("(page failed)");
    }
    char *s = enc(rows);
    daoc_value_free(rows);
    daoc_free(next);
    return s;
}

/* A db holding one row `keep` (id KEEP_ID) with every field set; *before
 * receives the table's JSON. */
static daoc_db *open_with_row(char **before)
{
    daoc_db *db = open_db();
    if (!db)
        return NULL;
    daoc_value *e = J("{'id':'" KEEP_ID "','name':'keep','str':'s','int':7,'num':1.5,"
                      "'bool':true,'arr':[1,2],'nums':[0.5],'set':['a'],'map':{'k':'v'},"
                      "'rec':{'x':1,'y':'y'}}");
    daoc_value *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(daoc_db_dao(db, "bi"), e, NULL, &out, &err);
    daoc_value_free(e);
    daoc_value_free(out);
    daoc_error_free(err);
    if (rc != DAOC_OK) {
        daoc_db_close(db);
        return NULL;
    }
    *before = table_json(db);
    return db;
}

/* `name` plus one field set to v (taken). */
static daoc_value *entity_with(const char *field, daoc_value *v)
{
    daoc_value *e = daoc_obj();
    if (daoc_obj_set(e, "name", daoc_str("new")) != DAOC_OK || daoc_obj_set(e, field, v) != DAOC_OK)
        abort();
    return e;
}

/* A patch of one field (taken). */
static daoc_value *patch_with(const char *field, daoc_value *v)
{
    daoc_value *e = daoc_obj();
    if (daoc_obj_set(e, field, v) != DAOC_OK)
        abort();
    return e;
}

static daoc_value *strn(const char *s, size_t n) { return daoc_strn(s, n); }

static daoc_value *arr2(daoc_value *a, daoc_value *b)
{
    daoc_value *r = daoc_arr();
    if (daoc_arr_push(r, a) != DAOC_OK || (b && daoc_arr_push(r, b) != DAOC_OK))
        abort();
    return r;
}

static daoc_value *obj1(const char *k, daoc_value *v)
{
    daoc_value *o = daoc_obj();
    if (daoc_obj_set(o, k, v) != DAOC_OK)
        abort();
    return o;
}

static const char *pk_json = "{'id':'" KEEP_ID "'}";

/* Checks err: DAOC_EDAO, Kong code, fields JSON (and message when given). */
#define ASSERT_KONG(rc, err, code, fields_json, message)                                         \
    do {                                                                                       \
        ASSERT_INT(rc, DAOC_EDAO);                                                             \
        ASSERT_NOT_NULL(err);                                                                  \
        ASSERT_INT(daoc_error_code(err), code);                                                \
        if (fields_json) {                                                                     \
            char *t_f = enc(daoc_error_fields(err));                                           \
            daoc_value *t_w = J(fields_json);                                                  \
            char *t_e = enc(t_w);                                                              \
            daoc_value_free(t_w);                                                              \
            int t_same = strcmp(t_f, t_e) == 0;                                                \
            if (!t_same)                                                                       \
                T_FAIL_AT("fields: got %s, expected %s", t_f, t_e);                            \
            daoc_free(t_f);                                                                    \
            daoc_free(t_e);                                                                    \
            if (!t_same)                                                                       \
                return;                                                                        \
        }                                                                                      \
        if (message)                                                                           \
            ASSERT_STR(daoc_error_message(err), (const char *)(message));                      \
    } while (0)

/* insert, update, update_by name, upsert and upsert_by name of `field = v`
 * (v is taken) are all refused with code 2 and fields_json; the table is
 * unchanged afterwards. */
static int refused(daoc_db *db, const char *before, const char *field, daoc_value *v,
                   const char *fields_json)
{
    daoc_dao *dao = daoc_db_dao(db, "bi");
    daoc_value *pk = J(pk_json), *name = daoc_str("keep"), *out = NULL;
    daoc_error *err = NULL;
    int ok = 1;
    for (int op = 0; op < 5 && ok; op++) {
        daoc_value *e = op == 0 ? entity_with(field, daoc_value_copy(v))
                                : patch_with(field, daoc_value_copy(v));
        if (op == 3 && daoc_obj_set(e, "name", daoc_str("keep")) != DAOC_OK)
            abort();
        int rc = op == 0   ? daoc_dao_insert(dao, e, NULL, &out, &err)
                 : op == 1 ? daoc_dao_update(dao, pk, e, NULL, &out, &err)
                 : op == 2 ? daoc_dao_update_by(dao, "name", name, e, NULL, &out, &err)
                 : op == 3 ? daoc_dao_upsert(dao, pk, e, NULL, &out, &err)
                           : daoc_dao_upsert_by(dao, "name", name, e, NULL, &out, &err);
        daoc_value_free(e);
        char *fields = err ? enc(daoc_error_fields(err)) : NULL;
        daoc_value *w = J(fields_json);
        char *want = enc(w);
        daoc_value_free(w);
        if (rc != DAOC_EDAO || !err || daoc_error_code(err) != 2 || out != NULL ||
            strcmp(fields, want) != 0) {
            fprintf(stderr, "  %s (op %d): rc %d code %d fields %s, expected code 2 fields %s\n",
                    field, op, rc, err ? daoc_error_code(err) : 0, fields ? fields : "-", want);
            ok = 0;
        }
        daoc_free(fields);
        daoc_free(want);
        daoc_value_free(out);
        out = NULL;
        daoc_error_free(err);
        err = NULL;
        char *now = table_json(db);
        if (strcmp(now, before) != 0) {
            fprintf(stderr, "  %s (op %d): table changed:\n    %s\n    %s\n", field, op, before,
                    now);
            ok = 0;
        }
        daoc_free(now);
    }
    daoc_value_free(pk);
    daoc_value_free(name);
    daoc_value_free(v);
    return ok;
}

#define REFUSED(field, v, fields_json) ASSERT_TRUE(refused(db, before, field, v, fields_json))

/* ---- tests ----------------------------------------------------------- */

TEST(invalid_utf8_everywhere)
{
    char *before = NULL;
    daoc_db *db = open_with_row(&before);
    ASSERT_NOT_NULL(db);
    REFUSED("str", strn("ab\xC0", 3), "{'str':'" UTF8 "3'}");
    REFUSED("str", strn("a\0\xFF", 3), "{'str':'" UTF8 "3'}");
    REFUSED("str", strn("\xED\xA0\x80", 3), "{'str':'" UTF8 "1'}"); /* surrogate */
    REFUSED("str", strn("\xC0\xAF", 2), "{'str':'" UTF8 "1'}");     /* overlong */
    REFUSED("str", strn("\xF4\x90\x80\x80", 4), "{'str':'" UTF8 "1'}");
    REFUSED("set", arr2(daoc_str("ok"), strn("\xFF", 1)), "{'set':[null,'" UTF8 "1']}");
    REFUSED("map", obj1("k\xFF", daoc_str("v")), "{'map':'" UTF8 "2'}");
    REFUSED("map", obj1("k", strn("\x80", 1)), "{'map':'" UTF8 "1'}");
    REFUSED("rec", obj1("y", strn("\xFE", 1)), "{'rec':{'y':'" UTF8 "1'}}");
    REFUSED("parent", obj1("id", strn("\xFF", 1)), "{'parent':{'id':'" UTF8 "1'}}");
    daoc_free(before);
    daoc_db_close(db);
}

TEST(nan_infinities_and_integer_range)
{
    char *before = NULL;
    daoc_db *db = open_with_row(&before);
    ASSERT_NOT_NULL(db);
    REFUSED("int", daoc_num(NAN), "{'int':'expected an integer'}");
    REFUSED("int", daoc_num(INFINITY), "{'int':'expected an integer'}");
    REFUSED("int", daoc_num(-INFINITY), "{'int':'expected an integer'}");
    REFUSED("int", daoc_num(0.5), "{'int':'expected an integer'}");
    REFUSED("int", daoc_num(9223372036854775808.0), "{'int':'expected an integer'}");
    REFUSED("int", daoc_num(-1e19), "{'int':'expected an integer'}");
    REFUSED("int", daoc_num(1e300), "{'int':'expected an integer'}");
    REFUSED("num", daoc_num(NAN), "{'num':'expected a number'}");
    REFUSED("num", daoc_num(-NAN), "{'num':'expected a number'}");
    REFUSED("nums", arr2(daoc_num(INFINITY), NULL), "{'nums':['expected a finite number']}");
    REFUSED("nums", arr2(daoc_int(1), daoc_num(NAN)), "{'nums':[null,'expected a number']}");
    REFUSED("arr", arr2(daoc_num(NAN), NULL), "{'arr':['expected an integer']}");
    REFUSED("rec", obj1("x", daoc_num(1e300)), "{'rec':{'x':'expected an integer'}}");
    daoc_free(before);
    daoc_db_close(db);
}

/* What Kong accepts is stored and read back unchanged. */
TEST(edge_numbers_accepted)
{
    daoc_db *db = open_db();
    ASSERT_NOT_NULL(db);
    daoc_dao *dao = daoc_db_dao(db, "bi");
    struct {
        const char *field;
        daoc_value *v;
    } ok[] = {
        {"num", daoc_num(INFINITY)},     {"num", daoc_num(-INFINITY)},
        {"int", daoc_int(INT64_MAX)},    {"int", daoc_int(INT64_MIN)},
        {"int", daoc_num(4611686018427387904.0)},
        {"num", daoc_int(9007199254740993LL)}, /* 2^53 + 1 in a number field */
        {"num", daoc_int(INT64_MAX)},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        daoc_value *e = entity_with(ok[i].field, ok[i].v), *out = NULL, *back = NULL;
        char name[16];
        snprintf(name, sizeof name, "n%zu", i);
        ASSERT_INT(daoc_obj_set(e, "name", daoc_str(name)), DAOC_OK);
        daoc_error *err = NULL;
        int rc = daoc_dao_insert(dao, e, NULL, &out, &err);
        if (rc != DAOC_OK)
            T_FAIL_AT("case %zu: %s", i, err ? daoc_error_string(err) : daoc_strerror(rc));
        daoc_error_free(err);
        ASSERT_INT(rc, DAOC_OK);
        daoc_value *pk = obj1("id", daoc_value_copy(daoc_obj_get(out, "id")));
        ASSERT_INT(daoc_dao_select(dao, pk, NULL, &back, &err), DAOC_OK);
        ASSERT_NOT_NULL(back);
        const daoc_value *in = daoc_obj_get(e, ok[i].field);
        const daoc_value *got = daoc_obj_get(back, ok[i].field);
        ASSERT_NOT_NULL(got);
        if (strcmp(ok[i].field, "int") == 0) {
            ASSERT_INT(daoc_value_type(got), DAOC_TINT);
            ASSERT_INT(daoc_value_int(got), daoc_value_int(in));
        } else {
            /* number fields hold doubles: the nearest one */
            ASSERT_TRUE(daoc_value_num(got) == daoc_value_num(in));
        }
        ASSERT_TRUE(daoc_value_num(daoc_obj_get(out, ok[i].field)) == daoc_value_num(got));
        daoc_value_free(pk);
        daoc_value_free(back);
        daoc_value_free(out);
        daoc_value_free(e);
    }
    daoc_db_close(db);
}

TEST(huge_strings)
{
    char *before = NULL;
    daoc_db *db = open_with_row(&before);
    ASSERT_NOT_NULL(db);
    size_t n = 16u * 1024 * 1024 + 1;
    char *big = malloc(n + 1);
    ASSERT_NOT_NULL(big);
    memset(big, 'x', n);
    big[n] = '\0';
    REFUSED("str", strn(big, n), "{'str':'length must be at most 16777216'}");
    REFUSED("set", arr2(daoc_str("a"), strn(big, n)),
            "{'set':[null,'length must be at most 16777216']}");
    REFUSED("map", obj1(big, daoc_str("v")), "{'map':'length must be at most 16777216'}");
    REFUSED("rec", obj1("y", strn(big, n)), "{'rec':{'y':'length must be at most 16777216'}}");
    free(big);
    daoc_free(before);
    daoc_db_close(db);
}

TEST(wrong_types_unknown_fields_bad_uuids)
{
    char *before = NULL;
    daoc_db *db = open_with_row(&before);
    ASSERT_NOT_NULL(db);
    REFUSED("str", daoc_int(1), "{'str':'expected a string'}");
    REFUSED("int", daoc_str("1"), "{'int':'expected an integer'}");
    REFUSED("num", daoc_bool(true), "{'num':'expected a number'}");
    REFUSED("bool", daoc_int(0), "{'bool':'expected a boolean'}");
    REFUSED("arr", obj1("x", daoc_int(1)), "{'arr':'expected an array'}");
    REFUSED("arr", arr2(daoc_int(1), daoc_str("2")), "{'arr':[null,'expected an integer']}");
    REFUSED("set", daoc_str("a"), "{'set':'expected a set'}");
    REFUSED("map", daoc_str("k"), "{'map':'expected a map'}");
    REFUSED("map", arr2(daoc_str("v"), NULL), "{'map':'expected a map'}");
    REFUSED("rec", daoc_int(1), "{'rec':'expected a record'}");
    REFUSED("rec", obj1("q", daoc_int(1)), "{'rec':{'q':'unknown field'}}");
    REFUSED("parent", daoc_str("x"), "{'parent':{'id':'missing primary key'}}");
    REFUSED("parent", obj1("id", daoc_str("nope")), "{'parent':{'id':'expected a valid UUID'}}");
    REFUSED("parent", obj1("id", daoc_int(5)), "{'parent':{'id':'expected a string'}}");
    REFUSED("bogus", daoc_int(1), "{'bogus':'unknown field'}");
    REFUSED("bogus", daoc_null(), "{'bogus':'unknown field'}");

    /* an invalid id: code 2 on insert, code 1 where it is the key */
    daoc_dao *dao = daoc_db_dao(db, "bi");
    daoc_value *e = J("{'id':'not-a-uuid','name':'x'}"), *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(dao, e, NULL, &out, &err);
    daoc_value_free(e);
    ASSERT_KONG(rc, err, 2, "{'id':'expected a valid UUID'}",
                "schema violation (id: expected a valid UUID)");
    daoc_error_free(err);
    err = NULL;
    daoc_value *pk = obj1("id", strn("\xFF", 1));
    rc = daoc_dao_select(dao, pk, NULL, &out, &err);
    ASSERT_KONG(rc, err, 1, "{'id':'" UTF8 "1'}", NULL);
    daoc_error_free(err);
    err = NULL;
    rc = daoc_dao_delete(dao, pk, NULL, &err);
    ASSERT_KONG(rc, err, 1, "{'id':'" UTF8 "1'}", NULL);
    daoc_error_free(err);
    daoc_value_free(pk);

    char *now = table_json(db);
    ASSERT_STR(now, before);
    daoc_free(now);
    daoc_free(before);
    daoc_db_close(db);
}

/* Several violations at once: one message, sorted, nothing written. */
TEST(several_violations_one_message)
{
    char *before = NULL;
    daoc_db *db = open_with_row(&before);
    ASSERT_NOT_NULL(db);
    daoc_value *e = entity_with("zz", daoc_int(1)), *out = NULL;
    ASSERT_INT(daoc_obj_set(e, "num", daoc_num(NAN)), DAOC_OK);
    ASSERT_INT(daoc_obj_set(e, "str", strn("\xFF", 1)), DAOC_OK);
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(daoc_db_dao(db, "bi"), e, NULL, &out, &err);
    daoc_value_free(e);
    ASSERT_NULL(out);
    ASSERT_KONG(rc, err, 2, NULL,
                "3 schema violations (num: expected a number; str: " UTF8 "1; zz: unknown field)");
    daoc_error_free(err);
    char *now = table_json(db);
    ASSERT_STR(now, before);
    daoc_free(now);
    daoc_free(before);
    daoc_db_close(db);
}

/* Misuse is DAOC_EINVAL with a code-0 "invalid argument" error naming it. */
static void misuse_said(daoc_error **err, const char *want)
{
    ASSERT_NOT_NULL(*err);
    if (*err) {
        ASSERT_INT(daoc_error_code(*err), 0);
        ASSERT_STR(daoc_error_name(*err), "invalid argument");
        ASSERT_STR(daoc_error_message(*err), want);
    }
    daoc_error_free(*err);
    *err = NULL;
}

TEST(misuse_is_einval_without_writing)
{
    char *before = NULL;
    daoc_db *db = open_with_row(&before);
    ASSERT_NOT_NULL(db);
    daoc_dao *dao = daoc_db_dao(db, "bi");
    daoc_value *out = NULL, *s = daoc_str("x");
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_insert(dao, NULL, NULL, &out, &err), DAOC_EINVAL);
    misuse_said(&err, "entity must be a table");
    ASSERT_INT(daoc_dao_insert(dao, s, NULL, &out, &err), DAOC_EINVAL);
    misuse_said(&err, "entity must be a table");
    ASSERT_INT(daoc_dao_select(dao, s, NULL, &out, &err), DAOC_EINVAL);
    misuse_said(&err, "primary_key must be a table");
    ASSERT_NULL(out);
    daoc_value_free(s);
    char *now = table_json(db);
    ASSERT_STR(now, before);
    daoc_free(now);
    daoc_free(before);
    daoc_db_close(db);
}

TEST(page_sizes_and_offsets)
{
    char *before = NULL;
    daoc_db *db = open_with_row(&before);
    ASSERT_NOT_NULL(db);
    daoc_dao *dao = daoc_db_dao(db, "bi");
    daoc_value *rows = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    const int64_t sizes[] = {50001, INT64_MAX};
    for (size_t i = 0; i < 2; i++) {
        int rc = daoc_dao_page(dao, sizes[i], NULL, NULL, &rows, &next, &err);
        ASSERT_KONG(rc, err, 9, NULL, "size must be an integer between 1 and 50000");
        ASSERT_NULL(rows);
        daoc_error_free(err);
        err = NULL;
    }
    int rc = daoc_dao_page(dao, 10, "!!!", NULL, &rows, &next, &err);
    ASSERT_KONG(rc, err, 7, NULL, "'!!!' is not a valid offset: bad base64 encoding");
    ASSERT_NULL(daoc_error_fields(err));
    daoc_error_free(err);
    err = NULL;
    size_t n = 1u << 20;
    char *giant = malloc(n + 1);
    memset(giant, 'A', n);
    giant[n] = '\0';
    rc = daoc_dao_page(dao, 10, giant, NULL, &rows, &next, &err);
    free(giant);
    ASSERT_INT(rc, DAOC_EDAO);
    ASSERT_INT(daoc_error_code(err), 7);
    daoc_error_free(err);
    err = NULL;
    rc = daoc_dao_page(dao, 10, "", NULL, &rows, &next, &err);
    ASSERT_KONG(rc, err, 7, NULL, "'' is not a valid offset: bad json encoding");
    daoc_error_free(err);
    char *now = table_json(db);
    ASSERT_STR(now, before);
    daoc_free(now);
    daoc_free(before);
    daoc_db_close(db);
}

/* A value nested far deeper than any schema, in an unknown field and in a
 * record: refused by type or as unknown, never a crash. */
TEST(deep_values)
{
    char *before = NULL;
    daoc_db *db = open_with_row(&before);
    ASSERT_NOT_NULL(db);
    daoc_value *deep = daoc_arr();
    for (int i = 0; i < 5000; i++) {
        daoc_value *up = daoc_arr();
        ASSERT_INT(daoc_arr_push(up, deep), DAOC_OK);
        deep = up;
    }
    REFUSED("rec", daoc_value_copy(deep), "{'rec':'expected a record'}");
    REFUSED("bogus", deep, "{'bogus':'unknown field'}");
    daoc_free(before);
    daoc_db_close(db);
}

/* ---- Lua values daoc cannot represent, converted for input ------------ */

/* Converts the value of Lua expression `expr` with daoc__lua_to_input and
 * inserts it as field `field`; expects code 2 with fields_json. */
static int lua_input_refused(daoc_db *db, struct daoc__lua *ls, const char *expr,
                             const char *field, const char *fields_json)
{
    lua_State *L = ls->L;
    char code[512];
    snprintf(code, sizeof code, "return %s", expr);
    if (luaL_dostring(L, code) != 0) {
        fprintf(stderr, "  lua: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        return 0;
    }
    daoc_value *v = NULL, *strict = NULL;
    const char *why = NULL;
    int ok = 1;
    if (daoc__lua_to_value(ls, -1, &strict, &why) != DAOC_EINVAL || !why) {
        fprintf(stderr, "  %s: the strict conversion should fail\n", expr);
        ok = 0;
    }
    daoc_value_free(strict);
    if (daoc__lua_to_input(ls, -1, &v, &why) != DAOC_OK) {
        fprintf(stderr, "  %s: daoc__lua_to_input: %s\n", expr, why ? why : "?");
        lua_pop(L, 1);
        return 0;
    }
    lua_pop(L, 1);
    daoc_value *e = entity_with(field, v), *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(daoc_db_dao(db, "bi"), e, NULL, &out, &err);
    daoc_value_free(e);
    char *fields = err ? enc(daoc_error_fields(err)) : NULL;
    daoc_value *w = J(fields_json);
    char *want = enc(w);
    daoc_value_free(w);
    if (rc != DAOC_EDAO || !err || daoc_error_code(err) != 2 || strcmp(fields, want) != 0) {
        fprintf(stderr, "  %s: rc %d fields %s, expected %s\n", expr, rc, fields ? fields : "-",
                want);
        ok = 0;
    }
    daoc_free(fields);
    daoc_free(want);
    daoc_value_free(out);
    daoc_error_free(err);
    return ok;
}

/* ---- identifiers PostgreSQL would cut ------------------------------------ */

/* Adds definition `def` (JSON); returns the status and, on failure, the
 * message (caller frees). */
static int add_def(daoc_db *db, const char *def, char **msg)
{
    daoc_value *d = J(def);
    daoc_error *err = NULL;
    int rc = daoc__db_add_entity(db, d, "longnames", &err);
    daoc_value_free(d);
    *msg = err ? daoc__strdup(daoc_error_string(err)) : NULL;
    daoc_error_free(err);
    return rc;
}

static char *repeat(char c, size_t n)
{
    char *s = daoc__malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

TEST(identifiers_over_63_bytes_are_refused_at_load)
{
    daoc_db *db = fixture_open(DEFS, "bad_ids");
    ASSERT_NOT_NULL(db);
    char def[600], *msg = NULL;
    size_t before = daoc_db_dao_count(db);
    /* 64 bytes: two such names sharing 63 would share one table */
    char *t64 = repeat('t', 64), *t58 = repeat('t', 58), *t59 = repeat('t', 59);
    snprintf(def, sizeof def, "{'name':'%s','primary_key':['id'],'fields':[{'id':" UUID_F "}]}",
             t64);
    ASSERT_INT(add_def(db, def, &msg), DAOC_ESCHEMA);
    ASSERT_NOT_NULL(strstr(msg, "table name '"));
    ASSERT_NOT_NULL(strstr(msg, "' is 64 bytes; identifiers are at most 63 bytes"));
    daoc__free(msg);
    /* 59 bytes: its primary-key constraint "<t>_pkey" would be 64 */
    snprintf(def, sizeof def, "{'name':'%s','primary_key':['id'],'fields':[{'id':" UUID_F "}]}",
             t59);
    ASSERT_INT(add_def(db, def, &msg), DAOC_ESCHEMA);
    ASSERT_NOT_NULL(strstr(msg, "name: the name '"));
    ASSERT_NOT_NULL(strstr(msg, "_pkey' that daoc derives for a constraint or index is 64 bytes"));
    daoc__free(msg);
    /* a column name over the limit, and a foreign key whose constraint
     * name would be over it, are refused naming the field */
    char *c64 = repeat('c', 64);
    snprintf(def, sizeof def,
             "{'name':'lids','primary_key':['id'],'fields':[{'id':" UUID_F "},"
             "{'%s':{'type':'string'}}]}",
             c64);
    ASSERT_INT(add_def(db, def, &msg), DAOC_ESCHEMA);
    ASSERT_NOT_NULL(strstr(msg, "entity 'longnames.lids' is invalid: ccc"));
    ASSERT_NOT_NULL(strstr(msg, ": column name 'ccc"));
    daoc__free(msg);
    /* "lkids_<50 x p>_id_fkey" = 6 + 53 + 5 = 64 bytes */
    char *p50 = repeat('p', 50);
    snprintf(def, sizeof def,
             "{'name':'lkids','primary_key':['id'],'fields':[{'id':" UUID_F "},"
             "{'%s':{'type':'foreign','reference':'bip'}}]}",
             p50);
    ASSERT_INT(add_def(db, def, &msg), DAOC_ESCHEMA);
    ASSERT_NOT_NULL(strstr(msg, "_id_fkey' that daoc derives"));
    ASSERT_NOT_NULL(strstr(msg, "or the field's name"));
    daoc__free(msg);
    ASSERT_INT(daoc_db_dao_count(db), before);
    /* at the limit: loads, and its rows round-trip */
    snprintf(def, sizeof def, "{'name':'%s','primary_key':['id'],'fields':[{'id':" UUID_F "}]}",
             t58);
    ASSERT_INT(add_def(db, def, &msg), DAOC_OK);
    ASSERT_NULL(msg);
    p50[49] = '\0'; /* 63 bytes */
    snprintf(def, sizeof def,
             "{'name':'lkids','primary_key':['id'],'fields':[{'id':" UUID_F "},"
             "{'%s':{'type':'foreign','reference':'bip'}}]}",
             p50);
    ASSERT_INT(add_def(db, def, &msg), DAOC_OK);
    daoc_value *in = J("{}"), *out = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_insert(daoc_db_dao(db, t58), in, NULL, &out, &err), DAOC_OK);
    ASSERT_NOT_NULL(out);
    daoc_value_free(out);
    daoc_value_free(in);
    daoc__free(t64);
    daoc__free(t58);
    daoc__free(t59);
    daoc__free(c64);
    daoc__free(p50);
    daoc_db_close(db);
}

TEST(lua_unrepresentable_values_are_type_errors)
{
    char *before = NULL;
    daoc_db *db = open_with_row(&before);
    ASSERT_NOT_NULL(db);
    struct daoc__lua *ls = db->lua;
    daoc_error *err = NULL;
    bool own = false;
    if (!ls) {
        ASSERT_INT(daoc__lua_open(db, &ls, &err), DAOC_OK);
        own = true;
    }
    ASSERT_TRUE(lua_input_refused(db, ls, "coroutine.create(print)", "str",
                                  "{'str':'expected a string'}"));
    ASSERT_TRUE(lua_input_refused(db, ls, "io.stdout", "int", "{'int':'expected an integer'}"));
    ASSERT_TRUE(lua_input_refused(db, ls, "newproxy()", "map", "{'map':'expected a map'}"));
    ASSERT_TRUE(lua_input_refused(db, ls, "{ k = coroutine.create(print) }", "map",
                                  "{'map':'expected a string'}"));
    ASSERT_TRUE(lua_input_refused(db, ls, "(function() local t = {} t.y = t return t end)()",
                                  "rec", "{'rec':{'y':'expected a string'}}"));
    ASSERT_TRUE(lua_input_refused(
        db, ls, "(function() local t = {} for i = 1, 150 do t = {t} end return {t} end)()",
        "arr", "{'arr':['expected an integer']}"));
    char *now = table_json(db);
    ASSERT_STR(now, before);
    daoc_free(now);
    if (own)
        daoc__lua_close(ls);
    daoc_free(before);
    daoc_db_close(db);
}
