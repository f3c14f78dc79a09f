/*
 * fuzz_cluster_payload.c -- libFuzzer target: arbitrary bytes as the
 * payload of a NOTIFY on daoc_cluster_events (anyone connected to the
 * database may send one).  daoc__events_payload must classify it without
 * reading or writing out of bounds, and what it returns must hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#include "events/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *p = daoc__strndup((const char *)data, size); /* the parser reads a C string */
    if (!p)
        return 0;
    char id[37], ch[128];
    const char *rest = NULL;
    int kind = daoc__events_payload(p, id, ch, sizeof ch, &rest);
    if (kind >= 0) {
        if (strlen(id) != 36 || strlen(ch) == 0 || strlen(ch) >= sizeof ch || !rest || rest < p ||
            rest > p + size || (kind == 1) != (*rest != '\0'))
            abort();
    }
    daoc__free(p);
    return 0;
}
