/*
 * events.c -- SQLite's cluster_events triggers of an entity table
 * (store/events_ddl.h): AFTER INSERT, UPDATE and DELETE triggers insert
 * the events of NEW's and OLD's cache keys, computed from their columns
 * (a boolean's 0/1 written true/false, an integral REAL without its ".0",
 * as Lua's tostring), with 128 random bits as the id and the time as REAL
 * epoch seconds.  Expired events are removed by the readers
 * (store/events.h, daoc__events_expire), not on every write.
 */
#include "store/events_ddl.h"
#include "store/sqlite/sqlite_int.h"

static void text_of(daoc__buf *b, const char *row, const char *col, daoc__ftype t)
{
    switch (t) {
    case DAOC__F_BOOLEAN:
        daoc__buf_printf(b, "CASE %s.\"%s\" WHEN 1 THEN 'true' WHEN 0 THEN 'false' END", row, col);
        break;
    case DAOC__F_NUMBER:
        daoc__buf_printf(b,
                         "CASE WHEN %s.\"%s\" = CAST(%s.\"%s\" AS INTEGER) THEN "
                         "CAST(CAST(%s.\"%s\" AS INTEGER) AS TEXT) ELSE CAST(%s.\"%s\" AS TEXT) END",
                         row, col, row, col, row, col, row, col);
        break;
    case DAOC__F_STRING:
    case DAOC__F_INTEGER:
        daoc__buf_printf(b, "CAST(%s.\"%s\" AS TEXT)", row, col);
        break;
    default:
        daoc__buf_puts(b, "NULL");
        break;
    }
}

static const daoc__events_dialect sq = {.text_of = text_of};

#define SQ_NOW "((julianday('now') - 2440587.5) * 86400.0)"
/* an event's id: 128 random bits (SQLite's rows need no UUID's dashes) */
#define SQ_UUID "lower(hex(randomblob(16)))"

/* INSERT ... SELECT of the event of row's key [WHERE cond]. */
static void insert(daoc__buf *b, const daoc__schema *s, const char *row, const char *unless)
{
    daoc__buf_puts(b, "  INSERT INTO \"cluster_events\" (\"id\", \"node_id\", \"at\", \"expire_at\", "
                      "\"channel\", \"data\") SELECT " SQ_UUID ", '" DAOC__EVENTS_ANY_NODE
                      "', " SQ_NOW ", " SQ_NOW " + " DAOC__EVENTS_TTL_S ", ");
    daoc__events_literal(b, daoc__events_channel(s));
    daoc__buf_puts(b, ", ");
    daoc__events_key_sql(b, &sq, s, row);
    if (unless) { /* the old key, unless it is the new one */
        daoc__buf_puts(b, " WHERE ");
        daoc__events_key_sql(b, &sq, s, row);
        daoc__buf_puts(b, " IS NOT ");
        daoc__events_key_sql(b, &sq, s, unless);
    }
    daoc__buf_puts(b, ";\n");
}

void daoc__sq_events_ddl(daoc__buf *b, const daoc__schema *s)
{
    const char *t = daoc__schema_table(s);
    daoc__buf_puts(b, DAOC__SQ_CLUSTER_EVENTS_DDL);
    daoc__events_ck_fixup(b, &sq, s, t);
    /* the older versions' triggers (one per verb), replaced */
    static const char *const verbs[] = {"ins", "upd", "del"}, *const old[] = DAOC__EVENTS_OLD;
    for (size_t v = 0; v < sizeof old / sizeof old[0]; v++)
        for (size_t i = 0; i < 3; i++)
            daoc__buf_printf(b, "DROP TRIGGER IF EXISTS \"%s%s_%s\";\n", t, old[v], verbs[i]);
    daoc__buf_printf(b,
                     "CREATE TRIGGER IF NOT EXISTS \"%s" DAOC__EVENTS_TRIGGER "_ins\" AFTER INSERT "
                     "ON \"%s\" BEGIN\n",
                     t, t);
    insert(b, s, "NEW", NULL);
    daoc__buf_puts(b, "END;\n");
    daoc__buf_printf(b,
                     "CREATE TRIGGER IF NOT EXISTS \"%s" DAOC__EVENTS_TRIGGER "_upd\" AFTER UPDATE "
                     "ON \"%s\" BEGIN\n",
                     t, t);
    insert(b, s, "NEW", NULL);
    insert(b, s, "OLD", "NEW");
    daoc__buf_printf(b,
                     "END;\nCREATE TRIGGER IF NOT EXISTS \"%s" DAOC__EVENTS_TRIGGER "_del\" AFTER "
                     "DELETE ON \"%s\" BEGIN\n",
                     t, t);
    insert(b, s, "OLD", NULL);
    daoc__buf_puts(b, "END;\n");
}

/* The statement of sql, prepared on first use; false while it cannot be
 * (no cluster_events yet: the table path makes it after the open). */
static bool ev_stmt(daoc__sqlite *q, sqlite3_stmt **st, const char *sql)
{
    return *st || sqlite3_prepare_v2(q->db, sql, -1, st, NULL) == SQLITE_OK;
}

void daoc__sq_events_mark(daoc__sqlite *q)
{
    q->ev_mark = -1;
    if (!ev_stmt(q, &q->st_ev_mark, "SELECT coalesce(max(\"rowid\"), 0) FROM \"cluster_events\""))
        return;
    if (sqlite3_step(q->st_ev_mark) == SQLITE_ROW)
        q->ev_mark = sqlite3_column_int64(q->st_ev_mark, 0);
    sqlite3_reset(q->st_ev_mark);
}

void daoc__sq_events_restamp(daoc__sqlite *q)
{
    if (q->ev_mark < 0 ||
        !ev_stmt(q, &q->st_ev_restamp,
                 "UPDATE \"cluster_events\" SET \"at\" = " SQ_NOW " WHERE \"rowid\" > ?1 AND "
                 "\"node_id\" = '" DAOC__EVENTS_ANY_NODE "'"))
        return;
    /* a failure leaves the events their statements' time, as before */
    if (sqlite3_bind_int64(q->st_ev_restamp, 1, q->ev_mark) == SQLITE_OK)
        (void)sqlite3_step(q->st_ev_restamp);
    sqlite3_reset(q->st_ev_restamp);
    sqlite3_clear_bindings(q->st_ev_restamp);
    q->ev_mark = -1;
}

const char daoc__sq_has_events_sql[] =
    "SELECT 1 FROM \"sqlite_master\" WHERE \"type\" = 'trigger' AND \"name\" = ?1 || '"
    DAOC__EVENTS_TRIGGER "_del'";
