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

PG_DIR=""
trap '[ -n "$PG_DIR" ] && scripts/pg-stop.sh "$PG_DIR"' EXIT
if [ -z "${DAOC_BENCH_PG:-}" ]; then
  eval "$(scripts/pg-start.sh)"
  DAOC_BENCH_PG="host=$DAOC_PG_HOST port=$DAOC_PG_PORT user=$DAOC_PG_USER dbname=$DAOC_PG_DATABASE"
  where="private cluster, unix socket, fsync off"
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
