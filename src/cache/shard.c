/*
 * shard.c -- one shard of the entity cache: its spin lock, its
 * open-addressing table (linear probing, power-of-two size, load at most
 * one half, backward-shift deletion so there are no tombstones) and its
 * eviction.  Eviction is CLOCK over the table's slots: a hit only sets the
 * entry's `used` bit (no list surgery), the hand clears set bits and
 * evicts the first entry it finds unset, or expired, until the shard's
 * bytes fit its bound.  Every function but the lock runs with the shard
 * locked; the lock-free readers (cache.c's hit path) are why every slot
 * is written with an atomic store, and why a table array that grew is
 * kept, not freed, until the cache goes (the arrays a shard outgrew add
 * up to less than its current one).
 */
#include <sched.h>

#include "cache/cache.h"
#include "core/alloc.h"
#include "core/value.h"

void daoc__cache_lock_wait(daoc__cache_shard *s)
{
    unsigned spins = 0;
    for (;;) {
        unsigned v = atomic_load_explicit(&s->lock, memory_order_relaxed);
        if (!(v & 1) && atomic_compare_exchange_weak_explicit(&s->lock, &v, v + 1,
                                                              memory_order_acquire,
                                                              memory_order_relaxed))
            return;
        while (atomic_load_explicit(&s->lock, memory_order_relaxed) & 1) {
            if (++spins > 64) {
                sched_yield(); /* the holder may have been preempted */
                spins = 0;
            } else {
#if defined(__x86_64__) || defined(__i386__)
                __builtin_ia32_pause();
#endif
            }
        }
    }
}

/* Drops the table's reference (the entry may live on in callers' hands). */
static void account_out(daoc__cache_shard *s, struct daoc_cache_ref *e)
{
    s->bytes -= e->bytes;
    s->count--;
    s->cls[e->cls].bytes -= e->bytes;
    s->cls[e->cls].entries--;
    daoc_cache_release(e);
}

static inline struct daoc_cache_ref *slot_e(const daoc__cache_slot *sl)
{
    return atomic_load_explicit(&sl->e, memory_order_relaxed);
}
static inline uint64_t slot_hash(const daoc__cache_slot *sl)
{
    return atomic_load_explicit(&sl->hash, memory_order_relaxed);
}
/* The hash first, then the entry with release: a reader who loads the
 * entry with acquire sees the entry's contents. */
static inline void slot_set(daoc__cache_slot *sl, uint64_t h, struct daoc_cache_ref *e)
{
    atomic_store_explicit(&sl->hash, h, memory_order_relaxed);
    atomic_store_explicit(&sl->e, e, memory_order_release);
}
static inline void slot_clear(daoc__cache_slot *sl)
{
    atomic_store_explicit(&sl->e, NULL, memory_order_relaxed);
}

/* Empties slot i and shifts the following run back so that every entry
 * stays reachable from its home slot. */
static void remove_at(daoc__cache_shard *s, size_t i)
{
    daoc__cache_slot *slots = s->slots;
    size_t mask = s->mask;
    slot_clear(&slots[i]);
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        struct daoc_cache_ref *e = slot_e(&slots[j]);
        if (!e)
            return;
        uint64_t h = slot_hash(&slots[j]);
        size_t home = h & mask;
        /* may the entry at j move to the hole at i? yes unless its home
         * lies cyclically in (i, j] */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            slot_set(&slots[i], h, e);
            slot_clear(&slots[j]);
            i = j;
        }
    }
}

static void put_slot(daoc__cache_slot *slots, size_t mask, uint64_t h, struct daoc_cache_ref *e)
{
    size_t i = h & mask;
    while (slot_e(&slots[i]))
        i = (i + 1) & mask;
    slot_set(&slots[i], h, e);
}

static int grow(daoc__cache_shard *s)
{
    size_t mask = s->mask, n = mask ? (mask + 1) * 2 : 16;
    daoc__cache_slot *old = s->slots;
    daoc__cache_slot *ns = daoc__calloc(n, sizeof *ns);
    if (!ns)
        return DAOC_ENOMEM;
    if (mask)
        for (size_t i = 0; i <= mask; i++)
            if (slot_e(&old[i]))
                put_slot(ns, n - 1, slot_hash(&old[i]), slot_e(&old[i]));
    /* the array, then the mask: a reader who sees the new mask sees the
     * new array, and the old mask fits either */
    atomic_store_explicit(&s->slots, ns, memory_order_release);
    atomic_store_explicit(&s->mask, n - 1, memory_order_release);
    /* a reader may still be probing the old array: it stays until the
     * cache goes (all of them together are smaller than the new one) */
    if (old)
        s->old[s->nold++] = old;
    s->hand &= n - 1;
    return DAOC_OK;
}

/* Evicts one entry by CLOCK; false when the table is empty. */
static bool evict_one(daoc__cache_shard *s, int64_t now)
{
    if (!s->count)
        return false;
    for (;;) {
        size_t i = s->hand;
        struct daoc_cache_ref *e = slot_e(&s->slots[i]);
        if (!e) {
            s->hand = (i + 1) & s->mask;
            continue;
        }
        bool expired = e->expires && e->expires <= now;
        if (e->used && !expired) {
            e->used = 0;
            s->hand = (i + 1) & s->mask;
            continue;
        }
        daoc__cache_count(s, e->cls, DAOC__CS_EVICTIONS);
        remove_at(s, i); /* the hand stays: a shifted entry may now sit at i */
        account_out(s, e);
        return true;
    }
}

int daoc__cache_install(daoc__cache_shard *s, struct daoc_cache_ref *e, uint64_t h, int64_t now)
{
    if (s->mask) {
        for (size_t i = h & s->mask; slot_e(&s->slots[i]); i = (i + 1) & s->mask) {
            struct daoc_cache_ref *o = slot_e(&s->slots[i]);
            if (slot_hash(&s->slots[i]) == h && o->keylen == e->keylen &&
                memcmp(o->key, e->key, e->keylen) == 0) {
                remove_at(s, i);
                account_out(s, o);
                break;
            }
        }
    }
    if (e->bytes > s->limit)
        return DAOC_OK; /* never fits: answered, not stored */
    while (s->bytes + e->bytes > s->limit && evict_one(s, now))
        ;
    if ((s->count + 1) * 2 > (s->mask ? s->mask + 1 : 0) && grow(s) != DAOC_OK)
        return DAOC_ENOMEM;
    daoc__cache_ref_take(e);
    e->used = 0;
    e->hit_tag = s->hit_tag | daoc__hits_key(0, e->cls); /* the shard's tag has class 0 */
    e->hit_ix = daoc__hits_index(daoc__hits_tag_key(e->hit_tag));
    put_slot(s->slots, s->mask, h, e);
    s->count++;
    s->bytes += e->bytes;
    s->cls[e->cls].bytes += e->bytes;
    s->cls[e->cls].entries++;
    return DAOC_OK;
}

bool daoc__cache_remove(daoc__cache_shard *s, uint64_t h, const char *key, size_t len)
{
    if (!s->mask)
        return false;
    for (size_t i = h & s->mask; slot_e(&s->slots[i]); i = (i + 1) & s->mask) {
        struct daoc_cache_ref *e = slot_e(&s->slots[i]);
        if (slot_hash(&s->slots[i]) == h && e->keylen == len && memcmp(e->key, key, len) == 0) {
            remove_at(s, i);
            account_out(s, e);
            return true;
        }
    }
    return false;
}

void daoc__cache_clear(daoc__cache_shard *s)
{
    if (!s->mask)
        return;
    for (size_t i = 0; i <= s->mask; i++) {
        struct daoc_cache_ref *e = slot_e(&s->slots[i]);
        if (e) {
            slot_clear(&s->slots[i]);
            account_out(s, e);
        }
    }
    s->hand = 0;
}

void daoc__cache_shard_free(daoc__cache_shard *s)
{
    if (s->cls)
        daoc__cache_clear(s);
    daoc__free(s->slots);
    for (unsigned i = 0; i < s->nold; i++)
        daoc__free(s->old[i]);
    for (size_t i = 0; i < s->ncls; i++)
        daoc__free(s->cls[i].name);
    daoc__free(s->cls);
}
