/*
 * sandbox.c -- how plugin files get into the Lua state: the package.path
 * search, loading source text (never bytecode) with `@<path>` chunk names so
 * errors name file and line, the environment they run in, and the
 * instruction budget that stops runaway plugin code: a definition file
 * while it loads, and every later call into plugin code (validators,
 * entity checks, custom DAO methods), each call with a budget of its own.
 *
 * The environment table itself is assembled by shims.lua (state.c runs it);
 * this file only provides the C pieces it needs (`load_module`,
 * `budget_exhausted`) and the searcher used by the trusted `require`.
 */
#include <stdio.h>
#include <string.h>

#include <luajit.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "db/db.h"
#include "lua/lua_internal.h"

#define BUDGET_STEP 10000

/* ---- files ------------------------------------------------------------- */

/* Reads a whole file; NULL when it cannot be opened or on ENOMEM. */
static char *read_file(const char *path, size_t *len, bool *oom)
{
    daoc__buf b = DAOC__BUF_INIT;
    char chunk[8192];
    size_t n;
    FILE *f = fopen(path, "rb");
    *oom = false;
    if (!f)
        return NULL;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        daoc__buf_append(&b, chunk, n);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        daoc__buf_free(&b);
        return NULL;
    }
    if (b.len == 0 && !b.failed) {
        daoc__buf_free(&b);
        *len = 0;
        char *empty = daoc__strdup("");
        *oom = empty == NULL;
        return empty;
    }
    char *data = daoc__buf_take(&b, len);
    if (!data)
        *oom = true;
    return data;
}

static bool readable(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    fclose(f);
    return true;
}

/* Expands each `;`-separated template of package.path with name (dots
 * become slashes) and returns the first that exists.  When tried is not
 * NULL it receives the "\n\tno file 'x'" list Lua's require reports. */
static char *search(const char *ppath, const char *name, daoc__buf *tried, bool *oom)
{
    daoc__buf cand = DAOC__BUF_INIT;
    const char *p = ppath;
    *oom = false;
    while (p && *p) {
        const char *end = strchr(p, ';');
        size_t tlen = end ? (size_t)(end - p) : strlen(p);
        daoc__buf_reset(&cand);
        for (size_t i = 0; i < tlen; i++) {
            if (p[i] != '?') {
                daoc__buf_putc(&cand, p[i]);
                continue;
            }
            for (const char *c = name; *c; c++)
                daoc__buf_putc(&cand, *c == '.' ? '/' : *c);
        }
        if (cand.failed) {
            *oom = true;
            break;
        }
        if (tlen > 0 && cand.len > 0) {
            if (readable(cand.data)) {
                size_t len;
                char *found = daoc__buf_take(&cand, &len);
                if (!found)
                    *oom = true;
                return found;
            }
            if (tried)
                daoc__buf_printf(tried, "\n\tno file '%s'", cand.data);
        }
        p = end ? end + 1 : NULL;
    }
    daoc__buf_free(&cand);
    return NULL;
}

char *daoc__lua_search_path(struct daoc__lua *ls, const char *name, bool *oom)
{
    const char *ppath = ls->db && ls->db->cfg && ls->db->cfg->lua_package_path
                            ? ls->db->cfg->lua_package_path
                            : "./?.lua;./?/init.lua";
    return search(ppath, name, NULL, oom);
}

/* ---- loading ------------------------------------------------------------ */

int daoc__lua_load_sandboxed(lua_State *L, int sandbox_idx, const char *buf, size_t len,
                             const char *chunkname)
{
    if (sandbox_idx < 0 && sandbox_idx > LUA_REGISTRYINDEX)
        sandbox_idx = lua_gettop(L) + sandbox_idx + 1;
    if (len > 0 && (unsigned char)buf[0] == 0x1B) {
        lua_pushfstring(L, "cannot load bytecode: %s", chunkname);
        return 1;
    }
    /* a leading "#!" line is skipped; its newline stays so lines match */
    if (len > 0 && buf[0] == '#') {
        const char *nl = memchr(buf, '\n', len);
        size_t skip = nl ? (size_t)(nl - buf) : len;
        buf += skip;
        len -= skip;
        if (len > 0 && (unsigned char)buf[0] == 0x1B) {
            lua_pushfstring(L, "cannot load bytecode: %s", chunkname);
            return 1;
        }
    }
    lua_pushfstring(L, "@%s", chunkname);
    int rc = luaL_loadbufferx(L, buf, len, lua_tostring(L, -1), "t");
    lua_remove(L, -2);
    if (rc != 0)
        return rc;
    if (sandbox_idx != 0) {
        lua_pushvalue(L, sandbox_idx);
        lua_setfenv(L, -2);
    }
    return 0;
}

static const char ls_key = 'k';

static struct daoc__lua *state_of(lua_State *L)
{
    lua_pushlightuserdata(L, (void *)&ls_key);
    lua_rawget(L, LUA_REGISTRYINDEX);
    struct daoc__lua *ls = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return ls;
}

void daoc__lua_sandbox_register(struct daoc__lua *ls)
{
    lua_pushlightuserdata(ls->L, (void *)&ls_key);
    lua_pushlightuserdata(ls->L, ls);
    lua_rawset(ls->L, LUA_REGISTRYINDEX);
}

void daoc__lua_push_sandbox(struct daoc__lua *ls)
{
    lua_rawgeti(ls->L, LUA_REGISTRYINDEX, ls->sandbox_ref);
}

/* Finds module `name` on package.path, loads it (source only) with env at
 * `env_idx` (0 = keep globals) and pushes the chunk plus its path.  Returns
 * 2, or 0 with "\n\tno file" text pushed when absent; raises on a load
 * error. */
static int find_and_load(lua_State *L, const char *name, int env_idx)
{
    return daoc__lua_load_on_path(L, NULL, name, env_idx);
}

int daoc__lua_load_on_path(lua_State *L, const char *ppath, const char *name, int env_idx)
{
    struct daoc__lua *ls = state_of(L);
    daoc__buf tried = DAOC__BUF_INIT;
    bool oom = false;
    size_t len = 0;
    char *path = NULL, *text = NULL;

    if (env_idx < 0 && env_idx > LUA_REGISTRYINDEX)
        env_idx = lua_gettop(L) + env_idx + 1;
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "path");
    if (!ppath)
        ppath = lua_tostring(L, -1);
    if (!ppath && ls && ls->db && ls->db->cfg)
        ppath = ls->db->cfg->lua_package_path;
    path = search(ppath ? ppath : "./?.lua", name, &tried, &oom);
    lua_pop(L, 2);
    if (oom)
        goto nomem;
    if (!path) {
        const char *t = tried.failed ? NULL : tried.data;
        lua_pushstring(L, t ? t : "");
        daoc__buf_free(&tried);
        return 0;
    }
    daoc__buf_free(&tried);
    text = read_file(path, &len, &oom);
    if (!text) {
        if (oom)
            goto nomem;
        lua_pushfstring(L, "error loading module '%s' from file '%s':\n\tcannot read file", name,
                        path);
        daoc__free(path);
        return lua_error(L);
    }
    int rc = daoc__lua_load_sandboxed(L, env_idx, text, len, path);
    daoc__free(text);
    if (rc != 0) {
        lua_pushfstring(L, "error loading module '%s' from file '%s':\n\t%s", name, path,
                        lua_tostring(L, -1));
        daoc__free(path);
        return lua_error(L);
    }
    lua_pushstring(L, path);
    daoc__free(path);
    return 2;
nomem:
    daoc__buf_free(&tried);
    daoc__free(path);
    return luaL_error(L, "not enough memory");
}

/* prim.load_module(name): chunk loaded in the sandbox, path | nil, tried. */
static int l_load_module(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    struct daoc__lua *ls = state_of(L);
    if (!ls)
        return luaL_error(L, "daoc state missing");
    daoc__lua_push_sandbox(ls);
    int env = lua_gettop(L);
    int n = find_and_load(L, name, env);
    if (n == 0) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    return 2;
}

/* The package.loaders entry replacing Lua's file searcher for trusted
 * code: same search, bytecode refused, globals as environment. */
static int l_searcher(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    int n = find_and_load(L, name, 0);
    if (n == 0)
        return 1; /* the "no file" text */
    lua_pop(L, 1);
    return 1;
}

/* ---- instruction budget ------------------------------------------------- */

static long budget_step(const struct daoc__lua *ls)
{
    return ls->budget <= 0 ? 1 : ls->budget < BUDGET_STEP ? ls->budget : BUDGET_STEP;
}

/* Counts instructions in steps; once the budget is spent, raises at every
 * instruction, always with the message of the first raise (the line that
 * was running when the budget ran out, not the pcall that caught it). */
static void budget_hook(lua_State *L, lua_Debug *ar)
{
    struct daoc__lua *ls = state_of(L);
    char where[LUA_IDSIZE + 32] = "";
    if (!ls || ls->budget_depth == 0)
        return;
    if (ls->budget_used < ls->budget) {
        ls->budget_used += budget_step(ls);
        if (ls->budget_used < ls->budget)
            return;
        lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
        if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
            snprintf(where, sizeof where, "%s:%d: ", ar->short_src, ar->currentline);
        if (ls->budget_plugin)
            snprintf(ls->budget_msg, sizeof ls->budget_msg,
                     "%scustom plugin '%.60s': definition file exceeded its instruction budget "
                     "(%ld instructions)",
                     where, ls->budget_plugin, ls->budget);
        else
            snprintf(ls->budget_msg, sizeof ls->budget_msg,
                     "%splugin code exceeded its instruction budget (%ld instructions)", where,
                     ls->budget);
    }
    lua_pushstring(L, ls->budget_msg);
    lua_error(L);
}

static int l_budget_exhausted(lua_State *L)
{
    struct daoc__lua *ls = state_of(L);
    lua_pushboolean(L,
                    ls && ls->budget_depth > 0 && ls->budget > 0 && ls->budget_used >= ls->budget);
    return 1;
}

/* The hook and the JIT mode are the global state's, whichever thread is
 * running: ls->L stands for all of them. */
void daoc__lua_budget_begin(struct daoc__lua *ls, const char *plugin)
{
    if (ls->budget_depth++ > 0)
        return;
    ls->budget_used = 0;
    ls->budget_plugin = plugin;
    /* compiled code runs without hooks: plugin code is interpreted */
    luaJIT_setmode(ls->L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
    lua_sethook(ls->L, budget_hook, LUA_MASKCOUNT, (int)budget_step(ls));
}

void daoc__lua_budget_end(struct daoc__lua *ls)
{
    if (ls->budget_depth == 0 || --ls->budget_depth > 0)
        return;
    lua_sethook(ls->L, NULL, 0, 0);
    ls->budget_used = 0;
    ls->budget_plugin = NULL;
    luaJIT_setmode(ls->L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_ON);
}

int daoc__lua_pcall_budgeted(struct daoc__lua *ls, lua_State *L, int nargs, int nresults,
                             int errfunc)
{
    daoc__lua_budget_begin(ls, NULL);
    int rc = lua_pcall(L, nargs, nresults, errfunc);
    daoc__lua_budget_end(ls);
    return rc;
}

/* The body of daoc__lua_wrap_budgeted's closures: upvalue 1 the function,
 * 2 the daoc__lua. */
static int budgeted_closure(lua_State *L)
{
    struct daoc__lua *ls = lua_touserdata(L, lua_upvalueindex(2));
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    if (daoc__lua_pcall_budgeted(ls, L, n, LUA_MULTRET, 0) != 0)
        return lua_error(L);
    return lua_gettop(L);
}

void daoc__lua_wrap_budgeted(struct daoc__lua *ls, lua_State *L)
{
    if (lua_type(L, -1) != LUA_TFUNCTION)
        return;
    lua_pushlightuserdata(L, ls);
    lua_pushcclosure(L, budgeted_closure, 2);
}

/* Adds the C primitives of this file to the table at the top. */
void daoc__lua_sandbox_prims(lua_State *L)
{
    lua_pushcfunction(L, l_load_module);
    lua_setfield(L, -2, "load_module");
    lua_pushcfunction(L, l_budget_exhausted);
    lua_setfield(L, -2, "budget_exhausted");
    lua_pushcfunction(L, l_searcher);
    lua_setfield(L, -2, "searcher");
}
