/*
 * test_crud_events.c -- the CRUD events of a handle (daoc_db_on_crud,
 * src/db/crud_events.c): each write tells its event once committed, with
 * Kong's operation, the entity without nulls, the old entity of an
 * update, and the cache keys of both; a rolled-back change (the
 * transaction, a savepoint, a refused write) tells nothing; a delete
 * tells its cascades after it; a subscriber's own writes are told after
 * the event that caused them.  And the cluster_events outbox the
 * database's triggers write (store/events_ddl.h): after each case the
 * keys of its rows are exactly the keys the events told (the same
 * DAO:cache_key computed in SQL, for strings, numbers, foreign keys,
 * composite keys and the primary-key fallback), none for
 * what was rolled back.  Runs on every store (fixture.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"
#include "store/deploy.h"

static const char *const DEFS[] = {
    "{'name':'creds','primary_key':['id'],'cache_key':['key'],'fields':["
    "{'id':{'type':'string','uuid':true,'auto':true}},"
    "{'key':{'type':'string','required':true,'unique':true}},"
    "{'note':{'type':'string'}},"
    "{'consumer':{'type':'foreign','reference':'consumers','on_delete':'cascade'}}]}",
    "{'name':'nums','primary_key':['id'],'cache_key':['n'],'fields':["
    "{'id':{'type':'string','uuid':true,'auto':true}},{'n':{'type':'number','unique':true}}]}",
    "{'name':'pairs','primary_key':['id'],'cache_key':['a','i'],'fields':["
    "{'id':{'type':'string','uuid':true,'auto':true}},{'a':{'type':'string'}},"
    "{'i':{'type':'integer'}}]}",
    "{'name':'wpairs','primary_key':['id'],'cache_key':['a','i'],'workspaceable':true,"
    "'fields':[{'id':{'type':'string','uuid':true,'auto':true}},{'a':{'type':'string'}},"
    "{'i':{'type':'integer'}}]}",
    NULL};

typedef struct seen {
    char log[8192]; /* "op entity key,key|..." */
    char all[8192]; /* the same, never reset */
    int n;
    daoc_db *db;      /* a subscriber that writes: its db */
    bool write_back;  /* ... when a consumer named 'writer' is created */
    char last_entity[512], last_old[512];
} seen;

static void on_crud(void *ud, const daoc_crud_event *ev)
{
    seen *s = ud;
    s->n++;
    size_t l = strlen(s->log);
    snprintf(s->log + l, sizeof s->log - l, "%s %s", ev->operation, ev->entity_name);
    for (size_t i = 0; i < ev->ncache_keys; i++) {
        l = strlen(s->log);
        snprintf(s->log + l, sizeof s->log - l, "%s%s", i ? "," : " ", ev->cache_keys[i]);
    }
    l = strlen(s->log);
    snprintf(s->log + l, sizeof s->log - l, "|");
    /* the whole entry into `all` too */
    const char *entry = strrchr(s->log, '|');
    const char *start = entry;
    while (start > s->log && start[-1] != '|')
        start--;
    l = strlen(s->all);
    snprintf(s->all + l, sizeof s->all - l, "%.*s|", (int)(entry - start), start);
    char *e = ev->entity ? enc(ev->entity) : NULL, *o = ev->old_entity ? enc(ev->old_entity) : NULL;
    snprintf(s->last_entity, sizeof s->last_entity, "%s", e ? e : "-");
    snprintf(s->last_old, sizeof s->last_old, "%s", o ? o : "-");
    daoc_free(e);
    daoc_free(o);
    const daoc_value *u = ev->entity ? daoc_obj_get(ev->entity, "username") : NULL;
    if (s->write_back && u && strcmp(daoc_value_str(u, NULL), "writer") == 0) {
        daoc_value *c = J("{'username':'written-by-subscriber'}"), *out = NULL;
        if (daoc_dao_insert(daoc_db_dao(s->db, "consumers"), c, NULL, &out, NULL) != DAOC_OK)
            abort();
        daoc_value_free(out);
        daoc_value_free(c);
    }
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits "op entity k1,k2|..." (the events told) or "k|k|" (rows) into
 * its keys, sorted, joined by ' '. */
static void sorted_keys(const char *text, bool events, char *out, size_t size)
{
    char *copy = strdup(text), *keys[512];
    size_t n = 0;
    for (char *item = strtok(copy, "|"); item && n < 512; item = strtok(NULL, "|")) {
        char *k = item;
        if (events) { /* past "op entity " */
            k = strchr(item, ' ');
            k = k ? strchr(k + 1, ' ') : NULL;
            if (!k)
                continue;
            k++;
        }
        for (char *p = k; p && *p && n < 512;) {
            char *comma = events ? strchr(p, ',') : NULL;
            if (comma)
                *comma = '\0';
            keys[n++] = p;
            p = comma ? comma + 1 : NULL;
        }
    }
    qsort(keys, n, sizeof keys[0], cmp);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(out);
        snprintf(out + l, size - l, "%s%s", i ? " " : "", keys[i]);
    }
    free(copy);
}

/* The keys of the outbox rows (data), written by the database's triggers
 * for this process's tests, as sorted_keys; every row on Kong's channel
 * of its entity and with the any-node id. */
static void outbox_keys(daoc_db *db, char *out, size_t size)
{
    daoc_value *rows = NULL;
    char *msg = NULL;
    if (db->store->deploy->query(db->store,
                                 "SELECT channel, data, node_id FROM cluster_events", NULL, &rows,
                                 &msg) != DAOC_OK) {
        snprintf(out, size, "query failed: %s", msg ? msg : "?");
        daoc_free(msg);
        return;
    }
    static char text[16384];
    text[0] = '\0';
    for (size_t i = 0; i < daoc_value_len(rows); i++) {
        const daoc_value *r = daoc_arr_get(rows, i);
        const char *data = daoc_value_str(daoc_obj_get(r, "data"), NULL);
        const char *chan = daoc_value_str(daoc_obj_get(r, "channel"), NULL);
        const char *node = daoc_value_str(daoc_obj_get(r, "node_id"), NULL);
        bool core = strncmp(data, "consumers:", 10) != 0 && strncmp(data, "creds:", 6) != 0 &&
                    strncmp(data, "nums:", 5) != 0 &&
                    strncmp(data, "pairs:", 6) != 0 && strncmp(data, "wpairs:", 7) != 0 &&
                    strncmp(data, "workspaces:", 11) != 0;
        size_t l = strlen(text);
        if (core || strcmp(chan, "invalidations") != 0 ||
            strcmp(node, "00000000-0000-0000-0000-000000000000") != 0)
            snprintf(text + l, sizeof text - l, "UNEXPECTED(%s %s %s)|", chan, data, node);
        else
            snprintf(text + l, sizeof text - l, "%s|", data);
    }
    daoc_value_free(rows);
    sorted_keys(text, false, out, size);
}

/* The outbox holds the keys of exactly the events told. */
#define ASSERT_OUTBOX_MATCHES(db, s)                                                               \
    do {                                                                                           \
        static char told_[8192], rows_[8192];                                                      \
        sorted_keys((s).all, true, told_, sizeof told_);                                           \
        outbox_keys(db, rows_, sizeof rows_);                                                      \
        ASSERT_STR(rows_, told_);                                                                  \
    } while (0)

static daoc_db *open_db(seen *s)
{
    daoc_db *db = fixture_open(DEFS, "crud");
    if (!db)
        return NULL;
    daoc_value *rows = NULL;
    if (db->store->deploy->query(db->store, "DELETE FROM cluster_events", NULL, &rows, NULL) !=
        DAOC_OK)
        abort();
    daoc_value_free(rows);
    memset(s, 0, sizeof *s);
    s->db = db;
    if (daoc_db_on_crud(db, on_crud, s) != DAOC_OK)
        abort();
    return db;
}

static daoc_value *insert_in(daoc_db *db, const char *dao, const char *json, const char *ws)
{
    daoc_value *e = J(json), *out = NULL, *opts = NULL;
    if (ws && ((opts = daoc_obj()) == NULL || daoc_obj_set(opts, "workspace", daoc_str(ws))))
        abort();
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(daoc_db_dao(db, dao), e, opts, &out, &err);
    daoc_value_free(opts);
    if (rc != DAOC_OK)
        fprintf(stderr, "insert %s: %s\n", json, err ? daoc_error_string(err) : "");
    daoc_value_free(e);
    daoc_error_free(err);
    return out;
}

static daoc_value *insert(daoc_db *db, const char *dao, const char *json)
{
    return insert_in(db, dao, json, NULL);
}

static const char *sget(const daoc_value *o, const char *k)
{
    return daoc_value_str(daoc_obj_get(o, k), NULL);
}

TEST(insert_update_delete_tell_their_events_with_cache_keys)
{
    seen s;
    daoc_db *db = open_db(&s);
    ASSERT_TRUE(db != NULL);
    daoc_value *c = insert(db, "consumers", "{'username':'alice'}");
    ASSERT_TRUE(c != NULL);
    char want[2048];
    snprintf(want, sizeof want, "create consumers consumers:%s:::::%s|", sget(c, "id"),
             t_default_ws(db));
    ASSERT_STR(s.log, want);
    /* nulls removed, as Kong's remove_nulls */
    ASSERT_TRUE(strstr(s.last_entity, "\"username\":\"alice\"") != NULL);
    ASSERT_TRUE(strstr(s.last_entity, "custom_id") == NULL);
    ASSERT_STR(s.last_old, "-");

    char j[300];
    snprintf(j, sizeof j, "{'key':'k1','consumer':{'id':'%s'}}", sget(c, "id"));
    daoc_value *cr = insert(db, "creds", j);
    ASSERT_TRUE(cr != NULL);
    /* a unique cache_key field changed: the old key and the new one */
    s.log[0] = '\0';
    daoc_value *pk = J("{}"), *upd = J("{'key':'k2'}"), *out = NULL;
    ASSERT_INT(daoc_obj_set(pk, "id", daoc_str(sget(cr, "id"))), DAOC_OK);
    ASSERT_INT(daoc_dao_update(daoc_db_dao(db, "creds"), pk, upd, NULL, &out, NULL), DAOC_OK);
    ASSERT_STR(s.log, "update creds creds:k2:::::,creds:k1:::::|");
    ASSERT_TRUE(strstr(s.last_old, "\"key\":\"k1\"") != NULL);
    ASSERT_TRUE(strstr(s.last_entity, "\"key\":\"k2\"") != NULL);
    daoc_value_free(out);
    daoc_value_free(upd);

    /* deleting the consumer tells its cascade after it */
    s.log[0] = '\0';
    daoc_value *cpk = J("{}");
    ASSERT_INT(daoc_obj_set(cpk, "id", daoc_str(sget(c, "id"))), DAOC_OK);
    ASSERT_INT(daoc_dao_delete(daoc_db_dao(db, "consumers"), cpk, NULL, NULL), DAOC_OK);
    snprintf(want, sizeof want, "delete consumers consumers:%s:::::%s|delete creds creds:k2:::::|",
             sget(c, "id"), t_default_ws(db));
    ASSERT_STR(s.log, want);
    ASSERT_TRUE(strstr(s.last_entity, "\"key\":\"k2\"") != NULL); /* the deleted entity */
    ASSERT_STR(s.last_old, "-");
    /* deleting what is not there tells nothing */
    s.log[0] = '\0';
    ASSERT_INT(daoc_dao_delete(daoc_db_dao(db, "consumers"), cpk, NULL, NULL), DAOC_OK);
    ASSERT_STR(s.log, "");
    ASSERT_OUTBOX_MATCHES(db, s);
    daoc_value_free(cpk);
    daoc_value_free(pk);
    daoc_value_free(cr);
    daoc_value_free(c);
    daoc_db_close(db);
}

TEST(a_rolled_back_change_tells_nothing)
{
    seen s;
    daoc_db *db = open_db(&s);
    ASSERT_TRUE(db != NULL);
    ASSERT_INT(daoc_db_begin(db, NULL), DAOC_OK);
    daoc_value *a = insert(db, "consumers", "{'username':'a'}");
    ASSERT_TRUE(a != NULL);
    ASSERT_STR(s.log, ""); /* held until the commit */
    ASSERT_INT(daoc_db_rollback(db, NULL), DAOC_OK);
    ASSERT_STR(s.log, "");

    /* a savepoint rolled back drops its own changes only */
    ASSERT_INT(daoc_db_begin(db, NULL), DAOC_OK);
    daoc_value *b = insert(db, "consumers", "{'username':'b'}");
    ASSERT_INT(daoc_db_begin(db, NULL), DAOC_OK);
    daoc_value *c = insert(db, "consumers", "{'username':'c'}");
    ASSERT_INT(daoc_db_rollback(db, NULL), DAOC_OK);
    ASSERT_INT(daoc_db_begin(db, NULL), DAOC_OK);
    daoc_value *d = insert(db, "consumers", "{'username':'d'}");
    ASSERT_INT(daoc_db_commit(db, NULL), DAOC_OK);
    ASSERT_STR(s.log, "");
    ASSERT_INT(daoc_db_commit(db, NULL), DAOC_OK);
    char want[1024];
    char ws[37];
    snprintf(ws, sizeof ws, "%s", t_default_ws(db));
    snprintf(want, sizeof want,
             "create consumers consumers:%s:::::%s|create consumers consumers:%s:::::%s|",
             sget(b, "id"), ws, sget(d, "id"), ws);
    ASSERT_STR(s.log, want);

    /* a refused write (a unique violation) tells nothing */
    s.log[0] = '\0';
    daoc_value *dup = insert(db, "consumers", "{'username':'b'}");
    ASSERT_TRUE(dup == NULL);
    ASSERT_STR(s.log, "");
    ASSERT_OUTBOX_MATCHES(db, s);
    daoc_value_free(a);
    daoc_value_free(b);
    daoc_value_free(c);
    daoc_value_free(d);
    daoc_db_close(db);
}

TEST(upsert_is_create_then_update_and_a_subscribers_write_is_told_after)
{
    seen s;
    daoc_db *db = open_db(&s);
    ASSERT_TRUE(db != NULL);
    daoc_value *pk = J("{'id':'6c0a3b7e-2f4d-4e1a-9b8c-0d1e2f3a4b5c'}"),
               *e1 = J("{'username':'u1'}"), *e2 = J("{'username':'u2'}"), *out = NULL;
    ASSERT_INT(daoc_dao_upsert(daoc_db_dao(db, "consumers"), pk, e1, NULL, &out, NULL), DAOC_OK);
    daoc_value_free(out);
    ASSERT_INT(daoc_dao_upsert(daoc_db_dao(db, "consumers"), pk, e2, NULL, &out, NULL), DAOC_OK);
    daoc_value_free(out);
    char want[400];
    const char *ws = t_default_ws(db);
    snprintf(want, sizeof want,
             "create consumers consumers:6c0a3b7e-2f4d-4e1a-9b8c-0d1e2f3a4b5c:::::%s|"
             "update consumers consumers:6c0a3b7e-2f4d-4e1a-9b8c-0d1e2f3a4b5c:::::%s|",
             ws, ws);
    ASSERT_STR(s.log, want);
    ASSERT_TRUE(strstr(s.last_old, "\"username\":\"u1\"") != NULL);
    daoc_value_free(pk);
    daoc_value_free(e1);
    daoc_value_free(e2);

    s.log[0] = '\0';
    s.write_back = true;
    daoc_value *w = insert(db, "consumers", "{'username':'writer'}");
    ASSERT_TRUE(w != NULL);
    ASSERT_INT(s.n, 4);
    ASSERT_TRUE(strstr(s.last_entity, "written-by-subscriber") != NULL);
    ASSERT_OUTBOX_MATCHES(db, s);
    daoc_value_free(w);
    daoc_db_close(db);
}

/* A workspaceable entity's key ends with the workspace the write was in
 * (Kong 2.1's DAO:cache_key), in the events and in the outbox alike; a
 * composite key's stored column too. */
TEST(the_workspace_part_is_the_writes_workspace)
{
    seen s;
    daoc_db *db = open_db(&s);
    ASSERT_TRUE(db != NULL);
    char def[37], name[64], json[200];
    snprintf(def, sizeof def, "%s", t_default_ws(db));
    ASSERT_TRUE(strlen(def) == 36);
    snprintf(name, sizeof name, "ws-%d-%ld", (int)getpid(), (long)time(NULL));
    snprintf(json, sizeof json, "{'name':'%s'}", name);
    daoc_value *ws = insert(db, "workspaces", json);
    ASSERT_TRUE(ws != NULL);
    const char *w2 = sget(ws, "id");
    s.log[0] = '\0';
    daoc_value *c = insert_in(db, "consumers", "{'username':'in-ws2'}", name);
    daoc_value *p2 = insert_in(db, "wpairs", "{'a':'x','i':7}", name);
    daoc_value *p1 = insert(db, "wpairs", "{'a':'x','i':7}"); /* the same key, default ws */
    ASSERT_TRUE(c && p2 && p1);
    char want[1024];
    snprintf(want, sizeof want,
             "create consumers consumers:%s:::::%s|create wpairs wpairs:x:7::::%s|"
             "create wpairs wpairs:x:7::::%s|",
             sget(c, "id"), w2, w2, def);
    ASSERT_STR(s.log, want);
    ASSERT_OUTBOX_MATCHES(db, s);
    /* daoc_dao_cache_key: the entity's ws_id, else the default workspace */
    char *k = NULL;
    ASSERT_INT(daoc_dao_cache_key(daoc_db_dao(db, "consumers"), c, &k, NULL), DAOC_OK);
    snprintf(want, sizeof want, "consumers:%s:::::%s", sget(c, "id"), def);
    ASSERT_STR(k, want);
    daoc_free(k);
    ASSERT_INT(daoc_obj_set(c, "ws_id", daoc_str(w2)), DAOC_OK);
    ASSERT_INT(daoc_dao_cache_key(daoc_db_dao(db, "consumers"), c, &k, NULL), DAOC_OK);
    snprintf(want, sizeof want, "consumers:%s:::::%s", sget(c, "id"), w2);
    ASSERT_STR(k, want);
    daoc_free(k);
    /* an entity that is not workspaceable has an empty part */
    daoc_value *n = insert(db, "nums", "{'n':3}");
    ASSERT_INT(daoc_dao_cache_key(daoc_db_dao(db, "nums"), n, &k, NULL), DAOC_OK);
    ASSERT_STR(k, "nums:3:::::");
    daoc_free(k);
    daoc_value_free(n);
    daoc_value_free(p1);
    daoc_value_free(p2);
    daoc_value_free(c);
    daoc_value_free(ws);
    daoc_db_close(db);
}

/* The key computed in SQL is DAO:cache_key's for every kind of value. */
TEST(the_outbox_keys_are_the_dao_cache_keys_of_every_kind)
{
    seen s;
    daoc_db *db = open_db(&s);
    ASSERT_TRUE(db != NULL);
    static const char *const rows[][2] = {
        {"nums", "{'n':1}"},           {"nums", "{'n':1.5}"},  {"nums", "{'n':-0.25}"},
        {"nums", "{'n':100000000}"},   {"nums", "{}"}, /* empty: the primary key */
        {"pairs", "{'a':'x','i':7}"},  {"pairs", "{'a':'y'}"}, {"pairs", "{}"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        daoc_value *v = insert(db, rows[i][0], rows[i][1]);
        ASSERT_TRUE(v != NULL);
        daoc_value_free(v);
    }
    ASSERT_TRUE(strstr(s.all, "create nums nums:1.5:::::|") != NULL);
    ASSERT_TRUE(strstr(s.all, "create pairs pairs:y:::::|") != NULL);
    ASSERT_TRUE(strstr(s.all, "create pairs pairs:x:7::::|") != NULL);
    ASSERT_OUTBOX_MATCHES(db, s);
    /* an update through every row keeps matching: each one's key changes */
    daoc_value *page = NULL;
    char *next = NULL;
    ASSERT_INT(daoc_dao_page(daoc_db_dao(db, "nums"), 100, NULL, NULL, &page, &next, NULL),
               DAOC_OK);
    for (size_t i = 0; i < daoc_value_len(page); i++) {
        char nj[40];
        snprintf(nj, sizeof nj, "{'n':%zu.5}", 40 + i); /* n is unique */
        daoc_value *pk = J("{}"), *upd = J(nj), *out = NULL;
        ASSERT_INT(daoc_obj_set(pk, "id", daoc_str(sget(daoc_arr_get(page, i), "id"))), DAOC_OK);
        ASSERT_INT(daoc_dao_update(daoc_db_dao(db, "nums"), pk, upd, NULL, &out, NULL), DAOC_OK);
        daoc_value_free(out);
        daoc_value_free(upd);
        daoc_value_free(pk);
    }
    daoc_value_free(page);
    ASSERT_OUTBOX_MATCHES(db, s);
    daoc_db_close(db);
}

/* The cache's subscription reads keys only (daoc_db_use_cache): while it
 * is the only kind, the events carry no entity and none is copied; a
 * subscriber that reads entities gets them, and so do the others then. */
TEST(a_keys_only_subscriber_gets_no_entity_unless_another_reads_them)
{
    daoc_db *db = fixture_open(DEFS, "crudk");
    ASSERT_TRUE(db != NULL);
    seen k, f;
    memset(&k, 0, sizeof k);
    memset(&f, 0, sizeof f);
    ASSERT_INT(daoc__db_on_crud_keys(db, on_crud, &k), DAOC_OK);
    daoc_value *a = insert(db, "consumers", "{'username':'keys-a'}");
    ASSERT_TRUE(a != NULL);
    char want[300];
    snprintf(want, sizeof want, "create consumers consumers:%s:::::%s|", sget(a, "id"),
             t_default_ws(db));
    ASSERT_STR(k.log, want);
    ASSERT_STR(k.last_entity, "-");
    ASSERT_INT(daoc_db_on_crud(db, on_crud, &f), DAOC_OK);
    daoc_value *b = insert(db, "consumers", "{'username':'keys-b'}");
    ASSERT_TRUE(b != NULL);
    ASSERT_TRUE(strstr(f.last_entity, "\"username\":\"keys-b\"") != NULL);
    ASSERT_TRUE(strstr(k.last_entity, "\"username\":\"keys-b\"") != NULL);
    daoc__db_crud_off(db, on_crud, &f);
    daoc_value *c = insert(db, "consumers", "{'username':'keys-c'}");
    ASSERT_TRUE(c != NULL);
    ASSERT_STR(k.last_entity, "-");
    ASSERT_INT(k.n, 3);
    ASSERT_INT(f.n, 1);
    daoc_value_free(a);
    daoc_value_free(b);
    daoc_value_free(c);
    daoc_db_close(db);
}

TEST(on_crud_refuses_misuse)
{
    ASSERT_INT(daoc_db_on_crud(NULL, on_crud, NULL), DAOC_EINVAL);
    seen s;
    daoc_db *db = open_db(&s);
    ASSERT_TRUE(db != NULL);
    ASSERT_INT(daoc_db_on_crud(db, NULL, NULL), DAOC_EINVAL);
    ASSERT_TRUE(strlen(daoc_node_id()) == 36);
    ASSERT_TRUE(daoc_node_id() == daoc_node_id());
    daoc_db_close(db);
}

