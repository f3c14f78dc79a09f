/*
 * fuzz_health_packet.c -- libFuzzer target: arbitrary bytes as the data
 * of a "balancer:post_health" cluster event (any node, or anyone who can
 * write cluster_events, sends one).  daoc__adm_health_packet must accept
 * or refuse it without reading or writing out of bounds; an accepted one
 * gives a key of "<upstream> <host>:<port>[ <ip>:<port>]".
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#include "admin/admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *p = daoc__strndup((const char *)data, size); /* the parser reads a C string */
    if (!p)
        return 0;
    char key[64];
    bool whole = false, healthy = false;
    if (daoc__adm_health_packet(p, key, sizeof key, &whole, &healthy) == 0) {
        size_t n = strlen(key);
        const char *sp = strchr(key, ' ');
        if (n == 0 || n >= sizeof key || !sp || (whole != (strchr(sp + 1, ' ') == NULL)))
            abort();
    }
    daoc__free(p);
    return 0;
}
