/*
 * kongdb_custom.c -- custom DAO modules (a definition's `dao = "..."`): the
 * module is required through the global require and its functions are
 * copied onto the DAO object over the generated ones, as Kong does; the
 * require and every call of a copied function run under the instruction
 * budget of plugin code.  A module that fails to load is an error, as
 * Kong's require(schema.dao) makes it one at start: it names the plugin,
 * the entity and the module (the opener fails with it).
 */
#include "db/db.h"
#include "lua/kongdb.h"

/* Copies the functions of the custom DAO module (`dao = "..."`) onto the
 * object at the top of the stack, as Kong does.  Uses the global require;
 * a failure raises a Lua error naming plugin, entity and module. */
void daoc__kdb_apply_custom_dao(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao)
{
    const char *mod = dao->schema->dao_module;
    if (!mod)
        return;
    lua_getglobal(L, "require");
    if (!lua_isfunction(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    lua_pushstring(L, mod);
    if (daoc__lua_pcall_budgeted(ls, L, 1, 1, 0) != 0) {
        const char *why = lua_tostring(L, -1);
        lua_pushfstring(L, "%s%s%sentity '%s': cannot load its custom DAO module '%s': %s",
                        dao->schema->plugin ? "custom plugin '" : "",
                        dao->schema->plugin ? dao->schema->plugin : "",
                        dao->schema->plugin ? "': " : "", dao->schema->name, mod,
                        why ? why : "error object is not a string");
        lua_error(L);
    }
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            if (lua_type(L, -2) == LUA_TSTRING) {
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                daoc__lua_wrap_budgeted(ls, L); /* plugin code: each call budgeted */
                lua_rawset(L, -5);
            } else {
                lua_pop(L, 1);
            }
        }
    }
    lua_pop(L, 1);
}
