/*
 * route.c -- a request path to an Admin API route.  The path is split on
 * '/' first and each segment percent-decoded after (so "%2F" inside a
 * name stays inside its segment), then matched the way Kong's router
 * ranks routes: the fixed routes (/status, /schemas/..., /plugins/enabled,
 * /tags) before the generated ones, whose shapes follow the route table
 * (app.c):
 *   /S                 GET POST
 *   /S/:s              GET PUT PATCH DELETE
 *   /S/:s/F            GET PUT PATCH DELETE   (F a foreign field of S)
 *   /P/:p/S            GET POST               (S has a foreign field to P)
 *   /P/:p/S/:s         GET PUT PATCH DELETE
 * and Kong's own: /plugins/schema/:name (deprecated, the config's schema),
 * /upstreams/:u/targets/all (the page), /upstreams/:u/health and the
 * targets' (un)healthy, /debug/node/log-level, /debug/cluster/log-level, /config, /timers,
 * /status/dns, /schemas/vaults/:name, and /targets, /targets/:t,
 * /targets/:t/upstream disabled (404).
 * Every route also answers HEAD where it answers GET, and OPTIONS.  One
 * trailing slash is ignored, as Kong retries a path without it.
 * A plugin's own route (its api.lua, app->proutes) is matched too, and
 * ranked against the route above as Kong's router ranks paths: at the
 * first segment where one has a literal and the other a parameter, the
 * literal wins; a plugin's route of the same shape overrides the
 * generated one for the methods it handles (and its `before` runs for
 * all of them), the generated one answering the rest.
 */
#include <string.h>

#include "admin/admin.h"
#include "admin/args.h"
#include "core/alloc.h"

void daoc__adm_route_free(daoc__adm_route *r)
{
    for (size_t i = 0; i < r->nseg; i++)
        daoc__free(r->seg[i]);
    r->nseg = 0;
}

static bool is(const daoc__adm_route *r, size_t i, const char *lit)
{
    return i < r->nseg && strcmp(r->seg[i], lit) == 0 && strlen(lit) == r->seglen[i];
}

static const daoc__adm_entity *collection(const daoc__adm_app *app, const char *name)
{
    for (size_t i = 0; i < app->n; i++)
        if (app->ents[i].generate && strcmp(app->ents[i].coll, name) == 0)
            return &app->ents[i];
    return NULL;
}

/* The child S (generated) whose nested name is `name` and that has a
 * foreign field to entity p; *fk its field. */
static const daoc__adm_entity *child(const daoc__adm_app *app, size_t p, const char *name,
                                     const char **fk)
{
    for (size_t i = 0; i < app->n; i++) {
        const daoc__adm_entity *c = &app->ents[i];
        if (!c->generate || strcmp(c->nested, name) != 0)
            continue;
        for (size_t f = 0; f < c->nfks; f++)
            if (c->fks[f].ref == p) {
                *fk = c->fks[f].field;
                return c;
            }
    }
    return NULL;
}

enum {
    GETS = DAOC__M_GET | DAOC__M_HEAD | DAOC__M_OPTIONS,
    COLL = GETS | DAOC__M_POST,
    ENTITY = GETS | DAOC__M_PUT | DAOC__M_PATCH | DAOC__M_DELETE,
    POSTS = DAOC__M_POST | DAOC__M_OPTIONS
};

static void fixed(daoc__adm_route *r)
{
    size_t n = r->nseg;
    if (n == 0) {
        r->kind = DAOC__R_ROOT, r->methods = GETS;
    } else if (n == 1 && is(r, 0, "status")) {
        r->kind = DAOC__R_STATUS, r->methods = GETS;
    } else if (n == 1 && is(r, 0, "endpoints")) {
        r->kind = DAOC__R_ENDPOINTS, r->methods = GETS;
    } else if (n == 1 && is(r, 0, "openapi.json")) {
        r->kind = DAOC__R_OPENAPI, r->methods = GETS;
    } else if (is(r, 0, "schemas") && n == 3 && is(r, 1, "plugins")) {
        if (is(r, 2, "validate"))
            r->kind = DAOC__R_PLUGIN_VALIDATE, r->methods = POSTS;
        else
            r->kind = DAOC__R_PLUGIN_SCHEMA, r->methods = GETS;
    } else if (is(r, 0, "schemas") && n == 3 && is(r, 2, "validate")) {
        r->kind = DAOC__R_SCHEMA_VALIDATE, r->methods = POSTS;
    } else if (is(r, 0, "schemas") && n == 2) {
        r->kind = DAOC__R_SCHEMA, r->methods = GETS;
    } else if (n == 3 && is(r, 0, "plugins") && is(r, 1, "schema")) {
        r->kind = DAOC__R_PLUGIN_CONFIG, r->methods = GETS;
    } else if (n == 2 && is(r, 0, "plugins") && is(r, 1, "enabled")) {
        r->kind = DAOC__R_PLUGINS_ENABLED, r->methods = GETS;
    } else if (n == 3 && is(r, 0, "schemas") && is(r, 1, "vaults") && !is(r, 2, "validate")) {
        r->kind = DAOC__R_VAULT_SCHEMA, r->methods = GETS;
    } else if (n == 3 && is(r, 0, "debug") && is(r, 1, "node") && is(r, 2, "log-level")) {
        r->kind = DAOC__R_LOG_LEVEL, r->methods = GETS;
    } else if (n == 4 && is(r, 0, "debug") && is(r, 1, "node") && is(r, 2, "log-level")) {
        r->kind = DAOC__R_LOG_LEVEL_SET, r->methods = DAOC__M_PUT | DAOC__M_OPTIONS;
    } else if (n == 4 && is(r, 0, "debug") && is(r, 1, "cluster") && is(r, 2, "log-level")) {
        r->kind = DAOC__R_CLUSTER_LOG_LEVEL, r->methods = DAOC__M_PUT | DAOC__M_OPTIONS;
    } else if (n == 1 && is(r, 0, "cache")) {
        r->kind = DAOC__R_CACHE, r->methods = DAOC__M_DELETE | DAOC__M_OPTIONS;
    } else if (n == 2 && is(r, 0, "cache")) {
        r->kind = DAOC__R_CACHE, r->methods = GETS | DAOC__M_DELETE;
    } else if (n == 1 && is(r, 0, "config")) {
        r->kind = DAOC__R_CONFIG, r->methods = COLL;
    } else if (n == 1 && is(r, 0, "timers")) {
        r->kind = DAOC__R_TIMERS, r->methods = GETS;
    } else if (n == 2 && is(r, 0, "status") && is(r, 1, "dns")) {
        r->kind = DAOC__R_STATUS_DNS, r->methods = GETS;
    } else if (is(r, 0, "tags") && n <= 2) {
        r->kind = n == 1 ? DAOC__R_TAGS : DAOC__R_TAG, r->methods = GETS;
    }
}

/* Kong's /upstreams/:u/health and /upstreams/:u/targets/:t[/:address]/
 * healthy|unhealthy (r->param the :u). */
static bool health_route(daoc__adm_route *r)
{
    if (r->nseg == 3 && is(r, 2, "health")) {
        r->kind = DAOC__R_UPSTREAM_HEALTH, r->methods = GETS;
        return true;
    }
    size_t n = r->nseg;
    if ((n == 5 || n == 6) && is(r, 2, "targets") &&
        (is(r, n - 1, "healthy") || is(r, n - 1, "unhealthy"))) {
        r->kind = DAOC__R_TARGET_HEALTH, r->methods = DAOC__M_PUT | DAOC__M_OPTIONS;
        return true;
    }
    return false;
}

static void generated(const daoc__adm_app *app, daoc__adm_route *r)
{
    const daoc__adm_entity *s = collection(app, r->seg[0]);
    if (!s)
        return;
    /* Kong disables /targets, /targets/:targets and its /upstream (use
     * /upstreams/:upstreams/targets): 404 for every method */
    if (strcmp(s->name, "targets") == 0 && r->nseg <= 3)
        return;
    size_t si = (size_t)(s - app->ents);
    r->ent = si;
    if (r->nseg == 1) {
        r->kind = DAOC__R_COLL, r->methods = COLL;
        return;
    }
    r->param = r->seg[1];
    r->param_len = r->seglen[1];
    if (r->nseg == 2) {
        r->kind = DAOC__R_ENTITY, r->methods = ENTITY;
        return;
    }
    if (r->nseg == 3)
        for (size_t f = 0; f < s->nfks; f++)
            if (strcmp(s->fks[f].field, r->seg[2]) == 0) {
                r->kind = DAOC__R_FOREIGN, r->methods = ENTITY;
                r->fk = s->fks[f].field;
                return;
            }
    if (strcmp(s->name, "upstreams") == 0 && health_route(r))
        return;
    const char *fk = NULL;
    const daoc__adm_entity *c = child(app, si, r->seg[2], &fk);
    if (!c)
        return;
    r->parent = si;
    r->ent = (size_t)(c - app->ents);
    r->fk = fk;
    r->pparam = r->seg[1];
    r->pparam_len = r->seglen[1];
    r->param = NULL;
    if (r->nseg == 3) {
        r->kind = DAOC__R_NESTED_COLL, r->methods = COLL;
    } else if (r->nseg == 4 && strcmp(c->name, "targets") == 0 && is(r, 3, "all")) {
        r->kind = DAOC__R_NESTED_COLL, r->methods = GETS; /* Kong's targets/all */
    } else if (r->nseg == 4) {
        r->kind = DAOC__R_NESTED_ENTITY, r->methods = ENTITY;
        r->param = r->seg[3];
        r->param_len = r->seglen[3];
    }
}

/* Which segments of the matched route are parameters (bit i: segment i). */
static unsigned params_of(const daoc__adm_route *r)
{
    switch (r->kind) {
    case DAOC__R_SCHEMA:
    case DAOC__R_SCHEMA_VALIDATE:
    case DAOC__R_TAG:
    case DAOC__R_ENTITY:
    case DAOC__R_FOREIGN:
    case DAOC__R_NESTED_COLL:
        return 1u << 1;
    case DAOC__R_PLUGIN_SCHEMA:
    case DAOC__R_PLUGIN_CONFIG:
    case DAOC__R_VAULT_SCHEMA:
        return 1u << 2;
    case DAOC__R_LOG_LEVEL_SET:
    case DAOC__R_CLUSTER_LOG_LEVEL:
        return 1u << 3;
    case DAOC__R_UPSTREAM_HEALTH:
        return 1u << 1;
    case DAOC__R_CACHE:
        return r->nseg == 2 ? 1u << 1 : 0;
    case DAOC__R_TARGET_HEALTH:
        return r->nseg == 6 ? (1u << 1 | 1u << 3 | 1u << 4) : (1u << 1 | 1u << 3);
    case DAOC__R_NESTED_ENTITY:
        return 1u << 1 | 1u << 3;
    default:
        return 0;
    }
}

/* <0 when shape a (parameter bits over n segments) ranks before b. */
static int rank(unsigned a, unsigned b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned pa = a >> i & 1u, pb = b >> i & 1u;
        if (pa != pb)
            return pa ? 1 : -1; /* the literal first */
    }
    return 0;
}

static unsigned proute_params(const daoc__adm_proute *p)
{
    unsigned bits = 0;
    for (size_t i = 0; i < p->nseg; i++)
        if (p->param[i])
            bits |= 1u << i;
    return bits;
}

/* The best plugin route matching r's segments, ranked against r's own. */
static void plugin_route(const daoc__adm_app *app, daoc__adm_route *r)
{
    const daoc__adm_proute *best = NULL;
    unsigned best_bits = 0;
    for (size_t i = 0; i < app->nproutes; i++) {
        const daoc__adm_proute *p = &app->proutes[i];
        if (p->nseg != r->nseg)
            continue;
        bool match = true;
        for (size_t s = 0; match && s < p->nseg; s++)
            match = p->param[s] || is(r, s, p->seg[s]);
        unsigned bits = proute_params(p);
        if (match && (!best || rank(bits, best_bits, p->nseg) < 0)) {
            best = p;
            best_bits = bits;
        }
    }
    if (!best)
        return;
    int order = r->kind == DAOC__R_NONE ? -1 : rank(best_bits, params_of(r), r->nseg);
    if (order > 0)
        return; /* the route matched already is more specific */
    unsigned mine = best->methods | DAOC__M_OPTIONS;
    if (mine & DAOC__M_GET)
        mine |= DAOC__M_HEAD;
    r->plugin = best;
    if (order < 0) {
        r->kind = DAOC__R_PLUGIN;
        r->methods = mine;
    } else {
        r->methods |= mine;
    }
}

int daoc__adm_route_match(const daoc__adm_app *app, const char *path, daoc__adm_route *r)
{
    memset(r, 0, sizeof *r);
    if (!path || path[0] != '/')
        return DAOC_OK;
    size_t len = strlen(path);
    if (len > 1 && path[len - 1] == '/')
        len--;
    const char *p = path + 1, *end = path + len;
    while (p < end) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *segend = slash ? slash : end;
        if (segend == p || r->nseg == DAOC__ADM_MAX_SEGS) { /* "//", or too deep */
            daoc__adm_route_free(r);
            return DAOC_OK;
        }
        r->seg[r->nseg] = daoc__pct_decode(p, (size_t)(segend - p), false, &r->seglen[r->nseg]);
        if (!r->seg[r->nseg]) {
            daoc__adm_route_free(r);
            return DAOC_ENOMEM;
        }
        r->raw[r->nseg] = p;
        r->rawlen[r->nseg] = (size_t)(segend - p);
        if (r->nseg == 1) { /* :p as sent, for next links */
            r->raw_pparam = p;
            r->raw_pparam_len = (size_t)(segend - p);
        }
        r->nseg++;
        p = segend + (slash != NULL);
    }
    fixed(r);
    if (r->kind == DAOC__R_NONE && r->nseg > 0)
        generated(app, r);
    if (app->nproutes)
        plugin_route(app, r);
    return DAOC_OK;
}

void daoc__adm_methods_text(unsigned methods, char *buf, size_t size)
{
    /* sorted as Kong sorts them */
    static const struct {
        unsigned bit;
        const char *name;
    } order[] = {{DAOC__M_DELETE, "DELETE"},   {DAOC__M_GET, "GET"},     {DAOC__M_HEAD, "HEAD"},
                 {DAOC__M_OPTIONS, "OPTIONS"}, {DAOC__M_PATCH, "PATCH"}, {DAOC__M_POST, "POST"},
                 {DAOC__M_PUT, "PUT"}};
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(methods & order[i].bit))
            continue;
        size_t want = strlen(order[i].name) + (n ? 2 : 0);
        if (n + want + 1 > size)
            break;
        if (n) {
            memcpy(buf + n, ", ", 2);
            n += 2;
        }
        memcpy(buf + n, order[i].name, strlen(order[i].name));
        n += strlen(order[i].name);
        buf[n] = '\0';
    }
}
