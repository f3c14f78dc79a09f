/*
 * cache.c -- the entity cache's public calls (daoc_cache_* in daoc.h):
 * creating and freeing it, entries and references, and the mlcache
 * operations on top of shard.c (table, eviction), flight.c (single-flight
 * loads) and stats.c (counters).  The hit path takes no lock and writes
 * only its own thread's record (hazard.h, hits.h): hash, read the shard's
 * sequence count, probe, name the entry in a hazard slot, check the count
 * did not move, check the deadline, count the hit on the thread -- no
 * copy, no allocation, no shared write.  Anything else takes the shard's
 * lock.  A miss runs the loader with no lock held; what it answers is
 * stored (ttl, or neg_ttl for "not found") unless the key was invalidated,
 * set or purged meanwhile.
 */
#include <math.h>

#include "cache/cache.h"
#include "cache/hazard.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/rand.h"
#include "core/value.h"

#define ENTRY_OVERHEAD 16 /* malloc's, roughly: counted against the bound */
_Static_assert(sizeof(struct daoc_cache_ref) == 40, "an entry's fields take 40 bytes (cache.h)");

daoc_cache_opts daoc_cache_opts_default(void)
{
    daoc_cache_opts o;
    memset(&o, 0, sizeof o);
    o.mem_size = (size_t)128 << 20;
    o.resurrect_ttl = 30;
    o.shards = 64;
    return o;
}

static bool bad_time(double t)
{
    return isnan(t) || t < 0;
}

/* A thread's hits of key (shard << 8 | class) move to the shard's class;
 * with the hits mutex held. */
static void flush_hits(daoc__hits_owner *o, uint32_t key, uint64_t n)
{
    daoc_cache *c = (daoc_cache *)(void *)o;
    uint32_t si = key >> 8, cls = key & 255;
    if (si >= c->nshards)
        return;
    daoc__cache_shard *s = &c->shards[si];
    daoc__cache_lock(s);
    if (cls < s->ncls)
        s->cls[cls].n[DAOC__CS_HITS] += n;
    daoc__cache_unlock(s);
}

int daoc_cache_new(const daoc_cache_opts *opts, daoc_cache **out, daoc_error **err)
{
    daoc__err_reset(err);
    if (!out)
        return daoc__err_fail(err, DAOC_EINVAL, "out must not be NULL");
    *out = NULL;
    daoc_cache_opts o = opts ? *opts : daoc_cache_opts_default();
    if (!o.mem_size)
        o.mem_size = (size_t)128 << 20;
    if (!o.shards)
        o.shards = 64;
    if (bad_time(o.ttl) || bad_time(o.neg_ttl) || bad_time(o.resurrect_ttl))
        return daoc__err_fail(err, DAOC_EINVAL, "ttl, neg_ttl and resurrect_ttl must be >= 0");
    if (o.shards > 1024)
        return daoc__err_fail(err, DAOC_EINVAL, "at most 1024 shards (got %u)", o.shards);
    if (o.mem_size < 4096)
        return daoc__err_fail(err, DAOC_EINVAL, "mem_size must be at least 4096 bytes (got %zu)",
                              o.mem_size);
    unsigned n = 1;
    while (n < o.shards)
        n *= 2;
    while (n > 1 && o.mem_size / n < 4096) /* each shard holds at least 4k */
        n /= 2;
    o.shards = n;
    daoc_cache *c = daoc__calloc(1, sizeof *c);
    daoc__cache_shard *sh = c ? daoc__calloc(n, sizeof *sh) : NULL;
    if (!sh) {
        daoc__free(c);
        return DAOC_ENOMEM;
    }
    c->shards = sh;
    c->nshards = n;
    c->shard_mask = n - 1;
    c->opts = o;
    c->hits.flush = flush_hits;
    daoc__hits_register(&c->hits);
    char rnd[17];
    if (daoc__random_string(rnd, 16) == DAOC_OK) /* else the fixed constants alone */
        c->seed = daoc__cache_hash(0, rnd, 16);
    for (unsigned i = 0; i < n; i++) {
        atomic_init(&sh[i].lock, 0);
        sh[i].hit_tag = daoc__hits_tag(c->hits.id, daoc__hits_key(i, 0));
        sh[i].limit = o.mem_size / n;
        if (daoc__cache_shard_stats_init(&sh[i]) != DAOC_OK) {
            daoc_cache_free(c);
            return DAOC_ENOMEM;
        }
    }
    *out = c;
    return DAOC_OK;
}

void daoc_cache_free(daoc_cache *c)
{
    if (!c)
        return;
    if (c->hits.id)
        daoc__hits_unregister(&c->hits);
    for (unsigned i = 0; i < c->nshards; i++)
        daoc__cache_shard_free(&c->shards[i]);
    daoc__free(c->shards);
    daoc__free(c);
    daoc__hz_flush(); /* what no reference holds goes now */
}

/* ---- entries and references ---- */

struct daoc_cache_ref *daoc__cache_entry_new(const char *key, size_t len, uint64_t h,
                                             daoc_value *value)
{
    struct daoc_cache_ref *e = daoc__malloc(sizeof *e + len);
    if (!e) {
        daoc_value_free(value);
        return NULL;
    }
    memset(e, 0, sizeof *e);
    atomic_init(&e->refs, 1);
    e->keylen = (uint32_t)len;
    e->value = value;
    size_t bytes = sizeof *e + len + ENTRY_OVERHEAD + daoc__value_bytes(value);
    e->bytes = bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
    memcpy(e->key, key, len);
    return e;
}

/* The reclaimer's half: e goes when no counted reference holds it
 * either. */
static bool reclaim_entry(void *p)
{
    struct daoc_cache_ref *e = p;
    if (atomic_load_explicit(&e->refs, memory_order_acquire) != 0)
        return false;
    daoc_value_free(e->value);
    daoc__free(e);
    return true;
}

void daoc__cache_entry_retire(struct daoc_cache_ref *e)
{
    daoc__hz_retire(e, reclaim_entry);
}

const daoc_value *daoc_cache_value(const daoc_cache_ref *ref)
{
    return ref ? daoc__cache_entry_of(ref)->value : NULL;
}

void daoc_cache_release(daoc_cache_ref *ref)
{
    if (!ref)
        return;
    if ((uintptr_t)ref & 1) { /* borrowed: its hazard slot goes free */
        atomic_store_explicit((void *_Atomic *)((uintptr_t)ref - 1), NULL,
                              memory_order_release);
        return;
    }
    if (atomic_fetch_sub_explicit(&ref->refs, 1, memory_order_acq_rel) == 1)
        daoc__cache_entry_retire(ref);
}

daoc_cache_ref *daoc_cache_keep(daoc_cache_ref *ref)
{
    if (!ref || !((uintptr_t)ref & 1))
        return ref;
    struct daoc_cache_ref *e = daoc__cache_entry_of(ref), *out = e;
    /* the hazard keeps e alive; a count already at 0 stays there (e is
     * retired), so the caller gets a copy of it instead */
    unsigned n = atomic_load_explicit(&e->refs, memory_order_relaxed);
    while (n && !atomic_compare_exchange_weak_explicit(&e->refs, &n, n + 1, memory_order_relaxed,
                                                       memory_order_relaxed))
        ;
    if (!n) {
        daoc_value *v = daoc_value_copy(e->value);
        out = v ? daoc__cache_entry_new(e->key, e->keylen, 0, v) : NULL;
        if (out)
            out->expires = atomic_load_explicit(&e->expires, memory_order_relaxed);
    }
    daoc_cache_release(ref);
    return out;
}

/* Hands the caller's reference on e out as the public answer: a cached
 * miss is no reference at all. */
static void answer(struct daoc_cache_ref *e, daoc_cache_ref **ref)
{
    if (e && !e->value) {
        daoc_cache_release(e);
        e = NULL;
    }
    *ref = e;
}

/* ---- options ---- */

typedef struct eff {
    double ttl, neg_ttl, res, refresh;
} eff;

static inline int resolve(const daoc_cache *c, const daoc_cache_get_opts *o, eff *e)
{
    e->ttl = c->opts.ttl;
    e->neg_ttl = c->opts.neg_ttl;
    e->res = c->opts.resurrect_ttl;
    e->refresh = 0;
    if (!o)
        return DAOC_OK;
    if (isnan(o->ttl) || isnan(o->neg_ttl) || isnan(o->resurrect_ttl) || isnan(o->refresh))
        return DAOC_EINVAL;
    if (o->ttl >= 0)
        e->ttl = o->ttl;
    if (o->neg_ttl >= 0)
        e->neg_ttl = o->neg_ttl;
    if (o->resurrect_ttl >= 0)
        e->res = o->resurrect_ttl;
    if (o->refresh > 0)
        e->refresh = o->refresh;
    return DAOC_OK;
}

static int check_key(const daoc_cache *c, const char *key, size_t len, daoc_error **err)
{
    if (!c || !key || !len || len > UINT32_MAX)
        return daoc__err_fail(err, DAOC_EINVAL, "%s",
                              !c ? "cache must not be NULL" : "key must be a non-empty string");
    return DAOC_OK;
}

/* The checks get, renew and set begin with: the key, then the options
 * resolved into *e. */
static int key_and_opts(const daoc_cache *c, const char *key, size_t len,
                        const daoc_cache_get_opts *opts, eff *e, daoc_error **err)
{
    int rc = check_key(c, key, len, err);
    if (rc == DAOC_OK && resolve(c, opts, e) != DAOC_OK)
        rc = daoc__err_fail(err, DAOC_EINVAL, "cache options must not be NaN");
    return rc;
}

/* A hit on live entry x (s locked): its CLOCK bit and its class's count
 * (the lock-free hits count on their thread instead: hits.h). */
static inline void count_hit(daoc__cache_shard *s, struct daoc_cache_ref *x)
{
    daoc__cache_mark_used(x);
    daoc__cache_count(s, x->cls, DAOC__CS_HITS);
}

/* ---- loading ---- */

/* Runs the loader, then, under the shard lock, stores its answer (unless
 * f was invalidated) or, when it failed and resurrect allows, serves the
 * stale entry of key again for e->res seconds.  *result receives a
 * reference for the caller (NULL when there is no answer) and *level 3 or
 * 4 (1 when a live entry turned up after a failed load).  Finishes f when
 * given.  Returns the load's status (DAOC_OK after a resurrection). */
/* The ttl a running loader gave its value (daoc_cache_load_ttl), per
 * thread: a loader runs on its caller's thread; a load inside a loader (of
 * another key) keeps the outer one's. */
static _Thread_local bool tl_has_ttl;
static _Thread_local double tl_ttl;

void daoc_cache_load_ttl(double ttl)
{
    if (ttl != ttl)
        return; /* NaN: no override */
    tl_has_ttl = true;
    tl_ttl = ttl;
}

static int load_and_store(daoc__cache_shard *s, uint64_t h, const char *key, size_t len,
                          const eff *e, daoc_cache_loader_fn loader, void *ud,
                          daoc__cache_flight *f, bool resurrect, struct daoc_cache_ref **result,
                          int *level, char *errtext, size_t errlen)
{
    daoc_value *v = NULL;
    errtext[0] = 0;
    bool outer_has = tl_has_ttl;
    double outer_ttl = tl_ttl;
    tl_has_ttl = false;
    int rc = loader(ud, key, len, &v, errtext, errlen);
    bool has_ttl = tl_has_ttl;
    double ttl = tl_ttl;
    tl_has_ttl = outer_has;
    tl_ttl = outer_ttl;
    errtext[errlen - 1] = 0;
    if (rc != DAOC_OK) {
        daoc_value_free(v);
        v = NULL;
        if (rc > 0)
            rc = DAOC_ESTORE;
    }
    struct daoc_cache_ref *ne = NULL;
    if (rc == DAOC_OK && !(ne = daoc__cache_entry_new(key, len, h, v)))
        rc = DAOC_ENOMEM;
    *result = NULL;
    *level = 3;
    int64_t now = daoc__cache_now();
    daoc__cache_lock(s);
    uint32_t cls = daoc__cache_class_of(s, key, len);
    daoc__cache_count(s, cls, DAOC__CS_LOADS);
    struct daoc_cache_ref *old = daoc__cache_find(s, h, key, len);
    if (rc == DAOC_OK && !f) {
        /* renew: a get's load running for key started before this one
         * ended; its answer goes to its callers, this value stays */
        daoc__cache_flight *running = daoc__cache_flight_find(s, h, key, len);
        if (running)
            running->invalidated = true;
    }
    if (rc == DAOC_OK) {
        ne->cls = (uint8_t)cls;
        ne->expires = daoc__cache_deadline(now, has_ttl && ttl >= 0 ? ttl
                                                : ne->value         ? e->ttl
                                                                    : e->neg_ttl);
        /* a negative ttl from the loader: answered, not stored (mlcache) */
        if (!(f && f->invalidated) && !(has_ttl && ttl < 0))
            (void)daoc__cache_install(s, ne, h, now); /* ENOMEM: answered, not stored */
        *result = ne;
    } else {
        daoc__cache_count(s, cls, DAOC__CS_LOAD_ERRORS);
        if (old && resurrect && rc != DAOC_ENOMEM) {
            bool live = !old->expires || now < old->expires;
            if (!live && e->res > 0) {
                old->expires = daoc__cache_deadline(now, e->res);
                old->stale = 1;
                old->used = 1;
                daoc__cache_count(s, old->cls, DAOC__CS_STALE);
                *level = 4;
            } else if (live) {
                *level = 1;
            }
            if (live || e->res > 0) {
                daoc__cache_ref_take(old);
                *result = old;
                rc = DAOC_OK;
            }
        }
    }
    if (f)
        daoc__cache_flight_unlink(s, f);
    daoc__cache_unlock(s);
    if (f)
        daoc__cache_flight_finish(f, rc, *level, *result, errtext);
    return rc;
}

static int load_failed(daoc_error **err, int rc, const char *text)
{
    return daoc__err_fail(err, rc, "%s", text[0] ? text : daoc_strerror(rc));
}

/* daoc_cache_get from the lookup on, with s locked and x the entry of key
 * (or NULL): an entry that expires (the clock, the refresh window), a
 * miss (a flight to join or to start).  Unlocks s. */
__attribute__((noinline)) static int get_locked(daoc__cache_shard *s, uint64_t h, const char *key,
                                                size_t len, const eff *ep,
                                                daoc_cache_loader_fn loader, void *ud,
                                                struct daoc_cache_ref *x, daoc_cache_ref **ref,
                                                int *hit_level, daoc_error **err)
{
    eff e = *ep;
    int rc;
    int64_t now = daoc__cache_now();
    if (x && (!x->expires || now < x->expires)) {
        daoc__cache_flight *f = NULL;
        /* in the refresh window, the caller that finds no flight for the key
         * starts one and refreshes; the others keep hitting meanwhile */
        if (e.refresh > 0 && loader && x->expires &&
            x->expires - now <= (int64_t)(e.refresh * 1e9) &&
            !daoc__cache_flight_find(s, h, key, len))
            f = daoc__cache_flight_start(s, h, key, len);
        count_hit(s, x);
        daoc__cache_ref_take(x);
        daoc__cache_unlock(s);
        *hit_level = 1;
        if (!f) {
            answer(x, ref);
            return DAOC_OK;
        }
        char text[256];
        struct daoc_cache_ref *res;
        int lvl;
        rc = load_and_store(s, h, key, len, &e, loader, ud, f, true, &res, &lvl, text, sizeof text);
        daoc__cache_flight_release(f);
        if (rc == DAOC_OK) {
            daoc_cache_release(x);
            answer(res, ref);
            *hit_level = lvl;
        } else {
            answer(x, ref); /* the refresh failed: the current value stands */
        }
        return DAOC_OK;
    }
    uint32_t cls = daoc__cache_class_of(s, key, len);
    daoc__cache_count(s, cls, DAOC__CS_MISSES);
    if (!loader) {
        daoc__cache_unlock(s);
        return DAOC_OK;
    }
    daoc__cache_flight *f = daoc__cache_flight_find(s, h, key, len);
    if (f) { /* another caller is loading it: wait for its answer */
        atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
        daoc__cache_unlock(s);
        daoc__cache_flight_wait(f);
        rc = f->status;
        if (f->result)
            daoc__cache_ref_take(f->result);
        answer(f->result, ref);
        *hit_level = rc == DAOC_OK ? f->level : -1;
        if (rc != DAOC_OK)
            rc = load_failed(err, rc, f->err);
        daoc__cache_flight_release(f);
        return rc;
    }
    f = daoc__cache_flight_start(s, h, key, len);
    daoc__cache_unlock(s);
    if (!f)
        return DAOC_ENOMEM;
    char text[256];
    struct daoc_cache_ref *res;
    int lvl;
    rc = load_and_store(s, h, key, len, &e, loader, ud, f, true, &res, &lvl, text, sizeof text);
    daoc__cache_flight_release(f);
    if (rc != DAOC_OK)
        return load_failed(err, rc, text);
    answer(res, ref);
    *hit_level = lvl;
    return DAOC_OK;
}

/* daoc_cache_get for whatever its fast path below does not answer: bad
 * arguments, misses, entries that expire or are in a refresh window. */
__attribute__((noinline)) static int get_slow(daoc_cache *c, const char *key, size_t len,
                                              const daoc_cache_get_opts *opts,
                                              daoc_cache_loader_fn loader, void *ud,
                                              daoc_cache_ref **ref, int *hit_level,
                                              daoc_error **err)
{
    if (err)
        *err = NULL;
    (void)daoc__hz_self(); /* so that the thread's next hit takes the fast path */
    int lvl_dummy;
    if (!hit_level)
        hit_level = &lvl_dummy;
    *hit_level = -1;
    if (!ref)
        return daoc__err_fail(err, DAOC_EINVAL, "ref must not be NULL");
    *ref = NULL;
    eff e;
    int rc = key_and_opts(c, key, len, opts, &e, err);
    if (rc != DAOC_OK)
        return rc;
    uint64_t h = daoc__cache_hash(c->seed, key, len);
    daoc__cache_shard *s = daoc__cache_shard_of(c, h);
    daoc__cache_lock(s);
    return get_locked(s, h, key, len, &e, loader, ud, daoc__cache_find(s, h, key, len), ref,
                      hit_level, err);
}

/* Whether opts ask nothing the lock-free hit path cannot answer: valid
 * times and no refresh window. */
static inline bool plain_opts(const daoc_cache_get_opts *o)
{
    return !isnan(o->ttl) && !isnan(o->neg_ttl) && !isnan(o->resurrect_ttl) && !isnan(o->refresh) &&
           !(o->refresh > 0);
}

/* The lock-free lookup of key in s for the thread of record r: the entry
 * of key, named by hazard slot *slot (a free one of r), or NULL (no free
 * slot, the shard busy or changed meanwhile, no entry, or the first entry
 * of key's hash another key's): the caller then takes the lock.  Whether
 * the entry is still live is the caller's to check.  Writes only r.  A
 * table array that grew stays allocated as long as the cache (shard.c),
 * so the probe needs no hazard of its own.  The probe compares hashes
 * only, and the key once after it, so that its loop stays small. */
static inline struct daoc_cache_ref *find_borrowed(daoc__cache_shard *s, daoc__hz_rec *r,
                                                   uint64_t h, const char *key, size_t len,
                                                   void *_Atomic **slot)
{
    void *_Atomic *hp = r->hp;
    if (DAOC__UNLIKELY(atomic_load_explicit(hp, memory_order_relaxed))) /* the first is busy */
        do
            if (++hp == r->hp + DAOC__HZ_SLOTS)
                return NULL;
        while (atomic_load_explicit(hp, memory_order_relaxed));
    unsigned seq = atomic_load_explicit(&s->lock, memory_order_acquire);
    /* the mask, then the array: the array is at least as big as the mask */
    size_t mask = atomic_load_explicit(&s->mask, memory_order_acquire);
    daoc__cache_slot *slots = atomic_load_explicit(&s->slots, memory_order_acquire);
    if (DAOC__UNLIKELY((seq & 1) || !mask))
        return NULL;
    struct daoc_cache_ref *e;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        e = atomic_load_explicit(&slots[i].e, memory_order_acquire);
        if (DAOC__LIKELY(!e || atomic_load_explicit(&slots[i].hash, memory_order_relaxed) == h))
            break;
        /* a table at most half full ends in an empty slot; one that a
         * holder is changing meanwhile ends here */
        if (atomic_load_explicit(&s->lock, memory_order_relaxed) != seq)
            return NULL;
    }
    if (DAOC__UNLIKELY(!e))
        return NULL;
    daoc__hz_publish(hp, e);
    /* after e's acquire load: a count a holder moved before storing e is
     * seen here; an unmoved count means e was still in the table, so not
     * freed, when hp named it */
    if (DAOC__LIKELY(atomic_load_explicit(&s->lock, memory_order_seq_cst) == seq &&
                     e->keylen == len && daoc__cache_key_eq(e->key, key, len))) {
        *slot = hp;
        return e;
    }
    atomic_store_explicit(hp, NULL, memory_order_release);
    return NULL;
}

/* The end of a lock-free hit that needs a call: an entry with a deadline
 * (read the clock), or a thread hit counter that changes hands.  *ref is
 * the borrowed reference hit() found, live unless its time is past. */
__attribute__((noinline)) static int hit_called(daoc_cache *c, const char *key, size_t len,
                                                const daoc_cache_get_opts *opts,
                                                daoc_cache_loader_fn loader, void *ud,
                                                daoc_cache_ref **ref, int *hit_level,
                                                daoc_error **err)
{
    void *_Atomic *slot = (void *_Atomic *)((uintptr_t)*ref - 1);
    struct daoc_cache_ref *e = atomic_load_explicit(slot, memory_order_relaxed);
    int64_t ex = atomic_load_explicit(&e->expires, memory_order_relaxed);
    if (ex && daoc__cache_now() >= ex) { /* expired: the locked path */
        atomic_store_explicit(slot, NULL, memory_order_release);
        *ref = NULL;
        return get_slow(c, key, len, opts, loader, ud, ref, hit_level, err);
    }
    daoc__hits_count(daoc__hz_tl, e->hit_ix, e->hit_tag);
    daoc__cache_mark_used(e);
    if (!e->value) { /* a cached miss: no reference */
        atomic_store_explicit(slot, NULL, memory_order_release);
        *ref = NULL;
    }
    if (hit_level)
        *hit_level = 1;
    if (err)
        *err = NULL;
    return DAOC_OK;
}

/* What hit() answers, besides 0 (the locked path must answer). */
#define HIT_MISS ((uintptr_t)1) /* a cached miss: a hit without a reference */
#define HIT_CALL ((uintptr_t)2) /* with the borrowed reference: hit_called must end it */

/* What daoc_cache_get keeps in memory for its slow paths while hit()
 * runs: stored once before the call and read only where a slow path
 * needs them.  Kept in registers instead, the arguments were saved before
 * the call and all restored after it, on the hit path too. */
typedef struct slow_args {
    daoc_cache *c;
    const char *key;
    size_t len;
    const daoc_cache_get_opts *opts;
    daoc_cache_loader_fn loader;
    void *ud;
} slow_args;

/* An empty asm the compiler must assume reads and writes what it names,
 * so that a value named is in memory there and is read again where it is
 * used after (GCC and Clang; elsewhere nothing, and only the code's speed
 * differs). */
#if defined(__GNUC__)
#define ESCAPES(p) __asm__("" : : "r"(p) : "memory") /* *p, through p */
#define IN_MEMORY(a, b, c) __asm__("" : "+m"(a), "+m"(b), "+m"(c))
#else
#define ESCAPES(p) ((void)(p))
#define IN_MEMORY(a, b, c) ((void)0)
#endif

/* A lock-free hit of key, as few instructions as it can be (they bound how
 * many hits a CPU overlaps) and calling nothing, so that it needs few
 * registers: the entry's borrowed reference (its hazard slot | 1), or
 * HIT_MISS, or the reference | HIT_CALL, or 0.  Sets the CLOCK bit and
 * counts the hit, except for HIT_CALL.  *sa is the caller's, said to be
 * used here so that the compiler cannot see that it is not and keep its
 * values in registers after all. */
__attribute__((noinline)) static uintptr_t hit(daoc_cache *c, const char *key, size_t len,
                                               slow_args *sa)
{
    ESCAPES(sa);
    daoc__hz_rec *r = daoc__hz_tl;
    if (DAOC__UNLIKELY(!r))
        return 0;
    uint64_t h = daoc__cache_hash(c->seed, key, len);
    void *_Atomic *slot;
    struct daoc_cache_ref *e =
        find_borrowed(&c->shards[daoc__cache_shard_index(c, h)], r, h, key, len, &slot);
    if (DAOC__UNLIKELY(!e))
        return 0;
    uint8_t ix = e->hit_ix;
    if (DAOC__UNLIKELY(atomic_load_explicit(&e->expires, memory_order_relaxed) ||
                       atomic_load_explicit(&r->hit_tag[ix], memory_order_relaxed) != e->hit_tag))
        return (uintptr_t)slot | 1 | HIT_CALL;
    daoc__hits_add_one(r, ix);
    daoc__cache_mark_used(e);
    if (DAOC__LIKELY(e->value))
        return (uintptr_t)slot | 1;
    atomic_store_explicit(slot, NULL, memory_order_release); /* a cached miss */
    return HIT_MISS;
}

/* The hit path: valid arguments and no refresh window asked, hit()
 * answers a live entry with a borrowed reference; anything else goes to
 * get_slow, which looks the key up again under the lock (a miss then
 * costs a second lookup, next to its load).  ref, hit_level and err
 * (passed on the stack on x86-64) are read after the call, not held in
 * registers saved across it. */
int daoc_cache_get(daoc_cache *c, const char *key, size_t len, const daoc_cache_get_opts *opts,
                   daoc_cache_loader_fn loader, void *ud, daoc_cache_ref **ref, int *hit_level,
                   daoc_error **err)
{
    if (!(c && key && len && len <= UINT32_MAX && ref && (!opts || plain_opts(opts))))
        return get_slow(c, key, len, opts, loader, ud, ref, hit_level, err);
    slow_args a = {c, key, len, opts, loader, ud};
    uintptr_t got = hit(c, key, len, &a);
    IN_MEMORY(ref, hit_level, err);
    if (__builtin_expect(got && !(got & HIT_CALL), 1)) {
        *ref = got == HIT_MISS ? NULL : (daoc_cache_ref *)got;
        if (hit_level)
            *hit_level = 1;
        if (err)
            *err = NULL;
        return DAOC_OK;
    }
    *ref = (daoc_cache_ref *)(got & ~HIT_CALL); /* NULL for get_slow */
    return got ? hit_called(a.c, a.key, a.len, a.opts, a.loader, a.ud, ref, hit_level, err)
               : get_slow(a.c, a.key, a.len, a.opts, a.loader, a.ud, ref, hit_level, err);
}

int daoc_cache_get_bulk(daoc_cache *c, daoc_cache_bulk_item *items, size_t n)
{
    if (!items && n)
        return DAOC_EINVAL;
    int first = DAOC_OK;
    for (size_t i = 0; i < n; i++) {
        daoc_cache_bulk_item *it = &items[i];
        it->status = daoc_cache_get(c, it->key, it->keylen, it->opts, it->loader, it->ud, &it->ref,
                                    &it->hit_level, &it->err);
        if (it->status != DAOC_OK && first == DAOC_OK)
            first = it->status;
    }
    return first;
}

int daoc_cache_renew(daoc_cache *c, const char *key, size_t len, const daoc_cache_get_opts *opts,
                     daoc_cache_loader_fn loader, void *ud, daoc_cache_ref **ref, daoc_error **err)
{
    daoc__err_reset(err);
    if (!ref || !loader)
        return daoc__err_fail(err, DAOC_EINVAL, "ref and loader must not be NULL");
    *ref = NULL;
    eff e;
    int rc = key_and_opts(c, key, len, opts, &e, err);
    if (rc != DAOC_OK)
        return rc;
    uint64_t h = daoc__cache_hash(c->seed, key, len);
    char text[256];
    struct daoc_cache_ref *res;
    int lvl;
    rc = load_and_store(daoc__cache_shard_of(c, h), h, key, len, &e, loader, ud, NULL, false, &res,
                        &lvl, text, sizeof text);
    if (rc != DAOC_OK)
        return load_failed(err, rc, text);
    answer(res, ref);
    return DAOC_OK;
}

/* ---- direct access ---- */

bool daoc_cache_still(daoc_cache *c, const daoc_cache_ref *r)
{
    if (!c || !r)
        return false;
    const struct daoc_cache_ref *ref = daoc__cache_entry_of(r);
    uint64_t h = daoc__cache_hash(c->seed, ref->key, ref->keylen);
    daoc__cache_shard *s = daoc__cache_shard_of(c, h);
    int64_t now = daoc__cache_now();
    daoc__cache_lock(s);
    struct daoc_cache_ref *x = daoc__cache_find(s, h, ref->key, ref->keylen);
    bool live = x == ref && (!x->expires || now < x->expires);
    if (live)
        count_hit(s, x); /* a hit, as daoc_cache_get counts one */
    daoc__cache_unlock(s);
    return live;
}

int daoc_cache_peek(daoc_cache *c, const char *key, size_t len, daoc_cache_ref **ref, double *ttl,
                    bool *stale)
{
    if (ref)
        *ref = NULL;
    if (check_key(c, key, len, NULL) != DAOC_OK)
        return DAOC_EINVAL;
    uint64_t h = daoc__cache_hash(c->seed, key, len);
    daoc__cache_shard *s = daoc__cache_shard_of(c, h);
    int64_t now = daoc__cache_now();
    daoc__cache_lock(s);
    struct daoc_cache_ref *x = daoc__cache_find(s, h, key, len);
    if (!x) {
        daoc__cache_unlock(s);
        return DAOC_ENOTFOUND;
    }
    if (ttl)
        *ttl = x->expires ? (double)(x->expires - now) / 1e9 : 0;
    if (stale)
        *stale = x->stale || (x->expires && x->expires <= now);
    if (ref && x->value) {
        daoc__cache_ref_take(x);
        *ref = x;
    }
    daoc__cache_unlock(s);
    return DAOC_OK;
}

int daoc_cache_set(daoc_cache *c, const char *key, size_t len, const daoc_value *value,
                   const daoc_cache_get_opts *opts, daoc_error **err)
{
    daoc__err_reset(err);
    eff e;
    int rc = key_and_opts(c, key, len, opts, &e, err);
    if (rc != DAOC_OK)
        return rc;
    daoc_value *copy = NULL;
    if (value && !(copy = daoc_value_copy(value)))
        return DAOC_ENOMEM;
    uint64_t h = daoc__cache_hash(c->seed, key, len);
    struct daoc_cache_ref *ne = daoc__cache_entry_new(key, len, h, copy);
    if (!ne)
        return DAOC_ENOMEM;
    daoc__cache_shard *s = daoc__cache_shard_of(c, h);
    int64_t now = daoc__cache_now();
    daoc__cache_lock(s);
    ne->cls = (uint8_t)daoc__cache_class_of(s, key, len);
    ne->expires = daoc__cache_deadline(now, copy ? e.ttl : e.neg_ttl);
    daoc__cache_flight *f = daoc__cache_flight_find(s, h, key, len);
    if (f)
        f->invalidated = true; /* a load under way is older than this value */
    rc = daoc__cache_install(s, ne, h, now);
    daoc__cache_unlock(s);
    daoc_cache_release(ne);
    return rc;
}

bool daoc_cache_invalidate_local(daoc_cache *c, const char *key, size_t len)
{
    if (check_key(c, key, len, NULL) != DAOC_OK)
        return false;
    uint64_t h = daoc__cache_hash(c->seed, key, len);
    daoc__cache_shard *s = daoc__cache_shard_of(c, h);
    daoc__cache_lock(s);
    daoc__cache_flight *f = daoc__cache_flight_find(s, h, key, len);
    if (f)
        f->invalidated = true;
    bool had = daoc__cache_remove(s, h, key, len);
    if (had)
        daoc__cache_count(s, daoc__cache_class_of(s, key, len), DAOC__CS_INVALIDATIONS);
    daoc__cache_unlock(s);
    return had;
}

bool daoc_cache_invalidate(daoc_cache *c, const char *key, size_t len)
{
    bool had = daoc_cache_invalidate_local(c, key, len);
    if (c && key && len && c->opts.on_invalidate)
        c->opts.on_invalidate(c->opts.on_invalidate_ud, key, len);
    return had;
}

void daoc_cache_purge(daoc_cache *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->nshards; i++) {
        daoc__cache_shard *s = &c->shards[i];
        daoc__cache_lock(s);
        for (daoc__cache_flight *f = s->flights; f; f = f->next)
            f->invalidated = true;
        daoc__cache_clear(s);
        daoc__cache_unlock(s);
    }
}
