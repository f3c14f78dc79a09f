/*
 * handle.c -- one Admin API request, start to end, as Kong's lapis app
 * runs it: CORS headers on every answer (Access-Control-Allow-Origin: the
 * admin_gui_url's origin when set, else the request's Origin, else *),
 * the admin_token check (401 unless "Authorization: Bearer <token>",
 * compared in constant time; preflight OPTIONS needs none), the route
 * (404 {"message":"Not found"}), OPTIONS (204 with Allow and the CORS
 * method and header lists), a method the route lacks (405 {"message":
 * "Method not allowed"}), the query string (400 past 1000 arguments),
 * then the handler.  HEAD runs as GET; the transport sends no body.
 * Beyond Kong: every answer carries X-Kong-Admin-Request-ID (the node id's
 * first 8 hex digits and a counter), and an entity answered with 200
 * carries an ETag, a hash of its JSON: If-None-Match on a GET that matches
 * answers 304, and If-Match on a PUT, PATCH or DELETE of an entity answers
 * 412 {"message":"Precondition failed"} unless the entity's current ETag
 * matches, the check and the write in one transaction (no lost update).
 * A method a plugin's own route handles goes to plugin.c instead.
 */
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin.h"

unsigned daoc__adm_method_bit(const char *m)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"GET", DAOC__M_GET},        {"HEAD", DAOC__M_HEAD},   {"POST", DAOC__M_POST},
                 {"PUT", DAOC__M_PUT},        {"PATCH", DAOC__M_PATCH}, {"DELETE", DAOC__M_DELETE},
                 {"OPTIONS", DAOC__M_OPTIONS}};
    for (size_t i = 0; m && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(m, names[i].name) == 0)
            return names[i].bit;
    return DAOC__M_OTHER;
}

/* SHA-256 of both sides, compared with CRYPTO_memcmp: the time taken says
 * nothing about the token, its length included. */
static bool token_ok(const char *token, const char *authorization)
{
    static const char bearer[] = "Bearer ";
    if (!authorization || strncmp(authorization, bearer, sizeof bearer - 1) != 0)
        return false;
    const char *given = authorization + sizeof bearer - 1;
    unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
    unsigned int na = 0, nb = 0;
    if (!EVP_Digest(token, strlen(token), a, &na, EVP_sha256(), NULL) ||
        !EVP_Digest(given, strlen(given), b, &nb, EVP_sha256(), NULL) || na != nb)
        return false;
    return CRYPTO_memcmp(a, b, na) == 0;
}

static void cors(const daoc__adm_app *app, const daoc__adm_req *req, daoc__adm_res *res)
{
    const char *origin = app->gui_origin ? app->gui_origin : req->origin ? req->origin : "*";
    daoc__adm_res_header(res, "Access-Control-Allow-Origin", origin);
    daoc__adm_res_header(res, "Access-Control-Allow-Credentials", "true");
    if (app->gui_origin)
        daoc__adm_res_header(res, "Vary", "Origin");
}

/* W/"<first 16 bytes of SHA-256 of the body, hex>" into out[40]. */
static bool etag_of(const daoc__buf *body, char out[40])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!body->data || !EVP_Digest(body->data, body->len, md, &n, EVP_sha256(), NULL) || n < 16)
        return false;
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    *p++ = 'W', *p++ = '/', *p++ = '"';
    for (int i = 0; i < 16; i++) {
        *p++ = hex[md[i] >> 4];
        *p++ = hex[md[i] & 15];
    }
    *p++ = '"';
    *p = '\0';
    return true;
}

/* Does an If-Match / If-None-Match list name tag ("*" names any)? */
static bool tag_listed(const char *list, const char *tag)
{
    size_t tn = strlen(tag);
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        while (n && p[n - 1] == ' ')
            n--;
        if ((n == 1 && *p == '*') || (n == tn && memcmp(p, tag, n) == 0) ||
            (n + 2 == tn && memcmp(p, tag + 2, n) == 0)) /* a strong form of the weak tag */
            return true;
        p += n;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

static bool entity_route(const daoc__adm_route *r)
{
    return r->kind == DAOC__R_ENTITY || r->kind == DAOC__R_NESTED_ENTITY ||
           r->kind == DAOC__R_FOREIGN;
}

/* Runs the route: with If-Match, the current entity's ETag is checked and
 * the write done in one transaction. */
static void dispatch(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req, unsigned m,
                     const daoc__adm_route *r, const daoc_value *query, daoc__adm_res *res)
{
    bool conditional = req->if_match && entity_route(r) &&
                       (m == DAOC__M_PUT || m == DAOC__M_PATCH || m == DAOC__M_DELETE);
    if (!conditional) {
        if (r->kind >= DAOC__R_COLL)
            daoc__adm_crud(app, db, req, m, r, query, res);
        else
            daoc__adm_info(app, db, req, m, r, query, res);
        return;
    }
    if (daoc_db_begin(db, NULL) != DAOC_OK) {
        daoc__adm_message(res, 500, "An unexpected error occurred");
        return;
    }
    daoc__adm_res cur;
    memset(&cur, 0, sizeof cur);
    daoc__adm_crud(app, db, req, DAOC__M_GET, r, query, &cur);
    char tag[40];
    bool match = cur.status == 200 && etag_of(&cur.body, tag) && tag_listed(req->if_match, tag);
    daoc__adm_res_free(&cur);
    if (!match) {
        (void)daoc_db_rollback(db, NULL);
        daoc__adm_message(res, 412, "Precondition failed");
        return;
    }
    daoc__adm_crud(app, db, req, m, r, query, res);
    if (res->status >= 400 || daoc_db_commit(db, NULL) != DAOC_OK) {
        (void)daoc_db_rollback(db, NULL);
        if (res->status < 400)
            daoc__adm_message(res, 500, "An unexpected error occurred");
    }
}

void daoc__adm_handle(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req, daoc__adm_res *res)
{
    memset(res, 0, sizeof *res);
    res->content_type = "application/json; charset=utf-8";
    uint64_t n = atomic_fetch_add(&app->total_requests, 1);
    char rid[40];
    snprintf(rid, sizeof rid, "%.8s%024" PRIx64, app->node_id, n + 1);
    daoc__adm_res_header(res, "X-Kong-Admin-Request-ID", rid);
    cors(app, req, res);
    unsigned m = daoc__adm_method_bit(req->method);
    if (app->token && m != DAOC__M_OPTIONS && !token_ok(app->token, req->authorization)) {
        daoc__adm_res_header(res, "WWW-Authenticate", "Bearer");
        daoc__adm_message(res, 401, "Unauthorized");
        return;
    }
    daoc__adm_route r;
    if (daoc__adm_route_match(app, req->path, &r) != DAOC_OK) {
        daoc__adm_message(res, 500, "An unexpected error occurred");
        return;
    }
    if (r.kind == DAOC__R_NONE) {
        daoc__adm_message(res, 404, "Not found");
    } else if (m == DAOC__M_OPTIONS) {
        char allow[96];
        daoc__adm_methods_text(r.methods, allow, sizeof allow);
        res->status = 204;
        daoc__adm_res_header(res, "Allow", allow);
        daoc__adm_res_header(res, "Access-Control-Allow-Methods", allow);
        daoc__adm_res_header(res, "Access-Control-Allow-Headers",
                             req->acrh && *req->acrh ? req->acrh : "Content-Type");
    } else if (!(r.methods & m)) {
        daoc__adm_message(res, 405, "Method not allowed");
    } else {
        daoc_value *query = NULL;
        unsigned as = m == DAOC__M_HEAD ? DAOC__M_GET : m;
        char cert_id[37];
        daoc_value *cert_body = NULL;
        daoc__adm_req creq = *req;
        if (daoc__adm_query(req, &query, res)) {
            if (daoc__adm_plugin_handles(&r, m)) {
                daoc__adm_plugin(app, db, req, m, &r, query, res);
            } else if (daoc__adm_cert_prepare(app, db, req, as, &r, cert_id, &cert_body, res) >=
                       0) {
                creq.body_value = cert_body;
                dispatch(app, db, &creq, as, &r, query, res);
                daoc__adm_cert_names(app, db, &r, as, res);
            }
        }
        daoc_value_free(cert_body);
        daoc_value_free(query);
        char tag[40];
        if (res->status == 200 && entity_route(&r) && as != DAOC__M_DELETE &&
            etag_of(&res->body, tag)) {
            daoc__adm_res_header(res, "ETag", tag);
            if (as == DAOC__M_GET && req->if_none_match && tag_listed(req->if_none_match, tag)) {
                res->status = 304;
                daoc__buf_reset(&res->body);
            }
        }
    }
    daoc__adm_route_free(&r);
}
