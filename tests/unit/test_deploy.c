/*
 * test_deploy.c -- DDL as an explicit step and the stores' second table.
 *
 * Opening creates nothing unless asked (create_tables): a fresh database
 * opened without it is refused, naming the missing table, and is left
 * empty; once the tables exist it opens without creating anything.  The
 * per-deployment members (store/deploy.h) run scripts all or nothing,
 * inside the caller's transaction when there is one, return typed rows,
 * list tables and derive a table from a schema, and read a table's catalog
 * (store/catalog.h: columns, indexes, foreign keys) for migrations lint.  The deploy part runs on
 * the store DAOC_DATABASE names; the open part on SQLite files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "fixture.h"
#include "harness.h"
#include "store/catalog.h"
#include "store/deploy.h"

static daoc_db *open_sqlite(const char *path, const char *create, daoc_error **err, int *rc)
{
    daoc_config *cfg = NULL;
    char why[256];
    if (t_config_load(&cfg, NULL, why, sizeof why) != DAOC_OK ||
        t_config_set(cfg, "database", "sqlite", why, sizeof why) != DAOC_OK ||
        t_config_set(cfg, "sqlite_path", path, why, sizeof why) != DAOC_OK ||
        (create && t_config_set(cfg, "create_tables", create, why, sizeof why) != DAOC_OK))
        abort();
    daoc_db *db = NULL;
    *rc = daoc_db_open(&db, cfg, err);
    daoc_config_free(cfg);
    return db;
}

static size_t count_tables(daoc_db *db)
{
    daoc_value *names = NULL;
    char *msg = NULL;
    if (db->store->deploy->list_tables(db->store, &names, &msg) != DAOC_OK)
        abort();
    size_t n = daoc_value_len(names);
    daoc_value_free(names);
    return n;
}

TEST(open_creates_nothing_unless_asked)
{
    char path[512];
    const char *tmp = getenv("DAOC_TEST_TMP");
    snprintf(path, sizeof path, "%s/deploy_%d.db", tmp ? tmp : "/tmp", (int)getpid());
    unlink(path);
    daoc_error *err = NULL;
    int rc;
    /* not asked: refused, naming the first missing table */
    daoc_db *db = open_sqlite(path, NULL, &err, &rc);
    ASSERT_NULL(db);
    ASSERT_INT(rc, DAOC_ESTORE);
    ASSERT_NOT_NULL(strstr(daoc_error_string(err), "the table 'workspaces' of core entity "
                                                   "'workspaces' does not exist in the sqlite "
                                                   "database: it is created only when asked"));
    daoc_error_free(err);
    err = NULL;
    /* asked: created; the file held no table before */
    db = open_sqlite(path, "on", &err, &rc);
    ASSERT_INT(rc, DAOC_OK);
    size_t made = count_tables(db);
    ASSERT_TRUE(made >= 2);
    daoc_value *in = J("{'username':'u1'}"), *out = NULL;
    ASSERT_INT(daoc_dao_insert(daoc_db_dao(db, "consumers"), in, NULL, &out, &err), DAOC_OK);
    daoc_value_free(out);
    daoc_db_close(db);
    /* not asked, tables there: opens, serves them, creates nothing */
    db = open_sqlite(path, "off", &err, &rc);
    ASSERT_INT(rc, DAOC_OK);
    ASSERT_INT(count_tables(db), made);
    daoc_value *got = NULL;
    ASSERT_INT(daoc_dao_select_by(daoc_db_dao(db, "consumers"), "username",
                                  daoc_obj_get(in, "username"), NULL, &got, &err),
               DAOC_OK);
    ASSERT_NOT_NULL(got);
    daoc_value_free(got);
    /* a new entity is not given a table either */
    daoc_value *def = J("{'name':'newcomers','primary_key':['id'],'fields':[{'id':"
                        "{'type':'string','uuid':true,'auto':true}}]}");
    ASSERT_INT(daoc__db_add_entity(db, def, "late", &err), DAOC_ESTORE);
    ASSERT_NOT_NULL(strstr(daoc_error_string(err), "the table 'newcomers' of plugin entity "
                                                   "'late.newcomers' does not exist"));
    daoc_error_free(err);
    err = NULL;
    ASSERT_INT(count_tables(db), made);
    ASSERT_NULL(daoc_db_dao(db, "newcomers"));
    daoc_value_free(def);
    daoc_value_free(in);
    daoc_db_close(db);
    unlink(path);
}

static const char *const NO_DEFS[] = {NULL};

TEST(deploy_members_run_scripts_all_or_nothing)
{
    daoc_db *db = fixture_open(NO_DEFS, "deploy");
    ASSERT_NOT_NULL(db);
    daoc__store *st = db->store;
    const daoc__store_deploy_ops *d = st->deploy;
    char *msg = NULL, sql[512], t1[64], t2[64];
    snprintf(t1, sizeof t1, "dep_a_%d", (int)getpid());
    snprintf(t2, sizeof t2, "dep_b_%d", (int)getpid());
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s; DROP TABLE IF EXISTS %s;", t1, t2);
    ASSERT_INT(d->exec(st, sql, &msg), DAOC_OK);
    /* a script: two statements, both applied */
    snprintf(sql, sizeof sql,
             "CREATE TABLE %s (k TEXT PRIMARY KEY, n INTEGER, x REAL, b BOOLEAN);"
             "INSERT INTO %s VALUES ('a', 7, 1.5, true), ('b', NULL, NULL, false);",
             t1, t1);
    ASSERT_INT(d->exec(st, sql, &msg), DAOC_OK);
    /* a failing script leaves nothing: the table of its first statement is gone */
    snprintf(sql, sizeof sql, "CREATE TABLE %s (k TEXT); INSERT INTO no_such_table VALUES (1);",
             t2);
    ASSERT_INT(d->exec(st, sql, &msg), DAOC_ESTORE);
    ASSERT_NOT_NULL(msg);
    ASSERT_NOT_NULL(strstr(msg, "no_such_table"));
    daoc_free(msg);
    msg = NULL;
    daoc_value *names = NULL;
    ASSERT_INT(d->list_tables(st, &names, &msg), DAOC_OK);
    bool has1 = false, has2 = false;
    for (size_t i = 0; i < daoc_value_len(names); i++) {
        const char *n = daoc_value_str(daoc_arr_get(names, i), NULL);
        has1 = has1 || strcmp(n, t1) == 0;
        has2 = has2 || strcmp(n, t2) == 0;
        if (i > 0)
            ASSERT_TRUE(strcmp(daoc_value_str(daoc_arr_get(names, i - 1), NULL), n) < 0);
    }
    ASSERT_TRUE(has1);
    ASSERT_TRUE(!has2);
    daoc_value_free(names);
    /* a query with parameters: rows typed as stored */
    snprintf(sql, sizeof sql, "SELECT k, n, x FROM %s WHERE k >= %s ORDER BY k", t1,
             strcmp(st->ops->name, "postgres") == 0 ? "$1" : "?1");
    daoc_value *params = J("['a']"), *rows = NULL;
    ASSERT_INT(d->query(st, sql, params, &rows, &msg), DAOC_OK);
    char *j = enc(rows);
    ASSERT_STR(j, "[{\"k\":\"a\",\"n\":7,\"x\":1.5},{\"k\":\"b\",\"n\":null,\"x\":null}]");
    daoc_free(j);
    daoc_value_free(rows);
    daoc_value_free(params);
    /* inside the caller's transaction: undone with it */
    ASSERT_INT(daoc_db_begin(db, NULL), DAOC_OK);
    snprintf(sql, sizeof sql, "INSERT INTO %s (k) VALUES ('c');", t1);
    ASSERT_INT(d->exec(st, sql, &msg), DAOC_OK);
    ASSERT_INT(daoc_db_rollback(db, NULL), DAOC_OK);
    snprintf(sql, sizeof sql, "SELECT count(*) AS c FROM %s", t1);
    ASSERT_INT(d->query(st, sql, NULL, &rows, &msg), DAOC_OK);
    j = enc(rows);
    ASSERT_STR(j, "[{\"c\":2}]");
    daoc_free(j);
    daoc_value_free(rows);
    /* the table a schema derives: what ensure_table would run */
    daoc__buf b = DAOC__BUF_INIT;
    d->table_sql(daoc_db_dao(db, "consumers")->schema, &b);
    ASSERT_TRUE(!b.failed);
    ASSERT_NOT_NULL(strstr(b.data, "CREATE TABLE IF NOT EXISTS \"consumers\""));
    ASSERT_INT(d->exec(st, b.data, &msg), DAOC_OK); /* IF NOT EXISTS: a no-op now */
    daoc__buf_free(&b);
    snprintf(sql, sizeof sql, "DROP TABLE %s;", t1);
    ASSERT_INT(d->exec(st, sql, &msg), DAOC_OK);
    daoc_db_close(db);
}

/* The catalog of a table made by hand: its columns, every index with its
 * key columns (the primary key and a UNIQUE constraint among them; a
 * partial index and an expression index covering nothing), its foreign
 * keys with their ON DELETE; the lookups lint makes on them; the fixes'
 * text in each store's dialect. */
TEST(catalog_reads_indexes_and_foreign_keys)
{
    daoc_db *db = fixture_open(NO_DEFS, "deploy");
    ASSERT_NOT_NULL(db);
    daoc__store *st = db->store;
    const daoc__catalog_dialect *d = st->deploy->catalog;
    char *msg = NULL, sql[2048], p[32], c[32];
    snprintf(p, sizeof p, "cat_p_%d", (int)getpid());
    snprintf(c, sizeof c, "cat_c_%d", (int)getpid());
    snprintf(sql, sizeof sql,
             "DROP TABLE IF EXISTS %s; DROP TABLE IF EXISTS %s;"
             "CREATE TABLE %s (id TEXT PRIMARY KEY);"
             "CREATE TABLE %s (id TEXT PRIMARY KEY, a TEXT, b TEXT,"
             "  p_id TEXT REFERENCES %s (id) ON DELETE SET NULL, q_id TEXT REFERENCES %s (id),"
             "  UNIQUE (b, a));"
             "CREATE INDEX %s_p ON %s (p_id, a);"
             "CREATE UNIQUE INDEX %s_part ON %s (a) WHERE a IS NOT NULL;"
             "CREATE INDEX %s_expr ON %s (lower(q_id));",
             c, p, p, c, p, p, c, c, c, c, c, c);
    ASSERT_INT(d->read == NULL, 0);
    ASSERT_INT(st->deploy->exec(st, sql, &msg), DAOC_OK);
    daoc__cat_table t = DAOC__CAT_TABLE_INIT;
    ASSERT_INT(d->read(st, c, &t, &msg), DAOC_OK);
    ASSERT_INT(t.cols.n, 5);
    ASSERT_STR(daoc__shape_type(&t.cols, "p_id", t.nocase) ? "p_id" : "none", "p_id");
    const char *ab[] = {"a", "b"}, *a[] = {"a"}, *b[] = {"b"}, *id[] = {"id"};
    ASSERT_NOT_NULL(daoc__cat_unique_on(&t, ab, 2)); /* UNIQUE (b, a), in any order */
    ASSERT_NOT_NULL(daoc__cat_unique_on(&t, id, 1)); /* the primary key */
    ASSERT_NULL(daoc__cat_unique_on(&t, a, 1));      /* only the partial one */
    ASSERT_NULL(daoc__cat_unique_on(&t, b, 1));      /* b is unique with a only */
    ASSERT_NOT_NULL(daoc__cat_index_leading(&t, "p_id"));
    ASSERT_NOT_NULL(daoc__cat_index_leading(&t, "b"));
    ASSERT_NULL(daoc__cat_index_leading(&t, "a"));    /* partial */
    ASSERT_NULL(daoc__cat_index_leading(&t, "q_id")); /* an expression of it */
    ASSERT_INT(t.nfks, 2);
    int seen = 0;
    for (size_t i = 0; i < t.nfks; i++) {
        const daoc__cat_fk *k = &t.fks[i];
        ASSERT_INT(k->ncols, 1);
        ASSERT_STR(k->ref_table, p);
        if (strcmp(k->cols[0], "p_id") == 0) {
            ASSERT_STR(k->on_delete, "SET NULL");
            seen |= 1;
        } else {
            ASSERT_STR(k->cols[0], "q_id");
            ASSERT_STR(k->on_delete, "NO ACTION");
            seen |= 2;
        }
    }
    ASSERT_INT(seen, 3);
    daoc__cat_free(&t);
    /* a table that is not there: nothing */
    ASSERT_INT(d->read(st, "cat_no_such_table", &t, &msg), DAOC_OK);
    ASSERT_INT(t.cols.n + t.nidx + t.nfks, 0);
    daoc__cat_free(&t);
    /* the fixes */
    daoc__buf fb = DAOC__BUF_INIT;
    daoc__cat_fix_index(&fb, d, "t", ab, 2, true);
    ASSERT_STR(fb.data, "CREATE UNIQUE INDEX IF NOT EXISTS \"t_a_b_unique\" ON \"t\" (\"a\", \"b\");");
    daoc__buf_free(&fb);
    const char *cols[] = {"p_id", "ws_id"}, *refs[] = {"id", "ws_id"};
    daoc__cat_fix_fk(&fb, d, "t", "t_p_id_fkey", cols, "p", refs, 2, "CASCADE");
    const char *kind = getenv("DAOC_DATABASE");
    if (kind && strcmp(kind, "postgres") == 0)
        ASSERT_STR(fb.data, "ALTER TABLE \"t\" DROP CONSTRAINT \"t_p_id_fkey\", ADD CONSTRAINT "
                            "\"t_p_id_fkey\" FOREIGN KEY (\"p_id\", \"ws_id\") REFERENCES \"p\" "
                            "(\"id\", \"ws_id\") ON DELETE CASCADE;");
    else
        ASSERT_STR(fb.data, "rebuild the table (SQLite cannot alter a column or a constraint): "
                            "CREATE TABLE \"t_new\" with FOREIGN KEY (\"p_id\", \"ws_id\") "
                            "REFERENCES \"p\" (\"id\", \"ws_id\") ON DELETE CASCADE, copy the "
                            "rows, drop \"t\" and rename the new one");
    daoc__buf_free(&fb);
    snprintf(sql, sizeof sql, "DROP TABLE %s; DROP TABLE %s;", c, p);
    ASSERT_INT(st->deploy->exec(st, sql, &msg), DAOC_OK);
    daoc_db_close(db);
}
