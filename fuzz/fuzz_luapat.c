/*
 * fuzz_luapat.c -- libFuzzer target for the Lua pattern matcher.  The first
 * input byte says how many of the following bytes are the pattern; the rest
 * is the subject.  Both are copied into buffers of their exact size so that
 * any read past either end trips ASan.  Checked on every input:
 *   - match returns 0, 1 or DAOC_EINVAL, and an error always has a message;
 *   - a pattern the load-time check accepts never fails to match, except by
 *     running out of the step budget ("pattern too complex");
 *   - the subject, with every byte escaped, matches itself anchored.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema.h"

static void expect_sane(int rc, const char *err)
{
    if (rc != 0 && rc != 1 && rc != DAOC_EINVAL)
        abort();
    if (rc == DAOC_EINVAL && (!err || !*err))
        abort();
}

static int is_alnum_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* "^<each byte as a literal item>$"; returns a malloc'd buffer. */
static char *literal_pattern(const unsigned char *s, size_t n, size_t *len)
{
    char *p = malloc(3 * n + 3);
    size_t k = 0;
    if (!p)
        return NULL;
    p[k++] = '^';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == 0) {
            p[k++] = '%';
            p[k++] = 'z';
        } else if (c > 32 && c < 127 && !is_alnum_byte(c)) {
            p[k++] = '%';
            p[k++] = (char)c;
        } else {
            p[k++] = (char)c;
        }
    }
    p[k++] = '$';
    *len = k;
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t plen = data[0];
    if (plen > size - 1)
        plen = size - 1;
    size_t slen = size - 1 - plen;
    char *pat = malloc(plen ? plen : 1), *subj = malloc(slen ? slen : 1);
    if (!pat || !subj) {
        free(pat);
        free(subj);
        return 0;
    }
    memcpy(pat, data + 1, plen);
    memcpy(subj, data + 1 + plen, slen);

    const char *err = NULL, *cerr = NULL;
    int rc = daoc__luapat_match(subj, slen, pat, plen, &err);
    expect_sane(rc, err);
    int crc = daoc__luapat_check(pat, plen, &cerr);
    if (crc != DAOC_OK && (crc != DAOC_EINVAL || !cerr || !*cerr))
        abort();
    if (crc == DAOC_OK && rc == DAOC_EINVAL && strcmp(err, "pattern too complex") != 0)
        abort();

    size_t llen = 0;
    char *lit = literal_pattern((const unsigned char *)subj, slen, &llen);
    if (lit) {
        char *exact = malloc(llen);
        if (exact) {
            memcpy(exact, lit, llen);
            err = NULL;
            rc = daoc__luapat_match(subj, slen, exact, llen, &err);
            /* a NUL in the subject is "%z": the escaped pattern has none */
            if (rc != 1 || daoc__luapat_check(exact, llen, NULL) != DAOC_OK)
                abort();
            free(exact);
        }
        free(lit);
    }
    free(pat);
    free(subj);
    return 0;
}
