/*
 * openapi.c -- GET /openapi.json: an OpenAPI 3.1 document of this node's
 * Admin API, generated from the same route table the router uses (app.c),
 * so it lists exactly the routes that answer.  Each entity becomes a
 * component schema (its fields as JSON Schema: string, integer, number,
 * boolean, array -- a set with uniqueItems --, map as an object of
 * values, record as an object of its fields, foreign as {"id"}, json as
 * any value; required fields and one_of as enum), each route its
 * operations with their parameters, request bodies and responses: the
 * entity, a page {data, offset, next}, Kong's error object or a message.
 * A top-level collection's GET also lists the query beyond Kong (filters
 * on indexed fields, sort, count; crud.c).  Built once per request from the app: nothing here
 * touches the database.
 */
#include <stdio.h>
#include <string.h>

#include "admin/admin.h"

typedef struct oa {
    int rc;
} oa;

static daoc_value *obj(oa *o)
{
    daoc_value *v = daoc_obj();
    if (!v)
        o->rc = DAOC_ENOMEM;
    return v;
}

static void put(oa *o, daoc_value *in, const char *k, daoc_value *v)
{
    if (o->rc != DAOC_OK || !in) {
        daoc_value_free(v);
        if (o->rc == DAOC_OK)
            o->rc = DAOC_ENOMEM;
        return;
    }
    if (daoc_obj_set(in, k, v) != DAOC_OK)
        o->rc = DAOC_ENOMEM;
}

static void push(oa *o, daoc_value *arr, daoc_value *v)
{
    if (o->rc != DAOC_OK || !arr) {
        daoc_value_free(v);
        return;
    }
    if (daoc_arr_push(arr, v) != DAOC_OK)
        o->rc = DAOC_ENOMEM;
}

static daoc_value *ref(oa *o, const char *what)
{
    char buf[256];
    snprintf(buf, sizeof buf, "#/components/schemas/%s", what);
    daoc_value *r = obj(o);
    put(o, r, "$ref", daoc_str(buf));
    return r;
}

/* ["<type>", "null"]: a JSON Schema type that also admits null */
static daoc_value *nullable(oa *o, const char *type)
{
    daoc_value *types = daoc_arr();
    push(o, types, daoc_str(type));
    push(o, types, daoc_str("null"));
    return types;
}

static const char *str_of(const daoc_value *v, const char *k)
{
    const daoc_value *x = daoc_obj_get(v, k);
    return x && daoc_value_type(x) == DAOC_TSTR ? daoc_value_str(x, NULL) : NULL;
}

static daoc_value *field_schema(oa *o, const daoc_value *def, int depth);

/* {"type":"object","properties":{...},"required":[...]} of a fields array */
static daoc_value *record_schema(oa *o, const daoc_value *fields, int depth)
{
    daoc_value *s = obj(o), *props = obj(o), *req = daoc_arr();
    put(o, s, "type", daoc_str("object"));
    for (size_t i = 0; fields && i < daoc_value_len(fields); i++) {
        const daoc_value *def = NULL;
        const char *k = daoc_obj_key_at(daoc_arr_get(fields, i), 0, &def);
        if (!k || !def)
            continue;
        put(o, props, k, field_schema(o, def, depth + 1));
        const daoc_value *r = daoc_obj_get(def, "required");
        if (r && daoc_value_type(r) == DAOC_TBOOL && daoc_value_bool(r) &&
            !daoc_obj_get(def, "default") && !daoc_obj_get(def, "auto"))
            push(o, req, daoc_str(k));
    }
    put(o, s, "properties", props);
    if (req && daoc_value_len(req))
        put(o, s, "required", req);
    else
        daoc_value_free(req);
    return s;
}

static daoc_value *field_schema(oa *o, const daoc_value *def, int depth)
{
    daoc_value *s = obj(o);
    const char *type = str_of(def, "type");
    if (!type || depth > 16)
        return s; /* any value */
    if (strcmp(type, "string") == 0 || strcmp(type, "integer") == 0 ||
        strcmp(type, "number") == 0 || strcmp(type, "boolean") == 0) {
        put(o, s, "type", nullable(o, type));
        const daoc_value *one_of = daoc_obj_get(def, "one_of");
        if (one_of && daoc_value_type(one_of) == DAOC_TARR)
            put(o, s, "enum", daoc_value_copy(one_of));
        if (daoc_obj_get(def, "uuid"))
            put(o, s, "format", daoc_str("uuid"));
    } else if (strcmp(type, "array") == 0 || strcmp(type, "set") == 0) {
        put(o, s, "type", daoc_str("array"));
        const daoc_value *el = daoc_obj_get(def, "elements");
        put(o, s, "items", el ? field_schema(o, el, depth + 1) : obj(o));
        if (strcmp(type, "set") == 0)
            put(o, s, "uniqueItems", daoc_bool(true));
    } else if (strcmp(type, "map") == 0) {
        put(o, s, "type", daoc_str("object"));
        const daoc_value *vals = daoc_obj_get(def, "values");
        put(o, s, "additionalProperties", vals ? field_schema(o, vals, depth + 1) : obj(o));
    } else if (strcmp(type, "record") == 0) {
        daoc_value_free(s);
        return record_schema(o, daoc_obj_get(def, "fields"), depth + 1);
    } else if (strcmp(type, "foreign") == 0) {
        daoc_value *props = obj(o), *id = obj(o);
        put(o, id, "type", daoc_str("string"));
        put(o, props, "id", id);
        put(o, s, "type", nullable(o, "object"));
        put(o, s, "properties", props);
    }
    return s;
}

static daoc_value *content(oa *o, daoc_value *schema)
{
    daoc_value *c = obj(o), *media = obj(o);
    put(o, media, "schema", schema);
    put(o, c, "application/json", media);
    return c;
}

static daoc_value *response(oa *o, const char *desc, daoc_value *schema)
{
    daoc_value *r = obj(o);
    put(o, r, "description", daoc_str(desc));
    if (schema)
        put(o, r, "content", content(o, schema));
    return r;
}

static daoc_value *path_param(oa *o, const char *name)
{
    daoc_value *p = obj(o), *s = obj(o);
    put(o, p, "name", daoc_str(name));
    put(o, p, "in", daoc_str("path"));
    put(o, p, "required", daoc_bool(true));
    put(o, s, "type", daoc_str("string"));
    put(o, p, "schema", s);
    return p;
}

/* One operation: summary, parameters, body, responses. */
static daoc_value *op(oa *o, const char *summary, const char *const *params, size_t np,
                      const char *body_ref, const char *ok_code, const char *ok_ref, bool page)
{
    daoc_value *x = obj(o), *ps = daoc_arr(), *rs = obj(o);
    put(o, x, "summary", daoc_str(summary));
    for (size_t i = 0; i < np; i++)
        push(o, ps, path_param(o, params[i]));
    if (page) {
        static const char *const q[] = {"size", "offset", "tags"};
        for (size_t i = 0; i < 3; i++) {
            daoc_value *p = obj(o), *s = obj(o);
            put(o, p, "name", daoc_str(q[i]));
            put(o, p, "in", daoc_str("query"));
            put(o, s, "type", daoc_str(i == 0 ? "integer" : "string"));
            put(o, p, "schema", s);
            push(o, ps, p);
        }
    }
    put(o, x, "parameters", ps);
    if (body_ref) {
        daoc_value *rb = obj(o);
        put(o, rb, "content", content(o, ref(o, body_ref)));
        put(o, x, "requestBody", rb);
    }
    if (strcmp(ok_code, "204") == 0)
        put(o, rs, "204", response(o, "No Content", NULL));
    else
        put(o, rs, ok_code, response(o, "OK", ok_ref ? ref(o, ok_ref) : NULL));
    put(o, rs, "400", response(o, "Bad Request", ref(o, "Error")));
    put(o, rs, "404", response(o, "Not Found", ref(o, "Message")));
    if (body_ref)
        put(o, rs, "409", response(o, "Conflict", ref(o, "Error")));
    put(o, x, "responses", rs);
    return x;
}

/* A query parameter of a collection: name, JSON Schema type, what it does
 * and (NULL-terminated, may be NULL) the values it takes. */
static daoc_value *query_param(oa *o, const char *name, const char *type, const char *desc,
                               const daoc_value *values)
{
    daoc_value *p = obj(o), *s = obj(o);
    put(o, p, "name", daoc_str(name));
    put(o, p, "in", daoc_str("query"));
    put(o, p, "description", daoc_str(desc));
    put(o, s, "type", daoc_str(type));
    if (values)
        put(o, s, "enum", daoc_value_copy(values));
    put(o, p, "schema", s);
    return p;
}

/* The JSON Schema type of a filter value of field def (a foreign key: its
 * entity's key, a string). */
static const char *filter_type(const daoc_value *def)
{
    const char *t = str_of(def, "type");
    if (t && (strcmp(t, "integer") == 0 || strcmp(t, "number") == 0 || strcmp(t, "boolean") == 0))
        return t;
    return "string";
}

/* Whether an index serves field `name` of e (the DAO's rule, page_query.c:
 * the single-field primary key, unique scalar fields, foreign keys, a
 * created_at timestamp: schema.h's daoc__field_created_at_index). */
static bool indexed(const daoc__adm_entity *e, const char *name, const daoc_value *def)
{
    const char *t = str_of(def, "type");
    if (!t)
        return false;
    if (strcmp(t, "foreign") == 0)
        return true;
    if (strcmp(t, "string") != 0 && strcmp(t, "integer") != 0 && strcmp(t, "number") != 0 &&
        strcmp(t, "boolean") != 0)
        return false;
    const daoc_value *u = daoc_obj_get(def, "unique"), *ts = daoc_obj_get(def, "timestamp");
    bool stamp = ts && daoc_value_type(ts) == DAOC_TBOOL && daoc_value_bool(ts);
    return (u && daoc_value_type(u) == DAOC_TBOOL && daoc_value_bool(u)) ||
           (e->pk && strcmp(e->pk, name) == 0) ||
           (stamp && strcmp(name, "created_at") == 0 && strcmp(t, "boolean") != 0 &&
            strcmp(t, "string") != 0);
}

/* Beyond Kong: the query parameters of a top-level collection's GET --
 * filters on every indexed field (?f=, ?f[gt|gte|lt|lte|eq]=), sort and
 * count -- appended to op x's parameters. */
/* The query arguments of e's pages, into operation x; skip: a field the
 * route fixes (a nested page's foreign key), or NULL. */
static void query_params(oa *o, const daoc__adm_entity *e, const char *skip, daoc_value *x)
{
    daoc_value *ps = (daoc_value *)daoc_obj_get(x, "parameters");
    daoc_value *sorts = daoc_arr(), *counts = daoc_arr();
    static const char *const ops[] = {"gt", "gte", "lt", "lte", "eq"};
    for (size_t i = 0; ps && i < daoc_value_len(e->fields); i++) {
        const daoc_value *def = NULL;
        const char *name = daoc_obj_key_at(daoc_arr_get(e->fields, i), 0, &def);
        if (!name || !def || !indexed(e, name, def) || (skip && strcmp(name, skip) == 0))
            continue;
        char buf[300], desc[400];
        snprintf(desc, sizeof desc, "rows whose %s equals this value", name);
        push(o, ps, query_param(o, name, filter_type(def), desc, NULL));
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
            snprintf(buf, sizeof buf, "%s[%s]", name, ops[k]);
            snprintf(desc, sizeof desc,
                     "rows whose %s is %s this value (conditions combine "
                     "with AND)",
                     name,
                     k == 0   ? "greater than"
                     : k == 1 ? "at least"
                     : k == 2 ? "less than"
                     : k == 3 ? "at most"
                              : "equal to");
            push(o, ps, query_param(o, buf, filter_type(def), desc, NULL));
        }
        push(o, sorts, daoc_str(name));
        snprintf(buf, sizeof buf, "-%s", name);
        push(o, sorts, daoc_str(buf));
    }
    push(o, counts, daoc_str("exact"));
    push(o, counts, daoc_str("estimated"));
    push(o, ps,
         query_param(o, "sort", "string",
                     "order on an indexed field, descending with '-' (keyset pages: the "
                     "offset belongs to this order)",
                     sorts));
    push(o, ps,
         query_param(o, "count", "string",
                     "adds total (the rows matching the filters); estimated: the "
                     "store's estimate, total_estimated saying whether it is one",
                     counts));
    daoc_value_free(sorts);
    daoc_value_free(counts);
}

static daoc_value *page_schema(oa *o, const char *ent)
{
    daoc_value *s = obj(o), *props = obj(o), *data = obj(o), *off = obj(o), *next = obj(o);
    put(o, s, "type", daoc_str("object"));
    put(o, data, "type", daoc_str("array"));
    put(o, data, "items", ref(o, ent));
    put(o, props, "data", data);
    put(o, off, "type", daoc_str("string"));
    put(o, props, "offset", off);
    put(o, next, "type", nullable(o, "string"));
    put(o, props, "next", next);
    daoc_value *total = obj(o), *est = obj(o);
    put(o, total, "type", daoc_str("integer"));
    put(o, props, "total", total);
    put(o, est, "type", daoc_str("boolean"));
    put(o, props, "total_estimated", est);
    put(o, s, "properties", props);
    return s;
}

/* item under path p, unless the route is one Kong disables (then freed). */
static void put_path(oa *o, daoc_value *paths, const char *p, daoc_value *item, bool disabled)
{
    if (disabled)
        daoc_value_free(item);
    else
        put(o, paths, p, item);
}

static void entity_paths(oa *o, const daoc__adm_app *app, const daoc__adm_entity *e,
                         daoc_value *paths)
{
    char p[512], page[300];
    snprintf(page, sizeof page, "%s_page", e->name);
    const char *one[] = {e->name};
    /* Kong disables /targets, /targets/:t and /targets/:t/upstream */
    bool disabled = strcmp(e->name, "targets") == 0;
    daoc_value *coll = obj(o);
    daoc_value *list = op(o, "List", NULL, 0, NULL, "200", page, true);
    if (list)
        query_params(o, e, NULL, list);
    put(o, coll, "get", list);
    put(o, coll, "post", op(o, "Create", NULL, 0, e->name, "201", e->name, false));
    snprintf(p, sizeof p, "/%s", e->coll);
    put_path(o, paths, p, coll, disabled);
    daoc_value *ent = obj(o);
    put(o, ent, "get", op(o, "Retrieve", one, 1, NULL, "200", e->name, false));
    put(o, ent, "put", op(o, "Create or replace", one, 1, e->name, "200", e->name, false));
    put(o, ent, "patch", op(o, "Update", one, 1, e->name, "200", e->name, false));
    put(o, ent, "delete", op(o, "Delete", one, 1, NULL, "204", NULL, false));
    snprintf(p, sizeof p, "/%s/{%s}", e->coll, e->name);
    put_path(o, paths, p, ent, disabled);
    for (size_t f = 0; f < e->nfks; f++) {
        const daoc__adm_entity *pe = &app->ents[e->fks[f].ref];
        daoc_value *fe = obj(o);
        put(o, fe, "get",
            op(o, "Retrieve the referenced entity", one, 1, NULL, "200", pe->name, false));
        put(o, fe, "put",
            op(o, "Create or replace the referenced entity", one, 1, pe->name, "200", pe->name,
               false));
        put(o, fe, "patch",
            op(o, "Update the referenced entity", one, 1, pe->name, "200", pe->name, false));
        snprintf(p, sizeof p, "/%s/{%s}/%s", e->coll, e->name, e->fks[f].field);
        put_path(o, paths, p, fe, disabled);
        if (!pe->generate)
            continue;
        const char *two[] = {pe->name, e->name};
        snprintf(p, sizeof p, "/%s/{%s}/%s", pe->coll, pe->name, e->nested);
        if (!daoc_obj_get(paths, p)) {
            daoc_value *nc = obj(o);
            daoc_value *nl = op(o, "List for the parent", two, 1, NULL, "200", page, true);
            if (nl)
                query_params(o, e, e->fks[f].field, nl);
            put(o, nc, "get", nl);
            put(o, nc, "post",
                op(o, "Create for the parent", two, 1, e->name, "201", e->name, false));
            put(o, paths, p, nc);
            daoc_value *ne = obj(o);
            put(o, ne, "get", op(o, "Retrieve", two, 2, NULL, "200", e->name, false));
            put(o, ne, "put", op(o, "Create or replace", two, 2, e->name, "200", e->name, false));
            put(o, ne, "patch", op(o, "Update", two, 2, e->name, "200", e->name, false));
            put(o, ne, "delete", op(o, "Delete", two, 2, NULL, "204", NULL, false));
            snprintf(p, sizeof p, "/%s/{%s}/%s/{%s}", pe->coll, pe->name, e->nested, e->name);
            put(o, paths, p, ne);
        }
    }
}

/* Kong's health routes of an upstream's targets (health.c). */
static void health_paths(oa *o, daoc_value *paths)
{
    const char *u[] = {"upstreams"}, *ut[] = {"upstreams", "targets"},
               *uta[] = {"upstreams", "targets", "address"};
    daoc_value *h = obj(o);
    put(o, h, "get", op(o, "The targets with their health", u, 1, NULL, "200", NULL, false));
    put(o, paths, "/upstreams/{upstreams}/health", h);
    static const char *const marks[] = {"healthy", "unhealthy"};
    for (size_t i = 0; i < 2; i++) {
        char p[128], summary[64];
        snprintf(summary, sizeof summary, "Mark the target %s", marks[i]);
        daoc_value *t = obj(o), *a = obj(o);
        put(o, t, "put", op(o, summary, ut, 2, NULL, "204", NULL, false));
        snprintf(p, sizeof p, "/upstreams/{upstreams}/targets/{targets}/%s", marks[i]);
        put(o, paths, p, t);
        snprintf(summary, sizeof summary, "Mark one address of the target %s", marks[i]);
        put(o, a, "put", op(o, summary, uta, 3, NULL, "204", NULL, false));
        snprintf(p, sizeof p, "/upstreams/{upstreams}/targets/{targets}/{address}/%s", marks[i]);
        put(o, paths, p, a);
    }
}

/* Kong's routes that are not an entity's: the schemas, tags by tag, the
 * cache, the log level, /config and /status/dns (node.c, cache.c). */
static void node_paths(oa *o, daoc_value *paths)
{
    static const struct {
        const char *path, *method, *summary, *param, *ok;
    } rs[] = {
        {"/schemas/{name}", "get", "An entity's schema", "name", "200"},
        {"/schemas/{name}/validate", "post", "Validate an entity", "name", "200"},
        {"/schemas/plugins/{name}", "get", "A plugin's configuration schema", "name", "200"},
        {"/schemas/plugins/validate", "post", "Validate a plugin's configuration", NULL, "200"},
        {"/schemas/vaults/{name}", "get", "A vault's schema", "name", "200"},
        {"/tags/{tags}", "get", "The entities with a tag", "tags", "200"},
        {"/cache", "delete", "Drop every entry of this node's cache", NULL, "204"},
        {"/cache/{key}", "get", "The value this node caches for key", "key", "200"},
        {"/cache/{key}", "delete", "Drop key from this node's cache", "key", "204"},
        {"/debug/node/log-level/{log_level}", "put", "Set this node's log level", "log_level",
         "200"},
        {"/debug/cluster/log-level/{log_level}", "put", "Set every node's log level", "log_level",
         "200"},
        {"/config", "get", "Kong's DB-less configuration: 400 with a database", NULL, "200"},
        {"/status/dns", "get", "DNS statistics: 501, daoc resolves no name", NULL, "200"},
    };
    /* a path's methods are next to each other in rs */
    for (size_t i = 0; i < sizeof rs / sizeof rs[0];) {
        daoc_value *item = obj(o);
        size_t j = i;
        for (; j < sizeof rs / sizeof rs[0] && strcmp(rs[j].path, rs[i].path) == 0; j++) {
            const char *params[1] = {rs[j].param};
            put(o, item, rs[j].method,
                op(o, rs[j].summary, params, rs[j].param ? 1 : 0, NULL, rs[j].ok, NULL, false));
        }
        put(o, paths, rs[i].path, item);
        i = j;
    }
}

/* A plugin's own routes (its api.lua): their methods, parameters and, for
 * a route naming a schema, that entity as the body; the answer is the
 * handler's own, so no schema is promised for it. */
static void plugin_paths(oa *o, const daoc__adm_app *app, daoc_value *paths)
{
    static const struct {
        unsigned bit;
        const char *name;
        bool body;
    } ms[] = {{DAOC__M_GET, "get", false},
              {DAOC__M_POST, "post", true},
              {DAOC__M_PUT, "put", true},
              {DAOC__M_PATCH, "patch", true},
              {DAOC__M_DELETE, "delete", false}};
    for (size_t i = 0; i < app->nproutes; i++) {
        const daoc__adm_proute *p = &app->proutes[i];
        if (!p->methods)
            continue;
        daoc__buf b = DAOC__BUF_INIT;
        const char *params[DAOC__ADM_MAX_SEGS];
        size_t np = 0;
        for (size_t s = 0; s < p->nseg; s++) {
            daoc__buf_printf(&b, p->param[s] ? "/{%s}" : "/%s", p->seg[s]);
            if (p->param[s])
                params[np++] = p->seg[s];
        }
        if (!p->nseg)
            daoc__buf_puts(&b, "/");
        if (b.failed) {
            o->rc = DAOC_ENOMEM;
            daoc__buf_free(&b);
            return;
        }
        daoc_value *item = (daoc_value *)daoc_obj_get(paths, b.data);
        bool fresh = item == NULL;
        if (fresh)
            item = obj(o);
        char summary[300];
        snprintf(summary, sizeof summary, "plugin %s: %s", p->plugin, p->path);
        for (size_t m = 0; item && m < sizeof ms / sizeof ms[0]; m++)
            if ((p->methods & ms[m].bit) && !daoc_obj_get(item, ms[m].name))
                put(o, item, ms[m].name,
                    op(o, summary, params, np, ms[m].body ? p->schema : NULL, "200", NULL, false));
        if (fresh)
            put(o, paths, b.data, item);
        daoc__buf_free(&b);
    }
}

static daoc_value *error_schemas(oa *o, daoc_value *schemas)
{
    daoc_value *err = obj(o), *props = obj(o), *req = daoc_arr();
    static const char *const k[][2] = {{"code", "integer"},
                                       {"name", "string"},
                                       {"message", "string"},
                                       {"fields", "object"},
                                       {"options", "object"}};
    for (size_t i = 0; i < 5; i++) {
        daoc_value *p = obj(o);
        put(o, p, "type", daoc_str(k[i][1]));
        put(o, props, k[i][0], p);
    }
    push(o, req, daoc_str("message"));
    put(o, err, "type", daoc_str("object"));
    put(o, err, "properties", props);
    put(o, err, "required", req);
    put(o, schemas, "Error", err);
    daoc_value *msg = obj(o), *mp = obj(o), *m = obj(o), *mreq = daoc_arr();
    put(o, m, "type", daoc_str("string"));
    put(o, mp, "message", m);
    push(o, mreq, daoc_str("message"));
    put(o, msg, "type", daoc_str("object"));
    put(o, msg, "properties", mp);
    put(o, msg, "required", mreq);
    put(o, schemas, "Message", msg);
    return schemas;
}

void daoc__adm_openapi(const daoc__adm_app *app, daoc__adm_res *res)
{
    oa o = {DAOC_OK};
    daoc_value *doc = obj(&o), *info = obj(&o), *paths = obj(&o), *comp = obj(&o),
               *schemas = obj(&o);
    put(&o, doc, "openapi", daoc_str("3.1.0"));
    put(&o, info, "title", daoc_str("daoc Admin API"));
    put(&o, info, "version", daoc_str(DAOC_VERSION_STRING));
    put(&o, info, "description",
        daoc_str("Kong's Admin API, generated from the schemas this node loaded"));
    put(&o, doc, "info", info);
    static const char *const fixed[] = {
        "/",     "/status",       "/endpoints", "/plugins/enabled",
        "/tags", "/openapi.json", "/timers",    "/debug/node/log-level"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        daoc_value *item = obj(&o), *get = obj(&o), *rs = obj(&o);
        put(&o, get, "summary", daoc_str(fixed[i]));
        daoc_value *any = obj(&o);
        put(&o, any, "type", daoc_str("object"));
        put(&o, rs, "200", response(&o, "OK", any));
        put(&o, get, "responses", rs);
        put(&o, item, "get", get);
        put(&o, paths, fixed[i], item);
    }
    for (size_t i = 0; i < app->n; i++) {
        const daoc__adm_entity *e = &app->ents[i];
        put(&o, schemas, e->name, record_schema(&o, e->fields, 0));
        char page[300];
        snprintf(page, sizeof page, "%s_page", e->name);
        put(&o, schemas, page, page_schema(&o, e->name));
        if (e->generate && strcmp(e->name, "tags") != 0)
            entity_paths(&o, app, e, paths);
    }
    node_paths(&o, paths);
    if (daoc__adm_entity_named(app, "upstreams"))
        health_paths(&o, paths);
    plugin_paths(&o, app, paths);
    put(&o, comp, "schemas", error_schemas(&o, schemas));
    put(&o, doc, "paths", paths);
    put(&o, doc, "components", comp);
    if (o.rc == DAOC_OK)
        daoc__adm_json(res, 200, doc);
    else
        daoc__adm_message(res, 500, "An unexpected error occurred");
    daoc_value_free(doc);
}
