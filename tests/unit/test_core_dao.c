/*
 * test_core_dao.c -- Kong's custom DAO of the targets core entity
 * (src/db/targets_dao.c) through the public C API: daoc_dao_upsert_by on
 * the non-unique endpoint key is an insert, daoc_dao_page_for lists an
 * upstream's targets newest first with counting offsets, daoc_dao_delete_by
 * deletes one row.  The Lua side (and certificates, ca_certificates) is
 * tests/lua/test_core_dao.lua.  Runs on every store (fixture.h).
 */
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "harness.h"

static const char *const NO_DEFS[] = {NULL};

static const char *sget(const daoc_value *o, const char *k)
{
    return daoc_value_str(daoc_obj_get(o, k), NULL);
}

static daoc_value *upstream(daoc_db *db, const char *name)
{
    char j[200];
    snprintf(j, sizeof j, "{'name':'%s'}", name);
    daoc_value *e = J(j), *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(daoc_db_dao(db, "upstreams"), e, NULL, &out, &err);
    daoc_value_free(e);
    daoc_error_free(err);
    return rc == DAOC_OK ? out : NULL;
}

static daoc_value *fk_of(const daoc_value *up)
{
    char j[100];
    snprintf(j, sizeof j, "{'id':'%s'}", sget(up, "id"));
    return J(j);
}

TEST(upsert_by_target_is_an_insert)
{
    daoc_db *db = fixture_open(NO_DEFS, "core_dao");
    ASSERT_NOT_NULL(db);
    daoc_dao *targets = daoc_db_dao(db, "targets");
    daoc_value *up = upstream(db, "cup1.test");
    ASSERT_NOT_NULL(up);
    char j[200];
    snprintf(j, sizeof j, "{'upstream':{'id':'%s'},'weight':7}", sget(up, "id"));
    daoc_value *e = J(j), *key = J("'a.test'"), *out = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(daoc_dao_upsert_by(targets, "target", key, e, NULL, &out, &err), DAOC_OK);
    ASSERT_STR(sget(out, "target"), "a.test:8000");
    ASSERT_INT(daoc_value_int(daoc_obj_get(out, "weight")), 7);
    daoc_value_free(out);
    out = NULL;
    ASSERT_INT(daoc_dao_upsert_by(targets, "target", key, e, NULL, &out, &err), DAOC_EDAO);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_UNIQUE_VIOLATION);
    ASSERT_NULL(out);
    daoc_error_free(err);
    daoc_value_free(key);
    daoc_value_free(e);
    daoc_value_free(up);
    daoc_db_close(db);
}

TEST(page_for_upstream_newest_first_and_delete_by_target_one_row)
{
    daoc_db *db = fixture_open(NO_DEFS, "core_dao");
    ASSERT_NOT_NULL(db);
    daoc_dao *targets = daoc_db_dao(db, "targets");
    daoc_value *up = upstream(db, "cup2.test"), *up2 = upstream(db, "cup3.test");
    ASSERT_NOT_NULL(up);
    ASSERT_NOT_NULL(up2);
    daoc_error *err = NULL;
    char j[200];
    for (int i = 1; i <= 3; i++) {
        snprintf(j, sizeof j, "{'upstream':{'id':'%s'},'target':'t%d.test','created_at':%d}",
                 sget(up, "id"), i, 1000 + i);
        daoc_value *e = J(j), *out = NULL;
        ASSERT_INT(daoc_dao_insert(targets, e, NULL, &out, &err), DAOC_OK);
        daoc_value_free(out);
        daoc_value_free(e);
    }
    snprintf(j, sizeof j, "{'upstream':{'id':'%s'},'target':'t1.test'}", sget(up2, "id"));
    daoc_value *e2 = J(j), *out2 = NULL;
    ASSERT_INT(daoc_dao_insert(targets, e2, NULL, &out2, &err), DAOC_OK);
    daoc_value_free(out2);
    daoc_value_free(e2);

    daoc_value *fk = fk_of(up), *rows = NULL;
    char *next = NULL;
    ASSERT_INT(daoc_dao_page_for(targets, "upstream", fk, 2, NULL, NULL, &rows, &next, &err),
               DAOC_OK);
    ASSERT_INT(daoc_value_len(rows), 2);
    ASSERT_STR(sget(daoc_arr_get(rows, 0), "target"), "t3.test:8000");
    ASSERT_STR(sget(daoc_arr_get(rows, 1), "target"), "t2.test:8000");
    ASSERT_STR(next, "2");
    daoc_value_free(rows);
    char *off = next;
    next = NULL;
    ASSERT_INT(daoc_dao_page_for(targets, "upstream", fk, 2, off, NULL, &rows, &next, &err),
               DAOC_OK);
    daoc_free(off);
    ASSERT_INT(daoc_value_len(rows), 1);
    ASSERT_STR(sget(daoc_arr_get(rows, 0), "target"), "t1.test:8000");
    ASSERT_NULL(next);
    daoc_value_free(rows);

    /* t1.test:8000 is a target of both upstreams: one row goes */
    daoc_value *t1 = J("'t1.test:8000'");
    ASSERT_INT(daoc_dao_delete_by(targets, "target", t1, NULL, &err), DAOC_OK);
    daoc_value *fk2 = fk_of(up2);
    size_t left = 0;
    ASSERT_INT(daoc_dao_page_for(targets, "upstream", fk, 0, NULL, NULL, &rows, &next, &err),
               DAOC_OK);
    left += daoc_value_len(rows);
    daoc_value_free(rows);
    ASSERT_INT(daoc_dao_page_for(targets, "upstream", fk2, 0, NULL, NULL, &rows, &next, &err),
               DAOC_OK);
    left += daoc_value_len(rows);
    daoc_value_free(rows);
    ASSERT_INT(left, 3);
    daoc_value_free(t1);
    daoc_value_free(fk2);
    daoc_value_free(fk);
    daoc_value_free(up);
    daoc_value_free(up2);
    daoc_db_close(db);
}
