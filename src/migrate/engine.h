/*
 * engine.h -- the migrations engine's working set (engine.c): the
 * subsystems (core first, then every enabled plugin that has migrations
 * for the store in use, in name order), their loaded migrations, their
 * state, and the running of one migration's steps.  commands.c builds
 * `daoc migrations <command>` on it.
 */
#ifndef DAOC_MIGRATE_ENGINE_H
#define DAOC_MIGRATE_ENGINE_H

#include <stdbool.h>

#include "daoc.h"
#include "lua/lua.h"
#include "migrate/state.h"

struct daoc__lua;

typedef struct daoc__mig_engine {
    daoc_db *db;                    /* owned (daoc__db_open_deferred) */
    const daoc_migrations_opts *o;  /* borrowed */
    daoc_log_fn out;                /* the command's output */
    void *out_ud;
    bool pg;                        /* PostgreSQL: plugin SQL runs; SQLite: schemas */
    daoc__mig_subsystem *subs;      /* nsubs entries: [0] = core */
    daoc__migration_set *sets;      /* nsubs entries: [0] unused (core is built in) */
    char **plugins;                 /* nsubs entries: [0] NULL, else the plugin name */
    size_t nsubs;
    char **schema_only;             /* enabled plugins with no migrations here */
    size_t nschema_only;
    bool bootstrapped;              /* schema_meta exists */
    char host[64];                  /* this machine, for the ledger */
    char owner[128];                /* this process in the locks table: host:pid:random */
    double beat_at;                 /* monotonic seconds the lock was last taken or refreshed */
} daoc__mig_engine;

/* Opens the database for migrations and loads every subsystem and its
 * state.  On failure *err says why; the engine needs daoc__mig_close. */
int daoc__mig_open(daoc__mig_engine *e, const daoc_config *cfg, const daoc_migrations_opts *o,
                   daoc_log_fn out, void *out_ud, daoc_error **err);
void daoc__mig_close(daoc__mig_engine *e);

/* Re-reads schema_meta and classifies every migration again. */
int daoc__mig_reload(daoc__mig_engine *e, daoc_error **err);

/* Runs migration i of subsystem k: `up` (its SQL in a transaction, then
 * up_f) when up, its teardown when teardown; records the result in
 * schema_meta and the ledger.  *state receives what was recorded
 * (executed, or pending when a teardown remains).  On failure *err holds
 * Kong's "failed to run migration '<name>' up: <why>". */
int daoc__mig_run(daoc__mig_engine *e, size_t k, size_t i, bool up, bool teardown,
                  bool *pending, daoc_error **err);

/* Rolls back migration i of subsystem k with its 0.x `down` (SQL or
 * function) and undoes its record (last_executed becomes `last`), in one
 * transaction.  Kong's wording on failure: "failed to run migration
 * '<name>' down: ...". */
int daoc__mig_down(daoc__mig_engine *e, size_t k, size_t i, const char *last, daoc_error **err);

/* ---- counted runs, for `daoc migrations check` (check.c) ---------------- */

/* One phase's statements as units: each statement of the `up` text and
 * each one up_f or teardown sends through the connector counts once. */
typedef struct daoc__mig_probe {
    long budget;     /* units the phase may start; < 0: no limit */
    long count;      /* units started */
    bool stopped;    /* a unit past the budget was refused, ending the phase */
    const char *kind; /* the step running: "up", "up_f", "teardown" */
    long kind_count; /* its units so far */
    char last[160];  /* the last unit started: "up statement 2 (ALTER TABLE ...)" */
    char cause[1024]; /* a failure's own text ("" when none), *err's without its prefix */
} daoc__mig_probe;

/* Runs one phase of migration i of plugin subsystem k (k > 0, PostgreSQL),
 * recording nothing, inside the caller's transaction: `up` (its text one
 * statement at a time, then up_f) or, when teardown, the teardown.  Set
 * p->budget first; the rest is reset.  A unit refused by the budget ends
 * the phase with DAOC_OK and p->stopped (up_f or teardown then see their
 * query fail, and whatever they return is ignored).  A failure is Kong's
 * "failed to run migration '<name>' <step>: <why>" in *err, <why> in
 * p->cause, p->last naming the last statement started. */
int daoc__mig_phase(daoc__mig_engine *e, size_t k, size_t i, bool teardown, daoc__mig_probe *p,
                    daoc_error **err);

/* `daoc migrations check` (check.c): *code 0 when every pending migration
 * is reentrant, 1 when one is not (each named through the output). */
int daoc__mig_check(daoc__mig_engine *e, int *code, daoc_error **err);

/* Makes the tables of the plugins that have no migrations here from their
 * schemas (and says so once each). */
int daoc__mig_schema_tables(daoc__mig_engine *e, daoc_error **err);

/* Logs through the command's output (printf-style). */
void daoc__mig_say(const daoc__mig_engine *e, daoc_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An error object named "migrations error" with the formatted message
 * into *err; returns DAOC_EMIGRATION (DAOC_ENOMEM when out of memory). */
int daoc__mig_fail(daoc_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
