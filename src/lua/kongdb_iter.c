/*
 * kongdb_iter.c -- paging methods of kong.db.<entity>: page, each and the
 * generated page_for_<f> / each_for_<f> of every foreign field, and the
 * tags entity's page_by_tag.
 *
 * page returns `rows, nil, nil, next_offset` (rows always a JSON array).
 * each returns an iterator yielding `entity, nil, page_no`; it fetches the
 * first page at once so that an invalid size or invalid options make each()
 * itself return `nil, err, err_t` as Kong does (each_for_<f> instead returns
 * an iterator failing once).  Any later failure is yielded once as
 * `false, err, err_t`, then the iteration ends.  Sizes, offsets and options
 * are validated by the C DAO (daoc__dao_page_v); this file only raises
 * Kong's programming errors.
 */
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/value.h"
#include "lua/kongdb.h"

static void check_size(lua_State *L, int idx)
{
    if (!lua_isnoneornil(L, idx) && lua_type(L, idx) != LUA_TNUMBER)
        luaL_error(L, "size must be a number");
}

static void check_offset(lua_State *L, int idx)
{
    if (!lua_isnoneornil(L, idx) && lua_type(L, idx) != LUA_TSTRING)
        luaL_error(L, "offset must be a string");
}

/* A token with a NUL inside cannot reach the C API whole: it goes on with
 * each NUL written as the two characters "\0", which no token holds, so
 * the DAO refuses it as code 7 and its message shows the token as given.
 * The copy lives on the Lua stack (pushed last) until the call returns. */
static const char *nul_shown(lua_State *L, const char *s, size_t len)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < len; i++) {
        if (s[i])
            luaL_addchar(&b, s[i]);
        else
            luaL_addlstring(&b, "\\0", 2);
    }
    luaL_pushresult(&b);
    return lua_tostring(L, -1);
}

/* page(size, offset, opts) / page_for_<f>(fk, size, offset, opts) */
static int m_page(lua_State *L)
{
    daoc__kdb_up up;
    daoc__kdb_up_get(L, &up);
    int base = 2;
    if (up.field >= 0) {
        if (!up.dao->tags_view) /* page_by_tag validates its tag in C */
            daoc__kdb_check_table(L, 2, "foreign_key");
        base = 3;
    }
    check_size(L, base);
    check_offset(L, base + 1);
    daoc__kdb_check_opts(L, base + 2);
    size_t olen = 0;
    const char *offset = lua_tolstring(L, base + 1, &olen); /* NULL when nil */
    if (offset && strlen(offset) != olen) {
        lua_settop(L, base + 2); /* the copy goes above the options */
        offset = nul_shown(L, offset, olen);
    }
    int idx[] = {base, base + 2, 2};
    daoc_value *a[3];
    daoc__kdb_args(L, up.ls, up.field >= 0 ? 3 : 2, idx, a);
    if (up.field < 0)
        a[2] = NULL;
    daoc_value *rows = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    int rc = daoc__dao_page_v(up.dao, up.field, a[2], a[0], offset, a[1], &rows, &next, &err);
    daoc__kdb_free(3, a);
    if (rc != DAOC_OK) {
        daoc_value_free(rows);
        daoc__free(next);
        return daoc__kdb_push_fail(L, up.ls, up.dao, rc, err);
    }
    daoc_error_free(err);
    /* keep next alive across a possible memory error while pushing rows */
    if (next)
        lua_pushstring(L, next);
    else
        lua_pushnil(L);
    daoc__free(next);
    daoc__kdb_push_rows(L, up.ls, up.dao, rows);
    lua_insert(L, -2);
    lua_pushnil(L);
    lua_insert(L, -2);
    lua_pushnil(L);
    lua_insert(L, -2);
    return 4;
}

/* ---- each ------------------------------------------------------------ */

/* The iteration state is a table: size, opts, fk (arguments as given),
 * rows, i, offset, page, err (an err_t waiting to be yielded), done. */

/* Fetches the next page into the state table at st.  Returns 0 on success,
 * or the Kong error code of a failure (its err_t is stored in st.err). */
static int fetch(lua_State *L, const daoc__kdb_up *up, int st)
{
    int idx[3];
    lua_getfield(L, st, "size");
    idx[0] = lua_gettop(L);
    lua_getfield(L, st, "opts");
    idx[1] = lua_gettop(L);
    lua_getfield(L, st, "fk");
    idx[2] = lua_gettop(L);
    lua_getfield(L, st, "offset");
    const char *offset = lua_tostring(L, -1);
    daoc_value *a[3];
    daoc__kdb_args(L, up->ls, 3, idx, a);
    daoc_value *rows = NULL;
    char *next = NULL;
    daoc_error *err = NULL;
    int rc = daoc__dao_page_v(up->dao, up->field, a[2], a[0], offset, a[1], &rows, &next, &err);
    daoc__kdb_free(3, a);
    lua_pop(L, 4);
    if (rc != DAOC_OK) {
        daoc_value_free(rows);
        daoc__free(next);
        int code = err ? err->code : DAOC_ERR_DATABASE_ERROR;
        daoc__kdb_push_err_t(L, up->ls, up->dao, rc, &err);
        lua_setfield(L, st, "err");
        return code;
    }
    daoc_error_free(err);
    if (next)
        lua_pushstring(L, next);
    else
        lua_pushnil(L);
    daoc__free(next);
    lua_setfield(L, st, "offset");
    daoc__kdb_push_rows(L, up->ls, up->dao, rows);
    lua_setfield(L, st, "rows");
    lua_pushnumber(L, 0);
    lua_setfield(L, st, "i");
    lua_getfield(L, st, "page");
    lua_pushnumber(L, lua_tonumber(L, -1) + 1);
    lua_setfield(L, st, "page");
    lua_pop(L, 1);
    return 0;
}

static int get_int(lua_State *L, int st, const char *k)
{
    lua_getfield(L, st, k);
    int v = (int)lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

/* The iterator: upvalues 1-4 as every method, 5 = the state table. */
static int each_next(lua_State *L)
{
    daoc__kdb_up up;
    daoc__kdb_up_get(L, &up);
    int st = lua_upvalueindex(5);
    for (;;) {
        lua_getfield(L, st, "err");
        if (!lua_isnil(L, -1)) {
            lua_pushnil(L);
            lua_setfield(L, st, "err");
            lua_pushboolean(L, 1);
            lua_setfield(L, st, "done");
            lua_pushboolean(L, 0);
            luaL_callmeta(L, -2, "__tostring");
            lua_pushvalue(L, -3);
            return 3;
        }
        lua_pop(L, 1);
        lua_getfield(L, st, "done");
        bool done = lua_toboolean(L, -1);
        lua_pop(L, 1);
        if (done)
            return 0;
        int i = get_int(L, st, "i") + 1;
        lua_getfield(L, st, "rows");
        lua_rawgeti(L, -1, i);
        if (!lua_isnil(L, -1)) {
            lua_pushnumber(L, i);
            lua_setfield(L, st, "i");
            lua_pushnil(L);
            lua_pushnumber(L, get_int(L, st, "page"));
            return 3;
        }
        lua_pop(L, 2);
        lua_getfield(L, st, "offset");
        bool more = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (!more) {
            lua_pushboolean(L, 1);
            lua_setfield(L, st, "done");
            return 0;
        }
        (void)fetch(L, &up, st);
    }
}

/* each(size, opts) / each_for_<f>(fk, size, opts) */
static int m_each(lua_State *L)
{
    daoc__kdb_up up;
    daoc__kdb_up_get(L, &up);
    int base = 2;
    if (up.field >= 0) {
        if (!up.dao->tags_view) /* page_by_tag validates its tag in C */
            daoc__kdb_check_table(L, 2, "foreign_key");
        base = 3;
    }
    check_size(L, base);
    daoc__kdb_check_opts(L, base + 1);
    lua_settop(L, base + 1);

    lua_createtable(L, 0, 9);
    int st = lua_gettop(L);
    lua_pushvalue(L, base);
    lua_setfield(L, st, "size");
    lua_pushvalue(L, base + 1);
    lua_setfield(L, st, "opts");
    if (up.field >= 0) {
        lua_pushvalue(L, 2);
        lua_setfield(L, st, "fk");
    }
    lua_pushnumber(L, 0);
    lua_setfield(L, st, "page");
    int code = fetch(L, &up, st);
    if (code != 0 && up.field < 0 &&
        (code == DAOC_ERR_INVALID_SIZE || code == DAOC_ERR_INVALID_OPTIONS)) {
        lua_pushnil(L);
        lua_getfield(L, st, "err");
        luaL_callmeta(L, -1, "__tostring");
        lua_insert(L, -2);
        return 3;
    }
    lua_pushlightuserdata(L, up.ls);
    lua_pushlightuserdata(L, up.dao);
    lua_pushnumber(L, (lua_Number)up.field);
    lua_pushstring(L, up.fname ? up.fname : "");
    lua_pushvalue(L, st);
    lua_pushcclosure(L, each_next, 5);
    return 1;
}

void daoc__kdb_add_iter_methods(lua_State *L, struct daoc__lua *ls, daoc_dao *dao)
{
    daoc__kdb_push_method(L, m_page, ls, dao, -1, NULL);
    lua_setfield(L, -2, "page");
    daoc__kdb_push_method(L, m_each, ls, dao, -1, NULL);
    lua_setfield(L, -2, "each");
    const daoc__schema *s = dao->schema;
    if (dao->tags_view) { /* Kong's kong/db/dao/tags.lua */
        daoc__kdb_push_method(L, m_page, ls, dao, s->endpoint_key, "tag");
        lua_setfield(L, -2, "page_by_tag");
    }
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->type != DAOC__F_FOREIGN)
            continue;
        lua_pushfstring(L, "page_for_%s", f->name);
        daoc__kdb_push_method(L, m_page, ls, dao, (long)i, f->name);
        lua_rawset(L, -3);
        lua_pushfstring(L, "each_for_%s", f->name);
        daoc__kdb_push_method(L, m_each, ls, dao, (long)i, f->name);
        lua_rawset(L, -3);
    }
}
