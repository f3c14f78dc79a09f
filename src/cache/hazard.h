/*
 * hazard.h -- hazard pointers for the entity cache's hit path: what lets a
 * hit hand out an entry it found without the shard's lock and without
 * writing the entry's reference count (hazard.c).
 *
 * Each thread owns a record: a few hazard slots, each naming one entry a
 * reference of that thread is borrowing.  An entry whose last counted
 * reference went is retired rather than freed, and a scan frees the
 * retired blocks no hazard slot names.  Every store a hit makes goes to
 * its own thread's record, so hits on two cores pass no cache line between
 * them.
 *
 * The reader's order (publish the hazard, then check that the block is
 * still in the table) needs a store-load barrier; when the kernel offers
 * membarrier(2) the scan pays it for every thread at once and the reader
 * needs only a compiler barrier.
 */
#ifndef DAOC_CACHE_HAZARD_H
#define DAOC_CACHE_HAZARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/hint.h"

#define DAOC__HZ_SLOTS 8   /* references a thread borrows at once */
#define DAOC__HZ_HITS 256 /* per-thread hit counters (hits.c) */

typedef struct daoc__hz_rec {
    char pad0[64]; /* the slots share no line with another allocation */
    void *_Atomic hp[DAOC__HZ_SLOTS]; /* borrowed entries; NULL = free */
    struct daoc__hz_rec *_Atomic next; /* all records, newest first; never freed */
    atomic_bool owned;                 /* by a live thread */
    /* hit counter i: its tag (owner id << 18 | shard << 8 | class; 0 =
     * unused) and its count, written by the record's thread only; two
     * arrays, so that the hit path indexes both by i with no multiply */
    _Atomic uint64_t hit_tag[DAOC__HZ_HITS];
    _Atomic uint64_t hit_n[DAOC__HZ_HITS];
    char pad1[64];
} daoc__hz_rec;

/* The calling thread's record once daoc__hz_self made it; else NULL. */
extern _Thread_local daoc__hz_rec *daoc__hz_tl __attribute__((tls_model("initial-exec")));
/* Whether scans pay the readers' barrier (membarrier); set before the
 * first record exists, never changed after. */
extern bool daoc__hz_asym;

/* The calling thread's record, made or adopted on first use; NULL when
 * none could be allocated (the caller then takes the locked path). */
daoc__hz_rec *daoc__hz_self(void);

/* The first record (then each one's next); records are never freed. */
daoc__hz_rec *daoc__hz_records(void);

/* Names p in slot, ordered before every load that follows (the check
 * that p is still in the table): with membarrier, the scan's barrier does
 * that and this is a plain store; else an exchange (a full barrier). */
static inline void daoc__hz_publish(void *_Atomic *slot, void *p)
{
    if (DAOC__LIKELY(daoc__hz_asym)) {
        atomic_store_explicit(slot, p, memory_order_relaxed);
        atomic_signal_fence(memory_order_seq_cst);
    } else {
        (void)atomic_exchange_explicit(slot, p, memory_order_seq_cst);
    }
}

/* Frees p when it may be freed; false keeps it retired for a later scan. */
typedef bool (*daoc__hz_reclaim_fn)(void *p);
/* Hands p to the reclaimer: it is freed (by fn) once no hazard names it
 * and fn agrees.  From any thread, with or without a shard lock. */
void daoc__hz_retire(void *p, daoc__hz_reclaim_fn fn);
/* Scans now: frees every retired block no hazard names. */
void daoc__hz_flush(void);

#endif
