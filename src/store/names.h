/*
 * names.h -- the rules every SQL identifier daoc uses keeps (names.c):
 * length, reserved table names, one column per stored name.
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
 * postgres/sql.c and ddl.c) against DAOC__IDENT_MAX; refuses a table name
 * starting with pg_ or sqlite_ (any case), and a field whose column is
 * that of an earlier field (a foreign key's <field>_<pk>), a hidden column
 * the schema needs (ws_id, ttl, cache_key) or a PostgreSQL system column,
 * ignoring case.  DAOC_OK; DAOC_ESCHEMA with *why = "<field or name>: ..."
 * (caller frees) naming the identifier and the rule; DAOC_ENOMEM. */
int daoc__store_check_names(const daoc__schema *s, char **why);

#endif
