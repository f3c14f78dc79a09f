/*
 * sql_shape.h -- the statement shapes both SQL stores share (sql_shape.c):
 * select / insert / update / upsert / delete by key, keyset pages, probes,
 * TTL cleanup and truncate, written once and specialised by a dialect of
 * hooks and strings (placeholders, value expressions, the current time,
 * tag filters, what differs in a few clauses).  Each store decodes its
 * statement code into a daoc__sh_stmt and keeps its own DDL.
 */
#ifndef DAOC_STORE_SQL_SHAPE_H
#define DAOC_STORE_SQL_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "schema/schema.h"
#include "store/registry.h"

/* A statement code: operation (low byte), key field + 2, variant bits. */
static inline uint32_t daoc__sh_code(int op, long field, unsigned variant)
{
    return (uint32_t)op | ((uint32_t)(field + 2) & 0xffffu) << 8 |
           (uint32_t)(variant & 0xffu) << 24;
}
static inline int daoc__sh_code_op(uint32_t code)
{
    return (int)(code & 0xff);
}
static inline long daoc__sh_code_field(uint32_t code)
{
    return (long)((code >> 8) & 0xffff) - 2;
}
static inline unsigned daoc__sh_code_variant(uint32_t code)
{
    return (code >> 24) & 0xff;
}

/* Where a parameter's value comes from (the PostgreSQL store's plan kinds
 * are these numbers). */
typedef enum daoc__sqp {
    DAOC__SQP_COL = 1, /* stored field idx of the entity */
    DAOC__SQP_CK,      /* the hidden cache_key */
    DAOC__SQP_TTL,     /* the hidden ttl (expiry, epoch seconds) */
    DAOC__SQP_KEY,     /* key value idx (pk part, or the unique value) */
    DAOC__SQP_FK,      /* page: the foreign key value of field idx */
    DAOC__SQP_TAGS,    /* page: the tags */
    DAOC__SQP_LIMIT,   /* page: size + 1 */
    DAOC__SQP_AFTER,   /* page: pk part idx of the previous page's last row */
    DAOC__SQP_WS,      /* the workspace id */
    DAOC__SQP_NOW,     /* the current time (stores without a server clock) */
    DAOC__SQP_QVAL,    /* query: the value of condition idx */
    DAOC__SQP_QAFTER   /* query: the sort value of the previous page's last row */
} daoc__sqp;

/* statement shapes */
enum {
    DAOC__SH_SELECT = 1, /* by key */
    DAOC__SH_INSERT,
    DAOC__SH_UPDATE,   /* by key */
    DAOC__SH_UPSERT,   /* conflict target = key */
    DAOC__SH_DELETE,   /* by key */
    DAOC__SH_PAGE,     /* field = foreign key field or -1 */
    DAOC__SH_PROBE_PK, /* SELECT 1 by primary key (no ttl filter) */
    DAOC__SH_PROBE_FK, /* SELECT 1 by key field; ws: WHERE "ws_id" = key 0 */
    DAOC__SH_CLEANUP,  /* one batch of expired rows */
    DAOC__SH_TRUNCATE, /* every row of the table */
    DAOC__SH_QUERY,    /* a page with query conditions and order (sql_query.c) */
    DAOC__SH_COUNT     /* the count of a query's rows (or its estimate) */
};

/* One statement, decoded from a store's code. */
typedef struct daoc__sh_stmt {
    int op;         /* DAOC__SH_* */
    long field;     /* key field, -1 (primary key) or DAOC__KEY_CACHE_KEY */
    bool skip_ttl;  /* select, delete, page: no ttl filter */
    bool set_ttl;   /* update: writes the ttl */
    bool ws;        /* AND "ws_id" = <ws> */
    bool show_ws;   /* "ws_id" ends the select list (workspaceable tables) */
    bool returning; /* insert, delete: RETURNING the row */
    bool after;     /* page: rows after the previous page's last key */
    bool tags_all;  /* page: rows with every given tag */
    bool tags_any;  /* page: rows with one of the given tags */
    /* query, count: the conditions and order (store.h); after_null: the
     * previous page's last row had a null sort value; estimate: count's
     * planner estimate (the dialect's estimate_head); part: which rows of
     * a sort column that may hold nulls (daoc__sh_query_part) */
    const struct daoc__page_query *query;
    bool after_null;
    bool estimate;
    uint8_t part; /* query: DAOC__SH_PART_* */
} daoc__sh_stmt;

/* The parts of a query on a sort column that may hold nulls (sql_query.c). */
enum { DAOC__SH_PART_ALL, DAOC__SH_PART_VALUES, DAOC__SH_PART_NULLS };

typedef struct daoc__sh daoc__sh;

typedef struct daoc__sh_dialect {
    /* Appends the expression of a parameter (kind, idx) whose value is
     * stored into or compared with field f (NULL: a hidden column or a
     * page argument). */
    void (*value)(daoc__sh *sh, const daoc__field *f, daoc__sqp kind, size_t idx);
    /* Appends the current time (the ttl filter and cleanup compare with it). */
    void (*now)(daoc__sh *sh);
    /* Appends the page condition on the tags (all: every tag, else any). */
    void (*tags)(daoc__sh *sh, bool all);
    const char *ttl_select;  /* the select-list expression of the ttl column */
    const char *excluded;    /* "excluded." of an upsert's SET list */
    bool noop_excluded;      /* a pk-only upsert sets c = <excluded>c, not c = c */
    bool limit_unique;       /* select by a unique key ends with LIMIT 1 too */
    daoc__sqp hidden[3];     /* order of the hidden insert columns (TTL, WS, CK) */
    const char *page_from;   /* after FROM "<table>" of a page: alias, WHERE <true> */
    const char *page_fk;     /* before the fk column of a page condition */
    const char *page_fk_ws;  /* a page's ws condition when it has a foreign key */
    const char *row_id;      /* cleanup's row selector (NULL: the primary key) */
    const char *cleanup_end; /* after cleanup's LIMIT, before its ')' */
    int cleanup_batch;
    const char *truncate_head, *truncate_tail; /* around the table name */
    /* count with estimate: the head of the statement whose plan's row
     * estimate answers (NULL: the store counts) */
    const char *estimate_head;
} daoc__sh_dialect;

/* A statement under construction. */
struct daoc__sh {
    daoc__buf *b;
    const daoc__schema *s;
    const daoc__sh_dialect *d;
    const daoc__store_registry *reg; /* cleanup keeps what RESTRICT holds (NULL: none) */
    void *ud;                        /* the store's */
};

/* Appends the SQL of statement st to sh->b (sets sh->b->failed for an
 * unknown shape). */
void daoc__sh_build(daoc__sh *sh, const daoc__sh_stmt *st);

/* Parts the query shapes (sql_query.c) share with the others. */
void daoc__sh_select_list(daoc__sh *sh, bool show_ws);
void daoc__sh_ttl_filter(daoc__sh *sh);
void daoc__sh_ws_cond(daoc__sh *sh);
/* sql_query.c: DAOC__SH_QUERY and DAOC__SH_COUNT. */
void daoc__sh_query(daoc__sh *sh, const daoc__sh_stmt *st);
/* The parts a queried page reads, in order, into parts (1 or 2 of them):
 * after = the page follows another, after_null = whose last sort value
 * was null. */
struct daoc__page_query;
size_t daoc__sh_query_parts(const daoc__schema *s, const struct daoc__page_query *q, bool after,
                            bool after_null, uint8_t parts[2]);
/* Sets st up to read `part` (st->after: whether the part has a keyset
 * bound, which it takes from after / after_null). */
void daoc__sh_query_part(daoc__sh_stmt *st, uint8_t part, bool after, bool after_null);

#endif
