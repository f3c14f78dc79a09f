/*
 * defs.c -- loading kong.plugins.<plugin>.daos and .schema: find the file
 * on package.path, run it in the sandbox under the instruction budget, and
 * turn what it returns into definition values (entity definitions; the
 * plugin's configuration subschema of the plugins entity).
 *
 * The current format (Kong 2.x/3.x) is a strict array of entity tables and
 * is converted as is.  A map of names to schemas or to 0.x DAO classes is
 * the legacy format: shims.lua's legacy_extract normalises it and legacy.c
 * rewrites it.  A schema.lua of Kong >= 1.0 is a subschema definition as
 * is; a 0.x one (no name, a map of config fields) is normalised by
 * shims.lua's plugin_schema_extract and rewritten by legacy.c.
 * Validation of the definitions is not done here
 * (daoc__schema_compile does it).
 */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/value.h"
#include "lua/lua_internal.h"

struct load_ctx {
    struct daoc__lua *ls;
    const char *plugin;
    const char *chunkname;
    const char *buf;
    size_t len;
    daoc_value *defs;   /* current format, owned until handed out */
    daoc_value *legacy; /* normalised legacy map */
    bool schema;        /* loading a schema.lua (else a daos.lua) */
    int status;         /* non-Lua failure (ENOMEM, ESCHEMA) */
    char *msg;          /* message for status */
    int lrc;            /* status of the load's pcall (0 = ran) */
};

static bool is_strict_array(lua_State *L, int idx)
{
    size_t count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        count++;
        if (lua_type(L, -1) != LUA_TNUMBER) {
            lua_pop(L, 1);
            return false;
        }
        lua_Number k = lua_tonumber(L, -1);
        if (k < 1 || k != (lua_Number)(size_t)k) {
            lua_pop(L, 1);
            return false;
        }
    }
    return lua_objlen(L, idx) == count;
}

static void fail_schema(struct load_ctx *cx, const char *what, const char *why)
{
    cx->status = DAOC_ESCHEMA;
    cx->msg = daoc__asprintf("custom plugin '%s' %s%s%s", cx->plugin, what, why ? ": " : "",
                             why ? why : "");
    if (!cx->msg)
        cx->status = DAOC_ENOMEM;
}

/* A schema.lua's result at `res`: the current format as it is, a 0.x one
 * normalised by shims.lua's plugin_schema_extract into cx->legacy. */
static int schema_result(lua_State *L, struct load_ctx *cx, int res)
{
    const char *why = NULL;
    lua_getfield(L, LUA_REGISTRYINDEX, "daoc.plugin_schema_extract");
    lua_pushvalue(L, res);
    lua_pushstring(L, cx->plugin);
    lua_call(L, 2, 2);
    int rc = lua_istable(L, -2) ? daoc__lua_to_value(cx->ls, -2, &cx->defs, &why)
                                : daoc__lua_to_value(cx->ls, -1, &cx->legacy, &why);
    if (rc == DAOC_ENOMEM)
        cx->status = rc;
    else if (rc != DAOC_OK)
        fail_schema(cx, "returned an unusable schema", why);
    return 0;
}

/* Runs in load_outer's pcall, with the budget installed. */
static int load_protected(lua_State *L)
{
    struct load_ctx *cx = lua_touserdata(L, 1);
    struct daoc__lua *ls = cx->ls;
    const char *why = NULL;
    lua_settop(L, 0);

    daoc__lua_push_sandbox(ls);
    if (daoc__lua_load_sandboxed(L, 1, cx->buf, cx->len, cx->chunkname) != 0)
        return lua_error(L);
    lua_pushfstring(L, "kong.plugins.%s.%s", cx->plugin, cx->schema ? "schema" : "daos");
    lua_call(L, 1, 1);
    int res = lua_gettop(L);
    if (cx->schema)
        return schema_result(L, cx, res);

    if (lua_type(L, res) == LUA_TTABLE && is_strict_array(L, res)) {
        int rc = daoc__lua_to_value(ls, res, &cx->defs, &why);
        if (rc == DAOC_OK && cx->defs->type == DAOC_TOBJ && cx->defs->len == 0) {
            daoc_value_free(cx->defs); /* `return {}`: no entities */
            cx->defs = daoc_arr();
            rc = cx->defs ? DAOC_OK : DAOC_ENOMEM;
        }
        if (rc == DAOC_ENOMEM)
            cx->status = rc;
        else if (rc != DAOC_OK)
            fail_schema(cx, "returned an unusable daos definition", why);
        return 0;
    }
    if (lua_type(L, res) == LUA_TTABLE) {
        lua_getfield(L, LUA_REGISTRYINDEX, "daoc.legacy_extract");
        lua_pushvalue(L, res);
        lua_newtable(L); /* DAO constructor properties */
        lua_pushstring(L, cx->plugin);
        lua_call(L, 3, 2); /* legacy map or nil, array of current schemas or nil */
        if (lua_istable(L, -1) || lua_istable(L, -2)) {
            int rc = DAOC_OK;
            if (lua_istable(L, -1)) /* the 1.x-2.8 name-keyed map of current schemas */
                rc = lua_objlen(L, -1) ? daoc__lua_to_value(ls, -1, &cx->defs, &why)
                                       : ((cx->defs = daoc_arr()) ? DAOC_OK : DAOC_ENOMEM);
            if (rc == DAOC_OK && lua_istable(L, -2))
                rc = daoc__lua_to_value(ls, -2, &cx->legacy, &why);
            if (rc == DAOC_ENOMEM)
                cx->status = rc;
            else if (rc != DAOC_OK)
                fail_schema(cx, "returned an unusable daos definition", why);
            return 0;
        }
    }
    cx->status = DAOC_ESCHEMA;
    cx->msg =
        daoc__asprintf("custom plugin '%s' returned non-array daos definition table", cx->plugin);
    if (!cx->msg)
        cx->status = DAOC_ENOMEM;
    return 0;
}

bool daoc__lua_has_position(const char *msg)
{
    const char *sp = strchr(msg, ' ');
    size_t n = sp ? (size_t)(sp - msg) : strlen(msg);
    if (n < 3 || msg[n - 1] != ':')
        return false;
    size_t d = n - 1;
    while (d > 0 && msg[d - 1] >= '0' && msg[d - 1] <= '9')
        d--;
    return d < n - 1 && d > 0 && msg[d - 1] == ':';
}

/* Message handler of the load: a message with Lua's position in front
 * passes as it is.  Anything else (error({}), error(nil), an object, a
 * message raised with level 0 or by C code such as a module's load error)
 * gets the plugin and the position of the innermost function of a file
 * that is running (not of daoc's shims: the sandbox's require raises a
 * module's error again from there), or the daos file when none is; a value
 * that is not a message is described as Lua does. */
static int describe_error(lua_State *L)
{
    struct load_ctx *cx = lua_touserdata(L, lua_upvalueindex(1));
    int t = lua_type(L, 1);
    lua_Debug ar;
    bool text = t == LUA_TSTRING || t == LUA_TNUMBER;
    if (text && daoc__lua_has_position(lua_tostring(L, 1)))
        return 1;
    lua_pushfstring(L, "custom plugin '%s': ", cx->plugin);
    int level = 0;
    for (; lua_getstack(L, level, &ar); level++)
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && ar.source[0] == '@')
            break;
    if (lua_getstack(L, level, &ar))
        lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
    else if (text && strstr(lua_tostring(L, 1), cx->chunkname))
        lua_pushliteral(L, ""); /* "cannot load bytecode: <file>" */
    else
        lua_pushfstring(L, "%s: ", cx->chunkname);
    if (text) {
        lua_pushvalue(L, 1);
    } else if (!luaL_callmeta(L, 1, "__tostring") || lua_type(L, -1) != LUA_TSTRING) {
        lua_settop(L, 3);
        lua_pushfstring(L, "error object is a %s value", luaL_typename(L, 1));
    }
    lua_concat(L, 3);
    return 1;
}

/* Runs under lua_cpcall: the load in a pcall with describe_error; its
 * status goes to cx->lrc and its message is raised again. */
static int load_outer(lua_State *L)
{
    struct load_ctx *cx = lua_touserdata(L, 1);
    lua_settop(L, 0);
    lua_pushlightuserdata(L, cx);
    lua_pushcclosure(L, describe_error, 1);
    lua_pushcfunction(L, load_protected);
    lua_pushlightuserdata(L, cx);
    cx->lrc = lua_pcall(L, 1, 0, 1);
    return cx->lrc ? lua_error(L) : 0;
}

static int make_error(int status, char *msg, daoc_error **err)
{
    if (err && msg) {
        *err = status == DAOC_ELUA ? daoc__lua_error(msg) : daoc__err_plain("schema error", msg);
        if (status == DAOC_ELUA)
            daoc__free(msg);
        msg = NULL;
        if (!*err)
            status = DAOC_ENOMEM;
    }
    daoc__free(msg);
    return status;
}

/* Runs the file of cx under the plugin's budget.  A Lua failure is turned
 * into *err here (DAOC_ELUA, cx's values freed); otherwise DAOC_OK with
 * cx->status, cx->msg and the converted values for the caller. */
static int run_load(struct load_ctx *cx, daoc_error **err)
{
    struct daoc__lua *ls = cx->ls;
    lua_State *L = ls->L;
    int top = lua_gettop(L);

    daoc__lua_budget_begin(ls, cx->plugin);
    int lrc = lua_cpcall(L, load_outer, cx);
    daoc__lua_budget_end(ls);
    if (lrc != 0) {
        int code = cx->lrc ? cx->lrc : lrc;
        size_t mlen = 0;
        const char *m = lua_tolstring(L, -1, &mlen);
        char *msg;
        if (code == LUA_ERRMEM || code == LUA_ERRERR || !m) {
            /* no position in these (a memory error is the Lua heap's, not
             * daoc's: the plugin's failure, named) */
            msg = daoc__asprintf("custom plugin '%s': %s: %s", cx->plugin, cx->chunkname,
                                 code == LUA_ERRMEM ? "not enough memory"
                                 : m                ? m
                                                    : "error object is not a string");
        } else {
            msg = daoc__strndup(m, mlen);
        }
        lua_settop(L, top);
        daoc_value_free(cx->defs);
        daoc_value_free(cx->legacy);
        daoc__free(cx->msg);
        cx->defs = cx->legacy = NULL;
        cx->msg = NULL;
        if (!msg)
            return DAOC_ENOMEM;
        return make_error(DAOC_ELUA, msg, err);
    }
    lua_settop(L, top);
    return DAOC_OK;
}

/* The end of a load: cx's values to *out, or its failure to *err. */
static int hand_out(struct load_ctx *cx, daoc_value **out, daoc_error **err)
{
    daoc_value_free(cx->legacy);
    cx->legacy = NULL;
    if (cx->status != DAOC_OK) {
        daoc_value_free(cx->defs);
        cx->defs = NULL;
        return make_error(cx->status, cx->msg, err);
    }
    *out = cx->defs;
    return DAOC_OK;
}

int daoc__lua_load_daos_buffer(struct daoc__lua *ls, const char *plugin, const char *chunkname,
                               const char *buf, size_t len, daoc_value **defs, daoc_error **err)
{
    struct load_ctx cx = {ls, plugin, chunkname, buf, len, NULL, NULL, false, DAOC_OK, NULL, 0};

    *defs = NULL;
    if (err)
        *err = NULL;
    int lrc = run_load(&cx, err);
    if (lrc != DAOC_OK)
        return lrc;
    if (cx.status == DAOC_OK && cx.legacy) {
        daoc_value *conv = NULL;
        int rc = daoc__lua_convert_legacy(ls, plugin, cx.legacy, &conv, &cx.msg);
        for (size_t i = 0; rc == DAOC_OK && cx.defs && i < conv->len; i++) {
            rc = daoc_arr_push(cx.defs, conv->u.a[i]); /* after the current ones */
            conv->u.a[i] = NULL;
        }
        if (rc == DAOC_OK && !cx.defs) {
            cx.defs = conv;
            conv = NULL;
        }
        daoc_value_free(conv);
        if (rc != DAOC_OK)
            cx.status = rc;
    }
    return hand_out(&cx, defs, err);
}

static char *read_all(const char *path, size_t *len, bool *oom)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t cap = 0, n = 0, got;
    *oom = false;
    if (!f)
        return NULL;
    do {
        if (cap - n < 4096) {
            size_t ncap = cap ? cap * 2 : 8192;
            char *p = daoc__realloc(data, ncap + 1);
            if (!p) {
                *oom = true;
                goto fail;
            }
            data = p;
            cap = ncap;
        }
        got = fread(data + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    if (ferror(f))
        goto fail;
    fclose(f);
    data[n] = '\0';
    *len = n;
    return data;
fail:
    fclose(f);
    daoc__free(data);
    return NULL;
}

extern const unsigned char daoc__lua_src_core_entities[];
extern const size_t daoc__lua_src_core_entities_len;
extern const unsigned char daoc__lua_src_core_entities_more[];
extern const size_t daoc__lua_src_core_entities_more_len;

/* core_entities.lua's definitions, then core_entities_more.lua's, in one
 * array. */
int daoc__lua_load_core_daos(struct daoc__lua *ls, daoc_value **defs, daoc_error **err)
{
    daoc_value *more = NULL;
    int rc = daoc__lua_load_daos_buffer(ls, "core", "[daoc core entities]",
                                        (const char *)daoc__lua_src_core_entities,
                                        daoc__lua_src_core_entities_len, defs, err);
    if (rc == DAOC_OK)
        rc = daoc__lua_load_daos_buffer(ls, "core", "[daoc core entities (3.x)]",
                                        (const char *)daoc__lua_src_core_entities_more,
                                        daoc__lua_src_core_entities_more_len, &more, err);
    size_t moved = 0;
    while (rc == DAOC_OK && more && moved < more->len) /* a push takes its item, even failing */
        rc = daoc_arr_push(*defs, more->u.a[moved++]);
    if (more) { /* the pushed ones are *defs' now; the rest are freed */
        memmove(more->u.a, more->u.a + moved, (more->len - moved) * sizeof *more->u.a);
        more->len -= moved;
    }
    daoc_value_free(more);
    if (rc != DAOC_OK) {
        daoc_value_free(*defs);
        *defs = NULL;
    }
    return rc;
}

typedef int (*buffer_loader)(struct daoc__lua *ls, const char *plugin, const char *chunkname,
                             const char *buf, size_t len, daoc_value **out, daoc_error **err);

/* Finds kong.plugins.<plugin>.<part> on the package path and hands its text
 * to `load`; *found false (and DAOC_OK) when there is no such file. */
static int load_plugin_file(struct daoc__lua *ls, const char *plugin, const char *part,
                            buffer_loader load, daoc_value **out, bool *found, daoc_error **err)
{
    bool oom = false;
    size_t len = 0;
    char *name = NULL, *path = NULL, *text = NULL;
    int rc = DAOC_ENOMEM;

    *out = NULL;
    *found = false;
    if (err)
        *err = NULL;
    name = daoc__asprintf("kong.plugins.%s.%s", plugin, part);
    if (!name)
        goto done;
    path = daoc__lua_search_path(ls, name, &oom);
    if (!path) {
        rc = oom ? DAOC_ENOMEM : DAOC_OK;
        goto done;
    }
    *found = true;
    text = read_all(path, &len, &oom);
    if (!text) {
        rc = oom ? DAOC_ENOMEM
                 : make_error(DAOC_ELUA, daoc__asprintf("cannot read %s", path), err);
        goto done;
    }
    rc = load(ls, plugin, path, text, len, out, err);
done:
    daoc__free(text);
    daoc__free(path);
    daoc__free(name);
    return rc;
}

int daoc__lua_load_plugin_daos(struct daoc__lua *ls, const char *plugin, daoc_value **defs,
                               bool *found, daoc_error **err)
{
    return load_plugin_file(ls, plugin, "daos", daoc__lua_load_daos_buffer, defs, found, err);
}

int daoc__lua_load_schema_buffer(struct daoc__lua *ls, const char *plugin, const char *chunkname,
                                 const char *buf, size_t len, daoc_value **def, daoc_error **err)
{
    struct load_ctx cx = {ls, plugin, chunkname, buf, len, NULL, NULL, true, DAOC_OK, NULL, 0};
    *def = NULL;
    if (err)
        *err = NULL;
    int rc = run_load(&cx, err);
    if (rc != DAOC_OK)
        return rc;
    if (cx.status == DAOC_OK && cx.legacy) {
        rc = daoc__lua_convert_legacy_plugin_schema(ls, plugin, cx.legacy, &cx.defs, &cx.msg);
        if (rc != DAOC_OK)
            cx.status = rc;
    }
    return hand_out(&cx, def, err);
}

int daoc__lua_load_plugin_schema(struct daoc__lua *ls, const char *plugin, daoc_value **def,
                                 bool *found, daoc_error **err)
{
    return load_plugin_file(ls, plugin, "schema", daoc__lua_load_schema_buffer, def, found, err);
}

int daoc__lua_plugin_installed(struct daoc__lua *ls, const char *plugin, bool *installed)
{
    static const char *const parts[] = {"handler",   "schema",   "daos", "migrations",
                                        "migrations.postgres", "migrations.cassandra"};
    *installed = false;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0] && !*installed; i++) {
        char *name = daoc__asprintf("kong.plugins.%s.%s", plugin, parts[i]);
        if (!name)
            return DAOC_ENOMEM;
        bool oom = false;
        char *path = daoc__lua_search_path(ls, name, &oom);
        daoc__free(name);
        if (oom)
            return DAOC_ENOMEM;
        *installed = path != NULL;
        daoc__free(path);
    }
    return DAOC_OK;
}
