/*
 * bench_sqlite.c -- DAO against raw sqlite3 on the same table, same file,
 * same process, interleaved rounds; reports ratios (DAO rate / raw rate).
 *
 *   build/bench/bench_sqlite [ROWS_PER_ROUND] [ROUNDS] [SELECT_SECONDS]
 *
 * Insert: raw = one prepared INSERT of all columns with pre-generated values,
 * BEGIN/COMMIT every 1000 rows; DAO = daoc_dao_insert of {username, tags}
 * (id, timestamps generated, full validation) inside daoc_db_begin/commit
 * every 1000 rows.  Select: raw = prepared SELECT of every column by id,
 * reading each column; DAO = daoc_dao_select({id}) returning a fresh
 * entity, freed after each call.  Both sides use random existing ids, rows
 * of the default workspace (the raw statements carry "ws_id" as the DAO's).
 * The raw select reads each column in its stored type (sqlite3_column_int64
 * for the timestamps, sqlite3_column_text for the rest).
 * Then bench/lua_bench.lua runs the same two through kong.db in the same
 * process (daoc_db_run_lua_file) and prints its own ratios; Lua inserts
 * (no transaction API in kong.db) are compared with raw autocommit inserts.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daoc.h"

#define BENCH_NAME "bench_sqlite"
#include "bench_util.h"

static char (*ids)[37];
static size_t nids, capids;

static void remember(const char *id)
{
    if (nids == capids) {
        capids = capids ? capids * 2 : 4096;
        ids = realloc(ids, capids * sizeof *ids);
        if (!ids)
            die("memory", "out of memory");
    }
    memcpy(ids[nids++], id, 37);
}

int main(int argc, char **argv)
{
    int rows = argc > 1 ? atoi(argv[1]) : 20000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    double secs = argc > 3 ? atof(argv[3]) : 2.0;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[512];
    snprintf(path, sizeof path, "%s/daoc-bench-%d.db", tmp, (int)getpid());
    unlink(path);

    daoc_error *why = NULL;
    daoc_config *cfg = NULL;
    if (daoc_config_load(&cfg, NULL, &why) != DAOC_OK)
        die_err("config", why);
    if (daoc_config_set(cfg, "sqlite_path", path, &why) != DAOC_OK)
        die_err("config", why);
    if (getenv("DAOC_BENCH_LUA_PATH") &&
        daoc_config_set(cfg, "lua_package_path", getenv("DAOC_BENCH_LUA_PATH"), &why) !=
            DAOC_OK)
        die_err("config", why);
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    /* tables from the schemas: opening creates nothing unless asked */
    if (daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK)
        abort();
    if (daoc_db_open(&db, cfg, &err) != DAOC_OK)
        die("open", err ? daoc_error_string(err) : "failed");
    daoc_config_free(cfg);
    daoc_dao *dao = daoc_db_dao(db, "consumers");

    /* consumers are workspaceable: the raw side uses the default workspace */
    char ws[37] = "";
    sqlite3 *raw = bench_raw_sqlite(path, ws);
    sqlite3_stmt *ins, *sel;
    if (sqlite3_prepare_v3(raw,
                           "INSERT INTO consumers (id, created_at, updated_at, username, "
                           "custom_id, tags, ws_id) VALUES (?1, ?2, ?2, ?3, NULL, ?4, ?5)",
                           -1, SQLITE_PREPARE_PERSISTENT, &ins, NULL) != SQLITE_OK)
        die("prepare insert", sqlite3_errmsg(raw));
    if (sqlite3_prepare_v3(raw,
                           "SELECT id, created_at, updated_at, username, custom_id, tags "
                           "FROM consumers WHERE id = ?1 AND ws_id = ?2 LIMIT 1",
                           -1, SQLITE_PREPARE_PERSISTENT, &sel, NULL) != SQLITE_OK)
        die("prepare select", sqlite3_errmsg(raw));

    unsigned long long seed = 42;
    double raw_ins[64], dao_ins[64], raw_sel[64], dao_sel[64], q_ins[64], q_sel[64];
    if (rounds > 63)
        rounds = 63;
    long serial = 0;
    /* round 0 warms the page cache and the statement caches; not counted */
    for (int r = 0; r <= rounds; r++) {
        /* raw insert */
        char (*batch)[37] = malloc((size_t)rows * sizeof *batch);
        for (int i = 0; i < rows; i++)
            uuid(batch[i], &seed);
        double t0 = now();
        for (int i = 0; i < rows; i++) {
            if (i % 1000 == 0)
                sqlite3_exec(raw, "BEGIN IMMEDIATE", NULL, NULL, NULL);
            char name[32];
            snprintf(name, sizeof name, "raw-%ld", serial++);
            sqlite3_bind_text(ins, 1, batch[i], 36, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 2, (sqlite3_int64)time(NULL));
            sqlite3_bind_text(ins, 3, name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 4, "[\"bench\"]", -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 5, ws, 36, SQLITE_STATIC);
            if (sqlite3_step(ins) != SQLITE_DONE)
                die("raw insert", sqlite3_errmsg(raw));
            sqlite3_reset(ins);
            if (i % 1000 == 999 || i == rows - 1)
                sqlite3_exec(raw, "COMMIT", NULL, NULL, NULL);
        }
        raw_ins[r] = rows / (now() - t0);
        for (int i = 0; i < rows; i++)
            remember(batch[i]);
        free(batch);

        /* DAO insert */
        t0 = now();
        for (int i = 0; i < rows; i++) {
            if (i % 1000 == 0 && daoc_db_begin(db, &err) != DAOC_OK)
                die("begin", err ? daoc_error_string(err) : "failed");
            char name[32];
            snprintf(name, sizeof name, "dao-%ld", serial++);
            daoc_value *e = daoc_obj(), *tags = daoc_arr(), *out = NULL;
            if (daoc_obj_set(e, "username", daoc_str(name)) != DAOC_OK ||
                daoc_arr_push(tags, daoc_str("bench")) != DAOC_OK ||
                daoc_obj_set(e, "tags", tags) != DAOC_OK)
                die("build", "out of memory");
            if (daoc_dao_insert(dao, e, NULL, &out, &err) != DAOC_OK)
                die("dao insert", err ? daoc_error_string(err) : "failed");
            remember(daoc_value_str(daoc_obj_get(out, "id"), NULL));
            daoc_value_free(e);
            daoc_value_free(out);
            if ((i % 1000 == 999 || i == rows - 1) && daoc_db_commit(db, &err) != DAOC_OK)
                die("commit", err ? daoc_error_string(err) : "failed");
        }
        dao_ins[r] = rows / (now() - t0);

        /* raw select */
        long n = 0;
        t0 = now();
        double end = t0 + secs / 2;
        size_t touched = 0;
        while (now() < end) {
            for (int k = 0; k < 1000; k++, n++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                const char *id = ids[(seed >> 33) % nids];
                sqlite3_bind_text(sel, 1, id, 36, SQLITE_STATIC);
                sqlite3_bind_text(sel, 2, ws, 36, SQLITE_STATIC);
                if (sqlite3_step(sel) != SQLITE_ROW)
                    die("raw select", "row missing");
                /* each column in its stored type, as a hand-written reader
                 * would: text for id, username, custom_id and the tags JSON,
                 * integers for the timestamps (column_text would format them) */
                static const int text_col[6] = {1, 0, 0, 1, 1, 1};
                for (int c = 0; c < 6; c++) {
                    if (text_col[c]) {
                        const unsigned char *txt = sqlite3_column_text(sel, c);
                        touched += txt ? (size_t)sqlite3_column_bytes(sel, c) : 0;
                    } else {
                        touched += (size_t)(sqlite3_column_int64(sel, c) & 1) + 1;
                    }
                }
                sqlite3_reset(sel);
            }
        }
        raw_sel[r] = n / (now() - t0);

        /* DAO select */
        n = 0;
        t0 = now();
        end = t0 + secs / 2;
        while (now() < end) {
            for (int k = 0; k < 1000; k++, n++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                const char *id = ids[(seed >> 33) % nids];
                daoc_value *pk = daoc_obj(), *out = NULL;
                if (daoc_obj_set(pk, "id", daoc_strn(id, 36)) != DAOC_OK)
                    die("build", "out of memory");
                if (daoc_dao_select(dao, pk, NULL, &out, &err) != DAOC_OK || !out)
                    die("dao select", err ? daoc_error_string(err) : "row missing");
                touched += daoc_value_len(out);
                daoc_value_free(pk);
                daoc_value_free(out);
            }
        }
        dao_sel[r] = n / (now() - t0);
        if (touched == 0)
            die("select", "nothing read");
        q_ins[r] = dao_ins[r] / raw_ins[r];
        q_sel[r] = dao_sel[r] / raw_sel[r];
        fprintf(stderr,
                "round %d%s: insert raw %.0f dao %.0f rows/s (%.2f); select raw %.0f dao %.0f "
                "ops/s (%.2f)\n",
                r, r ? "" : " (warm-up)", raw_ins[r], dao_ins[r], q_ins[r], raw_sel[r],
                dao_sel[r], q_sel[r]);
    }
    /* medians over the counted rounds; the ratio is the median of per-round
     * ratios (each round measures raw and DAO back to back on the same table) */
    double ri = median(raw_ins + 1, rounds), di = median(dao_ins + 1, rounds);
    double rs = median(raw_sel + 1, rounds), ds = median(dao_sel + 1, rounds);
    double qi = median(q_ins + 1, rounds), qs = median(q_sel + 1, rounds);
    printf("C   insert (full validation, tx of 1000): raw %8.0f rows/s  dao %8.0f rows/s  "
           "ratio %.2f (target >= 0.70)\n",
           ri, di, qi);
    printf("C   select by primary key:                raw %8.0f ops/s   dao %8.0f ops/s   "
           "ratio %.2f (target >= 0.70)\n",
           rs, ds, qs);

    /* raw autocommit inserts: the baseline for kong.db inserts from Lua, which
     * has no transaction API (each insert commits by itself) */
    int auto_rows = rows / 4 > 0 ? rows / 4 : 1;
    double t0 = now();
    for (int i = 0; i < auto_rows; i++) {
        char id[37], name[32];
        uuid(id, &seed);
        snprintf(name, sizeof name, "raw-auto-%d", i);
        sqlite3_bind_text(ins, 1, id, 36, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 2, (sqlite3_int64)time(NULL));
        sqlite3_bind_text(ins, 3, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 4, "[\"bench\"]", -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, ws, 36, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            die("raw autocommit insert", sqlite3_errmsg(raw));
        sqlite3_reset(ins);
    }
    double ra = auto_rows / (now() - t0);

    /* Lua, same process and database: bench/lua_bench.lua prints its own lines */
    const char *lua = getenv("DAOC_BENCH_LUA") ? getenv("DAOC_BENCH_LUA") : "bench/lua_bench.lua";
    char a1[64], a2[64], a3[64];
    snprintf(a1, sizeof a1, "%.0f", ra);
    snprintf(a2, sizeof a2, "%.0f", rs);
    snprintf(a3, sizeof a3, "%d", auto_rows);
    char *largv[] = {(char *)lua, a1, a2, a3, NULL};
    fflush(stdout);
    if (daoc_db_run_lua_file(db, lua, 4, largv, &err) != DAOC_OK)
        die("lua bench", err ? daoc_error_string(err) : "failed");

    sqlite3_finalize(ins);
    sqlite3_finalize(sel);
    sqlite3_close(raw);
    daoc_db_close(db);
    free(ids);
    unlink(path);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return 0;
}
