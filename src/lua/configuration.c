/*
 * configuration.c -- kong.configuration: the loaded configuration as Kong
 * hands it to plugin code, with Kong's key names (kong.conf's), set on the
 * `kong` table before any plugin file loads, as Kong sets it before loading
 * plugins.
 *
 * Values are typed as Kong's conf_loader types them: ports, timeouts and
 * sizes are numbers, on/off keys booleans, `plugins` an array of names
 * (with `loaded_plugins`, a set of them, as Kong adds), every other key a
 * string; a key left empty (pg_schema, pg_password, the pg_ro_* keys) is
 * absent, as an unset optional key is nil in Kong.  The table is a copy:
 * changing it changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "db/db.h"
#include "lua/lua_internal.h"

static bool listed(const char *key, const char *const *keys)
{
    for (; *keys; keys++)
        if (strcmp(*keys, key) == 0)
            return true;
    return false;
}

void daoc__lua_push_configuration(lua_State *L, const daoc_config *cfg)
{
    static const char *const numbers[] = {"pg_port", "pg_ro_port", "pg_timeout", "pg_pool_size",
                                          NULL};
    static const char *const booleans[] = {"pg_ssl", "pg_ssl_verify", "create_tables", NULL};
    lua_newtable(L);
    for (size_t i = 0; cfg && daoc__config_key_at(i); i++) {
        const char *key = daoc__config_key_at(i), *v = daoc_config_get(cfg, key);
        if (!v || !*v)
            continue;
        if (strcmp(key, "plugins") == 0) {
            lua_createtable(L, (int)cfg->nplugins, 0);
            lua_createtable(L, 0, (int)cfg->nplugins);
            for (size_t p = 0; p < cfg->nplugins; p++) {
                lua_pushstring(L, cfg->plugins[p]);
                lua_rawseti(L, -3, (int)p + 1);
                lua_pushboolean(L, 1);
                lua_setfield(L, -2, cfg->plugins[p]);
            }
            lua_setfield(L, -3, "loaded_plugins");
            lua_setfield(L, -2, "plugins");
            continue;
        }
        char *end = NULL;
        long n = listed(key, numbers) ? strtol(v, &end, 10) : 0;
        if (end && end != v && *end == '\0')
            lua_pushnumber(L, (lua_Number)n);
        else if (listed(key, booleans))
            lua_pushboolean(L, strcmp(v, "on") == 0);
        else
            lua_pushstring(L, v);
        lua_setfield(L, -2, key);
    }
}
