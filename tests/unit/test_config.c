/* test_config.c -- daoc.conf parsing, DAOC_<KEY> overrides and their errors. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daoc.h"
#include "harness.h"

static const char *write_conf(const char *text)
{
    static char path[512];
    const char *dir = getenv("DAOC_TEST_TMP");
    snprintf(path, sizeof path, "%s/daoc-%d.conf", dir ? dir : "/tmp", (int)getpid());
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

static void clear_env(void)
{
    unsetenv("DAOC_DATABASE");
    unsetenv("DAOC_SQLITE_PATH");
    unsetenv("DAOC_PLUGINS");
    unsetenv("DAOC_LUA_PACKAGE_PATH");
    unsetenv("DAOC_PREFIX");
}

TEST(defaults)
{
    clear_env();
    daoc_config *c = NULL;
    ASSERT_INT(daoc_config_load(&c, NULL, NULL, 0), DAOC_OK);
    ASSERT_STR(daoc_config_get(c, "database"), "sqlite");
    ASSERT_STR(daoc_config_get(c, "sqlite_path"), "./daoc.db");
    ASSERT_STR(daoc_config_get(c, "plugins"), "");
    ASSERT_STR(daoc_config_get(c, "lua_package_path"), "./?.lua;./?/init.lua");
    ASSERT_STR(daoc_config_get(c, "prefix"), ".");
    ASSERT_NULL(daoc_config_get(c, "nope"));
    daoc_config_free(c);
}

TEST(file_with_comments_and_spaces)
{
    clear_env();
    const char *p = write_conf("# a comment\n"
                               "\n"
                               "  database = sqlite   # trailing comment\n"
                               "sqlite_path=/tmp/x\\#y.db\n"
                               "plugins = my-plugin, other_one ,my-plugin\n");
    ASSERT_NOT_NULL(p);
    daoc_config *c = NULL;
    char why[256] = "";
    ASSERT_INT(daoc_config_load(&c, p, why, sizeof why), DAOC_OK);
    ASSERT_STR(daoc_config_get(c, "sqlite_path"), "/tmp/x#y.db");
    ASSERT_STR(daoc_config_get(c, "plugins"), "my-plugin, other_one ,my-plugin");
    daoc_config_free(c);
    unlink(p);
}

TEST(unknown_key_is_an_error_naming_file_and_line)
{
    clear_env();
    const char *p = write_conf("database = sqlite\nsqlite_pth = x.db\n");
    daoc_config *c = NULL;
    char why[512] = "";
    ASSERT_INT(daoc_config_load(&c, p, why, sizeof why), DAOC_ECONFIG);
    ASSERT_NULL(c);
    char want[600];
    snprintf(want, sizeof want, "%s:2: unknown configuration key 'sqlite_pth'", p);
    ASSERT_STR(why, want);
    unlink(p);
}

TEST(bad_value_is_an_error)
{
    clear_env();
    const char *p = write_conf("database = cassandra\n");
    daoc_config *c = NULL;
    char why[512] = "";
    ASSERT_INT(daoc_config_load(&c, p, why, sizeof why), DAOC_ECONFIG);
    char want[600];
    snprintf(want, sizeof want, "%s:1: database: expected one of: sqlite, postgres (got 'cassandra')", p);
    ASSERT_STR(why, want);
    unlink(p);
}

TEST(line_without_equals)
{
    clear_env();
    const char *p = write_conf("database sqlite\n");
    daoc_config *c = NULL;
    char why[512] = "";
    ASSERT_INT(daoc_config_load(&c, p, why, sizeof why), DAOC_ECONFIG);
    char want[600];
    snprintf(want, sizeof want, "%s:1: expected 'key = value'", p);
    ASSERT_STR(why, want);
    unlink(p);
}

TEST(missing_file)
{
    clear_env();
    daoc_config *c = NULL;
    char why[512] = "";
    ASSERT_INT(daoc_config_load(&c, "/nonexistent/daoc.conf", why, sizeof why), DAOC_ECONFIG);
    ASSERT_STR(why, "/nonexistent/daoc.conf: No such file or directory");
}

TEST(environment_overrides_file)
{
    clear_env();
    const char *p = write_conf("sqlite_path = from-file.db\n");
    setenv("DAOC_SQLITE_PATH", "from-env.db", 1);
    setenv("DAOC_UNRELATED_TOOL_SETTING", "x", 1); /* not a key: ignored */
    daoc_config *c = NULL;
    ASSERT_INT(daoc_config_load(&c, p, NULL, 0), DAOC_OK);
    ASSERT_STR(daoc_config_get(c, "sqlite_path"), "from-env.db");
    daoc_config_free(c);
    unsetenv("DAOC_UNRELATED_TOOL_SETTING");
    clear_env();
    unlink(p);
}

TEST(bad_environment_value)
{
    clear_env();
    setenv("DAOC_DATABASE", "mysql", 1);
    daoc_config *c = NULL;
    char why[512] = "";
    ASSERT_INT(daoc_config_load(&c, NULL, why, sizeof why), DAOC_ECONFIG);
    ASSERT_STR(why, "DAOC_DATABASE: expected one of: sqlite, postgres (got 'mysql')");
    clear_env();
}

TEST(invalid_plugin_name)
{
    clear_env();
    daoc_config *c = NULL;
    ASSERT_INT(daoc_config_load(&c, NULL, NULL, 0), DAOC_OK);
    char why[256] = "";
    ASSERT_INT(daoc_config_set(c, "plugins", "ok-one, ../evil", why, sizeof why), DAOC_ECONFIG);
    ASSERT_STR(why, "plugins: invalid plugin name '../evil'");
    ASSERT_INT(daoc_config_set(c, "lua_package_path", "./x.lua", why, sizeof why), DAOC_ECONFIG);
    ASSERT_STR(why, "lua_package_path: must contain at least one '?' template (e.g. ./?.lua)");
    daoc_config_free(c);
}

TEST(status_table)
{
    ASSERT_STR(daoc_strerror(DAOC_OK), "success");
    ASSERT_STR(daoc_strerror(DAOC_ENOMEM), "out of memory");
    ASSERT_STR(daoc_status_name(DAOC_ECONFIG), "ECONFIG");
    ASSERT_STR(daoc_strerror(12345), "unknown status");
}
