/*
 * query_page.h -- a queried page's parts run in turn (query_page.c), for
 * both stores' page members.
 */
#ifndef DAOC_STORE_QUERY_PAGE_H
#define DAOC_STORE_QUERY_PAGE_H

#include "store/sql_shape.h"
#include "store/store.h"

/* Runs shape st (a part of the page set in it) for up to `limit` rows,
 * appending them to arr. */
typedef int (*daoc__query_part_fn)(void *ctx, const daoc__sh_stmt *st, int64_t limit,
                                   daoc_value *arr, char **msg);

/* The page of req (its query set) through run: *rows (owned by the caller)
 * holds up to req->size rows, *more whether more follow. */
int daoc__query_page(const daoc__schema *s, const daoc__page_req *req, daoc__sh_stmt *st,
                     daoc__query_part_fn run, void *ctx, daoc_value **rows, bool *more,
                     char **msg);

#endif
