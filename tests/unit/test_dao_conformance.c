/*
 * test_dao_conformance.c -- the DAO conformance suite: Kong's DAO behaviour
 * and exact messages (reference kong-schema-dao.md sections 4-5, checklist
 * 27-50) through the public daoc_dao_* API.
 *
 * Store-agnostic: the store comes from the environment (DAOC_DATABASE,
 * DAOC_SQLITE_PATH, DAOC_PG_*); with SQLite every test gets a fresh database
 * file under DAOC_TEST_TMP, and every test starts by truncating the tables of
 * all loaded entities, so a shared server database (PostgreSQL) starts
 * empty too.  Test entities are added from JSON definitions.  Messages
 * are compared without the "[strategy] " prefix, which is checked against
 * daoc_error_strategy().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dao/dao.h"
#include "db/db.h"
#include "fixture.h"
#include "harness.h"

/* ---- fixtures -------------------------------------------------------- */

#define UUID_F "{'type':'string','uuid':true,'auto':true}"
#define TAGS_F "{'type':'set','elements':{'type':'string','required':true,'custom_validator':'tag'}}"

static const char *const DEFS[] = {
    "{'name':'parents','primary_key':['id'],'endpoint_key':'name','cache_key':['name'],"
    "'fields':[{'id':" UUID_F "},{'name':{'type':'string','unique':true,'required':true}},"
    "{'tags':" TAGS_F "}]}",

    "{'name':'items','primary_key':['id'],'endpoint_key':'name','fields':["
    "{'id':" UUID_F "},{'created_at':{'type':'integer','timestamp':true,'auto':true}},"
    "{'name':{'type':'string','unique':true,'required':true}},"
    "{'count':{'type':'integer','default':0}},{'note':{'type':'string'}},"
    "{'code':{'type':'string','immutable':true}},"
    "{'hosts':{'type':'array','elements':{'type':'string'}}},"
    "{'conf':{'type':'record','fields':[{'a':{'type':'string','default':'x'}},"
    "{'b':{'type':'integer'}}]}},{'tags':" TAGS_F "}]}",

    "{'name':'kids_r','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'parent':{'type':'foreign','reference':'parents'}},{'label':{'type':'string'}}]}",

    "{'name':'kids_c','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'parent':{'type':'foreign','reference':'parents','on_delete':'cascade'}},"
    "{'label':{'type':'string'}}]}",

    "{'name':'kids_n','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'parent':{'type':'foreign','reference':'parents','on_delete':'null'}},"
    "{'label':{'type':'string'}}]}",

    "{'name':'things','primary_key':['id'],'cache_key':['parent','kind'],'fields':["
    "{'id':" UUID_F "},{'parent':{'type':'foreign','reference':'parents','on_delete':'cascade'}},"
    "{'kind':{'type':'string','required':true}}]}",

    /* a TTL parent with a restrict child and a cascade child that has a
     * restrict child of its own; defined before 'tokens' so that cleanup
     * reaches 'tokens' after it */
    "{'name':'tparents','primary_key':['id'],'ttl':true,'fields':[{'id':" UUID_F "},"
    "{'name':{'type':'string'}}]}",

    "{'name':'tkids_r','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'parent':{'type':'foreign','reference':'tparents'}}]}",

    "{'name':'tkids_c','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'parent':{'type':'foreign','reference':'tparents','on_delete':'cascade'}}]}",

    "{'name':'tgrand_r','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'kid':{'type':'foreign','reference':'tkids_c'}}]}",

    "{'name':'tokens','primary_key':['id'],'ttl':true,'endpoint_key':'key','fields':["
    "{'id':" UUID_F "},{'created_at':{'type':'integer','timestamp':true,'auto':true}},"
    "{'key':{'type':'string','unique':true,'auto':true}}]}",

    /* workspaceable: name unique per workspace, code unique across them */
    "{'name':'wparents','primary_key':['id'],'endpoint_key':'name','workspaceable':true,"
    "'fields':[{'id':" UUID_F "},{'name':{'type':'string','unique':true,'required':true}},"
    "{'code':{'type':'string','unique':true,'unique_across_ws':true}}]}",

    "{'name':'wkids','primary_key':['id'],'workspaceable':true,'fields':[{'id':" UUID_F "},"
    "{'parent':{'type':'foreign','reference':'wparents','on_delete':'cascade'}},"
    "{'label':{'type':'string'}}]}",

    /* immutable array and set fields */
    "{'name':'frozen','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'note':{'type':'string'}},"
    "{'list':{'type':'array','elements':{'type':'string'},'immutable':true}},"
    "{'bag':{'type':'set','elements':{'type':'string'},'immutable':true}}]}",
    NULL};

static daoc_db *open_db(void) { return fixture_open(DEFS, "dao_conf"); }

/* Error check: status EDAO, Kong code, message, and "[strategy] message". */
/* err is a code-0 "invalid argument" error with message want_msg; frees it. */
#define ASSERT_MISUSE(err, want_msg)                                                               \
    do {                                                                                           \
        ASSERT_NOT_NULL(err);                                                                      \
        if (err) {                                                                                 \
            ASSERT_INT(daoc_error_code(err), 0);                                                   \
            ASSERT_STR(daoc_error_name(err), "invalid argument");                                  \
            ASSERT_STR(daoc_error_message(err), want_msg);                                         \
            ASSERT_STR(daoc_error_string(err), want_msg);                                          \
        }                                                                                          \
        daoc_error_free(err);                                                                      \
        err = NULL;                                                                                \
    } while (0)

#define ASSERT_ERR(rc, err, want_code, want_msg)                                                   \
    do {                                                                                           \
        ASSERT_INT(rc, DAOC_EDAO);                                                                 \
        ASSERT_NOT_NULL(err);                                                                      \
        ASSERT_INT(daoc_error_code(err), want_code);                                               \
        ASSERT_STR(daoc_error_message(err), want_msg);                                             \
        char t_full[1024];                                                                         \
        snprintf(t_full, sizeof t_full, "[%s] %s", daoc_error_strategy(err), want_msg);            \
        ASSERT_STR(daoc_error_string(err), t_full);                                                \
    } while (0)

/* 'x' -> "x"; \' -> ' */
static void unquote(char *w)
{
    char *o = w;
    for (char *p = w; *p; p++) {
        if (p[0] == '\\' && p[1] == '\'')
            *o++ = *++p;
        else
            *o++ = *p == '\'' ? '"' : *p;
    }
    *o = 0;
}

#define ASSERT_JSON(v, want)                                                                       \
    do {                                                                                           \
        char *t_j = enc(v);                                                                        \
        char t_w[2048];                                                                            \
        snprintf(t_w, sizeof t_w, "%s", want);                                                     \
        unquote(t_w);                                                                              \
        int t_eq = strcmp(t_j, t_w) == 0;                                                          \
        if (!t_eq)                                                                                 \
            T_FAIL_AT("json %s:\n      got      %s\n      expected %s", #v, t_j, t_w);            \
        daoc_free(t_j);                                                                            \
        if (!t_eq)                                                                                 \
            return;                                                                                \
    } while (0)

static const char *sget(const daoc_value *o, const char *k)
{
    const daoc_value *v = o ? daoc_obj_get(o, k) : NULL;
    return v ? daoc_value_str(v, NULL) : NULL;
}

/* Inserts `json` into `dao` and returns the new entity (NULL on failure). */
static daoc_value *ins(daoc_db *db, const char *entity, const char *json)
{
    daoc_value *in = J(json), *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(daoc_db_dao(db, entity), in, NULL, &out, &err);
    if (rc != DAOC_OK)
        fprintf(stderr, "    insert %s %s: %s\n", entity, json, err ? daoc_error_string(err) : "");
    daoc_error_free(err);
    daoc_value_free(in);
    return out;
}

static daoc_value *pk_of(const daoc_value *e)
{
    daoc_value *pk = daoc_obj();
    if (daoc_obj_set(pk, "id", daoc_value_copy(daoc_obj_get(e, "id"))) != DAOC_OK)
        abort();
    return pk;
}

static size_t count_rows(daoc_db *db, const char *entity, const char *optjson)
{
    daoc_value *opts = optjson ? J(optjson) : NULL, *rows = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    size_t n = (size_t)-1;
    if (daoc_dao_page(daoc_db_dao(db, entity), 0, NULL, opts, &rows, &next, &err) == DAOC_OK)
        n = daoc_value_len(rows);
    daoc_value_free(rows);
    daoc_free(next);
    daoc_error_free(err);
    daoc_value_free(opts);
    return n;
}

#define OPEN(db)                                                                                   \
    daoc_db *db = open_db();                                                                       \
    ASSERT_NOT_NULL(db)

/* ---- insert / select --------------------------------------------------- */

TEST(insert_then_select)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    ASSERT_NOT_NULL(dao);
    ASSERT_STR(daoc_dao_name(dao), "items");
    daoc_value *e = ins(db, "items", "{'name':'a','count':3}");
    ASSERT_NOT_NULL(e);
    ASSERT_INT(strlen(sget(e, "id")), 36);
    ASSERT_STR(sget(e, "name"), "a");
    ASSERT_INT(daoc_value_int(daoc_obj_get(e, "count")), 3);
    ASSERT_NULL(daoc_obj_get(e, "note")); /* nulls dropped without `nulls` */
    ASSERT_STR(sget(daoc_obj_get(e, "conf"), "a"), "x"); /* record defaults */

    daoc_value *pk = pk_of(e), *got = NULL, *opts = J("{'nulls':true}");
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_select(dao, pk, NULL, &got, &err), DAOC_OK);
    ASSERT_NOT_NULL(got);
    ASSERT_STR(sget(got, "id"), sget(e, "id"));
    ASSERT_INT(daoc_value_int(daoc_obj_get(got, "count")), 3);
    daoc_value_free(got);
    ASSERT_INT(daoc_dao_select(dao, pk, opts, &got, &err), DAOC_OK);
    ASSERT_NOT_NULL(daoc_obj_get(got, "note"));
    ASSERT_INT(daoc_value_type(daoc_obj_get(got, "note")), DAOC_TNULL);
    daoc_value_free(got);
    daoc_value_free(opts);
    daoc_value_free(pk);
    daoc_value_free(e);
    daoc_db_close(db);
}

TEST(select_missing_and_invalid_pk)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    daoc_value *pk = J("{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d001'}"), *got = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_select(dao, pk, NULL, &got, &err), DAOC_OK);
    ASSERT_NULL(got);
    ASSERT_NULL(err);
    daoc_value_free(pk);

    pk = J("{'id':'nope'}");
    int rc = daoc_dao_select(dao, pk, NULL, &got, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_PRIMARY_KEY,
               "invalid primary key: '{id=\"expected a valid UUID\"}'");
    ASSERT_STR(daoc_error_name(err), "invalid primary key");
    ASSERT_STR(sget(daoc_error_fields(err), "id"), "expected a valid UUID");
    ASSERT_NULL(got);
    daoc_error_free(err);
    err = NULL;
    rc = daoc_dao_delete(dao, pk, NULL, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_PRIMARY_KEY,
               "invalid primary key: '{id=\"expected a valid UUID\"}'");
    daoc_error_free(err);
    daoc_value_free(pk);

    daoc_value *notobj = J("'x'");
    ASSERT_INT(daoc_dao_select(dao, notobj, NULL, &got, &err), DAOC_EINVAL);
    ASSERT_MISUSE(err, "primary_key must be a table");
    ASSERT_INT(daoc_dao_insert(dao, notobj, NULL, &got, &err), DAOC_EINVAL);
    ASSERT_MISUSE(err, "entity must be a table");
    daoc_value_free(notobj);
    daoc_db_close(db);
}

/* Every daoc.h call that takes an error object fills it on every failure
 * but ENOMEM, misuse included: one way of reporting errors. */
TEST(misuse_is_reported_through_the_error_object)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    daoc_value *v = J("'x'"), *out = (daoc_value *)&out, *rows = NULL;
    daoc_error *err = NULL;
    char *next = NULL, *ck = NULL;
    daoc_value *num = J("7");
    ASSERT_INT(daoc_dao_select_by(dao, "name", num, NULL, &out, &err), DAOC_EINVAL);
    ASSERT_MISUSE(err, "name must be a string");
    daoc_value_free(num);
    ASSERT_INT(daoc_dao_select_by(dao, "nope", v, NULL, &out, &err), DAOC_EINVAL);
    ASSERT_NULL(out);
    ASSERT_MISUSE(err, "entity 'items' has no field 'nope' (select_by)");
    ASSERT_INT(daoc_dao_update_by(dao, "nope", v, v, NULL, &out, &err), DAOC_EINVAL);
    ASSERT_MISUSE(err, "entity 'items' has no field 'nope' (update_by)");
    ASSERT_INT(daoc_dao_upsert_by(dao, NULL, v, v, NULL, &out, &err), DAOC_EINVAL);
    ASSERT_MISUSE(err, "field name is NULL");
    ASSERT_INT(daoc_dao_delete_by(NULL, "name", v, NULL, &err), DAOC_EINVAL);
    ASSERT_MISUSE(err, "dao is NULL");
    ASSERT_INT(daoc_dao_page_for(dao, "nope", v, 0, NULL, NULL, &rows, &next, &err), DAOC_EINVAL);
    ASSERT_MISUSE(err, "entity 'items' has no field 'nope' (page_for)");
    ASSERT_INT(daoc_dao_page(dao, 0, NULL, v, &rows, &next, &err), DAOC_EINVAL);
    ASSERT_MISUSE(err, "options must be a table when specified");
    ASSERT_INT(daoc_dao_cache_key(dao, NULL, &ck, &err), DAOC_EINVAL);
    ASSERT_MISUSE(err, "entity is NULL");
    ASSERT_INT(daoc_db_commit(db, &err), DAOC_EINVAL);
    ASSERT_MISUSE(err, "no transaction is open");
    ASSERT_INT(daoc_db_rollback(db, &err), DAOC_EINVAL);
    ASSERT_MISUSE(err, "no transaction is open");
    ASSERT_INT(daoc_db_cleanup_ttl(NULL, 10, NULL, &err), DAOC_EINVAL);
    ASSERT_MISUSE(err, "db is NULL");
    /* a success leaves no error object behind, whatever *err held */
    daoc_error *stale = (daoc_error *)&stale;
    err = stale;
    ASSERT_INT(daoc_dao_page(dao, 0, NULL, NULL, &rows, &next, &err), DAOC_OK);
    ASSERT_NULL(err);
    daoc_value_free(rows);
    daoc_free(next);
    daoc_value_free(v);
    daoc_db_close(db);
}

TEST(schema_violation_writes_nothing)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    daoc_value *in = J("{'count':'x'}"), *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(dao, in, NULL, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_SCHEMA_VIOLATION,
               "2 schema violations (count: expected an integer; name: required field missing)");
    ASSERT_STR(sget(daoc_error_fields(err), "name"), "required field missing");
    ASSERT_NULL(out);
    daoc_error_free(err);
    daoc_value_free(in);
    ASSERT_INT(count_rows(db, "items", NULL), 0);

    in = J("{'name':'n','bogus':1}");
    err = NULL;
    rc = daoc_dao_insert(dao, in, NULL, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_SCHEMA_VIOLATION, "schema violation (bogus: unknown field)");
    daoc_error_free(err);
    daoc_value_free(in);
    ASSERT_INT(count_rows(db, "items", NULL), 0);
    daoc_db_close(db);
}

/* ---- paging ------------------------------------------------------------ */

TEST(page_walks_50_rows_with_offsets)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    for (int i = 0; i < 50; i++) {
        char j[64];
        snprintf(j, sizeof j, "{'name':'row%02d'}", i);
        daoc_value *e = ins(db, "items", j);
        ASSERT_NOT_NULL(e);
        daoc_value_free(e);
    }
    char *offset = NULL;
    size_t total = 0;
    int pages = 0;
    char last_id[64] = "";
    do {
        daoc_value *rows = NULL;
        char *next = NULL;
        daoc_error *err = NULL;
        ASSERT_INT(daoc_dao_page(dao, 10, offset, NULL, &rows, &next, &err), DAOC_OK);
        daoc_free(offset);
        offset = next;
        pages++;
        ASSERT_INT(daoc_value_len(rows), 10);
        for (size_t i = 0; i < daoc_value_len(rows); i++) {
            const char *id = sget(daoc_arr_get(rows, i), "id");
            ASSERT_TRUE(strcmp(id, last_id) > 0); /* ordered by primary key */
            snprintf(last_id, sizeof last_id, "%s", id);
        }
        total += daoc_value_len(rows);
        daoc_value_free(rows);
        if (offset)
            ASSERT_NULL(strchr(offset, '=')); /* no padding */
    } while (offset && pages < 10);
    ASSERT_INT(pages, 5);
    ASSERT_INT(total, 50);

    /* default size: everything on one page, no offset */
    daoc_value *rows = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_page(dao, 0, NULL, NULL, &rows, &next, &err), DAOC_OK);
    ASSERT_INT(daoc_value_len(rows), 50);
    ASSERT_NULL(next);
    daoc_value_free(rows);
    /* exactly size rows left: no offset */
    ASSERT_INT(daoc_dao_page(dao, 50, NULL, NULL, &rows, &next, &err), DAOC_OK);
    ASSERT_INT(daoc_value_len(rows), 50);
    ASSERT_NULL(next);
    daoc_value_free(rows);
    /* pagination.page_size option */
    daoc_value *opts = J("{'pagination':{'page_size':7}}");
    ASSERT_INT(daoc_dao_page(dao, 0, NULL, opts, &rows, &next, &err), DAOC_OK);
    ASSERT_INT(daoc_value_len(rows), 7);
    ASSERT_NOT_NULL(next);
    daoc_free(next);
    daoc_value_free(rows);
    daoc_value_free(opts);
    daoc_db_close(db);
}

TEST(page_empty_table)
{
    OPEN(db);
    daoc_value *rows = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_page(daoc_db_dao(db, "items"), 0, NULL, NULL, &rows, &next, &err),
               DAOC_OK);
    ASSERT_NOT_NULL(rows);
    ASSERT_JSON(rows, "[]");
    ASSERT_NULL(next);
    daoc_value_free(rows);
    daoc_db_close(db);
}

TEST(page_size_errors)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    daoc_value *rows = NULL, *size = J("5.5");
    char *next = NULL;
    daoc_error *err = NULL;
    int rc = daoc__dao_page_v(dao, -1, NULL, size, NULL, NULL, &rows, &next, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_SIZE, "size must be an integer between 1 and 50000");
    ASSERT_NULL(daoc_error_fields(err));
    daoc_error_free(err);
    daoc_value_free(size);
    err = NULL;
    rc = daoc_dao_page(dao, 50001, NULL, NULL, &rows, &next, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_SIZE, "size must be an integer between 1 and 50000");
    daoc_error_free(err);
    err = NULL;
    daoc_value *opts = J("{'pagination':{'max_page_size':10}}");
    rc = daoc_dao_page(dao, 11, NULL, opts, &rows, &next, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_SIZE, "size must be an integer between 1 and 10");
    daoc_error_free(err);
    daoc_value_free(opts);
    err = NULL;
    opts = J("{'pagination':{'page_size':0,'max_page_size':0}}");
    rc = daoc_dao_page(dao, 0, NULL, opts, &rows, &next, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_OPTIONS,
               "2 option violations (pagination.max_page_size: must be an integer greater than 0; "
               "pagination.page_size: must be an integer between 1 and 50000)");
    ASSERT_NULL(daoc_error_fields(err));
    ASSERT_NOT_NULL(daoc_error_options(err));
    daoc_error_free(err);
    daoc_value_free(opts);
    ASSERT_NULL(rows);
    daoc_db_close(db);
}

TEST(page_bad_offsets)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    daoc_value *rows = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_page(dao, 3, "hello", NULL, &rows, &next, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_OFFSET,
               "'hello' is not a valid offset: bad base64 encoding");
    ASSERT_NULL(daoc_error_fields(err));
    daoc_error_free(err);
    err = NULL;
    /* base64("not json") */
    rc = daoc_dao_page(dao, 3, "bm90IGpzb24", NULL, &rows, &next, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_OFFSET,
               "'bm90IGpzb24' is not a valid offset: bad json encoding");
    daoc_error_free(err);
    err = NULL;
    /* base64("{}"): JSON, but not a key array */
    rc = daoc_dao_page(dao, 3, "e30", NULL, &rows, &next, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_OFFSET, "'e30' is not a valid offset: bad json encoding");
    daoc_error_free(err);
    ASSERT_NULL(rows);
    daoc_db_close(db);
}

/* ---- update ------------------------------------------------------------ */

TEST(update_is_partial)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    daoc_value *e = ins(db, "items", "{'name':'u1','count':1,'note':'n','conf':{'b':2},'hosts':['a','b']}");
    ASSERT_NOT_NULL(e);
    daoc_value *pk = pk_of(e), *patch = J("{'count':5,'conf':{'a':'y'},'hosts':['c']}"), *out = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_update(dao, pk, patch, NULL, &out, &err), DAOC_OK);
    ASSERT_STR(sget(out, "name"), "u1");
    ASSERT_STR(sget(out, "note"), "n");
    ASSERT_INT(daoc_value_int(daoc_obj_get(out, "count")), 5);
    ASSERT_STR(sget(daoc_obj_get(out, "conf"), "a"), "y"); /* records merged */
    ASSERT_INT(daoc_value_int(daoc_obj_get(daoc_obj_get(out, "conf"), "b")), 2);
    ASSERT_JSON(daoc_obj_get(out, "hosts"), "['c']");          /* arrays replaced */
    daoc_value_free(out);
    daoc_value_free(patch);

    patch = J("{'note':null}"); /* explicit null clears */
    ASSERT_INT(daoc_dao_update(dao, pk, patch, NULL, &out, &err), DAOC_OK);
    ASSERT_NULL(daoc_obj_get(out, "note"));
    daoc_value_free(out);
    daoc_value_free(patch);

    patch = J("{'count':'x'}"); /* invalid: nothing written */
    int rc = daoc_dao_update(dao, pk, patch, NULL, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_SCHEMA_VIOLATION, "schema violation (count: expected an integer)");
    daoc_error_free(err);
    err = NULL;
    daoc_value_free(patch);
    ASSERT_INT(daoc_dao_select(dao, pk, NULL, &out, &err), DAOC_OK);
    ASSERT_INT(daoc_value_int(daoc_obj_get(out, "count")), 5);
    daoc_value_free(out);
    daoc_value_free(pk);
    daoc_value_free(e);
    daoc_db_close(db);
}

TEST(update_not_found)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    daoc_value *pk = J("{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d001'}"), *patch = J("{'count':1}");
    daoc_value *out = NULL, *name = J("'inexisting'");
    daoc_error *err = NULL;
    int rc = daoc_dao_update(dao, pk, patch, NULL, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_NOT_FOUND,
               "could not find the entity with primary key "
               "'{id=\"6a0c2a4e-7b29-4f35-9b57-27b1b3a5d001\"}'");
    ASSERT_JSON(daoc_error_fields(err), "{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d001'}");
    daoc_error_free(err);
    err = NULL;
    rc = daoc_dao_update_by(dao, "name", name, patch, NULL, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_NOT_FOUND, "could not find the entity with '{name=\"inexisting\"}'");
    ASSERT_JSON(daoc_error_fields(err), "{'name':'inexisting'}");
    daoc_error_free(err);
    ASSERT_INT(count_rows(db, "items", NULL), 0);
    daoc_value_free(name);
    daoc_value_free(patch);
    daoc_value_free(pk);
    daoc_db_close(db);
}

TEST(update_immutable_field)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    daoc_value *e = ins(db, "items", "{'name':'im','code':'c1'}");
    ASSERT_NOT_NULL(e);
    daoc_value *pk = pk_of(e), *patch = J("{'code':'c2'}"), *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_update(dao, pk, patch, NULL, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_SCHEMA_VIOLATION,
               "schema violation (code: immutable field cannot be updated)");
    daoc_error_free(err);
    daoc_value_free(patch);
    patch = J("{'code':'c1','count':2}"); /* same value is fine */
    ASSERT_INT(daoc_dao_update(dao, pk, patch, NULL, &out, NULL), DAOC_OK);
    ASSERT_INT(daoc_value_int(daoc_obj_get(out, "count")), 2);
    daoc_value_free(out);
    daoc_value_free(patch);
    daoc_value_free(pk);
    daoc_value_free(e);
    daoc_db_close(db);
}

/* ---- transactions ------------------------------------------------------ */

/* One refused write inside a transaction, then a good insert `name`. */
#define REFUSED_THEN_GOOD(call, code, name)                                                        \
    do {                                                                                           \
        daoc_error *t_err = NULL;                                                                  \
        daoc_value *t_out = NULL;                                                                  \
        int t_rc = (call);                                                                         \
        ASSERT_INT(t_rc, DAOC_EDAO);                                                               \
        ASSERT_NOT_NULL(t_err);                                                                    \
        ASSERT_INT(daoc_error_code(t_err), code);                                                  \
        daoc_error_free(t_err);                                                                    \
        daoc_value_free(t_out);                                                                    \
        daoc_value *t_e = ins(db, "items", "{'name':'" name "'}");                                 \
        ASSERT_NOT_NULL(t_e);                                                                      \
        daoc_value_free(t_e);                                                                      \
    } while (0)

/* include/daoc.h: a failed DAO write inside a transaction leaves it usable;
 * every kind of refused write, each followed by a good one, then commit. */
TEST(refused_writes_keep_the_transaction)
{
    OPEN(db);
    daoc_dao *items = daoc_db_dao(db, "items"), *parents = daoc_db_dao(db, "parents");
    daoc_dao *kids = daoc_db_dao(db, "kids_r");
    daoc_value *old = ins(db, "items", "{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0e1',"
                                       "'name':'old','code':'c1'}");
    ASSERT_NOT_NULL(old);
    daoc_value *p = ins(db, "parents", "{'name':'p'}");
    ASSERT_NOT_NULL(p);
    char j[200];
    snprintf(j, sizeof j, "{'parent':{'id':'%s'}}", sget(p, "id"));
    daoc_value *k = ins(db, "kids_r", j);
    ASSERT_NOT_NULL(k);

    daoc_value *missing = J("{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0e9'}"), *opk = pk_of(old);
    daoc_value *ppk = pk_of(p), *patch = J("{'count':1}"), *bad = J("{'name':'x','count':'y'}");
    daoc_value *imm = J("{'code':'c2'}"), *immfull = J("{'name':'old','code':'c2'}");
    daoc_value *dupname = J("{'name':'old'}");
    daoc_value *duppk = J("{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0e1','name':'other'}");
    daoc_value *badfk = J("{'parent':{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0cc'}}");

    daoc_error *err = NULL;
    ASSERT_INT(daoc_db_begin(db, &err), DAOC_OK);
    REFUSED_THEN_GOOD(daoc_dao_update(items, missing, patch, NULL, &t_out, &t_err),
                      DAOC_ERR_NOT_FOUND, "g1");
    REFUSED_THEN_GOOD(daoc_dao_insert(items, bad, NULL, &t_out, &t_err),
                      DAOC_ERR_SCHEMA_VIOLATION, "g2");
    REFUSED_THEN_GOOD(daoc_dao_update(items, opk, imm, NULL, &t_out, &t_err),
                      DAOC_ERR_SCHEMA_VIOLATION, "g3");
    REFUSED_THEN_GOOD(daoc_dao_upsert(items, opk, immfull, NULL, &t_out, &t_err),
                      DAOC_ERR_SCHEMA_VIOLATION, "g4");
    REFUSED_THEN_GOOD(daoc_dao_insert(items, dupname, NULL, &t_out, &t_err),
                      DAOC_ERR_UNIQUE_VIOLATION, "g5");
    REFUSED_THEN_GOOD(daoc_dao_insert(items, duppk, NULL, &t_out, &t_err),
                      DAOC_ERR_PRIMARY_KEY_VIOLATION, "g6");
    REFUSED_THEN_GOOD(daoc_dao_insert(kids, badfk, NULL, &t_out, &t_err),
                      DAOC_ERR_FOREIGN_KEY_VIOLATION, "g7");
    REFUSED_THEN_GOOD(daoc_dao_delete(parents, ppk, NULL, &t_err), DAOC_ERR_FOREIGN_KEY_VIOLATION,
                      "g8");
    REFUSED_THEN_GOOD(daoc_dao_update(items, missing, patch, NULL, &t_out, &t_err),
                      DAOC_ERR_NOT_FOUND, "g9");
    if (daoc_db_commit(db, &err) != DAOC_OK)
        T_FAIL_AT("commit: %s", err ? daoc_error_string(err) : "?");
    daoc_error_free(err);
    err = NULL;
    ASSERT_INT(count_rows(db, "items", NULL), 10); /* old + g1..g9 */
    ASSERT_INT(count_rows(db, "parents", NULL), 1);
    ASSERT_INT(count_rows(db, "kids_r", NULL), 1);
    daoc_value *got = NULL;
    ASSERT_INT(daoc_dao_select(items, opk, NULL, &got, NULL), DAOC_OK);
    ASSERT_STR(sget(got, "code"), "c1");
    daoc_value_free(got);

    daoc_value_free(badfk);
    daoc_value_free(duppk);
    daoc_value_free(dupname);
    daoc_value_free(immfull);
    daoc_value_free(imm);
    daoc_value_free(bad);
    daoc_value_free(patch);
    daoc_value_free(ppk);
    daoc_value_free(opk);
    daoc_value_free(missing);
    daoc_value_free(k);
    daoc_value_free(p);
    daoc_value_free(old);
    daoc_db_close(db);
}

/* An inner begin is a savepoint: its rollback undoes only its own part. */
TEST(nested_rollback_undoes_only_the_inner_part)
{
    OPEN(db);
    daoc_error *err = NULL;
    ASSERT_INT(daoc_db_begin(db, &err), DAOC_OK);
    daoc_value *a = ins(db, "items", "{'name':'a'}");
    ASSERT_NOT_NULL(a);
    ASSERT_INT(daoc_db_begin(db, &err), DAOC_OK);
    daoc_value *b = ins(db, "items", "{'name':'b'}");
    ASSERT_NOT_NULL(b);
    ASSERT_INT(daoc_db_begin(db, &err), DAOC_OK); /* two levels deep */
    daoc_value *c = ins(db, "items", "{'name':'c'}");
    ASSERT_NOT_NULL(c);
    ASSERT_INT(daoc_db_commit(db, &err), DAOC_OK);
    ASSERT_INT(daoc_db_rollback(db, NULL), DAOC_OK); /* undoes b and c */
    daoc_value *d = ins(db, "items", "{'name':'b'}"); /* b's name is free again */
    ASSERT_NOT_NULL(d);
    ASSERT_INT(daoc_db_begin(db, &err), DAOC_OK);
    daoc_value *e = ins(db, "items", "{'name':'e'}");
    ASSERT_NOT_NULL(e);
    ASSERT_INT(daoc_db_commit(db, &err), DAOC_OK);
    if (daoc_db_commit(db, &err) != DAOC_OK)
        T_FAIL_AT("commit: %s", err ? daoc_error_string(err) : "?");
    ASSERT_INT(count_rows(db, "items", NULL), 3); /* a, b (d), e */
    ASSERT_INT(daoc_db_commit(db, &err), DAOC_EINVAL);
    daoc_error_free(err);
    daoc_value_free(e);
    daoc_value_free(d);
    daoc_value_free(c);
    daoc_value_free(b);
    daoc_value_free(a);
    daoc_db_close(db);
}

TEST(update_by_unique_and_endpoint_key)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    daoc_value *e = ins(db, "items", "{'name':'ub','count':1}");
    ASSERT_NOT_NULL(e);
    daoc_value *name = J("'ub'"), *patch = J("{'count':9}"), *out = NULL;
    ASSERT_INT(daoc_dao_update_by(dao, "name", name, patch, NULL, &out, NULL), DAOC_OK);
    ASSERT_INT(daoc_value_int(daoc_obj_get(out, "count")), 9);
    ASSERT_STR(sget(out, "id"), sget(e, "id"));
    daoc_value_free(out);
    ASSERT_INT(daoc_dao_update_by(dao, "note", name, patch, NULL, &out, NULL), DAOC_EINVAL);
    daoc_value_free(patch);
    daoc_value_free(name);
    daoc_value_free(e);
    daoc_db_close(db);
}

/* ---- upsert ------------------------------------------------------------ */

TEST(upsert_creates_then_replaces)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    daoc_value *pk = J("{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0aa'}");
    daoc_value *body = J("{'id':'11111111-1111-4111-8111-111111111111','name':'p1','count':2,'note':'n'}");
    daoc_value *out = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_upsert(dao, pk, body, NULL, &out, &err), DAOC_OK);
    ASSERT_STR(sget(out, "id"), "6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0aa"); /* pk wins */
    ASSERT_INT(daoc_value_int(daoc_obj_get(out, "count")), 2);
    daoc_value_free(out);
    daoc_value_free(body);
    body = J("{'name':'p1'}");
    ASSERT_INT(daoc_dao_upsert(dao, pk, body, NULL, &out, &err), DAOC_OK);
    ASSERT_INT(daoc_value_int(daoc_obj_get(out, "count")), 0); /* default again */
    ASSERT_NULL(daoc_obj_get(out, "note"));                    /* replaced */
    daoc_value_free(out);
    daoc_value_free(body);
    ASSERT_INT(count_rows(db, "items", NULL), 1);

    body = J("{'count':1}"); /* full validation */
    int rc = daoc_dao_upsert(dao, pk, body, NULL, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_SCHEMA_VIOLATION, "schema violation (name: required field missing)");
    daoc_error_free(err);
    daoc_value_free(body);
    daoc_value_free(pk);
    daoc_db_close(db);
}

TEST(upsert_by_injects_the_key)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    daoc_value *name = J("'ub'"), *body = J("{'count':4}"), *out = NULL;
    ASSERT_INT(daoc_dao_upsert_by(dao, "name", name, body, NULL, &out, NULL), DAOC_OK);
    ASSERT_STR(sget(out, "name"), "ub");
    char id[64];
    snprintf(id, sizeof id, "%s", sget(out, "id"));
    daoc_value_free(out);
    daoc_value_free(body);
    body = J("{'name':'other','count':5}");
    ASSERT_INT(daoc_dao_upsert_by(dao, "name", name, body, NULL, &out, NULL), DAOC_OK);
    ASSERT_STR(sget(out, "name"), "ub");
    ASSERT_STR(sget(out, "id"), id);
    ASSERT_INT(daoc_value_int(daoc_obj_get(out, "count")), 5);
    daoc_value_free(out);
    daoc_value_free(body);
    daoc_value_free(name);
    ASSERT_INT(count_rows(db, "items", NULL), 1);
    daoc_db_close(db);
}

/* ---- delete ------------------------------------------------------------ */

TEST(delete_and_delete_by)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    daoc_value *e = ins(db, "items", "{'name':'d1'}"), *e2 = ins(db, "items", "{'name':'d2'}");
    ASSERT_NOT_NULL(e);
    ASSERT_NOT_NULL(e2);
    daoc_value *pk = pk_of(e), *out = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_delete(dao, pk, NULL, &err), DAOC_OK);
    ASSERT_INT(daoc_dao_select(dao, pk, NULL, &out, &err), DAOC_OK);
    ASSERT_NULL(out);
    ASSERT_INT(daoc_dao_delete(dao, pk, NULL, &err), DAOC_OK); /* missing row: ok */
    daoc_value *name = J("'d2'"), *missing = J("'nope'");
    ASSERT_INT(daoc_dao_delete_by(dao, "name", name, NULL, &err), DAOC_OK);
    ASSERT_INT(daoc_dao_delete_by(dao, "name", missing, NULL, &err), DAOC_OK);
    ASSERT_NULL(err);
    ASSERT_INT(count_rows(db, "items", NULL), 0);
    daoc_value_free(name);
    daoc_value_free(missing);
    daoc_value_free(pk);
    daoc_value_free(e);
    daoc_value_free(e2);
    daoc_db_close(db);
}

/* ---- select_by ---------------------------------------------------------- */

TEST(select_by_unique_field)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    daoc_value *e = ins(db, "items", "{'name':'sb'}");
    ASSERT_NOT_NULL(e);
    daoc_value *v = J("'sb'"), *out = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_select_by(dao, "name", v, NULL, &out, &err), DAOC_OK);
    ASSERT_STR(sget(out, "id"), sget(e, "id"));
    daoc_value_free(out);
    daoc_value_free(v);
    v = J("''");
    int rc = daoc_dao_select_by(dao, "name", v, NULL, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_UNIQUE, "length must be at least 1");
    ASSERT_STR(daoc_error_name(err), "invalid unique name");
    daoc_error_free(err);
    daoc_value_free(v);
    v = J("123");
    ASSERT_INT(daoc_dao_select_by(dao, "name", v, NULL, &out, NULL), DAOC_EINVAL); /* type */
    ASSERT_INT(daoc_dao_select_by(dao, "count", v, NULL, &out, NULL), DAOC_EINVAL); /* not unique */
    ASSERT_INT(daoc_dao_select_by(dao, "nope", v, NULL, &out, NULL), DAOC_EINVAL);
    daoc_value_free(v);
    daoc_value_free(e);
    daoc_db_close(db);
}

/* ---- constraints --------------------------------------------------------- */

TEST(unique_violation)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    daoc_value *a = ins(db, "items", "{'name':'dup'}"), *b = ins(db, "items", "{'name':'other'}");
    ASSERT_NOT_NULL(a);
    ASSERT_NOT_NULL(b);
    daoc_value *in = J("{'name':'dup'}"), *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(dao, in, NULL, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_UNIQUE_VIOLATION, "UNIQUE violation detected on '{name=\"dup\"}'");
    ASSERT_JSON(daoc_error_fields(err), "{'name':'dup'}");
    daoc_error_free(err);
    err = NULL;
    daoc_value *pk = pk_of(b);
    rc = daoc_dao_update(dao, pk, in, NULL, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_UNIQUE_VIOLATION, "UNIQUE violation detected on '{name=\"dup\"}'");
    daoc_error_free(err);
    ASSERT_INT(count_rows(db, "items", NULL), 2);
    daoc_value_free(pk);
    daoc_value_free(in);
    daoc_value_free(a);
    daoc_value_free(b);
    daoc_db_close(db);
}

TEST(primary_key_violation)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    daoc_value *a = ins(db, "items", "{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0bb','name':'a'}");
    ASSERT_NOT_NULL(a);
    daoc_value *in = J("{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0bb','name':'b'}"), *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(dao, in, NULL, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_PRIMARY_KEY_VIOLATION,
               "primary key violation on key '{id=\"6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0bb\"}'");
    ASSERT_JSON(daoc_error_fields(err), "{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0bb'}");
    daoc_error_free(err);
    daoc_value_free(in);
    daoc_value_free(a);
    daoc_db_close(db);
}

TEST(foreign_key_violation_and_restrict)
{
    OPEN(db);
    daoc_value *in = J("{'parent':{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0cc'}}"), *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(daoc_db_dao(db, "kids_r"), in, NULL, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_FOREIGN_KEY_VIOLATION,
               "the foreign key '{id=\"6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0cc\"}' does not "
               "reference an existing 'parents' entity.");
    ASSERT_JSON(daoc_error_fields(err), "{'parent':{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0cc'}}");
    daoc_error_free(err);
    err = NULL;
    daoc_value_free(in);

    daoc_value *p = ins(db, "parents", "{'name':'p'}");
    ASSERT_NOT_NULL(p);
    char j[200];
    snprintf(j, sizeof j, "{'parent':{'id':'%s'},'label':'k'}", sget(p, "id"));
    daoc_value *k = ins(db, "kids_r", j);
    ASSERT_NOT_NULL(k);
    daoc_value *pk = pk_of(p);
    rc = daoc_dao_delete(daoc_db_dao(db, "parents"), pk, NULL, &err);
    if (err && daoc_error_code(err) != DAOC_ERR_FOREIGN_KEY_VIOLATION)
        fprintf(stderr, "    %s\n", daoc_error_string(err));
    ASSERT_ERR(rc, err, DAOC_ERR_FOREIGN_KEY_VIOLATION,
               "an existing 'kids_r' entity references this 'parents' entity");
    ASSERT_JSON(daoc_error_fields(err), "{'@referenced_by':'kids_r'}");
    daoc_error_free(err);
    ASSERT_INT(count_rows(db, "parents", NULL), 1);
    daoc_value_free(pk);
    daoc_value_free(k);
    daoc_value_free(p);
    daoc_db_close(db);
}

TEST(on_delete_cascade_and_null)
{
    OPEN(db);
    daoc_value *p = ins(db, "parents", "{'name':'p'}");
    ASSERT_NOT_NULL(p);
    char j[200];
    snprintf(j, sizeof j, "{'parent':{'id':'%s'}}", sget(p, "id"));
    daoc_value *c = ins(db, "kids_c", j), *n = ins(db, "kids_n", j);
    ASSERT_NOT_NULL(c);
    ASSERT_NOT_NULL(n);
    daoc_value *pk = pk_of(p), *npk = pk_of(n), *out = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_delete(daoc_db_dao(db, "parents"), pk, NULL, &err), DAOC_OK);
    ASSERT_INT(count_rows(db, "kids_c", NULL), 0);
    ASSERT_INT(daoc_dao_select(daoc_db_dao(db, "kids_n"), npk, NULL, &out, &err), DAOC_OK);
    ASSERT_NOT_NULL(out);
    ASSERT_NULL(daoc_obj_get(out, "parent"));
    daoc_value_free(out);
    daoc_value_free(npk);
    daoc_value_free(pk);
    daoc_value_free(c);
    daoc_value_free(n);
    daoc_value_free(p);
    daoc_db_close(db);
}

TEST(page_for_foreign)
{
    OPEN(db);
    daoc_value *p1 = ins(db, "parents", "{'name':'p1'}"), *p2 = ins(db, "parents", "{'name':'p2'}");
    ASSERT_NOT_NULL(p1);
    ASSERT_NOT_NULL(p2);
    char j[200];
    for (int i = 0; i < 5; i++) {
        snprintf(j, sizeof j, "{'parent':{'id':'%s'}}", sget(i < 3 ? p1 : p2, "id"));
        daoc_value *k = ins(db, "kids_c", j);
        ASSERT_NOT_NULL(k);
        daoc_value_free(k);
    }
    daoc_dao *dao = daoc_db_dao(db, "kids_c");
    daoc_value *fk = pk_of(p1), *rows = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_page_for(dao, "parent", fk, 2, NULL, NULL, &rows, &next, &err), DAOC_OK);
    ASSERT_INT(daoc_value_len(rows), 2);
    ASSERT_NOT_NULL(next);
    ASSERT_STR(sget(daoc_obj_get(daoc_arr_get(rows, 0), "parent"), "id"), sget(p1, "id"));
    daoc_value_free(rows);
    char *next2 = NULL;
    ASSERT_INT(daoc_dao_page_for(dao, "parent", fk, 2, next, NULL, &rows, &next2, &err), DAOC_OK);
    daoc_free(next);
    ASSERT_INT(daoc_value_len(rows), 1);
    ASSERT_NULL(next2);
    daoc_value_free(rows);
    daoc_value_free(fk);

    /* Kong's validate_pagination_method words a bad foreign key with
     * errors:invalid_primary_key (code 1); code 16 is for *_by_<foreign> */
    fk = J("{'id':'x'}");
    int rc = daoc_dao_page_for(dao, "parent", fk, 0, NULL, NULL, &rows, &next, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_PRIMARY_KEY,
               "invalid primary key: '{id=\"expected a valid UUID\"}'");
    daoc_error_free(err);
    ASSERT_INT(daoc_dao_page_for(dao, "label", fk, 0, NULL, NULL, &rows, &next, NULL), DAOC_EINVAL);
    daoc_value_free(fk);
    daoc_value_free(p1);
    daoc_value_free(p2);
    daoc_db_close(db);
}

TEST(resolve_foreign_by_unique_field)
{
    OPEN(db);
    daoc_value *p = ins(db, "parents", "{'name':'pp'}");
    ASSERT_NOT_NULL(p);
    daoc_value *k = ins(db, "kids_c", "{'parent':{'name':'pp'}}");
    ASSERT_NOT_NULL(k);
    ASSERT_STR(sget(daoc_obj_get(k, "parent"), "id"), sget(p, "id"));
    daoc_value *in = J("{'parent':{'name':'missing'}}"), *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(daoc_db_dao(db, "kids_c"), in, NULL, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_FOREIGN_KEYS_UNRESOLVED,
               "foreign key unresolved (parent.name: the foreign key cannot be resolved with "
               "'{name=\"missing\"}' for an existing 'parents' entity)");
    daoc_error_free(err);
    ASSERT_INT(count_rows(db, "kids_c", NULL), 1);
    daoc_value_free(in);
    daoc_value_free(k);
    daoc_value_free(p);
    daoc_db_close(db);
}

/* ---- TTL ---------------------------------------------------------------- */

TEST(ttl_rows_expire)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "tokens");
    /* 2 s of life, checked at once and after 3 s: slack for a loaded machine */
    daoc_value *in = J("{}"), *opts = J("{'ttl':2}"), *out = NULL, *live = NULL;
    daoc_value *skip = J("{'skip_ttl':true}"), *longer = J("{'ttl':100}");
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(dao, in, opts, &out, &err);
    if (rc != DAOC_OK)
        fprintf(stderr, "    %s\n", err ? daoc_error_string(err) : "");
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_INT(daoc_dao_insert(dao, in, longer, &live, &err), DAOC_OK);
    int64_t ttl = daoc_value_int(daoc_obj_get(live, "ttl"));
    ASSERT_TRUE(ttl >= 98 && ttl <= 100);
    ASSERT_INT(strlen(sget(out, "key")), 32);
    daoc_value *pk = pk_of(out), *key = daoc_value_copy(daoc_obj_get(out, "key")), *got = NULL;
    ASSERT_INT(daoc_dao_select(dao, pk, NULL, &got, &err), DAOC_OK);
    ASSERT_NOT_NULL(got);
    daoc_value_free(got);
    sleep(3);
    ASSERT_INT(daoc_dao_select(dao, pk, NULL, &got, &err), DAOC_OK);
    ASSERT_NULL(got);
    ASSERT_INT(daoc_dao_select_by(dao, "key", key, NULL, &got, &err), DAOC_OK);
    ASSERT_NULL(got);
    ASSERT_INT(daoc_dao_select_by(dao, "key", key, skip, &got, &err), DAOC_OK);
    ASSERT_NOT_NULL(got);
    daoc_value_free(got);
    ASSERT_INT(count_rows(db, "tokens", NULL), 1);
    ASSERT_INT(count_rows(db, "tokens", "{'skip_ttl':true}"), 2);
    int64_t deleted = -1;
    ASSERT_INT(daoc_db_cleanup_ttl(db, 1000, &deleted, NULL), DAOC_OK);
    ASSERT_INT(deleted, 1);
    ASSERT_INT(daoc_dao_select(dao, pk, skip, &got, &err), DAOC_OK);
    ASSERT_NULL(got);
    ASSERT_INT(count_rows(db, "tokens", NULL), 1);
    daoc_value_free(pk);
    daoc_value_free(key);
    daoc_value_free(out);
    daoc_value_free(live);
    daoc_value_free(in);
    daoc_value_free(opts);
    daoc_value_free(skip);
    daoc_value_free(longer);
    daoc_db_close(db);
}

/* Cleanup deletes the expired rows nothing restricts, keeps (hidden) those a
 * restrict key still references, directly or through cascade children, and
 * goes on to every later TTL table. */
TEST(ttl_cleanup_keeps_restricted_rows_and_goes_on)
{
    OPEN(db);
    daoc_value *two = J("{'ttl':2}"), *skip = J("{'skip_ttl':true}"), *empty = J("{}");
    daoc_value *out = NULL;
    daoc_error *err = NULL;
    daoc_value *p[5] = {NULL};
    for (int i = 0; i < 5; i++) {
        char row[64];
        snprintf(row, sizeof row, "{'name':'p%d'}", i);
        daoc_value *in = J(row);
        ASSERT_INT(daoc_dao_insert(daoc_db_dao(db, "tparents"), in, two, &p[i], &err), DAOC_OK);
        daoc_value_free(in);
    }
    /* p0: restrict child; p1: cascade child with a restrict grandchild;
     * p2: cascade child only; p3, p4: no children */
    char row[160];
    snprintf(row, sizeof row, "{'parent':{'id':'%s'}}", sget(p[0], "id"));
    daoc_value *in = J(row);
    ASSERT_INT(daoc_dao_insert(daoc_db_dao(db, "tkids_r"), in, NULL, &out, &err), DAOC_OK);
    daoc_value_free(in);
    daoc_value_free(out);
    snprintf(row, sizeof row, "{'parent':{'id':'%s'}}", sget(p[1], "id"));
    in = J(row);
    daoc_value *kid = NULL;
    ASSERT_INT(daoc_dao_insert(daoc_db_dao(db, "tkids_c"), in, NULL, &kid, &err), DAOC_OK);
    daoc_value_free(in);
    snprintf(row, sizeof row, "{'kid':{'id':'%s'}}", sget(kid, "id"));
    in = J(row);
    ASSERT_INT(daoc_dao_insert(daoc_db_dao(db, "tgrand_r"), in, NULL, &out, &err), DAOC_OK);
    daoc_value_free(in);
    daoc_value_free(out);
    daoc_value_free(kid);
    snprintf(row, sizeof row, "{'parent':{'id':'%s'}}", sget(p[2], "id"));
    in = J(row);
    ASSERT_INT(daoc_dao_insert(daoc_db_dao(db, "tkids_c"), in, NULL, &out, &err), DAOC_OK);
    daoc_value_free(in);
    daoc_value_free(out);
    ASSERT_INT(daoc_dao_insert(daoc_db_dao(db, "tokens"), empty, two, &out, &err), DAOC_OK);
    daoc_value_free(out);
    sleep(3);
    ASSERT_INT(count_rows(db, "tparents", NULL), 0);
    int64_t deleted = -1;
    ASSERT_INT(daoc_db_cleanup_ttl(db, 1000, &deleted, NULL), DAOC_OK);
    ASSERT_INT(deleted, 4); /* p2, p3, p4 and the token */
    ASSERT_INT(count_rows(db, "tparents", "{'skip_ttl':true}"), 2);
    for (int i = 0; i < 5; i++) {
        daoc_value *pk = pk_of(p[i]), *got = NULL;
        ASSERT_INT(daoc_dao_select(daoc_db_dao(db, "tparents"), pk, skip, &got, &err), DAOC_OK);
        if (i < 2)
            ASSERT_NOT_NULL(got);
        else
            ASSERT_NULL(got);
        daoc_value_free(got);
        daoc_value_free(pk);
    }
    ASSERT_INT(count_rows(db, "tkids_c", NULL), 1); /* p2's child went with it */
    ASSERT_INT(count_rows(db, "tokens", "{'skip_ttl':true}"), 0);
    /* a second run finds nothing more and still succeeds */
    ASSERT_INT(daoc_db_cleanup_ttl(db, 1000, &deleted, NULL), DAOC_OK);
    ASSERT_INT(deleted, 0);
    for (int i = 0; i < 5; i++)
        daoc_value_free(p[i]);
    daoc_value_free(two);
    daoc_value_free(skip);
    daoc_value_free(empty);
    daoc_db_close(db);
}

TEST(ttl_option_errors)
{
    OPEN(db);
    daoc_value *in = J("{'name':'t'}"), *opts = J("{'ttl':100}"), *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(daoc_db_dao(db, "items"), in, opts, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_OPTIONS, "invalid option (ttl: cannot be used with 'items')");
    ASSERT_JSON(daoc_error_options(err), "{'ttl':'cannot be used with \\'items\\''}");
    daoc_error_free(err);
    err = NULL;
    daoc_value_free(opts);
    daoc_value_free(in);
    in = J("{}");
    const char *bad[] = {"{'ttl':-1}", "{'ttl':1.5}", "{'ttl':100000001}", "{'ttl':'10'}"};
    for (size_t i = 0; i < 4; i++) {
        opts = J(bad[i]);
        rc = daoc_dao_insert(daoc_db_dao(db, "tokens"), in, opts, &out, &err);
        ASSERT_ERR(rc, err, DAOC_ERR_INVALID_OPTIONS,
                   "invalid option (ttl: must be an integer between 0 and 100000000)");
        daoc_error_free(err);
        err = NULL;
        daoc_value_free(opts);
    }
    daoc_value_free(in);
    ASSERT_INT(count_rows(db, "items", NULL), 0);
    ASSERT_INT(count_rows(db, "tokens", "{'skip_ttl':true}"), 0);
    daoc_db_close(db);
}

/* ---- tags and option errors -------------------------------------------------- */

TEST(tags_filters)
{
    OPEN(db);
    const char *rows[] = {"{'name':'t1','tags':['a']}", "{'name':'t2','tags':['a','b']}",
                          "{'name':'t3','tags':['b']}", "{'name':'t4'}"};
    for (size_t i = 0; i < 4; i++) {
        daoc_value *e = ins(db, "items", rows[i]);
        ASSERT_NOT_NULL(e);
        daoc_value_free(e);
    }
    ASSERT_INT(count_rows(db, "items", "{'tags':['a']}"), 2);
    ASSERT_INT(count_rows(db, "items", "{'tags':['a','b'],'tags_cond':'and'}"), 1);
    ASSERT_INT(count_rows(db, "items", "{'tags':['a','b'],'tags_cond':'or'}"), 3);
    ASSERT_INT(count_rows(db, "items", "{'tags':['zzz']}"), 0);
    daoc_db_close(db);
}

static void expect_option_error(daoc_db *db, const char *entity, const char *optjson,
                                const char *msg)
{
    daoc_value *opts = J(optjson), *rows = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_page(daoc_db_dao(db, entity), 0, NULL, opts, &rows, &next, &err);
    daoc_value_free(opts);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_OPTIONS, msg);
    ASSERT_NULL(rows);
    daoc_error_free(err);
}

TEST(option_errors)
{
    OPEN(db);
    expect_option_error(db, "items", "{'tags':'oops'}", "invalid option (tags: invalid filter syntax)");
    expect_option_error(db, "items", "{'tags':'oops','tags_cond':'and'}",
                        "invalid option (tags: must be a table)");
    expect_option_error(db, "items", "{'tags':['a','b','c','d','e','f'],'tags_cond':'or'}",
                        "invalid option (tags: cannot query more than 5 tags)");
    expect_option_error(db, "items", "{'tags':['a','b']}",
                        "invalid option (tags_cond: must be a either 'and' or 'or' when more "
                        "than one tag is specified)");
    expect_option_error(db, "items", "{'tags':['tag,with,commas']}",
                        "invalid option (tags: must only contain printable ascii (except `,` and "
                        "`/`) or valid utf-8)");
    expect_option_error(db, "tokens", "{'tags':['a']}",
                        "invalid option (tags: cannot be used with 'tokens')");
    /* page() replaces a non-table pagination by the defaults (Kong's
     * get_pagination_options); other methods refuse it */
    ASSERT_INT(count_rows(db, "items", "{'pagination':5}"), 0);
    expect_option_error(db, "items", "{'pagination':{'max_page_size':3}}",
                        "invalid option (pagination.page_size: must be an integer between 1 "
                        "and 3)");
    expect_option_error(db, "items", "{'pagination':{'page_size':'x'}}",
                        "invalid option (pagination.page_size: must be a number)");
    expect_option_error(db, "items", "{'show_ws_id':'x'}",
                        "invalid option (show_ws_id: must be a boolean)");
    expect_option_error(db, "items", "{'workspace':1}",
                        "invalid option (workspace: must be a string or null)");
    expect_option_error(db, "items", "{'ttl':5,'transform':1,'export':'no'}",
                        "3 option violations (export: must be a boolean; transform: must be a "
                        "boolean; ttl: cannot be used with 'items')");
    /* accepted: workspace string/null, unknown keys */
    ASSERT_INT(count_rows(db, "items", "{'workspace':'default','whatever':1,'nulls':true}"), 0);
    ASSERT_INT(count_rows(db, "items", "{'workspace':null}"), 0);

    /* options are checked on every method */
    daoc_value *opts = J("{'ttl':5}"), *pk = J("{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d001'}");
    daoc_value *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_select(daoc_db_dao(db, "items"), pk, opts, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_OPTIONS, "invalid option (ttl: cannot be used with 'items')");
    daoc_error_free(err);
    err = NULL;
    rc = daoc_dao_delete(daoc_db_dao(db, "items"), pk, opts, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_OPTIONS, "invalid option (ttl: cannot be used with 'items')");
    daoc_error_free(err);
    daoc_value_free(opts);
    opts = J("{'pagination':5}");
    err = NULL;
    rc = daoc_dao_select(daoc_db_dao(db, "items"), pk, opts, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_INVALID_OPTIONS, "invalid option (pagination: must be a table)");
    daoc_error_free(err);
    daoc_value_free(opts);
    daoc_value_free(pk);
    daoc_db_close(db);
}

/* ---- cache keys ------------------------------------------------------------- */

TEST(cache_key_strings)
{
    OPEN(db);
    char *ck = NULL;
    daoc_value *e = J("{'parent':{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0dd'},'kind':'k'}");
    ASSERT_INT(daoc_dao_cache_key(daoc_db_dao(db, "things"), e, &ck, NULL), DAOC_OK);
    ASSERT_STR(ck, "things:6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0dd:k::::");
    daoc_free(ck);
    daoc_value_free(e);
    e = J("{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0dd','kind':null}");
    ASSERT_INT(daoc_dao_cache_key(daoc_db_dao(db, "things"), e, &ck, NULL), DAOC_OK);
    ASSERT_STR(ck, "things:6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0dd:::::"); /* pk fallback */
    daoc_free(ck);
    daoc_value_free(e);
    e = J("{'name':'foo','id':'x'}");
    ASSERT_INT(daoc_dao_cache_key(daoc_db_dao(db, "parents"), e, &ck, NULL), DAOC_OK);
    ASSERT_STR(ck, "parents:foo:::::");
    daoc_free(ck);
    daoc_value_free(e);
    daoc_db_close(db);
}

TEST(composite_cache_key_is_unique)
{
    OPEN(db);
    daoc_value *p = ins(db, "parents", "{'name':'p'}");
    ASSERT_NOT_NULL(p);
    char j[200];
    snprintf(j, sizeof j, "{'parent':{'id':'%s'},'kind':'k'}", sget(p, "id"));
    daoc_value *t = ins(db, "things", j);
    ASSERT_NOT_NULL(t);
    daoc_value *in = J(j), *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(daoc_db_dao(db, "things"), in, NULL, &out, &err);
    char want[300];
    snprintf(want, sizeof want, "UNIQUE violation detected on '{kind=\"k\",parent={id=\"%s\"}}'",
             sget(p, "id"));
    ASSERT_ERR(rc, err, DAOC_ERR_UNIQUE_VIOLATION, want);
    daoc_error_free(err);
    daoc_value_free(in);

    /* select_by_cache_key with a single-field cache key */
    daoc_value *key = J("'parents:p:::::'");
    ASSERT_INT(daoc__dao_select_by_cache_key(daoc_db_dao(db, "parents"), key, NULL, &out, NULL),
               DAOC_OK);
    ASSERT_NOT_NULL(out);
    ASSERT_STR(sget(out, "id"), sget(p, "id"));
    daoc_value_free(out);
    daoc_value_free(key);
    daoc_value_free(t);
    daoc_value_free(p);
    daoc_db_close(db);
}

/* ---- the core consumers entity ---------------------------------------------- */

TEST(consumers_entity)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "consumers");
    ASSERT_NOT_NULL(dao);
    daoc_value *in = J("{}"), *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(dao, in, NULL, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_SCHEMA_VIOLATION,
               "schema violation (at least one of these fields must be non-empty: 'custom_id', "
               "'username')");
    ASSERT_JSON(daoc_error_fields(err),
                "{'@entity':['at least one of these fields must be non-empty: \\'custom_id\\', "
                "\\'username\\'']}");
    daoc_error_free(err);
    err = NULL;
    daoc_value_free(in);
    daoc_value *bob = ins(db, "consumers", "{'username':'bob'}");
    ASSERT_NOT_NULL(bob);
    ASSERT_TRUE(daoc_value_int(daoc_obj_get(bob, "created_at")) > 1600000000);
    daoc_value *c = ins(db, "consumers", "{'custom_id':'c-1'}");
    ASSERT_NOT_NULL(c);
    in = J("{'username':'bob'}");
    rc = daoc_dao_insert(dao, in, NULL, &out, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_UNIQUE_VIOLATION, "UNIQUE violation detected on '{username=\"bob\"}'");
    daoc_error_free(err);
    daoc_value_free(in);
    daoc_value *name = J("'bob'");
    ASSERT_INT(daoc_dao_select_by(dao, "username", name, NULL, &out, NULL), DAOC_OK);
    ASSERT_STR(sget(out, "id"), sget(bob, "id"));
    daoc_value_free(out);
    daoc_value_free(name);
    ASSERT_INT(count_rows(db, "consumers", NULL), 2);
    daoc_value_free(bob);
    daoc_value_free(c);
    daoc_db_close(db);
}

/* ---- allocation failures ------------------------------------------------------ */

void daoc__alloc_fail_after(long n);

/* Every allocation of the DAO pipelines may fail: the status is then
 * ENOMEM (or, when a Kong error could not be built, ENOMEM too) and nothing
 * leaks (LeakSanitizer checks at exit). */
TEST(allocation_failures_are_reported)
{
    OPEN(db);
    daoc_value *p = ins(db, "parents", "{'name':'p'}");
    ASSERT_NOT_NULL(p);
    daoc_value *in = J("{'parent':{'name':'p'},'label':'x'}"), *patch = J("{'label':'y'}"), *bad = J("{'parent':{'name':'zz'}}");
    daoc_value *opts = J("{'tags':['a','b'],'tags_cond':'or','nulls':true}");
    int oks = 0;
    for (long n = 0; n < 400; n++) {
        daoc_value *out = NULL, *rows = NULL, *upd = NULL;
        daoc_error *err = NULL;
        char *next = NULL;
        daoc__alloc_fail_after(n);
        int rc = daoc_dao_insert(daoc_db_dao(db, "kids_c"), in, NULL, &out, &err);
        int rc2 = DAOC_ENOMEM, rc3 = DAOC_ENOMEM;
        if (rc == DAOC_OK) {
            daoc_value *pk = daoc_obj();
            if (pk && daoc_obj_set(pk, "id", daoc_value_copy(daoc_obj_get(out, "id"))) == DAOC_OK)
                rc2 = daoc_dao_update(daoc_db_dao(db, "kids_c"), pk, patch, NULL, &upd, &err);
            daoc_value_free(pk);
        }
        daoc_error_free(err);
        err = NULL;
        rc3 = daoc_dao_page(daoc_db_dao(db, "parents"), 1, NULL, opts, &rows, &next, &err);
        daoc_error_free(err);
        err = NULL;
        daoc_value *never = NULL;
        int rc4 = daoc_dao_insert(daoc_db_dao(db, "kids_c"), bad, NULL, &never, &err);
        daoc_value_free(never);
        daoc__alloc_fail_after(-1);
        ASSERT_TRUE(rc == DAOC_OK || rc == DAOC_ENOMEM || rc == DAOC_EDAO);
        ASSERT_TRUE(rc2 == DAOC_OK || rc2 == DAOC_ENOMEM || rc2 == DAOC_EDAO);
        ASSERT_TRUE(rc3 == DAOC_OK || rc3 == DAOC_ENOMEM || rc3 == DAOC_EDAO);
        ASSERT_TRUE(rc4 == DAOC_ENOMEM || rc4 == DAOC_EDAO);
        if (rc4 == DAOC_EDAO)
            ASSERT_TRUE(err != NULL);
        oks += rc == DAOC_OK && rc2 == DAOC_OK && rc3 == DAOC_OK && rc4 == DAOC_EDAO;
        daoc_error_free(err);
        daoc_value_free(out);
        daoc_value_free(upd);
        daoc_value_free(rows);
        daoc_free(next);
    }
    ASSERT_TRUE(oks > 0); /* the budget was large enough to succeed */
    daoc_value_free(in);
    daoc_value_free(patch);
    daoc_value_free(bad);
    daoc_value_free(opts);
    daoc_value_free(p);
    daoc_db_close(db);
}

/* ---- workspaces (kong-schema-dao.md 5.3 `workspace`, 6.1 ws_id) --------------- */

/* daoc_dao_<op> with options; returns the status, *out the entity. */
static int ins_opts(daoc_db *db, const char *entity, const char *json, const char *optjson,
                    daoc_value **out, daoc_error **err)
{
    daoc_value *in = J(json), *opts = optjson ? J(optjson) : NULL;
    int rc = daoc_dao_insert(daoc_db_dao(db, entity), in, opts, out, err);
    daoc_value_free(in);
    daoc_value_free(opts);
    return rc;
}

TEST(workspaces)
{
    OPEN(db);
    daoc_error *err = NULL;
    daoc_value *out = NULL;
    /* the default workspace exists, and is what the entities are scoped to */
    daoc_value *def = NULL, *key = daoc_str("default");
    ASSERT_INT(daoc_dao_select_by(daoc_db_dao(db, "workspaces"), "name", key, NULL, &def, &err),
               DAOC_OK);
    daoc_value_free(key);
    ASSERT_NOT_NULL(def);
    char defid[37];
    snprintf(defid, sizeof defid, "%s", sget(def, "id"));
    ASSERT_STR(defid, db->default_ws);
    daoc_value *w2 = ins(db, "workspaces", "{'name':'team2'}");
    ASSERT_NOT_NULL(w2);
    char w2id[37], w2opt[80];
    snprintf(w2id, sizeof w2id, "%s", sget(w2, "id"));
    snprintf(w2opt, sizeof w2opt, "{'workspace':'%s'}", w2id);

    /* unique per workspace: the same name in two workspaces */
    daoc_value *a = ins(db, "wparents", "{'name':'p','code':'c1'}");
    ASSERT_NOT_NULL(a);
    ASSERT_TRUE(daoc_obj_get(a, "ws_id") == NULL); /* hidden without show_ws_id */
    daoc_value *b = NULL;
    ASSERT_INT(ins_opts(db, "wparents", "{'name':'p'}", "{'workspace':'team2','show_ws_id':true}",
                        &b, &err),
               DAOC_OK);
    ASSERT_STR(sget(b, "ws_id"), w2id);
    ASSERT_INT(ins_opts(db, "wparents", "{'name':'p'}", NULL, &out, &err), DAOC_EDAO);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_UNIQUE_VIOLATION);
    ASSERT_STR(daoc_error_message(err), "UNIQUE violation detected on '{name=\"p\"}'");
    daoc_error_free(err);
    err = NULL;
    /* unique_across_ws: refused in another workspace too */
    ASSERT_INT(ins_opts(db, "wparents", "{'name':'q','code':'c1'}", w2opt, &out, &err), DAOC_EDAO);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_UNIQUE_VIOLATION);
    ASSERT_STR(daoc_error_message(err), "UNIQUE violation detected on '{code=\"c1\"}'");
    daoc_error_free(err);
    err = NULL;

    /* reads are scoped: by key, by unique field, pages */
    daoc_value *pk = pk_of(b), *got = NULL;
    ASSERT_INT(daoc_dao_select(daoc_db_dao(db, "wparents"), pk, NULL, &got, &err), DAOC_OK);
    ASSERT_TRUE(got == NULL); /* team2's row is not in the default workspace */
    daoc_value *o2 = J(w2opt);
    ASSERT_INT(daoc_dao_select(daoc_db_dao(db, "wparents"), pk, o2, &got, &err), DAOC_OK);
    ASSERT_NOT_NULL(got);
    daoc_value_free(got);
    got = NULL;
    key = daoc_str("p");
    ASSERT_INT(daoc_dao_select_by(daoc_db_dao(db, "wparents"), "name", key, o2, &got, &err),
               DAOC_OK);
    ASSERT_STR(sget(got, "id"), sget(b, "id"));
    daoc_value_free(got);
    got = NULL;
    daoc_value *gl = J("{'workspace':null}");
    ASSERT_INT(daoc_dao_select_by(daoc_db_dao(db, "wparents"), "name", key, gl, &got, &err),
               DAOC_EDAO);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_INVALID_UNIQUE_GLOBAL);
    daoc_error_free(err);
    err = NULL;
    daoc_value_free(key);
    ASSERT_INT(count_rows(db, "wparents", NULL), 1);
    ASSERT_INT(count_rows(db, "wparents", w2opt), 1);
    ASSERT_INT(count_rows(db, "wparents", "{'workspace':null}"), 2);
    /* show_ws_id on a global page names each row's workspace */
    daoc_value *rows = NULL;
    char *next = NULL;
    daoc_value *gs = J("{'workspace':null,'show_ws_id':true}");
    ASSERT_INT(daoc_dao_page(daoc_db_dao(db, "wparents"), 0, NULL, gs, &rows, &next, &err),
               DAOC_OK);
    ASSERT_INT(daoc_value_len(rows), 2);
    for (size_t i = 0; i < daoc_value_len(rows); i++) {
        const daoc_value *r = daoc_arr_get(rows, i);
        const char *want = strcmp(sget(r, "id"), sget(a, "id")) == 0 ? defid : w2id;
        ASSERT_STR(sget(r, "ws_id"), want);
    }
    daoc_value_free(rows);
    daoc_value_free(gs);
    daoc_free(next);

    /* update and delete only reach the row in their workspace */
    daoc_value *patch = J("{'code':'c9'}");
    ASSERT_INT(daoc_dao_update(daoc_db_dao(db, "wparents"), pk, patch, NULL, &got, &err),
               DAOC_EDAO);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_NOT_FOUND);
    daoc_error_free(err);
    err = NULL;
    ASSERT_INT(daoc_dao_update(daoc_db_dao(db, "wparents"), pk, patch, o2, &got, &err), DAOC_OK);
    ASSERT_STR(sget(got, "code"), "c9");
    daoc_value_free(got);
    got = NULL;
    daoc_value_free(patch);
    ASSERT_INT(daoc_dao_delete(daoc_db_dao(db, "wparents"), pk, NULL, &err), DAOC_OK);
    ASSERT_INT(count_rows(db, "wparents", w2opt), 1); /* still there */

    /* a foreign key reaches parents of its own workspace only */
    char kid[200];
    snprintf(kid, sizeof kid, "{'parent':{'id':'%s'}}", sget(b, "id"));
    ASSERT_INT(ins_opts(db, "wkids", kid, NULL, &out, &err), DAOC_EDAO);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_FOREIGN_KEY_VIOLATION);
    daoc_error_free(err);
    err = NULL;
    ASSERT_INT(ins_opts(db, "wkids", kid, w2opt, &out, &err), DAOC_OK);
    daoc_value_free(out);
    out = NULL;

    /* a workspace that does not exist: code 17 on writes, nothing on reads */
    const char *nows = "{'workspace':'00000000-0000-4000-8000-000000000000'}";
    ASSERT_INT(ins_opts(db, "wparents", "{'name':'z'}", nows, &out, &err), DAOC_EDAO);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_INVALID_WORKSPACE);
    ASSERT_STR(daoc_error_message(err),
               "invalid workspace '00000000-0000-4000-8000-000000000000'");
    daoc_error_free(err);
    err = NULL;
    ASSERT_INT(count_rows(db, "wparents", nows), 0);
    /* an unknown name is an invalid option */
    ASSERT_INT(ins_opts(db, "wparents", "{'name':'z'}", "{'workspace':'nope'}", &out, &err),
               DAOC_EDAO);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_INVALID_OPTIONS);
    ASSERT_STR(daoc_error_message(err), "invalid option (workspace: invalid workspace)");
    daoc_error_free(err);
    err = NULL;

    /* a workspace in use cannot be deleted */
    daoc_value *w2pk = pk_of(w2);
    ASSERT_INT(daoc_dao_delete(daoc_db_dao(db, "workspaces"), w2pk, NULL, &err), DAOC_EDAO);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_FOREIGN_KEY_VIOLATION);
    ASSERT_STR(daoc_error_message(err),
               "an existing 'wparents' entity references this 'workspaces' entity");
    daoc_error_free(err);
    err = NULL;

    /* truncating the workspaces empties every workspaceable table and
     * brings "default" back with its id */
    ASSERT_INT(daoc__dao_truncate(daoc_db_dao(db, "workspaces"), &err), DAOC_OK);
    ASSERT_INT(count_rows(db, "wparents", "{'workspace':null}"), 0);
    ASSERT_INT(count_rows(db, "workspaces", NULL), 1);
    daoc_value *again = ins(db, "wparents", "{'name':'p'}");
    ASSERT_NOT_NULL(again);
    daoc_value_free(again);

    daoc_value_free(w2pk);
    daoc_value_free(o2);
    daoc_value_free(gl);
    daoc_value_free(pk);
    daoc_value_free(a);
    daoc_value_free(b);
    daoc_value_free(w2);
    daoc_value_free(def);
    daoc_db_close(db);
}

/* Both stores keep UUIDs in PostgreSQL's canonical (lowercase) text, so the
 * same script reads the same ids on either. */
TEST(uuids_read_back_lowercase_on_every_store)
{
    OPEN(db);
    daoc_value *p = ins(db, "parents", "{'id':'6A0C2A4E-7B29-4F35-9B57-27B1B3A5D0AA','name':'up'}");
    ASSERT_NOT_NULL(p);
    ASSERT_STR(sget(p, "id"), "6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0aa");
    daoc_value *k = ins(db, "kids_c", "{'parent':{'id':'6A0C2A4E-7B29-4F35-9B57-27B1B3A5D0AA'}}");
    ASSERT_NOT_NULL(k);
    ASSERT_STR(sget(daoc_obj_get(k, "parent"), "id"), "6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0aa");
    const char *const keys[] = {"{'id':'6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0aa'}",
                                "{'id':'6A0C2A4E-7B29-4F35-9B57-27B1B3A5D0AA'}"};
    for (size_t i = 0; i < 2; i++) {
        daoc_value *pk = J(keys[i]), *got = NULL;
        daoc_error *err = NULL;
        ASSERT_INT(daoc_dao_select(daoc_db_dao(db, "parents"), pk, NULL, &got, &err), DAOC_OK);
        ASSERT_NOT_NULL(got);
        ASSERT_STR(sget(got, "id"), "6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0aa");
        daoc_value_free(got);
        daoc_value_free(pk);
    }
    daoc_value_free(k);
    daoc_value_free(p);
    daoc_db_close(db);
}

/* ---- immutable arrays and sets (Kong's validate_immutable_fields) -------- */

/* The stored row of `frozen` still has list and bag as given. */
#define ASSERT_FROZEN(db, pk, want)                                                                \
    do {                                                                                           \
        daoc_value *t_got = NULL;                                                                  \
        ASSERT_INT(daoc_dao_select(daoc_db_dao(db, "frozen"), pk, NULL, &t_got, NULL), DAOC_OK);    \
        ASSERT_NOT_NULL(t_got);                                                                    \
        daoc_obj_del(t_got, "id");                                                                 \
        ASSERT_JSON(t_got, want);                                                                  \
        daoc_value_free(t_got);                                                                    \
    } while (0)

/* One refused update or upsert: Kong's schema violation naming the field. */
static int frozen_write(daoc_db *db, bool upsert, const daoc_value *pk, const char *json,
                        daoc_error **err)
{
    daoc_value *body = J(json), *out = NULL;
    daoc_dao *dao = daoc_db_dao(db, "frozen");
    int rc = upsert ? daoc_dao_upsert(dao, pk, body, NULL, &out, err)
                    : daoc_dao_update(dao, pk, body, NULL, &out, err);
    daoc_value_free(out);
    daoc_value_free(body);
    return rc;
}

TEST(update_immutable_array_counts_elements)
{
    OPEN(db);
    daoc_value *e = ins(db, "frozen", "{'list':['a','a','b'],'bag':['a','b']}");
    ASSERT_NOT_NULL(e);
    daoc_value *pk = pk_of(e);
    daoc_error *err = NULL;
    /* same elements, other multiplicities: refused, row unchanged */
    int rc = frozen_write(db, false, pk, "{'list':['a','b','b']}", &err);
    ASSERT_ERR(rc, err, DAOC_ERR_SCHEMA_VIOLATION,
               "schema violation (list: immutable field cannot be updated)");
    ASSERT_JSON(daoc_error_fields(err), "{'list':'immutable field cannot be updated'}");
    daoc_error_free(err);
    err = NULL;
    ASSERT_FROZEN(db, pk, "{'list':['a','a','b'],'bag':['a','b']}");
    rc = frozen_write(db, false, pk, "{'list':['a','b']}", &err);
    ASSERT_ERR(rc, err, DAOC_ERR_SCHEMA_VIOLATION,
               "schema violation (list: immutable field cannot be updated)");
    daoc_error_free(err);
    err = NULL;
    /* a set that changes: refused */
    rc = frozen_write(db, false, pk, "{'bag':['a','c']}", &err);
    ASSERT_ERR(rc, err, DAOC_ERR_SCHEMA_VIOLATION,
               "schema violation (bag: immutable field cannot be updated)");
    daoc_error_free(err);
    err = NULL;
    ASSERT_FROZEN(db, pk, "{'list':['a','a','b'],'bag':['a','b']}");
    /* the same values in another order (Kong compares arrays of both kinds
     * order-insensitively), and a set given with a duplicate, which
     * process_auto_fields drops: accepted */
    ASSERT_INT(frozen_write(db, false, pk, "{'list':['b','a','a'],'bag':['b','a'],'note':'n1'}",
                            &err),
               DAOC_OK);
    ASSERT_INT(frozen_write(db, false, pk, "{'bag':['b','a','b'],'note':'n2'}", &err), DAOC_OK);
    ASSERT_FROZEN(db, pk, "{'note':'n2','list':['b','a','a'],'bag':['b','a']}");
    daoc_value_free(pk);
    daoc_value_free(e);
    daoc_db_close(db);
}

TEST(upsert_immutable_array_counts_elements)
{
    OPEN(db);
    daoc_value *e = ins(db, "frozen", "{'list':['a','a','b'],'bag':['a','b']}");
    ASSERT_NOT_NULL(e);
    daoc_value *pk = pk_of(e);
    daoc_error *err = NULL;
    int rc = frozen_write(db, true, pk, "{'list':['a','b','b'],'bag':['a','b']}", &err);
    ASSERT_ERR(rc, err, DAOC_ERR_SCHEMA_VIOLATION,
               "schema violation (list: immutable field cannot be updated)");
    daoc_error_free(err);
    err = NULL;
    rc = frozen_write(db, true, pk, "{'list':['a','a','b'],'bag':['a','b','c']}", &err);
    ASSERT_ERR(rc, err, DAOC_ERR_SCHEMA_VIOLATION,
               "schema violation (bag: immutable field cannot be updated)");
    daoc_error_free(err);
    err = NULL;
    ASSERT_FROZEN(db, pk, "{'list':['a','a','b'],'bag':['a','b']}");
    ASSERT_INT(frozen_write(db, true, pk, "{'list':['a','b','a'],'bag':['b','a'],'note':'u'}", &err),
               DAOC_OK);
    ASSERT_FROZEN(db, pk, "{'note':'u','list':['a','b','a'],'bag':['b','a']}");
    daoc_value_free(pk);
    daoc_value_free(e);
    daoc_db_close(db);
}

/* ---- big sets ------------------------------------------------------------ */

/* {"name":NAME,"tags":["t0",...,"t(n-1)"]} with every tenth tag given twice
 * more (the repeats follow the original: first occurrences stay in order). */
static daoc_value *big_tags_entity(const char *name, size_t n, bool repeats)
{
    daoc_value *e = daoc_obj(), *tags = daoc_arr();
    if (!e || !tags || daoc_obj_set(e, "name", daoc_str(name)) != DAOC_OK)
        abort();
    char t[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(t, sizeof t, "t%zu", i);
        if (daoc_arr_push(tags, daoc_str(t)) != DAOC_OK)
            abort();
        if (repeats && i % 10 == 0) {
            snprintf(t, sizeof t, "t%zu", i / 2);
            if (daoc_arr_push(tags, daoc_str(t)) != DAOC_OK ||
                daoc_arr_push(tags, daoc_str(t)) != DAOC_OK)
                abort();
        }
    }
    if (daoc_obj_set(e, "tags", tags) != DAOC_OK)
        abort();
    return e;
}

static bool tags_are_t0_to(const daoc_value *tags, size_t n)
{
    if (!tags || daoc_value_len(tags) != n)
        return false;
    char t[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(t, sizeof t, "t%zu", i);
        const char *s = daoc_value_str(daoc_arr_get(tags, i), NULL);
        if (!s || strcmp(s, t) != 0)
            return false;
    }
    return true;
}

TEST(big_set_round_trip_drops_duplicates)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "items");
    const size_t n = 20000;
    daoc_value *in = big_tags_entity("big", n, true), *out = NULL, *got = NULL;
    ASSERT_INT(daoc_value_len(daoc_obj_get(in, "tags")), n + 2 * (n / 10));
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_insert(dao, in, NULL, &out, &err), DAOC_OK);
    ASSERT_TRUE(tags_are_t0_to(daoc_obj_get(out, "tags"), n));
    daoc_value *pk = pk_of(out);
    ASSERT_INT(daoc_dao_select(dao, pk, NULL, &got, &err), DAOC_OK);
    ASSERT_NOT_NULL(got);
    ASSERT_TRUE(tags_are_t0_to(daoc_obj_get(got, "tags"), n));
    daoc_value_free(got);
    /* a bad tag deep in a big set is still found */
    daoc_value *bad = big_tags_entity("bad", n, false);
    daoc_value *tags = (daoc_value *)daoc_obj_get(bad, "tags");
    ASSERT_INT(daoc_arr_push(tags, daoc_str("not,a tag")), DAOC_OK);
    daoc_value *bad_out = NULL;
    int rc = daoc_dao_insert(dao, bad, NULL, &bad_out, &err);
    ASSERT_INT(rc, DAOC_EDAO);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_SCHEMA_VIOLATION);
    /* the error names the one bad element by its position */
    const daoc_value *terr = daoc_obj_get(daoc_error_fields(err), "tags");
    ASSERT_INT(daoc_value_len(terr), 1);
    char pos[32];
    snprintf(pos, sizeof pos, "%zu", n + 1);
    ASSERT_NOT_NULL(daoc_obj_get(terr, pos));
    daoc_error_free(err);
    ASSERT_NULL(bad_out);
    ASSERT_INT(count_rows(db, "items", NULL), 1);
    daoc_value_free(bad);
    daoc_value_free(pk);
    daoc_value_free(out);
    daoc_value_free(in);
    daoc_db_close(db);
}

TEST(big_immutable_array_compared_as_multiset)
{
    OPEN(db);
    daoc_dao *dao = daoc_db_dao(db, "frozen");
    const size_t n = 20000;
    daoc_value *list = daoc_arr(), *rev = daoc_arr(), *changed = daoc_arr();
    char t[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(t, sizeof t, "e%zu", i % (n / 2)); /* every element twice */
        ASSERT_INT(daoc_arr_push(list, daoc_str(t)), DAOC_OK);
        snprintf(t, sizeof t, "e%zu", (n - 1 - i) % (n / 2));
        ASSERT_INT(daoc_arr_push(rev, daoc_str(t)), DAOC_OK);
        snprintf(t, sizeof t, "e%zu", i == n - 1 ? 0 : i % (n / 2)); /* e0 thrice, e9999 once */
        ASSERT_INT(daoc_arr_push(changed, daoc_str(t)), DAOC_OK);
    }
    daoc_value *in = daoc_obj(), *out = NULL;
    ASSERT_INT(daoc_obj_set(in, "list", list), DAOC_OK);
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_insert(dao, in, NULL, &out, &err), DAOC_OK);
    daoc_value *pk = pk_of(out), *patch = daoc_obj(), *res = NULL;
    ASSERT_INT(daoc_obj_set(patch, "list", changed), DAOC_OK);
    int rc = daoc_dao_update(dao, pk, patch, NULL, &res, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_SCHEMA_VIOLATION,
               "schema violation (list: immutable field cannot be updated)");
    daoc_error_free(err);
    err = NULL;
    ASSERT_NULL(res);
    ASSERT_INT(daoc_obj_set(patch, "list", rev), DAOC_OK);
    ASSERT_INT(daoc_dao_update(dao, pk, patch, NULL, &res, &err), DAOC_OK);
    ASSERT_INT(daoc_value_len(daoc_obj_get(res, "list")), n);
    daoc_value_free(res);
    daoc_value_free(patch);
    daoc_value_free(pk);
    daoc_value_free(out);
    daoc_value_free(in);
    daoc_db_close(db);
}

/* ---- delete reports the deleted row (daoc__dao_delete_ex) ------------------- */

/* select(key, optjson) then delete_ex(key, optjson): the reported row is the
 * selected one, byte for byte once encoded ("ttl" is compared apart: it
 * may tick between the two statements); afterwards the row is gone and a
 * second delete reports nothing.  field < 0: by primary key.  Sets
 * t_failed_now on failure (CHECK_DEL stops the calling test). */
static void delete_reports_selected(daoc_db *db, const char *entity, long field,
                                   const daoc_value *key, const char *optjson)
{
    daoc_dao *dao = daoc_db_dao(db, entity);
    daoc_value *opts = optjson ? J(optjson) : NULL, *before = NULL, *old = NULL, *after = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc__dao_select_key(dao, field, key, opts, &before, &err), DAOC_OK);
    ASSERT_NOT_NULL(before);
    ASSERT_INT(daoc__dao_delete_ex(dao, field, key, opts, &old, &err), DAOC_OK);
    ASSERT_NULL(err);
    ASSERT_NOT_NULL(old);
    const daoc_value *bt = daoc_obj_get(before, "ttl"), *ot = daoc_obj_get(old, "ttl");
    ASSERT_TRUE((bt == NULL) == (ot == NULL));
    if (bt && daoc_value_type(bt) == DAOC_TINT) {
        int64_t d = daoc_value_int(bt) - daoc_value_int(ot);
        ASSERT_TRUE(d >= 0 && d <= 1);
        ASSERT_INT(daoc_obj_set(old, "ttl", daoc_value_copy(bt)), DAOC_OK);
    }
    char *bj = enc(before), *oj = enc(old);
    int same = strcmp(bj, oj) == 0;
    if (!same)
        fprintf(stderr, "    selected %s\n    deleted  %s\n", bj, oj);
    daoc_free(bj);
    daoc_free(oj);
    ASSERT_TRUE(same);
    ASSERT_INT(daoc__dao_select_key(dao, field, key, opts, &after, &err), DAOC_OK);
    ASSERT_NULL(after);
    daoc_value_free(old);
    daoc_value *sentinel = J("{}");
    old = sentinel; /* must be reset */
    ASSERT_INT(daoc__dao_delete_ex(dao, field, key, opts, &old, &err), DAOC_OK);
    daoc_value_free(sentinel);
    ASSERT_NULL(old);
    ASSERT_NULL(err);
    daoc_value_free(before);
    daoc_value_free(opts);
}

#define CHECK_DEL(...)                                                                             \
    do {                                                                                           \
        delete_reports_selected(__VA_ARGS__);                                                      \
        if (t_failed_now)                                                                          \
            return;                                                                                \
    } while (0)

TEST(delete_reports_the_deleted_row)
{
    OPEN(db);
    /* sets, arrays, records, timestamps, defaults, nulls */
    daoc_value *e = ins(db, "items",
                        "{'name':'i1','note':'n','code':'c','hosts':['b','a'],"
                        "'conf':{'b':7},'tags':['t2','t1']}");
    ASSERT_NOT_NULL(e);
    daoc_value *pk = pk_of(e);
    CHECK_DEL(db, "items", -1, pk, NULL);
    daoc_value_free(pk);
    daoc_value_free(e);
    e = ins(db, "items", "{'name':'i2','conf':{}}");
    ASSERT_NOT_NULL(e);
    pk = pk_of(e);
    CHECK_DEL(db, "items", -1, pk, "{'nulls':true}");
    daoc_value_free(pk);
    daoc_value_free(e);
    /* by a unique field */
    e = ins(db, "items", "{'name':'i3','hosts':[]}");
    ASSERT_NOT_NULL(e);
    daoc_value *name = J("'i3'");
    long f = daoc__schema_field_index(daoc_db_dao(db, "items")->schema, "name", 4);
    CHECK_DEL(db, "items", f, name, NULL);
    daoc_value_free(name);
    daoc_value_free(e);

    /* a foreign key (and a missing one) */
    daoc_value *p = ins(db, "parents", "{'name':'p','tags':['x']}");
    ASSERT_NOT_NULL(p);
    char j[200];
    snprintf(j, sizeof j, "{'parent':{'id':'%s'},'label':'k'}", sget(p, "id"));
    daoc_value *k = ins(db, "kids_n", j), *k2 = ins(db, "kids_n", "{'label':'none'}");
    ASSERT_NOT_NULL(k);
    ASSERT_NOT_NULL(k2);
    pk = pk_of(k);
    CHECK_DEL(db, "kids_n", -1, pk, NULL);
    daoc_value_free(pk);
    pk = pk_of(k2);
    CHECK_DEL(db, "kids_n", -1, pk, "{'nulls':true}");
    daoc_value_free(pk);
    daoc_value_free(k);
    daoc_value_free(k2);

    /* ttl rows report their remaining ttl */
    daoc_value *in = J("{}"), *topts = J("{'ttl':100}"), *tok = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_insert(daoc_db_dao(db, "tokens"), in, topts, &tok, &err), DAOC_OK);
    pk = pk_of(tok);
    CHECK_DEL(db, "tokens", -1, pk, NULL);
    daoc_value_free(pk);
    daoc_value_free(tok);
    daoc_value_free(topts);
    daoc_value_free(in);

    /* workspaces: show_ws_id shows the row's workspace */
    daoc_value *w = ins(db, "wparents", "{'name':'w','code':'c1'}");
    ASSERT_NOT_NULL(w);
    pk = pk_of(w);
    CHECK_DEL(db, "wparents", -1, pk, "{'show_ws_id':true}");
    daoc_value_free(pk);
    daoc_value_free(w);

    /* a missing row: success, nothing reported */
    pk = pk_of(p);
    ASSERT_INT(daoc_obj_set(pk, "id", daoc_str("6a0c2a4e-7b29-4f35-9b57-27b1b3a5d0cc")), DAOC_OK);
    daoc_value *sentinel = J("{}"), *old = sentinel;
    ASSERT_INT(daoc__dao_delete_ex(daoc_db_dao(db, "parents"), -1, pk, NULL, &old, &err), DAOC_OK);
    daoc_value_free(sentinel);
    ASSERT_NULL(old);
    ASSERT_NULL(err);
    /* old may be NULL: the row is not wanted */
    daoc_value_free(pk);
    pk = pk_of(p);
    ASSERT_INT(daoc__dao_delete_ex(daoc_db_dao(db, "parents"), -1, pk, NULL, NULL, &err), DAOC_OK);
    ASSERT_INT(count_rows(db, "parents", NULL), 0);
    daoc_value_free(pk);
    daoc_value_free(p);
    daoc_db_close(db);
}

TEST(delete_report_of_refused_and_cascading_deletes)
{
    OPEN(db);
    daoc_dao *parents = daoc_db_dao(db, "parents");
    daoc_value *p = ins(db, "parents", "{'name':'p'}"), *q = ins(db, "parents", "{'name':'q'}");
    ASSERT_NOT_NULL(p);
    ASSERT_NOT_NULL(q);
    char j[200];
    snprintf(j, sizeof j, "{'parent':{'id':'%s'},'label':'k'}", sget(p, "id"));
    daoc_value *k = ins(db, "kids_r", j);
    ASSERT_NOT_NULL(k);
    /* restrict: refused, nothing reported, nothing changed */
    daoc_value *pk = pk_of(p), *sentinel = J("{}"), *old = sentinel, *before = NULL, *after = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_select(parents, pk, NULL, &before, &err), DAOC_OK);
    int rc = daoc__dao_delete_ex(parents, -1, pk, NULL, &old, &err);
    ASSERT_ERR(rc, err, DAOC_ERR_FOREIGN_KEY_VIOLATION,
               "an existing 'kids_r' entity references this 'parents' entity");
    daoc_error_free(err);
    err = NULL;
    daoc_value_free(sentinel);
    ASSERT_NULL(old);
    ASSERT_INT(daoc_dao_select(parents, pk, NULL, &after, &err), DAOC_OK);
    ASSERT_NOT_NULL(after);
    char *bj = enc(before), *aj = enc(after);
    ASSERT_STR(aj, bj);
    daoc_free(bj);
    daoc_free(aj);
    daoc_value_free(before);
    daoc_value_free(after);
    ASSERT_INT(count_rows(db, "kids_r", NULL), 1);
    daoc_value_free(pk);

    /* cascade: the parent's row only is reported */
    snprintf(j, sizeof j, "{'parent':{'id':'%s'},'label':'c'}", sget(q, "id"));
    daoc_value *c = ins(db, "kids_c", j);
    snprintf(j, sizeof j, "{'parent':{'id':'%s'},'kind':'t'}", sget(q, "id"));
    daoc_value *t = ins(db, "things", j);
    ASSERT_NOT_NULL(c);
    ASSERT_NOT_NULL(t);
    pk = pk_of(q);
    CHECK_DEL(db, "parents", -1, pk, NULL);
    ASSERT_INT(count_rows(db, "kids_c", NULL), 0);
    ASSERT_INT(count_rows(db, "things", NULL), 0);
    ASSERT_INT(count_rows(db, "parents", NULL), 1);
    daoc_value_free(pk);
    daoc_value_free(c);
    daoc_value_free(t);
    daoc_value_free(k);
    daoc_value_free(p);
    daoc_value_free(q);
    daoc_db_close(db);
}
