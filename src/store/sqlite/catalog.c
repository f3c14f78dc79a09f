/*
 * catalog.c -- the SQLite half of the catalog reading (store/catalog.h):
 * a table's columns (pragma table_info), its indexes with their key
 * columns in order (index_list joined with index_info: the primary key of
 * a WITHOUT ROWID table and UNIQUE constraints are indexes too; an
 * expression column has no name) and its foreign keys (foreign_key_list,
 * one row per column).  SQLite cannot change a constraint in place: its
 * fixes rebuild the table.
 */
#include <stdio.h>

#include "store/catalog.h"
#include "store/sqlite/sqlite_int.h"

/* Runs sql with ?1 = table; row(ud, stmt) for each row. */
static int each_row(daoc__sqlite *q, const char *sql, const char *table,
                    int (*row)(daoc__cat_table *t, sqlite3_stmt *st), daoc__cat_table *t,
                    char **msg)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    int rc = DAOC_OK;
    while (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = row(t, st)) != DAOC_OK)
            break;
        src = SQLITE_OK;
    }
    if (rc == DAOC_OK && src != SQLITE_DONE)
        rc = daoc__sq_error(q, src, msg);
    sqlite3_finalize(st);
    return rc;
}

static const char *text(sqlite3_stmt *st, int c)
{
    return (const char *)sqlite3_column_text(st, c);
}

static int column_row(daoc__cat_table *t, sqlite3_stmt *st)
{
    if (!text(st, 0))
        return DAOC_ENOMEM;
    daoc__shape_add(&t->cols, text(st, 0), text(st, 1));
    return t->cols.text.failed ? DAOC_ENOMEM : DAOC_OK;
}

static int index_row(daoc__cat_table *t, sqlite3_stmt *st)
{
    if (!text(st, 0))
        return DAOC_ENOMEM;
    return daoc__cat_add_index_col(t, text(st, 0), sqlite3_column_int(st, 1) != 0,
                                   sqlite3_column_int(st, 2) != 0, text(st, 3));
}

static int fk_row(daoc__cat_table *t, sqlite3_stmt *st)
{
    char id[32];
    snprintf(id, sizeof id, "%d", sqlite3_column_int(st, 0));
    if (!text(st, 1) || !text(st, 2))
        return DAOC_ENOMEM;
    return daoc__cat_add_fk_col(t, id, text(st, 1), text(st, 4), text(st, 2), text(st, 3));
}

static int read_table(daoc__store *store, const char *table, daoc__cat_table *t, char **msg)
{
    daoc__sqlite *q = (daoc__sqlite *)store;
    t->nocase = true;
    int rc = each_row(q, "SELECT name, type FROM pragma_table_info(?1)", table, column_row, t, msg);
    if (rc == DAOC_OK)
        rc = each_row(q,
                      "SELECT l.name, l.\"unique\", l.partial, i.name FROM pragma_index_list(?1) "
                      "AS l, pragma_index_info(l.name) AS i ORDER BY l.name, i.seqno",
                      table, index_row, t, msg);
    if (rc == DAOC_OK)
        rc = each_row(q,
                      "SELECT id, \"table\", \"from\", \"to\", on_delete FROM "
                      "pragma_foreign_key_list(?1) ORDER BY id, seq",
                      table, fk_row, t, msg);
    return rc;
}

static void name(char out[64], const char *table, const char *col, const char *suffix)
{
    snprintf(out, 64, "%s_%s_%s", table, col, suffix);
}

const daoc__catalog_dialect daoc__sqlite_catalog_dialect = {
    .read = read_table,
    .shape = &daoc__sq_shape_hooks,
    .alter_constraints = false,
    .name = name,
};
