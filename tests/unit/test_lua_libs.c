/*
 * test_lua_libs.c -- the libraries of src/lua/lib/ as plugin files see
 * them: required from a daos.lua running in the sandbox (not the runner's
 * trusted globals), with known vectors checked inside the file; Debian's
 * Penlight and socket.url found after lua_package_path and run sandboxed;
 * a plugin's own module shadowing the system one.  The full vector suite
 * is tests/lua/test_libs.lua.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "errtext.h"
#include "harness.h"
#include "lua_env.h"

#include "config/config.h"
#include "core/error.h"
#include "core/value.h"
#include "db/db.h"
#include "lua/lua_internal.h"

static int env_open(struct env *e, const char *ppath)
{
    return env_start(e, ppath, NULL);
}

/* Loads `body` followed by a one-entity return as a plugin's daos.lua;
 * returns the error message (static buffer) or NULL on success. */
static const char *load_daos(struct env *e, const char *body)
{
    static char msg[1024];
    char src[8192];
    snprintf(src, sizeof src,
             "%s\nreturn { { name = \"libs_probe\", primary_key = { \"id\" },\n"
             "  fields = { { id = { type = \"string\" } } } } }\n",
             body);
    daoc_value *defs = NULL;
    daoc_error *err = NULL;
    int rc = daoc__lua_load_daos_buffer(e->ls, "libs", "libs/daos.lua", src, strlen(src), &defs,
                                        &err);
    daoc_value_free(defs);
    if (rc == DAOC_OK) {
        daoc_error_free(err);
        return NULL;
    }
    snprintf(msg, sizeof msg, "rc %d: %s", rc, err ? daoc_error_message(err) : "(no error)");
    daoc_error_free(err);
    return msg;
}

#define ASSERT_LOADS(e, body)                                                                      \
    do {                                                                                           \
        const char *m_ = load_daos((e), (body));                                                   \
        if (m_) {                                                                                  \
            T_FAIL_AT("daos.lua failed: %s", m_);                                                  \
            return;                                                                                \
        }                                                                                          \
    } while (0)

TEST(crypto_modules_in_the_sandbox)
{
    struct env e;
    ASSERT_INT(env_open(&e, "./?.lua"), DAOC_OK);
    ASSERT_LOADS(&e,
                 "local str = require 'resty.string'\n"
                 "local h = require('resty.sha1'):new()\n"
                 "h:update('abc')\n"
                 "assert(str.to_hex(h:final()) == 'a9993e364706816aba3e25717850c26c9cd0d89d')\n"
                 "local s = require('resty.sha256'):new(); s:update('abc')\n"
                 "assert(str.to_hex(s:final()) == "
                 "'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')\n"
                 "assert(ngx.md5('') == 'd41d8cd98f00b204e9800998ecf8427e')\n"
                 "assert(str.to_hex(ngx.hmac_sha1('Jefe', 'what do ya want for nothing?')) == "
                 "'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79')\n"
                 "assert(str.to_hex(require('resty.openssl.hmac').new('Jefe', 'sha256')"
                 ":final('what do ya want for nothing?')) == "
                 "'5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')\n"
                 "assert(#require('resty.random').bytes(16, true) == 16)\n"
                 "local k = assert(require('resty.openssl.pkey').new({ type = 'EC', curve = "
                 "'prime256v1' }))\n"
                 "assert(k:verify(k:sign('m', 'sha256'), 'm', 'sha256') == true)\n");
    env_close(&e);
}

/* what Kong's oauth2 secret module does while its daos.lua loads */
TEST(pbkdf2_hashing_at_load_time)
{
    struct env e;
    ASSERT_INT(env_open(&e, "./?.lua"), DAOC_OK);
    ASSERT_LOADS(&e, "local kdf = require 'resty.openssl.kdf'\n"
                     "local utils = require 'kong.tools.utils'\n"
                     "local salt = utils.get_rand_bytes(16)\n"
                     "local h = assert(kdf.derive({ type = kdf.PBKDF2, outlen = 32, pass = '',\n"
                     "  salt = salt, md = 'sha512', pbkdf2_iter = 10000 }))\n"
                     "assert(#h == 32 and #ngx.encode_base64(h, true) == 43)\n"
                     "local h2 = kdf.derive({ type = kdf.PBKDF2, outlen = 32, pass = '',\n"
                     "  salt = salt, md = 'sha512', pbkdf2_iter = 10000 })\n"
                     "assert(h2 == h)\n"
                     "local o = assert(kdf.new('PBKDF2'))\n"
                     "assert(o:derive(32, { pass = '', salt = salt, digest = 'sha512',\n"
                     "  iter = 10000 }, 4) == h)\n"
                     "assert(#require('kong.tools.rand').get_rand_bytes(16) == 16)\n");
    env_close(&e);
}

TEST(ngx_re_in_the_sandbox)
{
    struct env e;
    ASSERT_INT(env_open(&e, "./?.lua"), DAOC_OK);
    ASSERT_LOADS(&e, "local m = ngx.re.match('k=v', [[(?<k>\\w+)=(\\w+)]], 'jo')\n"
                     "assert(m.k == 'k' and m[2] == 'v')\n"
                     "assert(ngx.re.gsub('a.b', '[.]', function(m) return '-' end) == 'a-b')\n"
                     "assert(ngx.re.find('abc', 'c') == 3)\n");
    env_close(&e);
}

TEST(system_libraries_run_sandboxed)
{
    struct env e;
    ASSERT_INT(env_open(&e, "./?.lua"), DAOC_OK);
    ASSERT_LOADS(&e, "assert(require('pl.stringx').strip('  a ') == 'a')\n"
                     "assert(require('pl.tablex').size({ a = 1, b = 2 }) == 2)\n"
                     "assert(require('socket.url').parse('http://h:1/p').host == 'h')\n"
                     "assert(require('stringy').split('a,b', ',')[2] == 'b')\n"
                     "assert(io == nil and os.execute == nil)\n");
    /* Penlight's modules that chain the environment's __index, require
     * 'debug' or read debug.getinfo load too; getinfo hands out no function */
    ASSERT_LOADS(&e, "assert(require('pl.pretty').write({ a = 1 }):find('a = 1', 1, true))\n"
                     "assert(require('pl.import_into') and require('pl'))\n"
                     "assert(require('pl.OrderedMap') and require('pl.strict'))\n"
                     "local i = require('debug').getinfo(1, 'fS')\n"
                     "assert(i and i.func == nil and i.source)\n");
    /* a system module gets no more than the sandbox: no io.open, no os.execute */
    ASSERT_LOADS(&e, "local env = require('pl.compat')\n"
                     "assert(type(env) == 'table')\n"
                     "assert(not pcall(require('pl.utils').execute, 'true'))\n");
    const char *m = load_daos(&e, "require 'pl.no_such_module'\n");
    ASSERT_NOT_NULL(m);
    if (!strstr(m, "module 'pl.no_such_module' not found") ||
        !strstr(m, "/usr/share/lua/5.1/pl/no_such_module.lua"))
        T_FAIL_AT("unexpected message: %s", m);
    env_close(&e);
}

TEST(package_path_shadows_the_system_directory)
{
    const char *tmp = getenv("DAOC_TEST_TMP");
    char dir[512], file[600], ppath[700];
    snprintf(dir, sizeof dir, "%s/libs-shadow", tmp && *tmp ? tmp : "/tmp");
    snprintf(file, sizeof file, "%s/pl", dir);
    mkdir(dir, 0700);
    mkdir(file, 0700);
    snprintf(file, sizeof file, "%s/pl/stringx.lua", dir);
    FILE *f = fopen(file, "w");
    ASSERT_NOT_NULL(f);
    fputs("return { mine = true }\n", f);
    fclose(f);
    snprintf(ppath, sizeof ppath, "%s/?.lua", dir);
    struct env e;
    ASSERT_INT(env_open(&e, ppath), DAOC_OK);
    ASSERT_LOADS(&e, "assert(require('pl.stringx').mine == true)\n"
                     "assert(require('pl.tablex').size({ 1 }) == 1)\n");
    env_close(&e);
}
