/*
 * crud.c -- the endpoints Kong's Admin API generates for every entity
 * (kong/api/endpoints.lua), answered through the public DAO functions:
 *   /S            GET: a page ({"data", "offset", "next"}); POST: insert, 201
 *   /S/:s         GET 200 | 404; PUT upsert, always 200; PATCH update;
 *                 DELETE 204, also when there was nothing to delete
 *   /S/:s/F       the entity S's foreign field F references: GET, PATCH,
 *                 PUT (creating it and linking S when F is null), DELETE 405
 *   /P/:p/S       S's page for P (page_for_<F>), POST with F set to P
 *   /P/:p/S/:s    S, when it belongs to P (else 404); DELETE 404 when absent
 * A :s that is a UUID addresses the primary key; otherwise the endpoint key
 * (its value converted to the field's type), else the primary key again
 * (and a non-UUID fails its validation: 400 "invalid primary key").
 * Options as Kong passes them: nulls = true; ttl taken out of the body of
 * a write for ttl entities; ?tags= (a,b: all of them; a/b: any) and size
 * and offset on top-level pages.  Beyond Kong, whose /consumers alone
 * takes ?custom_id=: every unique field filters a top-level page (the one
 * entity that has the value), and a top-level page takes a query on the
 * fields an index serves (primary key, unique fields, foreign keys):
 * ?<field>=v, ?<field>[gt|gte|lt|lte|eq]=v (combined with AND, and with
 * ?tags=), ?sort=<field> / ?sort=-<field>, and ?count=exact|estimated
 * adding "total" (and "total_estimated") to the page; the DAO refuses
 * what no index serves (400, code 11).  The next link carries them all.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "core/alloc.h"
#include "core/rand.h"

typedef struct call {
    daoc__adm_app *app;
    daoc_db *db;
    const daoc__adm_req *req;
    unsigned method;
    const daoc__adm_route *r;
    const daoc_value *q;
    daoc__adm_res *res;
} call;

/* ---- addressing an entity by its :param ---------------------------------- */

typedef struct sel {
    const char *field; /* endpoint key, or NULL: by primary key */
    daoc_value *key;   /* {pk = v}, or the endpoint key's value */
} sel;

static void sel_free(sel *s)
{
    daoc_value_free(s->key);
    s->key = NULL;
}

/* The endpoint key's value, converted as Kong's arguments.infer_value
 * converts it for the field's type. */
static daoc_value *typed(const char *type, const char *s, size_t n)
{
    if (type && (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0)) {
        char *end = NULL;
        char buf[64];
        if (n < sizeof buf) {
            memcpy(buf, s, n);
            buf[n] = '\0';
            double d = strtod(buf, &end);
            if (n && end && *end == '\0') {
                if (strcmp(type, "integer") == 0 && d == (double)(int64_t)d)
                    return daoc_int((int64_t)d);
                return daoc_num(d);
            }
        }
    } else if (type && strcmp(type, "boolean") == 0) {
        if (n == 4 && memcmp(s, "true", 4) == 0)
            return daoc_bool(true);
        if (n == 5 && memcmp(s, "false", 5) == 0)
            return daoc_bool(false);
    }
    return daoc_strn(s, n);
}

/* An ISO 8601 date-time as epoch seconds: "YYYY-MM-DDTHH:MM:SS", a
 * fraction optional, then "Z" or "+HH:MM" / "-HH:MM" (a timestamp
 * filter's value, beside epoch seconds).  false when s is not one. */
static bool iso8601(const char *s, size_t n, double *out)
{
    char buf[64];
    if (n < 20 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    int y, mo, d, h, mi, se, used = 0;
    if (sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &used) != 6 ||
        used != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 ||
        y < 1970 || y > 9999)
        return false;
    const char *p = buf + 19;
    double frac = 0;
    if (*p == '.') {
        double scale = 0.1;
        if (!(p[1] >= '0' && p[1] <= '9'))
            return false;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            frac += (*p - '0') * scale;
    }
    long off = 0;
    if (*p == 'Z' && p[1] == '\0') {
        off = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' && p[1] >= '0' &&
               p[1] <= '9' && p[2] >= '0' && p[2] <= '9' && p[4] >= '0' && p[4] <= '9' &&
               p[5] >= '0' && p[5] <= '9') {
        off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600L + ((p[4] - '0') * 10 + (p[5] - '0')) * 60L;
        if (*p == '-')
            off = -off;
    } else {
        return false;
    }
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    *out = (double)t - (double)off + frac;
    return true;
}

static int sel_of(const daoc__adm_entity *e, const char *s, size_t n, sel *out)
{
    out->field = NULL;
    out->key = NULL;
    if (e->endpoint_key && !(e->pk && strcmp(e->pk, "id") == 0 && daoc__is_uuid(s, n))) {
        out->field = e->endpoint_key;
        out->key = typed(e->endpoint_type, s, n);
        return out->key ? DAOC_OK : DAOC_ENOMEM;
    }
    out->key = daoc_obj();
    if (!out->key || daoc_obj_set(out->key, e->pk ? e->pk : "id", daoc_strn(s, n)) != DAOC_OK)
        return DAOC_ENOMEM;
    return DAOC_OK;
}

/* The primary key values of an entity: {pk1 = ..., ...}. */
static daoc_value *pk_of(const daoc__adm_entity *e, const daoc_value *entity)
{
    daoc_value *pk = daoc_obj();
    const daoc_value *names = daoc_obj_get(e->schema, "primary_key");
    for (size_t i = 0; pk && names && i < daoc_value_len(names); i++) {
        const char *f = daoc_value_str(daoc_arr_get(names, i), NULL);
        const daoc_value *v = f ? daoc_obj_get(entity, f) : NULL;
        if (f && v && daoc_obj_set(pk, f, daoc_value_copy(v)) != DAOC_OK) {
            daoc_value_free(pk);
            pk = NULL;
        }
    }
    return pk;
}

enum op { OP_SELECT, OP_UPDATE, OP_UPSERT, OP_DELETE };

/* One DAO call on the entity sel addresses; *out the entity (NULL: none). */
static int run(enum op op, daoc_dao *dao, const sel *s, const daoc_value *body,
               const daoc_value *opts, daoc_value **out, daoc_error **err)
{
    *out = NULL;
    switch (op) {
    case OP_SELECT:
        return s->field ? daoc_dao_select_by(dao, s->field, s->key, opts, out, err)
                        : daoc_dao_select(dao, s->key, opts, out, err);
    case OP_UPDATE:
        return s->field ? daoc_dao_update_by(dao, s->field, s->key, body, opts, out, err)
                        : daoc_dao_update(dao, s->key, body, opts, out, err);
    case OP_UPSERT:
        return s->field ? daoc_dao_upsert_by(dao, s->field, s->key, body, opts, out, err)
                        : daoc_dao_upsert(dao, s->key, body, opts, out, err);
    case OP_DELETE:
        return s->field ? daoc_dao_delete_by(dao, s->field, s->key, opts, err)
                        : daoc_dao_delete(dao, s->key, opts, err);
    }
    return DAOC_EINVAL;
}

/* ---- options ---------------------------------------------------------------- */

static daoc_value *base_opts(void)
{
    daoc_value *o = daoc_obj();
    if (o && daoc_obj_set(o, "nulls", daoc_bool(true)) != DAOC_OK) {
        daoc_value_free(o);
        return NULL;
    }
    return o;
}

/* A write's options: ttl moves from the body (ttl entities). */
static daoc_value *write_opts(const daoc__adm_entity *e, daoc_value *body)
{
    daoc_value *o = base_opts();
    if (!o || !e->ttl || !body || daoc_value_type(body) != DAOC_TOBJ)
        return o;
    const daoc_value *ttl = daoc_obj_get(body, "ttl");
    if (!ttl)
        return o;
    daoc_value *v = NULL;
    size_t n = 0;
    const char *s = daoc_value_type(ttl) == DAOC_TSTR ? daoc_value_str(ttl, &n) : NULL;
    char *end = NULL;
    long long t = s && n ? strtoll(s, &end, 10) : 0;
    v = s && n && end && *end == '\0' ? daoc_int(t) : daoc_value_copy(ttl);
    if (daoc_obj_set(o, "ttl", v) != DAOC_OK) {
        daoc_value_free(o);
        return NULL;
    }
    daoc_obj_del(body, "ttl");
    return o;
}

static const char *qstr(const daoc_value *q, const char *key, size_t *n)
{
    const daoc_value *v = daoc_obj_get(q, key);
    if (v && daoc_value_type(v) == DAOC_TARR) /* repeated: the first */
        v = daoc_arr_get(v, 0);
    return v && daoc_value_type(v) == DAOC_TSTR ? daoc_value_str(v, n) : NULL;
}

/* ?tags= into opts (tags, tags_cond); false with the response set. */
static bool tags_opts(call *c, daoc_value *opts)
{
    const daoc_value *raw = daoc_obj_get(c->q, "tags");
    if (!raw)
        return true;
    size_t n = 0;
    const char *t = qstr(c->q, "tags", &n);
    if (!t || n == 0) {
        c->res->status = 400;
        daoc__buf_reset(&c->res->body);
        daoc__buf_puts(&c->res->body, "{\"code\":11,\"name\":\"invalid options\",\"message\":"
                                      "\"invalid option (tags: cannot be null)\",\"options\":"
                                      "{\"tags\":\"cannot be null\"}}");
        return false;
    }
    bool comma = memchr(t, ',', n) != NULL, slash = memchr(t, '/', n) != NULL;
    /* Kong's TAGS_AND_REGEX / TAGS_OR_REGEX: tags of printable ASCII but
     * ',' and '/', or bytes 0x80-0xF4, split by one kind of separator,
     * none empty; anything else goes to the DAO without a condition, whose
     * answer is "invalid filter syntax" */
    bool syntax = !(comma && slash) && t[0] != ',' && t[0] != '/';
    for (size_t i = 0; syntax && i < n; i++) {
        unsigned char b = (unsigned char)t[i];
        bool sep = b == (slash ? '/' : ',');
        syntax = sep ? i + 1 < n && t[i + 1] != (char)b
                     : (b >= 0x21 && b <= 0x7E && b != ',' && b != '/') || (b >= 0x80 && b <= 0xF4);
    }
    if (!syntax)
        comma = slash = true;
    daoc_value *list = daoc_arr();
    const char sep = slash ? '/' : ',';
    for (size_t i = 0; list && i <= n;) {
        const char *p = memchr(t + i, sep, n - i);
        size_t len = p ? (size_t)(p - (t + i)) : n - i;
        if (daoc_arr_push(list, daoc_strn(t + i, len)) != DAOC_OK) {
            daoc_value_free(list);
            list = NULL;
        }
        i += len + 1;
    }
    if (!list) {
        daoc__adm_message(c->res, 500, "An unexpected error occurred");
        return false;
    }
    int rc = DAOC_OK;
    if (comma && slash) { /* neither cond: the DAO's "invalid filter syntax" */
        daoc_value_free(list);
        rc = daoc_obj_set(opts, "tags", daoc_strn(t, n));
    } else {
        rc = daoc_obj_set(opts, "tags", list);
        if (rc == DAOC_OK)
            rc = daoc_obj_set(opts, "tags_cond", daoc_str(slash ? "or" : "and"));
    }
    if (rc != DAOC_OK) {
        daoc__adm_message(c->res, 500, "An unexpected error occurred");
        return false;
    }
    return true;
}

/* ?size=: *size (0: the default); false with the response set. */
bool daoc__adm_size_arg(const daoc_value *q, int64_t *size, daoc__adm_res *res)
{
    *size = 0;
    const daoc_value *raw = daoc_obj_get(q, "size");
    if (!raw)
        return true;
    size_t n = 0;
    const char *s = qstr(q, "size", &n);
    char buf[64];
    char *end = NULL;
    double d = 0;
    if (s && n && n < sizeof buf) {
        memcpy(buf, s, n);
        buf[n] = '\0';
        d = strtod(buf, &end);
    }
    if (!s || !n || n >= sizeof buf || !end || *end != '\0' || d != d) {
        daoc__adm_kong_error(res, DAOC_ERR_INVALID_SIZE, "invalid size", "size must be a number");
        return false;
    }
    if (d < 1 || d > 1000 || d != (double)(int64_t)d) {
        daoc__adm_kong_error(res, DAOC_ERR_INVALID_SIZE, "invalid size",
                             "size must be an integer between 1 and 1000");
        return false;
    }
    *size = (int64_t)d;
    return true;
}

static bool size_arg(call *c, int64_t *size)
{
    return daoc__adm_size_arg(c->q, size, c->res);
}

/* {"data": rows, "offset": tok?, "next": link | null} and the members of
 * `extra` (NULL: none; "total", "total_estimated"); takes rows. */
static void page_reply(call *c, daoc_value *rows, char *offset, daoc__buf *next,
                       const daoc_value *extra)
{
    daoc_value *page = daoc_obj();
    int rc = page ? daoc_obj_set(page, "data", rows) : DAOC_ENOMEM;
    if (!page)
        daoc_value_free(rows);
    if (rc == DAOC_OK && offset)
        rc = daoc_obj_set(page, "offset", daoc_str(offset));
    if (rc == DAOC_OK)
        rc = daoc_obj_set(page, "next",
                          offset && !next->failed ? daoc_str(next->data) : daoc_null());
    for (size_t i = 0; rc == DAOC_OK && extra && i < daoc_value_len(extra); i++) {
        const daoc_value *v = NULL;
        const char *k = daoc_obj_key_at(extra, i, &v);
        rc = daoc_obj_set(page, k, daoc_value_copy(v));
    }
    if (rc == DAOC_OK)
        daoc__adm_json(c->res, 200, page);
    else
        daoc__adm_message(c->res, 500, "An unexpected error occurred");
    daoc_value_free(page);
}

/* ---- the routes --------------------------------------------------------------- */

static daoc_dao *dao_of(call *c, size_t i)
{
    return daoc_db_dao(c->db, c->app->ents[i].name);
}

/* GET /S?<field>=X on a unique field (or the primary key, or the endpoint
 * key): the one entity that has it, as a page {"data": [e], "next": null}
 * or {"data": [], ...} -- Kong's /consumers?custom_id=, for every unique
 * field.  A field without a unique index is refused (400, naming the
 * fields that can filter); arguments that are not fields are ignored, as
 * Kong ignores them.  false when no argument is a field. */
/* Query arguments that are not field filters. */
static bool reserved_arg(const char *k)
{
    static const char *const names[] = {"size", "offset", "tags", "ttl", "sort", "count"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(k, names[i]) == 0)
            return true;
    return false;
}

static bool filter_arg(const daoc__adm_entity *e, const char *k);

static bool filter_by_unique(call *c, const daoc__adm_entity *e)
{
    const daoc_value *raw = NULL;
    const char *field = NULL;
    const daoc_value *def = NULL;
    if (daoc_obj_get(c->q, "sort") || daoc_obj_get(c->q, "count"))
        return false; /* a query (query_opts) */
    for (size_t i = 0; i < daoc_value_len(c->q); i++) {
        const daoc_value *v = NULL;
        const char *k = daoc_obj_key_at(c->q, i, &v);
        if (!k || reserved_arg(k))
            continue;
        if (!field && (def = daoc__adm_field(e->fields, k))) {
            field = k;
            raw = v;
        } else if (filter_arg(e, k)) {
            return false; /* a range: a query */
        }
    }
    if (!field)
        return false;
    const daoc_value *u = daoc_obj_get(def, "unique");
    bool unique = (u && daoc_value_type(u) == DAOC_TBOOL && daoc_value_bool(u)) ||
                  (e->pk && strcmp(e->pk, field) == 0) ||
                  (e->endpoint_key && strcmp(e->endpoint_key, field) == 0);
    if (!unique)
        return false; /* a query: the DAO's filter serves it or says what can */
    size_t n = 0;
    const char *text = daoc_value_type(raw) == DAOC_TSTR ? daoc_value_str(raw, &n) : NULL;
    if (!text || n == 0) {
        daoc__buf msg = DAOC__BUF_INIT;
        daoc__buf_printf(&msg, "%s must be an unempty string", field);
        daoc__adm_message(c->res, 400, msg.failed ? "bad filter" : msg.data);
        daoc__buf_free(&msg);
        return true;
    }
    const daoc_value *type = daoc_obj_get(def, "type");
    daoc_value *v = typed(type ? daoc_value_str(type, NULL) : NULL, text, n), *opts = base_opts(),
               *found = NULL, *key = NULL;
    daoc_error *err = NULL;
    int rc = v && opts ? DAOC_OK : DAOC_ENOMEM;
    if (rc == DAOC_OK && e->pk && strcmp(e->pk, field) == 0) {
        if (!(key = daoc_obj()) || daoc_obj_set(key, field, v) != DAOC_OK)
            rc = DAOC_ENOMEM;
        v = NULL;
        if (rc == DAOC_OK)
            rc = daoc_dao_select(dao_of(c, c->r->ent), key, opts, &found, &err);
    } else if (rc == DAOC_OK) {
        rc = daoc_dao_select_by(dao_of(c, c->r->ent), field, v, opts, &found, &err);
    }
    if (rc != DAOC_OK) {
        daoc__adm_dao_error(c->res, rc, err);
    } else {
        daoc_value *rows = daoc_arr();
        if (rows && found && daoc_arr_push(rows, found) != DAOC_OK) {
            daoc_value_free(rows);
            rows = NULL;
        }
        found = NULL;
        daoc__buf none = DAOC__BUF_INIT;
        if (rows)
            page_reply(c, rows, NULL, &none, NULL);
        else
            daoc__adm_message(c->res, 500, "An unexpected error occurred");
    }
    daoc_value_free(found);
    daoc_value_free(key);
    daoc_value_free(v);
    daoc_value_free(opts);
    daoc_error_free(err);
    return true;
}

/* A query argument "<field>[<op>]" naming a field of e: its definition,
 * with the field's name and the operator in name/op (NUL-terminated). */
static const daoc_value *bracket_field(const daoc__adm_entity *e, const char *k, char *name,
                                       size_t nsize, char *op, size_t osize)
{
    const char *lb = strchr(k, '[');
    size_t n = strlen(k);
    if (!lb || n < 3 || k[n - 1] != ']' || lb == k)
        return NULL;
    size_t fl = (size_t)(lb - k), ol = n - fl - 2;
    if (fl >= nsize || ol >= osize || memchr(lb + 1, '[', ol) || memchr(lb + 1, ']', ol))
        return NULL;
    memcpy(name, k, fl);
    name[fl] = '\0';
    memcpy(op, lb + 1, ol);
    op[ol] = '\0';
    return daoc__adm_field(e->fields, name);
}

/* Whether query argument k filters on a field: "<field>" or "<field>[op]". */
static bool filter_arg(const daoc__adm_entity *e, const char *k)
{
    char name[256], op[64];
    return k && !reserved_arg(k) &&
           (daoc__adm_field(e->fields, k) || bracket_field(e, k, name, sizeof name, op, sizeof op));
}

/* The field filters of the query string (beyond Kong): ?<field>=v and
 * ?<field>[gt|gte|lt|lte|eq]=v, each value converted for the field's type
 * (a timestamp's also from ISO 8601, iso8601),
 * into opts.filter = {<field> = {<op> = v}}; ?sort= into opts.sort.  The
 * DAO says which fields an index serves.  false with the response set
 * (memory only). */
static bool query_opts(call *c, const daoc__adm_entity *e, daoc_value *opts)
{
    daoc_value *filter = daoc_obj();
    int rc = filter ? DAOC_OK : DAOC_ENOMEM;
    for (size_t i = 0; rc == DAOC_OK && i < daoc_value_len(c->q); i++) {
        const char *k = daoc_obj_key_at(c->q, i, NULL);
        char name[256], op[64];
        const daoc_value *def = NULL;
        if (!k || reserved_arg(k))
            continue;
        if ((def = daoc__adm_field(e->fields, k))) {
            snprintf(name, sizeof name, "%s", k);
            snprintf(op, sizeof op, "eq");
        } else if (!(def = bracket_field(e, k, name, sizeof name, op, sizeof op))) {
            continue; /* not a field: ignored, as Kong ignores it */
        }
        const daoc_value *type = daoc_obj_get(def, "type");
        const char *tn = type ? daoc_value_str(type, NULL) : NULL;
        size_t n = 0;
        const char *t = qstr(c->q, k, &n);
        daoc_value *v = t ? typed(tn, t, n) : daoc_value_copy(daoc_obj_get(c->q, k));
        const daoc_value *stamp = daoc_obj_get(def, "timestamp");
        double at = 0;
        if (v && daoc_value_type(v) == DAOC_TSTR && stamp && daoc_value_type(stamp) == DAOC_TBOOL &&
            daoc_value_bool(stamp) && iso8601(t, n, &at)) { /* beside epoch seconds */
            daoc_value_free(v);
            bool whole = tn && strcmp(tn, "integer") == 0;
            if (whole && at != floor(at)) /* integer seconds: the same rows */
                at = strcmp(op, "gt") == 0 || strcmp(op, "lte") == 0   ? floor(at)
                     : strcmp(op, "gte") == 0 || strcmp(op, "lt") == 0 ? ceil(at)
                                                                       : at;
            v = whole && at == floor(at) ? daoc_int((int64_t)at) : daoc_num(at);
        }
        daoc_value *ops = (daoc_value *)daoc_obj_get(filter, name);
        if (!ops) {
            ops = daoc_obj();
            if ((rc = daoc_obj_set(filter, name, ops)) != DAOC_OK) {
                daoc_value_free(v);
                break;
            }
        }
        rc = daoc_obj_set(ops, op, v);
    }
    if (rc == DAOC_OK && daoc_value_len(filter) > 0) {
        rc = daoc_obj_set(opts, "filter", filter);
        filter = NULL;
    }
    daoc_value_free(filter);
    const daoc_value *sort = daoc_obj_get(c->q, "sort");
    if (rc == DAOC_OK && sort) {
        size_t n = 0;
        const char *t = qstr(c->q, "sort", &n);
        rc = daoc_obj_set(opts, "sort", t ? daoc_strn(t, n) : daoc_value_copy(sort));
    }
    if (rc != DAOC_OK)
        daoc__adm_message(c->res, 500, "An unexpected error occurred");
    return rc == DAOC_OK;
}

/* "&<key>=<value>" with both escaped. */
static void link_arg(daoc__buf *b, const char *key, const char *v, size_t n)
{
    daoc__buf_putc(b, '&');
    daoc__adm_escape_uri(b, key, strlen(key));
    daoc__buf_putc(b, '=');
    daoc__adm_escape_uri(b, v, n);
}

/* The next page's link: the offset and every argument that shaped this
 * page (size, tags, sort, count and the field filters). */
static void next_link(call *c, const daoc__adm_entity *e, const char *offset, daoc__buf *next)
{
    daoc__buf_printf(next, "/%s?offset=", e->coll);
    daoc__adm_escape_uri(next, offset, strlen(offset));
    static const char *const args[] = {"tags", "size", "sort", "count"};
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
        size_t n = 0;
        const char *t = qstr(c->q, args[i], &n);
        if (t && (i != 0 || e->has_tags))
            link_arg(next, args[i], t, n);
    }
    for (size_t i = 0; i < daoc_value_len(c->q); i++) {
        const char *k = daoc_obj_key_at(c->q, i, NULL);
        size_t n = 0;
        const char *t = filter_arg(e, k) ? qstr(c->q, k, &n) : NULL;
        if (t)
            link_arg(next, k, t, n);
    }
}

/* ?count=exact|estimated: "total" (and "total_estimated") into *out. */
static int count_rows(call *c, daoc_value *opts, daoc_value **out, daoc_error **err)
{
    *out = NULL;
    const daoc_value *raw = daoc_obj_get(c->q, "count");
    if (!raw)
        return DAOC_OK;
    size_t n = 0;
    const char *t = qstr(c->q, "count", &n);
    int rc = daoc_obj_set(opts, "count", t ? daoc_strn(t, n) : daoc_value_copy(raw));
    int64_t total = 0;
    bool estimated = false;
    if (rc == DAOC_OK)
        rc = daoc_dao_count(dao_of(c, c->r->ent), opts, &total, &estimated, err);
    daoc_obj_del(opts, "count");
    if (rc != DAOC_OK)
        return rc;
    daoc_value *o = daoc_obj();
    if (!o || daoc_obj_set(o, "total", daoc_int(total)) != DAOC_OK ||
        (t && strcmp(t, "estimated") == 0 &&
         daoc_obj_set(o, "total_estimated", daoc_bool(estimated)) != DAOC_OK)) {
        daoc_value_free(o);
        return DAOC_ENOMEM;
    }
    *out = o;
    return DAOC_OK;
}

/* ?count= on a nested page: the parent's rows only (its key as one more
 * condition of the filter, for the count alone). */
static int count_nested(call *c, daoc_value *opts, const daoc_value *fkv, daoc_value **counted,
                        daoc_error **err)
{
    *counted = NULL;
    if (!daoc_obj_get(c->q, "count"))
        return DAOC_OK;
    daoc_value *filter = (daoc_value *)daoc_obj_get(opts, "filter");
    bool made = !filter;
    if (made && (daoc_obj_set(opts, "filter", daoc_obj()) != DAOC_OK ||
                 !(filter = (daoc_value *)daoc_obj_get(opts, "filter"))))
        return DAOC_ENOMEM;
    daoc_value *eq = daoc_obj();
    int rc = eq ? daoc_obj_set(eq, "eq", daoc_value_copy(fkv)) : DAOC_ENOMEM;
    if (rc == DAOC_OK)
        rc = daoc_obj_set(filter, c->r->fk, eq); /* eq is the filter's, even on failure */
    else
        daoc_value_free(eq);
    if (rc == DAOC_OK)
        rc = count_rows(c, opts, counted, err);
    daoc_obj_del(filter, c->r->fk);
    if (made)
        daoc_obj_del(opts, "filter");
    return rc;
}

/* A nested page's next link: Kong's (the offset alone), with size and
 * the query too when a query shaped the page. */
static void nested_next(call *c, const daoc__adm_entity *pe, const char *offset, bool query,
                        daoc__buf *next)
{
    const daoc__adm_route *r = c->r;
    const daoc__adm_entity *e = &c->app->ents[r->ent];
    daoc__buf_printf(next, "/%s/", pe->coll);
    daoc__buf_append(next, r->raw_pparam, r->raw_pparam_len);
    daoc__buf_printf(next, "/%s?offset=", e->nested);
    daoc__adm_escape_uri(next, offset, strlen(offset));
    for (size_t i = 0; query && i < daoc_value_len(c->q); i++) {
        const char *k = daoc_obj_key_at(c->q, i, NULL);
        size_t n = 0;
        const char *t = k && strcmp(k, r->fk) != 0 &&
                                (strcmp(k, "size") == 0 || strcmp(k, "sort") == 0 ||
                                 strcmp(k, "count") == 0 || filter_arg(e, k))
                            ? qstr(c->q, k, &n)
                            : NULL;
        if (t)
            link_arg(next, k, t, n);
    }
}

/* GET /S, and GET /P/:p/S (pe the parent's entity, fkv its key: S's page
 * for P, page_for_<F>).  Both take the query (field filters, sort,
 * count) beside size and offset; a nested page ignores tags, as Kong's
 * does, and a filter on F itself (the route fixes it). */
static void get_collection(call *c, const daoc__adm_entity *pe, const daoc_value *fkv)
{
    const daoc__adm_entity *e = &c->app->ents[c->r->ent];
    if (!fkv && filter_by_unique(c, e))
        return;
    int64_t size = 0;
    daoc_value *opts = base_opts();
    if (!opts) {
        daoc__adm_message(c->res, 500, "An unexpected error occurred");
        return;
    }
    if (!size_arg(c, &size) || (!fkv && e->has_tags && !tags_opts(c, opts)) ||
        !query_opts(c, e, opts)) {
        daoc_value_free(opts);
        return;
    }
    daoc_value *filter = fkv ? (daoc_value *)daoc_obj_get(opts, "filter") : NULL;
    if (filter) {
        daoc_obj_del(filter, c->r->fk);
        if (daoc_value_len(filter) == 0)
            daoc_obj_del(opts, "filter");
    }
    const char *offset = qstr(c->q, "offset", NULL);
    daoc_value *rows = NULL, *counted = NULL;
    char *next_offset = NULL;
    daoc_error *err = NULL;
    int rc = fkv ? count_nested(c, opts, fkv, &counted, &err) : count_rows(c, opts, &counted, &err);
    if (rc == DAOC_OK)
        rc = fkv ? daoc_dao_page_for(dao_of(c, c->r->ent), c->r->fk, fkv, size, offset, opts, &rows,
                                     &next_offset, &err)
                 : daoc_dao_page(dao_of(c, c->r->ent), size, offset, opts, &rows, &next_offset,
                                 &err);
    if (rc != DAOC_OK) {
        daoc__adm_dao_error(c->res, rc, err);
    } else {
        daoc__buf next = DAOC__BUF_INIT;
        if (next_offset && fkv)
            nested_next(c, pe, next_offset,
                        daoc_obj_get(opts, "filter") || daoc_obj_get(opts, "sort") ||
                            daoc_obj_get(c->q, "count"),
                        &next);
        else if (next_offset)
            next_link(c, e, next_offset, &next);
        page_reply(c, rows, next_offset, &next, counted);
        daoc__buf_free(&next);
    }
    daoc_value_free(counted);
    daoc_free(next_offset);
    daoc_value_free(opts);
    daoc_error_free(err);
}

static void post_collection(call *c, daoc_value *fk_value)
{
    const daoc__adm_entity *e = &c->app->ents[c->r->ent];
    daoc_value *body = NULL;
    if (!daoc__adm_body(c->req, dao_of(c, c->r->ent), NULL, true, &body, c->res)) {
        daoc_value_free(fk_value);
        return;
    }
    if (fk_value && daoc_obj_set(body, c->r->fk, fk_value) != DAOC_OK) {
        daoc_value_free(body);
        daoc__adm_message(c->res, 500, "An unexpected error occurred");
        return;
    }
    daoc_value *opts = write_opts(e, body), *out = NULL;
    daoc_error *err = NULL;
    int rc = opts ? daoc_dao_insert(dao_of(c, c->r->ent), body, opts, &out, &err) : DAOC_ENOMEM;
    if (rc == DAOC_OK)
        daoc__adm_json(c->res, 201, out);
    else
        daoc__adm_dao_error(c->res, rc, err);
    daoc_value_free(out);
    daoc_value_free(opts);
    daoc_value_free(body);
    daoc_error_free(err);
}

/* Selects the entity of entity index `ei` that s[0..n) addresses into
 * *out (NULL when there is none).  false with the response set when the
 * DAO fails. */
static bool lookup(call *c, size_t ei, const char *s, size_t n, daoc_value **out)
{
    *out = NULL;
    sel k;
    daoc_value *opts = base_opts();
    daoc_error *err = NULL;
    int rc = opts ? sel_of(&c->app->ents[ei], s, n, &k) : DAOC_ENOMEM;
    if (rc == DAOC_OK) {
        rc = run(OP_SELECT, dao_of(c, ei), &k, NULL, opts, out, &err);
        sel_free(&k);
    }
    daoc_value_free(opts);
    if (rc != DAOC_OK) {
        daoc__adm_dao_error(c->res, rc, err);
        daoc_error_free(err);
        return false;
    }
    return true;
}

/* /S/:s with method m (GET, PUT, PATCH, DELETE); fk_value (taken): the
 * parent's key a nested PUT/PATCH puts into the body. */
static void entity_op(call *c, size_t ei, const char *s, size_t n, daoc_value *fk_value,
                      bool fk_unless_set)
{
    const daoc__adm_entity *e = &c->app->ents[ei];
    daoc_value *body = NULL, *opts = NULL, *out = NULL;
    daoc_error *err = NULL;
    enum op op = c->method == DAOC__M_PUT      ? OP_UPSERT
                 : c->method == DAOC__M_PATCH  ? OP_UPDATE
                 : c->method == DAOC__M_DELETE ? OP_DELETE
                                               : OP_SELECT;
    if (op == OP_UPSERT || op == OP_UPDATE) {
        /* a form PATCH of a plugin is read with the stored plugin's schema */
        daoc_value *stored = NULL;
        const daoc_value *sn = NULL;
        if (op == OP_UPDATE && strcmp(e->name, "plugins") == 0 && c->req->content_type &&
            strncmp(c->req->content_type, "application/json", 16) != 0) {
            if (!lookup(c, ei, s, n, &stored)) {
                daoc_value_free(fk_value);
                return;
            }
            sn = stored ? daoc_obj_get(stored, "name") : NULL;
        }
        bool read =
            daoc__adm_body(c->req, dao_of(c, ei),
                           sn && daoc_value_type(sn) == DAOC_TSTR ? daoc_value_str(sn, NULL) : NULL,
                           true, &body, c->res);
        daoc_value_free(stored);
        if (!read) {
            daoc_value_free(fk_value);
            return;
        }
        if (fk_value && !(fk_unless_set && daoc_obj_get(body, c->r->fk))) {
            if (daoc_obj_set(body, c->r->fk, fk_value) != DAOC_OK) {
                daoc__adm_message(c->res, 500, "An unexpected error occurred");
                daoc_value_free(body);
                return;
            }
            fk_value = NULL;
        }
        opts = write_opts(e, body);
    } else {
        opts = base_opts();
    }
    daoc_value_free(fk_value);
    sel k = {NULL, NULL};
    int rc = opts ? sel_of(e, s, n, &k) : DAOC_ENOMEM;
    if (rc == DAOC_OK)
        rc = run(op, dao_of(c, ei), &k, body, opts, &out, &err);
    if (rc != DAOC_OK)
        daoc__adm_dao_error(c->res, rc, err);
    else if (op == OP_DELETE)
        c->res->status = 204;
    else if (!out)
        daoc__adm_message(c->res, 404, "Not found");
    else
        daoc__adm_json(c->res, 200, out);
    sel_free(&k);
    daoc_value_free(out);
    daoc_value_free(opts);
    daoc_value_free(body);
    daoc_error_free(err);
}

/* Does child's field fk reference parent (its primary key)? */
static bool belongs(const daoc__adm_entity *pe, const daoc_value *parent, const daoc_value *child,
                    const char *fk)
{
    const daoc_value *ref = daoc_obj_get(child, fk);
    if (!ref || daoc_value_type(ref) != DAOC_TOBJ)
        return false;
    const daoc_value *names = daoc_obj_get(pe->schema, "primary_key");
    for (size_t i = 0; names && i < daoc_value_len(names); i++) {
        const char *f = daoc_value_str(daoc_arr_get(names, i), NULL);
        const daoc_value *a = f ? daoc_obj_get(ref, f) : NULL,
                         *b = f ? daoc_obj_get(parent, f) : NULL;
        size_t na = 0, nb = 0;
        const char *sa = a && daoc_value_type(a) == DAOC_TSTR ? daoc_value_str(a, &na) : NULL;
        const char *sb = b && daoc_value_type(b) == DAOC_TSTR ? daoc_value_str(b, &nb) : NULL;
        if (!sa || !sb || na != nb || memcmp(sa, sb, na) != 0)
            return false;
    }
    return true;
}

static void nested(call *c)
{
    const daoc__adm_route *r = c->r;
    const daoc__adm_entity *pe = &c->app->ents[r->parent];
    daoc_value *parent = NULL;
    if (!lookup(c, r->parent, r->pparam, r->pparam_len, &parent))
        return;
    if (!parent) {
        daoc__adm_message(c->res, 404, "Not found");
        return;
    }
    daoc_value *fkv = pk_of(pe, parent);
    if (!fkv) {
        daoc_value_free(parent);
        daoc__adm_message(c->res, 500, "An unexpected error occurred");
        return;
    }
    if (r->kind == DAOC__R_NESTED_COLL && c->method == DAOC__M_POST) {
        post_collection(c, fkv);
    } else if (r->kind == DAOC__R_NESTED_COLL) {
        get_collection(c, pe, fkv);
        daoc_value_free(fkv);
    } else if (c->method == DAOC__M_PUT) { /* the child, linked to the parent */
        entity_op(c, r->ent, r->param, r->param_len, fkv, false);
    } else {
        daoc_value *child = NULL;
        if (lookup(c, r->ent, r->param, r->param_len, &child)) {
            if (!child || !belongs(pe, parent, child, r->fk))
                daoc__adm_message(c->res, 404, "Not found");
            else if (c->method == DAOC__M_GET)
                daoc__adm_json(c->res, 200, child);
            else
                entity_op(c, r->ent, r->param, r->param_len,
                          c->method == DAOC__M_PATCH ? daoc_value_copy(fkv) : NULL, true);
        }
        daoc_value_free(child);
        daoc_value_free(fkv);
    }
    daoc_value_free(parent);
}

/* /S/:s/F: the entity S.F references */
static void foreign(call *c)
{
    const daoc__adm_route *r = c->r;
    const daoc__adm_entity *e = &c->app->ents[r->ent];
    size_t pi = 0;
    for (size_t f = 0; f < e->nfks; f++)
        if (strcmp(e->fks[f].field, r->fk) == 0)
            pi = e->fks[f].ref;
    daoc_value *ent = NULL;
    if (!lookup(c, r->ent, r->param, r->param_len, &ent))
        return;
    if (!ent) {
        daoc__adm_message(c->res, 404, "Not found");
        return;
    }
    const daoc_value *ref = daoc_obj_get(ent, r->fk);
    const daoc__adm_entity *pe = &c->app->ents[pi];
    const daoc_value *refid =
        ref && daoc_value_type(ref) == DAOC_TOBJ && pe->pk ? daoc_obj_get(ref, pe->pk) : NULL;
    size_t idn = 0;
    const char *id =
        refid && daoc_value_type(refid) == DAOC_TSTR ? daoc_value_str(refid, &idn) : NULL;
    if (c->method == DAOC__M_DELETE) {
        if (id)
            daoc__adm_message(c->res, 405, "Method not allowed");
        else
            daoc__adm_message(c->res, 404, "Not found");
    } else if (id) {
        /* by primary key, whatever the endpoint key */
        daoc_value *key = daoc_obj(), *opts = NULL, *body = NULL, *out = NULL;
        daoc_error *err = NULL;
        int rc = key ? daoc_obj_set(key, pe->pk, daoc_strn(id, idn)) : DAOC_ENOMEM;
        if (rc == DAOC_OK && c->method != DAOC__M_GET &&
            !daoc__adm_body(c->req, dao_of(c, pi), NULL, true, &body, c->res)) {
            daoc_value_free(key);
            daoc_value_free(ent);
            return;
        }
        opts = body ? write_opts(pe, body) : base_opts();
        daoc_dao *pdao = dao_of(c, pi);
        if (rc == DAOC_OK && !opts)
            rc = DAOC_ENOMEM;
        if (rc == DAOC_OK)
            rc = c->method == DAOC__M_GET     ? daoc_dao_select(pdao, key, opts, &out, &err)
                 : c->method == DAOC__M_PATCH ? daoc_dao_update(pdao, key, body, opts, &out, &err)
                                              : daoc_dao_upsert(pdao, key, body, opts, &out, &err);
        if (rc != DAOC_OK)
            daoc__adm_dao_error(c->res, rc, err);
        else if (!out)
            daoc__adm_message(c->res, 404, "Not found");
        else
            daoc__adm_json(c->res, 200, out);
        daoc_value_free(key);
        daoc_value_free(opts);
        daoc_value_free(body);
        daoc_value_free(out);
        daoc_error_free(err);
    } else if (c->method == DAOC__M_PUT && pe->pk) {
        /* S.F is null: create the referenced entity and link S to it */
        char uuid[37];
        daoc_value *key = daoc_obj(), *opts = NULL, *body = NULL, *out = NULL, *link = NULL,
                   *linked = NULL;
        daoc_error *err = NULL;
        int rc = key && daoc__uuid_v4(uuid) == DAOC_OK ? daoc_obj_set(key, pe->pk, daoc_str(uuid))
                                                       : DAOC_ENOMEM;
        if (rc == DAOC_OK && !daoc__adm_body(c->req, dao_of(c, pi), NULL, true, &body, c->res)) {
            daoc_value_free(key);
            daoc_value_free(ent);
            return;
        }
        opts = write_opts(pe, body);
        if (rc == DAOC_OK && !opts)
            rc = DAOC_ENOMEM;
        if (rc == DAOC_OK)
            rc = daoc_dao_upsert(dao_of(c, pi), key, body, opts, &out, &err);
        daoc_value *epk = rc == DAOC_OK ? pk_of(e, ent) : NULL;
        if (rc == DAOC_OK && (!epk || !(link = daoc_obj()) ||
                              daoc_obj_set(link, r->fk, daoc_value_copy(key)) != DAOC_OK))
            rc = DAOC_ENOMEM;
        if (rc == DAOC_OK)
            rc = daoc_dao_update(dao_of(c, r->ent), epk, link, NULL, &linked, &err);
        if (rc != DAOC_OK)
            daoc__adm_dao_error(c->res, rc, err);
        else
            daoc__adm_json(c->res, 200, out);
        daoc_value_free(epk);
        daoc_value_free(link);
        daoc_value_free(linked);
        daoc_value_free(key);
        daoc_value_free(opts);
        daoc_value_free(body);
        daoc_value_free(out);
        daoc_error_free(err);
    } else {
        daoc__adm_message(c->res, 404, "Not found");
    }
    daoc_value_free(ent);
}

void daoc__adm_crud(daoc__adm_app *app, daoc_db *db, const daoc__adm_req *req, unsigned method,
                    const daoc__adm_route *r, const daoc_value *query, daoc__adm_res *res)
{
    call c = {app, db, req, method, r, query, res};
    if (!dao_of(&c, r->ent)) {
        daoc__adm_message(res, 404, "Not found");
        return;
    }
    switch (r->kind) {
    case DAOC__R_COLL:
        if (method == DAOC__M_POST)
            post_collection(&c, NULL);
        else
            get_collection(&c, NULL, NULL);
        break;
    case DAOC__R_ENTITY:
        entity_op(&c, r->ent, r->param, r->param_len, NULL, false);
        break;
    case DAOC__R_FOREIGN:
        foreign(&c);
        break;
    case DAOC__R_NESTED_COLL:
    case DAOC__R_NESTED_ENTITY:
        nested(&c);
        break;
    default:
        daoc__adm_message(res, 404, "Not found");
        break;
    }
}
