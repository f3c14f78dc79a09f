/*
 * seen.c -- the event ids a cluster reader has told (events.h): each id
 * with the database time until which it is kept, in an array in the order
 * of marking, and an open-addressing index of that array (linear probing,
 * at most half full) so that asking whether an id was told costs one hash
 * and a probe or two, not a scan of every event of the window (a busy
 * cluster has tens of thousands there).  Pruning compacts the array and
 * rebuilds the index.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "events/events.h"

/* FNV-1a: an id is 36 characters of random hex, any mixing will do */
static uint64_t hash_id(const char *id)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 1099511628211ULL;
    return h;
}

/* The slot of id in the index: its entry's, or the empty one it would take. */
static size_t slot_of(const daoc__seen *s, const char *id)
{
    size_t i = (size_t)hash_id(id) & s->mask;
    while (s->index[i] && strcmp(s->ids[s->index[i] - 1].id, id) != 0)
        i = (i + 1) & s->mask;
    return i;
}

/* Rebuilds the index for the array's n entries, at least twice as large. */
static int reindex(daoc__seen *s)
{
    size_t cap = 64;
    while (cap < 2 * (s->n + 1))
        cap *= 2;
    uint32_t *ix = daoc__calloc(cap, sizeof *ix);
    if (!ix)
        return -1;
    daoc__free(s->index);
    s->index = ix;
    s->mask = cap - 1;
    for (size_t k = 0; k < s->n; k++)
        s->index[slot_of(s, s->ids[k].id)] = (uint32_t)(k + 1);
    return 0;
}

bool daoc__seen_has(const daoc__seen *s, const char *id)
{
    return s->index && s->index[slot_of(s, id)] != 0;
}

void daoc__seen_add(daoc__seen *s, const char *id, double until)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        daoc__seen_id *a = cap < UINT32_MAX ? daoc__realloc(s->ids, cap * sizeof *a) : NULL;
        if (!a)
            return; /* told twice at worst */
        s->ids = a;
        s->cap = cap;
    }
    if ((!s->index || 2 * (s->n + 1) > s->mask + 1) && reindex(s) != 0)
        return;
    size_t i = slot_of(s, id);
    if (s->index[i])
        return; /* marked already */
    daoc__seen_id *e = &s->ids[s->n++];
    snprintf(e->id, sizeof e->id, "%s", id);
    e->until = until;
    s->index[i] = (uint32_t)s->n;
}

void daoc__seen_prune(daoc__seen *s, double before)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->ids[i].until >= before)
            s->ids[k++] = s->ids[i];
    if (k == s->n)
        return;
    s->n = k;
    if (reindex(s) != 0) { /* no memory for an index: forget them all */
        daoc__free(s->index);
        s->index = NULL;
        s->n = 0;
    }
}

void daoc__seen_free(daoc__seen *s)
{
    daoc__free(s->ids);
    daoc__free(s->index);
    memset(s, 0, sizeof *s);
}
