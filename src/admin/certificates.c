/*
 * certificates.c -- what Kong's kong/api/routes/certificates.lua adds to
 * the generated certificate routes: a certificate is addressed by the
 * name of one of its snis as well as by id (/certificates/<sni name>,
 * also as the parent of /certificates/:c/snis[/:s]); an unknown name is
 * 404 {"message":"SNI not found"}, except for a PUT, which creates the
 * certificate with a new id and that name among its snis.  A PUT or
 * PATCH by name keeps the name in the body's snis (a PUT without snis
 * sets them to null, as Kong's prepare_args does).  GET of one
 * certificate answers its snis too (Kong's select_with_name_list).
 */
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "core/alloc.h"
#include "core/rand.h"

static bool is_certs(const daoc__adm_app *app, const daoc__adm_route *r, bool *parent)
{
    const daoc__adm_entity *c = daoc__adm_entity_named(app, "certificates");
    if (!c)
        return false;
    size_t ci = (size_t)(c - app->ents);
    *parent =
        (r->kind == DAOC__R_NESTED_COLL || r->kind == DAOC__R_NESTED_ENTITY) && r->parent == ci;
    return *parent || (r->kind == DAOC__R_ENTITY && r->ent == ci);
}

/* body's snis with name among them (Kong's prepare_args); *out owned. */
static bool body_with_name(const daoc__adm_req *req, daoc_db *db, unsigned m, const char *name,
                           daoc_value **out, daoc__adm_res *res)
{
    if (!daoc__adm_body(req, daoc_db_dao(db, "certificates"), NULL, false, out, res))
        return false;
    const daoc_value *snis = daoc_obj_get(*out, "snis");
    daoc_value *list = NULL;
    if (snis && daoc_value_type(snis) == DAOC_TARR) {
        list = daoc_value_copy(snis);
        bool found = false;
        for (size_t i = 0; list && i < daoc_value_len(list); i++) {
            const char *s = daoc_value_str(daoc_arr_get(list, i), NULL);
            found = found || (s && strcmp(s, name) == 0);
        }
        if (list && !found && m == DAOC__M_PUT && daoc_arr_push(list, daoc_str(name)) != DAOC_OK)
            list = NULL;
    } else if (snis && daoc_value_type(snis) == DAOC_TSTR) {
        list = daoc_arr();
        const char *s = daoc_value_str(snis, NULL);
        if (list && daoc_arr_push(list, daoc_str(s)) != DAOC_OK)
            list = NULL;
        if (list && m == DAOC__M_PUT && strcmp(s, name) != 0 &&
            daoc_arr_push(list, daoc_str(name)) != DAOC_OK)
            list = NULL;
    } else if (!snis && m == DAOC__M_PUT) {
        list = daoc_null();
    } else {
        return true;
    }
    if (!list || daoc_obj_set(*out, "snis", list) != DAOC_OK) {
        daoc_value_free(*out);
        *out = NULL;
        daoc__adm_message(res, 500, "An unexpected error occurred");
        return false;
    }
    return true;
}

int daoc__adm_cert_prepare(const daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req,
                           unsigned m, daoc__adm_route *r, char id[37], daoc_value **body,
                           daoc__adm_res *res)
{
    *body = NULL;
    bool parent = false;
    if (!is_certs(app, r, &parent))
        return 0;
    const char *param = parent ? r->pparam : r->param;
    size_t len = parent ? r->pparam_len : r->param_len;
    if (!param || daoc__is_uuid(param, len))
        return 0;
    char *name = daoc__strndup(param, len);
    daoc_value *key = name ? daoc_str(name) : NULL, *sni = NULL;
    daoc_dao *snis = daoc_db_dao(db, "snis");
    daoc_error *err = NULL;
    int rc = key && snis ? daoc_dao_select_by(snis, "name", key, NULL, &sni, &err) : DAOC_ENOMEM;
    daoc_value_free(key);
    if (rc != DAOC_OK) {
        daoc__free(name);
        daoc__adm_dao_error(res, rc, err);
        daoc_error_free(err);
        return -1;
    }
    const daoc_value *cert = sni ? daoc_obj_get(sni, "certificate") : NULL;
    const char *cid = cert ? daoc_value_str(daoc_obj_get(cert, "id"), NULL) : NULL;
    if (cid && strlen(cid) == 36) {
        memcpy(id, cid, 37);
    } else if (m == DAOC__M_PUT && !parent) {
        rc = daoc__uuid_v4(id);
    } else {
        daoc_value_free(sni);
        daoc__free(name);
        daoc__adm_message(res, 404, "SNI not found");
        return -1;
    }
    daoc_value_free(sni);
    if (rc == DAOC_OK && !parent && (m == DAOC__M_PUT || m == DAOC__M_PATCH) &&
        !body_with_name(req, db, m, name, body, res)) {
        daoc__free(name);
        return -1;
    }
    daoc__free(name);
    if (rc != DAOC_OK) {
        daoc__adm_message(res, 500, "An unexpected error occurred");
        return -1;
    }
    if (parent) {
        r->pparam = id;
        r->pparam_len = 36;
        r->raw_pparam = id;
        r->raw_pparam_len = 36;
    } else {
        r->param = id;
        r->param_len = 36;
    }
    return 1;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void daoc__adm_cert_names(const daoc__adm_app *app, daoc_db *db, const daoc__adm_route *r,
                          unsigned m, daoc__adm_res *res)
{
    bool parent = false;
    if (m != DAOC__M_GET || res->status != 200 || !is_certs(app, r, &parent) || parent)
        return;
    daoc_value *cert = NULL, *rows = NULL;
    if (daoc_json_decode(res->body.data, res->body.len, &cert, NULL) != DAOC_OK ||
        daoc_value_type(cert) != DAOC_TOBJ ||
        daoc_value_type(daoc_obj_get(cert, "snis")) == DAOC_TARR) {
        daoc_value_free(cert);
        return;
    }
    daoc_value *pk = daoc_obj();
    const daoc_value *id = daoc_obj_get(cert, "id");
    daoc_dao *snis = daoc_db_dao(db, "snis");
    char *next = NULL;
    daoc_value *names = daoc_arr();
    bool ok =
        pk && id && names && snis && daoc_obj_set(pk, "id", daoc_value_copy(id)) == DAOC_OK &&
        daoc_dao_page_for(snis, "certificate", pk, 1000, NULL, NULL, &rows, &next, NULL) == DAOC_OK;
    size_t n = ok ? daoc_value_len(rows) : 0;
    const char **list = daoc__calloc(n ? n : 1, sizeof *list);
    ok = ok && list;
    for (size_t i = 0; ok && i < n; i++)
        ok = (list[i] = daoc_value_str(daoc_obj_get(daoc_arr_get(rows, i), "name"), NULL)) != NULL;
    if (ok) /* sorted, as Kong's list_for_certificate */
        qsort(list, n, sizeof *list, cmp_names);
    for (size_t i = 0; ok && i < n; i++)
        ok = daoc_arr_push(names, daoc_str(list[i])) == DAOC_OK;
    daoc__free(list);
    if (ok) {
        ok = daoc_obj_set(cert, "snis", names) == DAOC_OK; /* takes names */
        names = NULL;
    }
    if (ok)
        daoc__adm_json(res, 200, cert);
    daoc_value_free(names);
    daoc_value_free(pk);
    daoc_value_free(rows);
    daoc_free(next);
    daoc_value_free(cert);
}
