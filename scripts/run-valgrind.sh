#!/usr/bin/env bash
# Runs every unit suite of the non-sanitized build in $1 under valgrind's
# leak checker; fails on any error or definite/indirect leak.
set -uo pipefail
B="${1:-build/vg}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/daoc-vg.XXXXXX)"; trap 'rm -rf "$WORK"' EXIT
export DAOC_TEST_TMP="$WORK" DAOC_SRC_DIR="$ROOT"
fail=0
for t in "$B"/tests/test_*; do
  [ -x "$t" ] || continue
  if (cd "$WORK" && valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        "$ROOT/$t" > "$WORK/out.log" 2>&1); then
    echo "valgrind ok   $(basename "$t")"
  else
    echo "valgrind FAIL $(basename "$t")"; tail -n 40 "$WORK/out.log"; fail=1
  fi
done
exit $fail
