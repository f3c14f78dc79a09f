/*
 * json.h -- internal JSON reader and writer (see json.c).
 */
#ifndef DAOC_CORE_JSON_H
#define DAOC_CORE_JSON_H

#include "core/buf.h"
#include "daoc.h"

/* daoc_json_decode with the reason, when there is one, in errbuf (for
 * callers inside the library, which report it their own way).  DAOC_EINVAL
 * for text that is not JSON or nests too deep, DAOC_ENOMEM. */
int daoc__json_decode(const char *text, size_t len, daoc_value **out, char *errbuf,
                      size_t errbuf_size);

/* Appends the compact JSON of v (NULL writes null). */
void daoc__json_write(daoc__buf *b, const daoc_value *v);

#endif
