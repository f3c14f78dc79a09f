/*
 * rand.c -- random identifiers from the kernel's CSPRNG (getrandom) and the
 * wall clock.  No user-space PRNG: ids must not be predictable.
 */
#include "core/rand.h"

#include <errno.h>
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

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int daoc__is_uuid(const char *s, size_t len)
{
    if (len != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!is_hex(s[i])) {
            return 0;
        }
    }
    return 1;
}
