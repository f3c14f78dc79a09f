/*
 * size.c -- Kong's memory size syntax for the entity cache's bound
 * (mem_cache_size = 128m): digits, then optionally k, m or g (powers of
 * 1024, either case).  Nothing else is accepted: no sign, no spaces, no
 * fraction, no "kb"; at most 2^40 bytes.
 */
#include "daoc.h"

int daoc_cache_parse_size(const char *text, size_t *out)
{
    if (!text || !out || !*text)
        return DAOC_EINVAL;
    unsigned long long v = 0;
    const char *p = text;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (unsigned long long)(*p - '0');
        if (v > (1ull << 40))
            return DAOC_EINVAL;
    }
    if (p == text)
        return DAOC_EINVAL;
    unsigned shift = 0;
    switch (*p) {
    case '\0':
        break;
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    default:
        return DAOC_EINVAL;
    }
    if (shift && p[1])
        return DAOC_EINVAL;
    if (v > (1ull << 40) >> shift)
        return DAOC_EINVAL;
    *out = (size_t)(v << shift);
    return DAOC_OK;
}
