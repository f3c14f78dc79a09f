/*
 * lint.c -- `daoc migrations lint` (lint.h): every loaded entity's schema
 * (core, then every enabled plugin's) against its table as the database's
 * own catalog describes it (store/catalog.h), whoever made the table:
 * daoc from the schema, or a plugin's migrations.  What a schema promises
 * and a table may lack, each reported on one line with the table, the
 * columns, the entity and field, and a statement that would repair it:
 *   - the table itself, a stored field's column (the table check's own
 *     comparison, store/shape.h, with its column types);
 *   - a unique field (per workspace, (ws_id, col), when the entity is
 *     workspaceable and the field not unique_across_ws) and a composite
 *     cache_key without a unique constraint or index on exactly those
 *     columns;
 *   - a foreign field without a foreign key to its entity's table, or
 *     whose key deletes otherwise than its on_delete (cascade: CASCADE,
 *     null: SET NULL, restrict or none: NO ACTION or RESTRICT);
 *   - a foreign key column, and the ttl column of a ttl entity, that no
 *     index begins with.
 * Reads only: no lock, no write.  The SQL is the store's; here only the
 * comparison.
 */
#include "migrate/lint.h"

#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "db/db.h"
#include "store/catalog.h"
#include "store/deploy.h"
#include "store/registry.h"

struct lint {
    daoc__mig_engine *e;
    const daoc__catalog_dialect *d;
    const daoc__schema *s;
    const daoc__cat_table *t;
    daoc__buf line;
    size_t n;  /* findings so far */
    bool nomem;
};

/* "table 'T' (a, b): entity 'E' <what>: " */
static void head(struct lint *l, const char *const *cols, size_t n, const char *what)
{
    daoc__buf_free(&l->line);
    daoc__buf_printf(&l->line, "table '%s'", daoc__schema_table(l->s));
    for (size_t i = 0; i < n; i++)
        daoc__buf_printf(&l->line, "%s%s", i ? ", " : " (", cols[i]);
    daoc__buf_printf(&l->line, "%s: entity '%s'%s%s: ", n ? ")" : "", l->s->name, what ? " " : "",
                     what ? what : "");
}

static void emit(struct lint *l)
{
    if (l->line.failed)
        l->nomem = true;
    else if (l->e->out) /* not daoc__mig_say: a table's fix is longer than its lines */
        l->e->out(l->e->out_ud, DAOC_LOG_INFO, l->line.data);
    daoc__buf_free(&l->line);
    l->n++;
}

static bool has(const struct lint *l, const char *col)
{
    return daoc__shape_type(&l->t->cols, col, l->t->nocase) != NULL;
}

static const char *table(const struct lint *l)
{
    return daoc__schema_table(l->s);
}

/* daoc__shape_diff_fn: a column missing or of a type that does not fit */
static void column(void *ud, const char *col, const char *what, const char *want,
                   const char *found)
{
    struct lint *l = ud;
    head(l, &col, 1, what);
    if (!found) {
        daoc__buf_puts(&l->line, "the column is missing; fix: ");
        daoc__cat_fix_add_column(&l->line, table(l), col, want);
    } else {
        daoc__buf_printf(&l->line, "the column has type %s, the entity needs %s; fix: ",
                         *found ? found : "(none)", want);
        daoc__cat_fix_column_type(&l->line, l->d, table(l), col, want);
    }
    emit(l);
}

/* A unique constraint or index on exactly cols[0..n), needed by `what`. */
static void need_unique(struct lint *l, const char *const *cols, size_t n, const char *what,
                        const char *kind)
{
    for (size_t i = 0; i < n; i++)
        if (!has(l, cols[i]))
            return; /* said: the column is missing */
    if (daoc__cat_unique_on(l->t, cols, n))
        return;
    head(l, cols, n, what);
    daoc__buf_printf(&l->line,
                     "%s, but no unique constraint or index is on exactly %s; fix: ", kind,
                     n > 1 ? "these columns" : "this column");
    daoc__cat_fix_index(&l->line, l->d, table(l), cols, n, true);
    emit(l);
}

/* An index whose first column is col. */
static void need_index(struct lint *l, const char *col, const char *what)
{
    if (!has(l, col) || daoc__cat_index_leading(l->t, col))
        return;
    head(l, &col, 1, what);
    daoc__buf_puts(&l->line, "no index begins with this column; fix: ");
    daoc__cat_fix_index(&l->line, l->d, table(l), &col, 1, false);
    emit(l);
}

static bool deletes_as(daoc__on_delete want, const char *action)
{
    switch (want) {
    case DAOC__ON_DELETE_CASCADE:
        return strcmp(action, "CASCADE") == 0;
    case DAOC__ON_DELETE_NULL:
        return strcmp(action, "SET NULL") == 0;
    default:
        return strcmp(action, "NO ACTION") == 0 || strcmp(action, "RESTRICT") == 0;
    }
}

static bool fk_has(const daoc__cat_table *t, const daoc__cat_fk *k, const char *col)
{
    for (size_t i = 0; i < k->ncols; i++)
        if (daoc__cat_same(t, k->cols[i], col))
            return true;
    return false;
}

/* The foreign key of foreign field f, and the index of its column. */
static void foreign(struct lint *l, const daoc__field *f, const char *what)
{
    const char *col = daoc__field_column(f);
    if (!has(l, col))
        return;
    const char *ref = daoc__schema_table(f->ref);
    const daoc__cat_fk *ok = NULL, *wrong = NULL;
    for (size_t i = 0; i < l->t->nfks && !ok; i++) {
        const daoc__cat_fk *k = &l->t->fks[i];
        if (!daoc__cat_same(l->t, k->ref_table, ref) || !fk_has(l->t, k, col))
            continue;
        if (deletes_as(f->on_delete, k->on_delete))
            ok = k;
        else if (!wrong)
            wrong = k;
    }
    if (!ok) {
        bool ws = daoc__store_fk_ws(l->s, f) && has(l, "ws_id");
        const char *cols[2] = {col, "ws_id"};
        const char *refs[2] = {daoc__field_column(&f->ref->fields[f->ref->pk[0]]), "ws_id"};
        const char *action = daoc__on_delete_sql(f->on_delete);
        const char *on = f->on_delete == DAOC__ON_DELETE_CASCADE ? "cascade"
                         : f->on_delete == DAOC__ON_DELETE_NULL  ? "null"
                                                                 : "restrict";
        head(l, cols, 1, what);
        if (wrong)
            daoc__buf_printf(&l->line,
                             "its foreign key to '%s' has ON DELETE %s, on_delete = \"%s\" needs "
                             "%s; fix: ",
                             ref, wrong->on_delete, on,
                             f->on_delete == DAOC__ON_DELETE_RESTRICT ? "NO ACTION or RESTRICT"
                                                                      : action);
        else
            daoc__buf_printf(&l->line, "no foreign key references '%s'; fix: ", ref);
        daoc__cat_fix_fk(&l->line, l->d, table(l), wrong ? wrong->name : NULL, cols, ref, refs,
                         ws ? 2 : 1, action);
        emit(l);
    }
    need_index(l, col, what);
}

static int check_table(struct lint *l, const daoc__schema *s, char **msg)
{
    daoc__cat_table t = DAOC__CAT_TABLE_INIT;
    int rc = l->d->read(l->e->db->store, daoc__schema_table(s), &t, msg);
    if (rc != DAOC_OK) {
        daoc__cat_free(&t);
        return rc;
    }
    l->s = s;
    l->t = &t;
    if (t.cols.n == 0) {
        head(l, NULL, 0, NULL);
        daoc__buf_puts(&l->line, "the table is missing; fix: ");
        daoc__cat_fix_table(&l->line, l->e->db->store, s);
        emit(l);
        daoc__cat_free(&t);
        return l->nomem ? DAOC_ENOMEM : DAOC_OK;
    }
    rc = daoc__shape_each(s, &t.cols, l->d->shape, false, column, l);
    for (size_t i = 0; rc == DAOC_OK && i < s->nfields && !l->nomem; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        char *what = daoc__asprintf("field '%s'", f->name);
        if (!what) {
            rc = DAOC_ENOMEM;
            break;
        }
        const char *col = daoc__field_column(f);
        if (f->unique && !(s->npk == 1 && s->pk[0] == i)) {
            const char *cols[2] = {"ws_id", col};
            bool ws = daoc__store_unique_ws(s, f);
            need_unique(l, ws ? cols : cols + 1, ws ? 2 : 1, what,
                        ws ? "unique per workspace" : "unique");
        }
        if (f->type == DAOC__F_FOREIGN && f->ref && f->ref->npk > 0)
            foreign(l, f, what);
        daoc__free(what);
    }
    if (rc == DAOC_OK && s->ncache_key > 1) {
        const char *ck = "cache_key";
        need_unique(l, &ck, 1, "composite cache_key", "unique");
    }
    if (rc == DAOC_OK && s->ttl)
        need_index(l, "ttl", "ttl = true");
    daoc__cat_free(&t);
    return rc == DAOC_OK && l->nomem ? DAOC_ENOMEM : rc;
}

int daoc__mig_lint(daoc__mig_engine *e, int *code, daoc_error **err)
{
    daoc__store *st = e->db->store;
    struct lint l = {.e = e, .d = st->deploy->catalog, .line = DAOC__BUF_INIT};
    size_t tables = 0;
    int rc = DAOC_OK;
    for (size_t i = 0; i < e->db->ndaos && rc == DAOC_OK; i++) {
        const daoc_dao *dao = e->db->daos[i];
        if (dao->tags_view)
            continue;
        char *msg = NULL;
        rc = check_table(&l, dao->schema, &msg);
        if (rc != DAOC_OK && rc != DAOC_ENOMEM)
            rc = daoc__mig_fail(err, "cannot read the catalog of table '%s': %s",
                                daoc__schema_table(dao->schema), msg ? msg : daoc_strerror(rc));
        daoc__free(msg);
        tables++;
    }
    daoc__buf_free(&l.line);
    if (rc != DAOC_OK)
        return rc;
    if (l.n)
        daoc__mig_say(e, DAOC_LOG_INFO, "%zu finding%s in %zu tables", l.n, l.n == 1 ? "" : "s",
                      tables);
    else
        daoc__mig_say(e, DAOC_LOG_INFO, "no findings: %zu tables match their entities", tables);
    *code = l.n ? 1 : 0;
    return DAOC_OK;
}
