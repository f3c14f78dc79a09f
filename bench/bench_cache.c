/*
 * bench_cache.c -- what a hit of the entity cache costs from C, against
 * the careful hand-written baseline: a bare open-addressing hash table
 * (linear probing, power of two, load <= 0.5, slots {hash, entry*},
 * entries {32-byte key, len, value*}, the same 64-bit hash, memcmp to
 * verify) holding the same keys.
 *
 *   build/bench/bench_cache [ROUNDS] [OPS]
 *
 * Keys are Kong cache keys of 32 bytes ("consumers:" + 22 characters), at
 * 10k and 1M keys.  Queries are separate copies of the keys (so neither
 * side compares a pointer with itself) in a shuffled order; each round
 * runs OPS lookups (default 2M) per thread, with 1 thread and with 2
 * threads at once on the same table / cache (the figure is wall time per
 * lookup per thread), in two modes: throughput (independent lookups, which
 * the CPU overlaps as far as its window of instructions reaches: the bare
 * table's best case) and latency (each lookup needs
 * the previous one's answer, as one lookup among a request's other work).
 * Both sides get the key's length at run time, as a cache of Kong's keys
 * (whose lengths vary) does: with the length a constant, GCC specialises
 * the baseline's hash and memcmp to 32 bytes (65 instructions a lookup
 * instead of 110, callgrind), which no table of such keys can do.
 * A cache hit is daoc_cache_get (hash, shard sequence count, probe, hazard
 * slot, deadline, CLOCK bit, the thread's hit counter) + daoc_cache_value
 * + daoc_cache_release.  Reported: the median ns per lookup of each side and
 * their ratio (cache / baseline; the goal is <= 2.0).  Also the cost of
 * the two monotonic clocks the cache could read.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daoc.h"

#define BENCH_NAME "bench_cache"
#include "bench_util.h"

#define KEYLEN 32

/* ---- the baseline ---- */
static inline uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}
static uint64_t seed = 0x5eed5eed12345678ull; /* as the cache's random one */
static inline uint64_t word(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}
/* the cache's hash (src/cache/cache.h), for keys of 16 bytes or more */
static inline uint64_t hash(const char *key, size_t len)
{
    const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull;
    uint64_t h = k0 ^ seed ^ (len * k1);
    for (size_t i = 0; i + 16 < len; i += 16) {
        h = mix(h ^ word(key + i), k1);
        h = mix(h ^ word(key + i + 8), k1);
    }
    h = mix(h ^ word(key + len - 16), k1);
    return mix(h ^ word(key + len - 8) ^ k0, k1 ^ len);
}

typedef struct entry {
    char key[KEYLEN];
    size_t len;
    void *value;
} entry;
typedef struct slot {
    uint64_t hash;
    entry *e;
} slot;
typedef struct table {
    slot *slots;
    size_t mask;
} table;

static void table_put(table *t, entry *e)
{
    uint64_t h = hash(e->key, e->len);
    size_t i = h & t->mask;
    while (t->slots[i].e)
        i = (i + 1) & t->mask;
    t->slots[i].hash = h;
    t->slots[i].e = e;
}

static inline entry *table_get(const table *t, const char *key, size_t len)
{
    uint64_t h = hash(key, len);
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        const slot *s = &t->slots[i];
        if (!s->e)
            return NULL;
        if (s->hash == h && s->e->len == len && memcmp(s->e->key, key, len) == 0)
            return s->e;
    }
}

/* ---- workload ---- */
typedef struct work {
    const table *t;
    daoc_cache *c;
    char **queries; /* nq copies, shuffled */
    size_t nq;
    size_t len; /* KEYLEN, known at run time only, as a cache's key lengths are */
    size_t ops, start;
    int dep; /* latency mode: each lookup waits for the previous one's answer */
    uint64_t sink;
    double secs;
} work;

/* Both loops read the work's fields into locals first: the cache's calls
 * would otherwise make the compiler load them again on every lookup (w is
 * reachable from other threads), which the inlined baseline never does.
 * The mode is a constant in each copy of a loop: with it a variable, GCC
 * may make the next query's index a conditional move on the answer, so
 * that throughput mode waits for each lookup as latency mode does. */
__attribute__((always_inline)) static inline void base_loop(work *w, const int dep)
{
    const table *t = w->t;
    char *const *queries = w->queries;
    const size_t nq = w->nq, len = w->len, ops = w->ops;
    uint64_t sink = 0;
    double t0 = now();
    for (size_t i = 0, q = w->start; i < ops; i++) {
        const entry *e = table_get(t, queries[q], len);
        sink += (uintptr_t)e->value;
        /* the top bit of a user-space pointer is 0, which the CPU cannot
         * know before the load: in latency mode the next query waits */
        q += dep ? 1 + ((uintptr_t)e->value >> 63) : 1;
        if (q >= nq)
            q = 0;
    }
    w->secs = now() - t0;
    w->sink = sink;
}

static void *run_base(void *arg)
{
    work *w = arg;
    if (w->dep)
        base_loop(w, 1);
    else
        base_loop(w, 0);
    return NULL;
}

__attribute__((always_inline)) static inline void cache_loop(work *w, const int dep)
{
    daoc_cache *c = w->c;
    char *const *queries = w->queries;
    const size_t nq = w->nq, len = w->len, ops = w->ops;
    uint64_t sink = 0;
    double t0 = now();
    for (size_t i = 0, q = w->start; i < ops; i++) {
        daoc_cache_ref *r = NULL;
        if (daoc_cache_get(c, queries[q], len, NULL, NULL, NULL, &r, NULL, NULL) != DAOC_OK || !r)
            die("daoc_cache_get", "not a hit");
        const daoc_value *v = daoc_cache_value(r);
        sink += (uintptr_t)v;
        daoc_cache_release(r);
        q += dep ? 1 + ((uintptr_t)v >> 63) : 1;
        if (q >= nq)
            q = 0;
    }
    w->secs = now() - t0;
    w->sink = sink;
}

static void *run_cache(void *arg)
{
    work *w = arg;
    if (w->dep)
        cache_loop(w, 1);
    else
        cache_loop(w, 0);
    return NULL;
}

/* ns per lookup per thread, with nthreads running at once */
static double measure(void *(*fn)(void *), const table *t, daoc_cache *c, char **queries,
                      size_t nq, size_t ops, int nthreads, int dep)
{
    work w[2];
    pthread_t th[2];
    for (int i = 0; i < nthreads; i++) {
        w[i] = (work){.t = t, .c = c, .queries = queries, .nq = nq, .len = KEYLEN, .ops = ops,
                      .start = (size_t)i * (nq / 2), .dep = dep};
        if (pthread_create(&th[i], NULL, fn, &w[i]) != 0)
            die("pthread_create", "failed");
    }
    double worst = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(th[i], NULL);
        if (w[i].secs > worst)
            worst = w[i].secs;
    }
    return worst / (double)ops * 1e9;
}

static double clock_cost(clockid_t id)
{
    struct timespec ts;
    long sum = 0;
    double t0 = now();
    for (int i = 0; i < 1000000; i++) {
        clock_gettime(id, &ts);
        sum += ts.tv_nsec;
    }
    double d = now() - t0;
    return sum == 42 ? 0 : d / 1e6 * 1e9;
}

static void one_size(size_t nkeys, int rounds, size_t ops)
{
    /* keys, their entries and the cache */
    unsigned long long st = 0x12345678ull + nkeys;
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    entry *ents = calloc(nkeys, sizeof *ents);
    size_t cap = 16;
    while (cap < nkeys * 2)
        cap *= 2;
    table t = {calloc(cap, sizeof(slot)), cap - 1};
    daoc_cache_opts o = daoc_cache_opts_default();
    o.mem_size = (size_t)2 << 30;
    daoc_cache *c = NULL;
    daoc_error *err = NULL;
    if (!ents || !t.slots || daoc_cache_new(&o, &c, &err) != DAOC_OK)
        die_err("setup", err);
    daoc_value *v = daoc_int(7);
    for (size_t i = 0; i < nkeys; i++) {
        memcpy(ents[i].key, "consumers:", 10);
        for (int j = 10; j < KEYLEN; j++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            ents[i].key[j] = alpha[(st >> 33) % 62];
        }
        ents[i].len = KEYLEN;
        ents[i].value = &ents[i];
        table_put(&t, &ents[i]);
        if (daoc_cache_set(c, ents[i].key, KEYLEN, v, NULL, &err) != DAOC_OK)
            die_err("daoc_cache_set", err);
    }
    daoc_value_free(v);
    /* queries: copies of the keys in a shuffled order, laid out one after
     * the other (at least 1Mi of them, reused cyclically), so that reading
     * the next query is a sequential read and only the lookup is random */
    size_t nq = nkeys < ((size_t)1 << 20) ? ((size_t)1 << 20) : nkeys;
    size_t *perm = malloc(nq * sizeof *perm);
    char *qbuf = malloc(nq * KEYLEN);
    char **queries = malloc(nq * sizeof *queries);
    if (!perm || !qbuf || !queries)
        die("malloc", "queries");
    for (size_t i = 0; i < nq; i++)
        perm[i] = i % nkeys;
    for (size_t i = nq - 1; i > 0; i--) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t j = (size_t)((st >> 17) % (i + 1)), x = perm[i];
        perm[i] = perm[j];
        perm[j] = x;
    }
    for (size_t i = 0; i < nq; i++) {
        memcpy(qbuf + i * KEYLEN, ents[perm[i]].key, KEYLEN);
        queries[i] = qbuf + i * KEYLEN;
    }
    free(perm);
    for (int dep = 0; dep <= 1; dep++)
        for (int nt = 1; nt <= 2; nt++) {
            double *b = calloc((size_t)rounds, sizeof *b), *k = calloc((size_t)rounds, sizeof *k);
            measure(run_base, &t, c, queries, nq, ops / 4, nt, dep); /* warm up */
            measure(run_cache, &t, c, queries, nq, ops / 4, nt, dep);
            for (int r = 0; r < rounds; r++) {
                b[r] = measure(run_base, &t, c, queries, nq, ops, nt, dep);
                k[r] = measure(run_cache, &t, c, queries, nq, ops, nt, dep);
            }
            double mb = median(b, rounds), mk = median(k, rounds);
            printf("hit, %7zu keys, %d thread%s, %s: baseline %6.1f ns  cache %6.1f ns  "
                   "ratio %.2f\n",
                   nkeys, nt, nt > 1 ? "s" : " ", dep ? "latency   " : "throughput", mb, mk,
                   mk / mb);
            free(b);
            free(k);
        }
    daoc_cache_free(c);
    free(queries);
    free(qbuf);
    free(t.slots);
    free(ents);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    size_t ops = argc > 2 ? (size_t)atol(argv[2]) : 2000000;
    if (rounds < 1 || ops < 1000)
        die("usage", "bench_cache [ROUNDS >= 1] [OPS >= 1000]");
    printf("clock_gettime: MONOTONIC %.1f ns, MONOTONIC_COARSE %.1f ns\n",
           clock_cost(CLOCK_MONOTONIC), clock_cost(CLOCK_MONOTONIC_COARSE));
    one_size(10000, rounds, ops);
    one_size(1000000, rounds, ops);
    return 0;
}
