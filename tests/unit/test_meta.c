/*
 * test_meta.c -- the migration state tables (store/meta.h) on the store
 * DAOC_DATABASE names: bootstrap is idempotent and makes Kong's layout
 * (checked against the catalog on PostgreSQL), record_migration's
 * executed / pending / teardown sequences with the duplicates a re-run
 * leaves, the ledger beside them (in the same transaction), the cluster
 * lock between two store handles (exclusive, taken over once expired,
 * refreshed only by its owner, removed only by its owner), and reset,
 * which leaves no table.  Two bootstraps at once both succeed; handles
 * racing for the lock from threads: exactly one gets it each round.  Every
 * test starts from a reset database.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/rand.h"
#include "fixture.h"
#include "harness.h"
#include "store/deploy.h"
#include "store/meta.h"

static bool on_pg(void)
{
    const char *k = getenv("DAOC_DATABASE");
    return k && strcmp(k, "postgres") == 0;
}

/* A store handle on the test database: on SQLite the file `tag` names
 * (the same tag opens the same file again: a second handle). */
static daoc__store *open_store(const char *tag)
{
    daoc__store *st = NULL;
    char *msg = NULL;
    int rc;
    if (on_pg()) {
        daoc_config *cfg = NULL;
        char why[300];
        if (t_config_load(&cfg, NULL, why, sizeof why) != DAOC_OK) {
            fprintf(stderr, "config: %s\n", why);
            return NULL;
        }
        rc = daoc__pg_open(&st, cfg, &msg);
        daoc_config_free(cfg);
    } else {
        const char *tmp = getenv("DAOC_TEST_TMP");
        char path[512];
        snprintf(path, sizeof path, "%s/meta_%s_%d.db", tmp ? tmp : "/tmp", tag, (int)getpid());
        rc = daoc__sqlite_open(&st, path, &msg);
    }
    if (rc != DAOC_OK) {
        fprintf(stderr, "open: %s: %s\n", daoc_strerror(rc), msg ? msg : "");
        daoc_free(msg);
        return NULL;
    }
    return st;
}

/* A PostgreSQL handle with config keys changed (NULL-terminated pairs);
 * NULL when it cannot connect. */
static daoc__store *open_pg_as(const char *const *kv)
{
    daoc_config *cfg = NULL;
    char why[300], *msg = NULL;
    if (t_config_load(&cfg, NULL, why, sizeof why) != DAOC_OK)
        return NULL;
    for (size_t i = 0; kv[i]; i += 2)
        if (t_config_set(cfg, kv[i], kv[i + 1], why, sizeof why) != DAOC_OK) {
            daoc_config_free(cfg);
            return NULL;
        }
    daoc__store *st = NULL;
    int rc = daoc__pg_open(&st, cfg, &msg);
    daoc_config_free(cfg);
    if (rc != DAOC_OK) {
        fprintf(stderr, "    open: %s\n", msg ? msg : "");
        daoc_free(msg);
        return NULL;
    }
    return st;
}

/* A fresh, reset store. */
static daoc__store *fresh(const char *tag)
{
    daoc__store *st = open_store(tag);
    char *msg = NULL;
    if (st && daoc__meta_reset(st, &msg) != DAOC_OK) {
        fprintf(stderr, "reset: %s\n", msg ? msg : "");
        daoc_free(msg);
        st->ops->close(st);
        return NULL;
    }
    return st;
}

/* v as compact JSON equals `want` (single-quoted JSON); v is freed. */
static bool same(daoc_value *v, const char *want)
{
    daoc_value *w = J(want);
    char *a = enc(v), *b = enc(w);
    bool eq = strcmp(a, b) == 0;
    if (!eq)
        fprintf(stderr, "    got      %s\n    expected %s\n", a, b);
    daoc_free(a);
    daoc_free(b);
    daoc_value_free(w);
    daoc_value_free(v);
    return eq;
}

static daoc_value *sql_rows(daoc__store *st, const char *sql)
{
    daoc_value *rows = NULL;
    char *msg = NULL;
    if (st->deploy->query(st, sql, NULL, &rows, &msg) != DAOC_OK) {
        fprintf(stderr, "query %s: %s\n", sql, msg ? msg : "");
        daoc_free(msg);
        return NULL;
    }
    return rows;
}

static size_t table_count(daoc__store *st)
{
    daoc_value *names = NULL;
    char *msg = NULL;
    if (st->deploy->list_tables(st, &names, &msg) != DAOC_OK)
        abort();
    size_t n = daoc_value_len(names);
    daoc_value_free(names);
    return n;
}

static daoc_value *loaded(daoc__store *st)
{
    daoc_value *rows = NULL;
    char *msg = NULL;
    if (daoc__meta_load(st, &rows, &msg) != DAOC_OK) {
        fprintf(stderr, "load: %s\n", msg ? msg : "");
        daoc_free(msg);
    }
    return rows;
}

TEST(bootstrap_is_idempotent)
{
    daoc__store *st = fresh("boot");
    ASSERT_NOT_NULL(st);
    char *msg = NULL;
    bool exists = true;
    ASSERT_INT(daoc__meta_exists(st, &exists, &msg), DAOC_OK);
    ASSERT_TRUE(!exists);
    ASSERT_INT(table_count(st), 0);
    ASSERT_INT(daoc__meta_bootstrap(st, &msg), DAOC_OK);
    ASSERT_INT(daoc__meta_exists(st, &exists, &msg), DAOC_OK);
    ASSERT_TRUE(exists);
    daoc_value *names = NULL;
    ASSERT_INT(st->deploy->list_tables(st, &names, &msg), DAOC_OK);
    ASSERT_TRUE(same(names, "['daoc_migrations','locks','schema_meta']"));
    /* again: nothing changes, what was recorded stays */
    ASSERT_INT(daoc__meta_record(st, "core", "000_base", DAOC__META_EXECUTED, NULL, &msg), DAOC_OK);
    ASSERT_INT(daoc__meta_bootstrap(st, &msg), DAOC_OK);
    ASSERT_INT(table_count(st), 3);
    ASSERT_TRUE(same(loaded(st), "[{'subsystem':'core','last_executed':'000_base',"
                                 "'executed':['000_base'],'pending':[]}]"));
    st->ops->close(st);
}

TEST(layout_is_kongs)
{
    daoc__store *st = fresh("layout");
    ASSERT_NOT_NULL(st);
    char *msg = NULL;
    ASSERT_INT(daoc__meta_bootstrap(st, &msg), DAOC_OK);
    if (on_pg()) {
        ASSERT_TRUE(same(
            sql_rows(st, "SELECT table_name::text AS t, column_name::text AS c, "
                         "data_type::text AS d, udt_name::text AS u "
                         "FROM information_schema.columns WHERE table_schema = current_schema() "
                         "AND table_name IN ('schema_meta', 'locks') "
                         "ORDER BY table_name, ordinal_position"),
            "[{'t':'locks','c':'key','d':'text','u':'text'},"
            "{'t':'locks','c':'owner','d':'text','u':'text'},"
            "{'t':'locks','c':'ttl','d':'timestamp with time zone','u':'timestamptz'},"
            "{'t':'schema_meta','c':'key','d':'text','u':'text'},"
            "{'t':'schema_meta','c':'subsystem','d':'text','u':'text'},"
            "{'t':'schema_meta','c':'last_executed','d':'text','u':'text'},"
            "{'t':'schema_meta','c':'executed','d':'ARRAY','u':'_text'},"
            "{'t':'schema_meta','c':'pending','d':'ARRAY','u':'_text'}]"));
        ASSERT_TRUE(same(
            sql_rows(st, "SELECT tc.table_name::text AS t, tc.constraint_name::text AS n, "
                         "k.column_name::text AS c FROM information_schema.table_constraints tc "
                         "JOIN information_schema.key_column_usage k ON k.constraint_name = "
                         "tc.constraint_name AND k.table_schema = tc.table_schema "
                         "WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = "
                         "current_schema() AND tc.table_name IN ('schema_meta', 'locks') "
                         "ORDER BY tc.table_name, k.ordinal_position"),
            "[{'t':'locks','n':'locks_pkey','c':'key'},"
            "{'t':'schema_meta','n':'schema_meta_pkey','c':'key'},"
            "{'t':'schema_meta','n':'schema_meta_pkey','c':'subsystem'}]"));
        ASSERT_TRUE(same(sql_rows(st, "SELECT tablename::text AS t, indexname::text AS i FROM "
                                      "pg_indexes WHERE schemaname = current_schema() AND "
                                      "tablename = 'locks' ORDER BY indexname"),
                         "[{'t':'locks','i':'locks_pkey'},{'t':'locks','i':'locks_ttl_idx'}]"));
        ASSERT_TRUE(same(sql_rows(st, "SELECT column_name::text AS c, data_type::text AS d "
                                      "FROM information_schema.columns WHERE table_schema = "
                                      "current_schema() AND table_name = 'daoc_migrations' "
                                      "ORDER BY ordinal_position"),
                         "[{'c':'subsystem','d':'text'},{'c':'name','d':'text'},"
                         "{'c':'checksum','d':'text'},"
                         "{'c':'started_at','d':'timestamp with time zone'},"
                         "{'c':'duration_ms','d':'double precision'},{'c':'host','d':'text'},"
                         "{'c':'pid','d':'bigint'}]"));
    } else {
        ASSERT_TRUE(
            same(sql_rows(st, "SELECT name, type, pk FROM pragma_table_info('schema_meta')"),
                 "[{'name':'key','type':'TEXT','pk':1},"
                 "{'name':'subsystem','type':'TEXT','pk':2},"
                 "{'name':'last_executed','type':'TEXT','pk':0},"
                 "{'name':'executed','type':'TEXT','pk':0},"
                 "{'name':'pending','type':'TEXT','pk':0}]"));
        ASSERT_TRUE(same(sql_rows(st, "SELECT name, type, pk FROM pragma_table_info('locks')"),
                         "[{'name':'key','type':'TEXT','pk':1},"
                         "{'name':'owner','type':'TEXT','pk':0},"
                         "{'name':'ttl','type':'REAL','pk':0}]"));
        ASSERT_TRUE(same(sql_rows(st, "SELECT name FROM pragma_index_list('locks') "
                                      "WHERE origin = 'c'"),
                         "[{'name':'locks_ttl_idx'}]"));
    }
    st->ops->close(st);
}

TEST(record_follows_kongs_sequences)
{
    daoc__store *st = fresh("record");
    ASSERT_NOT_NULL(st);
    char *msg = NULL;
    ASSERT_INT(daoc__meta_bootstrap(st, &msg), DAOC_OK);
    ASSERT_TRUE(same(loaded(st), "[]"));
    /* bootstrap's core, an `up` leaving a teardown pending, its `finish` */
    ASSERT_INT(daoc__meta_record(st, "core", "000_base", DAOC__META_EXECUTED, NULL, &msg), DAOC_OK);
    ASSERT_INT(
        daoc__meta_record(st, "key-auth", "000_base_key_auth", DAOC__META_EXECUTED, NULL, &msg),
        DAOC_OK);
    ASSERT_INT(daoc__meta_record(st, "core", "001_14_to_15", DAOC__META_PENDING, NULL, &msg),
               DAOC_OK);
    ASSERT_INT(daoc__meta_record(st, "acl", "002_130_to_140", DAOC__META_PENDING, NULL, &msg),
               DAOC_OK);
    ASSERT_TRUE(same(loaded(st),
                     "[{'subsystem':'acl','last_executed':null,'executed':[],"
                     "'pending':['002_130_to_140']},"
                     "{'subsystem':'core','last_executed':'000_base','executed':['000_base'],"
                     "'pending':['001_14_to_15']},"
                     "{'subsystem':'key-auth','last_executed':'000_base_key_auth',"
                     "'executed':['000_base_key_auth'],'pending':[]}]"));
    ASSERT_INT(daoc__meta_record(st, "core", "001_14_to_15", DAOC__META_TEARDOWN, NULL, &msg),
               DAOC_OK);
    /* a --force re-run: the same names again, not de-duplicated; a
     * teardown removes every copy from pending */
    ASSERT_INT(daoc__meta_record(st, "core", "001_14_to_15", DAOC__META_PENDING, NULL, &msg),
               DAOC_OK);
    ASSERT_INT(daoc__meta_record(st, "core", "001_14_to_15", DAOC__META_PENDING, NULL, &msg),
               DAOC_OK);
    ASSERT_INT(daoc__meta_record(st, "core", "000_base", DAOC__META_EXECUTED, NULL, &msg), DAOC_OK);
    ASSERT_INT(daoc__meta_record(st, "core", "002_15_to_1", DAOC__META_PENDING, NULL, &msg),
               DAOC_OK);
    daoc_value *rows = loaded(st);
    ASSERT_TRUE(same(daoc_value_copy(daoc_arr_get(rows, 1)),
                     "{'subsystem':'core','last_executed':'000_base',"
                     "'executed':['000_base','001_14_to_15','000_base'],"
                     "'pending':['001_14_to_15','001_14_to_15','002_15_to_1']}"));
    daoc_value_free(rows);
    ASSERT_INT(daoc__meta_record(st, "core", "001_14_to_15", DAOC__META_TEARDOWN, NULL, &msg),
               DAOC_OK);
    /* a teardown on a subsystem with no row yet, and a name with quotes,
     * a comma and braces (values are parameters, arrays stay arrays) */
    ASSERT_INT(daoc__meta_record(st, "odd", "it's {a,b} \"x\"", DAOC__META_TEARDOWN, NULL, &msg),
               DAOC_OK);
    rows = loaded(st);
    ASSERT_INT(daoc_value_len(rows), 4);
    ASSERT_TRUE(same(daoc_value_copy(daoc_arr_get(rows, 1)),
                     "{'subsystem':'core','last_executed':'001_14_to_15',"
                     "'executed':['000_base','001_14_to_15','000_base','001_14_to_15'],"
                     "'pending':['002_15_to_1']}"));
    const daoc_value *odd = daoc_arr_get(rows, 3);
    ASSERT_STR(daoc_value_str(daoc_obj_get(odd, "last_executed"), NULL), "it's {a,b} \"x\"");
    ASSERT_STR(daoc_value_str(daoc_arr_get(daoc_obj_get(odd, "executed"), 0), NULL),
               "it's {a,b} \"x\"");
    ASSERT_INT(daoc_value_len(daoc_obj_get(odd, "executed")), 1);
    ASSERT_INT(daoc_value_len(daoc_obj_get(odd, "pending")), 0);
    daoc_value_free(rows);
    if (on_pg()) /* what Kong's own connector reads: TEXT[] */
        ASSERT_TRUE(same(sql_rows(st, "SELECT executed::text AS e, pending::text AS p FROM "
                                      "schema_meta WHERE subsystem = 'core'"),
                         "[{'e':'{000_base,001_14_to_15,000_base,001_14_to_15}',"
                         "'p':'{002_15_to_1}'}]"));
    /* bad input runs nothing */
    ASSERT_INT(daoc__meta_record(st, NULL, "x", DAOC__META_EXECUTED, NULL, &msg), DAOC_EINVAL);
    ASSERT_INT(daoc__meta_record(st, "core", NULL, DAOC__META_EXECUTED, NULL, &msg), DAOC_EINVAL);
    ASSERT_INT(daoc__meta_record(st, "core", "x", (daoc__meta_state)7, NULL, &msg), DAOC_EINVAL);
    ASSERT_INT(daoc_value_len(rows = loaded(st)), 4);
    daoc_value_free(rows);
    st->ops->close(st);
}

TEST(rows_kong_wrote_read_the_same)
{
    daoc__store *st = fresh("kongrows");
    ASSERT_NOT_NULL(st);
    char *msg = NULL;
    ASSERT_INT(daoc__meta_bootstrap(st, &msg), DAOC_OK);
    /* NULL arrays, as Kong leaves them for a pending-only or executed-only row */
    ASSERT_INT(st->deploy->exec(st,
                                "INSERT INTO schema_meta (key, subsystem, last_executed, "
                                "executed, pending) VALUES ('schema_meta', 'core', '000_base', "
                                "NULL, NULL), ('other_key', 'core', 'x', NULL, NULL)",
                                &msg),
               DAOC_OK);
    ASSERT_TRUE(same(loaded(st), "[{'subsystem':'core','last_executed':'000_base',"
                                 "'executed':[],'pending':[]}]"));
    ASSERT_INT(daoc__meta_record(st, "core", "001_14_to_15", DAOC__META_PENDING, NULL, &msg),
               DAOC_OK);
    ASSERT_INT(daoc__meta_record(st, "core", "001_14_to_15", DAOC__META_TEARDOWN, NULL, &msg),
               DAOC_OK);
    ASSERT_TRUE(same(loaded(st), "[{'subsystem':'core','last_executed':'001_14_to_15',"
                                 "'executed':['001_14_to_15'],'pending':[]}]"));
    st->ops->close(st);
}

TEST(ledger_rows_beside_the_state)
{
    daoc__store *st = fresh("ledger");
    ASSERT_NOT_NULL(st);
    char *msg = NULL;
    ASSERT_INT(daoc__meta_bootstrap(st, &msg), DAOC_OK);
    daoc__meta_ledger l = {"sha256:aa", 1700000000.25, 12.5, "node-1", 4242};
    ASSERT_INT(daoc__meta_record(st, "core", "000_base", DAOC__META_EXECUTED, &l, &msg), DAOC_OK);
    daoc__meta_ledger l2 = {NULL, 1700000100.5, 3, NULL, 7};
    ASSERT_INT(daoc__meta_record(st, "acl", "000_base_acl", DAOC__META_PENDING, &l2, &msg),
               DAOC_OK);
    /* a record without one leaves the ledger alone */
    ASSERT_INT(daoc__meta_record(st, "acl", "000_base_acl", DAOC__META_TEARDOWN, NULL, &msg),
               DAOC_OK);
    daoc_value *rows = NULL;
    ASSERT_INT(daoc__meta_ledger_load(st, &rows, &msg), DAOC_OK);
    ASSERT_TRUE(same(rows, "[{'subsystem':'acl','name':'000_base_acl','checksum':null,"
                           "'started_at':1700000100.5,'duration_ms':3.0,'host':null,'pid':7},"
                           "{'subsystem':'core','name':'000_base','checksum':'sha256:aa',"
                           "'started_at':1700000000.25,'duration_ms':12.5,'host':'node-1',"
                           "'pid':4242}]"));
    /* a re-run replaces its row */
    daoc__meta_ledger l3 = {"sha256:bb", 1700000200, 1, "node-2", 99};
    ASSERT_INT(daoc__meta_record(st, "core", "000_base", DAOC__META_EXECUTED, &l3, &msg), DAOC_OK);
    ASSERT_INT(daoc__meta_ledger_load(st, &rows, &msg), DAOC_OK);
    ASSERT_INT(daoc_value_len(rows), 2);
    ASSERT_TRUE(same(daoc_value_copy(daoc_arr_get(rows, 1)),
                     "{'subsystem':'core','name':'000_base','checksum':'sha256:bb',"
                     "'started_at':1700000200.0,'duration_ms':1.0,'host':'node-2','pid':99}"));
    daoc_value_free(rows);
    /* both writes or neither: with the ledger gone, the state is unchanged */
    ASSERT_INT(st->deploy->exec(st, "DROP TABLE daoc_migrations", &msg), DAOC_OK);
    ASSERT_INT(daoc__meta_record(st, "core", "003_x", DAOC__META_EXECUTED, &l, &msg), DAOC_ESTORE);
    ASSERT_NOT_NULL(msg);
    daoc_free(msg);
    msg = NULL;
    rows = loaded(st);
    ASSERT_STR(daoc_value_str(daoc_obj_get(daoc_arr_get(rows, 1), "last_executed"), NULL),
               "000_base");
    daoc_value_free(rows);
    daoc__meta_ledger bad = {NULL, NAN, 0, NULL, 0};
    ASSERT_INT(daoc__meta_record(st, "core", "004_y", DAOC__META_EXECUTED, &bad, &msg),
               DAOC_EINVAL);
    st->ops->close(st);
}

static const char *holder_owner(daoc__store *st, const char *key, char *buf, size_t n, double *ttl)
{
    daoc_value *h = NULL;
    char *msg = NULL;
    if (daoc__meta_lock_read(st, key, &h, &msg) != DAOC_OK) {
        fprintf(stderr, "lock_read: %s\n", msg ? msg : "");
        daoc_free(msg);
        abort();
    }
    if (!h)
        return NULL;
    snprintf(buf, n, "%s", daoc_value_str(daoc_obj_get(h, "owner"), NULL));
    if (ttl)
        *ttl = daoc_value_num(daoc_obj_get(h, "ttl"));
    daoc_value_free(h);
    return buf;
}

/* A legacy `down`: the name leaves executed (every copy) and pending,
 * last_executed moves back, the ledger row goes; others stay. */
TEST(unrecord_undoes_one_migration)
{
    daoc__store *st = fresh("unrecord");
    ASSERT_NOT_NULL(st);
    char *msg = NULL;
    ASSERT_INT(daoc__meta_bootstrap(st, &msg), DAOC_OK);
    daoc__meta_ledger l = {"sha256:aa", 1700000000, 1, "n", 1};
    ASSERT_INT(daoc__meta_record(st, "v014", "m1", DAOC__META_EXECUTED, &l, &msg), DAOC_OK);
    ASSERT_INT(daoc__meta_record(st, "v014", "m2", DAOC__META_EXECUTED, &l, &msg), DAOC_OK);
    ASSERT_INT(daoc__meta_record(st, "v014", "m2", DAOC__META_EXECUTED, NULL, &msg), DAOC_OK);
    ASSERT_INT(daoc__meta_unrecord(st, "v014", "m2", "m1", &msg), DAOC_OK);
    ASSERT_TRUE(same(loaded(st), "[{'subsystem':'v014','last_executed':'m1','executed':['m1'],"
                                 "'pending':[]}]"));
    daoc_value *rows = NULL;
    ASSERT_INT(daoc__meta_ledger_load(st, &rows, &msg), DAOC_OK);
    ASSERT_INT(daoc_value_len(rows), 1);
    daoc_value_free(rows);
    ASSERT_INT(daoc__meta_unrecord(st, "v014", "m1", NULL, &msg), DAOC_OK);
    ASSERT_TRUE(same(loaded(st), "[{'subsystem':'v014','last_executed':null,'executed':[],"
                                 "'pending':[]}]"));
    ASSERT_INT(daoc__meta_unrecord(st, NULL, "m1", NULL, &msg), DAOC_EINVAL);
    st->ops->close(st);
}

TEST(lock_between_two_handles)
{
    daoc__store *a = fresh("lock"), *b = open_store("lock");
    ASSERT_NOT_NULL(a);
    ASSERT_NOT_NULL(b);
    char *msg = NULL, buf[64];
    ASSERT_INT(daoc__meta_bootstrap(a, &msg), DAOC_OK);
    bool got = false, still = true;
    double ttl = 0, t0 = daoc__now();
    ASSERT_NULL(holder_owner(b, "migrations", buf, sizeof buf, NULL));
    ASSERT_INT(daoc__meta_lock(a, "migrations", "node-a", 30, &got, &msg), DAOC_OK);
    ASSERT_TRUE(got);
    /* exclusive: the other handle does not get it, and sees who has it */
    ASSERT_INT(daoc__meta_lock(b, "migrations", "node-b", 30, &got, &msg), DAOC_OK);
    ASSERT_TRUE(!got);
    ASSERT_STR(holder_owner(b, "migrations", buf, sizeof buf, &ttl), "node-a");
    ASSERT_TRUE(ttl > t0 + 25 && ttl < t0 + 35);
    /* another key is another lock */
    ASSERT_INT(daoc__meta_lock(b, "other", "node-b", 30, &got, &msg), DAOC_OK);
    ASSERT_TRUE(got);
    /* only the owner refreshes or removes it */
    ASSERT_INT(daoc__meta_lock_refresh(b, "migrations", "node-b", 30, &still, &msg), DAOC_OK);
    ASSERT_TRUE(!still);
    ASSERT_INT(daoc__meta_unlock(b, "migrations", "node-b", &msg), DAOC_OK);
    ASSERT_STR(holder_owner(b, "migrations", buf, sizeof buf, NULL), "node-a");
    ASSERT_INT(daoc__meta_lock_refresh(a, "migrations", "node-a", 120, &still, &msg), DAOC_OK);
    ASSERT_TRUE(still);
    ASSERT_STR(holder_owner(b, "migrations", buf, sizeof buf, &ttl), "node-a");
    ASSERT_TRUE(ttl > t0 + 115 && ttl < t0 + 125);
    ASSERT_INT(daoc__meta_unlock(a, "migrations", "node-a", &msg), DAOC_OK);
    ASSERT_NULL(holder_owner(b, "migrations", buf, sizeof buf, NULL));
    ASSERT_INT(daoc__meta_lock(b, "migrations", "node-b", 30, &got, &msg), DAOC_OK);
    ASSERT_TRUE(got);
    ASSERT_INT(daoc__meta_unlock(b, "migrations", "node-b", &msg), DAOC_OK);
    /* expiry: a holder that stopped its heartbeat is taken over */
    ASSERT_INT(daoc__meta_lock(a, "migrations", "node-a", 0.3, &got, &msg), DAOC_OK);
    ASSERT_TRUE(got);
    ASSERT_INT(daoc__meta_lock(b, "migrations", "node-b", 30, &got, &msg), DAOC_OK);
    ASSERT_TRUE(!got);
    nanosleep(&(struct timespec){0, 600 * 1000 * 1000}, NULL);
    ASSERT_NULL(holder_owner(b, "migrations", buf, sizeof buf, NULL));
    ASSERT_INT(daoc__meta_lock(b, "migrations", "node-b", 30, &got, &msg), DAOC_OK);
    ASSERT_TRUE(got);
    /* the old holder learns it from its heartbeat and cannot remove it */
    ASSERT_INT(daoc__meta_lock_refresh(a, "migrations", "node-a", 30, &still, &msg), DAOC_OK);
    ASSERT_TRUE(!still);
    ASSERT_INT(daoc__meta_unlock(a, "migrations", "node-a", &msg), DAOC_OK);
    ASSERT_STR(holder_owner(a, "migrations", buf, sizeof buf, NULL), "node-b");
    /* an expired lock still ours (nobody took it) is refreshed */
    ASSERT_INT(daoc__meta_lock(a, "short", "node-a", 0.2, &got, &msg), DAOC_OK);
    ASSERT_TRUE(got);
    nanosleep(&(struct timespec){0, 400 * 1000 * 1000}, NULL);
    ASSERT_INT(daoc__meta_lock_refresh(a, "short", "node-a", 30, &still, &msg), DAOC_OK);
    ASSERT_TRUE(still);
    ASSERT_STR(holder_owner(b, "short", buf, sizeof buf, NULL), "node-a");
    /* bad input */
    ASSERT_INT(daoc__meta_lock(a, "k", "o", 0, &got, &msg), DAOC_EINVAL);
    ASSERT_INT(daoc__meta_lock(a, "k", "o", NAN, &got, &msg), DAOC_EINVAL);
    ASSERT_INT(daoc__meta_lock(a, NULL, "o", 1, &got, &msg), DAOC_EINVAL);
    ASSERT_INT(daoc__meta_lock_refresh(a, "k", NULL, 1, &still, &msg), DAOC_EINVAL);
    ASSERT_NULL(holder_owner(b, "k", buf, sizeof buf, NULL));
    a->ops->close(a);
    b->ops->close(b);
}

TEST(reset_leaves_no_table)
{
    daoc__store *st = fresh("reset");
    ASSERT_NOT_NULL(st);
    char *msg = NULL;
    ASSERT_INT(daoc__meta_bootstrap(st, &msg), DAOC_OK);
    ASSERT_INT(daoc__meta_record(st, "core", "000_base", DAOC__META_EXECUTED, NULL, &msg), DAOC_OK);
    /* a parent whose child's rows RESTRICT its delete (the parent sorts
     * first), a view, an index, a trigger */
    ASSERT_INT(st->deploy->exec(st,
                                on_pg()
                                    ? "CREATE TABLE apar (id INTEGER PRIMARY KEY);"
                                      "CREATE TABLE zchi (id INTEGER PRIMARY KEY, par_id INTEGER "
                                      "REFERENCES apar (id) ON DELETE RESTRICT);"
                                      "INSERT INTO apar VALUES (1); INSERT INTO zchi VALUES (1, 1);"
                                      "CREATE INDEX zchi_par_idx ON zchi (par_id);"
                                      "CREATE VIEW zchi_v AS SELECT * FROM zchi;"
                                      "CREATE SEQUENCE meta_seq;"
                                    : "CREATE TABLE apar (id INTEGER PRIMARY KEY);"
                                      "CREATE TABLE zchi (id INTEGER PRIMARY KEY, par_id INTEGER "
                                      "REFERENCES apar (id) ON DELETE RESTRICT);"
                                      "INSERT INTO apar VALUES (1); INSERT INTO zchi VALUES (1, 1);"
                                      "CREATE INDEX zchi_par_idx ON zchi (par_id);"
                                      "CREATE VIEW zchi_v AS SELECT * FROM zchi;"
                                      "CREATE TRIGGER zchi_t AFTER INSERT ON zchi BEGIN "
                                      "DELETE FROM apar WHERE id < 0; END;"
                                      "CREATE TABLE auto (id INTEGER PRIMARY KEY AUTOINCREMENT);"
                                      "INSERT INTO auto DEFAULT VALUES;",
                                &msg),
               DAOC_OK);
    ASSERT_INT(table_count(st), on_pg() ? 5 : 6);
    ASSERT_INT(daoc__meta_reset(st, &msg), DAOC_OK);
    ASSERT_INT(table_count(st), 0);
    bool exists = true;
    ASSERT_INT(daoc__meta_exists(st, &exists, &msg), DAOC_OK);
    ASSERT_TRUE(!exists);
    if (on_pg())
        ASSERT_TRUE(same(sql_rows(st, "SELECT count(*)::int AS n FROM pg_class c JOIN "
                                      "pg_namespace n ON n.oid = c.relnamespace WHERE "
                                      "n.nspname = current_schema()"),
                         "[{'n':0}]"));
    else
        ASSERT_TRUE(same(sql_rows(st, "SELECT count(*) AS n FROM sqlite_master WHERE "
                                      "name NOT LIKE 'sqlite%'"),
                         "[{'n':0}]"));
    /* the database is usable again: bootstrap, and on SQLite foreign keys are back on */
    ASSERT_INT(daoc__meta_bootstrap(st, &msg), DAOC_OK);
    ASSERT_TRUE(same(loaded(st), "[]"));
    if (!on_pg())
        ASSERT_TRUE(same(sql_rows(st, "PRAGMA foreign_keys"), "[{'foreign_keys':1}]"));
    /* inside the caller's transaction too (SQLite: foreign keys cannot be
     * switched off there; deferred checks let the drops through) */
    ASSERT_INT(st->deploy->exec(st,
                                "CREATE TABLE apar (id INTEGER PRIMARY KEY); CREATE TABLE zchi "
                                "(id INTEGER PRIMARY KEY, par_id INTEGER REFERENCES apar (id) "
                                "ON DELETE RESTRICT); INSERT INTO apar VALUES (1); "
                                "INSERT INTO zchi VALUES (1, 1);",
                                &msg),
               DAOC_OK);
    ASSERT_INT(st->ops->begin(st, &msg), DAOC_OK);
    ASSERT_INT(daoc__meta_reset(st, &msg), DAOC_OK);
    ASSERT_INT(st->ops->commit(st, &msg), DAOC_OK);
    ASSERT_INT(table_count(st), 0);
    ASSERT_INT(daoc__meta_reset(st, &msg), DAOC_OK);
    ASSERT_INT(table_count(st), 0);
    st->ops->close(st);
}

struct boot_arg {
    daoc__store *st;
    int rc;
};

static void *boot_thread(void *p)
{
    struct boot_arg *a = p;
    char *msg = NULL;
    a->rc = daoc__meta_bootstrap(a->st, &msg);
    if (a->rc != DAOC_OK)
        fprintf(stderr, "    concurrent bootstrap: %s\n", msg ? msg : "");
    daoc_free(msg);
    return NULL;
}

TEST(bootstraps_at_once_both_succeed)
{
    daoc__store *a = fresh("cboot"), *b = open_store("cboot");
    ASSERT_NOT_NULL(a);
    ASSERT_NOT_NULL(b);
    char *msg = NULL;
    /* the first one's tables are created but not committed while the
     * second runs: it waits for them, then finds them there */
    ASSERT_INT(a->ops->begin(a, &msg), DAOC_OK);
    ASSERT_INT(daoc__meta_bootstrap(a, &msg), DAOC_OK);
    struct boot_arg arg = {b, -1};
    pthread_t t;
    ASSERT_INT(pthread_create(&t, NULL, boot_thread, &arg), 0);
    nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
    ASSERT_INT(a->ops->commit(a, &msg), DAOC_OK);
    pthread_join(t, NULL);
    ASSERT_INT(arg.rc, DAOC_OK);
    ASSERT_INT(table_count(b), 3);
    a->ops->close(a);
    b->ops->close(b);
}

enum { RACERS = 4, ROUNDS = 5 };

struct race {
    daoc__store *st[RACERS];
    pthread_barrier_t go;
    int got[RACERS];
    int rc[RACERS];
};

struct racer {
    struct race *r;
    int i;
};

static void *race_thread(void *p)
{
    struct racer *me = p;
    struct race *r = me->r;
    char owner[16];
    snprintf(owner, sizeof owner, "node-%d", me->i);
    for (int round = 0; round < ROUNDS; round++) {
        pthread_barrier_wait(&r->go);
        bool got = false;
        char *msg = NULL;
        int rc = daoc__meta_lock(r->st[me->i], "migrations", owner, 30, &got, &msg);
        if (rc != DAOC_OK) {
            fprintf(stderr, "    racer %d: %s\n", me->i, msg ? msg : "");
            r->rc[me->i] = rc;
        }
        daoc_free(msg);
        if (got)
            r->got[me->i]++;
        pthread_barrier_wait(&r->go); /* every racer tried: the winner lets go */
        if (got && daoc__meta_unlock(r->st[me->i], "migrations", owner, NULL) != DAOC_OK)
            r->rc[me->i] = DAOC_ESTORE;
        pthread_barrier_wait(&r->go);
    }
    return NULL;
}

TEST(racing_handles_one_gets_the_lock)
{
    struct race r = {0};
    r.st[0] = fresh("race");
    ASSERT_NOT_NULL(r.st[0]);
    char *msg = NULL;
    ASSERT_INT(daoc__meta_bootstrap(r.st[0], &msg), DAOC_OK);
    for (int i = 1; i < RACERS; i++)
        ASSERT_NOT_NULL(r.st[i] = open_store("race"));
    ASSERT_INT(pthread_barrier_init(&r.go, NULL, RACERS), 0);
    pthread_t t[RACERS];
    struct racer who[RACERS];
    for (int i = 0; i < RACERS; i++) {
        who[i] = (struct racer){&r, i};
        ASSERT_INT(pthread_create(&t[i], NULL, race_thread, &who[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&r.go);
    int wins = 0;
    for (int i = 0; i < RACERS; i++) {
        ASSERT_INT(r.rc[i], DAOC_OK);
        wins += r.got[i];
    }
    ASSERT_INT(wins, ROUNDS);
    for (int i = 0; i < RACERS; i++)
        r.st[i]->ops->close(r.st[i]);
}

/* PostgreSQL: a user who may not drop its schema (owned by another role,
 * with CREATE granted) gets the fallback: every table of the schema
 * dropped, the schema kept.  Needs the server's superuser (the test
 * cluster trusts local connections); skipped without it. */
TEST(reset_without_the_schema_privilege_drops_the_tables)
{
    if (!on_pg())
        return;
    const char *user = getenv("DAOC_PG_USER");
    ASSERT_NOT_NULL(user);
    daoc__store *su = open_pg_as((const char *[]){"pg_user", "postgres", NULL});
    if (!su) {
        fprintf(stderr, "    skipped: no superuser connection\n");
        return;
    }
    char *msg = NULL, sql[512];
    snprintf(sql, sizeof sql,
             "DROP SCHEMA IF EXISTS meta_fb CASCADE; CREATE SCHEMA meta_fb AUTHORIZATION "
             "postgres; GRANT USAGE, CREATE ON SCHEMA meta_fb TO \"%s\";",
             user);
    ASSERT_INT(su->deploy->exec(su, sql, &msg), DAOC_OK);
    daoc__store *st = open_pg_as((const char *[]){"pg_schema", "meta_fb", NULL});
    ASSERT_NOT_NULL(st);
    ASSERT_INT(daoc__meta_bootstrap(st, &msg), DAOC_OK);
    ASSERT_INT(st->deploy->exec(st,
                                "CREATE TABLE par (id INTEGER PRIMARY KEY); CREATE TABLE chi "
                                "(id INTEGER PRIMARY KEY, par_id INTEGER REFERENCES par (id)); "
                                "INSERT INTO par VALUES (1); INSERT INTO chi VALUES (1, 1);",
                                &msg),
               DAOC_OK);
    ASSERT_INT(table_count(st), 5);
    ASSERT_INT(daoc__meta_reset(st, &msg), DAOC_OK);
    ASSERT_INT(table_count(st), 0);
    ASSERT_TRUE(same(sql_rows(st, "SELECT nspname::text AS s, pg_get_userbyid(nspowner)::text "
                                  "AS o FROM pg_namespace WHERE nspname = 'meta_fb'"),
                     "[{'s':'meta_fb','o':'postgres'}]"));
    ASSERT_INT(daoc__meta_bootstrap(st, &msg), DAOC_OK);
    ASSERT_INT(table_count(st), 3);
    st->ops->close(st);
    ASSERT_INT(su->deploy->exec(su, "DROP SCHEMA meta_fb CASCADE", &msg), DAOC_OK);
    su->ops->close(su);
}
