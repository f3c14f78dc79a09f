/*
 * sql_query.c -- the shapes of queried pages and counts (beyond Kong:
 * daoc_dao_page's `filter` and `sort` options, daoc_dao_count): the
 * conditions on indexed fields, keyset order on (sort field, primary key)
 * in either direction, and the count of the rows a query pages through,
 * or the planner's estimate of it.
 *
 * Keyset order with nulls.  A null sort value sorts after every other
 * value ascending, before them descending, in both stores (the dialect's
 * nulls_asc / nulls_desc).  The rows after the previous page's last row
 * (v, p) are, ascending: c >= v and (c > v or pk > p), or c null (unless
 * the field is required); after a null (null, p): c null and pk > p.
 * Descending: c <= v and (c < v or pk < p); after (null, p): c not null,
 * or pk < p.  The first form bounds c, so an index on c can serve it.
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

/* The keyset condition (see the head of this file). */
static void keyset(daoc__sh *sh, const daoc__sh_stmt *st)
{
    const daoc__page_query *q = st->query;
    const char *cmp = q->desc ? " < " : " > ";
    if (q->sort < 0) {
        puts_(sh, " AND ");
        pk_after(sh, cmp);
        return;
    }
    const daoc__field *f = &sh->s->fields[q->sort];
    if (st->after_null) {
        puts_(sh, " AND (");
        col(sh, f);
        puts_(sh, q->desc ? " IS NOT NULL OR " : " IS NULL AND ");
        pk_after(sh, cmp);
        puts_(sh, ")");
        return;
    }
    /* c >= v AND (c > v OR pk > p): a range on c an index can start at */
    puts_(sh, " AND ((");
    col(sh, f);
    puts_(sh, q->desc ? " <= " : " >= ");
    sh->d->value(sh, f, DAOC__SQP_QAFTER, 0);
    puts_(sh, " AND (");
    col(sh, f);
    puts_(sh, cmp);
    sh->d->value(sh, f, DAOC__SQP_QAFTER, 0);
    puts_(sh, " OR ");
    pk_after(sh, cmp);
    puts_(sh, "))");
    if (!q->desc && !f->required) { /* the nulls come after every value */
        puts_(sh, " OR ");
        col(sh, f);
        puts_(sh, " IS NULL");
    }
    puts_(sh, ")");
}

/* FROM "<table>" WHERE <fk> <tags> <conditions> [keyset] <ttl> <ws> */
static void from_where(daoc__sh *sh, const daoc__sh_stmt *st, bool after)
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
    if (after && q)
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
    from_where(sh, st, st->after);
    const char *dir = q->desc ? " DESC" : " ASC";
    puts_(sh, " ORDER BY ");
    if (q->sort >= 0) {
        col(sh, &s->fields[q->sort]);
        puts_(sh, dir);
        puts_(sh, q->desc ? sh->d->nulls_desc : sh->d->nulls_asc);
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
