/*
 * test_cache_warmup.c -- daoc_db_cache_warmup (src/db/cache_warmup.c),
 * Kong's cache warm-up: the entities of the types db_cache_warmup_entities
 * lists, of every workspace, are in the cache under their cache keys
 * afterwards; "routes" is skipped with Kong's notice and an unknown name
 * with its warning; a cache too small for them stops the warm-up with
 * Kong's warning instead of evicting what it stored.  Runs on every store
 * (DAOC_DATABASE).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "harness.h"

typedef struct logbook {
    char text[8192];
} logbook;

/* keeps the warm-up's lines (PostgreSQL's DDL notices would fill it) */
static void on_log(void *ud, daoc_log_level lvl, const char *msg)
{
    logbook *b = ud;
    if (!strstr(msg, "warmup") && !strstr(msg, "mem_cache_size"))
        return;
    size_t l = strlen(b->text);
    snprintf(b->text + l, sizeof b->text - l, "%d %s\n", (int)lvl, msg);
}

static daoc_db *open_db(const char *entities, const char *size, logbook *b)
{
    daoc_config *cfg = fixture_config("warm");
    if (!cfg)
        abort();
    if (daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK ||
        daoc_config_set(cfg, "db_cache_warmup_entities", entities, NULL) != DAOC_OK ||
        daoc_config_set(cfg, "mem_cache_size", size, NULL) != DAOC_OK)
        abort();
    daoc_config_set_log(cfg, on_log, b);
    daoc_db *db = NULL;
    int rc = daoc_db_open(&db, cfg, NULL);
    daoc_config_free(cfg);
    if (rc != DAOC_OK)
        return NULL;
    static const char *const empty[] = {"services", "consumers"};
    for (size_t i = 0; i < 2; i++)
        if (daoc__dao_truncate(daoc_db_dao(db, empty[i]), NULL) != DAOC_OK)
            abort();
    return db;
}

static daoc_value *add(daoc_db *db, const char *dao, const char *json, const char *ws)
{
    daoc_value *e = J(json), *out = NULL, *opts = NULL;
    if (ws && (!(opts = daoc_obj()) || daoc_obj_set(opts, "workspace", daoc_str(ws)) != DAOC_OK))
        abort();
    int rc = daoc_dao_insert(daoc_db_dao(db, dao), e, opts, &out, NULL);
    daoc_value_free(e);
    daoc_value_free(opts);
    return rc == DAOC_OK ? out : NULL;
}

static bool cached(daoc_cache *c, const char *key)
{
    daoc_cache_ref *ref = NULL;
    double ttl = 0;
    bool stale = false;
    if (daoc_cache_peek(c, key, strlen(key), &ref, &ttl, &stale) != DAOC_OK || !ref)
        return false;
    daoc_cache_release(ref);
    return true;
}

TEST(the_listed_entities_of_every_workspace_are_cached)
{
    logbook b = {""};
    daoc_db *db = open_db("services, consumers,routes,nosuch", "128m", &b);
    ASSERT_TRUE(db != NULL);
    char name[64], json[200];
    snprintf(name, sizeof name, "warm-%d-%ld", (int)getpid(), (long)time(NULL));
    snprintf(json, sizeof json, "{'name':'%s'}", name);
    daoc_value *ws = add(db, "workspaces", json, NULL);
    ASSERT_TRUE(ws != NULL);
    daoc_value *s1 = add(db, "services", "{'name':'s1','host':'a.test'}", NULL);
    daoc_value *s2 = add(db, "services", "{'name':'s2','host':'b.test'}", name);
    daoc_value *c1 = add(db, "consumers", "{'username':'c1'}", NULL);
    ASSERT_TRUE(s1 && s2 && c1);
    daoc_cache *cache = NULL;
    ASSERT_INT(daoc_db_cache_new(NULL, &cache, NULL), DAOC_EINVAL);
    daoc_config *cfg = NULL;
    char why[300];
    ASSERT_INT(t_config_load(&cfg, NULL, why, sizeof why), DAOC_OK);
    ASSERT_INT(daoc_db_cache_new(cfg, &cache, NULL), DAOC_OK);
    daoc_config_free(cfg);
    daoc_db_set_cache(db, cache);
    size_t loaded = 0;
    ASSERT_INT(daoc_db_cache_warmup(db, &loaded, NULL), DAOC_OK);
    ASSERT_INT((int)loaded, 3);
    char key[200];
    snprintf(key, sizeof key, "services:%s:::::%s", daoc_value_str(daoc_obj_get(s2, "id"), NULL),
             daoc_value_str(daoc_obj_get(ws, "id"), NULL));
    ASSERT_TRUE(cached(cache, key)); /* the other workspace's, under its key */
    char *k = NULL;
    ASSERT_INT(daoc_dao_cache_key(daoc_db_dao(db, "services"), s1, &k, NULL), DAOC_OK);
    ASSERT_TRUE(cached(cache, k));
    daoc_free(k);
    ASSERT_INT(daoc_dao_cache_key(daoc_db_dao(db, "consumers"), c1, &k, NULL), DAOC_OK);
    ASSERT_TRUE(cached(cache, k));
    daoc_free(k);
    ASSERT_TRUE(strstr(b.text, "the 'routes' entity is ignored in the list of "
                               "'db_cache_warmup_entities'") != NULL);
    ASSERT_TRUE(strstr(b.text, "nosuch is not a valid entity name, please check the value of "
                               "'db_cache_warmup_entities'") != NULL);
    ASSERT_INT(daoc_db_cache_warmup(NULL, NULL, NULL), DAOC_EINVAL);
    daoc_value_free(s1);
    daoc_value_free(s2);
    daoc_value_free(c1);
    daoc_value_free(ws);
    daoc_db_close(db);
    daoc_cache_free(cache);
}

TEST(a_full_cache_stops_the_warmup_with_kongs_warning)
{
    logbook b = {""};
    daoc_db *db = open_db("consumers", "64k", &b);
    ASSERT_TRUE(db != NULL);
    ASSERT_INT(daoc_db_begin(db, NULL), DAOC_OK);
    for (int i = 0; i < 1500; i++) {
        char json[100];
        snprintf(json, sizeof json, "{'username':'user-%d','custom_id':'cid-%d'}", i, i);
        daoc_value *c = add(db, "consumers", json, NULL);
        ASSERT_TRUE(c != NULL);
        daoc_value_free(c);
    }
    ASSERT_INT(daoc_db_commit(db, NULL), DAOC_OK);
    size_t loaded = 0;
    ASSERT_INT(daoc_db_cache_warmup(db, &loaded, NULL), DAOC_OK); /* the handle's own cache */
    ASSERT_TRUE(loaded > 0 && loaded < 1500);
    ASSERT_TRUE(strstr(b.text, "cache warmup has been stopped because cache memory is "
                               "exhausted, please consider increasing the value of "
                               "'mem_cache_size' (currently at 64k)") != NULL);
    daoc_db_close(db);
}
