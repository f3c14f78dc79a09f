/*
 * commands.c -- `daoc migrations bootstrap|up|finish|list|status|reset`
 * (daoc_migrations in daoc.h), with the semantics, messages and exit codes
 * of `kong migrations` (kong/cmd/migrations.lua, reference A2.5), the
 * command names in the messages being daoc's.
 *
 * Every command that writes takes the cluster lock "migrations" in the
 * locks table (store/meta.h): bootstrap, finish and reset do not wait for
 * it (another node doing the work is Kong's "aborted: another node is
 * performing database changes"), up waits up to --lock-timeout, saying who
 * holds it, then takes it and reads the state again: a node that waited
 * for another's run finds "Database is already up-to-date", and one that
 * waited for a dead node's lock does the work left.  The lock carries a
 * heartbeat: it is refreshed between migrations once a quarter of its time
 * to live has passed, so a long run keeps it while a dead holder's lapses
 * after --lock-timeout seconds.
 *
 * Beyond Kong: `plan` prints what `up` would run; every applied
 * migration's source checksum is kept in the
 * ledger (daoc_migrations); `up` and `finish` refuse to go on while an
 * applied migration's file has changed since it ran (the seeds forbid
 * editing published migrations), naming each, unless --force; `status`
 * lists them under "changed_migrations".
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/json.h"
#include "core/rand.h"
#include "core/value.h"
#include "db/db.h"
#include "migrate/engine.h"
#include "migrate/lint.h"
#include "store/meta.h"

#define LOCK_KEY "migrations"

static const char NEEDS_BOOTSTRAP[] =
    "Database needs bootstrapping or is older than Kong 1.0.\n\n"
    "To start a new installation from scratch, run 'daoc migrations bootstrap'.\n\n"
    "To migrate from a version older than 1.0, migrated to Kong 1.5.0 first. \n"
    "If you still have 'apis' entities, you can convert them to Routes and Services\n"
    "using the 'kong migrations migrate-apis' command in Kong 1.5.0.\n\n";
static const char NOT_LEADER[] = "aborted: another node is performing database changes";
static const char HAS_PENDING[] = "Database has pending migrations; run 'daoc migrations finish'";

static double lock_ttl(const daoc__mig_engine *e)
{
    return e->o && e->o->lock_timeout > 0 ? e->o->lock_timeout : 60.0;
}

static double mono_s(void)
{
    return (double)daoc__mono_ms() / 1e3;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Takes the lock: *got false when another node holds it.  With wait, up
 * to the lock timeout: when the holder releases it or stops refreshing it
 * (a dead node's lapses after its ttl), it is taken, and the caller reads
 * the state again. */
static int take_lock(daoc__mig_engine *e, bool wait, bool *got, daoc_error **err)
{
    daoc__store *st = e->db->store;
    char *msg = NULL;
    int rc = daoc__meta_lock(st, LOCK_KEY, e->owner, lock_ttl(e), got, &msg);
    if (rc != DAOC_OK) {
        rc = daoc__mig_fail(err, "failed to insert cluster lock: %s", msg ? msg : daoc_strerror(rc));
        daoc__free(msg);
        return rc;
    }
    e->beat_at = mono_s();
    if (*got || !wait)
        return DAOC_OK;
    double waited = 0, step = 0.1;
    bool said = false;
    while (waited < lock_ttl(e)) {
        daoc_value *holder = NULL;
        rc = daoc__meta_lock_read(st, LOCK_KEY, &holder, &msg);
        if (rc != DAOC_OK) {
            rc = daoc__mig_fail(err, "failed to read cluster lock: %s",
                                msg ? msg : daoc_strerror(rc));
            daoc__free(msg);
            return rc;
        }
        if (!holder) {
            /* released, or lapsed (its holder stopped beating): take it and
             * look again at what is left to do (Kong gives up here, which
             * leaves the work of a dead holder undone) */
            rc = daoc__meta_lock(st, LOCK_KEY, e->owner, lock_ttl(e), got, &msg);
            if (rc != DAOC_OK) {
                rc = daoc__mig_fail(err, "failed to insert cluster lock: %s",
                                    msg ? msg : daoc_strerror(rc));
                daoc__free(msg);
                return rc;
            }
            if (*got) {
                e->beat_at = mono_s();
                return DAOC_OK;
            }
            continue;
        }
        if (!said) {
            const daoc_value *owner = daoc_obj_get(holder, "owner");
            daoc__mig_say(e, DAOC_LOG_INFO, "waiting for the migrations lock held by %s",
                          owner && owner->type == DAOC_TSTR ? owner->u.s : "another node");
            said = true;
        }
        daoc_value_free(holder);
        sleep_s(step);
        waited += step;
        step = step * 3 > 2 ? 2 : step * 3;
    }
    return daoc__mig_fail(err, "[%s error] timeout", e->db->store->ops->name);
}

/* The lock for a command that writes: *got false (exit 0) with Kong's
 * "aborted: another node is performing database changes" when another
 * node holds it. */
static int lead(daoc__mig_engine *e, bool wait, bool *got, int *code, daoc_error **err)
{
    int rc = take_lock(e, wait, got, err);
    if (rc == DAOC_OK && !*got) {
        daoc__mig_say(e, DAOC_LOG_INFO, "%s", NOT_LEADER);
        *code = 0;
    }
    return rc;
}

static void drop_lock(daoc__mig_engine *e)
{
    char *msg = NULL;
    if (daoc__meta_unlock(e->db->store, LOCK_KEY, e->owner, &msg) != DAOC_OK)
        daoc__mig_say(e, DAOC_LOG_WARN, "could not remove the migrations lock: %s",
                      msg ? msg : "?");
    daoc__free(msg);
}

/* Refreshes the lock once a quarter of its time to live has passed since
 * it was taken or last refreshed (between migrations: a run of quick ones
 * costs no round trip for it, a slow one is followed by a refresh). */
static void heartbeat(daoc__mig_engine *e)
{
    double t = mono_s();
    if (t - e->beat_at < lock_ttl(e) / 4)
        return;
    e->beat_at = t;
    bool still = true;
    char *msg = NULL;
    if (daoc__meta_lock_refresh(e->db->store, LOCK_KEY, e->owner, lock_ttl(e), &still, &msg) !=
            DAOC_OK ||
        !still)
        daoc__mig_say(e, DAOC_LOG_WARN, "the migrations lock could not be kept: %s",
                      msg ? msg : "another node took it");
    daoc__free(msg);
}

/* The migrations of `want` class run with up / teardown, subsystem by
 * subsystem, with Kong's log lines; *npending receives how many were left
 * pending.  Plugins' tables are made or checked from their schemas after
 * their migrations. */
static int run_class(daoc__mig_engine *e, daoc__mig_class want, bool up, bool teardown,
                     size_t *npending, daoc_error **err)
{
    size_t processed = 0, executed = 0, pending = 0;
    int rc = DAOC_OK;
    for (size_t k = 0; k < e->nsubs && rc == DAOC_OK; k++) {
        daoc__mig_subsystem *s = &e->subs[k];
        bool started = false;
        for (size_t i = 0; i < s->n && rc == DAOC_OK; i++) {
            if (s->cls[i] != want)
                continue;
            if (!started) {
                daoc__mig_say(e, DAOC_LOG_INFO, "migrating %s on database '%s'...", s->name,
                              e->pg ? e->db->cfg->pg.database : e->db->cfg->sqlite_path);
                if (k > 0 && !e->pg)
                    daoc__mig_say(e, DAOC_LOG_INFO,
                                  "plugin '%s': its migrations are PostgreSQL's; on SQLite its "
                                  "tables are made from its schema and its migrations recorded",
                                  s->name);
                started = true;
            }
            bool left = false;
            rc = daoc__mig_run(e, k, i, up, teardown, &left, err);
            if (rc != DAOC_OK)
                break;
            processed++;
            if (left)
                pending++;
            else
                executed++;
            daoc__mig_say(e, DAOC_LOG_INFO, "%s migrated up to: %s (%s)", s->name, s->names[i],
                          left ? "pending" : "executed");
            heartbeat(e);
        }
        if (rc == DAOC_OK && started && k > 0)
            rc = daoc__db_make_tables(e->db, e->plugins[k], err);
    }
    if (rc == DAOC_OK)
        rc = daoc__mig_schema_tables(e, err);
    if (rc == DAOC_OK) {
        daoc__mig_say(e, DAOC_LOG_INFO, "%zu migration%s processed", processed,
                      processed == 1 ? "" : "s");
        daoc__mig_say(e, DAOC_LOG_INFO, "%zu executed", executed);
        if (pending)
            daoc__mig_say(e, DAOC_LOG_INFO, "%zu pending", pending);
    }
    if (npending)
        *npending = pending;
    return rc;
}

/* The applied migrations whose file changed since they ran (ledger
 * checksum against the loaded one), as "subsystem: name (file)" lines, or
 * NULL. */
static int changed_migrations(daoc__mig_engine *e, char **out, daoc_error **err)
{
    *out = NULL;
    daoc_value *rows = NULL;
    char *msg = NULL;
    int rc = daoc__meta_ledger_load(e->db->store, &rows, &msg);
    if (rc != DAOC_OK) {
        if (rc == DAOC_ENOMEM) {
            daoc__free(msg);
            return rc;
        }
        rc = daoc__mig_fail(err, "cannot read the migrations ledger: %s", msg ? msg : "?");
        daoc__free(msg);
        return rc;
    }
    daoc__buf b = DAOC__BUF_INIT;
    for (size_t r = 0; rows && r < rows->len; r++) {
        const daoc_value *sub = daoc_obj_get(rows->u.a[r], "subsystem");
        const daoc_value *name = daoc_obj_get(rows->u.a[r], "name");
        const daoc_value *sum = daoc_obj_get(rows->u.a[r], "checksum");
        if (!sub || !name || !sum || sub->type != DAOC_TSTR || name->type != DAOC_TSTR ||
            sum->type != DAOC_TSTR || sum->len == 0)
            continue;
        for (size_t k = 1; k < e->nsubs; k++) {
            if (strcmp(e->subs[k].name, sub->u.s) != 0)
                continue;
            for (size_t i = 0; i < e->sets[k].n; i++) {
                const daoc__migration *m = &e->sets[k].m[i];
                if (strcmp(m->name, name->u.s) == 0 && m->checksum[0] &&
                    strcmp(m->checksum, sum->u.s) != 0)
                    daoc__buf_printf(&b, "%s%s: %s (%s)", b.len ? "\n" : "", sub->u.s, m->name,
                                     m->file ? m->file : "?");
            }
        }
    }
    daoc_value_free(rows);
    if (b.failed) {
        daoc__buf_free(&b);
        return DAOC_ENOMEM;
    }
    *out = b.len ? daoc__buf_take(&b, NULL) : NULL;
    daoc__buf_free(&b);
    return DAOC_OK;
}

static int refuse_changed(daoc__mig_engine *e, daoc_error **err)
{
    if (e->o && e->o->force)
        return DAOC_OK;
    char *changed = NULL;
    int rc = changed_migrations(e, &changed, err);
    if (rc != DAOC_OK || !changed)
        return rc;
    rc = daoc__mig_fail(err,
                        "migrations changed since they ran (a published migration must not be "
                        "edited; add a new one instead, or run again with --force):\n%s",
                        changed);
    daoc__free(changed);
    return rc;
}

/* ---- the commands -------------------------------------------------------- */

static int cmd_bootstrap(daoc__mig_engine *e, int *code, daoc_error **err)
{
    char *msg = NULL;
    int rc;
    if (e->bootstrapped && e->o && e->o->force) {
        daoc__mig_say(e, DAOC_LOG_INFO, "Resetting database...");
        if ((rc = daoc__meta_reset(e->db->store, &msg)) != DAOC_OK) {
            rc = daoc__mig_fail(err, "cannot reset the database: %s", msg ? msg : "?");
            daoc__free(msg);
            return rc;
        }
        if ((rc = daoc__mig_reload(e, err)) != DAOC_OK)
            return rc;
    }
    if (e->bootstrapped) {
        daoc__mig_say(e, DAOC_LOG_INFO, "Database already bootstrapped");
        *code = 0;
        return DAOC_OK;
    }
    daoc__mig_say(e, DAOC_LOG_INFO, "Bootstrapping database...");
    if ((rc = daoc__meta_bootstrap(e->db->store, &msg)) != DAOC_OK) {
        rc = daoc__mig_fail(err, "cannot create schema_meta: %s", msg ? msg : "?");
        daoc__free(msg);
        return rc;
    }
    bool got = false;
    if ((rc = lead(e, false, &got, code, err)) != DAOC_OK || !got)
        return rc;
    rc = daoc__mig_reload(e, err);
    if (rc == DAOC_OK)
        rc = run_class(e, DAOC__MIG_NEW, true, true, NULL, err);
    drop_lock(e);
    if (rc == DAOC_OK)
        daoc__mig_say(e, DAOC_LOG_INFO, "Database is up-to-date");
    *code = rc == DAOC_OK ? 0 : 1;
    return rc;
}

/* An older Kong's partial core migrations cannot be completed here. */
static int refuse_partial_core(daoc__mig_engine *e, daoc_error **err)
{
    const daoc__mig_subsystem *core = &e->subs[0];
    bool any_done = false, any_new = false;
    for (size_t i = 0; i < core->n; i++) {
        any_done = any_done || core->cls[i] == DAOC__MIG_EXECUTED;
        any_new = any_new || core->cls[i] != DAOC__MIG_EXECUTED;
    }
    if (!any_done || !any_new)
        return DAOC_OK;
    return daoc__mig_fail(err,
                          "the core migrations of this database stop before '%s': it was "
                          "migrated by an older Kong; upgrade it with Kong to 3.10 first (daoc "
                          "makes the core tables in 3.10's layout at bootstrap only)",
                          core->names[core->n - 1]);
}

static int cmd_up(daoc__mig_engine *e, int *code, daoc_error **err)
{
    if (!e->bootstrapped)
        return daoc__mig_fail(err, "Cannot run migrations: %s", NEEDS_BOOTSTRAP);
    bool force = e->o && e->o->force;
    if (!force && daoc__mig_count(e->subs, e->nsubs, DAOC__MIG_PENDING))
        return daoc__mig_fail(err, "%s", HAS_PENDING);
    int rc = refuse_changed(e, err);
    if (rc == DAOC_OK)
        rc = refuse_partial_core(e, err);
    if (rc != DAOC_OK)
        return rc;
    bool got = false;
    if ((rc = lead(e, true, &got, code, err)) != DAOC_OK || !got)
        return rc;
    rc = daoc__mig_reload(e, err); /* again, inside the lock */
    if (rc == DAOC_OK && !force && daoc__mig_count(e->subs, e->nsubs, DAOC__MIG_PENDING))
        rc = daoc__mig_fail(err, "%s", HAS_PENDING);
    size_t pending = 0;
    if (rc == DAOC_OK && force && daoc__mig_count(e->subs, e->nsubs, DAOC__MIG_EXECUTED))
        rc = run_class(e, DAOC__MIG_EXECUTED, true, true, NULL, err);
    if (rc == DAOC_OK && !daoc__mig_count(e->subs, e->nsubs, DAOC__MIG_NEW)) {
        if (!force)
            daoc__mig_say(e, DAOC_LOG_INFO, "Database is already up-to-date");
        /* tables of plugins enabled since, that have no migrations */
        rc = daoc__mig_schema_tables(e, err);
    } else if (rc == DAOC_OK) {
        rc = run_class(e, DAOC__MIG_NEW, true, false, &pending, err);
    }
    drop_lock(e);
    if (rc == DAOC_OK && (pending || daoc__mig_count(e->subs, e->nsubs, DAOC__MIG_PENDING)))
        daoc__mig_say(e, DAOC_LOG_INFO,
                      "\nDatabase has pending migrations; run 'daoc migrations finish' when ready");
    *code = rc == DAOC_OK ? 0 : 1;
    return rc;
}

static int cmd_finish(daoc__mig_engine *e, int *code, daoc_error **err)
{
    if (!e->bootstrapped)
        return daoc__mig_fail(err, "Cannot run migrations: %s", NEEDS_BOOTSTRAP);
    int rc = refuse_changed(e, err);
    if (rc != DAOC_OK)
        return rc;
    bool force = e->o && e->o->force;
    bool got = false;
    if ((rc = lead(e, false, &got, code, err)) != DAOC_OK || !got)
        return rc;
    rc = daoc__mig_reload(e, err);
    if (rc == DAOC_OK && force && daoc__mig_count(e->subs, e->nsubs, DAOC__MIG_EXECUTED))
        rc = run_class(e, DAOC__MIG_EXECUTED, true, true, NULL, err);
    if (rc == DAOC_OK && daoc__mig_count(e->subs, e->nsubs, DAOC__MIG_PENDING))
        rc = run_class(e, DAOC__MIG_PENDING, false, true, NULL, err);
    else if (rc == DAOC_OK && !force)
        daoc__mig_say(e, DAOC_LOG_INFO, "No pending migrations to finish");
    drop_lock(e);
    if (rc == DAOC_OK && (rc = daoc__mig_reload(e, err)) == DAOC_OK &&
        daoc__mig_count(e->subs, e->nsubs, DAOC__MIG_NEW))
        daoc__mig_say(e, DAOC_LOG_INFO,
                      "\nNew migrations available; run 'daoc migrations up' to proceed");
    *code = rc == DAOC_OK ? 0 : 1;
    return rc;
}

static int section(daoc__mig_engine *e, daoc__mig_class c, const char *title, bool *printed)
{
    char *text = NULL;
    int rc = daoc__mig_listing(e->subs, e->nsubs, c, &text);
    if (rc == DAOC_OK && text) {
        daoc__mig_say(e, DAOC_LOG_INFO, "%s%s:\n%s", *printed ? "\n" : "", title, text);
        *printed = true;
    }
    daoc__free(text);
    return rc;
}

static int cmd_list(daoc__mig_engine *e, int *code)
{
    if (!e->bootstrapped) {
        daoc__mig_say(e, DAOC_LOG_INFO, "%s", NEEDS_BOOTSTRAP);
        *code = 3;
        return DAOC_OK;
    }
    bool printed = false;
    int rc = section(e, DAOC__MIG_EXECUTED, "Executed migrations", &printed);
    if (rc == DAOC_OK)
        rc = section(e, DAOC__MIG_PENDING, "Pending migrations", &printed);
    if (rc == DAOC_OK)
        rc = section(e, DAOC__MIG_NEW, "New migrations available", &printed);
    if (rc != DAOC_OK)
        return rc;
    size_t pending = daoc__mig_count(e->subs, e->nsubs, DAOC__MIG_PENDING);
    size_t fresh = daoc__mig_count(e->subs, e->nsubs, DAOC__MIG_NEW);
    if (pending && fresh) {
        daoc__mig_say(e, DAOC_LOG_WARN,
                      "Database has pending migrations from a previous upgrade, and new "
                      "migrations from this upgrade (version %s)",
                      DAOC_VERSION_STRING);
        daoc__mig_say(e, DAOC_LOG_INFO,
                      "\nRun 'daoc migrations finish' when ready to complete pending migrations "
                      "(%s database will be incompatible with the previous Kong version)",
                      e->db->cfg->database);
        *code = 4;
    } else if (pending) {
        daoc__mig_say(e, DAOC_LOG_INFO, "\nRun 'daoc migrations finish' when ready");
        *code = 4;
    } else if (fresh) {
        daoc__mig_say(e, DAOC_LOG_INFO, "\nRun 'daoc migrations up' to proceed");
        *code = 5;
    } else {
        *code = 0;
    }
    return DAOC_OK;
}

/* [{subsystem, namespace, migrations = [names]}] of class c, or NULL. */
static int class_json(const daoc__mig_engine *e, daoc__mig_class c, daoc_value **out)
{
    *out = NULL;
    daoc_value *arr = daoc_arr();
    if (!arr)
        return DAOC_ENOMEM;
    for (size_t k = 0; k < e->nsubs; k++) {
        daoc_value *names = NULL;
        for (size_t i = 0; i < e->subs[k].n; i++) {
            if (e->subs[k].cls[i] != c)
                continue;
            if (!names && !(names = daoc_arr()))
                goto nomem;
            if (daoc_arr_push(names, daoc_str(e->subs[k].names[i])) != DAOC_OK)
                goto nomem_names;
        }
        if (!names)
            continue;
        daoc_value *o = daoc_obj();
        if (!o || daoc_obj_set(o, "subsystem", daoc_str(e->subs[k].name)) != DAOC_OK ||
            daoc_obj_set(o, "namespace", daoc_str(e->subs[k].namespace_)) != DAOC_OK) {
            daoc_value_free(o);
            goto nomem_names;
        }
        if (daoc_obj_set(o, "migrations", names) != DAOC_OK) {
            daoc_value_free(o);
            goto nomem_names;
        }
        if (daoc_arr_push(arr, o) != DAOC_OK) {
            daoc_value_free(o);
            goto nomem;
        }
        continue;
    nomem_names:
        daoc_value_free(names);
        goto nomem;
    }
    if (arr->len == 0) {
        daoc_value_free(arr);
        return DAOC_OK;
    }
    *out = arr;
    return DAOC_OK;
nomem:
    daoc_value_free(arr);
    return DAOC_ENOMEM;
}

static int cmd_status(daoc__mig_engine *e, int *code, daoc_error **err)
{
    daoc_value *st = daoc_obj();
    if (!st || daoc_obj_set(st, "needs_bootstrap", daoc_bool(!e->bootstrapped)) != DAOC_OK) {
        daoc_value_free(st);
        return DAOC_ENOMEM;
    }
    static const struct {
        daoc__mig_class c;
        const char *key;
    } parts[] = {{DAOC__MIG_EXECUTED, "executed_migrations"},
                 {DAOC__MIG_PENDING, "pending_migrations"},
                 {DAOC__MIG_NEW, "new_migrations"}};
    int rc = DAOC_OK;
    for (size_t p = 0; e->bootstrapped && p < 3 && rc == DAOC_OK; p++) {
        daoc_value *v = NULL;
        rc = class_json(e, parts[p].c, &v);
        if (rc == DAOC_OK && v && (rc = daoc_obj_set(st, parts[p].key, v)) != DAOC_OK)
            daoc_value_free(v);
    }
    char *changed = NULL;
    if (rc == DAOC_OK && e->bootstrapped)
        rc = changed_migrations(e, &changed, err);
    if (rc == DAOC_OK && changed)
        rc = daoc_obj_set(st, "changed_migrations", daoc_str(changed));
    daoc__free(changed);
    char *text = NULL;
    size_t n = 0;
    if (rc == DAOC_OK)
        rc = daoc_json_encode(st, &text, &n);
    daoc_value_free(st);
    if (rc != DAOC_OK)
        return rc;
    daoc__mig_say(e, DAOC_LOG_INFO, "%s", text);
    daoc_free(text);
    *code = 0;
    return DAOC_OK;
}

static int cmd_reset(daoc__mig_engine *e, int *code, daoc_error **err)
{
    if (!(e->o && e->o->yes)) {
        if (!e->o || !e->o->confirm)
            return daoc__mig_fail(err,
                                  "not a tty: invoke 'reset' non-interactively with the --yes flag");
        if (!e->o->confirm(e->o->confirm_ud, "Are you sure? This operation is irreversible.")) {
            daoc__mig_say(e, DAOC_LOG_INFO, "cancelled");
            *code = 0;
            return DAOC_OK;
        }
    }
    if (!e->bootstrapped) {
        daoc__mig_say(e, DAOC_LOG_INFO, "Database not bootstrapped, nothing to reset");
        *code = 1;
        return DAOC_OK;
    }
    bool got = false;
    daoc_error *lock_err = NULL;
    int rc = take_lock(e, false, &got, &lock_err);
    if (rc != DAOC_OK) { /* the locks table itself may be gone: reset anyway */
        daoc__mig_say(e, DAOC_LOG_ERR, "%s - retrying without cluster lock",
                      lock_err ? daoc_error_message(lock_err) : daoc_strerror(rc));
        daoc_error_free(lock_err);
        got = true;
    } else if (!got) {
        daoc__mig_say(e, DAOC_LOG_INFO, "%s", NOT_LEADER);
        *code = 1;
        return DAOC_OK;
    }
    daoc__mig_say(e, DAOC_LOG_INFO, "Resetting database...");
    char *msg = NULL;
    rc = daoc__meta_reset(e->db->store, &msg);
    if (rc != DAOC_OK) {
        rc = daoc__mig_fail(err, "cannot reset the database: %s", msg ? msg : "?");
        daoc__free(msg);
        return rc;
    }
    daoc__mig_say(e, DAOC_LOG_INFO, "Database successfully reset");
    *code = 0;
    return DAOC_OK;
}

/* Beyond Kong: what `up` (or, before a bootstrap, `bootstrap`) would run,
 * in order, and how, without running anything. */
static int cmd_plan(daoc__mig_engine *e, int *code)
{
    daoc__mig_class want = DAOC__MIG_NEW;
    size_t n = 0;
    if (!e->bootstrapped)
        daoc__mig_say(e, DAOC_LOG_INFO, "The database needs a bootstrap; it would run:");
    for (size_t k = 0; k < e->nsubs; k++) {
        const daoc__mig_subsystem *s = &e->subs[k];
        for (size_t i = 0; i < s->n; i++) {
            if (s->cls[i] != want)
                continue;
            n++;
            const daoc__migration *m = k > 0 ? &e->sets[k].m[i] : NULL;
            if (!m) {
                daoc__mig_say(e, DAOC_LOG_INFO, "%s: %s (%s)", s->name, s->names[i],
                              i == 0 ? "the core tables, from daoc's schemas"
                                     : "nothing left to do after 000_base");
                continue;
            }
            bool teardown = m->teardown_ref >= 0;
            if (!e->pg) {
                daoc__mig_say(e, DAOC_LOG_INFO, "%s: %s (recorded; on SQLite the tables come "
                                                "from the schema)", s->name, s->names[i]);
                continue;
            }
            daoc__mig_say(e, DAOC_LOG_INFO, "%s: %s (%s%s%s%s)", s->name, s->names[i],
                          m->up_sql ? "up SQL" : "", m->up_sql && m->up_f_ref >= 0 ? ", " : "",
                          m->up_f_ref >= 0 ? "up_f" : "",
                          teardown ? (e->bootstrapped ? "; teardown left pending for finish"
                                                      : "; teardown")
                                   : "");
            if (e->o && e->o->sql && m->up_sql)
                daoc__mig_say(e, DAOC_LOG_INFO, "%s", m->up_sql);
        }
    }
    for (size_t i = 0; i < e->nschema_only; i++)
        daoc__mig_say(e, DAOC_LOG_INFO, "%s: no migrations; tables from its schema",
                      e->schema_only[i]);
    if (n == 0 && e->bootstrapped)
        daoc__mig_say(e, DAOC_LOG_INFO, "Database is already up-to-date");
    *code = e->bootstrapped ? 0 : 3;
    return DAOC_OK;
}

/* 0.5-0.14's `kong migrations down`: a legacy plugin's migrations rolled
 * back with their `down`, newest first -- the newest only, or every one
 * after opts->to. */
static int cmd_down(daoc__mig_engine *e, int *code, daoc_error **err)
{
    if (!e->bootstrapped)
        return daoc__mig_fail(err, "Cannot run migrations: %s", NEEDS_BOOTSTRAP);
    const char *sub = e->o ? e->o->subsystem : NULL;
    if (!sub || !*sub)
        return daoc__mig_fail(err, "down needs a subsystem: daoc migrations down <plugin> "
                                   "[--to NAME]");
    size_t k = 0;
    for (size_t j = 1; j < e->nsubs && !k; j++)
        if (strcmp(e->subs[j].name, sub) == 0)
            k = j;
    if (!k)
        return daoc__mig_fail(err, "no enabled plugin '%s' has migrations to roll back", sub);
    int fmt = e->sets[k].format;
    if (fmt != DAOC__MIGFMT_LEGACY_PG && fmt != DAOC__MIGFMT_LEGACY_05)
        return daoc__mig_fail(err, "the migrations of '%s' have no down (Kong 1.0 and later "
                                   "migrate up only)", sub);
    if (!e->pg)
        return daoc__mig_fail(err, "the down migrations of '%s' are PostgreSQL's; on SQLite its "
                                   "tables come from its schema", sub);
    bool got = false;
    int rc = lead(e, false, &got, code, err);
    if (rc != DAOC_OK || !got)
        return rc;
    rc = daoc__mig_reload(e, err);
    daoc__mig_subsystem *s = &e->subs[k];
    size_t stop = 0; /* roll back executed ones with index >= stop */
    bool any = false;
    for (size_t i = 0; i < s->n; i++)
        any = any || s->cls[i] == DAOC__MIG_EXECUTED;
    const char *to = e->o->to;
    if (rc == DAOC_OK && to) {
        size_t j = 0;
        while (j < s->n && strcmp(s->names[j], to) != 0)
            j++;
        if (j == s->n || s->cls[j] != DAOC__MIG_EXECUTED)
            rc = daoc__mig_fail(err, "'%s' is not an executed migration of '%s'", to, sub);
        stop = j + 1;
    }
    size_t done = 0;
    for (size_t i = s->n; rc == DAOC_OK && any && i-- > stop;) {
        if (s->cls[i] != DAOC__MIG_EXECUTED)
            continue;
        const char *last = NULL; /* the executed one before it */
        for (size_t j = i; j-- > 0;)
            if (s->cls[j] == DAOC__MIG_EXECUTED) {
                last = s->names[j];
                break;
            }
        rc = daoc__mig_down(e, k, i, last, err);
        if (rc == DAOC_OK) {
            s->cls[i] = DAOC__MIG_NEW;
            done++;
            daoc__mig_say(e, DAOC_LOG_INFO, "%s migrated down from: %s", sub, s->names[i]);
        }
        if (!to)
            break;
    }
    drop_lock(e);
    if (rc == DAOC_OK && done == 0)
        daoc__mig_say(e, DAOC_LOG_INFO, "No migrations of %s to roll back", sub);
    *code = rc == DAOC_OK ? 0 : 1;
    return rc;
}

int daoc_migrations(const daoc_config *cfg, const char *command, const daoc_migrations_opts *opts,
                    daoc_log_fn out, void *out_ud, int *exit_code, daoc_error **err)
{
    daoc__err_reset(err);
    int code_dummy;
    int *code = exit_code ? exit_code : &code_dummy;
    *code = 1;
    if (!cfg || !command)
        return daoc__err_fail(err, DAOC_EINVAL, "%s is NULL", cfg ? "command" : "cfg");
    static const char *const known[] = {"bootstrap", "up",   "finish", "list", "status",
                                        "reset",     "plan", "down",   "check", "lint"};
    bool ok = false;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        ok = ok || strcmp(command, known[i]) == 0;
    if (!ok)
        return daoc__err_fail(err, DAOC_EINVAL, "No such command for migrations: %s", command);
    daoc__mig_engine e;
    int rc = daoc__mig_open(&e, cfg, opts, out, out_ud, err);
    if (rc == DAOC_OK) {
        if (strcmp(command, "bootstrap") == 0)
            rc = cmd_bootstrap(&e, code, err);
        else if (strcmp(command, "up") == 0)
            rc = cmd_up(&e, code, err);
        else if (strcmp(command, "finish") == 0)
            rc = cmd_finish(&e, code, err);
        else if (strcmp(command, "list") == 0)
            rc = cmd_list(&e, code);
        else if (strcmp(command, "status") == 0)
            rc = cmd_status(&e, code, err);
        else if (strcmp(command, "plan") == 0)
            rc = cmd_plan(&e, code);
        else if (strcmp(command, "down") == 0)
            rc = cmd_down(&e, code, err);
        else if (strcmp(command, "check") == 0)
            rc = daoc__mig_check(&e, code, err);
        else if (strcmp(command, "lint") == 0) /* before a bootstrap: list's answer */
            rc = e.bootstrapped ? daoc__mig_lint(&e, code, err) : cmd_list(&e, code);
        else
            rc = cmd_reset(&e, code, err);
    }
    daoc__mig_close(&e);
    if (rc != DAOC_OK)
        *code = 1;
    return daoc__err_fill(err, rc);
}
