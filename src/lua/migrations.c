/*
 * migrations.c -- a plugin's migration files of every Kong generation, as
 * a daoc__migration_set, and calling their functions (up_f, teardown, a
 * 0.x up or down) the way each generation's Kong did.
 *
 * migrations.lua finds the files and checks them in Kong's words; this
 * file runs it sandboxed under the instruction budget (as defs.c runs a
 * daos.lua), names the file and line of a Lua error, copies the result out
 * of Lua (strings copied, functions kept as registry references) and adds
 * the SHA-256 of each migration's file, which the engine records to notice
 * a published migration that was edited.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/alloc.h"
#include "db/db.h"
#include "lua/lua_internal.h"

#define HELPERS_KEY "daoc.migrations"

extern const unsigned char daoc__lua_src_migrations[];
extern const size_t daoc__lua_src_migrations_len;

/* ---- errors ------------------------------------------------------------- */

/* Message handler: a message with a position passes as it is; anything
 * else gets the position of the innermost running function of a file
 * (error raised by C code, error({}), level 0); a value that is not a
 * message is described as Lua does. */
static int describe_error(lua_State *L)
{
    int t = lua_type(L, 1);
    bool text = t == LUA_TSTRING || t == LUA_TNUMBER;
    if (text && daoc__lua_has_position(lua_tostring(L, 1)))
        return 1;
    lua_Debug ar;
    int level = 0;
    for (; lua_getstack(L, level, &ar); level++)
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && ar.source[0] == '@')
            break;
    if (lua_getstack(L, level, &ar))
        lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
    else
        lua_pushliteral(L, "");
    if (text) {
        lua_pushvalue(L, 1);
    } else if (!luaL_callmeta(L, 1, "__tostring") || lua_type(L, -1) != LUA_TSTRING) {
        lua_settop(L, 2);
        lua_pushfstring(L, "error object is a %s value", luaL_typename(L, 1));
    }
    lua_concat(L, 2);
    return 1;
}

/* Copies the message at the top (or a fallback) into *msg. */
static int take_message(lua_State *L, int lrc, char **msg)
{
    const char *m = lrc == LUA_ERRMEM ? "not enough memory" : lua_tostring(L, -1);
    *msg = daoc__strdup(m ? m : "error object is not a string");
    return *msg ? DAOC_ELUA : DAOC_ENOMEM;
}

/* ---- the Lua helpers ------------------------------------------------------ */

/* load_chunk(name): module `name` loaded from package.path in the sandbox
 * (source only): chunk, path; or nil when no file exists.  Raises Lua's
 * "error loading module" on a syntax error. */
static int l_load_chunk(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    daoc__lua_push_sandbox(lua_touserdata(L, lua_upvalueindex(1)));
    int n = daoc__lua_load_on_path(L, NULL, name, lua_gettop(L));
    if (n == 0)
        lua_pushnil(L);
    return n ? 2 : 1;
}

/* Pushes migrations.lua's table, running the chunk on first use.  Raises. */
static void push_helpers(lua_State *L, struct daoc__lua *ls)
{
    lua_getfield(L, LUA_REGISTRYINDEX, HELPERS_KEY);
    if (lua_istable(L, -1))
        return;
    lua_pop(L, 1);
    if (luaL_loadbuffer(L, (const char *)daoc__lua_src_migrations, daoc__lua_src_migrations_len,
                        "=[daoc migrations]") != 0)
        lua_error(L);
    daoc__lua_push_sandbox(ls);
    lua_getfield(L, LUA_REGISTRYINDEX, "daoc.db_errors");
    lua_pushlightuserdata(L, ls);
    lua_pushcclosure(L, l_load_chunk, 1);
    lua_call(L, 3, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, HELPERS_KEY);
}

/* ---- loading -------------------------------------------------------------- */

struct load_ctx {
    struct daoc__lua *ls;
    const char *plugin;
};

/* Under lua_pcall with describe_error: helpers.load(plugin) -> 3 values. */
static int load_protected(lua_State *L)
{
    struct load_ctx *cx = lua_touserdata(L, 1);
    lua_settop(L, 0);
    push_helpers(L, cx->ls);
    lua_getfield(L, -1, "load");
    lua_pushstring(L, cx->plugin);
    lua_call(L, 1, 3);
    return 3;
}

/* SHA-256 hex of the file at path into out ("" when it cannot be read). */
static void file_checksum(const char *path, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE], chunk[8192];
    unsigned int mdlen = 0;
    size_t n;
    bool ok = false;
    out[0] = '\0';
    FILE *f = path ? fopen(path, "rb") : NULL;
    EVP_MD_CTX *c = f ? EVP_MD_CTX_new() : NULL;
    if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1) {
        ok = true;
        while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
            ok = EVP_DigestUpdate(c, chunk, n) == 1;
        ok = ok && !ferror(f) && EVP_DigestFinal_ex(c, md, &mdlen) == 1 && mdlen == 32;
    }
    if (ok)
        for (unsigned i = 0; i < mdlen; i++)
            snprintf(out + 2 * i, 3, "%02x", md[i]);
    EVP_MD_CTX_free(c);
    if (f)
        fclose(f);
}

/* The string field k of the table at the top, copied; *oom on failure. */
static char *str_field(lua_State *L, const char *k, bool *oom)
{
    char *s = NULL;
    lua_getfield(L, -1, k);
    if (lua_type(L, -1) == LUA_TSTRING) {
        size_t n = 0;
        const char *v = lua_tolstring(L, -1, &n);
        s = daoc__strndup(v, n);
        *oom = *oom || !s;
    }
    lua_pop(L, 1);
    return s;
}

/* A registry ref of the function field k of the table at the top. */
static int fn_field(lua_State *L, const char *k)
{
    lua_getfield(L, -1, k);
    if (lua_type(L, -1) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        return LUA_NOREF;
    }
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

static int format_of(const char *f)
{
    if (!f)
        return DAOC__MIGFMT_NONE;
    if (strcmp(f, "index") == 0)
        return DAOC__MIGFMT_INDEX;
    if (strcmp(f, "legacy_pg") == 0)
        return DAOC__MIGFMT_LEGACY_PG;
    if (strcmp(f, "legacy_05") == 0)
        return DAOC__MIGFMT_LEGACY_05;
    return DAOC__MIGFMT_NONE;
}

/* The result table at the top into *out. */
static int copy_set(struct daoc__lua *ls, daoc__migration_set *out)
{
    lua_State *L = ls->L;
    bool oom = false;
    lua_getfield(L, -1, "format");
    out->format = format_of(lua_tostring(L, -1));
    lua_pop(L, 1);
    lua_getfield(L, -1, "cassandra_only");
    out->cassandra_only = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, -1, "list");
    size_t n = lua_istable(L, -1) ? lua_objlen(L, -1) : 0;
    out->m = n ? daoc__calloc(n, sizeof *out->m) : NULL;
    if (n && !out->m) {
        lua_pop(L, 1);
        return DAOC_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        daoc__migration *m = &out->m[i];
        m->up_f_ref = m->teardown_ref = m->down_f_ref = LUA_NOREF;
        out->n = i + 1;
        lua_rawgeti(L, -1, (int)i + 1);
        m->name = str_field(L, "name", &oom);
        m->file = str_field(L, "file", &oom);
        m->up_sql = str_field(L, "up", &oom);
        m->down_sql = str_field(L, "down", &oom);
        m->up_f_ref = fn_field(L, "up_f");
        if (m->up_f_ref == LUA_NOREF)
            m->up_f_ref = fn_field(L, "up"); /* a 0.x function up */
        m->teardown_ref = fn_field(L, "teardown");
        m->down_f_ref = fn_field(L, "down");
        lua_pop(L, 1);
        if (!m->name)
            oom = true;
        if (oom)
            break;
        if (i > 0 && m->file && out->m[i - 1].file && strcmp(m->file, out->m[i - 1].file) == 0)
            memcpy(m->checksum, out->m[i - 1].checksum, sizeof m->checksum); /* one array file */
        else
            file_checksum(m->file, m->checksum);
    }
    lua_pop(L, 1);
    return oom ? DAOC_ENOMEM : DAOC_OK;
}

int daoc__lua_load_migrations(struct daoc__lua *ls, const char *plugin, daoc__migration_set *out,
                              char **msg)
{
    lua_State *L = ls->L;
    struct load_ctx cx = {ls, plugin};
    memset(out, 0, sizeof *out);
    *msg = NULL;
    int top = lua_gettop(L);
    if (!lua_checkstack(L, 16))
        return DAOC_ENOMEM;
    lua_pushcfunction(L, describe_error);
    lua_pushcfunction(L, load_protected);
    lua_pushlightuserdata(L, &cx);
    daoc__lua_budget_begin(ls, plugin);
    int lrc = lua_pcall(L, 1, 3, top + 1);
    daoc__lua_budget_end(ls);
    int rc;
    if (lrc != 0) {
        rc = lrc == LUA_ERRMEM ? DAOC_ENOMEM : take_message(L, lrc, msg);
    } else if (!lua_istable(L, -3)) {
        const char *m = lua_tostring(L, -2);
        *msg = daoc__strdup(m ? m : "invalid migrations");
        rc = *msg ? DAOC_ESCHEMA : DAOC_ENOMEM;
    } else {
        lua_pushvalue(L, -3);
        rc = copy_set(ls, out);
        if (rc != DAOC_OK)
            daoc__migration_set_free(ls, out);
    }
    lua_settop(L, top);
    return rc;
}

void daoc__migration_set_free(struct daoc__lua *ls, daoc__migration_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++) {
        daoc__migration *m = &set->m[i];
        daoc__free(m->name);
        daoc__free(m->up_sql);
        daoc__free(m->down_sql);
        daoc__free(m->file);
        if (ls && ls->L) {
            luaL_unref(ls->L, LUA_REGISTRYINDEX, m->up_f_ref);
            luaL_unref(ls->L, LUA_REGISTRYINDEX, m->teardown_ref);
            luaL_unref(ls->L, LUA_REGISTRYINDEX, m->down_f_ref);
        }
    }
    daoc__free(set->m);
    memset(set, 0, sizeof *set);
}

/* ---- running -------------------------------------------------------------- */

struct run_ctx {
    struct daoc__lua *ls;
    int ref;
    int format;
    int status;
    char *msg;
};

/* Pushes the arguments of ctx's generation; returns their count.  Raises. */
static int push_args(lua_State *L, struct run_ctx *cx)
{
    daoc__lua_push_sandbox(cx->ls);
    lua_getfield(L, -1, "kong");
    lua_remove(L, -2);
    int kong = lua_gettop(L);
    if (!lua_istable(L, kong)) {
        lua_pop(L, 1);
        lua_newtable(L);
    }
    lua_getfield(L, kong, "db");
    if (lua_istable(L, -1))
        lua_getfield(L, -1, "connector");
    else
        lua_pushnil(L);
    lua_remove(L, -2);
    int conn = lua_gettop(L);
    int n;
    if (cx->format == DAOC__MIGFMT_LEGACY_PG) {
        lua_pushvalue(L, conn);
        lua_getfield(L, kong, "configuration");
        lua_getfield(L, kong, "dao");
        n = 3;
    } else if (cx->format == DAOC__MIGFMT_LEGACY_05) {
        lua_createtable(L, 0, 1); /* options: the Cassandra properties */
        lua_getfield(L, kong, "configuration");
        if (lua_istable(L, -1))
            lua_getfield(L, -1, "cassandra_keyspace");
        else
            lua_pushnil(L);
        lua_remove(L, -2);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_pushliteral(L, "kong");
        }
        lua_setfield(L, -2, "keyspace");
        push_helpers(L, cx->ls);
        lua_getfield(L, -1, "factory05");
        lua_remove(L, -2);
        lua_getfield(L, LUA_REGISTRYINDEX, "daoc.dao05");
        lua_pushvalue(L, conn);
        lua_call(L, 2, 1);
        n = 2;
    } else {
        lua_pushvalue(L, conn);
        lua_pushnil(L); /* helpers: nil since Kong 3.0 */
        n = 2;
    }
    /* drop kong and conn below the arguments */
    lua_remove(L, conn);
    lua_remove(L, kong);
    return n;
}

/* Under lua_cpcall: the call and its verdict into cx. */
static int run_protected(lua_State *L)
{
    struct run_ctx *cx = lua_touserdata(L, 1);
    lua_settop(L, 0);
    lua_pushcfunction(L, describe_error);
    lua_rawgeti(L, LUA_REGISTRYINDEX, cx->ref);
    if (!lua_isfunction(L, -1))
        return luaL_error(L, "migration function not loaded");
    int n = push_args(L, cx);
    int lrc = daoc__lua_pcall_budgeted(cx->ls, L, n, 2, 1);
    if (lrc != 0) {
        cx->status = lrc == LUA_ERRMEM ? DAOC_ENOMEM : take_message(L, lrc, &cx->msg);
        return 0;
    }
    int err_idx = cx->format == DAOC__MIGFMT_INDEX ? -1 : -2;
    if (lua_isnil(L, err_idx)) {
        cx->status = DAOC_OK;
        return 0;
    }
    lua_getglobal(L, "tostring");
    lua_pushvalue(L, err_idx - 1);
    lua_call(L, 1, 1);
    cx->status = take_message(L, 0, &cx->msg);
    return 0;
}

int daoc__lua_run_migration_fn(struct daoc__lua *ls, int ref, int legacy_format, char **msg)
{
    lua_State *L = ls->L;
    struct run_ctx cx = {ls, ref, legacy_format, DAOC_ELUA, NULL};
    *msg = NULL;
    int top = lua_gettop(L);
    int lrc = lua_cpcall(L, run_protected, &cx);
    if (lrc != 0) {
        daoc__free(cx.msg);
        cx.msg = NULL;
        cx.status = lrc == LUA_ERRMEM ? DAOC_ENOMEM : take_message(L, lrc, &cx.msg);
    }
    lua_settop(L, top);
    *msg = cx.msg;
    return cx.status;
}
