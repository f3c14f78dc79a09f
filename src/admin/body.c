/*
 * body.c -- what a request sends, as values: the query string, and the
 * body of a write by its Content-Type as Kong's before_filter and
 * arguments.lua read it.  JSON is taken as it is (null sets a field to
 * null); a form (urlencoded or multipart) is nested by its keys
 * ("config.minute", "hosts[1]") and its strings converted by the entity's
 * field types (args.c, multipart.c).  The refusals are Kong's: 415 with
 * an empty body for a missing or unknown content type on a non-empty body,
 * 400 "Cannot parse JSON body", 400 "Too many arguments" past 1000, and a
 * plain-text 400 for several Content-Type headers.
 */
#include <string.h>
#include <strings.h>

#include "admin/admin.h"
#include "admin/args.h"
#include "admin/multipart.h"

#define MAX_ARGS 1000

static bool prefix(const char *ct, const char *what)
{
    size_t n = strlen(what);
    while (*ct == ' ')
        ct++;
    return strncasecmp(ct, what, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* The args as one nested value, inferred with dao's fields and those of
 * the subschema its name selects (dao NULL: strings stay); false with the
 * response set. */
static bool nest(daoc__args *a, int rc, daoc_dao *dao, const char *sub_name, bool allow_maps,
                 daoc_value **out, daoc__adm_res *res)
{
    const daoc_value *fields = dao ? daoc_obj_get(daoc_dao_schema(dao), "fields") : NULL;
    daoc_value *sub = NULL;
    if (rc == DAOC__ARGS_ETOOMANY) {
        daoc__args_free(a);
        daoc__adm_message(res, 400, "Too many arguments");
        return false;
    }
    if (rc == DAOC_OK)
        rc = daoc__args_nest(a, allow_maps, out);
    daoc__args_free(a);
    if (rc == DAOC_OK && fields)
        rc = daoc__args_infer(*out, fields);
    const daoc_value *name = rc == DAOC_OK && dao ? daoc_obj_get(*out, "name") : NULL;
    if (name && daoc_value_type(name) == DAOC_TSTR)
        sub_name = daoc_value_str(name, NULL);
    if (rc == DAOC_OK && dao && sub_name && (sub = daoc_dao_subschema(dao, sub_name)))
        rc = daoc__args_infer(*out, daoc_obj_get(sub, "fields"));
    daoc_value_free(sub);
    if (rc == DAOC_OK)
        return true;
    daoc_value_free(*out);
    *out = NULL;
    if (rc == DAOC_ENOMEM)
        daoc__adm_message(res, 500, "An unexpected error occurred");
    else
        daoc__adm_message(res, 400, "Cannot parse the request body");
    return false;
}

bool daoc__adm_query(const daoc__adm_req *req, daoc_value **out, daoc__adm_res *res)
{
    *out = NULL;
    daoc__args a = {0};
    const char *q = req->query ? req->query : "";
    int rc = daoc__args_parse_urlencoded(q, strlen(q), MAX_ARGS, &a);
    return nest(&a, rc, NULL, NULL, false, out, res);
}

bool daoc__adm_body(const daoc__adm_req *req, daoc_dao *dao, const char *sub_name, bool allow_maps,
                    daoc_value **out, daoc__adm_res *res)
{
    *out = NULL;
    if (req->body_value) {
        *out = daoc_value_copy(req->body_value);
        if (!*out)
            daoc__adm_message(res, 500, "An unexpected error occurred");
        return *out != NULL;
    }
    if (req->content_types > 1) {
        res->status = 400;
        res->content_type = "text/plain";
        daoc__buf_reset(&res->body);
        daoc__buf_puts(&res->body, "Multiple Content-Type headers not allowed");
        return false;
    }
    const char *ct = req->content_type;
    if (!ct) {
        if (req->body_len == 0) {
            *out = daoc_obj();
            return *out != NULL;
        }
        res->status = 415;
        return false;
    }
    if (prefix(ct, "application/json")) {
        daoc_value *v = NULL;
        if (req->body_len == 0 || daoc_json_decode(req->body, req->body_len, &v, NULL) != DAOC_OK ||
            daoc_value_type(v) != DAOC_TOBJ) {
            daoc_value_free(v);
            daoc__adm_message(res, 400, "Cannot parse JSON body");
            return false;
        }
        *out = v;
        return true;
    }
    daoc__args a = {0};
    if (prefix(ct, "application/x-www-form-urlencoded")) {
        int rc =
            daoc__args_parse_urlencoded(req->body ? req->body : "", req->body_len, MAX_ARGS, &a);
        return nest(&a, rc, dao, sub_name, allow_maps, out, res);
    }
    if (prefix(ct, "multipart/form-data")) {
        int rc =
            daoc__args_parse_multipart(req->body ? req->body : "", req->body_len, ct, MAX_ARGS, &a);
        return nest(&a, rc, dao, sub_name, allow_maps, out, res);
    }
    res->status = 415;
    return false;
}
