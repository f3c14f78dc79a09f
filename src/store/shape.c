/*
 * shape.c -- compares an existing table's columns with what its schema
 * needs (shape.h), for both stores: the expected types come from the
 * store's DDL code through its hooks, so the check and CREATE TABLE cannot
 * disagree; the comparison of declared types is the store's own rule.
 * Every difference goes into one message that names the table, the entity,
 * the column, the field and what differs.
 */
#include "store/shape.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "daoc.h"

void daoc__shape_add(daoc__shape_cols *c, const char *name, const char *type)
{
    daoc__buf_puts(&c->text, name);
    daoc__buf_putc(&c->text, '\0');
    daoc__buf_puts(&c->text, type ? type : "");
    daoc__buf_putc(&c->text, '\0');
    c->n++;
}

void daoc__shape_cols_free(daoc__shape_cols *c)
{
    daoc__buf_free(&c->text);
    c->n = 0;
}

const char *daoc__shape_type(const daoc__shape_cols *c, const char *name, bool nocase)
{
    const char *p = c->text.data;
    for (size_t i = 0; i < c->n; i++) {
        const char *type = p + strlen(p) + 1;
        if (nocase ? strcasecmp(p, name) == 0 : strcmp(p, name) == 0)
            return type;
        p = type + strlen(type) + 1;
    }
    return NULL;
}

/* One column: `what` says what needs it ("field 'b'", "ttl = true").
 * must: a missing column is a difference. */
static void column(const daoc__shape_cols *found, const daoc__shape_hooks *h, const char *col,
                   const char *want, const char *what, bool must, daoc__shape_diff_fn fn, void *ud)
{
    const char *type = daoc__shape_type(found, col, h->nocase);
    if (type ? !h->same(want, type) : must)
        fn(ud, col, what, want, type);
}

int daoc__shape_each(const daoc__schema *s, const daoc__shape_cols *found,
                     const daoc__shape_hooks *h, bool upgrade, daoc__shape_diff_fn fn, void *ud)
{
    if (found->text.failed)
        return DAOC_ENOMEM;
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        char *what = daoc__asprintf("field '%s'", f->name);
        if (!what)
            return DAOC_ENOMEM;
        column(found, h, daoc__field_column(f), h->field_type(f), what, true, fn, ud);
        daoc__free(what);
    }
    if (s->ttl)
        column(found, h, "ttl", h->ttl_type, "ttl = true", true, fn, ud);
    if (s->ncache_key > 1)
        column(found, h, "cache_key", h->cache_key_type, "composite cache_key", true, fn, ud);
    if (s->workspaceable)
        column(found, h, "ws_id", h->ws_type, "workspaceable", !upgrade, fn, ud);
    return DAOC_OK;
}

static void put_upper(daoc__buf *b, const char *t)
{
    for (; *t; t++)
        daoc__buf_putc(b, (char)toupper((unsigned char)*t));
}

struct msg_ud {
    daoc__buf *b;
    const daoc__schema *s;
};

/* One difference into the open error's text: "; " between differences,
 * the heading before the first. */
static void say(void *ud, const char *col, const char *what, const char *want, const char *type)
{
    const struct msg_ud *m = ud;
    daoc__buf *b = m->b;
    if (b->len)
        daoc__buf_puts(b, "; ");
    else
        daoc__buf_printf(b, "table '%s' does not match entity '%s': ", daoc__schema_table(m->s),
                         m->s->name);
    if (!type) {
        daoc__buf_printf(b, "column '%s' (%s) is missing", col, what);
        return;
    }
    daoc__buf_printf(b, "column '%s' ", col);
    if (*type) {
        daoc__buf_puts(b, "has type ");
        put_upper(b, type);
    } else {
        daoc__buf_puts(b, "has no declared type");
    }
    daoc__buf_printf(b, ", entity '%s' %s needs %s", m->s->name, what, want);
}

int daoc__shape_check(const daoc__schema *s, const daoc__shape_cols *found,
                      const daoc__shape_hooks *h, bool upgrade, char **msg)
{
    if (found->text.failed)
        return DAOC_ENOMEM;
    if (found->n == 0)
        return DAOC_OK; /* no table yet: the DDL makes it */
    daoc__buf b = DAOC__BUF_INIT;
    struct msg_ud m = {&b, s};
    int rc = daoc__shape_each(s, found, h, upgrade, say, &m);
    if (rc != DAOC_OK || b.failed) {
        daoc__buf_free(&b);
        return DAOC_ENOMEM;
    }
    if (b.len == 0)
        return DAOC_OK;
    if (msg) {
        *msg = daoc__buf_take(&b, NULL);
        if (!*msg)
            return DAOC_ENOMEM;
    }
    daoc__buf_free(&b);
    return DAOC_ESCHEMA;
}
