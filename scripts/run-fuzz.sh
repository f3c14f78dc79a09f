#!/usr/bin/env bash
# Runs every libFuzzer binary in DIR for SECONDS each and prints one line per
# fuzzer.  Each keeps a working corpus in build/fuzz/corpus/<name>, seeded
# from fuzz/corpus/<name>/ and the files fuzz/corpus/<name>.seeds names,
# when those exist; crash reproducers and logs land
# in build/fuzz/artifacts/<name>/.  Exits non-zero when any fuzzer failed.
#   usage: scripts/run-fuzz.sh DIR SECONDS [MAX_LEN]
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 DIR SECONDS [MAX_LEN]" >&2
  exit 2
fi
DIR="$1"
SECONDS_EACH="$2"
MAX_LEN="${3:-4096}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CORPORA="$ROOT/build/fuzz/corpus"
ARTIFACTS="$ROOT/build/fuzz/artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export DAOC_SRC_DIR="$ROOT" # fuzz_admin_handle loads the fixture plugins from it
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

found=0
failed=()
for bin in "$DIR"/fuzz_*; do
  [ -f "$bin" ] && [ -x "$bin" ] || continue
  found=$((found + 1))
  name="$(basename "$bin")"
  corpus="$CORPORA/$name"
  art="$ARTIFACTS/$name"
  mkdir -p "$corpus" "$art"
  if [ -d "$ROOT/fuzz/corpus/$name" ]; then
    cp -n "$ROOT/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null || true
  fi
  # fuzz/corpus/<name>.seeds: globs (from the repository root) of files the
  # repository already holds, e.g. the fixtures' plugin files
  if [ -f "$ROOT/fuzz/corpus/$name.seeds" ]; then
    while IFS= read -r glob; do
      [ -n "$glob" ] || continue
      for f in "$ROOT"/$glob; do
        [ -f "$f" ] && cp -n "$f" "$corpus/seed-$(echo "${f#"$ROOT"/}" | tr / _)"
      done
    done < "$ROOT/fuzz/corpus/$name.seeds"
  fi
  # fuzz/corpus/<name>.flags: more libFuzzer flags, one line (a target that
  # keeps a database open across inputs turns off the per-input leak check
  # there, whose Lua heap growth it would flag; LeakSanitizer still checks
  # the whole run at exit, after the target has freed everything)
  flags=()
  if [ -f "$ROOT/fuzz/corpus/$name.flags" ]; then
    read -r -a flags < "$ROOT/fuzz/corpus/$name.flags" || true
  fi
  log="$art/run.log"
  rc=0
  "$bin" -max_total_time="$SECONDS_EACH" -max_len="$MAX_LEN" -print_final_stats=1 \
    -artifact_prefix="$art/" "${flags[@]}" "$corpus" > "$log" 2>&1 || rc=$?
  runs="$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -n 1 || true)"
  cov="$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | grep -Eo '[0-9]+' || true)"
  if [ "$rc" -eq 0 ]; then
    printf '  %-24s ok      %8s runs, cov %s, corpus %s\n' "$name" "${runs:-?}" "${cov:-?}" \
      "$(find "$corpus" -type f | wc -l)"
  else
    printf '  %-24s FAILED  exit %d, see %s\n' "$name" "$rc" "$log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -n 5 | sed 's/^/      /' || true
    failed+=("$name")
  fi
done

if [ "$found" -eq 0 ]; then
  echo "no fuzzers found in $DIR" >&2
  exit 1
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzers that failed: ${failed[*]}"
  exit 1
fi
echo "$found fuzzers ran for ${SECONDS_EACH}s each, none failed"
