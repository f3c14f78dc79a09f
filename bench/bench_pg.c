/*
 * bench_pg.c -- the DAO on PostgreSQL against raw libpq on the same table, in
 * the same process and run, 2 threads with 2 connections (one daoc_db per
 * thread; raw = one PGconn per thread, PQprepare once + PQexecPrepared, text
 * format).  Within each round raw and DAO alternate in 8 short slices per
 * operation (the side that goes first alternating too), so both meet the
 * same machine; a round's ratio is DAO rate / raw rate over its slices, the
 * figure the median of the rounds' ratios.
 *
 *   DAOC_BENCH_PG="host=... port=... user=... dbname=..." \
 *     build/bench/bench_pg [SCAN_ROWS] [ROUNDS] [PHASE_SECONDS]
 * (BENCH_PG_THREADS=1..8 changes the thread count, for diagnostics only:
 * the targets are stated for 2.)
 *
 * Everything happens in its own schema, daoc_bench (dropped and created
 * again at start, dropped at the end); the DAO creates its `consumers` table
 * there (pg_schema = daoc_bench), and the raw side uses the same table.
 * The rows are in the default workspace, and the raw statements carry the
 * same workspace condition the DAO's do (consumers are workspaceable in
 * Kong: every statement is scoped with "ws_id" = $n, every insert writes it).
 *   select: random existing ids; raw = SELECT of every column by id, every
 *           value read; DAO = daoc_dao_select({id}), entity built and freed.
 *   insert: autocommit, one row per statement on both sides; raw = prepared
 *           INSERT of all columns with pre-generated values; DAO =
 *           daoc_dao_insert({username, tags}) with full validation (uuid and
 *           timestamps generated, tags validated) and the row returned.
 *   scan:   SCAN_ROWS rows (default 1M, loaded with COPY) paged 1000 at a
 *           time, each thread scanning the whole table; raw = keyset
 *           `WHERE id > $1 AND ws_id = $2 ORDER BY id LIMIT 1000`, every value read; DAO =
 *           daoc_dao_page(size 1000, offset) until there is no next offset,
 *           as kong.db.<entity>:each does.  Memory: max RSS (getrusage) after
 *           a DAO scan of all rows, and after three more (4x the rows).
 * It measures; it does not judge correctness (the test suites do).
 */
#include <dirent.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "daoc.h"

#define BENCH_NAME "bench_pg"
#include "bench_util.h"

#define MAXTHREADS 8
static int NTHREADS = 2; /* BENCH_PG_THREADS (diagnostics); the targets are for 2 */
#define PAGE 1000
#define SCHEMA "daoc_bench"

static const char *g_conninfo;
static long g_scan_rows;
static double g_secs;
static double g_secs_now; /* length of the running time-based slice */

static char g_ws[37]; /* the default workspace's id */

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* The id of loaded row i: a fixed permutation of uuids, so selects can pick
 * random existing ids without keeping a million of them in memory. */
static void id_of(unsigned long long i, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned long long a = i * 0x9E3779B97F4A7C15ULL + 0x1234567ULL, b = ~i * 0xC2B2AE3D27D4EB4FULL;
    a ^= a >> 31;
    b ^= b >> 29;
    unsigned char x[16];
    for (int k = 0; k < 8; k++) {
        x[k] = (unsigned char)(a >> (8 * k));
        x[8 + k] = (unsigned char)(b >> (8 * k));
    }
    /* the row number itself in the last 4 bytes: unique by construction */
    x[12] = (unsigned char)(i >> 24), x[13] = (unsigned char)(i >> 16);
    x[14] = (unsigned char)(i >> 8), x[15] = (unsigned char)i;
    x[6] = (unsigned char)((x[6] & 0x0f) | 0x40);
    x[8] = (unsigned char)((x[8] & 0x3f) | 0x80);
    int o = 0;
    for (int k = 0; k < 16; k++) {
        if (k == 4 || k == 6 || k == 8 || k == 10)
            out[o++] = '-';
        out[o++] = hex[x[k] >> 4];
        out[o++] = hex[x[k] & 15];
    }
    out[o] = 0;
}

static unsigned long long rnd(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* ---- raw libpq ------------------------------------------------------------ */

static PGconn *raw_connect(void)
{
    PGconn *c = PQconnectdb(g_conninfo);
    if (PQstatus(c) != CONNECTION_OK)
        die("connect", PQerrorMessage(c));
    return c;
}

static void raw_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        die(sql, PQerrorMessage(c));
    PQclear(r);
}

static void raw_prepare(PGconn *c, const char *name, const char *sql, int n)
{
    PGresult *r = PQprepare(c, name, sql, n, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die(name, PQerrorMessage(c));
    PQclear(r);
}

/* COPY of g_scan_rows rows into daoc_bench.consumers in 64 KiB chunks. */
static void load_rows(PGconn *c)
{
    PGresult *r = PQexec(c, "COPY consumers (id, created_at, updated_at, username, custom_id, "
                            "tags, ws_id) FROM STDIN");
    if (PQresultStatus(r) != PGRES_COPY_IN)
        die("copy", PQerrorMessage(c));
    PQclear(r);
    char buf[65536 + 256];
    size_t n = 0;
    for (long i = 0; i < g_scan_rows; i++) {
        char id[37];
        id_of((unsigned long long)i, id);
        n += (size_t)snprintf(buf + n, sizeof buf - n,
                              "%s\t2024-01-01 00:00:00+00\t2024-01-01 00:00:00+00\tuser-%ld\t\\N\t"
                              "{bench,loaded}\t%s\n",
                              id, i, g_ws);
        if (n > 65536) {
            if (PQputCopyData(c, buf, (int)n) != 1)
                die("copy", PQerrorMessage(c));
            n = 0;
        }
    }
    if ((n && PQputCopyData(c, buf, (int)n) != 1) || PQputCopyEnd(c, NULL) != 1)
        die("copy", PQerrorMessage(c));
    r = PQgetResult(c);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die("copy", PQerrorMessage(c));
    PQclear(r);
    while ((r = PQgetResult(c)))
        PQclear(r);
}

/* ---- the DAO ---------------------------------------------------------- */

static daoc_db *open_db(void)
{
    daoc_config *cfg = bench_pg_config(g_conninfo, SCHEMA);
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    /* tables from the schemas: opening creates nothing unless asked */
    if (daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK)
        abort();
    if (daoc_db_open(&db, cfg, &err) != DAOC_OK)
        die("open", err ? daoc_error_string(err) : "failed");
    daoc_config_free(cfg);
    return db;
}

/* ---- one worker per thread ------------------------------------------------ */

enum { SEL_RAW, SEL_DAO, INS_RAW, INS_DAO, SCAN_RAW, SCAN_DAO, NPHASES };
static const char *const PHASE_NAMES[] = {"select raw", "select dao", "insert raw",
                                          "insert dao", "scan raw",   "scan dao"};

typedef struct worker {
    int no;
    PGconn *raw;
    daoc_db *db;
    daoc_dao *dao;
    unsigned long long seed;
    long serial;
    /* per phase */
    int phase;
    long scan_limit; /* rows to scan in this slice (scan phases) */
    char raw_last[37]; /* scan cursors, kept between slices */
    char *dao_offset;
    bool raw_done, dao_done;
    long ops;
    double secs;
    size_t touched;
} worker;

static void raw_select(worker *w, double end)
{
    while (now() < end) {
        for (int k = 0; k < 100; k++, w->ops++) {
            char id[37];
            id_of(rnd(&w->seed) % (unsigned long long)g_scan_rows, id);
            const char *p[2] = {id, g_ws};
            PGresult *r = PQexecPrepared(w->raw, "sel", 2, p, NULL, NULL, 0);
            if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
                die("raw select", PQerrorMessage(w->raw));
            for (int c = 0; c < PQnfields(r); c++)
                w->touched += (size_t)PQgetlength(r, 0, c) + (PQgetisnull(r, 0, c) ? 0 : 1);
            PQclear(r);
        }
    }
}

static void dao_select(worker *w, double end)
{
    daoc_error *err = NULL;
    while (now() < end) {
        for (int k = 0; k < 100; k++, w->ops++) {
            char id[37];
            id_of(rnd(&w->seed) % (unsigned long long)g_scan_rows, id);
            daoc_value *pk = daoc_obj(), *out = NULL;
            if (daoc_obj_set(pk, "id", daoc_strn(id, 36)) != DAOC_OK)
                die("build", "out of memory");
            if (daoc_dao_select(w->dao, pk, NULL, &out, &err) != DAOC_OK || !out)
                die("dao select", err ? daoc_error_string(err) : "row missing");
            w->touched += daoc_value_len(out);
            daoc_value_free(pk);
            daoc_value_free(out);
        }
    }
}

static void raw_insert(worker *w, double end)
{
    while (now() < end) {
        for (int k = 0; k < 20; k++, w->ops++) {
            char id[37], name[48], ts[40];
            /* ids far above the loaded range: the thread number in the top bits */
            id_of(((unsigned long long)(w->no + 1) << 40) + (unsigned long long)w->serial, id);
            snprintf(name, sizeof name, "raw-%d-%ld", w->no, w->serial++);
            time_t t = time(NULL);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S+00", &tm);
            const char *p[5] = {id, ts, name, "{bench}", g_ws};
            PGresult *r = PQexecPrepared(w->raw, "ins", 5, p, NULL, NULL, 0);
            if (PQresultStatus(r) != PGRES_COMMAND_OK)
                die("raw insert", PQerrorMessage(w->raw));
            PQclear(r);
        }
    }
}

static void dao_insert(worker *w, double end)
{
    daoc_error *err = NULL;
    while (now() < end) {
        for (int k = 0; k < 20; k++, w->ops++) {
            char name[48];
            snprintf(name, sizeof name, "dao-%d-%ld", w->no, w->serial++);
            daoc_value *e = daoc_obj(), *tags = daoc_arr(), *out = NULL;
            if (daoc_obj_set(e, "username", daoc_str(name)) != DAOC_OK ||
                daoc_arr_push(tags, daoc_str("bench")) != DAOC_OK ||
                daoc_obj_set(e, "tags", tags) != DAOC_OK)
                die("build", "out of memory");
            if (daoc_dao_insert(w->dao, e, NULL, &out, &err) != DAOC_OK)
                die("dao insert", err ? daoc_error_string(err) : "failed");
            w->touched += daoc_value_len(out);
            daoc_value_free(e);
            daoc_value_free(out);
        }
    }
}

/* Scans continue where the previous slice of the same side stopped. */
static void raw_scan(worker *w)
{
    while (!w->raw_done && w->ops < w->scan_limit) {
        const char *p[2] = {w->raw_last, g_ws};
        PGresult *r = PQexecPrepared(w->raw, "scan", 2, p, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            die("raw scan", PQerrorMessage(w->raw));
        int n = PQntuples(r), nf = PQnfields(r);
        for (int i = 0; i < n; i++)
            for (int c = 0; c < nf; c++)
                w->touched += (size_t)PQgetlength(r, i, c) + (PQgetisnull(r, i, c) ? 0 : 1);
        if (n > 0)
            snprintf(w->raw_last, sizeof w->raw_last, "%s", PQgetvalue(r, n - 1, 0));
        PQclear(r);
        w->ops += n;
        w->raw_done = n < PAGE;
    }
}

static void dao_scan(worker *w)
{
    daoc_error *err = NULL;
    while (!w->dao_done && w->ops < w->scan_limit) {
        daoc_value *rows = NULL;
        char *next = NULL;
        if (daoc_dao_page(w->dao, PAGE, w->dao_offset, NULL, &rows, &next, &err) != DAOC_OK)
            die("dao page", err ? daoc_error_string(err) : "failed");
        size_t n = daoc_value_len(rows);
        for (size_t i = 0; i < n; i++)
            w->touched += daoc_value_len(daoc_arr_get(rows, i));
        daoc_value_free(rows);
        daoc_free(w->dao_offset);
        w->dao_offset = next;
        w->ops += (long)n;
        w->dao_done = !next;
    }
}

static void scan_reset(worker *w)
{
    snprintf(w->raw_last, sizeof w->raw_last, "00000000-0000-0000-0000-000000000000");
    daoc_free(w->dao_offset);
    w->dao_offset = NULL;
    w->raw_done = w->dao_done = false;
}

static void *run_phase(void *arg)
{
    worker *w = arg;
    w->ops = 0;
    double t0 = now(), end = t0 + g_secs_now;
    switch (w->phase) {
    case SEL_RAW: raw_select(w, end); break;
    case SEL_DAO: dao_select(w, end); break;
    case INS_RAW: raw_insert(w, end); break;
    case INS_DAO: dao_insert(w, end); break;
    case SCAN_RAW: raw_scan(w); break;
    case SCAN_DAO: dao_scan(w); break;
    }
    w->secs = now() - t0;
    return NULL;
}

static worker g_w[MAXTHREADS];

/* CPU seconds (user + system) of this process so far. */
static double cpu_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds of every process on this machine named "postgres" (the
 * server, when it is local: how much server work a side costs); 0 when
 * /proc cannot be read. */
static double cpu_server(void)
{
    static long hz;
    if (!hz)
        hz = sysconf(_SC_CLK_TCK);
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    double sum = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        char *open = strchr(buf, '('), *close = strrchr(buf, ')');
        if (!open || !close || strncmp(open + 1, "postgres", 8) != 0)
            continue;
        unsigned long ut = 0, st = 0;
        /* after "(comm) ": state and 10 more fields, then utime stime */
        if (sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
            sum += (double)(ut + st) / (double)hz;
    }
    closedir(d);
    return sum;
}

/* CPU seconds spent by each phase, this process and the server's. */
static double g_cpu_client[NPHASES], g_cpu_server[NPHASES];
static long g_cpu_ops[NPHASES];

/* Runs one phase (or slice of one) on every thread at once; adds the
 * operations of all threads to *ops and the longest thread's time to *secs. */
static void phase(int ph, long scan_limit, double secs_each, long *ops, double *secs)
{
    pthread_t th[MAXTHREADS];
    g_secs_now = secs_each;
    double c0 = cpu_self(), s0 = cpu_server();
    for (int i = 0; i < NTHREADS; i++) {
        g_w[i].phase = ph;
        g_w[i].scan_limit = scan_limit;
        if (pthread_create(&th[i], NULL, run_phase, &g_w[i]) != 0)
            die("pthread_create", "failed");
    }
    double longest = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        *ops += g_w[i].ops;
        g_cpu_ops[ph] += g_w[i].ops;
        if (g_w[i].secs > longest)
            longest = g_w[i].secs;
    }
    g_cpu_client[ph] += cpu_self() - c0;
    g_cpu_server[ph] += cpu_server() - s0;
    *secs += longest;
}

/* One round of a raw/DAO pair, interleaved in SLICES short slices that
 * alternate which side goes first, so both sides see the same machine
 * (this 2-vCPU guest's speed drifts by tens of percent within seconds).
 * Rates in rate[raw_ph], rate[dao_ph]. */
#define SLICES 8
static bool scans_done(void)
{
    for (int i = 0; i < NTHREADS; i++)
        if (!g_w[i].raw_done || !g_w[i].dao_done)
            return false;
    return true;
}

static void pair_round(int raw_ph, int dao_ph, bool scan, double *rate_raw, double *rate_dao)
{
    long ops[2] = {0, 0};
    double secs[2] = {0, 0};
    if (scan)
        for (int i = 0; i < NTHREADS; i++)
            scan_reset(&g_w[i]);
    long slice_rows = g_scan_rows / SLICES + PAGE;
    for (int k = 0; k < SLICES || (scan && !scans_done()); k++) {
        for (int j = 0; j < 2; j++) {
            int side = (k + j) % 2; /* 0 = raw, 1 = dao */
            phase(side ? dao_ph : raw_ph, scan ? slice_rows : 0, g_secs / SLICES, &ops[side],
                  &secs[side]);
        }
    }
    *rate_raw = (double)ops[0] / secs[0];
    *rate_dao = (double)ops[1] / secs[1];
}

int main(int argc, char **argv)
{
    g_scan_rows = argc > 1 ? atol(argv[1]) : 1000000;
    int rounds = argc > 2 ? atoi(argv[2]) : 3;
    g_secs = argc > 3 ? atof(argv[3]) : 2.0;
    if (rounds < 1 || rounds > 31 || g_scan_rows < 4 * PAGE || g_secs <= 0)
        die("usage", "bench_pg [SCAN_ROWS >= 4000] [ROUNDS 1..31] [PHASE_SECONDS]");
    if (getenv("BENCH_PG_THREADS")) {
        NTHREADS = atoi(getenv("BENCH_PG_THREADS"));
        if (NTHREADS < 1 || NTHREADS > MAXTHREADS)
            die("BENCH_PG_THREADS", "1..8");
    }
    g_conninfo = getenv("DAOC_BENCH_PG");
    if (!g_conninfo || !*g_conninfo)
        die("DAOC_BENCH_PG", "not set (a libpq connection string; scripts/run-bench.sh sets it)");

    /* a schema of our own, then the DAO creates its table in it */
    PGconn *setup = raw_connect();
    raw_exec(setup, "SET client_min_messages = warning");
    raw_exec(setup, "DROP SCHEMA IF EXISTS " SCHEMA " CASCADE");
    raw_exec(setup, "CREATE SCHEMA " SCHEMA);
    for (int i = 0; i < NTHREADS; i++) {
        g_w[i].no = i;
        g_w[i].seed = 42 + (unsigned long long)i * 7919;
        g_w[i].db = open_db();
        g_w[i].dao = daoc_db_dao(g_w[i].db, "consumers");
        g_w[i].raw = raw_connect();
        raw_exec(g_w[i].raw, "SET search_path TO " SCHEMA);
    }
    /* the same rows the DAO reads: those of the default workspace (Kong's
     * consumers are workspaceable; the DAO scopes every statement to it) */
    {
        PGresult *r = PQexec(g_w[0].raw, "SELECT id FROM workspaces WHERE name = 'default'");
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
            die("default workspace", PQerrorMessage(g_w[0].raw));
        snprintf(g_ws, sizeof g_ws, "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    for (int i = 0; i < NTHREADS; i++) {
        raw_prepare(g_w[i].raw, "sel",
                    "SELECT id, created_at, updated_at, username, custom_id, tags "
                    "FROM consumers WHERE id = $1 AND ws_id = $2",
                    2);
        raw_prepare(g_w[i].raw, "ins",
                    "INSERT INTO consumers (id, created_at, updated_at, username, custom_id, "
                    "tags, ws_id) VALUES ($1, $2, $2, $3, NULL, $4, $5)",
                    5);
        raw_prepare(g_w[i].raw, "scan",
                    "SELECT id, created_at, updated_at, username, custom_id, tags "
                    "FROM consumers WHERE id > $1 AND ws_id = $2 ORDER BY id LIMIT 1000",
                    2);
    }
    raw_exec(setup, "SET search_path TO " SCHEMA);
    double t0 = now();
    load_rows(setup);
    raw_exec(setup, "VACUUM ANALYZE consumers");
    fprintf(stderr, "loaded %ld rows with COPY in %.1f s\n", g_scan_rows, now() - t0);

    /* memory: max RSS after a DAO scan of every row, then after three more
     * (4x the rows): flat means the second figure does not grow */
    long rss0 = max_rss_kb();
    long n_1 = 0, n_4 = 0;
    double s_1 = 0, s_4 = 0;
    for (int i = 0; i < NTHREADS; i++)
        scan_reset(&g_w[i]);
    phase(SCAN_DAO, g_scan_rows + PAGE, 0, &n_1, &s_1);
    long rss1 = max_rss_kb();
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < NTHREADS; i++)
            scan_reset(&g_w[i]);
        phase(SCAN_DAO, g_scan_rows + PAGE, 0, &n_4, &s_4);
    }
    long rss2 = max_rss_kb();
    fprintf(stderr, "memory: max RSS %ld KiB before, %ld after scanning %ld rows (%.0f rows/s), "
                    "%ld after %ld more\n",
            rss0, rss1, g_scan_rows, (double)n_1 / s_1, rss2, 3 * g_scan_rows);

    double rate[NPHASES][32], q_sel[32], q_ins[32], q_scan[32];
    memset(g_cpu_client, 0, sizeof g_cpu_client);
    memset(g_cpu_server, 0, sizeof g_cpu_server);
    memset(g_cpu_ops, 0, sizeof g_cpu_ops);
    for (int r = 0; r < rounds; r++) {
        for (int pair = 0; pair < 3; pair++)
            pair_round(pair * 2, pair * 2 + 1, pair == 2, &rate[pair * 2][r],
                       &rate[pair * 2 + 1][r]);
        q_sel[r] = rate[SEL_DAO][r] / rate[SEL_RAW][r];
        q_ins[r] = rate[INS_DAO][r] / rate[INS_RAW][r];
        q_scan[r] = rate[SCAN_DAO][r] / rate[SCAN_RAW][r];
        fprintf(stderr, "round %d:", r);
        for (int p = 0; p < NPHASES; p++)
            fprintf(stderr, " %s %.0f;", PHASE_NAMES[p], rate[p][r]);
        fprintf(stderr, " ratios select %.2f insert %.2f scan %.2f\n", q_sel[r], q_ins[r],
                q_scan[r]);
    }
    /* where the time goes: CPU per operation of this process (both
     * threads) and of the local server's processes, over every round */
    fprintf(stderr, "cpu per op (us, client + server):");
    for (int p = 0; p < NPHASES; p++)
        if (g_cpu_ops[p])
            fprintf(stderr, " %s %.2f + %.2f;", PHASE_NAMES[p],
                    1e6 * g_cpu_client[p] / (double)g_cpu_ops[p],
                    1e6 * g_cpu_server[p] / (double)g_cpu_ops[p]);
    fprintf(stderr, "\n");
    double med[NPHASES];
    for (int p = 0; p < NPHASES; p++)
        med[p] = median(rate[p], rounds);
    printf("PG  select by primary key (2 threads):      raw %8.0f ops/s   dao %8.0f ops/s   "
           "ratio %.2f (target >= 0.90)\n",
           med[SEL_RAW], med[SEL_DAO], median(q_sel, rounds));
    printf("PG  insert, full validation, autocommit:    raw %8.0f rows/s  dao %8.0f rows/s  "
           "ratio %.2f (target >= 0.85)\n",
           med[INS_RAW], med[INS_DAO], median(q_ins, rounds));
    printf("PG  paging %ld rows by 1000 (each thread):  raw %8.0f rows/s  dao %8.0f rows/s  "
           "ratio %.2f (target >= 0.80)\n",
           g_scan_rows, med[SCAN_RAW], med[SCAN_DAO], median(q_scan, rounds));
    printf("PG  memory while paging (max RSS): %ld KiB before, %ld KiB after %ld rows, "
           "%ld KiB after %ld rows (%+ld KiB)\n",
           rss0, rss1, g_scan_rows, rss2, 4 * g_scan_rows, rss2 - rss1);

    size_t touched = 0;
    for (int i = 0; i < NTHREADS; i++) {
        scan_reset(&g_w[i]);
        touched += g_w[i].touched;
        PQfinish(g_w[i].raw);
        daoc_db_close(g_w[i].db);
    }
    if (touched == 0)
        die("bench", "nothing read");
    raw_exec(setup, "DROP SCHEMA " SCHEMA " CASCADE");
    PQfinish(setup);
    return 0;
}
