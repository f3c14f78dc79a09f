/*
 * stmt_cache.h -- the per-handle map every store keeps from (schema,
 * statement code) to its prepared statement: open addressing over a
 * power-of-two table, keyed by the schema pointer and the code.  The value
 * is the store's own statement object (sqlite3_stmt, the PostgreSQL store's
 * pg_stmt); the cache never looks inside it.
 */
#ifndef DAOC_STORE_STMT_CACHE_H
#define DAOC_STORE_STMT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "schema/schema.h"

typedef struct daoc__stmt_ent {
    const daoc__schema *s; /* NULL = empty slot */
    uint32_t code;
    void *stmt;
} daoc__stmt_ent;

typedef struct daoc__stmt_cache {
    daoc__stmt_ent *t;
    size_t cap, len; /* cap is 0 or a power of two; kept at most half full */
} daoc__stmt_cache;

/* The statement cached for (s, code), or NULL. */
void *daoc__stmt_cache_get(const daoc__stmt_cache *c, const daoc__schema *s, uint32_t code);
/* Makes room for one more entry; DAOC_OK or DAOC_ENOMEM.  Call before
 * preparing, so a prepared statement can always be stored. */
int daoc__stmt_cache_reserve(daoc__stmt_cache *c);
/* Stores stmt for (s, code), absent so far; reserve must have succeeded. */
void daoc__stmt_cache_put(daoc__stmt_cache *c, const daoc__schema *s, uint32_t code, void *stmt);
/* Calls fin on every cached statement, then releases the table. */
void daoc__stmt_cache_free(daoc__stmt_cache *c, void (*fin)(void *stmt));

#endif
