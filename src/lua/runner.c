/*
 * runner.c -- daoc__lua_run_file: runs a user script (`daoc runner FILE`)
 * in the database's Lua state.
 *
 * A script is trusted code, like a file given to the luajit interpreter: it
 * sees the normal globals, `require` searching package.path (source only),
 * `arg` (arg[0] the script, arg[1..n] its arguments, also passed as `...`;
 * argv may start with the script path, as a C main's does),
 * `ngx`, and `kong` with kong.db.<entity> for every loaded entity.  Unlike
 * plugin files it runs without an instruction budget (the plugin code it
 * calls, a validator or a custom DAO method, has one).  Bytecode is refused;
 * a `#!` first line is skipped.  An uncaught error becomes DAOC_ELUA with
 * the Lua message ("file:line: msg").  `print` writes to stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "lua/lua_internal.h"

struct run {
    struct daoc__lua *ls;
    const char *path;
    char *buf;
    size_t len;
    int argc;
    char **argv;
};

static int read_file(const char *path, char **out, size_t *len, char **why)
{
    *out = NULL;
    *why = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        *why = daoc__asprintf("cannot open %s: %s", path, strerror(errno));
        return *why ? DAOC_EIO : DAOC_ENOMEM;
    }
    size_t cap = 8192, n = 0;
    char *buf = daoc__malloc(cap);
    if (!buf)
        goto nomem;
    for (;;) {
        if (n == cap) {
            char *grown = daoc__realloc(buf, cap * 2);
            if (!grown)
                goto nomem;
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        fclose(f);
        daoc__free(buf);
        *why = daoc__asprintf("cannot read %s: %s", path, strerror(errno));
        return *why ? DAOC_EIO : DAOC_ENOMEM;
    }
    fclose(f);
    *out = buf;
    *len = n;
    return DAOC_OK;
nomem:
    fclose(f);
    daoc__free(buf);
    return DAOC_ENOMEM;
}

/* Under lua_cpcall: arg, the chunk, the call.  Errors propagate. */
static int run(lua_State *L)
{
    struct run *r = lua_touserdata(L, 1);
    lua_settop(L, 0);

    lua_createtable(L, r->argc, 2);
    lua_pushstring(L, "daoc");
    lua_rawseti(L, -2, -1);
    lua_pushstring(L, r->path);
    lua_rawseti(L, -2, 0);
    for (int i = 0; i < r->argc; i++) {
        lua_pushstring(L, r->argv[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setglobal(L, "arg");

    const char *src = r->buf;
    size_t len = r->len;
    if (len > 0 && src[0] == '\033')
        return luaL_error(L, "%s: cannot run bytecode (source files only)", r->path);
    /* skip a "#!" line but keep its newline so line numbers stay right */
    if (len > 0 && src[0] == '#') {
        while (len > 0 && *src != '\n') {
            src++;
            len--;
        }
    }
    lua_pushfstring(L, "@%s", r->path);
    if (luaL_loadbuffer(L, src, len, lua_tostring(L, -1)) != 0)
        return lua_error(L);
    lua_remove(L, -2);
    luaL_checkstack(L, r->argc + 1, "too many arguments");
    for (int i = 0; i < r->argc; i++)
        lua_pushstring(L, r->argv[i]);
    lua_call(L, r->argc, 0);
    /* the timers still pending run once with premature = true (shims.lua) */
    lua_getglobal(L, "ngx");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "timer");
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "_exit");
            if (lua_isfunction(L, -1))
                lua_call(L, 0, 0);
            else
                lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

/* The text of the error value at the top of the stack (err_t tables and
 * other objects through __tostring). */
static const char *error_text(lua_State *L)
{
    if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER)
        return lua_tostring(L, -1);
    if (luaL_callmeta(L, -1, "__tostring") && lua_isstring(L, -1))
        return lua_tostring(L, -1);
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, -1));
    return lua_tostring(L, -1);
}

int daoc__lua_run_file(struct daoc__lua *ls, const char *path, int argc, char **argv,
                       daoc_error **err)
{
    lua_State *L = ls->L;
    struct run r = {ls, path, NULL, 0, argc < 0 ? 0 : argc, argv};
    /* argv as a C main receives it (argv[0] = the script) or only the
     * script's arguments: both are accepted */
    if (r.argc > 0 && argv && argv[0] && strcmp(argv[0], path) == 0) {
        r.argc--;
        r.argv = argv + 1;
    }
    char *why = NULL;
    int top = lua_gettop(L);

    if (err)
        *err = NULL;
    int rc = read_file(path, &r.buf, &r.len, &why);
    if (rc != DAOC_OK)
        goto fail;
    rc = daoc__lua_install_kong(ls, 0, err);
    if (rc != DAOC_OK)
        goto fail;
    if (lua_cpcall(L, run, &r) != 0) {
        const char *msg = error_text(L);
        if (strcmp(msg, "not enough memory") == 0) {
            rc = DAOC_ENOMEM;
            goto fail;
        }
        why = daoc__strdup(msg);
        rc = why ? DAOC_ELUA : DAOC_ENOMEM;
        goto fail;
    }
    lua_settop(L, top);
    daoc__free(r.buf);
    return DAOC_OK;
fail:
    lua_settop(L, top);
    daoc__free(r.buf);
    if (why && err) {
        *err = daoc__lua_error(why);
        if (!*err)
            rc = DAOC_ENOMEM;
    }
    daoc__free(why);
    return rc;
}
