/*
 * events.h -- the cluster events reader's internals (cluster.c) that are
 * worth testing alone.
 */
#ifndef DAOC_EVENTS_EVENTS_H
#define DAOC_EVENTS_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Splits a NOTIFY payload (payload.c): 1 with id, channel and *data (in
 * p) set; 0 when it carries no data (read the table); -1 when it is not a
 * cluster event's. */
int daoc__events_payload(const char *p, char id[37], char *channel, size_t chsize,
                         const char **data);

/* The ids of the events a reader told (seen.c), each kept until a database
 * time; zero-initialised is empty. */
typedef struct daoc__seen_id {
    char id[37];
    double until; /* epoch seconds (database clock) */
} daoc__seen_id;

typedef struct daoc__seen {
    daoc__seen_id *ids; /* in the order of marking */
    size_t n, cap;
    uint32_t *index; /* 1 + the entry's position, 0: empty */
    size_t mask;     /* index slots - 1 */
} daoc__seen;

/* Whether id was marked (and not pruned since). */
bool daoc__seen_has(const daoc__seen *s, const char *id);
/* Marks id (nothing when it is marked already); out of memory, it is not
 * marked (the event may be told twice). */
void daoc__seen_add(daoc__seen *s, const char *id, double until);
/* Forgets the ids kept until before `before`. */
void daoc__seen_prune(daoc__seen *s, double before);
void daoc__seen_free(daoc__seen *s);

#endif
