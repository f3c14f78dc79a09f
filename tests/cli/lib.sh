# lib.sh -- what every CLI suite (tests/cli/test_*.sh) shares: the pass and
# fail counters with their "ok - " / "FAIL " lines, running daoc with its
# stdout, stderr and exit status captured, the checks made on them, and
# the closing RESULT line that scripts/run-tests.sh counts.  Sourced by a
# suite after it sets BIN (the daoc binary):
#   . "$(dirname "$0")/lib.sh"
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

run() { # $@: arguments of daoc, stdin empty; sets $out, $errout, $rc
  out=$("$BIN" "$@" 2>stderr.txt </dev/null); rc=$?
  errout=$(cat stderr.txt)
}

# $1 grep flags, $2 name, $3 exit code, $4... what stdout must hold
expect_with() {
  local flags="$1" name="$2" want="$3" what="'"; shift 3
  [ "$flags" = -Fxq ] && what="line '"
  if [ "$rc" -ne "$want" ]; then
    bad "$name: exit $rc, wanted $want; stdout: $out; stderr: $errout"; return
  fi
  for line in "$@"; do
    if ! grep "$flags" -- "$line" <<<"$out"; then bad "$name: no $what$line' in stdout:"; echo "$out"; return; fi
  done
  ok "$name"
}
# $1 name, $2 exit code, $3... texts stdout must hold (fixed strings, anywhere)
expect() { expect_with -Fq "$@"; }
# $1 name, $2 exit code, $3... whole lines stdout must hold
expect_lines() { expect_with -Fxq "$@"; }

# $1 name, $2 exit code, $3 text stderr must hold
expect_err() {
  if [ "$rc" -eq "$2" ] && grep -Fq -- "$3" <<<"$errout"; then ok "$1"
  else bad "$1: exit $rc (wanted $2), stderr: $errout"; fi
}

# the last line of a suite: its counts, and its exit status
finish() {
  echo "RESULT passed=$passed failed=$failed"
  [ "$failed" -eq 0 ]
}
