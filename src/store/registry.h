/*
 * registry.h -- what every store remembers about the tables it ensured:
 * which schemas have a table, and every foreign field between them (so a
 * delete refused by RESTRICT can name the referencing entity), plus the TTL
 * base rule and the on_delete keywords every SQL store shares.
 */
#ifndef DAOC_STORE_REGISTRY_H
#define DAOC_STORE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "schema/schema.h"

/* A foreign field of an ensured table: child.field references parent. */
typedef struct daoc__store_ref {
    const daoc__schema *child;
    size_t field;
    const daoc__schema *parent;
    daoc__on_delete on_delete;
} daoc__store_ref;

typedef struct daoc__store_registry {
    const daoc__schema **tables; /* ensured schemas, borrowed */
    size_t ntables, tables_cap;
    daoc__store_ref *refs;
    size_t nrefs, refs_cap;
} daoc__store_registry;

/* True when s was added. */
bool daoc__registry_has(const daoc__store_registry *r, const daoc__schema *s);
/* Adds s and its foreign fields (transient ones excluded).  DAOC_OK or
 * DAOC_ENOMEM (nothing added then). */
int daoc__registry_add(daoc__store_registry *r, const daoc__schema *s);
void daoc__registry_free(daoc__store_registry *r);

/* The SQL action of an on_delete rule: "CASCADE", "SET NULL", "RESTRICT"
 * (absent = restrict).  Static strings. */
const char *daoc__on_delete_sql(daoc__on_delete d);

/* Kong's TTL base: the value of the auto timestamp field `name`
 * ("created_at" on insert/upsert, "updated_at" on update) in entity when the
 * schema has one, else `now`. */
double daoc__store_ttl_base(const daoc__schema *s, const daoc_value *entity, const char *name,
                            size_t nlen, double now);

#endif
