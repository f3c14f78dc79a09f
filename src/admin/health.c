/*
 * health.c -- Kong's health routes of an upstream's targets
 * (kong/api/routes/upstreams.lua), for a node that balances nothing:
 *   GET /upstreams/:u/health   the upstream's targets page, each with
 *       `health` and `data` (its addresses, resolved now), and node_id;
 *       ?balancer_health=1 answers the upstream's own health instead
 *   PUT /upstreams/:u/targets/:t[/:address]/healthy|unhealthy   204: the
 *       target (all its addresses, or the one given) marked so on this
 *       node; 404 for an upstream or a target (id, or host:port within the
 *       upstream) not found; 400 "no healthchecker found for <name>" when
 *       the upstream's health checks are off, as Kong answers.
 * A target's health is Kong's: HEALTHCHECKS_OFF when the upstream checks
 * nothing (no active interval, no passive failure threshold) or its weight
 * is 0, DNS_ERROR when its name does not resolve, else HEALTHY when one of
 * its addresses is (an address is healthy until marked otherwise), else
 * UNHEALTHY.  daoc runs no health check: the marks are the only source,
 * kept per process and, as Kong's targets:post_health does, told to the
 * other nodes on channel "balancer:post_health" as
 * "<hostname>|<ip or empty>|<port>|<1|0>|<upstream id>|<upstream name>";
 * what a node hears it marks too (daoc__adm_cluster_post_health).
 */
#include <netdb.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "admin/admin.h"
#include "core/alloc.h"
#include "core/rand.h"

typedef struct mark {
    char *key; /* "<upstream id> <target>" or "<upstream id> <target> <ip>:<port>" */
    bool healthy;
} mark;

struct daoc__adm_health {
    pthread_mutex_t lock;
    mark *marks;
    size_t n, cap;
};

int daoc__adm_health_new(daoc__adm_app *app)
{
    app->health = daoc__calloc(1, sizeof *app->health);
    if (!app->health)
        return DAOC_ENOMEM;
    pthread_mutex_init(&app->health->lock, NULL);
    return DAOC_OK;
}

void daoc__adm_health_free(daoc__adm_app *app)
{
    struct daoc__adm_health *h = app->health;
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        daoc__free(h->marks[i].key);
    daoc__free(h->marks);
    pthread_mutex_destroy(&h->lock);
    daoc__free(h);
    app->health = NULL;
}

/* -1 unmarked, 0 unhealthy, 1 healthy. */
static int marked(struct daoc__adm_health *h, const char *key)
{
    int v = -1;
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->n && v < 0; i++)
        if (strcmp(h->marks[i].key, key) == 0)
            v = h->marks[i].healthy;
    pthread_mutex_unlock(&h->lock);
    return v;
}

/* Marks key; a mark of the whole target (no address) drops its
 * addresses' marks, as Kong's set_all_target_statuses_for_hostname. */
static int mark_set(struct daoc__adm_health *h, const char *key, bool whole, bool healthy)
{
    size_t kn = strlen(key);
    int rc = DAOC_OK;
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->n;) {
        if (whole && strncmp(h->marks[i].key, key, kn) == 0 && h->marks[i].key[kn] == ' ') {
            daoc__free(h->marks[i].key);
            h->marks[i] = h->marks[--h->n];
            continue;
        }
        i++;
    }
    size_t i = 0;
    while (i < h->n && strcmp(h->marks[i].key, key) != 0)
        i++;
    if (i == h->n) {
        if (h->n == h->cap) {
            size_t cap = h->cap ? 2 * h->cap : 16;
            mark *m = daoc__realloc(h->marks, cap * sizeof *m);
            if (!m)
                rc = DAOC_ENOMEM;
            else
                h->marks = m, h->cap = cap;
        }
        if (rc == DAOC_OK && !(h->marks[i].key = daoc__strdup(key)))
            rc = DAOC_ENOMEM;
        if (rc == DAOC_OK)
            h->n++;
    }
    if (rc == DAOC_OK)
        h->marks[i].healthy = healthy;
    pthread_mutex_unlock(&h->lock);
    return rc;
}


static double num_at(const daoc_value *v, const char *const *path, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        v = daoc_value_type(v) == DAOC_TOBJ ? daoc_obj_get(v, path[i]) : NULL;
    return v && (daoc_value_type(v) == DAOC_TINT || daoc_value_type(v) == DAOC_TNUM)
               ? daoc_value_num(v)
               : 0;
}

/* Kong's is_upstream_using_healthcheck. */
static bool using_hc(const daoc_value *u)
{
    static const char *const p[][4] = {{"healthchecks", "active", "healthy", "interval"},
                                       {"healthchecks", "active", "unhealthy", "interval"},
                                       {"healthchecks", "passive", "unhealthy", "tcp_failures"},
                                       {"healthchecks", "passive", "unhealthy", "timeouts"},
                                       {"healthchecks", "passive", "unhealthy", "http_failures"}};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        if (num_at(u, p[i], 4) != 0)
            return true;
    return false;
}

/* The entity of dao addressed by s: a UUID is its id, anything else the
 * value of `by` (NULL: none).  DAOC_OK with *out NULL when absent. */
static int addressed(daoc_dao *dao, const char *by, const char *s, size_t n, daoc_value **out,
                     daoc_error **err)
{
    *out = NULL;
    daoc_value *key = NULL;
    int rc;
    if (daoc__is_uuid(s, n)) {
        key = daoc_obj();
        rc = key ? daoc_obj_set(key, "id", daoc_strn(s, n)) : DAOC_ENOMEM;
        if (rc == DAOC_OK)
            rc = daoc_dao_select(dao, key, NULL, out, err);
    } else if (by) {
        key = daoc_strn(s, n);
        rc = key ? daoc_dao_select_by(dao, by, key, NULL, out, err) : DAOC_ENOMEM;
    } else {
        rc = DAOC_OK;
    }
    daoc_value_free(key);
    return rc;
}

static const char *str_of(const daoc_value *o, const char *k)
{
    const daoc_value *v = o ? daoc_obj_get(o, k) : NULL;
    return v && daoc_value_type(v) == DAOC_TSTR ? daoc_value_str(v, NULL) : NULL;
}

static const char *fk_id(const daoc_value *o, const char *k)
{
    const daoc_value *v = o ? daoc_obj_get(o, k) : NULL;
    return v && daoc_value_type(v) == DAOC_TOBJ ? str_of(v, "id") : NULL;
}

/* The upstream :u, or a 404 / error answered (NULL). */
static daoc_value *upstream_of(daoc_db *db, const daoc__adm_route *r, daoc__adm_res *res)
{
    daoc_dao *ups = daoc_db_dao(db, "upstreams");
    daoc_value *u = NULL;
    daoc_error *err = NULL;
    int rc = ups ? addressed(ups, "name", r->seg[1], r->seglen[1], &u, &err) : DAOC_OK;
    if (rc != DAOC_OK)
        daoc__adm_dao_error(res, rc, err);
    else if (!u)
        daoc__adm_message(res, 404, "Not found");
    daoc_error_free(err);
    return u;
}

/* The target :t of upstream u: by id, else the upstream's target whose
 * `target` is :t (compared as stored, host:port), else NULL with 404. */
static daoc_value *target_of(daoc_db *db, const daoc_value *u, const daoc__adm_route *r,
                             daoc__adm_res *res)
{
    daoc_dao *targets = daoc_db_dao(db, "targets");
    daoc_value *t = NULL;
    daoc_error *err = NULL;
    const char *uid = str_of(u, "id");
    int rc = DAOC_OK;
    if (targets && daoc__is_uuid(r->seg[3], r->seglen[3])) {
        rc = addressed(targets, NULL, r->seg[3], r->seglen[3], &t, &err);
    } else if (targets && uid) {
        daoc_value *fk = daoc_obj(), *rows = NULL;
        char *next = NULL;
        rc = fk ? daoc_obj_set(fk, "id", daoc_str(uid)) : DAOC_ENOMEM;
        /* every page: an upstream's targets are few */
        do {
            char *offset = next;
            next = NULL;
            daoc_value_free(rows);
            rows = NULL;
            if (rc == DAOC_OK)
                rc = daoc_dao_page_for(targets, "upstream", fk, 1000, offset, NULL, &rows, &next,
                                       &err);
            daoc_free(offset);
            for (size_t i = 0; rc == DAOC_OK && !t && i < daoc_value_len(rows); i++) {
                const daoc_value *row = daoc_arr_get(rows, i);
                const char *ts = str_of(row, "target");
                size_t tl = ts ? strlen(ts) : 0;
                /* Kong compares as given; a target without its port is
                 * the default port's (8000) */
                if (ts && ((tl == r->seglen[3] && memcmp(ts, r->seg[3], tl) == 0) ||
                           (tl == r->seglen[3] + 5 && memcmp(ts, r->seg[3], r->seglen[3]) == 0 &&
                            strcmp(ts + r->seglen[3], ":8000") == 0)))
                    t = daoc_value_copy(row);
            }
        } while (rc == DAOC_OK && !t && next);
        daoc_free(next);
        daoc_value_free(rows);
        daoc_value_free(fk);
    }
    const char *tu = fk_id(t, "upstream");
    if (rc != DAOC_OK) {
        daoc__adm_dao_error(res, rc, err);
    } else if (!t || !tu || !uid || strcmp(tu, uid) != 0) {
        daoc__adm_message(res, 404, "Not found");
        daoc_value_free(t);
        t = NULL;
    }
    daoc_error_free(err);
    return t;
}

/* ---- a target's addresses ------------------------------------------------- */

/* host and port of "host:port" / "[v6]:port" / "host" (port 8000). */
static bool split_target(const char *t, char *host, size_t hsize, int *port)
{
    const char *colon = NULL;
    const char *h = t;
    size_t hl;
    if (t[0] == '[') {
        const char *close = strchr(t, ']');
        if (!close)
            return false;
        h = t + 1;
        hl = (size_t)(close - h);
        colon = close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = strrchr(t, ':');
        if (colon && strchr(t, ':') != colon) /* a bare IPv6 address */
            colon = NULL;
        hl = colon ? (size_t)(colon - t) : strlen(t);
    }
    if (hl == 0 || hl >= hsize)
        return false;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = colon ? atoi(colon + 1) : 8000;
    return true;
}

/* The addresses a host resolves to now (an address as itself), as
 * strings, deduplicated; NULL when it does not resolve. */
static daoc_value *resolve(const char *host)
{
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
        return NULL;
    daoc_value *list = daoc_arr();
    for (struct addrinfo *p = ai; list && p; p = p->ai_next) {
        char buf[INET6_ADDRSTRLEN];
        const void *a = p->ai_family == AF_INET
                            ? (const void *)&((struct sockaddr_in *)(void *)p->ai_addr)->sin_addr
                            : (const void *)&((struct sockaddr_in6 *)(void *)p->ai_addr)->sin6_addr;
        if ((p->ai_family != AF_INET && p->ai_family != AF_INET6) ||
            !inet_ntop(p->ai_family, a, buf, sizeof buf))
            continue;
        bool seen = false;
        for (size_t i = 0; !seen && i < daoc_value_len(list); i++)
            seen = strcmp(daoc_value_str(daoc_arr_get(list, i), NULL), buf) == 0;
        if (!seen && daoc_arr_push(list, daoc_str(buf)) != DAOC_OK) {
            daoc_value_free(list);
            list = NULL;
        }
    }
    freeaddrinfo(ai);
    return list;
}

typedef struct weights {
    double total, available;
} weights;

/* Kong's {total, available, unavailable} of a balancer's weights into wo. */
static int put_weights(daoc_value *wo, double total, double available)
{
    int rc = daoc_obj_set(wo, "total", daoc_num(total));
    if (rc == DAOC_OK)
        rc = daoc_obj_set(wo, "available", daoc_num(available));
    return rc == DAOC_OK ? daoc_obj_set(wo, "unavailable", daoc_num(total - available)) : rc;
}

/* Adds `health` and `data` to target t (of upstream uid). */
static int with_health(struct daoc__adm_health *h, const char *uid, bool hc, daoc_value *t,
                       weights *sum)
{
    const char *ts = str_of(t, "target");
    const daoc_value *wv = daoc_obj_get(t, "weight");
    double w = wv && (daoc_value_type(wv) == DAOC_TINT || daoc_value_type(wv) == DAOC_TNUM)
                   ? daoc_value_num(wv)
                   : 0;
    char host[256];
    int port = 0;
    daoc_value *ips = ts && split_target(ts, host, sizeof host, &port) ? resolve(host) : NULL;
    if (!ips || daoc_value_len(ips) == 0) {
        daoc_value_free(ips);
        return daoc_obj_set(t, "health", daoc_str("DNS_ERROR"));
    }
    bool check = hc && w > 0, any_healthy = false;
    daoc__buf key = DAOC__BUF_INIT;
    daoc__buf_printf(&key, "%s %s", uid, ts);
    int whole = key.failed ? -1 : marked(h, key.data);
    daoc_value *data = daoc_obj(), *addrs = daoc_arr(), *wo = daoc_obj();
    int rc = data && addrs && wo && !key.failed ? DAOC_OK : DAOC_ENOMEM;
    double avail = 0, total = 0;
    for (size_t i = 0; rc == DAOC_OK && i < daoc_value_len(ips); i++) {
        const char *ip = daoc_value_str(daoc_arr_get(ips, i), NULL);
        daoc__buf ak = DAOC__BUF_INIT;
        daoc__buf_printf(&ak, "%s %s %s:%d", uid, ts, ip, port);
        int m = ak.failed ? -1 : marked(h, ak.data);
        daoc__buf_free(&ak);
        bool healthy = m >= 0 ? m == 1 : whole != 0;
        const char *health = !check ? "HEALTHCHECKS_OFF" : healthy ? "HEALTHY" : "UNHEALTHY";
        any_healthy = any_healthy || healthy;
        total += w;
        if (!check || healthy)
            avail += w;
        daoc_value *a = daoc_obj();
        rc = a ? DAOC_OK : DAOC_ENOMEM;
        if (rc == DAOC_OK && (rc = daoc_obj_set(a, "ip", daoc_str(ip))) == DAOC_OK &&
            (rc = daoc_obj_set(a, "port", daoc_int(port))) == DAOC_OK &&
            (rc = daoc_obj_set(a, "weight", daoc_num(w))) == DAOC_OK)
            rc = daoc_obj_set(a, "health", daoc_str(health));
        if (rc == DAOC_OK)
            rc = daoc_arr_push(addrs, a);
        else
            daoc_value_free(a);
    }
    daoc__buf_free(&key);
    daoc_value_free(ips);
    sum->total += total;
    sum->available += avail;
    if (rc == DAOC_OK)
        rc = put_weights(wo, total, avail);
    if (rc == DAOC_OK && (rc = daoc_obj_set(data, "host", daoc_str(host))) == DAOC_OK &&
        (rc = daoc_obj_set(data, "port", daoc_int(port))) == DAOC_OK &&
        (rc = daoc_obj_set(data, "nodeWeight", daoc_num(w))) == DAOC_OK) {
        rc = daoc_obj_set(data, "weight", wo);
        wo = NULL;
        if (rc == DAOC_OK)
            rc = daoc_obj_set(data, "addresses", addrs);
        addrs = NULL;
    }
    if (rc == DAOC_OK)
        rc = daoc_obj_set(t, "health", daoc_str(!check            ? "HEALTHCHECKS_OFF"
                                                : any_healthy     ? "HEALTHY"
                                                                  : "UNHEALTHY"));
    if (rc == DAOC_OK) {
        rc = daoc_obj_set(t, "data", data);
        data = NULL;
    }
    daoc_value_free(data);
    daoc_value_free(addrs);
    daoc_value_free(wo);
    return rc;
}

/* ---- the routes --------------------------------------------------------------- */

static int put_common(daoc_value *o, const daoc__adm_app *app)
{
    return daoc_obj_set(o, "node_id", daoc_str(app->node_id));
}

static void health_page(daoc__adm_app *app, daoc_db *db, const daoc__adm_route *r,
                        const daoc_value *q, daoc__adm_res *res)
{
    daoc_value *u = upstream_of(db, r, res);
    if (!u)
        return;
    const char *uid = str_of(u, "id");
    bool hc = using_hc(u);
    const daoc_value *bh = daoc_obj_get(q, "balancer_health");
    bool balancer = bh && daoc_value_type(bh) == DAOC_TSTR && strcmp(daoc_value_str(bh, NULL), "1") == 0;
    int64_t size = 0;
    if (!daoc__adm_size_arg(q, &size, res)) {
        daoc_value_free(u);
        return;
    }
    const daoc_value *ov = balancer ? NULL : daoc_obj_get(q, "offset");
    const char *offset = ov && daoc_value_type(ov) == DAOC_TSTR ? daoc_value_str(ov, NULL) : NULL;
    daoc_dao *targets = daoc_db_dao(db, "targets");
    daoc_value *fk = daoc_obj(), *rows = NULL, *out = daoc_obj();
    char *next = NULL;
    daoc_error *err = NULL;
    int rc = fk && out && targets && uid ? daoc_obj_set(fk, "id", daoc_str(uid)) : DAOC_ENOMEM;
    weights sum = {0, 0};
    /* the balancer's health weighs every target; the page only its own */
    bool first = true;
    do {
        char *cur = next;
        next = NULL;
        if (rc == DAOC_OK) {
            daoc_value_free(rows);
            rows = NULL;
            rc = daoc_dao_page_for(targets, "upstream", fk, balancer ? 1000 : size,
                                   balancer ? cur : (first ? offset : NULL), NULL, &rows, &next,
                                   &err);
        }
        daoc_free(cur);
        first = false;
        for (size_t i = 0; rc == DAOC_OK && i < daoc_value_len(rows); i++)
            rc = with_health(app->health, uid, hc, (daoc_value *)daoc_arr_get(rows, i), &sum);
    } while (rc == DAOC_OK && balancer && next);
    if (rc != DAOC_OK && err) {
        daoc__adm_dao_error(res, rc, err);
    } else if (rc != DAOC_OK) {
        daoc__adm_oom(res);
    } else if (balancer) {
        /* Kong: healthy while the available weight is above the
         * upstream's healthchecks.threshold (percent) */
        static const char *const thr[] = {"healthchecks", "threshold"};
        double threshold = num_at(u, thr, 2);
        bool healthy = sum.total > 0 && sum.available * 100 >= threshold * sum.total &&
                       sum.available > 0;
        daoc_value *data = daoc_obj(), *details = daoc_obj(), *wo = daoc_obj();
        rc = data && details && wo ? DAOC_OK : DAOC_ENOMEM;
        if (rc == DAOC_OK)
            rc = put_weights(wo, sum.total, sum.available);
        if (rc == DAOC_OK && (rc = daoc_obj_set(details, "healthy", daoc_bool(healthy))) == DAOC_OK)
            rc = daoc_obj_set(details, "weight", wo);
        wo = NULL;
        const char *bhs = healthy ? "HEALTHY" : "UNHEALTHY";
        if (rc == DAOC_OK &&
            (rc = daoc_obj_set(data, "health", daoc_str(hc ? bhs : "HEALTHCHECKS_OFF"))) == DAOC_OK &&
            (rc = daoc_obj_set(data, "balancer_health", daoc_str(bhs))) == DAOC_OK &&
            (rc = daoc_obj_set(data, "id", daoc_str(uid))) == DAOC_OK)
            rc = daoc_obj_set(data, "details", details);
        details = NULL;
        if (rc == DAOC_OK) {
            rc = daoc_obj_set(out, "data", data);
            data = NULL;
        }
        if (rc == DAOC_OK && (rc = daoc_obj_set(out, "next", daoc_null())) == DAOC_OK)
            rc = put_common(out, app);
        daoc_value_free(data);
        daoc_value_free(details);
        daoc_value_free(wo);
        if (rc == DAOC_OK)
            daoc__adm_json(res, 200, out);
        else
            daoc__adm_oom(res);
    } else {
        daoc__buf link = DAOC__BUF_INIT;
        if (next) {
            daoc__buf_puts(&link, "/upstreams/");
            daoc__buf_append(&link, r->raw[1], r->rawlen[1]);
            daoc__buf_puts(&link, "/health?offset=");
            daoc__adm_escape_uri(&link, next, strlen(next));
        }
        rc = daoc_obj_set(out, "data", rows);
        rows = NULL;
        if (rc == DAOC_OK && next)
            rc = daoc_obj_set(out, "offset", daoc_str(next));
        if (rc == DAOC_OK)
            rc = daoc_obj_set(out, "next", next && !link.failed ? daoc_str(link.data) : daoc_null());
        if (rc == DAOC_OK)
            rc = put_common(out, app);
        if (rc == DAOC_OK)
            daoc__adm_json(res, 200, out);
        else
            daoc__adm_oom(res);
        daoc__buf_free(&link);
    }
    daoc_free(next);
    daoc_error_free(err);
    daoc_value_free(rows);
    daoc_value_free(fk);
    daoc_value_free(out);
    daoc_value_free(u);
}

/* Kong's packet of a mark, broadcast (best effort, as Kong's): target ts,
 * and the address ip:port marked, or ip NULL for the whole target. */
static void tell_cluster(daoc__adm_app *app, const char *ts, const char *ip, int aport,
                         bool healthy, const char *uid, const char *uname)
{
    char host[256];
    int port = 0;
    if (!split_target(ts, host, sizeof host, &port))
        return;
    if (ip)
        port = aport;
    daoc__buf p = DAOC__BUF_INIT;
    bool v6 = strchr(host, ':') != NULL; /* Kong's format_host: [v6] */
    daoc__buf_printf(&p, "%s%s%s|%s|%d|%d|%s|%s", v6 ? "[" : "", host, v6 ? "]" : "",
                     ip ? ip : "", port, healthy ? 1 : 0, uid, uname ? uname : "");
    if (!p.failed) {
        daoc_error *err = NULL;
        if (daoc_cluster_broadcast(app->cluster, "balancer:post_health", p.data, 0, &err) !=
            DAOC_OK)
            daoc_error_free(err);
    }
    daoc__buf_free(&p);
}

int daoc__adm_health_packet(const char *data, char *key, size_t size, bool *whole,
                            bool *healthy)
{
    const char *f[6];
    size_t len[6];
    const char *p = data;
    for (int i = 0; i < 6; i++) {
        const char *bar = i < 5 ? strchr(p, '|') : p + strlen(p);
        if (!bar)
            return -1;
        f[i] = p;
        len[i] = (size_t)(bar - p);
        p = bar + 1;
    }
    char digits[8];
    if (len[2] == 0 || len[2] >= sizeof digits || strspn(f[2], "0123456789") < len[2])
        return -1;
    memcpy(digits, f[2], len[2]);
    digits[len[2]] = '\0';
    int port = atoi(digits);
    if (len[0] == 0 || len[4] == 0 || port <= 0 || port > 65535 || len[3] != 1 ||
        (f[3][0] != '0' && f[3][0] != '1'))
        return -1;
    static const int named[] = {0, 1, 4}; /* parts of the key: no blank in them */
    for (int i = 0; i < 3; i++)
        if (memchr(f[named[i]], ' ', len[named[i]]))
            return -1;
    /* the target is "<hostname>:<port>" (an address's mark is consulted
     * with the target's own port only: with_health) */
    int n = len[1] ? snprintf(key, size, "%.*s %.*s:%d %.*s:%d", (int)len[4], f[4], (int)len[0],
                              f[0], port, (int)len[1], f[1], port)
                   : snprintf(key, size, "%.*s %.*s:%d", (int)len[4], f[4], (int)len[0], f[0],
                              port);
    if (n < 0 || (size_t)n >= size)
        return -1;
    *whole = len[1] == 0;
    *healthy = f[3][0] == '1';
    return 0;
}

void daoc__adm_cluster_post_health(void *ud, const char *channel, const char *data)
{
    daoc__adm_app *app = ud;
    (void)channel;
    char key[1024];
    bool whole = false, healthy = false;
    if (app->health && daoc__adm_health_packet(data, key, sizeof key, &whole, &healthy) == 0)
        (void)mark_set(app->health, key, whole, healthy);
}

static void set_health(daoc__adm_app *app, daoc_db *db, const daoc__adm_route *r,
                       daoc__adm_res *res)
{
    bool healthy = strcmp(r->seg[r->nseg - 1], "healthy") == 0;
    daoc_value *u = upstream_of(db, r, res);
    daoc_value *t = u ? target_of(db, u, r, res) : NULL;
    if (!t) {
        daoc_value_free(u);
        return;
    }
    const char *uid = str_of(u, "id"), *ts = str_of(t, "target");
    daoc__buf key = DAOC__BUF_INIT, msg = DAOC__BUF_INIT;
    char host[256];
    int port = 0;
    if (!using_hc(u)) {
        daoc__buf_printf(&msg, "no healthchecker found for %s", str_of(u, "name"));
        daoc__adm_message(res, 400, msg.failed ? "no healthchecker found" : msg.data);
    } else if (r->nseg == 6 && !split_target(r->seg[4], host, sizeof host, &port)) {
        daoc__buf_printf(&msg, "invalid address: %s", r->seg[4]);
        daoc__adm_message(res, 400, msg.failed ? "invalid address" : msg.data);
    } else {
        daoc__buf_printf(&key, "%s %s", uid, ts);
        char norm[INET6_ADDRSTRLEN] = "";
        if (r->nseg == 6) { /* one address: ip[:port], the port 8000 by default */
            unsigned char bin[16];
            bool v6 = strchr(host, ':') != NULL;
            if (inet_pton(v6 ? AF_INET6 : AF_INET, host, bin) != 1) {
                daoc__buf_printf(&msg, "invalid address: %s", r->seg[4]);
            } else {
                inet_ntop(v6 ? AF_INET6 : AF_INET, bin, norm, sizeof norm);
                daoc__buf_printf(&key, " %s:%d", norm, port);
            }
        }
        if (msg.data && !msg.failed)
            daoc__adm_message(res, 400, msg.data);
        else if (key.failed || mark_set(app->health, key.data, r->nseg == 5, healthy) != DAOC_OK)
            daoc__adm_oom(res);
        else
            res->status = 204;
        if (res->status == 204 && app->cluster)
            tell_cluster(app, ts, r->nseg == 6 ? norm : NULL, port, healthy, uid,
                         str_of(u, "name"));
    }
    daoc__buf_free(&key);
    daoc__buf_free(&msg);
    daoc_value_free(t);
    daoc_value_free(u);
}

void daoc__adm_health(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req, unsigned method,
                      const daoc__adm_route *r, const daoc_value *query, daoc__adm_res *res)
{
    (void)req;
    (void)method;
    if (!app->health)
        daoc__adm_oom(res);
    else if (r->kind == DAOC__R_UPSTREAM_HEALTH)
        health_page(app, db, r, query, res);
    else
        set_health(app, db, r, res);
}
