#!/usr/bin/env bash
# Runs every test suite against the sanitizer build in $1 (build/asan) and
# ends with the line "N passed, N failed".
#   unit suites:  $1/tests/test_*        (C, harness.h)
#   Lua suites:   tests/lua/test_*.lua   (through `daoc runner`)
#   CLI suites:   tests/cli/test_*.sh
set -uo pipefail
B="${1:-build/asan}"
VG="${2:-}"   # optional non-sanitized build for the valgrind pass
# Fixture plugins (tests/fixtures/kong/plugins/<name>) loaded by the Lua suites.
PLUGINS="${DAOC_TEST_PLUGINS:-test-entities,legacy-keyauth,audit,badinput,legacy-v05,legacy-v14,legacy-map,overlay,cfg-v0x,cfg-current,cfg-empty0x,cfg-v010,cfg-v11}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"
WORK="$(mktemp -d /tmp/daoc-test.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
export DAOC_TEST_TMP="$WORK"
export DAOC_SRC_DIR="$ROOT"
export DAOC_BIN="$ROOT/$B/daoc"
total_p=0; total_f=0; broken=()

count() { # $1 = suite name, $2 = log file, $3 = exit code
  local line p f
  line=$(grep -E '^RESULT passed=[0-9]+ failed=[0-9]+$' "$2" | tail -n 1)
  if [ -z "$line" ]; then
    echo "  $1: no RESULT line (exit $3): counted as 1 failure"; sed 's/^/    /' "$2" | tail -n 30
    total_f=$((total_f + 1)); broken+=("$1"); return
  fi
  p=${line#RESULT passed=}; p=${p%% *}; f=${line##*failed=}
  # TEST_PENDING cases that fail (harness.h): shown, counted apart, never as passed
  if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; broken+=("$1 (exit $3)"); fi
  total_p=$((total_p + p)); total_f=$((total_f + f))
  if [ "$f" -ne 0 ]; then grep -E '^(FAIL|not ok)' "$2" | sed 's/^/    /'; sed -n '/^  /p' "$2" | head -n 40; fi
  printf '  %-40s %4d passed, %d failed\n' "$1" "$p" "$f"
}

echo "== unit suites (ASan+UBSan)"
for t in "$B"/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  case "$name" in test_pg_store|test_pg_faults|test_pg_pool) continue ;; esac   # need a server: PostgreSQL section
  (cd "$WORK" && "$ROOT/$t") > "$WORK/$name.log" 2>&1; rc=$?
  count "$name" "$WORK/$name.log" $rc
done

# Suites whose threads share state without a server, under ThreadSanitizer
# (built by make test as $DAOC_TSAN_DIR; the PostgreSQL ones run below).
if [ -n "${DAOC_TSAN_DIR:-}" ]; then
  echo "== unit suites (ThreadSanitizer)"
  for name in test_cache; do
    t="$ROOT/$DAOC_TSAN_DIR/tests/$name"
    [ -x "$t" ] || continue
    (cd "$WORK" && TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" "$t") > "$WORK/tsan_$name.log" 2>&1; rc=$?
    count "$name[tsan]" "$WORK/tsan_$name.log" $rc
  done
fi

echo "== Lua suites (daoc runner, ASan+UBSan)"
for t in "$ROOT"/tests/lua/test_*.lua; do
  [ -f "$t" ] || continue
  name=$(basename "$t" .lua)
  d="$WORK/lua-$name"; mkdir -p "$d"
  (cd "$d" && DAOC_SQLITE_PATH="$d/test.db" DAOC_LUA_PACKAGE_PATH="$ROOT/tests/lua/?.lua;$ROOT/tests/fixtures/?.lua;$ROOT/tests/fixtures/?/init.lua" \
     DAOC_PLUGINS="$PLUGINS" "$ROOT/$B/daoc" runner "$t") > "$WORK/$name.log" 2>&1; rc=$?
  count "$name" "$WORK/$name.log" $rc
done

echo "== CLI suites"
for t in "$ROOT"/tests/cli/test_*.sh; do
  [ -f "$t" ] || continue
  name=$(basename "$t" .sh)
  d="$WORK/cli-$name"; mkdir -p "$d"
  (cd "$d" && bash "$t") > "$WORK/$name.log" 2>&1; rc=$?
  count "$name" "$WORK/$name.log" $rc
done

if [ -n "$VG" ] && command -v valgrind >/dev/null; then
  echo "== valgrind (leak check, non-sanitized build)"
  vg() { valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$@"; }
  for t in "$VG"/tests/test_*; do
    [ -x "$t" ] || continue
    name="valgrind:$(basename "$t")"
    case "$name" in valgrind:test_pg_store|valgrind:test_pg_faults|valgrind:test_pg_pool) continue ;; esac
    (cd "$WORK" && vg "$ROOT/$t") > "$WORK/vg.log" 2>&1; rc=$?
    if [ $rc -eq 0 ]; then total_p=$((total_p + 1)); printf '  %-40s ok\n' "$name"
    else total_f=$((total_f + 1)); broken+=("$name"); printf '  %-40s FAIL (exit %d)\n' "$name" $rc; tail -n 30 "$WORK/vg.log"; fi
  done
  for t in "$ROOT"/tests/lua/test_seeds004.lua "$ROOT"/tests/lua/test_paging.lua; do
    [ -f "$t" ] || continue
    name="valgrind:$(basename "$t" .lua)"
    d="$WORK/vg-$(basename "$t" .lua)"; mkdir -p "$d"
    (cd "$d" && DAOC_SQLITE_PATH="$d/test.db" DAOC_LUA_PACKAGE_PATH="$ROOT/tests/lua/?.lua;$ROOT/tests/fixtures/?.lua;$ROOT/tests/fixtures/?/init.lua" \
       DAOC_PLUGINS="$PLUGINS" vg "$ROOT/$VG/daoc" runner "$t") > "$WORK/vg.log" 2>&1; rc=$?
    if [ $rc -eq 0 ]; then total_p=$((total_p + 1)); printf '  %-40s ok\n' "$name"
    else total_f=$((total_f + 1)); broken+=("$name"); printf '  %-40s FAIL (exit %d)\n' "$name" $rc; tail -n 30 "$WORK/vg.log"; fi
  done
fi

# ---- PostgreSQL: the same suites against a private server ----------------
# scripts/pg-start.sh starts a throwaway cluster on a unix socket; the trap
# stops it on every exit path.  Each suite gets its own database.  A second
# cluster plays the read replica for test_pg_pool (same database name on
# both; the suite writes its marker rows into each directly).
echo "== PostgreSQL (private cluster, unix socket)"
PG_DIR=""; RO_DIR=""
trap '[ -n "$PG_DIR" ] && "$ROOT/scripts/pg-stop.sh" "$PG_DIR"; [ -n "$RO_DIR" ] && "$ROOT/scripts/pg-stop.sh" "$RO_DIR"; rm -rf "$WORK"' EXIT
if PG_ENV="$("$ROOT/scripts/pg-start.sh" 2>"$WORK/pg-start.log")"; then
  eval "$PG_ENV"
  PSQL="${PGBIN:-/usr/lib/postgresql/15/bin}/psql"
  RO_HOST=""; RO_PORT=""
  if RO_ENV="$(DAOC_TEST_PG_PORT=$((DAOC_PG_PORT + 1)) "$ROOT/scripts/pg-start.sh" 2>"$WORK/pg-start-ro.log")"; then
    RO_DIR="$(eval "$RO_ENV"; echo "$PG_DIR")"
    RO_HOST="$(eval "$RO_ENV"; echo "$DAOC_PG_HOST")"
    RO_PORT="$(eval "$RO_ENV"; echo "$DAOC_PG_PORT")"
  else
    echo "  could not start the replica cluster (test_pg_pool's replica test will fail):"
    sed 's/^/    /' "$WORK/pg-start-ro.log"
  fi
  pg_db() { # $1 = database name: created empty for one suite (on the replica too)
    "$PSQL" -h "$DAOC_PG_HOST" -p "$DAOC_PG_PORT" -U "$DAOC_PG_USER" -d "$DAOC_PG_DATABASE" -qAt \
      -c "CREATE DATABASE \"$1\"" >/dev/null || return 1
    [ -z "$RO_HOST" ] || "$PSQL" -h "$RO_HOST" -p "$RO_PORT" -U "$DAOC_PG_USER" -d "$DAOC_PG_DATABASE" \
      -qAt -c "CREATE DATABASE \"$1\"" >/dev/null
  }
  pg_run() { # $1 = database, rest = command (run in $WORK)
    local db="$1"; shift
    (cd "$WORK" && DAOC_DATABASE=postgres DAOC_PG_HOST="$DAOC_PG_HOST" DAOC_PG_PORT="$DAOC_PG_PORT" \
       DAOC_PG_USER="$DAOC_PG_USER" DAOC_PG_DATABASE="$db" \
       DAOC_TEST_RO_HOST="$RO_HOST" DAOC_TEST_RO_PORT="$RO_PORT" "$@")
  }
  for name in test_dao_conformance test_dao_page_query test_core_dao test_crud_events test_cluster_events test_cache_warmup test_store_contract test_bad_input test_deploy test_meta test_table_shape test_pg_store test_pg_pool test_plugin_failure; do
    pg_db "$name" && pg_run "$name" "$ROOT/$B/tests/$name" > "$WORK/$name-pg.log" 2>&1; rc=$?
    count "$name[postgres]" "$WORK/$name-pg.log" $rc
  done
  # The same suites through PgBouncer in transaction pooling mode (Debian's
  # pgbouncer): pg_pooling = transaction, nothing relying on a session;
  # the cluster events are read every db_update_frequency there.
  if BOUNCER_ENV="$("$ROOT/scripts/pgbouncer-start.sh" "$DAOC_PG_HOST" "$DAOC_PG_PORT" \
                    "$DAOC_PG_USER" 2>"$WORK/bouncer-start.log")"; then
    BOUNCER_DIR="$(eval "$BOUNCER_ENV"; echo "$BOUNCER_DIR")"
    BOUNCER_PORT="$(eval "$BOUNCER_ENV"; echo "$DAOC_BOUNCER_PORT")"
    for name in test_dao_conformance test_dao_page_query test_core_dao test_crud_events test_cluster_events test_store_contract; do
      pg_db "bnc_$name" && (cd "$WORK" && DAOC_DATABASE=postgres DAOC_PG_HOST=127.0.0.1 \
        DAOC_PG_PORT="$BOUNCER_PORT" DAOC_PG_USER="$DAOC_PG_USER" DAOC_PG_DATABASE="bnc_$name" \
        DAOC_PG_POOLING=transaction "$ROOT/$B/tests/$name") > "$WORK/bnc_$name.log" 2>&1; rc=$?
      count "$name[pgbouncer]" "$WORK/bnc_$name.log" $rc
    done
    # two runner nodes through the pooler: invalidations by the reads
    name=test_cache_nodes
    d="$WORK/bnc-$name"; mkdir -p "$d"
    pg_db "bnc_$name" && (cd "$d" && DAOC_DATABASE=postgres DAOC_PG_HOST=127.0.0.1 \
      DAOC_PG_PORT="$BOUNCER_PORT" DAOC_PG_USER="$DAOC_PG_USER" DAOC_PG_DATABASE="bnc_$name" \
      DAOC_PG_POOLING=transaction bash "$ROOT/tests/cli/$name.sh") > "$WORK/bnc_$name.log" 2>&1; rc=$?
    count "$name[pgbouncer]" "$WORK/bnc_$name.log" $rc
    "$ROOT/scripts/pgbouncer-stop.sh" "$BOUNCER_DIR"
  else
    echo "  could not start PgBouncer: counted as 1 failure"; sed 's/^/    /' "$WORK/bouncer-start.log"
    total_f=$((total_f + 1)); broken+=("pgbouncer")
  fi
  for t in "$ROOT"/tests/lua/test_*.lua; do
    name=$(basename "$t" .lua)
    d="$WORK/pg-$name"; mkdir -p "$d"
    # "lua_" keeps the database and log apart from a C suite of the same name
    pg_db "lua_$name" && pg_run "lua_$name" env DAOC_LUA_PACKAGE_PATH="$ROOT/tests/lua/?.lua;$ROOT/tests/fixtures/?.lua;$ROOT/tests/fixtures/?/init.lua" \
      DAOC_PLUGINS="$PLUGINS" DAOC_PREFIX="$d" "$ROOT/$B/daoc" runner "$ROOT/tests/lua/$name.lua" \
      > "$WORK/lua_$name-pg.log" 2>&1; rc=$?
    count "$name.lua[postgres]" "$WORK/lua_$name-pg.log" $rc
  done
  # the operator's CLI suites that run on either store, here on PostgreSQL
  for t in "$ROOT"/tests/cli/test_migrations*.sh "$ROOT"/tests/cli/test_admin*.sh "$ROOT"/tests/cli/test_cache*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    d="$WORK/pgcli-$name"; mkdir -p "$d"
    pg_db "cli_$name" && (cd "$d" && DAOC_DATABASE=postgres DAOC_PG_HOST="$DAOC_PG_HOST" \
      DAOC_PG_PORT="$DAOC_PG_PORT" DAOC_PG_USER="$DAOC_PG_USER" DAOC_PG_DATABASE="cli_$name" \
      bash "$t") > "$WORK/cli_$name-pg.log" 2>&1; rc=$?
    count "$name[postgres]" "$WORK/cli_$name-pg.log" $rc
  done
  # One script on both stores: the outputs must be the same, line for line.
  name=differential_stores
  d="$WORK/diff"; mkdir -p "$d"
  dlp="$ROOT/tests/fixtures/?.lua;$ROOT/tests/fixtures/?/init.lua"
  (cd "$d" && DAOC_SQLITE_PATH="$d/stores.db" DAOC_LUA_PACKAGE_PATH="$dlp" DAOC_PLUGINS=test-entities \
     "$ROOT/$B/daoc" runner "$ROOT/tests/differential/stores.lua") > "$d/sqlite.out" 2>&1
  pg_db "$name" && pg_run "$name" env DAOC_LUA_PACKAGE_PATH="$dlp" DAOC_PLUGINS=test-entities \
    "$ROOT/$B/daoc" runner "$ROOT/tests/differential/stores.lua" > "$d/pg.out" 2>&1
  if [ "$(tail -n 1 "$d/sqlite.out")" = END ] && diff -u "$d/sqlite.out" "$d/pg.out" > "$d/diff"; then
    echo "RESULT passed=1 failed=0" > "$d/result"
  else
    { echo "FAIL sqlite and postgres answered differently (or the script stopped):";
      head -n 60 "$d/diff" | sed 's/^/  /'; tail -n 5 "$d/sqlite.out" | sed 's/^/  sqlite: /';
      echo "RESULT passed=0 failed=1"; } > "$d/result"
  fi
  count "$name[sqlite=postgres]" "$d/result" 0
  # The pool under ThreadSanitizer (built by make test as $DAOC_TSAN_DIR).
  if [ -n "${DAOC_TSAN_DIR:-}" ] && [ -x "$ROOT/$DAOC_TSAN_DIR/tests/test_pg_pool" ]; then
    name=test_pg_pool
    pg_db "tsan_$name" && pg_run "tsan_$name" env TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
      "$ROOT/$DAOC_TSAN_DIR/tests/$name" > "$WORK/tsan_$name-pg.log" 2>&1; rc=$?
    count "$name[postgres,tsan]" "$WORK/tsan_$name-pg.log" $rc
  fi
  # The cluster events reader's thread (LISTEN, reads) under ThreadSanitizer.
  if [ -n "${DAOC_TSAN_DIR:-}" ] && [ -x "$ROOT/$DAOC_TSAN_DIR/tests/test_cluster_events" ]; then
    name=test_cluster_events
    pg_db "tsan_$name" && pg_run "tsan_$name" env TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
      "$ROOT/$DAOC_TSAN_DIR/tests/$name" > "$WORK/tsan_$name-pg.log" 2>&1; rc=$?
    count "$name[postgres,tsan]" "$WORK/tsan_$name-pg.log" $rc
  fi
  # daoc serve's threads (MHD's pool, a handle per thread, the shared
  # PostgreSQL pool) under ThreadSanitizer: the Admin API suite with the
  # TSan build; any report fails it (test_admin.sh checks serve's stderr).
  if [ -n "${DAOC_TSAN_DIR:-}" ] && [ -x "$ROOT/$DAOC_TSAN_DIR/daoc" ]; then
    name=test_admin
    d="$WORK/tsan-$name"; mkdir -p "$d"
    pg_db "tsan_$name" && (cd "$d" && DAOC_DATABASE=postgres DAOC_PG_HOST="$DAOC_PG_HOST" \
      DAOC_PG_PORT="$DAOC_PG_PORT" DAOC_PG_USER="$DAOC_PG_USER" DAOC_PG_DATABASE="tsan_$name" \
      TSAN_OPTIONS="second_deadlock_stack=1" DAOC_BIN="$ROOT/$DAOC_TSAN_DIR/daoc" \
      bash "$ROOT/tests/cli/$name.sh") > "$WORK/tsan_$name-pg.log" 2>&1; rc=$?
    count "$name[postgres,tsan]" "$WORK/tsan_$name-pg.log" $rc
  fi
  # Last, because it stops and restarts the server (scripts/pg-restart.sh).
  name=test_pg_faults
  pg_db "$name" && pg_run "$name" env DAOC_TEST_PG_DIR="$PG_DIR" "$ROOT/$B/tests/$name" \
    > "$WORK/$name-pg.log" 2>&1; rc=$?
  count "$name[postgres]" "$WORK/$name-pg.log" $rc
  # The same under ThreadSanitizer: a stuck call's cancel runs in a thread
  # of its own (src/store/postgres/wait.c).
  if [ -n "${DAOC_TSAN_DIR:-}" ] && [ -x "$ROOT/$DAOC_TSAN_DIR/tests/$name" ]; then
    pg_db "tsan_$name" && pg_run "tsan_$name" env DAOC_TEST_PG_DIR="$PG_DIR" \
      TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" "$ROOT/$DAOC_TSAN_DIR/tests/$name" \
      > "$WORK/tsan_$name-pg.log" 2>&1; rc=$?
    count "$name[postgres,tsan]" "$WORK/tsan_$name-pg.log" $rc
  fi
else
  echo "  could not start PostgreSQL: counted as 1 failure"; sed 's/^/    /' "$WORK/pg-start.log"
  total_f=$((total_f + 1)); broken+=("postgres")
fi

[ ${#broken[@]} -gt 0 ] && echo "suites that did not finish cleanly: ${broken[*]}"
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
