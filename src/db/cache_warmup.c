/*
 * cache_warmup.c -- Kong's cache warm-up (kong/cache/warmup.lua) for a
 * handle's entity cache (daoc_db_cache_warmup): every entity of each type
 * db_cache_warmup_entities names (default "services"), of every
 * workspace, is read page by page and stored under its cache key, so the
 * first requests find it in memory.  As in Kong: "routes" and "plugins"
 * are skipped with a notice, an unknown name is warned about and skipped,
 * and the warm-up stops, with Kong's warning, once the cache is full --
 * here, when storing starts to evict (the bound is mem_cache_size), checked
 * every CHECK_EVERY entities, so it stops at most that many past the
 * bound instead of pushing out what it stored first.  Kong's "Preloading"
 * and "finished preloading" lines are debug here (notice in Kong): every
 * `daoc runner` warms up, and a script's stderr is not a worker's log.
 */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/list.h"
#include "core/rand.h"
#include "db/db.h"
#include "schema/schema.h"

#define PAGE 1000
#define CHECK_EVERY 128

static double evictions(daoc_cache *c)
{
    daoc_value *st = NULL;
    double n = 0;
    if (daoc_cache_stats(c, &st) == DAOC_OK)
        n = daoc_value_num(daoc_obj_get(st, "evictions"));
    daoc_value_free(st);
    return n;
}

/* One entity type: DAOC_OK (*full when the cache filled), or a failure. */
static int warm_dao(daoc_dao *dao, daoc_cache *c, double ev0, size_t *loaded, bool *full,
                    daoc_error **err)
{
    daoc_value *opts = daoc_obj();
    int rc = opts ? daoc_obj_set(opts, "workspace", daoc_null()) : DAOC_ENOMEM;
    if (rc == DAOC_OK)
        rc = daoc_obj_set(opts, "show_ws_id", daoc_bool(true));
    char *offset = NULL;
    size_t since = 0;
    do {
        daoc_value *rows = NULL;
        char *next = NULL;
        if (rc == DAOC_OK)
            rc = daoc_dao_page(dao, PAGE, offset, opts, &rows, &next, err);
        for (size_t i = 0; rc == DAOC_OK && i < daoc_value_len(rows) && !*full; i++) {
            const daoc_value *e = daoc_arr_get(rows, i);
            char *key = NULL;
            rc = daoc_dao_cache_key(dao, e, &key, err);
            if (rc == DAOC_OK)
                rc = daoc_cache_set(c, key, strlen(key), e, NULL, err);
            daoc_free(key);
            if (rc == DAOC_OK) {
                (*loaded)++;
                if (++since == CHECK_EVERY) {
                    since = 0;
                    *full = evictions(c) > ev0;
                }
            }
        }
        daoc_value_free(rows);
        daoc_free(offset);
        offset = next;
    } while (rc == DAOC_OK && offset && !*full);
    daoc_free(offset);
    daoc_value_free(opts);
    if (rc == DAOC_OK && !*full && since)
        *full = evictions(c) > ev0;
    return rc;
}

/* The next comma-separated name of *list into name (trimmed); false at
 * the end. */
static bool next_name(const char **list, char *name, size_t size)
{
    const char *item = NULL;
    size_t n = 0;
    if (!daoc__list_item(list, &item, &n))
        return false;
    if (n >= size)
        n = size - 1;
    memcpy(name, item, n);
    name[n] = '\0';
    return true;
}

int daoc_db_cache_warmup(daoc_db *db, size_t *loaded, daoc_error **err)
{
    daoc__err_reset(err);
    size_t n = 0;
    if (loaded)
        *loaded = 0;
    if (!db)
        return daoc__err_fail(err, DAOC_EINVAL, "db is NULL");
    daoc_cache *c = daoc__db_cache(db, err);
    if (!c)
        return DAOC_ENOMEM; /* the cache could not be made (*err says why) */
    const char *list = daoc_config_get(db->cfg, "db_cache_warmup_entities");
    double ev0 = evictions(c);
    char name[128];
    int rc = DAOC_OK;
    bool full = false;
    while (rc == DAOC_OK && !full && list && next_name(&list, name, sizeof name)) {
        if (strcmp(name, "routes") == 0 || strcmp(name, "plugins") == 0) {
            daoc__db_log(db, DAOC_LOG_NOTICE,
                         "the '%s' entity is ignored in the list of 'db_cache_warmup_entities' "
                         "because daoc reads %s from the database when asked for them",
                         name, name);
            continue;
        }
        daoc_dao *dao = daoc_db_dao(db, name);
        if (!dao) {
            daoc__db_log(db, DAOC_LOG_WARN,
                         "%s is not a valid entity name, please check the value of "
                         "'db_cache_warmup_entities'",
                         name);
            continue;
        }
        daoc__db_log(db, DAOC_LOG_DEBUG, "Preloading '%s' into the cache...", name);
        double t0 = daoc__mono_ms();
        rc = warm_dao(dao, c, ev0, &n, &full, err);
        if (rc == DAOC_OK && !full)
            daoc__db_log(db, DAOC_LOG_DEBUG, "finished preloading '%s' into the cache (in %.0fms)",
                         name, daoc__mono_ms() - t0);
    }
    if (full)
        daoc__db_log(db, DAOC_LOG_WARN,
                     "cache warmup has been stopped because cache memory is exhausted, please "
                     "consider increasing the value of 'mem_cache_size' (currently at %s)",
                     daoc_config_get(db->cfg, "mem_cache_size"));
    if (loaded)
        *loaded = n;
    return rc;
}
