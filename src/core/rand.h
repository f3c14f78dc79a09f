/*
 * rand.h -- identifiers and clocks: UUIDv4, Kong's 32-character random
 * strings for `auto` string fields, the wall clock and a monotonic clock.
 */
#ifndef DAOC_CORE_RAND_H
#define DAOC_CORE_RAND_H

#include <stddef.h>

/* Writes a lowercase UUIDv4 (36 chars + NUL) into out[37]. */
int daoc__uuid_v4(char out[37]);
/* Writes n random characters from [A-Za-z0-9] plus NUL into out[n+1]. */
int daoc__random_string(char *out, size_t n);
/* Seconds since the epoch with sub-second precision. */
double daoc__now(void);
/* Milliseconds of a monotonic clock (time budgets and deadlines). */
double daoc__mono_ms(void);
/* The same clock read coarsely: advances in ticks of the kernel's timer
 * (a few ms), several times cheaper to read (no TSC read, which a virtual
 * machine may trap).  For "was this a moment ago?", never for deadlines. */
double daoc__mono_coarse_ms(void);
/* True when s[0..len) is a UUID in Kong's sense (8-4-4-4-12 hex digits,
 * any case, version/variant not checked). */
int daoc__is_uuid(const char *s, size_t len);
/* The same, lowercase only: the form PostgreSQL prints. */
int daoc__is_uuid_lower(const char *s, size_t len);

#endif
