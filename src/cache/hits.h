/*
 * hits.h -- hits counted per thread (hits.c): the lock-free hit path
 * counts on its own thread's record (hazard.h) rather than on a counter
 * the threads share, and daoc_cache_stats adds every thread's counts.
 *
 * A record has DAOC__HZ_HITS counters, each named by a tag: an owner (one
 * cache) and a key (shard << 8 | class), mapped directly from the key.  When a
 * hit finds its counter named by another owner or key, that count moves to
 * its owner's own counters (the shard's class) and the counter changes
 * hands; all of that, and every read of another thread's counters, runs
 * under one mutex, so a count is never lost nor added twice.
 */
#ifndef DAOC_CACHE_HITS_H
#define DAOC_CACHE_HITS_H

#include "cache/hazard.h"

typedef struct daoc__hits_owner daoc__hits_owner;
struct daoc__hits_owner {
    uint64_t id; /* set by daoc__hits_register: never 0, never reused, < 2^46 */
    /* Adds n hits of key to the owner's own counters; called with the
     * hits mutex held (it may take a shard lock, never the reverse). */
    void (*flush)(daoc__hits_owner *o, uint32_t key, uint64_t n);
    daoc__hits_owner *next; /* under the mutex */
};

void daoc__hits_register(daoc__hits_owner *o);
/* After this no flush reaches o; counts still named by it are dropped. */
void daoc__hits_unregister(daoc__hits_owner *o);

static inline uint32_t daoc__hits_key(uint32_t shard, uint32_t cls)
{
    return shard << 8 | (cls & 255u);
}
static inline uint64_t daoc__hits_tag(uint64_t owner, uint32_t key)
{
    return owner << 18 | key;
}
static inline uint64_t daoc__hits_tag_owner(uint64_t tag)
{
    return tag >> 18;
}
static inline uint32_t daoc__hits_tag_key(uint64_t tag)
{
    return (uint32_t)(tag & 0x3ffff);
}
/* The index of key's counter in a record (DAOC__HZ_HITS of them). */
static inline uint8_t daoc__hits_index(uint32_t key)
{
    _Static_assert(DAOC__HZ_HITS == 256, "a counter's index is 8 bits");
    return (uint8_t)((key >> 8) * 7u + (key & 255u) * 131u);
}
/* One more on counter ix of the calling thread's record r (its only
 * writer, so a plain relaxed store; readers add under the hits mutex). */
static inline void daoc__hits_add_one(daoc__hz_rec *r, uint8_t ix)
{
    atomic_store_explicit(&r->hit_n[ix],
                          atomic_load_explicit(&r->hit_n[ix], memory_order_relaxed) + 1,
                          memory_order_relaxed);
}
/* Counter ix of r changes hands to tag (flushing what it held), then
 * counts one. */
void daoc__hits_claim(daoc__hz_rec *r, uint8_t ix, uint64_t tag);
/* One hit for tag (daoc__hits_tag) on counter ix of the calling thread's
 * record r: the hit path keeps both on the entry. */
static inline void daoc__hits_count(daoc__hz_rec *r, uint8_t ix, uint64_t tag)
{
    if (atomic_load_explicit(&r->hit_tag[ix], memory_order_relaxed) == tag)
        daoc__hits_add_one(r, ix);
    else
        daoc__hits_claim(r, ix, tag);
}

/* The mutex, around a read of daoc__hits_pending. */
void daoc__hits_lock(void);
void daoc__hits_unlock(void);
/* Every thread's count of key for owner, not yet flushed (mutex held). */
uint64_t daoc__hits_pending(uint64_t owner, uint32_t key);

#endif
