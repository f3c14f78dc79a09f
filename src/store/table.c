/*
 * table.c -- creating and upgrading a table, the same steps on every store
 * (table.h): check that an existing table fits its schema, run the CREATE
 * statements the store derives, give a workspaceable table made before
 * workspaces its ws_id column (its rows going to the default workspace, as
 * Kong's 2.1 migration did), then what needs ws_id, then a tagged table's
 * triggers of the tags table (store/tags.h), and its cluster_events
 * triggers (store/events_ddl.h), all between the
 * store's begin and end.  The SQL text comes from the store (its DDL) and
 * from ddl.c (the upgrade); this file only orders the steps.
 */
#include "store/table.h"

#include "core/alloc.h"
#include "store/ddl.h"
#include "store/tags.h"

static int ws_upgrade(const daoc__table_hooks *h, void *ctx, const char *default_ws,
                      const daoc__schema *s, char **msg)
{
    bool has = false;
    int rc = h->run1(ctx, h->has_ws_sql, daoc__schema_table(s), &has, msg);
    if (rc != DAOC_OK || has)
        return rc;
    daoc__buf b = DAOC__BUF_INIT;
    size_t upd = daoc__ddl_ws_upgrade(&b, s, h->ws_type, h->param);
    if (b.failed) {
        daoc__buf_free(&b);
        return DAOC_ENOMEM;
    }
    rc = h->exec(ctx, b.data, msg);
    if (rc == DAOC_OK && default_ws && default_ws[0])
        rc = h->run1(ctx, b.data + upd, default_ws, NULL, msg);
    daoc__buf_free(&b);
    return rc;
}

/* The tags triggers of a tracked table, once; the rows it already holds
 * (a table made before them) copied into the tags table then. */
static int tags_step(const daoc__table_hooks *h, void *ctx, const daoc__schema *s, char **msg)
{
    bool has = false;
    int rc = h->run1(ctx, h->has_tags_sql, daoc__schema_table(s), &has, msg);
    if (rc != DAOC_OK || has)
        return rc;
    daoc__buf b = DAOC__BUF_INIT;
    h->tags_sql(&b, s);
    daoc__tags_backfill_sql(&b, s);
    rc = b.failed ? DAOC_ENOMEM : h->exec(ctx, b.data, msg);
    daoc__buf_free(&b);
    return rc;
}

/* The cluster_events triggers of a table, once (store/events_ddl.h). */
static int events_step(const daoc__table_hooks *h, void *ctx, const daoc__schema *s, char **msg)
{
    bool has = false;
    int rc = h->run1(ctx, h->has_events_sql, daoc__schema_table(s), &has, msg);
    if (rc != DAOC_OK || has)
        return rc;
    daoc__buf b = DAOC__BUF_INIT;
    h->events_sql(&b, s);
    rc = b.failed ? DAOC_ENOMEM : h->exec(ctx, b.data, msg);
    daoc__buf_free(&b);
    return rc;
}

static int steps(const daoc__table_hooks *h, void *ctx, const char *default_ws,
                 const daoc__schema *s, char **msg)
{
    daoc__buf b = DAOC__BUF_INIT;
    h->create_sql(&b, s);
    if (b.failed) {
        daoc__buf_free(&b);
        return DAOC_ENOMEM;
    }
    int rc = h->shape_check(ctx, s, msg);
    if (rc == DAOC_OK)
        rc = h->exec(ctx, b.data, msg);
    daoc__buf_free(&b);
    if (rc == DAOC_OK && s->workspaceable)
        rc = ws_upgrade(h, ctx, default_ws, s, msg);
    if (rc == DAOC_OK && s->workspaceable && h->after_ws_sql) {
        h->after_ws_sql(&b, s);
        rc = b.failed ? DAOC_ENOMEM : b.len ? h->exec(ctx, b.data, msg) : DAOC_OK;
        daoc__buf_free(&b);
    }
    if (rc == DAOC_OK && h->tags_sql && daoc__tags_tracked(s))
        rc = tags_step(h, ctx, s, msg);
    if (rc == DAOC_OK && h->events_sql)
        rc = events_step(h, ctx, s, msg);
    return rc;
}

int daoc__table_ensure(const daoc__table_hooks *h, void *ctx, daoc__store_registry *reg,
                       const char *default_ws, const daoc__schema *s, char **msg)
{
    if (!s || s->npk == 0 || s->is_record)
        return DAOC_EINVAL;
    if (daoc__registry_has(reg, s))
        return DAOC_OK;
    int rc = h->begin ? h->begin(ctx, msg) : DAOC_OK;
    if (rc == DAOC_OK)
        rc = steps(h, ctx, default_ws, s, msg);
    if (h->end) { /* also after a failed begin: it may have opened a transaction */
        char *end_msg = NULL;
        int erc = h->end(ctx, rc == DAOC_OK, rc == DAOC_OK ? msg : &end_msg);
        daoc__free(end_msg);
        if (rc == DAOC_OK)
            rc = erc;
    }
    return rc == DAOC_OK ? daoc__registry_add(reg, s) : rc;
}
