#!/usr/bin/env bash
# The example plugins of every Kong generation (examples/plugins/) load
# together, and each tour script runs as written, printing what its
# comments promise.  Run by scripts/run-tests.sh from an empty temp dir with
# DAOC_BIN and DAOC_SRC_DIR set.
set -u
BIN="${DAOC_BIN:?DAOC_BIN not set}"
EX="${DAOC_SRC_DIR:?DAOC_SRC_DIR not set}/examples/plugins"
. "$(dirname "$0")/lib.sh"
unset DAOC_PLUGINS DAOC_DATABASE DAOC_PREFIX
# the examples' own configuration, with the database file here
run() { (cd "$EX" && DAOC_SQLITE_PATH="$OLDPWD/$1.db" "$BIN" -c examples.conf runner "$1.lua"); }

expect() { # $1 name, $2 extended regexp a line of $out must match
  if grep -Eq -- "$2" <<<"$out"; then ok "$1"; else bad "$1: no line matching /$2/ in:"; echo "$out"; fi
}
expect_line() { # $1 name, $2 a whole line $out must hold
  if grep -Fxq -- "$2" <<<"$out"; then ok "$1"; else bad "$1: no line '$2' in:"; echo "$out"; fi
}
tour() { # $1 tour name: runs it into $out, stderr appended to errs.txt
  out=$(run "$1" 2>err.txt); local rc=$?
  cat err.txt >> errs.txt
  if [ $rc -eq 0 ]; then ok "$1 runs"; else bad "$1 exit $rc: $(cat err.txt)"; fi
}
: > errs.txt

tour tour-2x
expect_line "2.x: an auto key is generated" 'key-auth: a generated key of 32 characters'
expect_line "2.x: each_for_consumer sees both keys" 'key-auth: alice has 2 keys'
expect_line "2.x: duplicate key: code 5" \
  'key-auth: a duplicate key is refused: code 5, unique constraint violation'
expect_line "2.x: duplicate key: the message Kong gives" \
  'key-auth: [sqlite] UNIQUE violation detected on '"'"'{key="s3cr3t"}'"'"
expect "2.x: ttl read back" '^key-auth: a key inserted with \{ ttl = 3600 \} reads with ttl 3(599|600)$'
expect_line "2.x: cascade on consumer delete" 'key-auth: keys left after deleting alice: 0'
expect_line "2.x: plugins:insert fills the schema.lua defaults" \
  'key-auth: enabled on service example with key_names x-api-key, hide_credentials false'
expect_line "2.x: a config the schema.lua refuses" \
  'key-auth: [sqlite] schema violation (config.hide_credentials: expected a boolean)'

tour tour-v11
expect_line "1.x map: an auto key" 'keyauth-v11: a generated key of 32 characters'
expect_line "1.x map: cache key" 'keyauth-v11: cache key keyauth11_credentials:<key>:::::'
expect_line "1.x: a global plugin with the config record's defaults" \
  'keyauth-v11: global plugin, key_names apikey, hide_credentials false'

tour tour-v014
expect_line "0.14: insert returns the row" 'keyauth-v014: inserted k1 for consumer_id carol'
expect_line "0.14: find_all filter" 'keyauth-v014: find_all by consumer_id: 2 rows'
expect_line "0.14: count filter" 'keyauth-v014: count: 1'
expect_line "0.14: a missing parent is refused" \
  "keyauth-v014: [sqlite error] consumer_id=does not exist with value '00000000-0000-4000-8000-000000000000'"
expect_line "0.14: update returns the row" 'keyauth-v014: updated key k1b'
expect_line "0.14: delete returns the row" 'keyauth-v014: deleted key k1b'
expect_line "0.14: the same DAO through kong.db" 'keyauth-v014: kong.db sees k2 of consumer carol'
expect_line "0.14: kong.dao.plugins with a flat service_id" \
  'keyauth-v014: plugin on service_id v014, key_names apikey'
expect_line "0.14: the 0.x schema's func validator" \
  'keyauth-v014: [sqlite error] config.key_names=key names must be non-empty strings'

tour tour-v05
expect_line "0.5: find_by_primary_key, find_by_keys" 'keyauth-v05: found v05-1; dave has 2 keys'
expect_line "0.5: unique DaoError" "keyauth-v05: key=key already exists with value 'v05-2'"
expect_line "0.5: update returns the entity" 'keyauth-v05: updated key v05-1b'
expect_line "0.5: delete returns true" 'keyauth-v05: delete -> true'
expect_line "0.5: cascade" 'keyauth-v05: keys left after deleting dave: 0'
expect_line "0.5: dao.apis:insert as seed 000 writes it" 'keyauth-v05: api mockbin -> http://mockbin.com'

# every example plugin loads beside the others, with one notice per
# attribute Kong 0.x had and daoc has no use for, never an error
if ! grep -qv '^\[warn\]' errs.txt; then ok "examples load with notices only"; else bad "load: $(cat errs.txt)"; fi

finish
