/*
 * events.c -- PostgreSQL's cluster_events trigger of an entity table
 * (store/events_ddl.h): a PL/pgSQL function per table computes the cache
 * keys of NEW and OLD from their columns, inserts the events (the
 * statement's clock, truncated to ms as Kong's CURRENT_TIMESTAMP(3), for
 * `at`; expire_at an hour later) and NOTIFYs each one as
 * "<id>\n<channel>\n<key>" (delivered at commit); an AFTER ROW trigger
 * runs it.  Kong's batch_delete_expired_rows trigger of cluster_events is
 * limited to inserts made outside a trigger (pg_int.h): the readers remove
 * the expired events these triggers write.
 */
#include "store/events_ddl.h"
#include "store/postgres/pg_int.h"

static void text_of(daoc__buf *b, const char *row, const char *col, daoc__ftype t)
{
    switch (t) {
    case DAOC__F_STRING:
    case DAOC__F_INTEGER:
    case DAOC__F_NUMBER: /* float8's text is the shortest exact, as Lua's */
    case DAOC__F_BOOLEAN: /* true / false */
        daoc__buf_printf(b, "(%s.\"%s\")::text", row, col);
        break;
    default:
        daoc__buf_puts(b, "NULL::text");
        break;
    }
}

static const daoc__events_dialect pg = {.text_of = text_of};

/* The event of key `var`, and its notification "<id>\n<channel>\n<key>"
 * (the key left out when the payload would pass PostgreSQL's 8000
 * bytes: the reader then reads the row). */
static void insert(daoc__buf *b, const char *chan, const char *var)
{
    daoc__buf_puts(b, "    i := gen_random_uuid();\n"
                      "    INSERT INTO \"cluster_events\" (\"id\", \"node_id\", \"at\", \"expire_at\", "
                      "\"channel\", \"data\") VALUES (i, '" DAOC__EVENTS_ANY_NODE
                      "', t, t + INTERVAL '" DAOC__EVENTS_TTL_S " seconds', ");
    daoc__events_literal(b, chan);
    daoc__buf_printf(b, ", %s);\n    PERFORM pg_notify('" DAOC__EVENTS_NOTIFY "', i::text || E'\\n' || ",
                     var);
    daoc__events_literal(b, chan);
    daoc__buf_printf(b, " || E'\\n' || CASE WHEN octet_length(%s) < 7900 THEN %s ELSE '' END);\n",
                     var, var);
}

void daoc__pg_events_ddl(daoc__buf *b, const daoc__schema *s)
{
    const char *t = daoc__pg_table(s), *chan = daoc__events_channel(s);
    daoc__buf_puts(b, DAOC__PG_CLUSTER_EVENTS_DDL);
    /* the older versions, replaced */
    static const char *const old[] = DAOC__EVENTS_OLD;
    for (size_t v = 0; v < sizeof old / sizeof old[0]; v++)
        daoc__buf_printf(b,
                         "DROP TRIGGER IF EXISTS \"%s%s\" ON \"%s\";\n"
                         "DROP FUNCTION IF EXISTS \"%s%s\" ();\n",
                         t, old[v], t, t, old[v]);
    daoc__events_ck_fixup(b, &pg, s, t);
    /* Kong's expiry trigger as 000_base made it before it was limited to
     * Kong's own inserts (pg_int.h) */
    daoc__buf_puts(b, "DO $ttl$\nBEGIN\n  IF EXISTS (SELECT 1 FROM pg_trigger g JOIN pg_class c ON "
                      "c.oid = g.tgrelid WHERE c.relname = 'cluster_events' AND c.relnamespace = "
                      "current_schema()::regnamespace AND g.tgname = 'cluster_events_ttl_trigger' "
                      "AND g.tgqual IS NULL) THEN\n    DROP TRIGGER \"cluster_events_ttl_trigger\" "
                      "ON \"cluster_events\";\n    " DAOC__PG_EVENTS_TTL_TRIGGER
                      "  END IF;\nEND\n$ttl$;\n");
    daoc__buf_printf(b,
                     "CREATE OR REPLACE FUNCTION \"%s" DAOC__EVENTS_TRIGGER "\" () RETURNS trigger "
                     "LANGUAGE plpgsql AS $ev$\n"
                     "DECLARE\n  k text;\n  o text;\n  i uuid;\n"
                     "  t timestamptz := date_trunc('milliseconds', clock_timestamp());\n"
                     "BEGIN\n"
                     "  IF TG_OP <> 'DELETE' THEN\n    k := ",
                     t);
    daoc__events_key_sql(b, &pg, s, "NEW");
    daoc__buf_puts(b, ";\n  END IF;\n  IF TG_OP <> 'INSERT' THEN\n    o := ");
    daoc__events_key_sql(b, &pg, s, "OLD");
    daoc__buf_puts(b, ";\n  END IF;\n  IF k IS NOT NULL THEN\n");
    insert(b, chan, "k");
    daoc__buf_puts(b, "  END IF;\n  IF o IS NOT NULL AND o IS DISTINCT FROM k THEN\n");
    insert(b, chan, "o");
    daoc__buf_printf(b,
                     "  END IF;\n  RETURN NULL;\nEND;\n$ev$;\n"
                     "DROP TRIGGER IF EXISTS \"%s" DAOC__EVENTS_TRIGGER "\" ON \"%s\";\n"
                     "CREATE TRIGGER \"%s" DAOC__EVENTS_TRIGGER "\" AFTER INSERT OR UPDATE OR "
                     "DELETE ON \"%s\" FOR EACH ROW EXECUTE FUNCTION \"%s" DAOC__EVENTS_TRIGGER
                     "\" ();\n",
                     t, t, t, t, t);
}

const char daoc__pg_has_events_sql[] =
    "SELECT 1 FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid WHERE c.relname = $1 AND "
    "c.relnamespace = current_schema()::regnamespace AND g.tgname = $1 || '" DAOC__EVENTS_TRIGGER
    "'";
