/*
 * deploy.c -- what the stores' per-deployment tables share (deploy.h): the
 * all-or-nothing wrapper around a script, built on each store's own
 * begin/commit/rollback, which nest as savepoints (store/tx.c).
 */
#include "store/deploy.h"

#include "core/alloc.h"
#include "core/value.h"

int daoc__deploy_atomic(daoc__store *st, int (*run)(daoc__store *, const char *, char **),
                        const char *sql, char **msg)
{
    if (msg)
        *msg = NULL;
    if (!st || !sql)
        return DAOC_EINVAL;
    int rc = st->ops->begin(st, msg);
    if (rc != DAOC_OK)
        return rc;
    rc = run(st, sql, msg);
    if (rc != DAOC_OK) {
        (void)st->ops->rollback(st);
        return rc;
    }
    return st->ops->commit(st, msg);
}

void daoc__deploy_quote_standard(const char *s, size_t n, daoc__buf *b)
{
    daoc__buf_putc(b, '\'');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\'')
            continue;
        daoc__buf_append(b, s + run, i + 1 - run); /* up to and with the quote */
        daoc__buf_putc(b, '\'');
        run = i + 1;
    }
    daoc__buf_append(b, s + run, n - run);
    daoc__buf_putc(b, '\'');
}

int daoc__deploy_column(daoc_value *rows, const char *col, daoc_value **out)
{
    *out = NULL;
    daoc_value *a = daoc_arr();
    for (size_t i = 0; a && i < daoc_value_len(rows); i++)
        if (daoc_arr_push(a, daoc_value_copy(daoc_obj_get(daoc_arr_get(rows, i), col))) !=
            DAOC_OK) {
            daoc_value_free(a);
            a = NULL;
        }
    daoc_value_free(rows);
    if (!a)
        return DAOC_ENOMEM;
    *out = a;
    return DAOC_OK;
}
