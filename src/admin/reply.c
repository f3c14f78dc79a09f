/*
 * reply.c -- Admin API response bodies in Kong's shapes: {"message": ...}
 * for the plain answers (404 "Not found", 405 "Method not allowed", 500
 * "An unexpected error occurred"), entities and pages as JSON, and a DAO
 * failure as Kong's handle_error answers it: the error object itself
 * ({code, name, message, fields}, without the strategy) with the status
 * of its code (400 for input errors, 404 not found, 405 operation
 * unsupported, 409 unique violation), and 500 with the plain message for
 * a database error or anything else, whose details go nowhere near the
 * client.
 */
#include <string.h>

#include "admin/admin.h"
#include "core/alloc.h"

void daoc__adm_res_free(daoc__adm_res *res)
{
    daoc__buf_free(&res->body);
    for (size_t i = 0; i < res->nheaders; i++) {
        daoc__free(res->hval[i]);
        daoc__free(res->hown[i]);
        res->hown[i] = NULL;
    }
    res->nheaders = 0;
}

void daoc__adm_res_header_dup(daoc__adm_res *res, const char *name, const char *value)
{
    if (res->nheaders >= DAOC__ADM_MAX_HEADERS)
        return;
    char *n = daoc__strdup(name), *v = daoc__strdup(value);
    if (!n || !v) {
        daoc__free(n);
        daoc__free(v);
        return;
    }
    res->hown[res->nheaders] = n;
    res->hname[res->nheaders] = n;
    res->hval[res->nheaders++] = v;
}

void daoc__adm_res_header(daoc__adm_res *res, const char *name, const char *value)
{
    if (res->nheaders >= DAOC__ADM_MAX_HEADERS)
        return;
    char *v = daoc__strdup(value);
    if (!v)
        return;
    res->hname[res->nheaders] = name;
    res->hval[res->nheaders++] = v;
}

static void json_string(daoc__buf *b, const char *s)
{
    daoc_value *v = daoc_str(s);
    char *text = NULL;
    size_t n = 0;
    if (v && daoc_json_encode(v, &text, &n) == DAOC_OK)
        daoc__buf_append(b, text, n);
    else
        b->failed = true;
    daoc_free(text);
    daoc_value_free(v);
}

void daoc__adm_message(daoc__adm_res *res, int status, const char *msg)
{
    res->status = status;
    daoc__buf_reset(&res->body);
    daoc__buf_puts(&res->body, "{\"message\":");
    json_string(&res->body, msg);
    daoc__buf_putc(&res->body, '}');
}

void daoc__adm_oom(daoc__adm_res *res)
{
    daoc__adm_message(res, 500, "An unexpected error occurred");
}

void daoc__adm_json(daoc__adm_res *res, int status, const daoc_value *v)
{
    char *text = NULL;
    size_t n = 0;
    daoc__buf_reset(&res->body);
    if (daoc_json_encode(v, &text, &n) != DAOC_OK) {
        daoc__adm_message(res, 500, "An unexpected error occurred");
        return;
    }
    res->status = status;
    daoc__buf_append(&res->body, text, n);
    daoc_free(text);
}

static int status_of(int code)
{
    switch (code) {
    case DAOC_ERR_INVALID_PRIMARY_KEY:
    case DAOC_ERR_SCHEMA_VIOLATION:
    case DAOC_ERR_PRIMARY_KEY_VIOLATION:
    case DAOC_ERR_FOREIGN_KEY_VIOLATION:
    case DAOC_ERR_INVALID_OFFSET:
    case DAOC_ERR_INVALID_SIZE:
    case DAOC_ERR_INVALID_UNIQUE:
    case DAOC_ERR_INVALID_OPTIONS:
    case DAOC_ERR_FOREIGN_KEYS_UNRESOLVED:
    case DAOC_ERR_REFERENCED_BY_OTHERS:
    case DAOC_ERR_INVALID_FOREIGN_KEY:
    case DAOC_ERR_INVALID_WORKSPACE:
        return 400;
    case DAOC_ERR_UNIQUE_VIOLATION:
        return 409;
    case DAOC_ERR_NOT_FOUND:
        return 404;
    case DAOC_ERR_OPERATION_UNSUPPORTED:
        return 405;
    default:
        return 500;
    }
}

void daoc__adm_dao_error(daoc__adm_res *res, int rc, const daoc_error *err)
{
    int code = rc == DAOC_EDAO && err ? daoc_error_code(err) : 0;
    int status = status_of(code);
    if (status == 500) {
        daoc__adm_message(res, 500, "An unexpected error occurred");
        return;
    }
    daoc_value *v = daoc_error_to_value(err);
    if (!v) {
        daoc__adm_message(res, 500, "An unexpected error occurred");
        return;
    }
    daoc_obj_del(v, "strategy");
    daoc__adm_json(res, status, v);
    daoc_value_free(v);
}

void daoc__adm_kong_error(daoc__adm_res *res, int code, const char *name, const char *message)
{
    res->status = 400;
    daoc__buf_reset(&res->body);
    daoc__buf_printf(&res->body, "{\"code\":%d,\"name\":", code);
    json_string(&res->body, name);
    daoc__buf_puts(&res->body, ",\"message\":");
    json_string(&res->body, message);
    daoc__buf_putc(&res->body, '}');
}

void daoc__adm_escape_uri(daoc__buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~';
        if (plain) {
            daoc__buf_putc(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            daoc__buf_append(b, e, 3);
        }
    }
}
