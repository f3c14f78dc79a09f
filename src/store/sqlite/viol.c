/*
 * viol.c -- turning SQLite constraint errors into daoc__violation.
 *
 * UNIQUE errors name their columns ("UNIQUE constraint failed: t.a, t.b"),
 * so the field is found by column.  FOREIGN KEY errors name nothing, so the
 * store probes: on insert/update each non-null foreign value's parent row is
 * looked up until the missing one is found (first the workspace the row is
 * written to, then each parent in that workspace when the key has two
 * columns); on delete the referencing tables
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
        const char *c = daoc__field_column(f);
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
        if (s->workspaceable && clen == 5 && memcmp(col, "ws_id", 5) == 0) {
            /* UNIQUE ("ws_id", col): the field is the other column */
            p = end ? end + 2 : p + len;
            continue;
        }
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

/* 1 when the parent row (in workspace ws, when not NULL) of foreign field f
 * with value v exists, 0 when not, or a negative status.  f NULL probes
 * table p (the workspaces) for the row whose id is ws. */
static int parent_exists(daoc__sqlite *q, const daoc__field *f, const daoc__schema *p,
                         const daoc_value *v, const char *ws, char **msg)
{
    sqlite3_stmt *stmt;
    int rc = daoc__sq_stmt(q, p, daoc__sq_code(SQ_OP_PROBE_PK, SQ_KEY_PK, f && ws ? SQ_V_WS : 0),
                           &stmt, msg);
    if (rc != DAOC_OK)
        return rc;
    size_t ncol = daoc__sq_ncol(p);
    daoc__sq_bind_begin(q);
    int src = f ? daoc__sq_bind_field(q, stmt, SQ_P_KEY(ncol, 0), f, v)
                : sqlite3_bind_text(stmt, SQ_P_KEY(ncol, 0), ws, -1, SQLITE_STATIC);
    if (src == SQLITE_OK && f && ws)
        src = sqlite3_bind_text(stmt, SQ_P_WS(ncol), ws, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = daoc__sq_bind_finish(q, stmt);
    if (src == SQLITE_OK)
        src = sqlite3_step(stmt);
    rc = src == SQLITE_ROW ? 1 : src == SQLITE_DONE ? 0 : daoc__sq_error(q, src, msg);
    daoc__sq_done(stmt);
    return rc;
}

static int foreign_viol(daoc__sqlite *q, const daoc__schema *s, const daoc_value *entity,
                        const char *ws, daoc__violation *viol, char **msg)
{
    viol->kind = DAOC__VIOL_FOREIGN_KEY;
    viol->field = -1;
    const daoc__schema *wss = daoc__registry_find(&q->reg, "workspaces");
    if (s->workspaceable && ws && wss) {
        int rc = parent_exists(q, NULL, wss, NULL, ws, msg);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            viol->kind = DAOC__VIOL_WORKSPACE;
            return DAOC_ECONSTRAINT;
        }
    }
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->type != DAOC__F_FOREIGN || f->transient || !f->ref || f->ref->npk == 0)
            continue;
        const daoc_value *v = daoc__obj_getn(entity, f->name, f->name_len);
        if (daoc__is_nil_or_null(v))
            continue;
        int rc = parent_exists(q, f, f->ref, v, daoc__store_fk_ws(s, f) ? ws : NULL, msg);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            viol->field = (long)i;
            break;
        }
    }
    return DAOC_ECONSTRAINT;
}

/* 1 when a row of c points at parent key `pkv` through foreign field
 * `field` (-1: through ws_id). */
static int child_exists(daoc__sqlite *q, const daoc__schema *c, long field, sqlite3_value *pkv,
                        char **msg)
{
    sqlite3_stmt *stmt;
    unsigned v = field < 0 ? SQ_V_WS : 0; /* -1: a row of workspace pkv */
    int rc = daoc__sq_stmt(q, c, daoc__sq_code(SQ_OP_PROBE_FK, field < 0 ? 0 : field, v), &stmt,
                           msg);
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
            int found = child_exists(q, r->child, (long)r->field, pkv, msg);
            if (found < 0) {
                daoc__sq_done(sel);
                return found;
            }
            if (found)
                viol->child = r->child->name;
        }
        /* every workspaceable table references the workspaces */
        for (size_t i = 0; strcmp(s->name, "workspaces") == 0 && i < q->reg.ntables && !viol->child;
             i++) {
            const daoc__schema *c = q->reg.tables[i];
            int found = c->workspaceable ? child_exists(q, c, -1, pkv, msg) : 0;
            if (found < 0) {
                daoc__sq_done(sel);
                return found;
            }
            if (found)
                viol->child = c->name;
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
                       const daoc_value *entity, const daoc__key *key, const char *ws_id,
                       daoc__violation *viol, char **msg)
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
            return foreign_viol(q, s, entity, ws_id, viol, msg);
        if (key)
            return restrict_viol(q, s, key, viol, msg);
        viol->kind = DAOC__VIOL_RESTRICT;
        return DAOC_ECONSTRAINT;
    default:
        return plain_error(errtext, msg);
    }
}
