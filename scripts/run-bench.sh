#!/usr/bin/env bash
# Runs every benchmark and prints its figures (ratios to raw baselines
# measured in the same run).  Copy the output into docs/PERFORMANCE.md.
#   BENCH_ROWS, BENCH_ROUNDS, BENCH_SECONDS      bench_sqlite
#   BENCH_PAGE_SMALL (1000), BENCH_PAGE_LARGE (50000), BENCH_PAGE_ROUNDS (3),
#   BENCH_PAGE_SECONDS (0.5)                     bench_page
#   BENCH_VALUES_ROUNDS (5)                      bench_values (big sets and maps)
#   BENCH_OPEN_ENTITIES (3), BENCH_OPEN_ROUNDS (5) bench_open (opening with 4/10/40 plugins)
#   DAOC_BENCH_KONG_DIR   a Kong checkout: bench_open also opens ten of its bundled plugins
#   BENCH_PLUGINS_ROWS (5000), BENCH_PLUGINS_ROUNDS (5) bench_plugins (plugins:insert / consumers:insert)
#   BENCH_CACHE_ROUNDS (5), BENCH_CACHE_OPS (2000000) bench_cache (a cache hit against a bare hash table)
#   BENCH_PG_ROWS (1000000), BENCH_PG_ROUNDS (3), BENCH_PG_SECONDS (2)   bench_pg
#   BENCH_MIG_ROUNDS (5)   bench_migrations (bootstrap of core + 10 plugins, list, status)
#   BENCH_ADMIN_SECONDS (5) bench_admin (the Admin API under wrk: GET on SQLite,
#                   POST on PostgreSQL, latency)
#   BENCH_CLUSTER_UPDATES (1000), BENCH_CLUSTER_FREQ (60) bench_cluster (cross-node
#                   invalidation latency: PATCH on one daoc serve, the key gone from
#                   another's cache and from an embedded node's; B's db_update_frequency)
#   BENCH_CLUSTER_BOUNCER_UPDATES (100), BENCH_CLUSTER_BOUNCER_FREQ (0.3) the same through
#                   PgBouncer in transaction mode (the reads alone), when pgbouncer is
#                   installed and the cluster is private, on port BENCH_BOUNCER_PORT (56434);
#                   or set DAOC_BENCH_BOUNCER (its libpq connection string) yourself
#   BENCH_LUA_CACHE_OPS (2000000), BENCH_LUA_CACHE_BIG (1000000) lua_cache.lua (kong.cache:get
#                   hits from daoc runner, 10k keys and BIG keys; mem_cache_size 2g)
#   DAOC_BENCH_PG   libpq connection string of a server to use; when unset, a
#                   private cluster is started with scripts/pg-start.sh and
#                   stopped afterwards (on every exit path).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== bench_sqlite ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
build/bench/bench_sqlite "${BENCH_ROWS:-20000}" "${BENCH_ROUNDS:-5}" "${BENCH_SECONDS:-2}"
echo "== bench_page ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
build/bench/bench_page "${BENCH_PAGE_SMALL:-1000}" "${BENCH_PAGE_LARGE:-50000}" \
  "${BENCH_PAGE_ROUNDS:-3}" "${BENCH_PAGE_SECONDS:-0.5}"
echo "== bench_values ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
build/bench/bench_values "${BENCH_VALUES_ROUNDS:-5}"
echo "== bench_open ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
DAOC_SRC_DIR="$PWD" build/bench/bench_open "${BENCH_OPEN_ENTITIES:-3}" "${BENCH_OPEN_ROUNDS:-5}"
echo "== bench_plugins ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
DAOC_SRC_DIR="$PWD" build/bench/bench_plugins "${BENCH_PLUGINS_ROWS:-5000}" "${BENCH_PLUGINS_ROUNDS:-5}"
echo "== bench_cache ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
build/bench/bench_cache "${BENCH_CACHE_ROUNDS:-5}" "${BENCH_CACHE_OPS:-2000000}"

echo "== lua_cache ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
LC_DIR="$(mktemp -d "${TMPDIR:-/tmp}/daoc-bench-lua-cache.XXXXXX")"
for keys in 10000 "${BENCH_LUA_CACHE_BIG:-1000000}"; do
  DAOC_SQLITE_PATH="$LC_DIR/lc.db" DAOC_MEM_CACHE_SIZE=2g \
    build/daoc runner bench/lua_cache.lua "$keys" "${BENCH_LUA_CACHE_OPS:-2000000}"
done
rm -rf "$LC_DIR"

PG_DIR=""
BOUNCER_DIR=""
trap '[ -n "$BOUNCER_DIR" ] && scripts/pgbouncer-stop.sh "$BOUNCER_DIR";
      [ -n "$PG_DIR" ] && scripts/pg-stop.sh "$PG_DIR"' EXIT
if [ -z "${DAOC_BENCH_PG:-}" ]; then
  eval "$(scripts/pg-start.sh)"
  DAOC_BENCH_PG="host=$DAOC_PG_HOST port=$DAOC_PG_PORT user=$DAOC_PG_USER dbname=$DAOC_PG_DATABASE"
  where="private cluster, unix socket, fsync off"
  if [ -z "${DAOC_BENCH_BOUNCER:-}" ] && [ -x "${PGBOUNCER:-/usr/sbin/pgbouncer}" ] &&
     out="$(DAOC_TEST_BOUNCER_PORT="${BENCH_BOUNCER_PORT:-56434}" \
            scripts/pgbouncer-start.sh "$DAOC_PG_HOST" "$DAOC_PG_PORT" "$DAOC_PG_USER")"; then
    eval "$out"
    DAOC_BENCH_BOUNCER="host=127.0.0.1 port=$DAOC_BOUNCER_PORT user=$DAOC_PG_USER dbname=$DAOC_PG_DATABASE"
  fi
else
  where="DAOC_BENCH_PG"
fi
echo "== bench_pg ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $where)"
DAOC_BENCH_PG="$DAOC_BENCH_PG" build/bench/bench_pg "${BENCH_PG_ROWS:-1000000}" \
  "${BENCH_PG_ROUNDS:-3}" "${BENCH_PG_SECONDS:-2}"
echo "== bench_migrations ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $where)"
DAOC_BENCH_PG="$DAOC_BENCH_PG" build/bench/bench_migrations "${BENCH_MIG_ROUNDS:-5}"
echo "== bench_admin ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $where)"
DAOC_BENCH_PG="$DAOC_BENCH_PG" build/bench/bench_admin "${BENCH_ADMIN_SECONDS:-5}"
echo "== bench_cluster ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $where)"
DAOC_BENCH_PG="$DAOC_BENCH_PG" DAOC_BENCH_BOUNCER="${DAOC_BENCH_BOUNCER:-}" DAOC_BIN=build/daoc \
  DAOC_SRC_DIR="$PWD" build/bench/bench_cluster "${BENCH_CLUSTER_UPDATES:-1000}"
