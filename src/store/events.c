/*
 * events.c -- reading the cluster_events outbox (events.h), the part both
 * stores share: the parameters of each store's statements (its meta
 * dialect's events_read, events_now) and the choice of listener.
 */
#include "store/events.h"

#include <string.h>

#include "store/deploy.h"
#include "store/meta.h"

static const daoc__meta_dialect *dialect(daoc__store *st)
{
    return st && st->deploy ? st->deploy->meta : NULL;
}

int daoc__events_now(daoc__store *st, double *now, double *oldest, char **msg)
{
    if (msg)
        *msg = NULL;
    if (oldest)
        *oldest = 0;
    const daoc__meta_dialect *d = dialect(st);
    if (!d || !d->events_now)
        return DAOC_EINVAL;
    daoc_value *rows = NULL;
    int rc = st->deploy->query(st, d->events_now, NULL, &rows, msg);
    const daoc_value *row = rc == DAOC_OK ? daoc_arr_get(rows, 0) : NULL;
    const daoc_value *v = daoc_obj_get(row, "now"), *o = daoc_obj_get(row, "oldest");
    if (rc == DAOC_OK && !v)
        rc = DAOC_ESTORE;
    if (rc == DAOC_OK)
        *now = daoc_value_num(v);
    if (rc == DAOC_OK && oldest && o && daoc_value_type(o) != DAOC_TNULL)
        *oldest = daoc_value_num(o);
    daoc_value_free(rows);
    return rc;
}

int daoc__events_read(daoc__store *st, double after, int limit, bool others_only, daoc_value **rows,
                      char **msg)
{
    if (msg)
        *msg = NULL;
    *rows = NULL;
    const daoc__meta_dialect *d = dialect(st);
    if (!d || !d->events_read)
        return DAOC_EINVAL;
    const char *sql = others_only && d->events_read_others ? d->events_read_others : d->events_read;
    daoc_value *p = daoc_arr();
    int rc = p ? DAOC_OK : DAOC_ENOMEM;
    if (rc == DAOC_OK)
        rc = daoc_arr_push(p, daoc_num(after));
    if (rc == DAOC_OK)
        rc = daoc_arr_push(p, daoc_int(limit));
    if (rc == DAOC_OK)
        rc = st->deploy->query(st, sql, p, rows, msg);
    daoc_value_free(p);
    return rc;
}

int daoc__events_insert(daoc__store *st, const char *id, const char *node_id, const char *channel,
                        const char *data, double delay_s, char **msg)
{
    if (msg)
        *msg = NULL;
    const daoc__meta_dialect *d = dialect(st);
    if (!d || !d->events_insert || !id || !node_id || !channel || !data)
        return DAOC_EINVAL;
    daoc_value *p = daoc_arr();
    int rc = p ? DAOC_OK : DAOC_ENOMEM;
    const char *texts[] = {id, node_id, channel, data};
    for (size_t i = 0; rc == DAOC_OK && i < 4; i++)
        rc = daoc_arr_push(p, daoc_str(texts[i]));
    if (rc == DAOC_OK)
        rc = daoc_arr_push(p, daoc_num(delay_s));
    daoc_value *rows = NULL;
    if (rc == DAOC_OK)
        rc = st->deploy->query(st, d->events_insert, p, &rows, msg);
    daoc_value_free(rows);
    daoc_value_free(p);
    return rc;
}

int daoc__events_expire(daoc__store *st, size_t *removed, char **msg)
{
    if (msg)
        *msg = NULL;
    *removed = 0;
    const daoc__meta_dialect *d = dialect(st);
    if (!d || !d->events_expire)
        return DAOC_EINVAL;
    daoc_value *rows = NULL;
    int rc = st->deploy->query(st, d->events_expire, NULL, &rows, msg);
    if (rc == DAOC_OK)
        *removed = daoc_value_len(rows);
    daoc_value_free(rows);
    return rc;
}

int daoc__listener_open(const daoc_config *cfg, daoc__listener **out, char **msg)
{
    if (msg)
        *msg = NULL;
    *out = NULL;
    const char *db = daoc_config_get(cfg, "database");
    if (!db || strcmp(db, "postgres") != 0)
        return DAOC_EINVAL;
    return daoc__pg_listener_open(cfg, out, msg);
}
