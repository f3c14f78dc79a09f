/*
 * events.h -- the cluster events reader's internals (cluster.c) that are
 * worth testing alone.
 */
#ifndef DAOC_EVENTS_EVENTS_H
#define DAOC_EVENTS_EVENTS_H

#include <stddef.h>

/* Splits a NOTIFY payload (payload.c): 1 with id, channel and *data (in
 * p) set; 0 when it carries no data (read the table); -1 when it is not a
 * cluster event's. */
int daoc__events_payload(const char *p, char id[37], char *channel, size_t chsize,
                         const char **data);

#endif
