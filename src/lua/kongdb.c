/*
 * kongdb.c -- the `kong` table Lua code sees: kong.db.<entity> (one DAO
 * object per entity, built on first use), kong.log, the aliases older plugin
 * generations use (kong.dao, the global `dao`, kong.singletons), Kong's err_t
 * tables and the set metatable of returned entities.
 *
 * The DAO objects only translate between Lua and the C DAO (src/dao/): the
 * methods (kongdb_methods.c, kongdb_iter.c) check their arguments the way
 * Kong's DAO does, convert, call daoc__dao_*, and push Kong's return values.
 * Nothing here validates entities or talks to the store.
 */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/value.h"
#include "db/db.h"
#include "lua/kongdb.h"

#define KONG_KEY "daoc.kong"           /* the `kong` table */
#define ERR_MT_KEY "daoc.kongdb.err_mt" /* metatable of err_t tables */
#define SET_MT_KEY "daoc.kongdb.set_mt" /* metatable of set fields */

/* ---- upvalues and argument checks ----------------------------------- */

void daoc__kdb_up_get(lua_State *L, daoc__kdb_up *up)
{
    up->ls = lua_touserdata(L, lua_upvalueindex(1));
    up->dao = lua_touserdata(L, lua_upvalueindex(2));
    up->field = (long)lua_tonumber(L, lua_upvalueindex(3));
    up->fname = lua_tostring(L, lua_upvalueindex(4));
}

void daoc__kdb_push_method(lua_State *L, lua_CFunction fn, struct daoc__lua *ls, daoc_dao *dao,
                           long field, const char *fname)
{
    lua_pushlightuserdata(L, ls);
    lua_pushlightuserdata(L, dao);
    lua_pushnumber(L, (lua_Number)field);
    lua_pushstring(L, fname ? fname : "");
    lua_pushcclosure(L, fn, 4);
}

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

/* ---- results --------------------------------------------------------- */

/* Gives the set fields of the entity at the top of the stack the set
 * metatable (membership lookups: route.methods.GET == true). */
static void mark_sets(lua_State *L, const daoc_dao *dao)
{
    const daoc__schema *s = dao->schema;
    for (size_t i = 0; i < s->nfields; i++) {
        if (s->fields[i].type != DAOC__F_SET)
            continue;
        lua_getfield(L, -1, s->fields[i].name);
        if (lua_istable(L, -1)) {
            lua_getfield(L, LUA_REGISTRYINDEX, SET_MT_KEY);
            lua_setmetatable(L, -2);
        }
        lua_pop(L, 1);
    }
}

void daoc__kdb_push_entity(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao, daoc_value *v)
{
    int rc = daoc__lua_push_value(ls, v);
    daoc_value_free(v);
    if (rc != DAOC_OK)
        luaL_error(L, "not enough memory");
    if (lua_istable(L, -1))
        mark_sets(L, dao);
}

void daoc__kdb_push_rows(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao,
                         daoc_value *rows)
{
    if (!rows) {
        lua_newtable(L);
    } else {
        int rc = daoc__lua_push_value(ls, rows);
        daoc_value_free(rows);
        if (rc != DAOC_OK)
            luaL_error(L, "not enough memory");
    }
    /* rows always encode as a JSON array, even when empty */
    lua_getfield(L, LUA_REGISTRYINDEX, DAOC__LUA_ARRAY_MT);
    if (lua_istable(L, -1))
        lua_setmetatable(L, -2);
    else
        lua_pop(L, 1);
    size_t n = lua_objlen(L, -1);
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, (int)i);
        if (lua_istable(L, -1))
            mark_sets(L, dao);
        lua_pop(L, 1);
    }
}

static const char *strategy_name(const daoc_dao *dao)
{
    return (dao && dao->store && dao->store->ops && dao->store->ops->name) ? dao->store->ops->name
                                                                           : "sqlite";
}

void daoc__kdb_push_err_t(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao, int rc,
                          daoc_error **errp)
{
    daoc_error *err = *errp;
    *errp = NULL;
    if (!err) {
        char *msg = daoc__strdup(daoc_strerror(rc));
        err = daoc__err_new(DAOC_ERR_DATABASE_ERROR, strategy_name(dao), msg, NULL, false);
        if (!err)
            luaL_error(L, "not enough memory");
    }
    daoc_value *v = daoc_error_to_value(err);
    daoc_error_free(err);
    if (!v || daoc__lua_push_value(ls, v) != DAOC_OK) {
        daoc_value_free(v);
        luaL_error(L, "not enough memory");
    }
    daoc_value_free(v);
    lua_getfield(L, LUA_REGISTRYINDEX, ERR_MT_KEY);
    lua_setmetatable(L, -2);
}

int daoc__kdb_push_fail(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao, int rc,
                        daoc_error *err)
{
    lua_pushnil(L);
    daoc__kdb_push_err_t(L, ls, dao, rc, &err);
    luaL_callmeta(L, -1, "__tostring"); /* err = tostring(err_t) */
    lua_insert(L, -2);
    return 3;
}

/* err_t's __tostring: "[strategy] message", or the name when message is
 * null, as kong/db/errors.lua renders it. */
static int err_tostring(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "strategy");
    lua_getfield(L, 1, "message");
    if (!lua_isstring(L, -1)) {
        lua_pop(L, 1);
        lua_getfield(L, 1, "name");
    }
    lua_getfield(L, 1, "code");
    bool db_error = lua_tonumber(L, -1) != 0;
    lua_pop(L, 1);
    if (db_error && lua_isstring(L, -2))
        lua_pushfstring(L, "[%s] %s", lua_tostring(L, -2), luaL_optstring(L, -1, ""));
    else
        lua_pushstring(L, luaL_optstring(L, -1, ""));
    return 1;
}

/* err_t's __concat: tostring(a) .. tostring(b), so `"failed: " .. err_t`
 * works as with Kong's error tables. */
static int err_concat(lua_State *L)
{
    lua_settop(L, 2);
    for (int i = 1; i <= 2; i++) {
        lua_getglobal(L, "tostring");
        lua_pushvalue(L, i);
        lua_call(L, 1, 1);
        if (!lua_isstring(L, -1))
            return luaL_error(L, "attempt to concatenate a non-string value");
    }
    lua_concat(L, 2);
    return 1;
}

/* The set metatable's __index: a string key answers whether the set holds
 * it. */
static int set_index(lua_State *L)
{
    if (lua_type(L, 2) != LUA_TSTRING)
        return 0;
    size_t n = lua_objlen(L, 1);
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, (int)i);
        if (lua_rawequal(L, -1, 2)) {
            lua_pushboolean(L, 1);
            return 1;
        }
        lua_pop(L, 1);
    }
    return 0;
}

static void init_metatables(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, err_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushcfunction(L, err_concat);
    lua_setfield(L, -2, "__concat");
    lua_setfield(L, LUA_REGISTRYINDEX, ERR_MT_KEY);

    /* the set metatable carries whatever the array metatable carries (its
     * JSON hints) plus the membership __index */
    lua_newtable(L);
    lua_getfield(L, LUA_REGISTRYINDEX, DAOC__LUA_ARRAY_MT);
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, -5);
        }
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, set_index);
    lua_setfield(L, -2, "__index");
    lua_setfield(L, LUA_REGISTRYINDEX, SET_MT_KEY);
}

/* ---- the DAO object -------------------------------------------------- */

static const char *ftype_name(daoc__ftype t)
{
    static const char *const names[] = {"?",   "string", "integer", "number",  "boolean",
                                        "array", "set",  "map",     "record", "foreign",
                                        "json"};
    return (t >= DAOC__F_STRING && t <= DAOC__F_JSON) ? names[t] : "?";
}

static void push_name_list(lua_State *L, const daoc__schema *s, const size_t *idx, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, s->fields[idx[i]].name);
        lua_rawseti(L, -2, (int)(i + 1));
    }
}

static void set_bool(lua_State *L, const char *k, bool b)
{
    if (b) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, k);
    }
}

/* A read-only description of the schema: name, primary_key, fields (an
 * array of {name = def} plus fields[name] = def), and the entity flags. */
static void push_schema(lua_State *L, struct daoc__lua *ls, const daoc__schema *s)
{
    lua_newtable(L);
    lua_pushstring(L, s->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, daoc__schema_table(s));
    lua_setfield(L, -2, "table_name");
    push_name_list(L, s, s->pk, s->npk);
    lua_setfield(L, -2, "primary_key");
    if (s->ncache_key) {
        push_name_list(L, s, s->cache_key, s->ncache_key);
        lua_setfield(L, -2, "cache_key");
    }
    if (s->endpoint_key >= 0) {
        lua_pushstring(L, s->fields[s->endpoint_key].name);
        lua_setfield(L, -2, "endpoint_key");
    }
    set_bool(L, "ttl", s->ttl);
    set_bool(L, "workspaceable", s->workspaceable);
    lua_pushboolean(L, s->generate_admin_api);
    lua_setfield(L, -2, "generate_admin_api");
    if (s->admin_api_name) {
        lua_pushstring(L, s->admin_api_name);
        lua_setfield(L, -2, "admin_api_name");
    }
    if (s->plugin) {
        lua_pushstring(L, s->plugin);
        lua_setfield(L, -2, "plugin");
    }
    lua_createtable(L, (int)s->nfields, (int)s->nfields);
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        lua_newtable(L);
        lua_pushstring(L, ftype_name(f->type));
        lua_setfield(L, -2, "type");
        set_bool(L, "required", f->required);
        set_bool(L, "unique", f->unique);
        set_bool(L, "auto", f->auto_);
        set_bool(L, "immutable", f->immutable);
        set_bool(L, "uuid", f->uuid);
        set_bool(L, "timestamp", f->timestamp);
        if (f->reference) {
            lua_pushstring(L, f->reference);
            lua_setfield(L, -2, "reference");
            static const char *const od[] = {"restrict", "cascade", "null"};
            if (f->on_delete_set) {
                lua_pushstring(L, od[f->on_delete]);
                lua_setfield(L, -2, "on_delete");
            }
        }
        if (f->def && daoc__lua_push_value(ls, f->def) == DAOC_OK)
            lua_setfield(L, -2, "default");
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, f->name); /* fields[name] = def */
        lua_newtable(L);
        lua_insert(L, -2);
        lua_setfield(L, -2, f->name); /* {name = def} */
        lua_rawseti(L, -2, (int)(i + 1));
    }
    lua_setfield(L, -2, "fields");
}

/* Copies the functions of the custom DAO module (`dao = "..."`) onto the
 * object at the top of the stack, as Kong does.  Uses the global require;
 * a failure is logged and leaves the generated methods. */
static void apply_custom_dao(lua_State *L, struct daoc__lua *ls, const daoc_dao *dao)
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
    if (lua_pcall(L, 1, 1, 0) != 0) {
        daoc__db_log(ls->db, DAOC_LOG_WARN, "custom DAO module '%s' of '%s' not loaded: %s", mod,
                     dao->schema->name, lua_tostring(L, -1));
        lua_pop(L, 1);
        return;
    }
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            if (lua_type(L, -2) == LUA_TSTRING) {
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_rawset(L, -5);
            } else {
                lua_pop(L, 1);
            }
        }
    }
    lua_pop(L, 1);
}

/* Pushes the DAO object of `dao`: the generated methods (also reachable as
 * self.super), schema, strategy, and the custom DAO module's functions. */
static void push_dao_object(lua_State *L, struct daoc__lua *ls, daoc_dao *dao)
{
    lua_newtable(L); /* the object */
    daoc__kdb_add_methods(L, ls, dao);
    daoc__kdb_add_iter_methods(L, ls, dao);
    /* super: a copy of the generated methods */
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, -3)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    lua_setfield(L, -2, "super");
    push_schema(L, ls, dao->schema);
    lua_setfield(L, -2, "schema");
    lua_newtable(L);
    lua_pushstring(L, strategy_name(dao));
    lua_setfield(L, -2, "name");
    lua_setfield(L, -2, "strategy");
    /* the connector's pagination defaults, as Kong's DAO carries them */
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, DAOC__PAGE_SIZE_DEFAULT);
    lua_setfield(L, -2, "page_size");
    lua_pushinteger(L, DAOC__MAX_PAGE_SIZE_DEFAULT);
    lua_setfield(L, -2, "max_page_size");
    lua_setfield(L, -2, "pagination");
    lua_getfield(L, LUA_REGISTRYINDEX, KONG_KEY);
    lua_getfield(L, -1, "db");
    lua_setfield(L, -3, "db");
    lua_pop(L, 1);
    apply_custom_dao(L, ls, dao);
}

/* kong.db's __index: builds the DAO object of a loaded entity on first use
 * (entities loaded after install_kong appear too). */
static int db_index(lua_State *L)
{
    struct daoc__lua *ls = lua_touserdata(L, lua_upvalueindex(1));
    if (lua_type(L, 2) != LUA_TSTRING)
        return 0;
    daoc_dao *dao = daoc_db_dao(ls->db, lua_tostring(L, 2));
    if (!dao)
        return 0;
    push_dao_object(L, ls, dao);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -2);
    lua_rawset(L, 1);
    return 1;
}

/* ---- kong.log ------------------------------------------------------- */

/* Joins the arguments as ngx.log does (nil, booleans and ngx.null spelled
 * out, other values through tostring) and hands the line to the log
 * callback. */
static int log_at(lua_State *L, int first, daoc_log_level lvl)
{
    struct daoc__lua *ls = lua_touserdata(L, lua_upvalueindex(1));
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = first; i <= n; i++) {
        switch (lua_type(L, i)) {
        case LUA_TNIL:
            luaL_addstring(&b, "nil");
            break;
        case LUA_TBOOLEAN:
            luaL_addstring(&b, lua_toboolean(L, i) ? "true" : "false");
            break;
        case LUA_TLIGHTUSERDATA:
            if (lua_touserdata(L, i) == NULL) {
                luaL_addstring(&b, "null");
                break;
            }
            /* fallthrough */
        default:
            if (lua_type(L, i) == LUA_TSTRING || lua_type(L, i) == LUA_TNUMBER) {
                lua_pushvalue(L, i);
            } else {
                lua_getglobal(L, "tostring");
                lua_pushvalue(L, i);
                lua_call(L, 1, 1);
            }
            luaL_addvalue(&b);
            break;
        }
    }
    luaL_pushresult(&b);
    if (ls->db && ls->db->cfg && ls->db->cfg->log)
        ls->db->cfg->log(ls->db->cfg->log_ud, lvl, lua_tostring(L, -1));
    return 0;
}

static int log_call(lua_State *L) { return log_at(L, 2, DAOC_LOG_NOTICE); }
static int log_err(lua_State *L) { return log_at(L, 1, DAOC_LOG_ERR); }
static int log_warn(lua_State *L) { return log_at(L, 1, DAOC_LOG_WARN); }
static int log_notice(lua_State *L) { return log_at(L, 1, DAOC_LOG_NOTICE); }
static int log_info(lua_State *L) { return log_at(L, 1, DAOC_LOG_INFO); }
static int log_debug(lua_State *L) { return log_at(L, 1, DAOC_LOG_DEBUG); }

static void push_log(lua_State *L, struct daoc__lua *ls)
{
    static const struct {
        const char *name;
        lua_CFunction fn;
    } levels[] = {{"emerg", log_err}, {"alert", log_err},   {"crit", log_err},
                  {"err", log_err},   {"warn", log_warn},   {"notice", log_notice},
                  {"info", log_info}, {"debug", log_debug}};
    lua_newtable(L);
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        lua_pushlightuserdata(L, ls);
        lua_pushcclosure(L, levels[i].fn, 1);
        lua_setfield(L, -2, levels[i].name);
    }
    lua_newtable(L);
    lua_pushlightuserdata(L, ls);
    lua_pushcclosure(L, log_call, 1);
    lua_setfield(L, -2, "__call");
    lua_setmetatable(L, -2);
}

/* ---- install ----------------------------------------------------------- */

/* Builds the `kong` table once per state and keeps it in the registry.  The
 * table the shims created (the global `kong`, which is also the sandbox's
 * `kong` that require "kong.singletons" reads) is filled in place, so every
 * environment sees the same kong.db. */
static void push_kong(lua_State *L, struct daoc__lua *ls)
{
    lua_getfield(L, LUA_REGISTRYINDEX, KONG_KEY);
    if (lua_istable(L, -1))
        return;
    lua_pop(L, 1);
    init_metatables(L);

    lua_getglobal(L, "kong");
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, KONG_KEY);

    lua_newtable(L); /* kong.db */
    lua_newtable(L);
    lua_pushlightuserdata(L, ls);
    lua_pushcclosure(L, db_index, 1);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "db");
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "dao"); /* kong.dao: the 1.x name */
    const char *strategy = "sqlite";
    if (daoc_db_dao_count(ls->db) > 0)
        strategy = strategy_name(ls->db->daos[0]);
    lua_pushstring(L, strategy);
    lua_setfield(L, -2, "strategy");
    /* DAO objects of the entities loaded so far, so pairs(kong.db) sees them */
    for (size_t i = 0; i < daoc_db_dao_count(ls->db); i++) {
        lua_getfield(L, -1, daoc_db_dao_name(ls->db, i));
        lua_pop(L, 1);
    }
    lua_pop(L, 1); /* kong.db */

    push_log(L, ls);
    lua_setfield(L, -2, "log");
    if (ls->db->default_ws[0]) { /* Kong's id of the "default" workspace */
        lua_pushstring(L, ls->db->default_ws);
        lua_setfield(L, -2, "default_workspace");
    }
}

/* Protected body of daoc__lua_install_kong: (ls, env or nil). */
static int install(lua_State *L)
{
    struct daoc__lua *ls = lua_touserdata(L, 1);
    push_kong(L, ls);
    if (lua_isnil(L, 2)) {
        lua_pushvalue(L, -1);
        lua_setglobal(L, "kong");
        lua_getfield(L, -1, "db");
        lua_setglobal(L, "dao"); /* the 0.5 DAO factory global */
    } else {
        lua_pushvalue(L, -1);
        lua_setfield(L, 2, "kong");
        lua_getfield(L, -1, "db");
        lua_setfield(L, 2, "dao");
    }
    return 0;
}

int daoc__lua_install_kong(struct daoc__lua *ls, int env_idx)
{
    lua_State *L = ls->L;
    if (!lua_checkstack(L, 24))
        return DAOC_ENOMEM;
    if (env_idx < 0 && env_idx > LUA_REGISTRYINDEX)
        env_idx = lua_gettop(L) + env_idx + 1;
    lua_pushcfunction(L, install);
    lua_pushlightuserdata(L, ls);
    if (env_idx == 0)
        lua_pushnil(L);
    else
        lua_pushvalue(L, env_idx);
    if (lua_pcall(L, 2, 0, 0) != 0) {
        lua_pop(L, 1);
        return DAOC_ENOMEM;
    }
    return DAOC_OK;
}
