/*
 * test_store_contract.c -- the store vtable's contract (src/store/store.h),
 * member by member, through st->ops directly: one file, run on SQLite and
 * on PostgreSQL (DAOC_DATABASE), so both drivers answer the same for the
 * same calls.  Rows are entity-shaped both ways; absent rows are NULL, not
 * errors; constraint failures are DAOC_ECONSTRAINT with the violation
 * filled and the table unchanged; pages are keyset-ordered by the primary
 * key with `more` telling whether a further row exists; transactions nest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "fixture.h"
#include "harness.h"

#define UUID_F "{'type':'string','uuid':true,'auto':true}"

static const char *const DEFS[] = {
    "{'name':'sc_parents','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'name':{'type':'string','unique':true,'required':true}},"
    "{'n':{'type':'integer'}},{'tags':{'type':'set','elements':{'type':'string'}}},"
    "{'conf':{'type':'record','required':false,'fields':[{'a':{'type':'string'}}]}}]}",

    "{'name':'sc_kids','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'parent':{'type':'foreign','reference':'sc_parents'}}]}",
    NULL};

static const char *U(int n)
{
    static char buf[8][40];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, 40, "00000000-0000-4000-8000-%012d", n);
    return b;
}

typedef struct {
    daoc_db *db;
    daoc__store *st;
    const daoc__schema *p, *k;
} ctx;

static bool setup(ctx *c)
{
    c->db = fixture_open(DEFS, "contract");
    if (!c->db)
        return false;
    c->st = c->db->store;
    c->p = daoc_db_dao(c->db, "sc_parents")->schema;
    c->k = daoc_db_dao(c->db, "sc_kids")->schema;
    return true;
}

static daoc_value *parent(int id, const char *name)
{
    char t[256];
    snprintf(t, sizeof t, "{'id':'%s','name':'%s','n':%d,'tags':['a','b'],'conf':{'a':'x'}}",
             U(id), name, id);
    return J(t);
}

static daoc_value *pk(int id)
{
    char t[80];
    snprintf(t, sizeof t, "{'id':'%s'}", U(id));
    return J(t);
}

static int insert(ctx *c, const daoc__schema *s, daoc_value *e, daoc_value **row,
                  daoc__violation *v)
{
    daoc__write_opts o = {0};
    char *msg = NULL;
    int rc = c->st->ops->insert(c->st, s, e, &o, row, v, &msg);
    daoc_free(msg);
    return rc;
}

static daoc_value *select_pk(ctx *c, const daoc__schema *s, int id)
{
    daoc_value *k = pk(id), *row = NULL;
    daoc__key key = {-1, k};
    daoc__read_opts o = {0};
    char *msg = NULL;
    if (c->st->ops->select(c->st, s, &key, &o, &row, &msg) != DAOC_OK)
        abort();
    daoc_value_free(k);
    return row;
}

TEST(insert_returns_the_stored_row_and_select_reads_it_back)
{
    ctx c;
    ASSERT_TRUE(setup(&c));
    daoc_value *e = parent(1, "one"), *row = NULL;
    daoc__violation v = {0};
    ASSERT_INT(insert(&c, c.p, e, &row, &v), DAOC_OK);
    char *want = enc(e), *got = enc(row);
    ASSERT_STR(got, want);
    daoc_free(got);
    daoc_value_free(row);
    row = select_pk(&c, c.p, 1);
    got = enc(row);
    ASSERT_STR(got, want);
    daoc_free(got);
    daoc_free(want);
    daoc_value_free(row);
    ASSERT_NULL(select_pk(&c, c.p, 2)); /* absent: NULL, not an error */
    daoc_value_free(e);
    daoc_db_close(c.db);
}

TEST(violations_are_reported_and_change_nothing)
{
    ctx c;
    ASSERT_TRUE(setup(&c));
    daoc_value *e = parent(1, "one"), *row = NULL;
    daoc__violation v = {0};
    ASSERT_INT(insert(&c, c.p, e, &row, &v), DAOC_OK);
    daoc_value_free(row);
    row = NULL;
    daoc_value *dup_pk = parent(1, "other"), *dup_name = parent(2, "one");
    memset(&v, 0, sizeof v);
    ASSERT_INT(insert(&c, c.p, dup_pk, &row, &v), DAOC_ECONSTRAINT);
    ASSERT_INT(v.kind, DAOC__VIOL_PRIMARY_KEY);
    ASSERT_NULL(row);
    memset(&v, 0, sizeof v);
    ASSERT_INT(insert(&c, c.p, dup_name, &row, &v), DAOC_ECONSTRAINT);
    ASSERT_INT(v.kind, DAOC__VIOL_UNIQUE);
    ASSERT_INT(v.field, 1);
    ASSERT_NULL(select_pk(&c, c.p, 2));
    char t[160];
    snprintf(t, sizeof t, "{'id':'%s','parent':{'id':'%s'}}", U(10), U(99));
    daoc_value *orphan = J(t);
    memset(&v, 0, sizeof v);
    ASSERT_INT(insert(&c, c.k, orphan, &row, &v), DAOC_ECONSTRAINT);
    ASSERT_INT(v.kind, DAOC__VIOL_FOREIGN_KEY);
    ASSERT_NULL(select_pk(&c, c.k, 10));
    daoc_value_free(orphan);
    daoc_value_free(dup_pk);
    daoc_value_free(dup_name);
    daoc_value_free(e);
    daoc_db_close(c.db);
}

TEST(update_of_a_missing_row_is_null_and_upsert_replaces)
{
    ctx c;
    ASSERT_TRUE(setup(&c));
    daoc_value *e = parent(1, "one"), *row = NULL, *k = pk(1), *k2 = pk(2);
    daoc__violation v = {0};
    daoc__write_opts o = {0};
    char *msg = NULL;
    daoc__key key = {-1, k2};
    ASSERT_INT(c.st->ops->update(c.st, c.p, &key, e, &o, &row, &v, &msg), DAOC_OK);
    ASSERT_NULL(row);
    key.key = k;
    ASSERT_INT(c.st->ops->upsert(c.st, c.p, &key, e, &o, &row, &v, &msg), DAOC_OK);
    ASSERT_NOT_NULL(row);
    daoc_value_free(row);
    daoc_value *e2 = J("{'name':'uno','n':5}");
    ASSERT_INT(daoc_obj_set(e2, "id", daoc_str(U(1))), DAOC_OK);
    ASSERT_INT(c.st->ops->upsert(c.st, c.p, &key, e2, &o, &row, &v, &msg), DAOC_OK);
    ASSERT_STR(daoc_value_str(daoc_obj_get(row, "name"), NULL), "uno");
    /* a full replace: fields not given are null now */
    const daoc_value *tags = daoc_obj_get(row, "tags");
    ASSERT_TRUE(!tags || daoc_value_type(tags) == DAOC_TNULL);
    daoc_value_free(row);
    daoc_value_free(e2);
    daoc_value_free(e);
    daoc_value_free(k);
    daoc_value_free(k2);
    daoc_db_close(c.db);
}

TEST(pages_are_keyset_ordered_with_more)
{
    ctx c;
    ASSERT_TRUE(setup(&c));
    int ids[] = {5, 3, 1, 4, 2};
    for (size_t i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", ids[i]);
        daoc_value *e = parent(ids[i], name), *row = NULL;
        daoc__violation v = {0};
        ASSERT_INT(insert(&c, c.p, e, &row, &v), DAOC_OK);
        daoc_value_free(row);
        daoc_value_free(e);
    }
    daoc__page_req req = {.fk_field = -1, .size = 2};
    daoc_value *rows = NULL;
    bool more = false;
    char *msg = NULL;
    int seen = 0;
    daoc_value *after = NULL;
    for (int pg = 0; pg < 3; pg++) {
        req.after = after;
        ASSERT_INT(c.st->ops->page(c.st, c.p, &req, &rows, &more, &msg), DAOC_OK);
        for (size_t i = 0; i < daoc_value_len(rows); i++)
            ASSERT_STR(daoc_value_str(daoc_obj_get(daoc_arr_get(rows, i), "id"), NULL),
                       U(++seen));
        ASSERT_TRUE(more == (pg < 2));
        daoc_value_free(after);
        after = daoc_arr();
        ASSERT_INT(daoc_arr_push(after, daoc_value_copy(daoc_obj_get(
                                            daoc_arr_get(rows, daoc_value_len(rows) - 1), "id"))),
                   DAOC_OK);
        daoc_value_free(rows);
        rows = NULL;
    }
    ASSERT_INT(seen, 5);
    daoc_value_free(after);
    daoc_db_close(c.db);
}

TEST(transactions_nest_and_truncate_empties)
{
    ctx c;
    ASSERT_TRUE(setup(&c));
    char *msg = NULL;
    daoc__violation v = {0};
    daoc_value *row = NULL, *a = parent(1, "a"), *b = parent(2, "b");
    ASSERT_INT(c.st->ops->begin(c.st, &msg), DAOC_OK);
    ASSERT_INT(insert(&c, c.p, a, &row, &v), DAOC_OK);
    daoc_value_free(row);
    ASSERT_INT(c.st->ops->begin(c.st, &msg), DAOC_OK);
    ASSERT_INT(insert(&c, c.p, b, &row, &v), DAOC_OK);
    daoc_value_free(row);
    ASSERT_INT(c.st->ops->rollback(c.st), DAOC_OK); /* the inner part only */
    ASSERT_INT(c.st->ops->commit(c.st, &msg), DAOC_OK);
    daoc_value *got = select_pk(&c, c.p, 1);
    ASSERT_NOT_NULL(got);
    daoc_value_free(got);
    ASSERT_NULL(select_pk(&c, c.p, 2));
    ASSERT_INT(c.st->ops->truncate(c.st, c.p, &msg), DAOC_OK);
    ASSERT_NULL(select_pk(&c, c.p, 1));
    daoc_value_free(a);
    daoc_value_free(b);
    daoc_db_close(c.db);
}

TEST(delete_reports_the_row_it_removed)
{
    ctx c;
    ASSERT_TRUE(setup(&c));
    daoc_value *e = parent(1, "one"), *row = NULL, *k = pk(1);
    daoc__violation v = {0};
    ASSERT_INT(insert(&c, c.p, e, &row, &v), DAOC_OK);
    daoc_value_free(row);
    row = NULL;
    /* a child restricts: refused, nothing reported, the row stays */
    char t[160];
    snprintf(t, sizeof t, "{'id':'%s','parent':{'id':'%s'}}", U(10), U(1));
    daoc_value *kid = J(t), *kid_row = NULL;
    ASSERT_INT(insert(&c, c.k, kid, &kid_row, &v), DAOC_OK);
    daoc_value_free(kid_row);
    daoc__key key = {-1, k};
    daoc__read_opts o = {0};
    char *msg = NULL;
    memset(&v, 0, sizeof v);
    ASSERT_INT(c.st->ops->delete(c.st, c.p, &key, &o, &row, &v, &msg), DAOC_ECONSTRAINT);
    ASSERT_INT(v.kind, DAOC__VIOL_RESTRICT);
    ASSERT_NULL(row);
    daoc_value *still = select_pk(&c, c.p, 1);
    ASSERT_NOT_NULL(still);
    daoc_value *kk = pk(10);
    daoc__key kidkey = {-1, kk};
    ASSERT_INT(c.st->ops->delete(c.st, c.k, &kidkey, &o, NULL, &v, &msg), DAOC_OK);
    /* now it goes, and the row it reports is what select returned */
    ASSERT_INT(c.st->ops->delete(c.st, c.p, &key, &o, &row, &v, &msg), DAOC_OK);
    char *want = enc(still), *got = enc(row);
    ASSERT_STR(got, want);
    daoc_free(got);
    daoc_free(want);
    daoc_value_free(row);
    row = NULL;
    ASSERT_NULL(select_pk(&c, c.p, 1));
    /* a missing row: success, NULL */
    ASSERT_INT(c.st->ops->delete(c.st, c.p, &key, &o, &row, &v, &msg), DAOC_OK);
    ASSERT_NULL(row);
    daoc_value_free(still);
    daoc_value_free(kk);
    daoc_value_free(kid);
    daoc_value_free(k);
    daoc_value_free(e);
    daoc_db_close(c.db);
}
