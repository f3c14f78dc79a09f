/*
 * test_cache.c -- the entity cache (src/cache/, daoc_cache_* in daoc.h):
 * Kong's size syntax, ttl expiry, cached misses (neg_ttl), resurrection of
 * a stale value after a loader error, the single refresher of the refresh
 * window, invalidate_local / invalidate and its hook, purge, the byte
 * bound under eviction, the counters per entity class, get_bulk, hits that
 * share one immutable value, and single-flight loading: 1000 threads
 * missing one key at once cause exactly one load.  Also run by make test
 * under ThreadSanitizer (build/tsan).
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "daoc.h"
#include "harness.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* a loader: counts its runs, answers ud->answer (a string, NULL = not
 * found) or fails with ud->fail's text */
typedef struct ld {
    atomic_int runs;
    const char *answer;
    const char *fail;
} ld;

static int load_fn(void *ud, const char *key, size_t keylen, daoc_value **value, char *err,
                   size_t errlen)
{
    ld *l = ud;
    atomic_fetch_add(&l->runs, 1);
    if (l->fail) {
        snprintf(err, errlen, "%s", l->fail);
        return DAOC_ESTORE;
    }
    *value = l->answer ? daoc_str(l->answer) : NULL;
    return DAOC_OK;
}

static daoc_cache *mk(double ttl, double neg_ttl, double res, size_t mem, unsigned shards)
{
    daoc_cache_opts o = daoc_cache_opts_default();
    o.ttl = ttl;
    o.neg_ttl = neg_ttl;
    o.resurrect_ttl = res;
    if (mem)
        o.mem_size = mem;
    if (shards)
        o.shards = shards;
    daoc_cache *c = NULL;
    daoc_error *e = NULL;
    if (daoc_cache_new(&o, &c, &e) != DAOC_OK) {
        daoc_error_free(e);
        return NULL;
    }
    return c;
}

/* get through a loader: returns the string value ("(miss)" for none) in buf */
static int get_s(daoc_cache *c, const char *key, const daoc_cache_get_opts *o, ld *l, char *buf,
                 size_t n, int *lvl)
{
    daoc_cache_ref *r = NULL;
    daoc_error *e = NULL;
    int rc = daoc_cache_get(c, key, strlen(key), o, l ? load_fn : NULL, l, &r, lvl, &e);
    if (rc != DAOC_OK)
        snprintf(buf, n, "error %s: %s", daoc_status_name(rc), e ? daoc_error_message(e) : "-");
    else if (!r)
        snprintf(buf, n, "(miss)");
    else
        snprintf(buf, n, "%s", daoc_value_str(daoc_cache_value(r), NULL));
    daoc_cache_release(r);
    daoc_error_free(e);
    return rc;
}

static long long stat_of(daoc_cache *c, const char *cls, const char *name)
{
    daoc_value *s = NULL;
    if (daoc_cache_stats(c, &s) != DAOC_OK)
        return -1;
    const daoc_value *o = s;
    if (cls)
        o = daoc_obj_get(daoc_obj_get(s, "classes"), cls);
    const daoc_value *v = o ? daoc_obj_get(o, name) : NULL;
    long long r = v ? daoc_value_int(v) : -2;
    daoc_value_free(s);
    return r;
}

TEST(parse_size)
{
    size_t n = 1;
    ASSERT_INT(daoc_cache_parse_size("128m", &n), DAOC_OK);
    ASSERT_INT(n, 128ll << 20);
    ASSERT_INT(daoc_cache_parse_size("512k", &n), DAOC_OK);
    ASSERT_INT(n, 512ll << 10);
    ASSERT_INT(daoc_cache_parse_size("1G", &n), DAOC_OK);
    ASSERT_INT(n, 1ll << 30);
    ASSERT_INT(daoc_cache_parse_size("4096", &n), DAOC_OK);
    ASSERT_INT(n, 4096);
    const char *bad[] = {"", "m", "12x", "-1", "1mb", " 1m", "1.5m", "2048g", NULL};
    for (int i = 0; bad[i]; i++) {
        n = 7;
        ASSERT_INT(daoc_cache_parse_size(bad[i], &n), DAOC_EINVAL);
        ASSERT_INT(n, 7);
    }
}

TEST(bad_options)
{
    daoc_cache_opts o = daoc_cache_opts_default();
    o.ttl = -1;
    daoc_cache *c = NULL;
    daoc_error *e = NULL;
    ASSERT_INT(daoc_cache_new(&o, &c, &e), DAOC_EINVAL);
    ASSERT_NULL(c);
    ASSERT_NOT_NULL(e);
    daoc_error_free(e);
    e = NULL;
    o = daoc_cache_opts_default();
    o.shards = 4096;
    ASSERT_INT(daoc_cache_new(&o, &c, &e), DAOC_EINVAL);
    daoc_error_free(e);
    /* NaN options are refused on a hit too (a hit that never expires is
     * answered before the options are resolved) */
    c = mk(0, 0, 0, 0, 0);
    ld l = {.answer = "v"};
    char b[16];
    int lvl;
    ASSERT_INT(get_s(c, "consumers:n", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    daoc_cache_get_opts go = DAOC_CACHE_GET_OPTS_INIT;
    go.refresh = NAN;
    daoc_cache_ref *r = NULL;
    e = NULL;
    ASSERT_INT(daoc_cache_get(c, "consumers:n", 11, &go, NULL, NULL, &r, &lvl, &e), DAOC_EINVAL);
    ASSERT_NULL(r);
    ASSERT_INT(lvl, -1);
    ASSERT_NOT_NULL(e);
    daoc_error_free(e);
    daoc_cache_free(c);
}

TEST(ttl_expiry)
{
    daoc_cache *c = mk(0.05, 0, 0, 0, 0);
    ASSERT_NOT_NULL(c);
    ld l = {.answer = "v1"};
    char b[128];
    int lvl = 0;
    ASSERT_INT(get_s(c, "consumers:a", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_STR(b, "v1");
    ASSERT_INT(lvl, 3);
    l.answer = "v2";
    ASSERT_INT(get_s(c, "consumers:a", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_STR(b, "v1");
    ASSERT_INT(lvl, 1);
    ASSERT_INT(atomic_load(&l.runs), 1);
    double ttl = 0;
    bool stale = true;
    ASSERT_INT(daoc_cache_peek(c, "consumers:a", 11, NULL, &ttl, &stale), DAOC_OK);
    ASSERT_TRUE(ttl > 0 && ttl <= 0.05);
    ASSERT_TRUE(!stale);
    sleep_s(0.1);
    ASSERT_INT(daoc_cache_peek(c, "consumers:a", 11, NULL, &ttl, &stale), DAOC_OK);
    ASSERT_TRUE(ttl < 0 && stale);
    ASSERT_INT(get_s(c, "consumers:a", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_STR(b, "v2");
    ASSERT_INT(lvl, 3);
    ASSERT_INT(atomic_load(&l.runs), 2);
    /* per-call ttl 0: never expires */
    daoc_cache_get_opts go = DAOC_CACHE_GET_OPTS_INIT;
    go.ttl = 0;
    ASSERT_INT(get_s(c, "consumers:b", &go, &l, b, sizeof b, &lvl), DAOC_OK);
    sleep_s(0.08);
    ASSERT_INT(get_s(c, "consumers:b", &go, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_INT(lvl, 1);
    ASSERT_INT(daoc_cache_peek(c, "consumers:b", 11, NULL, &ttl, &stale), DAOC_OK);
    ASSERT_TRUE(ttl == 0 && !stale);
    /* no loader, no entry */
    ASSERT_INT(get_s(c, "consumers:none", NULL, NULL, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_STR(b, "(miss)");
    ASSERT_INT(lvl, -1);
    daoc_cache_free(c);
}

/* mlcache's third return value: the loader's ttl for the value it loads
 * (daoc_cache_load_ttl) -- kept that long instead of the options' ttl, 0
 * never expires, negative answered but not cached; a load of another key
 * inside the loader keeps the outer loader's ttl. */
static double ttl_given;
static int ttl_loader(void *ud, const char *key, size_t keylen, daoc_value **value, char *err,
                      size_t errlen)
{
    ld *l = ud;
    atomic_fetch_add(&l->runs, 1);
    (void)key;
    (void)keylen;
    (void)err;
    (void)errlen;
    daoc_cache_load_ttl(ttl_given);
    *value = daoc_str(l->answer);
    return DAOC_OK;
}

static daoc_cache *g_nest_cache;
static int nesting_loader(void *ud, const char *key, size_t keylen, daoc_value **value, char *err,
                          size_t errlen)
{
    daoc_cache_load_ttl(0.05);
    ld inner = {.answer = "inner"};
    daoc_cache_ref *r = NULL;
    ttl_given = 100;
    int rc = daoc_cache_get(g_nest_cache, "other", 5, NULL, ttl_loader, &inner, &r, NULL, NULL);
    daoc_cache_release(r);
    (void)key;
    (void)keylen;
    (void)err;
    (void)errlen;
    *value = daoc_str(((ld *)ud)->answer);
    return rc;
}

TEST(the_loader_may_set_its_values_ttl)
{
    daoc_cache *c = mk(100, 100, 0, 0, 0);
    ASSERT_NOT_NULL(c);
    ld l = {.answer = "v"};
    daoc_cache_ref *r = NULL;
    double ttl = 0;
    bool stale = false;
    ttl_given = 0.05; /* shorter than the cache's 100 s */
    ASSERT_INT(daoc_cache_get(c, "k1", 2, NULL, ttl_loader, &l, &r, NULL, NULL), DAOC_OK);
    daoc_cache_release(r);
    ASSERT_INT(daoc_cache_peek(c, "k1", 2, NULL, &ttl, &stale), DAOC_OK);
    ASSERT_TRUE(ttl > 0 && ttl <= 0.05);
    ttl_given = 0; /* never expires */
    ASSERT_INT(daoc_cache_get(c, "k2", 2, NULL, ttl_loader, &l, &r, NULL, NULL), DAOC_OK);
    daoc_cache_release(r);
    ASSERT_INT(daoc_cache_peek(c, "k2", 2, NULL, &ttl, &stale), DAOC_OK);
    ASSERT_TRUE(ttl == 0);
    ttl_given = -1; /* answered, not cached */
    int lvl = 0;
    ASSERT_INT(daoc_cache_get(c, "k3", 2, NULL, ttl_loader, &l, &r, &lvl, NULL), DAOC_OK);
    ASSERT_NOT_NULL(r);
    ASSERT_STR(daoc_value_str(daoc_cache_value(r), NULL), "v");
    ASSERT_INT(lvl, 3);
    daoc_cache_release(r);
    r = NULL;
    ASSERT_INT(daoc_cache_peek(c, "k3", 2, &r, &ttl, &stale), DAOC_ENOTFOUND);
    ASSERT_TRUE(r == NULL);
    int runs = atomic_load(&l.runs);
    ASSERT_INT(daoc_cache_get(c, "k3", 2, NULL, ttl_loader, &l, &r, NULL, NULL), DAOC_OK);
    daoc_cache_release(r);
    ASSERT_INT(atomic_load(&l.runs), runs + 1); /* loaded again */
    /* a plain loader afterwards: the options' ttl again */
    ASSERT_INT(daoc_cache_get(c, "k4", 2, NULL, load_fn, &l, &r, NULL, NULL), DAOC_OK);
    daoc_cache_release(r);
    ASSERT_INT(daoc_cache_peek(c, "k4", 2, NULL, &ttl, &stale), DAOC_OK);
    ASSERT_TRUE(ttl > 99);
    /* nested: the inner load's ttl is its own, the outer keeps 0.05 */
    g_nest_cache = c;
    ASSERT_INT(daoc_cache_get(c, "k5", 2, NULL, nesting_loader, &l, &r, NULL, NULL), DAOC_OK);
    daoc_cache_release(r);
    ASSERT_INT(daoc_cache_peek(c, "k5", 2, NULL, &ttl, &stale), DAOC_OK);
    ASSERT_TRUE(ttl > 0 && ttl <= 0.05);
    ASSERT_INT(daoc_cache_peek(c, "other", 5, NULL, &ttl, &stale), DAOC_OK);
    ASSERT_TRUE(ttl > 99);
    daoc_cache_load_ttl(5); /* outside a loader: nothing */
    ASSERT_INT(daoc_cache_get(c, "k6", 2, NULL, load_fn, &l, &r, NULL, NULL), DAOC_OK);
    daoc_cache_release(r);
    ASSERT_INT(daoc_cache_peek(c, "k6", 2, NULL, &ttl, &stale), DAOC_OK);
    ASSERT_TRUE(ttl > 99);
    daoc_cache_free(c);
}

/* renew while a get's slower load of the same key runs: the renewed
 * value stays; the get's answer goes to its caller only. */
typedef struct slow_ctx {
    daoc_cache *c;
    char got[32];
} slow_ctx;
static int slow_old_loader(void *ud, const char *key, size_t keylen, daoc_value **value, char *err,
                           size_t errlen)
{
    (void)ud, (void)key, (void)keylen, (void)err, (void)errlen;
    sleep_s(0.2);
    *value = daoc_str("old");
    return DAOC_OK;
}
static void *slow_get(void *arg)
{
    slow_ctx *x = arg;
    daoc_cache_ref *r = NULL;
    if (daoc_cache_get(x->c, "rk", 2, NULL, slow_old_loader, NULL, &r, NULL, NULL) == DAOC_OK && r)
        snprintf(x->got, sizeof x->got, "%s", daoc_value_str(daoc_cache_value(r), NULL));
    daoc_cache_release(r);
    return NULL;
}

TEST(renew_during_a_slower_load_keeps_the_renewed_value)
{
    daoc_cache *c = mk(100, 100, 0, 0, 0);
    ASSERT_NOT_NULL(c);
    slow_ctx x = {c, ""};
    pthread_t th;
    ASSERT_INT(pthread_create(&th, NULL, slow_get, &x), 0);
    sleep_s(0.05); /* the get's load is running */
    ld l = {.answer = "new"};
    daoc_cache_ref *r = NULL;
    ASSERT_INT(daoc_cache_renew(c, "rk", 2, NULL, load_fn, &l, &r, NULL), DAOC_OK);
    ASSERT_STR(daoc_value_str(daoc_cache_value(r), NULL), "new");
    daoc_cache_release(r);
    pthread_join(th, NULL);
    ASSERT_STR(x.got, "old"); /* its caller's answer */
    char b[64];
    int lvl = 0;
    ASSERT_INT(get_s(c, "rk", NULL, NULL, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_STR(b, "new");
    daoc_cache_free(c);
}

/* daoc_cache_still: true while the reference is its key's live entry (and
 * then counted as a hit); false once replaced, invalidated or expired. */
TEST(still_tells_whether_a_reference_is_the_live_entry)
{
    daoc_cache *c = mk(100, 100, 0, 0, 0);
    ASSERT_NOT_NULL(c);
    ld l = {.answer = "v"};
    daoc_cache_ref *r = NULL;
    ASSERT_INT(daoc_cache_get(c, "consumers:s", 11, NULL, load_fn, &l, &r, NULL, NULL), DAOC_OK);
    long long hits = stat_of(c, NULL, "hits");
    ASSERT_TRUE(daoc_cache_still(c, r));
    ASSERT_INT((int)(stat_of(c, NULL, "hits") - hits), 1);
    ASSERT_TRUE(daoc_cache_invalidate_local(c, "consumers:s", 11));
    ASSERT_TRUE(!daoc_cache_still(c, r));
    daoc_cache_release(r);
    ASSERT_INT(daoc_cache_get(c, "consumers:s", 11, NULL, load_fn, &l, &r, NULL, NULL), DAOC_OK);
    daoc_value *nv = daoc_str("w");
    ASSERT_INT(daoc_cache_set(c, "consumers:s", 11, nv, NULL, NULL), DAOC_OK);
    daoc_value_free(nv);
    ASSERT_TRUE(!daoc_cache_still(c, r)); /* replaced */
    daoc_cache_release(r);
    daoc_cache_get_opts go = DAOC_CACHE_GET_OPTS_INIT;
    go.ttl = 0.03;
    ASSERT_INT(daoc_cache_get(c, "consumers:t", 11, &go, load_fn, &l, &r, NULL, NULL), DAOC_OK);
    ASSERT_TRUE(daoc_cache_still(c, r));
    sleep_s(0.06);
    ASSERT_TRUE(!daoc_cache_still(c, r)); /* expired */
    daoc_cache_release(r);
    ASSERT_TRUE(!daoc_cache_still(c, NULL) && !daoc_cache_still(NULL, NULL));
    daoc_cache_free(c);
}

TEST(neg_ttl_caches_misses)
{
    daoc_cache *c = mk(10, 0.05, 0, 0, 0);
    ld l = {.answer = NULL};
    char b[128];
    int lvl = 0;
    ASSERT_INT(get_s(c, "consumers:x", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_STR(b, "(miss)");
    ASSERT_INT(lvl, 3);
    l.answer = "now there";
    ASSERT_INT(get_s(c, "consumers:x", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_STR(b, "(miss)");
    ASSERT_INT(lvl, 1);
    ASSERT_INT(atomic_load(&l.runs), 1);
    daoc_cache *forever = mk(0, 0, 0, 0, 0); /* a miss that never expires: the fast path */
    ld none = {.answer = NULL};
    ASSERT_INT(get_s(forever, "consumers:y", NULL, &none, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_INT(get_s(forever, "consumers:y", NULL, &none, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_STR(b, "(miss)");
    ASSERT_INT(lvl, 1);
    ASSERT_INT(atomic_load(&none.runs), 1);
    ASSERT_INT(stat_of(forever, "consumers", "hits"), 1);
    daoc_cache_free(forever);
    daoc_cache_ref *r = (daoc_cache_ref *)&l; /* must become NULL */
    ASSERT_INT(daoc_cache_peek(c, "consumers:x", 11, &r, NULL, NULL), DAOC_OK);
    ASSERT_NULL(r);
    sleep_s(0.1);
    ASSERT_INT(get_s(c, "consumers:x", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_STR(b, "now there");
    ASSERT_INT(atomic_load(&l.runs), 2);
    daoc_cache_free(c);
}

TEST(resurrect_after_loader_error)
{
    daoc_cache *c = mk(0.05, 0, 0.3, 0, 0);
    ld l = {.answer = "old"};
    char b[128];
    int lvl = 0;
    ASSERT_INT(get_s(c, "consumers:r", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    sleep_s(0.1);
    l.fail = "db down";
    ASSERT_INT(get_s(c, "consumers:r", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_STR(b, "old");
    ASSERT_INT(lvl, 4);
    bool stale = false;
    double ttl = 0;
    ASSERT_INT(daoc_cache_peek(c, "consumers:r", 11, NULL, &ttl, &stale), DAOC_OK);
    ASSERT_TRUE(stale && ttl > 0.1);
    /* within resurrect_ttl: served from memory, no load */
    ASSERT_INT(get_s(c, "consumers:r", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_STR(b, "old");
    ASSERT_INT(lvl, 1);
    ASSERT_INT(atomic_load(&l.runs), 2);
    ASSERT_INT(stat_of(c, NULL, "stale"), 1);
    ASSERT_INT(stat_of(c, NULL, "load_errors"), 1);
    /* resurrect_ttl 0: the error reaches the caller */
    sleep_s(0.35);
    daoc_cache_get_opts go = DAOC_CACHE_GET_OPTS_INIT;
    go.resurrect_ttl = 0;
    ASSERT_INT(get_s(c, "consumers:r", &go, &l, b, sizeof b, &lvl), DAOC_ESTORE);
    ASSERT_STR(b, "error ESTORE: db down");
    ASSERT_INT(lvl, -1);
    /* no stale value at all: the error too */
    ASSERT_INT(get_s(c, "consumers:fresh", NULL, &l, b, sizeof b, &lvl), DAOC_ESTORE);
    ASSERT_STR(b, "error ESTORE: db down");
    ASSERT_INT(daoc_cache_peek(c, "consumers:fresh", 15, NULL, NULL, NULL), DAOC_ENOTFOUND);
    daoc_cache_free(c);
}

/* refresh window: the refresher's loader blocks until another thread has
 * made `want` gets, which must all be hits on the old value */
typedef struct rf {
    daoc_cache *c;
    atomic_int runs, hits_old, others, go;
    int want;
} rf;

static int refresh_loader(void *ud, const char *key, size_t keylen, daoc_value **value, char *err,
                          size_t errlen)
{
    rf *r = ud;
    if (atomic_fetch_add(&r->runs, 1) == 0) {
        *value = daoc_str("first");
        return DAOC_OK;
    }
    atomic_store(&r->go, 1);
    for (int i = 0; i < 4000 && atomic_load(&r->others) < r->want; i++)
        sleep_s(0.001);
    *value = daoc_str("second");
    return DAOC_OK;
}

static void *refresh_other(void *arg)
{
    rf *r = arg;
    while (!atomic_load(&r->go))
        sleep_s(0.0005);
    daoc_cache_get_opts go = DAOC_CACHE_GET_OPTS_INIT;
    go.refresh = 0.95;
    for (int i = 0; i < r->want; i++) {
        daoc_cache_ref *ref = NULL;
        int lvl = 0;
        if (daoc_cache_get(r->c, "routes:k", 8, &go, refresh_loader, r, &ref, &lvl, NULL) ==
                DAOC_OK &&
            ref && lvl == 1 && strcmp(daoc_value_str(daoc_cache_value(ref), NULL), "first") == 0)
            atomic_fetch_add(&r->hits_old, 1);
        daoc_cache_release(ref);
        atomic_fetch_add(&r->others, 1);
    }
    return NULL;
}

TEST(refresh_window_single_refresher)
{
    rf r = {.c = mk(1.0, 0, 0, 0, 0), .want = 50};
    ASSERT_NOT_NULL(r.c);
    daoc_cache_get_opts go = DAOC_CACHE_GET_OPTS_INIT;
    go.refresh = 0.95;
    daoc_cache_ref *ref = NULL;
    int lvl = 0;
    ASSERT_INT(daoc_cache_get(r.c, "routes:k", 8, &go, refresh_loader, &r, &ref, &lvl, NULL),
               DAOC_OK);
    ASSERT_INT(lvl, 3);
    daoc_cache_release(ref);
    /* outside the window (1 s left > 0.95): a plain hit */
    ASSERT_INT(daoc_cache_get(r.c, "routes:k", 8, &go, refresh_loader, &r, &ref, &lvl, NULL),
               DAOC_OK);
    daoc_cache_release(ref);
    ASSERT_INT(atomic_load(&r.runs), 1);
    sleep_s(0.12); /* now inside it */
    pthread_t t;
    ASSERT_INT(pthread_create(&t, NULL, refresh_other, &r), 0);
    ASSERT_INT(daoc_cache_get(r.c, "routes:k", 8, &go, refresh_loader, &r, &ref, &lvl, NULL),
               DAOC_OK);
    pthread_join(t, NULL);
    ASSERT_INT(lvl, 3);
    ASSERT_STR(daoc_value_str(daoc_cache_value(ref), NULL), "second");
    daoc_cache_release(ref);
    ASSERT_INT(atomic_load(&r.runs), 2);
    ASSERT_INT(atomic_load(&r.hits_old), r.want);
    /* the refreshed entry has a whole new ttl: a hit again */
    ASSERT_INT(daoc_cache_get(r.c, "routes:k", 8, &go, refresh_loader, &r, &ref, &lvl, NULL),
               DAOC_OK);
    ASSERT_INT(lvl, 1);
    ASSERT_STR(daoc_value_str(daoc_cache_value(ref), NULL), "second");
    daoc_cache_release(ref);
    ASSERT_INT(atomic_load(&r.runs), 2);
    daoc_cache_free(r.c);
}

static char hook_key[64];
static int hook_calls;
static void hook(void *ud, const char *key, size_t keylen)
{
    hook_calls++;
    snprintf(hook_key, sizeof hook_key, "%.*s", (int)keylen, key);
    *(int *)ud += 1;
}

TEST(invalidate_local_and_hook)
{
    int seen = 0;
    daoc_cache_opts o = daoc_cache_opts_default();
    o.on_invalidate = hook;
    o.on_invalidate_ud = &seen;
    daoc_cache *c = NULL;
    ASSERT_INT(daoc_cache_new(&o, &c, NULL), DAOC_OK);
    daoc_value *v = daoc_str("x");
    ASSERT_INT(daoc_cache_set(c, "consumers:i", 11, v, NULL, NULL), DAOC_OK);
    daoc_value_free(v);
    daoc_cache_ref *held = NULL;
    ASSERT_INT(daoc_cache_peek(c, "consumers:i", 11, &held, NULL, NULL), DAOC_OK);
    ASSERT_NOT_NULL(held);
    ASSERT_TRUE(daoc_cache_invalidate_local(c, "consumers:i", 11));
    ASSERT_INT(hook_calls, 0);
    ASSERT_INT(daoc_cache_peek(c, "consumers:i", 11, NULL, NULL, NULL), DAOC_ENOTFOUND);
    ASSERT_TRUE(!daoc_cache_invalidate_local(c, "consumers:i", 11));
    /* a reference outlives the invalidation */
    ASSERT_STR(daoc_value_str(daoc_cache_value(held), NULL), "x");
    daoc_cache_release(held);
    ld l = {.answer = "y"};
    char b[64];
    int lvl;
    ASSERT_INT(get_s(c, "consumers:i", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_INT(lvl, 3);
    ASSERT_TRUE(daoc_cache_invalidate(c, "consumers:i", 11));
    ASSERT_INT(hook_calls, 1);
    ASSERT_INT(seen, 1);
    ASSERT_STR(hook_key, "consumers:i");
    ASSERT_INT(daoc_cache_peek(c, "consumers:i", 11, NULL, NULL, NULL), DAOC_ENOTFOUND);
    ASSERT_INT(stat_of(c, "consumers", "invalidations"), 2); /* the one with no entry: none */
    daoc_cache_free(c);
}

/* a loader that invalidates its own key while loading: its answer is
 * returned but not stored */
static int invalidating_loader(void *ud, const char *key, size_t keylen, daoc_value **value,
                               char *err, size_t errlen)
{
    daoc_cache_invalidate_local(ud, key, keylen);
    *value = daoc_str("loaded");
    return DAOC_OK;
}

TEST(invalidate_during_load_stores_nothing)
{
    daoc_cache *c = mk(0, 0, 0, 0, 0);
    daoc_cache_ref *r = NULL;
    int lvl = 0;
    ASSERT_INT(daoc_cache_get(c, "consumers:z", 11, NULL, invalidating_loader, c, &r, &lvl, NULL),
               DAOC_OK);
    ASSERT_STR(daoc_value_str(daoc_cache_value(r), NULL), "loaded");
    daoc_cache_release(r);
    ASSERT_INT(daoc_cache_peek(c, "consumers:z", 11, NULL, NULL, NULL), DAOC_ENOTFOUND);
    daoc_cache_free(c);
}

TEST(purge)
{
    daoc_cache *c = mk(0, 0, 0, 0, 4);
    daoc_value *v = daoc_int(1);
    char k[32];
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof k, "services:%d", i);
        ASSERT_INT(daoc_cache_set(c, k, strlen(k), v, NULL, NULL), DAOC_OK);
    }
    daoc_value_free(v);
    ASSERT_INT(stat_of(c, NULL, "entries"), 100);
    ASSERT_TRUE(stat_of(c, NULL, "bytes") > 100 * 40);
    daoc_cache_purge(c);
    ASSERT_INT(stat_of(c, NULL, "entries"), 0);
    ASSERT_INT(stat_of(c, NULL, "bytes"), 0);
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof k, "services:%d", i);
        ASSERT_INT(daoc_cache_peek(c, k, strlen(k), NULL, NULL, NULL), DAOC_ENOTFOUND);
    }
    daoc_cache_free(c);
}

TEST(eviction_keeps_bytes_under_bound)
{
    const size_t bound = 64 << 10;
    daoc_cache *c = mk(0, 0, 0, bound, 1);
    char big[200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    daoc_value *v = daoc_str(big);
    char k[32];
    ASSERT_INT(daoc_cache_set(c, "consumers:hot", 13, v, NULL, NULL), DAOC_OK);
    for (int i = 0; i < 3000; i++) {
        snprintf(k, sizeof k, "consumers:%d", i);
        ASSERT_INT(daoc_cache_set(c, k, strlen(k), v, NULL, NULL), DAOC_OK);
        ASSERT_TRUE(stat_of(c, NULL, "bytes") <= (long long)bound);
        /* keep one key hot: CLOCK must spare it */
        daoc_cache_ref *r = NULL;
        ASSERT_INT(daoc_cache_get(c, "consumers:hot", 13, NULL, NULL, NULL, &r, NULL, NULL),
                   DAOC_OK);
        ASSERT_NOT_NULL(r);
        daoc_cache_release(r);
    }
    daoc_value_free(v);
    long long entries = stat_of(c, NULL, "entries");
    long long ev = stat_of(c, NULL, "evictions");
    ASSERT_TRUE(entries > 100 && entries < 3001);
    ASSERT_INT(ev + entries, 3001);
    ASSERT_TRUE(stat_of(c, NULL, "bytes") > (long long)bound / 2);
    /* the oldest cold keys went first */
    ASSERT_INT(daoc_cache_peek(c, "consumers:0", 11, NULL, NULL, NULL), DAOC_ENOTFOUND);
    ASSERT_INT(daoc_cache_peek(c, "consumers:2999", 14, NULL, NULL, NULL), DAOC_OK);
    daoc_cache_free(c);
}

TEST(counters_per_class)
{
    daoc_cache *c = mk(0, 0, 0, 0, 0);
    ld l = {.answer = "v"}, bad = {.fail = "boom"};
    char b[64];
    int lvl;
    for (int i = 0; i < 3; i++)
        ASSERT_INT(get_s(c, "consumers:1:::::", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_INT(get_s(c, "routes:9", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_INT(get_s(c, "routes:bad", NULL, &bad, b, sizeof b, &lvl), DAOC_ESTORE);
    ASSERT_INT(get_s(c, "router", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_INT(stat_of(c, "consumers", "hits"), 2);
    ASSERT_INT(stat_of(c, "consumers", "misses"), 1);
    ASSERT_INT(stat_of(c, "consumers", "loads"), 1);
    ASSERT_INT(stat_of(c, "consumers", "entries"), 1);
    ASSERT_INT(stat_of(c, "routes", "misses"), 2);
    ASSERT_INT(stat_of(c, "routes", "loads"), 2);
    ASSERT_INT(stat_of(c, "routes", "load_errors"), 1);
    ASSERT_INT(stat_of(c, "routes", "entries"), 1);
    ASSERT_INT(stat_of(c, "*", "loads"), 1);
    ASSERT_INT(stat_of(c, NULL, "hits"), 2);
    ASSERT_INT(stat_of(c, NULL, "misses"), 4);
    ASSERT_INT(stat_of(c, NULL, "loads"), 4);
    ASSERT_INT(stat_of(c, NULL, "load_errors"), 1);
    ASSERT_INT(stat_of(c, NULL, "entries"), 3);
    ASSERT_INT(stat_of(c, "consumers", "bytes") + stat_of(c, "routes", "bytes") +
                   stat_of(c, "*", "bytes"),
               stat_of(c, NULL, "bytes"));
    /* an entry's hits are kept on it until read or until it goes: neither
     * counts them twice, nor loses them */
    ASSERT_INT(get_s(c, "consumers:1:::::", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_INT(stat_of(c, "consumers", "hits"), 3);
    ASSERT_INT(stat_of(c, "consumers", "hits"), 3);
    ASSERT_INT(get_s(c, "consumers:1:::::", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_TRUE(daoc_cache_invalidate_local(c, "consumers:1:::::", 16));
    ASSERT_INT(stat_of(c, "consumers", "hits"), 4);
    ASSERT_INT(stat_of(c, NULL, "hits"), 4);
    daoc_cache_free(c);
}

TEST(get_bulk_in_order)
{
    daoc_cache *c = mk(0, 0, 0, 0, 0);
    daoc_value *v = daoc_str("cached");
    ASSERT_INT(daoc_cache_set(c, "consumers:a", 11, v, NULL, NULL), DAOC_OK);
    daoc_value_free(v);
    ld l = {.answer = "loaded"}, bad = {.fail = "nope"};
    daoc_cache_bulk_item it[3] = {
        {.key = "consumers:a", .keylen = 11, .loader = load_fn, .ud = &l},
        {.key = "consumers:b", .keylen = 11, .loader = load_fn, .ud = &l},
        {.key = "consumers:c", .keylen = 11, .loader = load_fn, .ud = &bad},
    };
    ASSERT_INT(daoc_cache_get_bulk(c, it, 3), DAOC_ESTORE);
    ASSERT_INT(it[0].status, DAOC_OK);
    ASSERT_INT(it[0].hit_level, 1);
    ASSERT_STR(daoc_value_str(daoc_cache_value(it[0].ref), NULL), "cached");
    ASSERT_INT(it[1].status, DAOC_OK);
    ASSERT_INT(it[1].hit_level, 3);
    ASSERT_STR(daoc_value_str(daoc_cache_value(it[1].ref), NULL), "loaded");
    ASSERT_INT(it[2].status, DAOC_ESTORE);
    ASSERT_NULL(it[2].ref);
    ASSERT_STR(daoc_error_message(it[2].err), "nope");
    ASSERT_INT(atomic_load(&l.runs), 1);
    for (int i = 0; i < 3; i++) {
        daoc_cache_release(it[i].ref);
        daoc_error_free(it[i].err);
    }
    daoc_cache_free(c);
}

TEST(hits_share_one_private_copy)
{
    daoc_cache *c = mk(0, 0, 0, 0, 0);
    daoc_value *v = daoc_obj();
    ASSERT_INT(daoc_obj_set(v, "name", daoc_str("alice")), DAOC_OK);
    ASSERT_INT(daoc_cache_set(c, "consumers:s", 11, v, NULL, NULL), DAOC_OK);
    ASSERT_INT(daoc_obj_set(v, "name", daoc_str("changed")), DAOC_OK); /* the caller's copy */
    daoc_cache_ref *r1 = NULL, *r2 = NULL;
    ASSERT_INT(daoc_cache_get(c, "consumers:s", 11, NULL, NULL, NULL, &r1, NULL, NULL), DAOC_OK);
    ASSERT_INT(daoc_cache_get(c, "consumers:s", 11, NULL, NULL, NULL, &r2, NULL, NULL), DAOC_OK);
    ASSERT_TRUE(daoc_cache_value(r1) == daoc_cache_value(r2));
    ASSERT_TRUE(daoc_cache_value(r1) != v);
    ASSERT_STR(daoc_value_str(daoc_obj_get(daoc_cache_value(r1), "name"), NULL), "alice");
    daoc_cache_purge(c);
    daoc_cache_free(c);
    /* references outlive the cache */
    ASSERT_STR(daoc_value_str(daoc_obj_get(daoc_cache_value(r2), "name"), NULL), "alice");
    daoc_cache_release(r1);
    daoc_cache_release(r2);
    daoc_value_free(v);
}

TEST(renew_forces_a_load)
{
    daoc_cache *c = mk(0, 0, 0, 0, 0);
    ld l = {.answer = "one"}, bad = {.fail = "down"};
    char b[64];
    int lvl;
    ASSERT_INT(get_s(c, "consumers:n", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    l.answer = "two";
    daoc_cache_ref *r = NULL;
    ASSERT_INT(daoc_cache_renew(c, "consumers:n", 11, NULL, load_fn, &l, &r, NULL), DAOC_OK);
    ASSERT_STR(daoc_value_str(daoc_cache_value(r), NULL), "two");
    daoc_cache_release(r);
    ASSERT_INT(atomic_load(&l.runs), 2);
    daoc_error *e = NULL;
    ASSERT_INT(daoc_cache_renew(c, "consumers:n", 11, NULL, load_fn, &bad, &r, &e), DAOC_ESTORE);
    ASSERT_STR(daoc_error_message(e), "down");
    daoc_error_free(e);
    ASSERT_INT(get_s(c, "consumers:n", NULL, &l, b, sizeof b, &lvl), DAOC_OK);
    ASSERT_STR(b, "two");
    ASSERT_INT(lvl, 1);
    daoc_cache_free(c);
}

/* 1000 threads miss one key at once.  The loader waits until the cache has
 * counted all 1000 misses, so every call is a concurrent miss: exactly one
 * load may run.  (400 under valgrind, which runs at most 500 threads.) */
#define MAXTHREADS 1000
typedef struct sf {
    daoc_cache *c;
    atomic_int runs, ok;
    int n;
} sf;

static int slow_loader(void *ud, const char *key, size_t keylen, daoc_value **value, char *err,
                       size_t errlen)
{
    sf *s = ud;
    atomic_fetch_add(&s->runs, 1);
    for (int i = 0; i < 30000 && stat_of(s->c, NULL, "misses") < s->n; i++)
        sleep_s(0.001);
    *value = daoc_str("the one");
    return DAOC_OK;
}

static void *sf_thread(void *arg)
{
    sf *s = arg;
    daoc_cache_ref *r = NULL;
    int lvl = 0;
    if (daoc_cache_get(s->c, "consumers:one", 13, NULL, slow_loader, s, &r, &lvl, NULL) ==
            DAOC_OK &&
        r && lvl == 3 && strcmp(daoc_value_str(daoc_cache_value(r), NULL), "the one") == 0)
        atomic_fetch_add(&s->ok, 1);
    daoc_cache_release(r);
    return NULL;
}

TEST(single_flight_1000_concurrent_misses)
{
    sf s = {.c = mk(0, 0, 0, 0, 0), .n = RUNNING_ON_VALGRIND ? 400 : MAXTHREADS};
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 256 << 10);
    static pthread_t t[MAXTHREADS];
    int started = 0;
    for (; started < s.n; started++)
        if (pthread_create(&t[started], &a, sf_thread, &s) != 0)
            break;
    pthread_attr_destroy(&a);
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    ASSERT_INT(started, s.n);
    ASSERT_INT(atomic_load(&s.runs), 1);
    ASSERT_INT(atomic_load(&s.ok), s.n);
    ASSERT_INT(stat_of(s.c, NULL, "misses"), s.n);
    ASSERT_INT(stat_of(s.c, NULL, "loads"), 1);
    daoc_cache_free(s.c);
}

/* mixed traffic from several threads on few keys and a small bound:
 * eviction, invalidation and loads racing (for ThreadSanitizer); each
 * thread also holds its last 5 hits' references for a while (more than
 * its 8 borrowed slots' worth at times, with the renewals), checking
 * their values only when it lets them go, after other threads' removals
 * and the reclaimer's scans */
static char why_renew[] = "renew", why_get[] = "get", why_value[] = "value";
static void *mixed(void *arg)
{
    daoc_cache *c = arg;
    ld l = {.answer = "some value of moderate length, to fill the bound quickly"};
    unsigned long long st = (unsigned long long)(uintptr_t)&l;
    char k[32];
    daoc_cache_ref *held[5] = {NULL};
    for (int i = 0; i < 20000; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned x = (unsigned)(st >> 33);
        snprintf(k, sizeof k, "consumers:%u", x % 200);
        daoc_cache_ref *r = NULL;
        switch (x % 16) {
        case 0:
            daoc_cache_invalidate_local(c, k, strlen(k));
            break;
        case 1:
            if (daoc_cache_renew(c, k, strlen(k), NULL, load_fn, &l, &r, NULL) != DAOC_OK)
                return why_renew;
            break;
        default:
            if (daoc_cache_get(c, k, strlen(k), NULL, load_fn, &l, &r, NULL, NULL) != DAOC_OK || !r)
                return why_get;
            if (daoc_value_str(daoc_cache_value(r), NULL)[0] != 's')
                return why_value;
            if (x % 3 == 0) { /* held: the oldest one goes */
                daoc_cache_ref *old = held[i % 5];
                held[i % 5] = r;
                r = old;
                if (r && strcmp(daoc_value_str(daoc_cache_value(r), NULL), l.answer) != 0)
                    return why_value;
            }
        }
        daoc_cache_release(r);
    }
    for (int i = 0; i < 5; i++)
        daoc_cache_release(held[i]);
    return NULL;
}

TEST(threads_mixed_traffic)
{
    daoc_cache *c = mk(0, 0, 0, 16 << 10, 2);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ASSERT_INT(pthread_create(&t[i], NULL, mixed, c), 0);
    void *why[4];
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], &why[i]);
    for (int i = 0; i < 4; i++)
        ASSERT_NULL(why[i]);
    ASSERT_TRUE(stat_of(c, NULL, "bytes") <= 16 << 10);
    ASSERT_TRUE(stat_of(c, NULL, "evictions") > 0);
    daoc_cache_free(c);
}

/* A hit's reference is borrowed from one of a few slots of its thread
 * (bit 0 of the handle tells, which this white-box test reads); with all
 * of them held, hits still answer, with counted references.  Either kind
 * keeps its value through an invalidation, daoc_cache_keep turns either
 * into a counted one (a copy when the entry had gone), and a borrowed one
 * may be released by another thread. */
static void *release_elsewhere(void *arg)
{
    daoc_cache_ref *r = arg;
    bool ok = strcmp(daoc_value_str(daoc_cache_value(r), NULL), "b") == 0;
    daoc_cache_release(r);
    return ok ? NULL : arg;
}

TEST(borrowed_and_counted_references)
{
    daoc_cache *c = mk(0, 0, 0, 0, 0);
    daoc_value *v = daoc_str("b");
    ASSERT_INT(daoc_cache_set(c, "consumers:b", 11, v, NULL, NULL), DAOC_OK);
    daoc_value_free(v);
    enum { N = 12 };
    daoc_cache_ref *r[N];
    int borrowed = 0;
    for (int i = 0; i < N; i++) {
        ASSERT_INT(daoc_cache_get(c, "consumers:b", 11, NULL, NULL, NULL, &r[i], NULL, NULL),
                   DAOC_OK);
        ASSERT_TRUE(r[i] != NULL);
        borrowed += (int)((uintptr_t)r[i] & 1);
    }
    ASSERT_INT(borrowed, 8); /* the thread's slots, then counted ones */
    ASSERT_INT(stat_of(c, "consumers", "hits"), N);
    ASSERT_TRUE(daoc_cache_invalidate_local(c, "consumers:b", 11));
    for (int i = 0; i < N; i++)
        ASSERT_STR(daoc_value_str(daoc_cache_value(r[i]), NULL), "b");
    /* kept after the entry went: a copy, counted */
    daoc_cache_ref *k = daoc_cache_keep(r[0]);
    ASSERT_TRUE(k && !((uintptr_t)k & 1));
    ASSERT_STR(daoc_value_str(daoc_cache_value(k), NULL), "b");
    ASSERT_TRUE(!daoc_cache_still(c, k));
    daoc_cache_release(k);
    ASSERT_TRUE(daoc_cache_keep(r[N - 1]) == r[N - 1]); /* counted already */
    for (int i = 1; i < N; i++)
        daoc_cache_release(r[i]);
    /* kept while the entry lives: the entry itself */
    v = daoc_str("b");
    ASSERT_INT(daoc_cache_set(c, "consumers:b", 11, v, NULL, NULL), DAOC_OK);
    daoc_value_free(v);
    daoc_cache_ref *a = NULL;
    ASSERT_INT(daoc_cache_get(c, "consumers:b", 11, NULL, NULL, NULL, &a, NULL, NULL), DAOC_OK);
    ASSERT_TRUE((uintptr_t)a & 1);
    k = daoc_cache_keep(a);
    ASSERT_TRUE(k && !((uintptr_t)k & 1));
    ASSERT_TRUE(daoc_cache_still(c, k));
    /* the slot is free again: the next hit borrows it */
    ASSERT_INT(daoc_cache_get(c, "consumers:b", 11, NULL, NULL, NULL, &a, NULL, NULL), DAOC_OK);
    ASSERT_TRUE((uintptr_t)a & 1);
    pthread_t t;
    ASSERT_INT(pthread_create(&t, NULL, release_elsewhere, a), 0);
    void *why = NULL;
    pthread_join(t, &why);
    ASSERT_NULL(why);
    daoc_cache_free(c);
    ASSERT_STR(daoc_value_str(daoc_cache_value(k), NULL), "b"); /* outlives the cache */
    daoc_cache_release(k);
}

/* Hits counted on their threads add up exactly: two threads hitting keys
 * of two classes in two caches whose counters share the threads' slots
 * (so counts change hands all the time), and the stats read while they
 * run never exceed the hits made. */
typedef struct hitter {
    daoc_cache *c[2];
    int n;
    atomic_int done;
} hitter;

static void *hit_many(void *arg)
{
    hitter *h = arg;
    static const char *const keys[] = {"consumers:x", "routes:y"};
    for (int i = 0; i < h->n; i++) {
        daoc_cache_ref *r = NULL;
        daoc_cache *c = h->c[i & 1];
        const char *k = keys[(i >> 1) & 1];
        if (daoc_cache_get(c, k, strlen(k), NULL, NULL, NULL, &r, NULL, NULL) != DAOC_OK || !r)
            return arg;
        daoc_cache_release(r);
    }
    atomic_fetch_add(&h->done, 1);
    return NULL;
}

TEST(hits_on_threads_add_up_exactly)
{
    hitter h = {.n = RUNNING_ON_VALGRIND ? 2000 : 40000};
    for (int j = 0; j < 2; j++) {
        ASSERT_TRUE((h.c[j] = mk(0, 0, 0, 0, 1)) != NULL); /* one shard: one counter key */
        daoc_value *v = daoc_str("v");
        ASSERT_INT(daoc_cache_set(h.c[j], "consumers:x", 11, v, NULL, NULL), DAOC_OK);
        ASSERT_INT(daoc_cache_set(h.c[j], "routes:y", 8, v, NULL, NULL), DAOC_OK);
        daoc_value_free(v);
    }
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ASSERT_INT(pthread_create(&t[i], NULL, hit_many, &h), 0);
    while (atomic_load(&h.done) < 2) {
        long long s = stat_of(h.c[0], NULL, "hits");
        ASSERT_TRUE(s >= 0 && s <= h.n);
        if (s == h.n)
            break;
    }
    void *why[2];
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], &why[i]);
    ASSERT_NULL(why[0]);
    ASSERT_NULL(why[1]);
    for (int j = 0; j < 2; j++) {
        ASSERT_INT(stat_of(h.c[j], "consumers", "hits"), h.n / 2);
        ASSERT_INT(stat_of(h.c[j], "routes", "hits"), h.n / 2);
    }
    daoc_cache_free(h.c[0]);
    /* the freed cache's counts left on the threads' slots are dropped
     * when the second cache's hits claim them back */
    daoc_cache_ref *r = NULL;
    ASSERT_INT(daoc_cache_get(h.c[1], "routes:y", 8, NULL, NULL, NULL, &r, NULL, NULL), DAOC_OK);
    daoc_cache_release(r);
    ASSERT_INT(stat_of(h.c[1], NULL, "hits"), h.n + 1);
    daoc_cache_free(h.c[1]);
}

/* The hit path hashes and compares keys a word at a time, with the last
 * partial word read in place: keys of every length from 1 to 100 bytes,
 * differing from each other in only their first, middle or last byte (and
 * keys that are another's prefix), each find their own value, and absent
 * keys of those lengths miss. */
TEST(keys_of_every_length_find_their_own_value)
{
    daoc_cache *c = mk(0, 0, 0, 0, 1);
    ASSERT_NOT_NULL(c);
    char key[101], want[32], got[64];
    for (int pass = 0; pass < 2; pass++)
        for (size_t len = 1; len <= 100; len++)
            for (int at = 0; at < 3; at++) {
                memset(key, 'k', len);
                size_t p = at == 0 ? 0 : at == 1 ? len / 2 : len - 1;
                key[p] = (char)('A' + at);
                key[len] = 0;
                snprintf(want, sizeof want, "%zu/%d", len, at);
                if (pass == 0) {
                    daoc_value *v = daoc_str(want);
                    ASSERT_INT(daoc_cache_set(c, key, len, v, NULL, NULL), DAOC_OK);
                    daoc_value_free(v);
                    continue;
                }
                int lvl = 0;
                ASSERT_INT(get_s(c, key, NULL, NULL, got, sizeof got, &lvl), DAOC_OK);
                ASSERT_STR(got, want);
                ASSERT_INT(lvl, 1);
            }
    ld l = {.answer = "loaded"};
    for (size_t len = 1; len <= 100; len++) {
        memset(key, 'k', len); /* no stored key is all 'k' */
        key[len] = 0;
        int lvl = 0;
        ASSERT_INT(get_s(c, key, NULL, &l, got, sizeof got, &lvl), DAOC_OK);
        ASSERT_STR(got, "loaded");
        ASSERT_INT(lvl, 3);
    }
    ASSERT_INT(atomic_load(&l.runs), 100);
    daoc_cache_free(c);
}

/* The hit path's own key compare and hash (cache.h, white box): a key
 * that differs from another in any one byte compares unequal and hashes
 * otherwise, for every length a word loop, an overlapping last block or a
 * short key can take; equal keys at other alignments compare equal and
 * hash alike; and each key is read only inside its len bytes (each sits at
 * the end of its own allocation, so ASan sees a read past it). */
TEST(key_compare_and_hash_read_every_byte_and_no_more)
{
    const uint64_t seed = 0x0123456789abcdefull;
    for (size_t len = 1; len <= 100; len++) {
        char *a = malloc(len), *b = malloc(len), *moved = malloc(len + 3);
        ASSERT_NOT_NULL(a);
        ASSERT_NOT_NULL(b);
        ASSERT_NOT_NULL(moved);
        memset(a, 'k', len);
        for (size_t off = 0; off < 4; off++) { /* a copy of a, unaligned */
            memmove(moved + 3 - off, a, len);
            const char *m = moved + 3 - off;
            ASSERT_TRUE(daoc__cache_key_eq(a, m, len));
            ASSERT_TRUE(daoc__cache_hash(seed, a, len) == daoc__cache_hash(seed, m, len));
        }
        for (size_t p = 0; p < len; p++) {
            memcpy(b, a, len);
            b[p] = 'A';
            ASSERT_TRUE(!daoc__cache_key_eq(a, b, len));
            ASSERT_TRUE(!daoc__cache_key_eq(b, a, len));
            ASSERT_TRUE(daoc__cache_hash(seed, a, len) != daoc__cache_hash(seed, b, len));
        }
        free(a);
        free(b);
        free(moved);
    }
}
