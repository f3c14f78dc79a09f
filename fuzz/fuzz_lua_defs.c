/*
 * fuzz_lua_defs.c -- libFuzzer target: the input is the text of a daos.lua.
 * It is loaded in the sandbox (instruction budget lowered so loops end
 * fast), converted to definition values, and each definition is compiled
 * with daoc__schema_compile.  Nothing may crash, leak or hang.  Each input
 * gets a fresh Lua state, so nothing one input leaves behind (globals,
 * cached modules) is mistaken for a leak of the next.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/config.h"
#include "core/alloc.h"
#include "db/db.h"
#include "lua/lua_internal.h"
#include "schema/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static daoc_db db;

static int setup(void)
{
    if (daoc_config_load(&db.cfg, NULL, NULL) != DAOC_OK)
        return -1;
    if (daoc_config_set(db.cfg, "lua_package_path", "/nonexistent/?.lua", NULL) != DAOC_OK)
        return -1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    daoc_value *defs = NULL;
    daoc_error *err = NULL;
    struct daoc__lua *ls = NULL;
    if (!db.cfg && setup() != 0)
        return 0;
    if (daoc__lua_open(&db, &ls, &err) != DAOC_OK) {
        daoc_error_free(err);
        return 0;
    }
    ls->budget = 200000;
    if (daoc__lua_load_daos_buffer(ls, "fuzz", "fuzz/daos.lua", (const char *)data, size, &defs,
                                   &err) == DAOC_OK) {
        for (size_t i = 0; i < daoc_value_len(defs); i++) {
            daoc__schema *s = NULL;
            char *msg = NULL;
            if (daoc__schema_compile(daoc_arr_get(defs, i), NULL, NULL, &s, &msg) == DAOC_OK)
                daoc__schema_free(s);
            daoc__free(msg);
        }
    }
    daoc_value_free(defs);
    daoc_error_free(err);
    daoc__lua_close(ls);
    return 0;
}
