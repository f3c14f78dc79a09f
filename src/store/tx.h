/*
 * tx.h -- nested transactions as savepoints, one implementation for every
 * store.
 *
 * The outermost begin/commit/rollback are the driver's own (SQLite's BEGIN
 * IMMEDIATE, PostgreSQL's BEGIN on a pinned connection); every inner level
 * is a savepoint, so an inner rollback undoes only what ran since its begin
 * and the outer transaction stays usable.  Inner levels are named
 * daoc_sp<level> (level 1 = first nested begin); both SQL dialects spell
 * SAVEPOINT / RELEASE SAVEPOINT / ROLLBACK TO SAVEPOINT the same way.
 *
 * When a savepoint verb itself fails (the connection went, SQLite already
 * rolled the whole transaction back), the transaction is marked broken:
 * the outermost commit then rolls back and reports it.
 */
#ifndef DAOC_STORE_TX_H
#define DAOC_STORE_TX_H

#include <stdbool.h>

typedef enum daoc__tx_verb {
    DAOC__TX_BEGIN,
    DAOC__TX_COMMIT,
    DAOC__TX_ROLLBACK
} daoc__tx_verb;

/* What a driver supplies; `ud` is the driver's handle. */
typedef struct daoc__tx_ops {
    /* The outermost verb.  ROLLBACK must end the transaction even when it
     * fails (the driver discards what it cannot roll back). */
    int (*outer)(void *ud, daoc__tx_verb verb, char **msg);
    /* Runs SQL text without parameters or results inside the transaction;
     * *msg (optional) receives the driver's text on failure. */
    int (*exec)(void *ud, const char *sql, char **msg);
} daoc__tx_ops;

typedef struct daoc__tx {
    int depth;   /* 0 = no transaction; 1 = the outermost; n = n-1 savepoints */
    bool broken; /* a savepoint verb failed: the outermost commit rolls back */
} daoc__tx;

/* Each returns DAOC_OK or the driver's code (DAOC_EINVAL for commit or
 * rollback without a transaction).  msg as in store.h. */
int daoc__tx_begin(daoc__tx *tx, const daoc__tx_ops *ops, void *ud, char **msg);
int daoc__tx_commit(daoc__tx *tx, const daoc__tx_ops *ops, void *ud, char **msg);
int daoc__tx_rollback(daoc__tx *tx, const daoc__tx_ops *ops, void *ud);

#endif
