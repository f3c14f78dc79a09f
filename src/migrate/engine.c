/*
 * engine.c -- the migrations engine's working set and the running of one
 * migration (engine.h).
 *
 * Subsystems are Kong's: `core` first, then every enabled plugin whose
 * migrations (any generation: src/lua/migrations.c) have a PostgreSQL part,
 * in name order.  A plugin with none, or with only Cassandra ones, is no
 * subsystem: its tables come from its schema, and the engine says so once.
 *
 * The core's migrations carry Kong 3.x's names (kong/db/migrations/core),
 * so that schema_meta of a database Kong bootstrapped reads as up to date
 * here and daoc's reads as up to date to Kong.  Their work differs: daoc's
 * core tables are made from its schemas in Kong's final layout, all of
 * them by 000_base; the later ones find nothing left to do on a database
 * that daoc (or Kong at the same version) bootstrapped.  A database that
 * an older Kong migrated part way is refused (commands.c), not patched.
 *
 * On PostgreSQL a plugin migration runs as Kong runs it: its `up` text,
 * then `up_f(connector)`, and later `teardown`; all of them and the record
 * of what ran in one transaction (daoc__mig_run); the plugin's entity
 * tables are then made or checked from its schema.  On
 * SQLite, where Kong never ran, the plugin's tables are made from its
 * schema and its migrations are recorded without running their SQL.
 */
#include "migrate/engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/rand.h"
#include "core/value.h"
#include "db/db.h"
#include "open/open.h"
#include "store/deploy.h"
#include "store/meta.h"

static const char *const CORE[] = {
    "000_base",        "003_100_to_110", "004_110_to_120", "005_120_to_130", "006_130_to_140",
    "007_140_to_150",  "008_150_to_200", "009_200_to_210", "010_210_to_211", "011_212_to_213",
    "012_213_to_220",  "013_220_to_230", "014_230_to_270", "015_270_to_280", "016_280_to_300",
    "017_300_to_310",  "018_310_to_320", "019_320_to_330", "020_330_to_340", "021_340_to_350",
    "022_350_to_360",  "023_360_to_370", "024_380_to_390", "025_390_to_3100",
};
#define NCORE (sizeof CORE / sizeof CORE[0])

void daoc__mig_say(const daoc__mig_engine *e, daoc_log_level lvl, const char *fmt, ...)
{
    if (!e->out)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    e->out(e->out_ud, lvl, msg);
}

int daoc__mig_fail(daoc_error **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = daoc__vasprintf(fmt, ap);
    va_end(ap);
    int rc = daoc__db_set_err(err, "migrations error", m);
    return rc == DAOC_OK ? DAOC_EMIGRATION : rc;
}

/* A store failure as a migrations error naming what was being done. */
static int store_fail(daoc_error **err, int rc, const char *what, char *msg)
{
    if (rc == DAOC_ENOMEM) {
        daoc__free(msg);
        return rc;
    }
    int r = daoc__mig_fail(err, "%s: %s", what, msg ? msg : daoc_strerror(rc));
    daoc__free(msg);
    return r;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_subsystem(daoc__mig_engine *e, const char *plugin, daoc__migration_set *set)
{
    size_t k = e->nsubs;
    daoc__mig_subsystem *subs = daoc__realloc(e->subs, (k + 1) * sizeof *subs);
    if (!subs)
        return DAOC_ENOMEM;
    e->subs = subs;
    daoc__migration_set *sets = daoc__realloc(e->sets, (k + 1) * sizeof *sets);
    if (!sets)
        return DAOC_ENOMEM;
    e->sets = sets;
    char **plugins = daoc__realloc(e->plugins, (k + 1) * sizeof *plugins);
    if (!plugins)
        return DAOC_ENOMEM;
    e->plugins = plugins;
    memset(&e->subs[k], 0, sizeof e->subs[k]);
    memset(&e->sets[k], 0, sizeof e->sets[k]);
    e->plugins[k] = NULL;
    e->nsubs = k + 1;
    daoc__mig_subsystem *s = &e->subs[k];
    if (!plugin) {
        s->name = "core";
        s->namespace_ = "kong.db.migrations.core";
        s->names = CORE;
        s->n = NCORE;
    } else {
        e->sets[k] = *set;
        memset(set, 0, sizeof *set);
        if (!(e->plugins[k] = daoc__strdup(plugin)))
            return DAOC_ENOMEM;
        s->name = e->plugins[k];
        char *ns = daoc__asprintf("kong.plugins.%s.migrations", plugin);
        const char **names = daoc__calloc(e->sets[k].n ? e->sets[k].n : 1, sizeof *names);
        if (!ns || !names) {
            daoc__free(ns);
            daoc__free((void *)names);
            return DAOC_ENOMEM;
        }
        s->namespace_ = ns;
        for (size_t i = 0; i < e->sets[k].n; i++)
            names[i] = e->sets[k].m[i].name;
        s->names = names;
        s->n = e->sets[k].n;
    }
    s->cls = daoc__calloc(s->n ? s->n : 1, sizeof *s->cls);
    return s->cls ? DAOC_OK : DAOC_ENOMEM;
}

static int load_plugins(daoc__mig_engine *e, daoc_error **err)
{
    const daoc_config *cfg = e->db->cfg;
    char **sorted = daoc__calloc(cfg->nplugins ? cfg->nplugins : 1, sizeof *sorted);
    if (!sorted)
        return DAOC_ENOMEM;
    memcpy(sorted, cfg->plugins, cfg->nplugins * sizeof *sorted);
    qsort(sorted, cfg->nplugins, sizeof *sorted, cmp_str);
    int rc = DAOC_OK;
    for (size_t p = 0; p < cfg->nplugins && rc == DAOC_OK; p++) {
        daoc__migration_set set;
        memset(&set, 0, sizeof set);
        char *msg = NULL;
        rc = e->db->lua ? daoc__lua_load_migrations(e->db->lua, sorted[p], &set, &msg) : DAOC_OK;
        if (rc != DAOC_OK) {
            if (rc != DAOC_ENOMEM)
                rc = daoc__mig_fail(err, "%s", msg ? msg : daoc_strerror(rc));
            daoc__free(msg);
            break;
        }
        bool runs = set.format != DAOC__MIGFMT_NONE && !set.cassandra_only && set.n > 0;
        if (set.cassandra_only)
            daoc__mig_say(e, DAOC_LOG_WARN,
                          "plugin '%s': its migrations are for Cassandra only, which daoc cannot "
                          "run; its tables are made from its schema",
                          sorted[p]);
        if (runs) {
            rc = add_subsystem(e, sorted[p], &set);
        } else {
            char **grown =
                daoc__realloc(e->schema_only, (e->nschema_only + 1) * sizeof *grown);
            rc = grown ? DAOC_OK : DAOC_ENOMEM;
            if (grown) {
                e->schema_only = grown;
                e->schema_only[e->nschema_only] = daoc__strdup(sorted[p]);
                rc = e->schema_only[e->nschema_only] ? DAOC_OK : DAOC_ENOMEM;
                if (rc == DAOC_OK)
                    e->nschema_only++;
            }
        }
        daoc__migration_set_free(e->db->lua, &set);
    }
    daoc__free(sorted);
    return rc;
}

int daoc__mig_reload(daoc__mig_engine *e, daoc_error **err)
{
    char *msg = NULL;
    daoc__store *st = e->db->store;
    int rc = daoc__meta_exists(st, &e->bootstrapped, &msg);
    if (rc != DAOC_OK)
        return store_fail(err, rc, "cannot read the migrations state", msg);
    daoc_value *rows = NULL;
    if (e->bootstrapped && (rc = daoc__meta_load(st, &rows, &msg)) != DAOC_OK)
        return store_fail(err, rc, "cannot read schema_meta", msg);
    daoc__mig_classify(e->subs, e->nsubs, rows);
    daoc_value_free(rows);
    return DAOC_OK;
}

int daoc__mig_open(daoc__mig_engine *e, const daoc_config *cfg, const daoc_migrations_opts *o,
                   daoc_log_fn out, void *out_ud, daoc_error **err)
{
    memset(e, 0, sizeof *e);
    e->o = o;
    e->out = out;
    e->out_ud = out_ud;
    int rc = daoc__db_open_deferred(&e->db, cfg, err);
    if (rc != DAOC_OK)
        return rc;
    e->pg = strcmp(e->db->cfg->database, "postgres") == 0;
    char rnd[9];
    if (gethostname(e->host, sizeof e->host - 1) != 0 || !e->host[0])
        strcpy(e->host, "localhost");
    if (daoc__random_string(rnd, 8) != DAOC_OK)
        return DAOC_ENOMEM;
    snprintf(e->owner, sizeof e->owner, "%s:%ld:%s", e->host, (long)getpid(), rnd);
    rc = add_subsystem(e, NULL, NULL);
    if (rc == DAOC_OK)
        rc = load_plugins(e, err);
    if (rc == DAOC_OK)
        rc = daoc__mig_reload(e, err);
    return rc;
}

void daoc__mig_close(daoc__mig_engine *e)
{
    for (size_t k = 0; k < e->nsubs; k++) {
        if (k > 0) {
            daoc__free((void *)e->subs[k].namespace_);
            daoc__free((void *)e->subs[k].names);
            daoc__migration_set_free(e->db ? e->db->lua : NULL, &e->sets[k]);
        }
        daoc__free(e->subs[k].cls);
        daoc__free(e->plugins ? e->plugins[k] : NULL);
    }
    for (size_t i = 0; i < e->nschema_only; i++)
        daoc__free(e->schema_only[i]);
    daoc__free(e->schema_only);
    daoc__free(e->subs);
    daoc__free(e->sets);
    daoc__free(e->plugins);
    daoc_db_close(e->db);
    memset(e, 0, sizeof *e);
}

int daoc__mig_schema_tables(daoc__mig_engine *e, daoc_error **err)
{
    int rc = DAOC_OK;
    for (size_t i = 0; i < e->nschema_only && rc == DAOC_OK; i++) {
        daoc__mig_say(e, DAOC_LOG_INFO,
                      "plugin '%s' has no migrations for %s: its tables are made from its schema",
                      e->schema_only[i], e->db->cfg->database);
        rc = daoc__db_make_tables(e->db, e->schema_only[i], err);
    }
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A migration's `up` (or 0.x `down`) text, as Kong runs it: nothing when
 * it is only blanks. */
static int run_sql(daoc__mig_engine *e, const char *name, const char *kind, const char *sql,
                   daoc_error **err)
{
    while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '\r')
        sql++;
    if (!*sql)
        return DAOC_OK;
    char *msg = NULL;
    daoc__store *st = e->db->store;
    int rc = st->deploy->exec(st, sql, &msg);
    if (rc != DAOC_OK && rc != DAOC_ENOMEM)
        rc = daoc__mig_fail(err, "failed to run migration '%s' %s: %s", name, kind,
                            msg ? msg : daoc_strerror(rc));
    daoc__free(msg);
    return rc;
}

/* cause (when not NULL, of cause_size bytes): the failure's own text,
 * without Kong's "failed to run migration ..." prefix that *err carries. */
static int run_fn_cause(daoc__mig_engine *e, const char *name, int ref, int format,
                        const char *kind, char *cause, size_t cause_size, daoc_error **err)
{
    char *msg = NULL;
    int rc = daoc__lua_run_migration_fn(e->db->lua, ref, format, &msg);
    if (rc == DAOC_ENOMEM) {
        daoc__free(msg);
        return rc;
    }
    if (rc != DAOC_OK) {
        const char *why = msg ? msg : daoc_strerror(rc);
        if (cause)
            snprintf(cause, cause_size, "%s", why);
        rc = daoc__mig_fail(err, "failed to run migration '%s' %s: %s", name, kind, why);
        daoc__free(msg);
    }
    return rc;
}

static int run_fn(daoc__mig_engine *e, const char *name, int ref, int format, const char *kind,
                  daoc_error **err)
{
    return run_fn_cause(e, name, ref, format, kind, NULL, 0, err);
}

/* ---- counted runs (check.c) ---------------------------------------------- */

static bool probe_unit(daoc__mig_probe *p, const char *sql)
{
    if (p->budget >= 0 && p->count >= p->budget) {
        p->stopped = true;
        return false;
    }
    p->count++;
    p->kind_count++;
    char excerpt[72];
    size_t n = 0;
    bool blank = false, cut = false;
    for (const char *c = sql; *c; c++) {
        bool ws = *c == ' ' || *c == '\t' || *c == '\n' || *c == '\r';
        if (ws && (blank || n == 0))
            continue;
        if (n + 1 >= 64) {
            cut = true;
            break;
        }
        excerpt[n++] = ws ? ' ' : *c;
        blank = ws;
    }
    while (n > 0 && excerpt[n - 1] == ' ')
        n--;
    excerpt[n] = '\0';
    snprintf(p->last, sizeof p->last, "%s %s %ld (%s%s)", p->kind,
             strcmp(p->kind, "up") == 0 ? "statement" : "query", p->kind_count, excerpt,
             cut ? " ..." : "");
    return true;
}

static int probe_hook(void *ud, const char *sql)
{
    return probe_unit(ud, sql) ? 0 : 1;
}

/* fn under the probe: a refused query makes whatever fn returns moot */
static int probe_fn(daoc__mig_engine *e, const char *name, int ref, int format,
                    daoc__mig_probe *p, const char *kind, daoc_error **err)
{
    p->kind = kind;
    p->kind_count = 0;
    daoc_error *mine = NULL;
    daoc__lua_set_query_hook(e->db->lua, probe_hook, p);
    int rc = run_fn_cause(e, name, ref, format, kind, p->cause, sizeof p->cause, &mine);
    daoc__lua_set_query_hook(e->db->lua, NULL, NULL);
    if (rc == DAOC_ENOMEM || !p->stopped) {
        if (err)
            *err = mine;
        else
            daoc_error_free(mine);
        return rc;
    }
    daoc_error_free(mine);
    return DAOC_OK;
}

int daoc__mig_phase(daoc__mig_engine *e, size_t k, size_t i, bool teardown, daoc__mig_probe *p,
                    daoc_error **err)
{
    p->count = 0;
    p->stopped = false;
    p->last[0] = '\0';
    p->cause[0] = '\0';
    if (k == 0 || k >= e->nsubs || i >= e->sets[k].n || !e->pg)
        return daoc__mig_fail(err, "no migration to check");
    const daoc__migration *m = &e->sets[k].m[i];
    int format = e->sets[k].format;
    if (teardown)
        return m->teardown_ref >= 0
                   ? probe_fn(e, m->name, m->teardown_ref, format, p, "teardown", err)
                   : DAOC_OK;
    p->kind = "up";
    p->kind_count = 0;
    const char *sql = m->up_sql ? m->up_sql : "";
    size_t n = strlen(sql), pos = 0, a, b;
    daoc__store *st = e->db->store;
    while (daoc__sql_next_statement(sql, n, &pos, &a, &b)) {
        char *one = daoc__strndup(sql + a, b - a);
        if (!one)
            return DAOC_ENOMEM;
        if (!probe_unit(p, one)) {
            daoc__free(one);
            return DAOC_OK;
        }
        char *msg = NULL;
        int rc = st->deploy->exec(st, one, &msg);
        daoc__free(one);
        if (rc != DAOC_OK) {
            if (rc != DAOC_ENOMEM) {
                const char *why = msg ? msg : daoc_strerror(rc);
                snprintf(p->cause, sizeof p->cause, "%s", why);
                rc = daoc__mig_fail(err, "failed to run migration '%s' up: %s", m->name, why);
            }
            daoc__free(msg);
            return rc;
        }
    }
    return m->up_f_ref >= 0 ? probe_fn(e, m->name, m->up_f_ref, format, p, "up_f", err) : DAOC_OK;
}

/* The steps and the record of one migration, inside the caller's
 * transaction (daoc__mig_run). */
static int run_steps(daoc__mig_engine *e, size_t k, size_t i, bool up, bool teardown,
                     bool *pending, daoc_error **err)
{
    daoc__mig_subsystem *s = &e->subs[k];
    const char *name = s->names[i];
    const daoc__migration *m = k > 0 ? &e->sets[k].m[i] : NULL;
    double t0 = now_s();
    int rc = DAOC_OK;
    bool has_teardown = m && m->teardown_ref >= 0;
    if (up) {
        if (k == 0) {
            /* core: 000_base makes every core table from daoc's schemas,
             * and what Kong's core migrations make besides */
            if (i == 0)
                rc = daoc__db_make_tables(e->db, NULL, err);
            if (rc == DAOC_OK && i == 0) {
                char *msg = NULL;
                rc = daoc__meta_core_base(e->db->store, &msg);
                if (rc != DAOC_OK)
                    return store_fail(err, rc, "failed to run migration '000_base' up", msg);
            }
        } else if (e->pg) {
            if (m->up_sql)
                rc = run_sql(e, name, "up", m->up_sql, err);
            if (rc == DAOC_OK && m->up_f_ref >= 0)
                rc = run_fn(e, name, m->up_f_ref, e->sets[k].format, "up_f", err);
        }
        if (rc != DAOC_OK)
            return rc;
    }
    if (teardown && has_teardown && e->pg)
        rc = run_fn(e, name, m->teardown_ref, e->sets[k].format, "teardown", err);
    if (rc != DAOC_OK)
        return rc;
    /* Kong's records: up alone leaves a migration with a teardown pending;
     * up with teardown (bootstrap, --force) records it executed, then
     * teardown; teardown alone (finish) records teardown */
    daoc__meta_state state = !up ? DAOC__META_TEARDOWN
                             : has_teardown && !teardown ? DAOC__META_PENDING
                                                         : DAOC__META_EXECUTED;
    daoc__meta_ledger l = {m ? m->checksum : "", t0, (now_s() - t0) * 1000.0, e->host,
                           (long)getpid()};
    char *msg = NULL;
    rc = daoc__meta_record(e->db->store, s->name, name, state, &l, &msg);
    if (rc == DAOC_OK && up && teardown && has_teardown)
        rc = daoc__meta_record(e->db->store, s->name, name, DAOC__META_TEARDOWN, NULL, &msg);
    if (rc != DAOC_OK)
        return store_fail(err, rc, "cannot record the migration", msg);
    *pending = state == DAOC__META_PENDING;
    return DAOC_OK;
}

/* One store transaction holds a migration's `up` SQL, its up_f, its
 * teardown and the record of what ran (Kong commits the `up` SQL alone and
 * records afterwards): a process killed at any point leaves either all of
 * it or none, so a rerun never applies a step twice. */
int daoc__mig_run(daoc__mig_engine *e, size_t k, size_t i, bool up, bool teardown, bool *pending,
                  daoc_error **err)
{
    *pending = false;
    daoc__store *st = e->db->store;
    char *msg = NULL;
    int rc = st->ops->begin(st, &msg);
    if (rc != DAOC_OK)
        return store_fail(err, rc, "cannot start the migration's transaction", msg);
    rc = run_steps(e, k, i, up, teardown, pending, err);
    if (rc != DAOC_OK) {
        st->ops->rollback(st);
        *pending = false;
        return rc;
    }
    rc = st->ops->commit(st, &msg);
    if (rc != DAOC_OK) {
        *pending = false;
        return store_fail(err, rc, "cannot commit the migration", msg);
    }
    return DAOC_OK;
}

int daoc__mig_down(daoc__mig_engine *e, size_t k, size_t i, const char *last, daoc_error **err)
{
    const daoc__migration *m = &e->sets[k].m[i];
    daoc__store *st = e->db->store;
    char *msg = NULL;
    int rc = st->ops->begin(st, &msg);
    if (rc != DAOC_OK)
        return store_fail(err, rc, "cannot start the migration's transaction", msg);
    if (m->down_sql)
        rc = run_sql(e, m->name, "down", m->down_sql, err);
    else if (m->down_f_ref >= 0)
        rc = run_fn(e, m->name, m->down_f_ref, e->sets[k].format, "down", err);
    else
        rc = daoc__mig_fail(err, "migration '%s' of '%s' has no down", m->name, e->subs[k].name);
    if (rc == DAOC_OK && (rc = daoc__meta_unrecord(st, e->subs[k].name, m->name, last, &msg)) !=
                             DAOC_OK)
        rc = store_fail(err, rc, "cannot record the migration", msg);
    if (rc != DAOC_OK) {
        st->ops->rollback(st);
        return rc;
    }
    rc = st->ops->commit(st, &msg);
    return rc == DAOC_OK ? rc : store_fail(err, rc, "cannot commit the migration", msg);
}
