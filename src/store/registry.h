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

/* Workspaces (store.h, "Table layout"): true when unique field f of s is
 * unique per workspace (UNIQUE ("ws_id", col)). */
bool daoc__store_unique_ws(const daoc__schema *s, const daoc__field *f);
/* True when foreign field f of s is the two-column key ("<f>_id", "ws_id")
 * -> parent ("id", "ws_id"). */
bool daoc__store_fk_ws(const daoc__schema *s, const daoc__field *f);
/* Sets row["ws_id"] to the n bytes at ws, or null when ws is NULL (row
 * NULL: nothing).  DAOC_OK or DAOC_ENOMEM. */
int daoc__store_put_ws(daoc_value *row, const char *ws, size_t n);
/* The ensured schema named `name`, or NULL. */
const daoc__schema *daoc__registry_find(const daoc__store_registry *r, const char *name);

/* attach_table's work, the same on every store: registers an entity
 * schema once (DAOC_EINVAL for records and key-less schemas). */
int daoc__registry_attach(daoc__store_registry *reg, const daoc__schema *s);

#endif
