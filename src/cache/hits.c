/*
 * hits.c -- the per-thread hit counters of the entity cache (hits.h): the
 * registry of their owners (live caches), a counter changing hands, and
 * the sum over every thread's record for daoc_cache_stats.
 */
#include <pthread.h>

#include "cache/hits.h"

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static daoc__hits_owner *g_owners; /* under g_mu */
static uint64_t g_next_id = 1;     /* under g_mu */

void daoc__hits_register(daoc__hits_owner *o)
{
    pthread_mutex_lock(&g_mu);
    o->id = g_next_id++;
    o->next = g_owners;
    g_owners = o;
    pthread_mutex_unlock(&g_mu);
}

void daoc__hits_unregister(daoc__hits_owner *o)
{
    pthread_mutex_lock(&g_mu);
    for (daoc__hits_owner **p = &g_owners; *p; p = &(*p)->next)
        if (*p == o) {
            *p = o->next;
            break;
        }
    pthread_mutex_unlock(&g_mu);
}

void daoc__hits_claim(daoc__hz_rec *r, uint8_t ix, uint64_t tag)
{
    pthread_mutex_lock(&g_mu);
    uint64_t old = atomic_load_explicit(&r->hit_tag[ix], memory_order_relaxed);
    uint64_t n = atomic_load_explicit(&r->hit_n[ix], memory_order_relaxed);
    if (old && n)
        for (daoc__hits_owner *o = g_owners; o; o = o->next)
            if (o->id == daoc__hits_tag_owner(old)) {
                o->flush(o, daoc__hits_tag_key(old), n);
                break;
            }
    atomic_store_explicit(&r->hit_tag[ix], tag, memory_order_relaxed);
    atomic_store_explicit(&r->hit_n[ix], 1, memory_order_relaxed);
    pthread_mutex_unlock(&g_mu);
}

void daoc__hits_lock(void)
{
    pthread_mutex_lock(&g_mu);
}

void daoc__hits_unlock(void)
{
    pthread_mutex_unlock(&g_mu);
}

uint64_t daoc__hits_pending(uint64_t owner, uint32_t key)
{
    uint64_t sum = 0;
    for (daoc__hz_rec *r = daoc__hz_records(); r;
         r = atomic_load_explicit(&r->next, memory_order_acquire)) {
        uint8_t ix = daoc__hits_index(key);
        if (atomic_load_explicit(&r->hit_tag[ix], memory_order_relaxed) ==
            daoc__hits_tag(owner, key))
            sum += atomic_load_explicit(&r->hit_n[ix], memory_order_relaxed);
    }
    return sum;
}
