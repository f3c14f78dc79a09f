/*
 * plugin.c -- a plugin's own Admin API routes (kong.plugins.<p>.api), as
 * Kong mounts them: the route table's plugin routes (loaded by
 * daoc__adm_plugin_routes from daoc_db_plugin_api_routes), and one request
 * they answer, run in the database handle's Lua state through
 * daoc_db_plugin_api_call.  The handler sees the path parameters as sent,
 * the query, and for POST, PUT and PATCH the body decoded as the
 * generated routes decode it (JSON as it is, forms nested and converted
 * with the route's schema when it names one).  When it asks for a
 * generated endpoint (parent(), kong.api.endpoints), generated() below
 * builds that route from the names it gives and the parameters as the
 * handler left them (a `before` may rewrite self.params, as acl's does),
 * and answers it through crud.c, the request's decoded body standing in
 * for the one sent.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin/admin.h"
#include "admin/args.h"
#include "core/alloc.h"

/* The text of v, NULL when v is absent or not a string. */
static const char *text(const daoc_value *v)
{
    return v ? daoc_value_str(v, NULL) : NULL;
}

/* ---- the route table ------------------------------------------------------- */

void daoc__adm_proutes_free(daoc__adm_app *app)
{
    for (size_t i = 0; i < app->nproutes; i++) {
        daoc__adm_proute *p = &app->proutes[i];
        daoc__free(p->path);
        daoc__free(p->plugin);
        daoc__free(p->schema);
        for (size_t s = 0; s < p->nseg; s++)
            daoc__free(p->seg[s]);
    }
    daoc__free(app->proutes);
    app->proutes = NULL;
    app->nproutes = 0;
}

/* Splits a lapis path ("/consumers/:consumers/acls/") into p; false for a
 * path deeper than the router matches. */
static bool split(daoc__adm_proute *p, const char *path)
{
    const char *s = path;
    while (*s == '/')
        s++;
    while (*s) {
        size_t n = strcspn(s, "/");
        if (p->nseg == DAOC__ADM_MAX_SEGS)
            return false;
        bool param = s[0] == ':';
        p->param[p->nseg] = param;
        p->seg[p->nseg] = daoc__strndup(s + param, n - param);
        if (!p->seg[p->nseg])
            return false;
        p->nseg++;
        s += n;
        while (*s == '/')
            s++;
    }
    return true;
}

int daoc__adm_plugin_routes(daoc__adm_app *app, daoc_db *db, daoc_error **err)
{
    daoc_value *routes = NULL;
    int rc = daoc_db_plugin_api_routes(db, &routes, err);
    if (rc != DAOC_OK)
        return rc;
    size_t n = daoc_value_len(routes);
    app->proutes = daoc__calloc(n ? n : 1, sizeof *app->proutes);
    if (!app->proutes) {
        daoc_value_free(routes);
        return DAOC_ENOMEM;
    }
    for (size_t i = 0; rc == DAOC_OK && i < n; i++) {
        const daoc_value *r = daoc_arr_get(routes, i);
        daoc__adm_proute *p = &app->proutes[app->nproutes];
        const char *path = text(daoc_obj_get(r, "path"));
        const char *plugin = text(daoc_obj_get(r, "plugin"));
        const char *schema = text(daoc_obj_get(r, "schema"));
        const char *style = text(daoc_obj_get(r, "style"));
        const daoc_value *methods = daoc_obj_get(r, "methods");
        p->index = i;
        p->before = daoc_value_bool(daoc_obj_get(r, "before"));
        p->new_style = style && strcmp(style, "new") == 0;
        for (size_t m = 0; m < daoc_value_len(methods); m++)
            p->methods |= daoc__adm_method_bit(text(daoc_arr_get(methods, m))) & ~DAOC__M_OTHER;
        p->path = daoc__strdup(path ? path : "");
        p->plugin = daoc__strdup(plugin ? plugin : "");
        p->schema = schema ? daoc__strdup(schema) : NULL;
        app->nproutes++;
        if (!p->path || !p->plugin || (schema && !p->schema))
            rc = DAOC_ENOMEM;
        else if (!split(p, path ? path : ""))
            p->nseg = 0, p->methods = 0; /* too deep: never matches */
    }
    daoc_value_free(routes);
    return rc;
}

/* ---- one request ----------------------------------------------------------------- */

bool daoc__adm_plugin_handles(const daoc__adm_route *r, unsigned m)
{
    const daoc__adm_proute *p = r->plugin;
    if (!p)
        return false;
    if (r->kind == DAOC__R_PLUGIN)
        return true;
    unsigned as = m == DAOC__M_HEAD ? DAOC__M_GET : m;
    return (p->methods & (m | as)) || (p->before && p->new_style);
}

typedef struct gen_ctx {
    daoc__adm_app *app;
    daoc_db *db;
    const daoc__adm_req *req;
    const daoc__adm_route *r;
    unsigned m;
} gen_ctx;

/* params[name] decoded into r's next segment; *out the text (NULL when
 * absent or not a string). */
static int param(daoc__adm_route *r, const daoc_value *params, const char *name, const char **out,
                 size_t *len, const char **raw, size_t *rawlen)
{
    *out = NULL;
    const daoc_value *v = params ? daoc_obj_get(params, name) : NULL;
    if (v && daoc_value_type(v) == DAOC_TOBJ) /* { id = ... } */
        v = daoc_obj_get(v, "id");
    size_t n = 0;
    const char *s = v && daoc_value_type(v) == DAOC_TSTR ? daoc_value_str(v, &n) : NULL;
    if (!s || r->nseg == DAOC__ADM_MAX_SEGS)
        return DAOC_OK;
    char *d = daoc__pct_decode(s, n, false, &r->seglen[r->nseg]);
    if (!d)
        return DAOC_ENOMEM;
    r->seg[r->nseg] = d;
    *out = d;
    *len = r->seglen[r->nseg];
    if (raw) {
        *raw = s;
        *rawlen = n;
    }
    r->nseg++;
    return DAOC_OK;
}

static const char *str_of(const daoc_value *call, const char *key)
{
    return text(daoc_obj_get(call, key));
}

static size_t ent_index(const daoc__adm_app *app, const char *name, bool *found)
{
    const daoc__adm_entity *e = name ? daoc__adm_entity_named(app, name) : NULL;
    *found = e != NULL;
    return e ? (size_t)(e - app->ents) : 0;
}

/* The foreign field `field` of entity e when it references entity ref. */
static const char *fk_to(const daoc__adm_app *app, size_t e, const char *field, size_t ref)
{
    const daoc__adm_entity *c = &app->ents[e];
    for (size_t i = 0; field && i < c->nfks; i++)
        if (c->fks[i].ref == ref && strcmp(c->fks[i].field, field) == 0)
            return c->fks[i].field;
    return NULL;
}

/* The generated route call names, into rr; false when it names none.
 * With a foreign schema, Kong's helpers name the child and the parent in
 * either order (1.x's get_entity_endpoint(credentials, consumers,
 * "consumer") is /key-auths/:k/consumer; 3.x's nested entity endpoint
 * passes the parent first): the one holding `field` is the child. */
static bool target(const gen_ctx *g, const daoc_value *call, daoc__adm_route *rr, int *rc)
{
    const char *kind = str_of(call, "kind");
    const daoc_value *params = daoc_obj_get(call, "params");
    const daoc__adm_app *app = g->app;
    bool ok = true, pok = true;
    *rc = DAOC_OK;
    if (!kind)
        return false;
    if (strcmp(kind, "parent") == 0) {
        if (g->r->kind == DAOC__R_PLUGIN || g->r->kind < DAOC__R_COLL)
            return false;
        rr->kind = g->r->kind;
        rr->ent = g->r->ent;
        rr->parent = g->r->parent;
        rr->fk = g->r->fk;
    } else {
        size_t s = ent_index(app, str_of(call, "schema"), &ok);
        size_t f = ent_index(app, str_of(call, "foreign_schema"), &pok);
        const char *field = str_of(call, "field");
        bool collection = strcmp(kind, "collection") == 0 || strcmp(kind, "nested_collection") == 0;
        if (!ok)
            return false;
        if (!pok || !field) {
            rr->kind = collection ? DAOC__R_COLL : DAOC__R_ENTITY;
            rr->ent = s;
        } else if (collection) { /* /P/:p/S: schema the child */
            rr->kind = DAOC__R_NESTED_COLL, rr->ent = s, rr->parent = f;
            if (!(rr->fk = fk_to(app, s, field, f)))
                return false;
        } else if ((rr->fk = fk_to(app, s, field, f))) { /* /S/:s/F */
            rr->kind = DAOC__R_FOREIGN, rr->ent = s;
        } else if ((rr->fk = fk_to(app, f, field, s))) { /* /P/:p/S/:s */
            rr->kind = DAOC__R_NESTED_ENTITY, rr->ent = f, rr->parent = s;
        } else {
            return false;
        }
    }
    const daoc__adm_entity *e = &app->ents[rr->ent];
    if (rr->kind == DAOC__R_NESTED_COLL || rr->kind == DAOC__R_NESTED_ENTITY)
        *rc = param(rr, params, app->ents[rr->parent].name, &rr->pparam, &rr->pparam_len,
                    &rr->raw_pparam, &rr->raw_pparam_len);
    if (*rc == DAOC_OK && rr->kind != DAOC__R_COLL && rr->kind != DAOC__R_NESTED_COLL)
        *rc = param(rr, params, e->name, &rr->param, &rr->param_len, NULL, NULL);
    if (*rc == DAOC_OK && rr->kind == DAOC__R_NESTED_COLL && !rr->pparam)
        return false;
    if (*rc == DAOC_OK && rr->kind == DAOC__R_NESTED_ENTITY && (!rr->pparam || !rr->param))
        return false;
    if (*rc == DAOC_OK && (rr->kind == DAOC__R_ENTITY || rr->kind == DAOC__R_FOREIGN) && !rr->param)
        return false;
    return true;
}

static int reply_of(daoc__adm_res *res, daoc_api_reply *reply)
{
    reply->status = res->status;
    size_t n = 0;
    reply->body = res->status == 204 ? NULL : daoc__buf_take(&res->body, &n);
    reply->body_len = reply->body ? n : 0;
    reply->headers = daoc_obj();
    if (!reply->headers)
        return DAOC_ENOMEM;
    if (reply->body && res->content_type &&
        daoc_obj_set(reply->headers, "Content-Type", daoc_str(res->content_type)) != DAOC_OK)
        return DAOC_ENOMEM;
    for (size_t i = 0; i < res->nheaders; i++) {
        const char *h = res->hname[i];
        if (strncasecmp(h, "Access-Control-", 15) == 0 || strcasecmp(h, "Vary") == 0 ||
            strcasecmp(h, "X-Kong-Admin-Request-ID") == 0)
            continue; /* the outer answer has them */
        if (daoc_obj_set(reply->headers, h, daoc_str(res->hval[i])) != DAOC_OK)
            return DAOC_ENOMEM;
    }
    return DAOC_OK;
}

/* daoc_api_generated_fn: a generated endpoint for the handler. */
static int generated(void *ud, const daoc_value *call, daoc_api_reply *reply)
{
    const gen_ctx *g = ud;
    daoc__adm_route rr;
    memset(&rr, 0, sizeof rr);
    daoc__adm_res res;
    memset(&res, 0, sizeof res);
    res.content_type = "application/json; charset=utf-8";
    int rc = DAOC_OK;
    const char *mname = str_of(call, "method");
    unsigned m = daoc__adm_method_bit(mname);
    if (m == DAOC__M_HEAD || m == DAOC__M_OTHER)
        m = m == DAOC__M_HEAD ? DAOC__M_GET : g->m;
    if (!target(g, call, &rr, &rc)) {
        if (rc == DAOC_OK)
            daoc__adm_message(&res, 405, "Method not allowed");
    } else {
        daoc__adm_req req = *g->req;
        const daoc_value *post = daoc_obj_get(call, "post");
        daoc_value *empty = NULL;
        if (!post || daoc_value_type(post) != DAOC_TOBJ)
            post = empty = daoc_obj();
        req.body_value = post;
        const daoc_value *uri = daoc_obj_get(call, "uri");
        if (post)
            daoc__adm_crud(g->app, g->db, &req, m, &rr, uri, &res);
        else
            rc = DAOC_ENOMEM;
        daoc_value_free(empty);
    }
    daoc__adm_route_free(&rr);
    if (rc == DAOC_OK)
        rc = reply_of(&res, reply);
    daoc__adm_res_free(&res);
    return rc;
}

/* The request as daoc_db_plugin_api_call takes it; false with res set. */
static bool request_of(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req, unsigned m,
                       const daoc__adm_route *r, const daoc_value *query, daoc__adm_res *res,
                       daoc_value **out)
{
    const daoc__adm_proute *p = r->plugin;
    daoc_value *o = daoc_obj(), *params = daoc_obj(), *headers = daoc_obj(), *post = NULL;
    bool ok = o && params && headers;
    for (size_t i = 0; ok && i < p->nseg && i < r->nseg; i++)
        if (p->param[i])
            ok = daoc_obj_set(params, p->seg[i], daoc_strn(r->raw[i], r->rawlen[i])) == DAOC_OK;
    if (ok && req->headers)
        ok = req->headers(req->headers_ctx, headers) == DAOC_OK;
    bool json = false;
    if (ok && (m == DAOC__M_POST || m == DAOC__M_PUT || m == DAOC__M_PATCH)) {
        daoc_dao *dao = p->schema ? daoc_db_dao(db, p->schema) : NULL;
        if (!daoc__adm_body(req, dao, NULL, false, &post, res)) {
            daoc_value_free(o);
            daoc_value_free(params);
            daoc_value_free(headers);
            return false;
        }
        const char *ct = req->content_type;
        json = ct && strncasecmp(ct, "application/json", 16) == 0;
    } else if (ok) {
        ok = (post = daoc_obj()) != NULL;
    }
    const char *host = req->host ? req->host : "localhost";
    const char *colon = strrchr(host, ':');
    bool v6 = host[0] == '[' && (!colon || colon < strchr(host, ']'));
    size_t hostlen = colon && !v6 ? (size_t)(colon - host) : strlen(host);
    int64_t port = colon && !v6 ? (int64_t)strtol(colon + 1, NULL, 10) : (req->tls ? 443 : 80);
    static const char *const names[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
    const char *mname = "GET";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (m == 1u << i)
            mname = names[i];
    ok = ok && daoc_obj_set(o, "method", daoc_str(mname)) == DAOC_OK &&
         daoc_obj_set(o, "path", daoc_str(req->path)) == DAOC_OK &&
         daoc_obj_set(o, "pattern", daoc_str(p->path)) == DAOC_OK &&
         daoc_obj_set(o, "params", params) == DAOC_OK;
    if (!ok)
        daoc_value_free(params);
    ok = ok && daoc_obj_set(o, "headers", headers) == DAOC_OK;
    if (!ok)
        daoc_value_free(headers);
    ok = ok && daoc_obj_set(o, "post", post) == DAOC_OK;
    if (!ok)
        daoc_value_free(post);
    ok = ok && daoc_obj_set(o, "uri", query ? daoc_value_copy(query) : daoc_obj()) == DAOC_OK &&
         daoc_obj_set(o, "json", daoc_bool(json)) == DAOC_OK &&
         daoc_obj_set(o, "host", daoc_strn(host, hostlen)) == DAOC_OK &&
         daoc_obj_set(o, "port", daoc_int(port)) == DAOC_OK &&
         daoc_obj_set(o, "scheme", daoc_str(req->tls ? "https" : "http")) == DAOC_OK &&
         daoc_obj_set(o, "query", daoc_str(req->query ? req->query : "")) == DAOC_OK &&
         daoc_obj_set(o, "has_parent", daoc_bool(r->kind != DAOC__R_PLUGIN)) == DAOC_OK;
    (void)app;
    if (!ok) {
        daoc_value_free(o);
        daoc__adm_message(res, 500, "An unexpected error occurred");
        return false;
    }
    *out = o;
    return true;
}

void daoc__adm_plugin(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req, unsigned m,
                      const daoc__adm_route *r, const daoc_value *query, daoc__adm_res *res)
{
    daoc_value *request = NULL;
    if (!request_of(app, db, req, m, r, query, res, &request))
        return;
    gen_ctx g = {app, db, req, r, m};
    daoc_api_reply reply;
    daoc_error *err = NULL;
    int rc = daoc_db_plugin_api_call(db, r->plugin->index, request, generated, &g, &reply, &err);
    daoc_value_free(request);
    daoc_error_free(err);
    if (rc != DAOC_OK) {
        daoc_api_reply_free(&reply);
        daoc__adm_message(res, 500, "An unexpected error occurred");
        return;
    }
    daoc__buf_reset(&res->body);
    res->status = reply.status ? reply.status : 200;
    res->content_type = "application/json";
    if (reply.body)
        daoc__buf_append(&res->body, reply.body, reply.body_len);
    for (size_t i = 0; reply.headers && i < daoc_value_len(reply.headers); i++) {
        const daoc_value *v = NULL;
        const char *k = daoc_obj_key_at(reply.headers, i, &v);
        const char *s = text(v);
        if (!k || !s)
            continue;
        if (strcasecmp(k, "Content-Type") == 0) {
            daoc__adm_res_header(res, "Content-Type", s);
            res->content_type = NULL;
        } else {
            daoc__adm_res_header_dup(res, k, s);
        }
    }
    daoc_api_reply_free(&reply);
}
