/*
 * fuzz_config.c -- libFuzzer target for the daoc.conf parser: the input is
 * the text of a configuration file.  Every outcome must be DAOC_OK or
 * DAOC_ECONFIG with a message; never a crash, a leak or an over-read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/fuzz-config-%d.conf", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    daoc_config *cfg = NULL;
    daoc_error *e = NULL;
    int rc = daoc_config_load(&cfg, path, &e);
    const char *why = e ? daoc_error_message(e) : NULL;
    if (rc == DAOC_OK) {
        /* every key must read back as text */
        static const char *const keys[] = {"database", "sqlite_path", "plugins",
                                           "lua_package_path", "prefix"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (!daoc_config_get(cfg, keys[i]))
                abort();
        daoc_config_free(cfg);
    } else if (rc != DAOC_ENOMEM && (!why || !why[0])) {
        abort(); /* an error must say why */
    }
    daoc_error_free(e);
    return 0;
}
