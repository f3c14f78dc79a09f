/*
 * flight.c -- single-flight loading.  The first caller that misses a key
 * starts a flight (linked into the shard's list under the shard lock),
 * runs the loader with no lock held, and finishes the flight with the
 * answer; every caller that misses the same key meanwhile finds the flight,
 * takes a reference on it, and waits on its condition variable.  The
 * flight holds one reference to the resulting entry until the last of its
 * callers lets go, so each waiter can take its own.
 */
#include "cache/cache.h"
#include <stdio.h>

#include "core/alloc.h"

daoc__cache_flight *daoc__cache_flight_find(daoc__cache_shard *s, uint64_t h, const char *key,
                                            size_t len)
{
    for (daoc__cache_flight *f = s->flights; f; f = f->next)
        if (f->hash == h && f->keylen == len && memcmp(f->key, key, len) == 0)
            return f;
    return NULL;
}

daoc__cache_flight *daoc__cache_flight_start(daoc__cache_shard *s, uint64_t h, const char *key,
                                             size_t len)
{
    daoc__cache_flight *f = daoc__calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->key = daoc__strndup(key, len);
    if (!f->key || pthread_mutex_init(&f->mu, NULL) != 0) {
        daoc__free(f->key);
        daoc__free(f);
        return NULL;
    }
    if (pthread_cond_init(&f->cv, NULL) != 0) {
        pthread_mutex_destroy(&f->mu);
        daoc__free(f->key);
        daoc__free(f);
        return NULL;
    }
    f->hash = h;
    f->keylen = len;
    atomic_init(&f->refs, 1);
    f->next = s->flights;
    s->flights = f;
    return f;
}

void daoc__cache_flight_unlink(daoc__cache_shard *s, daoc__cache_flight *f)
{
    for (daoc__cache_flight **p = &s->flights; *p; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            f->next = NULL;
            return;
        }
}

void daoc__cache_flight_finish(daoc__cache_flight *f, int status, int level,
                               struct daoc_cache_ref *result, const char *err)
{
    pthread_mutex_lock(&f->mu);
    f->status = status;
    f->level = level;
    if (result)
        daoc__cache_ref_take(result);
    f->result = result;
    if (err)
        snprintf(f->err, sizeof f->err, "%s", err);
    f->done = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

void daoc__cache_flight_wait(daoc__cache_flight *f)
{
    pthread_mutex_lock(&f->mu);
    while (!f->done)
        pthread_cond_wait(&f->cv, &f->mu);
    pthread_mutex_unlock(&f->mu);
}

void daoc__cache_flight_release(daoc__cache_flight *f)
{
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1)
        return;
    daoc_cache_release(f->result);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    daoc__free(f->key);
    daoc__free(f);
}
