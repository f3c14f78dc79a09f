/*
 * sql_query.c -- the shapes of queried pages and counts (beyond Kong:
 * daoc_dao_page's `filter` and `sort` options, daoc_dao_count): the
 * conditions on indexed fields, keyset order on (sort field, primary key)
 * in either direction, and the count of the rows a query pages through,
 * or the planner's estimate of it.
 *
 * Keyset order with nulls.  A null sort value sorts after every other
 * value ascending, before them descending, in both stores.  A sort column
 * that may hold nulls is read in two parts, each a statement an index on
 * the column serves in order (daoc__sh_query_parts): the rows with a
 * value (c IS NOT NULL, ordered by c and pk) and those without (c IS NULL,
 * ordered by pk); the store runs the second only when the first leaves
 * the page short.  After the previous page's last row (v, p), the part
 * with values takes c >= v AND (c > v OR pk > p) (descending: <=, <, <), a
 * range an index can start at, and the null part all its rows; after
 * (null, p) the null part takes pk > p (<) and the part with values all
 * its rows or none, by the direction.  A column that holds no nulls (a
 * required field, the primary key) is one part.
 *
 * Identifiers come only from compiled schemas; every value is a parameter
 * (DAOC__SQP_QVAL, DAOC__SQP_QAFTER, DAOC__SQP_AFTER).  This file runs no SQL.
 */
#include "store/ddl.h"
#include "store/sql_shape.h"
#include "store/store.h"

static void puts_(daoc__sh *sh, const char *t)
{
    daoc__buf_puts(sh->b, t);
}

static void col(daoc__sh *sh, const daoc__field *f)
{
    daoc__sql_ident(sh->b, daoc__field_column(f));
}

static const char *op_text(daoc__qop op)
{
    switch (op) {
    case DAOC__Q_GT:
        return " > ";
    case DAOC__Q_GTE:
        return " >= ";
    case DAOC__Q_LT:
        return " < ";
    case DAOC__Q_LTE:
        return " <= ";
    default:
        return " = ";
    }
}

/* (pk) <cmp> (the previous page's last key) */
static void pk_after(daoc__sh *sh, const char *cmp)
{
    const daoc__schema *s = sh->s;
    puts_(sh, "(");
    daoc__sql_pk_cols(sh->b, s);
    puts_(sh, ")");
    puts_(sh, cmp);
    puts_(sh, "(");
    for (size_t j = 0; j < s->npk; j++) {
        if (j)
            puts_(sh, ", ");
        sh->d->value(sh, &s->fields[s->pk[j]], DAOC__SQP_AFTER, j);
    }
    puts_(sh, ")");
}

/* c >= v AND (c > v OR pk > p) (descending: <=, <, <): the rows after
 * (v, p) among those with a value, a range on c an index can start at. */
static void after_value(daoc__sh *sh, const daoc__field *f, bool desc)
{
    const char *cmp = desc ? " < " : " > ";
    puts_(sh, " AND ");
    col(sh, f);
    puts_(sh, desc ? " <= " : " >= ");
    sh->d->value(sh, f, DAOC__SQP_QAFTER, 0);
    puts_(sh, " AND (");
    col(sh, f);
    puts_(sh, cmp);
    sh->d->value(sh, f, DAOC__SQP_QAFTER, 0);
    puts_(sh, " OR ");
    pk_after(sh, cmp);
    puts_(sh, ")");
}

/* The part's condition on the sort column and the keyset (see the head of
 * this file). */
static void keyset(daoc__sh *sh, const daoc__sh_stmt *st)
{
    const daoc__page_query *q = st->query;
    const char *cmp = q->desc ? " < " : " > ";
    const daoc__field *f = q->sort >= 0 ? &sh->s->fields[q->sort] : NULL;
    switch (st->part) {
    case DAOC__SH_PART_VALUES:
        puts_(sh, " AND ");
        col(sh, f);
        puts_(sh, " IS NOT NULL");
        if (st->after)
            after_value(sh, f, q->desc);
        break;
    case DAOC__SH_PART_NULLS:
        puts_(sh, " AND ");
        col(sh, f);
        puts_(sh, " IS NULL");
        if (st->after) {
            puts_(sh, " AND ");
            pk_after(sh, cmp);
        }
        break;
    default: /* a sort column that holds no nulls, or the primary key */
        if (!st->after)
            break;
        if (f) {
            after_value(sh, f, q->desc);
        } else {
            puts_(sh, " AND ");
            pk_after(sh, cmp);
        }
        break;
    }
}

void daoc__sh_query_part(daoc__sh_stmt *st, uint8_t part, bool after, bool after_null)
{
    st->part = part;
    st->after_null = after_null;
    st->after = part == DAOC__SH_PART_VALUES  ? after && !after_null
                : part == DAOC__SH_PART_NULLS ? after && after_null
                                              : after;
}

size_t daoc__sh_query_parts(const daoc__schema *s, const daoc__page_query *q, bool after,
                            bool after_null, uint8_t parts[2])
{
    if (q->sort < 0 || s->fields[q->sort].required) {
        parts[0] = DAOC__SH_PART_ALL;
        return 1;
    }
    size_t n = 0;
    if (!q->desc) { /* values, then the nulls */
        if (!after || !after_null)
            parts[n++] = DAOC__SH_PART_VALUES;
        parts[n++] = DAOC__SH_PART_NULLS;
    } else { /* the nulls, then the values */
        if (!after || after_null)
            parts[n++] = DAOC__SH_PART_NULLS;
        parts[n++] = DAOC__SH_PART_VALUES;
    }
    return n;
}

/* FROM "<table>" WHERE <fk> <tags> <conditions> [keyset] <ttl> <ws> */
static void from_where(daoc__sh *sh, const daoc__sh_stmt *st, bool query)
{
    const daoc__schema *s = sh->s;
    puts_(sh, " FROM ");
    daoc__sql_ident(sh->b, daoc__schema_table(s));
    puts_(sh, sh->d->page_from);
    if (st->field >= 0) {
        puts_(sh, " AND ");
        col(sh, &s->fields[st->field]);
        puts_(sh, " = ");
        sh->d->value(sh, NULL, DAOC__SQP_FK, (size_t)st->field);
    }
    if (st->tags_all || st->tags_any)
        sh->d->tags(sh, st->tags_all);
    const daoc__page_query *q = st->query;
    for (size_t i = 0; q && i < q->nconds; i++) {
        const daoc__field *f = &s->fields[q->conds[i].field];
        puts_(sh, " AND ");
        col(sh, f);
        puts_(sh, op_text(q->conds[i].op));
        sh->d->value(sh, f, DAOC__SQP_QVAL, i);
    }
    if (query && q)
        keyset(sh, st);
    if (s->ttl && !st->skip_ttl)
        daoc__sh_ttl_filter(sh);
    if (s->workspaceable && st->ws)
        daoc__sh_ws_cond(sh);
}

void daoc__sh_query(daoc__sh *sh, const daoc__sh_stmt *st)
{
    const daoc__schema *s = sh->s;
    if (st->op == DAOC__SH_COUNT) {
        if (st->estimate && !sh->d->estimate_head) {
            sh->b->failed = true;
            return;
        }
        puts_(sh, st->estimate ? sh->d->estimate_head : "SELECT count(*)");
        from_where(sh, st, false);
        return;
    }
    const daoc__page_query *q = st->query;
    if (!q) {
        sh->b->failed = true;
        return;
    }
    puts_(sh, "SELECT ");
    daoc__sh_select_list(sh, st->show_ws);
    from_where(sh, st, true);
    const char *dir = q->desc ? " DESC" : " ASC";
    puts_(sh, " ORDER BY ");
    if (q->sort >= 0 && st->part != DAOC__SH_PART_NULLS) {
        col(sh, &s->fields[q->sort]);
        puts_(sh, dir);
        puts_(sh, ", ");
    }
    for (size_t j = 0; j < s->npk; j++) {
        if (j)
            puts_(sh, ", ");
        col(sh, &s->fields[s->pk[j]]);
        puts_(sh, dir);
    }
    puts_(sh, " LIMIT ");
    sh->d->value(sh, NULL, DAOC__SQP_LIMIT, 0);
}
