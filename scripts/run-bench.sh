#!/usr/bin/env bash
# Runs every benchmark and prints its figures (ratios to raw baselines
# measured in the same run).  Copy the output into docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== bench_sqlite ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
build/bench/bench_sqlite "${BENCH_ROWS:-20000}" "${BENCH_ROUNDS:-5}" "${BENCH_SECONDS:-2}"
