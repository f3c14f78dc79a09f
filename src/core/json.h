/*
 * json.h -- internal JSON writer (see json.c).
 */
#ifndef DAOC_CORE_JSON_H
#define DAOC_CORE_JSON_H

#include "core/buf.h"
#include "daoc.h"

/* Appends the compact JSON of v (NULL writes null). */
void daoc__json_write(daoc__buf *b, const daoc_value *v);

#endif
