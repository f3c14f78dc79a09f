/*
 * admin.h -- the Admin API without its transport: one HTTP request as
 * plain data in, one response as plain data out, answered from the
 * schemas of an open database the way Kong's Admin API answers
 * (docs/admin-api.md).  The HTTP server (server.c) and the tests and
 * fuzz targets drive the same daoc__adm_handle, so everything a client
 * can reach is reachable without a socket.
 *
 * The layer sits above db and uses only the public API (include/daoc.h)
 * and core: it knows entities through daoc_dao_schema() alone.
 *
 *   app.c     the route table, built once from the loaded schemas
 *   route.c   a request path to a route (percent-decoded segments)
 *   handle.c  the request cycle: auth, CORS, OPTIONS, 404/405, dispatch
 *   crud.c    the generated entity endpoints
 *   info.c    /, /status, /endpoints, /schemas, /plugins/enabled
 *   openapi.c /openapi.json, from the route table
 *   body.c    request bodies and query strings to values (args.c, multipart.c)
 *   reply.c   response bodies: entities, pages, Kong's error shapes
 *   plugin.c  a plugin's own routes (its api.lua), run in Lua through
 *             the public API, and the generated endpoints they call back
 *   server.c  libmicrohttpd, a database handle per thread, shutdown
 */
#ifndef DAOC_ADMIN_ADMIN_H
#define DAOC_ADMIN_ADMIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "daoc.h"

/* The most segments a path may have (deeper paths match nothing). */
#define DAOC__ADM_MAX_SEGS 6

/* HTTP methods as bits (route masks). */
enum {
    DAOC__M_GET = 1 << 0,
    DAOC__M_HEAD = 1 << 1,
    DAOC__M_POST = 1 << 2,
    DAOC__M_PUT = 1 << 3,
    DAOC__M_PATCH = 1 << 4,
    DAOC__M_DELETE = 1 << 5,
    DAOC__M_OPTIONS = 1 << 6,
    DAOC__M_OTHER = 1 << 7
};

/* One foreign field of an entity: field name and the entity it references
 * (index into app->ents). */
typedef struct daoc__adm_fk {
    char *field;
    size_t ref;
} daoc__adm_fk;

/* What the Admin API needs of one entity, read from its schema. */
typedef struct daoc__adm_entity {
    char *name;                /* the DAO's name: kong.db.<name> */
    char *coll;                /* admin_api_name or name: /<coll> */
    char *nested;              /* admin_api_nested_name or coll: /<parent>/:p/<nested> */
    char *endpoint_key;        /* or NULL */
    const char *endpoint_type; /* its field's type ("string", "integer", ...) */
    char *pk;                  /* the single primary key field, or NULL (composite) */
    bool generate;             /* generate_admin_api ~= false */
    bool has_tags, ttl;
    daoc__adm_fk *fks;
    size_t nfks;
    daoc_value *schema;       /* a copy of daoc_dao_schema() */
    const daoc_value *fields; /* schema's "fields" (borrowed from schema) */
} daoc__adm_entity;

/* One route of a plugin's api.lua (daoc_db_plugin_api_routes), its path
 * split: a segment is a literal or, with param set, a parameter's name. */
typedef struct daoc__adm_proute {
    size_t index; /* the route's number for daoc_db_plugin_api_call */
    char *path;   /* as the plugin wrote it */
    char *plugin;
    char *schema;   /* the entity a 1.x+ route names, or NULL */
    bool before;    /* a `before` handler runs first */
    bool new_style; /* a 1.x+ module: handlers get parent() */
    unsigned methods; /* the methods it has a handler for */
    size_t nseg;
    char *seg[DAOC__ADM_MAX_SEGS];
    bool param[DAOC__ADM_MAX_SEGS];
} daoc__adm_proute;

/* The server's log level (loglevel.c). */
typedef struct daoc__adm_loglevel {
    daoc_log_fn fn; /* the embedder's, or NULL */
    void *ud;
    int base;                /* the configured level (daoc_log_level_index) */
    _Atomic uint64_t state;  /* the level now, and until when (loglevel.c) */
} daoc__adm_loglevel;

void daoc__adm_loglevel_init(daoc__adm_loglevel *l, daoc_log_fn fn, void *ud, const char *level);
/* The level now (0 debug .. 7 emerg). */
int daoc__adm_loglevel_get(daoc__adm_loglevel *l);
/* Level `level` for timeout_s seconds (0: until the next change). */
void daoc__adm_loglevel_set(daoc__adm_loglevel *l, int level, int64_t timeout_s);
/* node.c: a daoc_cluster_fn for channel "log_level" (ud: the app): another
 * node's PUT /debug/cluster/log-level, {"log_level": <nginx level>,
 * "timeout": s}, applied here. */
void daoc__adm_cluster_log_level(void *ud, const char *channel, const char *data);
/* health.c: a daoc_cluster_fn for "balancer:post_health" (ud: the app):
 * another node's target mark, marked here too. */
void daoc__adm_cluster_post_health(void *ud, const char *channel, const char *data);
/* The mark key of a post_health packet into key[size], *whole (no
 * address) and *healthy: 0, or -1 for a packet that is not one. */
int daoc__adm_health_packet(const char *data, char *key, size_t size, bool *whole,
                            bool *healthy);
/* A daoc_log_fn for a daoc__adm_loglevel *ud. */
void daoc__adm_log(void *ud, daoc_log_level lvl, const char *msg);

/* The server's shared, read-only state (after daoc__adm_app_new) plus
 * atomic counters. */
typedef struct daoc__adm_app {
    daoc__adm_entity *ents;
    size_t n;
    daoc_value *plugins;   /* array of the enabled plugins' names */
    daoc_value *endpoints; /* the sorted route patterns of /endpoints */
    char node_id[37];
    char hostname[256];
    char *token;               /* admin_token, or NULL */
    char *gui_origin;          /* the origin of admin_gui_url, or NULL */
    daoc_value *configuration; /* the sanitized configuration of GET / */
    size_t max_body;           /* bytes */
    daoc__adm_loglevel *loglevel; /* the server's (borrowed), or NULL without one */
    struct daoc__adm_health *health; /* targets marked (un)healthy (health.c) */
    daoc_cache *cache;     /* the server's (cache.c), or NULL without a server */
    daoc_cluster *cluster; /* its reader of the cluster events, or NULL */
    daoc__adm_proute *proutes; /* the plugins' own routes */
    size_t nproutes;
    atomic_uint_fast64_t total_requests, accepted, active, reading, writing;
} daoc__adm_app;

/* Builds the route table from db's entities and cfg.  *out owned by the
 * caller (daoc__adm_app_free).  DAOC_OK, DAOC_ENOMEM, DAOC_ECONFIG with
 * *err. */
int daoc__adm_app_new(daoc__adm_app **out, daoc_db *db, const daoc_config *cfg, daoc_error **err);
void daoc__adm_app_free(daoc__adm_app *app);
/* The definition of field `name` in a schema's fields array, or NULL. */
const daoc_value *daoc__adm_field(const daoc_value *fields, const char *name);
/* The entity named `name` (DAO name) or NULL. */
const daoc__adm_entity *daoc__adm_entity_named(const daoc__adm_app *app, const char *name);

/* One request, all borrowed.  path: as sent, percent-encoded, without the
 * query; query: the text after '?', or NULL. */
typedef struct daoc__adm_req {
    const char *method;
    const char *path;
    const char *query;
    const char *content_type; /* the Content-Type header, or NULL */
    int content_types;        /* how many Content-Type headers came */
    const char *origin;       /* Origin, or NULL */
    const char *acrh;         /* Access-Control-Request-Headers, or NULL */
    const char *authorization;
    const char *if_match;      /* If-Match, or NULL */
    const char *if_none_match; /* If-None-Match, or NULL */
    const char *body;
    size_t body_len;
    const daoc_value *body_value; /* the body already decoded (a plugin route's
                                     call of a generated endpoint), or NULL */
    const char *host;             /* Host, or NULL */
    bool tls;                     /* came over HTTPS */
    /* all request headers into obj ({lower-case name: value}), for plugin
     * routes; NULL when the transport has none to give */
    int (*headers)(void *ctx, daoc_value *obj);
    void *headers_ctx;
} daoc__adm_req;

#define DAOC__ADM_MAX_HEADERS 12

/* One response.  body is JSON unless content_type says otherwise; names
 * and values of headers are static or owned by hbuf. */
typedef struct daoc__adm_res {
    int status;
    daoc__buf body;
    const char *content_type;
    size_t nheaders;
    const char *hname[DAOC__ADM_MAX_HEADERS];
    char *hval[DAOC__ADM_MAX_HEADERS]; /* owned */
    char *hown[DAOC__ADM_MAX_HEADERS]; /* hname[i] when owned, else NULL */
} daoc__adm_res;

void daoc__adm_res_free(daoc__adm_res *res);
/* Adds a header (value copied); a no-op past DAOC__ADM_MAX_HEADERS. */
void daoc__adm_res_header(daoc__adm_res *res, const char *name, const char *value);
/* The same with the name copied too (a name a plugin's handler chose). */
void daoc__adm_res_header_dup(daoc__adm_res *res, const char *name, const char *value);

/* Answers req from db (a handle of this thread) into res (zeroed first).
 * Never fails: what goes wrong is the response (500 at worst). */
void daoc__adm_handle(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req,
                      daoc__adm_res *res);

/* ---- routes (route.c) ---------------------------------------------------- */

typedef enum daoc__adm_kind {
    DAOC__R_NONE = 0,
    DAOC__R_ROOT,
    DAOC__R_STATUS,
    DAOC__R_ENDPOINTS,
    DAOC__R_SCHEMA,          /* /schemas/:name */
    DAOC__R_SCHEMA_VALIDATE, /* /schemas/:name/validate */
    DAOC__R_PLUGIN_SCHEMA,   /* /schemas/plugins/:name */
    DAOC__R_PLUGIN_VALIDATE, /* /schemas/plugins/validate */
    DAOC__R_PLUGIN_CONFIG,   /* /plugins/schema/:name (Kong's deprecated form) */
    DAOC__R_PLUGINS_ENABLED, /* /plugins/enabled */
    DAOC__R_TAGS,            /* /tags */
    DAOC__R_TAG,             /* /tags/:tag */
    DAOC__R_OPENAPI,         /* /openapi.json */
    DAOC__R_LOG_LEVEL,       /* /debug/node/log-level (node.c) */
    DAOC__R_LOG_LEVEL_SET,   /* /debug/node/log-level/:level */
    DAOC__R_CLUSTER_LOG_LEVEL, /* /debug/cluster/log-level/:level (node.c) */
    DAOC__R_CONFIG,          /* /config */
    DAOC__R_TIMERS,          /* /timers */
    DAOC__R_STATUS_DNS,      /* /status/dns */
    DAOC__R_VAULT_SCHEMA,    /* /schemas/vaults/:name */
    DAOC__R_UPSTREAM_HEALTH, /* /upstreams/:u/health (health.c) */
    DAOC__R_TARGET_HEALTH,   /* /upstreams/:u/targets/:t[/:address]/(un)healthy */
    DAOC__R_CACHE,           /* /cache, /cache/:key (cache.c) */
    DAOC__R_COLL,            /* /S */
    DAOC__R_ENTITY,          /* /S/:s */
    DAOC__R_FOREIGN,         /* /S/:s/F */
    DAOC__R_NESTED_COLL,     /* /P/:p/S */
    DAOC__R_NESTED_ENTITY,   /* /P/:p/S/:s */
    DAOC__R_PLUGIN           /* a plugin's own route, no generated one */
} daoc__adm_kind;

typedef struct daoc__adm_route {
    daoc__adm_kind kind;
    unsigned methods;              /* allowed, HEAD and OPTIONS included */
    size_t ent;                    /* S (COLL, ENTITY, FOREIGN; the child of NESTED_*) */
    size_t parent;                 /* P of NESTED_* */
    const char *fk;                /* FOREIGN: the field; NESTED_*: S's field referencing P */
    char *seg[DAOC__ADM_MAX_SEGS]; /* decoded segments (owned) */
    size_t seglen[DAOC__ADM_MAX_SEGS];
    size_t nseg;
    const char *param; /* the :s (ENTITY, FOREIGN, NESTED_ENTITY) */
    size_t param_len;
    const char *pparam; /* the :p of NESTED_* (decoded) */
    size_t pparam_len;
    const char *raw_pparam; /* :p as sent (next links) */
    size_t raw_pparam_len;
    const char *raw[DAOC__ADM_MAX_SEGS]; /* the segments as sent */
    size_t rawlen[DAOC__ADM_MAX_SEGS];
    const daoc__adm_proute *plugin; /* a plugin's route of this path, or NULL;
                                       with another kind, it overrides that
                                       route (same shape) */
} daoc__adm_route;

/* Matches a percent-encoded path.  DAOC_OK with r->kind (DAOC__R_NONE:
 * no route), DAOC_ENOMEM.  A trailing slash is ignored. */
int daoc__adm_route_match(const daoc__adm_app *app, const char *path, daoc__adm_route *r);
void daoc__adm_route_free(daoc__adm_route *r);
/* The DAOC__M_* bit of a method name (DAOC__M_OTHER when none; handle.c). */
unsigned daoc__adm_method_bit(const char *m);
/* "GET, HEAD, OPTIONS, POST": the methods of a mask, sorted, into buf. */
void daoc__adm_methods_text(unsigned methods, char *buf, size_t size);

/* ---- replies (reply.c) ----------------------------------------------------- */

/* {"message": msg} with status. */
void daoc__adm_message(daoc__adm_res *res, int status, const char *msg);
/* Kong's 500 {"message":"An unexpected error occurred"}. */
void daoc__adm_oom(daoc__adm_res *res);
/* value as the body, with status; a value that cannot be encoded is 500. */
void daoc__adm_json(daoc__adm_res *res, int status, const daoc_value *v);
/* A DAO failure (rc, err) as Kong's handle_error answers it: the error
 * object with 400/404/405/409, or 500 {"message":"An unexpected error
 * occurred"}. */
void daoc__adm_dao_error(daoc__adm_res *res, int rc, const daoc_error *err);
/* Kong's error body of a code the Admin API makes itself (size, offset,
 * options): {"code", "name", "message"} with 400. */
void daoc__adm_kong_error(daoc__adm_res *res, int code, const char *name, const char *message);
/* ?size= of a page (crud.c): *size 0 when absent, else 1..1000; false
 * with Kong's code 9 answer in res ("size must be a number", "size must
 * be an integer between 1 and 1000"). */
bool daoc__adm_size_arg(const daoc_value *q, int64_t *size, daoc__adm_res *res);
/* Appends s to b percent-encoded as ngx.escape_uri encodes it. */
void daoc__adm_escape_uri(daoc__buf *b, const char *s, size_t n);

/* ---- request arguments (body.c) ---------------------------------------------- */

/* The query string as a value ({"size": "3", "tags": "a,b"}; a key given
 * without '=' is true), or a 400 "Too many arguments" into res (returns
 * false then). */
bool daoc__adm_query(const daoc__adm_req *req, daoc_value **out, daoc__adm_res *res);
/* The request body as a value, decoded by its content type and, for forms,
 * inferred with the fields of dao's entity and, when the form names one
 * (plugins: name=rate-limiting), else sub_name (a PATCH: the stored
 * entity's), of the subschema it selects.  false with the response (400,
 * 415) set when it cannot be read.  An empty body is {}. */
bool daoc__adm_body(const daoc__adm_req *req, daoc_dao *dao, const char *sub_name, bool allow_maps,
                    daoc_value **out, daoc__adm_res *res);

/* ---- handlers ------------------------------------------------------------------ */

void daoc__adm_crud(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req, unsigned method,
                    const daoc__adm_route *r, const daoc_value *query, daoc__adm_res *res);
void daoc__adm_info(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req, unsigned method,
                    const daoc__adm_route *r, const daoc_value *query, daoc__adm_res *res);
/* node.c: /debug/node/log-level, /config, /timers, /status/dns,
 * /schemas/vaults/:name. */
void daoc__adm_node(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req, unsigned method,
                    const daoc__adm_route *r, const daoc_value *query, daoc__adm_res *res);
/* health.c: /upstreams/:u/health and the targets' (un)healthy. */
void daoc__adm_health(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req, unsigned method,
                      const daoc__adm_route *r, const daoc_value *query, daoc__adm_res *res);
int daoc__adm_health_new(daoc__adm_app *app);
/* cache.c: the server's cache and cluster events reader (a failed reader
 * is logged: the cache stays local), warmed up through `first` (joined to
 * them; db_cache_warmup_entities), each handle joined to them, their end
 * (after the handles closed), /cache routes and /status's "cache". */
int daoc__adm_cache_start(daoc__adm_app *app, const daoc_config *cfg, daoc_db *first,
                          daoc_error **err);
void daoc__adm_cache_attach(daoc__adm_app *app, daoc_db *db);
void daoc__adm_cache_stop(daoc__adm_app *app);
void daoc__adm_cache_route(daoc__adm_app *app, unsigned method, const daoc__adm_route *r,
                           daoc__adm_res *res);
int daoc__adm_cache_status(const daoc__adm_app *app, daoc_value *status);
void daoc__adm_health_free(daoc__adm_app *app);
/* A request a plugin's route answers (plugin.c): whether it does (the
 * route's plugin handles method m), and the answer. */
bool daoc__adm_plugin_handles(const daoc__adm_route *r, unsigned m);
void daoc__adm_plugin(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req, unsigned m,
                      const daoc__adm_route *r, const daoc_value *query, daoc__adm_res *res);
/* app.c: the plugins' routes of db into app (DAOC_ELUA with *err when a
 * module fails to load). */
int daoc__adm_plugin_routes(daoc__adm_app *app, daoc_db *db, daoc_error **err);
void daoc__adm_proutes_free(daoc__adm_app *app);

/* certificates.c: a certificate addressed by an sni's name (Kong's
 * routes/certificates.lua).  For a certificate route whose :param (or
 * parent :p) is not a UUID: 1 with r's param pointing at id (the
 * certificate's, or a new one for a PUT) and *body, when not NULL, the
 * body to use instead of the one sent (owned); -1 with res answered (404
 * "SNI not found", an error); 0 when the route is none of those. */
int daoc__adm_cert_prepare(const daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req,
                           unsigned m, daoc__adm_route *r, char id[37], daoc_value **body,
                           daoc__adm_res *res);
/* After a GET of one certificate answered 200: its snis' names added. */
void daoc__adm_cert_names(const daoc__adm_app *app, daoc_db *db, const daoc__adm_route *r,
                          unsigned m, daoc__adm_res *res);

/* GET /openapi.json (openapi.c). */
void daoc__adm_openapi(const daoc__adm_app *app, daoc__adm_res *res);

#endif
