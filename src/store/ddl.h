/*
 * ddl.h -- SQL text shared by the stores' DDL (ddl.c).
 */
#ifndef DAOC_STORE_DDL_H
#define DAOC_STORE_DDL_H

#include "core/buf.h"
#include "schema/schema.h"

/* Appends "name" with embedded quotes doubled. */
void daoc__sql_ident(daoc__buf *b, const char *name);

/* The primary-key columns of s, quoted, ", " between them. */
void daoc__sql_pk_cols(daoc__buf *b, const daoc__schema *s);
/* Whether field i is part of s's primary key. */
bool daoc__sql_is_pk(const daoc__schema *s, size_t i);
/* The referenced column of foreign field f (its entity's first pk column). */
const char *daoc__sql_ref_col(const daoc__field *f);

/* Appends `CONSTRAINT "<table>_<col>_<suffix>"` (a store's naming rule). */
typedef void (*daoc__ddl_namer)(daoc__buf *b, const char *table, const char *col,
                                const char *suffix);

/* The workspace lines of s's CREATE TABLE (nothing unless workspaceable),
 * each ending ",\n": ws_id of type ws_type referencing workspaces(id),
 * UNIQUE (pk, ws_id), UNIQUE (ws_id, col) for per-workspace unique fields
 * and FOREIGN KEY (<f>_id, ws_id) for foreign keys between workspaceable
 * tables (store.h, "Table layout").  namer NULL: unnamed constraints. */
void daoc__ddl_ws(daoc__buf *b, const daoc__schema *s, const char *ws_type, daoc__ddl_namer namer);

/* The upgrade of a workspaceable table made before workspaces (store.h,
 * default_ws): "ALTER TABLE ... ADD COLUMN ws_id" and, after a NUL, "UPDATE
 * ... SET ws_id = <param> WHERE ws_id IS NULL" (param: the store's
 * placeholder).  Returns the offset of the UPDATE in b. */
size_t daoc__ddl_ws_upgrade(daoc__buf *b, const daoc__schema *s, const char *ws_type,
                            const char *param);

#endif
