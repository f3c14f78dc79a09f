/*
 * alloc.h -- the one allocation layer of daoc.
 *
 * Every allocation in the library goes through these functions so that tests
 * can make the Nth allocation fail (daoc__alloc_fail_after) and check that each
 * path reports DAOC_ENOMEM without leaking.
 */
#ifndef DAOC_CORE_ALLOC_H
#define DAOC_CORE_ALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *daoc__malloc(size_t n);
void *daoc__calloc(size_t n, size_t size);
void *daoc__realloc(void *p, size_t n);
void daoc__free(void *p);
char *daoc__strdup(const char *s);
char *daoc__strndup(const char *s, size_t n);
/* printf into a new buffer; NULL on ENOMEM. */
char *daoc__asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with a va_list (consumed). */
char *daoc__vasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Test hook: after `n` more successful allocations, every allocation fails.
 * n < 0 disables the hook.  Not thread-safe; tests only. */
void daoc__alloc_fail_after(long n);

#endif
