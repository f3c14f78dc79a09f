/*
 * events_ddl.c -- the part of the cluster_events triggers both stores
 * share (events_ddl.h): the SQL expression of an entity's cache key,
 * written once from the schema with the store's text-of hook, and Kong's
 * channel of each entity's cache.
 */
#include "store/events_ddl.h"

#include <string.h>

void daoc__events_literal(daoc__buf *b, const char *s)
{
    daoc__buf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            daoc__buf_putc(b, '\'');
        daoc__buf_putc(b, *s);
    }
    daoc__buf_putc(b, '\'');
}

/* The text of one field's value: a foreign field's is its key column's. */
static void part(daoc__buf *b, const daoc__events_dialect *d, const daoc__field *f,
                 const char *row)
{
    daoc__ftype t = f->type;
    if (t == DAOC__F_FOREIGN) {
        const daoc__field *k = daoc__field_ref_key(f);
        t = k ? k->type : DAOC__F_STRING;
    }
    daoc__buf_puts(b, "COALESCE(");
    d->text_of(b, row, daoc__field_column(f), t);
    daoc__buf_puts(b, ", '')");
}

/* '<name>' || ':' || part ... padded to Kong's seven parts, the last the
 * row's ws_id when s is workspaceable. */
static void parts(daoc__buf *b, const daoc__events_dialect *d, const daoc__schema *s,
                  const size_t *idx, size_t n, const char *row)
{
    if (n > 5)
        n = 5;
    daoc__events_literal(b, s->name);
    for (size_t i = 0; i < n; i++) {
        daoc__buf_puts(b, " || ':' || ");
        part(b, d, &s->fields[idx[i]], row);
    }
    daoc__buf_puts(b, " || '");
    for (size_t i = n; i < 6; i++)
        daoc__buf_putc(b, ':');
    daoc__buf_putc(b, '\'');
    if (s->workspaceable) { /* Kong 2.1: the row's workspace */
        daoc__buf_puts(b, " || COALESCE(");
        d->text_of(b, row, "ws_id", DAOC__F_STRING);
        daoc__buf_puts(b, ", '')");
    }
}

void daoc__events_key_sql(daoc__buf *b, const daoc__events_dialect *d, const daoc__schema *s,
                          const char *row)
{
    if (s->ncache_key >= 2) { /* the key itself is stored, fallback and all */
        daoc__buf_printf(b, "%s.\"cache_key\"", row);
        return;
    }
    if (s->ncache_key == 0) {
        parts(b, d, s, s->pk, s->npk, row);
        return;
    }
    /* one field: the primary key when it is empty */
    daoc__buf_puts(b, "CASE WHEN ");
    part(b, d, &s->fields[s->cache_key[0]], row);
    daoc__buf_puts(b, " = '' THEN ");
    parts(b, d, s, s->pk, s->npk, row);
    daoc__buf_puts(b, " ELSE ");
    parts(b, d, s, s->cache_key, 1, row);
    daoc__buf_puts(b, " END");
}

void daoc__events_ck_fixup(daoc__buf *b, const daoc__events_dialect *d, const daoc__schema *s,
                           const char *table)
{
    if (!s->workspaceable || s->ncache_key < 2)
        return;
    daoc__buf q = DAOC__BUF_INIT;
    daoc__buf_printf(&q, "\"%s\"", table);
    daoc__buf_printf(b, "UPDATE \"%s\" SET \"cache_key\" = \"cache_key\" || ", table);
    d->text_of(b, q.failed ? "\"\"" : q.data, "ws_id", DAOC__F_STRING);
    daoc__buf_puts(b, " WHERE \"cache_key\" LIKE '%:' AND \"ws_id\" IS NOT NULL;\n");
    if (q.failed)
        b->failed = true;
    daoc__buf_free(&q);
}

const char *daoc__events_channel(const daoc__schema *s)
{
    /* Kong's constants.ENTITY_CACHE_STORE */
    static const char *const core[] = {"certificates", "services", "routes",  "snis",
                                       "upstreams",    "targets",  "plugins", "ca_certificates",
                                       "vaults",       "key_sets", "keys"};
    for (size_t i = 0; i < sizeof core / sizeof core[0]; i++)
        if (strcmp(s->name, core[i]) == 0)
            return "invalidations_kong_core_db_cache";
    return "invalidations";
}
