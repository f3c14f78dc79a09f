/* test_config.c -- daoc.conf parsing, DAOC_<KEY> overrides and their errors. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daoc.h"
#include "errtext.h"
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
    unsetenv("DAOC_LUA_MEMORY_LIMIT");
    unsetenv("DAOC_ADMIN_LISTEN");
    unsetenv("DAOC_ADMIN_TOKEN");
    unsetenv("DAOC_ADMIN_GUI_URL");
    unsetenv("DAOC_ADMIN_ACCESS_LOG");
    static const char *const pg[] = {"HOST", "PORT", "USER", "PASSWORD", "DATABASE", "SCHEMA",
                                     "SSL", "SSL_VERIFY", "TIMEOUT", "POOL_SIZE", "RO_HOST",
                                     "RO_PORT", "RO_USER", "RO_PASSWORD", "RO_DATABASE"};
    for (size_t i = 0; i < sizeof pg / sizeof pg[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "DAOC_PG_%s", pg[i]);
        unsetenv(name);
    }
}

TEST(defaults)
{
    clear_env();
    daoc_config *c = NULL;
    ASSERT_INT(daoc_config_load(&c, NULL, NULL), DAOC_OK);
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
    ASSERT_INT(t_config_load(&c, p, why, sizeof why), DAOC_OK);
    ASSERT_STR(daoc_config_get(c, "sqlite_path"), "/tmp/x#y.db");
    ASSERT_STR(daoc_config_get(c, "plugins"), "my-plugin, other_one ,my-plugin");
    daoc_config_free(c);
    unlink(p);
}

/* kong.conf keeps quotes: Penlight's pl.config reads it with trim_quotes
 * off and Kong's conf_loader only strips blanks, so `pg_password = "x y"`
 * is the seven characters "x y" with its quotes, on Kong as here. */
TEST(quoted_values_are_read_as_kong_reads_them)
{
    clear_env();
    const char *p = write_conf("pg_password = \"x y\"\n"
                               "pg_user = 'kong'   # quotes and a comment\n"
                               "pg_database = \"a\\#b\"\n");
    ASSERT_NOT_NULL(p);
    daoc_config *c = NULL;
    char why[256] = "";
    ASSERT_INT(t_config_load(&c, p, why, sizeof why), DAOC_OK);
    ASSERT_STR(daoc_config_get(c, "pg_password"), "\"x y\"");
    ASSERT_STR(daoc_config_get(c, "pg_user"), "'kong'");
    ASSERT_STR(daoc_config_get(c, "pg_database"), "\"a#b\"");
    daoc_config_free(c);
    unlink(p);
}

TEST(unknown_key_is_an_error_naming_file_and_line)
{
    clear_env();
    const char *p = write_conf("database = sqlite\nsqlite_pth = x.db\n");
    daoc_config *c = NULL;
    char why[512] = "";
    ASSERT_INT(t_config_load(&c, p, why, sizeof why), DAOC_ECONFIG);
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
    ASSERT_INT(t_config_load(&c, p, why, sizeof why), DAOC_ECONFIG);
    char want[600];
    snprintf(want, sizeof want, "%s:1: database: expected one of: sqlite, postgres (got 'cassandra')", p);
    ASSERT_STR(why, want);
    unlink(p);
}

TEST(postgres_is_accepted_with_kong_defaults)
{
    clear_env();
    const char *p = write_conf("database = postgres\n");
    daoc_config *c = NULL;
    char why[512] = "";
    ASSERT_INT(t_config_load(&c, p, why, sizeof why), DAOC_OK);
    ASSERT_STR(daoc_config_get(c, "database"), "postgres");
    ASSERT_STR(daoc_config_get(c, "pg_host"), "127.0.0.1");
    ASSERT_STR(daoc_config_get(c, "pg_port"), "5432");
    ASSERT_STR(daoc_config_get(c, "pg_user"), "kong");
    ASSERT_STR(daoc_config_get(c, "pg_password"), "");
    ASSERT_STR(daoc_config_get(c, "pg_database"), "kong");
    ASSERT_STR(daoc_config_get(c, "pg_schema"), "");
    ASSERT_STR(daoc_config_get(c, "pg_ssl"), "off");
    ASSERT_STR(daoc_config_get(c, "pg_ssl_verify"), "off");
    ASSERT_STR(daoc_config_get(c, "pg_timeout"), "5000");
    ASSERT_STR(daoc_config_get(c, "pg_pool_size"), "4");
    ASSERT_STR(daoc_config_get(c, "lua_memory_limit"), "512m");
    ASSERT_STR(daoc_config_get(c, "pg_ro_host"), "");
    ASSERT_STR(daoc_config_get(c, "pg_ro_port"), "");
    ASSERT_STR(daoc_config_get(c, "pg_ro_user"), "");
    ASSERT_STR(daoc_config_get(c, "pg_ro_database"), "");
    daoc_config_free(c);
    unlink(p);
}

TEST(postgres_keys_from_file_and_environment)
{
    clear_env();
    const char *p = write_conf("database = postgres\n"
                               "pg_host = /var/run/postgresql\n"
                               "pg_port = 6543\n"
                               "pg_user = daoc\n"
                               "pg_password = s3cr\\#t\n"
                               "pg_database = gw\n"
                               "pg_schema = daoc_test\n"
                               "pg_ssl = on\n"
                               "pg_ssl_verify = true\n"
                               "pg_timeout = 250\n"
                               "pg_pool_size = 16\n"
                               "pg_ro_host = replica.local\n"
                               "pg_ro_port = 5433\n");
    setenv("DAOC_PG_DATABASE", "from_env", 1);
    daoc_config *c = NULL;
    char why[512] = "";
    ASSERT_INT(t_config_load(&c, p, why, sizeof why), DAOC_OK);
    ASSERT_STR(daoc_config_get(c, "pg_host"), "/var/run/postgresql");
    ASSERT_STR(daoc_config_get(c, "pg_port"), "6543");
    ASSERT_STR(daoc_config_get(c, "pg_password"), "s3cr#t");
    ASSERT_STR(daoc_config_get(c, "pg_database"), "from_env");
    ASSERT_STR(daoc_config_get(c, "pg_ssl"), "on");
    ASSERT_STR(daoc_config_get(c, "pg_timeout"), "250");
    ASSERT_STR(daoc_config_get(c, "pg_ro_host"), "replica.local");
    ASSERT_STR(daoc_config_get(c, "pg_ro_port"), "5433");
    daoc_config_free(c);
    clear_env();
    unlink(p);
}

TEST(postgres_bad_values)
{
    clear_env();
    daoc_config *c = NULL;
    ASSERT_INT(daoc_config_load(&c, NULL, NULL), DAOC_OK);
    static const struct {
        const char *key, *value, *why;
    } bad[] = {
        {"pg_port", "0", "pg_port: expected an integer between 1 and 65535 (got '0')"},
        {"pg_port", "65536", "pg_port: expected an integer between 1 and 65535 (got '65536')"},
        {"pg_port", "54x", "pg_port: expected an integer between 1 and 65535 (got '54x')"},
        {"pg_port", "", "pg_port: expected an integer between 1 and 65535 (got '')"},
        {"pg_ro_port", "-1", "pg_ro_port: expected an integer between 1 and 65535 (got '-1')"},
        {"pg_timeout", "0", "pg_timeout: expected an integer between 1 and 2147483647 (got '0')"},
        {"pg_timeout", "1.5", "pg_timeout: expected an integer between 1 and 2147483647 (got '1.5')"},
        {"pg_pool_size", "0", "pg_pool_size: expected an integer between 1 and 10000 (got '0')"},
        {"lua_memory_limit", "lots",
         "lua_memory_limit: expected a size such as 512m, 2g or 0 for no limit (got 'lots')"},
        {"lua_memory_limit", "5t",
         "lua_memory_limit: expected a size such as 512m, 2g or 0 for no limit (got '5t')"},
        {"lua_memory_limit", "-1m",
         "lua_memory_limit: expected a size such as 512m, 2g or 0 for no limit (got '-1m')"},
        {"pg_ssl", "yes", "pg_ssl: expected on or off (got 'yes')"},
        {"pg_ssl_verify", "1", "pg_ssl_verify: expected on or off (got '1')"},
        {"pg_host", "", "pg_host: must not be empty"},
        {"pg_user", "", "pg_user: must not be empty"},
        {"pg_database", "", "pg_database: must not be empty"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[256] = "";
        ASSERT_INT(t_config_set(c, bad[i].key, bad[i].value, why, sizeof why), DAOC_ECONFIG);
        ASSERT_STR(why, bad[i].why);
    }
    /* a refused value leaves the previous one */
    ASSERT_STR(daoc_config_get(c, "pg_port"), "5432");
    ASSERT_INT(daoc_config_set(c, "pg_ro_port", "", NULL), DAOC_OK);
    daoc_config_free(c);

    setenv("DAOC_PG_PORT", "http", 1);
    char why[256] = "";
    ASSERT_INT(t_config_load(&c, NULL, why, sizeof why), DAOC_ECONFIG);
    ASSERT_STR(why, "DAOC_PG_PORT: expected an integer between 1 and 65535 (got 'http')");
    daoc_error *e = NULL;
    ASSERT_INT(daoc_config_load(&c, NULL, &e), DAOC_ECONFIG);
    ASSERT_NOT_NULL(e);
    ASSERT_INT(daoc_error_code(e), 0);
    ASSERT_STR(daoc_error_name(e), "configuration error");
    ASSERT_STR(daoc_error_string(e), why);
    daoc_error_free(e);
    clear_env();
}

/* The Admin API's keys: Kong's admin_listen syntax, checked at load. */
TEST(admin_keys)
{
    clear_env();
    daoc_config *c = NULL;
    ASSERT_INT(daoc_config_load(&c, NULL, NULL), DAOC_OK);
    ASSERT_STR(daoc_config_get(c, "admin_listen"), "127.0.0.1:8001");
    ASSERT_STR(daoc_config_get(c, "admin_token"), "");
    ASSERT_STR(daoc_config_get(c, "admin_access_log"), "off");
    static const char *const good[] = {"off", "127.0.0.1:0", "0.0.0.0:8001 reuseport backlog=16384",
                                       "127.0.0.1:8001, [::1]:8001", "localhost:9000 ssl"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ASSERT_INT(daoc_config_set(c, "admin_listen", good[i], NULL), DAOC_OK);
    static const char *const bad[] = {"8001", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000",
                                      ":8001", "127.0.0.1:80x", "127.0.0.1:8001,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[256] = "";
        ASSERT_INT(t_config_set(c, "admin_listen", bad[i], why, sizeof why), DAOC_ECONFIG);
        ASSERT_TRUE(strstr(why, "admin_listen: must be 'off' or a list of") != NULL);
    }
    char why[256] = "";
    ASSERT_INT(t_config_set(c, "admin_gui_url", "admin.example", why, sizeof why), DAOC_ECONFIG);
    ASSERT_INT(daoc_config_set(c, "admin_gui_url", "http://admin.example:8002", NULL), DAOC_OK);
    ASSERT_INT(t_config_set(c, "admin_access_log", "", why, sizeof why), DAOC_ECONFIG);
    daoc_config_free(c);
}

/* log_level: Kong's eight names; the log function set can be read back. */
static void t_log(void *ud, daoc_log_level lvl, const char *msg)
{
    (void)ud;
    (void)lvl;
    (void)msg;
}

TEST(log_level_key)
{
    clear_env();
    daoc_config *c = NULL;
    ASSERT_INT(daoc_config_load(&c, NULL, NULL), DAOC_OK);
    ASSERT_STR(daoc_config_get(c, "log_level"), "notice");
    static const char *const names[] = {"debug", "info", "notice", "warn",
                                        "error", "crit", "alert",  "emerg"};
    for (int i = 0; i < 8; i++) {
        ASSERT_INT(daoc_log_level_index(names[i]), i);
        ASSERT_INT(daoc_config_set(c, "log_level", names[i], NULL), DAOC_OK);
    }
    ASSERT_INT(daoc_log_level_index("DEBUG"), -1);
    ASSERT_INT(daoc_log_level_index(NULL), -1);
    char why[256] = "";
    ASSERT_INT(t_config_set(c, "log_level", "verbose", why, sizeof why), DAOC_ECONFIG);
    ASSERT_TRUE(strstr(why, "log_level: must be one of debug, info, notice") != NULL);
    ASSERT_STR(daoc_config_get(c, "log_level"), "emerg");
    daoc_log_fn fn = NULL;
    void *ud = &fn;
    daoc_config_get_log(c, &fn, &ud);
    ASSERT_TRUE(fn == NULL && ud == NULL);
    daoc_config_set_log(c, t_log, c);
    daoc_config_get_log(c, &fn, &ud);
    ASSERT_TRUE(fn == t_log && ud == c);
    daoc_config_free(c);
}

TEST(line_without_equals)
{
    clear_env();
    const char *p = write_conf("database sqlite\n");
    daoc_config *c = NULL;
    char why[512] = "";
    ASSERT_INT(t_config_load(&c, p, why, sizeof why), DAOC_ECONFIG);
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
    ASSERT_INT(t_config_load(&c, "/nonexistent/daoc.conf", why, sizeof why), DAOC_ECONFIG);
    ASSERT_STR(why, "/nonexistent/daoc.conf: No such file or directory");
}

TEST(environment_overrides_file)
{
    clear_env();
    const char *p = write_conf("sqlite_path = from-file.db\n");
    setenv("DAOC_SQLITE_PATH", "from-env.db", 1);
    setenv("DAOC_UNRELATED_TOOL_SETTING", "x", 1); /* not a key: ignored */
    daoc_config *c = NULL;
    ASSERT_INT(daoc_config_load(&c, p, NULL), DAOC_OK);
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
    ASSERT_INT(t_config_load(&c, NULL, why, sizeof why), DAOC_ECONFIG);
    ASSERT_STR(why, "DAOC_DATABASE: expected one of: sqlite, postgres (got 'mysql')");
    clear_env();
}

TEST(invalid_plugin_name)
{
    clear_env();
    daoc_config *c = NULL;
    ASSERT_INT(daoc_config_load(&c, NULL, NULL), DAOC_OK);
    char why[256] = "";
    ASSERT_INT(t_config_set(c, "plugins", "ok-one, ../evil", why, sizeof why), DAOC_ECONFIG);
    ASSERT_STR(why, "plugins: invalid plugin name '../evil'");
    ASSERT_INT(t_config_set(c, "lua_package_path", "./x.lua", why, sizeof why), DAOC_ECONFIG);
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
