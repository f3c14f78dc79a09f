/*
 * deploy.h -- the second store interface: per-deployment operations.
 *
 * The CRUD vtable (store.h) serves every request on tables that exist.
 * These members change or inspect the database itself: today the opener
 * uses them (list_tables, table_sql) to create missing tables when asked
 * and to refuse a database that lacks them otherwise; next the migrations
 * engine runs its scripts through exec and query.  Each store has one
 * table, in <store>/deploy.c, reached as st->deploy.
 *
 * Contracts (every member; msg as in store.h: the driver's text, owned by
 * the caller, only with DAOC_ESTORE):
 */
#ifndef DAOC_STORE_DEPLOY_H
#define DAOC_STORE_DEPLOY_H

#include "core/buf.h"
#include "store/store.h"

typedef struct daoc__store_deploy_ops {
    /* Runs sql, one or more statements separated by ';', all or nothing:
     * inside the caller's transaction (as a savepoint) when there is one,
     * else in a transaction of its own.  DAOC_OK; DAOC_ESTORE with *msg (the
     * database is as it was); DAOC_ENOMEM. */
    int (*exec)(daoc__store *st, const char *sql, char **msg);

    /* Runs one statement with params (an array of strings, integers,
     * numbers, booleans or nulls bound in order to ?1.. on SQLite and $1..
     * on PostgreSQL; NULL = none) and returns its rows: *rows is an array of
     * objects {column = value}, in result order, values as the store holds
     * them (integers, numbers, strings, booleans on PostgreSQL, null).
     * Inside the caller's transaction when there is one. */
    int (*query)(daoc__store *st, const char *sql, const daoc_value *params, daoc_value **rows,
                 char **msg);

    /* *names: the sorted array of the table names the store can see (on
     * PostgreSQL, those of the current schema). */
    int (*list_tables)(daoc__store *st, daoc_value **names, char **msg);

    /* Appends to b the statements that create s's table and its indexes as
     * ensure_table does for a new table (IF NOT EXISTS; ';'-terminated),
     * without the tags triggers (store/tags.h), which ensure_table adds.
     * b->failed on ENOMEM. */
    void (*table_sql)(const daoc__schema *s, daoc__buf *b);

    /* Appends s[0..n) as an SQL string literal of this store's dialect, one
     * the store reads back as exactly those bytes (the escape_literal of
     * Kong's connector).  b->failed on ENOMEM. */
    void (*quote_literal)(const char *s, size_t n, daoc__buf *b);

    /* The statements of the migration state tables (store/meta.h). */
    const struct daoc__meta_dialect *meta;

    /* The reading of a table's catalog (store/catalog.h). */
    const struct daoc__catalog_dialect *catalog;
} daoc__store_deploy_ops;

/* 'text' with every quote doubled: the literal of standard SQL. */
void daoc__deploy_quote_standard(const char *s, size_t n, daoc__buf *b);

/* The tables of the two stores. */
extern const daoc__store_deploy_ops daoc__sqlite_deploy_ops;
extern const daoc__store_deploy_ops daoc__pg_deploy_ops;

/* Runs `run` inside st's begin/commit (a savepoint when a transaction is
 * open), rolling back when it fails: the all-or-nothing wrapper both
 * stores' exec use. */
int daoc__deploy_atomic(daoc__store *st, int (*run)(daoc__store *, const char *, char **),
                        const char *sql, char **msg);

/* *out = the array of column `col` of every row of rows (taken: freed).
 * DAOC_OK or DAOC_ENOMEM. */
int daoc__deploy_column(daoc_value *rows, const char *col, daoc_value **out);

#endif
