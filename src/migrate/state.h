/*
 * state.h -- where each migration of each subsystem stands (state.c):
 * Kong's kong/db/migrations/state.lua over schema_meta's rows.
 */
#ifndef DAOC_MIGRATE_STATE_H
#define DAOC_MIGRATE_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "daoc.h"

typedef enum {
    DAOC__MIG_NEW = 0,
    DAOC__MIG_EXECUTED,
    DAOC__MIG_PENDING,
    DAOC__MIG_MISSING
} daoc__mig_class;

/* One subsystem as the code has it: `core` or a plugin, its migrations'
 * names in order (borrowed), and, filled by daoc__mig_classify, each
 * one's class. */
typedef struct daoc__mig_subsystem {
    const char *name;
    const char *namespace_;      /* kong.db.migrations.core, kong.plugins.<p>.migrations */
    const char *const *names;
    size_t n;
    daoc__mig_class *cls;        /* n entries, owned by the caller */
} daoc__mig_subsystem;

/* Classifies every migration of subs[0..nsubs) against `rows` (the array
 * daoc__meta_load gives: {subsystem, last_executed, executed, pending}),
 * as Kong does (reference A2.3): executed when recorded as executed, else
 * pending when recorded as pending, else new -- or missing when it comes
 * before the recorded last_executed (Kong's walk: the index after
 * last_executed is only known once the walk reaches it, so a never-run
 * migration listed before it is new).  A subsystem without a row: all
 * new.  rows NULL (no schema_meta): all new. */
void daoc__mig_classify(daoc__mig_subsystem *subs, size_t nsubs, const daoc_value *rows);

/* Counts of one class over every subsystem. */
size_t daoc__mig_count(const daoc__mig_subsystem *subs, size_t nsubs, daoc__mig_class c);

/* *text receives (owned, daoc_free) Kong's listing of the migrations of
 * class c: one line per subsystem that has some, "<name right-aligned to
 * the longest such name>: a, b", lines joined by "\n"; NULL when none.
 * DAOC_OK or DAOC_ENOMEM. */
int daoc__mig_listing(const daoc__mig_subsystem *subs, size_t nsubs, daoc__mig_class c,
                      char **text);

#endif
