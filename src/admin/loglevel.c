/*
 * loglevel.c -- the server's log level.  Every database handle the server
 * opens logs through daoc__adm_log, which drops a message less severe than
 * the current level before the embedder's log function sees it.  The level
 * starts as the configuration's log_level; PUT /debug/node/log-level/:level
 * (node.c) sets another one for `timeout` seconds, after which the
 * configured level is back (a timeout of 0: until the next change).  Any
 * server thread may log while another changes the level.
 */
#include <time.h>

#include "admin/admin.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The state is one atomic word: the deadline in ms (0: none) above the
 * level's three bits, so a change and its running out never mix. */
static uint64_t pack(int level, int64_t until_ms)
{
    return (uint64_t)until_ms << 3 | (uint64_t)(level & 7);
}

void daoc__adm_loglevel_init(daoc__adm_loglevel *l, daoc_log_fn fn, void *ud, const char *level)
{
    l->fn = fn;
    l->ud = ud;
    int i = daoc_log_level_index(level);
    l->base = i < 0 ? 2 : i;
    atomic_store(&l->state, pack(l->base, 0));
}

int daoc__adm_loglevel_get(daoc__adm_loglevel *l)
{
    uint64_t s = atomic_load(&l->state);
    int64_t until = (int64_t)(s >> 3);
    if (until && now_ms() >= until) { /* the change has run out */
        uint64_t back = pack(l->base, 0);
        if (atomic_compare_exchange_strong(&l->state, &s, back))
            return l->base;
        /* changed meanwhile: s now holds the new state */
    }
    return (int)(s & 7);
}

void daoc__adm_loglevel_set(daoc__adm_loglevel *l, int level, int64_t timeout_s)
{
    atomic_store(&l->state, pack(level, timeout_s > 0 ? now_ms() + timeout_s * 1000 : 0));
}

void daoc__adm_log(void *ud, daoc_log_level lvl, const char *msg)
{
    daoc__adm_loglevel *l = ud;
    /* daoc's levels are the first five of Kong's, in the same order */
    if (l->fn && (int)lvl >= daoc__adm_loglevel_get(l))
        l->fn(l->ud, lvl, msg);
}
