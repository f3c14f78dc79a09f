/*
 * bench_values.c -- the cost of big values: does inserting and selecting
 * an entity grow linearly with the size of its sets and maps?
 *
 *   build/bench/bench_values [ROUNDS]
 *
 * SQLite file in $TMPDIR (or, with DAOC_DATABASE=postgres, the server the
 * DAOC_PG_* variables name: daoc.conf overrides).  Two shapes, each at a small and a large size:
 *
 *   tags:  a `consumers` row (core entity, tags = Kong's typedefs.tags: a
 *          set of strings, each checked by the `tag` validator) with
 *          10,000 and 80,000 distinct tags;
 *   map:   a `bench_maps` row (bench/plugins: attrs = map of string to
 *          string) with 5,000 and 40,000 keys.
 *
 * For each size and round: the input is decoded from JSON text (not timed),
 * then daoc_dao_insert (process auto fields, set de-duplication, full
 * validation, JSON encoding, the SQL insert, the returned row) and
 * daoc_dao_select by primary key (the SQL select, JSON decoding, read-side
 * auto fields) are timed, each once per round.  Reported: the median time
 * per operation, the time per element, and the ratio of the large size's
 * per-element time to the small size's: about 1 when the cost is linear,
 * about 8 (the ratio of the sizes) when it is quadratic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daoc.h"

#define BENCH_NAME "bench_values"
#include "bench_util.h"

/* JSON text of the entity: {"username":"u-N-0","tags":["t-0-0",...]} or
 * {"attrs":{"k-0-0":"value 0",...}};
 * `round` makes every row's values its own. */
static char *entity_json(bool map, int n, int round)
{
    size_t cap = (size_t)n * 40 + 64, len = 0;
    char *s = malloc(cap);
    if (!s)
        die("memory", "out of memory");
    if (map)
        len += (size_t)snprintf(s + len, cap - len, "{\"attrs\":{");
    else
        len += (size_t)snprintf(s + len, cap - len, "{\"username\":\"u-%d-%d-%d\",\"tags\":[",
                                (int)getpid(), n, round);
    for (int i = 0; i < n; i++) {
        if (map)
            len += (size_t)snprintf(s + len, cap - len, "%s\"k-%d-%d\":\"value %d\"", i ? "," : "",
                                    round, i, i);
        else
            len += (size_t)snprintf(s + len, cap - len, "%s\"t-%d-%d\"", i ? "," : "", round, i);
    }
    snprintf(s + len, cap - len, map ? "}}" : "]}");
    return s;
}

typedef struct result {
    double insert, select;
} result;

static result run(daoc_db *db, const char *entity, bool map, int n, int rounds)
{
    daoc_dao *dao = daoc_db_dao(db, entity);
    if (!dao)
        die("dao", entity);
    double ins[32], sel[32];
    for (int r = 0; r <= rounds; r++) { /* round 0 warms up */
        char *text = entity_json(map, n, r);
        daoc_error *why = NULL;
        daoc_value *in = NULL, *out = NULL, *pk = NULL, *got = NULL;
        daoc_error *err = NULL;
        if (daoc_json_decode(text, strlen(text), &in, &why) != DAOC_OK)
            die_err("json", why);
        free(text);
        double t0 = now();
        if (daoc_dao_insert(dao, in, NULL, &out, &err) != DAOC_OK)
            die("insert", err ? daoc_error_string(err) : "failed");
        double t1 = now();
        pk = daoc_obj();
        if (!pk || daoc_obj_set(pk, "id", daoc_value_copy(daoc_obj_get(out, "id"))) != DAOC_OK)
            die("memory", "out of memory");
        double t2 = now();
        if (daoc_dao_select(dao, pk, NULL, &got, &err) != DAOC_OK || !got)
            die("select", err ? daoc_error_string(err) : "no row");
        double t3 = now();
        const daoc_value *field = daoc_obj_get(got, map ? "attrs" : "tags");
        if (!field || daoc_value_len(field) != (size_t)n)
            die("select", "the row came back with another size");
        if (r > 0) {
            ins[r - 1] = t1 - t0;
            sel[r - 1] = t3 - t2;
        }
        daoc_value_free(in);
        daoc_value_free(out);
        daoc_value_free(pk);
        daoc_value_free(got);
    }
    result res = {median(ins, rounds), median(sel, rounds)};
    printf("%-5s n=%-6d insert %9.2f ms (%6.3f us/element)   select %9.2f ms (%6.3f us/element)\n",
           map ? "map" : "tags", n, res.insert * 1e3, res.insert * 1e6 / n, res.select * 1e3,
           res.select * 1e6 / n);
    return res;
}

static void ratio(const char *what, result small, int ns, result big, int nb)
{
    printf("%-5s per-element ratio n=%d / n=%d: insert %.2f, select %.2f  (linear ~1, quadratic "
           "~%d)\n",
           what, nb, ns, (big.insert / nb) / (small.insert / ns),
           (big.select / nb) / (small.select / ns), nb / ns);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    if (rounds < 1 || rounds > 31)
        rounds = 3;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[512];
    snprintf(path, sizeof path, "%s/daoc-bench-values-%d.db", tmp, (int)getpid());
    unlink(path);

    daoc_error *why = NULL;
    daoc_config *cfg = NULL;
    const char *lua_path = getenv("DAOC_BENCH_VALUES_LUA_PATH")
                               ? getenv("DAOC_BENCH_VALUES_LUA_PATH")
                               : "bench/plugins/?.lua";
    if (daoc_config_load(&cfg, NULL, &why) != DAOC_OK ||
        (!getenv("DAOC_DATABASE") &&
         daoc_config_set(cfg, "database", "sqlite", &why) != DAOC_OK) ||
        daoc_config_set(cfg, "sqlite_path", path, &why) != DAOC_OK ||
        daoc_config_set(cfg, "plugins", "bench-values", &why) != DAOC_OK ||
        daoc_config_set(cfg, "lua_package_path", lua_path, &why) != DAOC_OK)
        die_err("config", why);
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    /* tables from the schemas: opening creates nothing unless asked */
    if (daoc_config_set(cfg, "create_tables", "on", NULL) != DAOC_OK)
        abort();
    if (daoc_db_open(&db, cfg, &err) != DAOC_OK)
        die("open", err ? daoc_error_string(err) : "failed");
    daoc_config_free(cfg);

    printf("%s, %d rounds after a warm-up, medians\n",
           getenv("DAOC_DATABASE") ? getenv("DAOC_DATABASE") : "sqlite", rounds);
    result t1 = run(db, "consumers", false, 10000, rounds);
    result t8 = run(db, "consumers", false, 80000, rounds);
    result m1 = run(db, "bench_maps", true, 5000, rounds);
    result m8 = run(db, "bench_maps", true, 40000, rounds);
    ratio("tags", t1, 10000, t8, 80000);
    ratio("map", m1, 5000, m8, 40000);

    daoc_db_close(db);
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return 0;
}
