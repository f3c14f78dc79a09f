/*
 * tx.c -- nested transactions as savepoints (see tx.h): the one place that
 * decides which SQL verb a begin, commit or rollback at a given depth runs,
 * for every store.
 */
#include "store/store.h"
#include "store/tx.h"

#include <stdio.h>

#include "core/alloc.h"
#include "daoc.h"

/* "<verb> daoc_sp<level>" into buf. */
static const char *sp_sql(char *buf, size_t n, const char *verb, int level)
{
    snprintf(buf, n, "%s daoc_sp%d", verb, level);
    return buf;
}

static int broken_msg(char **msg, const char *what)
{
    if (msg && !*msg && !(*msg = daoc__asprintf("transaction rolled back: %s", what)))
        return DAOC_ENOMEM;
    return DAOC_ESTORE;
}

int daoc__tx_begin(daoc__tx *tx, const daoc__tx_ops *ops, void *ud, char **msg)
{
    if (msg)
        *msg = NULL;
    if (tx->depth == 0) {
        int rc = ops->outer(ud, DAOC__TX_BEGIN, msg);
        if (rc != DAOC_OK)
            return rc;
        tx->broken = false;
        tx->depth = 1;
        return DAOC_OK;
    }
    if (tx->broken)
        return broken_msg(msg, "an inner savepoint could not be ended; roll it back");
    char sql[48];
    int rc = ops->exec(ud, sp_sql(sql, sizeof sql, "SAVEPOINT", tx->depth), msg);
    if (rc != DAOC_OK)
        return rc;
    tx->depth++;
    return DAOC_OK;
}

int daoc__tx_commit(daoc__tx *tx, const daoc__tx_ops *ops, void *ud, char **msg)
{
    if (msg)
        *msg = NULL;
    if (tx->depth <= 0)
        return DAOC_EINVAL;
    if (tx->depth > 1) {
        tx->depth--;
        if (tx->broken)
            return DAOC_OK; /* the outermost commit reports it */
        char sql[48];
        int rc = ops->exec(ud, sp_sql(sql, sizeof sql, "RELEASE SAVEPOINT", tx->depth), msg);
        if (rc != DAOC_OK)
            tx->broken = true;
        return rc;
    }
    if (tx->broken) {
        (void)ops->outer(ud, DAOC__TX_ROLLBACK, NULL);
        tx->depth = 0;
        tx->broken = false;
        return broken_msg(msg, "an inner savepoint could not be ended");
    }
    int rc = ops->outer(ud, DAOC__TX_COMMIT, msg);
    tx->depth = 0;
    return rc;
}

int daoc__tx_rollback(daoc__tx *tx, const daoc__tx_ops *ops, void *ud)
{
    if (tx->depth <= 0)
        return DAOC_EINVAL;
    if (tx->depth > 1) {
        tx->depth--;
        if (tx->broken)
            return DAOC_OK;
        char sql[128], name[32];
        snprintf(name, sizeof name, "daoc_sp%d", tx->depth);
        snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT %s; RELEASE SAVEPOINT %s", name, name);
        int rc = ops->exec(ud, sql, NULL);
        if (rc != DAOC_OK)
            tx->broken = true;
        return rc;
    }
    int rc = ops->outer(ud, DAOC__TX_ROLLBACK, NULL);
    tx->depth = 0;
    tx->broken = false;
    return rc;
}

int daoc__store_tx(daoc__store *st, daoc__tx *tx, const daoc__tx_ops *ops, void *ud,
                   daoc__tx_verb verb, char **msg)
{
    int level = verb == DAOC__TX_BEGIN ? tx->depth + 1 : tx->depth;
    int rc = verb == DAOC__TX_BEGIN    ? daoc__tx_begin(tx, ops, ud, msg)
             : verb == DAOC__TX_COMMIT ? daoc__tx_commit(tx, ops, ud, msg)
                                       : daoc__tx_rollback(tx, ops, ud);
    if (!st->tx_hook || level <= 0)
        return rc;
    if (verb == DAOC__TX_BEGIN) {
        if (rc == DAOC_OK)
            st->tx_hook(st->tx_hook_ud, verb, level, true);
    } else if (verb == DAOC__TX_COMMIT && level == 1) {
        st->tx_hook(st->tx_hook_ud, verb, level, rc == DAOC_OK);
    } else if (rc != DAOC_EINVAL) { /* an inner level ends whatever its verb's outcome */
        st->tx_hook(st->tx_hook_ud, verb, level, true);
    }
    return rc;
}
