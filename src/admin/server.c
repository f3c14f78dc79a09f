/*
 * server.c -- the Admin API over HTTP (daoc_admin_start in daoc.h), on
 * libmicrohttpd: one daemon per admin_listen address, each with an
 * internal epoll thread pool (two threads per CPU, or on PostgreSQL one per
 * pooled connection when pg_pool_size is larger; MHD_USE_TURBO), and a
 * database handle per server thread, opened by the thread on its first
 * request (a daoc_db is used by one thread at a time).  The request cycle
 * is MHD's: the first call of the access handler only records the request
 * (answering on it would make MHD close the connection after the reply),
 * the next ones take the body in pieces, the last one answers through
 * daoc__adm_handle (handle.c).  MHD is told not to unescape anything:
 * the router decodes path segments itself and the query string is
 * rebuilt raw for the argument decoder.
 * Limits: bodies of more than 10 MiB are refused (413); the request line and
 * headers must fit the connection's 80 KiB of memory (MHD zeroes it for
 * every request, so it is kept as small as Kong's 1000 query arguments
 * allow; past it MHD refuses the request); idle connections close after
 * 60 s.  A listener with the flag `ssl` serves HTTPS (MHD's GnuTLS) with
 * the PEM files admin_ssl_cert and admin_ssl_cert_key.  With admin_access_log set, each answer
 * appends one line to that file (Combined Log Format, then seconds taken and the request id).
 * daoc_admin_stop stops accepting, lets in-flight requests finish
 * (up to its grace period), then closes everything.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"
#include "config/config.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"

#define MAX_LISTENERS 8

struct daoc_admin {
    daoc_config *cfg; /* a copy: every thread opens its handle from it */
    daoc__adm_app *app;
    struct MHD_Daemon *d[MAX_LISTENERS];
    int port[MAX_LISTENERS];
    size_t nd;
    FILE *access;             /* admin_access_log, or NULL */
    char *tls_cert, *tls_key; /* PEM text of admin_ssl_cert(_key), kept for MHD */
    pthread_mutex_t log_lock;
    pthread_key_t key;
    pthread_mutex_t lock; /* dbs */
    daoc_db **dbs;
    size_t ndbs;
    atomic_int inflight;
    daoc__adm_loglevel loglevel; /* every handle logs through it */
};

/* One request's state between the handler's calls. */
typedef struct req_state {
    daoc__buf body;
    bool too_big;
    struct timespec t0;
} req_state;

static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

/* ---- the handle of this thread ---------------------------------------------- */

static daoc_db *thread_db(daoc_admin *a)
{
    daoc_db *db = pthread_getspecific(a->key);
    if (db)
        return db;
    if (daoc_db_open(&db, a->cfg, NULL) != DAOC_OK)
        return NULL;
    daoc__adm_cache_attach(a->app, db);
    pthread_mutex_lock(&a->lock);
    daoc_db **grown = daoc__realloc(a->dbs, (a->ndbs + 1) * sizeof *grown);
    if (grown) {
        a->dbs = grown;
        a->dbs[a->ndbs++] = db;
    }
    pthread_mutex_unlock(&a->lock);
    if (!grown) {
        daoc_db_close(db);
        return NULL;
    }
    (void)pthread_setspecific(a->key, db);
    return db;
}

/* ---- the request -------------------------------------------------------------- */

struct query_ctx {
    daoc__buf *b;
};

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    struct query_ctx *q = cls;
    if (q->b->len)
        daoc__buf_putc(q->b, '&');
    daoc__buf_puts(q->b, key);
    if (value) {
        daoc__buf_putc(q->b, '=');
        daoc__buf_puts(q->b, value);
    }
    return MHD_YES;
}

static enum MHD_Result count_ct(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    (void)value;
    if (strcasecmp(key, "Content-Type") == 0)
        (*(int *)cls)++;
    return MHD_YES;
}

/* Every request header into the object cls ({lower-case name: value}). */
static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    char name[128];
    size_t n = strlen(key);
    if (n >= sizeof name)
        return MHD_YES;
    for (size_t i = 0; i <= n; i++)
        name[i] = (char)tolower((unsigned char)key[i]);
    if (daoc_obj_get(cls, name)) /* the first of repeated headers */
        return MHD_YES;
    return daoc_obj_set(cls, name, daoc_str(value ? value : "")) == DAOC_OK ? MHD_YES : MHD_NO;
}

static int all_headers(void *ctx, daoc_value *obj)
{
    MHD_get_connection_values(ctx, MHD_HEADER_KIND, add_header, obj);
    return DAOC_OK;
}

static bool tls_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    return ci && ci->tls_session;
}

static void free_body(void *p)
{
    daoc__free(p);
}

/* One line of the access log: the Combined Log Format, then the time
 * taken in seconds and the request id. */
static void access_line(daoc_admin *a, struct MHD_Connection *conn, const char *method,
                        const char *url, const char *version, const daoc__adm_res *res, size_t len,
                        double secs)
{
    char addr[INET6_ADDRSTRLEN] = "-";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr,
                      sizeof addr);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr,
                      sizeof addr);
    }
    const char *ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent");
    const char *referer = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Referer");
    const char *rid = "-";
    for (size_t i = 0; i < res->nheaders; i++)
        if (strcmp(res->hname[i], "X-Kong-Admin-Request-ID") == 0)
            rid = res->hval[i];
    char when[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
    pthread_mutex_lock(&a->log_lock);
    fprintf(a->access, "%s - - [%s] \"%s %s %s\" %d %zu \"%s\" \"%s\" %.6f %s\n", addr, when,
            method, url, version, res->status, len, referer ? referer : "-", ua ? ua : "-", secs,
            rid);
    fflush(a->access);
    pthread_mutex_unlock(&a->log_lock);
}

static enum MHD_Result send_res(daoc_admin *a, struct MHD_Connection *conn, daoc__adm_res *res,
                                const req_state *st, const char *method, const char *url,
                                const char *version)
{
    size_t len = 0;
    char *data = res->status == 204 ? NULL : daoc__buf_take(&res->body, &len);
    struct MHD_Response *r =
        data ? MHD_create_response_from_buffer_with_free_callback(len, data, free_body)
             : MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!r) {
        daoc__free(data);
        return MHD_NO;
    }
    if (res->content_type && (data || res->status != 204))
        MHD_add_response_header(r, "Content-Type", res->content_type);
    for (size_t i = 0; i < res->nheaders; i++)
        MHD_add_response_header(r, res->hname[i], res->hval[i]);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    char timing[64]; /* milliseconds with 3 decimals, from integer microseconds */
    long long us =
        (long long)(t1.tv_sec - st->t0.tv_sec) * 1000000 + (t1.tv_nsec - st->t0.tv_nsec) / 1000;
    snprintf(timing, sizeof timing, "app;dur=%lld.%03lld", us / 1000, us % 1000);
    if (a->access)
        access_line(a, conn, method, url, version, res, len, (double)us / 1e6);
    MHD_add_response_header(r, "Server-Timing", timing);
    MHD_add_response_header(r, "Server", "daoc/" DAOC_VERSION_STRING);
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    daoc_admin *a = cls;
    req_state *st = *con_cls;
    if (!st) {
        if (!(st = daoc__calloc(1, sizeof *st)))
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &st->t0);
        *con_cls = st;
        atomic_fetch_add(&a->inflight, 1);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > a->app->max_body) {
            /* refused before a byte of it is read (MHD then closes the
             * connection, as it must with a body left unread) */
            daoc__adm_res res;
            memset(&res, 0, sizeof res);
            res.content_type = "application/json; charset=utf-8";
            daoc__adm_message(&res, 413, "Request body too large");
            enum MHD_Result ok = send_res(a, conn, &res, st, method, url, version);
            daoc__adm_res_free(&res);
            return ok;
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!st->too_big && st->body.len + *upload_size <= a->app->max_body)
            daoc__buf_append(&st->body, upload_data, *upload_size);
        else
            st->too_big = true;
        *upload_size = 0;
        return MHD_YES;
    }
    daoc__adm_res res;
    memset(&res, 0, sizeof res);
    res.content_type = "application/json; charset=utf-8";
    if (st->too_big) {
        daoc__adm_message(&res, 413, "Request body too large");
    } else if (st->body.failed) {
        daoc__adm_message(&res, 500, "An unexpected error occurred");
    } else {
        daoc_db *db = thread_db(a);
        daoc__buf q = DAOC__BUF_INIT;
        struct query_ctx qc = {&q};
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &qc);
        int cts = 0;
        MHD_get_connection_values(conn, MHD_HEADER_KIND, count_ct, &cts);
        daoc__adm_req req = {
            .method = method,
            .path = url,
            .query = q.len && !q.failed ? q.data : NULL,
            .content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"),
            .content_types = cts,
            .origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin"),
            .acrh = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                "Access-Control-Request-Headers"),
            .authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
            .if_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-Match"),
            .if_none_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match"),
            .body = st->body.data,
            .body_len = st->body.len,
            .host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host"),
            .tls = tls_of(conn),
            .headers = all_headers,
            .headers_ctx = conn,
        };
        if (!db || q.failed)
            daoc__adm_message(&res, 500, "An unexpected error occurred");
        else
            daoc__adm_handle(a->app, db, &req, &res);
        daoc__buf_free(&q);
    }
    enum MHD_Result ok = send_res(a, conn, &res, st, method, url, version);
    daoc__adm_res_free(&res);
    return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    daoc_admin *a = cls;
    req_state *st = *con_cls;
    if (!st)
        return;
    daoc__buf_free(&st->body);
    daoc__free(st);
    *con_cls = NULL;
    atomic_fetch_sub(&a->inflight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)conn;
    (void)socket_context;
    daoc_admin *a = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&a->app->accepted, 1);
        atomic_fetch_add(&a->app->active, 1);
    } else {
        atomic_fetch_sub(&a->app->active, 1);
    }
}

/* ---- listeners ------------------------------------------------------------------- */

/* Does the admin_listen item s[0..n) carry the flag `ssl`? */
static bool has_ssl(const char *s, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++)
        if ((i == 0 || s[i - 1] == ' ') && memcmp(s + i, "ssl", 3) == 0 &&
            (i + 3 == n || s[i + 3] == ' '))
            return true;
    return false;
}

/* The whole file at path as a NUL-terminated string (owned), or NULL. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    daoc__buf b = DAOC__BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < (1u << 20))
        daoc__buf_append(&b, chunk, n);
    fclose(f);
    size_t len = 0;
    return daoc__buf_take(&b, &len);
}

/* The certificate and key of the ssl listeners, read on first need. */
static int tls_files(daoc_admin *a, daoc_error **err)
{
    if (a->tls_cert)
        return DAOC_OK;
    const char *cert = daoc_config_get(a->cfg, "admin_ssl_cert");
    const char *key = daoc_config_get(a->cfg, "admin_ssl_cert_key");
    if (!*cert || !*key)
        return daoc__err_fail(err, DAOC_ECONFIG,
                              "admin_listen: an 'ssl' listener needs admin_ssl_cert and "
                              "admin_ssl_cert_key");
    if (!(a->tls_cert = slurp(cert)))
        return daoc__err_fail(err, DAOC_EIO, "admin_ssl_cert: cannot read '%s': %s", cert,
                              strerror(errno));
    if (!(a->tls_key = slurp(key)))
        return daoc__err_fail(err, DAOC_EIO, "admin_ssl_cert_key: cannot read '%s': %s", key,
                              strerror(errno));
    return DAOC_OK;
}

/* One "<address>:<port> [flags]" of admin_listen into addr. */
static bool parse_listener(const char *item, size_t n, struct sockaddr_storage *ss, socklen_t *sl)
{
    char buf[256];
    size_t alen = 0;
    while (n && *item == ' ')
        item++, n--;
    while (alen < n && item[alen] != ' ')
        alen++;
    if (alen == 0 || alen >= sizeof buf)
        return false;
    memcpy(buf, item, alen);
    buf[alen] = '\0';
    char *colon = strrchr(buf, ':');
    if (!colon)
        return false;
    *colon = '\0';
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (!end || *end || port < 0 || port > 65535)
        return false;
    char *host = buf;
    memset(ss, 0, sizeof *ss);
    if (host[0] == '[') {
        size_t hl = strlen(host);
        if (hl < 2 || host[hl - 1] != ']')
            return false;
        host[hl - 1] = '\0';
        host++;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *sl = sizeof *s6;
        return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    *sl = sizeof *s4;
    const char *v4 = strcmp(host, "localhost") == 0 ? "127.0.0.1"
                     : strcmp(host, "*") == 0       ? "0.0.0.0"
                                                    : host;
    return inet_pton(AF_INET, v4, &s4->sin_addr) == 1;
}

/* Stops the daemons (their threads joined), closes the handles the
 * threads opened and frees a: the end of daoc_admin_stop, and of a start
 * that failed part way.  keyed: the thread-handle key was created. */
static void release(daoc_admin *a, bool keyed)
{
    for (size_t i = 0; i < a->nd; i++)
        MHD_stop_daemon(a->d[i]);
    for (size_t i = 0; i < a->ndbs; i++)
        daoc_db_close(a->dbs[i]);
    daoc__free(a->dbs);
    if (a->app)
        daoc__adm_cache_stop(a->app);
    daoc__adm_app_free(a->app);
    daoc_config_free(a->cfg);
    if (a->access)
        fclose(a->access);
    daoc__free(a->tls_cert);
    daoc__free(a->tls_key);
    pthread_mutex_destroy(&a->log_lock);
    if (keyed)
        pthread_key_delete(a->key);
    pthread_mutex_destroy(&a->lock);
    daoc__free(a);
}

int daoc_admin_start(daoc_admin **out, const daoc_config *cfg, daoc_error **err)
{
    if (err)
        *err = NULL;
    if (!out || !cfg)
        return DAOC_EINVAL;
    *out = NULL;
    daoc_admin *a = daoc__calloc(1, sizeof *a);
    if (!a)
        return DAOC_ENOMEM;
    pthread_mutex_init(&a->lock, NULL);
    pthread_mutex_init(&a->log_lock, NULL);
    int rc = pthread_key_create(&a->key, NULL) == 0 ? DAOC_OK : DAOC_ENOMEM;
    bool keyed = rc == DAOC_OK;
    daoc_db *first = NULL;
    /* the configuration: a copy every thread opens its handle from */
    if (rc == DAOC_OK && !(a->cfg = daoc__config_copy(cfg)))
        rc = DAOC_ENOMEM;
    if (rc == DAOC_OK) { /* log_level, changeable while serving */
        daoc__adm_loglevel_init(&a->loglevel, a->cfg->log, a->cfg->log_ud,
                                daoc_config_get(a->cfg, "log_level"));
        daoc_config_set_log(a->cfg, daoc__adm_log, &a->loglevel);
    }
    const char *log = rc == DAOC_OK ? daoc_config_get(a->cfg, "admin_access_log") : NULL;
    if (log && strcmp(log, "off") != 0 && !(a->access = fopen(log, "a")))
        rc = daoc__err_fail(err, DAOC_EIO, "admin_access_log: cannot open '%s': %s", log,
                            strerror(errno));
    if (rc == DAOC_OK)
        rc = daoc_db_open(&first, a->cfg, err);
    /* the first handle made or checked the tables: the threads' own attach
     * to them, with no DDL and no lock (on PostgreSQL a CREATE INDEX IF NOT
     * EXISTS holds a share lock on its table, against every writer of any
     * node, until the end of the transaction that makes every table) */
    if (rc == DAOC_OK)
        rc = daoc_config_set(a->cfg, "create_tables", "off", err);
    if (rc == DAOC_OK)
        rc = daoc__adm_app_new(&a->app, first, a->cfg, err);
    if (rc == DAOC_OK)
        a->app->loglevel = &a->loglevel;
    if (rc == DAOC_OK)
        rc = daoc__adm_cache_start(a->app, a->cfg, first, err);
    const char *listen = rc == DAOC_OK ? daoc_config_get(a->cfg, "admin_listen") : NULL;
    /* two threads per CPU (bench_admin: GET by id +25% over one per CPU
     * on 2 CPUs, while a thread waits on its socket or the database file
     * another runs); on PostgreSQL, where a thread mostly waits for the
     * server, one per pooled connection when there are more */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = ncpu > 0 && ncpu < 32 ? 2 * (unsigned)ncpu : 4;
    if (rc == DAOC_OK && strcmp(daoc_config_get(a->cfg, "database"), "postgres") == 0) {
        long pool = strtol(daoc_config_get(a->cfg, "pg_pool_size"), NULL, 10);
        if (pool > (long)threads && pool <= 64)
            threads = (unsigned)pool;
    }
    for (const char *item = listen; rc == DAOC_OK && item && *item && strcmp(item, "off") != 0;) {
        size_t n = strcspn(item, ",");
        struct sockaddr_storage ss;
        socklen_t sl = 0;
        if (a->nd == MAX_LISTENERS || !parse_listener(item, n, &ss, &sl)) {
            rc = daoc__err_fail(err, DAOC_ECONFIG, "admin_listen: cannot listen on '%.*s'", (int)n,
                                item);
            break;
        }
        bool tls = has_ssl(item, n);
        if (tls && (rc = tls_files(a, err)) != DAOC_OK)
            break;
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
                         MHD_USE_ITC | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) |
                         (tls ? MHD_USE_TLS : 0);
        struct MHD_OptionItem tls_opts[] = {
            {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, a->tls_key},
            {MHD_OPTION_HTTPS_MEM_CERT, 0, a->tls_cert},
            {MHD_OPTION_END, 0, NULL}};
        struct MHD_Daemon *d = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, a, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
            MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)80 * 1024, MHD_OPTION_CONNECTION_LIMIT,
            (unsigned)1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, a, MHD_OPTION_UNESCAPE_CALLBACK,
            no_unescape, NULL, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_ARRAY,
            tls_opts, MHD_OPTION_END);
        if (!d) {
            rc = daoc__err_fail(err, DAOC_EIO,
                                "admin_listen: cannot listen on '%.*s' (in use, or not an "
                                "address of this host)",
                                (int)n, item);
            break;
        }
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        a->port[a->nd] = info ? (int)info->port : 0;
        a->d[a->nd++] = d;
        item += n + (item[n] == ',');
    }
    if (first) { /* this thread's handle is not a server thread's: the app keeps no db */
        daoc_db_close(first);
    }
    if (rc != DAOC_OK) {
        release(a, keyed);
        return rc;
    }
    *out = a;
    return DAOC_OK;
}

int daoc_admin_port(const daoc_admin *a, size_t i)
{
    return a && i < a->nd ? a->port[i] : -1;
}

size_t daoc_admin_listeners(const daoc_admin *a)
{
    return a ? a->nd : 0;
}

void daoc_admin_stop(daoc_admin *a, int grace_ms)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nd; i++) {
        MHD_socket s = MHD_quiesce_daemon(a->d[i]);
        if (s != MHD_INVALID_SOCKET)
            close(s);
    }
    for (int waited = 0; waited < grace_ms && atomic_load(&a->inflight) > 0; waited += 5) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    release(a, true);
}
