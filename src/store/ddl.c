/*
 * ddl.c -- the SQL text both stores' tables share: quoted identifiers and
 * the workspace part of a table (store.h, "Table layout"): the ws_id
 * column, (pk, ws_id) unique, per-workspace unique fields and two-column
 * foreign keys between workspaceable tables; and the key helpers both
 * stores' statements use (primary-key columns, referenced key).  Each store passes its type
 * for ws_id and, when it names its constraints (PostgreSQL), a namer; the
 * rest of each table's DDL stays with its store.  Runs no SQL.
 */
#include "store/ddl.h"

#include <stdio.h>

#include "store/registry.h"

void daoc__sql_ident(daoc__buf *b, const char *name)
{
    daoc__buf_putc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            daoc__buf_putc(b, '"');
        daoc__buf_putc(b, *p);
    }
    daoc__buf_putc(b, '"');
}

void daoc__sql_pk_cols(daoc__buf *b, const daoc__schema *s)
{
    for (size_t j = 0; j < s->npk; j++) {
        if (j)
            daoc__buf_puts(b, ", ");
        daoc__sql_ident(b, daoc__field_column(&s->fields[s->pk[j]]));
    }
}

bool daoc__sql_is_pk(const daoc__schema *s, size_t i)
{
    for (size_t j = 0; j < s->npk; j++)
        if (s->pk[j] == i)
            return true;
    return false;
}

const char *daoc__sql_ref_col(const daoc__field *f)
{
    return daoc__field_column(&f->ref->fields[f->ref->pk[0]]);
}

/* "  [CONSTRAINT <name>] " before a table constraint */
static void lead(daoc__buf *b, const daoc__schema *s, const char *c, const char *suffix,
                 daoc__ddl_namer namer)
{
    daoc__buf_puts(b, "  ");
    if (namer) {
        namer(b, daoc__schema_table(s), c, suffix);
        daoc__buf_putc(b, ' ');
    }
}

void daoc__ddl_ws(daoc__buf *b, const daoc__schema *s, const char *ws_type, daoc__ddl_namer namer)
{
    if (!s->workspaceable)
        return;
    char name[160];
    daoc__buf_puts(b, "  \"ws_id\" ");
    daoc__buf_puts(b, ws_type);
    if (namer) {
        daoc__buf_putc(b, ' ');
        namer(b, daoc__schema_table(s), "ws_id", "fkey");
    }
    daoc__buf_puts(b, " REFERENCES \"workspaces\" (\"id\"),\n");
    /* (pk, ws_id): what the two-column foreign keys of children reference */
    snprintf(name, sizeof name, "%s_ws_id", daoc__field_column(&s->fields[s->pk[0]]));
    lead(b, s, name, "unique", namer);
    daoc__buf_puts(b, "UNIQUE (");
    daoc__sql_pk_cols(b, s);
    daoc__buf_puts(b, ", \"ws_id\"),\n");
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient || !daoc__store_unique_ws(s, f) || (s->npk == 1 && s->pk[0] == i))
            continue;
        snprintf(name, sizeof name, "ws_id_%s", daoc__field_column(f));
        lead(b, s, name, "unique", namer);
        daoc__buf_puts(b, "UNIQUE (\"ws_id\", ");
        daoc__sql_ident(b, daoc__field_column(f));
        daoc__buf_puts(b, "),\n");
    }
    for (size_t i = 0; i < s->nfields; i++) {
        const daoc__field *f = &s->fields[i];
        if (f->transient || !daoc__store_fk_ws(s, f))
            continue;
        lead(b, s, daoc__field_column(f), "fkey", namer);
        daoc__buf_puts(b, "FOREIGN KEY (");
        daoc__sql_ident(b, daoc__field_column(f));
        daoc__buf_puts(b, ", \"ws_id\") REFERENCES ");
        daoc__sql_ident(b, daoc__schema_table(f->ref));
        daoc__buf_puts(b, " (");
        daoc__sql_ident(b, daoc__field_column(&f->ref->fields[f->ref->pk[0]]));
        daoc__buf_puts(b, ", \"ws_id\") ON DELETE ");
        daoc__buf_puts(b, daoc__on_delete_sql(f->on_delete));
        daoc__buf_puts(b, ",\n");
    }
}

size_t daoc__ddl_ws_upgrade(daoc__buf *b, const daoc__schema *s, const char *ws_type,
                            const char *param)
{
    daoc__buf_puts(b, "ALTER TABLE ");
    daoc__sql_ident(b, daoc__schema_table(s));
    daoc__buf_puts(b, " ADD COLUMN \"ws_id\" ");
    daoc__buf_puts(b, ws_type);
    daoc__buf_puts(b, " REFERENCES \"workspaces\" (\"id\");\n");
    /* what CREATE TABLE gives a new table: (pk, ws_id) unique, for the
     * foreign keys of workspaceable children (as an index: SQLite cannot
     * add a constraint; PostgreSQL accepts a unique index as the target) */
    daoc__buf_puts(b, "CREATE UNIQUE INDEX IF NOT EXISTS ");
    daoc__buf_putc(b, '"');
    daoc__buf_puts(b, daoc__schema_table(s));
    for (size_t i = 0; i < s->npk; i++) {
        daoc__buf_putc(b, '_');
        daoc__buf_puts(b, daoc__field_column(&s->fields[s->pk[i]]));
    }
    daoc__buf_puts(b, "_ws_id_unique\" ON ");
    daoc__sql_ident(b, daoc__schema_table(s));
    daoc__buf_puts(b, " (");
    for (size_t i = 0; i < s->npk; i++) {
        daoc__sql_ident(b, daoc__field_column(&s->fields[s->pk[i]]));
        daoc__buf_puts(b, ", ");
    }
    daoc__buf_puts(b, "\"ws_id\")");
    daoc__buf_putc(b, '\0');
    size_t update = b->len;
    daoc__buf_puts(b, "UPDATE ");
    daoc__sql_ident(b, daoc__schema_table(s));
    daoc__buf_puts(b, " SET \"ws_id\" = ");
    daoc__buf_puts(b, param);
    daoc__buf_puts(b, " WHERE \"ws_id\" IS NULL");
    return update;
}
