/*
 * bench_open.c -- what opening a database costs as plugins are added: the
 * core entities plus 4, 10 and 40 plugins (the example plugins and P
 * generated ones of E entities each), on SQLite, first with create_tables = on into a new file
 * (compile every definition, create every table) and then again on the
 * same file with create_tables off (compile, check every table's shape).
 *
 *   build/bench/bench_open [ENTITIES_PER_PLUGIN] [ROUNDS]      (3, 5)
 *
 * Each generated plugin (kong/plugins/bench-open-<i>/daos.lua under a
 * directory in $TMPDIR) defines E entities as Kong 2.x/3.x writes them:
 * typedefs.uuid id, auto timestamp, a foreign key to consumers with
 * on_delete = "cascade", a unique string, an integer with a range, a
 * record and tags.  The example plugins of every generation
 * (examples/plugins: key-auth, keyauth-v014, keyauth-v05; DAOC_SRC_DIR
 * locates them) are loaded beside them, so the ten-plugin figure holds
 * three plugins written as their own generations wrote them.  Figures are
 * medians over ROUNDS after one warm-up open; the one reported for scaling is the time per loaded
 * entity with 40 plugins over the time per entity with 10 (1 = linear in
 * the number of entities; a quadratic loader would read about 4.6).
 * With DAOC_BENCH_KONG_DIR naming a Kong checkout (a directory holding
 * kong/plugins), the open of the core entities plus ten of Kong's bundled
 * plugins, unchanged, is timed too (KONG_PLUGINS).
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daoc.h"

#define BENCH_NAME "bench_open"
#include "bench_util.h"

#define NSIZES 3
/* generated plugins; with the examples: 4, 10 and 40 plugins */
static const int SIZES[NSIZES] = {1, 7, 37};
static const char *const EXAMPLES[] = {"key-auth", "keyauth-v014", "keyauth-v05"};
#define NEXAMPLES (sizeof EXAMPLES / sizeof EXAMPLES[0])

static char g_dir[512];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void mkdir_p(const char *path)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                die("mkdir", tmp);
            *p = '/';
        }
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        die("mkdir", tmp);
}

static void write_plugin(int i, int entities)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/kong/plugins/bench-open-%d", g_dir, i);
    mkdir_p(path);
    snprintf(path, sizeof path, "%s/kong/plugins/bench-open-%d/daos.lua", g_dir, i);
    FILE *f = fopen(path, "w");
    if (!f)
        die("write", path);
    fprintf(f, "local typedefs = require \"kong.db.schema.typedefs\"\nreturn {\n");
    for (int e = 0; e < entities; e++) {
        fprintf(f,
                "  { name = \"bo_%d_%d\", primary_key = { \"id\" }, endpoint_key = \"label\",\n"
                "    cache_key = { \"label\" },\n"
                "    fields = {\n"
                "      { id = typedefs.uuid },\n"
                "      { created_at = typedefs.auto_timestamp_s },\n"
                "      { consumer = { type = \"foreign\", reference = \"consumers\",\n"
                "                     on_delete = \"cascade\" } },\n"
                "      { label = { type = \"string\", required = true, unique = true } },\n"
                "      { hits = { type = \"integer\", between = { 0, 1000000 }, default = 0 } },\n"
                "      { meta = { type = \"record\", fields = {\n"
                "          { note = { type = \"string\", len_max = 200 } },\n"
                "          { on = { type = \"boolean\", default = true } } } } },\n"
                "      { tags = typedefs.tags },\n"
                "    },\n"
                "  },\n",
                i, e);
    }
    fprintf(f, "}\n");
    fclose(f);
}

/* plugins = the P generated ones and the examples; returns the entity count. */
static int plugins_setting(int p, int entities, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t k = 0; k < NEXAMPLES; k++)
        len += (size_t)snprintf(out + len, n - len, "%s%s", len ? "," : "", EXAMPLES[k]);
    for (int i = 0; i < p && len < n; i++)
        len += (size_t)snprintf(out + len, n - len, ",bench-open-%d", i);
    return p * entities + (int)NEXAMPLES;
}

static daoc_config *config(const char *plugins, const char *db, bool create)
{
    daoc_config *cfg = NULL;
    daoc_error *why = NULL;
    const char *src = getenv("DAOC_SRC_DIR") ? getenv("DAOC_SRC_DIR") : ".";
    char lpath[2048];
    snprintf(lpath, sizeof lpath, "%s/?.lua;%s/examples/plugins/?.lua", g_dir, src);
    if (daoc_config_load(&cfg, NULL, &why) != DAOC_OK ||
        daoc_config_set(cfg, "database", "sqlite", &why) != DAOC_OK ||
        daoc_config_set(cfg, "sqlite_path", db, &why) != DAOC_OK ||
        daoc_config_set(cfg, "plugins", plugins, &why) != DAOC_OK ||
        daoc_config_set(cfg, "lua_package_path", lpath, &why) != DAOC_OK ||
        daoc_config_set(cfg, "create_tables", create ? "on" : "off", &why) != DAOC_OK)
        die_err("config", why);
    return cfg;
}

static void quiet(void *ud, daoc_log_level level, const char *msg)
{
    (void)ud;
    if (level >= DAOC_LOG_ERR)
        fprintf(stderr, BENCH_NAME ": %s\n", msg);
}

/* Seconds one daoc_db_open (and close) takes. */
static double time_open(daoc_config *cfg)
{
    daoc_config_set_log(cfg, quiet, NULL);
    daoc_db *db = NULL;
    daoc_error *err = NULL;
    double t0 = now();
    if (daoc_db_open(&db, cfg, &err) != DAOC_OK)
        die_err("open", err);
    double t = now() - t0;
    daoc_db_close(db);
    return t;
}

/* Kong's bundled plugins with entities or configuration schemas, when a
 * Kong checkout is named by DAOC_BENCH_KONG_DIR (its kong/plugins are not
 * part of this repository): the core entities plus these ten. */
static const char KONG_PLUGINS[] = "acl,basic-auth,hmac-auth,jwt,key-auth,oauth2,session,"
                                   "rate-limiting,response-ratelimiting,cors";

static void kong_bundled(const char *kong_dir, int rounds)
{
    char lpath[2048], db[600];
    snprintf(lpath, sizeof lpath, "%s/?.lua;%s/?/init.lua", kong_dir, kong_dir);
    double create[31], reopen[31];
    for (int r = 0; r <= rounds; r++) { /* round 0 warms up */
        snprintf(db, sizeof db, "%s/kong-%d.db", g_dir, r);
        for (int pass = 0; pass < 2; pass++) {
            daoc_config *cfg = config(KONG_PLUGINS, db, pass == 0);
            daoc_error *why = NULL;
            if (daoc_config_set(cfg, "lua_package_path", lpath, &why) != DAOC_OK)
                die_err("config", why);
            double t = time_open(cfg);
            daoc_config_free(cfg);
            if (r > 0)
                (pass == 0 ? create : reopen)[r - 1] = t;
        }
        unlink(db);
    }
    printf("open with Kong's 10 bundled plugins (%s): create %7.2f ms, reopen %7.2f ms\n",
           KONG_PLUGINS, median(create, rounds) * 1e3, median(reopen, rounds) * 1e3);
}

int main(int argc, char **argv)
{
    int entities = argc > 1 ? atoi(argv[1]) : 3;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (entities < 1 || entities > 50 || rounds < 1 || rounds > 31)
        die("usage", "bench_open [ENTITIES_PER_PLUGIN 1..50] [ROUNDS 1..31]");
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(g_dir, sizeof g_dir, "%s/daoc-bench-open-%d", tmp, (int)getpid());
    for (int i = 0; i < SIZES[NSIZES - 1]; i++)
        write_plugin(i, entities);

    { /* warm-up: the first open in a process also loads what every later one reuses */
        char plugins[4096], db[600];
        plugins_setting(SIZES[0], entities, plugins, sizeof plugins);
        snprintf(db, sizeof db, "%s/warm-up.db", g_dir);
        daoc_config *cfg = config(plugins, db, true);
        time_open(cfg);
        daoc_config_free(cfg);
        unlink(db);
    }
    double per_entity[NSIZES][2];
    for (int s = 0; s < NSIZES; s++) {
        char plugins[4096], db[600];
        int n = plugins_setting(SIZES[s], entities, plugins, sizeof plugins);
        double create[31], reopen[31];
        for (int r = 0; r < rounds; r++) {
            snprintf(db, sizeof db, "%s/open-%d-%d.db", g_dir, s, r);
            daoc_config *cfg = config(plugins, db, true);
            create[r] = time_open(cfg);
            daoc_config_free(cfg);
            cfg = config(plugins, db, false);
            reopen[r] = time_open(cfg);
            daoc_config_free(cfg);
            unlink(db);
        }
        double c = median(create, rounds), o = median(reopen, rounds);
        per_entity[s][0] = c / n;
        per_entity[s][1] = o / n;
        printf("open with %2d plugins (%3d plugin entities + core): create %7.2f ms, "
               "reopen %7.2f ms (%.3f / %.3f ms per entity)\n",
               SIZES[s] + (int)NEXAMPLES, n, c * 1e3, o * 1e3, per_entity[s][0] * 1e3,
               per_entity[s][1] * 1e3);
    }
    printf("per-entity cost at %d plugins / at %d plugins: create %.2f, reopen %.2f "
           "(1 = linear in the number of entities)\n",
           SIZES[2] + (int)NEXAMPLES, SIZES[1] + (int)NEXAMPLES,
           per_entity[2][0] / per_entity[1][0], per_entity[2][1] / per_entity[1][1]);
    const char *kong_dir = getenv("DAOC_BENCH_KONG_DIR");
    if (kong_dir && *kong_dir)
        kong_bundled(kong_dir, rounds);
    else
        printf("open with Kong's bundled plugins: skipped (set DAOC_BENCH_KONG_DIR to a Kong "
               "checkout to measure it)\n");
    if (nftw(g_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, BENCH_NAME ": could not remove %s\n", g_dir);
    return 0;
}
