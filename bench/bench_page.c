/*
 * bench_page.c -- the cost of paging on SQLite as the table grows: the
 * DAO's page(10) at SMALL and LARGE rows, and each(100) (pages of 100 until
 * the last) over LARGE rows, against a hand-written raw sqlite3 keyset
 * query on the same table, same file, same process, in the same rounds.
 *
 *   build/bench/bench_page [SMALL] [LARGE] [ROUNDS] [SECONDS]
 *                           (1000, 50000, 3, 0.5)
 *
 * The table is `consumers` (workspaceable, as in Kong), every row in the
 * default workspace, loaded with one raw prepared INSERT per row.  page(10)
 * is timed twice per size: the first page (no offset) and a page from an
 * offset in the middle of the table (the token page() returned there).
 * The raw baseline is the keyset query a programmer would write by hand:
 *   SELECT <every column> FROM consumers WHERE id > ?1 AND +ws_id = ?2
 *   ORDER BY id LIMIT ?3
 * (all rows are in one workspace; the unary + keeps SQLite on the primary
 * key, so it reads exactly the rows it returns, with or without daoc's
 * indexes).  Each figure is the median over ROUNDS of time per call; a
 * round times raw and DAO back to back for SECONDS each (at least 3 calls).
 * Reported: page(10)@LARGE / page(10)@SMALL for both sides (flat = 1), and
 * DAO / raw time at each size.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daoc.h"

#define BENCH_NAME "bench_page"
#include "bench_util.h"

static sqlite3 *raw;
static sqlite3_stmt *st_ins, *st_page;
static daoc_dao *dao;
static char ws[37];
static unsigned long long seed = 42;
static long serial;

static void load(int rows)
{
    sqlite3_exec(raw, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (int i = 0; i < rows; i++) {
        char id[37], name[32];
        uuid(id, &seed);
        snprintf(name, sizeof name, "user-%ld", serial++);
        sqlite3_bind_text(st_ins, 1, id, 36, SQLITE_STATIC);
        sqlite3_bind_int64(st_ins, 2, (sqlite3_int64)time(NULL));
        sqlite3_bind_text(st_ins, 3, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st_ins, 4, "[\"bench\"]", -1, SQLITE_STATIC);
        sqlite3_bind_text(st_ins, 5, ws, 36, SQLITE_STATIC);
        if (sqlite3_step(st_ins) != SQLITE_DONE)
            die("raw insert", sqlite3_errmsg(raw));
        sqlite3_reset(st_ins);
    }
    if (sqlite3_exec(raw, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        die("commit", sqlite3_errmsg(raw));
}

/* One raw keyset page after `after` ("" = first); the last id read goes to
 * last (when given).  Returns the rows read. */
static int raw_page(const char *after, int size, char last[37])
{
    sqlite3_bind_text(st_page, 1, after, -1, SQLITE_STATIC);
    sqlite3_bind_text(st_page, 2, ws, 36, SQLITE_STATIC);
    sqlite3_bind_int(st_page, 3, size);
    int n = 0, rc;
    size_t touched = 0;
    while ((rc = sqlite3_step(st_page)) == SQLITE_ROW) {
        for (int c = 0; c < 6; c++) {
            const unsigned char *t = sqlite3_column_text(st_page, c);
            touched += t ? (size_t)sqlite3_column_bytes(st_page, c) : 0;
        }
        if (last)
            snprintf(last, 37, "%s", (const char *)sqlite3_column_text(st_page, 0));
        n++;
    }
    if (rc != SQLITE_DONE || (n && !touched))
        die("raw page", sqlite3_errmsg(raw));
    sqlite3_reset(st_page);
    return n;
}

/* One DAO page; *next (optional) receives the next offset. */
static int dao_page(const char *offset, int size, char **next)
{
    daoc_value *rows = NULL;
    char *nx = NULL;
    daoc_error *err = NULL;
    if (daoc_dao_page(dao, size, offset, NULL, &rows, &nx, &err) != DAOC_OK)
        die("dao page", err ? daoc_error_string(err) : "failed");
    int n = (int)daoc_value_len(rows);
    daoc_value_free(rows);
    if (next)
        *next = nx;
    else
        daoc_free(nx);
    return n;
}

/* seconds per call of page(10): raw after raw_after, DAO from dao_offset */
static void time_page10(const char *raw_after, const char *dao_offset, double secs, double *t_raw,
                        double *t_dao)
{
    long n = 0;
    double t0 = now(), t;
    do {
        if (raw_page(raw_after, 10, NULL) != 10)
            die("raw page", "short page");
        n++;
    } while ((t = now()) < t0 + secs || n < 3);
    *t_raw = (t - t0) / (double)n;
    n = 0;
    t0 = now();
    do {
        if (dao_page(dao_offset, 10, NULL) != 10)
            die("dao page", "short page");
        n++;
    } while ((t = now()) < t0 + secs || n < 3);
    *t_dao = (t - t0) / (double)n;
}

typedef struct sizefig {
    double raw_first[64], dao_first[64], raw_mid[64], dao_mid[64];
} sizefig;

/* the offsets in the middle of the table: raw id and DAO token */
static void middle(int rows, char raw_after[37], char **dao_offset)
{
    char *tok = NULL;
    if (dao_page(NULL, rows / 2, &tok) != rows / 2 || !tok)
        die("dao page", "no middle offset");
    *dao_offset = tok;
    if (raw_page("", rows / 2, raw_after) != rows / 2)
        die("raw page", "no middle id");
}

static void measure(sizefig *f, int r, int rows, double secs, const char *raw_after,
                    const char *dao_offset)
{
    time_page10("", NULL, secs, &f->raw_first[r], &f->dao_first[r]);
    time_page10(raw_after, dao_offset, secs, &f->raw_mid[r], &f->dao_mid[r]);
    fprintf(stderr,
            "round %d, %d rows: page(10) first raw %.1f dao %.1f us; from the middle raw %.1f "
            "dao %.1f us\n",
            r, rows, f->raw_first[r] * 1e6, f->dao_first[r] * 1e6, f->raw_mid[r] * 1e6,
            f->dao_mid[r] * 1e6);
}

int main(int argc, char **argv)
{
    int small = argc > 1 ? atoi(argv[1]) : 1000;
    int large = argc > 2 ? atoi(argv[2]) : 50000;
    int rounds = argc > 3 ? atoi(argv[3]) : 3;
    double secs = argc > 4 ? atof(argv[4]) : 0.5;
    if (rounds < 1)
        rounds = 1;
    if (rounds > 63)
        rounds = 63;
    if (small < 40 || large <= small)
        die("usage", "bench_page [SMALL >= 40] [LARGE > SMALL] [ROUNDS] [SECONDS]");
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[512];
    snprintf(path, sizeof path, "%s/daoc-bench-page-%d.db", tmp, (int)getpid());
    unlink(path);

    daoc_error *why = NULL;
    daoc_config *cfg = NULL;
    if (daoc_config_load(&cfg, NULL, &why) != DAOC_OK ||
        daoc_config_set(cfg, "sqlite_path", path, &why) != DAOC_OK)
        die_err("config", why);
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    /* tables from the schemas: opening creates nothing unless asked */
    if (daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK)
        abort();
    if (daoc_db_open(&db, cfg, &err) != DAOC_OK)
        die("open", err ? daoc_error_string(err) : "failed");
    daoc_config_free(cfg);
    dao = daoc_db_dao(db, "consumers");

    raw = bench_raw_sqlite(path, ws);
    if (sqlite3_prepare_v3(raw,
                           "INSERT INTO consumers (id, created_at, updated_at, username, "
                           "custom_id, tags, ws_id) VALUES (?1, ?2, ?2, ?3, NULL, ?4, ?5)",
                           -1, SQLITE_PREPARE_PERSISTENT, &st_ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(raw,
                           "SELECT id, created_at, updated_at, username, custom_id, tags "
                           "FROM consumers WHERE id > ?1 AND +ws_id = ?2 ORDER BY id LIMIT ?3",
                           -1, SQLITE_PREPARE_PERSISTENT, &st_page, NULL) != SQLITE_OK)
        die("prepare", sqlite3_errmsg(raw));

    static sizefig fs, fl;
    char after[37];
    char *tok = NULL;
    double each_raw[64], each_dao[64];

    load(small);
    middle(small, after, &tok);
    measure(&fs, 0, small, secs / 2, after, tok); /* warm-up, not counted */
    for (int r = 1; r <= rounds; r++)
        measure(&fs, r, small, secs, after, tok);
    daoc_free(tok);

    load(large - small);
    middle(large, after, &tok);
    measure(&fl, 0, large, secs / 2, after, tok);
    for (int r = 1; r <= rounds; r++)
        measure(&fl, r, large, secs, after, tok);
    daoc_free(tok);

    for (int r = 0; r <= rounds; r++) { /* round 0: warm-up */
        double t0 = now();
        long n = 0;
        char last[37] = "";
        int got;
        do {
            char prev[37];
            memcpy(prev, last, sizeof prev);
            n += got = raw_page(prev, 100, last);
        } while (got == 100);
        each_raw[r] = now() - t0;
        if (n != large)
            die("raw each", "wrong row count");
        t0 = now();
        n = 0;
        char *off = NULL;
        do {
            char *next = NULL;
            n += dao_page(off, 100, &next);
            daoc_free(off);
            off = next;
        } while (off);
        each_dao[r] = now() - t0;
        if (n != large)
            die("dao each", "wrong row count");
        fprintf(stderr, "round %d: each(100) over %d rows raw %.3f s dao %.3f s\n", r, large,
                each_raw[r], each_dao[r]);
    }

    double rsf = median(fs.raw_first + 1, rounds), dsf = median(fs.dao_first + 1, rounds);
    double rsm = median(fs.raw_mid + 1, rounds), dsm = median(fs.dao_mid + 1, rounds);
    double rlf = median(fl.raw_first + 1, rounds), dlf = median(fl.dao_first + 1, rounds);
    double rlm = median(fl.raw_mid + 1, rounds), dlm = median(fl.dao_mid + 1, rounds);
    double er = median(each_raw + 1, rounds), ed = median(each_dao + 1, rounds);
    printf("page(10), first page:     %6d rows raw %8.1f us dao %8.1f us (dao/raw %.2f)\n", small,
           rsf * 1e6, dsf * 1e6, dsf / rsf);
    printf("                          %6d rows raw %8.1f us dao %8.1f us (dao/raw %.2f)\n", large,
           rlf * 1e6, dlf * 1e6, dlf / rlf);
    printf("page(10), middle offset:  %6d rows raw %8.1f us dao %8.1f us (dao/raw %.2f)\n", small,
           rsm * 1e6, dsm * 1e6, dsm / rsm);
    printf("                          %6d rows raw %8.1f us dao %8.1f us (dao/raw %.2f)\n", large,
           rlm * 1e6, dlm * 1e6, dlm / rlm);
    printf("page(10) %d/%d rows: dao %.2f first, %.2f middle; raw %.2f first, %.2f middle "
           "(target dao < 2)\n",
           large, small, dlf / dsf, dlm / dsm, rlf / rsf, rlm / rsm);
    printf("each(100) over %d rows: raw %.3f s dao %.3f s (dao/raw %.2f)\n", large, er, ed,
           ed / er);

    sqlite3_finalize(st_ins);
    sqlite3_finalize(st_page);
    sqlite3_close(raw);
    daoc_db_close(db);
    unlink(path);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return 0;
}
