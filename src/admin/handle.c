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
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "admin/admin.h"

static unsigned method_bit(const char *m)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"GET", DAOC__M_GET},       {"HEAD", DAOC__M_HEAD},     {"POST", DAOC__M_POST},
                 {"PUT", DAOC__M_PUT},       {"PATCH", DAOC__M_PATCH},   {"DELETE", DAOC__M_DELETE},
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

void daoc__adm_handle(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req,
                      daoc__adm_res *res)
{
    memset(res, 0, sizeof *res);
    res->content_type = "application/json; charset=utf-8";
    atomic_fetch_add(&app->total_requests, 1);
    cors(app, req, res);
    unsigned m = method_bit(req->method);
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
        if (daoc__adm_query(req, &query, res)) {
            if (r.kind >= DAOC__R_COLL)
                daoc__adm_crud(app, db, req, as, &r, query, res);
            else
                daoc__adm_info(app, db, req, as, &r, query, res);
        }
        daoc_value_free(query);
    }
    daoc__adm_route_free(&r);
}
