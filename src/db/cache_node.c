/*
 * cache_node.c -- a handle's entity cache (kong.cache): the cache a program
 * gives it (daoc_db_set_cache, one per process, shared by its handles), or
 * one of its own made on first use from the configuration's keys
 * (daoc_db_cache_new: mem_cache_size, db_cache_ttl, db_cache_neg_ttl --
 * empty: db_cache_ttl's -- and db_resurrect_ttl, Kong's defaults).
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "db/db.h"

daoc_cache_opts daoc_db_cache_opts(const daoc_config *cfg)
{
    daoc_cache_opts o = daoc_cache_opts_default();
    if (!cfg)
        return o;
    size_t size = 0;
    if (daoc_cache_parse_size(daoc_config_get(cfg, "mem_cache_size"), &size) == DAOC_OK)
        o.mem_size = size;
    o.ttl = strtod(daoc_config_get(cfg, "db_cache_ttl"), NULL);
    const char *neg = daoc_config_get(cfg, "db_cache_neg_ttl");
    o.neg_ttl = neg && *neg ? strtod(neg, NULL) : o.ttl;
    o.resurrect_ttl = strtod(daoc_config_get(cfg, "db_resurrect_ttl"), NULL);
    return o;
}

int daoc_db_cache_new(const daoc_config *cfg, daoc_cache **out, daoc_error **err)
{
    daoc__err_reset(err);
    if (!cfg || !out)
        return daoc__err_fail(err, DAOC_EINVAL, "%s is NULL", cfg ? "out" : "cfg");
    daoc_cache_opts o = daoc_db_cache_opts(cfg);
    return daoc_cache_new(&o, out, err);
}

void daoc_db_set_cache(daoc_db *db, daoc_cache *cache)
{
    if (!db)
        return;
    if (db->own_cache)
        daoc_cache_free(db->cache);
    db->own_cache = false;
    db->cache = cache;
}

daoc_cache *daoc__db_cache(daoc_db *db, daoc_error **err)
{
    if (!db->cache && daoc_db_cache_new(db->cfg, &db->cache, err) == DAOC_OK)
        db->own_cache = true;
    return db->cache;
}

static void drop_changed(void *ud, const daoc_crud_event *ev)
{
    for (size_t i = 0; i < ev->ncache_keys; i++)
        (void)daoc_cache_invalidate_local(ud, ev->cache_keys[i], strlen(ev->cache_keys[i]));
}

int daoc_db_use_cache(daoc_db *db, daoc_cache *cache)
{
    if (!db || !cache)
        return DAOC_EINVAL;
    int rc = daoc__db_on_crud_keys(db, drop_changed, cache); /* no entity copies */
    if (rc == DAOC_OK) /* a handle whose changes it would not hear of keeps its own */
        daoc_db_set_cache(db, cache);
    return rc;
}
