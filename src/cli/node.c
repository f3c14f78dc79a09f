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

static void drop(void *ud, const char *channel, const char *data)
{
    (void)channel;
    if (data && *data)
        (void)daoc_cache_invalidate_local(ud, data, strlen(data));
}

static void drop_changed(void *ud, const daoc_crud_event *ev)
{
    for (size_t i = 0; i < ev->ncache_keys; i++)
        (void)daoc_cache_invalidate_local(ud, ev->cache_keys[i], strlen(ev->cache_keys[i]));
}

static void broadcast(void *ud, const char *key, size_t n)
{
    daoc_cli_node *node = ud;
    if (!node->cluster)
        return;
    char *k = malloc(n + 1);
    if (!k)
        return;
    memcpy(k, key, n);
    k[n] = '\0';
    daoc_error *err = NULL;
    if (daoc_cluster_broadcast(node->cluster, "invalidations", k, 0, &err) != DAOC_OK)
        fprintf(stderr, "[warn] kong.cache:invalidate: %s\n",
                err ? daoc_error_message(err) : "broadcast failed");
    daoc_error_free(err);
    free(k);
}

daoc_cli_node *daoc_cli_node_start(const daoc_config *cfg, daoc_db *db)
{
    daoc_cli_node *node = calloc(1, sizeof *node);
    if (!node)
        return NULL;
    daoc_cache_opts o = daoc_db_cache_opts(cfg);
    o.on_invalidate = broadcast;
    o.on_invalidate_ud = node;
    daoc_error *err = NULL;
    if (daoc_cache_new(&o, &node->cache, &err) != DAOC_OK) {
        fprintf(stderr, "daoc: cannot make the cache: %s\n",
                err ? daoc_error_message(err) : "out of memory");
        daoc_error_free(err);
        free(node);
        return NULL;
    }
    daoc_db_set_cache(db, node->cache);
    if (daoc_db_on_crud(db, drop_changed, node->cache) != DAOC_OK)
        fprintf(stderr, "[warn] the cache will not hear of this process's changes\n");
    int rc = daoc_cluster_open(&node->cluster, cfg, &err);
    if (rc == DAOC_OK &&
        ((rc = daoc_cluster_subscribe(node->cluster, "invalidations", drop, node->cache)) !=
             DAOC_OK ||
         (rc = daoc_cluster_subscribe(node->cluster, "invalidations_kong_core_db_cache", drop,
                                      node->cache)) != DAOC_OK ||
         (rc = daoc_cluster_start(node->cluster, &err)) != DAOC_OK)) {
        daoc_cluster_close(node->cluster);
        node->cluster = NULL;
    }
    if (rc != DAOC_OK) {
        fprintf(stderr, "[warn] no cluster events (the cache hears of no other node): %s\n",
                err ? daoc_error_message(err) : daoc_strerror(rc));
        daoc_error_free(err);
        node->cluster = NULL;
    }
    return node;
}

void daoc_cli_node_stop(daoc_cli_node *node, daoc_db *db)
{
    if (!node)
        return;
    daoc_cluster_close(node->cluster); /* no more invalidations */
    if (db)
        daoc_db_set_cache(db, NULL);
    daoc_cache_free(node->cache);
    free(node);
}
