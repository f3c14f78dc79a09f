#!/usr/bin/env bash
# The example plugins of every Kong generation (examples/plugins/) load
# together, and each tour script runs as written, printing what its
# comments promise.  Run by scripts/run-tests.sh from an empty temp dir with
# DAOC_BIN and DAOC_SRC_DIR set.
set -u
BIN="${DAOC_BIN:?DAOC_BIN not set}"
EX="${DAOC_SRC_DIR:?DAOC_SRC_DIR not set}/examples/plugins"
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }
unset DAOC_PLUGINS DAOC_DATABASE DAOC_PREFIX
# the examples' own configuration, with the database file here
run() { (cd "$EX" && DAOC_SQLITE_PATH="$OLDPWD/$1.db" "$BIN" -c examples.conf runner "$1.lua"); }

out=$(run tour-2x 2>err.txt); rc=$?
if [ $rc -eq 0 ]; then ok "tour-2x runs"; else bad "tour-2x exit $rc: $(cat err.txt)"; fi
expect() { # $1 name, $2 extended regexp a line of $out must match
  if grep -Eq -- "$2" <<<"$out"; then ok "$1"; else bad "$1: no line matching /$2/ in:"; echo "$out"; fi
}
expect_line() { # $1 name, $2 a whole line $out must hold
  if grep -Fxq -- "$2" <<<"$out"; then ok "$1"; else bad "$1: no line '$2' in:"; echo "$out"; fi
}
expect_line "an auto key is generated" 'key-auth: a generated key of 32 characters'
expect_line "each_for_consumer sees both keys" 'key-auth: alice has 2 keys'
expect_line "duplicate key: code 5" 'key-auth: a duplicate key is refused: code 5, unique constraint violation'
expect_line "duplicate key: the message Kong gives" \
  'key-auth: [sqlite] UNIQUE violation detected on '"'"'{key="s3cr3t"}'"'"
expect "ttl read back" '^key-auth: a key inserted with \{ ttl = 3600 \} reads with ttl 3(599|600)$'
expect_line "cascade on consumer delete" 'key-auth: keys left after deleting alice: 0'
# every example plugin loads beside the others, with one notice per
# attribute Kong 0.x had and daoc has no use for, never an error
if ! grep -q 'error' err.txt; then ok "examples load without errors"; else bad "load errors: $(cat err.txt)"; fi

echo "RESULT passed=$passed failed=$failed"
[ $failed -eq 0 ]
