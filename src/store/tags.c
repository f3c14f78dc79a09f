/*
 * tags.c -- the tags table, the part both SQL stores share (tags.h).
 *
 * Kong keeps one row per tagged entity in "tags" (entity_id, entity_name =
 * the entity's table, tags = a copy of its tags), written by a trigger on
 * every tagged table, and answers /tags and /tags/{tag} from it alone.  The
 * PostgreSQL store does the same with the same trigger (its DDL is in
 * postgres/sql.c; table.c creates it with the table and copies the rows a
 * table already holds once, here), so a database Kong made reads the same.
 * The SQLite store keeps no such table: the trigger's second B-tree insert
 * made every insert of a tagged row about three times dearer (16 -> 47 us
 * a consumer, bench_plugins), and one node's listing of tags is rare; its
 * pages read the tagged tables themselves (UNION ALL), one full read of
 * them per page.
 *
 * Pages are keyset pages: every (entity, tag) pair ordered by entity_id and
 * the tag's position in the entity's tags, the offset holding the last
 * pair's [entity_id, position]; by one tag, the entities holding it ordered
 * by entity_id, the offset [entity_id].  (Kong orders the first kind by
 * entity_id only and continues after the position, which can skip or
 * repeat pairs when the server returns one entity's tags out of order;
 * ordering by both cannot.)  The tag condition is the store's indexable
 * one (PostgreSQL: `tags @> ARRAY[$1]`, served by the GIN index Kong's
 * schema has; Kong itself writes `$1 = ANY(tags)`, which scans).
 */
#include "store/tags.h"

#include <stdio.h>
#include <string.h>

#include "core/value.h"
#include "store/ddl.h"
#include "store/deploy.h"

bool daoc__tags_tracked(const daoc__schema *s)
{
    if (!s || !s->has_tags || s->npk != 1)
        return false;
    const daoc__field *id = &s->fields[s->pk[0]];
    return strcmp(id->name, "id") == 0 && id->type == DAOC__F_STRING && id->uuid;
}

static void ph(daoc__buf *b, const daoc__tags_dialect *d, int n)
{
    char t[16];
    snprintf(t, sizeof t, "%c%d", d->param, n);
    daoc__buf_puts(b, t);
}

/* The rows a page reads: "tags" itself, or (from_tables) the union of one
 * SELECT per tracked table giving the same columns, as a subquery "tags":
 * by tag, entity_id and entity_name of the rows holding ?1; else every
 * (entity, tag, position). */
static void source(daoc__buf *b, const daoc__tags_dialect *d, const daoc__schema *const *tables,
                   size_t ntables, bool by_tag)
{
    if (!d->from_tables) {
        daoc__buf_puts(b, " FROM \"tags\"");
        if (!by_tag)
            daoc__buf_puts(b, d->unnest);
        return;
    }
    daoc__buf_puts(b, " FROM (");
    bool first = true;
    for (size_t i = 0; i < ntables; i++) {
        if (!daoc__tags_tracked(tables[i]))
            continue;
        const char *t = daoc__schema_table(tables[i]);
        if (!first)
            daoc__buf_puts(b, " UNION ALL ");
        first = false;
        daoc__buf_puts(b, "SELECT \"x\".\"id\" AS \"entity_id\", ");
        daoc__deploy_quote_standard(t, strlen(t), b);
        daoc__buf_puts(b, " AS \"entity_name\", \"x\".\"tags\" AS \"tags\"");
        if (!by_tag) {
            daoc__buf_puts(b, ", ");
            daoc__buf_puts(b, d->tag_col);
            daoc__buf_puts(b, " AS \"tag\", ");
            daoc__buf_puts(b, d->ord_col);
            daoc__buf_puts(b, " AS \"ordinality\"");
        }
        daoc__buf_puts(b, " FROM ");
        daoc__sql_ident(b, t);
        daoc__buf_puts(b, " AS \"x\"");
        if (!by_tag)
            daoc__buf_puts(b, d->unnest);
    }
    if (first) /* nothing tagged: no rows */
        daoc__buf_puts(b, "SELECT NULL AS \"entity_id\", NULL AS \"entity_name\", NULL AS \"tags\", "
                          "NULL AS \"tag\", NULL AS \"ordinality\" WHERE 0");
    daoc__buf_puts(b, ") AS \"tags\"");
}

/* The statement of a page: params are [tag,] limit [, after...]. */
static void page_sql(daoc__buf *b, const daoc__tags_dialect *d, const daoc__schema *const *tables,
                     size_t ntables, bool by_tag, bool after)
{
    const char *tag_col = d->from_tables ? "\"tag\"" : d->tag_col;
    const char *ord_col = d->from_tables ? "\"ordinality\"" : d->ord_col;
    if (by_tag) {
        daoc__buf_puts(b, "SELECT \"entity_id\", \"entity_name\"");
        source(b, d, tables, ntables, true);
        daoc__buf_puts(b, " WHERE ");
        daoc__buf_puts(b, d->has_tag[0]);
        ph(b, d, 1);
        daoc__buf_puts(b, d->has_tag[1]);
        if (after) {
            daoc__buf_puts(b, " AND \"entity_id\" > ");
            ph(b, d, 3);
            daoc__buf_puts(b, d->id_cast);
        }
        daoc__buf_puts(b, " ORDER BY \"entity_id\" LIMIT ");
        ph(b, d, 2);
        return;
    }
    daoc__buf_puts(b, "SELECT \"entity_id\", \"entity_name\", ");
    daoc__buf_puts(b, tag_col);
    daoc__buf_puts(b, " AS \"tag\", ");
    daoc__buf_puts(b, ord_col);
    daoc__buf_puts(b, " AS \"ordinality\"");
    source(b, d, tables, ntables, false);
    if (after) {
        daoc__buf_puts(b, " WHERE (\"entity_id\", ");
        daoc__buf_puts(b, ord_col);
        daoc__buf_puts(b, ") > (");
        ph(b, d, 2);
        daoc__buf_puts(b, d->id_cast);
        daoc__buf_puts(b, ", ");
        ph(b, d, 3);
        daoc__buf_puts(b, ")");
    }
    daoc__buf_puts(b, " ORDER BY \"entity_id\", ");
    daoc__buf_puts(b, ord_col);
    daoc__buf_puts(b, " LIMIT ");
    ph(b, d, 1);
}

static int push_copy(daoc_value *arr, const daoc_value *v)
{
    daoc_value *c = v ? daoc_value_copy(v) : daoc_null();
    if (!c)
        return DAOC_ENOMEM;
    int rc = daoc_arr_push(arr, c);
    if (rc != DAOC_OK)
        daoc_value_free(c);
    return rc;
}

/* One row of the tags entity: {tag, entity_name, entity_id}. */
static daoc_value *entity_row(const daoc_value *got, const daoc_value *tag)
{
    daoc_value *row = daoc_obj();
    const char *keys[] = {"tag", "entity_name", "entity_id"};
    for (int k = 0; row && k < 3; k++) {
        const daoc_value *v = k == 0 && tag ? tag : daoc_obj_get(got, keys[k]);
        daoc_value *c = v ? daoc_value_copy(v) : daoc_null();
        if (!c || daoc_obj_set(row, keys[k], c) != DAOC_OK) {
            daoc_value_free(c);
            daoc_value_free(row);
            row = NULL;
        }
    }
    return row;
}

int daoc__tags_page(daoc__store *st, const daoc__tags_dialect *d, const daoc__schema *const *tables,
                    size_t ntables, const daoc_value *tag, const daoc_value *after, int64_t size,
                    daoc_value **rows, daoc_value **next, char **msg)
{
    *rows = NULL;
    *next = NULL;
    if (size < 1 || (after && (after->type != DAOC_TARR || after->len != (tag ? 1u : 2u))))
        return DAOC_EINVAL;
    daoc_value *params = daoc_arr();
    daoc_value *limit = daoc_int(size + 1);
    int rc = params && limit ? DAOC_OK : DAOC_ENOMEM;
    if (rc == DAOC_OK && tag)
        rc = push_copy(params, tag);
    if (rc == DAOC_OK) {
        rc = daoc_arr_push(params, limit);
        if (rc == DAOC_OK)
            limit = NULL;
    }
    for (size_t i = 0; rc == DAOC_OK && after && i < after->len; i++)
        rc = push_copy(params, after->u.a[i]);
    daoc_value_free(limit);
    daoc__buf b = DAOC__BUF_INIT;
    page_sql(&b, d, tables, ntables, tag != NULL, after != NULL);
    if (rc == DAOC_OK && b.failed)
        rc = DAOC_ENOMEM;
    daoc_value *got = NULL;
    if (rc == DAOC_OK)
        rc = st->deploy->query(st, b.data, params, &got, msg);
    daoc__buf_free(&b);
    daoc_value_free(params);
    if (rc != DAOC_OK)
        return rc;
    size_t n = got->len > (size_t)size ? (size_t)size : got->len;
    daoc_value *out = daoc_arr();
    rc = out ? DAOC_OK : DAOC_ENOMEM;
    for (size_t i = 0; rc == DAOC_OK && i < n; i++) {
        daoc_value *row = entity_row(got->u.a[i], tag);
        rc = row ? daoc_arr_push(out, row) : DAOC_ENOMEM;
        if (rc != DAOC_OK)
            daoc_value_free(row);
    }
    if (rc == DAOC_OK && got->len > (size_t)size && n > 0) {
        const daoc_value *last = got->u.a[n - 1];
        daoc_value *k = daoc_arr();
        rc = k ? push_copy(k, daoc_obj_get(last, "entity_id")) : DAOC_ENOMEM;
        if (rc == DAOC_OK && !tag)
            rc = push_copy(k, daoc_obj_get(last, "ordinality"));
        if (rc == DAOC_OK)
            *next = k;
        else
            daoc_value_free(k);
    }
    daoc_value_free(got);
    if (rc != DAOC_OK) {
        daoc_value_free(out);
        return rc;
    }
    *rows = out;
    return DAOC_OK;
}

void daoc__tags_backfill_sql(daoc__buf *b, const daoc__schema *s)
{
    const char *t = daoc__schema_table(s);
    daoc__buf_puts(b, "INSERT INTO \"tags\" (\"entity_id\", \"entity_name\", \"tags\") SELECT \"id\", ");
    daoc__deploy_quote_standard(t, strlen(t), b);
    daoc__buf_puts(b, ", \"tags\" FROM ");
    daoc__sql_ident(b, t);
    daoc__buf_puts(b, " WHERE true ON CONFLICT DO NOTHING;\n");
}
