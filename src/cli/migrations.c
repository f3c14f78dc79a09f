/*
 * migrations.c -- `daoc migrations COMMAND [OPTIONS]`, the operator's side
 * of daoc_migrations (include/daoc.h), as `kong migrations` is run: the
 * same commands and options, the same exit codes; what Kong prints on
 * stdout here too, warnings and errors on stderr with a
 * "YYYY/MM/DD HH:MM:SS [lvl] " prefix (every line with -v), an error as
 * "Error: <msg>" with status 1.  Public API only.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool quiet, loud;

static void stamp(FILE *f, const char *lvl)
{
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y/%m/%d %H:%M:%S", &tm);
    fprintf(f, "%s [%s] ", when, lvl);
}

static void out(void *ud, daoc_log_level level, const char *msg)
{
    (void)ud;
    static const char *const names[] = {"debug", "info", "notice", "warn", "error"};
    if (quiet)
        return;
    const char *lvl = names[level <= DAOC_LOG_ERR ? level : DAOC_LOG_ERR];
    if (level >= DAOC_LOG_WARN) {
        stamp(stderr, lvl);
        fprintf(stderr, "%s\n", msg);
        return;
    }
    if (loud)
        stamp(stdout, lvl);
    fprintf(stdout, "%s\n", msg);
}

static bool confirm(void *ud, const char *question)
{
    (void)ud;
    for (int tries = 0; tries < 3; tries++) {
        printf("> %s [y/n] ", question);
        fflush(stdout);
        char line[32];
        if (!fgets(line, sizeof line, stdin))
            return false;
        line[strcspn(line, "\r\n")] = '\0';
        if (!strcmp(line, "y") || !strcmp(line, "Y") || !strcmp(line, "yes") ||
            !strcmp(line, "YES"))
            return true;
        if (!strcmp(line, "n") || !strcmp(line, "N") || !strcmp(line, "no") ||
            !strcmp(line, "NO"))
            return false;
    }
    return false;
}

void daoc_cli_migrations_usage(FILE *f)
{
    fputs("Usage: daoc [-c FILE] migrations COMMAND [OPTIONS]\n"
          "\n"
          "Manage the database schema, as `kong migrations` does.\n"
          "\n"
          "Commands:\n"
          "  bootstrap   bootstrap the database and run every migration\n"
          "  up          run the new migrations (exit 1 while teardowns are pending)\n"
          "  finish      run the pending teardowns\n"
          "  list        list the migrations (exit 3: needs bootstrap, 4: pending, 5: new)\n"
          "  status      print the state as JSON\n"
          "  reset       drop every table (asks first, unless --yes)\n"
          "  plan        what up would run, without running it (--sql: with its SQL)\n"
          "  down PLUGIN roll back a 0.x plugin's newest migration (--to NAME: every one\n"
          "              after NAME), PostgreSQL\n"
          "  check       try every pending migration on a scratch database: run twice,\n"
          "              and stopped after each statement then run again (exit 1 when\n"
          "              one is not reentrant), PostgreSQL (--scratch NAME: use that\n"
          "              empty database instead of creating one)\n"
          "  lint        check the tables against the loaded schemas: one line per\n"
          "              finding, with a fix (exit 1: findings, 3: needs bootstrap)\n"
          "\n"
          "Options:\n"
          "  -y, --yes              assume yes (reset)\n"
          "  -q, --quiet            print nothing\n"
          "  -f, --force            bootstrap: reset first; up/finish: run again what ran,\n"
          "                         and go on although a migration file changed\n"
          "  --db-timeout SECONDS   database timeout (sets pg_timeout)\n"
          "  --lock-timeout SECONDS how long to wait for another node (default 60)\n"
          "  -v, --verbose          prefix every line with its time and level\n",
          f);
}

int daoc_cli_migrations(const char *conf, int argc, char **argv)
{
    if (argc < 1) {
        daoc_cli_migrations_usage(stderr);
        return 1;
    }
    const char *command = argv[0];
    if (!strcmp(command, "--help") || !strcmp(command, "-h")) {
        daoc_cli_migrations_usage(stdout);
        return 0;
    }
    daoc_migrations_opts o = {0};
    const char *db_timeout = NULL;
    int first = 1;
    if (!strcmp(command, "down") && argc > 1 && argv[1][0] != '-') {
        o.subsystem = argv[1];
        first = 2;
    }
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-y") || !strcmp(a, "--yes")) {
            o.yes = true;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = true;
        } else if (!strcmp(a, "-f") || !strcmp(a, "--force")) {
            o.force = true;
        } else if (!strcmp(a, "--sql")) {
            o.sql = true;
        } else if (!strcmp(a, "--to") && i + 1 < argc) {
            o.to = argv[++i];
        } else if (!strcmp(a, "--scratch") && i + 1 < argc) {
            o.scratch = argv[++i];
        } else if (!strcmp(a, "-v") || !strcmp(a, "--v") || !strcmp(a, "--verbose") ||
                   !strcmp(a, "--vv")) {
            loud = true;
        } else if ((!strcmp(a, "--lock-timeout") || !strcmp(a, "--db-timeout")) && i + 1 < argc) {
            char *end = NULL;
            double v = strtod(argv[i + 1], &end);
            if (!end || *end || v <= 0) {
                fprintf(stderr, "Error: %s expects a number of seconds, got '%s'\n", a,
                        argv[i + 1]);
                return 1;
            }
            if (!strcmp(a, "--lock-timeout"))
                o.lock_timeout = v;
            else
                db_timeout = argv[i + 1];
            i++;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            daoc_cli_migrations_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "Error: unknown option '%s' for migrations\n", a);
            return 1;
        }
    }
    if (isatty(STDIN_FILENO))
        o.confirm = confirm;
    daoc_config *cfg = daoc_cli_config(conf);
    if (!cfg)
        return 1;
    if (db_timeout) {
        char ms[32];
        snprintf(ms, sizeof ms, "%.0f", strtod(db_timeout, NULL) * 1000.0);
        daoc_error *e = NULL;
        if (daoc_config_set(cfg, "pg_timeout", ms, &e) != DAOC_OK) {
            fprintf(stderr, "Error: --db-timeout: %s\n", e ? daoc_error_message(e) : "?");
            daoc_error_free(e);
            daoc_config_free(cfg);
            return 1;
        }
    }
    int code = 1;
    daoc_error *err = NULL;
    int rc = daoc_migrations(cfg, command, &o, out, NULL, &code, &err);
    daoc_config_free(cfg);
    if (rc != DAOC_OK) {
        const char *m = err ? daoc_error_message(err) : daoc_strerror(rc);
        fprintf(stderr, "Error: %s\n\n  Run with --v (verbose) for more details\n", m);
        code = 1;
    }
    daoc_error_free(err);
    fflush(stdout);
    return code;
}
