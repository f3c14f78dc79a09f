/*
 * cache.c -- the server's entity cache and its place in the cluster, and
 * Kong's cache routes (kong/api/routes/cache.lua):
 *   GET    /cache/:key   the value cached for key (a table as itself,
 *                        anything else as {"message": value}); 404
 *                        {"message":"Not found"} when absent or stale
 *   DELETE /cache/:key   204: dropped from this node's cache
 *   DELETE /cache        204: every entry dropped (this node only)
 * One cache serves every server thread's handle (kong.cache in their Lua
 * code).  It stays true through the handles' own changes (daoc_db_on_crud:
 * each committed change's cache keys dropped at once) and the other
 * nodes' (a daoc_cluster reader on Kong's two invalidation channels);
 * kong.cache:invalidate broadcasts.  Only the public API is used.
 */
#include "admin/admin.h"

/* Logs m through the configuration's function. */
static void say(const daoc_config *cfg, daoc_log_level lvl, const char *what, const daoc_error *e,
                int rc)
{
    daoc_log_fn fn = NULL;
    void *ud = NULL;
    daoc_config_get_log(cfg, &fn, &ud);
    if (!fn)
        return;
    daoc__buf m = DAOC__BUF_INIT;
    daoc__buf_printf(&m, "%s: %s", what, e ? daoc_error_message(e) : daoc_strerror(rc));
    if (!m.failed)
        fn(ud, lvl, m.data);
    daoc__buf_free(&m);
}

int daoc__adm_cache_start(daoc__adm_app *app, const daoc_config *cfg, daoc_db *first,
                          daoc_error **err)
{
    daoc_error *why = NULL;
    int rc = daoc_cluster_open(&app->cluster, cfg, &why);
    daoc_cache_opts o = daoc_db_cache_opts(cfg);
    if (rc == DAOC_OK) { /* kong.cache:invalidate tells the others */
        o.on_invalidate = daoc_cluster_invalidation;
        o.on_invalidate_ud = app->cluster;
    }
    int crc = daoc_cache_new(&o, &app->cache, err);
    if (crc != DAOC_OK) {
        daoc_error_free(why);
        daoc_cluster_close(app->cluster);
        app->cluster = NULL;
        return crc;
    }
    /* a reader that cannot start stays open: the cache's hook broadcasts
     * through it */
    if (rc == DAOC_OK && (rc = daoc_cluster_feed_cache(app->cluster, app->cache)) == DAOC_OK &&
        (rc = daoc_cluster_subscribe(app->cluster, "log_level", daoc__adm_cluster_log_level,
                                     app)) == DAOC_OK &&
        (rc = daoc_cluster_subscribe(app->cluster, "balancer:post_health",
                                     daoc__adm_cluster_post_health, app)) == DAOC_OK)
        rc = daoc_cluster_start(app->cluster, &why);
    if (rc != DAOC_OK) /* the cache stays local: said, not fatal */
        say(cfg, DAOC_LOG_WARN, "no cluster events, the cache hears of no other node", why, rc);
    daoc_error_free(why);
    why = NULL;
    if (first) { /* after the reader started: a change made meanwhile is heard */
        daoc__adm_cache_attach(app, first);
        if ((rc = daoc_db_cache_warmup(first, NULL, &why)) != DAOC_OK)
            say(cfg, DAOC_LOG_WARN, "cache warmup failed", why, rc);
        daoc_error_free(why);
    }
    return DAOC_OK;
}

void daoc__adm_cache_attach(daoc__adm_app *app, daoc_db *db)
{
    if (app->cache && db && daoc_db_use_cache(db, app->cache) != DAOC_OK) {
        /* db keeps a cache of its own (daoc_db_use_cache) */
    }
}

void daoc__adm_cache_stop(daoc__adm_app *app)
{
    daoc_cluster_close(app->cluster);
    app->cluster = NULL;
    daoc_cache_free(app->cache);
    app->cache = NULL;
}

void daoc__adm_cache_route(daoc__adm_app *app, unsigned method, const daoc__adm_route *r,
                           daoc__adm_res *res)
{
    if (method == DAOC__M_DELETE) {
        if (app->cache && r->nseg == 2)
            (void)daoc_cache_invalidate_local(app->cache, r->seg[1], r->seglen[1]);
        else if (app->cache)
            daoc_cache_purge(app->cache);
        res->status = 204;
        return;
    }
    daoc_cache_ref *ref = NULL;
    double ttl = 0;
    bool stale = false;
    int rc = app->cache && r->seglen[1]
                 ? daoc_cache_peek(app->cache, r->seg[1], r->seglen[1], &ref, &ttl, &stale)
                 : DAOC_ENOTFOUND;
    if (rc != DAOC_OK || stale || !ref) { /* a cached miss has no value to show */
        daoc_cache_release(ref);
        daoc__adm_message(res, 404, "Not found");
        return;
    }
    const daoc_value *v = daoc_cache_value(ref);
    if (daoc_value_type(v) == DAOC_TOBJ || daoc_value_type(v) == DAOC_TARR) {
        daoc__adm_json(res, 200, v);
    } else {
        daoc_value *o = daoc_obj();
        if (o && daoc_obj_set(o, "message", daoc_value_copy(v)) == DAOC_OK)
            daoc__adm_json(res, 200, o);
        else
            daoc__adm_message(res, 500, "An unexpected error occurred");
        daoc_value_free(o);
    }
    daoc_cache_release(ref);
}

int daoc__adm_cache_status(const daoc__adm_app *app, daoc_value *status)
{
    if (!app->cache)
        return DAOC_OK;
    daoc_value *c = NULL;
    int rc = daoc_cache_stats(app->cache, &c);
    if (rc == DAOC_OK && app->cluster) {
        daoc_value *cl = daoc_cluster_stats(app->cluster);
        rc = cl ? daoc_obj_set(c, "cluster_events", cl) : DAOC_ENOMEM;
    }
    if (rc == DAOC_OK)
        return daoc_obj_set(status, "cache", c);
    daoc_value_free(c);
    return rc;
}
