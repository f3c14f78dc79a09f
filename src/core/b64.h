/*
 * b64.h -- standard-alphabet base64 (RFC 4648 section 4), used by Kong's
 * paging offsets (ngx.encode_base64(s, true): no padding on output;
 * decoding accepts input with or without '=' padding).
 */
#ifndef DAOC_CORE_B64_H
#define DAOC_CORE_B64_H

#include <stddef.h>

/* Returns a new NUL-terminated string (daoc__free) or NULL on ENOMEM. */
char *daoc__b64_encode(const void *data, size_t len, int pad);
/* Returns 0 and a new buffer (*out, *outlen; NUL-terminated) or -1 for
 * malformed input, -2 on ENOMEM. */
int daoc__b64_decode(const char *s, size_t len, char **out, size_t *outlen);

#endif
