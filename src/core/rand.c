/*
 * rand.c -- random identifiers from the kernel's CSPRNG (getrandom, fetched
 * in per-thread batches) and the wall clock.  No user-space PRNG: ids must
 * not be predictable.
 */
#include "core/rand.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "daoc.h"

/* Kernel randomness fetched in batches: one getrandom() call serves many
 * ids (a system call per UUID cost about 1 us on the benchmark machine,
 * against a 25-40 us insert).  Each thread has its own batch; bytes are
 * handed out once and wiped; a forked child drops the batch it inherited
 * (pthread_atfork), so parent and child never hand out the same bytes. */
#define BATCH 256

static _Thread_local struct {
    unsigned char b[BATCH];
    size_t left; /* unused bytes at the front of b */
} g_batch;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void forget_batch(void)
{
    memset(g_batch.b, 0, sizeof g_batch.b);
    g_batch.left = 0;
}

static void register_fork_handler(void) { (void)pthread_atfork(NULL, NULL, forget_batch); }

static int refill(void)
{
    size_t got = 0;
    while (got < BATCH) {
        ssize_t r = getrandom(g_batch.b + got, BATCH - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return DAOC_EIO;
        }
        got += (size_t)r;
    }
    g_batch.left = BATCH;
    return DAOC_OK;
}

static int fill(unsigned char *p, size_t n)
{
    (void)pthread_once(&g_once, register_fork_handler);
    while (n) {
        if (g_batch.left == 0) {
            int rc = refill();
            if (rc != DAOC_OK)
                return rc;
        }
        size_t k = n < g_batch.left ? n : g_batch.left;
        unsigned char *src = g_batch.b + g_batch.left - k;
        memcpy(p, src, k);
        memset(src, 0, k); /* handed out once */
        g_batch.left -= k;
        p += k;
        n -= k;
    }
    return DAOC_OK;
}

int daoc__uuid_v4(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    int rc = fill(b, sizeof b);
    if (rc != DAOC_OK)
        return rc;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
    return DAOC_OK;
}

int daoc__random_string(char *out, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t i = 0;
    while (i < n) {
        unsigned char b[64];
        int rc = fill(b, sizeof b);
        if (rc != DAOC_OK)
            return rc;
        for (size_t j = 0; j < sizeof b && i < n; j++) {
            if (b[j] >= 248) /* 248 = 4 * 62: reject to keep the draw uniform */
                continue;
            out[i++] = alphabet[b[j] % 62];
        }
    }
    out[n] = '\0';
    return DAOC_OK;
}

double daoc__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double daoc__mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

double daoc__mono_coarse_ms(void)
{
    struct timespec ts;
#ifdef CLOCK_MONOTONIC_COARSE
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

#define ONES 0x0101010101010101ull
#define HIGH 0x8080808080808080ull

/* Bit 7 of each byte of w (bytes below 0x80) set when that byte is a hex
 * digit -- of either case, or lowercase only: range tests by adding a bias
 * and reading bit 7; no sum exceeds 0xff, so bytes never carry into each
 * other. */
static uint64_t hex8(uint64_t w, bool any_case)
{
    uint64_t digit = (w + ONES * (0x80 - '0')) & ~(w + ONES * (0x7f - '9'));
    uint64_t l = any_case ? w | ONES * 0x20 : w; /* 'A'-'F' -> 'a'-'f'; digits tested on w */
    return digit | ((l + ONES * (0x80 - 'a')) & ~(l + ONES * (0x7f - 'f')));
}

/* 8-4-4-4-12 hex digits, eight characters at a time. */
static int uuid_text(const char *s, size_t len, bool any_case)
{
    if (len != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
        return 0;
    /* the 32 digits as four words: 0-7, 9-12 + 14-17, 19-22 + 24-27, 28-35 */
    uint64_t a, d;
    uint32_t b0, b1, c0, c1;
    memcpy(&a, s, 8);
    memcpy(&b0, s + 9, 4);
    memcpy(&b1, s + 14, 4);
    memcpy(&c0, s + 19, 4);
    memcpy(&c1, s + 24, 4);
    memcpy(&d, s + 28, 8);
    uint64_t b = b0 | (uint64_t)b1 << 32, c = c0 | (uint64_t)c1 << 32;
    if ((a | b | c | d) & HIGH)
        return 0; /* not ASCII */
    return (hex8(a, any_case) & hex8(b, any_case) & hex8(c, any_case) & hex8(d, any_case) &
            HIGH) == HIGH;
}

/* Kong's is_valid_uuid (uuid primary keys are checked on every keyed call). */
int daoc__is_uuid(const char *s, size_t len)
{
    return uuid_text(s, len, true);
}

int daoc__is_uuid_lower(const char *s, size_t len)
{
    return uuid_text(s, len, false);
}
