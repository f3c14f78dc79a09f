/*
 * catalog.h -- what a database's own catalog says about one table
 * (catalog.c): its columns, its indexes (unique constraints and the
 * primary key included: both are unique indexes to either store) and its
 * foreign keys, read by each store (sqlite/catalog.c: the table_info,
 * index_list, index_info and foreign_key_list pragmas; postgres/catalog.c:
 * pg_catalog, in current_schema()), and the statements that would repair
 * what `daoc migrations lint` (src/migrate/lint.c) finds missing or wrong.
 * Reading runs no statement that changes anything; the fixes are only text.
 */
#ifndef DAOC_STORE_CATALOG_H
#define DAOC_STORE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "store/shape.h"
#include "store/store.h"

/* One index, its key columns in order.  partial: a partial index, or one
 * with an expression among its columns: it covers no column set. */
typedef struct daoc__cat_index {
    char *name;
    char **cols;
    size_t ncols;
    bool unique, partial;
} daoc__cat_index;

/* One foreign key: cols[i] references ref_cols[i] of ref_table ("" when
 * the catalog leaves it implied); on_delete is the SQL action ("NO ACTION",
 * "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"). */
typedef struct daoc__cat_fk {
    char *name;
    char *ref_table;
    char *on_delete;
    char **cols, **ref_cols;
    size_t ncols;
} daoc__cat_fk;

typedef struct daoc__cat_table {
    daoc__shape_cols cols; /* n == 0: there is no such table */
    daoc__cat_index *idx;
    size_t nidx;
    daoc__cat_fk *fks;
    size_t nfks;
    bool nocase; /* names compare without case (SQLite) */
} daoc__cat_table;

#define DAOC__CAT_TABLE_INIT {DAOC__SHAPE_COLS_INIT, NULL, 0, NULL, 0, false}

void daoc__cat_free(daoc__cat_table *t);

/* Builders for the stores' readers.  Rows come ordered by index (or
 * key) and position: a column joins the last index (key) when it has the
 * same name, else starts a new one.  col NULL: an expression (the index
 * becomes partial).  DAOC_OK or DAOC_ENOMEM. */
int daoc__cat_add_index_col(daoc__cat_table *t, const char *index, bool unique, bool partial,
                            const char *col);
int daoc__cat_add_fk_col(daoc__cat_table *t, const char *name, const char *ref_table,
                         const char *on_delete, const char *col, const char *ref_col);

/* True when names a and b are the same in t's catalog. */
bool daoc__cat_same(const daoc__cat_table *t, const char *a, const char *b);

/* The unique index whose key columns are exactly the set cols[0..n) (in
 * any order), or NULL. */
const daoc__cat_index *daoc__cat_unique_on(const daoc__cat_table *t, const char *const *cols,
                                           size_t n);
/* An index whose first key column is col, or NULL. */
const daoc__cat_index *daoc__cat_index_leading(const daoc__cat_table *t, const char *col);

/* What each store gives: its reader, its column rules, and whether it can
 * change a table's constraints in place (PostgreSQL; SQLite rebuilds). */
typedef struct daoc__catalog_dialect {
    /* Fills *t (initialized) with table's columns, indexes and foreign
     * keys; a missing table leaves it empty.  DAOC_OK, DAOC_ESTORE with
     * *msg, DAOC_ENOMEM. */
    int (*read)(daoc__store *st, const char *table, daoc__cat_table *t, char **msg);
    const daoc__shape_hooks *shape;
    bool alter_constraints;
    /* "<table>_<col>_<suffix>" as the store names what it makes */
    void (*name)(char out[64], const char *table, const char *col, const char *suffix);
} daoc__catalog_dialect;

extern const daoc__catalog_dialect daoc__sqlite_catalog_dialect;
extern const daoc__catalog_dialect daoc__pg_catalog_dialect;

/* ---- the fixes: one statement each, appended to b (b->failed on ENOMEM) -- */

/* CREATE [UNIQUE] INDEX IF NOT EXISTS "<t>_<c1>_<c2>_unique|idx" ON "t" (...); */
void daoc__cat_fix_index(daoc__buf *b, const daoc__catalog_dialect *d, const char *table,
                         const char *const *cols, size_t n, bool unique);
/* ALTER TABLE "t" ADD COLUMN "c" <type>; */
void daoc__cat_fix_add_column(daoc__buf *b, const char *table, const char *col, const char *type);
/* The column's type changed (PostgreSQL: ALTER COLUMN ... TYPE ... USING;
 * SQLite: the table rebuilt). */
void daoc__cat_fix_column_type(daoc__buf *b, const daoc__catalog_dialect *d, const char *table,
                               const char *col, const char *type);
/* The foreign key (cols) -> ref_table (ref_cols) ON DELETE on_delete made,
 * in place of the one named `old` when it is not NULL (PostgreSQL: ALTER
 * TABLE; SQLite: the table rebuilt with it). */
void daoc__cat_fix_fk(daoc__buf *b, const daoc__catalog_dialect *d, const char *table,
                      const char *old, const char *const *cols, const char *ref_table,
                      const char *const *ref_cols, size_t n, const char *on_delete);
/* The statements that make s's table (deploy->table_sql) on one line. */
void daoc__cat_fix_table(daoc__buf *b, daoc__store *st, const daoc__schema *s);

#endif
