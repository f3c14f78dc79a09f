/*
 * check.c -- `daoc migrations check` (beyond Kong): is every pending
 * migration reentrant?
 *
 * Kong may run a migration again: a node that dies after a migration's
 * `up` committed but before schema_meta said so runs `up` and up_f again
 * on the next `up`, and a `finish` cut short runs the teardown again.  A
 * migration written for one run only (a CREATE INDEX without IF NOT
 * EXISTS, an UPDATE that is not idempotent) then fails, and the database
 * is stuck between versions.  daoc's own runs are all or nothing, but the
 * same files run under Kong, and on databases a crash left half way.
 *
 * The check runs on a scratch database on the same PostgreSQL server
 * (created as daoc_check_<random>, dropped after; or one the operator
 * names with --scratch, left as it is), never on the database in use.
 * The scratch is brought to the state of the database in use by running
 * what ran there (core, then each plugin's migrations, then its tables
 * from its schema), and every migration pending there is tried, each
 * trial in a transaction rolled back after:
 *   - once from where it starts (a failure there is a broken migration);
 *   - up twice, then teardown twice;
 *   - up stopped after its k-th statement, for every k, then up again and
 *     the teardown;
 *   - teardown stopped after its k-th statement, then teardown again.
 * A statement is one of the `up` text's, or one that up_f or teardown sent
 * through the connector (store/lua: daoc__lua_set_query_hook).  Each
 * failing trial is named with the migration's file and the statements
 * concerned.  The scratch's tables are empty: a data migration that only
 * fails on rows is not caught.
 *
 * On SQLite daoc runs no migration SQL (a plugin's tables come from its
 * schema), so there is nothing to check and the command says so.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "core/alloc.h"
#include "core/rand.h"
#include "db/db.h"
#include "migrate/engine.h"
#include "store/meta.h"

typedef struct check_ctx {
    daoc__mig_engine *real; /* the database in use: what ran there */
    daoc__mig_engine s;     /* the scratch */
    size_t checked, bad;
    bool this_bad;
} check_ctx;

/* One phase of a trial: up or teardown, with a statement budget (< 0:
 * none). */
typedef struct step {
    bool teardown;
    long budget;
} step;

/* How a trial ended: step `failed` (-1: none) failed at `where` with
 * `why`; `stopped_at` is the statement a budgeted step stopped after. */
typedef struct outcome {
    int failed;
    char where[160], stopped_at[160];
    char why[1024];
    long counts[4];
} outcome;

static void finding(check_ctx *c, size_t k, size_t i, const char *why, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void finding(check_ctx *c, size_t k, size_t i, const char *why, const char *fmt, ...)
{
    const daoc__migration *m = &c->s.sets[k].m[i];
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    daoc__mig_say(c->real, DAOC_LOG_WARN, "%s: %s (%s): not reentrant: %s: %s", c->s.subs[k].name,
                  m->name, m->file ? m->file : "?", what, why);
    c->this_bad = true;
}

/* The steps in one transaction of the scratch, rolled back after. */
static int trial(check_ctx *c, size_t k, size_t i, const step *steps, size_t n, outcome *o)
{
    memset(o, 0, sizeof *o);
    o->failed = -1;
    daoc__store *st = c->s.db->store;
    char *msg = NULL;
    int rc = st->ops->begin(st, &msg);
    if (rc != DAOC_OK) {
        int r = rc == DAOC_ENOMEM ? rc : DAOC_ESTORE;
        snprintf(o->why, sizeof o->why, "%s", msg ? msg : daoc_strerror(rc));
        daoc__free(msg);
        return r;
    }
    for (size_t j = 0; j < n && rc == DAOC_OK; j++) {
        daoc__mig_probe p;
        memset(&p, 0, sizeof p);
        p.budget = steps[j].budget;
        daoc_error *e = NULL;
        rc = daoc__mig_phase(&c->s, k, i, steps[j].teardown, &p, &e);
        o->counts[j] = p.count;
        if (p.stopped)
            snprintf(o->stopped_at, sizeof o->stopped_at, "%s", p.last);
        if (rc != DAOC_OK && rc != DAOC_ENOMEM) {
            o->failed = (int)j;
            snprintf(o->where, sizeof o->where, "%s", p.last[0] ? p.last : "its start");
            /* where names the step: the cause alone */
            snprintf(o->why, sizeof o->why, "%s",
                     p.cause[0] ? p.cause : e ? daoc_error_message(e) : daoc_strerror(rc));
            rc = DAOC_OK;
            daoc_error_free(e);
            break;
        }
        daoc_error_free(e);
    }
    st->ops->rollback(st);
    return rc;
}

/* The trials of migration i of plugin k; up_done: its up ran already
 * (a teardown is pending), so only the teardown is tried. */
static int check_one(check_ctx *c, size_t k, size_t i, bool up_done)
{
    const step U = {false, -1}, T = {true, -1};
    outcome o;
    int rc;
    c->this_bad = false;
    size_t trials = 0;
    if (!up_done) {
        const step fresh[] = {U, T};
        if ((rc = trial(c, k, i, fresh, 2, &o)) != DAOC_OK)
            return rc;
        trials++;
        if (o.failed >= 0) {
            finding(c, k, i, o.why, "it fails on its first run, at %s", o.where);
            goto done;
        }
        long nu = o.counts[0], nt = o.counts[1];
        const step twice[] = {U, U, T, T};
        if ((rc = trial(c, k, i, twice, 4, &o)) != DAOC_OK)
            return rc;
        trials++;
        if (o.failed >= 0)
            finding(c, k, i, o.why,
                    o.failed < 2    ? "running up twice fails at %s"
                    : o.failed == 2 ? "its teardown, after up ran twice, fails at %s"
                                    : "running teardown twice fails at %s",
                    o.where);
        for (long n = 1; n < nu; n++) {
            const step cut[] = {{false, n}, U, T};
            if ((rc = trial(c, k, i, cut, 3, &o)) != DAOC_OK)
                return rc;
            trials++;
            if (o.failed >= 0)
                finding(c, k, i, o.why, "up stopped after %s, then run again, fails at %s",
                        o.stopped_at, o.where);
        }
        for (long n = 1; n < nt; n++) {
            const step cut[] = {U, {true, n}, T};
            if ((rc = trial(c, k, i, cut, 3, &o)) != DAOC_OK)
                return rc;
            trials++;
            if (o.failed >= 0)
                finding(c, k, i, o.why, "teardown stopped after %s, then run again, fails at %s",
                        o.stopped_at, o.where);
        }
    } else {
        const step twice[] = {T, T};
        if ((rc = trial(c, k, i, twice, 2, &o)) != DAOC_OK)
            return rc;
        trials++;
        if (o.failed >= 0)
            finding(c, k, i, o.why,
                    o.failed == 0 ? "its teardown fails on its first run, at %s"
                                  : "running teardown twice fails at %s",
                    o.where);
        for (long n = 1; o.failed != 0 && n < o.counts[0]; n++) {
            const step cut[] = {{true, n}, T};
            outcome oc;
            if ((rc = trial(c, k, i, cut, 2, &oc)) != DAOC_OK)
                return rc;
            trials++;
            if (oc.failed >= 0)
                finding(c, k, i, oc.why, "teardown stopped after %s, then run again, fails at %s",
                        oc.stopped_at, oc.where);
        }
    }
done:
    c->checked++;
    if (c->this_bad)
        c->bad++;
    else
        daoc__mig_say(c->real, DAOC_LOG_INFO, "%s: %s: reentrant (%zu trial%s)",
                      c->s.subs[k].name, c->s.subs[k].names[i], trials, trials == 1 ? "" : "s");
    return DAOC_OK;
}

/* Brings the scratch to the state of the database in use, checking each
 * migration pending there on the way. */
static int walk(check_ctx *c, daoc_error **err)
{
    daoc__mig_engine *s = &c->s;
    int rc = DAOC_OK;
    for (size_t k = 0; k < s->nsubs && rc == DAOC_OK; k++) {
        const daoc__mig_subsystem *rs = &c->real->subs[k];
        bool broken = false;
        for (size_t i = 0; i < s->subs[k].n && rc == DAOC_OK && !broken; i++) {
            daoc__mig_class cls = rs->cls[i];
            bool pending = false;
            if (k == 0 || cls == DAOC__MIG_EXECUTED) {
                rc = daoc__mig_run(s, k, i, true, true, &pending, err);
                continue;
            }
            if (cls == DAOC__MIG_PENDING &&
                (rc = daoc__mig_run(s, k, i, true, false, &pending, err)) != DAOC_OK)
                break;
            size_t bad = c->bad;
            if ((rc = check_one(c, k, i, cls == DAOC__MIG_PENDING)) != DAOC_OK)
                break;
            /* move on as `up` and `finish` would; a migration that fails
             * even on its first run stops its plugin's walk */
            daoc_error *e = NULL;
            rc = daoc__mig_run(s, k, i, cls != DAOC__MIG_PENDING, true, &pending, &e);
            if (rc != DAOC_OK && rc != DAOC_ENOMEM) {
                if (c->bad == bad)
                    daoc__mig_say(c->real, DAOC_LOG_WARN, "%s: %s", s->subs[k].name,
                                  daoc_error_message(e));
                broken = true;
                rc = DAOC_OK;
            }
            daoc_error_free(e);
        }
        if (rc == DAOC_OK && k > 0 && !broken) {
            daoc_error *e = NULL;
            rc = daoc__db_make_tables(s->db, s->plugins[k], &e);
            if (rc != DAOC_OK && rc != DAOC_ENOMEM) {
                daoc__mig_say(c->real, DAOC_LOG_WARN,
                              "%s: after its migrations, its schema's tables cannot be made: %s",
                              s->subs[k].name, daoc_error_message(e));
                c->bad++;
                rc = DAOC_OK;
            }
            daoc_error_free(e);
        }
    }
    return rc;
}

static int scratch_fail(daoc_error **err, int rc, const char *what, const char *name, char *msg)
{
    if (rc != DAOC_ENOMEM)
        rc = daoc__mig_fail(err, "%s '%s': %s", what, name, msg ? msg : daoc_strerror(rc));
    daoc__free(msg);
    return rc;
}

int daoc__mig_check(daoc__mig_engine *e, int *code, daoc_error **err)
{
    if (!e->pg) {
        daoc__mig_say(e, DAOC_LOG_INFO,
                      "nothing to check: on SQLite daoc runs no migration SQL (a plugin's tables "
                      "come from its schema); run check with database = postgres");
        *code = 0;
        return DAOC_OK;
    }
    size_t todo = 0;
    for (size_t k = 1; k < e->nsubs; k++)
        for (size_t i = 0; i < e->subs[k].n; i++)
            todo += e->subs[k].cls[i] == DAOC__MIG_NEW || e->subs[k].cls[i] == DAOC__MIG_PENDING;
    if (todo == 0) {
        daoc__mig_say(e, DAOC_LOG_INFO, "No pending migrations to check");
        *code = 0;
        return DAOC_OK;
    }
    const char *given = e->o && e->o->scratch && *e->o->scratch ? e->o->scratch : NULL;
    char made[32];
    char uuid[37];
    if (!given) {
        if (daoc__uuid_v4(uuid) != DAOC_OK)
            return DAOC_ENOMEM;
        snprintf(made, sizeof made, "daoc_check_%.8s", uuid);
    }
    const char *name = given ? given : made;
    char *msg = NULL;
    int rc;
    if (!given && (rc = daoc__meta_scratch(e->db->store, made, true, &msg)) != DAOC_OK)
        return scratch_fail(err, rc,
                            "cannot create the scratch database (grant CREATEDB, or make an "
                            "empty database and name it with --scratch)",
                            made, msg);
    daoc_config *cfg = daoc__config_copy(e->db->cfg);
    check_ctx c;
    memset(&c, 0, sizeof c);
    c.real = e;
    rc = cfg ? DAOC_OK : DAOC_ENOMEM;
    if (rc == DAOC_OK) {
        daoc_config_set_log(cfg, NULL, NULL);
        rc = daoc_config_set(cfg, "pg_database", name, err);
    }
    if (rc == DAOC_OK)
        rc = daoc__mig_open(&c.s, cfg, e->o, NULL, NULL, err);
    if (rc == DAOC_OK && c.s.bootstrapped)
        rc = daoc__mig_fail(err, "the scratch database '%s' is not empty (it has schema_meta)",
                            name);
    if (rc == DAOC_OK && (rc = daoc__meta_bootstrap(c.s.db->store, &msg)) != DAOC_OK)
        rc = scratch_fail(err, rc, "cannot bootstrap the scratch database", name, msg);
    if (rc == DAOC_OK) {
        daoc__mig_say(e, DAOC_LOG_INFO, "checking %zu pending migration%s on the scratch "
                                        "database '%s'...",
                      todo, todo == 1 ? "" : "s", name);
        rc = walk(&c, err);
    }
    daoc__mig_close(&c.s);
    daoc_config_free(cfg);
    if (!given) {
        msg = NULL;
        int r = daoc__meta_scratch(e->db->store, made, false, &msg);
        if (r != DAOC_OK)
            daoc__mig_say(e, DAOC_LOG_WARN, "the scratch database '%s' could not be dropped: %s",
                          made, msg ? msg : daoc_strerror(r));
        daoc__free(msg);
    }
    if (rc != DAOC_OK)
        return rc;
    if (c.bad)
        daoc__mig_say(e, DAOC_LOG_WARN, "%zu migration%s checked: %zu not reentrant", c.checked,
                      c.checked == 1 ? "" : "s", c.bad);
    else
        daoc__mig_say(e, DAOC_LOG_INFO, "%zu migration%s checked: all reentrant", c.checked,
                      c.checked == 1 ? "" : "s");
    *code = c.bad ? 1 : 0;
    return DAOC_OK;
}
