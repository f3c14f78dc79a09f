/*
 * bench_util.h -- what every benchmark in bench/ needs: a monotonic clock,
 * the median of per-round figures, a fatal error that names the benchmark
 * (define BENCH_NAME before including), pseudo-random v4 UUID text from
 * a caller-held state (the same sequence on every run), the raw sqlite3
 * side of the SQLite benchmarks, and a daoc configuration for the
 * PostgreSQL server a libpq connection string names.
 */
#ifndef DAOC_BENCH_UTIL_H
#define DAOC_BENCH_UTIL_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daoc.h"

#ifndef BENCH_NAME
#error "define BENCH_NAME before including bench_util.h"
#endif

static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v[0..n) in place. */
static inline double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline void die(const char *what, const char *why)
{
    fprintf(stderr, BENCH_NAME ": %s: %s\n", what, why);
    exit(1);
}

/* die() with the message of a daoc_error (from the call that failed). */
static inline void die_err(const char *what, const daoc_error *e)
{
    const char *m = e ? daoc_error_message(e) : NULL;
    die(what, m ? m : "failed");
}

static inline void uuid(char out[37], unsigned long long *state)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    for (int i = 0; i < 16; i++) {
        *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
        b[i] = (unsigned char)(*state >> 56);
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = 0;
}

/* The raw sqlite3 connection to the file a daoc_db opened, with the pragmas
 * the SQLite store uses, and the default workspace's id into ws: consumers
 * are workspaceable, so the raw side writes and reads that workspace's rows
 * as the DAO does. */
static inline sqlite3 *bench_raw_sqlite(const char *path, char ws[37])
{
    sqlite3 *raw = NULL;
    if (sqlite3_open(path, &raw) != SQLITE_OK)
        die("sqlite3_open", sqlite3_errmsg(raw));
    sqlite3_exec(raw, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000",
                 NULL, NULL, NULL);
    sqlite3_stmt *wsq;
    if (sqlite3_prepare_v2(raw, "SELECT id FROM workspaces WHERE name = 'default'", -1, &wsq,
                           NULL) != SQLITE_OK ||
        sqlite3_step(wsq) != SQLITE_ROW)
        die("default workspace", sqlite3_errmsg(raw));
    snprintf(ws, 37, "%s", (const char *)sqlite3_column_text(wsq, 0));
    sqlite3_finalize(wsq);
    return raw;
}

/* A configuration (defaults, then DAOC_* from the environment) for the
 * PostgreSQL server that conninfo (a libpq connection string) names, its
 * tables in schema (pg_schema), pg_timeout 60 s. */
static inline daoc_config *bench_pg_config(const char *conninfo, const char *schema)
{
    daoc_error *why = NULL;
    daoc_config *cfg = NULL;
    if (daoc_config_load(&cfg, NULL, &why) != DAOC_OK)
        die_err("config", why);
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    if (!opts)
        die("DAOC_BENCH_PG", "not a libpq connection string");
    static const char *const map[][2] = {{"host", "pg_host"},       {"port", "pg_port"},
                                         {"user", "pg_user"},       {"password", "pg_password"},
                                         {"dbname", "pg_database"}, {NULL, NULL}};
    for (PQconninfoOption *o = opts; o->keyword; o++)
        for (int k = 0; map[k][0]; k++)
            if (o->val && *o->val && strcmp(o->keyword, map[k][0]) == 0 &&
                daoc_config_set(cfg, map[k][1], o->val, &why) != DAOC_OK)
                die_err("config", why);
    PQconninfoFree(opts);
    if (daoc_config_set(cfg, "database", "postgres", &why) != DAOC_OK ||
        daoc_config_set(cfg, "pg_schema", schema, &why) != DAOC_OK ||
        daoc_config_set(cfg, "pg_timeout", "60000", &why) != DAOC_OK)
        die_err("config", why);
    return cfg;
}

#endif
