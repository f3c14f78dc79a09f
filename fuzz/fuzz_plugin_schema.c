/*
 * fuzz_plugin_schema.c -- libFuzzer target: the input is the text of a
 * plugin's schema.lua.  It is loaded in the sandbox (instruction budget
 * lowered so loops end fast), normalised (a 0.x schema converted by
 * legacy.c) and registered as a subschema of a parent shaped like the
 * plugins entity (subschema_key name, an abstract config record), whose
 * subschemas are then validated against a small plugin row.  Nothing may
 * crash, leak or hang.  Each input gets a fresh Lua state.
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

static const char PARENT[] =
    "{\"name\":\"plugins\",\"primary_key\":[\"id\"],\"subschema_key\":\"name\","
    "\"subschema_error\":\"plugin '%s' not enabled\",\"fields\":["
    "{\"id\":{\"type\":\"string\",\"uuid\":true,\"auto\":true}},"
    "{\"name\":{\"type\":\"string\",\"required\":true}},"
    "{\"config\":{\"type\":\"record\",\"abstract\":true}},"
    "{\"protocols\":{\"type\":\"set\",\"elements\":{\"type\":\"string\"}}},"
    "{\"enabled\":{\"type\":\"boolean\",\"default\":true}}]}";

static const char ROW[] = "{\"name\":\"fuzz\",\"config\":{\"a\":1,\"b\":\"x\",\"c\":[1,\"y\"]}}";

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
    daoc_value *def = NULL, *pdef = NULL, *row = NULL, *errors = NULL;
    daoc__schema *parent = NULL;
    daoc_error *err = NULL;
    struct daoc__lua *ls = NULL;
    char *msg = NULL;
    if (!db.cfg && setup() != 0)
        return 0;
    if (daoc__lua_open(&db, &ls, &err) != DAOC_OK) {
        daoc_error_free(err);
        return 0;
    }
    ls->budget = 200000;
    if (daoc_json_decode(PARENT, sizeof PARENT - 1, &pdef, NULL) == DAOC_OK &&
        daoc_json_decode(ROW, sizeof ROW - 1, &row, NULL) == DAOC_OK &&
        daoc__schema_compile(pdef, NULL, NULL, &parent, &msg) == DAOC_OK &&
        daoc__lua_load_schema_buffer(ls, "fuzz", "fuzz/schema.lua", (const char *)data, size,
                                     &def, &err) == DAOC_OK &&
        daoc__schema_add_subschema(parent, "fuzz", def, NULL, NULL, &msg) == DAOC_OK &&
        daoc__schema_validate(parent, row, true, false, &errors) == DAOC_OK)
        daoc_value_free(errors);
    daoc__free(msg);
    daoc__schema_free(parent);
    daoc_value_free(pdef);
    daoc_value_free(row);
    daoc_value_free(def);
    daoc_error_free(err);
    daoc__lua_close(ls);
    return 0;
}
