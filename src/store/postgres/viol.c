/*
 * viol.c -- turning PostgreSQL constraint errors into daoc__violation, by
 * SQLSTATE and constraint name, never by message text.
 *
 *   23505 unique_violation       <t>_pkey -> primary key; <t>_cache_key_key
 *                                -> the cache_key column; <t>_<col>_key or
 *                                <t>_ws_id_<col>_unique/_key -> that unique
 *                                field
 *   23502 not_null_violation     -> primary key (Kong's mapping)
 *   23503 foreign_key_violation  on the written table: <t>_ws_id_fkey -> no
 *                                such workspace; else the foreign field
 *                                whose <t>_<col>_fkey failed; else (a delete
 *                                blocked by ON DELETE RESTRICT) the entity
 *                                whose table the server names
 *
 * The names are those sql.c gives its constraints, cut to 63 bytes like the
 * server cuts them, and PostgreSQL's defaults, so tables Kong's migrations
 * created map the same way.  This file does not word Kong's messages; the
 * DAO does.
 */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "store/postgres/pg_int.h"

static bool is_pk_field(const daoc__schema *s, size_t i)
{
    for (size_t j = 0; j < s->npk; j++)
        if (s->pk[j] == i)
            return true;
    return false;
}

static bool named(const char *cons, const char *table, const char *col, const char *suffix)
{
    char want[PG_NAMEDATALEN];
    daoc__pg_cname(want, table, col, suffix);
    return strcmp(cons, want) == 0;
}

/* Per-workspace unique constraint of column col: "<t>_ws_id_<col>_unique"
 * (sql.c and Kong's 2.1 migrations) or "<t>_ws_id_<col>_key" (PostgreSQL's
 * default for an unnamed UNIQUE ("ws_id", col), as in Kong's fresh 3.x
 * schema). */
static bool ws_named(const char *cons, const char *table, const char *col)
{
    char c[PG_NAMEDATALEN * 2];
    snprintf(c, sizeof c, "ws_id_%s", col);
    return named(cons, table, c, "unique") || named(cons, table, c, "key");
}

static void unique_viol(const daoc__schema *s, const char *cons, daoc__violation *viol)
{
    const char *t = daoc__pg_table(s);
    viol->kind = DAOC__VIOL_PRIMARY_KEY; /* Kong: anything unnamed is the pk */
    viol->field = -1;
    if (!cons || named(cons, t, NULL, "pkey"))
        return;
    if (s->ncache_key > 1 && named(cons, t, "cache_key", "key")) {
        viol->kind = DAOC__VIOL_UNIQUE;
        return;
    }
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient || is_pk_field(s, i))
            continue;
        if (named(cons, t, daoc__pg_col(f), "key") || ws_named(cons, t, daoc__pg_col(f))) {
            viol->kind = DAOC__VIOL_UNIQUE;
            viol->field = (long)i;
            return;
        }
    }
}

static long fk_field(const daoc__schema *s, const char *cons)
{
    const char *t = daoc__pg_table(s);
    for (size_t i = 0; cons && i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->type != DAOC__F_FOREIGN || f->transient)
            continue;
        /* "<t>_<col>_fkey"; a two-column key named by PostgreSQL's default
         * is "<t>_<col>_ws_id_fkey" */
        char c[PG_NAMEDATALEN * 2];
        snprintf(c, sizeof c, "%s_ws_id", daoc__pg_col(f));
        if (named(cons, t, daoc__pg_col(f), "fkey") || named(cons, t, c, "fkey"))
            return (long)i;
    }
    return -1;
}

static const daoc__schema *schema_of_table(const daoc__pg *q, const char *table)
{
    for (size_t i = 0; table && i < q->reg.ntables; i++)
        if (strcmp(daoc__pg_table(q->reg.tables[i]), table) == 0)
            return q->reg.tables[i];
    return NULL;
}

int daoc__pg_violation(daoc__pg *q, const daoc__schema *s, const PGresult *res,
                       const daoc_value *entity, daoc__violation *viol, char **msg)
{
    daoc__violation dummy;
    if (!viol)
        viol = &dummy;
    memset(viol, 0, sizeof *viol);
    viol->field = -1;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    const char *table = res ? PQresultErrorField(res, PG_DIAG_TABLE_NAME) : NULL;
    if (!state)
        return daoc__pg_error(q, res, msg);
    if (strcmp(state, "23505") == 0) {
        unique_viol(s, cons, viol);
        return DAOC_ECONSTRAINT;
    }
    if (strcmp(state, "23502") == 0) {
        viol->kind = DAOC__VIOL_PRIMARY_KEY;
        return DAOC_ECONSTRAINT;
    }
    if (strcmp(state, "23503") == 0) {
        if (entity && table && strcmp(table, daoc__pg_table(s)) == 0) {
            if (s->workspaceable && cons && named(cons, daoc__pg_table(s), "ws_id", "fkey")) {
                viol->kind = DAOC__VIOL_WORKSPACE;
                return DAOC_ECONSTRAINT;
            }
            viol->kind = DAOC__VIOL_FOREIGN_KEY;
            viol->field = fk_field(s, cons);
            return DAOC_ECONSTRAINT;
        }
        /* the server names the referencing (child) table */
        const daoc__schema *child = schema_of_table(q, table);
        viol->kind = DAOC__VIOL_RESTRICT;
        viol->child = child ? child->name : NULL;
        return DAOC_ECONSTRAINT;
    }
    return daoc__pg_error(q, res, msg);
}
