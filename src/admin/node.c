/*
 * node.c -- Kong's routes about the node rather than its entities:
 *   GET  /debug/node/log-level          {"message": "log level: <level>"}
 *   PUT  /debug/node/log-level/:level   the server's log level for
 *        ?timeout= seconds (default 60; loglevel.c): 200 "log level
 *        changed" or "log level is already <level>", 400 "unknown log
 *        level: <level>" and "timeout must be greater than or equal to 0"
 *   GET|POST /config   400: daoc always has a database, and Kong answers
 *        this DB-less route so on a node that has one
 *   GET  /timers       Kong's shape; the server runs no timer
 *   GET  /status/dns   501, as Kong answers without its new DNS client:
 *        daoc resolves no name
 *   GET  /schemas/vaults/:name   a vault's schema; 404 "No vault named ..."
 *   PUT  /debug/cluster/log-level/:level   the same, then broadcast to the
 *        other nodes on channel "log_level" as Kong's cluster_events does
 *        ({"log_level": <nginx's number>, "timeout": s}); each node applies
 *        what it hears (daoc__adm_cluster_log_level).  500 "failed
 *        broadcasting to cluster: ..." without a reader or a database.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"

static const char *const LEVELS[] = {"debug", "info",  "notice", "warn",
                                     "error", "crit", "alert",  "emerg"};


static int current_level(daoc__adm_app *app)
{
    return app->loglevel ? daoc__adm_loglevel_get(app->loglevel) : 2;
}

/* ?timeout= or the body's timeout, as Kong's self.params gives it. */
static const daoc_value *timeout_arg(const daoc__adm_req *req, const daoc_value *q,
                                     daoc_value **body)
{
    const daoc_value *t = daoc_obj_get(q, "timeout");
    if (!t && req->body_len) {
        daoc__adm_res scratch;
        memset(&scratch, 0, sizeof scratch);
        if (daoc__adm_body(req, NULL, NULL, false, body, &scratch))
            t = daoc_obj_get(*body, "timeout");
        daoc__adm_res_free(&scratch);
    }
    return t;
}

/* nginx's numbers for Kong's levels (ngx.DEBUG = 8 ... ngx.EMERG = 1) */
static int ngx_level(int index) { return 8 - index; }

/* Broadcasts the change to the other nodes: false with res set. */
static bool broadcast(daoc__adm_app *app, int level, double timeout, daoc__adm_res *res)
{
    daoc__buf data = DAOC__BUF_INIT, msg = DAOC__BUF_INIT;
    daoc__buf_printf(&data, "{\"log_level\":%d,\"timeout\":%.0f}", ngx_level(level), timeout);
    daoc_error *err = NULL;
    int rc = data.failed ? DAOC_ENOMEM
             : app->cluster ? daoc_cluster_broadcast(app->cluster, "log_level", data.data, 0, &err)
                            : DAOC_EINVAL;
    if (rc != DAOC_OK) {
        daoc__buf_printf(&msg, "failed broadcasting to cluster: %s",
                         err ? daoc_error_message(err)
                         : app->cluster ? daoc_strerror(rc)
                                        : "no cluster events reader");
        daoc__adm_message(res, 500, msg.failed ? "failed broadcasting to cluster" : msg.data);
    }
    daoc_error_free(err);
    daoc__buf_free(&data);
    daoc__buf_free(&msg);
    return rc == DAOC_OK;
}

void daoc__adm_cluster_log_level(void *ud, const char *channel, const char *data)
{
    daoc__adm_app *app = ud;
    (void)channel;
    daoc_value *v = NULL;
    if (!app->loglevel || daoc_json_decode(data, strlen(data), &v, NULL) != DAOC_OK)
        return;
    const daoc_value *l = daoc_obj_get(v, "log_level"), *t = daoc_obj_get(v, "timeout");
    double n = l ? daoc_value_num(l) : 0, timeout = t ? daoc_value_num(t) : 60;
    int index = 8 - (int)n;
    if (l && n == (int)n && index >= 0 && index <= 7 && timeout >= 0 && timeout == timeout)
        daoc__adm_loglevel_set(app->loglevel, index,
                               timeout > 1e9 ? 1000000000 : (int64_t)timeout);
    daoc_value_free(v);
}

static void put_log_level(daoc__adm_app *app, const daoc__adm_req *req, const daoc__adm_route *r,
                          const daoc_value *q, bool cluster, daoc__adm_res *res)
{
    const char *name = r->seg[3];
    int level = daoc_log_level_index(name);
    daoc__buf msg = DAOC__BUF_INIT;
    daoc_value *body = NULL;
    const daoc_value *t = timeout_arg(req, q, &body);
    double timeout = 60;
    if (t && daoc_value_type(t) == DAOC_TSTR) {
        char *end = NULL;
        double d = strtod(daoc_value_str(t, NULL), &end);
        if (end && end != daoc_value_str(t, NULL) && *end == '\0' && d == d)
            timeout = d; /* Kong: tonumber(timeout) or 60 */
    } else if (t && (daoc_value_type(t) == DAOC_TINT || daoc_value_type(t) == DAOC_TNUM)) {
        timeout = daoc_value_num(t);
    }
    timeout = ceil(timeout);
    if (level < 0) {
        daoc__buf_printf(&msg, "unknown log level: %s", name);
        daoc__adm_message(res, 400, msg.failed ? "unknown log level" : msg.data);
    } else if (timeout < 0) {
        daoc__adm_message(res, 400, "timeout must be greater than or equal to 0");
    } else if (!app->loglevel) {
        daoc__adm_message(res, 500, "failed setting log level: no server to set it on");
    } else if (current_level(app) == level) {
        daoc__buf_printf(&msg, "log level is already %s", name);
        daoc__adm_message(res, 200, msg.failed ? "log level unchanged" : msg.data);
    } else {
        daoc__adm_loglevel_set(app->loglevel, level, timeout > 1e9 ? 1000000000 : (int64_t)timeout);
        if (!cluster || broadcast(app, level, timeout, res))
            daoc__adm_message(res, 200, "log level changed");
    }
    daoc__buf_free(&msg);
    daoc_value_free(body);
}

static int set(daoc_value *o, const char *k, daoc_value *v)
{
    return daoc_obj_set(o, k, v);
}

static void timers(daoc__adm_res *res)
{
    daoc_value *o = daoc_obj(), *worker = daoc_obj(), *stats = daoc_obj(), *sys = daoc_obj(),
               *flame = daoc_obj();
    int rc = o && worker && stats && sys && flame ? DAOC_OK : DAOC_ENOMEM;
    static const char *const counts[] = {"running", "pending", "waiting", "total", "runs"};
    for (size_t i = 0; rc == DAOC_OK && i < sizeof counts / sizeof counts[0]; i++)
        rc = set(sys, counts[i], daoc_int(0));
    static const char *const graphs[] = {"running", "pending", "elapsed_time"};
    for (size_t i = 0; rc == DAOC_OK && i < sizeof graphs / sizeof graphs[0]; i++)
        rc = set(flame, graphs[i], daoc_str(""));
    if (rc == DAOC_OK && (rc = set(worker, "id", daoc_int(0))) == DAOC_OK)
        rc = set(worker, "count", daoc_int(1));
    if (rc == DAOC_OK && (rc = set(stats, "sys", sys)) == DAOC_OK) {
        sys = NULL;
        if ((rc = set(stats, "timers", daoc_obj())) == DAOC_OK)
            rc = set(stats, "flamegraph", flame);
        flame = NULL;
    }
    if (rc == DAOC_OK) {
        rc = set(o, "worker", worker);
        worker = NULL;
        if (rc == DAOC_OK)
            rc = set(o, "stats", stats);
        stats = NULL;
    }
    if (rc == DAOC_OK)
        daoc__adm_json(res, 200, o);
    else
        daoc__adm_oom(res);
    daoc_value_free(o);
    daoc_value_free(worker);
    daoc_value_free(stats);
    daoc_value_free(sys);
    daoc_value_free(flame);
}

static void vault_schema(daoc_db *db, const daoc__adm_route *r, daoc__adm_res *res)
{
    daoc_dao *vaults = daoc_db_dao(db, "vaults");
    daoc_value *sub = vaults ? daoc_dao_subschema(vaults, r->seg[2]) : NULL;
    if (sub) {
        daoc__adm_json(res, 200, sub);
    } else {
        daoc__buf msg = DAOC__BUF_INIT;
        daoc__buf_printf(&msg, "No vault named '%s'", r->seg[2]);
        daoc__adm_message(res, 404, msg.failed ? "Not found" : msg.data);
        daoc__buf_free(&msg);
    }
    daoc_value_free(sub);
}

void daoc__adm_node(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req, unsigned method,
                    const daoc__adm_route *r, const daoc_value *query, daoc__adm_res *res)
{
    (void)method;
    switch (r->kind) {
    case DAOC__R_LOG_LEVEL: {
        daoc__buf msg = DAOC__BUF_INIT;
        daoc__buf_printf(&msg, "log level: %s", LEVELS[current_level(app) & 7]);
        daoc__adm_message(res, 200, msg.failed ? "log level: notice" : msg.data);
        daoc__buf_free(&msg);
        break;
    }
    case DAOC__R_LOG_LEVEL_SET:
    case DAOC__R_CLUSTER_LOG_LEVEL:
        put_log_level(app, req, r, query, r->kind == DAOC__R_CLUSTER_LOG_LEVEL, res);
        break;
    case DAOC__R_CONFIG:
        daoc__adm_message(res, 400, "this endpoint is only available when Kong is configured "
                                    "to not use a database");
        break;
    case DAOC__R_TIMERS:
        timers(res);
        break;
    case DAOC__R_STATUS_DNS:
        daoc__adm_message(res, 501, "not implemented with the legacy DNS client");
        break;
    default: /* DAOC__R_VAULT_SCHEMA */
        vault_schema(db, r, res);
        break;
    }
}
