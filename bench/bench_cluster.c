/*
 * bench_cluster.c -- cross-node invalidation latency on PostgreSQL: how
 * long after node A commits a change node B's cache no longer holds the
 * entity (issue 12's goal: p99 <= 20 ms).  Node A is a real `daoc serve`
 * process; each update is a PATCH /consumers/{id} to its Admin API.  Node
 * B is observed two ways at once, on every update:
 *   - served B: a second real `daoc serve` process, polled with GET
 *     /cache/{key} (Kong's route: 200 while cached, 404 once gone) in a
 *     tight loop over a kept-alive socket.  This is the honest "seen in
 *     node B's cache": a separate process, its own reader, its own cache,
 *     observed from outside as a client would; the figure includes one
 *     poll's round trip (its resolution, printed) and B's HTTP answer.
 *   - embedded B: a node in this process through the public API
 *     (daoc_db_open + daoc_db_cache_new + daoc_db_use_cache +
 *     daoc_cluster_open/feed_cache/start); a subscription made after
 *     daoc_cluster_feed_cache's is told after the cache dropped the key and
 *     timestamps it, so this is the reader's own latency with no polling
 *     error (checked: daoc_cache_peek then finds nothing).
 * Before each update B must hold the consumer: served B loads it through
 * the fixture plugin api-cache's route GET /cached-consumers/{id}
 * (kong.cache:get, tests/fixtures), then GET /cache/{key} must answer 200;
 * embedded B through daoc_cache_get.  Every update is to its own consumer
 * (made beforehand through A), so no event of an earlier one can be taken
 * for it.  Times are from A's response (t0) and from the request's send;
 * on PostgreSQL NOTIFY goes at commit, before A answers, so a figure from
 * the response may be negative.  "lost": not gone within 2 s.  Both B
 * nodes read with db_update_frequency BENCH_CLUSTER_FREQ (default 60 s),
 * so only LISTEN/NOTIFY can explain a fast figure.
 *
 *   build/bench/bench_cluster [UPDATES]      (1000)
 *   DAOC_BENCH_PG (required: else skipped), DAOC_BIN (build/daoc),
 *   DAOC_SRC_DIR (.), BENCH_CLUSTER_FREQ (60)
 * Tables are bootstrapped (`daoc migrations bootstrap`) in schema
 * bench_cluster of that server, dropped afterwards.  With
 * DAOC_BENCH_BOUNCER (the libpq connection string of a PgBouncer in
 * transaction mode in front of the same server; its dbname is replaced)
 * the same runs again through it, in a database bench_cluster made for it
 * (pg_pooling = transaction refuses pg_schema): no LISTEN there, so B
 * hears of changes by its reads every BENCH_CLUSTER_BOUNCER_FREQ (0.3) s;
 * BENCH_CLUSTER_BOUNCER_UPDATES (100) updates, each after a random wait
 * of up to that period (else each update would land just after a read).
 */
#define BENCH_NAME "bench_cluster"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "daoc.h"

#define SCHEMA "bench_cluster"
#define LOST_AFTER 2.0

static char g_dir[] = "/tmp/daoc-bench-cluster-XXXXXX";

/* ---- child processes ---- */

/* Runs argv with extra environment (NULL-terminated "K=V" list), stdout
 * into a pipe (*out, or /dev/null when out is NULL), stderr appended to
 * <g_dir>/<log>.  Returns the pid. */
static pid_t spawn(const char *const argv[], const char *const extra[], int *out, const char *log)
{
    int p[2] = {-1, -1};
    if (out && pipe(p) != 0)
        die("pipe", strerror(errno));
    char path[256];
    snprintf(path, sizeof path, "%s/%s", g_dir, log);
    pid_t pid = fork();
    if (pid < 0)
        die("fork", strerror(errno));
    if (pid == 0) {
        for (int i = 0; extra && extra[i]; i++)
            putenv((char *)extra[i]);
        int e = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int o = out ? p[1] : open("/dev/null", O_WRONLY);
        if (e < 0 || o < 0 || dup2(e, 2) < 0 || dup2(o, 1) < 0)
            _exit(127);
        if (out)
            close(p[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (out) {
        close(p[1]);
        *out = p[0];
    }
    return pid;
}

static void run(const char *const argv[], const char *log)
{
    int st = 0;
    if (waitpid(spawn(argv, NULL, NULL, log), &st, 0) < 0 || !WIFEXITED(st) ||
        WEXITSTATUS(st) != 0) {
        fprintf(stderr, BENCH_NAME ": %s %s failed, see %s/%s\n", argv[0], argv[1], g_dir, log);
        exit(1);
    }
}

typedef struct node {
    pid_t pid;
    int port;
} node;

/* `daoc serve --listen 127.0.0.1:0`; waits for its "listening" line. */
static node serve(const char *bin, const char *const extra[], const char *log)
{
    const char *argv[] = {bin, "serve", "--listen", "127.0.0.1:0", NULL};
    int fd = -1;
    node n = {spawn(argv, extra, &fd, log), 0};
    FILE *f = fdopen(fd, "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "daoc: Admin API listening on 127.0.0.1:%d", &n.port) == 1)
            break;
    if (f)
        fclose(f); /* the server writes nothing else to stdout */
    if (n.port <= 0) {
        fprintf(stderr, BENCH_NAME ": daoc serve did not start, see %s/%s\n", g_dir, log);
        exit(1);
    }
    return n;
}

static void stop(node n)
{
    kill(n.pid, SIGTERM);
    waitpid(n.pid, NULL, 0);
}

/* ---- a kept-alive HTTP/1.1 connection ---- */

typedef struct conn {
    int fd;
    size_t len; /* bytes in buf */
    char buf[65536];
    char body[65536];
} conn;

static void conn_open(conn *c, int port)
{
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    if (c->fd < 0 || setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect", strerror(errno));
    c->len = 0;
}

/* One request; returns the status, the body in c->body (NUL-terminated). */
static int http(conn *c, const char *method, const char *path, const char *form)
{
    char req[1024];
    int n =
        form ? snprintf(req, sizeof req,
                        "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                        "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n\r\n%s",
                        method, path, strlen(form), form)
             : snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", method, path);
    if (n < 0 || (size_t)n >= sizeof req || send(c->fd, req, (size_t)n, 0) != n)
        die("send", "failed");
    char *end = NULL;
    size_t need = 0;
    for (;;) {
        if (!end) {
            c->buf[c->len] = 0;
            end = strstr(c->buf, "\r\n\r\n");
            if (end) {
                const char *cl = strcasestr(c->buf, "\r\nContent-Length:");
                size_t blen = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
                need = (size_t)(end + 4 - c->buf) + blen;
                if (need >= sizeof c->buf || blen >= sizeof c->body)
                    die("http", "answer too large");
            }
        }
        if (end && c->len >= need)
            break;
        ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, 0);
        if (r <= 0)
            die("recv", r == 0 ? "connection closed" : strerror(errno));
        c->len += (size_t)r;
    }
    int status = atoi(c->buf + 9); /* "HTTP/1.1 200" */
    size_t hlen = (size_t)(end + 4 - c->buf);
    memcpy(c->body, end + 4, need - hlen);
    c->body[need - hlen] = 0;
    memmove(c->buf, c->buf + need, c->len - need);
    c->len -= need;
    return status;
}

/* ---- the embedded node B ---- */

typedef struct watch {
    pthread_mutex_t mu;
    char key[128];
    _Atomic double seen; /* 0 until the key's invalidation is told */
    daoc_cache *cache;
} watch;

static watch g_w = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void on_event(void *ud, const char *channel, const char *data)
{
    (void)ud;
    (void)channel;
    double t = now();
    pthread_mutex_lock(&g_w.mu);
    bool mine = strcmp(data, g_w.key) == 0;
    pthread_mutex_unlock(&g_w.mu);
    if (mine && atomic_load(&g_w.seen) == 0)
        atomic_store(&g_w.seen, t);
}

typedef struct load_ctx {
    daoc_dao *dao;
    const char *id;
} load_ctx;

static int loader(void *ud, const char *key, size_t keylen, daoc_value **value, char *err,
                  size_t errlen)
{
    (void)key;
    (void)keylen;
    load_ctx *l = ud;
    daoc_value *pk = daoc_obj();
    daoc_error *e = NULL;
    int rc = daoc_obj_set(pk, "id", daoc_str(l->id));
    if (rc == DAOC_OK)
        rc = daoc_dao_select(l->dao, pk, NULL, value, &e);
    if (rc != DAOC_OK)
        snprintf(err, errlen, "%s", e ? daoc_error_message(e) : "select failed");
    daoc_error_free(e);
    daoc_value_free(pk);
    return rc;
}

/* ---- figures ---- */

typedef struct series {
    double *v;
    int n, lost;
} series;

static double pct(const series *s, double q)
{
    int i = (int)ceil(q * s->n) - 1;
    return s->v[i < 0 ? 0 : i];
}

static void report(const char *what, series *s)
{
    if (s->n == 0) {
        printf("  %-44s no figure (lost %d)\n", what, s->lost);
        return;
    }
    qsort(s->v, (size_t)s->n, sizeof *s->v, cmp_d);
    printf("  %-44s p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms  lost %d\n", what, 1e3 * pct(s, 0.50),
           1e3 * pct(s, 0.99), 1e3 * s->v[s->n - 1], s->lost);
}

/* The nodes' configuration as environment (inherited by the servers):
 * conninfo's server, schema (NULL: none), pg_pooling. */
static void node_env(const char *conninfo, const char *schema, const char *pooling)
{
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    if (!opts)
        die("connection string", conninfo);
    static const char *const map[][2] = {
        {"host", "DAOC_PG_HOST"},         {"port", "DAOC_PG_PORT"},       {"user", "DAOC_PG_USER"},
        {"password", "DAOC_PG_PASSWORD"}, {"dbname", "DAOC_PG_DATABASE"}, {NULL, NULL}};
    for (int k = 0; map[k][0]; k++)
        unsetenv(map[k][1]);
    for (PQconninfoOption *o = opts; o->keyword; o++)
        for (int k = 0; map[k][0]; k++)
            if (o->val && *o->val && strcmp(o->keyword, map[k][0]) == 0)
                setenv(map[k][1], o->val, 1);
    PQconninfoFree(opts);
    setenv("DAOC_DATABASE", "postgres", 1);
    if (schema)
        setenv("DAOC_PG_SCHEMA", schema, 1);
    else
        unsetenv("DAOC_PG_SCHEMA");
    setenv("DAOC_PG_POOLING", pooling, 1);
    setenv("DAOC_PG_TIMEOUT", "60000", 1);
}

typedef struct pass {
    const char *title;
    const char *boot;   /* conninfo the tables are bootstrapped through */
    const char *nodes;  /* conninfo the nodes use */
    const char *schema; /* NULL: the database's own */
    const char *pooling;
    const char *freq; /* B's db_update_frequency */
    const char *why;  /* what the frequency means here */
    bool jitter;      /* wait a random part of freq before each update */
} pass;

static void measure(const pass *ps, const char *bin, int updates)
{
    node_env(ps->boot, ps->schema, "session");
    char freq_env[64];
    snprintf(freq_env, sizeof freq_env, "DAOC_DB_UPDATE_FREQUENCY=%s", ps->freq);
    const char *const b_env[] = {freq_env, NULL};
    const char *const boot[] = {bin, "migrations", "bootstrap", NULL};
    run(boot, "bootstrap.log");
    node_env(ps->nodes, ps->schema, ps->pooling);
    node a = serve(bin, NULL, "a.err");
    node b = serve(bin, b_env, "b.err");

    /* embedded B */
    daoc_error *err = NULL;
    daoc_config *cfg = bench_pg_config(ps->nodes, ps->schema ? ps->schema : "");
    daoc_db *db = NULL;
    daoc_cluster *cl = NULL;
    if (daoc_config_set(cfg, "db_update_frequency", ps->freq, &err) != DAOC_OK ||
        daoc_config_set(cfg, "pg_pooling", ps->pooling, &err) != DAOC_OK ||
        daoc_db_open(&db, cfg, &err) != DAOC_OK ||
        daoc_db_cache_new(cfg, &g_w.cache, &err) != DAOC_OK)
        die_err("embedded node", err);
    if (daoc_db_use_cache(db, g_w.cache) != DAOC_OK)
        die("daoc_db_use_cache", "failed");
    if (daoc_cluster_open(&cl, cfg, &err) != DAOC_OK ||
        daoc_cluster_feed_cache(cl, g_w.cache) != DAOC_OK ||
        daoc_cluster_subscribe(cl, NULL, on_event, NULL) != DAOC_OK ||
        daoc_cluster_start(cl, &err) != DAOC_OK)
        die_err("embedded node's cluster events", err);
    daoc_dao *dao = daoc_db_dao(db, "consumers");

    /* one consumer per update, made through A */
    static conn ca, cb;
    conn_open(&ca, a.port);
    conn_open(&cb, b.port);
    char(*ids)[37] = calloc((size_t)updates, 37);
    if (!ids)
        die("calloc", "out of memory");
    for (int i = 0; i < updates; i++) {
        char form[64];
        snprintf(form, sizeof form, "username=bc-%d", i);
        if (http(&ca, "POST", "/consumers", form) != 201)
            die("POST /consumers on A", ca.body);
        const char *p = strstr(ca.body, "\"id\":\"");
        if (!p)
            die("POST /consumers on A", "no id");
        snprintf(ids[i], 37, "%.36s", p + 6);
    }
    /* the creations' own events reach the B nodes first */
    double settle = atof(ps->freq) + 0.5 < 2 ? atof(ps->freq) + 0.5 : 0.5;
    struct timespec pause = {(time_t)settle, (long)((settle - (double)(time_t)settle) * 1e9)};
    nanosleep(&pause, NULL);

    series s_resp = {calloc((size_t)updates, sizeof(double)), 0, 0};
    series s_send = {calloc((size_t)updates, sizeof(double)), 0, 0};
    series e_resp = {calloc((size_t)updates, sizeof(double)), 0, 0};
    series e_send = {calloc((size_t)updates, sizeof(double)), 0, 0};
    if (!s_resp.v || !s_send.v || !e_resp.v || !e_send.v)
        die("calloc", "out of memory");
    long polls = 0;
    double poll_time = 0;
    int peek_late = 0;
    unsigned long long rnd = 42;
    for (int i = 0; i < updates; i++) {
        char path[256], form[64];
        char *key = NULL;
        daoc_value *pk = daoc_obj();
        if (daoc_obj_set(pk, "id", daoc_str(ids[i])) != DAOC_OK ||
            daoc_dao_cache_key(dao, pk, &key, &err) != DAOC_OK)
            die_err("daoc_dao_cache_key", err);
        daoc_value_free(pk);
        /* served B caches it, and says so */
        snprintf(path, sizeof path, "/cached-consumers/%s", ids[i]);
        if (http(&cb, "GET", path, NULL) != 200)
            die("GET /cached-consumers on B", cb.body);
        if (i == 0) {
            char want[160];
            snprintf(want, sizeof want, "\"key\":\"%s\"", key);
            if (!strstr(cb.body, want))
                die("served B's cache key differs from daoc_dao_cache_key", cb.body);
        }
        char cpath[256];
        snprintf(cpath, sizeof cpath, "/cache/%s", key);
        if (http(&cb, "GET", cpath, NULL) != 200)
            die("GET /cache/{key} on B after loading it", cb.body);
        /* embedded B caches it */
        load_ctx lc = {dao, ids[i]};
        daoc_cache_ref *ref = NULL;
        if (daoc_cache_get(g_w.cache, key, strlen(key), NULL, loader, &lc, &ref, NULL, &err) !=
                DAOC_OK ||
            !ref)
            die_err("embedded B's daoc_cache_get", err);
        daoc_cache_release(ref);
        pthread_mutex_lock(&g_w.mu);
        snprintf(g_w.key, sizeof g_w.key, "%s", key);
        atomic_store(&g_w.seen, 0.0);
        pthread_mutex_unlock(&g_w.mu);

        /* without it, updates fall just after a read, phase-locked to the
         * reads: each would wait a whole period */
        if (ps->jitter) {
            rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
            double d = atof(ps->freq) * (double)(rnd >> 11) / 9007199254740992.0;
            struct timespec j = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
            nanosleep(&j, NULL);
        }
        /* the update, through A */
        snprintf(path, sizeof path, "/consumers/%s", ids[i]);
        snprintf(form, sizeof form, "username=bc-%d-renamed", i);
        double t_send = now();
        if (http(&ca, "PATCH", path, form) != 200)
            die("PATCH /consumers on A", ca.body);
        double t0 = now();

        /* until both B nodes no longer hold it */
        bool s_done = false, e_done = false;
        while (!(s_done && e_done)) {
            double t = now();
            if (t - t0 > LOST_AFTER) {
                if (!s_done)
                    s_resp.lost++, s_send.lost++;
                if (!e_done)
                    e_resp.lost++, e_send.lost++;
                break;
            }
            if (!e_done && atomic_load(&g_w.seen) > 0) {
                double seen = atomic_load(&g_w.seen);
                if (daoc_cache_peek(g_w.cache, key, strlen(key), NULL, NULL, NULL) !=
                    DAOC_ENOTFOUND)
                    peek_late++;
                e_resp.v[e_resp.n++] = seen - t0;
                e_send.v[e_send.n++] = seen - t_send;
                e_done = true;
            }
            if (!s_done) {
                int st = http(&cb, "GET", cpath, NULL);
                double t2 = now();
                polls++;
                poll_time += t2 - t;
                if (st == 404) {
                    s_resp.v[s_resp.n++] = t2 - t0;
                    s_send.v[s_send.n++] = t2 - t_send;
                    s_done = true;
                } else if (st != 200) {
                    die("GET /cache/{key} on B", cb.body);
                }
            }
        }
        daoc_free(key);
    }

    printf("cross-node invalidation, %s, %d updates (PATCH /consumers/{id} on node A, "
           "daoc serve)\n",
           ps->title, updates);
    printf("  B's db_update_frequency %s s (%s); lost = not gone within %.0f s\n", ps->freq,
           ps->why, LOST_AFTER);
    if (ps->jitter)
        printf("  each update after a random wait in [0, %s s): not in phase with B's reads\n",
               ps->freq);
    printf("  served B (daoc serve, GET /cache/{key} polled, one poll %.3f ms on average):\n",
           polls ? 1e3 * poll_time / (double)polls : 0.0);
    report(ps->jitter ? "from A's response" : "from A's response (goal p99 <= 20 ms)", &s_resp);
    report("from the PATCH's send", &s_send);
    printf("  embedded B (public API, the reader's subscription timestamps the drop%s):\n",
           peek_late ? ", SOME KEYS STILL CACHED THEN" : "");
    report("from A's response", &e_resp);
    report("from the PATCH's send", &e_send);
    /* what told served B: its reader's counters (GET /status) */
    if (http(&cb, "GET", "/status", NULL) == 200) {
        const char *ce = strstr(cb.body, "\"cluster_events\":");
        const char *nt = ce ? strstr(ce, "\"notifications\":") : NULL;
        const char *rd = ce ? strstr(ce, "\"reads\":") : NULL;
        const char *ls = ce ? strstr(ce, "\"listening\":") : NULL;
        printf("  served B's reader: listening %s, notifications %ld, reads %ld\n",
               ls && strncmp(ls + 12, "true", 4) == 0 ? "yes" : "no",
               nt ? strtol(nt + 16, NULL, 10) : -1L, rd ? strtol(rd + 8, NULL, 10) : -1L);
    }
    close(ca.fd);
    close(cb.fd);
    daoc_cluster_close(cl);
    daoc_db_close(db);
    daoc_cache_free(g_w.cache);
    g_w.cache = NULL;
    daoc_config_free(cfg);
    stop(a);
    stop(b);
    free(ids);
    free(s_resp.v), free(s_send.v), free(e_resp.v), free(e_send.v);
}

static void cleanup_dir(void)
{
    const char *const logs[] = {"bootstrap.log", "a.err", "b.err"};
    for (int i = 0; i < 3; i++) {
        char f[256];
        snprintf(f, sizeof f, "%s/%s", g_dir, logs[i]);
        unlink(f);
    }
    rmdir(g_dir);
}

int main(int argc, char **argv)
{
    int updates = argc > 1 ? atoi(argv[1]) : 1000;
    const char *pg = getenv("DAOC_BENCH_PG");
    if (!pg || !*pg) {
        printf("cross-node invalidation: skipped (set DAOC_BENCH_PG)\n");
        return 0;
    }
    if (updates < 1)
        die("UPDATES", "must be >= 1");
    const char *bin = getenv("DAOC_BIN") ? getenv("DAOC_BIN") : "build/daoc";
    const char *src = getenv("DAOC_SRC_DIR") ? getenv("DAOC_SRC_DIR") : ".";
    const char *freq = getenv("BENCH_CLUSTER_FREQ") ? getenv("BENCH_CLUSTER_FREQ") : "60";
    const char *bouncer = getenv("DAOC_BENCH_BOUNCER");
    const char *bfreq =
        getenv("BENCH_CLUSTER_BOUNCER_FREQ") ? getenv("BENCH_CLUSTER_BOUNCER_FREQ") : "0.3";
    int bupdates = getenv("BENCH_CLUSTER_BOUNCER_UPDATES")
                       ? atoi(getenv("BENCH_CLUSTER_BOUNCER_UPDATES"))
                       : 100;
    if (bupdates < 1)
        die("BENCH_CLUSTER_BOUNCER_UPDATES", "must be >= 1");
    if (!mkdtemp(g_dir))
        die("mkdtemp", strerror(errno));
    char lpath[1024];
    snprintf(lpath, sizeof lpath, "%s/tests/fixtures/?.lua;%s/tests/fixtures/?/init.lua", src, src);
    setenv("DAOC_PLUGINS", "api-cache", 1);
    setenv("DAOC_LUA_PACKAGE_PATH", lpath, 1);
    PGconn *pc = PQconnectdb(pg);
    if (PQstatus(pc) != CONNECTION_OK)
        die("PostgreSQL", PQerrorMessage(pc));

    PQclear(PQexec(pc, "SET client_min_messages TO WARNING; DROP SCHEMA IF EXISTS " SCHEMA
                       " CASCADE; CREATE SCHEMA " SCHEMA));
    pass direct = {"PostgreSQL (LISTEN/NOTIFY)",
                   pg,
                   pg,
                   SCHEMA,
                   "session",
                   freq,
                   "so only LISTEN/NOTIFY can make it fast",
                   false};
    measure(&direct, bin, updates);
    PQclear(PQexec(pc, "DROP SCHEMA IF EXISTS " SCHEMA " CASCADE"));

    if (bouncer && *bouncer) {
        /* pg_pooling = transaction refuses pg_schema: a database of its own */
        PQclear(PQexec(pc, "DROP DATABASE IF EXISTS " SCHEMA " WITH (FORCE)"));
        PGresult *r = PQexec(pc, "CREATE DATABASE " SCHEMA);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            die("CREATE DATABASE", PQerrorMessage(pc));
        PQclear(r);
        char boot[1024], nodes[1024];
        snprintf(boot, sizeof boot, "%s dbname=" SCHEMA, pg);
        snprintf(nodes, sizeof nodes, "%s dbname=" SCHEMA, bouncer);
        pass pooled = {"PgBouncer, pool_mode = transaction (no LISTEN)",
                       boot,
                       nodes,
                       NULL,
                       "transaction",
                       bfreq,
                       "the reads alone: the figure is bounded by it",
                       true};
        measure(&pooled, bin, bupdates);
        PQclear(PQexec(pc, "DROP DATABASE IF EXISTS " SCHEMA " WITH (FORCE)"));
    }
    PQfinish(pc);
    cleanup_dir();
    return 0;
}
