/*
 * buf.h -- a growable byte buffer with a sticky failure bit.
 *
 * Appends never report errors individually: the first allocation failure sets
 * `failed`, later appends become no-ops, and the owner checks once at the end
 * (the PgBouncer PktBuf idiom).  The content is always NUL-terminated when not
 * failed.
 */
#ifndef DAOC_CORE_BUF_H
#define DAOC_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct daoc__buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} daoc__buf;

#define DAOC__BUF_INIT {NULL, 0, 0, false}

void daoc__buf_append(daoc__buf *b, const void *p, size_t n);
void daoc__buf_puts(daoc__buf *b, const char *s);
void daoc__buf_putc(daoc__buf *b, char c);
void daoc__buf_printf(daoc__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the data (caller owns it, free with daoc__free) and resets b; NULL
 * if the buffer failed (the memory is released then). */
char *daoc__buf_take(daoc__buf *b, size_t *len);
void daoc__buf_reset(daoc__buf *b); /* keeps capacity, clears failed */
void daoc__buf_free(daoc__buf *b);

#endif
