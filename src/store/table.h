/*
 * table.h -- the one path both stores take to create or upgrade a table
 * (table.c); each store supplies its steps as hooks.
 */
#ifndef DAOC_STORE_TABLE_H
#define DAOC_STORE_TABLE_H

#include <stdbool.h>

#include "core/buf.h"
#include "schema/schema.h"
#include "store/registry.h"

typedef struct daoc__table_hooks {
    /* Before anything (PostgreSQL: its transaction and the DDL lock); NULL
     * = nothing.  end() always follows begin(), even a failed one (which
     * may have opened the transaction), told whether every step
     * succeeded. */
    int (*begin)(void *ctx, char **msg);
    int (*end)(void *ctx, bool ok, char **msg);
    /* The existing table, if any, must fit s (shape.c; the ws_id upgrade
     * below is allowed for). */
    int (*shape_check)(void *ctx, const daoc__schema *s, char **msg);
    /* Runs ';'-separated SQL text on the operation's connection. */
    int (*exec)(void *ctx, const char *sql, char **msg);
    /* Runs one statement with its one parameter = text; *row (optional)
     * tells whether it returned a row. */
    int (*run1)(void *ctx, const char *sql, const char *text, bool *row, char **msg);
    /* s's CREATE TABLE and index statements (IF NOT EXISTS). */
    void (*create_sql)(daoc__buf *b, const daoc__schema *s);
    /* Statements that need ws_id to exist (after the upgrade); NULL = none. */
    void (*after_ws_sql)(daoc__buf *b, const daoc__schema *s);
    /* The tags table and the triggers that keep s's rows in it
     * (store/tags.h; called for tracked schemas only), and the catalog query
     * that tells whether they exist: one row when table <param> has them. */
    void (*tags_sql)(daoc__buf *b, const daoc__schema *s);
    const char *has_tags_sql;
    /* cluster_events and the triggers that write s's changes into it
     * (store/events_ddl.h), and the catalog query that tells whether
     * table <param> has them; NULL = none. */
    void (*events_sql)(daoc__buf *b, const daoc__schema *s);
    const char *has_events_sql;
    /* "SELECT 1 ... WHERE <table> = <param> AND <column> = 'ws_id'" in the
     * store's catalog, the ws_id type and the store's placeholder. */
    const char *has_ws_sql, *ws_type, *param;
} daoc__table_hooks;

/* ensure_table's work: argument checks (DAOC_EINVAL), then nothing when reg
 * already serves s; else begin, the shape check, the CREATE statements, the
 * ws_id upgrade of a workspaceable table made before workspaces (the
 * column, and its rows put in default_ws when known), the statements that
 * need ws_id, for a tracked schema its tags triggers when it has none
 * (and its rows copied into the tags table then), its cluster_events
 * triggers when it has none, end, and s registered
 * in reg. */
int daoc__table_ensure(const daoc__table_hooks *h, void *ctx, daoc__store_registry *reg,
                       const char *default_ws, const daoc__schema *s, char **msg);

#endif
