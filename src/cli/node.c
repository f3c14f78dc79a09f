/*
 * node.c -- what makes `daoc runner` a node of the cluster, through the
 * public API only: one entity cache for the process (kong.cache), kept
 * true by
 *   - the process's own changes: each committed change's cache keys
 *     (daoc_db_on_crud) are dropped at once;
 *   - the other nodes' changes: a cluster events reader (daoc_cluster,
 *     its own thread) drops the keys of Kong's two invalidation channels
 *     as they come (PostgreSQL: milliseconds after their commit);
 *   - kong.cache:invalidate(key): dropped here, then broadcast to the
 *     others (the cache's on_invalidate hook).
 * At start it is warmed up (db_cache_warmup_entities, default services).
 * A reader that cannot start leaves the cache local, with a warning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

struct daoc_cli_node {
    daoc_cache *cache;
    daoc_cluster *cluster;
};

/* The reader of the other nodes' changes, or NULL (said on stderr). */
static daoc_cluster *reader(const daoc_config *cfg)
{
    daoc_cluster *c = NULL;
    daoc_error *err = NULL;
    int rc = daoc_cluster_open(&c, cfg, &err);
    if (rc != DAOC_OK) {
        fprintf(stderr, "[warn] no cluster events (the cache hears of no other node): %s\n",
                err ? daoc_error_message(err) : daoc_strerror(rc));
        daoc_error_free(err);
        return NULL;
    }
    return c;
}

daoc_cli_node *daoc_cli_node_start(const daoc_config *cfg, daoc_db *db)
{
    daoc_cli_node *node = calloc(1, sizeof *node);
    if (!node)
        return NULL;
    node->cluster = reader(cfg);
    daoc_cache_opts o = daoc_db_cache_opts(cfg);
    if (node->cluster) { /* kong.cache:invalidate tells the others */
        o.on_invalidate = daoc_cluster_invalidation;
        o.on_invalidate_ud = node->cluster;
    }
    daoc_error *err = NULL;
    if (daoc_cache_new(&o, &node->cache, &err) != DAOC_OK) {
        fprintf(stderr, "daoc: cannot make the cache: %s\n",
                err ? daoc_error_message(err) : "out of memory");
        daoc_error_free(err);
        daoc_cluster_close(node->cluster);
        free(node);
        return NULL;
    }
    if (daoc_db_use_cache(db, node->cache) != DAOC_OK)
        fprintf(stderr, "[warn] the cache would not hear of this process's changes: not used\n");
    if (node->cluster && (daoc_cluster_feed_cache(node->cluster, node->cache) != DAOC_OK ||
                          daoc_cluster_start(node->cluster, &err) != DAOC_OK)) {
        fprintf(stderr, "[warn] no cluster events (the cache hears of no other node): %s\n",
                err ? daoc_error_message(err) : "out of memory");
        daoc_error_free(err);
        err = NULL;
    }
    /* db_cache_warmup_entities, as a Kong worker starts */
    if (daoc_db_cache_warmup(db, NULL, &err) != DAOC_OK)
        fprintf(stderr, "[warn] cache warmup failed: %s\n",
                err ? daoc_error_message(err) : "out of memory");
    daoc_error_free(err);
    return node;
}

void daoc_cli_node_stop(daoc_cli_node *node, daoc_db *db)
{
    if (!node)
        return;
    daoc_cluster_close(node->cluster); /* no more invalidations, no more broadcasts */
    if (db)
        daoc_db_set_cache(db, NULL);
    daoc_cache_free(node->cache);
    free(node);
}
