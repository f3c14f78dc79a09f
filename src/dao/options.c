/*
 * options.c -- Kong's DAO options (nulls, ttl, skip_ttl, tags, tags_cond,
 * pagination, workspace, show_ws_id, transform, export, ...): validation with
 * Kong's texts (code 11, payload in `options`) and parsing into the flat
 * daoc__dao_opts the pipelines read.
 *
 * Unknown keys are ignored, as Kong does.  `workspace` is resolved here: a
 * UUID is taken as it is (a write to a workspace that does not exist fails
 * with code 17 at the store), a name is looked up in the workspaces table
 * ("invalid workspace" when absent), null means global; without it the
 * default workspace applies.
 *
 * Paging methods (page, each, page_for_*, each_for_*) see `pagination` the
 * way Kong's get_pagination_options leaves it: a non-table value is replaced
 * by the defaults, a table is merged over them (so the default page_size is
 * validated against a smaller max_page_size).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/rand.h"
#include "core/value.h"
#include "dao/dao.h"

/* Lua truthiness: anything but absent, null and false. */
static bool truthy(const daoc_value *v)
{
    return v && v->type != DAOC_TNULL && !(v->type == DAOC_TBOOL && !v->u.b);
}

/* Number that is integral (math.floor(x) == x). */
static bool integral(const daoc_value *v, double *out)
{
    if (v->type == DAOC_TINT) {
        *out = (double)v->u.i;
        return true;
    }
    if (v->type == DAOC_TNUM) {
        *out = v->u.n;
        return isfinite(v->u.n) && floor(v->u.n) == v->u.n;
    }
    return false;
}

static int seterr(daoc_value **errors, const char *key, const char *msg)
{
    if (!*errors && !(*errors = daoc_obj()))
        return DAOC_ENOMEM;
    return daoc_obj_set(*errors, key, daoc_str(msg));
}

/* The printable set of Kong's tag filter: space, 33-43, 45-46, 48-126,
 * 128-244 (no ',' and no '/'). */
static bool tag_bytes_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(c == 32 || (c >= 33 && c <= 43) || c == 45 || c == 46 || (c >= 48 && c <= 126) ||
              (c >= 128 && c <= 244)))
            return false;
    }
    return true;
}

static const char *check_tags(const daoc_value *tags, const daoc_value *cond, bool *is_cond_err)
{
    *is_cond_err = false;
    if (tags->type != DAOC_TARR && tags->type != DAOC_TOBJ)
        return truthy(cond) ? "must be a table" : "invalid filter syntax";
    size_t n = tags->type == DAOC_TARR ? tags->len : 0;
    if (n > 5)
        return "cannot query more than 5 tags";
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const daoc_value *t = tags->u.a[i];
        if (t->type == DAOC_TSTR) {
            if (!tag_bytes_ok(t->u.s, t->len))
                return "must only contain printable ascii (except `,` and `/`) or valid utf-8";
            total += t->len;
        } else if (t->type == DAOC_TINT || t->type == DAOC_TNUM) {
            total++;
        } else {
            return "must only contain printable ascii (except `,` and `/`) or valid utf-8";
        }
    }
    if (total == 0)
        return "must only contain printable ascii (except `,` and `/`) or valid utf-8";
    if (n > 1) {
        size_t cl = 0;
        const char *c = cond && cond->type == DAOC_TSTR ? daoc_value_str(cond, &cl) : NULL;
        if (!c || !((cl == 3 && memcmp(c, "and", 3) == 0) || (cl == 2 && memcmp(c, "or", 2) == 0))) {
            *is_cond_err = true;
            return "must be a either 'and' or 'or' when more than one tag is specified";
        }
    }
    return NULL;
}

static int check_pagination(const daoc_value *pg, bool paging, daoc__dao_opts *o,
                            daoc_value **errors)
{
    if (pg->type != DAOC_TOBJ && !(pg->type == DAOC_TARR && pg->len == 0))
        return paging ? DAOC_OK : seterr(errors, "pagination", "must be a table");
    const daoc_value *ps = pg->type == DAOC_TOBJ ? daoc__obj_getn(pg, "page_size", 9) : NULL;
    const daoc_value *mps = pg->type == DAOC_TOBJ ? daoc__obj_getn(pg, "max_page_size", 13) : NULL;
    daoc_value *perr = NULL;
    int rc = DAOC_OK;
    double d;
    int64_t max = DAOC__MAX_PAGE_SIZE_DEFAULT;
    if (mps) {
        if (!daoc__is_number(mps))
            rc = seterr(&perr, "max_page_size", "must be a number");
        else if (!integral(mps, &d) || d < 1)
            rc = seterr(&perr, "max_page_size", "must be an integer greater than 0");
        else
            max = d > 9.2e18 ? INT64_MAX : (int64_t)d;
        /* Kong checks a page() size against the raw merged value */
        if (daoc__is_number(mps)) {
            o->size_max = mps->type == DAOC_TINT ? (double)mps->u.i : mps->u.n;
            o->size_max_set = true;
        }
    }
    daoc_value dflt;
    if (!ps && paging) { /* merged over the default page_size */
        memset(&dflt, 0, sizeof dflt);
        dflt.type = DAOC_TINT;
        dflt.u.i = DAOC__PAGE_SIZE_DEFAULT;
        ps = &dflt;
    }
    if (rc == DAOC_OK && ps) {
        if (!daoc__is_number(ps)) {
            rc = seterr(&perr, "page_size", "must be a number");
        } else if (!integral(ps, &d) || d < 1 || d > (double)max) {
            char msg[80];
            snprintf(msg, sizeof msg, "must be an integer between 1 and %lld", (long long)max);
            rc = seterr(&perr, "page_size", msg);
        } else {
            o->page_size = (int64_t)d;
        }
    }
    o->max_page_size = max;
    if (!o->size_max_set)
        o->size_max = (double)max;
    if (rc == DAOC_OK && perr) {
        if (!*errors && !(*errors = daoc_obj()))
            rc = DAOC_ENOMEM;
        else
            return daoc_obj_set(*errors, "pagination", perr);
    }
    daoc_value_free(perr);
    return rc;
}

/* Kong: a truthy `workspace` must be a string -- a UUID, or the name of an
 * existing workspace, looked up -- or null (global); false is ignored.
 * Fills o->ws / o->ws_global; a failed lookup is the store's error. */
static int check_workspace(const daoc_dao *dao, const daoc_value *ws, daoc__dao_opts *o,
                           daoc_value **errors, daoc_error **err)
{
    if (!ws || (ws->type == DAOC_TBOOL && !ws->u.b))
        return DAOC_OK;
    if (ws->type == DAOC_TNULL) {
        o->ws_global = true;
        return DAOC_OK;
    }
    if (ws->type != DAOC_TSTR)
        return seterr(errors, "workspace", "must be a string or null");
    size_t bad_at;
    if (strlen(ws->u.s) != ws->len || !daoc__utf8_valid(ws->u.s, ws->len, &bad_at))
        return seterr(errors, "workspace", "invalid workspace"); /* no name is such text */
    if (daoc__is_uuid(ws->u.s, ws->len)) { /* Kong's is_valid_uuid */
        /* lowercase: the text form both stores compare with */
        for (size_t i = 0; i < 36; i++) {
            char c = ws->u.s[i];
            o->ws[i] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
        }
        o->ws[36] = '\0';
        return DAOC_OK;
    }
    char *msg = NULL;
    int rc = dao->env && dao->env->workspace_by_name
                 ? dao->env->workspace_by_name(dao->env->ud, ws->u.s, ws->len, o->ws, &msg)
                 : DAOC_ENOTFOUND;
    if (rc == DAOC_ENOTFOUND)
        return seterr(errors, "workspace", "invalid workspace");
    if (rc != DAOC_OK)
        return daoc__dao_store_fail(dao, err, rc, NULL, NULL, msg);
    return DAOC_OK;
}

static int check_bool(const daoc_value *opts, const char *key, bool *out, daoc_value **errors)
{
    const daoc_value *v = daoc__obj_getn(opts, key, strlen(key));
    if (!v)
        return DAOC_OK;
    if (v->type != DAOC_TBOOL)
        return seterr(errors, key, "must be a boolean");
    *out = v->u.b;
    return DAOC_OK;
}

/* No options: Kong's defaults, in the default workspace. */
static void defaults(const daoc_dao *dao, daoc__dao_opts *o)
{
    memset(o, 0, sizeof *o);
    o->transform = true;
    if (dao->env && dao->env->default_ws)
        memcpy(o->ws, dao->env->default_ws, sizeof o->ws);
    o->max_page_size = DAOC__MAX_PAGE_SIZE_DEFAULT;
    o->size_max = (double)DAOC__MAX_PAGE_SIZE_DEFAULT;
}

/* Code 11 from the option errors (taken). */
static int refused(const daoc_dao *dao, daoc_value *errors, daoc_error **err)
{
    return daoc__dao_deliver(
        daoc__err_invalid_options(dao->store ? dao->store->ops->name : "sqlite", errors), err);
}

static int parse(const daoc_dao *dao, const daoc_value *opts, bool paging, daoc__dao_opts *o,
                 daoc_error **err)
{
    const daoc__schema *s = dao->schema;
    defaults(dao, o);
    if (!opts)
        return DAOC_OK;
    if (opts->type == DAOC_TARR && opts->len > 0) {
        /* a list where named options belong (Lua's {"x"}): code 11 */
        daoc_value *errors = NULL;
        if (seterr(&errors, "options", "expected a table of named options, got an array")) {
            daoc_value_free(errors);
            return DAOC_ENOMEM;
        }
        return refused(dao, errors, err);
    }
    if (opts->type != DAOC_TOBJ && opts->type != DAOC_TARR)
        return daoc__err_fail(err, DAOC_EINVAL, "options must be a table when specified");
    if (opts->type != DAOC_TOBJ)
        return DAOC_OK;

    daoc_value *errors = NULL;
    int rc = DAOC_OK;
    o->nulls = truthy(daoc__obj_getn(opts, "nulls", 5));
    o->no_broadcast = truthy(daoc__obj_getn(opts, "no_broadcast_crud_event", 23));

    rc = check_workspace(dao, daoc__obj_getn(opts, "workspace", 9), o, &errors, err);
    /* show_ws_id is only checked when truthy (false/absent are fine) */
    const daoc_value *sw = daoc__obj_getn(opts, "show_ws_id", 10);
    if (rc == DAOC_OK && truthy(sw))
        rc = check_bool(opts, "show_ws_id", &o->show_ws_id, &errors);

    const daoc_value *ttl = daoc__obj_getn(opts, "ttl", 3);
    if (rc == DAOC_OK && ttl) {
        double d;
        if (!s->ttl) {
            char msg[300];
            snprintf(msg, sizeof msg, "cannot be used with '%s'", s->name);
            rc = seterr(&errors, "ttl", msg);
        } else if (!integral(ttl, &d) || d < 0 || d > 100000000) {
            rc = seterr(&errors, "ttl", "must be an integer between 0 and 100000000");
        } else {
            o->has_ttl = true;
            o->ttl = (int64_t)d;
        }
    }

    const daoc_value *tags = daoc__obj_getn(opts, "tags", 4);
    if (rc == DAOC_OK && tags) {
        if (!s->has_tags) {
            char msg[300];
            snprintf(msg, sizeof msg, "cannot be used with '%s'", s->name);
            rc = seterr(&errors, "tags", msg);
        } else {
            const daoc_value *cond = daoc__obj_getn(opts, "tags_cond", 9);
            bool is_cond = false;
            const char *why = check_tags(tags, cond, &is_cond);
            if (why) {
                rc = seterr(&errors, is_cond ? "tags_cond" : "tags", why);
            } else {
                o->tags = tags->type == DAOC_TARR ? tags : NULL;
                o->tags_or = cond && cond->type == DAOC_TSTR && cond->len == 2 &&
                             memcmp(cond->u.s, "or", 2) == 0;
            }
        }
    }

    const daoc_value *pg = daoc__obj_getn(opts, "pagination", 10);
    if (rc == DAOC_OK && pg)
        rc = check_pagination(pg, paging, o, &errors);
    if (rc == DAOC_OK)
        rc = check_bool(opts, "transform", &o->transform, &errors);
    if (rc == DAOC_OK)
        rc = check_bool(opts, "export", &o->export_, &errors);
    if (rc == DAOC_OK)
        rc = check_bool(opts, "skip_ttl", &o->skip_ttl, &errors);

    if (rc != DAOC_OK) {
        daoc_value_free(errors);
        return rc;
    }
    return errors ? refused(dao, errors, err) : DAOC_OK;
}

/* Most calls pass no options: those skip parse() and its large frame. */
int daoc__dao_opts_parse(const daoc_dao *dao, const daoc_value *opts, daoc__dao_opts *o,
                         daoc_error **err)
{
    if (!opts) {
        defaults(dao, o);
        return DAOC_OK;
    }
    return parse(dao, opts, false, o, err);
}

int daoc__dao_opts_parse_paging(const daoc_dao *dao, const daoc_value *opts, daoc__dao_opts *o,
                                daoc_error **err)
{
    if (!opts) {
        defaults(dao, o);
        return DAOC_OK;
    }
    return parse(dao, opts, true, o, err);
}
