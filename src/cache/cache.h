/*
 * cache.h -- internal layout of the entity cache (daoc_cache_* in daoc.h).
 *
 * A cache is a power-of-two array of shards; a key's 64-bit hash picks the
 * shard (high bits) and the slot (low bits).  Each shard has its own lock
 * (a short spin lock: no loader, no wait and no allocation of a value runs
 * under it), an open-addressing table with linear probing of {hash, entry}
 * slots, a CLOCK hand for eviction by bytes, the list of loads in flight
 * (flight.c) and its counters per entity class (stats.c).
 *
 * The lock is also a sequence count (odd while held), so that a hit reads
 * the table without taking it: it probes, names the entry it found in a
 * hazard slot of its thread (hazard.h), and keeps the answer only when the
 * count did not move meanwhile; anything else takes the lock.  Everything
 * such a reader loads is atomic: the slots, the table's pointer and mask,
 * and an entry's `expires` and `used`.  A slot's entry is stored with
 * release and loaded with acquire, so a reader who sees an entry a holder
 * stored (a new one, or one moved by a removal) sees the count that holder
 * made odd, and gives up.
 *
 * An entry (struct daoc_cache_ref) is immutable once made except for the
 * fields marked "under lock": a new value for a key is a new entry
 * replacing the old one, so a hit hands out the entry itself and never
 * copies.  A hit's reference is borrowed: it points at the hazard slot
 * naming the entry (tagged by bit 0) and writes nothing the entry's other
 * readers read.  Counted references (refs) are what the locked paths and
 * daoc_cache_keep give; the table holds one.  When the count reaches 0 the
 * entry is retired, and freed once no hazard names it.  refs never goes
 * from 0 back up.
 */
#ifndef DAOC_CACHE_CACHE_H
#define DAOC_CACHE_CACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "cache/hits.h"
#include "core/hint.h"
#include "daoc.h"

/* counters, in the order daoc_cache_stats names them */
enum {
    DAOC__CS_HITS,
    DAOC__CS_MISSES,
    DAOC__CS_STALE,
    DAOC__CS_EVICTIONS,
    DAOC__CS_INVALIDATIONS,
    DAOC__CS_LOADS,
    DAOC__CS_LOAD_ERRORS,
    DAOC__CS_N
};
extern const char *const daoc__cache_counter_names[DAOC__CS_N];

typedef struct daoc__cache_class {
    char *name; /* owned */
    size_t len;
    uint64_t n[DAOC__CS_N];
    size_t bytes, entries;
} daoc__cache_class;

/* 40 bytes before the key, which is not NUL-terminated: with a key of 32
 * bytes an entry is an 80-byte block of malloc's.  A hit reads what
 * follows `bytes`: the deadline, the value, the counter's tag, the key's
 * length and the small fields, then the key. */
struct daoc_cache_ref {
    atomic_uint refs;
    uint32_t bytes;          /* what the entry counts against the bound */
    _Atomic int64_t expires; /* under lock: monotonic ns, 0 = never */
    daoc_value *value;       /* NULL: a cached miss; immutable */
    uint64_t hit_tag;        /* its thread hit counter's tag (hits.h), set at install */
    uint32_t keylen;
    uint8_t cls;          /* under lock: index in the shard's classes */
    uint8_t hit_ix;       /* its thread hit counter's index, set at install */
    _Atomic uint8_t used; /* CLOCK reference bit: set by hits, cleared under lock */
    uint8_t stale;        /* under lock: a resurrected value */
    char key[];
};

typedef struct daoc__cache_slot {
    _Atomic uint64_t hash;
    struct daoc_cache_ref *_Atomic e; /* NULL: empty; stored with release */
} daoc__cache_slot;

typedef struct daoc__cache_flight daoc__cache_flight;

typedef struct daoc__cache_shard {
    atomic_uint lock;              /* the sequence count: odd = held */
    daoc__cache_slot *_Atomic slots; /* published before mask on growth */
    _Atomic size_t mask;           /* slots - 1; 0 before the first insert */
    size_t count;
    size_t hand; /* CLOCK */
    size_t bytes, limit;
    daoc__cache_slot *old[64]; /* arrays it outgrew, for readers still probing one */
    uint64_t hit_tag; /* the cache's owner id and this shard's index, as a hit counter's tag */
    unsigned nold;
    daoc__cache_flight *flights;
    daoc__cache_class *cls;
    size_t ncls, capcls;
    char pad[64]; /* keeps the next shard's lock off this shard's lines */
} daoc__cache_shard;

struct daoc_cache {
    daoc__hits_owner hits; /* first: flush finds the cache from it */
    daoc__cache_shard *shards;
    unsigned nshards;
    uint32_t shard_mask; /* nshards - 1: the hash's top 10 bits, masked, pick the shard */
    uint64_t seed;       /* of the hash, random */
    daoc_cache_opts opts;
};

/* ---- hashing and time (inline: the hit path) ---- */
static inline uint64_t daoc__cache_mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}
static inline uint64_t daoc__cache_word(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}
/* Key's len bytes (1 to 7 of them) as one word, low bytes first, as a
 * memcpy into a zeroed word would give them; without a call, reading only
 * inside key[0..len). */
static inline uint64_t daoc__cache_short(const char *key, size_t len)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const unsigned char *k = (const unsigned char *)key;
    if (len >= 4) { /* two 4-byte words that overlap on the same bytes */
        uint32_t lo, hi;
        memcpy(&lo, k, 4);
        memcpy(&hi, k + len - 4, 4);
        return lo | (uint64_t)hi << (8 * (len - 4));
    }
    return k[0] | (uint64_t)k[len / 2] << (8 * (len / 2)) | (uint64_t)k[len - 1] << (8 * (len - 1));
#else
    uint64_t t = 0;
    memcpy(&t, key, len);
    return t;
#endif
}
/* 64-bit hash of key: 8-byte words folded with a 128-bit multiply, 16
 * bytes a step and the last 16 read where they end (overlapping the step
 * before; len is folded in too), so that no partial word is left.  The
 * seed is random per cache, so keys (which come from stored data) cannot
 * be chosen to collide in one shard.  Calls nothing (the hit path). */
__attribute__((always_inline)) static inline uint64_t daoc__cache_hash(uint64_t seed,
                                                                       const char *key, size_t len)
{
    const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull;
    uint64_t h = k0 ^ seed ^ (len * k1), t;
    if (DAOC__LIKELY(len > 16)) {
        for (size_t i = 0; i + 16 < len; i += 16) {
            h = daoc__cache_mix(h ^ daoc__cache_word(key + i), k1);
            h = daoc__cache_mix(h ^ daoc__cache_word(key + i + 8), k1);
        }
        h = daoc__cache_mix(h ^ daoc__cache_word(key + len - 16), k1);
        t = daoc__cache_word(key + len - 8);
    } else if (len > 8) {
        h = daoc__cache_mix(h ^ daoc__cache_word(key), k1);
        t = daoc__cache_word(key + len - 8);
    } else if (len == 8) {
        t = daoc__cache_word(key);
    } else {
        t = len ? daoc__cache_short(key, len) : 0;
    }
    return daoc__cache_mix(h ^ t ^ k0, k1 ^ len);
}
static inline int64_t daoc__cache_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
/* seconds -> ns from now; 0 for "never" */
static inline int64_t daoc__cache_deadline(int64_t now, double ttl)
{
    if (!(ttl > 0))
        return 0;
    int64_t d = ttl > 1e9 ? (int64_t)1e18 : (int64_t)(ttl * 1e9);
    return now + (d > 0 ? d : 1);
}

/* ---- shard.c: everything here runs with the shard locked ---- */
void daoc__cache_lock_wait(daoc__cache_shard *s);
static inline void daoc__cache_lock(daoc__cache_shard *s)
{
    unsigned v = atomic_load_explicit(&s->lock, memory_order_relaxed);
    if ((v & 1) || !atomic_compare_exchange_weak_explicit(&s->lock, &v, v + 1,
                                                          memory_order_acquire,
                                                          memory_order_relaxed))
        daoc__cache_lock_wait(s); /* held: spin, then yield */
}
static inline void daoc__cache_unlock(daoc__cache_shard *s)
{
    atomic_store_explicit(&s->lock, atomic_load_explicit(&s->lock, memory_order_relaxed) + 1,
                          memory_order_release);
}
/* The index of the shard of hash h: of its top 10 bits (at most 1024
 * shards), as many as there are shards; a slot's index takes the low
 * bits. */
static inline uint32_t daoc__cache_shard_index(const daoc_cache *c, uint64_t h)
{
    return (uint32_t)(h >> 54) & c->shard_mask;
}
static inline daoc__cache_shard *daoc__cache_shard_of(daoc_cache *c, uint64_t h)
{
    return &c->shards[daoc__cache_shard_index(c, h)];
}
/* Whether a and b (len bytes each) are equal: by 8-byte words inline, 16
 * bytes a step and the last 16 read where they end, calling nothing (the
 * hit path; a Kong cache key is some 30 to 60 bytes). */
static inline bool daoc__cache_key_eq(const char *a, const char *b, size_t len)
{
#define DAOC__KEY_XOR(i) (daoc__cache_word(a + (i)) ^ daoc__cache_word(b + (i)))
    if (DAOC__LIKELY(len >= 16)) {
        uint64_t d = DAOC__KEY_XOR(len - 16) | DAOC__KEY_XOR(len - 8);
        for (size_t i = 0; i + 16 < len; i += 16)
            d |= DAOC__KEY_XOR(i) | DAOC__KEY_XOR(i + 8);
        return !d;
    }
    if (len >= 8)
        return !(DAOC__KEY_XOR(0) | DAOC__KEY_XOR(len - 8));
#undef DAOC__KEY_XOR
    return !len || daoc__cache_short(a, len) == daoc__cache_short(b, len);
}
/* Sets e's CLOCK bit; a line other threads read is written only when the
 * bit changes. */
static inline void daoc__cache_mark_used(struct daoc_cache_ref *e)
{
    if (DAOC__UNLIKELY(!atomic_load_explicit(&e->used, memory_order_relaxed)))
        atomic_store_explicit(&e->used, 1, memory_order_relaxed);
}
/* The entry of key, or NULL (s locked). */
static inline struct daoc_cache_ref *daoc__cache_find(daoc__cache_shard *s, uint64_t h,
                                                      const char *key, size_t len)
{
    size_t mask = atomic_load_explicit(&s->mask, memory_order_relaxed);
    if (!mask)
        return NULL;
    daoc__cache_slot *slots = atomic_load_explicit(&s->slots, memory_order_relaxed);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct daoc_cache_ref *e = atomic_load_explicit(&slots[i].e, memory_order_relaxed);
        if (!e)
            return NULL;
        if (atomic_load_explicit(&slots[i].hash, memory_order_relaxed) == h && e->keylen == len &&
            daoc__cache_key_eq(e->key, key, len))
            return e;
    }
}
/* The entry a public reference stands for: a borrowed one (bit 0 set)
 * points at the hazard slot naming it. */
static inline struct daoc_cache_ref *daoc__cache_entry_of(const daoc_cache_ref *ref)
{
    uintptr_t u = (uintptr_t)ref;
    if (u & 1)
        return atomic_load_explicit((void *_Atomic *)(u - 1),
                                    memory_order_relaxed);
    return (struct daoc_cache_ref *)(uintptr_t)ref;
}
/* Puts e in the table (one more reference), replacing the entry of its key
 * and evicting as the bound needs; an entry bigger than the shard's whole
 * bound is not stored.  e->cls must be set (daoc__cache_class_of).
 * Returns DAOC_OK, or DAOC_ENOMEM when the table could not grow: e is then
 * not stored (the entry it replaces and those evicted stay out). */
int daoc__cache_install(daoc__cache_shard *s, struct daoc_cache_ref *e, uint64_t h, int64_t now);
/* Removes the entry of key; returns whether there was one. */
bool daoc__cache_remove(daoc__cache_shard *s, uint64_t h, const char *key, size_t len);
/* Removes every entry. */
void daoc__cache_clear(daoc__cache_shard *s);
void daoc__cache_shard_free(daoc__cache_shard *s);

/* ---- entries (cache.c) ---- */
/* A new entry with one reference (the caller's), taking over value; NULL
 * on ENOMEM (value freed). */
struct daoc_cache_ref *daoc__cache_entry_new(const char *key, size_t len, uint64_t h,
                                             daoc_value *value);
/* Retires e (its count reached 0). */
void daoc__cache_entry_retire(struct daoc_cache_ref *e);
/* One more counted reference on e, which must hold one already (the
 * table's, or the caller's). */
static inline void daoc__cache_ref_take(struct daoc_cache_ref *e)
{
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
}

/* ---- stats.c ---- */
/* The index of key's class in s (added on first use); a full or failed
 * class table answers class 0, "*", which every shard has. */
uint32_t daoc__cache_class_of(daoc__cache_shard *s, const char *key, size_t len);
int daoc__cache_shard_stats_init(daoc__cache_shard *s);
static inline void daoc__cache_count(daoc__cache_shard *s, uint32_t cls, int which)
{
    s->cls[cls].n[which]++;
}

/* ---- flight.c: single-flight loads ---- */
struct daoc__cache_flight {
    daoc__cache_flight *next; /* in the shard's list, under its lock */
    uint64_t hash;
    char *key;
    size_t keylen;
    atomic_uint refs; /* the loading caller + each waiter */
    bool invalidated; /* under the shard lock: store nothing when done */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;  /* under mu */
    int status; /* the answer, set before done */
    int level;
    struct daoc_cache_ref *result; /* one reference held by the flight */
    char err[256];
};
/* Under the shard lock: the flight of key, or NULL. */
daoc__cache_flight *daoc__cache_flight_find(daoc__cache_shard *s, uint64_t h, const char *key,
                                            size_t len);
/* Under the shard lock: a new flight for key, linked into s, one reference
 * (the caller's).  NULL on ENOMEM. */
daoc__cache_flight *daoc__cache_flight_start(daoc__cache_shard *s, uint64_t h, const char *key,
                                             size_t len);
/* Under the shard lock: unlinks f from s. */
void daoc__cache_flight_unlink(daoc__cache_shard *s, daoc__cache_flight *f);
/* Publishes the answer (takes a reference on result when not NULL) and
 * wakes the waiters. */
void daoc__cache_flight_finish(daoc__cache_flight *f, int status, int level,
                               struct daoc_cache_ref *result, const char *err);
/* Waits for the answer. */
void daoc__cache_flight_wait(daoc__cache_flight *f);
void daoc__cache_flight_release(daoc__cache_flight *f);

#endif
