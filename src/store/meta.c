/*
 * meta.c -- the migration state tables (meta.h), the part both stores
 * share: which statement each member runs and with which parameters, the
 * transactions that make a step atomic (lock: expire then insert; record
 * with its ledger row), and the shaping of what comes back (the JSON text
 * of schema_meta's arrays parsed, NULL arrays as [], a lock's holder).
 * The statements themselves are each store's (store/<store>/meta.c).
 */
#include "store/meta.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/rand.h"
#include "store/deploy.h"

static const daoc__meta_dialect *dialect(daoc__store *st)
{
    return st && st->deploy ? st->deploy->meta : NULL;
}

static daoc_value *text_or_null(const char *s)
{
    return s ? daoc_str(s) : daoc_null();
}

/* The parameter array of n values (taken, NULL ones meaning ENOMEM), and
 * the current time after them when `now` (the dialect's now_param for
 * the statements marked [now] in meta.h).  NULL on ENOMEM. */
static daoc_value *args(bool now, int n, ...)
{
    daoc_value *a = daoc_arr();
    bool ok = a != NULL;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        daoc_value *v = va_arg(ap, daoc_value *);
        if (ok && daoc_arr_push(a, v) != DAOC_OK)
            ok = false;
        else if (!ok)
            daoc_value_free(v);
    }
    va_end(ap);
    if (ok && now && daoc_arr_push(a, daoc_num(daoc__now())) != DAOC_OK)
        ok = false;
    if (!ok) {
        daoc_value_free(a);
        return NULL;
    }
    return a;
}

/* Runs sql with params (taken); *nrows = the rows it returned (rows NULL:
 * not wanted). */
static int run(daoc__store *st, const char *sql, daoc_value *params, size_t *nrows,
               daoc_value **rows, char **msg)
{
    if (!params)
        return DAOC_ENOMEM;
    daoc_value *out = NULL;
    int rc = st->deploy->query(st, sql, params, &out, msg);
    daoc_value_free(params);
    if (rc != DAOC_OK)
        return rc;
    if (nrows)
        *nrows = daoc_value_len(out);
    if (rows)
        *rows = out;
    else
        daoc_value_free(out);
    return DAOC_OK;
}

static void clear_msg(char **msg)
{
    if (msg)
        *msg = NULL;
}

int daoc__meta_bootstrap(daoc__store *st, char **msg)
{
    clear_msg(msg);
    const daoc__meta_dialect *d = dialect(st);
    if (!d)
        return DAOC_EINVAL;
    return st->deploy->exec(st, d->bootstrap, msg);
}

int daoc__meta_core_base(daoc__store *st, char **msg)
{
    clear_msg(msg);
    const daoc__meta_dialect *d = dialect(st);
    if (!d)
        return DAOC_EINVAL;
    int rc = st->deploy->exec(st, d->core_base, msg);
    char id[37];
    if (rc == DAOC_OK && (rc = daoc__uuid_v4(id)) == DAOC_OK)
        rc = run(st, d->cluster_id, args(false, 1, daoc_str(id)), NULL, NULL, msg);
    return rc;
}

int daoc__meta_scratch(daoc__store *st, const char *name, bool create, char **msg)
{
    clear_msg(msg);
    const daoc__meta_dialect *d = dialect(st);
    size_t n = name ? strlen(name) : 0;
    if (!d || n == 0 || n > 63 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
        return DAOC_EINVAL;
    const char *const *around = create ? d->scratch_create : d->scratch_drop;
    if (!around[0])
        return DAOC_EINVAL;
    char *sql = daoc__asprintf("%s\"%s\"%s", around[0], name, around[1] ? around[1] : "");
    if (!sql)
        return DAOC_ENOMEM;
    /* one statement of its own, not exec's transaction: CREATE and DROP
     * DATABASE cannot run inside one */
    daoc_value *rows = NULL;
    int rc = st->deploy->query(st, sql, NULL, &rows, msg);
    daoc_value_free(rows);
    daoc__free(sql);
    return rc;
}

int daoc__meta_exists(daoc__store *st, bool *exists, char **msg)
{
    clear_msg(msg);
    if (exists)
        *exists = false;
    if (!dialect(st) || !exists)
        return DAOC_EINVAL;
    daoc_value *names = NULL;
    int rc = st->deploy->list_tables(st, &names, msg);
    if (rc != DAOC_OK)
        return rc;
    for (size_t i = 0; i < daoc_value_len(names) && !*exists; i++) {
        const char *n = daoc_value_str(daoc_arr_get(names, i), NULL);
        *exists = n && strcmp(n, "schema_meta") == 0;
    }
    daoc_value_free(names);
    return DAOC_OK;
}

/* row[col], JSON array text or NULL, replaced by the array itself. */
static int parse_array(daoc_value *row, const char *col, char **msg)
{
    const daoc_value *v = daoc_obj_get(row, col);
    daoc_value *arr = NULL;
    if (!v || daoc_value_type(v) == DAOC_TNULL) {
        arr = daoc_arr();
    } else {
        size_t n = 0;
        const char *t = daoc_value_str(v, &n);
        char why[160];
        if (!t || daoc__json_decode(t, n, &arr, why, sizeof why) != DAOC_OK ||
            daoc_value_type(arr) != DAOC_TARR) {
            daoc_value_free(arr);
            const char *sub = daoc_value_str(daoc_obj_get(row, "subsystem"), NULL);
            if (msg && !(*msg = daoc__asprintf("schema_meta.%s of subsystem '%s' is not an "
                                               "array of names",
                                               col, sub ? sub : "?")))
                return DAOC_ENOMEM;
            return DAOC_ESTORE;
        }
    }
    return daoc_obj_set(row, col, arr);
}

int daoc__meta_load(daoc__store *st, daoc_value **rows, char **msg)
{
    clear_msg(msg);
    if (rows)
        *rows = NULL;
    const daoc__meta_dialect *d = dialect(st);
    if (!d || !rows)
        return DAOC_EINVAL;
    daoc_value *out = NULL;
    int rc = st->deploy->query(st, d->load, NULL, &out, msg);
    for (size_t i = 0; rc == DAOC_OK && i < daoc_value_len(out); i++) {
        daoc_value *row = (daoc_value *)daoc_arr_get(out, i);
        if ((rc = parse_array(row, "executed", msg)) == DAOC_OK)
            rc = parse_array(row, "pending", msg);
    }
    if (rc != DAOC_OK) {
        daoc_value_free(out);
        return rc;
    }
    *rows = out;
    return DAOC_OK;
}

/* sql (the ledger row's upsert, alone or with the state's) with the
 * ledger's parameters. */
static int ledger_put(daoc__store *st, const char *sql, const char *subsystem, const char *name,
                      const daoc__meta_ledger *l, char **msg)
{
    daoc_value *p = args(false, 7, daoc_str(subsystem), daoc_str(name), text_or_null(l->checksum),
                         daoc_num(l->started_at), daoc_num(l->duration_ms), text_or_null(l->host),
                         daoc_int((int64_t)l->pid));
    return run(st, sql, p, NULL, NULL, msg);
}

int daoc__meta_record(daoc__store *st, const char *subsystem, const char *name,
                      daoc__meta_state state, const daoc__meta_ledger *l, char **msg)
{
    clear_msg(msg);
    const daoc__meta_dialect *d = dialect(st);
    if (!d || !subsystem || !name || (unsigned)state > DAOC__META_TEARDOWN ||
        (l && (!isfinite(l->started_at) || !isfinite(l->duration_ms))))
        return DAOC_EINVAL;
    int rc;
    if (!l)
        return run(st, d->record[state], args(false, 2, daoc_str(subsystem), daoc_str(name)), NULL,
                   NULL, msg);
    if (d->record_ledger[state])
        return ledger_put(st, d->record_ledger[state], subsystem, name, l, msg);
    if ((rc = st->ops->begin(st, msg)) != DAOC_OK)
        return rc;
    rc = run(st, d->record[state], args(false, 2, daoc_str(subsystem), daoc_str(name)), NULL, NULL,
             msg);
    if (rc == DAOC_OK)
        rc = ledger_put(st, d->ledger_put, subsystem, name, l, msg);
    if (rc != DAOC_OK) {
        (void)st->ops->rollback(st);
        return rc;
    }
    return st->ops->commit(st, msg);
}

int daoc__meta_unrecord(daoc__store *st, const char *subsystem, const char *name,
                        const char *last, char **msg)
{
    clear_msg(msg);
    const daoc__meta_dialect *d = dialect(st);
    if (!d || !subsystem || !name)
        return DAOC_EINVAL;
    int rc = st->ops->begin(st, msg);
    if (rc != DAOC_OK)
        return rc;
    rc = run(st, d->unrecord,
             args(false, 3, daoc_str(subsystem), daoc_str(name), last ? daoc_str(last) : daoc_null()),
             NULL, NULL, msg);
    if (rc == DAOC_OK)
        rc = run(st, d->ledger_del, args(false, 2, daoc_str(subsystem), daoc_str(name)), NULL,
                 NULL, msg);
    if (rc != DAOC_OK) {
        (void)st->ops->rollback(st);
        return rc;
    }
    return st->ops->commit(st, msg);
}

int daoc__meta_ledger_load(daoc__store *st, daoc_value **rows, char **msg)
{
    clear_msg(msg);
    if (rows)
        *rows = NULL;
    const daoc__meta_dialect *d = dialect(st);
    if (!d || !rows)
        return DAOC_EINVAL;
    return st->deploy->query(st, d->ledger_load, NULL, rows, msg);
}

static bool good_ttl(double ttl_s)
{
    return isfinite(ttl_s) && ttl_s > 0;
}

int daoc__meta_lock(daoc__store *st, const char *key, const char *owner, double ttl_s, bool *got,
                    char **msg)
{
    clear_msg(msg);
    if (got)
        *got = false;
    const daoc__meta_dialect *d = dialect(st);
    if (!d || !key || !owner || !got || !good_ttl(ttl_s))
        return DAOC_EINVAL;
    int rc = st->ops->begin(st, msg);
    if (rc != DAOC_OK)
        return rc;
    size_t n = 0;
    rc = run(st, d->lock_expire, args(d->now_param, 0), NULL, NULL, msg);
    if (rc == DAOC_OK)
        rc = run(st, d->lock_insert,
                 args(d->now_param, 3, daoc_str(key), daoc_str(owner), daoc_num(ttl_s)), &n, NULL,
                 msg);
    if (rc != DAOC_OK) {
        (void)st->ops->rollback(st);
        return rc;
    }
    if ((rc = st->ops->commit(st, msg)) != DAOC_OK)
        return rc;
    *got = n == 1;
    return DAOC_OK;
}

int daoc__meta_lock_refresh(daoc__store *st, const char *key, const char *owner, double ttl_s,
                            bool *still, char **msg)
{
    clear_msg(msg);
    if (still)
        *still = false;
    const daoc__meta_dialect *d = dialect(st);
    if (!d || !key || !owner || !still || !good_ttl(ttl_s))
        return DAOC_EINVAL;
    size_t n = 0;
    int rc =
        run(st, d->lock_refresh,
            args(d->now_param, 3, daoc_str(key), daoc_str(owner), daoc_num(ttl_s)), &n, NULL, msg);
    if (rc == DAOC_OK)
        *still = n == 1;
    return rc;
}

int daoc__meta_lock_read(daoc__store *st, const char *key, daoc_value **holder, char **msg)
{
    clear_msg(msg);
    if (holder)
        *holder = NULL;
    const daoc__meta_dialect *d = dialect(st);
    if (!d || !key || !holder)
        return DAOC_EINVAL;
    daoc_value *rows = NULL;
    int rc = run(st, d->lock_read, args(d->now_param, 1, daoc_str(key)), NULL, &rows, msg);
    if (rc != DAOC_OK || daoc_value_len(rows) == 0) {
        daoc_value_free(rows);
        return rc;
    }
    const daoc_value *row = daoc_arr_get(rows, 0);
    const daoc_value *owner = daoc_obj_get(row, "owner"), *ttl = daoc_obj_get(row, "ttl");
    daoc_value *h = daoc_obj();
    if (!h || daoc_obj_set(h, "owner", daoc_value_copy(owner)) != DAOC_OK ||
        daoc_obj_set(h, "ttl", daoc_num(ttl ? daoc_value_num(ttl) : 0)) != DAOC_OK) {
        daoc_value_free(h);
        daoc_value_free(rows);
        return DAOC_ENOMEM;
    }
    daoc_value_free(rows);
    *holder = h;
    return DAOC_OK;
}

int daoc__meta_unlock(daoc__store *st, const char *key, const char *owner, char **msg)
{
    clear_msg(msg);
    const daoc__meta_dialect *d = dialect(st);
    if (!d || !key || !owner)
        return DAOC_EINVAL;
    return run(st, d->unlock, args(false, 2, daoc_str(key), daoc_str(owner)), NULL, NULL, msg);
}

int daoc__meta_reset(daoc__store *st, char **msg)
{
    clear_msg(msg);
    const daoc__meta_dialect *d = dialect(st);
    if (!d)
        return DAOC_EINVAL;
    return d->reset(st, msg);
}
