/*
 * state.c -- the classification of migrations against schema_meta and its
 * listing, as kong/db/migrations/state.lua does it (state.h).  Pure: the
 * rows come from the store (store/meta.h), the names from the loaders.
 */
#include "migrate/state.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/value.h"

static bool holds(const daoc_value *arr, const char *name)
{
    for (size_t i = 0; arr && arr->type == DAOC_TARR && i < arr->len; i++) {
        const daoc_value *v = arr->u.a[i];
        if (v->type == DAOC_TSTR && strcmp(v->u.s, name) == 0)
            return true;
    }
    return false;
}

static const daoc_value *row_of(const daoc_value *rows, const char *subsystem)
{
    for (size_t i = 0; rows && rows->type == DAOC_TARR && i < rows->len; i++) {
        const daoc_value *s = daoc_obj_get(rows->u.a[i], "subsystem");
        if (s && s->type == DAOC_TSTR && strcmp(s->u.s, subsystem) == 0)
            return rows->u.a[i];
    }
    return NULL;
}

void daoc__mig_classify(daoc__mig_subsystem *subs, size_t nsubs, const daoc_value *rows)
{
    for (size_t k = 0; k < nsubs; k++) {
        daoc__mig_subsystem *s = &subs[k];
        const daoc_value *row = row_of(rows, s->name);
        const daoc_value *last = row ? daoc_obj_get(row, "last_executed") : NULL;
        const daoc_value *executed = row ? daoc_obj_get(row, "executed") : NULL;
        const daoc_value *pending = row ? daoc_obj_get(row, "pending") : NULL;
        bool have_n = false;
        size_t n = 0;
        for (size_t i = 0; i < s->n; i++) {
            const char *name = s->names[i];
            if (last && last->type == DAOC_TSTR && strcmp(last->u.s, name) == 0) {
                have_n = true;
                n = i + 1;
            }
            if (!row)
                s->cls[i] = DAOC__MIG_NEW;
            else if (holds(executed, name))
                s->cls[i] = DAOC__MIG_EXECUTED;
            else if (holds(pending, name))
                s->cls[i] = DAOC__MIG_PENDING;
            else
                s->cls[i] = !have_n || i >= n ? DAOC__MIG_NEW : DAOC__MIG_MISSING;
        }
    }
}

size_t daoc__mig_count(const daoc__mig_subsystem *subs, size_t nsubs, daoc__mig_class c)
{
    size_t total = 0;
    for (size_t k = 0; k < nsubs; k++)
        for (size_t i = 0; i < subs[k].n; i++)
            total += subs[k].cls[i] == c;
    return total;
}

int daoc__mig_listing(const daoc__mig_subsystem *subs, size_t nsubs, daoc__mig_class c,
                      char **text)
{
    *text = NULL;
    size_t width = 0;
    for (size_t k = 0; k < nsubs; k++)
        for (size_t i = 0; i < subs[k].n; i++)
            if (subs[k].cls[i] == c && strlen(subs[k].name) > width)
                width = strlen(subs[k].name);
    if (width == 0)
        return DAOC_OK;
    daoc__buf b = DAOC__BUF_INIT;
    for (size_t k = 0; k < nsubs; k++) {
        bool started = false;
        for (size_t i = 0; i < subs[k].n; i++) {
            if (subs[k].cls[i] != c)
                continue;
            if (!started)
                daoc__buf_printf(&b, "%s%*s: ", b.len ? "\n" : "", (int)width, subs[k].name);
            else
                daoc__buf_puts(&b, ", ");
            started = true;
            daoc__buf_puts(&b, subs[k].names[i]);
        }
    }
    *text = daoc__buf_take(&b, NULL);
    return *text ? DAOC_OK : DAOC_ENOMEM;
}
