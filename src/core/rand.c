/*
 * rand.c -- random identifiers from the kernel's CSPRNG (getrandom) and the
 * wall clock.  No user-space PRNG: ids must not be predictable.
 */
#include "core/rand.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "daoc.h"

static int fill(unsigned char *p, size_t n)
{
    while (n) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return DAOC_EIO;
        }
        p += r;
        n -= (size_t)r;
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

/* Hex digits of a uuid: a table lookup per character (uuid primary keys
 * are checked on every keyed call). */
static unsigned is_hex(unsigned char c)
{
    static const unsigned char hex[256] = {
        ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
        ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
        ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1};
    return hex[c];
}

int daoc__is_uuid(const char *s, size_t len)
{
    if (len != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
        return 0;
    const unsigned char *u = (const unsigned char *)s;
    unsigned ok = 1; /* branch-free: & of 0/1 digits */
    for (size_t i = 0; i < 8; i++)
        ok &= is_hex(u[i]) & is_hex(u[28 + i]);
    for (size_t i = 0; i < 4; i++)
        ok &= is_hex(u[9 + i]) & is_hex(u[14 + i]) & is_hex(u[19 + i]) & is_hex(u[24 + i]);
    return (int)ok;
}
