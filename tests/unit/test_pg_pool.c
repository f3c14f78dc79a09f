/*
 * test_pg_pool.c -- the PostgreSQL store's connection pools, read replica
 * routing and recovery after lost connections (src/store/postgres/pool.c
 * and conn.c): the cap and the wait (with its exact timeout message, and
 * code 8 through the DAO), handles sharing one pool and its prepared
 * statements, transactions pinning their connection, reads on the replica
 * and writes on the primary, and what happens when the server terminates
 * the pool's connections while idle or in the middle of a statement.
 *
 * Needs a server: DAOC_PG_HOST/PORT/USER/DATABASE, and for the replica
 * tests a second cluster in DAOC_TEST_RO_HOST/DAOC_TEST_RO_PORT with a
 * database of the same name (scripts/run-tests.sh starts both and runs this
 * suite only in its PostgreSQL section).  Store-agnostic DAO behaviour is
 * test_dao_conformance's job, the column layout test_pg_store's.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "core/alloc.h"
#include "core/value.h"
#include "errtext.h"
#include "harness.h"
#include "schema/schema.h"
#include "store/postgres/pg_int.h"
#include "store/store.h"

/* ---- fixtures ---------------------------------------------------------- */

static daoc__schema *g_owners;

__attribute__((constructor(200))) static void load_schema(void)
{
    const char *def = "{\"name\":\"pool_owners\",\"primary_key\":[\"id\"],\"fields\":["
                      "{\"id\":{\"type\":\"string\",\"uuid\":true}},"
                      "{\"name\":{\"type\":\"string\",\"unique\":true}}]}";
    daoc_value *v = NULL;
    char err[200];
    char *msg = NULL;
    if (t_json_decode(def, strlen(def), &v, err, sizeof err) != DAOC_OK ||
        daoc__schema_compile(v, NULL, NULL, &g_owners, &msg) != DAOC_OK)
        fprintf(stderr, "fixture schema: %s\n", msg ? msg : err);
    daoc__free(msg);
    daoc_value_free(v);
}

__attribute__((destructor)) static void free_schema(void)
{
    daoc__schema_free(g_owners);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The environment's configuration with `n` key/value overrides. */
static daoc_config *config(const char *const *kv, int n)
{
    daoc_config *cfg = NULL;
    char why[300];
    if (!getenv("DAOC_PG_HOST"))
        fprintf(stderr, "  test_pg_pool needs a server: set DAOC_PG_HOST, DAOC_PG_PORT, "
                        "DAOC_PG_USER, DAOC_PG_DATABASE (scripts/run-tests.sh does)\n");
    if (t_config_load(&cfg, NULL, why, sizeof why) != DAOC_OK) {
        fprintf(stderr, "  config: %s\n", why);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (t_config_set(cfg, kv[2 * i], kv[2 * i + 1], why, sizeof why) != DAOC_OK) {
            fprintf(stderr, "  config %s: %s\n", kv[2 * i], why);
            daoc_config_free(cfg);
            return NULL;
        }
    return cfg;
}

static daoc__store *open_cfg(const daoc_config *cfg)
{
    daoc__store *st = NULL;
    char *msg = NULL;
    if (!cfg)
        return NULL;
    if (daoc__pg_open(&st, cfg, &msg) != DAOC_OK ||
        st->ops->ensure_table(st, g_owners, &msg) != DAOC_OK) {
        fprintf(stderr, "  open: %s\n", msg ? msg : "?");
        daoc__free(msg);
        if (st)
            st->ops->close(st);
        return NULL;
    }
    return st;
}

/* A store with the given pool size and timeout (text). */
static daoc__store *open_store(const char *size, const char *timeout)
{
    const char *kv[] = {"pg_pool_size", size, "pg_timeout", timeout};
    daoc_config *cfg = config(kv, 2);
    daoc__store *st = open_cfg(cfg);
    daoc_config_free(cfg);
    return st;
}

static PGconn *raw_at(const char *host, const char *port)
{
    const char *keys[] = {"host", "port", "user", "dbname", "application_name", NULL};
    const char *vals[] = {
        host, port, getenv("DAOC_PG_USER"), getenv("DAOC_PG_DATABASE"), "daoc-test-admin", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 0);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "  raw connection: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* An admin connection to the primary, outside the pools. */
static PGconn *raw(void)
{
    return raw_at(getenv("DAOC_PG_HOST"), getenv("DAOC_PG_PORT"));
}

static void query1(PGconn *c, const char *sql, char *out, size_t n)
{
    PGresult *r = PQexec(c, sql);
    out[0] = '\0';
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
        snprintf(out, n, "%s", PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0));
    else if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
        snprintf(out, n, "ERROR: %s", PQresultErrorMessage(r));
    PQclear(r);
}

static int truncate_owners(daoc__store *st)
{
    char *msg = NULL;
    int rc = st->ops->truncate(st, g_owners, &msg);
    if (rc != DAOC_OK)
        fprintf(stderr, "  truncate: %s\n", msg ? msg : "?");
    daoc__free(msg);
    return rc;
}

static int ins(daoc__store *st, const char *id, const char *name, char **msg)
{
    daoc_value *e = daoc_obj();
    daoc_value *row = NULL;
    daoc__violation viol;
    daoc__write_opts o = {.has_ttl = false};
    if (daoc_obj_set(e, "id", daoc_str(id)) != DAOC_OK ||
        daoc_obj_set(e, "name", daoc_str(name)) != DAOC_OK)
        return DAOC_ENOMEM;
    int rc = st->ops->insert(st, g_owners, e, &o, &row, &viol, msg);
    daoc_value_free(row);
    daoc_value_free(e);
    return rc;
}

/* select by id: DAOC_OK with *found, or the store's status with *msg. */
static int sel(daoc__store *st, const char *id, bool *found, char **msg)
{
    daoc_value *k = daoc_obj(), *row = NULL;
    if (daoc_obj_set(k, "id", daoc_str(id)) != DAOC_OK)
        return DAOC_ENOMEM;
    daoc__key key = {-1, k};
    int rc = st->ops->select(st, g_owners, &key, NULL, &row, msg);
    *found = row != NULL;
    daoc_value_free(row);
    daoc_value_free(k);
    return rc;
}

static void pool_stats(daoc__store *st, int *open, int *idle, int *cap)
{
    daoc__pg_pool_stats(((daoc__pg *)st)->rw, open, idle, cap);
}

#define U1 "7b0c2a4e-7b29-4f35-9b57-27b1b3a5d001"
#define U2 "7b0c2a4e-7b29-4f35-9b57-27b1b3a5d002"
#define U3 "7b0c2a4e-7b29-4f35-9b57-27b1b3a5d003"
#define U4 "7b0c2a4e-7b29-4f35-9b57-27b1b3a5d004"

/* ---- the cap and the wait ------------------------------------------------- */

struct waiter {
    daoc__store *st;
    int rc;
    int64_t ms;
    char *msg;
    atomic_int done;
};

static void *wait_select(void *arg)
{
    struct waiter *w = arg;
    bool found;
    int64_t t0 = now_ms();
    w->rc = sel(w->st, U1, &found, &w->msg);
    w->ms = now_ms() - t0;
    atomic_store(&w->done, 1);
    return NULL;
}

TEST(the_extra_borrower_waits_until_a_connection_is_returned)
{
    /* pool of 2, both pinned by transactions of two handles; a third
     * handle's select waits in another thread until one commits */
    daoc__store *a = open_store("2", "4000"), *b = open_store("2", "4000"),
                *c = open_store("2", "4000");
    ASSERT_NOT_NULL(a);
    ASSERT_NOT_NULL(b);
    ASSERT_NOT_NULL(c);
    ASSERT_TRUE(((daoc__pg *)a)->rw == ((daoc__pg *)c)->rw);
    char *msg = NULL;
    ASSERT_INT(a->ops->begin(a, &msg), DAOC_OK);
    ASSERT_INT(b->ops->begin(b, &msg), DAOC_OK);
    int open, idle, cap;
    pool_stats(a, &open, &idle, &cap);
    ASSERT_INT(open, 2);
    ASSERT_INT(idle, 0);
    ASSERT_INT(cap, 2);
    struct waiter w = {c, -1, 0, NULL, 0};
    pthread_t t;
    ASSERT_INT(pthread_create(&t, NULL, wait_select, &w), 0);
    usleep(300 * 1000);
    ASSERT_INT(atomic_load(&w.done), 0); /* still waiting */
    ASSERT_INT(a->ops->commit(a, &msg), DAOC_OK);
    pthread_join(t, NULL);
    if (w.rc != DAOC_OK)
        fprintf(stderr, "  waiter: %s\n", w.msg ? w.msg : "?");
    ASSERT_INT(w.rc, DAOC_OK);
    ASSERT_TRUE(w.ms >= 250 && w.ms < 4000);
    pool_stats(a, &open, NULL, NULL);
    ASSERT_INT(open, 2); /* never more than the cap */
    ASSERT_INT(b->ops->commit(b, &msg), DAOC_OK);
    c->ops->close(c);
    b->ops->close(b);
    a->ops->close(a);
}

TEST(a_long_holder_makes_the_waiter_time_out_with_the_exact_message)
{
    daoc__store *a = open_store("1", "500"), *b = open_store("1", "500");
    ASSERT_NOT_NULL(a);
    ASSERT_NOT_NULL(b);
    char *msg = NULL;
    ASSERT_INT(a->ops->begin(a, &msg), DAOC_OK);
    bool found = true;
    int64_t t0 = now_ms();
    ASSERT_INT(sel(b, U1, &found, &msg), DAOC_ESTORE);
    int64_t ms = now_ms() - t0;
    ASSERT_STR(msg, "timeout waiting for a free connection from the pool (pg_pool_size = 1)");
    daoc__free(msg);
    msg = NULL;
    if (ms < 450 || ms > 1500)
        T_FAIL_AT("waited %lld ms for a 500 ms pg_timeout", (long long)ms);
    /* writes wait the same way */
    ASSERT_INT(ins(b, U2, "b", &msg), DAOC_ESTORE);
    ASSERT_STR(msg, "timeout waiting for a free connection from the pool (pg_pool_size = 1)");
    daoc__free(msg);
    msg = NULL;
    ASSERT_INT(a->ops->rollback(a), DAOC_OK);
    ASSERT_INT(sel(b, U1, &found, &msg), DAOC_OK);
    b->ops->close(b);
    a->ops->close(a);
}

TEST(the_dao_reports_a_pool_timeout_as_code_8)
{
    const char *kv[] = {"pg_pool_size", "1", "pg_timeout", "400"};
    daoc_config *cfg = config(kv, 2);
    ASSERT_NOT_NULL(cfg);
    daoc_db *d1 = NULL, *d2 = NULL;
    daoc_error *err = NULL;
    /* tables from the schemas: opening creates nothing unless asked */
    if (daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK)
        abort();
    ASSERT_INT(daoc_db_open(&d1, cfg, &err), DAOC_OK);
    /* tables from the schemas: opening creates nothing unless asked */
    if (daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK)
        abort();
    ASSERT_INT(daoc_db_open(&d2, cfg, &err), DAOC_OK);
    ASSERT_INT(daoc_db_begin(d1, &err), DAOC_OK); /* pins the only connection */
    daoc_value *pk = daoc_obj(), *row = NULL;
    ASSERT_INT(daoc_obj_set(pk, "id", daoc_str(U1)), DAOC_OK);
    ASSERT_INT(daoc_dao_select(daoc_db_dao(d2, "consumers"), pk, NULL, &row, &err), DAOC_EDAO);
    ASSERT_NOT_NULL(err);
    ASSERT_INT(daoc_error_code(err), DAOC_ERR_DATABASE_ERROR);
    ASSERT_STR(daoc_error_message(err),
               "timeout waiting for a free connection from the pool (pg_pool_size = 1)");
    daoc_error_free(err);
    err = NULL;
    ASSERT_INT(daoc_db_rollback(d1, NULL), DAOC_OK);
    ASSERT_INT(daoc_dao_select(daoc_db_dao(d2, "consumers"), pk, NULL, &row, &err), DAOC_OK);
    daoc_value_free(pk);
    daoc_db_close(d2);
    daoc_db_close(d1);
    daoc_config_free(cfg);
}

/* ---- sharing ------------------------------------------------------------------ */

TEST(handles_with_one_configuration_share_one_pool_and_its_statements)
{
    daoc__store *a = open_store("1", "3000"), *b = open_store("1", "3000");
    ASSERT_NOT_NULL(a);
    ASSERT_NOT_NULL(b);
    daoc__pg *qa = (daoc__pg *)a, *qb = (daoc__pg *)b;
    ASSERT_TRUE(qa->rw == qb->rw);
    ASSERT_INT(truncate_owners(a), DAOC_OK);
    char *msg = NULL;
    bool found = false;
    ASSERT_INT(ins(a, U1, "a", &msg), DAOC_OK);
    ASSERT_INT(sel(a, U1, &found, &msg), DAOC_OK);
    ASSERT_TRUE(found);
    int open, idle;
    pool_stats(a, &open, &idle, NULL);
    ASSERT_INT(open, 1);
    ASSERT_INT(idle, 1);
    /* the one connection prepared a's select; b's identical text reuses it */
    ASSERT_INT(a->ops->begin(a, &msg), DAOC_OK);
    pg_conn *conn = qa->cur;
    size_t prepared = conn->prep_len;
    ASSERT_INT(a->ops->commit(a, &msg), DAOC_OK);
    /* the pool's one connection is parked in a's slot; b takes it from
     * there at once (no waiting for pg_timeout), and it is b's afterwards */
    ASSERT_TRUE(atomic_load(&qa->slot_rw.conn) == conn);
    int64_t t0 = now_ms();
    ASSERT_INT(sel(b, U1, &found, &msg), DAOC_OK);
    ASSERT_TRUE(now_ms() - t0 < 1000);
    ASSERT_TRUE(found);
    ASSERT_INT(conn->prep_len, prepared);
    ASSERT_TRUE(atomic_load(&qa->slot_rw.conn) == NULL);
    ASSERT_TRUE(atomic_load(&qb->slot_rw.conn) == conn);
    pool_stats(a, &open, &idle, NULL);
    ASSERT_INT(open, 1);
    ASSERT_INT(idle, 1);

    /* a different target (another schema setting) is another pool */
    const char *kv[] = {"pg_pool_size", "1", "pg_timeout", "3000", "pg_schema", "public"};
    daoc_config *cfg = config(kv, 3);
    daoc__store *c = open_cfg(cfg);
    daoc_config_free(cfg);
    ASSERT_NOT_NULL(c);
    ASSERT_TRUE(((daoc__pg *)c)->rw != qa->rw);
    ASSERT_INT(sel(c, U1, &found, &msg), DAOC_OK); /* a's pool is not needed */
    ASSERT_TRUE(found);
    c->ops->close(c);

    /* the pool outlives the first handle closed */
    a->ops->close(a);
    ASSERT_INT(sel(b, U1, &found, &msg), DAOC_OK);
    ASSERT_TRUE(found);
    b->ops->close(b);
}

TEST(a_handle_prepares_on_each_connection_its_operations_land_on)
{
    daoc__store *a = open_store("2", "3000"), *b = open_store("2", "3000");
    ASSERT_NOT_NULL(a);
    ASSERT_NOT_NULL(b);
    ASSERT_INT(truncate_owners(a), DAOC_OK);
    char *msg = NULL;
    bool found = false;
    ASSERT_INT(ins(a, U1, "a", &msg), DAOC_OK);
    /* b pins one connection: a's select prepares on the other */
    ASSERT_INT(b->ops->begin(b, &msg), DAOC_OK);
    pg_conn *held = ((daoc__pg *)b)->cur;
    ASSERT_INT(sel(a, U1, &found, &msg), DAOC_OK);
    ASSERT_TRUE(found);
    ASSERT_INT(b->ops->commit(b, &msg), DAOC_OK);
    /* affinity: a's connection waits in a's slot and a gets it back */
    daoc__pg *qa = (daoc__pg *)a, *qb = (daoc__pg *)b;
    pg_conn *mine = atomic_load(&qa->slot_rw.conn);
    ASSERT_TRUE(mine != NULL && mine != held);
    ASSERT_TRUE(atomic_load(&qb->slot_rw.conn) == held);
    ASSERT_INT(a->ops->begin(a, &msg), DAOC_OK);
    ASSERT_TRUE(qa->cur == mine);
    ASSERT_INT(a->ops->commit(a, &msg), DAOC_OK);
    /* steered to the connection b used (the two parked connections
     * swapped), which has never seen a's select: prepared there on first use */
    ASSERT_TRUE(atomic_exchange(&qa->slot_rw.conn, held) == mine);
    ASSERT_TRUE(atomic_exchange(&qb->slot_rw.conn, mine) == held);
    size_t before = held->prep_len;
    ASSERT_INT(a->ops->begin(a, &msg), DAOC_OK);
    ASSERT_TRUE(((daoc__pg *)a)->cur == held);
    ASSERT_INT(sel(a, U1, &found, &msg), DAOC_OK);
    ASSERT_TRUE(found);
    ASSERT_INT(held->prep_len, before + 1);
    ASSERT_INT(a->ops->commit(a, &msg), DAOC_OK);
    b->ops->close(b);
    a->ops->close(a);
}

/* ---- transactions ----------------------------------------------------------- */

TEST(a_transaction_pins_its_connection_until_the_outermost_end)
{
    daoc__store *a = open_store("3", "3000"), *b = open_store("3", "3000");
    ASSERT_NOT_NULL(a);
    ASSERT_NOT_NULL(b);
    ASSERT_INT(truncate_owners(a), DAOC_OK);
    daoc__pg *q = (daoc__pg *)a;
    char *msg = NULL;
    bool found = false;
    ASSERT_INT(a->ops->begin(a, &msg), DAOC_OK);
    pg_conn *pinned = q->cur;
    ASSERT_NOT_NULL(pinned);
    ASSERT_INT(ins(a, U1, "a", &msg), DAOC_OK);
    ASSERT_INT(a->ops->begin(a, &msg), DAOC_OK); /* nested */
    ASSERT_INT(ins(a, U2, "b", &msg), DAOC_OK);
    ASSERT_INT(a->ops->commit(a, &msg), DAOC_OK);
    ASSERT_TRUE(q->cur == pinned);
    /* the transaction's reads see its own writes: same connection */
    ASSERT_INT(sel(a, U2, &found, &msg), DAOC_OK);
    ASSERT_TRUE(found);
    ASSERT_TRUE(q->cur == pinned);
    /* another handle (another connection) does not see them yet */
    ASSERT_INT(sel(b, U1, &found, &msg), DAOC_OK);
    ASSERT_TRUE(!found);
    ASSERT_INT(a->ops->commit(a, &msg), DAOC_OK);
    ASSERT_NULL(q->cur);
    ASSERT_INT(sel(b, U1, &found, &msg), DAOC_OK);
    ASSERT_TRUE(found);
    /* a rolled-back transaction returns its connection too */
    ASSERT_INT(a->ops->begin(a, &msg), DAOC_OK);
    ASSERT_INT(ins(a, U3, "c", &msg), DAOC_OK);
    ASSERT_INT(a->ops->rollback(a), DAOC_OK);
    ASSERT_NULL(q->cur);
    ASSERT_INT(sel(b, U3, &found, &msg), DAOC_OK);
    ASSERT_TRUE(!found);
    int open, idle;
    pool_stats(a, &open, &idle, NULL);
    ASSERT_INT(open, idle);
    /* a handle closed inside a transaction gives up its connection */
    ASSERT_INT(a->ops->begin(a, &msg), DAOC_OK);
    ASSERT_INT(ins(a, U4, "d", &msg), DAOC_OK);
    a->ops->close(a);
    ASSERT_INT(sel(b, U4, &found, &msg), DAOC_OK);
    ASSERT_TRUE(!found);
    b->ops->close(b);
}

/* ---- the read replica ------------------------------------------------------------ */

TEST(reads_go_to_the_replica_and_writes_to_the_primary)
{
    const char *ro_host = getenv("DAOC_TEST_RO_HOST"), *ro_port = getenv("DAOC_TEST_RO_PORT");
    if (!ro_host || !ro_port) {
        T_FAIL_AT("needs a second cluster: DAOC_TEST_RO_HOST, DAOC_TEST_RO_PORT");
        return;
    }
    /* the same table on both; the replica's made by a store pointed at it */
    const char *on_ro[] = {"pg_host", ro_host, "pg_port", ro_port};
    daoc_config *rcfg = config(on_ro, 2);
    daoc__store *direct = open_cfg(rcfg);
    daoc_config_free(rcfg);
    ASSERT_NOT_NULL(direct);
    ASSERT_INT(truncate_owners(direct), DAOC_OK);
    direct->ops->close(direct);
    daoc__store *p = open_store("2", "3000");
    ASSERT_NOT_NULL(p);
    ASSERT_INT(truncate_owners(p), DAOC_OK);
    p->ops->close(p);

    /* a marker row only the replica has, written with libpq */
    PGconn *ro = raw_at(ro_host, ro_port), *rw = raw();
    ASSERT_NOT_NULL(ro);
    ASSERT_NOT_NULL(rw);
    char v[256];
    query1(ro, "INSERT INTO pool_owners (id, name) VALUES ('" U1 "', 'replica marker')", v,
           sizeof v);
    ASSERT_STR(v, "");

    const char *kv[] = {"pg_pool_size", "2",     "pg_timeout", "3000",
                        "pg_ro_host",   ro_host, "pg_ro_port", ro_port};
    daoc_config *cfg = config(kv, 4);
    daoc__store *st = open_cfg(cfg);
    daoc_config_free(cfg);
    ASSERT_NOT_NULL(st);
    ASSERT_NOT_NULL(((daoc__pg *)st)->ro);
    char *msg = NULL;
    bool found = false;
    ASSERT_INT(sel(st, U1, &found, &msg), DAOC_OK);
    ASSERT_TRUE(found); /* served by the replica */
    /* a page too */
    daoc__page_req req = {.fk_field = -1, .size = 10};
    daoc_value *rows = NULL;
    bool more = true;
    ASSERT_INT(st->ops->page(st, g_owners, &req, &rows, &more, &msg), DAOC_OK);
    ASSERT_INT(daoc_value_len(rows), 1);
    daoc_value_free(rows);
    /* a write lands on the primary only */
    ASSERT_INT(ins(st, U2, "primary row", &msg), DAOC_OK);
    query1(rw, "SELECT count(*) FROM pool_owners WHERE id = '" U2 "'", v, sizeof v);
    ASSERT_STR(v, "1");
    query1(ro, "SELECT count(*) FROM pool_owners WHERE id = '" U2 "'", v, sizeof v);
    ASSERT_STR(v, "0");
    query1(rw, "SELECT count(*) FROM pool_owners WHERE id = '" U1 "'", v, sizeof v);
    ASSERT_STR(v, "0");
    /* ... and outside a transaction a read does not see it (replica) */
    ASSERT_INT(sel(st, U2, &found, &msg), DAOC_OK);
    ASSERT_TRUE(!found);
    /* inside a transaction reads stay on the pinned primary connection */
    ASSERT_INT(st->ops->begin(st, &msg), DAOC_OK);
    ASSERT_INT(sel(st, U2, &found, &msg), DAOC_OK);
    ASSERT_TRUE(found);
    ASSERT_INT(sel(st, U1, &found, &msg), DAOC_OK);
    ASSERT_TRUE(!found);
    ASSERT_INT(st->ops->commit(st, &msg), DAOC_OK);
    st->ops->close(st);
    PQfinish(ro);
    PQfinish(rw);
}

TEST(a_replica_that_is_down_fails_reads_not_the_open_nor_writes)
{
    const char *kv[] = {"pg_pool_size", "2",
                        "pg_timeout",   "2000",
                        "pg_ro_host",   getenv("DAOC_PG_HOST") ? getenv("DAOC_PG_HOST") : "",
                        "pg_ro_port",   "1"};
    daoc_config *cfg = config(kv, 4);
    daoc__store *st = open_cfg(cfg);
    daoc_config_free(cfg);
    ASSERT_NOT_NULL(st);
    ASSERT_INT(truncate_owners(st), DAOC_OK);
    char *msg = NULL;
    bool found = true;
    ASSERT_INT(ins(st, U1, "a", &msg), DAOC_OK);
    int64_t t0 = now_ms();
    ASSERT_INT(sel(st, U1, &found, &msg), DAOC_ESTORE);
    ASSERT_TRUE(now_ms() - t0 < 2000);
    char want[600];
    snprintf(want, sizeof want,
             "could not connect to PostgreSQL at %s/.s.PGSQL.1: ", getenv("DAOC_PG_HOST"));
    if (!msg || strncmp(msg, want, strlen(want)) != 0)
        T_FAIL_AT("message: %s", msg ? msg : "(null)");
    daoc__free(msg);
    msg = NULL;
    /* the failed connect gave its slot back */
    int open;
    daoc__pg_pool_stats(((daoc__pg *)st)->ro, &open, NULL, NULL);
    ASSERT_INT(open, 0);
    st->ops->close(st);
}

/* ---- lost connections ------------------------------------------------------------ */

/* Terminates every pooled daoc connection to this database and waits until
 * the server has let them go; returns how many there were. */
static int kill_daoc_backends(PGconn *c)
{
    char v[64];
    query1(c,
           "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
           "application_name = 'daoc' AND datname = current_database()",
           v, sizeof v);
    for (int i = 0; i < 200; i++) {
        char left[64];
        query1(c,
               "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'daoc' AND "
               "datname = current_database()",
               left, sizeof left);
        if (strcmp(left, "0") == 0)
            break;
        usleep(10 * 1000);
    }
    usleep(20 * 1000);
    return atoi(v);
}

TEST(terminated_idle_connections_are_replaced_before_anything_is_sent)
{
    daoc__store *st = open_store("3", "3000");
    ASSERT_NOT_NULL(st);
    ASSERT_INT(truncate_owners(st), DAOC_OK);
    char *msg = NULL;
    bool found = false;
    ASSERT_INT(ins(st, U1, "a", &msg), DAOC_OK);
    PGconn *c = raw();
    ASSERT_NOT_NULL(c);
    ASSERT_TRUE(kill_daoc_backends(c) >= 1);
    /* the read and the write both run on a new connection */
    ASSERT_INT(sel(st, U1, &found, &msg), DAOC_OK);
    ASSERT_TRUE(found);
    ASSERT_TRUE(kill_daoc_backends(c) >= 1);
    ASSERT_INT(ins(st, U2, "b", &msg), DAOC_OK);
    char v[64];
    query1(c, "SELECT count(*) FROM pool_owners", v, sizeof v);
    ASSERT_STR(v, "2");
    int open, idle;
    pool_stats(st, &open, &idle, NULL);
    ASSERT_INT(open, 1);
    ASSERT_INT(idle, 1);
    PQfinish(c);
    st->ops->close(st);
}

/* Makes the next statement on pool_owners block on a lock held by the admin
 * connection `lk`, which 300 ms later terminates the daoc connections and
 * then releases the lock.  Pair with unblock(). */
static int block_then_kill(PGconn *lk)
{
    char v[256];
    query1(lk, "BEGIN", v, sizeof v);
    query1(lk, "LOCK TABLE pool_owners IN ACCESS EXCLUSIVE MODE", v, sizeof v);
    if (v[0])
        fprintf(stderr, "  lock: %s\n", v);
    return PQsendQuery(lk, "SELECT pg_sleep(0.3); SELECT count(pg_terminate_backend(pid)) "
                           "FROM pg_stat_activity WHERE application_name = 'daoc' AND "
                           "datname = current_database(); ROLLBACK");
}

/* Waits for block_then_kill's statements; returns how many it terminated. */
static int unblock(PGconn *lk)
{
    PGresult *r;
    int n = -1;
    while ((r = PQgetResult(lk))) {
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQnfields(r) == 1 && PQntuples(r) == 1 &&
            strcmp(PQfname(r, 0), "count") == 0)
            n = atoi(PQgetvalue(r, 0, 0));
        else if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
            fprintf(stderr, "  admin: %s", PQresultErrorMessage(r));
        PQclear(r);
    }
    return n;
}

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

TEST(a_connection_lost_mid_statement_fails_or_retries_by_the_rules)
{
    daoc__store *st = open_store("1", "5000");
    ASSERT_NOT_NULL(st);
    ASSERT_INT(truncate_owners(st), DAOC_OK);
    char *msg = NULL;
    bool found = false;
    ASSERT_INT(ins(st, U1, "a", &msg), DAOC_OK);
    PGconn *lk = raw(), *c = raw();
    ASSERT_NOT_NULL(lk);
    ASSERT_NOT_NULL(c);
    char want[600], v[64];
    snprintf(want, sizeof want,
             "lost the connection to PostgreSQL at %s/.s.PGSQL.%s: ", getenv("DAOC_PG_HOST"),
             getenv("DAOC_PG_PORT"));

    /* a read lost while preparing (its statement never sent) runs again on
     * a fresh connection, once */
    ASSERT_TRUE(kill_daoc_backends(c) >= 1); /* the next connection is new */
    ASSERT_INT(block_then_kill(lk), 1);
    int rc = sel(st, U1, &found, &msg);
    ASSERT_INT(unblock(lk), 1);
    if (rc != DAOC_OK)
        fprintf(stderr, "  retried read: %s\n", msg ? msg : "?");
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_TRUE(found);

    /* a read lost after it was sent is not retried: it fails, the next works */
    ASSERT_INT(block_then_kill(lk), 1);
    ASSERT_INT(sel(st, U1, &found, &msg), DAOC_ESTORE);
    ASSERT_INT(unblock(lk), 1);
    if (!starts_with(msg, want))
        T_FAIL_AT("message: %s", msg ? msg : "(null)");
    daoc__free(msg);
    msg = NULL;
    ASSERT_INT(sel(st, U1, &found, &msg), DAOC_OK);
    ASSERT_TRUE(found);

    /* a write whose outcome is unknown is an error, never replayed */
    ASSERT_INT(ins(st, U3, "warm", &msg), DAOC_OK); /* insert prepared on this connection */
    ASSERT_INT(block_then_kill(lk), 1);
    ASSERT_INT(ins(st, U2, "b", &msg), DAOC_ESTORE);
    ASSERT_INT(unblock(lk), 1);
    if (!starts_with(msg, want))
        T_FAIL_AT("message: %s", msg ? msg : "(null)");
    daoc__free(msg);
    msg = NULL;
    query1(c, "SELECT count(*) FROM pool_owners WHERE id = '" U2 "'", v, sizeof v);
    ASSERT_STR(v, "0"); /* the server rolled it back with the connection */
    ASSERT_INT(ins(st, U2, "b", &msg), DAOC_OK);
    query1(c, "SELECT count(*) FROM pool_owners WHERE id = '" U2 "'", v, sizeof v);
    ASSERT_STR(v, "1");

    /* a write is not retried even when the loss came before it was sent */
    ASSERT_TRUE(kill_daoc_backends(c) >= 1);
    ASSERT_INT(block_then_kill(lk), 1);
    ASSERT_INT(ins(st, U4, "d", &msg), DAOC_ESTORE);
    ASSERT_INT(unblock(lk), 1);
    if (!starts_with(msg, want))
        T_FAIL_AT("message: %s", msg ? msg : "(null)");
    daoc__free(msg);
    msg = NULL;
    query1(c, "SELECT count(*) FROM pool_owners WHERE id = '" U4 "'", v, sizeof v);
    ASSERT_STR(v, "0");

    /* inside a transaction: every call fails until the rollback */
    ASSERT_INT(st->ops->begin(st, &msg), DAOC_OK);
    ASSERT_INT(ins(st, U4, "d", &msg), DAOC_OK);
    ASSERT_TRUE(kill_daoc_backends(c) >= 1);
    ASSERT_INT(sel(st, U4, &found, &msg), DAOC_ESTORE);
    if (!starts_with(msg, want))
        T_FAIL_AT("message: %s", msg ? msg : "(null)");
    daoc__free(msg);
    msg = NULL;
    ASSERT_INT(ins(st, U3, "c", &msg), DAOC_ESTORE);
    ASSERT_STR(msg, "the connection to PostgreSQL was lost inside a transaction; roll it back "
                    "and retry");
    daoc__free(msg);
    msg = NULL;
    ASSERT_INT(st->ops->commit(st, &msg), DAOC_ESTORE);
    daoc__free(msg);
    msg = NULL;
    ASSERT_INT(sel(st, U1, &found, &msg), DAOC_OK);
    ASSERT_TRUE(found);
    ASSERT_INT(sel(st, U4, &found, &msg), DAOC_OK);
    ASSERT_TRUE(!found);
    int open;
    pool_stats(st, &open, NULL, NULL);
    ASSERT_INT(open, 1);
    PQfinish(lk);
    PQfinish(c);
    st->ops->close(st);
}

TEST(a_server_that_is_down_fails_fast_and_frees_the_slot)
{
    const char *kv[] = {"pg_pool_size", "1", "pg_timeout", "1500", "pg_port", "1"};
    daoc_config *cfg = config(kv, 3);
    ASSERT_NOT_NULL(cfg);
    daoc__store *st = NULL;
    char *msg = NULL;
    int64_t t0 = now_ms();
    ASSERT_INT(daoc__pg_open(&st, cfg, &msg), DAOC_ESTORE);
    ASSERT_TRUE(now_ms() - t0 < 1500);
    char want[600];
    snprintf(want, sizeof want,
             "could not connect to PostgreSQL at %s/.s.PGSQL.1: ", getenv("DAOC_PG_HOST"));
    if (!msg || strncmp(msg, want, strlen(want)) != 0)
        T_FAIL_AT("message: %s", msg ? msg : "(null)");
    daoc__free(msg);
    msg = NULL;
    /* twice: the first failure gave its slot back (no pool timeout) */
    ASSERT_INT(daoc__pg_open(&st, cfg, &msg), DAOC_ESTORE);
    if (!msg || strncmp(msg, want, strlen(want)) != 0)
        T_FAIL_AT("message: %s", msg ? msg : "(null)");
    daoc__free(msg);
    daoc_config_free(cfg);
}

/* ---- threads ------------------------------------------------------------------ */

#define NTHREADS 6
#define NOPS 60

struct worker {
    daoc__store *st;
    int idx, failures;
};

static atomic_int g_max_open;

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < NOPS; i++) {
        char id[64], name[64];
        snprintf(id, sizeof id, "7b0c2a4e-7b29-4f35-9b57-%06d%06d", w->idx, i);
        snprintf(name, sizeof name, "w%d-%d", w->idx, i);
        char *msg = NULL;
        bool found = false;
        int rc = ins(w->st, id, name, &msg);
        if (rc == DAOC_OK)
            rc = sel(w->st, id, &found, &msg);
        if (rc == DAOC_OK && i % 10 == 0) { /* a transaction now and then */
            rc = w->st->ops->begin(w->st, &msg);
            if (rc == DAOC_OK)
                rc = sel(w->st, id, &found, &msg);
            if (rc == DAOC_OK)
                rc = w->st->ops->commit(w->st, &msg);
        }
        if (rc != DAOC_OK || !found) {
            fprintf(stderr, "  worker %d op %d: %s\n", w->idx, i, msg ? msg : "not found");
            w->failures++;
        }
        daoc__free(msg);
        int open;
        pool_stats(w->st, &open, NULL, NULL);
        int seen = atomic_load(&g_max_open);
        while (open > seen && !atomic_compare_exchange_weak(&g_max_open, &seen, open))
            ;
    }
    return NULL;
}

TEST(many_threads_share_a_small_pool_without_exceeding_it)
{
    daoc__store *st[NTHREADS];
    struct worker w[NTHREADS];
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        st[i] = open_store("3", "5000");
        ASSERT_NOT_NULL(st[i]);
    }
    ASSERT_INT(truncate_owners(st[0]), DAOC_OK);
    atomic_store(&g_max_open, 0);
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (struct worker){st[i], i, 0};
        ASSERT_INT(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    int failures = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        failures += w[i].failures;
    }
    ASSERT_INT(failures, 0);
    ASSERT_TRUE(atomic_load(&g_max_open) <= 3);
    PGconn *c = raw();
    ASSERT_NOT_NULL(c);
    char v[64];
    query1(c, "SELECT count(*) FROM pool_owners", v, sizeof v);
    ASSERT_INT(atoi(v), NTHREADS * NOPS);
    query1(c,
           "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'daoc' AND "
           "datname = current_database()",
           v, sizeof v);
    ASSERT_TRUE(atoi(v) <= 3);
    PQfinish(c);
    for (int i = 0; i < NTHREADS; i++)
        st[i]->ops->close(st[i]);
}
