/*
 * convert.c -- values crossing the C/Lua boundary, and Lua functions seen
 * from C.
 *
 * daoc__lua_push_value copies a daoc_value tree into fresh Lua tables;
 * daoc__lua_to_value copies a Lua value into a new daoc_value tree.  Nothing
 * is shared: a Lua table edited after the conversion does not change the
 * value.  Functions are the exception by nature: a Lua function becomes a
 * daoc__callable holding a registry reference, and a built-in validator
 * (a C closure made by daoc__lua_push_builtin) converts straight back to
 * its C callable so validation never enters Lua for it.
 *
 * daoc__lua_to_input is the variant for data a script hands to kong.db:
 * where the strict conversion fails on a value daoc cannot represent (a
 * coroutine, a userdata, a table that contains itself, nesting deeper than
 * 100), it keeps a reference to the Lua value as an opaque DAOC_TFUNC, so
 * validation answers with Kong's per-field type error ("expected a string")
 * instead of the whole call failing.
 *
 * It does not decide what a definition means (defs.c, legacy.c).  Calling
 * a Lua callable is a call into plugin code: it runs under the
 * instruction budget (sandbox.c), a runaway one failing with its message.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"
#include "lua/lua_internal.h"
#include "schema/schema.h"

#define MAX_DEPTH 100
#define MAX_NODES 2000000

/* ---- C callables visible from Lua ----------------------------------- */

#define CALLABLE_MT "daoc.callable"

/* Userdata anchoring one reference to a daoc__callable. */
typedef struct callable_box {
    daoc__callable *c;
} callable_box;

static int box_gc(lua_State *L)
{
    callable_box *b = luaL_checkudata(L, 1, CALLABLE_MT);
    daoc__callable_unref(b->c);
    b->c = NULL;
    return 0;
}

/* The closure body of every C callable pushed to Lua (built-in validators
 * and callables of other origins).  Arguments are converted to values;
 * answers (true) or (nil, msg); a failing call raises its message. */
static int callable_closure(lua_State *L)
{
    callable_box *b = lua_touserdata(L, lua_upvalueindex(1));
    struct daoc__lua *ls = lua_touserdata(L, lua_upvalueindex(2));
    int nargs = lua_gettop(L);
    daoc_value *args[8] = {NULL};
    daoc_value *ret = NULL;
    char *msg = NULL;
    const char *why = NULL;
    int rc, n = nargs > 8 ? 8 : nargs;

    for (int i = 0; i < n; i++) {
        if (daoc__lua_to_value(ls, i + 1, &args[i], &why) != DAOC_OK) {
            for (int j = 0; j < i; j++)
                daoc_value_free(args[j]);
            return luaL_error(L, "bad argument #%d: %s", i + 1, why ? why : "unsupported value");
        }
    }
    rc = b->c->call(b->c, (const daoc_value *const *)args, (size_t)n, &ret, &msg);
    for (int i = 0; i < n; i++)
        daoc_value_free(args[i]);
    daoc_value_free(ret);
    if (rc < 0) {
        lua_pushstring(L, msg ? msg : daoc_strerror(rc));
        daoc__free(msg);
        return lua_error(L);
    }
    if (rc > 0) {
        daoc__free(msg);
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushnil(L);
    if (msg)
        lua_pushstring(L, msg);
    else
        lua_pushnil(L);
    daoc__free(msg);
    return 2;
}

int daoc__lua_push_callable(struct daoc__lua *ls, daoc__callable *c)
{
    lua_State *L = ls->L;
    if (!lua_checkstack(L, 4))
        return DAOC_ENOMEM;
    callable_box *b = lua_newuserdata(L, sizeof *b);
    b->c = NULL;
    luaL_getmetatable(L, CALLABLE_MT);
    lua_setmetatable(L, -2);
    daoc__callable_ref(c);
    b->c = c;
    lua_pushlightuserdata(L, ls);
    lua_pushcclosure(L, callable_closure, 2);
    return DAOC_OK;
}

int daoc__lua_push_builtin(struct daoc__lua *ls, const char *name)
{
    daoc__callable *c = daoc__builtin_validator(name);
    if (!c)
        return DAOC_ENOTFOUND;
    int rc = daoc__lua_push_callable(ls, c);
    daoc__callable_unref(c);
    return rc;
}

/* The callable behind a closure made by daoc__lua_push_callable, or NULL. */
static daoc__callable *closure_callable(lua_State *L, int idx)
{
    if (lua_tocfunction(L, idx) != callable_closure)
        return NULL;
    if (!lua_getupvalue(L, idx, 1))
        return NULL;
    callable_box *b = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return b ? b->c : NULL;
}

/* ---- Lua functions as callables ------------------------------------- */

typedef struct lua_callable {
    daoc__callable base;
    struct daoc__lua *ls;
    int ref;
} lua_callable;

static void lua_callable_release(daoc__callable *self)
{
    lua_callable *lc = (lua_callable *)self;
    if (lc->ls && lc->ls->L)
        luaL_unref(lc->ls->L, LUA_REGISTRYINDEX, lc->ref);
    daoc__free(lc);
}

struct call_ctx {
    lua_callable *lc;
    const daoc_value *const *args;
    size_t nargs;
    int status;
};

/* Registry key of the trampoline below (created once by
 * daoc__lua_convert_init, so calling needs no allocation outside pcall). */
static const char trampoline_key = 't';

/* Called through lua_pcall: pushes the function and its arguments and
 * calls it, returning its first two results. */
static int call_trampoline(lua_State *L)
{
    struct call_ctx *cx = lua_touserdata(L, 1);
    lua_settop(L, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, cx->lc->ref);
    for (size_t i = 0; i < cx->nargs; i++) {
        if (!cx->args[i]) {
            lua_pushnil(L);
            continue;
        }
        int rc = daoc__lua_push_value(cx->lc->ls, cx->args[i]);
        if (rc != DAOC_OK) {
            cx->status = rc;
            return luaL_error(L, "out of memory");
        }
    }
    lua_call(L, (int)cx->nargs, 2);
    return 2;
}

static char *dup_lua_string(lua_State *L, int idx)
{
    size_t len = 0;
    const char *s = lua_tolstring(L, idx, &len);
    return s ? daoc__strndup(s, len) : daoc__strdup("(error object is not a string)");
}

/* call() and call_err(): `second` selects call_err's answer. */
static int lua_callable_invoke(daoc__callable *self, const daoc_value *const *args, size_t nargs,
                               daoc_value **ret, char **msg, daoc_value **second)
{
    lua_callable *lc = (lua_callable *)self;
    lua_State *L = lc->ls->L;
    struct call_ctx cx = {lc, args, nargs, DAOC_OK};
    int base = lua_gettop(L), rc;

    if (ret)
        *ret = NULL;
    if (second)
        *second = NULL;
    if (msg)
        *msg = NULL;
    if (!lua_checkstack(L, (int)nargs + 8))
        return DAOC_ENOMEM;
    lua_pushlightuserdata(L, (void *)&trampoline_key);
    lua_rawget(L, LUA_REGISTRYINDEX);
    lua_pushlightuserdata(L, &cx);
    if (daoc__lua_pcall_budgeted(lc->ls, L, 1, 2, 0) != 0) { /* plugin code: budgeted */
        if (msg)
            *msg = dup_lua_string(L, -1);
        lua_settop(L, base);
        return cx.status != DAOC_OK ? cx.status : DAOC_ELUA;
    }
    rc = lua_toboolean(L, -2) ? 1 : 0;
    if (ret && !lua_isnil(L, -2)) {
        const char *why = NULL;
        int st = daoc__lua_to_value(lc->ls, -2, ret, &why);
        if (st != DAOC_OK)
            *ret = NULL; /* an unconvertible answer is still an answer */
    }
    if (second) {
        if (!rc && !lua_isnil(L, -1)) {
            const char *why = NULL;
            if (daoc__lua_to_value(lc->ls, -1, second, &why) != DAOC_OK)
                *second = NULL;
        }
    } else if (!rc && msg && lua_type(L, -1) == LUA_TSTRING) {
        *msg = dup_lua_string(L, -1);
    }
    lua_settop(L, base);
    return rc;
}

static int lua_callable_call(daoc__callable *self, const daoc_value *const *args, size_t nargs,
                             daoc_value **ret, char **msg)
{
    return lua_callable_invoke(self, args, nargs, ret, msg, NULL);
}

static int lua_callable_call_err(daoc__callable *self, const daoc_value *const *args, size_t nargs,
                                 daoc_value **second, char **msg)
{
    return lua_callable_invoke(self, args, nargs, NULL, msg, second);
}

/* Wraps the Lua function at idx as a new callable (one reference).  Also
 * used for the opaque values of daoc__lua_to_input: calling one of those
 * fails with Lua's "attempt to call" message, pushing it gives the original
 * Lua value back. */
static daoc__callable *wrap_function(struct daoc__lua *ls, int idx)
{
    lua_callable *lc = daoc__calloc(1, sizeof *lc);
    if (!lc)
        return NULL;
    lua_pushvalue(ls->L, idx);
    lc->ref = luaL_ref(ls->L, LUA_REGISTRYINDEX);
    lc->ls = ls;
    lc->base.refs = 1;
    lc->base.call = lua_callable_call;
    lc->base.call_err = lua_callable_call_err;
    lc->base.release = lua_callable_release;
    return &lc->base;
}

int daoc__lua_convert_init(struct daoc__lua *ls)
{
    lua_State *L = ls->L;
    luaL_newmetatable(L, CALLABLE_MT);
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushliteral(L, "callable");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    lua_pushlightuserdata(L, (void *)&trampoline_key);
    lua_pushcfunction(L, call_trampoline);
    lua_rawset(L, LUA_REGISTRYINDEX);
    return DAOC_OK;
}

/* ---- daoc_value -> Lua ------------------------------------------------ */

static void push_key(lua_State *L, const daoc__kv *kv, bool intkeys)
{
    if (intkeys) {
        char *end = NULL;
        long long k = strtoll(kv->key, &end, 10);
        if (end && *end == '\0' && end != kv->key) {
            lua_pushnumber(L, (lua_Number)k);
            return;
        }
    }
    lua_pushlstring(L, kv->key, kv->klen);
}

static int push_rec(struct daoc__lua *ls, const daoc_value *v, int depth)
{
    lua_State *L = ls->L;
    if (depth > MAX_DEPTH * 4 || !lua_checkstack(L, 6))
        return DAOC_ENOMEM;
    switch (v->type) {
    case DAOC_TNULL:
        lua_pushlightuserdata(L, NULL);
        return DAOC_OK;
    case DAOC_TBOOL:
        lua_pushboolean(L, v->u.b);
        return DAOC_OK;
    case DAOC_TINT:
        lua_pushnumber(L, (lua_Number)v->u.i);
        return DAOC_OK;
    case DAOC_TNUM:
        lua_pushnumber(L, v->u.n);
        return DAOC_OK;
    case DAOC_TSTR:
        lua_pushlstring(L, v->u.s ? v->u.s : "", v->len);
        return DAOC_OK;
    case DAOC_TARR:
        lua_createtable(L, (int)(v->len > 1000000 ? 1000000 : v->len), 0);
        for (size_t i = 0; i < v->len; i++) {
            int rc = push_rec(ls, v->u.a[i], depth + 1);
            if (rc != DAOC_OK) {
                lua_pop(L, 1);
                return rc;
            }
            lua_rawseti(L, -2, (int)(i + 1));
        }
        if (!(v->flags & DAOC__VF_EMPTYTABLE)) {
            lua_getfield(L, LUA_REGISTRYINDEX, DAOC__LUA_ARRAY_MT);
            if (lua_istable(L, -1))
                lua_setmetatable(L, -2);
            else
                lua_pop(L, 1);
        }
        return DAOC_OK;
    case DAOC_TOBJ: {
        bool intkeys = (v->flags & DAOC__VF_INTKEYS) != 0;
        lua_createtable(L, 0, (int)(v->len > 1000000 ? 1000000 : v->len));
        for (size_t i = 0; i < v->len; i++) {
            push_key(L, &v->u.o[i], intkeys);
            int rc = push_rec(ls, v->u.o[i].val, depth + 1);
            if (rc != DAOC_OK) {
                lua_pop(L, 2);
                return rc;
            }
            lua_rawset(L, -3);
        }
        return DAOC_OK;
    }
    case DAOC_TFUNC: {
        daoc__callable *c = v->u.f;
        if (c && c->release == lua_callable_release && ((lua_callable *)c)->ls == ls) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, ((lua_callable *)c)->ref);
            return DAOC_OK;
        }
        if (!c) {
            lua_pushnil(L);
            return DAOC_OK;
        }
        return daoc__lua_push_callable(ls, c);
    }
    default:
        lua_pushnil(L);
        return DAOC_OK;
    }
}

int daoc__lua_push_value(struct daoc__lua *ls, const daoc_value *v)
{
    int top = lua_gettop(ls->L);
    if (!v) {
        lua_pushnil(ls->L);
        return DAOC_OK;
    }
    int rc = push_rec(ls, v, 0);
    if (rc != DAOC_OK)
        lua_settop(ls->L, top);
    return rc;
}

/* ---- Lua -> daoc_value ------------------------------------------------ */

struct conv {
    struct daoc__lua *ls;
    const void *path[MAX_DEPTH + 1]; /* tables being converted (cycle check) */
    int depth;
    size_t nodes;
    const char *why;
    bool opaque; /* keep unrepresentable values as opaque references */
};

static int conv_value(struct conv *cv, int idx, daoc_value **out);

/* The value at idx cannot be represented (why): an error, or with
 * cv->opaque an opaque reference to it. */
static int unrepresentable(struct conv *cv, int idx, const char *why, daoc_value **out)
{
    if (!cv->opaque) {
        cv->why = why;
        return DAOC_EINVAL;
    }
    daoc__callable *c = wrap_function(cv->ls, idx);
    if (!c)
        return DAOC_ENOMEM;
    *out = daoc__func(c);
    return *out ? DAOC_OK : DAOC_ENOMEM;
}

static bool is_integral(lua_Number n)
{
    return isfinite(n) && n == floor(n) && fabs(n) <= 9007199254740992.0;
}

/* Classifies the table at idx: returns 0 for an array 1..n (n in *n), 1 for
 * an object whose keys are all positive integers (sparse array), 2 for
 * other objects, -1 for a key neither a string nor a number (*n set). */
static int classify(lua_State *L, int idx, size_t *n, lua_Number *maxk)
{
    size_t count = 0;
    lua_Number max = 0;
    bool all_int = true, bad = false;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        count++;
        int kt = lua_type(L, -1);
        if (kt == LUA_TNUMBER) {
            lua_Number k = lua_tonumber(L, -1);
            if (k >= 1 && is_integral(k)) {
                if (k > max)
                    max = k;
                continue;
            }
            all_int = false;
        } else if (kt == LUA_TSTRING) {
            all_int = false;
        } else {
            all_int = false;
            bad = true;
        }
    }
    *n = count;
    *maxk = max;
    if (bad)
        return -1;
    if (all_int && count > 0 && (lua_Number)count == max)
        return 0;
    if (all_int && count > 0 && (max <= 10 || max <= 2.0 * (lua_Number)count))
        return 1;
    return 2;
}

static bool has_array_mt(lua_State *L, int idx)
{
    if (!lua_getmetatable(L, idx))
        return false;
    lua_getfield(L, LUA_REGISTRYINDEX, DAOC__LUA_ARRAY_MT);
    bool eq = lua_rawequal(L, -1, -2);
    if (!eq) {
        lua_pop(L, 1);
        lua_getfield(L, LUA_REGISTRYINDEX, DAOC__LUA_EMPTY_ARRAY_MT);
        eq = lua_rawequal(L, -1, -2);
    }
    lua_pop(L, 2);
    return eq;
}

/* Text of the number key at the top of the stack. */
static size_t number_key(lua_State *L, char *buf, size_t size)
{
    lua_Number k = lua_tonumber(L, -1);
    int n = is_integral(k) ? snprintf(buf, size, "%.0f", k) : snprintf(buf, size, "%.14g", k);
    return n < 0 ? 0 : (size_t)n;
}

/* Appends key/value without a duplicate scan (keys of one Lua table are
 * distinct, and number keys colliding with string keys are skipped by the
 * caller). */
static int obj_append(daoc_value *o, const char *key, size_t klen, daoc_value *item)
{
    return daoc__obj_append(o, key, klen, item);
}

static int cmp_intkey(const void *a, const void *b)
{
    long long x = strtoll(((const daoc__kv *)a)->key, NULL, 10);
    long long y = strtoll(((const daoc__kv *)b)->key, NULL, 10);
    return (x > y) - (x < y);
}

static int conv_array(struct conv *cv, int idx, size_t n, daoc_value *arr)
{
    lua_State *L = cv->ls->L;
    for (size_t i = 1; i <= n; i++) {
        daoc_value *item = NULL;
        lua_rawgeti(L, idx, (int)i);
        int rc = conv_value(cv, lua_gettop(L), &item);
        lua_pop(L, 1);
        if (rc == DAOC_OK)
            rc = daoc_arr_push(arr, item);
        if (rc != DAOC_OK)
            return rc;
    }
    return DAOC_OK;
}

static int conv_object(struct conv *cv, int idx, daoc_value *obj)
{
    lua_State *L = cv->ls->L;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        char nbuf[64];
        const char *key;
        size_t klen;
        daoc_value *item = NULL;
        uint8_t keytype = DAOC__KEY_NUM;
        if (lua_type(L, -2) == LUA_TSTRING) {
            key = lua_tolstring(L, -2, &klen);
            keytype = DAOC__KEY_STR;
        } else if (lua_type(L, -2) != LUA_TNUMBER) {
            /* daoc__lua_to_input only (classify refuses these otherwise):
             * kept under Lua's tostring text, marked, for validation */
            int n = lua_type(L, -2) == LUA_TBOOLEAN
                        ? snprintf(nbuf, sizeof nbuf, "%s", lua_toboolean(L, -2) ? "true" : "false")
                        : snprintf(nbuf, sizeof nbuf, "%s: %p", luaL_typename(L, -2),
                                   lua_topointer(L, -2));
            klen = n < 0 ? 0 : (size_t)n;
            key = nbuf;
            keytype = DAOC__KEY_OTHER;
        } else {
            lua_pushvalue(L, -2);
            klen = number_key(L, nbuf, sizeof nbuf);
            lua_pop(L, 1);
            key = nbuf;
            /* {[1] = a, ["1"] = b}: the string key wins */
            lua_pushlstring(L, key, klen);
            lua_rawget(L, idx);
            bool clash = !lua_isnil(L, -1);
            lua_pop(L, 1);
            if (clash) {
                lua_pop(L, 1);
                continue;
            }
        }
        int rc = conv_value(cv, lua_gettop(L), &item);
        if (rc == DAOC_OK)
            rc = obj_append(obj, key, klen, item);
        if (rc == DAOC_OK)
            obj->u.o[obj->len - 1].keytype = keytype;
        if (rc != DAOC_OK) {
            lua_pop(L, 2);
            return rc;
        }
        lua_pop(L, 1);
    }
    return DAOC_OK;
}

static int conv_table(struct conv *cv, int idx, daoc_value **out)
{
    lua_State *L = cv->ls->L;
    const void *p = lua_topointer(L, idx);
    size_t n = 0;
    lua_Number maxk = 0;
    int rc;

    if (cv->depth >= MAX_DEPTH)
        return unrepresentable(cv, idx, "table nesting deeper than 100", out);
    for (int i = 0; i < cv->depth; i++) {
        if (cv->path[i] == p)
            return unrepresentable(cv, idx, "table contains a cycle", out);
    }
    if (!lua_checkstack(L, 8))
        return DAOC_ENOMEM;
    int kind = classify(L, idx, &n, &maxk);
    if (kind < 0 && cv->opaque)
        kind = 2; /* a key of another type: an object whose keys say so */
    if (kind < 0) {
        cv->why = "table key is neither a string nor a number";
        return DAOC_EINVAL;
    }
    if (n == 0) {
        *out = has_array_mt(L, idx) ? daoc_arr() : daoc_obj();
        if (*out && (*out)->type == DAOC_TOBJ)
            (*out)->flags |= DAOC__VF_EMPTYTABLE;
        return *out ? DAOC_OK : DAOC_ENOMEM;
    }
    cv->path[cv->depth++] = p;
    *out = kind == 0 ? daoc_arr() : daoc_obj();
    if (!*out) {
        rc = DAOC_ENOMEM;
    } else if (kind == 0) {
        rc = conv_array(cv, idx, n, *out);
    } else {
        rc = conv_object(cv, idx, *out);
        if (rc == DAOC_OK && kind == 1) {
            (*out)->flags |= DAOC__VF_INTKEYS;
            qsort((*out)->u.o, (*out)->len, sizeof(daoc__kv), cmp_intkey);
        }
    }
    cv->depth--;
    if (rc != DAOC_OK) {
        daoc_value_free(*out);
        *out = NULL;
    }
    return rc;
}

static int conv_value(struct conv *cv, int idx, daoc_value **out)
{
    lua_State *L = cv->ls->L;
    *out = NULL;
    if (++cv->nodes > MAX_NODES) {
        cv->why = "value too large";
        return DAOC_EINVAL;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        cv->why = "nil is not a value";
        return DAOC_EINVAL;
    case LUA_TBOOLEAN:
        *out = daoc_bool(lua_toboolean(L, idx));
        break;
    case LUA_TNUMBER: {
        lua_Number n = lua_tonumber(L, idx);
        *out = is_integral(n) ? daoc_int((int64_t)n) : daoc_num(n);
        break;
    }
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        *out = daoc_strn(s, len);
        break;
    }
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) != NULL)
            return unrepresentable(cv, idx, "light userdata other than ngx.null", out);
        *out = daoc_null();
        break;
    case LUA_TTABLE:
        return conv_table(cv, idx, out);
    case LUA_TFUNCTION: {
        daoc__callable *c = closure_callable(L, idx);
        if (c) {
            daoc__callable_ref(c);
        } else {
            c = wrap_function(cv->ls, idx);
            if (!c)
                return DAOC_ENOMEM;
        }
        *out = daoc__func(c);
        break;
    }
    default:
        return unrepresentable(cv, idx,
                               lua_type(L, idx) == LUA_TTHREAD ? "coroutines cannot be converted"
                                                               : "userdata cannot be converted",
                               out);
    }
    return *out ? DAOC_OK : DAOC_ENOMEM;
}

static int convert(struct daoc__lua *ls, int idx, bool opaque, daoc_value **out, const char **why)
{
    struct conv cv;
    cv.ls = ls;
    cv.depth = 0;
    cv.nodes = 0;
    cv.why = NULL;
    cv.opaque = opaque;
    if (idx < 0 && idx > LUA_REGISTRYINDEX)
        idx = lua_gettop(ls->L) + idx + 1;
    int rc = conv_value(&cv, idx, out);
    if (why)
        *why = rc == DAOC_ENOMEM ? "out of memory" : cv.why;
    return rc;
}

int daoc__lua_to_value(struct daoc__lua *ls, int idx, daoc_value **out, const char **why)
{
    return convert(ls, idx, false, out, why);
}

int daoc__lua_to_input(struct daoc__lua *ls, int idx, daoc_value **out, const char **why)
{
    return convert(ls, idx, true, out, why);
}
