/*
 * sandbox_prims.c -- the C primitives behind the Lua shims (shims.lua):
 * cjson's encode/decode over daoc's JSON, ngx.encode_base64/decode_base64,
 * UUIDs, the clock, logging through the configured callback, and the
 * built-in validators of the typedefs.
 *
 * Each primitive is small and stateless; the Lua side gives them Kong's
 * module shapes.  Nothing here prints or touches files.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/b64.h"
#include "core/json.h"
#include "core/rand.h"
#include "db/db.h"
#include "lua/lua_internal.h"

static struct daoc__lua *self_of(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* json_encode(v) -> text | nil, err */
static int l_json_encode(lua_State *L)
{
    struct daoc__lua *ls = self_of(L);
    daoc_value *v = NULL;
    const char *why = NULL;
    char *text = NULL;
    size_t len = 0;
    luaL_checkany(L, 1);
    lua_settop(L, 1);
    if (lua_isfunction(L, 1) || (lua_isuserdata(L, 1) && lua_touserdata(L, 1) != NULL)) {
        lua_pushnil(L);
        lua_pushfstring(L, "Cannot serialise %s: type not supported", luaL_typename(L, 1));
        return 2;
    }
    int rc = daoc__lua_to_value(ls, 1, &v, &why);
    if (rc == DAOC_OK)
        rc = daoc_json_encode(v, &text, &len);
    daoc_value_free(v);
    if (rc != DAOC_OK) {
        lua_pushnil(L);
        lua_pushfstring(L, "Cannot serialise: %s", why ? why : daoc_strerror(rc));
        return 2;
    }
    lua_pushlstring(L, text, len);
    daoc_free(text);
    return 1;
}

/* json_decode(text) -> value | nil, err */
static int l_json_decode(lua_State *L)
{
    struct daoc__lua *ls = self_of(L);
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    char errbuf[160];
    daoc_value *v = NULL;
    errbuf[0] = '\0';
    int rc = daoc__json_decode(s, len, &v, errbuf, sizeof errbuf);
    if (rc != DAOC_OK) {
        lua_pushnil(L);
        lua_pushstring(L, errbuf[0] ? errbuf : daoc_strerror(rc));
        return 2;
    }
    rc = daoc__lua_push_value(ls, v);
    daoc_value_free(v);
    if (rc != DAOC_OK)
        return luaL_error(L, "not enough memory");
    return 1;
}

/* b64_encode(s, no_padding) */
static int l_b64_encode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    char *out = daoc__b64_encode(s, len, !lua_toboolean(L, 2));
    if (!out)
        return luaL_error(L, "not enough memory");
    lua_pushstring(L, out);
    daoc__free(out);
    return 1;
}

/* b64_decode(s) -> bytes | nil */
static int l_b64_decode(lua_State *L)
{
    size_t len, outlen = 0;
    const char *s = luaL_checklstring(L, 1, &len);
    char *out = NULL;
    int rc = daoc__b64_decode(s, len, &out, &outlen);
    if (rc == -2)
        return luaL_error(L, "not enough memory");
    if (rc != 0) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushlstring(L, out, outlen);
    daoc__free(out);
    return 1;
}

static int l_uuid(lua_State *L)
{
    char buf[37];
    if (daoc__uuid_v4(buf) != 0)
        return luaL_error(L, "could not generate a uuid");
    lua_pushstring(L, buf);
    return 1;
}

static int l_is_uuid(lua_State *L)
{
    size_t len = 0;
    const char *s = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &len) : NULL;
    lua_pushboolean(L, s && daoc__is_uuid(s, len));
    return 1;
}

static int l_random_string(lua_State *L)
{
    char buf[33];
    if (daoc__random_string(buf, 32) != 0)
        return luaL_error(L, "could not generate a random string");
    lua_pushstring(L, buf);
    return 1;
}

static int l_now(lua_State *L)
{
    lua_pushnumber(L, daoc__now());
    return 1;
}

/* sleep(seconds): this thread waits (ngx.sleep and the timers, shims.lua);
 * at most a day at a time. */
static int l_sleep(lua_State *L)
{
    double s = luaL_checknumber(L, 1);
    if (s != s || s <= 0)
        return 0;
    if (s > 86400)
        s = 86400;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    return 0;
}

/* log(level, msg): level is a daoc_log_level */
static int l_log(lua_State *L)
{
    struct daoc__lua *ls = self_of(L);
    int lvl = (int)luaL_checkinteger(L, 1);
    const char *msg = luaL_checkstring(L, 2);
    if (lvl < DAOC_LOG_DEBUG || lvl > DAOC_LOG_ERR)
        lvl = DAOC_LOG_INFO;
    if (ls->db && ls->db->cfg && ls->db->cfg->log)
        ls->db->cfg->log(ls->db->cfg->log_ud, (daoc_log_level)lvl, msg);
    return 0;
}

/* builtin(name) -> validator closure | nil */
static int l_builtin(lua_State *L)
{
    struct daoc__lua *ls = self_of(L);
    const char *name = luaL_checkstring(L, 1);
    int rc = daoc__lua_push_builtin(ls, name);
    if (rc == DAOC_ENOTFOUND) {
        lua_pushnil(L);
        return 1;
    }
    if (rc != DAOC_OK)
        return luaL_error(L, "not enough memory");
    return 1;
}

void daoc__lua_shim_prims(struct daoc__lua *ls)
{
    static const luaL_Reg fns[] = {
        {"json_encode", l_json_encode}, {"json_decode", l_json_decode},
        {"b64_encode", l_b64_encode},   {"b64_decode", l_b64_decode},
        {"uuid", l_uuid},               {"is_uuid", l_is_uuid},
        {"random_string", l_random_string},
        {"now", l_now},                 {"log", l_log},
        {"sleep", l_sleep},
        {"builtin", l_builtin},         {NULL, NULL},
    };
    lua_State *L = ls->L;
    for (const luaL_Reg *r = fns; r->name; r++) {
        lua_pushlightuserdata(L, ls);
        lua_pushcclosure(L, r->func, 1);
        lua_setfield(L, -2, r->name);
    }
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    const char *prefix = ls->db && ls->db->cfg && ls->db->cfg->prefix ? ls->db->cfg->prefix : ".";
    lua_pushstring(L, prefix);
    lua_setfield(L, -2, "prefix");
    lua_pushinteger(L, DAOC_LOG_DEBUG);
    lua_setfield(L, -2, "LOG_DEBUG");
}
