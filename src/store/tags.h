/*
 * tags.h -- the tags table both SQL stores keep (tags.c): Kong's
 * ("entity_id", "entity_name", "tags") rows, one per row of every tagged
 * table (PostgreSQL: maintained by triggers the store creates with the
 * table; SQLite reads the tagged tables themselves), and the read-only
 * pages of the `tags` core entity served from it.
 */
#ifndef DAOC_STORE_TAGS_H
#define DAOC_STORE_TAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "schema/schema.h"
#include "store/store.h"

/* Whether s's rows are tracked in the tags table: a `tags` set of strings
 * and a single uuid primary key named "id" (the key Kong's sync_tags
 * trigger copies). */
bool daoc__tags_tracked(const daoc__schema *s);

/* What differs between the stores in the tags page statements.  A
 * dialect either reads Kong's tags table (PostgreSQL) or, with `tables`
 * set, the tracked tables themselves, one SELECT each under UNION ALL
 * (SQLite: no table to keep up on every write; a page reads every tagged
 * row). */
typedef struct daoc__tags_dialect {
    bool from_tables;      /* read the tracked tables, not "tags" */
    char param;            /* placeholder prefix: '$' or '?' */
    const char *unnest;    /* after FROM "tags": one row per (entity, tag) as "t" */
    const char *tag_col;   /* that row's tag */
    const char *ord_col;   /* its 1-based position in the entity's tags */
    const char *has_tag[2]; /* condition "the row's tags hold <tag>": before and after
                               the tag's placeholder */
    const char *id_cast;   /* after the placeholder compared with entity_id */
} daoc__tags_dialect;

/* The page_tags member (store.h) over st->deploy->query.  tables[0..n):
 * the schemas the store serves (a from_tables dialect reads the tracked
 * ones among them). */
int daoc__tags_page(daoc__store *st, const daoc__tags_dialect *d, const daoc__schema *const *tables,
                    size_t ntables, const daoc_value *tag, const daoc_value *after, int64_t size,
                    daoc_value **rows, daoc_value **next, char **msg);

/* Appends the statement that copies the rows s already holds into the tags
 * table (run once, when the triggers are created). */
void daoc__tags_backfill_sql(daoc__buf *b, const daoc__schema *s);

#endif
