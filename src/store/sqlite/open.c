/*
 * open.c -- the SQLite store handle: opening the file with the pragmas the
 * store relies on, the prepared-statement cache, nested transactions and
 * error text (double-quoted string literals off: "x" is only ever a name);
 * nested levels are savepoints (store/tx.c).
 *
 * The cache maps (schema, statement code) to a statement prepared once with
 * SQLITE_PREPARE_PERSISTENT; hot paths look it up in an open-addressing
 * table and never build SQL.  Schemas must outlive the store (the DAOs own
 * them and close the store first).  This file does not know any SQL text but
 * the transaction verbs; sql.c writes the rest.
 */
#include <string.h>

#include "core/alloc.h"
#include "store/deploy.h"
#include "store/sqlite/sqlite_int.h"

int daoc__sq_error(daoc__sqlite *q, int rc, char **msg)
{
    if ((rc & 0xff) == SQLITE_NOMEM)
        return DAOC_ENOMEM;
    if (msg) {
        const char *t = q && q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc);
        *msg = daoc__strdup(t ? t : "unknown SQLite error");
        if (!*msg)
            return DAOC_ENOMEM;
    }
    return DAOC_ESTORE;
}

int daoc__sq_exec(daoc__sqlite *q, const char *sql, char **msg)
{
    int rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? DAOC_OK : daoc__sq_error(q, rc, msg);
}

void daoc__sq_done(sqlite3_stmt *st)
{
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}

/* ---- statement cache ------------------------------------------------- */

int daoc__sq_stmt(daoc__sqlite *q, const daoc__schema *s, uint32_t code, sqlite3_stmt **out,
                  char **msg)
{
    sqlite3_stmt *hit = daoc__stmt_cache_get(&q->stmts, s, code);
    if (hit) {
        *out = hit;
        return DAOC_OK;
    }
    if (daoc__stmt_cache_reserve(&q->stmts) != DAOC_OK)
        return DAOC_ENOMEM;

    daoc__buf b = DAOC__BUF_INIT;
    daoc__sq_sql(&b, s, code, &q->reg);
    if (b.failed) {
        daoc__buf_free(&b);
        return DAOC_ENOMEM;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(q->db, b.data, (int)b.len, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    daoc__buf_free(&b);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return daoc__sq_error(q, rc, msg);
    }
    daoc__stmt_cache_put(&q->stmts, s, code, st);
    *out = st;
    return DAOC_OK;
}

/* ---- transactions ------------------------------------------------------ */

static int step_verb(daoc__sqlite *q, sqlite3_stmt *st, char **msg)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? DAOC_OK : daoc__sq_error(q, rc, msg);
}

/* The outermost verbs: prepared once at open. */
static int sq_outer(void *ud, daoc__tx_verb verb, char **msg)
{
    daoc__sqlite *q = ud;
    switch (verb) {
    case DAOC__TX_BEGIN: {
        int rc = step_verb(q, q->st_begin, msg);
        if (rc == DAOC_OK)
            daoc__sq_events_mark(q);
        return rc;
    }
    case DAOC__TX_COMMIT: {
        daoc__sq_events_restamp(q);
        int rc = step_verb(q, q->st_commit, msg);
        /* COMMIT failed (e.g. busy): leave nothing half-open */
        if (rc != DAOC_OK && sqlite3_get_autocommit(q->db) == 0)
            (void)step_verb(q, q->st_rollback, NULL);
        return rc;
    }
    case DAOC__TX_ROLLBACK:
        if (sqlite3_get_autocommit(q->db))
            return DAOC_OK; /* SQLite already rolled back (e.g. after SQLITE_FULL) */
        return step_verb(q, q->st_rollback, NULL);
    }
    return DAOC_EINVAL;
}

static int sq_tx_exec(void *ud, const char *sql, char **msg)
{
    daoc__sqlite *q = ud;
    if (sqlite3_get_autocommit(q->db)) {
        /* SQLite ended the transaction on its own (SQLITE_FULL, IOERR, ...) */
        if (msg && !(*msg = daoc__strdup("SQLite rolled the transaction back after an error")))
            return DAOC_ENOMEM;
        return DAOC_ESTORE;
    }
    return daoc__sq_exec(q, sql, msg);
}

static const daoc__tx_ops sq_tx_ops = {.outer = sq_outer, .exec = sq_tx_exec};

int daoc__sq_begin(daoc__store *st, char **msg)
{
    daoc__sqlite *q = (daoc__sqlite *)st;
    return daoc__store_tx(st, &q->tx, &sq_tx_ops, q, DAOC__TX_BEGIN, msg);
}

int daoc__sq_commit(daoc__store *st, char **msg)
{
    daoc__sqlite *q = (daoc__sqlite *)st;
    return daoc__store_tx(st, &q->tx, &sq_tx_ops, q, DAOC__TX_COMMIT, msg);
}

int daoc__sq_rollback(daoc__store *st)
{
    daoc__sqlite *q = (daoc__sqlite *)st;
    return daoc__store_tx(st, &q->tx, &sq_tx_ops, q, DAOC__TX_ROLLBACK, NULL);
}

/* ---- open / close ------------------------------------------------------ */

static void finalize_stmt(void *stmt) { sqlite3_finalize(stmt); }

void daoc__sq_close(daoc__store *st)
{
    daoc__sqlite *q = (daoc__sqlite *)st;
    if (!q)
        return;
    daoc__stmt_cache_free(&q->stmts, finalize_stmt);
    sqlite3_finalize(q->st_begin);
    sqlite3_finalize(q->st_commit);
    sqlite3_finalize(q->st_rollback);
    sqlite3_finalize(q->st_ev_mark);
    sqlite3_finalize(q->st_ev_restamp);
    sqlite3_close_v2(q->db);
    daoc__registry_free(&q->reg);
    daoc__free(q->pending);
    daoc__buf_free(&q->scratch);
    daoc__free(q);
}

static int prep(daoc__sqlite *q, const char *sql, sqlite3_stmt **st, char **msg)
{
    int rc = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    return rc == SQLITE_OK ? DAOC_OK : daoc__sq_error(q, rc, msg);
}

int daoc__sqlite_open(daoc__store **out, const char *path, char **msg)
{
    int rc;
    *out = NULL;
    if (msg)
        *msg = NULL;
    if (!path)
        return DAOC_EINVAL;
    daoc__sqlite *q = daoc__calloc(1, sizeof *q);
    if (!q)
        return DAOC_ENOMEM;
    q->base.ops = &daoc__sqlite_ops;
    q->ev_mark = -1;
    q->base.deploy = &daoc__sqlite_deploy_ops;

    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    rc = sqlite3_open_v2(path, &q->db, flags, NULL);
    if (rc != SQLITE_OK) {
        rc = daoc__sq_error(q, rc, msg);
        goto fail;
    }
    /* "b" names a column and nothing else: without these, SQLite takes a
     * double-quoted name it cannot resolve (a column an older table lacks)
     * for the string 'b' and answers with wrong data instead of an error */
    if ((rc = sqlite3_db_config(q->db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL)) != SQLITE_OK ||
        (rc = sqlite3_db_config(q->db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL)) != SQLITE_OK) {
        rc = daoc__sq_error(q, rc, msg);
        goto fail;
    }
    sqlite3_extended_result_codes(q->db, 1);
    sqlite3_busy_timeout(q->db, 5000);
    rc = daoc__sq_exec(q,
                       "PRAGMA journal_mode=WAL;"
                       "PRAGMA synchronous=NORMAL;"
                       "PRAGMA foreign_keys=ON;"
                       "PRAGMA cache_size=-65536;",
                       msg);
    if (rc != DAOC_OK)
        goto fail;
    if ((rc = prep(q, "BEGIN IMMEDIATE", &q->st_begin, msg)) != DAOC_OK ||
        (rc = prep(q, "COMMIT", &q->st_commit, msg)) != DAOC_OK ||
        (rc = prep(q, "ROLLBACK", &q->st_rollback, msg)) != DAOC_OK)
        goto fail;
    *out = &q->base;
    return DAOC_OK;
fail:
    daoc__sq_close(&q->base);
    return rc;
}
