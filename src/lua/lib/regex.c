/*
 * regex.c -- the matcher behind ngx.re (match, find, gmatch, sub, gsub are
 * shaped by libs.lua): PCRE2 compiles and matches, this file parses
 * OpenResty's option letters, caches compiled patterns per Lua state and
 * returns a match as offsets and a captures table.
 *
 * Options: i caseless, m multiline, s dotall, x extended, u / U UTF-8
 * (U without the validity check), a anchored, D duplicate names, J
 * JavaScript-compatible escapes; j, o and d are accepted and ignored (JIT,
 * compile-once and the DFA engine change speed, or for d the choice among
 * alternatives, not which subjects match).  Any other letter raises, as in
 * OpenResty.  Every match runs under PCRE2 match and depth limits, so a
 * catastrophic pattern fails the call instead of hanging it.
 */
#include <stdbool.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "lua/lib/lib.h"

#define RE_MT "daoc.regex"
#define RE_CACHE "daoc.regex_cache"
#define RE_CACHE_MAX 1024
#define MATCH_LIMIT 10000000u
#define DEPTH_LIMIT 100000u

/* a compiled pattern with its match data and limits, reused by every
 * match (a match never calls back into Lua, so one set per pattern is
 * enough); owned by the userdata, whose __gc frees them */
struct re {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mc;
    uint32_t ncap;
};

static int re_gc(lua_State *L)
{
    struct re *r = luaL_checkudata(L, 1, RE_MT);
    pcre2_match_data_free(r->md);
    pcre2_match_context_free(r->mc);
    pcre2_code_free(r->code);
    memset(r, 0, sizeof *r);
    return 0;
}

static uint32_t parse_flags(lua_State *L, const char *flags)
{
    uint32_t o = 0;
    for (const char *f = flags; *f; f++) {
        switch (*f) {
        case 'i': o |= PCRE2_CASELESS; break;
        case 'm': o |= PCRE2_MULTILINE; break;
        case 's': o |= PCRE2_DOTALL; break;
        case 'x': o |= PCRE2_EXTENDED; break;
        case 'u': o |= PCRE2_UTF; break;
        case 'U': o |= PCRE2_UTF | PCRE2_NO_UTF_CHECK; break;
        case 'a': o |= PCRE2_ANCHORED; break;
        case 'D': o |= PCRE2_DUPNAMES; break;
        case 'J': o |= PCRE2_ALT_BSUX | PCRE2_MATCH_UNSET_BACKREF; break;
        case 'j': case 'o': case 'd': break;
        default:
            luaL_error(L, "unknown flag \"%c\" (flags \"%s\")", *f, flags);
        }
    }
    return o;
}

/* Pushes the compiled pattern (cached) or nil + message; returns it. */
static struct re *compile(lua_State *L, int re_idx, const char *flags)
{
    size_t plen;
    const char *pat = lua_tolstring(L, re_idx, &plen);
    uint32_t opts = parse_flags(L, flags);
    lua_getfield(L, LUA_REGISTRYINDEX, RE_CACHE);
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, RE_CACHE);
    }
    int cache = lua_gettop(L);
    lua_pushfstring(L, "%s/", flags);
    lua_pushvalue(L, re_idx);
    lua_concat(L, 2);
    int key = lua_gettop(L);
    lua_pushvalue(L, key);
    lua_rawget(L, cache);
    if (!lua_isnil(L, -1)) {
        lua_replace(L, cache);
        lua_settop(L, cache);
        return lua_touserdata(L, -1);
    }
    lua_pop(L, 1);

    /* the userdata first: nothing PCRE2 allocates is unowned if Lua raises */
    struct re *r = lua_newuserdata(L, sizeof *r);
    memset(r, 0, sizeof *r);
    luaL_getmetatable(L, RE_MT);
    lua_setmetatable(L, -2);
    int errcode;
    PCRE2_SIZE erroff;
    r->code = pcre2_compile((PCRE2_SPTR)pat, plen, opts, &errcode, &erroff, NULL);
    if (!r->code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(errcode, msg, sizeof msg);
        lua_settop(L, cache - 1);
        lua_pushnil(L);
        lua_pushfstring(L, "pcre2_compile() failed: %s in \"%s\" at \"%s\"", (const char *)msg,
                        pat, erroff <= plen ? pat + erroff : "");
        return NULL;
    }
    pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &r->ncap);
    r->md = pcre2_match_data_create_from_pattern(r->code, NULL);
    r->mc = pcre2_match_context_create(NULL);
    if (!r->md || !r->mc)
        luaL_error(L, "not enough memory");
    pcre2_set_match_limit(r->mc, MATCH_LIMIT);
    pcre2_set_depth_limit(r->mc, DEPTH_LIMIT);
    /* the cache is dropped as a whole when full (like lua_regex_cache_max) */
    lua_getfield(L, cache, "#n");
    lua_Integer n = lua_tointeger(L, -1) + 1;
    lua_pop(L, 1);
    if (n > RE_CACHE_MAX) {
        lua_newtable(L);
        lua_setfield(L, LUA_REGISTRYINDEX, RE_CACHE);
    } else {
        lua_pushvalue(L, key);
        lua_pushvalue(L, -2);
        lua_rawset(L, cache);
        lua_pushinteger(L, n);
        lua_setfield(L, cache, "#n");
    }
    lua_replace(L, cache);
    lua_settop(L, cache);
    return r;
}

static void push_group(lua_State *L, const char *s, const PCRE2_SIZE *ov, uint32_t i)
{
    if (ov[2 * i] == PCRE2_UNSET)
        lua_pushboolean(L, 0);
    else
        lua_pushlstring(L, s + ov[2 * i], ov[2 * i + 1] - ov[2 * i]);
}

/* Pushes the captures table: [0] whole match, [1..n] groups (false when
 * unset), and each named group under its name. */
static void push_captures(lua_State *L, const struct re *r, const char *s, const PCRE2_SIZE *ov)
{
    lua_createtable(L, (int)r->ncap, 1);
    for (uint32_t i = 0; i <= r->ncap; i++) {
        push_group(L, s, ov, i);
        lua_rawseti(L, -2, (int)i);
    }
    uint32_t count = 0, esize = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(r->code, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(r->code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
    pcre2_pattern_info(r->code, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t k = 0; k < count; k++) {
        PCRE2_SPTR e = table + (size_t)k * esize;
        uint32_t g = ((uint32_t)e[0] << 8) | e[1];
        /* with D, a later unset duplicate does not hide a set one */
        lua_getfield(L, -1, (const char *)(e + 2));
        bool have = lua_isstring(L, -1);
        lua_pop(L, 1);
        if (have && ov[2 * g] == PCRE2_UNSET)
            continue;
        push_group(L, s, ov, g);
        lua_setfield(L, -2, (const char *)(e + 2));
    }
}

/* exec(subject, regex, flags, offset0, mode) where mode 0 = offsets only,
 * 1 = also the captures table, 2 = also the offsets of every group.
 * -> start0, end0 [, captures | offsets] ; false (no match) ; nil, err */
static int l_exec(lua_State *L)
{
    size_t slen;
    const char *s = luaL_checklstring(L, 1, &slen);
    luaL_checkstring(L, 2);
    const char *flags = luaL_optstring(L, 3, "");
    lua_Integer off = luaL_optinteger(L, 4, 0);
    int mode = (int)luaL_optinteger(L, 5, 0);
    lua_settop(L, 5);
    struct re *r = compile(L, 2, flags);
    if (!r)
        return 2;
    if (off < 0 || (size_t)off > slen) {
        lua_pushboolean(L, 0);
        return 1;
    }
    pcre2_match_data *md = r->md;
    int rc = pcre2_match(r->code, (PCRE2_SPTR)s, slen, (PCRE2_SIZE)off, 0, md, r->mc);
    if (rc < 0) {
        if (rc == PCRE2_ERROR_NOMATCH) {
            lua_pushboolean(L, 0);
            return 1;
        }
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(rc, msg, sizeof msg);
        lua_pushnil(L);
        lua_pushfstring(L, "pcre2_match() failed: %s", (const char *)msg);
        return 2;
    }
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    lua_pushinteger(L, (lua_Integer)ov[0]);
    lua_pushinteger(L, (lua_Integer)ov[1]);
    if (mode == 1) {
        push_captures(L, r, s, ov);
    } else if (mode == 2) {
        lua_createtable(L, 2 * (int)r->ncap + 2, 0);
        for (uint32_t i = 0; i < 2 * (r->ncap + 1); i++) {
            if (ov[i] == PCRE2_UNSET)
                lua_pushboolean(L, 0);
            else
                lua_pushinteger(L, (lua_Integer)ov[i]);
            lua_rawseti(L, -2, (int)i);
        }
    }
    return mode ? 3 : 2;
}

void daoc__lua_lib_regex(lua_State *L)
{
    daoc__lua_lib_class(L, RE_MT, NULL, re_gc, NULL);
    lua_pushcfunction(L, l_exec);
    lua_setfield(L, -2, "re_exec");
}
