/*
 * test_dao_page_query.c -- queried pages (beyond Kong): daoc_dao_page's
 * `filter` and `sort` options and daoc_dao_count, through the public API,
 * on the store the environment selects (DAOC_DATABASE=postgres: the same
 * binary on PostgreSQL).  Ranges and equality on indexed fields, keyset
 * pages sorted on a field with ties (no row skipped or repeated, nulls
 * last / first), descending order, counts, and every refusal (code 11 for
 * options, code 7 for an offset of another order).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "harness.h"

#define UUID_F "{'type':'string','uuid':true,'auto':true}"
#define TAGS_F "{'type':'set','elements':{'type':'string','required':true}}"

static const char *const DEFS[] = {
    "{'name':'owners','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'name':{'type':'string','unique':true,'required':true}}]}",

    "{'name':'pets','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'name':{'type':'string','unique':true}},{'num':{'type':'integer','unique':true}},"
    "{'score':{'type':'number','unique':true}},"
    "{'owner':{'type':'foreign','reference':'owners'}},{'note':{'type':'string'}},"
    "{'tags':" TAGS_F "}]}",
    NULL};

static daoc_db *open_db(void)
{
    return fixture_open(DEFS, "page_query");
}

#define OPEN(db)                                                                                   \
    daoc_db *db = open_db();                                                                       \
    ASSERT_NOT_NULL(db)

static const char *sget(const daoc_value *o, const char *k)
{
    const daoc_value *v = daoc_obj_get(o, k);
    return v && daoc_value_type(v) == DAOC_TSTR ? daoc_value_str(v, NULL) : NULL;
}

/* Inserts the entity of JSON text j (single quotes) into `entity`; the
 * stored row's id into id (37 bytes) when not NULL.  false on failure. */
static bool ins(daoc_db *db, const char *entity, const char *j, char *id)
{
    daoc_value *e = J(j), *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(daoc_db_dao(db, entity), e, NULL, &out, &err);
    if (rc != DAOC_OK)
        fprintf(stderr, "insert %s: %s\n", j, err ? daoc_error_message(err) : daoc_strerror(rc));
    if (rc == DAOC_OK && id)
        snprintf(id, 37, "%s", sget(out, "id"));
    daoc_value_free(e);
    daoc_value_free(out);
    daoc_error_free(err);
    return rc == DAOC_OK;
}

/* One page of pets with options JSON o; rows and next returned; the
 * status is the call's. */
static int page(daoc_db *db, int64_t size, const char *offset, const char *o, daoc_value **rows,
                char **next, daoc_error **err)
{
    daoc_value *opts = o ? J(o) : NULL;
    int rc = daoc_dao_page(daoc_db_dao(db, "pets"), size, offset, opts, rows, next, err);
    daoc_value_free(opts);
    return rc;
}

/* The number of rows of one page of pets with options o (-1: failed). */
static long count_page(daoc_db *db, const char *o)
{
    daoc_value *rows = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    long n = page(db, 0, NULL, o, &rows, &next, &err) == DAOC_OK ? (long)daoc_value_len(rows) : -1;
    daoc_value_free(rows);
    daoc_free(next);
    daoc_error_free(err);
    return n;
}

/* Ten pets: num 1..10, score num/2, name pNN (none for num 9 and 10). */
static bool ten_pets(daoc_db *db)
{
    for (int i = 1; i <= 10; i++) {
        char j[200];
        if (i <= 8)
            snprintf(j, sizeof j, "{'name':'p%02d','num':%d,'score':%g,'tags':['t%d']}", i, i,
                     i / 2.0, i % 2);
        else
            snprintf(j, sizeof j, "{'num':%d,'score':%g,'tags':['t%d']}", i, i / 2.0, i % 2);
        if (!ins(db, "pets", j, NULL))
            return false;
    }
    return true;
}

TEST(ranges_and_equality_on_indexed_fields)
{
    OPEN(db);
    ASSERT_TRUE(ten_pets(db));
    ASSERT_INT(count_page(db, "{'filter':{'num':{'gte':3,'lt':7}}}"), 4);
    ASSERT_INT(count_page(db, "{'filter':{'num':{'gt':3,'lte':7}}}"), 4);
    ASSERT_INT(count_page(db, "{'filter':{'num':{'gt':10}}}"), 0);
    ASSERT_INT(count_page(db, "{'filter':{'num':5}}"), 1);
    ASSERT_INT(count_page(db, "{'filter':{'num':{'eq':5}}}"), 1);
    ASSERT_INT(count_page(db, "{'filter':{'num':5.0}}"), 1); /* an integral number */
    ASSERT_INT(count_page(db, "{'filter':{'score':{'gte':1.5,'lte':2.5}}}"), 3);
    ASSERT_INT(count_page(db, "{'filter':{'name':{'gte':'p03','lt':'p06'}}}"), 3);
    /* several fields: AND; nulls meet no condition */
    ASSERT_INT(count_page(db, "{'filter':{'name':{'gte':'p03'},'num':{'lte':4}}}"), 2);
    ASSERT_INT(count_page(db, "{'filter':{'name':{'gte':'p'}}}"), 8);
    /* with tags */
    ASSERT_INT(count_page(db, "{'filter':{'num':{'lte':6}},'tags':['t0']}"), 3);
    /* the rows come whole and in order */
    daoc_value *rows = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(
        page(db, 0, NULL, "{'filter':{'num':{'gte':3,'lt':7}},'sort':'num'}", &rows, &next, &err),
        DAOC_OK);
    ASSERT_INT(daoc_value_len(rows), 4);
    ASSERT_STR(sget(daoc_arr_get(rows, 0), "name"), "p03");
    ASSERT_STR(sget(daoc_arr_get(rows, 3), "name"), "p06");
    ASSERT_NULL(next);
    daoc_value_free(rows);
    daoc_db_close(db);
}

/* Walks every page of options o with size `size`; the ids in order into
 * ids (n of them).  false on a failure. */
static bool walk(daoc_db *db, const char *o, int64_t size, char ids[][37], size_t cap, size_t *n)
{
    *n = 0;
    char *offset = NULL;
    for (int pages = 0; pages < 100; pages++) {
        daoc_value *rows = NULL;
        char *next = NULL;
        daoc_error *err = NULL;
        if (page(db, size, offset, o, &rows, &next, &err) != DAOC_OK) {
            fprintf(stderr, "page: %s\n", err ? daoc_error_message(err) : "?");
            daoc_error_free(err);
            daoc_free(offset);
            return false;
        }
        daoc_free(offset);
        offset = next;
        for (size_t i = 0; i < daoc_value_len(rows) && *n < cap; i++)
            snprintf(ids[(*n)++], 37, "%s", sget(daoc_arr_get(rows, i), "id"));
        daoc_value_free(rows);
        if (!offset)
            return true;
    }
    daoc_free(offset);
    return false;
}

/* The owner id of pet `id` ("" for none). */
static void owner_of(daoc_db *db, const char *id, char *out)
{
    char j[100];
    snprintf(j, sizeof j, "{'id':'%s'}", id);
    daoc_value *pk = J(j), *row = NULL;
    daoc_error *err = NULL;
    out[0] = '\0';
    if (daoc_dao_select(daoc_db_dao(db, "pets"), pk, NULL, &row, &err) == DAOC_OK && row) {
        const daoc_value *o = daoc_obj_get(row, "owner");
        const char *oid = o && daoc_value_type(o) == DAOC_TOBJ ? sget(o, "id") : NULL;
        if (oid)
            snprintf(out, 37, "%s", oid);
    }
    daoc_value_free(pk);
    daoc_value_free(row);
    daoc_error_free(err);
}

TEST(sort_with_ties_neither_skips_nor_repeats)
{
    OPEN(db);
    char owners[3][37];
    for (int i = 0; i < 3; i++) {
        char j[64];
        snprintf(j, sizeof j, "{'name':'o%d'}", i);
        ASSERT_TRUE(ins(db, "owners", j, owners[i]));
    }
    /* 23 pets: 20 over 3 owners (ties), 3 without one (nulls) */
    for (int i = 0; i < 23; i++) {
        char j[200];
        if (i < 20)
            snprintf(j, sizeof j, "{'owner':{'id':'%s'}}", owners[i % 3]);
        else
            snprintf(j, sizeof j, "{'note':'none'}");
        ASSERT_TRUE(ins(db, "pets", j, NULL));
    }
    char asc[40][37], desc[40][37];
    size_t na = 0, nd = 0;
    ASSERT_TRUE(walk(db, "{'sort':'owner'}", 3, asc, 40, &na));
    ASSERT_INT(na, 23);
    ASSERT_TRUE(walk(db, "{'sort':'-owner'}", 4, desc, 40, &nd));
    ASSERT_INT(nd, 23);
    for (size_t i = 0; i < na; i++) {
        for (size_t k = i + 1; k < na; k++)
            ASSERT_TRUE(strcmp(asc[i], asc[k]) != 0); /* no repeats */
        ASSERT_STR(desc[na - 1 - i], asc[i]);         /* exactly reversed */
    }
    /* ascending on (owner, id), nulls last */
    char prev_owner[37] = "", prev_id[37] = "";
    for (size_t i = 0; i < na; i++) {
        char o[37];
        owner_of(db, asc[i], o);
        if (i >= 20) {
            ASSERT_STR(o, ""); /* the three without an owner come last */
        } else {
            ASSERT_TRUE(o[0] != '\0');
            int c = strcmp(o, prev_owner);
            ASSERT_TRUE(c > 0 || (c == 0 && strcmp(asc[i], prev_id) > 0));
        }
        snprintf(prev_owner, sizeof prev_owner, "%s", o);
        snprintf(prev_id, sizeof prev_id, "%s", asc[i]);
    }
    /* filter on the foreign key, both spellings, with a sort of its own */
    char j[200];
    snprintf(j, sizeof j, "{'filter':{'owner':'%s'}}", owners[1]);
    ASSERT_INT(count_page(db, j), 7);
    snprintf(j, sizeof j, "{'filter':{'owner':{'id':'%s'}},'sort':'-id'}", owners[0]);
    ASSERT_INT(count_page(db, j), 7);
    char ids[10][37];
    size_t n = 0;
    ASSERT_TRUE(walk(db, j, 2, ids, 10, &n));
    ASSERT_INT(n, 7);
    for (size_t i = 1; i < n; i++)
        ASSERT_TRUE(strcmp(ids[i - 1], ids[i]) > 0);
    daoc_db_close(db);
}

TEST(sort_on_a_unique_field_with_nulls)
{
    OPEN(db);
    ASSERT_TRUE(ten_pets(db));
    char asc[12][37], desc[12][37];
    size_t na = 0, nd = 0;
    ASSERT_TRUE(walk(db, "{'sort':'name'}", 3, asc, 12, &na));
    ASSERT_TRUE(walk(db, "{'sort':'-name'}", 2, desc, 12, &nd));
    ASSERT_INT(na, 10);
    ASSERT_INT(nd, 10);
    for (size_t i = 0; i < na; i++)
        ASSERT_STR(desc[na - 1 - i], asc[i]);
    /* p01..p08 first, then the two unnamed */
    daoc_value *rows = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(page(db, 9, NULL, "{'sort':'name'}", &rows, &next, &err), DAOC_OK);
    ASSERT_STR(sget(daoc_arr_get(rows, 0), "name"), "p01");
    ASSERT_STR(sget(daoc_arr_get(rows, 7), "name"), "p08");
    ASSERT_NOT_NULL(next);
    daoc_value_free(rows);
    daoc_free(next);
    ASSERT_INT(page(db, 2, NULL, "{'sort':'-num'}", &rows, &next, &err), DAOC_OK);
    ASSERT_INT(daoc_value_len(rows), 2);
    ASSERT_INT(daoc_value_int(daoc_obj_get(daoc_arr_get(rows, 0), "num")), 10);
    ASSERT_INT(daoc_value_int(daoc_obj_get(daoc_arr_get(rows, 1), "num")), 9);
    daoc_value_free(rows);
    daoc_free(next);
    daoc_db_close(db);
}

static int count(daoc_db *db, const char *o, int64_t *total, bool *estimated, daoc_error **err)
{
    daoc_value *opts = o ? J(o) : NULL;
    int rc = daoc_dao_count(daoc_db_dao(db, "pets"), opts, total, estimated, err);
    daoc_value_free(opts);
    return rc;
}

TEST(count_exact_and_estimated)
{
    OPEN(db);
    int64_t total = -1;
    bool est = true;
    daoc_error *err = NULL;
    ASSERT_INT(count(db, NULL, &total, &est, &err), DAOC_OK);
    ASSERT_INT(total, 0);
    ASSERT_TRUE(!est);
    ASSERT_TRUE(ten_pets(db));
    ASSERT_INT(count(db, NULL, &total, &est, &err), DAOC_OK);
    ASSERT_INT(total, 10);
    ASSERT_INT(
        count(db, "{'count':'exact','filter':{'num':{'gt':2}},'sort':'name'}", &total, &est, &err),
        DAOC_OK);
    ASSERT_INT(total, 8);
    ASSERT_TRUE(!est);
    ASSERT_INT(count(db, "{'tags':['t1'],'filter':{'num':{'lt':6}}}", &total, &est, &err), DAOC_OK);
    ASSERT_INT(total, 3);
    /* estimated: SQLite counts (and says so); PostgreSQL plans */
    ASSERT_INT(count(db, "{'count':'estimated','filter':{'num':{'gt':2}}}", &total, &est, &err),
               DAOC_OK);
    ASSERT_TRUE(total >= 0);
    const char *kind = getenv("DAOC_DATABASE");
    if (!kind || strcmp(kind, "postgres") != 0) {
        ASSERT_INT(total, 8);
        ASSERT_TRUE(!est);
    }
    ASSERT_INT(count(db, "{'count':'maybe'}", &total, &est, &err), DAOC_EDAO);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_INVALID_OPTIONS);
    ASSERT_STR(daoc_error_message(err), "invalid option (count: must be 'exact' or 'estimated')");
    daoc_error_free(err);
    daoc_db_close(db);
}

/* The message of the failure of page(o, offset) with code `code`, or
 * NULL when it did not fail so. */
static char *refusal(daoc_db *db, const char *offset, const char *o, int code)
{
    daoc_value *rows = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    int rc = page(db, 2, offset, o, &rows, &next, &err);
    char *msg = NULL;
    if (rc == DAOC_EDAO && err && daoc_error_code(err) == code && !rows && !next)
        msg = strdup(daoc_error_message(err));
    else
        fprintf(stderr, "  %s: rc %d code %d\n", o ? o : "-", rc, err ? daoc_error_code(err) : -1);
    daoc_value_free(rows);
    daoc_free(next);
    daoc_error_free(err);
    return msg;
}

#define REFUSED(db, off, o, code, want)                                                            \
    do {                                                                                           \
        char *m_ = refusal(db, off, o, code);                                                      \
        ASSERT_NOT_NULL(m_);                                                                       \
        bool ok_ = strstr(m_, want) != NULL;                                                       \
        if (!ok_)                                                                                  \
            fprintf(stderr, "  message: %s\n", m_);                                                \
        free(m_);                                                                                  \
        ASSERT_TRUE(ok_);                                                                          \
    } while (0)

TEST(refusals)
{
    OPEN(db);
    ASSERT_TRUE(ten_pets(db));
    REFUSED(db, NULL, "{'filter':{'note':'x'}}", DAOC_ERR_INVALID_OPTIONS,
            "invalid option (filter: cannot filter on 'note': no index serves it (filter on "
            "'id', 'name', 'num', 'score', 'owner'))");
    REFUSED(db, NULL, "{'filter':{'nope':1}}", DAOC_ERR_INVALID_OPTIONS, "unknown field 'nope'");
    REFUSED(db, NULL, "{'filter':{'num':{'like':1}}}", DAOC_ERR_INVALID_OPTIONS,
            "unknown operator for 'num'");
    REFUSED(db, NULL, "{'filter':{'num':'abc'}}", DAOC_ERR_INVALID_OPTIONS,
            "invalid value for 'num': expected an integer");
    REFUSED(db, NULL, "{'filter':{'num':1.5}}", DAOC_ERR_INVALID_OPTIONS,
            "invalid value for 'num': expected an integer");
    REFUSED(db, NULL, "{'filter':{'owner':'not-a-uuid'}}", DAOC_ERR_INVALID_OPTIONS,
            "invalid value for 'owner': expected a UUID");
    REFUSED(db, NULL, "{'filter':{'id':{'gt':'abc'}}}", DAOC_ERR_INVALID_OPTIONS,
            "invalid value for 'id': expected a UUID");
    REFUSED(db, NULL, "{'filter':['num']}", DAOC_ERR_INVALID_OPTIONS, "filter: must be a table");
    REFUSED(db, NULL, "{'sort':'note'}", DAOC_ERR_INVALID_OPTIONS,
            "invalid option (sort: cannot sort on 'note': no index serves it (sort on 'id', "
            "'name', 'num', 'score', 'owner'))");
    REFUSED(db, NULL, "{'sort':3}", DAOC_ERR_INVALID_OPTIONS, "sort: must be a field name");
    REFUSED(db, NULL, "{'sort':'-'}", DAOC_ERR_INVALID_OPTIONS, "unknown field ''");

    /* offsets belong to their order */
    daoc_value *rows = NULL;
    char *by_name = NULL, *by_num_desc = NULL, *plain = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(page(db, 2, NULL, "{'sort':'name'}", &rows, &by_name, &err), DAOC_OK);
    daoc_value_free(rows);
    ASSERT_INT(page(db, 2, NULL, "{'sort':'-num'}", &rows, &by_num_desc, &err), DAOC_OK);
    daoc_value_free(rows);
    ASSERT_INT(page(db, 2, NULL, NULL, &rows, &plain, &err), DAOC_OK);
    daoc_value_free(rows);
    ASSERT_NOT_NULL(by_name);
    ASSERT_NOT_NULL(by_num_desc);
    ASSERT_NOT_NULL(plain);
    REFUSED(db, by_name, "{'sort':'-name'}", DAOC_ERR_INVALID_OFFSET,
            "is not a valid offset for this sort");
    REFUSED(db, by_name, "{'sort':'num'}", DAOC_ERR_INVALID_OFFSET, "not a valid offset");
    REFUSED(db, by_num_desc, "{'sort':'name'}", DAOC_ERR_INVALID_OFFSET, "not a valid offset");
    REFUSED(db, plain, "{'sort':'name'}", DAOC_ERR_INVALID_OFFSET, "not a valid offset");
    REFUSED(db, by_name, NULL, DAOC_ERR_INVALID_OFFSET, "not a valid offset");
    REFUSED(db, "!!", "{'sort':'name'}", DAOC_ERR_INVALID_OFFSET, "bad base64 encoding");
    /* the default order with a filter takes Kong's tokens */
    daoc_free(by_name);
    by_name = NULL;
    ASSERT_INT(page(db, 2, plain, "{'filter':{'num':{'gt':0}}}", &rows, &by_name, &err), DAOC_OK);
    ASSERT_INT(daoc_value_len(rows), 2);
    daoc_value_free(rows);
    daoc_free(by_name);
    daoc_free(by_num_desc);
    daoc_free(plain);
    /* the tags entity is read from the tags table: no query */
    daoc_value *opts = J("{'sort':'tag'}");
    char *next = NULL;
    ASSERT_INT(daoc_dao_page(daoc_db_dao(db, "tags"), 2, NULL, opts, &rows, &next, &err),
               DAOC_EDAO);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_INVALID_OPTIONS);
    ASSERT_STR(daoc_error_message(err),
               "invalid option (sort: cannot be used with the tags entity)");
    daoc_error_free(err);
    err = NULL;
    daoc_value_free(opts);
    /* nothing changed */
    ASSERT_INT(count_page(db, NULL), 10);
    daoc_db_close(db);
}

TEST(page_for_takes_a_query)
{
    OPEN(db);
    char owner[37];
    ASSERT_TRUE(ins(db, "owners", "{'name':'o'}", owner));
    for (int i = 1; i <= 6; i++) {
        char j[200];
        snprintf(j, sizeof j, "{'num':%d,'owner':{'id':'%s'}}", i, owner);
        ASSERT_TRUE(ins(db, "pets", j, NULL));
    }
    ASSERT_TRUE(ins(db, "pets", "{'num':7}", NULL));
    char j[100];
    snprintf(j, sizeof j, "{'id':'%s'}", owner);
    daoc_value *fk = J(j), *opts = J("{'filter':{'num':{'gt':2}},'sort':'-num'}"), *rows = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    ASSERT_INT(
        daoc_dao_page_for(daoc_db_dao(db, "pets"), "owner", fk, 3, NULL, opts, &rows, &next, &err),
        DAOC_OK);
    ASSERT_INT(daoc_value_len(rows), 3);
    ASSERT_INT(daoc_value_int(daoc_obj_get(daoc_arr_get(rows, 0), "num")), 6);
    ASSERT_NOT_NULL(next);
    daoc_value_free(rows);
    char *second = NULL;
    ASSERT_INT(daoc_dao_page_for(daoc_db_dao(db, "pets"), "owner", fk, 3, next, opts, &rows,
                                 &second, &err),
               DAOC_OK);
    ASSERT_INT(daoc_value_len(rows), 1); /* num 3: 7 has no owner */
    ASSERT_INT(daoc_value_int(daoc_obj_get(daoc_arr_get(rows, 0), "num")), 3);
    ASSERT_NULL(second);
    daoc_value_free(rows);
    daoc_free(next);
    daoc_value_free(fk);
    daoc_value_free(opts);
    daoc_db_close(db);
}
