/*
 * test_cluster_events.c -- a node's reader of the cluster events
 * (daoc_cluster_*, src/events/cluster.c) against the events the database's
 * triggers write: a committed change is told once, on Kong's channel,
 * with the entity's cache key; a rolled-back one never; events older than
 * the reader are not told; db_update_propagation holds events back; with
 * the reader's thread a change arrives by itself (PostgreSQL: through
 * LISTEN/NOTIFY, so without waiting for db_update_frequency).  Runs on
 * every store (DAOC_DATABASE).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "events/events.h"
#include "fixture.h"
#include "harness.h"
#include "store/deploy.h"

typedef struct heard {
    pthread_mutex_t mu;
    char log[8192];
    int n;
} heard;

static void on_event(void *ud, const char *channel, const char *data)
{
    heard *h = ud;
    pthread_mutex_lock(&h->mu);
    size_t l = strlen(h->log);
    snprintf(h->log + l, sizeof h->log - l, "%s %s|", channel, data);
    h->n++;
    pthread_mutex_unlock(&h->mu);
}

static int count(heard *h)
{
    pthread_mutex_lock(&h->mu);
    int n = h->n;
    pthread_mutex_unlock(&h->mu);
    return n;
}

static bool pg(void)
{
    const char *d = getenv("DAOC_DATABASE");
    return d && strcmp(d, "postgres") == 0;
}

/* Behind a pooler in transaction mode LISTEN cannot work: reads only. */
static bool pooled(void)
{
    const char *p = getenv("DAOC_PG_POOLING");
    return pg() && p && strcmp(p, "transaction") == 0;
}

/* A configuration of a fresh database (SQLite: its own file). */
static daoc_config *config(const char *tag, const char *freq, const char *prop)
{
    daoc_config *cfg = fixture_config(tag);
    if (!cfg)
        abort();
    if (daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK ||
        daoc_config_set(cfg, "db_update_frequency", freq, NULL) != DAOC_OK ||
        daoc_config_set(cfg, "db_update_propagation", prop, NULL) != DAOC_OK)
        abort();
    return cfg;
}

static daoc_value *consumer(daoc_db *db, const char *name)
{
    char j[200];
    static int seq; /* a shared server keeps rows between runs: names of this run */
    snprintf(j, sizeof j, "{'username':'%s-%d-%d-%ld'}", name, (int)getpid(), seq++,
             (long)time(NULL));
    daoc_value *e = J(j), *out = NULL;
    int rc = daoc_dao_insert(daoc_db_dao(db, "consumers"), e, NULL, &out, NULL);
    daoc_value_free(e);
    return rc == DAOC_OK ? out : NULL;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A database handle and a reader of its events subscribed to channel
 * (NULL: every channel), what most tests begin with. */
typedef struct reader {
    daoc_config *cfg;
    daoc_db *db;
    daoc_cluster *c;
    heard h;
} reader;

static void reader_open(reader *r, const char *tag, const char *freq, const char *prop,
                        const char *channel)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->h.mu, NULL);
    r->cfg = config(tag, freq, prop);
    if (daoc_db_open(&r->db, r->cfg, NULL) != DAOC_OK ||
        daoc_cluster_open(&r->c, r->cfg, NULL) != DAOC_OK ||
        daoc_cluster_subscribe(r->c, channel, on_event, &r->h) != DAOC_OK)
        abort();
}

static void reader_close(reader *r)
{
    daoc_cluster_close(r->c);
    daoc_db_close(r->db);
    daoc_config_free(r->cfg);
    pthread_mutex_destroy(&r->h.mu);
}

TEST(a_committed_change_is_told_once_and_a_rolled_back_one_never)
{
    daoc_config *cfg = config("cl", "5", "0");
    daoc_db *db = NULL;
    ASSERT_INT(daoc_db_open(&db, cfg, NULL), DAOC_OK);
    daoc_value *before = consumer(db, "before-the-reader");
    ASSERT_TRUE(before != NULL);
    sleep_ms(20); /* the reader counts from its opening, less 2 ms */
    daoc_cluster *c = NULL;
    ASSERT_INT(daoc_cluster_open(&c, cfg, NULL), DAOC_OK);
    heard h = {PTHREAD_MUTEX_INITIALIZER, "", 0};
    ASSERT_INT(daoc_cluster_subscribe(c, "invalidations", on_event, &h), DAOC_OK);
    size_t told = 99;
    ASSERT_INT(daoc_cluster_poll(c, &told, NULL), DAOC_OK);
    ASSERT_INT((int)told, 0); /* what came before the reader is not told */

    daoc_value *a = consumer(db, "a");
    ASSERT_TRUE(a != NULL);
    ASSERT_INT(daoc_db_begin(db, NULL), DAOC_OK);
    daoc_value *b = consumer(db, "rolled-back");
    ASSERT_INT(daoc_db_rollback(db, NULL), DAOC_OK);
    ASSERT_INT(daoc_cluster_poll(c, &told, NULL), DAOC_OK);
    ASSERT_INT((int)told, 1);
    char want[200];
    snprintf(want, sizeof want, "invalidations consumers:%s:::::%s|",
             daoc_value_str(daoc_obj_get(a, "id"), NULL), t_default_ws(db));
    ASSERT_STR(h.log, want);
    ASSERT_INT(daoc_cluster_poll(c, &told, NULL), DAOC_OK);
    ASSERT_INT((int)told, 0); /* once */
    ASSERT_INT(count(&h), 1);

    /* another channel: a core cache entity */
    heard core = {PTHREAD_MUTEX_INITIALIZER, "", 0};
    ASSERT_INT(daoc_cluster_subscribe(c, "invalidations_kong_core_db_cache", on_event, &core),
               DAOC_OK);
    char sj[200];
    snprintf(sj, sizeof sj, "{'name':'s-%d-%ld','host':'example.test'}", (int)getpid(),
             (long)time(NULL));
    daoc_value *svc = J(sj), *out = NULL;
    ASSERT_INT(daoc_dao_insert(daoc_db_dao(db, "services"), svc, NULL, &out, NULL), DAOC_OK);
    ASSERT_INT(daoc_cluster_poll(c, &told, NULL), DAOC_OK);
    ASSERT_INT((int)told, 1);
    ASSERT_INT(count(&h), 1);
    ASSERT_INT(count(&core), 1);
    ASSERT_TRUE(strncmp(core.log, "invalidations_kong_core_db_cache services:", 42) == 0);
    daoc_value *st = daoc_cluster_stats(c);
    char *js = enc(st);
    ASSERT_TRUE(strstr(js, "\"told\":2") != NULL);
    daoc_free(js);
    daoc_value_free(st);
    daoc_value_free(out);
    daoc_value_free(svc);
    daoc_value_free(a);
    daoc_value_free(b);
    daoc_value_free(before);
    daoc_cluster_close(c);
    daoc_db_close(db);
    daoc_config_free(cfg);
}

TEST(db_update_propagation_holds_events_back)
{
    reader r;
    reader_open(&r, "clp", "5", "0.4", NULL);
    daoc_db *db = r.db;
    daoc_cluster *c = r.c;
    heard *h = &r.h;
    daoc_value *a = consumer(db, "late");
    ASSERT_TRUE(a != NULL);
    size_t told = 99;
    ASSERT_INT(daoc_cluster_poll(c, &told, NULL), DAOC_OK);
    ASSERT_INT((int)told, 0); /* younger than 0.4 s */
    sleep_ms(600);
    ASSERT_INT(daoc_cluster_poll(c, &told, NULL), DAOC_OK);
    ASSERT_INT((int)told, 1);
    ASSERT_INT(count(h), 1);
    daoc_value_free(a);
    reader_close(&r);
}

/* A transaction whose change is older than the look-back (5 s) when it
 * commits, with a read in between that advanced the window past it: on
 * PostgreSQL each read notes the oldest writing transaction's start and
 * the next one reads back to it; on SQLite the writer gives its events
 * the commit's time (the reader has a connection of its own, as another
 * process's would).  Either way the change is told when it commits. */
TEST(a_transaction_longer_than_the_look_back_is_told_when_it_commits)
{
    reader r;
    reader_open(&r, "cllong", "5", "0", "invalidations");
    daoc_db *db = r.db;
    daoc_cluster *c = r.c;
    heard *h = &r.h;
    ASSERT_INT(daoc_db_begin(db, NULL), DAOC_OK);
    daoc_value *a = consumer(db, "long");
    ASSERT_TRUE(a != NULL);
    size_t told = 99;
    ASSERT_INT(daoc_cluster_poll(c, &told, NULL), DAOC_OK);
    ASSERT_INT((int)told, 0); /* not committed yet */
    sleep_ms(6500);
    ASSERT_INT(daoc_cluster_poll(c, &told, NULL), DAOC_OK); /* its window starts after the change */
    ASSERT_INT((int)told, 0);
    ASSERT_INT(daoc_db_commit(db, NULL), DAOC_OK);
    ASSERT_INT(daoc_cluster_poll(c, &told, NULL), DAOC_OK);
    ASSERT_INT((int)told, 1);
    char want[200];
    snprintf(want, sizeof want, "invalidations consumers:%s:::::%s|",
             daoc_value_str(daoc_obj_get(a, "id"), NULL), t_default_ws(db));
    ASSERT_STR(h->log, want);
    ASSERT_INT(daoc_cluster_poll(c, &told, NULL), DAOC_OK);
    ASSERT_INT((int)told, 0); /* once */
    daoc_value_free(a);
    reader_close(&r);
}

TEST(the_reader_thread_tells_changes_by_itself)
{
    /* PostgreSQL: a frequency far beyond the wait, so only NOTIFY can do
     * it; behind a transaction pooler (and on SQLite) the reads, every
     * 0.1 s */
    bool listen = pg() && !pooled();
    daoc_config *cfg = config("clt", listen ? "60" : "0.1", "0");
    daoc_db *db = NULL;
    ASSERT_INT(daoc_db_open(&db, cfg, NULL), DAOC_OK);
    daoc_cluster *c = NULL;
    ASSERT_INT(daoc_cluster_open(&c, cfg, NULL), DAOC_OK);
    heard h = {PTHREAD_MUTEX_INITIALIZER, "", 0};
    ASSERT_INT(daoc_cluster_subscribe(c, "invalidations", on_event, &h), DAOC_OK);
    ASSERT_INT(daoc_cluster_start(c, NULL), DAOC_OK);
    ASSERT_INT(daoc_cluster_poll(c, NULL, NULL), DAOC_EINVAL); /* the thread reads */
    /* PostgreSQL: wait until the listener is up (its probe) */
    for (int i = 0; listen && i < 100; i++) {
        daoc_value *st = daoc_cluster_stats(c);
        bool on = daoc_value_bool(daoc_obj_get(st, "listening"));
        daoc_value_free(st);
        if (on)
            break;
        sleep_ms(50);
    }
    daoc_value *a = consumer(db, "t1");
    ASSERT_TRUE(a != NULL);
    for (int i = 0; i < 100 && count(&h) < 1; i++)
        sleep_ms(50);
    daoc_value *st = daoc_cluster_stats(c);
    char *js = enc(st);
    if (count(&h) != 1)
        fprintf(stderr, "stats: %s\n", js);
    ASSERT_INT(count(&h), 1);
    if (listen)
        ASSERT_TRUE(strstr(js, "\"listening\":true") != NULL && strstr(js, "\"notifications\":1"));
    else
        ASSERT_TRUE(strstr(js, "\"listening\":false") != NULL);
    daoc_free(js);
    daoc_value_free(st);
    daoc_value_free(a);
    daoc_cluster_close(c);
    daoc_db_close(db);
    daoc_config_free(cfg);
}

static int64_t stat_of(daoc_cluster *c, const char *name)
{
    daoc_value *st = daoc_cluster_stats(c);
    int64_t n = daoc_value_int(daoc_obj_get(st, name));
    daoc_value_free(st);
    return n;
}

/* PostgreSQL with LISTEN: once a full read came after the listener took
 * hold, the periodic reads take only the events no trigger wrote (the
 * listener was told the triggers' ones, and a probe round trip before each
 * read makes sure it still is); an event a Kong node writes by hand, with
 * no NOTIFY, is still told, and nothing twice. */
TEST(while_the_listener_hears_all_the_reads_take_only_the_other_events)
{
    if (!pg() || pooled())
        return;
    reader r;
    reader_open(&r, "clo", "0.2", "0", "invalidations");
    daoc_db *db = r.db;
    daoc_cluster *c = r.c;
    heard *h = &r.h;
    ASSERT_INT(daoc_cluster_start(c, NULL), DAOC_OK);
    for (int i = 0; i < 100 && stat_of(c, "reads_others") < 1; i++)
        sleep_ms(50);
    ASSERT_TRUE(stat_of(c, "reads_others") >= 1);
    daoc_value *a = consumer(db, "heard");
    ASSERT_TRUE(a != NULL);
    char sql[300];
    snprintf(sql, sizeof sql,
             "INSERT INTO cluster_events (id, node_id, at, expire_at, channel, data) VALUES "
             "(gen_random_uuid(), gen_random_uuid(), date_trunc('milliseconds', "
             "clock_timestamp()), now() + INTERVAL '1 hour', 'invalidations', 'by-hand-%d')",
             (int)getpid());
    char *msg = NULL;
    ASSERT_INT(db->store->deploy->exec(db->store, sql, &msg), DAOC_OK);
    for (int i = 0; i < 100 && count(h) < 2; i++)
        sleep_ms(50);
    int64_t others = stat_of(c, "reads_others");
    sleep_ms(500); /* two more reads: nothing told again */
    ASSERT_INT(count(h), 2);
    ASSERT_TRUE(strstr(h->log, "invalidations consumers:") != NULL);
    ASSERT_TRUE(strstr(h->log, "invalidations by-hand-") != NULL);
    ASSERT_TRUE(stat_of(c, "reads_others") > others);
    ASSERT_INT((int)stat_of(c, "notifications"), 1);
    daoc_value_free(a);
    reader_close(&r);
}

TEST(a_broadcast_reaches_the_other_nodes_not_its_own_and_waits_its_delay)
{
    daoc_config *cfg = config("clb", "5", "0");
    daoc_db *db = NULL;
    ASSERT_INT(daoc_db_open(&db, cfg, NULL), DAOC_OK); /* makes the tables */
    daoc_cluster *a = NULL, *b = NULL;
    ASSERT_INT(daoc_cluster_open(&a, cfg, NULL), DAOC_OK);
    ASSERT_INT(daoc_cluster_open(&b, cfg, NULL), DAOC_OK);
    heard ha = {PTHREAD_MUTEX_INITIALIZER, "", 0}, hb = {PTHREAD_MUTEX_INITIALIZER, "", 0};
    ASSERT_INT(daoc_cluster_subscribe(a, NULL, on_event, &ha), DAOC_OK);
    ASSERT_INT(daoc_cluster_subscribe(b, "my-channel", on_event, &hb), DAOC_OK);
    ASSERT_INT(daoc_cluster_broadcast(a, "my-channel", "payload 1", 0, NULL), DAOC_OK);
    ASSERT_INT(daoc_cluster_broadcast(a, "my-channel", "later", 0.3, NULL), DAOC_OK);
    size_t told = 99;
    ASSERT_INT(daoc_cluster_poll(a, &told, NULL), DAOC_OK);
    ASSERT_INT((int)told, 0); /* its own */
    ASSERT_INT(daoc_cluster_poll(b, &told, NULL), DAOC_OK);
    ASSERT_INT((int)told, 1);
    ASSERT_STR(hb.log, "my-channel payload 1|");
    sleep_ms(400);
    ASSERT_INT(daoc_cluster_poll(b, &told, NULL), DAOC_OK);
    ASSERT_INT((int)told, 1);
    ASSERT_STR(hb.log, "my-channel payload 1|my-channel later|");
    ASSERT_INT(daoc_cluster_poll(a, &told, NULL), DAOC_OK);
    ASSERT_INT((int)told, 0);
    ASSERT_INT(count(&ha), 0);
    daoc_error *err = NULL;
    ASSERT_INT(daoc_cluster_broadcast(a, NULL, "x", 0, &err), DAOC_EINVAL);
    daoc_error_free(err);
    ASSERT_INT(daoc_cluster_broadcast(a, "c", "x", -1, NULL), DAOC_EINVAL);
    daoc_cluster_close(a);
    daoc_cluster_close(b);
    daoc_db_close(db);
    daoc_config_free(cfg);
}

TEST(notification_payloads)
{
    char id[37], ch[128];
    const char *data = NULL;
    ASSERT_INT(daoc__events_payload("6c0a3b7e-2f4d-4e1a-9b8c-0d1e2f3a4b5c\ninvalidations\nk:1:::::",
                                    id, ch, sizeof ch, &data),
               1);
    ASSERT_STR(id, "6c0a3b7e-2f4d-4e1a-9b8c-0d1e2f3a4b5c");
    ASSERT_STR(ch, "invalidations");
    ASSERT_STR(data, "k:1:::::");
    ASSERT_INT(
        daoc__events_payload("6c0a3b7e-2f4d-4e1a-9b8c-0d1e2f3a4b5c\nc\n", id, ch, sizeof ch, &data),
        0); /* too long to carry: read the table */
    ASSERT_INT(daoc__events_payload("daoc-probe-1", id, ch, sizeof ch, &data), -1);
    ASSERT_INT(daoc__events_payload("short\nc\nd", id, ch, sizeof ch, &data), -1);
    ASSERT_INT(
        daoc__events_payload("6c0a3b7e-2f4d-4e1a-9b8c-0d1e2f3a4b5c\n\nd", id, ch, sizeof ch, &data),
        -1);
    char big[400];
    memset(big, 'c', sizeof big);
    memcpy(big, "6c0a3b7e-2f4d-4e1a-9b8c-0d1e2f3a4b5c\n", 37);
    memcpy(big + 300, "\nd", 3);
    big[399] = '\0';
    ASSERT_INT(daoc__events_payload(big, id, ch, sizeof ch, &data), -1); /* channel too long */
}

/* The number of rows of cluster_events on channel ch. */
static long events_on(daoc_db *db, const char *ch)
{
    daoc_value *p = daoc_arr(), *rows = NULL;
    if (!p || daoc_arr_push(p, daoc_str(ch)) != DAOC_OK)
        abort();
    const char *sql = pg() ? "SELECT count(*)::int AS n FROM cluster_events WHERE channel = $1"
                           : "SELECT count(*) AS n FROM cluster_events WHERE channel = ?1";
    long n = -1;
    if (db->store->deploy->query(db->store, sql, p, &rows, NULL) == DAOC_OK)
        n = (long)daoc_value_num(daoc_obj_get(daoc_arr_get(rows, 0), "n"));
    daoc_value_free(rows);
    daoc_value_free(p);
    return n;
}

/* Expired events are the readers' to remove, by batches until none is
 * left (12,000 here, more than two batches); an entity write removes none
 * (on PostgreSQL Kong's batch_delete_expired_rows runs after Kong's own
 * inserts only, not after the triggers'). */
TEST(expired_events_are_removed_by_the_readers_not_by_entity_writes)
{
    daoc_config *cfg = config("ex", "5", "0");
    daoc_db *db = NULL;
    ASSERT_INT(daoc_db_open(&db, cfg, NULL), DAOC_OK);
    const char *fill =
        pg() ? "INSERT INTO cluster_events (id, node_id, at, expire_at, channel, data) SELECT "
               "gen_random_uuid(), gen_random_uuid(), now() - INTERVAL '2 hours', now() - "
               "INTERVAL '1 hour', 'expired-test', 'x' FROM generate_series(1, 12000)"
             : "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000) "
               "INSERT INTO cluster_events (id, node_id, at, expire_at, channel, data) SELECT "
               "lower(hex(randomblob(16))), 'n', (julianday('now') - 2440587.5) * 86400.0 - 7200, "
               "(julianday('now') - 2440587.5) * 86400.0 - 3600, 'expired-test', 'x' FROM n";
    char *msg = NULL;
    ASSERT_INT(db->store->deploy->exec(db->store, "DELETE FROM cluster_events", &msg), DAOC_OK);
    ASSERT_INT(db->store->deploy->exec(db->store, fill, &msg), DAOC_OK);
    long before = events_on(db, "expired-test");
    ASSERT_TRUE(before >= 11998); /* Kong's trigger took up to two after this insert */
    for (int i = 0; i < 3; i++) {
        daoc_value *e = consumer(db, "expiry");
        ASSERT_TRUE(e != NULL);
        daoc_value_free(e);
    }
    ASSERT_INT((int)events_on(db, "expired-test"), (int)before);
    ASSERT_INT((int)events_on(db, "invalidations"), 3);
    daoc_cluster *c = NULL;
    ASSERT_INT(daoc_cluster_open(&c, cfg, NULL), DAOC_OK);
    size_t told = 0;
    ASSERT_INT(daoc_cluster_poll(c, &told, NULL), DAOC_OK);
    ASSERT_INT((int)events_on(db, "expired-test"), 0);
    ASSERT_INT((int)events_on(db, "invalidations"), 3); /* not expired: kept */
    daoc_cluster_close(c);
    daoc_db_close(db);
    daoc_config_free(cfg);
}

/* A stored composite cache_key that an older daoc wrote with an empty
 * workspace part gets its row's ws_id when the table's triggers are made
 * again (here: a second handle adding the entity after the triggers were
 * dropped, as a database from before them). */
TEST(an_older_composite_cache_key_gets_its_workspace_part)
{
    static const char def_json[] =
        "{'name':'wck','primary_key':['id'],'cache_key':['a','i'],'workspaceable':true,"
        "'fields':[{'id':{'type':'string','uuid':true,'auto':true}},{'a':{'type':'string'}},"
        "{'i':{'type':'integer'}}]}";
    daoc_config *cfg = config("ck", "5", "0");
    daoc_db *db = NULL;
    ASSERT_INT(daoc_db_open(&db, cfg, NULL), DAOC_OK);
    daoc_value *def = J(def_json), *e = J("{'a':'x','i':7}"), *out = NULL;
    ASSERT_INT(daoc__db_add_entity(db, def, NULL, NULL), DAOC_OK);
    daoc_dao *dao = daoc_db_dao(db, "wck");
    ASSERT_INT(daoc__dao_truncate(dao, NULL), DAOC_OK);
    ASSERT_INT(daoc_dao_insert(dao, e, NULL, &out, NULL), DAOC_OK);
    char want[100];
    snprintf(want, sizeof want, "wck:x:7::::%s", t_default_ws(db));
    /* as an older daoc left it: no workspace part, no triggers */
    const char *old = pg() ? "UPDATE wck SET cache_key = 'wck:x:7::::'; DROP TRIGGER "
                             "wck_daoc_events_v4 ON wck"
                           : "UPDATE wck SET cache_key = 'wck:x:7::::'; DROP TRIGGER "
                             "wck_daoc_events_v4_ins; DROP TRIGGER wck_daoc_events_v4_upd; "
                             "DROP TRIGGER wck_daoc_events_v4_del";
    ASSERT_INT(db->store->deploy->exec(db->store, old, NULL), DAOC_OK);
    daoc_db *db2 = NULL;
    ASSERT_INT(daoc_db_open(&db2, cfg, NULL), DAOC_OK);
    ASSERT_INT(daoc__db_add_entity(db2, def, NULL, NULL), DAOC_OK);
    daoc_value *rows = NULL;
    ASSERT_INT(db->store->deploy->query(db->store, "SELECT cache_key FROM wck", NULL, &rows, NULL),
               DAOC_OK);
    ASSERT_STR(daoc_value_str(daoc_obj_get(daoc_arr_get(rows, 0), "cache_key"), NULL), want);
    daoc_value_free(rows);
    /* and it is found by its key */
    daoc_value *found = NULL, *k = daoc_str(want);
    ASSERT_INT(daoc__dao_select_by_cache_key(daoc_db_dao(db2, "wck"), k, NULL, &found, NULL),
               DAOC_OK);
    ASSERT_TRUE(found != NULL);
    daoc_value_free(found);
    daoc_value_free(k);
    daoc_value_free(out);
    daoc_value_free(e);
    daoc_value_free(def);
    daoc_db_close(db2);
    daoc_db_close(db);
    daoc_config_free(cfg);
}

/* The told ids: found after marking, forgotten by pruning (which keeps
 * the rest found), and a second mark of one id is no second entry. */
TEST(the_told_ids_are_found_and_pruned)
{
    daoc__seen s = {0};
    char id[37];
    ASSERT_TRUE(!daoc__seen_has(&s, "x"));
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof id, "%08x-0000-4000-8000-%012d", (unsigned)i * 2654435761u, i);
        daoc__seen_add(&s, id, i < 10000 ? 1.0 : 2.0);
    }
    ASSERT_INT((int)s.n, 20000);
    daoc__seen_add(&s, id, 2.0); /* the last one again */
    ASSERT_INT((int)s.n, 20000);
    int found = 0;
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof id, "%08x-0000-4000-8000-%012d", (unsigned)i * 2654435761u, i);
        found += daoc__seen_has(&s, id);
    }
    ASSERT_INT(found, 20000);
    ASSERT_TRUE(!daoc__seen_has(&s, "00000000-0000-4000-8000-000000099999"));
    daoc__seen_prune(&s, 1.5);
    ASSERT_INT((int)s.n, 10000);
    found = 0;
    int kept = 0;
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof id, "%08x-0000-4000-8000-%012d", (unsigned)i * 2654435761u, i);
        bool has = daoc__seen_has(&s, id);
        found += has;
        kept += has && i >= 10000;
    }
    ASSERT_INT(found, 10000);
    ASSERT_INT(kept, 10000);
    daoc__seen_prune(&s, 3.0);
    ASSERT_INT((int)s.n, 0);
    ASSERT_TRUE(!daoc__seen_has(&s, id));
    daoc__seen_free(&s);
}

TEST(misuse)
{
    ASSERT_INT(daoc_cluster_open(NULL, NULL, NULL), DAOC_EINVAL);
    ASSERT_INT(daoc_cluster_subscribe(NULL, NULL, on_event, NULL), DAOC_EINVAL);
    ASSERT_INT(daoc_cluster_poll(NULL, NULL, NULL), DAOC_EINVAL);
    ASSERT_INT(daoc_cluster_start(NULL, NULL), DAOC_EINVAL);
    ASSERT_TRUE(daoc_cluster_stats(NULL) == NULL);
    daoc_cluster_close(NULL);
    daoc_config *cfg = NULL;
    ASSERT_INT(daoc_config_load(&cfg, NULL, NULL), DAOC_OK);
    char why[200] = "";
    ASSERT_INT(t_config_set(cfg, "db_update_frequency", "0", why, sizeof why), DAOC_ECONFIG);
    ASSERT_TRUE(strstr(why, "greater than 0") != NULL);
    ASSERT_INT(t_config_set(cfg, "db_update_propagation", "-1", why, sizeof why), DAOC_ECONFIG);
    ASSERT_INT(daoc_config_set(cfg, "db_update_propagation", "0", NULL), DAOC_OK);
    daoc_config_free(cfg);
}
