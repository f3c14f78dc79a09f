/*
 * names.c -- refuses, when a schema is loaded, the SQL identifiers a store
 * would turn into an error or a surprise later (names.h): names longer than
 * PostgreSQL keeps, table names the stores reserve, and two stored names
 * that are one column.
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
 *
 * Reserved tables: PostgreSQL looks an unqualified pg_* name up in its
 * system catalog (pg_catalog comes first on every search path), so an
 * entity named pg_class would read the catalog; SQLite keeps sqlite_* to
 * itself.  Columns: a foreign key is stored as <field>_<key of the
 * referenced entity> (consumer -> consumer_id), the store adds hidden
 * ws_id (workspaceable), ttl (ttl = true) and cache_key (composite
 * cache_key) columns, and PostgreSQL has system columns (ctid, xmin, ...);
 * a field whose column meets one of those would fail as SQL.  Names are
 * compared ignoring ASCII case, as SQLite compares them.  Every rule holds on
 * every store, so a schema that loads on one loads on all.
 */
#include "store/names.h"

#include <string.h>
#include <strings.h>

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

static void refuse(checker *k, char *msg)
{
    k->rc = msg ? DAOC_ESCHEMA : DAOC_ENOMEM;
    *k->why = msg;
}

static void reserved_table(checker *k)
{
    const char *t = daoc__schema_table(k->s);
    if (k->rc != DAOC_OK || (strncasecmp(t, "pg_", 3) != 0 && strncasecmp(t, "sqlite_", 7) != 0))
        return;
    refuse(k, daoc__asprintf("%s: the table name '%s' is reserved: PostgreSQL looks pg_* names up "
                             "in its system catalog first and SQLite keeps sqlite_* names to "
                             "itself (refused on every store); rename the entity or give it "
                             "another table_name",
                             field_path(k->s, NULL), t));
}

/* What needs the hidden column (or PostgreSQL system column) named c, or
 * NULL when c is none of them. */
static const char *hidden_column(const daoc__schema *s, const char *c)
{
    static const char *const sys[] = {"tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"};
    if (s->workspaceable && strcasecmp(c, "ws_id") == 0)
        return "the entity is workspaceable and the store keeps each row's workspace there";
    if (s->ttl && strcasecmp(c, "ttl") == 0)
        return "ttl = true and the store keeps each row's expiry time there";
    if (s->ncache_key > 1 && strcasecmp(c, "cache_key") == 0)
        return "the cache_key has several fields and the store keeps the composite key there";
    for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
        if (strcasecmp(c, sys[i]) == 0)
            return "PostgreSQL gives every table a system column of that name";
    return NULL;
}

/* Field i's column against the hidden ones and those of the fields before
 * it. */
static void column_clash(checker *k, size_t i)
{
    const daoc__schema *s = k->s;
    const daoc__field *f = &s->fields[i];
    const char *c = daoc__field_column(f), *need;
    if (k->rc != DAOC_OK)
        return;
    if ((need = hidden_column(s, c))) {
        refuse(k, daoc__asprintf("%s: the column '%s'%s is taken: %s; rename the field", f->name, c,
                                 strcmp(c, f->name) ? " (where this foreign key is stored)" : "",
                                 need));
        return;
    }
    for (size_t j = 0; j < i; j++) {
        const daoc__field *g = &s->fields[j];
        if (g->transient || strcasecmp(c, daoc__field_column(g)) != 0)
            continue;
        bool fk = g->type == DAOC__F_FOREIGN, ffk = f->type == DAOC__F_FOREIGN;
        refuse(k, daoc__asprintf("%s: %s stored in the column '%s', which is already the column "
                                 "of the field '%s'%s; rename one of them",
                                 f->name, ffk ? "this foreign key would be" : "this field would be",
                                 c, g->name,
                                 fk ? " (a foreign key is stored in <field>_<key of the entity it "
                                      "references>)"
                                    : ""));
        return;
    }
}

static bool is_pk1(const daoc__schema *s, size_t i) { return s->npk == 1 && s->pk[0] == i; }

int daoc__store_check_names(const daoc__schema *s, char **why)
{
    *why = NULL;
    checker k = {s, why, DAOC_OK};
    if (s->is_record || s->npk == 0)
        return DAOC_OK;
    plain(&k, NULL, "table name", daoc__schema_table(s));
    reserved_table(&k);
    derived(&k, NULL, NULL, "pkey");
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient)
            continue;
        const char *c = daoc__field_column(f);
        plain(&k, f, "column name", c);
        column_clash(&k, i);
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
