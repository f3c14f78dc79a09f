/*
 * query_page.c -- a queried page (filter, sort: sql_query.c), the part both
 * stores share: the page's statement in its one or two parts
 * (daoc__sh_query_parts: a sort column that may hold nulls is read as the
 * rows with a value, then those without), the second run only when the
 * first leaves the page and its one look-ahead row short, then the
 * look-ahead row taken off into *more.  The store runs each part.
 */
#include "store/query_page.h"

#include "core/value.h"

int daoc__query_page(const daoc__schema *s, const daoc__page_req *req, daoc__sh_stmt *st,
                     daoc__query_part_fn run, void *ctx, daoc_value **rows, bool *more,
                     char **msg)
{
    const daoc__page_query *qy = req->query;
    bool after = qy && req->after && req->after->type == DAOC_TARR && req->after->len > 0;
    bool after_null = after && qy->sort >= 0 && daoc__is_nil_or_null(qy->after_sort);
    uint8_t parts[2];
    size_t nparts = daoc__sh_query_parts(s, req->query, after, after_null, parts);
    int64_t size = req->size > 0 ? req->size : 1;
    daoc_value *arr = daoc_arr();
    int rc = arr ? DAOC_OK : DAOC_ENOMEM;
    for (size_t i = 0; rc == DAOC_OK && i < nparts && (int64_t)arr->len <= size; i++) {
        daoc__sh_query_part(st, parts[i], after, after_null);
        rc = run(ctx, st, size + 1 - (int64_t)arr->len, arr, msg);
    }
    if (rc != DAOC_OK) {
        daoc_value_free(arr);
        return rc;
    }
    if ((int64_t)arr->len > size) {
        *more = true;
        while ((int64_t)arr->len > size)
            daoc_value_free(daoc__arr_take(arr, arr->len - 1));
    }
    *rows = arr;
    return DAOC_OK;
}
