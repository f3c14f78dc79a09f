/*
 * kongdb_connector.c -- kong.db.connector, the part of Kong's connector
 * that plugin code calls directly, and the strategy overlays that call it.
 *
 *   connector:query(sql [, operation])   one statement on the open store,
 *       inside the current transaction when there is one; returns the rows
 *       as an array of { column = value } (empty for a statement without
 *       rows), or nil and "[<strategy> error] <driver text>".  Several
 *       ';'-separated statements (sql_split.c) run all or nothing, as one
 *       simple query does on Kong's PostgreSQL, and return the array of
 *       their results, nil, nil and their count (Kong's res, err, partial,
 *       num_queries)
 *   connector:iterate(sql)               for row, err in ...: each row of
 *       query(sql), or once false, err when it fails
 *   connector:escape_literal(v)           v as an SQL literal of the
 *       store's dialect: a string quoted (PostgreSQL: E'' when it holds a
 *       backslash, as PQescapeLiteral), a number as written, a boolean
 *       TRUE/FALSE, nil and ngx.null NULL
 *   connector:escape_identifier(name)     "name" with quotes doubled
 *   connector:connect_migrations(), :close()   true (one connection
 *       serves every call here)
 *
 * Strategy overlays: Kong mixes kong.plugins.<plugin>.strategies.<db>.<entity>
 * into the strategy object of a plugin entity (self.strategy), so that a
 * custom DAO method can call self.strategy:<method>(...).  daoc does the
 * same with <db> the store's name; on SQLite, which Kong never had, a
 * plugin's postgres overlay is used when it ships no sqlite one (its SQL
 * is plain SELECTs through connector:query; a notice says so once per
 * entity).  Overlay functions run under the instruction budget of plugin
 * code.
 */
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/value.h"
#include "db/db.h"
#include "lua/kongdb.h"
#include "store/ddl.h"
#include "store/deploy.h"

static struct daoc__lua *conn_ls(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* One statement: pushes its rows, or nil and the error (returns 2). */
static int query_one(lua_State *L, struct daoc__lua *ls, const char *sql)
{
    daoc__store *st = ls->db->store;
    if (ls->query_hook && ls->query_hook(ls->query_hook_ud, sql) != 0) {
        lua_pushnil(L);
        lua_pushliteral(L, "stopped here by daoc migrations check");
        return 2;
    }
    daoc_value *rows = NULL;
    char *msg = NULL;
    int rc = st->deploy->query(st, sql, NULL, &rows, &msg);
    if (rc != DAOC_OK) {
        lua_pushnil(L);
        lua_pushfstring(L, "[%s error] %s", st->ops->name, msg ? msg : daoc_strerror(rc));
        daoc__free(msg);
        return 2;
    }
    rc = daoc__lua_push_value(ls, rows);
    daoc_value_free(rows);
    if (rc != DAOC_OK) {
        lua_pushnil(L);
        lua_pushliteral(L, "not enough memory");
        return 2;
    }
    return 1;
}

/* Several statements, all or nothing as one simple query is on Kong's
 * PostgreSQL: the array of their results, nil, nil, their count; or nil
 * and the first error (the earlier statements rolled back). */
static int query_many(lua_State *L, struct daoc__lua *ls, const char *sql, size_t n)
{
    daoc__store *st = ls->db->store;
    char *msg = NULL;
    int rc = st->ops->begin(st, &msg);
    if (rc != DAOC_OK) {
        lua_pushnil(L);
        lua_pushfstring(L, "[%s error] %s", st->ops->name, msg ? msg : daoc_strerror(rc));
        daoc__free(msg);
        return 2;
    }
    lua_newtable(L);
    int results = lua_gettop(L);
    size_t pos = 0, a, b;
    int count = 0;
    while (daoc__sql_next_statement(sql, n, &pos, &a, &b)) {
        char *one = daoc__strndup(sql + a, b - a);
        if (!one) {
            (void)st->ops->rollback(st);
            return luaL_error(L, "not enough memory");
        }
        int r = query_one(L, ls, one);
        daoc__free(one);
        if (r == 2) {
            (void)st->ops->rollback(st);
            return 2;
        }
        lua_rawseti(L, results, ++count);
    }
    rc = st->ops->commit(st, &msg);
    if (rc != DAOC_OK) {
        lua_pushnil(L);
        lua_pushfstring(L, "[%s error] %s", st->ops->name, msg ? msg : daoc_strerror(rc));
        daoc__free(msg);
        return 2;
    }
    lua_settop(L, results);
    lua_pushnil(L);
    lua_pushnil(L);
    lua_pushinteger(L, count);
    return 4;
}

/* connector:query(sql, operation) */
static int conn_query(lua_State *L)
{
    struct daoc__lua *ls = conn_ls(L);
    size_t n = 0;
    const char *sql = luaL_checklstring(L, 2, &n);
    if (memchr(sql, '\0', n))
        return luaL_error(L, "query must not contain NUL bytes");
    size_t pos = 0, a, b;
    int count = 0;
    while (count < 2 && daoc__sql_next_statement(sql, n, &pos, &a, &b))
        count++;
    if (count > 1)
        return query_many(L, ls, sql, n);
    return query_one(L, ls, sql);
}

void daoc__lua_set_query_hook(struct daoc__lua *ls, daoc__lua_query_hook fn, void *ud)
{
    ls->query_hook = fn;
    ls->query_hook_ud = ud;
}

static void push_buf(lua_State *L, daoc__buf *b)
{
    if (b->failed) {
        daoc__buf_free(b);
        luaL_error(L, "not enough memory");
        return;
    }
    lua_pushlstring(L, b->data ? b->data : "", b->len);
    daoc__buf_free(b);
}

/* connector:escape_literal(v) */
static int conn_escape_literal(lua_State *L)
{
    struct daoc__lua *ls = conn_ls(L);
    switch (lua_type(L, 2)) {
    case LUA_TNONE:
    case LUA_TNIL:
        lua_pushliteral(L, "NULL");
        return 1;
    case LUA_TBOOLEAN:
        lua_pushstring(L, lua_toboolean(L, 2) ? "TRUE" : "FALSE");
        return 1;
    case LUA_TNUMBER:
        lua_pushvalue(L, 2);
        lua_tostring(L, -1);
        return 1;
    case LUA_TSTRING: {
        size_t n = 0;
        const char *s = lua_tolstring(L, 2, &n);
        if (memchr(s, '\0', n))
            return luaL_error(L, "cannot escape a string holding a NUL byte");
        daoc__buf b = DAOC__BUF_INIT;
        ls->db->store->deploy->quote_literal(s, n, &b);
        push_buf(L, &b);
        return 1;
    }
    case LUA_TLIGHTUSERDATA: /* ngx.null */
        if (lua_touserdata(L, 2) == NULL) {
            lua_pushliteral(L, "NULL");
            return 1;
        }
        break;
    default:
        break;
    }
    return luaL_error(L, "cannot escape a %s", luaL_typename(L, 2));
}

/* connector:escape_identifier(name) */
static int conn_escape_identifier(lua_State *L)
{
    size_t n = 0;
    const char *s = luaL_checklstring(L, 2, &n);
    if (memchr(s, '\0', n))
        return luaL_error(L, "cannot escape an identifier holding a NUL byte");
    daoc__buf b = DAOC__BUF_INIT;
    daoc__sql_ident(&b, s);
    push_buf(L, &b);
    return 1;
}

/* the iterator of connector:iterate: upvalues rows, next index, error */
static int iter_next(lua_State *L)
{
    if (!lua_isnil(L, lua_upvalueindex(3))) { /* the failure, yielded once */
        lua_pushboolean(L, 0);
        lua_pushvalue(L, lua_upvalueindex(3));
        lua_pushnil(L);
        lua_replace(L, lua_upvalueindex(3));
        lua_pushnil(L);
        lua_replace(L, lua_upvalueindex(1));
        return 2;
    }
    if (!lua_istable(L, lua_upvalueindex(1)))
        return 0;
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(2));
    lua_rawgeti(L, lua_upvalueindex(1), (int)i);
    if (lua_isnil(L, -1))
        return 0;
    lua_pushinteger(L, i + 1);
    lua_replace(L, lua_upvalueindex(2));
    return 1;
}

/* connector:iterate(sql): for row, err in connector:iterate(sql) -- each
 * row of query(sql), or once false, err when it fails (Kong's connector) */
static int conn_iterate(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkstring(L, 2);
    lua_settop(L, 2);
    lua_getfield(L, 1, "query");
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 2); /* rows | nil, err */
    if (lua_istable(L, -2)) {
        lua_pop(L, 1);
        lua_pushinteger(L, 1);
        lua_pushnil(L);
    } else {
        lua_pushnil(L);
        lua_replace(L, -3);
        lua_pushinteger(L, 1);
        lua_insert(L, -2);
    }
    lua_pushcclosure(L, iter_next, 3);
    return 1;
}

static int conn_true(lua_State *L)
{
    lua_pushboolean(L, 1);
    return 1;
}

void daoc__kdb_push_connector(lua_State *L, struct daoc__lua *ls)
{
    static const luaL_Reg methods[] = {
        {"query", conn_query},
        {"iterate", conn_iterate},
        {"escape_literal", conn_escape_literal},
        {"escape_identifier", conn_escape_identifier},
        {"connect_migrations", conn_true},
        {"connect", conn_true},
        {"close", conn_true},
        {"setkeepalive", conn_true},
        {NULL, NULL},
    };
    lua_createtable(L, 0, 8);
    for (const luaL_Reg *m = methods; m->name; m++) {
        lua_pushlightuserdata(L, ls);
        lua_pushcclosure(L, m->func, 1);
        lua_setfield(L, -2, m->name);
    }
    lua_pushstring(L, ls->db->store->ops->name);
    lua_setfield(L, -2, "name");
}

/* require(module) under the budget: pushes the module table, or nothing
 * (returns false) when it is not found or fails to load. */
static bool require_overlay(lua_State *L, struct daoc__lua *ls, const char *module)
{
    bool oom = false;
    char *path = daoc__lua_search_path(ls, module, &oom);
    if (!path)
        return false; /* no such file: the plugin ships no overlay */
    daoc__free(path);
    lua_getglobal(L, "require");
    lua_pushstring(L, module);
    if (daoc__lua_pcall_budgeted(ls, L, 1, 1, 0) != 0) {
        daoc__db_log(ls->db, DAOC_LOG_WARN, "strategy overlay '%s' not loaded: %s", module,
                     lua_tostring(L, -1));
        lua_pop(L, 1);
        return false;
    }
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return false;
    }
    return true;
}

void daoc__kdb_apply_strategy_overlay(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao)
{
    const char *plugin = dao->schema->plugin, *store = daoc__kdb_strategy_name(dao);
    if (!plugin)
        return;
    char module[512];
    snprintf(module, sizeof module, "kong.plugins.%s.strategies.%s.%s", plugin, store,
             dao->schema->name);
    bool found = require_overlay(L, ls, module);
    if (!found && strcmp(store, "sqlite") == 0) {
        snprintf(module, sizeof module, "kong.plugins.%s.strategies.postgres.%s", plugin,
                 dao->schema->name);
        found = require_overlay(L, ls, module);
        if (found)
            daoc__db_log(ls->db, DAOC_LOG_NOTICE,
                         "plugin '%s': entity '%s' on sqlite uses the postgres strategy overlay",
                         plugin, dao->schema->name);
    }
    if (!found)
        return;
    /* the overlay table is on top, the strategy object below it */
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_isfunction(L, -1)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            daoc__lua_wrap_budgeted(ls, L);
            lua_rawset(L, -5);
        } else {
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
}
