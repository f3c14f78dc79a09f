/*
 * viol.c -- turning SQLite constraint errors into daoc__violation.
 *
 * UNIQUE errors name their columns ("UNIQUE constraint failed: t.a, t.b"),
 * so the field is found by column.  FOREIGN KEY errors name nothing, so the
 * store probes: on insert/update each non-null foreign value's parent row is
 * looked up until the missing one is found; on delete the referencing tables
 * recorded by ensure_table are searched for a row pointing at the deleted
 * one.  Probing runs only on the error path.  This file does not word Kong's
 * messages; the DAO does.
 */
#include <string.h>

#include "core/alloc.h"
#include "core/value.h"
#include "store/sqlite/sqlite_int.h"

static int plain_error(const char *text, char **msg)
{
    if (msg && !(*msg = daoc__strdup(text)))
        return DAOC_ENOMEM;
    return DAOC_ESTORE;
}

static bool is_pk_field(const daoc__schema *s, long i)
{
    for (size_t j = 0; j < s->npk; j++)
        if ((long)s->pk[j] == i)
            return true;
    return false;
}

static long field_by_column(const daoc__schema *s, const char *col, size_t n)
{
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        const char *c = f->column ? f->column : f->name;
        if (!f->transient && strlen(c) == n && memcmp(c, col, n) == 0)
            return (long)i;
    }
    return -1;
}

/* "UNIQUE constraint failed: t.a, t.b" */
static void unique_viol(const daoc__schema *s, const char *text, daoc__violation *viol)
{
    const char *p = strstr(text, "failed: ");
    long first = -1;
    bool cache_key = false;
    size_t ncols = 0, npk = 0;
    p = p ? p + 8 : "";
    while (*p) {
        const char *end = strstr(p, ", ");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *dot = memchr(p, '.', len);
        const char *col = dot ? dot + 1 : p;
        size_t clen = len - (size_t)(col - p);
        long idx = field_by_column(s, col, clen);
        if (ncols == 0) {
            first = idx;
            cache_key = clen == 9 && memcmp(col, "cache_key", 9) == 0;
        }
        if (idx >= 0 && is_pk_field(s, idx))
            npk++;
        ncols++;
        p = end ? end + 2 : p + len;
    }
    if (cache_key) {
        viol->kind = DAOC__VIOL_UNIQUE;
        viol->field = -1;
    } else if (ncols > 0 && npk == ncols && ncols == s->npk) {
        viol->kind = DAOC__VIOL_PRIMARY_KEY;
        viol->field = -1;
    } else if (first >= 0) {
        viol->kind = DAOC__VIOL_UNIQUE;
        viol->field = first;
    } else {
        viol->kind = DAOC__VIOL_PRIMARY_KEY;
        viol->field = -1;
    }
}

/* 1 when the parent row of foreign field f with value v exists, 0 when not,
 * or a negative status. */
static int parent_exists(daoc__sqlite *q, const daoc__field *f, const daoc_value *v, char **msg)
{
    const daoc__schema *p = f->ref;
    sqlite3_stmt *stmt;
    int rc = daoc__sq_stmt(q, p, daoc__sq_code(SQ_OP_PROBE_PK, SQ_KEY_PK, 0), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    daoc__sq_bind_begin(q);
    int src = daoc__sq_bind_field(q, stmt, SQ_P_KEY(daoc__sq_ncol(p), 0), f, v);
    if (src == SQLITE_OK)
        src = daoc__sq_bind_finish(q, stmt);
    if (src == SQLITE_OK)
        src = sqlite3_step(stmt);
    rc = src == SQLITE_ROW ? 1 : src == SQLITE_DONE ? 0 : daoc__sq_error(q, src, msg);
    daoc__sq_done(stmt);
    return rc;
}

static int foreign_viol(daoc__sqlite *q, const daoc__schema *s, const daoc_value *entity,
                        daoc__violation *viol, char **msg)
{
    viol->kind = DAOC__VIOL_FOREIGN_KEY;
    viol->field = -1;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->type != DAOC__F_FOREIGN || f->transient || !f->ref || f->ref->npk == 0)
            continue;
        const daoc_value *v = daoc__obj_getn(entity, f->name, f->name_len);
        if (daoc__is_nil_or_null(v))
            continue;
        int rc = parent_exists(q, f, v, msg);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            viol->field = (long)i;
            break;
        }
    }
    return DAOC_ECONSTRAINT;
}

/* 1 when a row of ref->child points at parent key `pkv`. */
static int child_exists(daoc__sqlite *q, const daoc__store_ref *ref, sqlite3_value *pkv, char **msg)
{
    sqlite3_stmt *stmt;
    const daoc__schema *c = ref->child;
    int rc = daoc__sq_stmt(q, c, daoc__sq_code(SQ_OP_PROBE_FK, (long)ref->field, 0), &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    int src = sqlite3_bind_value(stmt, SQ_P_KEY(daoc__sq_ncol(c), 0), pkv);
    if (src == SQLITE_OK)
        src = sqlite3_step(stmt);
    rc = src == SQLITE_ROW ? 1 : src == SQLITE_DONE ? 0 : daoc__sq_error(q, src, msg);
    daoc__sq_done(stmt);
    return rc;
}

/* First schema with a restricting foreign key in the cascade closure of s. */
static const daoc__schema *restrict_child(const daoc__sqlite *q, const daoc__schema *s, int depth)
{
    if (depth > 16)
        return NULL;
    for (size_t i = 0; i < q->reg.nrefs; i++)
        if (q->reg.refs[i].parent == s && q->reg.refs[i].on_delete == DAOC__ON_DELETE_RESTRICT)
            return q->reg.refs[i].child;
    for (size_t i = 0; i < q->reg.nrefs; i++) {
        if (q->reg.refs[i].parent != s || q->reg.refs[i].on_delete != DAOC__ON_DELETE_CASCADE ||
            q->reg.refs[i].child == s)
            continue;
        const daoc__schema *c = restrict_child(q, q->reg.refs[i].child, depth + 1);
        if (c)
            return c;
    }
    return NULL;
}

static int restrict_viol(daoc__sqlite *q, const daoc__schema *s, const daoc__key *key,
                         daoc__violation *viol, char **msg)
{
    viol->kind = DAOC__VIOL_RESTRICT;
    viol->field = -1;
    viol->child = NULL;

    /* the deleted row's primary-key column, read by the same key */
    sqlite3_stmt *sel;
    int rc = daoc__sq_stmt(q, s, daoc__sq_code(SQ_OP_SELECT, key->field, SQ_V_SKIP_TTL), &sel, msg);
    if (rc != DAOC_OK)
        return rc;
    int pkcol = 0;
    for (size_t i = 0; i < s->pk[0]; i++)
        if (!s->fields[i].transient)
            pkcol++;
    daoc__sq_bind_begin(q);
    int src = daoc__sq_bind_key(q, sel, s, key, SQ_P_KEY(daoc__sq_ncol(s), 0));
    if (src == SQLITE_OK)
        src = daoc__sq_bind_finish(q, sel);
    if (src == SQLITE_OK)
        src = sqlite3_step(sel);
    if (src == SQLITE_ROW) {
        sqlite3_value *pkv = sqlite3_column_value(sel, pkcol);
        for (size_t i = 0; i < q->reg.nrefs && !viol->child; i++) {
            const daoc__store_ref *r = &q->reg.refs[i];
            if (r->parent != s || r->on_delete != DAOC__ON_DELETE_RESTRICT)
                continue;
            int found = child_exists(q, r, pkv, msg);
            if (found < 0) {
                daoc__sq_done(sel);
                return found;
            }
            if (found)
                viol->child = r->child->name;
        }
    }
    daoc__sq_done(sel);
    if (!viol->child) {
        const daoc__schema *c = restrict_child(q, s, 0);
        viol->child = c ? c->name : NULL;
    }
    return DAOC_ECONSTRAINT;
}

int daoc__sq_violation(daoc__sqlite *q, const daoc__schema *s, int rc, const char *errtext,
                       const daoc_value *entity, const daoc__key *key, daoc__violation *viol,
                       char **msg)
{
    daoc__violation dummy;
    if (!viol)
        viol = &dummy;
    memset(viol, 0, sizeof *viol);
    viol->field = -1;
    /* ON DELETE RESTRICT is enforced by an internal trigger */
    if (rc == SQLITE_CONSTRAINT_TRIGGER && strstr(errtext, "FOREIGN KEY"))
        rc = SQLITE_CONSTRAINT_FOREIGNKEY;
    switch (rc) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_NOTNULL:
        viol->kind = DAOC__VIOL_PRIMARY_KEY;
        return DAOC_ECONSTRAINT;
    case SQLITE_CONSTRAINT_UNIQUE:
        unique_viol(s, errtext, viol);
        return DAOC_ECONSTRAINT;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        if (entity)
            return foreign_viol(q, s, entity, viol, msg);
        if (key)
            return restrict_viol(q, s, key, viol, msg);
        viol->kind = DAOC__VIOL_RESTRICT;
        return DAOC_ECONSTRAINT;
    default:
        return plain_error(errtext, msg);
    }
}
