/*
 * kongdb_args.c -- the arguments of kong.db.<entity> methods: the
 * programming-error checks of Kong's DAO (a table where one is due, options
 * a table when given, a unique field's value of the field's Lua type),
 * raised with the caller's position, and converting Lua arguments into
 * daoc_value inputs for the C DAO.
 */
#include "core/value.h"
#include "lua/kongdb.h"

void daoc__kdb_check_table(lua_State *L, int idx, const char *what)
{
    if (!lua_istable(L, idx))
        luaL_error(L, "%s must be a table", what);
}

void daoc__kdb_check_opts(lua_State *L, int idx)
{
    if (!lua_isnoneornil(L, idx) && !lua_istable(L, idx))
        luaL_error(L, "options must be a table when specified");
}

void daoc__kdb_check_unique(lua_State *L, int idx, const daoc_dao *dao, long field,
                            const char *fname)
{
    const daoc__field *f = &dao->schema->fields[field];
    int t = lua_type(L, idx);
    switch (f->type) {
    case DAOC__F_ARRAY:
    case DAOC__F_SET:
    case DAOC__F_MAP:
    case DAOC__F_RECORD:
    case DAOC__F_FOREIGN:
        if (t != LUA_TTABLE)
            luaL_error(L, "%s must be a table", fname);
        break;
    case DAOC__F_STRING:
        if (t != LUA_TSTRING)
            luaL_error(L, "%s must be a string", fname);
        break;
    case DAOC__F_INTEGER:
    case DAOC__F_NUMBER:
        if (t != LUA_TNUMBER)
            luaL_error(L, "%s must be a number", fname);
        break;
    case DAOC__F_BOOLEAN:
        if (t != LUA_TBOOLEAN)
            luaL_error(L, "%s must be a boolean", fname);
        break;
    default:
        break;
    }
}

void daoc__kdb_free(int n, daoc_value **v)
{
    for (int i = 0; i < n; i++) {
        daoc_value_free(v[i]);
        v[i] = NULL;
    }
}

void daoc__kdb_args(lua_State *L, struct daoc__lua *ls, int n, const int *idx, daoc_value **out)
{
    for (int i = 0; i < n; i++)
        out[i] = NULL;
    for (int i = 0; i < n; i++) {
        const char *why = NULL;
        if (lua_isnoneornil(L, idx[i]))
            continue;
        int rc = daoc__lua_to_input(ls, idx[i], &out[i], &why);
        if (rc != DAOC_OK) {
            daoc__kdb_free(i, out);
            out[i] = NULL;
            if (rc == DAOC_ENOMEM)
                luaL_error(L, "not enough memory");
            /* argument 1 is self: report the position the caller sees */
            luaL_error(L, "bad argument #%d: %s", idx[i] - 1, why ? why : "unsupported value");
        }
    }
}
