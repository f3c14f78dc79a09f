/*
 * test_pg_store.c -- what only the PostgreSQL store does: Kong's column
 * layout (UUID, TEXT[], JSONB, TIMESTAMP WITH TIME ZONE, named
 * constraints), TEXT[] literal escaping both ways, JSONB and timestamp
 * round trips, SQLSTATE + constraint-name mapping, savepoints inside
 * transactions, TTL cleanup, connection errors and reconnecting.
 *
 * Needs a server: DAOC_PG_HOST/PORT/USER/DATABASE (scripts/run-tests.sh
 * starts a private cluster and runs this suite only in its PostgreSQL
 * section).  Without one every test fails, saying so.  The store-agnostic
 * DAO behaviour is test_dao_conformance's job.
 */
#include <libpq-fe.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/value.h"
#include "db/db.h"
#include "errtext.h"
#include "harness.h"
#include "schema/schema.h"
#include "store/deploy.h"
#include "store/postgres/pg_int.h"
#include "store/store.h"

/* ---- fixtures ---------------------------------------------------------- */

static daoc__schema *g_schemas[16];
static int g_nschemas;

static const daoc__schema *lookup(void *ud, const char *name)
{
    (void)ud;
    for (int i = 0; i < g_nschemas; i++)
        if (strcmp(g_schemas[i]->name, name) == 0)
            return g_schemas[i];
    return NULL;
}

/* JSON with single quotes (no quotes inside strings). */
static daoc_value *J(const char *text)
{
    size_t n = strlen(text);
    char *t = malloc(n + 1);
    for (size_t i = 0; i <= n; i++)
        t[i] = text[i] == '\'' ? '"' : text[i];
    daoc_value *v = NULL;
    char err[200];
    if (t_json_decode(t, n, &v, err, sizeof err) != DAOC_OK)
        fprintf(stderr, "bad test JSON: %s: %s\n", err, t);
    free(t);
    return v;
}

static const daoc__schema *schema(const char *def_json)
{
    daoc_value *def = J(def_json);
    daoc__schema *s = NULL;
    char *err = NULL;
    if (!def)
        return NULL;
    if (daoc__schema_compile(def, lookup, NULL, &s, &err) != DAOC_OK) {
        fprintf(stderr, "compile failed: %s\n", err ? err : "?");
        daoc__free(err);
        daoc_value_free(def);
        return NULL;
    }
    daoc_value_free(def);
    g_schemas[g_nschemas++] = s;
    return s;
}

#define ID "{'id':{'type':'string','uuid':true}}"
#define LONG_NAME "a_rather_long_entity_name_that_pushes_constraint_names_past_63"

static const daoc__schema *S_owners, *S_things, *S_pins, *S_long, *S_exp;

__attribute__((constructor(200))) static void load_schemas(void)
{
    S_owners = schema("{'name':'pg_owners','primary_key':['id'],'fields':[" ID ","
                      "{'name':{'type':'string','unique':true}}]}");
    S_things = schema(
        "{'name':'pg_things','primary_key':['id'],'cache_key':['owner','kind'],'fields':[" ID ","
        "{'created_at':{'type':'integer','timestamp':true,'auto':true}},"
        "{'seen_at':{'type':'number','timestamp':true}},"
        "{'owner':{'type':'foreign','reference':'pg_owners','on_delete':'cascade'}},"
        "{'kind':{'type':'string'}},{'code':{'type':'string','unique':true}},"
        "{'n':{'type':'integer'}},{'ratio':{'type':'number'}},{'on':{'type':'boolean'}},"
        "{'words':{'type':'array','elements':{'type':'string'}}},"
        "{'refs':{'type':'set','elements':{'type':'string','uuid':true}}},"
        "{'ports':{'type':'array','elements':{'type':'integer'}}},"
        "{'conf':{'type':'record','fields':[{'a':{'type':'string'}},{'b':{'type':'integer'}},"
        "{'deep':{'type':'map','keys':{'type':'string'},'values':{'type':'string'}}}]}},"
        "{'tags':{'type':'set','elements':{'type':'string'}}}]}");
    S_pins = schema("{'name':'pg_pins','primary_key':['id'],'fields':[" ID ","
                    "{'owner':{'type':'foreign','reference':'pg_owners'}}]}");
    S_long = schema("{'name':'" LONG_NAME "','primary_key':['id'],'fields':[" ID ","
                    "{'another_fairly_long_column_name':{'type':'string','unique':true}}]}");
    S_exp = schema("{'name':'pg_expiring','primary_key':['id'],'ttl':true,'fields':[" ID ","
                   "{'v':{'type':'string'}}]}");
}

__attribute__((destructor)) static void free_schemas(void)
{
    for (int i = g_nschemas; i-- > 0;)
        daoc__schema_free(g_schemas[i]);
    g_nschemas = 0;
}

static daoc_config *config(void)
{
    daoc_config *cfg = NULL;
    char why[300];
    if (t_config_load(&cfg, NULL, why, sizeof why) != DAOC_OK) {
        fprintf(stderr, "config: %s\n", why);
        return NULL;
    }
    if (!getenv("DAOC_PG_HOST"))
        fprintf(stderr, "  test_pg_store needs a server: set DAOC_PG_HOST, DAOC_PG_PORT, "
                        "DAOC_PG_USER, DAOC_PG_DATABASE (scripts/run-tests.sh does)\n");
    return cfg;
}

/* A store with every fixture table created and emptied. */
static daoc__store *open_store(void)
{
    daoc_config *cfg = config();
    if (!cfg)
        return NULL;
    daoc__store *st = NULL;
    char *msg = NULL;
    int rc = daoc__pg_open(&st, cfg, &msg);
    daoc_config_free(cfg);
    if (rc != DAOC_OK) {
        fprintf(stderr, "  open: %s\n", msg ? msg : "?");
        daoc__free(msg);
        return NULL;
    }
    const daoc__schema *all[] = {S_owners, S_things, S_pins, S_long, S_exp};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!all[i] || st->ops->ensure_table(st, all[i], &msg) != DAOC_OK ||
            st->ops->truncate(st, all[i], &msg) != DAOC_OK) {
            fprintf(stderr, "  ensure/truncate: %s\n", msg ? msg : "?");
            daoc__free(msg);
            st->ops->close(st);
            return NULL;
        }
    }
    return st;
}

/* A raw libpq connection to the same database, for looking behind the store. */
static PGconn *raw(void)
{
    const char *keys[] = {"host", "port", "user", "dbname", NULL};
    const char *vals[] = {getenv("DAOC_PG_HOST"), getenv("DAOC_PG_PORT"), getenv("DAOC_PG_USER"),
                          getenv("DAOC_PG_DATABASE"), NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 0);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "  raw connection: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* First column of the first row of sql, copied into out ("" when none). */
static void query1(PGconn *c, const char *sql, char *out, size_t n)
{
    PGresult *r = PQexec(c, sql);
    out[0] = '\0';
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
        snprintf(out, n, "%s", PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0));
    else if (PQresultStatus(r) != PGRES_TUPLES_OK)
        snprintf(out, n, "ERROR: %s", PQresultErrorMessage(r));
    PQclear(r);
}

static int ins(daoc__store *st, const daoc__schema *s, daoc_value *e, const char *ck,
               daoc_value **row, daoc__violation *viol)
{
    daoc__write_opts o = {.cache_key = ck};
    daoc__violation dummy;
    char *msg = NULL;
    daoc_value *got = NULL;
    int rc = st->ops->insert(st, s, e, &o, &got, viol ? viol : &dummy, &msg);
    if (rc != DAOC_OK && rc != DAOC_ECONSTRAINT)
        fprintf(stderr, "  insert: %s\n", msg ? msg : "?");
    daoc__free(msg);
    if (row)
        *row = got;
    else
        daoc_value_free(got);
    return rc;
}

static int insj(daoc__store *st, const daoc__schema *s, const char *json, daoc__violation *viol)
{
    daoc_value *e = J(json);
    int rc = ins(st, s, e, NULL, NULL, viol);
    daoc_value_free(e);
    return rc;
}

static daoc_value *sel(daoc__store *st, const daoc__schema *s, const char *id)
{
    daoc_value *k = daoc_obj(), *row = NULL;
    if (daoc_obj_set(k, "id", daoc_str(id)) != DAOC_OK)
        return NULL;
    daoc__key key = {-1, k};
    daoc__read_opts o = {.skip_ttl = false};
    char *msg = NULL;
    if (st->ops->select(st, s, &key, &o, &row, &msg) != DAOC_OK)
        fprintf(stderr, "  select: %s\n", msg ? msg : "?");
    daoc__free(msg);
    daoc_value_free(k);
    return row;
}

static char *enc(const daoc_value *v)
{
    char *s = NULL;
    size_t n;
    return daoc_json_encode(v, &s, &n) == DAOC_OK ? s : NULL;
}

#define U1 "6a0c2a4e-7b29-4f35-9b57-27b1b3a5d001"
#define U2 "6a0c2a4e-7b29-4f35-9b57-27b1b3a5d002"
#define U3 "6a0c2a4e-7b29-4f35-9b57-27b1b3a5d003"
#define U4 "6a0c2a4e-7b29-4f35-9b57-27b1b3a5d004"
#define U5 "6a0c2a4e-7b29-4f35-9b57-27b1b3a5d005"

/* ---- literals (no server needed, but part of the PG suite) -------------- */

TEST(text_array_literals_escape_and_parse)
{
    daoc_value *v = J("['plain','a,b','say hi','{braces}','NULL','','  spaced  ',"
                      "'back\\\\slash','quote\\\"d','\u00e9t\u00e9']");
    ASSERT_NOT_NULL(v);
    daoc__buf b = DAOC__BUF_INIT;
    daoc__pg_put_value(&b, NULL, v);
    ASSERT_TRUE(!b.failed);
    ASSERT_STR(b.data, "{\"plain\",\"a,b\",\"say hi\",\"{braces}\",\"NULL\",\"\",\"  spaced  \","
                       "\"back\\\\slash\",\"quote\\\"d\",\"\u00e9t\u00e9\"}");
    daoc_value *back = NULL;
    ASSERT_INT(daoc__pg_parse_array(b.data, b.len, NULL, NULL, &back), DAOC_OK);
    ASSERT_TRUE(daoc__value_equal(v, back));
    daoc_value_free(back);
    /* what the server prints: bare words, NULL, quoted words */
    const char *srv = "{abc,NULL,\"NULL\",\"x y\",null}";
    ASSERT_INT(daoc__pg_parse_array(srv, strlen(srv), NULL, NULL, &back), DAOC_OK);
    char *j = enc(back);
    ASSERT_STR(j, "[\"abc\",null,\"NULL\",\"x y\",null]");
    daoc_free(j);
    daoc_value_free(back);
    ASSERT_INT(daoc__pg_parse_array("{}", 2, NULL, NULL, &back), DAOC_OK);
    ASSERT_INT(daoc_value_len(back), 0);
    daoc_value_free(back);
    /* malformed / multi-dimensional */
    ASSERT_INT(daoc__pg_parse_array("{\"open}", 7, NULL, NULL, &back), DAOC_ESTORE);
    ASSERT_INT(daoc__pg_parse_array("{{1,2}}", 7, NULL, NULL, &back), DAOC_ESTORE);
    ASSERT_INT(daoc__pg_parse_array("abc", 3, NULL, NULL, &back), DAOC_ESTORE);
    daoc__buf_free(&b);
    daoc_value_free(v);
}

/* ---- layout ---------------------------------------------------------------- */

TEST(kong_layout_types_and_constraint_names)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    PGconn *c = raw();
    ASSERT_NOT_NULL(c);
    static const char *const want[][2] = {
        {"id", "uuid"},
        {"created_at", "timestamp with time zone"},
        {"seen_at", "timestamp with time zone"},
        {"owner_id", "uuid"},
        {"n", "bigint"},
        {"ratio", "double precision"},
        {"on", "boolean"},
        {"words", "_text"},
        {"refs", "_uuid"},
        {"ports", "_int8"},
        {"conf", "jsonb"},
        {"tags", "_text"},
        {"cache_key", "text"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char sql[300], got[200];
        snprintf(sql, sizeof sql,
                 "SELECT CASE WHEN data_type = 'ARRAY' THEN udt_name ELSE data_type END "
                 "FROM information_schema.columns WHERE table_name = 'pg_things' AND "
                 "column_name = '%s'",
                 want[i][0]);
        query1(c, sql, got, sizeof got);
        if (strcmp(got, want[i][1]) != 0)
            fprintf(stderr, "  column %s\n", want[i][0]);
        ASSERT_STR(got, want[i][1]);
    }
    char got[512];
    query1(c,
           "SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint "
           "WHERE conrelid = 'pg_things'::regclass",
           got, sizeof got);
    ASSERT_STR(got, "pg_things_cache_key_key,pg_things_code_key,pg_things_owner_id_fkey,"
                    "pg_things_pkey");
    query1(c, "SELECT data_type FROM information_schema.columns WHERE table_name = "
              "'pg_expiring' AND column_name = 'ttl'",
           got, sizeof got);
    ASSERT_STR(got, "timestamp with time zone");
    query1(c, "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE "
              "tablename = 'pg_things' AND indexname LIKE '%idx'",
           got, sizeof got);
    /* Kong's indexes, and daoc's on created_at (dao/page_query.c) */
    ASSERT_STR(got, "pg_things_created_at_idx,pg_things_owner_id_idx,pg_things_tags_idx");
    /* idempotent */
    char *msg = NULL;
    ASSERT_INT(st->ops->ensure_table(st, S_things, &msg), DAOC_OK);
    PQfinish(c);
    st->ops->close(st);
}

/* ---- round trips --------------------------------------------------------------- */

/* Every stored field of pg_things read back (got) equals what was written (e). */
static void same_things(const daoc_value *e, const daoc_value *got)
{
    const char *keys[] = {"id",    "created_at", "seen_at", "owner", "kind", "code", "n",
                          "ratio", "on",         "words",   "refs",  "ports", "conf", "tags"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const daoc_value *a = daoc_obj_get(e, keys[i]), *b = daoc_obj_get(got, keys[i]);
        if (!daoc__value_equal(a, b)) {
            char *ja = enc(a), *jb = enc(b);
            T_FAIL_AT("field %s: wrote %s, read %s", keys[i], ja, jb);
            daoc_free(ja);
            daoc_free(jb);
        }
    }
}

TEST(arrays_json_and_timestamps_round_trip)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(insj(st, S_owners, "{'id':'" U1 "','name':'o'}", NULL), DAOC_OK);
    daoc_value *e =
        J("{'id':'" U2 "','created_at':1700000000,'seen_at':1700000000.25,'owner':{'id':'" U1 "'},"
          "'kind':'k','code':'c','n':-9007199254740993,'ratio':0.1,'on':true,"
          "'words':['a,b','{x}','NULL','q\\\"uote','back\\\\slash',''],"
          "'refs':['" U3 "'],'ports':[80,443],"
          "'conf':{'a':'x \\\"y\\\"','b':2,'deep':{'k':'v','z':''}},'tags':['t1','t2']}");
    ASSERT_NOT_NULL(e);
    daoc_value *row = NULL;
    ASSERT_INT(ins(st, S_things, e, "pg_things:" U1 ":k::::", &row, NULL), DAOC_OK);
    ASSERT_NOT_NULL(row); /* RETURNING */
    daoc_value *got = sel(st, S_things, U2);
    ASSERT_NOT_NULL(got);
    same_things(e, got);
    same_things(e, row); /* the RETURNING row too */
    ASSERT_INT(daoc_value_type(daoc_obj_get(got, "created_at")), DAOC_TINT);
    ASSERT_INT(daoc_value_int(daoc_obj_get(got, "created_at")), 1700000000);
    ASSERT_TRUE(fabs(daoc_value_num(daoc_obj_get(got, "seen_at")) - 1700000000.25) < 1e-6);

    /* behind the store: real arrays, real JSONB, real timestamps */
    PGconn *c = raw();
    ASSERT_NOT_NULL(c);
    char v[256];
    query1(c, "SELECT words = ARRAY['a,b','{x}','NULL','q\"uote','back\\slash','']::TEXT[] "
              "FROM pg_things",
           v, sizeof v);
    ASSERT_STR(v, "t");
    query1(c, "SELECT conf->'deep'->>'k' || '|' || jsonb_typeof(conf->'b') FROM pg_things", v,
           sizeof v);
    ASSERT_STR(v, "v|number");
    query1(c, "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM "
              "pg_things",
           v, sizeof v);
    ASSERT_STR(v, "2023-11-14 22:13:20");
    query1(c, "SELECT tags @> ARRAY['t2'] AND NOT tags && ARRAY['zz'] FROM pg_things", v,
           sizeof v);
    ASSERT_STR(v, "t");
    PQfinish(c);
    daoc_value_free(got);
    daoc_value_free(row);
    daoc_value_free(e);
    st->ops->close(st);
}

/* Timestamp columns are read as the server prints them (DateStyle ISO,
 * TimeZone UTC, as the pool sets them): checked against the server's own
 * EXTRACT(EPOCH ...) for instants across the whole range it supports --
 * BC dates, years past 9999, microseconds before and after 1970 -- for
 * number fields (the double nearest the exact decimal) and integer fields
 * (floored). */
TEST(timestamps_are_read_from_the_servers_iso_text)
{
    PGconn *c = raw();
    ASSERT_NOT_NULL(c);
    char v[256];
    query1(c, "SET TimeZone = 'UTC'", v, sizeof v);
    query1(c, "SET DateStyle = 'ISO'", v, sizeof v);
    PGresult *r = PQexec(
        c, "WITH t(ts) AS (VALUES ('1970-01-01 00:00:00+00'::timestamptz), "
           "('1969-12-31 23:59:47.5+00'), ('1969-12-31 23:59:59.999999+00'), "
           "('2023-11-14 22:13:20.25+00'), ('2000-02-29 12:00:00.000001+00'), "
           "('1900-03-01 00:00:00+00'), ('0001-01-01 00:00:00+00'), "
           "('0001-12-31 23:59:59.5+00 BC'), ('4713-01-01 00:00:00+00 BC'), "
           "('9999-12-31 23:59:59.999999+00'), ('10000-01-01 00:00:00+00'), "
           "('200000-12-31 23:59:59.999999+00'), ('2255-06-05 23:47:34.740991+00'), "
           "('2255-06-05 23:47:34.740993+00'), ('2024-01-01 05:30:00+05:30')) "
           "SELECT ts::text, extract(epoch FROM ts)::text, floor(extract(epoch FROM ts))::text "
           "FROM t UNION ALL SELECT ts::text, extract(epoch FROM ts)::text, "
           "floor(extract(epoch FROM ts))::text FROM (SELECT timestamptz '1970-01-01' + "
           "(random() * 2e11 - 1e11) * interval '1 second' AS ts FROM generate_series(1, 2000)) x");
    ASSERT_INT(PQresultStatus(r), PGRES_TUPLES_OK);
    daoc__field fi = {.type = DAOC__F_INTEGER, .timestamp = true};
    daoc__field fn = {.type = DAOC__F_NUMBER, .timestamp = true};
    int bad = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *text = PQgetvalue(r, i, 0);
        daoc_value *a = NULL, *b = NULL;
        ASSERT_INT(daoc__pg_parse_value(text, strlen(text), &fn, NULL, &a), DAOC_OK);
        ASSERT_INT(daoc__pg_parse_value(text, strlen(text), &fi, NULL, &b), DAOC_OK);
        double want = strtod(PQgetvalue(r, i, 1), NULL);
        long long wint = strtoll(PQgetvalue(r, i, 2), NULL, 10);
        if (daoc_value_type(a) != DAOC_TNUM || daoc_value_num(a) != want ||
            daoc_value_type(b) != DAOC_TINT || daoc_value_int(b) != wint) {
            if (bad++ < 5)
                T_FAIL_AT("'%s': read %.17g / %lld, the server says %s / %s", text,
                          daoc_value_num(a), (long long)daoc_value_int(b), PQgetvalue(r, i, 1),
                          PQgetvalue(r, i, 2));
        }
        daoc_value_free(a);
        daoc_value_free(b);
    }
    PQclear(r);
    PQfinish(c);
    ASSERT_INT(bad, 0);

    /* infinity: infinite seconds, which no integer holds */
    daoc_value *x = NULL;
    ASSERT_INT(daoc__pg_parse_value("infinity", 8, &fn, NULL, &x), DAOC_OK);
    ASSERT_TRUE(isinf(daoc_value_num(x)) && daoc_value_num(x) > 0);
    daoc_value_free(x);
    ASSERT_INT(daoc__pg_parse_value("-infinity", 9, &fn, NULL, &x), DAOC_OK);
    ASSERT_TRUE(isinf(daoc_value_num(x)) && daoc_value_num(x) < 0);
    daoc_value_free(x);
    ASSERT_INT(daoc__pg_parse_value("infinity", 8, &fi, NULL, &x), DAOC_ESTORE);
    /* a column without a zone reads as UTC; epoch-seconds text still reads */
    ASSERT_INT(daoc__pg_parse_value("2023-11-14 22:13:20", 19, &fi, NULL, &x), DAOC_OK);
    ASSERT_INT(daoc_value_int(x), 1700000000);
    daoc_value_free(x);
    ASSERT_INT(daoc__pg_parse_value("1700000000.75", 13, &fi, NULL, &x), DAOC_OK);
    ASSERT_INT(daoc_value_int(x), 1700000000);
    daoc_value_free(x);
    /* near misses are not timestamps (and not numbers either) */
    const char *no[] = {"2023-11-14", "2023-11-14 22:13", "2023-13-14 22:13:20+00",
                        "023-11-14 22:13:20+00", "2023-11-14 22:13:20.+00",
                        "2023-11-14 22:13:20.1234567+00", "2023-11-14 22:13:20+0",
                        "2023-11-14 22:13:20+00 AD", "2023-11-14T22:13:20+00"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        x = NULL;
        if (daoc__pg_parse_value(no[i], strlen(no[i]), &fn, NULL, &x) != DAOC_ESTORE)
            T_FAIL_AT("'%s' was read", no[i]);
        daoc_value_free(x);
    }
}

/* A store of its own pool (another pg_timeout): connections that prepare
 * afresh, after the test changed a table behind the store's back. */
static daoc__store *open_fresh(const char *timeout)
{
    daoc_config *cfg = config();
    char why[200];
    if (!cfg || t_config_set(cfg, "pg_timeout", timeout, why, sizeof why) != DAOC_OK) {
        daoc_config_free(cfg);
        return NULL;
    }
    daoc__store *st = NULL;
    char *msg = NULL;
    int rc = daoc__pg_open(&st, cfg, &msg);
    daoc_config_free(cfg);
    if (rc == DAOC_OK && (st->ops->ensure_table(st, S_owners, &msg) != DAOC_OK ||
                          st->ops->ensure_table(st, S_things, &msg) != DAOC_OK)) {
        st->ops->close(st);
        st = NULL;
    }
    daoc__free(msg);
    return st;
}

/* The format the select of pg_things runs in on st's parked connection:
 * 1 binary, 0 text, -1 not prepared there. */
static int things_select_format(daoc__store *st)
{
    const pg_conn *c = atomic_load(&((daoc__pg *)st)->slot_rw.conn);
    for (size_t i = 0; c && i < c->prep_cap; i++) {
        const pg_prep *e = &c->prep[i];
        if (e->sql && strncmp(e->sql, "SELECT", 6) == 0 && strstr(e->sql, "\"pg_things\"") &&
            !strstr(e->sql, " > "))
            return e->binary;
    }
    return -1;
}


/* Changes pg_things behind the store's back (alter), then reads U2 back
 * through a store of its own pool: the select must run in `format` (1
 * binary, 0 text) and give e's values. */
static void reads_after_alter(PGconn *c, const char *alter, const char *timeout, int format,
                              const daoc_value *e)
{
    PGresult *r = PQexec(c, alter);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        T_FAIL_AT("%s: %s", alter, PQresultErrorMessage(r));
    PQclear(r);
    daoc__store *st = open_fresh(timeout);
    if (!st) {
        T_FAIL_AT("no store after %s", alter);
        return;
    }
    daoc_value *got = sel(st, S_things, U2);
    if (!got)
        T_FAIL_AT("no row after %s", alter);
    else if (things_select_format(st) != format)
        T_FAIL_AT("after %s: format %d, expected %d", alter, things_select_format(st), format);
    else
        same_things(e, got);
    daoc_value_free(got);
    st->ops->close(st);
}

/* Results come in binary when every column is of a type binary.c reads
 * for its field -- also other integer, text and timestamp types a database
 * made by hand may use -- and in text otherwise; the values are the same. */
TEST(results_come_in_binary_or_in_text_with_the_same_values)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(insj(st, S_owners, "{'id':'" U1 "','name':'o'}", NULL), DAOC_OK);
    daoc_value *e =
        J("{'id':'" U2 "','created_at':1700000000,'seen_at':-1700000000.75,'owner':{'id':'" U1 "'},"
          "'kind':'k','code':'c','n':-9007199254740993,'ratio':0.1,'on':false,"
          "'words':['a,b','{x}','NULL',''],"
          "'refs':['" U3 "','6a0c2a4e-7b29-4f35-9b57-27b1b3a5d004'],'ports':[80,-443],"
          "'conf':{'a':'x','b':2,'deep':{'k':'v'}},'tags':['t1']}");
    ASSERT_NOT_NULL(e);
    ASSERT_INT(ins(st, S_things, e, "pg_things:" U1 ":k::::", NULL, NULL), DAOC_OK);
    daoc_value *got = sel(st, S_things, U2);
    ASSERT_NOT_NULL(got);
    ASSERT_INT(things_select_format(st), 1);
    same_things(e, got);
    daoc_value_free(got);

    /* other types that read in binary: VARCHAR, INTEGER[], a timestamp
     * without time zone (read as UTC) */
    PGconn *c = raw();
    ASSERT_NOT_NULL(c);
    reads_after_alter(c,
                      "ALTER TABLE pg_things ALTER COLUMN kind TYPE VARCHAR(20), ALTER COLUMN "
                      "ports TYPE INTEGER[], ALTER COLUMN seen_at TYPE TIMESTAMP USING "
                      "seen_at AT TIME ZONE 'UTC'",
                      "4001", 1, e);
    /* a NUMERIC column: the statement reads in text, to the same values */
    reads_after_alter(c, "ALTER TABLE pg_things ALTER COLUMN ratio TYPE NUMERIC", "4002", 0, e);

    st->ops->close(st);
    PGresult *r = PQexec(c, "DROP TABLE pg_things CASCADE"); /* the next test makes it again */
    PQclear(r);
    PQfinish(c);
    daoc_value_free(e);
}

TEST(nul_bytes_are_refused_not_cut)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    daoc_value *e = daoc_obj();
    ASSERT_INT(daoc_obj_set(e, "id", daoc_str(U1)), DAOC_OK);
    ASSERT_INT(daoc_obj_set(e, "name", daoc_strn("a\0b", 3)), DAOC_OK);
    daoc__write_opts o = {.has_ttl = false};
    daoc__violation viol;
    daoc_value *row = NULL;
    char *msg = NULL;
    ASSERT_INT(st->ops->insert(st, S_owners, e, &o, &row, &viol, &msg), DAOC_ESTORE);
    ASSERT_STR(msg, "cannot store a string containing a NUL byte (pg_owners.name)");
    daoc__free(msg);
    msg = NULL;
    /* a key holding one matches nothing, without asking the server */
    daoc__key k = {1, daoc__obj_getn(e, "name", 4)};
    daoc__read_opts ro = {.skip_ttl = false};
    ASSERT_INT(st->ops->select(st, S_owners, &k, &ro, &row, &msg), DAOC_OK);
    ASSERT_TRUE(row == NULL);
    daoc_value *deleted = NULL;
    ASSERT_INT(st->ops->delete(st, S_owners, &k, &ro, &deleted, &viol, &msg), DAOC_OK);
    ASSERT_NULL(deleted);
    daoc_value_free(e);
    st->ops->close(st);
}

/* ---- constraint errors ------------------------------------------------------------ */

TEST(sqlstate_and_constraint_names_map_to_violations)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    daoc__violation viol;
    ASSERT_INT(insj(st, S_owners, "{'id':'" U1 "','name':'o'}", NULL), DAOC_OK);
    /* primary key */
    ASSERT_INT(insj(st, S_owners, "{'id':'" U1 "','name':'p'}", &viol), DAOC_ECONSTRAINT);
    ASSERT_INT(viol.kind, DAOC__VIOL_PRIMARY_KEY);
    /* unique field */
    ASSERT_INT(insj(st, S_owners, "{'id':'" U2 "','name':'o'}", &viol), DAOC_ECONSTRAINT);
    ASSERT_INT(viol.kind, DAOC__VIOL_UNIQUE);
    ASSERT_INT(viol.field, daoc__schema_field_index(S_owners, "name", 4));
    /* foreign key on insert */
    ASSERT_INT(insj(st, S_pins, "{'id':'" U2 "','owner':{'id':'" U3 "'}}", &viol),
               DAOC_ECONSTRAINT);
    ASSERT_INT(viol.kind, DAOC__VIOL_FOREIGN_KEY);
    ASSERT_INT(viol.field, daoc__schema_field_index(S_pins, "owner", 5));
    /* cache_key column */
    daoc_value *t1 = J("{'id':'" U2 "','owner':{'id':'" U1 "'},'kind':'k'}");
    daoc_value *t2 = J("{'id':'" U3 "','owner':{'id':'" U1 "'},'kind':'k'}");
    ASSERT_INT(ins(st, S_things, t1, "ck", NULL, NULL), DAOC_OK);
    ASSERT_INT(ins(st, S_things, t2, "ck", NULL, &viol), DAOC_ECONSTRAINT);
    ASSERT_INT(viol.kind, DAOC__VIOL_UNIQUE);
    ASSERT_INT(viol.field, -1);
    daoc_value_free(t1);
    daoc_value_free(t2);
    /* delete restricted by a child: named by the server's table name */
    ASSERT_INT(insj(st, S_pins, "{'id':'" U2 "','owner':{'id':'" U1 "'}}", NULL), DAOC_OK);
    daoc_value *k = J("{'id':'" U1 "'}");
    daoc__key key = {-1, k};
    daoc_value *deleted = NULL;
    char *msg = NULL;
    ASSERT_INT(st->ops->delete(st, S_owners, &key, NULL, &deleted, &viol, &msg), DAOC_ECONSTRAINT);
    ASSERT_INT(viol.kind, DAOC__VIOL_RESTRICT);
    ASSERT_STR(viol.child, "pg_pins");
    ASSERT_NULL(deleted);
    daoc_value_free(k);
    /* names longer than 63 bytes are shortened exactly like the server's own
     * default names (checked against PostgreSQL 15) */
    char cname[PG_NAMEDATALEN];
    daoc__pg_cname(cname, LONG_NAME, "another_fairly_long_column_name", "key");
    ASSERT_STR(cname, "a_rather_long_entity_name_tha_another_fairly_long_column_na_key");
    daoc__pg_cname(cname, LONG_NAME, NULL, "pkey");
    ASSERT_STR(cname, "a_rather_long_entity_name_that_pushes_constraint_names_pas_pkey");
    ASSERT_INT(insj(st, S_long, "{'id':'" U1 "','another_fairly_long_column_name':'x'}", NULL),
               DAOC_OK);
    ASSERT_INT(insj(st, S_long, "{'id':'" U2 "','another_fairly_long_column_name':'x'}", &viol),
               DAOC_ECONSTRAINT);
    ASSERT_INT(viol.kind, DAOC__VIOL_UNIQUE);
    ASSERT_INT(viol.field, 1);
    ASSERT_INT(insj(st, S_long, "{'id':'" U1 "','another_fairly_long_column_name':'y'}", &viol),
               DAOC_ECONSTRAINT);
    ASSERT_INT(viol.kind, DAOC__VIOL_PRIMARY_KEY);
    st->ops->close(st);
}

TEST(failed_write_inside_a_transaction_keeps_it_usable)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    char *msg = NULL;
    daoc__violation viol;
    ASSERT_INT(st->ops->begin(st, &msg), DAOC_OK);
    ASSERT_INT(insj(st, S_owners, "{'id':'" U1 "','name':'a'}", NULL), DAOC_OK);
    ASSERT_INT(insj(st, S_owners, "{'id':'" U2 "','name':'a'}", &viol), DAOC_ECONSTRAINT);
    ASSERT_INT(insj(st, S_owners, "{'id':'" U3 "','name':'c'}", NULL), DAOC_OK);
    ASSERT_INT(st->ops->commit(st, &msg), DAOC_OK);
    daoc_value *r = sel(st, S_owners, U1);
    ASSERT_NOT_NULL(r);
    daoc_value_free(r);
    r = sel(st, S_owners, U3);
    ASSERT_NOT_NULL(r);
    daoc_value_free(r);
    /* a nested rollback is a savepoint's: the outer transaction goes on */
    ASSERT_INT(st->ops->begin(st, &msg), DAOC_OK);
    ASSERT_INT(insj(st, S_owners, "{'id':'" U4 "','name':'d'}", NULL), DAOC_OK);
    ASSERT_INT(st->ops->begin(st, &msg), DAOC_OK);
    ASSERT_INT(insj(st, S_owners, "{'id':'" U5 "','name':'e'}", NULL), DAOC_OK);
    ASSERT_INT(st->ops->rollback(st), DAOC_OK);
    ASSERT_INT(st->ops->commit(st, &msg), DAOC_OK);
    r = sel(st, S_owners, U4);
    ASSERT_NOT_NULL(r);
    daoc_value_free(r);
    ASSERT_NULL(sel(st, S_owners, U5));
    ASSERT_INT(st->ops->commit(st, &msg), DAOC_EINVAL);
    st->ops->close(st);
}

TEST(ttl_cleanup_in_batches)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    PGconn *c = raw();
    ASSERT_NOT_NULL(c);
    char v[128];
    /* 2500 rows already expired, 1 live, 1 without ttl */
    query1(c, "WITH i AS (INSERT INTO pg_expiring (id, v, ttl) SELECT gen_random_uuid(), 'x', "
              "now() - interval '1 minute' FROM generate_series(1, 2500) RETURNING 1) "
              "SELECT count(*) FROM i",
           v, sizeof v);
    ASSERT_STR(v, "2500");
    daoc_value *e = J("{'id':'" U1 "','v':'live'}");
    daoc__write_opts o = {.has_ttl = true, .ttl = 100};
    daoc__violation viol;
    daoc_value *row = NULL;
    char *msg = NULL;
    ASSERT_INT(st->ops->insert(st, S_exp, e, &o, &row, &viol, &msg), DAOC_OK);
    int64_t ttl = daoc_value_int(daoc_obj_get(row, "ttl"));
    ASSERT_TRUE(ttl >= 98 && ttl <= 100);
    daoc_value_free(row);
    daoc_value_free(e);
    ASSERT_INT(insj(st, S_exp, "{'id':'" U2 "','v':'forever'}", NULL), DAOC_OK);
    int64_t n = -1;
    ASSERT_INT(st->ops->cleanup_ttl(st, S_exp, 5000, &n, &msg), DAOC_OK);
    ASSERT_INT(n, 2500);
    query1(c, "SELECT count(*) FROM pg_expiring", v, sizeof v);
    ASSERT_STR(v, "2");
    PQfinish(c);
    st->ops->close(st);
}

/* ---- connections -------------------------------------------------------------- */

TEST(connection_refused_is_a_clear_store_error)
{
    daoc_config *cfg = config();
    ASSERT_NOT_NULL(cfg);
    ASSERT_INT(daoc_config_set(cfg, "pg_port", "1", NULL), DAOC_OK);
    ASSERT_INT(daoc_config_set(cfg, "pg_timeout", "2000", NULL), DAOC_OK);
    daoc__store *st = NULL;
    char *msg = NULL;
    ASSERT_INT(daoc__pg_open(&st, cfg, &msg), DAOC_ESTORE);
    ASSERT_NULL(st);
    ASSERT_NOT_NULL(msg);
    char want[600];
    snprintf(want, sizeof want, "could not connect to PostgreSQL at %s", getenv("DAOC_PG_HOST"));
    if (strncmp(msg, want, strlen(want)) != 0)
        T_FAIL_AT("message: %s", msg);
    daoc__free(msg);
    daoc_config_free(cfg);
}

/* Terminates every daoc connection to this database and waits until the
 * server has let them go; returns how many there were. */
static int kill_daoc_backends(PGconn *c)
{
    char v[64];
    query1(c, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
              "application_name = 'daoc' AND datname = current_database()",
           v, sizeof v);
    for (int i = 0; i < 200; i++) {
        char left[64];
        query1(c, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'daoc' AND "
                  "datname = current_database()",
               left, sizeof left);
        if (strcmp(left, "0") == 0)
            break;
        usleep(10 * 1000);
    }
    usleep(20 * 1000);
    return atoi(v);
}

TEST(terminated_idle_connection_is_replaced_before_use_and_reprepares)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(insj(st, S_owners, "{'id':'" U1 "','name':'a'}", NULL), DAOC_OK);
    daoc_value *r = sel(st, S_owners, U1); /* prepares the select */
    ASSERT_NOT_NULL(r);
    daoc_value_free(r);
    PGconn *c = raw();
    ASSERT_NOT_NULL(c);
    ASSERT_TRUE(kill_daoc_backends(c) >= 1);
    /* the pooled connection died while idle: it is discarded before anything
     * is sent, and the select runs (and prepares again) on a new one */
    daoc_value *k = J("{'id':'" U1 "'}");
    daoc__key key = {-1, k};
    daoc_value *row = NULL;
    char *msg = NULL;
    int rc = st->ops->select(st, S_owners, &key, NULL, &row, &msg);
    if (rc != DAOC_OK)
        fprintf(stderr, "  %s\n", msg ? msg : "?");
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_NOT_NULL(row);
    daoc_value_free(row);
    row = NULL;
    /* the same for a write: nothing was sent on the dead connection */
    ASSERT_TRUE(kill_daoc_backends(c) >= 1);
    ASSERT_INT(insj(st, S_owners, "{'id':'" U2 "','name':'b'}", NULL), DAOC_OK);
    ASSERT_INT(st->ops->select(st, S_owners, &key, NULL, &row, &msg), DAOC_OK);
    ASSERT_NOT_NULL(row);
    daoc_value_free(row);
    daoc_value_free(k);
    PQfinish(c);
    st->ops->close(st);
}

/* A migration run by another node changes a column's type while this
 * process holds the statements it prepared: PostgreSQL refuses them
 * ("cached plan must not change result type").  Outside a transaction the
 * store prepares them again and the call succeeds; inside one it fails (the
 * server aborted the transaction), and after the rollback the call works. */
TEST(statements_prepared_before_a_table_changed_are_prepared_again)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(insj(st, S_owners, "{'id':'" U1 "','name':'a'}", NULL), DAOC_OK);
    daoc_value *r = sel(st, S_owners, U1); /* prepares the select */
    ASSERT_NOT_NULL(r);
    daoc_value_free(r);
    PGconn *c = raw();
    ASSERT_NOT_NULL(c);
    char out[256];
    query1(c, "ALTER TABLE pg_owners ALTER COLUMN name TYPE VARCHAR(64); SELECT 1", out,
           sizeof out);
    ASSERT_STR(out, "1");
    r = sel(st, S_owners, U1);
    ASSERT_NOT_NULL(r);
    ASSERT_STR(daoc_obj_get(r, "name")->u.s, "a");
    daoc_value_free(r);
    /* the insert's statement too (RETURNING the changed column) */
    ASSERT_INT(insj(st, S_owners, "{'id':'" U2 "','name':'b'}", NULL), DAOC_OK);
    query1(c, "ALTER TABLE pg_owners ALTER COLUMN name TYPE TEXT; SELECT 1", out, sizeof out);
    ASSERT_STR(out, "1");
    char *msg = NULL;
    ASSERT_INT(st->ops->begin(st, &msg), DAOC_OK);
    daoc_value *k = J("{'id':'" U1 "'}");
    daoc__key key = {-1, k};
    daoc_value *row = NULL;
    int rc = st->ops->select(st, S_owners, &key, NULL, &row, &msg);
    ASSERT_INT(rc, DAOC_ESTORE);
    ASSERT_NOT_NULL(msg);
    if (!strstr(msg, "changed since"))
        fprintf(stderr, "  in a transaction: %s\n", msg);
    ASSERT_TRUE(strstr(msg, "changed since") != NULL);
    daoc__free(msg);
    msg = NULL;
    st->ops->rollback(st);
    ASSERT_INT(st->ops->select(st, S_owners, &key, NULL, &row, &msg), DAOC_OK);
    ASSERT_NOT_NULL(row);
    daoc_value_free(row);
    daoc_value_free(k);
    PQfinish(c);
    st->ops->close(st);
}

/* A migration's own transaction: its DDL (deploy->exec) retypes a column,
 * then an up function reads the table through the DAO in the same
 * transaction.  The statement this connection prepared before is forgotten
 * by the DDL itself, so the read works instead of aborting the migration. */
TEST(ddl_in_a_transaction_makes_its_connection_prepare_again)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(insj(st, S_owners, "{'id':'" U1 "','name':'a'}", NULL), DAOC_OK);
    char *msg = NULL;
    ASSERT_INT(st->ops->begin(st, &msg), DAOC_OK);
    daoc_value *k = J("{'id':'" U1 "'}");
    daoc__key key = {-1, k};
    daoc_value *row = NULL;
    ASSERT_INT(st->ops->select(st, S_owners, &key, NULL, &row, &msg), DAOC_OK); /* prepared */
    daoc_value_free(row);
    row = NULL;
    int rc = st->deploy->exec(st, "ALTER TABLE pg_owners ALTER COLUMN name TYPE VARCHAR(80)", &msg);
    if (rc != DAOC_OK)
        fprintf(stderr, "  exec: %s\n", msg ? msg : "?");
    ASSERT_INT(rc, DAOC_OK);
    rc = st->ops->select(st, S_owners, &key, NULL, &row, &msg);
    if (rc != DAOC_OK)
        fprintf(stderr, "  select after the DDL: %s\n", msg ? msg : "?");
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_NOT_NULL(row);
    ASSERT_STR(daoc_obj_get(row, "name")->u.s, "a");
    daoc_value_free(row);
    row = NULL;
    /* the same through query (connector:query in an up_f) */
    daoc_value *none = NULL;
    rc = st->deploy->query(st, "ALTER TABLE pg_owners ALTER COLUMN name TYPE TEXT", NULL, &none,
                           &msg);
    ASSERT_INT(rc, DAOC_OK);
    daoc_value_free(none);
    rc = st->ops->select(st, S_owners, &key, NULL, &row, &msg);
    if (rc != DAOC_OK)
        fprintf(stderr, "  select after the query's DDL: %s\n", msg ? msg : "?");
    ASSERT_INT(rc, DAOC_OK);
    daoc_value_free(row);
    row = NULL;
    ASSERT_INT(st->ops->commit(st, &msg), DAOC_OK);
    /* and after the commit, on whichever pooled connection */
    ASSERT_INT(st->ops->select(st, S_owners, &key, NULL, &row, &msg), DAOC_OK);
    daoc_value_free(row);
    daoc_value_free(k);
    st->ops->close(st);
}

/* ---- a database Kong created ------------------------------------------------ */

/* Tables in the layout Kong's migrations leave (workspaces, consumers, and a
 * plugin's credentials table with a two-column foreign key), written here by
 * hand in a schema of their own, with one row Kong "wrote" in its default
 * workspace.  The unique constraints carry PostgreSQL's default names for
 * UNIQUE ("ws_id", col) (<t>_ws_id_<col>_key), the foreign keys the names
 * Kong's workspace migration gives them. */
static const char KONG_DDL[] =
    "SET client_min_messages TO WARNING;"
    "DROP SCHEMA IF EXISTS kongdb CASCADE; CREATE SCHEMA kongdb; SET search_path TO kongdb;"
    "CREATE TABLE workspaces (id UUID PRIMARY KEY, name TEXT UNIQUE, comment TEXT,"
    "  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),"
    "  updated_at TIMESTAMP WITH TIME ZONE, meta JSONB, config JSONB);"
    "INSERT INTO workspaces (id, name) VALUES ('" U3 "', 'default');"
    "CREATE TABLE consumers (id UUID PRIMARY KEY, created_at TIMESTAMP WITH TIME ZONE,"
    "  updated_at TIMESTAMP WITH TIME ZONE, username TEXT, custom_id TEXT, tags TEXT[],"
    "  ws_id UUID REFERENCES workspaces (id), UNIQUE (ws_id, username),"
    "  UNIQUE (ws_id, custom_id), UNIQUE (id, ws_id));"
    "CREATE TABLE creds (id UUID PRIMARY KEY, consumer_id UUID, key TEXT,"
    "  ws_id UUID REFERENCES workspaces (id), UNIQUE (ws_id, key), UNIQUE (id, ws_id),"
    "  CONSTRAINT creds_consumer_id_fkey FOREIGN KEY (consumer_id, ws_id)"
    "  REFERENCES consumers (id, ws_id) ON DELETE CASCADE);"
    "INSERT INTO consumers (id, created_at, username, ws_id) VALUES"
    "  ('" U1 "', '2024-01-02 03:04:05+00', 'kong-made', '" U3 "');";

/* A plugin entity like key-auth's credentials: workspaceable, a foreign key
 * to consumers (cascade), a unique key. */
static int add_creds(daoc_db *db)
{
    daoc_value *def = J("{'name':'creds','primary_key':['id'],'workspaceable':true,'fields':["
                        "{'id':{'type':'string','uuid':true,'auto':true}},"
                        "{'consumer':{'type':'foreign','reference':'consumers',"
                        "'on_delete':'cascade'}},{'key':{'type':'string','unique':true}}]}");
    daoc_error *err = NULL;
    int rc = daoc__db_add_entity(db, def, "kongplugin", &err);
    if (rc != DAOC_OK)
        fprintf(stderr, "  add creds: %s\n", err ? daoc_error_string(err) : "?");
    daoc_error_free(err);
    daoc_value_free(def);
    return rc;
}

TEST(a_database_kong_created_is_read_and_written)
{
    PGconn *c = raw();
    ASSERT_NOT_NULL(c);
    PGresult *r = PQexec(c, KONG_DDL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fprintf(stderr, "  %s", PQresultErrorMessage(r));
    ASSERT_INT(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);

    daoc_config *cfg = config();
    ASSERT_NOT_NULL(cfg);
    char why[200];
    ASSERT_INT(t_config_set(cfg, "pg_schema", "kongdb", why, sizeof why), DAOC_OK);
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    /* tables from the schemas: opening creates nothing unless asked */
    if (daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK)
        abort();
    int rc = daoc_db_open(&db, cfg, &err);
    daoc_config_free(cfg);
    if (rc != DAOC_OK)
        fprintf(stderr, "  open: %s\n", err ? daoc_error_string(err) : "?");
    ASSERT_INT(rc, DAOC_OK);
    /* Kong's default workspace is found, not made again */
    char got[200];
    query1(c, "SELECT count(*) FROM kongdb.workspaces", got, sizeof got);
    ASSERT_STR(got, "1");
    ASSERT_INT(add_creds(db), DAOC_OK);
    daoc_dao *consumers = daoc_db_dao(db, "consumers"), *creds = daoc_db_dao(db, "creds");

    /* the row Kong wrote reads as Kong would return it */
    daoc_value *key = daoc_str("kong-made"), *row = NULL;
    ASSERT_INT(daoc_dao_select_by(consumers, "username", key, NULL, &row, &err), DAOC_OK);
    ASSERT_NOT_NULL(row);
    ASSERT_STR(daoc_value_str(daoc_obj_get(row, "id"), NULL), U1);
    ASSERT_INT(daoc_value_int(daoc_obj_get(row, "created_at")), 1704164645);
    daoc_value_free(row);
    row = NULL;
    /* the unique constraint under its default name maps to the field */
    daoc_value *dup = J("{'username':'kong-made'}");
    ASSERT_INT(daoc_dao_insert(consumers, dup, NULL, &row, &err), DAOC_EDAO);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_UNIQUE_VIOLATION);
    ASSERT_STR(daoc_error_message(err), "UNIQUE violation detected on '{username=\"kong-made\"}'");
    daoc_error_free(err);
    err = NULL;
    daoc_value_free(dup);

    /* what daoc writes lands in Kong's default workspace, where Kong reads */
    daoc_value *cred = J("{'consumer':{'id':'" U1 "'},'key':'k1'}");
    ASSERT_INT(daoc_dao_insert(creds, cred, NULL, &row, &err), DAOC_OK);
    daoc_value_free(row);
    row = NULL;
    daoc_value_free(cred);
    query1(c, "SELECT ws_id FROM kongdb.creds WHERE key = 'k1'", got, sizeof got);
    ASSERT_STR(got, U3);
    /* the two-column foreign key under its Kong name maps to the field */
    cred = J("{'consumer':{'id':'" U2 "'},'key':'k2'}");
    ASSERT_INT(daoc_dao_insert(creds, cred, NULL, &row, &err), DAOC_EDAO);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_FOREIGN_KEY_VIOLATION);
    ASSERT_STR(daoc_error_message(err), "the foreign key '{id=\"" U2 "\"}' does not reference an "
                                        "existing 'consumers' entity.");
    daoc_error_free(err);
    err = NULL;
    daoc_value_free(cred);
    /* and Kong's cascade removes the credential with its consumer */
    daoc_value *pk = J("{'id':'" U1 "'}");
    ASSERT_INT(daoc_dao_delete(consumers, pk, NULL, &err), DAOC_OK);
    daoc_value_free(pk);
    query1(c, "SELECT count(*) FROM kongdb.creds", got, sizeof got);
    ASSERT_STR(got, "0");
    daoc_value_free(key);
    daoc_db_close(db);
    r = PQexec(c, "DROP SCHEMA kongdb CASCADE");
    PQclear(r);
    PQfinish(c);
}

/* The layout daoc derives for workspaceable entities is the one Kong's
 * workspace migration leaves (names included). */
TEST(workspaceable_tables_get_kongs_ws_id_layout)
{
    PGconn *c = raw();
    ASSERT_NOT_NULL(c);
    PQclear(PQexec(c, "SET client_min_messages TO WARNING; DROP SCHEMA IF EXISTS daocws CASCADE;"
                      "CREATE SCHEMA daocws"));
    daoc_config *cfg = config();
    ASSERT_NOT_NULL(cfg);
    char why[200], got[600];
    ASSERT_INT(t_config_set(cfg, "pg_schema", "daocws", why, sizeof why), DAOC_OK);
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    /* tables from the schemas: opening creates nothing unless asked */
    if (daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK)
        abort();
    ASSERT_INT(daoc_db_open(&db, cfg, &err), DAOC_OK);
    daoc_config_free(cfg);
    ASSERT_INT(add_creds(db), DAOC_OK);
    query1(c,
           "SELECT string_agg(conname || ':' || pg_get_constraintdef(oid), ' | ' ORDER BY conname) "
           "FROM pg_constraint WHERE conrelid = 'daocws.creds'::regclass",
           got, sizeof got);
    ASSERT_STR(got, "creds_consumer_id_fkey:FOREIGN KEY (consumer_id, ws_id) REFERENCES "
                    "daocws.consumers(id, ws_id) ON DELETE CASCADE | "
                    "creds_id_ws_id_unique:UNIQUE (id, ws_id) | "
                    "creds_pkey:PRIMARY KEY (id) | "
                    "creds_ws_id_fkey:FOREIGN KEY (ws_id) REFERENCES daocws.workspaces(id) | "
                    "creds_ws_id_key_unique:UNIQUE (ws_id, key)");
    query1(c, "SELECT name FROM daocws.workspaces", got, sizeof got);
    ASSERT_STR(got, "default");
    daoc_db_close(db);
    PQclear(PQexec(c, "SET client_min_messages TO WARNING; DROP SCHEMA daocws CASCADE"));
    PQfinish(c);
}

/* A database an earlier daoc made (consumers without ws_id): opening it
 * adds the column and puts its rows in the default workspace (store.h,
 * default_ws). */
TEST(tables_from_before_workspaces_are_upgraded_at_open)
{
    PGconn *c = raw();
    ASSERT_NOT_NULL(c);
    PGresult *r = PQexec(c, "SET client_min_messages TO WARNING;"
                            "DROP SCHEMA IF EXISTS oldws CASCADE; CREATE SCHEMA oldws;"
                            "CREATE TABLE oldws.consumers (id UUID PRIMARY KEY, "
                            "created_at TIMESTAMP WITH TIME ZONE, updated_at TIMESTAMP WITH TIME "
                            "ZONE, username TEXT UNIQUE, custom_id TEXT UNIQUE, tags TEXT[]);"
                            "INSERT INTO oldws.consumers (id, username) VALUES ('" U1 "', 'old');");
    ASSERT_INT(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    daoc_config *cfg = config();
    ASSERT_NOT_NULL(cfg);
    char why[200], got[200];
    ASSERT_INT(t_config_set(cfg, "pg_schema", "oldws", why, sizeof why), DAOC_OK);
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    /* tables from the schemas: opening creates nothing unless asked */
    if (daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK)
        abort();
    int rc = daoc_db_open(&db, cfg, &err);
    if (rc != DAOC_OK)
        fprintf(stderr, "  open: %s\n", err ? daoc_error_string(err) : "?");
    ASSERT_INT(rc, DAOC_OK);
    daoc_config_free(cfg);
    daoc_value *key = daoc_str("old"), *row = NULL;
    ASSERT_INT(daoc_dao_select_by(daoc_db_dao(db, "consumers"), "username", key, NULL, &row, &err),
               DAOC_OK);
    ASSERT_NOT_NULL(row);
    daoc_value_free(row);
    daoc_value_free(key);
    query1(c, "SELECT count(*) FROM oldws.consumers c JOIN oldws.workspaces w ON w.id = c.ws_id "
              "AND w.name = 'default'",
           got, sizeof got);
    ASSERT_STR(got, "1");
    daoc_db_close(db);
    PQclear(PQexec(c, "SET client_min_messages TO WARNING; DROP SCHEMA oldws CASCADE"));
    PQfinish(c);
}

/* Deletes the row `id` of s and checks that the store handed back the row
 * select read just before (the remaining ttl may tick by a second), then
 * that nothing is left to delete. */
static void delete_gives_selected(daoc__store *st, const daoc__schema *s, const char *id)
{
    daoc_value *before = sel(st, s, id), *k = daoc_obj(), *gone = NULL;
    ASSERT_NOT_NULL(before);
    ASSERT_INT(daoc_obj_set(k, "id", daoc_str(id)), DAOC_OK);
    daoc__key key = {-1, k};
    daoc__violation viol;
    char *msg = NULL;
    ASSERT_INT(st->ops->delete(st, s, &key, NULL, &gone, &viol, &msg), DAOC_OK);
    ASSERT_NOT_NULL(gone);
    const daoc_value *bt = daoc_obj_get(before, "ttl");
    if (bt && daoc_value_type(bt) == DAOC_TINT) {
        int64_t d = daoc_value_int(bt) - daoc_value_int(daoc_obj_get(gone, "ttl"));
        ASSERT_TRUE(d >= 0 && d <= 1);
        ASSERT_INT(daoc_obj_set(gone, "ttl", daoc_value_copy(bt)), DAOC_OK);
    }
    char *bj = enc(before), *gj = enc(gone);
    ASSERT_NOT_NULL(bj);
    ASSERT_NOT_NULL(gj);
    int same = strcmp(bj, gj) == 0;
    if (!same)
        fprintf(stderr, "  selected %s\n  deleted  %s\n", bj, gj);
    daoc_free(bj);
    daoc_free(gj);
    ASSERT_TRUE(same);
    daoc_value_free(gone);
    daoc_value *sentinel = daoc_obj();
    gone = sentinel;
    ASSERT_INT(st->ops->delete(st, s, &key, NULL, &gone, &viol, &msg), DAOC_OK);
    daoc_value_free(sentinel);
    ASSERT_NULL(gone); /* no row matched */
    daoc_value_free(k);
    daoc_value_free(before);
}

TEST(delete_returns_the_row_select_saw)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    ASSERT_INT(insj(st, S_owners, "{'id':'" U1 "','name':'o'}", NULL), DAOC_OK);
    daoc_value *e =
        J("{'id':'" U2 "','created_at':1700000000,'seen_at':1700000000.25,'owner':{'id':'" U1 "'},"
          "'kind':'k','code':'c','n':-9007199254740993,'ratio':0.1,'on':true,"
          "'words':['a,b','{x}','NULL',''],'refs':['" U3 "'],'ports':[80,443],"
          "'conf':{'a':'x','b':2,'deep':{'k':'v'}},'tags':['t1','t2']}");
    ASSERT_INT(ins(st, S_things, e, "pg_things:" U1 ":k::::", NULL, NULL), DAOC_OK);
    daoc_value_free(e);
    ASSERT_INT(insj(st, S_pins, "{'id':'" U3 "','owner':{'id':'" U1 "'}}", NULL), DAOC_OK);
    e = J("{'id':'" U3 "','v':'x'}");
    daoc__write_opts o100 = {.has_ttl = true, .ttl = 100};
    daoc__violation viol;
    char *msg = NULL;
    daoc_value *row = NULL;
    ASSERT_INT(st->ops->insert(st, S_exp, e, &o100, &row, &viol, &msg), DAOC_OK);
    daoc_value_free(row);
    daoc_value_free(e);

    delete_gives_selected(st, S_things, U2);
    if (t_failed_now)
        return;
    delete_gives_selected(st, S_exp, U3);
    if (t_failed_now)
        return;

    /* restrict: refused, nothing handed back, the row stays */
    daoc_value *k = J("{'id':'" U1 "'}"), *sentinel = daoc_obj(), *gone = sentinel;
    daoc__key key = {-1, k};
    ASSERT_INT(st->ops->delete(st, S_owners, &key, NULL, &gone, &viol, &msg), DAOC_ECONSTRAINT);
    daoc_value_free(sentinel);
    ASSERT_NULL(gone);
    ASSERT_INT(viol.kind, DAOC__VIOL_RESTRICT);
    daoc_value *still = sel(st, S_owners, U1);
    ASSERT_NOT_NULL(still);
    daoc_value_free(still);
    daoc_value_free(k);
    delete_gives_selected(st, S_pins, U3);
    if (t_failed_now)
        return;
    /* row NULL: the row is not wanted, still deleted */
    ASSERT_INT(insj(st, S_owners, "{'id':'" U4 "','name':'n'}", NULL), DAOC_OK);
    k = J("{'id':'" U4 "'}");
    key.key = k;
    ASSERT_INT(st->ops->delete(st, S_owners, &key, NULL, NULL, &viol, &msg), DAOC_OK);
    ASSERT_NULL(sel(st, S_owners, U4));
    daoc_value_free(k);
    delete_gives_selected(st, S_owners, U1);
    if (t_failed_now)
        return;
    st->ops->close(st);
}

/* ---- the tags table (store/tags.h) ---------------------------------------- */

/* The (entity/tag) pairs of the tags view, every page of `size`, pages
 * separated by '|'. */
static void pg_tag_pairs(daoc__store *st, const char *tag, int64_t size, char *buf, size_t n)
{
    daoc_value *rows = NULL, *next = NULL, *after = NULL, *tv = tag ? daoc_str(tag) : NULL;
    char *msg = NULL;
    size_t used = 0;
    buf[0] = 0;
    do {
        if (st->ops->page_tags(st, tv, after, size, &rows, &next, &msg) != DAOC_OK) {
            snprintf(buf, n, "error: %s", msg ? msg : "?");
            daoc__free(msg);
            break;
        }
        for (size_t i = 0; i < rows->len && used < n; i++) {
            const daoc_value *r = rows->u.a[i];
            used += (size_t)snprintf(buf + used, n - used, "%s%s/%s",
                                     used && buf[used - 1] != '|' ? "," : "",
                                     daoc_obj_get(r, "entity_id")->u.s + 33,
                                     daoc_obj_get(r, "tag")->u.s);
        }
        daoc_value_free(rows);
        daoc_value_free(after);
        after = next;
        if (after && used < n)
            used += (size_t)snprintf(buf + used, n - used, "|");
    } while (after && used < n);
    daoc_value_free(tv);
}

/* Rows are kept in "tags" by the triggers ensure_table makes (row events and
 * TRUNCATE); a table whose rows predate its triggers has them copied in
 * once, when the triggers are made. */
TEST(tags_are_kept_paged_and_backfilled)
{
    daoc__store *st = open_store();
    ASSERT_NOT_NULL(st);
    PGconn *c = raw();
    ASSERT_NOT_NULL(c);
    ASSERT_INT(insj(st, S_things, "{'id':'" U2 "','tags':['red','big']}", NULL), DAOC_OK);
    ASSERT_INT(insj(st, S_things, "{'id':'" U1 "','tags':['big']}", NULL), DAOC_OK);
    ASSERT_INT(insj(st, S_things, "{'id':'" U3 "','tags':null}", NULL), DAOC_OK);
    char buf[400], got[200];
    pg_tag_pairs(st, NULL, 100, buf, sizeof buf);
    ASSERT_STR(buf, "001/big,002/red,002/big");
    pg_tag_pairs(st, NULL, 2, buf, sizeof buf);
    ASSERT_STR(buf, "001/big,002/red|002/big");
    pg_tag_pairs(st, "big", 1, buf, sizeof buf);
    ASSERT_STR(buf, "001/big|002/big");
    query1(c, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'pg_things'::regclass AND NOT tgisinternal "
                 "AND tgname NOT LIKE '%_daoc_events_%'", got,
           sizeof got);
    ASSERT_STR(got, "2");
    /* a TRUNCATE fires no row trigger: the statement trigger clears them */
    char *msg = NULL;
    ASSERT_INT(st->ops->truncate(st, S_things, &msg), DAOC_OK);
    pg_tag_pairs(st, NULL, 100, buf, sizeof buf);
    ASSERT_STR(buf, "");

    /* a table from before the triggers: rows, no triggers, nothing in tags */
    ASSERT_INT(insj(st, S_things, "{'id':'" U4 "','tags':['old']}", NULL), DAOC_OK);
    st->ops->close(st);
    PGresult *r = PQexec(c, "DROP TRIGGER pg_things_sync_tags_trigger ON pg_things;"
                            "DROP TRIGGER pg_things_sync_tags_truncate ON pg_things;"
                            "DELETE FROM tags");
    ASSERT_INT(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    daoc_config *cfg = config();
    st = NULL;
    ASSERT_INT(daoc__pg_open(&st, cfg, &msg), DAOC_OK);
    ASSERT_INT(st->ops->ensure_table(st, S_things, &msg), DAOC_OK);
    pg_tag_pairs(st, NULL, 100, buf, sizeof buf);
    ASSERT_STR(buf, "004/old");
    st->ops->close(st);
    /* a second open finds the triggers and copies nothing again */
    st = NULL;
    ASSERT_INT(daoc__pg_open(&st, cfg, &msg), DAOC_OK);
    ASSERT_INT(st->ops->ensure_table(st, S_things, &msg), DAOC_OK);
    pg_tag_pairs(st, NULL, 100, buf, sizeof buf);
    ASSERT_STR(buf, "004/old");
    query1(c, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'pg_things'::regclass AND NOT tgisinternal "
                 "AND tgname NOT LIKE '%_daoc_events_%'", got,
           sizeof got);
    ASSERT_STR(got, "2");
    daoc_config_free(cfg);
    ASSERT_INT(st->ops->truncate(st, S_things, &msg), DAOC_OK);
    st->ops->close(st);
    PQfinish(c);
}

/* A database where Kong made the tags table and the trigger of consumers
 * (its core migrations' layout; the function written here to behave as
 * Kong's does): daoc reads Kong's rows, keeps Kong's trigger rather than
 * adding its own, and its writes reach the tags table through it. */
TEST(kongs_tags_table_and_trigger_are_used_as_they_are)
{
    PGconn *c = raw();
    ASSERT_NOT_NULL(c);
    PGresult *r = PQexec(c, KONG_DDL);
    ASSERT_INT(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    r = PQexec(c,
               "SET search_path TO kongdb;"
               "CREATE TABLE tags (entity_id UUID PRIMARY KEY, entity_name TEXT, tags TEXT[]);"
               "CREATE FUNCTION sync_tags() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
               "  IF (TG_OP = 'DELETE') THEN DELETE FROM tags WHERE entity_id = OLD.id;"
               "  RETURN OLD; END IF;"
               "  INSERT INTO tags VALUES (NEW.id, TG_TABLE_NAME, NEW.tags) ON CONFLICT"
               "  (entity_id) DO UPDATE SET tags = EXCLUDED.tags; RETURN NEW; END; $$;"
               "CREATE TRIGGER consumers_sync_tags_trigger AFTER INSERT OR UPDATE OF tags OR"
               "  DELETE ON consumers FOR EACH ROW EXECUTE PROCEDURE sync_tags();"
               "UPDATE consumers SET tags = '{from-kong}' WHERE id = '" U1 "';");
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fprintf(stderr, "  %s", PQresultErrorMessage(r));
    ASSERT_INT(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);

    daoc_config *cfg = config();
    ASSERT_NOT_NULL(cfg);
    char why[200];
    ASSERT_INT(t_config_set(cfg, "pg_schema", "kongdb", why, sizeof why), DAOC_OK);
    if (daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK)
        abort();
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    int rc = daoc_db_open(&db, cfg, &err);
    daoc_config_free(cfg);
    if (rc != DAOC_OK)
        fprintf(stderr, "  open: %s\n", err ? daoc_error_string(err) : "?");
    ASSERT_INT(rc, DAOC_OK);
    char got[300];
    query1(c, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'kongdb.consumers'::regclass AND NOT tgisinternal "
                 "AND tgname NOT LIKE '%_daoc_events_%'",
           got, sizeof got);
    ASSERT_STR(got, "1");
    daoc_dao *tags = daoc_db_dao(db, "tags"), *consumers = daoc_db_dao(db, "consumers");
    ASSERT_NOT_NULL(tags);
    daoc_value *rows = NULL, *tag = daoc_str("from-kong");
    char *next = NULL;
    ASSERT_INT(daoc_dao_page_by_tag(tags, tag, 0, NULL, NULL, &rows, &next, &err), DAOC_OK);
    char *text = enc(rows);
    ASSERT_STR(text, "[{\"tag\":\"from-kong\",\"entity_name\":\"consumers\",\"entity_id\":\"" U1
                     "\"}]");
    daoc__free(text);
    daoc_value_free(rows);
    daoc_value_free(tag);
    daoc_value *e = J("{'username':'daoc-made','tags':['from-daoc']}"), *row = NULL;
    ASSERT_INT(daoc_dao_insert(consumers, e, NULL, &row, &err), DAOC_OK);
    daoc_value_free(e);
    daoc_value_free(row);
    query1(c, "SELECT string_agg(array_to_string(tags, ','), ';' ORDER BY tags) FROM kongdb.tags",
           got, sizeof got);
    ASSERT_STR(got, "from-daoc;from-kong");
    daoc_db_close(db);
    r = PQexec(c, "DROP SCHEMA kongdb CASCADE");
    PQclear(r);
    PQfinish(c);
}
