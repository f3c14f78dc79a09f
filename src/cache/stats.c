/*
 * stats.c -- the entity cache's counters.  Each shard keeps its own table
 * of entity classes (the key's text before its first ':'; "*" for keys
 * without one, and for everything once a shard knows 256 classes) with
 * plain counters updated under the shard's lock; the lock-free hits count
 * on their own thread (hits.h) and move here when their counter changes
 * hands.  daoc_cache_stats sums the shards and every thread's pending hits
 * by class name into a daoc_value object.
 */
#include "cache/cache.h"
#include "core/alloc.h"
#include "core/value.h"

#define MAX_CLASSES 256
_Static_assert(MAX_CLASSES <= 256, "a class index fits the 8 bits of a hit counter's key (hits.h)");

const char *const daoc__cache_counter_names[DAOC__CS_N] = {
    "hits", "misses", "stale", "evictions", "invalidations", "loads", "load_errors"};

static int add_class(daoc__cache_shard *s, const char *name, size_t len)
{
    if (s->ncls == s->capcls) {
        size_t cap = s->capcls ? s->capcls * 2 : 8;
        daoc__cache_class *n = daoc__realloc(s->cls, cap * sizeof *n);
        if (!n)
            return -1;
        s->cls = n;
        s->capcls = cap;
    }
    char *copy = daoc__strndup(name, len);
    if (!copy)
        return -1;
    daoc__cache_class *c = &s->cls[s->ncls];
    memset(c, 0, sizeof *c);
    c->name = copy;
    c->len = len;
    return (int)s->ncls++;
}

int daoc__cache_shard_stats_init(daoc__cache_shard *s)
{
    return add_class(s, "*", 1) == 0 ? DAOC_OK : DAOC_ENOMEM;
}

uint32_t daoc__cache_class_of(daoc__cache_shard *s, const char *key, size_t len)
{
    const char *colon = memchr(key, ':', len);
    if (!colon)
        return 0;
    size_t n = (size_t)(colon - key);
    for (size_t i = 1; i < s->ncls; i++)
        if (s->cls[i].len == n && memcmp(s->cls[i].name, key, n) == 0)
            return (uint32_t)i;
    if (s->ncls >= MAX_CLASSES)
        return 0;
    int i = add_class(s, key, n);
    return i < 0 ? 0 : (uint32_t)i;
}

typedef struct sum {
    char *name; /* borrowed from a shard while it is locked, then copied */
    size_t len;
    uint64_t n[DAOC__CS_N];
    size_t bytes, entries;
} sum;

static int put_counts(daoc_value *o, const uint64_t *n, size_t bytes, size_t entries)
{
    for (int k = 0; k < DAOC__CS_N; k++)
        if (daoc_obj_set(o, daoc__cache_counter_names[k], daoc_int((int64_t)n[k])) != DAOC_OK)
            return DAOC_ENOMEM;
    if (daoc_obj_set(o, "bytes", daoc_int((int64_t)bytes)) != DAOC_OK ||
        daoc_obj_set(o, "entries", daoc_int((int64_t)entries)) != DAOC_OK)
        return DAOC_ENOMEM;
    return DAOC_OK;
}

int daoc_cache_stats(daoc_cache *c, daoc_value **out)
{
    if (!out)
        return DAOC_EINVAL;
    *out = NULL;
    if (!c)
        return DAOC_EINVAL;
    sum *sums = NULL;
    size_t nsums = 0, cap = 0;
    int rc = DAOC_OK;
    daoc__hits_lock(); /* no thread's hits move while they are added */
    for (unsigned si = 0; si < c->nshards && rc == DAOC_OK; si++) {
        daoc__cache_shard *s = &c->shards[si];
        daoc__cache_lock(s);
        for (size_t i = 0; i < s->ncls && rc == DAOC_OK; i++) {
            daoc__cache_class *k = &s->cls[i];
            size_t j = 0;
            while (j < nsums &&
                   !(sums[j].len == k->len && memcmp(sums[j].name, k->name, k->len) == 0))
                j++;
            if (j == nsums) {
                if (nsums == cap) {
                    size_t ncap = cap ? cap * 2 : 16;
                    sum *n = daoc__realloc(sums, ncap * sizeof *n);
                    if (!n) {
                        rc = DAOC_ENOMEM;
                        break;
                    }
                    sums = n;
                    cap = ncap;
                }
                memset(&sums[j], 0, sizeof sums[j]);
                sums[j].name = daoc__strndup(k->name, k->len);
                sums[j].len = k->len;
                nsums++;
                if (!sums[j].name) {
                    rc = DAOC_ENOMEM;
                    break;
                }
            }
            for (int q = 0; q < DAOC__CS_N; q++)
                sums[j].n[q] += k->n[q];
            sums[j].n[DAOC__CS_HITS] +=
                daoc__hits_pending(c->hits.id, daoc__hits_key(si, (uint32_t)i));
            sums[j].bytes += k->bytes;
            sums[j].entries += k->entries;
        }
        daoc__cache_unlock(s);
    }
    daoc__hits_unlock();
    daoc_value *o = rc == DAOC_OK ? daoc_obj() : NULL;
    daoc_value *classes = o ? daoc_obj() : NULL;
    if (!classes)
        rc = DAOC_ENOMEM;
    uint64_t tot[DAOC__CS_N] = {0};
    size_t tbytes = 0, tentries = 0;
    for (size_t j = 0; j < nsums && rc == DAOC_OK; j++) {
        for (int q = 0; q < DAOC__CS_N; q++)
            tot[q] += sums[j].n[q];
        tbytes += sums[j].bytes;
        tentries += sums[j].entries;
        bool empty = sums[j].bytes == 0 && sums[j].entries == 0;
        for (int q = 0; q < DAOC__CS_N; q++)
            empty = empty && sums[j].n[q] == 0;
        if (empty)
            continue; /* "*" before any key of its kind */
        daoc_value *one = daoc_obj();
        if (!one || put_counts(one, sums[j].n, sums[j].bytes, sums[j].entries) != DAOC_OK) {
            daoc_value_free(one);
            rc = DAOC_ENOMEM;
            break;
        }
        rc = daoc__obj_setn(classes, sums[j].name, sums[j].len, one);
    }
    if (rc == DAOC_OK)
        rc = put_counts(o, tot, tbytes, tentries);
    if (rc == DAOC_OK) {
        rc = daoc_obj_set(o, "classes", classes);
        classes = NULL;
    }
    for (size_t j = 0; j < nsums; j++)
        daoc__free(sums[j].name);
    daoc__free(sums);
    daoc_value_free(classes);
    if (rc != DAOC_OK) {
        daoc_value_free(o);
        return rc;
    }
    *out = o;
    return DAOC_OK;
}
