/*
 * restrict_sql.c -- which expired rows TTL cleanup may delete (see
 * restrict_sql.h).
 *
 * A TTL row that a RESTRICT foreign key still references cannot be deleted:
 * the database refuses the whole statement, and every other expired row of
 * the batch would stay too.  Cleanup therefore deletes only rows for which
 * no such reference exists -- checked in the same statement, so there is no
 * race with a concurrent insert of a child -- and keeps the others until
 * their children go (reads already hide them: they are expired).  A
 * reference through ON DELETE CASCADE children counts when one of those
 * children is itself restricted.  Foreign keys reference the parent's first
 * primary-key column (store.h); the condition compares that column only,
 * which may keep a row too many, never delete one too many.
 */
#include "store/restrict_sql.h"

#include <stdio.h>

#include "store/ddl.h"

#define MAX_DEPTH 8 /* cascade chains deeper than this are not followed */

static bool restricted_at(const daoc__store_registry *reg, const daoc__schema *s, int depth)
{
    if (depth > MAX_DEPTH)
        return false;
    for (size_t i = 0; i < reg->nrefs; i++) {
        const daoc__store_ref *r = &reg->refs[i];
        if (r->parent != s)
            continue;
        if (r->on_delete == DAOC__ON_DELETE_RESTRICT)
            return true;
        if (r->on_delete == DAOC__ON_DELETE_CASCADE && r->child != s &&
            restricted_at(reg, r->child, depth + 1))
            return true;
    }
    return false;
}

bool daoc__restricted(const daoc__store_registry *reg, const daoc__schema *s)
{
    return restricted_at(reg, s, 0);
}

static void qualified(daoc__buf *b, const char *alias, const char *col)
{
    daoc__sql_ident(b, alias);
    daoc__buf_putc(b, '.');
    daoc__sql_ident(b, col);
}

/* "EXISTS (...) OR EXISTS (...)": true when a row of s named alias is
 * referenced by a restricting key. */
static void referenced(daoc__buf *b, const daoc__store_registry *reg, const daoc__schema *s,
                       const char *alias, int depth, int *serial)
{
    bool first = true;
    const char *pkcol = daoc__field_column(&s->fields[s->pk[0]]);
    for (size_t i = 0; i < reg->nrefs; i++) {
        const daoc__store_ref *r = &reg->refs[i];
        if (r->parent != s)
            continue;
        bool cascade = r->on_delete == DAOC__ON_DELETE_CASCADE && r->child != s &&
                       restricted_at(reg, r->child, depth + 1);
        if (r->on_delete != DAOC__ON_DELETE_RESTRICT && !cascade)
            continue;
        char child[24];
        snprintf(child, sizeof child, "daoc_r%d", ++*serial);
        daoc__buf_puts(b, first ? "EXISTS (SELECT 1 FROM " : " OR EXISTS (SELECT 1 FROM ");
        first = false;
        daoc__sql_ident(b, daoc__schema_table(r->child));
        daoc__buf_puts(b, " AS ");
        daoc__sql_ident(b, child);
        daoc__buf_puts(b, " WHERE ");
        qualified(b, child, daoc__field_column(&r->child->fields[r->field]));
        daoc__buf_puts(b, " = ");
        qualified(b, alias, pkcol);
        if (cascade) {
            daoc__buf_puts(b, " AND (");
            referenced(b, reg, r->child, child, depth + 1, serial);
            daoc__buf_putc(b, ')');
        }
        daoc__buf_putc(b, ')');
    }
}

void daoc__sql_unrestricted(daoc__buf *b, const daoc__store_registry *reg, const daoc__schema *s,
                            const char *alias)
{
    if (s->npk == 0 || !daoc__restricted(reg, s))
        return;
    int serial = 0;
    daoc__buf_puts(b, " AND NOT (");
    referenced(b, reg, s, alias, 0, &serial);
    daoc__buf_putc(b, ')');
}
