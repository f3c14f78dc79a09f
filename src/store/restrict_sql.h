/*
 * restrict_sql.h -- the SQL condition that tells which rows a delete may
 * remove without breaking a RESTRICT foreign key (restrict_sql.c), shared
 * by the stores' TTL cleanup.
 */
#ifndef DAOC_STORE_RESTRICT_SQL_H
#define DAOC_STORE_RESTRICT_SQL_H

#include <stdbool.h>

#include "core/buf.h"
#include "schema/schema.h"
#include "store/registry.h"

/* True when deleting a row of s can be refused: a RESTRICT foreign key of
 * an ensured table references s, directly or through ON DELETE CASCADE
 * children. */
bool daoc__restricted(const daoc__store_registry *reg, const daoc__schema *s);

/* Appends " AND NOT (...)": false for a row of s (the FROM item named
 * `alias`) that such a key still references.  Appends nothing when s is
 * not restricted.  The text is the same in both SQL dialects. */
void daoc__sql_unrestricted(daoc__buf *b, const daoc__store_registry *reg, const daoc__schema *s,
                            const char *alias);

#endif
