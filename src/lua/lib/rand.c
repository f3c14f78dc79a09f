/*
 * rand.c -- random bytes and CRC32 for plugin files: resty.random.bytes
 * (RAND_bytes of libcrypto, for both its "strong" and default modes) and
 * the CRC-32 checksum (IEEE 802.3, the one zlib and nginx compute) behind
 * ngx.crc32_short / ngx.crc32_long.  CRC-32 is an error-detecting code,
 * not cryptography; its table is built here once.
 */
#include <stdint.h>

#include <openssl/rand.h>

#include "lua/lib/lib.h"

#define MAX_RANDOM (1 << 20)

/* random_bytes(n) -> bytes | nil */
static int l_random_bytes(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    if (n < 0 || n > MAX_RANDOM)
        return luaL_argerror(L, 1, "out of range");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    unsigned char chunk[256];
    while (n > 0) {
        int k = n > (lua_Integer)sizeof chunk ? (int)sizeof chunk : (int)n;
        if (RAND_bytes(chunk, k) != 1) {
            lua_pushnil(L);
            return 1;
        }
        luaL_addlstring(&b, (const char *)chunk, (size_t)k);
        n -= k;
    }
    luaL_pushresult(&b);
    return 1;
}

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

/* crc32(s) -> unsigned 32-bit number */
static int l_crc32(lua_State *L)
{
    size_t len;
    const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &len);
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        c = crc_table[(c ^ s[i]) & 0xFF] ^ (c >> 8);
    lua_pushnumber(L, (lua_Number)(c ^ 0xFFFFFFFFu));
    return 1;
}

void daoc__lua_lib_rand(lua_State *L)
{
    if (crc_table[1] == 0)
        crc_init();
    lua_pushcfunction(L, l_random_bytes);
    lua_setfield(L, -2, "random_bytes");
    lua_pushcfunction(L, l_crc32);
    lua_setfield(L, -2, "crc32");
}
