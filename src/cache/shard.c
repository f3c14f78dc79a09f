/*
 * shard.c -- one shard of the entity cache: its spin lock, its
 * open-addressing table (linear probing, power-of-two size, load at most
 * one half, backward-shift deletion so there are no tombstones) and its
 * eviction.  Eviction is CLOCK over the table's slots: a hit only sets the
 * entry's `used` bit (no list surgery), the hand clears set bits and
 * evicts the first entry it finds unset, or expired, until the shard's
 * bytes fit its bound.  Every function but the lock runs with the shard
 * locked.
 */
#include <sched.h>

#include "cache/cache.h"
#include "core/alloc.h"
#include "core/value.h"

void daoc__cache_lock_wait(daoc__cache_shard *s)
{
    unsigned spins = 0;
    for (;;) {
        if (!atomic_exchange_explicit(&s->lock, 1, memory_order_acquire))
            return;
        while (atomic_load_explicit(&s->lock, memory_order_relaxed)) {
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
    s->cls[e->cls].n[DAOC__CS_HITS] += e->hits;
    e->hits = 0;
    daoc_cache_release(e);
}

/* Empties slot i and shifts the following run back so that every entry
 * stays reachable from its home slot. */
static void remove_at(daoc__cache_shard *s, size_t i)
{
    s->slots[i].e = NULL;
    size_t j = i;
    for (;;) {
        j = (j + 1) & s->mask;
        if (!s->slots[j].e)
            return;
        size_t home = s->slots[j].hash & s->mask;
        /* may the entry at j move to the hole at i? yes unless its home
         * lies cyclically in (i, j] */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            s->slots[i] = s->slots[j];
            s->slots[j].e = NULL;
            i = j;
        }
    }
}

static void put_slot(daoc__cache_slot *slots, size_t mask, uint64_t h, struct daoc_cache_ref *e)
{
    size_t i = h & mask;
    while (slots[i].e)
        i = (i + 1) & mask;
    slots[i].hash = h;
    slots[i].e = e;
}

static int grow(daoc__cache_shard *s)
{
    size_t n = s->mask ? (s->mask + 1) * 2 : 16;
    daoc__cache_slot *ns = daoc__calloc(n, sizeof *ns);
    if (!ns)
        return DAOC_ENOMEM;
    if (s->mask)
        for (size_t i = 0; i <= s->mask; i++)
            if (s->slots[i].e)
                put_slot(ns, n - 1, s->slots[i].hash, s->slots[i].e);
    daoc__free(s->slots);
    s->slots = ns;
    s->mask = n - 1;
    s->hand &= s->mask;
    return DAOC_OK;
}

/* Evicts one entry by CLOCK; false when the table is empty. */
static bool evict_one(daoc__cache_shard *s, int64_t now)
{
    if (!s->count)
        return false;
    for (;;) {
        size_t i = s->hand;
        struct daoc_cache_ref *e = s->slots[i].e;
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
        for (size_t i = h & s->mask; s->slots[i].e; i = (i + 1) & s->mask) {
            struct daoc_cache_ref *o = s->slots[i].e;
            if (s->slots[i].hash == h && o->keylen == e->keylen &&
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
    put_slot(s->slots, s->mask, h, e);
    e->used = 0;
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
    for (size_t i = h & s->mask; s->slots[i].e; i = (i + 1) & s->mask) {
        struct daoc_cache_ref *e = s->slots[i].e;
        if (s->slots[i].hash == h && e->keylen == len && memcmp(e->key, key, len) == 0) {
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
        struct daoc_cache_ref *e = s->slots[i].e;
        if (e) {
            s->slots[i].e = NULL;
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
    for (size_t i = 0; i < s->ncls; i++)
        daoc__free(s->cls[i].name);
    daoc__free(s->cls);
}

void daoc__cache_fold_hits(daoc__cache_shard *s)
{
    for (size_t i = 0; s->mask && i <= s->mask; i++) {
        struct daoc_cache_ref *e = s->slots[i].e;
        if (e && e->hits) {
            s->cls[e->cls].n[DAOC__CS_HITS] += e->hits;
            e->hits = 0;
        }
    }
}
