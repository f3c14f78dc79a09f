/*
 * payload.c -- a cluster event's NOTIFY payload, "<id>\n<channel>\n<data>"
 * (store/postgres/events.c writes it; any client of the database may
 * NOTIFY the same channel, so it is outside input): an id of 36 bytes, a
 * channel of at most 127 bytes, data empty when the event was too long to
 * carry (the reader then reads the table).
 */
#include <string.h>

#include "events/events.h"

int daoc__events_payload(const char *p, char id[37], char *channel, size_t chsize,
                         const char **data)
{
    const char *nl1 = strchr(p, '\n'), *nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
    if (!nl1 || !nl2 || nl1 - p != 36)
        return -1; /* not one of ours (a probe) */
    size_t cl = (size_t)(nl2 - nl1 - 1);
    if (cl == 0 || cl >= chsize)
        return -1;
    memcpy(id, p, 36);
    id[36] = '\0';
    memcpy(channel, nl1 + 1, cl);
    channel[cl] = '\0';
    *data = nl2 + 1;
    return **data ? 1 : 0;
}
