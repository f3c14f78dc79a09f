/*
 * bench_plugins.c -- what configuring a plugin costs: plugins:insert (its
 * config validated against the plugin's subschema, defaults filled, the
 * per-scope cache_key derived, the protocol rule run) as a ratio to
 * consumers:insert, both through the C API on one SQLite file in the same
 * run, inside one transaction per round as a bulk loader writes.
 *
 *   build/bench/bench_plugins [ROWS] [ROUNDS]      (5000, 5)
 *
 * Two plugins of the examples (examples/plugins; DAOC_SRC_DIR locates
 * them): key-auth, today's schema (a config record of seven fields), and
 * keyauth-v014, a 0.x schema whose key_names carry a Lua `func` validator,
 * so its ratio includes one call into Lua per insert.  Each plugin row is
 * scoped to its own service (one plugin of a name per scope); the services
 * are made before the clock starts.  Figures are medians over ROUNDS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daoc.h"

#define BENCH_NAME "bench_plugins"
#include "bench_util.h"

static void quiet(void *ud, daoc_log_level level, const char *msg)
{
    (void)ud;
    (void)level;
    (void)msg;
}

static daoc_db *open_db(const char *path)
{
    daoc_config *cfg = NULL;
    daoc_error *why = NULL;
    const char *src = getenv("DAOC_SRC_DIR") ? getenv("DAOC_SRC_DIR") : ".";
    char lpath[1024];
    snprintf(lpath, sizeof lpath, "%s/examples/plugins/?.lua", src);
    if (daoc_config_load(&cfg, NULL, &why) != DAOC_OK ||
        daoc_config_set(cfg, "database", "sqlite", &why) != DAOC_OK ||
        daoc_config_set(cfg, "sqlite_path", path, &why) != DAOC_OK ||
        daoc_config_set(cfg, "plugins", "key-auth,keyauth-v014", &why) != DAOC_OK ||
        daoc_config_set(cfg, "lua_package_path", lpath, &why) != DAOC_OK ||
        daoc_config_set(cfg, "create_tables", "on", &why) != DAOC_OK)
        die_err("config", why);
    daoc_config_set_log(cfg, quiet, NULL);
    daoc_db *db = NULL;
    if (daoc_db_open(&db, cfg, &why) != DAOC_OK)
        die_err("open", why);
    daoc_config_free(cfg);
    return db;
}

static daoc_value *json(const char *text)
{
    daoc_value *v = NULL;
    daoc_error *e = NULL;
    if (daoc_json_decode(text, strlen(text), &v, &e) != DAOC_OK)
        die_err("json", e);
    return v;
}

/* The ids of n new services. */
static char (*services(daoc_db *db, int n, int round))[37]
{
    char (*ids)[37] = malloc((size_t)n * sizeof *ids);
    daoc_dao *dao = daoc_db_dao(db, "services");
    daoc_error *e = NULL;
    if (!ids || !dao)
        die("services", "no memory or no services entity");
    for (int i = 0; i < n; i++) {
        char text[128];
        snprintf(text, sizeof text, "{\"host\":\"s%d-%d.test\"}", round, i);
        daoc_value *in = json(text), *out = NULL;
        if (daoc_dao_insert(dao, in, NULL, &out, &e) != DAOC_OK)
            die_err("services:insert", e);
        snprintf(ids[i], 37, "%s", daoc_value_str(daoc_obj_get(out, "id"), NULL));
        daoc_value_free(in);
        daoc_value_free(out);
    }
    return ids;
}

/* Seconds for n inserts in one transaction; kind 0: consumers, 1: key-auth,
 * 2: keyauth-v014 (each on its own service of ids). */
static double run(daoc_db *db, int kind, int n, int round, char (*ids)[37])
{
    daoc_dao *dao = daoc_db_dao(db, kind == 0 ? "consumers" : "plugins");
    daoc_value **in = malloc((size_t)n * sizeof *in);
    daoc_error *e = NULL;
    if (!in || !dao)
        die("run", "no memory or no entity");
    for (int i = 0; i < n; i++) {
        char text[256];
        if (kind == 0)
            snprintf(text, sizeof text, "{\"username\":\"u%d-%d\"}", round, i);
        else
            snprintf(text, sizeof text,
                     "{\"name\":\"%s\",\"service\":{\"id\":\"%s\"},\"config\":{\"key_names\":"
                     "[\"apikey\",\"x-key\"]}}",
                     kind == 1 ? "key-auth" : "keyauth-v014", ids[i]);
        in[i] = json(text);
    }
    double t0 = now();
    if (daoc_db_begin(db, &e) != DAOC_OK)
        die_err("begin", e);
    for (int i = 0; i < n; i++) {
        daoc_value *out = NULL;
        if (daoc_dao_insert(dao, in[i], NULL, &out, &e) != DAOC_OK)
            die_err(kind == 0 ? "consumers:insert" : "plugins:insert", e);
        daoc_value_free(out);
    }
    if (daoc_db_commit(db, &e) != DAOC_OK)
        die_err("commit", e);
    double t = now() - t0;
    for (int i = 0; i < n; i++)
        daoc_value_free(in[i]);
    free(in);
    return t;
}

int main(int argc, char **argv)
{
    int rows = argc > 1 ? atoi(argv[1]) : 5000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (rows < 1 || rounds < 1 || rounds > 64)
        die("usage", "bench_plugins [ROWS] [ROUNDS<=64]");
    char path[256];
    snprintf(path, sizeof path, "%s/daoc-bench-plugins-%d.db",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    unlink(path);
    daoc_db *db = open_db(path);
    double tc[64], tk[64], tv[64];
    for (int r = 0; r <= rounds; r++) { /* round 0 warms up */
        char (*ids)[37] = services(db, 2 * rows, r);
        double c = run(db, 0, rows, r, NULL);
        double k = run(db, 1, rows, r, ids);
        double v = run(db, 2, rows, r, ids + rows);
        free(ids);
        if (r > 0) {
            tc[r - 1] = c;
            tk[r - 1] = k;
            tv[r - 1] = v;
        }
    }
    daoc_db_close(db);
    unlink(path);
    double c = median(tc, rounds), k = median(tk, rounds), v = median(tv, rounds);
    printf("consumers:insert            %8.2f us/row (baseline)\n", c / rows * 1e6);
    printf("plugins:insert key-auth     %8.2f us/row  ratio %.2f (current schema.lua)\n",
           k / rows * 1e6, k / c);
    printf("plugins:insert keyauth-v014 %8.2f us/row  ratio %.2f (0.x schema.lua, Lua func)\n",
           v / rows * 1e6, v / c);
    return 0;
}
