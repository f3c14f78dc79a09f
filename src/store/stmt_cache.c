/*
 * stmt_cache.c -- (schema, statement code) -> prepared statement, shared by
 * the stores (see stmt_cache.h).  It does not prepare anything: each store
 * builds and prepares its SQL, then stores the result here.
 */
#include "store/stmt_cache.h"

#include "core/alloc.h"

static size_t slot_of(const daoc__schema *s, uint32_t code, size_t cap)
{
    uint64_t h = (uint64_t)(uintptr_t)s * 0x9E3779B97F4A7C15ull;
    h ^= (uint64_t)code * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 29;
    return (size_t)h & (cap - 1);
}

void *daoc__stmt_cache_get(const daoc__stmt_cache *c, const daoc__schema *s, uint32_t code)
{
    if (!c->cap)
        return NULL;
    for (size_t j = slot_of(s, code, c->cap);; j = (j + 1) & (c->cap - 1)) {
        const daoc__stmt_ent *e = &c->t[j];
        if (!e->s)
            return NULL;
        if (e->s == s && e->code == code)
            return e->stmt;
    }
}

static void place(daoc__stmt_ent *t, size_t cap, const daoc__stmt_ent *e)
{
    size_t j = slot_of(e->s, e->code, cap);
    while (t[j].s)
        j = (j + 1) & (cap - 1);
    t[j] = *e;
}

int daoc__stmt_cache_reserve(daoc__stmt_cache *c)
{
    if ((c->len + 1) * 2 <= c->cap)
        return DAOC_OK;
    size_t cap = c->cap ? c->cap * 2 : 64;
    daoc__stmt_ent *t = daoc__calloc(cap, sizeof *t);
    if (!t)
        return DAOC_ENOMEM;
    for (size_t i = 0; i < c->cap; i++)
        if (c->t[i].s)
            place(t, cap, &c->t[i]);
    daoc__free(c->t);
    c->t = t;
    c->cap = cap;
    return DAOC_OK;
}

void daoc__stmt_cache_put(daoc__stmt_cache *c, const daoc__schema *s, uint32_t code, void *stmt)
{
    daoc__stmt_ent e = {s, code, stmt};
    place(c->t, c->cap, &e);
    c->len++;
}

void daoc__stmt_cache_free(daoc__stmt_cache *c, void (*fin)(void *stmt))
{
    for (size_t i = 0; i < c->cap; i++)
        if (c->t[i].s && fin)
            fin(c->t[i].stmt);
    daoc__free(c->t);
    c->t = NULL;
    c->cap = c->len = 0;
}
