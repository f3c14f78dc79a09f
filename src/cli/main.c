/*
 * main.c -- the `daoc` command line.  It uses only the public API
 * (include/daoc.h), like any program embedding the library.
 *
 *   daoc [-c FILE] [-v] runner SCRIPT [ARGS...]
 *   daoc [-c FILE] migrations COMMAND [OPTIONS]   (migrations.c)
 *   daoc [-c FILE] serve [--listen ADDRESSES]    (serve.c)
 *   daoc --version | --help
 *
 * Errors are printed as "daoc: <what failed>: <why>" on stderr with a
 * non-zero exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "daoc.h"

static int verbosity = DAOC_LOG_NOTICE;
static bool verbose; /* -v: log_level debug */

void daoc_cli_log_everything(void)
{
    verbosity = DAOC_LOG_DEBUG;
}

static void log_to_stderr(void *ud, daoc_log_level level, const char *msg)
{
    (void)ud;
    static const char *const names[] = {"debug", "info", "notice", "warn", "error"};
    if ((int)level < verbosity)
        return;
    fprintf(stderr, "[%s] %s\n", names[level <= DAOC_LOG_ERR ? level : DAOC_LOG_ERR], msg);
}

static void usage(FILE *f)
{
    fputs("Usage: daoc [OPTIONS] COMMAND [ARGS...]\n"
          "\n"
          "Commands:\n"
          "  runner SCRIPT [ARGS...]  run a Lua script with kong.db, kong.log and ngx.null\n"
          "                           ready against the configured database\n"
          "  migrations COMMAND       bootstrap, up, finish, list, status, reset: the\n"
          "                           database schema, as `kong migrations` (daoc migrations\n"
          "                           --help)\n"
          "  serve                    Kong's Admin API on admin_listen until SIGTERM\n"
          "\n"
          "Options:\n"
          "  -c, --conf FILE   configuration file (kong.conf style); default: ./daoc.conf\n"
          "                    or /etc/daoc/daoc.conf when present.  Every key can be\n"
          "                    overridden with DAOC_<KEY> in the environment\n"
          "  -v, --verbose     also print info and debug messages\n"
          "  -h, --help        this text (or: daoc COMMAND --help)\n"
          "  -V, --version     print the version\n"
          "\n"
          "Configuration keys: database (sqlite), sqlite_path (./daoc.db),\n"
          "plugins (comma list), lua_package_path (./?.lua;./?/init.lua), prefix (.)\n",
          f);
}

static void runner_usage(FILE *f)
{
    fputs("Usage: daoc [-c FILE] runner SCRIPT [ARGS...]\n"
          "\n"
          "Runs SCRIPT (Lua source) with the globals `kong` (kong.db.<entity> for every\n"
          "loaded entity, kong.log), `ngx` (ngx.null, ...) and `arg`.  An uncaught error\n"
          "prints its message on stderr and exits with status 1.\n",
          f);
}

/* Without -c, the first of these that exists is read (as Kong looks for
 * /etc/kong/kong.conf); none at all means defaults plus DAOC_* variables. */
static const char *default_conf(void)
{
    static const char *const candidates[] = {"./daoc.conf", "/etc/daoc/daoc.conf", NULL};
    for (size_t i = 0; candidates[i]; i++) {
        FILE *f = fopen(candidates[i], "r");
        if (f) {
            fclose(f);
            return candidates[i];
        }
    }
    return NULL;
}

daoc_config *daoc_cli_config(const char *conf)
{
    if (!conf)
        conf = default_conf();
    daoc_config *cfg = NULL;
    daoc_error *err = NULL;
    int rc = daoc_config_load(&cfg, conf, &err);
    if (rc != DAOC_OK) {
        const char *m = err ? daoc_error_message(err) : NULL;
        fprintf(stderr, "daoc: invalid configuration: %s\n", m ? m : daoc_strerror(rc));
        daoc_error_free(err);
        return NULL;
    }
    if (verbose && daoc_config_set(cfg, "log_level", "debug", NULL) != DAOC_OK) {
        daoc_config_free(cfg);
        return NULL;
    }
    /* log_level (Kong's names; crit and above drop daoc's errors too) */
    verbosity = daoc_log_level_index(daoc_config_get(cfg, "log_level"));
    daoc_config_set_log(cfg, log_to_stderr, NULL);
    return cfg;
}

static int open_db(const char *conf, daoc_db **db, daoc_cli_node **node)
{
    daoc_config *cfg = daoc_cli_config(conf);
    daoc_error *err = NULL;
    int rc;
    if (!cfg)
        return 1;
    /* the runner creates the tables the schemas describe unless told not to */
    if (!daoc_config_get(cfg, "create_tables")[0] &&
        daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK) {
        daoc_config_free(cfg);
        return 1;
    }
    rc = daoc_db_open(db, cfg, &err);
    if (rc != DAOC_OK) {
        daoc_config_free(cfg);
        fprintf(stderr, "daoc: cannot open the database: %s\n",
                err ? daoc_error_string(err) : daoc_strerror(rc));
        daoc_error_free(err);
        return 1;
    }
    *node = daoc_cli_node_start(cfg, *db); /* kong.cache, kept true by the cluster */
    daoc_config_free(cfg);
    return 0;
}

static int cmd_runner(const char *conf, int argc, char **argv)
{
    if (argc < 1) {
        runner_usage(stderr);
        return 2;
    }
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        runner_usage(stdout);
        return 0;
    }
    daoc_db *db = NULL;
    daoc_cli_node *node = NULL;
    if (open_db(conf, &db, &node) != 0)
        return 1;
    daoc_error *err = NULL;
    int rc = daoc_db_run_lua_file(db, argv[0], argc, argv, &err);
    int status = 0;
    if (rc != DAOC_OK) {
        /* Lua messages already start with "file:line:" */
        if (err)
            fprintf(stderr, "daoc: %s\n", daoc_error_string(err));
        else
            fprintf(stderr, "daoc: %s: %s\n", argv[0], daoc_strerror(rc));
        status = 1;
    }
    daoc_error_free(err);
    daoc_cli_node_stop(node, db);
    daoc_db_close(db);
    fflush(stdout);
    return status;
}

int main(int argc, char **argv)
{
    const char *conf = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-c") == 0 || strcmp(a, "--conf") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "daoc: %s: missing FILE\n", a);
                return 2;
            }
            conf = argv[++i];
        } else if (strncmp(a, "--conf=", 7) == 0) {
            conf = a + 7;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            verbose = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            printf("daoc %s\n", DAOC_VERSION_STRING);
            return 0;
        } else if (a[0] == '-') {
            fprintf(stderr, "daoc: unknown option '%s' (see daoc --help)\n", a);
            return 2;
        } else {
            break;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[i++];
    if (strcmp(cmd, "runner") == 0)
        return cmd_runner(conf, argc - i, argv + i);
    if (strcmp(cmd, "migrations") == 0)
        return daoc_cli_migrations(conf, argc - i, argv + i);
    if (strcmp(cmd, "serve") == 0)
        return daoc_cli_serve(conf, argc - i, argv + i);
    fprintf(stderr, "daoc: unknown command '%s' (see daoc --help)\n", cmd);
    return 2;
}
