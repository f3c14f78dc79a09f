/*
 * alloc.c -- allocation wrappers with a failure-injection hook for tests.
 *
 * Deliberately thin: no pooling, no statistics.  The hook lets the test suite
 * fail the Nth allocation and check every caller's ENOMEM path.
 */
#include "core/alloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long fail_after = -1;

static int should_fail(void)
{
    if (fail_after < 0)
        return 0;
    if (fail_after == 0)
        return 1;
    fail_after--;
    return 0;
}

void daoc__alloc_fail_after(long n) { fail_after = n; }

void *daoc__malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

/* Small blocks: malloc + memset.  glibc's calloc skips the per-thread cache
 * malloc and free use (measured on glibc 2.36: ~300 instructions a call
 * against ~40 for malloc), and the values it makes are freed into that
 * cache, which then overflows into the fast bins and makes the next large
 * allocation consolidate them.  Large blocks keep calloc (fresh pages come
 * zeroed).  GCC turns malloc + memset into calloc unless told otherwise. */
#define CALLOC_SMALL 1024

void *daoc__calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    if (!n)
        n = 1;
    if (!size)
        size = 1;
    if (n > SIZE_MAX / size)
        return NULL;
    size_t total = n * size;
    if (total > CALLOC_SMALL)
        return calloc(n, size);
    void *p = malloc(total);
#if defined(__GNUC__)
    __asm__("" : "+r"(p)); /* keeps the compiler from folding this back into calloc */
#endif
    if (p)
        memset(p, 0, total);
    return p;
}

void *daoc__realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void daoc__free(void *p) { free(p); }

char *daoc__strndup(const char *s, size_t n)
{
    char *d = daoc__malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *daoc__strdup(const char *s) { return daoc__strndup(s, strlen(s)); }

char *daoc__vasprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *buf = daoc__malloc((size_t)n + 1);
    if (!buf)
        return NULL;
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
    return buf;
}

char *daoc__asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *buf = daoc__vasprintf(fmt, ap);
    va_end(ap);
    return buf;
}
