/*
 * shape.h -- does an existing table fit its schema?  (shape.c)
 *
 * A definition that changed after its table was made (a new field, a field
 * of another type) must not read or write the old table as if it fitted:
 * SQLite would hand back the old column's values in their old type, or a
 * missing column's name as a string.  Each store lists the columns its
 * catalog reports for the table (sqlite/shape.c, postgres/shape.c); this
 * file compares them with the columns its DDL would write and words the
 * open error.  Runs no SQL.
 */
#ifndef DAOC_STORE_SHAPE_H
#define DAOC_STORE_SHAPE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "schema/schema.h"

/* The columns a catalog reported: "name\0type\0" pairs in `text`. */
typedef struct daoc__shape_cols {
    daoc__buf text;
    size_t n;
} daoc__shape_cols;

#define DAOC__SHAPE_COLS_INIT {DAOC__BUF_INIT, 0}

/* Appends one column (copies; type NULL = none declared). */
void daoc__shape_add(daoc__shape_cols *c, const char *name, const char *type);
void daoc__shape_cols_free(daoc__shape_cols *c);

/* What a store's CREATE TABLE writes and how it compares declared types. */
typedef struct daoc__shape_hooks {
    /* the column type of a stored field (the DDL's own function) */
    const char *(*field_type)(const daoc__field *f);
    /* the hidden columns' types as the DDL writes them */
    const char *ttl_type, *cache_key_type, *ws_type;
    /* true when a column declared `found` keeps what the DDL's `want` keeps */
    bool (*same)(const char *want, const char *found);
    bool nocase; /* column names compare without case (SQLite) */
} daoc__shape_hooks;

/* The declared type of column `name` in c ("" when none was declared), or
 * NULL when c has no such column. */
const char *daoc__shape_type(const daoc__shape_cols *c, const char *name, bool nocase);

/* One difference: column `col`, needed by `what` ("field 'b'", "ttl =
 * true", "composite cache_key", "workspaceable") with type `want`, is
 * missing (found NULL) or declared `found` (a type that does not fit). */
typedef void (*daoc__shape_diff_fn)(void *ud, const char *col, const char *what, const char *want,
                                    const char *found);

/* Calls fn for every difference between the table described by `found`
 * and what s needs, by the rules of daoc__shape_check (which words them);
 * found->n == 0 reports every column missing.  DAOC_OK or DAOC_ENOMEM. */
int daoc__shape_each(const daoc__schema *s, const daoc__shape_cols *found,
                     const daoc__shape_hooks *h, bool upgrade, daoc__shape_diff_fn fn, void *ud);

/* The two stores' hooks (sqlite/shape.c, postgres/shape.c). */
extern const daoc__shape_hooks daoc__sq_shape_hooks;
extern const daoc__shape_hooks daoc__pg_shape_hooks;

/* Compares the table of s, described by `found`, with what s needs: every
 * stored field's column, "ttl" (ttl schemas) and "cache_key" (composite
 * cache keys) must be there with a compatible type; "ws_id" must have one
 * when it is there, and must be there unless `upgrade` (ensure_table: a
 * table from before workspaces gets it by the store's upgrade, store.h;
 * attach_table changes nothing, so it must be there).  Columns s does not use are allowed.  found->n == 0
 * means there is no table yet: DAOC_OK.  A mismatch is DAOC_ESCHEMA with
 * *msg = "table 'T' does not match entity 'E': column 'b' (field 'b') is
 * missing; column 'a' has type TEXT, entity 'E' field 'a' needs INTEGER"
 * (every difference, "; " between them); else DAOC_OK or DAOC_ENOMEM. */
int daoc__shape_check(const daoc__schema *s, const daoc__shape_cols *found,
                      const daoc__shape_hooks *h, bool upgrade, char **msg);

#endif
