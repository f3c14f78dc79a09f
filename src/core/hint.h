/*
 * hint.h -- which way a branch mostly goes, for the few hot paths that
 * say so (the cache's hit path), so that the compiler lays them out
 * straight.  GCC and Clang; elsewhere the hints are nothing and only the
 * code's speed differs.
 */
#ifndef DAOC_CORE_HINT_H
#define DAOC_CORE_HINT_H

#if defined(__GNUC__)
#define DAOC__LIKELY(x) __builtin_expect(!!(x), 1)
#define DAOC__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define DAOC__LIKELY(x) (x)
#define DAOC__UNLIKELY(x) (x)
#endif

#endif
