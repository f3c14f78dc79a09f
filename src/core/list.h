/*
 * list.h -- the items of a configuration list such as Kong's `plugins =
 * bundled, my-plugin` or `db_cache_warmup_entities = services,consumers`:
 * separated by commas, blanks (spaces and tabs) around an item ignored,
 * empty items skipped.
 */
#ifndef DAOC_CORE_LIST_H
#define DAOC_CORE_LIST_H

#include <stdbool.h>
#include <stddef.h>

/* The next item of the list at *p: *item and *len (trimmed, not
 * terminated: it points into the list), *p moved past it.  false when no
 * item is left. */
bool daoc__list_item(const char **p, const char **item, size_t *len);

#endif
