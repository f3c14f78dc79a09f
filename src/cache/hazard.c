/*
 * hazard.c -- the hazard-pointer reclaimer behind the entity cache's
 * lock-free hits (hazard.h has the protocol).  Records are made on a
 * thread's first daoc_cache_get, linked into one list that only grows,
 * and handed to a new thread when their thread ends (a pthread key's
 * destructor), so their count stays the peak number of threads.  Retired
 * blocks wait in one list under a mutex; a scan runs when that list
 * reaches 1024 blocks and twice the number of hazard slots (so each scan
 * frees at least half of it): one membarrier(2) (or, without it, a full
 * barrier pairing with the readers' exchanges), a sorted copy of every
 * hazard, and each retired block not in it is offered to its reclaim
 * function.  Out of memory, a scan compares each block with the records
 * directly, and a block with no room in the list is freed at once when
 * no hazard names it.
 */
#include <linux/membarrier.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cache/hazard.h"
#include "core/alloc.h"

_Thread_local daoc__hz_rec *daoc__hz_tl __attribute__((tls_model("initial-exec")));
bool daoc__hz_asym;

static daoc__hz_rec *_Atomic g_recs;
static _Atomic size_t g_nrecs;
static atomic_uint g_barrier;
static pthread_mutex_t g_rec_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_key;
static bool g_key_ok;

typedef struct retired {
    void *p;
    daoc__hz_reclaim_fn fn;
} retired;
static pthread_mutex_t g_ret_mu = PTHREAD_MUTEX_INITIALIZER;
static retired *g_ret;
static size_t g_nret, g_capret;

/* The thread ended: its record waits for the next new thread.  Its
 * borrowed references (if it leaked any) stay named until released. */
static void thread_gone(void *p)
{
    daoc__hz_rec *r = p;
    daoc__hz_tl = NULL; /* a later call in this thread's teardown makes a new one */
    atomic_store_explicit(&r->owned, false, memory_order_release);
}

/* Once, before any record and any scan: whether scans can fence for the
 * readers (both sides must agree for good). */
static void init(void)
{
    daoc__hz_asym = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    g_key_ok = pthread_key_create(&g_key, thread_gone) == 0;
}

daoc__hz_rec *daoc__hz_self(void)
{
    if (daoc__hz_tl)
        return daoc__hz_tl;
    pthread_once(&g_once, init);
    pthread_mutex_lock(&g_rec_mu);
    daoc__hz_rec *r = NULL;
    for (daoc__hz_rec *x = atomic_load_explicit(&g_recs, memory_order_relaxed); x && !r;
         x = atomic_load_explicit(&x->next, memory_order_relaxed)) {
        bool f = false;
        if (atomic_compare_exchange_strong(&x->owned, &f, true))
            r = x;
    }
    if (!r && g_key_ok && (r = daoc__calloc(1, sizeof *r))) {
        atomic_init(&r->owned, true);
        atomic_init(&r->next, atomic_load_explicit(&g_recs, memory_order_relaxed));
        atomic_store_explicit(&g_recs, r, memory_order_release);
        atomic_fetch_add_explicit(&g_nrecs, 1, memory_order_relaxed);
    }
    if (r && pthread_setspecific(g_key, r) != 0) {
        atomic_store_explicit(&r->owned, false, memory_order_release);
        r = NULL;
    }
    pthread_mutex_unlock(&g_rec_mu);
    daoc__hz_tl = r;
    return r;
}

daoc__hz_rec *daoc__hz_records(void)
{
    return atomic_load_explicit(&g_recs, memory_order_acquire);
}

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return x < y ? -1 : x > y;
}

/* The readers' half of the barrier, paid for all of them at once. */
static void barrier(void)
{
    if (daoc__hz_asym)
        (void)syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
    else /* a full barrier, pairing with the readers' exchanges */
        (void)atomic_fetch_add_explicit(&g_barrier, 1, memory_order_seq_cst);
}

/* Whether a hazard of the records from head on names p (after barrier).
 * Records are only ever put in front, so the list from a head read once
 * stays the same; a record made later belongs to a thread that probed
 * the table after p had left it. */
static bool named(daoc__hz_rec *head, void *p)
{
    for (daoc__hz_rec *r = head; r; r = atomic_load_explicit(&r->next, memory_order_acquire))
        for (int i = 0; i < DAOC__HZ_SLOTS; i++)
            if (atomic_load_explicit(&r->hp[i], memory_order_acquire) == p)
                return true;
    return false;
}

/* With g_ret_mu held: frees what it can of the retired list. */
static void scan(void)
{
    if (!g_nret)
        return;
    barrier();
    daoc__hz_rec *head = atomic_load_explicit(&g_recs, memory_order_acquire);
    size_t cap = 0;
    for (daoc__hz_rec *r = head; r; r = atomic_load_explicit(&r->next, memory_order_acquire))
        cap += DAOC__HZ_SLOTS;
    void **hz = cap ? daoc__malloc(cap * sizeof *hz) : NULL;
    size_t n = 0;
    for (daoc__hz_rec *r = hz ? head : NULL; r;
         r = atomic_load_explicit(&r->next, memory_order_acquire))
        for (int i = 0; i < DAOC__HZ_SLOTS; i++) {
            void *p = atomic_load_explicit(&r->hp[i], memory_order_acquire);
            if (p)
                hz[n++] = p;
        }
    if (n > 1)
        qsort(hz, n, sizeof *hz, cmp_ptr);
    size_t keep = 0;
    for (size_t i = 0; i < g_nret; i++) {
        retired x = g_ret[i];
        /* without the sorted copy (ENOMEM), each block against the list */
        bool is_named = hz ? n && bsearch(&x.p, hz, n, sizeof *hz, cmp_ptr) : named(head, x.p);
        if (is_named || !x.fn(x.p))
            g_ret[keep++] = x;
    }
    g_nret = keep;
    daoc__free(hz);
}

void daoc__hz_retire(void *p, daoc__hz_reclaim_fn fn)
{
    pthread_once(&g_once, init);
    pthread_mutex_lock(&g_ret_mu);
    if (g_nret == g_capret) {
        size_t cap = g_capret ? g_capret * 2 : 64;
        retired *n = daoc__realloc(g_ret, cap * sizeof *n);
        if (n) {
            g_ret = n;
            g_capret = cap;
        } else {
            scan(); /* ENOMEM: make room by freeing */
        }
    }
    if (g_nret < g_capret) {
        g_ret[g_nret++] = (retired){p, fn};
    } else {
        /* still no room: p itself now, unless a hazard names it (then it
         * is never freed: a leak rather than a use after free) */
        barrier();
        if (!named(atomic_load_explicit(&g_recs, memory_order_acquire), p))
            (void)fn(p);
    }
    size_t hazards = atomic_load_explicit(&g_nrecs, memory_order_relaxed) * DAOC__HZ_SLOTS;
    if (g_nret >= 1024 && g_nret >= 2 * hazards)
        scan();
    pthread_mutex_unlock(&g_ret_mu);
}

void daoc__hz_flush(void)
{
    pthread_once(&g_once, init);
    pthread_mutex_lock(&g_ret_mu);
    scan();
    if (!g_nret) {
        daoc__free(g_ret);
        g_ret = NULL;
        g_capret = 0;
    }
    pthread_mutex_unlock(&g_ret_mu);
}
