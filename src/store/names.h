/*
 * names.h -- the length rule for every SQL identifier daoc uses (names.c).
 */
#ifndef DAOC_STORE_NAMES_H
#define DAOC_STORE_NAMES_H

#include "schema/schema.h"

/* The longest identifier, in bytes: PostgreSQL's (NAMEDATALEN - 1), which
 * would otherwise cut longer names silently.  Applied on every store, so a
 * schema that loads on one store loads on all. */
#define DAOC__IDENT_MAX 63

/* Checks s's table name, its column names and every constraint and index
 * name the stores derive from them ("<table>_<col>_<suffix>", as in
 * postgres/sql.c and ddl.c) against DAOC__IDENT_MAX.  DAOC_OK; DAOC_ESCHEMA
 * with *why = "<field or name>: ..." (caller frees) naming the identifier,
 * its length and the limit; DAOC_ENOMEM. */
int daoc__store_check_names(const daoc__schema *s, char **why);

#endif
