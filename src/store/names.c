/*
 * names.c -- refuses, when a schema is loaded, any identifier longer than
 * PostgreSQL keeps (names.h).
 *
 * PostgreSQL cuts a longer identifier to 63 bytes without an error, so two
 * entities whose names share their first 63 bytes would share one table,
 * and two constraints or indexes could end up with one name (an index name
 * is unique in the whole schema, and CREATE INDEX IF NOT EXISTS skips a
 * clash silently).  Rather than cut, daoc refuses such a schema on every
 * store, naming the identifier and the limit.  The names checked are the
 * table, each stored column, and each name the DDL derives: <t>_pkey,
 * <t>_<col>_key (unique), <t>_<col>_fkey and <t>_<col>_idx (foreign keys),
 * <t>_ttl_idx, <t>_tags_idx, <t>_cache_key_key and, for workspaceable
 * tables, <t>_ws_id_fkey, <t>_<pk>_ws_id_unique, <t>_ws_id_<col>_unique and
 * SQLite's <t>_ws_id_pk_idx.
 * test_pg_store checks the catalog of a table at the limit against this.
 */
#include "store/names.h"

#include <string.h>

#include "core/alloc.h"
#include "store/registry.h"

typedef struct {
    const daoc__schema *s;
    char **why;
    int rc;
} checker;

static const char *field_path(const daoc__schema *s, const daoc__field *f)
{
    return f ? f->name : (s->table_name && strcmp(s->table_name, s->name) ? "table_name" : "name");
}

/* "<t>[_<col>]_<suffix>" must fit; f names the field it derives from (NULL:
 * the table itself). */
static void derived(checker *k, const daoc__field *f, const char *col, const char *suffix)
{
    if (k->rc != DAOC_OK)
        return;
    const char *t = daoc__schema_table(k->s);
    size_t n = strlen(t) + 1 + (col ? strlen(col) + 1 : 0) + strlen(suffix);
    if (n <= DAOC__IDENT_MAX)
        return;
    k->rc = DAOC_ESCHEMA;
    *k->why = daoc__asprintf("%s: the name '%s%s%s_%s' that daoc derives for a constraint or index "
                             "is %zu bytes; identifiers are at most %d bytes (PostgreSQL's limit, "
                             "kept on every store): shorten the table name%s",
                             field_path(k->s, f), t, col ? "_" : "", col ? col : "", suffix, n,
                             DAOC__IDENT_MAX, f ? " or the field's name" : "");
    if (!*k->why)
        k->rc = DAOC_ENOMEM;
}

static void plain(checker *k, const daoc__field *f, const char *what, const char *name)
{
    if (k->rc != DAOC_OK)
        return;
    size_t n = strlen(name);
    if (n <= DAOC__IDENT_MAX)
        return;
    k->rc = DAOC_ESCHEMA;
    *k->why = daoc__asprintf("%s: %s '%s' is %zu bytes; identifiers are at most %d bytes "
                             "(PostgreSQL's limit, kept on every store)",
                             field_path(k->s, f), what, name, n, DAOC__IDENT_MAX);
    if (!*k->why)
        k->rc = DAOC_ENOMEM;
}

static bool is_pk1(const daoc__schema *s, size_t i) { return s->npk == 1 && s->pk[0] == i; }

int daoc__store_check_names(const daoc__schema *s, char **why)
{
    *why = NULL;
    checker k = {s, why, DAOC_OK};
    if (s->is_record || s->npk == 0)
        return DAOC_OK;
    plain(&k, NULL, "table name", daoc__schema_table(s));
    derived(&k, NULL, NULL, "pkey");
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        const char *c = daoc__field_column(f);
        plain(&k, f, "column name", c);
        if (f->unique && !is_pk1(s, i) && !daoc__store_unique_ws(s, f))
            derived(&k, f, c, "key");
        if (f->type == DAOC__F_FOREIGN) {
            derived(&k, f, c, "fkey");
            derived(&k, f, c, "idx");
        }
        if (s->workspaceable && daoc__store_unique_ws(s, f) && !is_pk1(s, i)) {
            char *ws = daoc__asprintf("ws_id_%s", c);
            if (!ws)
                return DAOC_ENOMEM;
            derived(&k, f, ws, "unique");
            daoc__free(ws);
        }
    }
    if (s->ttl)
        derived(&k, NULL, "ttl", "idx");
    if (s->has_tags)
        derived(&k, NULL, "tags", "idx");
    if (s->ncache_key > 1)
        derived(&k, NULL, "cache_key", "key");
    if (s->workspaceable) {
        derived(&k, NULL, "ws_id", "fkey");
        derived(&k, NULL, "ws_id_pk", "idx"); /* SQLite's paging index (sqlite/sql.c) */
        const daoc__field *pk = &s->fields[s->pk[0]];
        char *u = daoc__asprintf("%s_ws_id", daoc__field_column(pk));
        if (!u)
            return DAOC_ENOMEM;
        derived(&k, pk, u, "unique");
        daoc__free(u);
    }
    return k.rc;
}
