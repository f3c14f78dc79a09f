/*
 * kongdb_methods.c -- the single-row methods of kong.db.<entity>: select,
 * insert, update, upsert, delete, their generated *_by_<field> forms for
 * unique fields and the endpoint key, cache_key and select_by_cache_key.
 *
 * Each method raises Kong's programming errors ("primary_key must be a
 * table", "name must be a string", ...) before touching anything, then
 * converts its arguments, calls the C DAO and returns Kong's values:
 * an entity, nil (not found), true (delete) or nil, err, err_t.  The
 * primary-key forms are the same functions with field = -1.
 */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"
#include "lua/kongdb.h"

/* Argument 2 is a primary key (field -1) or the value of a unique field. */
static void check_key(lua_State *L, const daoc__kdb_up *up)
{
    if (up->field < 0)
        daoc__kdb_check_table(L, 2, "primary_key");
    else
        daoc__kdb_check_unique(L, 2, up->dao, up->field, up->fname);
}

/* select(pk, opts) / select_by_<f>(value, opts) */
static int m_select(lua_State *L)
{
    daoc__kdb_up up;
    daoc__kdb_up_get(L, &up);
    check_key(L, &up);
    daoc__kdb_check_opts(L, 3);
    static const int idx[] = {2, 3};
    daoc_value *a[2];
    daoc__kdb_args(L, up.ls, 2, idx, a);
    daoc_value *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc__dao_select_key(up.dao, up.field, a[0], a[1], &out, &err);
    daoc__kdb_free(2, a);
    if (rc != DAOC_OK) {
        daoc_value_free(out);
        return daoc__kdb_push_fail(L, up.ls, up.dao, rc, err);
    }
    daoc_error_free(err);
    if (!out) {
        lua_pushnil(L);
        return 1;
    }
    daoc__kdb_push_entity(L, up.ls, up.dao, out);
    return 1;
}

/* insert(entity, opts) */
static int m_insert(lua_State *L)
{
    daoc__kdb_up up;
    daoc__kdb_up_get(L, &up);
    daoc__kdb_check_table(L, 2, "entity");
    daoc__kdb_check_opts(L, 3);
    static const int idx[] = {2, 3};
    daoc_value *a[2];
    daoc__kdb_args(L, up.ls, 2, idx, a);
    daoc_value *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc_dao_insert(up.dao, a[0], a[1], &out, &err);
    daoc__kdb_free(2, a);
    if (rc != DAOC_OK) {
        daoc_value_free(out);
        return daoc__kdb_push_fail(L, up.ls, up.dao, rc, err);
    }
    daoc_error_free(err);
    daoc__kdb_push_entity(L, up.ls, up.dao, out);
    return 1;
}

/* update/upsert(pk, entity, opts) and their _by_<f> forms */
static int write_key(lua_State *L, bool upsert)
{
    daoc__kdb_up up;
    daoc__kdb_up_get(L, &up);
    check_key(L, &up);
    daoc__kdb_check_table(L, 3, "entity");
    daoc__kdb_check_opts(L, 4);
    static const int idx[] = {2, 3, 4};
    daoc_value *a[3];
    daoc__kdb_args(L, up.ls, 3, idx, a);
    daoc_value *out = NULL;
    daoc_error *err = NULL;
    int rc = upsert ? daoc__dao_upsert_key(up.dao, up.field, a[0], a[1], a[2], &out, &err)
                    : daoc__dao_update_key(up.dao, up.field, a[0], a[1], a[2], &out, &err);
    daoc__kdb_free(3, a);
    if (rc != DAOC_OK) {
        daoc_value_free(out);
        return daoc__kdb_push_fail(L, up.ls, up.dao, rc, err);
    }
    daoc_error_free(err);
    daoc__kdb_push_entity(L, up.ls, up.dao, out);
    return 1;
}

static int m_update(lua_State *L) { return write_key(L, false); }
static int m_upsert(lua_State *L) { return write_key(L, true); }

/* delete(pk, opts) / delete_by_<f>(value, opts): true or nil, err, err_t */
static int m_delete(lua_State *L)
{
    daoc__kdb_up up;
    daoc__kdb_up_get(L, &up);
    check_key(L, &up);
    daoc__kdb_check_opts(L, 3);
    static const int idx[] = {2, 3};
    daoc_value *a[2];
    daoc__kdb_args(L, up.ls, 2, idx, a);
    daoc_error *err = NULL;
    int rc = daoc__dao_delete_key(up.dao, up.field, a[0], a[1], &err);
    daoc__kdb_free(2, a);
    if (rc != DAOC_OK)
        return daoc__kdb_push_fail(L, up.ls, up.dao, rc, err);
    daoc_error_free(err);
    lua_pushboolean(L, 1);
    return 1;
}

/* Appends argument i as string.format("%s") would, nil and ngx.null as "". */
static void add_part(lua_State *L, luaL_Buffer *b, int i)
{
    int t = lua_type(L, i);
    if (t == LUA_TNONE || t == LUA_TNIL || (t == LUA_TLIGHTUSERDATA && !lua_touserdata(L, i)))
        return;
    if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        lua_pushvalue(L, i);
    } else {
        lua_getglobal(L, "tostring");
        lua_pushvalue(L, i);
        lua_call(L, 1, 1);
    }
    luaL_addvalue(b);
}

/* cache_key(key, a2, a3, a4, a5, ws_id): with a string key the seven
 * colon-separated parts "name:key:a2:a3:a4:a5:ws"; with an entity table the
 * schema's cache_key fields (or primary key).  A workspaceable entity's ws
 * part, when ws_id is nil or null, is the entity's ws_id (a table key),
 * else the default workspace's id (Kong 2.1's DAO:cache_key; the handle
 * has no request workspace); other entities' is ws_id or "". */
static int m_cache_key(lua_State *L)
{
    daoc__kdb_up up;
    daoc__kdb_up_get(L, &up);
    lua_settop(L, 7);
    int wt = lua_type(L, 7);
    bool no_ws = wt == LUA_TNIL || (wt == LUA_TLIGHTUSERDATA && !lua_touserdata(L, 7));
    if (lua_type(L, 2) == LUA_TSTRING) {
        luaL_Buffer b;
        /* the parts are pushed while the buffer is open: keep them on a
         * stack slot of their own */
        const char *ws = no_ws ? daoc__dao_key_ws(up.dao, NULL, NULL) : NULL;
        luaL_buffinit(L, &b);
        luaL_addstring(&b, up.dao->schema->name);
        for (int i = 2; i <= 7; i++) {
            luaL_addchar(&b, ':');
            if (i == 7 && ws)
                luaL_addstring(&b, ws);
            else
                add_part(L, &b, i);
        }
        luaL_pushresult(&b);
        return 1;
    }
    if (!lua_istable(L, 2))
        return luaL_error(L, "key must be a string or an entity table");
    static const int idx[] = {2};
    daoc_value *a[1];
    daoc__kdb_args(L, up.ls, 1, idx, a);
    char *key = NULL;
    const char *ws = no_ws ? NULL : lua_tostring(L, 7);
    int rc = a[0] ? daoc__dao_cache_key_of(up.dao, a[0], ws, &key) : DAOC_EINVAL;
    if (rc == DAOC_OK && !up.dao->schema->workspaceable && ws) {
        size_t n = strlen(key); /* Kong: the given ws_id, workspaceable or not */
        char *k = daoc__malloc(n + strlen(ws) + 1);
        if (k) {
            memcpy(k, key, n);
            strcpy(k + n, ws);
        }
        daoc__free(key);
        key = k;
        rc = k ? DAOC_OK : DAOC_ENOMEM;
    }
    daoc__kdb_free(1, a);
    if (rc != DAOC_OK) {
        daoc__free(key);
        return luaL_error(L, "cannot build the cache key: %s",
                          rc == DAOC_EINVAL ? "key must be a string or an entity table"
                                            : daoc_strerror(rc));
    }
    lua_pushstring(L, key);
    daoc__free(key);
    return 1;
}

/* select_by_cache_key(key_or_entity, opts) */
static int m_select_by_cache_key(lua_State *L)
{
    daoc__kdb_up up;
    daoc__kdb_up_get(L, &up);
    if (up.dao->schema->ncache_key == 0)
        return luaL_error(L, "entity does not have a cache_key defined");
    if (!lua_istable(L, 2) && lua_type(L, 2) != LUA_TSTRING)
        return luaL_error(L, "key must be a string or an entity table");
    daoc__kdb_check_opts(L, 3);
    static const int idx[] = {2, 3};
    daoc_value *a[2];
    daoc__kdb_args(L, up.ls, 2, idx, a);
    daoc_value *out = NULL;
    daoc_error *err = NULL;
    int rc = daoc__dao_select_by_cache_key(up.dao, a[0], a[1], &out, &err);
    daoc__kdb_free(2, a);
    if (rc != DAOC_OK) {
        daoc_value_free(out);
        return daoc__kdb_push_fail(L, up.ls, up.dao, rc, err);
    }
    daoc_error_free(err);
    if (!out) {
        lua_pushnil(L);
        return 1;
    }
    daoc__kdb_push_entity(L, up.ls, up.dao, out);
    return 1;
}

/* truncate(): removes every row (and, as Kong's TRUNCATE ... CASCADE does,
 * the rows of entities referencing them); true or nil, err, err_t. */
static int m_truncate(lua_State *L)
{
    daoc__kdb_up up;
    daoc__kdb_up_get(L, &up);
    daoc_error *err = NULL;
    int rc = daoc__dao_truncate(up.dao, &err);
    if (rc != DAOC_OK)
        return daoc__kdb_push_fail(L, up.ls, up.dao, rc, err);
    daoc_error_free(err);
    lua_pushboolean(L, 1);
    return 1;
}

static void set_method(lua_State *L, const char *name, lua_CFunction fn, struct daoc__lua *ls,
                       daoc_dao *dao, long field, const char *fname)
{
    daoc__kdb_push_method(L, fn, ls, dao, field, fname);
    lua_setfield(L, -2, name);
}

void daoc__kdb_add_methods(lua_State *L, struct daoc__lua *ls, daoc_dao *dao)
{
    set_method(L, "select", m_select, ls, dao, -1, NULL);
    set_method(L, "insert", m_insert, ls, dao, -1, NULL);
    set_method(L, "update", m_update, ls, dao, -1, NULL);
    set_method(L, "upsert", m_upsert, ls, dao, -1, NULL);
    set_method(L, "delete", m_delete, ls, dao, -1, NULL);
    set_method(L, "cache_key", m_cache_key, ls, dao, -1, NULL);
    set_method(L, "select_by_cache_key", m_select_by_cache_key, ls, dao, -1, NULL);
    set_method(L, "truncate", m_truncate, ls, dao, -1, NULL);

    const daoc__schema *s = dao->schema;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (!f->unique && (long)i != s->endpoint_key)
            continue;
        static const struct {
            const char *prefix;
            lua_CFunction fn;
        } gen[] = {{"select_by_", m_select},
                   {"update_by_", m_update},
                   {"upsert_by_", m_upsert},
                   {"delete_by_", m_delete}};
        for (size_t g = 0; g < sizeof gen / sizeof gen[0]; g++) {
            lua_pushstring(L, gen[g].prefix);
            lua_pushstring(L, f->name);
            lua_concat(L, 2);
            daoc__kdb_push_method(L, gen[g].fn, ls, dao, (long)i, f->name);
            lua_rawset(L, -3);
        }
    }
}
