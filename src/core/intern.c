/*
 * intern.c -- interned object keys: one process-lifetime copy of each
 * distinct key text, so that objects built by the library (rows, entities)
 * can point at their keys instead of copying them (value.c: daoc__kv
 * .borrowed).  Schema compilation interns field names; rows are built with
 * those pointers.
 *
 * Interned text is never freed, so a value keeps valid keys whatever
 * outlives what: rows may outlive their daoc_db and its schemas.  The table
 * only grows with distinct key texts, and stops at INTERN_MAX_BYTES (then
 * daoc__key_intern answers NULL and callers copy keys as before), so
 * schemas made of ever-new names cannot grow it without bound.
 *
 * Thread-safe: one mutex around lookups and inserts, which happen when
 * schemas are compiled, never per row.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/value.h"

#define INTERN_MAX_BYTES (256u * 1024u)
#define CHUNK 4096u

typedef struct slot {
    const char *key; /* NULL = empty */
    size_t klen;
} slot;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static slot *g_slots;
static size_t g_cap, g_len;
static char *g_chunk; /* current text chunk */
static size_t g_chunk_used, g_chunk_size;
static size_t g_bytes; /* text and tables held, for the cap */

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

static slot *find(slot *slots, size_t cap, const char *key, size_t klen)
{
    size_t j = (size_t)hash(key, klen) & (cap - 1);
    while (slots[j].key && !(slots[j].klen == klen && memcmp(slots[j].key, key, klen) == 0))
        j = (j + 1) & (cap - 1);
    return &slots[j];
}

static bool grow(void)
{
    size_t cap = g_cap ? g_cap * 2 : 256;
    if (g_bytes + cap * sizeof(slot) > INTERN_MAX_BYTES)
        return false;
    /* plain malloc: process-lifetime memory, outside the test hook's count */
    slot *t = calloc(cap, sizeof *t);
    if (!t)
        return false;
    for (size_t i = 0; i < g_cap; i++)
        if (g_slots[i].key)
            *find(t, cap, g_slots[i].key, g_slots[i].klen) = g_slots[i];
    free(g_slots);
    g_bytes += (cap - g_cap) * sizeof(slot);
    g_slots = t;
    g_cap = cap;
    return true;
}

/* A copy of key in the current chunk (a new chunk when it does not fit). */
static const char *store(const char *key, size_t klen)
{
    if (klen + 1 > g_chunk_size - g_chunk_used) {
        size_t size = klen + 1 > CHUNK ? klen + 1 : CHUNK;
        if (g_bytes + size > INTERN_MAX_BYTES)
            return NULL;
        char *c = malloc(size);
        if (!c)
            return NULL;
        g_bytes += size;
        g_chunk = c; /* the previous chunk stays: its keys are in use */
        g_chunk_used = 0;
        g_chunk_size = size;
    }
    char *k = g_chunk + g_chunk_used;
    memcpy(k, key, klen);
    k[klen] = '\0';
    g_chunk_used += klen + 1;
    return k;
}

const char *daoc__key_intern(const char *key, size_t klen)
{
    if (!key)
        return NULL;
    const char *out = NULL;
    pthread_mutex_lock(&g_mu);
    if ((g_len + 1) * 2 <= g_cap || grow()) {
        slot *e = find(g_slots, g_cap, key, klen);
        if (!e->key && (e->key = store(key, klen)) != NULL) {
            e->klen = klen;
            g_len++;
        }
        out = e->key;
    }
    pthread_mutex_unlock(&g_mu);
    return out;
}
