/*
 * test_sql_shapes.c -- pins the bytes of every statement both SQL stores
 * generate.  For a set of representative schemas (plain, composite and
 * timestamp primary keys, workspaceable, ttl, tags, cache_key, foreign keys
 * of every on_delete rule, unique fields, primary-key-only tables) it builds
 * the SQL text of every statement code of daoc__sq_sql and daoc__pg_sql
 * (and the parameter plan of the PostgreSQL ones, and both DDLs) and
 * compares an FNV-1a hash of it per schema with the value recorded here.
 * A change of the generated SQL must be deliberate: update the hashes (run
 * with DAOC_SQL_SHAPES_OUT=<file> to get the full text for a diff and the
 * new values).  The query shapes (store/sql_query.c), built per call
 * from a daoc__page_query, are pinned as text for a few representative
 * queries.  Runs no SQL and needs no database.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/value.h"
#include "errtext.h"
#include "harness.h"
#include "schema/schema.h"
#include "store/postgres/pg_int.h"
#include "store/registry.h"
#include "store/sqlite/sqlite_int.h"

#define UUID_F "{'type':'string','uuid':true}"
#define TAGS_F "{'type':'set','elements':{'type':'string'}}"

/* Definitions in single-quote JSON; order = reference order. */
static const char *const DEFS[] = {
    "{'name':'services','primary_key':['id'],'endpoint_key':'name','fields':["
    "{'id':" UUID_F "},{'created_at':{'type':'integer','timestamp':true,'auto':true}},"
    "{'name':{'type':'string','unique':true}},{'port':{'type':'integer'}},"
    "{'enabled':{'type':'boolean'}},{'weight':{'type':'number'}},"
    "{'hosts':{'type':'array','elements':{'type':'string'}}},"
    "{'headers':{'type':'map','keys':{'type':'string'},'values':{'type':'string'}}},"
    "{'conf':{'type':'record','fields':[{'a':{'type':'integer'}},{'b':{'type':'string'}}]}},"
    "{'blob':{'type':'json','json_schema':{'inline':{}}}},"
    "{'scratch':{'type':'string','transient':true}},{'tags':" TAGS_F "}]}",

    "{'name':'routes','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'name':{'type':'string','unique':true}},"
    "{'service':{'type':'foreign','reference':'services','on_delete':'cascade'}},"
    "{'tags':" TAGS_F "}]}",

    "{'name':'plugins','primary_key':['id'],'cache_key':['name','service'],'fields':["
    "{'id':" UUID_F "},{'name':{'type':'string'}},"
    "{'service':{'type':'foreign','reference':'services','on_delete':'null'}}]}",

    "{'name':'consumers','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'username':{'type':'string','unique':true}}]}",

    "{'name':'keyauth_credentials','primary_key':['id'],'ttl':true,'fields':["
    "{'id':" UUID_F "},{'created_at':{'type':'integer','timestamp':true,'auto':true}},"
    "{'consumer':{'type':'foreign','reference':'consumers'}},"
    "{'key':{'type':'string','unique':true}}]}",

    "{'name':'acls','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'consumer':{'type':'foreign','reference':'consumers','on_delete':'restrict'}},"
    "{'group':{'type':'string'}}]}",

    "{'name':'metrics','primary_key':['a','b'],'fields':[{'a':{'type':'string'}},"
    "{'b':{'type':'integer'}},{'value':{'type':'integer'}}]}",

    /* a TTL parent held by RESTRICT directly and through a cascade child */
    "{'name':'tparents','primary_key':['id'],'ttl':true,'fields':[{'id':" UUID_F "},"
    "{'name':{'type':'string'}}]}",

    "{'name':'tkids_r','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'parent':{'type':'foreign','reference':'tparents'}}]}",

    "{'name':'tkids_c','primary_key':['id'],'ttl':true,'fields':[{'id':" UUID_F "},"
    "{'parent':{'type':'foreign','reference':'tparents','on_delete':'cascade'}}]}",

    "{'name':'tgrand_r','primary_key':['id'],'fields':[{'id':" UUID_F "},"
    "{'kid':{'type':'foreign','reference':'tkids_c'}}]}",

    /* workspaceable: unique per workspace and across them, a ws foreign key */
    "{'name':'wparents','primary_key':['id'],'endpoint_key':'name','workspaceable':true,"
    "'ttl':true,'fields':[{'id':" UUID_F "},"
    "{'name':{'type':'string','unique':true,'required':true}},"
    "{'code':{'type':'string','unique':true,'unique_across_ws':true}},{'tags':" TAGS_F "}]}",

    "{'name':'wkids','primary_key':['id'],'workspaceable':true,'cache_key':['parent','label'],"
    "'fields':[{'id':" UUID_F "},"
    "{'parent':{'type':'foreign','reference':'wparents','on_delete':'cascade'}},"
    "{'label':{'type':'string'}}]}",

    "{'name':'creds','primary_key':['id'],'workspaceable':true,'fields':["
    "{'id':{'type':'string','uuid':true,'auto':true}},"
    "{'consumer':{'type':'foreign','reference':'consumers','on_delete':'cascade'}},"
    "{'key':{'type':'string','unique':true}}]}",

    /* a timestamp in a composite primary key, with ttl and workspaces */
    "{'name':'events','primary_key':['at','name'],'ttl':true,'workspaceable':true,'fields':["
    "{'at':{'type':'integer','timestamp':true}},{'name':{'type':'string'}},"
    "{'seen':{'type':'number','timestamp':true}},{'n':{'type':'integer'}}]}",

    /* primary-key columns only: the no-op SET of update and upsert */
    "{'name':'pairs','primary_key':['a','b'],'fields':[{'a':{'type':'string'}},"
    "{'b':{'type':'string'}}]}",

    "{'name':'marks','primary_key':['id'],'ttl':true,'workspaceable':true,'fields':["
    "{'id':" UUID_F "}]}",
    NULL};

#define NDEFS (sizeof DEFS / sizeof DEFS[0] - 1)

/* FNV-1a hashes per schema of the SQLite and the PostgreSQL text, recorded
 * from the two generators as they were before src/store/sql_shape.c (the
 * two marked: re-recorded when the DDL gained created_at's index). */
static const uint64_t WANT[NDEFS][2] = {
    {0xea8d39419e4ec2acull, 0x5c91cd43aa586a2full}, /* services (+ created_at index) */
    {0xb925f6edb5b22ffaull, 0x0991f2d86d44c2c4ull}, /* routes */
    {0x7ec61bbe4647d478ull, 0x188ac568edc8a27bull}, /* plugins */
    {0x83ed43755545b882ull, 0x756b32cb3cb31446ull}, /* consumers */
    {0x23fa5c471c1f2116ull, 0xdbca342ce3b51a93ull}, /* keyauth_credentials (+ created_at index) */
    {0xe76025ee9d9707c4ull, 0xcef0dbb4e5d7827aull}, /* acls */
    {0xe8b745bb435897e7ull, 0x1c09c3f990260247ull}, /* metrics */
    {0x69c55dd44a26b666ull, 0x5d09c94514299e4eull}, /* tparents */
    {0x1b16b7872d0a8d3full, 0x86a76f14c2900467ull}, /* tkids_r */
    {0xdd5dfc034b3aac3aull, 0xdf7fd66eac58775full}, /* tkids_c */
    {0xf9431e279de8f3faull, 0xf0dab885a34059ccull}, /* tgrand_r */
    {0xd3701f69763c48a2ull, 0x506c2229ff3fb44bull}, /* wparents */
    {0x2433f4c113df256aull, 0xb401abd67bd8c14bull}, /* wkids */
    {0x0a6826011d839b02ull, 0x59c8e8cd3f62e988ull}, /* creds */
    {0x504249c9132f6c66ull, 0xaa10607116154868ull}, /* events */
    {0x19f9faa579e70afbull, 0x870b866811594b08ull}, /* pairs */
    {0x901c38fd4c5d355eull, 0x1b46f70a0929c520ull}, /* marks */
};

static daoc__schema *g_s[NDEFS];
static size_t g_n;
static daoc__store_registry g_reg;

static const daoc__schema *lookup(void *ud, const char *name)
{
    (void)ud;
    for (size_t i = 0; i < g_n; i++)
        if (strcmp(g_s[i]->name, name) == 0)
            return g_s[i];
    return NULL;
}

static int load(void)
{
    if (g_n == NDEFS)
        return 0;
    for (size_t i = 0; i < NDEFS; i++) {
        char text[2048];
        snprintf(text, sizeof text, "%s", DEFS[i]);
        for (char *p = text; *p; p++)
            if (*p == '\'')
                *p = '"';
        daoc_value *def = NULL;
        char err[200];
        char *msg = NULL;
        if (t_json_decode(text, strlen(text), &def, err, sizeof err) != DAOC_OK) {
            fprintf(stderr, "  bad JSON %zu: %s\n", i, err);
            return -1;
        }
        int rc = daoc__schema_compile(def, lookup, NULL, &g_s[i], &msg);
        daoc_value_free(def);
        if (rc != DAOC_OK) {
            fprintf(stderr, "  compile %zu: %s\n", i, msg ? msg : "?");
            daoc__free(msg);
            return -1;
        }
        g_n++;
        if (daoc__registry_add(&g_reg, g_s[i]) != DAOC_OK)
            return -1;
    }
    return 0;
}

static uint64_t fnv(uint64_t h, const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)t[i]) * 0x100000001b3ull;
    return h;
}

#define FNV0 0xcbf29ce484222325ull

/* Appends one statement's line to out and its bytes to *h. */
static void emit(daoc__buf *out, uint64_t *h, const char *store, const daoc__schema *s,
                 uint32_t code, const char *sql, size_t n)
{
    daoc__buf_printf(out, "%s %s %08" PRIx32 ": ", store, s->name, code);
    daoc__buf_append(out, sql, n);
    daoc__buf_putc(out, '\n');
    *h = fnv(*h, (const char *)&code, sizeof code);
    *h = fnv(*h, sql, n);
    *h = fnv(*h, "\n", 1);
}

/* The (field, variant) pairs worth generating for operation op. */
static bool uses_key(int op, bool pg)
{
    if (pg)
        return op == PG_OP_SELECT || op == PG_OP_UPDATE || op == PG_OP_UPSERT || op == PG_OP_DELETE;
    return op == SQ_OP_SELECT || op == SQ_OP_UPDATE || op == SQ_OP_UPSERT || op == SQ_OP_DELETE ||
           op == SQ_OP_PROBE_FK;
}

static bool field_ok(const daoc__schema *s, int op, bool pg, long f)
{
    bool page = op == (pg ? PG_OP_PAGE : SQ_OP_PAGE);
    if (page)
        return f == -1 ||
               (f >= 0 && s->fields[f].type == DAOC__F_FOREIGN && !s->fields[f].transient);
    if (!uses_key(op, pg))
        return f == -1;
    if (f == DAOC__KEY_CACHE_KEY)
        return s->ncache_key > 1;
    return f == -1 || !s->fields[f].transient;
}

static uint64_t gen_sq(const daoc__schema *s, daoc__buf *out)
{
    uint64_t h = FNV0;
    daoc__buf b = DAOC__BUF_INIT;
    daoc__sq_ddl(&b, s);
    daoc__sq_ws_index_ddl(&b, s);
    emit(out, &h, "sq", s, 0, b.data ? b.data : "", b.len);
    daoc__buf_free(&b);
    for (int op = SQ_OP_SELECT; op <= SQ_OP_TRUNCATE; op++) {
        unsigned nv = op == SQ_OP_PAGE ? 64 : 16;
        for (long f = -2; f < (long)s->nfields; f++) {
            if (!field_ok(s, op, false, f))
                continue;
            for (unsigned v = 0; v < nv; v++) {
                uint32_t code = daoc__sq_code(op, f, v);
                daoc__buf t = DAOC__BUF_INIT;
                daoc__sq_sql(&t, s, code, &g_reg);
                emit(out, &h, "sq", s, code, t.data ? t.data : "", t.len);
                daoc__buf_free(&t);
            }
        }
    }
    return h;
}

static uint64_t gen_pg(const daoc__schema *s, daoc__buf *out)
{
    uint64_t h = FNV0;
    daoc__buf b = DAOC__BUF_INIT;
    daoc__pg_ddl(&b, s);
    emit(out, &h, "pg", s, 0, b.data ? b.data : "", b.len);
    daoc__buf_free(&b);
    for (int op = PG_OP_SELECT; op <= PG_OP_TRUNCATE; op++) {
        unsigned nv = op == PG_OP_PAGE ? 64 : 16;
        for (long f = -2; f < (long)s->nfields; f++) {
            if (!field_ok(s, op, true, f))
                continue;
            for (unsigned v = 0; v < nv; v++) {
                uint32_t code = daoc__pg_code(op, f, v);
                pg_sqlb sb = {DAOC__BUF_INIT, NULL, 0, 0, false, &g_reg};
                daoc__pg_sql(&sb, s, code);
                daoc__buf_puts(&sb.b, " --");
                for (int i = 0; i < sb.nparams; i++)
                    daoc__buf_printf(&sb.b, " %u:%" PRIu32, (unsigned)sb.params[i].kind,
                                     sb.params[i].idx);
                if (sb.failed)
                    daoc__buf_puts(&sb.b, " FAILED");
                emit(out, &h, "pg", s, code, sb.b.data, sb.b.len);
                daoc__buf_free(&sb.b);
                daoc__free(sb.params);
            }
        }
    }
    return h;
}

TEST(statement_text_is_unchanged)
{
    ASSERT_INT(load(), 0);
    daoc__buf out = DAOC__BUF_INIT;
    int bad = 0;
    for (size_t i = 0; i < NDEFS; i++) {
        uint64_t hs = gen_sq(g_s[i], &out), hp = gen_pg(g_s[i], &out);
        printf("  %-22s sq 0x%016" PRIx64 "ull pg 0x%016" PRIx64 "ull\n", g_s[i]->name, hs, hp);
        if (hs != WANT[i][0] || hp != WANT[i][1]) {
            fprintf(stderr, "  %s: SQL text changed (sq %s, pg %s)\n", g_s[i]->name,
                    hs != WANT[i][0] ? "differs" : "same", hp != WANT[i][1] ? "differs" : "same");
            bad++;
        }
    }
    ASSERT_TRUE(!out.failed);
    const char *path = getenv("DAOC_SQL_SHAPES_OUT");
    if (path && *path) {
        FILE *fp = fopen(path, "w");
        ASSERT_TRUE(fp != NULL);
        fwrite(out.data, 1, out.len, fp);
        fclose(fp);
    }
    daoc__buf_free(&out);
    daoc__registry_free(&g_reg);
    for (size_t i = 0; i < g_n; i++)
        daoc__schema_free(g_s[i]);
    g_n = 0;
    ASSERT_INT(bad, 0);
}

/* ---- the query shapes (store/sql_query.c), built per call ----------------- */

static const daoc__schema *named(const char *name)
{
    for (size_t i = 0; i < g_n; i++)
        if (strcmp(g_s[i]->name, name) == 0)
            return g_s[i];
    return NULL;
}

/* The SQLite and PostgreSQL text (with its plan) of shape st of s. */
static void query_text(const daoc__schema *s, const daoc__sh_stmt *st, daoc__buf *sq, daoc__buf *pg)
{
    daoc__sq_sql_stmt(sq, s, st);
    pg_sqlb sb = {DAOC__BUF_INIT, NULL, 0, 0, false, &g_reg};
    daoc__pg_sql_stmt(&sb, s, st);
    daoc__buf_puts(&sb.b, " --");
    for (int i = 0; i < sb.nparams; i++)
        daoc__buf_printf(&sb.b, " %u:%" PRIu32, (unsigned)sb.params[i].kind, sb.params[i].idx);
    daoc__buf_append(pg, sb.b.data, sb.b.len);
    daoc__buf_putc(pg, '\0');
    daoc__buf_putc(sq, '\0');
    daoc__buf_free(&sb.b);
    daoc__free(sb.params);
}

#define SHAPE(s, st, want_sq, want_pg)                                                             \
    do {                                                                                           \
        daoc__buf a_ = DAOC__BUF_INIT, b_ = DAOC__BUF_INIT;                                        \
        query_text(s, st, &a_, &b_);                                                               \
        bool same_ = strcmp(a_.data, want_sq) == 0 && strcmp(b_.data, want_pg) == 0;               \
        if (!same_)                                                                                \
            fprintf(stderr, "  sq: %s\n  pg: %s\n", a_.data, b_.data);                             \
        daoc__buf_free(&a_);                                                                       \
        daoc__buf_free(&b_);                                                                       \
        if (!same_)                                                                                \
            shapes_bad++;                                                                          \
    } while (0)

TEST(query_shapes)
{
    int shapes_bad = 0;
    ASSERT_INT(load(), 0);
    const daoc__schema *routes = named("routes"), *wp = named("wparents");
    ASSERT_NOT_NULL(routes);
    ASSERT_NOT_NULL(wp);
    long name = daoc__schema_field_index(routes, "name", 4);
    long service = daoc__schema_field_index(routes, "service", 7);
    long wname = daoc__schema_field_index(wp, "name", 4);
    daoc_value *v = daoc_str("m");
    daoc__page_cond conds[2] = {{name, DAOC__Q_GTE, v}, {name, DAOC__Q_LT, v}};

    /* a range, sorted on a nullable foreign key after a row with one: the
     * rows with values after it, then every null */
    daoc__page_query q = {conds, 2, service, false, v};
    uint8_t parts[2];
    ASSERT_INT(daoc__sh_query_parts(routes, &q, true, false, parts), 2);
    ASSERT_INT(parts[0], DAOC__SH_PART_VALUES);
    ASSERT_INT(parts[1], DAOC__SH_PART_NULLS);
    daoc__sh_stmt st = {.op = DAOC__SH_QUERY, .field = -1, .query = &q, .tags_all = true};
    daoc__sh_query_part(&st, parts[0], true, false);
    SHAPE(routes, &st,
          "SELECT \"id\", \"name\", \"service_id\", \"tags\" FROM \"routes\" AS \"t\" WHERE 1 AND "
          "NOT EXISTS (SELECT 1 FROM json_each(?10) AS \"r\" WHERE \"r\".value NOT IN (SELECT "
          "\"e\".value FROM json_each(\"t\".\"tags\") AS \"e\")) AND \"name\" >= ?14 AND \"name\" "
          "< ?15 AND \"service_id\" IS NOT NULL AND \"service_id\" >= ?13 AND (\"service_id\" > "
          "?13 OR (\"id\") > (?12)) ORDER BY \"service_id\" ASC, \"id\" ASC LIMIT ?11",
          "SELECT \"id\", \"name\", \"service_id\", \"tags\" FROM \"routes\" WHERE TRUE AND "
          "\"tags\" @> $1::TEXT[] AND \"name\" >= $2 AND \"name\" < $3 AND \"service_id\" IS NOT "
          "NULL AND \"service_id\" >= $4 AND (\"service_id\" > $5 OR (\"id\") > ($6)) ORDER BY "
          "\"service_id\" ASC, \"id\" ASC LIMIT $7 -- 6:0 11:0 11:1 12:0 12:0 8:0 7:0");
    daoc__sh_query_part(&st, parts[1], true, false);
    SHAPE(routes, &st,
          "SELECT \"id\", \"name\", \"service_id\", \"tags\" FROM \"routes\" AS \"t\" WHERE 1 AND "
          "NOT EXISTS (SELECT 1 FROM json_each(?10) AS \"r\" WHERE \"r\".value NOT IN (SELECT "
          "\"e\".value FROM json_each(\"t\".\"tags\") AS \"e\")) AND \"name\" >= ?14 AND \"name\" "
          "< ?15 AND \"service_id\" IS NULL ORDER BY \"id\" ASC LIMIT ?11",
          "SELECT \"id\", \"name\", \"service_id\", \"tags\" FROM \"routes\" WHERE TRUE AND "
          "\"tags\" @> $1::TEXT[] AND \"name\" >= $2 AND \"name\" < $3 AND \"service_id\" IS NULL "
          "ORDER BY \"id\" ASC LIMIT $4 -- 6:0 11:0 11:1 7:0");
    ASSERT_INT(daoc__sh_query_parts(routes, &q, true, true, parts), 1); /* after a null */
    ASSERT_INT(parts[0], DAOC__SH_PART_NULLS);

    /* descending after a null: the remaining nulls, then every value */
    q = (daoc__page_query){NULL, 0, service, true, NULL};
    ASSERT_INT(daoc__sh_query_parts(routes, &q, true, true, parts), 2);
    ASSERT_INT(parts[0], DAOC__SH_PART_NULLS);
    ASSERT_INT(parts[1], DAOC__SH_PART_VALUES);
    st = (daoc__sh_stmt){.op = DAOC__SH_QUERY, .field = -1, .query = &q};
    daoc__sh_query_part(&st, parts[0], true, true);
    SHAPE(routes, &st,
          "SELECT \"id\", \"name\", \"service_id\", \"tags\" FROM \"routes\" AS \"t\" WHERE 1 AND "
          "\"service_id\" IS NULL AND (\"id\") < (?12) ORDER BY \"id\" DESC LIMIT ?11",
          "SELECT \"id\", \"name\", \"service_id\", \"tags\" FROM \"routes\" WHERE TRUE AND "
          "\"service_id\" IS NULL AND (\"id\") < ($1) ORDER BY \"id\" DESC LIMIT $2 -- 8:0 7:0");
    daoc__sh_query_part(&st, parts[1], true, true);
    SHAPE(routes, &st,
          "SELECT \"id\", \"name\", \"service_id\", \"tags\" FROM \"routes\" AS \"t\" WHERE 1 AND "
          "\"service_id\" IS NOT NULL ORDER BY \"service_id\" DESC, \"id\" DESC LIMIT ?11",
          "SELECT \"id\", \"name\", \"service_id\", \"tags\" FROM \"routes\" WHERE TRUE AND "
          "\"service_id\" IS NOT NULL ORDER BY \"service_id\" DESC, \"id\" DESC LIMIT $1 -- 7:0");
    ASSERT_INT(daoc__sh_query_parts(routes, &q, true, false, parts), 1);
    ASSERT_INT(parts[0], DAOC__SH_PART_VALUES);

    /* a required field in a workspace with ttl: one part */
    q = (daoc__page_query){NULL, 0, wname, false, v};
    ASSERT_INT(daoc__sh_query_parts(wp, &q, true, false, parts), 1);
    ASSERT_INT(parts[0], DAOC__SH_PART_ALL);
    st = (daoc__sh_stmt){
        .op = DAOC__SH_QUERY, .field = -1, .query = &q, .ws = true, .show_ws = true};
    daoc__sh_query_part(&st, parts[0], true, false);
    SHAPE(wp, &st,
          "SELECT \"id\", \"name\", \"code\", \"tags\", \"ttl\", \"ws_id\" FROM \"wparents\" AS "
          "\"t\" WHERE 1 AND \"name\" >= ?13 AND (\"name\" > ?13 OR (\"id\") > (?12)) AND "
          "(\"ttl\" IS NULL OR \"ttl\" >= ?7) AND \"ws_id\" = ?8 ORDER BY \"name\" ASC, \"id\" "
          "ASC LIMIT ?11",
          "SELECT \"id\", \"name\", \"code\", \"tags\", date_part('epoch', \"ttl\" - "
          "CURRENT_TIMESTAMP), \"ws_id\" FROM \"wparents\" WHERE TRUE AND \"name\" >= $1 AND "
          "(\"name\" > $2 OR (\"id\") > ($3)) AND (\"ttl\" IS NULL OR \"ttl\" >= "
          "CURRENT_TIMESTAMP) AND \"ws_id\" = $4 ORDER BY \"name\" ASC, \"id\" ASC LIMIT $5 -- "
          "12:0 12:0 8:0 9:0 7:0");

    /* counts: exact, and PostgreSQL's estimate */
    q = (daoc__page_query){conds, 1, -1, false, NULL};
    st = (daoc__sh_stmt){.op = DAOC__SH_COUNT, .field = -1, .query = &q, .ws = true};
    daoc__buf a = DAOC__BUF_INIT;
    st.estimate = true;
    daoc__sq_sql_stmt(&a, routes, &st);
    ASSERT_TRUE(a.failed); /* SQLite has no estimate: it counts */
    daoc__buf_free(&a);
    st.estimate = false;
    SHAPE(routes, &st, "SELECT count(*) FROM \"routes\" AS \"t\" WHERE 1 AND \"name\" >= ?14",
          "SELECT count(*) FROM \"routes\" WHERE TRUE AND \"name\" >= $1 -- 11:0");
    st.estimate = true;
    st.ws = false;
    pg_sqlb sb = {DAOC__BUF_INIT, NULL, 0, 0, false, &g_reg};
    daoc__pg_sql_stmt(&sb, routes, &st);
    daoc__buf_putc(&sb.b, '\0');
    ASSERT_STR(sb.b.data, "EXPLAIN SELECT 1 FROM \"routes\" WHERE TRUE AND \"name\" >= $1");
    daoc__buf_free(&sb.b);
    daoc__free(sb.params);
    daoc_value_free(v);
    daoc__registry_free(&g_reg);
    for (size_t i = 0; i < g_n; i++)
        daoc__schema_free(g_s[i]);
    g_n = 0;
    ASSERT_INT(shapes_bad, 0);
}
