/*
 * lint.h -- `daoc migrations lint` (lint.c): the loaded schemas against
 * the real catalog of the database in use.
 */
#ifndef DAOC_MIGRATE_LINT_H
#define DAOC_MIGRATE_LINT_H

#include "migrate/engine.h"

/* Compares every loaded entity (core and every enabled plugin) with its
 * table as the database's catalog describes it, and says one line per
 * finding (table, columns, entity and field, a suggested fix): a missing
 * table or column, a unique field without a unique constraint or index on
 * exactly its columns, a foreign key missing or with another ON DELETE
 * than the field's on_delete, a foreign key column or a ttl column that
 * no index begins with.  *code = 0 when nothing was found, 1 otherwise.
 * Takes no lock and changes nothing; e must be bootstrapped. */
int daoc__mig_lint(daoc__mig_engine *e, int *code, daoc_error **err);

#endif
