/*
 * bench_admin.c -- the Admin API (daoc_admin_start) under wrk, each figure
 * next to a baseline measured in the same run:
 *   1. GET /consumers/<id> on SQLite against libmicrohttpd's own minimal
 *      server (the same flags: epoll, turbo, a pool of one thread per
 *      CPU, the two-call idiom) answering a fixed JSON body of the same
 *      size; goal: ratio >= 0.5.
 *   2. POST /consumers on PostgreSQL (pg_pool_size 8, so 8 server threads)
 *      against daoc_dao_insert from C with as many threads, each with its
 *      own handle, in POST_PAIRS short pairs of both, the order swapped
 *      from one pair to the next (the machine's speed drifts by tens of
 *      per cent over seconds; the table grows under both alike); goal: the
 *      median pair's ratio >= 0.8.  Each side's CPU time in this process
 *      per row (getrusage) is printed too: the server's own cost per
 *      request, which no drift of the machine moves.
 *   3. Latency of GET /consumers/<id> at a moderate load (wrk -c 4, one
 *      connection per request stream), p50/p99 as wrk reports them.
 * wrk shares the CPUs with the server (on 2 CPUs some 30 us of CPU per
 * POST that the DAO side does not pay), so absolute rates are lower
 * bounds.  Needs wrk on PATH.
 *   usage: bench_admin SECONDS   (DAOC_BENCH_PG: libpq connection string;
 *   without it the PostgreSQL part is skipped)
 */
#define BENCH_NAME "bench_admin"
#include <microhttpd.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_util.h"
#include "daoc.h"

static char g_body[512];
static size_t g_body_len;

static enum MHD_Result fixed(void *cls, struct MHD_Connection *c, const char *url,
                             const char *method, const char *version, const char *data,
                             size_t *size, void **con_cls)
{
    (void)cls, (void)url, (void)method, (void)version, (void)data, (void)size;
    static int first;
    if (!*con_cls) { /* answer on the second call: keeps the connection alive */
        *con_cls = &first;
        return MHD_YES;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(g_body_len, g_body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    enum MHD_Result ok = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ok;
}

typedef struct wrk_result {
    double rps, p50_ms, p99_ms;
    long errors;
} wrk_result;

static double to_ms(const char *v)
{
    double x = strtod(v, NULL);
    if (strstr(v, "us"))
        return x / 1000;
    if (strstr(v, "ms"))
        return x;
    return x * 1000; /* "s" */
}

static wrk_result wrk(const char *url, int conns, double seconds, const char *script)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "wrk -t2 -c%d -d%.0fs --latency %s%s '%s' 2>&1", conns, seconds,
             script ? "-s " : "", script ? script : "", url);
    FILE *p = popen(cmd, "r");
    if (!p)
        die("wrk", "cannot run");
    wrk_result w = {0, 0, 0, 0};
    char line[512];
    while (fgets(line, sizeof line, p)) {
        char v[64];
        long a, b, c2, d;
        if (sscanf(line, " Requests/sec: %lf", &w.rps) == 1)
            continue;
        if (sscanf(line, " 50%% %63s", v) == 1)
            w.p50_ms = to_ms(v);
        else if (sscanf(line, " 99%% %63s", v) == 1)
            w.p99_ms = to_ms(v);
        else if (sscanf(line, " Socket errors: connect %ld, read %ld, write %ld, timeout %ld", &a,
                        &b, &c2, &d) == 4)
            w.errors += a + b + c2 + d;
        else if (sscanf(line, " Non-2xx or 3xx responses: %ld", &a) == 1)
            w.errors += a;
    }
    if (pclose(p) != 0)
        die("wrk", "failed (is it installed? scripts/deps.sh bench)");
    return w;
}

static daoc_admin *start(daoc_config *cfg)
{
    daoc_error *err = NULL;
    daoc_admin *a = NULL;
    if (daoc_config_set(cfg, "admin_listen", "127.0.0.1:0", &err) != DAOC_OK ||
        daoc_config_set(cfg, "create_tables", "on", &err) != DAOC_OK ||
        daoc_admin_start(&a, cfg, &err) != DAOC_OK)
        die_err("daoc_admin_start", err);
    return a;
}

/* One consumer, whose JSON becomes the baseline's body; *id its id. */
static void seed(daoc_config *cfg, char id[37])
{
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    if (daoc_config_set(cfg, "create_tables", "on", &err) != DAOC_OK ||
        daoc_db_open(&db, cfg, &err) != DAOC_OK)
        die_err("open", err);
    daoc_value *in = daoc_obj(), *out = NULL, *opts = daoc_obj();
    if (daoc_obj_set(in, "username", daoc_str("bench-user")) != DAOC_OK ||
        daoc_obj_set(opts, "nulls", daoc_bool(true)) != DAOC_OK ||
        daoc_dao_insert(daoc_db_dao(db, "consumers"), in, opts, &out, &err) != DAOC_OK)
        die_err("insert", err);
    snprintf(id, 37, "%s", daoc_value_str(daoc_obj_get(out, "id"), NULL));
    char *json = NULL;
    size_t n = 0;
    if (daoc_json_encode(out, &json, &n) != DAOC_OK || n >= sizeof g_body)
        die("encode", "failed");
    memcpy(g_body, json, n);
    g_body_len = n;
    daoc_free(json);
    daoc_value_free(in);
    daoc_value_free(out);
    daoc_value_free(opts);
    daoc_db_close(db);
}

typedef struct ins_arg {
    daoc_config *cfg;
    double seconds;
    int id;
    long done;
    int round;
} ins_arg;

static void *inserter(void *p)
{
    ins_arg *a = p;
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    if (daoc_db_open(&db, a->cfg, &err) != DAOC_OK)
        die_err("open", err);
    daoc_dao *dao = daoc_db_dao(db, "consumers");
    daoc_value *opts = daoc_obj();
    if (daoc_obj_set(opts, "nulls", daoc_bool(true)) != DAOC_OK)
        die("opts", "failed");
    double end = now() + a->seconds;
    char name[64];
    while (now() < end) {
        snprintf(name, sizeof name, "c%d-%d-%ld", a->round, a->id, a->done);
        daoc_value *in = daoc_obj(), *out = NULL;
        if (daoc_obj_set(in, "username", daoc_str(name)) != DAOC_OK ||
            daoc_dao_insert(dao, in, opts, &out, &err) != DAOC_OK)
            die_err("insert", err);
        daoc_value_free(in);
        daoc_value_free(out);
        a->done++;
    }
    daoc_value_free(opts);
    daoc_db_close(db);
    return NULL;
}

static double dao_insert_rate(daoc_config *cfg, int threads, double seconds)
{
    static int round; /* each call's names are new */
    round++;
    pthread_t t[16];
    ins_arg args[16];
    double t0 = now();
    for (int i = 0; i < threads; i++) {
        args[i] = (ins_arg){cfg, seconds, i, 0, round};
        pthread_create(&t[i], NULL, inserter, &args[i]);
    }
    long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        total += args[i].done;
    }
    return (double)total / (now() - t0);
}

/* a username no other request of the run uses: the thread's number (set
 * in setup, which runs in wrk's main state) and a counter */
/* wrk's POST script; %d: the round, so that every round's names are new */
static const char POST_SCRIPT[] =
    "local threads = 0\n"
    "function setup(thread)\n"
    "  threads = threads + 1\n"
    "  thread:set('tid', threads)\n"
    "end\n"
    "local n = 0\n"
    "request = function()\n"
    "  n = n + 1\n"
    "  return wrk.format('POST', '/consumers', { ['Content-Type'] = "
    "'application/x-www-form-urlencoded' }, 'username=w%d-' .. tid .. '-' .. n)\n"
    "end\n";

#define POST_PAIRS 6

/* CPU seconds this process has used (every thread: the server's too) */
static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_stime.tv_sec +
           ((double)u.ru_utime.tv_usec + (double)u.ru_stime.tv_usec) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void cleanup(const char *dir, const char *path, const char *script)
{
    unlink(script);
    const char *const tails[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char f[160];
        snprintf(f, sizeof f, "%s%s", path, tails[i]);
        unlink(f);
    }
    rmdir(dir);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 5;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    /* two per CPU, for the minimal server as for daoc serve: both are
     * faster so than with one per CPU (114k vs 107k req/s for the minimal
     * server on 2 CPUs) */
    int threads = ncpu > 0 && ncpu < 16 ? 2 * (int)ncpu : 4;
    char dir[] = "/tmp/daoc-bench-admin-XXXXXX";
    if (!mkdtemp(dir))
        die("mkdtemp", "failed");
    char path[128], url[256], script[160];
    snprintf(path, sizeof path, "%s/admin.db", dir);
    snprintf(script, sizeof script, "%s/post.lua", dir);
    FILE *f = fopen(script, "w");
    if (!f || fprintf(f, POST_SCRIPT, 0) < 0 || fclose(f) != 0)
        die("script", "cannot write");

    /* 1. GET by primary key on SQLite vs MHD's minimal server */
    daoc_config *cfg = NULL;
    daoc_error *err = NULL;
    if (daoc_config_load(&cfg, NULL, &err) != DAOC_OK ||
        daoc_config_set(cfg, "sqlite_path", path, &err) != DAOC_OK)
        die_err("config", err);
    char id[37];
    seed(cfg, id);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO, 0, NULL, NULL, fixed, NULL,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_END);
    if (!d)
        die("MHD", "cannot start the baseline");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/consumers/%s", info->port, id);
    (void)wrk(url, 50, 1, NULL); /* warm-up */
    wrk_result base = wrk(url, 50, seconds, NULL);
    MHD_stop_daemon(d);
    daoc_admin *a = start(cfg);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/consumers/%s", daoc_admin_port(a, 0), id);
    (void)wrk(url, 50, 1, NULL);
    wrk_result get = wrk(url, 50, seconds, NULL);
    wrk_result lat = wrk(url, 4, seconds, NULL);
    daoc_admin_stop(a, 1000);
    daoc_config_free(cfg);
    printf("GET /consumers/{id}, SQLite, wrk -t2 -c50, %d server threads, body %zu bytes\n",
           threads, g_body_len);
    printf("  libmicrohttpd minimal server %10.0f req/s  (errors %ld)\n", base.rps, base.errors);
    printf("  daoc serve                   %10.0f req/s  (errors %ld)  ratio %.2f (goal >= 0.5)\n",
           get.rps, get.errors, get.rps / base.rps);
    printf("  latency at wrk -c4: %.0f req/s, p50 %.3f ms, p99 %.3f ms (errors %ld)\n", lat.rps,
           lat.p50_ms, lat.p99_ms, lat.errors);

    /* 2. POST on PostgreSQL vs the DAO insert from C */
    const char *pg = getenv("DAOC_BENCH_PG");
    if (!pg || !*pg) {
        printf("POST /consumers on PostgreSQL: skipped (set DAOC_BENCH_PG)\n");
        cleanup(dir, path, script);
        return 0;
    }
    PGconn *c = PQconnectdb(pg);
    if (PQstatus(c) != CONNECTION_OK)
        die("PostgreSQL", PQerrorMessage(c));
    PQclear(PQexec(c, "SET client_min_messages TO WARNING; DROP SCHEMA IF EXISTS bench_admin "
                      "CASCADE; CREATE SCHEMA bench_admin"));
    cfg = bench_pg_config(pg, "bench_admin");
    if (daoc_config_set(cfg, "pg_pool_size", "8", &err) != DAOC_OK)
        die_err("config", err);
    seed(cfg, id);
    int pg_threads = threads < 8 ? 8 : threads; /* the server's: one per pooled connection */
    /* short pairs of the two, the order swapped from one pair to the next,
     * each ratio from its own pair, the median reported */
    double slice = seconds * 0.6 < 1 ? 1 : (double)(long)(seconds * 0.6 + 0.5);
    double dao[POST_PAIRS], ratio[POST_PAIRS], dao_us = 0, srv_us = 0, dao_n = 0, srv_n = 0;
    wrk_result post[POST_PAIRS];
    for (int r = 0; r < POST_PAIRS; r++) {
        for (int side = 0; side < 2; side++) {
            double c0 = cpu_s();
            if ((side == 0) == (r % 2 == 0)) {
                dao[r] = dao_insert_rate(cfg, pg_threads, slice);
                dao_us += (cpu_s() - c0) * 1e6;
                dao_n += dao[r] * slice;
                continue;
            }
            f = fopen(script, "w");
            if (!f || fprintf(f, POST_SCRIPT, r + 1) < 0 || fclose(f) != 0)
                die("script", "cannot write");
            a = start(cfg);
            snprintf(url, sizeof url, "http://127.0.0.1:%d", daoc_admin_port(a, 0));
            c0 = cpu_s(); /* the start is not the requests' */
            post[r] = wrk(url, 16, slice, script);
            srv_us += (cpu_s() - c0) * 1e6;
            srv_n += post[r].rps * slice;
            daoc_admin_stop(a, 1000);
        }
        ratio[r] = post[r].rps / dao[r];
    }
    daoc_config_free(cfg);
    PQclear(PQexec(c, "DROP SCHEMA IF EXISTS bench_admin CASCADE"));
    PQfinish(c);
    printf("POST /consumers, PostgreSQL, wrk -t2 -c16 (form bodies), %d pairs of %.0f s, the "
           "order swapped each pair\n",
           POST_PAIRS, slice);
    long errors = 0;
    for (int r = 0; r < POST_PAIRS; r++) {
        printf("  pair %d (%s first): daoc_dao_insert from C, %d threads %8.0f rows/s; daoc "
               "serve %8.0f req/s (errors %ld); ratio %.2f\n",
               r + 1, r % 2 == 0 ? "DAO" : "server", pg_threads, dao[r], post[r].rps,
               post[r].errors, ratio[r]);
        errors += post[r].errors;
    }
    double sorted[POST_PAIRS];
    memcpy(sorted, ratio, sizeof sorted);
    qsort(sorted, POST_PAIRS, sizeof sorted[0], cmp_double);
    double median = POST_PAIRS % 2 ? sorted[POST_PAIRS / 2]
                                   : (sorted[POST_PAIRS / 2 - 1] + sorted[POST_PAIRS / 2]) / 2;
    printf("  CPU of this process: %.0f us per row from C, %.0f us per request served (the "
           "server's own cost: %.0f us)\n",
           dao_n > 0 ? dao_us / dao_n : 0, srv_n > 0 ? srv_us / srv_n : 0,
           dao_n > 0 && srv_n > 0 ? srv_us / srv_n - dao_us / dao_n : 0);
    printf("  daoc serve / daoc_dao_insert, median of the pairs: ratio %.2f (errors %ld) "
           "(goal >= 0.8)\n",
           median, errors);
    cleanup(dir, path, script);
    return 0;
}
