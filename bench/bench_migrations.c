/*
 * bench_migrations.c -- what `daoc migrations` costs on PostgreSQL: the
 * bootstrap of the core plus ten plugins with migrations, and list and
 * status on the database it leaves (up to date), each as daoc_migrations()
 * runs it (opening the database included), timed and counted in round
 * trips to the server (daoc_pg_round_trips).
 *
 *   DAOC_BENCH_PG="host=... port=... user=... dbname=..." \
 *     build/bench/bench_migrations [ROUNDS]                          (5)
 *
 * The ten plugins are generated (kong/plugins/bench-mig-<i> under a
 * directory in $TMPDIR), written as Kong 1.x-3.x plugins write them: a
 * daos.lua entity (uuid id, timestamp, a foreign key to consumers with
 * on_delete = "cascade", a unique string, tags) and two migrations,
 * 000_base_<i> (CREATE TABLE IF NOT EXISTS and an index) and 001_10_to_20
 * (a column added in a DO block, and a teardown updating rows through the
 * connector).  With DAOC_BENCH_KONG_DIR naming a Kong checkout, the ten
 * of Kong's bundled plugins that have migrations are bootstrapped too,
 * unchanged.  Everything happens in the schema daoc_bench_mig, dropped and
 * made again before every bootstrap.  Figures are medians over ROUNDS after
 * one warm-up round.  There is no raw baseline to divide by: what is
 * reported is the time, the round trips, and the round trips per
 * migration; for list and status, the round trips against the kinds of
 * query each needs.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daoc.h"

#define BENCH_NAME "bench_migrations"
#include "bench_util.h"

#define SCHEMA "daoc_bench_mig"
#define NPLUGINS 10
#define MAXROUNDS 31

static const char *g_conninfo;
static char g_dir[512];

static const char KONG_PLUGINS[] = "acl,acme,basic-auth,hmac-auth,jwt,key-auth,oauth2,"
                                   "rate-limiting,response-ratelimiting,session";

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        die("write", path);
}

static void mkdir_or_die(const char *path)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        die("mkdir", path);
}

static void write_plugin(int i)
{
    char dir[1024], path[1200], text[4096];
    snprintf(dir, sizeof dir, "%s/kong/plugins/bench-mig-%d", g_dir, i);
    mkdir_or_die(dir);
    snprintf(path, sizeof path, "%s/migrations", dir);
    mkdir_or_die(path);
    snprintf(path, sizeof path, "%s/daos.lua", dir);
    snprintf(text, sizeof text,
             "local typedefs = require \"kong.db.schema.typedefs\"\n"
             "return { { name = \"bench_mig_%d\", primary_key = { \"id\" },\n"
             "  endpoint_key = \"name\", cache_key = { \"name\" },\n"
             "  fields = {\n"
             "    { id = typedefs.uuid },\n"
             "    { created_at = typedefs.auto_timestamp_s },\n"
             "    { consumer = { type = \"foreign\", reference = \"consumers\",\n"
             "                   on_delete = \"cascade\" } },\n"
             "    { name = { type = \"string\", required = true, unique = true } },\n"
             "    { note = { type = \"string\" } },\n"
             "    { tags = typedefs.tags },\n"
             "  } } }\n",
             i);
    write_file(path, text);
    snprintf(path, sizeof path, "%s/migrations/init.lua", dir);
    snprintf(text, sizeof text, "return { \"000_base_bench_mig_%d\", \"001_10_to_20\" }\n", i);
    write_file(path, text);
    snprintf(path, sizeof path, "%s/migrations/000_base_bench_mig_%d.lua", dir, i);
    snprintf(text, sizeof text,
             "return { postgres = { up = [[\n"
             "  CREATE TABLE IF NOT EXISTS \"bench_mig_%d\" (\n"
             "    \"id\" UUID PRIMARY KEY,\n"
             "    \"created_at\" TIMESTAMP WITH TIME ZONE,\n"
             "    \"consumer_id\" UUID REFERENCES \"consumers\" (\"id\") ON DELETE CASCADE,\n"
             "    \"name\" TEXT UNIQUE,\n"
             "    \"cache_key\" TEXT UNIQUE,\n"
             "    \"tags\" TEXT[],\n"
             "    \"ws_id\" UUID REFERENCES \"workspaces\" (\"id\")\n"
             "  );\n"
             "  CREATE INDEX IF NOT EXISTS \"bench_mig_%d_consumer_idx\" ON \"bench_mig_%d\" "
             "(\"consumer_id\");\n"
             "]] } }\n",
             i, i, i);
    write_file(path, text);
    snprintf(path, sizeof path, "%s/migrations/001_10_to_20.lua", dir);
    snprintf(text, sizeof text,
             "return { postgres = {\n"
             "  up = [[\n"
             "    DO $$\n"
             "    BEGIN\n"
             "      ALTER TABLE IF EXISTS ONLY \"bench_mig_%d\" ADD \"note\" TEXT;\n"
             "    EXCEPTION WHEN DUPLICATE_COLUMN THEN\n"
             "    END;\n"
             "    $$;\n"
             "  ]],\n"
             "  teardown = function(connector)\n"
             "    local _, err = connector:query([[ UPDATE \"bench_mig_%d\" SET \"note\" = '' "
             "WHERE \"note\" IS NULL ]])\n"
             "    if err then return nil, err end\n"
             "  end } }\n",
             i, i);
    write_file(path, text);
}

static void raw_exec(const char *sql)
{
    PGconn *c = PQconnectdb(g_conninfo);
    if (PQstatus(c) != CONNECTION_OK)
        die("connect", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die(sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
}

/* Counts the lines Kong prints for each migration run. */
static void count_out(void *ud, daoc_log_level lvl, const char *msg)
{
    (void)lvl;
    if (strstr(msg, " migrated up to: "))
        ++*(int *)ud;
}

typedef struct run_result {
    double secs;
    uint64_t trips;
    int migrations;
} run_result;

static run_result run(const char *plugins, const char *lpath, const char *command, int want_code)
{
    daoc_config *cfg = bench_pg_config(g_conninfo, SCHEMA);
    daoc_error *why = NULL;
    if (daoc_config_set(cfg, "plugins", plugins, &why) != DAOC_OK ||
        daoc_config_set(cfg, "lua_package_path", lpath, &why) != DAOC_OK)
        die_err("config", why);
    daoc_migrations_opts o;
    memset(&o, 0, sizeof o);
    run_result res = {0, 0, 0};
    int code = -1;
    uint64_t t0 = daoc_pg_round_trips();
    double start = now();
    if (daoc_migrations(cfg, command, &o, count_out, &res.migrations, &code, &why) != DAOC_OK ||
        code != want_code)
        die(command, why ? daoc_error_string(why) : "unexpected exit code");
    res.secs = now() - start;
    res.trips = daoc_pg_round_trips() - t0;
    daoc_config_free(cfg);
    return res;
}

static double median_u(const uint64_t *v, int n)
{
    double d[MAXROUNDS];
    for (int i = 0; i < n; i++)
        d[i] = (double)v[i];
    return median(d, n);
}

static void measure(const char *label, const char *plugins, const char *lpath, int rounds)
{
    double boot_s[MAXROUNDS] = {0}, list_s[MAXROUNDS] = {0}, status_s[MAXROUNDS] = {0};
    uint64_t boot_t[MAXROUNDS] = {0}, list_t[MAXROUNDS] = {0}, status_t[MAXROUNDS] = {0};
    int migrations = 0;
    for (int r = 0; r <= rounds; r++) { /* round 0 warms up */
        raw_exec("SET client_min_messages TO WARNING; DROP SCHEMA IF EXISTS " SCHEMA
                 " CASCADE; CREATE SCHEMA " SCHEMA);
        run_result b = run(plugins, lpath, "bootstrap", 0);
        run_result l = run(plugins, lpath, "list", 0);
        run_result s = run(plugins, lpath, "status", 0);
        if (r == 0)
            continue;
        boot_s[r - 1] = b.secs;
        boot_t[r - 1] = b.trips;
        list_s[r - 1] = l.secs;
        list_t[r - 1] = l.trips;
        status_s[r - 1] = s.secs;
        status_t[r - 1] = s.trips;
        migrations = b.migrations;
    }
    double bt = median_u(boot_t, rounds);
    printf("%s: bootstrap of %d migrations: %7.1f ms, %5.0f round trips (%.1f per migration)\n",
           label, migrations, median(boot_s, rounds) * 1e3, bt, bt / (migrations ? migrations : 1));
    printf("%s: list on the up-to-date database: %6.2f ms, %3.0f round trips\n", label,
           median(list_s, rounds) * 1e3, median_u(list_t, rounds));
    printf("%s: status on the up-to-date database: %6.2f ms, %3.0f round trips\n", label,
           median(status_s, rounds) * 1e3, median_u(status_t, rounds));
}

int main(int argc, char **argv)
{
    g_conninfo = getenv("DAOC_BENCH_PG");
    if (!g_conninfo || !*g_conninfo)
        die("DAOC_BENCH_PG", "not set (scripts/run-bench.sh sets it)");
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    if (rounds < 1 || rounds > MAXROUNDS - 1)
        die("ROUNDS", "must be 1..30");
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/bench-mig-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(g_dir))
        die("mkdtemp", g_dir);
    char path[700];
    snprintf(path, sizeof path, "%s/kong", g_dir);
    mkdir_or_die(path);
    snprintf(path, sizeof path, "%s/kong/plugins", g_dir);
    mkdir_or_die(path);
    char plugins[512] = "";
    for (int i = 0; i < NPLUGINS; i++) {
        write_plugin(i);
        size_t n = strlen(plugins);
        snprintf(plugins + n, sizeof plugins - n, "%sbench-mig-%d", i ? "," : "", i);
    }
    char lpath[2048];
    snprintf(lpath, sizeof lpath, "%s/?.lua;%s/?/init.lua", g_dir, g_dir);
    measure("core + 10 generated plugins", plugins, lpath, rounds);
    const char *kong_dir = getenv("DAOC_BENCH_KONG_DIR");
    if (kong_dir && *kong_dir) {
        snprintf(lpath, sizeof lpath, "%s/?.lua;%s/?/init.lua", kong_dir, kong_dir);
        measure("core + Kong's 10 bundled plugins with migrations", KONG_PLUGINS, lpath, rounds);
    } else {
        printf("Kong's bundled plugins: skipped (set DAOC_BENCH_KONG_DIR to a Kong checkout)\n");
    }
    raw_exec("SET client_min_messages TO WARNING; DROP SCHEMA IF EXISTS " SCHEMA " CASCADE");
    nftw(g_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
